//! The in-process harness: the whole daemon (`daemon::run_on`, its real ingest, outbox and
//! timer tasks and the real store) on an in-memory IMAP server, a stub SMTP relay and tokio's
//! paused clock. Every operation on the mailbox, every store commit and flush and every send
//! goes into one [`Log`], in order and with its virtual time, so tests can check orderings
//! (flush before move), cadences (back-off) and due times without Dovecot, Postfix or sleeps.
#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use ticket_gateway::clock::Clock;
use ticket_gateway::config::Config;
use ticket_gateway::core::{FloodItem, ReportedMail, Ticket, TicketId};
use ticket_gateway::dedupe::MailKey;
use ticket_gateway::imap::{Connect, IdleEvent, ImapError, Mailbox, MailboxState};
use ticket_gateway::pipeline::Gateway;
use ticket_gateway::smtp::{Relay, SmtpError};
use ticket_gateway::store::{Commit, LookUp, LookedUp, MailRecord, OutboxEntry, Store, StoreError};
use tokio::sync::{oneshot, Notify};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The Unix time at which every harness clock starts (a Monday, 09:00 UTC).
pub const START: i64 = 1_796_547_600;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ---------------------------------------------------------------------------------------------
// The log

/// One thing that happened at the boundary of the daemon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A connection attempt to the IMAP server; `Err` holds the error it was given.
    Connect(Result<(), String>),
    Select(String),
    Uids,
    Sizes(Vec<u32>),
    Headers(Vec<u32>),
    Fetch(Vec<u32>),
    Move(Vec<u32>, String),
    MarkSeen(Vec<u32>),
    Idle,
    Logout,
    /// The store committed a mail (by its Message-ID) or a timer round (`None`).
    Commit(Option<String>),
    /// The store's flush returned: what was committed before it is durable.
    Flush,
    /// The relay was handed a mail (its Message-ID); `Err` holds the failure it answered.
    Send(String, Result<(), String>),
}

/// Everything that happened, in order, with the virtual time since the harness began.
#[derive(Clone)]
pub struct Log {
    ops: Arc<Mutex<Vec<(Duration, Op)>>>,
    began: Instant,
}

impl Log {
    pub fn new() -> Log {
        Log {
            ops: Default::default(),
            began: Instant::now(),
        }
    }
    pub fn push(&self, op: Op) {
        lock(&self.ops).push((self.began.elapsed(), op));
    }
    pub fn ops(&self) -> Vec<Op> {
        lock(&self.ops).iter().map(|(_, op)| op.clone()).collect()
    }
    pub fn timed(&self) -> Vec<(Duration, Op)> {
        lock(&self.ops).clone()
    }
    /// The virtual times of the operations `pick` selects.
    pub fn times(&self, pick: impl Fn(&Op) -> bool) -> Vec<Duration> {
        lock(&self.ops)
            .iter()
            .filter(|(_, op)| pick(op))
            .map(|(t, _)| *t)
            .collect()
    }
    /// The position of the first operation after `from` that `pick` selects.
    pub fn position(&self, from: usize, pick: impl Fn(&Op) -> bool) -> Option<usize> {
        lock(&self.ops)
            .iter()
            .skip(from)
            .position(|(_, op)| pick(op))
            .map(|i| i + from)
    }
    /// The Message-IDs of the mails sent, in order (successful sends only).
    pub fn sent(&self) -> Vec<String> {
        self.ops()
            .into_iter()
            .filter_map(|op| match op {
                Op::Send(id, Ok(())) => Some(id),
                _ => None,
            })
            .collect()
    }
    pub fn elapsed(&self) -> Duration {
        self.began.elapsed()
    }
    /// When the harness began: the daemon's clock read [`START`] then.
    pub fn began(&self) -> Instant {
        self.began
    }
}

/// How a failure the harness injects looks to the daemon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth a retry soon: a refused connection.
    Transient,
    /// Cannot pass without a change: a refused login (IMAP), an untrusted certificate (SMTP).
    Permanent,
    /// SMTP only: the server refuses the mail itself (permanent, the mail's fault).
    Refused,
}

// ---------------------------------------------------------------------------------------------
// The IMAP server

/// An in-memory IMAP server with one account: mailboxes of (UID, bytes), IDLE woken by
/// [`FakeImap::deliver`], and connection failures on demand.
#[derive(Clone)]
pub struct FakeImap {
    state: Arc<Mutex<ImapState>>,
    new_mail: Arc<Notify>,
    log: Log,
}

