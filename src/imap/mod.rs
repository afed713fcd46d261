//! IMAP adapter (async-imap over tokio-rustls): connect, SELECT, UID SEARCH/FETCH/MOVE, IDLE.
//!
//! This is the only module that knows async-imap. It executes what the ingest loop asks and
//! decides nothing about mail. What it never does:
//!
//! - never sends the password over a connection that is not TLS, unless `tls = "none"`; with
//!   `starttls` it stops before LOGIN when the server does not offer or accept STARTTLS;
//! - never logs the password (and never logs message contents);
//! - never fetches with `BODY[]` (which sets `\Seen`): only `BODY.PEEK[]`, `BODY.PEEK[HEADER]`
//!   and `RFC822.SIZE`;
//! - never issues a plain `EXPUNGE` or `CLOSE`: the only expunge is `UID EXPUNGE` of exactly the
//!   UIDs just copied elsewhere, so mail the gateway has not processed is never removed;
//! - never relies on `\Seen` or `UNSEEN` to find work: callers get all UIDs and keep their own
//!   watermark.
//!
//! After an error whose [`ImapError::is_transient`] is true, drop the [`Session`] and connect
//! again: the connection may be half-way through a response.

mod error;
mod mailbox;
mod names;
mod sasl;
mod transport;

pub use error::ImapError;
use error::{login_error, op_error, server_text};
pub use mailbox::{Connect, Mailbox, Server};
use names::{encode_mailbox, normalise, quote, uid_sets};
use transport::{Conn, Transport};

use std::fmt;

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_imap::imap_proto::{MailboxDatum, Response, Status};
use async_imap::types::{Capability, UnsolicitedResponse};
use futures::{StreamExt, TryStreamExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::config::{Auth, ImapConfig, Tls};
use crate::oauth2::TokenSource;
use crate::tls;

/// TCP connect and TLS handshake, each.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest silence from the server while a command waits for it (not while idling). Dovecot
/// streams even a 10,000-mail FETCH or MOVE, so a silent minute means a dead connection.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest single IDLE: RFC 2177 servers may drop a client idle for 30 minutes; renew well
/// before that whatever the caller asks.
pub(crate) const IDLE_MAX: Duration = Duration::from_secs(25 * 60);
/// Longest UID set in one command. RFC 7162 §4 asks clients to keep command lines near 8192
/// octets (Dovecot refuses lines over 64 KiB); contiguous UIDs compress to `a:b`, so only a
/// very scattered batch is ever split over several commands.
const MAX_SET_LEN: usize = 8000;
/// Mails bigger than this are fetched alone, this many bytes at a time
/// ([`Session::fetch_sized`]).
pub const FETCH_PART: u64 = 2 * 1024 * 1024;
/// The most of a mail's header block [`Session::headers`] fetches.
pub(crate) const HEADER_PEEK: u64 = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Public types

/// What SELECT reported about a mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxState {
    /// UIDs are only comparable while this stays the same.
    pub uid_validity: u32,
    /// The UID the next arriving mail will get at least; 0 if the server did not say.
    pub uid_next: u32,
    /// Number of messages in the mailbox.
    pub exists: u32,
}

/// Why [`Session::idle_wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleEvent {
    /// New mail may have arrived in the selected mailbox: list UIDs again.
    NewData,
    /// Nothing happened within the timeout; the caller may re-check anyway.
    Timeout,
    /// The cancellation token fired.
    Cancelled,
}

/// The extensions the adapter uses, as the server announced them after login.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Extensions {
    idle: bool,
    r#move: bool,
    uidplus: bool,
}

/// One logged-in IMAP connection.
pub struct Session {
    inner: async_imap::Session<Conn>,
    ext: Extensions,
    /// The mailbox last selected, for log fields.
    selected: Option<String>,
    /// An untagged EXISTS arrived since the last UID SEARCH: new mail may be waiting.
    new_data: bool,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("extensions", &self.ext)
            .field("selected", &self.selected)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// Connects, sets up TLS as `cfg.tls` says, and logs in.
    ///
    /// The TLS server name (SNI and certificate check) is `cfg.host`; an IP address is checked
    /// against the certificate's IP SANs.
    pub async fn connect(cfg: &ImapConfig) -> Result<Session, ImapError> {
        Session::connect_with(cfg, None).await
    }

