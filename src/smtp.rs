//! SMTP adapter: a small pool of lettre SMTP connections of our own, and errors that say
//! transient or permanent.
//!
//! Why not lettre's `AsyncSmtpTransport`: its pool tests every connection with a NOOP before
//! each mail, and its sockets keep Nagle's algorithm on. lettre writes a message and its final
//! `.` in two writes, so with Nagle each mail waits for the server's delayed ACK (40 ms on
//! Linux): 20-odd mails a second per connection. Here each socket has `TCP_NODELAY`, an idle
//! connection is reused as it is, and a reused connection that turns out to be dead is
//! replaced once, transparently.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures::future::BoxFuture;
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::commands::Auth as AuthCommand;
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use crate::config::{Auth, SmtpConfig, Tls};
use crate::oauth2::{sasl_error_ack, sasl_response, AccessToken, OAuth2Error, TokenSource};

/// Connections kept open between mails.
const MAX_IDLE: usize = 16;
/// How long one connection attempt, or one mail's exchange, may take.
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum SmtpError {
    #[error("smtp setup: {0}")]
    Setup(String),
    #[error("smtp: {source}")]
    Send {
        #[source]
        source: lettre::transport::smtp::Error,
    },
    #[error("smtp {addr}: {source}")]
    Connect {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("smtp {addr}: tls: {source}")]
    Tls {
        addr: String,
        #[source]
        source: io::Error,
    },
    #[error("smtp {addr}: the server did not answer within {TIMEOUT:?}")]
    Timeout { addr: String },
    #[error("invalid envelope: {0}")]
    Envelope(String),
    /// The password cannot be read (its file or environment variable), named by its key.
    #[error(transparent)]
    Password(#[from] crate::config::SecretError),
    /// No OAuth2 access token could be had (the token endpoint's words are in the source).
    #[error("no oauth2 access token for the smtp login")]
    Token(#[from] OAuth2Error),
    /// The server refused the OAuth2 login, also with a renewed token.
    #[error("smtp server refused {mechanism} login for {username}: {detail}")]
    AuthRefused {
        mechanism: &'static str,
        username: String,
        detail: String,
    },
}

impl SmtpError {
    /// 4xx answers and connection trouble are worth a retry; 5xx, bad envelopes and a
    /// certificate the gateway does not trust are not.
    pub fn is_transient(&self) -> bool {
        match self {
            SmtpError::Setup(_) | SmtpError::Envelope(_) => false,
            SmtpError::Send { source } => !source.is_permanent(),
            SmtpError::Connect { .. } | SmtpError::Timeout { .. } => true,
            SmtpError::Tls { source, .. } => source.kind() != io::ErrorKind::InvalidData,
            // The account's token, not the mail, is at fault: the mail waits (and health
            // and the log say why) until the operator has renewed the grant.
            SmtpError::Token(_) | SmtpError::AuthRefused { .. } | SmtpError::Password(_) => true,
        }
    }

    /// True when the server or the account is at fault, not the mail: no connection, an
    /// untrusted certificate, a refused login. Such a failure says nothing about the mail,
    /// which must not die of it, even when it is permanent.
    pub(crate) fn blames_the_link(&self) -> bool {
        match self {
            SmtpError::Setup(_)
            | SmtpError::Connect { .. }
            | SmtpError::Tls { .. }
            | SmtpError::Timeout { .. }
            | SmtpError::Token(_)
            | SmtpError::Password(_)
            | SmtpError::AuthRefused { .. } => true,
            SmtpError::Envelope(_) => false,
            // 530 authentication required, 534 mechanism too weak, 535 credentials invalid.
            SmtpError::Send { source } => source
                .status()
                .is_some_and(|c| matches!(c.to_string().as_str(), "530" | "534" | "535")),
        }
    }

    /// The source error, for callers that explain failures (`check`).
    pub fn lettre(&self) -> Option<&lettre::transport::smtp::Error> {
        match self {
            SmtpError::Send { source } => Some(source),
            _ => None,
        }
    }
}

/// What the outbox and the health probe need of the SMTP server: the seam between the daemon
/// and the server. [`Smtp`] is the real one; tests/it/daemon.rs puts a stub that records
/// what it was given and fails when told to, under the same outbox code.
pub trait Relay: Send + Sync {
    /// Sends raw bytes to `to`, envelope sender `from`.
    fn send<'a>(
        &'a self,
        from: &'a str,
        to: &'a [String],
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SmtpError>>;
    /// Whether the server answers (TLS and EHLO, no login): the health probe.
    fn probe(&self) -> BoxFuture<'_, Result<bool, SmtpError>>;
}

impl Relay for Smtp {
    fn send<'a>(
        &'a self,
        from: &'a str,
        to: &'a [String],
        raw: &'a [u8],
    ) -> BoxFuture<'a, Result<(), SmtpError>> {
        Box::pin(Smtp::send(self, from, to, raw))
    }
    fn probe(&self) -> BoxFuture<'_, Result<bool, SmtpError>> {
        Box::pin(Smtp::probe(self))
    }
}