struct ImapState {
    mailboxes: BTreeMap<String, Vec<(u32, Vec<u8>)>>,
    next_uid: u32,
    /// Failures the next connection attempts meet, in order.
    connect_failures: VecDeque<Failure>,
    /// An EXISTS the idling session has not yet been told of.
    announced: bool,
}

impl FakeImap {
    pub fn new(log: &Log) -> FakeImap {
        let mut mailboxes = BTreeMap::new();
        mailboxes.insert("INBOX".to_string(), Vec::new());
        FakeImap {
            state: Arc::new(Mutex::new(ImapState {
                mailboxes,
                next_uid: 1,
                connect_failures: VecDeque::new(),
                announced: false,
            })),
            new_mail: Arc::new(Notify::new()),
            log: log.clone(),
        }
    }

    /// Puts a mail into INBOX (as the MTA would) and wakes an idling session.
    pub fn deliver(&self, raw: Vec<u8>) -> u32 {
        let mut s = lock(&self.state);
        let uid = s.next_uid;
        s.next_uid += 1;
        s.mailboxes
            .get_mut("INBOX")
            .expect("INBOX exists")
            .push((uid, raw));
        s.announced = true;
        drop(s);
        self.new_mail.notify_one();
        uid
    }

    /// The next `n` connection attempts fail with `how`.
    pub fn fail_connects(&self, n: usize, how: Failure) {
        lock(&self.state)
            .connect_failures
            .extend(std::iter::repeat_n(how, n));
    }

    /// The UIDs in `mailbox` (empty when it does not exist).
    pub fn uids(&self, mailbox: &str) -> Vec<u32> {
        lock(&self.state)
            .mailboxes
            .get(mailbox)
            .map(|m| m.iter().map(|(u, _)| *u).collect())
            .unwrap_or_default()
    }
}

impl Connect for FakeImap {
    type Mailbox = FakeSession;
    fn connect(&self) -> impl Future<Output = Result<FakeSession, ImapError>> + Send {
        let failure = lock(&self.state).connect_failures.pop_front();
        let result = match failure {
            None => Ok(FakeSession {
                server: self.clone(),
                selected: None,
            }),
            Some(Failure::Transient) => Err(ImapError::Connect {
                addr: "imap.test:993".into(),
                source: std::io::Error::new(
                    std::io::ErrorKind::ConnectionRefused,
                    "connection refused",
                ),
            }),
            Some(Failure::Permanent | Failure::Refused) => Err(ImapError::LoginRefused {
                username: "support".into(),
                detail: "[AUTHENTICATIONFAILED] Authentication failed.".into(),
            }),
        };
        self.log.push(Op::Connect(
            result.as_ref().map(|_| ()).map_err(|e| e.to_string()),
        ));
        std::future::ready(result)
    }
}

/// One logged-in session on a [`FakeImap`].
pub struct FakeSession {
    server: FakeImap,
    selected: Option<String>,
}

impl FakeSession {
    fn log(&self, op: Op) {
        self.server.log.push(op);
    }
    fn state(&self) -> MutexGuard<'_, ImapState> {
        lock(&self.server.state)
    }
    fn selected(&self) -> String {
        self.selected.clone().expect("a mailbox is selected")
    }
    /// The mails of the selected mailbox among `uids`, ascending.
    fn pick(&self, uids: &[u32]) -> Vec<(u32, Vec<u8>)> {
        let mb = self.selected();
        self.state().mailboxes[&mb]
            .iter()
            .filter(|(u, _)| uids.contains(u))
            .cloned()
            .collect()
    }
}