    /// [`Session::connect`], logging in with an OAuth2 token from `tokens` when `cfg.auth`
    /// says so (`AUTHENTICATE XOAUTH2` or `OAUTHBEARER`).
    pub async fn connect_with(
        cfg: &ImapConfig,
        tokens: Option<&TokenSource>,
    ) -> Result<Session, ImapError> {
        let started = Instant::now();
        let host = cfg.host.trim_start_matches('[').trim_end_matches(']');
        let addr = format!("{}:{}", cfg.host, cfg.port);
        let tcp = match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect((host, cfg.port)))
            .await
        {
            Ok(Ok(tcp)) => tcp,
            Ok(Err(source)) => return Err(ImapError::Connect { addr, source }),
            Err(_) => {
                return Err(ImapError::Connect {
                    addr,
                    source: timed_out("tcp connect", CONNECT_TIMEOUT),
                })
            }
        };
        // Commands are small and answered at once: do not let Nagle hold them back.
        tcp.set_nodelay(true).map_err(|source| ImapError::Connect {
            addr: addr.clone(),
            source,
        })?;

        let client = match cfg.tls {
            Tls::Implicit => {
                let config = tls::client_config(cfg.ca_file.as_deref())?;
                let tls = handshake(tcp, host, config, &addr).await?;
                let mut client = async_imap::Client::new(Conn::new(Transport::Tls(Box::new(tls))));
                greeting(&mut client, &addr).await?;
                client
            }
            Tls::StartTls => {
                let config = tls::client_config(cfg.ca_file.as_deref())?;
                let mut client = async_imap::Client::new(Conn::new(Transport::Plain(tcp)));
                let caps = greeting(&mut client, &addr).await?;
                if let Some(caps) = caps {
                    if !caps.iter().any(|c| c.eq_ignore_ascii_case("STARTTLS")) {
                        return Err(ImapError::StartTls {
                            addr,
                            detail: "not in the greeting's capabilities".into(),
                        });
                    }
                }
                client
                    .run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| match e {
                        async_imap::error::Error::No(d) | async_imap::error::Error::Bad(d) => {
                            ImapError::StartTls {
                                addr: addr.clone(),
                                detail: server_text(&d),
                            }
                        }
                        other => op_error("STARTTLS", other),
                    })?;
                // Anything the server sent after its OK is dropped with the plain buffer
                // (RFC 3207/2595: no plaintext may leak into the TLS session).
                let tcp = client
                    .into_inner()
                    .into_plain()
                    .ok_or_else(|| ImapError::Protocol {
                        command: "STARTTLS",
                        source: "connection is not plain before STARTTLS".into(),
                    })?;
                let tls = handshake(tcp, host, config, &addr).await?;
                async_imap::Client::new(Conn::new(Transport::Tls(Box::new(tls))))
            }
            Tls::None => {
                let mut client = async_imap::Client::new(Conn::new(Transport::Plain(tcp)));
                greeting(&mut client, &addr).await?;
                client
            }
        };
        let (mut inner, caps) = match (cfg.auth, tokens) {
            (Auth::Password, _) => login(client, cfg).await?,
            (_, Some(tokens)) => (sasl::authenticate(client, cfg, tokens).await?, None),
            (_, None) => {
                return Err(ImapError::LoginRefused {
                    username: cfg.username.clone(),
                    detail: format!(
                    "imap.auth = {} needs an access token, and no [oauth2] token source was given",
                    cfg.auth.mechanism().to_ascii_lowercase()
                ),
                })
            }
        };
        let ext = match caps {
            Some(caps) => extensions(&caps),
            None => extensions(
                &inner
                    .capabilities()
                    .await
                    .map_err(|e| op_error("CAPABILITY", e))?,
            ),
        };
        debug!(
            host = %cfg.host,
            port = cfg.port,
            tls = ?cfg.tls,
            username = %cfg.username,
            idle = ext.idle,
            has_move = ext.r#move,
            uidplus = ext.uidplus,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap logged in"
        );
        Ok(Session {
            inner,
            ext,
            selected: None,
            new_data: false,
        })
    }

    /// The server offers IDLE; without it the caller should poll (idle_wait then only sleeps).
    pub fn supports_idle(&self) -> bool {
        self.ext.idle
    }

    /// The server offers MOVE (one command per batch in [`Session::move_to`]).
    pub fn supports_move(&self) -> bool {
        self.ext.r#move
    }

    /// The server offers UIDPLUS (`UID EXPUNGE`, used when MOVE is missing).
    pub fn supports_uidplus(&self) -> bool {
        self.ext.uidplus
    }

    /// Makes [`Session::move_to`] use its COPY + STORE + UID EXPUNGE fallback even though the
    /// server offers MOVE. For tests of the fallback against a server that has MOVE.
    #[doc(hidden)]
    pub fn forget_move_capability(&mut self) {
        self.ext.r#move = false;
    }

    /// Selects `mailbox` (read-write).
    pub async fn select(&mut self, mailbox: &str) -> Result<MailboxState, ImapError> {
        self.drain_unsolicited();
        let mb = self
            .inner
            .select(encode_mailbox(mailbox))
            .await
            .map_err(|e| op_error("SELECT", e))?;
        self.selected = Some(mailbox.to_string());
        // A fresh SELECT reports everything; earlier notices were about the old selection.
        self.drain_unsolicited();
        self.new_data = false;
        let uid_validity = mb.uid_validity.ok_or_else(|| ImapError::Protocol {
            command: "SELECT",
            source: format!("the server sent no UIDVALIDITY for {mailbox}").into(),
        })?;
        let state = MailboxState {
            uid_validity,
            uid_next: mb.uid_next.unwrap_or(0),
            exists: mb.exists,
        };
        debug!(
            mailbox,
            exists = state.exists,
            uid_validity = state.uid_validity,
            uid_next = state.uid_next,
            "imap select"
        );
        Ok(state)
    }

    /// All UIDs in the selected mailbox, ascending (`UID SEARCH ALL`; flags play no part).
    pub async fn uids(&mut self) -> Result<Vec<u32>, ImapError> {
        self.drain_unsolicited();
        // The search result covers every mail announced so far.
        self.new_data = false;
        let found = self
            .inner
            .uid_search("ALL")
            .await
            .map_err(|e| op_error("UID SEARCH", e))?;
        self.drain_unsolicited();
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        debug!(
            mailbox = self.mailbox(),
            count = uids.len(),
            "imap uid search"
        );
        Ok(uids)
    }

    /// The RFC 822 size of each of `uids` (`UID FETCH <set> RFC822.SIZE`), ascending by UID,
    /// so oversize mail can be set aside without downloading it. UIDs that no longer exist
    /// are absent from the result.
    pub async fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, ImapError> {
        let wanted = normalise(uids);
        let mut out = Vec::with_capacity(wanted.len());
        if wanted.is_empty() {
            return Ok(out);
        }
        self.drain_unsolicited();
        let started = Instant::now();
        for set in uid_sets(&wanted) {
            let mut stream = self
                .inner
                .uid_fetch(&set, "RFC822.SIZE")
                .await
                .map_err(|e| op_error("UID FETCH", e))?;
            while let Some(f) = stream
                .try_next()
                .await
                .map_err(|e| op_error("UID FETCH", e))?
            {
                if let (Some(uid), Some(size)) = (f.uid, f.size) {
                    if wanted.binary_search(&uid).is_ok() {
                        out.push((uid, u64::from(size)));
                    }
                }
            }
        }
        self.drain_unsolicited();
        out.sort_unstable_by_key(|&(uid, _)| uid);
        out.dedup_by_key(|&mut (uid, _)| uid);
        debug!(
            mailbox = self.mailbox(),
            count = out.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap fetch sizes"
        );
        Ok(out)
    }

    /// The raw bytes of each of `uids`, ascending by UID, with one `UID FETCH <set>
    /// BODY.PEEK[]` (which never sets `\Seen`). UIDs that no longer exist are absent.
    ///
    /// Everything is held in memory: callers bound the batch by count and by [`Session::sizes`].
    pub async fn fetch(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let wanted = normalise(uids);
        let mut out = Vec::with_capacity(wanted.len());
        if wanted.is_empty() {
            return Ok(out);
        }
        self.drain_unsolicited();
        let started = Instant::now();
        let mut bytes = 0usize;
        for set in uid_sets(&wanted) {
            let mut stream = self
                .inner
                .uid_fetch(&set, "BODY.PEEK[]")
                .await
                .map_err(|e| op_error("UID FETCH", e))?;
            while let Some(f) = stream
                .try_next()
                .await
                .map_err(|e| op_error("UID FETCH", e))?
            {
                // Unsolicited FETCH responses (flag changes) carry no body: skip them.
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    if wanted.binary_search(&uid).is_ok() {
                        bytes += body.len();
                        out.push((uid, body.to_vec()));
                    }
                }
            }
        }
        self.drain_unsolicited();
        out.sort_by_key(|(uid, _)| *uid);
        out.dedup_by_key(|(uid, _)| *uid);
        debug!(
            mailbox = self.mailbox(),
            count = out.len(),
            bytes,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap fetch"
        );
        Ok(out)
    }

    /// The header block of each of `uids` (at most [`HEADER_PEEK`] bytes of it), ascending by
    /// UID, with `UID FETCH <set> BODY.PEEK[HEADER]<0.n>` (which never sets `\Seen`): enough
    /// to answer the sender of a mail too big to fetch. UIDs that no longer exist are absent.
    pub async fn headers(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let wanted = normalise(uids);
        let mut out = Vec::with_capacity(wanted.len());
        if wanted.is_empty() {
            return Ok(out);
        }
        self.drain_unsolicited();
        let query = format!("BODY.PEEK[HEADER]<0.{HEADER_PEEK}>");
        for set in uid_sets(&wanted) {
            let mut stream = self
                .inner
                .uid_fetch(&set, &query)
                .await
                .map_err(|e| op_error("UID FETCH", e))?;
            while let Some(f) = stream
                .try_next()
                .await
                .map_err(|e| op_error("UID FETCH", e))?
            {
                if let (Some(uid), Some(head)) = (f.uid, f.header()) {
                    if wanted.binary_search(&uid).is_ok() {
                        out.push((uid, head.to_vec()));
                    }
                }
            }
        }
        self.drain_unsolicited();
        out.sort_by_key(|(uid, _)| *uid);
        out.dedup_by_key(|(uid, _)| *uid);
        Ok(out)
    }

    /// Like [`Session::fetch`] for `(UID, size)` pairs, but a mail over [`FETCH_PART`] bytes
    /// is fetched alone, a part at a time ([`Session::fetch_in_parts`]): a whole 10 MiB mail
    /// in one response was held twice while it was copied out of the response, which set
    /// the daemon's peak memory (docs/benchmarks.md, memory).
    pub async fn fetch_sized(
        &mut self,
        mails: &[(u32, u64)],
    ) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let small: Vec<u32> = mails
            .iter()
            .filter(|&&(_, size)| size <= FETCH_PART)
            .map(|&(uid, _)| uid)
            .collect();
        let mut out = self.fetch(&small).await?;
        for &(uid, size) in mails.iter().filter(|&&(_, size)| size > FETCH_PART) {
            if let Some(raw) = self.fetch_in_parts(uid, size).await? {
                out.push((uid, raw));
            }
        }
        out.sort_by_key(|(uid, _)| *uid);
        out.dedup_by_key(|(uid, _)| *uid);
        Ok(out)
    }

    /// The raw bytes of one mail, fetched [`FETCH_PART`] bytes at a time (`UID FETCH <uid>
    /// BODY.PEEK[]<offset.length>`) into one buffer of the size the server announced. `None`
    /// when the mail no longer exists.
    pub async fn fetch_in_parts(
        &mut self,
        uid: u32,
        size: u64,
    ) -> Result<Option<Vec<u8>>, ImapError> {
        self.drain_unsolicited();
        let started = Instant::now();
        let mut raw: Vec<u8> = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        loop {
            let query = format!("BODY.PEEK[]<{}.{FETCH_PART}>", raw.len());
            let mut stream = self
                .inner
                .uid_fetch(uid.to_string(), &query)
                .await
                .map_err(|e| op_error("UID FETCH", e))?;
            let mut got = None;
            while let Some(f) = stream
                .try_next()
                .await
                .map_err(|e| op_error("UID FETCH", e))?
            {
                if let (Some(u), Some(body)) = (f.uid, f.body()) {
                    if u == uid && got.is_none() {
                        got = Some(body.len() as u64);
                        raw.extend_from_slice(body);
                    }
                }
            }
            drop(stream);
            match got {
                None if raw.is_empty() => return Ok(None),
                // Gone between two parts: what came is not the whole mail.
                None => {
                    return Err(ImapError::Protocol {
                        command: "UID FETCH",
                        source: format!("mail {uid} disappeared while it was fetched").into(),
                    })
                }
                // The last part is short; a server that ignores the range sends it whole.
                Some(n) if n != FETCH_PART => break,
                Some(_) => {}
            }
        }
        self.drain_unsolicited();
        debug!(
            mailbox = self.mailbox(),
            uid,
            bytes = raw.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap fetch in parts"
        );
        Ok(Some(raw))
    }

    /// Moves `uids` from the selected mailbox to `mailbox`: one `UID MOVE <set>` for the batch
    /// when the server has MOVE; else `UID COPY`, `UID STORE +FLAGS.SILENT (\Deleted)` and
    /// `UID EXPUNGE` of exactly those UIDs (UIDPLUS). Without UIDPLUS either, the originals
    /// stay in place flagged `\Deleted`: a plain EXPUNGE could remove mail not yet processed.
    pub async fn move_to(&mut self, uids: &[u32], mailbox: &str) -> Result<(), ImapError> {
        let uids = normalise(uids);
        if uids.is_empty() {
            return Ok(());
        }
        self.drain_unsolicited();
        let started = Instant::now();
        let target = encode_mailbox(mailbox);
        for set in uid_sets(&uids) {
            if self.ext.r#move {
                self.inner
                    .uid_mv(&set, &target)
                    .await
                    .map_err(|e| op_error("UID MOVE", e))?;
            } else {
                self.inner
                    .uid_copy(&set, &target)
                    .await
                    .map_err(|e| op_error("UID COPY", e))?;
                self.store(&set, "+FLAGS.SILENT (\\Deleted)").await?;
                if self.ext.uidplus {
                    let expunged = self
                        .inner
                        .uid_expunge(&set)
                        .await
                        .map_err(|e| op_error("UID EXPUNGE", e))?;
                    futures::pin_mut!(expunged);
                    while expunged
                        .try_next()
                        .await
                        .map_err(|e| op_error("UID EXPUNGE", e))?
                        .is_some()
                    {}
                } else {
                    warn!(
                        mailbox = self.mailbox(),
                        target = mailbox,
                        count = uids.len(),
                        "imap server has neither MOVE nor UIDPLUS: copied mail stays in the \
                         source flagged \\Deleted"
                    );
                }
            }
            // Empty the notice queue between sets, so it overflows as seldom as possible.
            self.drain_unsolicited();
        }
        debug!(
            mailbox = self.mailbox(),
            target = mailbox,
            count = uids.len(),
            via_move = self.ext.r#move,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap move"
        );
        Ok(())
    }

    /// Flags `uids` `\Seen` (for `processed_mailbox = ""`, where processed mail stays put).
    pub async fn mark_seen(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        let uids = normalise(uids);
        if uids.is_empty() {
            return Ok(());
        }
        self.drain_unsolicited();
        for set in uid_sets(&uids) {
            self.store(&set, "+FLAGS.SILENT (\\Seen)").await?;
        }
        self.drain_unsolicited();
        debug!(
            mailbox = self.mailbox(),
            count = uids.len(),
            "imap mark seen"
        );
        Ok(())
    }

    /// Creates `mailbox` unless it exists already.
    pub async fn ensure_mailbox(&mut self, mailbox: &str) -> Result<(), ImapError> {
        self.drain_unsolicited();
        let name = encode_mailbox(mailbox);
        match self.inner.create(&name).await {
            Ok(()) => {
                debug!(mailbox, "imap mailbox created");
                Ok(())
            }
            // NO: most likely it exists ([ALREADYEXISTS] is not universal): ask LIST.
            Err(async_imap::error::Error::No(detail)) => {
                if self.mailbox_exists(&name).await? {
                    debug!(mailbox, "imap mailbox exists");
                    Ok(())
                } else {
                    Err(ImapError::No {
                        command: "CREATE",
                        detail: server_text(&detail),
                    })
                }
            }
            Err(e) => Err(op_error("CREATE", e)),
        }
    }

    /// Waits until new mail arrives in the selected mailbox, `timeout` passes (capped at
    /// [`IDLE_MAX`]), or `cancel` fires; then leaves IDLE and hands the session back.
    ///
    /// New mail announced before the call (during earlier commands) returns
    /// [`IdleEvent::NewData`] at once. Without the IDLE extension this waits for the timeout
    /// or the cancellation and then checks with NOOP.
    pub async fn idle_wait(
        mut self,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(Session, IdleEvent), ImapError> {
        let timeout = timeout.min(IDLE_MAX);
        self.drain_unsolicited();
        if self.new_data {
            self.new_data = false;
            debug!(
                mailbox = self.mailbox(),
                "imap new mail announced before idle"
            );
            return Ok((self, IdleEvent::NewData));
        }
        if cancel.is_cancelled() {
            return Ok((self, IdleEvent::Cancelled));
        }
        if !self.ext.idle {
            return self.poll_wait(timeout, cancel).await;
        }

        let started = Instant::now();
        let Session {
            inner,
            ext,
            selected,
            new_data: _,
        } = self;
        let mut handle = inner.idle();
        handle.init().await.map_err(|e| op_error("IDLE", e))?;
        // The server may answer at leisure while idling; keepalives are optional.
        handle.as_mut().set_timeout(None);
        // tests/it/imap.rs waits for this event to act while the session idles.
        debug!(
            mailbox = selected.as_deref().unwrap_or(""),
            timeout_ms = timeout.as_millis() as u64,
            "imap idling"
        );
        let deadline = tokio::time::Instant::now() + timeout;
        let event = loop {
            tokio::select! {
                biased;
                _ = cancel.cancelled() => break IdleEvent::Cancelled,
                _ = tokio::time::sleep_until(deadline) => break IdleEvent::Timeout,
                next = handle.next() => match next {
                    None => {
                        return Err(op_error("IDLE", async_imap::error::Error::ConnectionLost))
                    }
                    Some(Err(source)) => return Err(ImapError::Io { command: "IDLE", source }),
                    Some(Ok(resp)) => match resp.parsed() {
                        Response::MailboxData(MailboxDatum::Exists(_)) => break IdleEvent::NewData,
                        Response::Data { status: Status::Bye, information, .. } => {
                            return Err(ImapError::Io {
                                command: "IDLE",
                                source: io::Error::new(
                                    io::ErrorKind::ConnectionAborted,
                                    format!(
                                        "the server said BYE: {}",
                                        information.as_deref().unwrap_or("")
                                    ),
                                ),
                            });
                        }
                        // Keepalives, RECENT, EXPUNGE and flag changes: keep waiting.
                        _ => {}
                    },
                },
            }
        };
        handle.as_mut().set_timeout(Some(IO_TIMEOUT));
        let inner = handle.done().await.map_err(|e| op_error("IDLE", e))?;
        let mut session = Session {
            inner,
            ext,
            selected,
            new_data: false,
        };
        session.drain_unsolicited();
        // An EXISTS that raced with DONE still means new mail.
        let event = match event {
            IdleEvent::Timeout if session.new_data => IdleEvent::NewData,
            other => other,
        };
        if event == IdleEvent::NewData {
            session.new_data = false;
        }
        debug!(
            mailbox = session.mailbox(),
            event = ?event,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "imap idle"
        );
        Ok((session, event))
    }

    /// Logs out and closes the connection.
    pub async fn logout(mut self) -> Result<(), ImapError> {
        self.inner
            .logout()
            .await
            .map_err(|e| op_error("LOGOUT", e))?;
        debug!("imap logged out");
        Ok(())
    }

    // -----------------------------------------------------------------------------------------

    /// [`Session::idle_wait`] for servers without IDLE: sleep, then NOOP.
    async fn poll_wait(
        mut self,
        timeout: Duration,
        cancel: &CancellationToken,
    ) -> Result<(Session, IdleEvent), ImapError> {
        tokio::select! {
            _ = cancel.cancelled() => return Ok((self, IdleEvent::Cancelled)),
            _ = tokio::time::sleep(timeout) => {}
        }
        self.inner.noop().await.map_err(|e| op_error("NOOP", e))?;
        self.drain_unsolicited();
        let event = if std::mem::take(&mut self.new_data) {
            IdleEvent::NewData
        } else {
            IdleEvent::Timeout
        };
        Ok((self, event))
    }

    async fn store(&mut self, set: &str, query: &str) -> Result<(), ImapError> {
        let updates = self
            .inner
            .uid_store(set, query)
            .await
            .map_err(|e| op_error("UID STORE", e))?;
        futures::pin_mut!(updates);
        while updates
            .try_next()
            .await
            .map_err(|e| op_error("UID STORE", e))?
            .is_some()
        {}
        Ok(())
    }

    async fn mailbox_exists(&mut self, encoded: &str) -> Result<bool, ImapError> {
        let names = self
            .inner
            .list(Some(""), Some(&quote(encoded)))
            .await
            .map_err(|e| op_error("LIST", e))?;
        futures::pin_mut!(names);
        let mut found = false;
        while let Some(name) = names.try_next().await.map_err(|e| op_error("LIST", e))? {
            found |= name.name() == encoded
                || (encoded.eq_ignore_ascii_case("INBOX")
                    && name.name().eq_ignore_ascii_case("INBOX"));
        }
        Ok(found)
    }

    /// Empties async-imap's queue of untagged notices, remembering whether any announced new
    /// mail. The queue holds 100 and async-imap drops the rest (a big MOVE alone sends one
    /// EXPUNGE per mail), so a full queue counts as news too: an EXISTS may have been lost.
    fn drain_unsolicited(&mut self) {
        let queue = &self.inner.unsolicited_responses;
        let overflowed = queue.is_full();
        while let Ok(notice) = queue.try_recv() {
            if let UnsolicitedResponse::Exists(_) = notice {
                self.new_data = true;
            }
        }
        if overflowed {
            self.new_data = true;
        }
    }

    fn mailbox(&self) -> &str {
        self.selected.as_deref().unwrap_or("")
    }
}