/// The outgoing transport: cheap to clone, shared by the outbox workers.
#[derive(Clone)]
pub struct Smtp {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: SmtpConfig,
    addr: String,
    /// For STARTTLS (lettre upgrades the stream).
    starttls: Option<TlsParameters>,
    /// For implicit TLS (we wrap the socket ourselves).
    implicit: Option<TlsConnector>,
    hello: ClientId,
    idle: Mutex<Vec<AsyncSmtpConnection>>,
    /// For `smtp.auth` = `xoauth2` | `oauthbearer`.
    tokens: Option<Arc<TokenSource>>,
}

impl Smtp {
    pub fn new(cfg: &SmtpConfig) -> Result<Smtp, SmtpError> {
        Smtp::with_tokens(cfg, None)
    }

    /// [`Smtp::new`], with the access tokens an OAuth2 `smtp.auth` logs in with.
    pub(crate) fn with_tokens(
        cfg: &SmtpConfig,
        tokens: Option<Arc<TokenSource>>,
    ) -> Result<Smtp, SmtpError> {
        if cfg.auth.is_oauth2() && tokens.is_none() && !cfg.username.is_empty() {
            return Err(SmtpError::Setup(format!(
                "smtp.auth = {} needs an access token, and no [oauth2] token source was given",
                cfg.auth.mechanism().to_ascii_lowercase()
            )));
        }
        let mut starttls = None;
        let mut implicit = None;
        match cfg.tls {
            Tls::StartTls => {
                let mut b = TlsParameters::builder(cfg.host.clone());
                if let Some(ca) = &cfg.ca_file {
                    // The same reading of the CA file as the IMAP side and implicit TLS.
                    let certs = crate::tls::read_ca_file(ca)
                        .map_err(|e| SmtpError::Setup(format!("smtp.ca_file: {e}")))?;
                    for (n, der) in certs {
                        let c = Certificate::from_der(der.to_vec()).map_err(|e| {
                            SmtpError::Setup(format!(
                                "smtp.ca_file {}: certificate {n}: {e}",
                                ca.display()
                            ))
                        })?;
                        b = b.add_root_certificate(c);
                    }
                }
                starttls = Some(
                    b.build_rustls()
                        .map_err(|e| SmtpError::Setup(format!("tls: {e}")))?,
                );
            }
            Tls::Implicit => {
                let config = crate::tls::client_config(cfg.ca_file.as_deref())
                    .map_err(|e| SmtpError::Setup(e.to_string()))?;
                implicit = Some(TlsConnector::from(config));
            }
            Tls::None => {}
        }
        Ok(Smtp {
            inner: Arc::new(Inner {
                addr: format!("{}:{}", cfg.host, cfg.port),
                cfg: cfg.clone(),
                starttls,
                implicit,
                hello: ClientId::default(),
                idle: Mutex::new(Vec::new()),
                tokens,
            }),
        })
    }