impl Mailbox for FakeSession {
    async fn ensure_mailbox(&mut self, mailbox: &str) -> Result<(), ImapError> {
        self.state()
            .mailboxes
            .entry(mailbox.to_string())
            .or_default();
        Ok(())
    }
    async fn select(&mut self, mailbox: &str) -> Result<MailboxState, ImapError> {
        self.log(Op::Select(mailbox.to_string()));
        let s = self.state();
        let exists = s.mailboxes.get(mailbox).map_or(0, |m| m.len()) as u32;
        let uid_next = s.next_uid;
        drop(s);
        self.selected = Some(mailbox.to_string());
        Ok(MailboxState {
            uid_validity: 7,
            uid_next,
            exists,
        })
    }
    async fn uids(&mut self) -> Result<Vec<u32>, ImapError> {
        self.log(Op::Uids);
        let mb = self.selected();
        let mut s = self.state();
        s.announced = false;
        Ok(s.mailboxes[&mb].iter().map(|(u, _)| *u).collect())
    }
    async fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, ImapError> {
        self.log(Op::Sizes(uids.to_vec()));
        Ok(self
            .pick(uids)
            .into_iter()
            .map(|(u, raw)| (u, raw.len() as u64))
            .collect())
    }
    async fn headers(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        self.log(Op::Headers(uids.to_vec()));
        Ok(self
            .pick(uids)
            .into_iter()
            .map(|(u, raw)| {
                let end = raw
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map_or(raw.len(), |i| i + 4);
                (u, raw[..end].to_vec())
            })
            .collect())
    }
    async fn fetch_sized(
        &mut self,
        mails: &[(u32, u64)],
    ) -> Result<Vec<(u32, Vec<u8>)>, ImapError> {
        let uids: Vec<u32> = mails.iter().map(|(u, _)| *u).collect();
        self.log(Op::Fetch(uids.clone()));
        Ok(self.pick(&uids))
    }
    async fn move_to(&mut self, uids: &[u32], mailbox: &str) -> Result<(), ImapError> {
        self.log(Op::Move(uids.to_vec(), mailbox.to_string()));
        let from = self.selected();
        let mut s = self.state();
        let source = s.mailboxes.get_mut(&from).expect("selected mailbox exists");
        let (moved, kept): (Vec<_>, Vec<_>) = source.drain(..).partition(|(u, _)| uids.contains(u));
        *source = kept;
        let target = s.mailboxes.get_mut(mailbox).ok_or_else(|| ImapError::No {
            command: "UID MOVE",
            detail: format!("[TRYCREATE] no mailbox {mailbox}"),
        })?;
        // Kept under their UIDs: the daemon never reads the target mailboxes.
        target.extend(moved);
        Ok(())
    }
    async fn mark_seen(&mut self, uids: &[u32]) -> Result<(), ImapError> {
        self.log(Op::MarkSeen(uids.to_vec()));
        Ok(())
    }
    fn supports_idle(&self) -> bool {
        true
    }
    async fn idle_wait(
        self,
        timeout: Duration,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<(FakeSession, IdleEvent), ImapError> {
        if std::mem::take(&mut self.state().announced) {
            return Ok((self, IdleEvent::NewData));
        }
        if cancel.is_cancelled() {
            return Ok((self, IdleEvent::Cancelled));
        }
        self.log(Op::Idle);
        let new_mail = self.server.new_mail.clone();
        let event = tokio::select! {
            _ = cancel.cancelled() => IdleEvent::Cancelled,
            _ = new_mail.notified() => IdleEvent::NewData,
            _ = tokio::time::sleep(timeout) => IdleEvent::Timeout,
        };
        self.state().announced = false;
        Ok((self, event))
    }
    async fn logout(self) -> Result<(), ImapError> {
        self.log(Op::Logout);
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// The SMTP relay

/// A relay that keeps what it was given and answers as told: every send succeeds unless
/// failures are queued ([`StubRelay::fail`]); each send takes `delay` of virtual time.
#[derive(Clone)]
pub struct StubRelay {
    inner: Arc<Mutex<RelayState>>,
    log: Log,
}

struct RelayState {
    failures: VecDeque<Failure>,
    /// Fail every send with this until it is cleared.
    failing: Option<Failure>,
    delay: Duration,
    /// Sends begun.
    started: usize,
    /// (Message-ID, recipients, raw bytes) of every mail accepted.
    accepted: Vec<(String, Vec<String>, Vec<u8>)>,
}

impl StubRelay {
    pub fn new(log: &Log) -> StubRelay {
        StubRelay {
            inner: Arc::new(Mutex::new(RelayState {
                failures: VecDeque::new(),
                failing: None,
                delay: Duration::ZERO,
                started: 0,
                accepted: Vec::new(),
            })),
            log: log.clone(),
        }
    }
    /// The next `n` sends fail with `how`.
    pub fn fail(&self, n: usize, how: Failure) {
        lock(&self.inner)
            .failures
            .extend(std::iter::repeat_n(how, n));
    }
    /// Every send fails with `how` (or none, with `None`).
    pub fn failing(&self, how: Option<Failure>) {
        lock(&self.inner).failing = how;
    }
    /// Each send takes this long.
    pub fn delay(&self, d: Duration) {
        lock(&self.inner).delay = d;
    }
    /// How many sends began (finished or not).
    pub fn started(&self) -> usize {
        lock(&self.inner).started
    }
    /// The mails accepted: (Message-ID, recipients, raw).
    pub fn accepted(&self) -> Vec<(String, Vec<String>, Vec<u8>)> {
        lock(&self.inner).accepted.clone()
    }
    /// The mails accepted whose `X-Ticket-Gateway` header is `value` (`SUP-1; reminder`).
    pub fn accepted_kind(&self, value: &str) -> Vec<(String, Vec<String>, Vec<u8>)> {
        let needle = format!("X-Ticket-Gateway: {value}\r\n");
        self.accepted()
            .into_iter()
            .filter(|(_, _, raw)| String::from_utf8_lossy(raw).contains(&needle))
            .collect()
    }
}

/// The Message-ID of a raw mail, without brackets.
pub fn message_id(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("");
    head.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("message-id")
                .then(|| v.trim().trim_matches(['<', '>']).to_string())
        })
        .unwrap_or_default()
}

impl Relay for StubRelay {
    fn send<'a>(
        &'a self,
        _from: &'a str,
        to: &'a [String],
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SmtpError>> {
        Box::pin(async move {
            let delay = {
                let mut s = lock(&self.inner);
                s.started += 1;
                s.delay
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            let id = message_id(raw);
            let mut s = lock(&self.inner);
            let failure = s.failures.pop_front().or(s.failing);
            let result = match failure {
                None => {
                    s.accepted.push((id.clone(), to.to_vec(), raw.to_vec()));
                    Ok(())
                }
                Some(Failure::Transient) => Err(SmtpError::Connect {
                    addr: "smtp.test:587".into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::ConnectionRefused,
                        "connection refused",
                    ),
                }),
                Some(Failure::Permanent) => Err(SmtpError::Tls {
                    addr: "smtp.test:587".into(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "invalid peer certificate: UnknownIssuer",
                    ),
                }),
                Some(Failure::Refused) => Err(SmtpError::Envelope(
                    "550 5.1.1 recipient address rejected".into(),
                )),
            };
            drop(s);
            self.log.push(Op::Send(
                id,
                result.as_ref().map(|_| ()).map_err(|e| e.to_string()),
            ));
            result
        })
    }
    fn probe(&self) -> BoxFuture<'_, Result<bool, SmtpError>> {
        Box::pin(async { Ok(true) })
    }
}