/// LOGIN with the password. async-imap traces every command it sends: it is handed a
/// placeholder, and the transport puts the password in on the way out.
async fn login(
    mut client: async_imap::Client<Conn>,
    cfg: &ImapConfig,
) -> Result<
    (
        async_imap::Session<Conn>,
        Option<async_imap::types::Capabilities>,
    ),
    ImapError,
> {
    let password = cfg.password.read()?;
    let password = password.expose();
    if password.contains(['\r', '\n', '\0']) {
        return Err(ImapError::LoginRefused {
            username: cfg.username.clone(),
            detail: "the password contains a line break or NUL, which LOGIN cannot carry".into(),
        });
    }
    let mut placeholder = String::from("tg-password-placeholder");
    while cfg.username.contains(&placeholder) {
        placeholder.push('x');
    }
    client.get_mut().substitute(&placeholder, password);
    let (mut inner, caps) = client
        .login_with_capabilities(&cfg.username, &placeholder)
        .await
        .map_err(|(e, _client)| login_error(e, &cfg.username))?;
    inner.get_mut().secret = None;
    Ok((inner, caps))
}

/// Reads the server greeting; returns its CAPABILITY list if it carried one.
async fn greeting(
    client: &mut async_imap::Client<Conn>,
    addr: &str,
) -> Result<Option<Vec<String>>, ImapError> {
    let connect_error = |source: io::Error| ImapError::Connect {
        addr: addr.to_string(),
        source,
    };
    let resp = client
        .read_response()
        .await
        .map_err(connect_error)?
        .ok_or_else(|| {
            connect_error(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection before its greeting",
            ))
        })?;
    match resp.parsed() {
        Response::Data {
            status: Status::Ok,
            code,
            ..
        } => Ok(match code {
            Some(async_imap::imap_proto::ResponseCode::Capabilities(caps)) => Some(
                caps.iter()
                    .map(|c| match Capability::from(c) {
                        Capability::Imap4rev1 => "IMAP4rev1".to_string(),
                        Capability::Auth(a) => format!("AUTH={a}"),
                        Capability::Atom(a) => a,
                    })
                    .collect(),
            ),
            _ => None,
        }),
        Response::Data {
            status: Status::Bye,
            information,
            ..
        } => Err(connect_error(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!(
                "the server greeted with BYE: {}",
                information.as_deref().unwrap_or("")
            ),
        ))),
        other => Err(ImapError::Protocol {
            command: "greeting",
            source: format!("unexpected greeting {other:?}").into(),
        }),
    }
}