    /// A new connection: TCP (no Nagle), TLS as configured, EHLO, and AUTH when a user is set
    /// and `login` is asked for.
    async fn connect(&self, login: bool) -> Result<AsyncSmtpConnection, SmtpError> {
        let i = &self.inner;
        let addr = || i.addr.clone();
        // The token first: without one there is no point in a connection.
        let oauth2 = match (&i.tokens, login && !i.cfg.username.is_empty()) {
            (Some(tokens), true) if i.cfg.auth.is_oauth2() => Some((tokens, tokens.token().await?)),
            _ => None,
        };
        let host = i.cfg.host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host, i.cfg.port))
            .await
            .map_err(|source| SmtpError::Connect {
                addr: addr(),
                source,
            })?;
        tcp.set_nodelay(true).map_err(|source| SmtpError::Connect {
            addr: addr(),
            source,
        })?;
        let send = |source| SmtpError::Send { source };
        let mut conn = match (&i.implicit, &i.starttls) {
            (Some(connector), _) => {
                let name = ServerName::try_from(host.to_string())
                    .map_err(|e| SmtpError::Setup(format!("smtp.host '{host}': {e}")))?;
                let tls = connector
                    .connect(name, tcp)
                    .await
                    .map_err(|source| SmtpError::Tls {
                        addr: addr(),
                        source,
                    })?;
                AsyncSmtpConnection::connect_with_transport(Box::new(TlsSocket(tls)), &i.hello)
                    .await
                    .map_err(send)?
            }
            (None, Some(params)) => {
                let mut c = AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &i.hello)
                    .await
                    .map_err(send)?;
                if !c.can_starttls() {
                    return Err(SmtpError::Setup(format!(
                        "{}: the server does not offer STARTTLS (smtp.tls = \"starttls\"); refusing to send in clear",
                        i.addr
                    )));
                }
                c.starttls(params.clone(), &i.hello).await.map_err(send)?;
                c
            }
            (None, None) => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &i.hello)
                .await
                .map_err(send)?,
        };
        if let Some((tokens, token)) = oauth2 {
            self.oauth2_login(&mut conn, tokens, token).await?;
        } else if login && !i.cfg.username.is_empty() {
            let password = i.cfg.password.read()?;
            let credentials =
                Credentials::new(i.cfg.username.clone(), password.expose().to_string());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .await
                .map_err(send)?;
        }
        Ok(conn)
    }

    /// SASL XOAUTH2 (lettre's mechanism) or OAUTHBEARER (RFC 7628, which lettre lacks)
    /// with `token`; a refused token is renewed once.
    async fn oauth2_login(
        &self,
        conn: &mut AsyncSmtpConnection,
        tokens: &TokenSource,
        mut token: AccessToken,
    ) -> Result<(), SmtpError> {
        let cfg = &self.inner.cfg;
        loop {
            let Some(words) = sasl_exchange(conn, cfg.auth, &cfg.username, &token).await? else {
                return Ok(());
            };
            match tokens.refused(&token).await? {
                Some(renewed) => token = renewed,
                None => {
                    return Err(SmtpError::AuthRefused {
                        mechanism: cfg.auth.mechanism(),
                        username: cfg.username.clone(),
                        detail: format!("{words}; the access token was refused, also when renewed"),
                    })
                }
            }
        }
    }

    async fn connect_timed(&self, login: bool) -> Result<AsyncSmtpConnection, SmtpError> {
        tokio::time::timeout(TIMEOUT, self.connect(login))
            .await
            .map_err(|_| SmtpError::Timeout {
                addr: self.inner.addr.clone(),
            })?
    }

    fn put_back(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        if let Ok(mut idle) = self.inner.idle.lock() {
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
        }
    }

    /// One mail over one connection; the connection comes back when it is still usable.
    async fn send_on(
        &self,
        mut conn: AsyncSmtpConnection,
        envelope: &Envelope,
        raw: &[u8],
    ) -> Result<(), (SmtpError, bool)> {
        match tokio::time::timeout(TIMEOUT, conn.send(envelope, raw)).await {
            Ok(Ok(_)) => {
                self.put_back(conn);
                Ok(())
            }
            // The server answered: the connection is fine, the answer is the verdict.
            Ok(Err(e)) if e.is_response() => {
                self.put_back(conn);
                Err((SmtpError::Send { source: e }, true))
            }
            Ok(Err(e)) => Err((SmtpError::Send { source: e }, false)),
            Err(_) => Err((
                SmtpError::Timeout {
                    addr: self.inner.addr.clone(),
                },
                false,
            )),
        }
    }

    /// Sends raw bytes to `to`, envelope sender `from`.
    pub async fn send(&self, from: &str, to: &[String], raw: &[u8]) -> Result<(), SmtpError> {
        let from = from
            .parse()
            .map_err(|_| SmtpError::Envelope(format!("bad sender {from}")))?;
        let rcpt = to
            .iter()
            .map(|a| a.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| SmtpError::Envelope(format!("bad recipient in {to:?}")))?;
        let envelope =
            Envelope::new(Some(from), rcpt).map_err(|e| SmtpError::Envelope(e.to_string()))?;
        let pooled = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
        if let Some(conn) = pooled {
            match self.send_on(conn, &envelope, raw).await {
                Ok(()) => return Ok(()),
                Err((e, true)) => return Err(e),
                // An idle connection the server had closed: try once on a fresh one.
                Err((_, false)) => {}
            }
        }
        let conn = self.connect_timed(true).await?;
        self.send_on(conn, &envelope, raw).await.map_err(|(e, _)| e)
    }

    /// Connects, logs in and says goodbye (for `check`: a wrong password shows here).
    pub(crate) async fn test_connection(&self) -> Result<bool, SmtpError> {
        self.hello_and_goodbye(true).await
    }

    /// Connects (TLS and EHLO, no AUTH) and says goodbye: the health probe. Login failures
    /// show in the outbox's own errors; a probe must not depend on the server's SASL backend.
    pub async fn probe(&self) -> Result<bool, SmtpError> {
        self.hello_and_goodbye(false).await
    }

    async fn hello_and_goodbye(&self, login: bool) -> Result<bool, SmtpError> {
        let mut conn = self.connect_timed(login).await?;
        let ok = conn.test_connected().await;
        let _ = conn.quit().await;
        Ok(ok)
    }
}