// ---------------------------------------------------------------------------------------------
// The store, observed

/// The real store, with its commits and flushes written to the log.
pub struct Observed {
    inner: Arc<dyn Store>,
    log: Log,
}

impl Store for Observed {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.inner.ticket(id)
    }
    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError> {
        self.inner.ticket_by_message_id(ids)
    }
    fn next_ticket_id_in(&self, slot: u32) -> Result<TicketId, StoreError> {
        self.inner.next_ticket_id_in(slot)
    }
    fn queue_slot(&self, prefix: &str) -> Result<u32, StoreError> {
        self.inner.queue_slot(prefix)
    }
    fn queue_slots(&self) -> Result<Vec<(u32, String)>, StoreError> {
        self.inner.queue_slots()
    }
    fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        self.inner.tickets()
    }
    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        self.inner.timed_tickets()
    }
    fn visit_tickets_in(
        &self,
        state: ticket_gateway::core::State,
        f: &mut dyn FnMut(Ticket) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.inner.visit_tickets_in(state, f)
    }
    fn outbox_unsent(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox_unsent()
    }
    fn ticket_ids(
        &self,
        state: Option<ticket_gateway::core::State>,
        limit: usize,
    ) -> Result<Vec<TicketId>, StoreError> {
        self.inner.ticket_ids(state, limit)
    }
    fn counts(&self) -> Result<ticket_gateway::store::Counts, StoreError> {
        self.inner.counts()
    }
    fn mail_seen(&self, keys: &[MailKey]) -> Result<Option<MailRecord>, StoreError> {
        self.inner.mail_seen(keys)
    }
    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError> {
        self.inner.mail_record(message_id)
    }
    fn look_up(&self, q: &LookUp<'_>) -> Result<LookedUp, StoreError> {
        self.inner.look_up(q)
    }
    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError> {
        self.inner.mails()
    }
    fn commit(&self, commit: Commit) -> Result<(), StoreError> {
        let id = commit.mail.as_ref().and_then(|m| m.message_id.clone());
        self.inner.commit(commit)?;
        self.log.push(Op::Commit(id));
        Ok(())
    }
    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        self.inner.replies_since(addr, since)
    }
    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError> {
        self.inner.bounced_until(addr)
    }
    fn sender_mails_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        self.inner.sender_mails_since(addr, since)
    }
    fn flood(&self) -> Result<Vec<(String, Vec<FloodItem>, u32)>, StoreError> {
        self.inner.flood()
    }
    fn tickets_of(&self, address: &str) -> Result<Vec<Ticket>, StoreError> {
        self.inner.tickets_of(address)
    }
    fn sent_mail(&self, message_id: &str) -> Result<Option<ReportedMail>, StoreError> {
        self.inner.sent_mail(message_id)
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox()
    }
    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.inner.outbox_pending()
    }
    fn outbox_entry(&self, id: u64) -> Result<Option<OutboxEntry>, StoreError> {
        self.inner.outbox_entry(id)
    }
    fn outbox_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.outbox_raw(id)
    }
    fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.inner.outbox_update(entry)
    }
    fn outbox_sent(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.inner.outbox_sent(entry)
    }
    fn new_outbox_id(&self) -> Result<u64, StoreError> {
        self.inner.new_outbox_id()
    }
    fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush()?;
        self.log.push(Op::Flush);
        Ok(())
    }
    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError> {
        self.inner.watermark(mailbox, uid_validity)
    }
    fn set_watermark(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Result<(), StoreError> {
        self.inner.set_watermark(mailbox, uid_validity, uid)
    }
    fn postgres(&self) -> Option<&ticket_gateway::store::PgStore> {
        self.inner.postgres()
    }
}