async fn handshake(
    tcp: TcpStream,
    host: &str,
    config: Arc<rustls::ClientConfig>,
    addr: &str,
) -> Result<TlsStream<TcpStream>, ImapError> {
    let tls_error = |source: io::Error| ImapError::Tls {
        addr: addr.to_string(),
        source,
    };
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| tls_error(io::Error::new(io::ErrorKind::InvalidInput, e)))?;
    match tokio::time::timeout(
        CONNECT_TIMEOUT,
        TlsConnector::from(config).connect(name, tcp),
    )
    .await
    {
        Ok(Ok(tls)) => Ok(tls),
        Ok(Err(source)) => Err(tls_error(source)),
        Err(_) => Err(tls_error(timed_out("tls handshake", CONNECT_TIMEOUT))),
    }
}

fn extensions(caps: &async_imap::types::Capabilities) -> Extensions {
    let has = |name: &str| {
        caps.iter()
            .any(|c| matches!(c, Capability::Atom(a) if a.eq_ignore_ascii_case(name)))
    };
    Extensions {
        idle: has("IDLE"),
        r#move: has("MOVE"),
        uidplus: has("UIDPLUS"),
    }
}

fn timed_out(what: &str, after: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("{what} timed out after {}s", after.as_secs()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The daemon spawns the ingest loop: the session and every future it returns must be
    /// Send. (Compiles or not; nothing to run.)
    #[test]
    fn session_and_its_futures_are_send() {
        fn is_send<T: Send>(_: &T) {}
        fn commands(s: &mut Session) {
            is_send(&s.select("INBOX"));
            is_send(&s.uids());
            is_send(&s.sizes(&[]));
            is_send(&s.fetch(&[]));
            is_send(&s.move_to(&[], "X"));
            is_send(&s.mark_seen(&[]));
            is_send(&s.ensure_mailbox("X"));
        }
        fn owned(s: Session, cfg: &ImapConfig, cancel: &CancellationToken) {
            is_send(&Session::connect(cfg));
            is_send(&s.idle_wait(Duration::ZERO, cancel));
        }
        let _ = (commands, owned);
    }
}