/// One OAuth2 AUTH exchange: `None` when the server accepted the token, else its words (the
/// final answer and the SASL error it sent as a challenge).
async fn sasl_exchange(
    conn: &mut AsyncSmtpConnection,
    auth: Auth,
    username: &str,
    token: &AccessToken,
) -> Result<Option<String>, SmtpError> {
    let send = |source| SmtpError::Send { source };
    let first = match auth {
        Auth::XOAuth2 | Auth::Password => {
            let credentials = Credentials::new(username.to_string(), token.expose().to_string());
            conn.command(AuthCommand::new(Mechanism::Xoauth2, credentials, None).map_err(send)?)
                .await
        }
        Auth::OAuthBearer => {
            let response = sasl_response(auth, username, token.expose());
            conn.command(Line(format!("AUTH OAUTHBEARER {}", B64.encode(response))))
                .await
        }
    };
    match first {
        Ok(r) if r.has_code(334) => {
            // The server's error status (JSON), then its final answer to our acknowledgement.
            let challenge = r
                .first_word()
                .and_then(|w| B64.decode(w).ok())
                .map(|b| String::from_utf8_lossy(&b).trim().to_string())
                .unwrap_or_default();
            let end = match conn.command(Line(B64.encode(sasl_error_ack(auth)))).await {
                Ok(r) => answer_text(&r),
                // The server's final 5xx/4xx (or an answer lettre could not parse).
                Err(e) if e.status().is_some() || e.is_response() => e.to_string(),
                Err(e) => return Err(send(e)),
            };
            Ok(Some(if challenge.is_empty() {
                end
            } else {
                format!("{end} (sasl: {challenge})")
            }))
        }
        Ok(r) if r.code().is_positive() => Ok(None),
        Ok(r) => Ok(Some(answer_text(&r))),
        Err(e) if e.is_permanent() => Ok(Some(e.to_string())),
        Err(e) => Err(send(e)),
    }
}

fn answer_text(r: &lettre::transport::smtp::response::Response) -> String {
    format!("{} {}", r.code(), r.message().collect::<Vec<_>>().join(" "))
}

/// One raw command line (lettre adds nothing; the line ends here).
struct Line(String);

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// A rustls stream that lettre can drive (it wants its own stream trait).
struct TlsSocket(tokio_rustls::client::TlsStream<TcpStream>);

impl fmt::Debug for TlsSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsSocket")
    }
}

impl AsyncRead for TlsSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsSocket {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}