// ---------------------------------------------------------------------------------------------
// The daemon

pub const SUPPORT: &str = "support@gateway.test";
pub const STAFF: &str = "staff@gateway.test";
pub const TEAM: &str = "team@gateway.test";
pub const ALICE: &str = "alice@customer.test";

/// The configuration of a harness daemon in `dir`: the servers' addresses are never
/// dialled. `extra` is appended (sections of its own, like `[timers]`).
pub fn config(dir: &Path, extra: &str) -> Config {
    std::fs::write(dir.join("password"), "secret\n").unwrap();
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let toml = format!(
        r#"
[gateway]
address = "{SUPPORT}"
name = "Test Support"
tag_prefix = "SUP"
default_language = "en"
store = "{store}"
templates = "{templates}"

[imap]
host = "imap.test"
username = "{SUPPORT}"
password_file = "password"
poll_interval = "10m"

[smtp]
host = "smtp.test"
username = "{SUPPORT}"
password_file = "password"

[staff]
addresses = ["{STAFF}"]
notify = ["{TEAM}"]

[admin]
listen = "127.0.0.1:0"
{extra}
"#,
        store = dir.join("store").display(),
        templates = templates.display(),
    );
    let path = dir.join("gateway.toml");
    std::fs::write(&path, toml).unwrap();
    Config::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A daemon running on the harness's servers.
pub struct Daemon {
    pub gw: Arc<Gateway>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Daemon {
    /// Opens the store of `config` (observed into `log`) and runs the daemon on `imap` and
    /// `relay`, with its clock at [`START`] when `log` began, following virtual time.
    pub fn start(config: Config, imap: &FakeImap, relay: &StubRelay, log: &Log) -> Daemon {
        let mut gw = ticket_gateway::daemon::open_gateway(config, Duration::from_secs(5))
            .expect("gateway opens");
        gw.store = Arc::new(Observed {
            inner: gw.store.clone(),
            log: log.clone(),
        });
        gw.clock = Clock::Tokio {
            at: START,
            since: log.began,
        };
        let gw = Arc::new(gw);
        let (tx, rx) = oneshot::channel::<()>();
        let (g, imap, relay) = (gw.clone(), imap.clone(), relay.clone());
        let task = tokio::spawn(async move {
            ticket_gateway::daemon::run_on(g, imap, Arc::new(relay), async {
                let _ = rx.await;
            })
            .await
            .expect("daemon runs");
        });
        Daemon {
            gw,
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the daemon as SIGTERM would, waits for it, and closes the store.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task
            .take()
            .expect("running")
            .await
            .expect("daemon task");
        assert_eq!(
            Arc::strong_count(&self.gw),
            1,
            "a task still holds the gateway"
        );
    }

    pub fn ticket(&self, id: u64) -> Option<Ticket> {
        self.gw.store.ticket(TicketId(id)).expect("store reads")
    }
}

/// Waits, in virtual time, until `done` holds; fails after `limit` of virtual time. Each
/// step lets the daemon's tasks run until they all wait (tokio advances the paused clock
/// only then), so the daemon's timers fire at their exact virtual times.
pub async fn until(what: &str, limit: Duration, step: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "not within {limit:?} of virtual time: {what}"
        );
        tokio::time::sleep(step).await;
    }
}

/// A plain-text mail as a client writes it.
pub fn mail(from: &str, subject: &str, body: &str, message_id: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{message_id}>\r\n{extra}MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{}\r\n",
        body.replace('\n', "\r\n")
    )
    .into_bytes()
}
