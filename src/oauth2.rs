//! OAuth2 access tokens for the IMAP and SMTP logins (SPEC §5.4): the token source.
//!
//! [`TokenSource`] gets an access token from `[oauth2].token_url` (refresh-token grant, or
//! client-credentials grant when no refresh token is configured), keeps it in memory, and
//! renews it shortly before it expires. When a mail server refuses a token the caller says so
//! ([`TokenSource::refused`]) and gets one renewed token to try; a refusal of that one is
//! final for this login. A refusal by the token endpoint itself (a revoked refresh token, a
//! wrong client secret) is kept, with the endpoint's own words, and returned without asking
//! again for [`REFUSAL_PAUSE`] or until the refresh-token file changes: no fast retry loop.
//!
//! The HTTP exchange is one HTTP/1.1 request over hyper, TLS by tokio-rustls with the roots
//! of [`crate::tls`] (plus `oauth2.ca_file`); plain http only to a loopback address.
//! Tokens and secrets are never logged; [`AccessToken`]'s `Debug` is redacted.
//!
//! This module also knows the two SASL messages that carry a token ([`sasl_response`]); it
//! talks to no mail server.

use std::fmt;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, USER_AGENT};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;
use tracing::{info, warn};

use crate::config::{Auth, OAuth2Config, Secret, SecretError, SecretSource};
use crate::tls::TlsError;

/// TCP connect, TLS handshake and the whole HTTP exchange, each.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Longest token-endpoint answer read.
const MAX_ANSWER: usize = 64 * 1024;
/// Lifetime assumed when the endpoint does not say (`expires_in` is RECOMMENDED only).
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// A token is renewed this long before it expires, or at three quarters of its lifetime
/// when that is shorter (tokens of a few seconds in tests).
const RENEW_MARGIN: Duration = Duration::from_secs(60);
/// How long a refusal by the token endpoint is kept before the endpoint is asked again
/// (unless the refresh-token file changes first).
pub(crate) const REFUSAL_PAUSE: Duration = Duration::from_secs(300);

// ---------------------------------------------------------------------------------------------
// Errors

/// Why no access token could be had. [`OAuth2Error::is_transient`]: worth a retry later.
#[derive(Debug, thiserror::Error)]
pub enum OAuth2Error {
    #[error("oauth2.token_url '{0}' is not usable")]
    Url(String),
    #[error("cannot set up tls for the token endpoint")]
    TlsSetup(#[from] TlsError),
    #[error("cannot reach the token endpoint {url}")]
    Connect {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("token endpoint {url}: {detail}")]
    Http { url: String, detail: String },
    /// 429 or 5xx: the endpoint is there but cannot answer now.
    #[error("token endpoint {url} is unavailable ({status}): {words}")]
    Unavailable {
        url: String,
        status: u16,
        words: String,
    },
    /// A 4xx answer: the grant itself was refused (revoked or expired refresh token, wrong
    /// client secret, unknown client, scope not allowed). `words` are the endpoint's.
    #[error("token endpoint {url} refused the {grant}: {words}")]
    Refused {
        url: String,
        grant: &'static str,
        words: String,
    },
    #[error("token endpoint {url} answered without a usable access token: {detail}")]
    BadAnswer { url: String, detail: String },
    /// The client secret or the refresh token cannot be read, named by its key.
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl OAuth2Error {
    /// Network trouble and 429/5xx answers may pass; a refused grant or an unusable setup
    /// needs the operator.
    pub fn is_transient(&self) -> bool {
        match self {
            OAuth2Error::Connect { .. }
            | OAuth2Error::Http { .. }
            | OAuth2Error::Unavailable { .. }
            | OAuth2Error::BadAnswer { .. } => true,
            OAuth2Error::Url(_)
            | OAuth2Error::TlsSetup(_)
            | OAuth2Error::Refused { .. }
            | OAuth2Error::Secret(_) => false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens and the cache (pure: time comes in as an argument)

/// An access token handed to a login.
#[derive(Clone)]
pub struct AccessToken {
    secret: Secret,
    /// Which token of the cache this is (each grant makes the next one).
    generation: u64,
    /// Obtained for this very login (a renewal), not taken from the cache: if the server
    /// refuses it, renewing again would not help.
    fresh: bool,
    expires_at: Instant,
}

impl AccessToken {
    pub(crate) fn expose(&self) -> &str {
        self.secret.expose()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[redacted]")
            .field("generation", &self.generation)
            .field("fresh", &self.fresh)
            .finish()
    }
}

#[derive(Clone)]
struct Held {
    token: AccessToken,
    renew_at: Instant,
}

/// What the cache says to do for a login.
#[derive(Debug)]
enum Lookup {
    /// A token that is not due for renewal.
    Use(AccessToken),
    /// Ask the token endpoint.
    Fetch,
    /// The endpoint refused the grant a short while ago: report that again.
    Refused(String),
}

/// The token in hand, and the last refusal of the token endpoint.
#[derive(Default)]
struct Cache {
    held: Option<Held>,
    generation: u64,
    /// The endpoint's refusal (rendered) and until when it stands.
    refusal: Option<(String, Instant)>,
}

impl Cache {
    fn lookup(&self, now: Instant) -> Lookup {
        if let Some(h) = &self.held {
            if now < h.renew_at {
                let mut token = h.token.clone();
                token.fresh = false;
                return Lookup::Use(token);
            }
        }
        match &self.refusal {
            Some((words, until)) if now < *until => Lookup::Refused(words.clone()),
            _ => Lookup::Fetch,
        }
    }

    /// Keeps a token the endpoint just granted, valid for `lifetime` from `now`.
    fn granted(&mut self, secret: Secret, lifetime: Duration, now: Instant) -> AccessToken {
        self.generation += 1;
        let margin = RENEW_MARGIN.min(lifetime / 4);
        let token = AccessToken {
            secret,
            generation: self.generation,
            fresh: true,
            expires_at: now + lifetime,
        };
        self.held = Some(Held {
            token: token.clone(),
            renew_at: now + lifetime - margin,
        });
        self.refusal = None;
        token
    }

    /// The token endpoint refused the grant: nothing is held, and the refusal stands for
    /// [`REFUSAL_PAUSE`].
    fn refused_grant(&mut self, words: String, now: Instant) {
        self.held = None;
        self.refusal = Some((words, now + REFUSAL_PAUSE));
    }

    /// The refusal no longer stands (the refresh-token file changed).
    fn forget_refusal(&mut self) {
        self.refusal = None;
    }

    /// A mail server refused `token`. It is dropped (unless a newer one is held already);
    /// true when a renewed token is worth one more try, false when `token` was itself a
    /// renewal for this login.
    fn refused_by_server(&mut self, token: &AccessToken) -> bool {
        if self
            .held
            .as_ref()
            .is_some_and(|h| h.token.generation == token.generation)
        {
            self.held = None;
        }
        !token.fresh
    }

    /// A token newer than `than`, if one is held (another login renewed it meanwhile).
    fn newer(&self, than: &AccessToken, now: Instant) -> Option<AccessToken> {
        let h = self.held.as_ref()?;
        (h.token.generation > than.generation && now < h.token.expires_at).then(|| {
            let mut t = h.token.clone();
            t.fresh = true;
            t
        })
    }
}

// ---------------------------------------------------------------------------------------------
// The token source

/// Access tokens for the gateway's account, shared by the IMAP and SMTP sides.
pub struct TokenSource {
    cfg: OAuth2Config,
    url: url::Url,
    tls: Option<TlsConnector>,
    cache: Mutex<Cache>,
    /// One grant at a time: logins that find the token due wait for the one in flight.
    granting: tokio::sync::Mutex<()>,
    /// The refresh token to send: the file's content, or the one the endpoint sent back
    /// with the last grant (rotation); with the file content it came from.
    refresh: Mutex<Option<(Secret, String)>>,
    /// The file the refresh token was read from (read again before each grant).
    refresh_path: Option<PathBuf>,
    /// For `/healthz`: when the last grant worked (`None`: none asked for yet), or why not.
    last: Mutex<Result<Option<Instant>, String>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("token_url", &self.cfg.token_url)
            .field("client_id", &self.cfg.client_id)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    pub fn new(cfg: &OAuth2Config) -> Result<Arc<TokenSource>, OAuth2Error> {
        let url =
            url::Url::parse(&cfg.token_url).map_err(|_| OAuth2Error::Url(cfg.token_url.clone()))?;
        let tls = match url.scheme() {
            "https" => Some(TlsConnector::from(crate::tls::client_config(
                cfg.ca_file.as_deref(),
            )?)),
            "http" if url.host().is_some_and(|h| crate::config::is_loopback(&h)) => None,
            _ => return Err(OAuth2Error::Url(cfg.token_url.clone())),
        };
        let (refresh, refresh_path) = match &cfg.refresh_token {
            Some(source) => {
                let (s, path) = source.read_from()?;
                (Some((s.clone(), s.expose().to_string())), path)
            }
            None => (None, None),
        };
        Ok(Arc::new(TokenSource {
            cfg: cfg.clone(),
            url,
            tls,
            refresh_path,
            cache: Mutex::new(Cache::default()),
            granting: tokio::sync::Mutex::new(()),
            refresh: Mutex::new(refresh),
            last: Mutex::new(Ok(None)),
        }))
    }

    /// An access token for a login: the one in hand unless it is due for renewal.
    pub async fn token(&self) -> Result<AccessToken, OAuth2Error> {
        if let Lookup::Use(t) = lock(&self.cache).lookup(Instant::now()) {
            return Ok(t);
        }
        let _granting = self.granting.lock().await;
        let lookup = lock(&self.cache).lookup(Instant::now());
        match lookup {
            Lookup::Use(t) => Ok(t),
            Lookup::Fetch => self.grant().await,
            Lookup::Refused(words) => {
                if self.refresh_file_changed() {
                    lock(&self.cache).forget_refusal();
                    return self.grant().await;
                }
                Err(OAuth2Error::Refused {
                    url: self.cfg.token_url.clone(),
                    grant: self.grant_name(),
                    words,
                })
            }
        }
    }

    /// The mail server refused `token`: a renewed token to try once more, or `None` when
    /// `token` was already a renewal (the refusal is final for this login).
    pub async fn refused(&self, token: &AccessToken) -> Result<Option<AccessToken>, OAuth2Error> {
        if !lock(&self.cache).refused_by_server(token) {
            return Ok(None);
        }
        let _granting = self.granting.lock().await;
        if let Some(t) = lock(&self.cache).newer(token, Instant::now()) {
            return Ok(Some(t));
        }
        // A standing refusal is not re-asked here either (see `token`).
        if let Lookup::Refused(words) = lock(&self.cache).lookup(Instant::now()) {
            if !self.refresh_file_changed() {
                return Err(OAuth2Error::Refused {
                    url: self.cfg.token_url.clone(),
                    grant: self.grant_name(),
                    words,
                });
            }
        }
        self.grant().await.map(Some)
    }

    /// `Ok(detail)` while the last grant worked (or none was needed yet), else the reason (for
    /// `/healthz`).
    pub fn status(&self) -> Result<String, String> {
        match &*lock(&self.last) {
            Ok(None) => Ok(format!(
                "{}; no access token needed yet",
                self.cfg.token_url
            )),
            Ok(Some(at)) => {
                let held = lock(&self.cache)
                    .held
                    .as_ref()
                    .map(|h| h.token.expires_at.saturating_duration_since(Instant::now()));
                Ok(match held {
                    Some(left) => format!(
                        "{}; access token valid {} s more",
                        self.cfg.token_url,
                        left.as_secs()
                    ),
                    None => format!(
                        "{}; last token granted {} s ago",
                        self.cfg.token_url,
                        at.elapsed().as_secs()
                    ),
                })
            }
            Err(e) => Err(e.clone()),
        }
    }

    fn grant_name(&self) -> &'static str {
        if self.cfg.refresh_token.is_some() {
            "refresh token"
        } else {
            "client credentials"
        }
    }

    /// Has the operator put another refresh token in the file since it was last read?
    fn refresh_file_changed(&self) -> bool {
        let Some(path) = &self.refresh_path else {
            return false;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            return false;
        };
        let text = text.trim().to_string();
        let mut refresh = lock(&self.refresh);
        match &*refresh {
            Some((_, from_file)) if *from_file == text => false,
            _ => {
                *refresh = Some((Secret::new(text.clone()), text));
                true
            }
        }
    }

    /// The endpoint sent a new refresh token (rotation, as Microsoft's does): the old one
    /// may be dead already, so the new one is used from now on and written back to the file
    /// it replaces, so that a restart does not start from a revoked token. The file is
    /// replaced whole (a private temporary file beside it, synced, renamed over it): a crash
    /// leaves the old token or the new one, never a part. A file that cannot be written (a
    /// read-only systemd credential) keeps the token in memory only, and the log says so.
    fn keep_rotated(&self, rotated: Secret) {
        let mut refresh = lock(&self.refresh);
        let Some((held, from_file)) = refresh.as_mut() else {
            return;
        };
        if held.expose() == rotated.expose() {
            return;
        }
        *held = rotated;
        let Some(path) = &self.refresh_path else {
            return;
        };
        match write_secret_file(path, held.expose()) {
            // The file holds what is held now: not a token the operator put there.
            Ok(()) => *from_file = held.expose().to_string(),
            Err(e) => warn!(
                file = %path.display(),
                error = %e,
                "oauth2: the endpoint rotated the refresh token, and it cannot be written back: \
                 it is kept in memory only, and a restart reads the old one from the file"
            ),
        }
    }

    /// One grant at the token endpoint; the cache and the health line record the outcome.
    async fn grant(&self) -> Result<AccessToken, OAuth2Error> {
        self.refresh_file_changed();
        let refresh = lock(&self.refresh).as_ref().map(|(s, _)| s.clone());
        let mut form: Vec<(&str, &str)> = Vec::new();
        match &refresh {
            Some(token) => {
                form.push(("grant_type", "refresh_token"));
                form.push(("refresh_token", token.expose()));
            }
            None => form.push(("grant_type", "client_credentials")),
        }
        form.push(("client_id", &self.cfg.client_id));
        let client_secret = match &self.cfg.client_secret {
            SecretSource::Unused => None,
            source => Some(source.read()?),
        };
        if let Some(secret) = &client_secret {
            form.push(("client_secret", secret.expose()));
        }
        if !self.cfg.scope.is_empty() {
            form.push(("scope", &self.cfg.scope));
        }
        let answer = tokio::time::timeout(TIMEOUT, self.post(&form))
            .await
            .unwrap_or_else(|_| {
                Err(OAuth2Error::Http {
                    url: self.cfg.token_url.clone(),
                    detail: format!("no answer within {} s", TIMEOUT.as_secs()),
                })
            })
            .and_then(|(status, body)| {
                read_answer(status, &body).map_err(|e| match e {
                    AnswerError::Refused(words) => OAuth2Error::Refused {
                        url: self.cfg.token_url.clone(),
                        grant: self.grant_name(),
                        words,
                    },
                    AnswerError::Unavailable(words) => OAuth2Error::Unavailable {
                        url: self.cfg.token_url.clone(),
                        status,
                        words,
                    },
                    AnswerError::Bad(detail) => OAuth2Error::BadAnswer {
                        url: self.cfg.token_url.clone(),
                        detail,
                    },
                })
            });
        let now = Instant::now();
        match answer {
            Ok(granted) => {
                if let Some(rotated) = granted.refresh_token {
                    self.keep_rotated(rotated);
                }
                let was_down = !matches!(*lock(&self.last), Ok(Some(_)));
                *lock(&self.last) = Ok(Some(now));
                if was_down {
                    info!(token_url = %self.cfg.token_url, lifetime_s = granted.lifetime.as_secs(), "oauth2 access token granted");
                }
                Ok(lock(&self.cache).granted(granted.access_token, granted.lifetime, now))
            }
            Err(e) => {
                let words = crate::telemetry::chain(&e);
                if let OAuth2Error::Refused { words: w, .. } = &e {
                    lock(&self.cache).refused_grant(w.clone(), now);
                }
                let mut last = lock(&self.last);
                if last.as_ref().err() != Some(&words) {
                    warn!(error = %words, transient = e.is_transient(), "oauth2: no access token");
                }
                *last = Err(words);
                Err(e)
            }
        }
    }

    /// POSTs the form to the token endpoint; the status and the body.
    async fn post(&self, form: &[(&str, &str)]) -> Result<(u16, Bytes), OAuth2Error> {
        let url = &self.url;
        let http = |detail: String| OAuth2Error::Http {
            url: self.cfg.token_url.clone(),
            detail,
        };
        let host = url
            .host_str()
            .ok_or_else(|| OAuth2Error::Url(self.cfg.token_url.clone()))?;
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let port = url.port_or_known_default().unwrap_or(443);
        let tcp =
            TcpStream::connect((bare, port))
                .await
                .map_err(|source| OAuth2Error::Connect {
                    url: self.cfg.token_url.clone(),
                    source,
                })?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = Request::post(path)
            .header(HOST, authority)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header(
                USER_AGENT,
                concat!("ticket-gateway/", env!("CARGO_PKG_VERSION")),
            )
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| http(e.to_string()))?;
        let exchange =
            match &self.tls {
                Some(connector) => {
                    let name = ServerName::try_from(bare.to_string())
                        .map_err(|_| OAuth2Error::Url(self.cfg.token_url.clone()))?;
                    let tls = connector.connect(name, tcp).await.map_err(|source| {
                        OAuth2Error::Connect {
                            url: self.cfg.token_url.clone(),
                            source,
                        }
                    })?;
                    exchange(TokioIo::new(tls), request).await
                }
                None => exchange(TokioIo::new(tcp), request).await,
            };
        exchange.map_err(http)
    }
}

/// One request on a fresh HTTP/1.1 connection: the status and the body (at most
/// [`MAX_ANSWER`] bytes).
async fn exchange<I>(io: I, request: Request<Full<Bytes>>) -> Result<(u16, Bytes), String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(async move {
        let _ = conn.await;
    });
    let result = async {
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER)
            .collect()
            .await
            .map_err(|e| format!("reading the answer: {e}"))?
            .to_bytes();
        Ok((status, body))
    }
    .await;
    conn.abort();
    result
}

// ---------------------------------------------------------------------------------------------
// The endpoint's answer (pure)

#[derive(Debug)]
struct Granted {
    access_token: Secret,
    lifetime: Duration,
    refresh_token: Option<Secret>,
}

#[derive(Debug, PartialEq, Eq)]
enum AnswerError {
    /// 4xx: the endpoint's words (`error: error_description`).
    Refused(String),
    /// 429, 5xx.
    Unavailable(String),
    /// 2xx without a token, or not JSON.
    Bad(String),
}

#[derive(Deserialize)]
struct Answer {
    access_token: Option<String>,
    expires_in: Option<serde_json::Value>,
    refresh_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// RFC 6749 §5.1/§5.2: a token, or the reason in the endpoint's words.
fn read_answer(status: u16, body: &[u8]) -> Result<Granted, AnswerError> {
    let answer = serde_json::from_slice::<Answer>(body).ok();
    if !(200..300).contains(&status) {
        let words = match &answer {
            Some(Answer {
                error: Some(error),
                error_description,
                ..
            }) => match error_description.as_deref().map(str::trim) {
                Some(d) if !d.is_empty() => format!("{error}: {d}"),
                _ => error.clone(),
            },
            _ => {
                let text = String::from_utf8_lossy(body);
                let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                let text: String = text.chars().take(200).collect();
                format!(
                    "HTTP {status}{}{text}",
                    if text.is_empty() { "" } else { ": " }
                )
            }
        };
        return Err(if status == 429 || status >= 500 {
            AnswerError::Unavailable(words)
        } else {
            AnswerError::Refused(words)
        });
    }
    let answer = answer.ok_or_else(|| AnswerError::Bad("the answer is not JSON".into()))?;
    let token = answer
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AnswerError::Bad("no access_token in the answer".into()))?;
    // Some endpoints send expires_in as a string ("3599").
    let lifetime = match answer.expires_in {
        Some(serde_json::Value::Number(n)) => n.as_f64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|s| s.is_finite() && *s > 0.0)
    .map(Duration::from_secs_f64)
    .unwrap_or(DEFAULT_LIFETIME);
    Ok(Granted {
        access_token: Secret::new(token),
        lifetime,
        refresh_token: answer
            .refresh_token
            .filter(|t| !t.is_empty())
            .map(Secret::new),
    })
}

// ---------------------------------------------------------------------------------------------
// SASL

/// The client's SASL message for `auth` (before base64): XOAUTH2 (Google's and Microsoft's
/// format) or OAUTHBEARER (RFC 7628 §3.1, without host and port, which are optional).
pub(crate) fn sasl_response(auth: Auth, user: &str, token: &str) -> String {
    match auth {
        Auth::OAuthBearer => format!("n,a={},\x01auth=Bearer {token}\x01\x01", gs2_name(user)),
        Auth::XOAuth2 | Auth::Password => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
    }
}

/// What the client answers to the server's error challenge so that the server finishes the
/// exchange with its failure: empty for XOAUTH2, `%x01` for OAUTHBEARER (RFC 7628 §3.2.3).
pub(crate) fn sasl_error_ack(auth: Auth) -> &'static str {
    match auth {
        Auth::OAuthBearer => "\x01",
        Auth::XOAuth2 | Auth::Password => "",
    }
}

/// RFC 5801 saslname: `,` and `=` escaped.
fn gs2_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Replaces the file at `path` with `value` and a newline, atomically: a temporary file of
/// mode 0600 in the same directory, synced, renamed over it, the directory synced.
fn write_secret_file(path: &std::path::Path, value: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // A file left by an earlier try keeps its mode on open: set it.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(format!("{value}\n").as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> Secret {
        Secret::new(s)
    }

    #[test]
    fn a_token_is_used_until_shortly_before_it_expires() {
        let t0 = Instant::now();
        let mut cache = Cache::default();
        assert!(matches!(cache.lookup(t0), Lookup::Fetch));
        cache.granted(secret("a"), Duration::from_secs(3600), t0);
        match cache.lookup(t0 + Duration::from_secs(3539)) {
            Lookup::Use(t) => {
                assert_eq!(t.expose(), "a");
                assert!(!t.fresh, "a cached token is not a renewal");
            }
            other => panic!("{other:?}"),
        }
        // A minute before it expires, it is renewed.
        assert!(matches!(
            cache.lookup(t0 + Duration::from_secs(3541)),
            Lookup::Fetch
        ));
    }

    #[test]
    fn a_short_token_is_renewed_at_three_quarters_of_its_life() {
        let t0 = Instant::now();
        let mut cache = Cache::default();
        cache.granted(secret("a"), Duration::from_secs(4), t0);
        assert!(matches!(
            cache.lookup(t0 + Duration::from_millis(2900)),
            Lookup::Use(_)
        ));
        assert!(matches!(
            cache.lookup(t0 + Duration::from_millis(3100)),
            Lookup::Fetch
        ));
        let renewed = cache.granted(
            secret("b"),
            Duration::from_secs(4),
            t0 + Duration::from_secs(3),
        );
        assert!(renewed.fresh);
        assert!(renewed.generation > 1);
        match cache.lookup(t0 + Duration::from_secs(4)) {
            Lookup::Use(t) => assert_eq!(t.expose(), "b"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_cached_token_is_renewed_once_and_a_refused_renewal_is_final() {
        let t0 = Instant::now();
        let mut cache = Cache::default();
        cache.granted(secret("a"), Duration::from_secs(3600), t0);
        let Lookup::Use(cached) = cache.lookup(t0) else {
            panic!("token in hand")
        };
        // The server refused the cached token (revoked early): drop it, renew, try once more.
        assert!(cache.refused_by_server(&cached));
        assert!(matches!(cache.lookup(t0), Lookup::Fetch));
        let renewed = cache.granted(secret("b"), Duration::from_secs(3600), t0);
        // The renewal is refused too: no second renewal for this login.
        assert!(!cache.refused_by_server(&renewed));
        assert!(cache.held.is_none());
    }

    #[test]
    fn a_login_that_finds_a_newer_token_uses_it_as_its_renewal() {
        let t0 = Instant::now();
        let mut cache = Cache::default();
        cache.granted(secret("a"), Duration::from_secs(3600), t0);
        let Lookup::Use(old) = cache.lookup(t0) else {
            panic!()
        };
        cache.granted(secret("b"), Duration::from_secs(3600), t0);
        assert!(cache.refused_by_server(&old));
        assert!(cache.held.is_some(), "the newer token stays");
        let newer = cache.newer(&old, t0).expect("newer token");
        assert_eq!(newer.expose(), "b");
        assert!(newer.fresh);
    }

    #[test]
    fn a_refused_grant_stands_for_a_while_then_is_asked_again() {
        let t0 = Instant::now();
        let mut cache = Cache::default();
        cache.granted(secret("a"), Duration::from_secs(10), t0);
        cache.refused_grant(
            "invalid_grant: Token has been expired or revoked.".into(),
            t0 + Duration::from_secs(20),
        );
        match cache.lookup(t0 + Duration::from_secs(21)) {
            Lookup::Refused(w) => {
                assert_eq!(w, "invalid_grant: Token has been expired or revoked.")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            cache.lookup(t0 + Duration::from_secs(20) + REFUSAL_PAUSE),
            Lookup::Fetch
        ));
        cache.forget_refusal();
        assert!(matches!(
            cache.lookup(t0 + Duration::from_secs(21)),
            Lookup::Fetch
        ));
    }

    #[test]
    fn answers_are_read_as_rfc_6749_says() {
        let ok = read_answer(
            200,
            br#"{"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer","scope":"https://mail.google.com/"}"#,
        )
        .expect("granted");
        assert_eq!(ok.access_token.expose(), "ya29.x");
        assert_eq!(ok.lifetime, Duration::from_secs(3599));
        assert!(ok.refresh_token.is_none());
        let rotated = read_answer(
            200,
            br#"{"access_token":"t","expires_in":"5","refresh_token":"r2"}"#,
        )
        .expect("granted");
        assert_eq!(rotated.lifetime, Duration::from_secs(5));
        assert_eq!(rotated.refresh_token.unwrap().expose(), "r2");
        let no_life = read_answer(200, br#"{"access_token":"t"}"#).unwrap();
        assert_eq!(no_life.lifetime, DEFAULT_LIFETIME);

        let err = |status, body: &[u8]| read_answer(status, body).expect_err("refused");
        assert_eq!(
            err(400, br#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#),
            AnswerError::Refused("invalid_grant: Token has been expired or revoked.".into())
        );
        assert_eq!(
            err(401, br#"{"error":"invalid_client"}"#),
            AnswerError::Refused("invalid_client".into())
        );
        assert_eq!(
            err(503, b"<html>\n  Service   Unavailable</html>"),
            AnswerError::Unavailable("HTTP 503: <html> Service Unavailable</html>".into())
        );
        assert!(matches!(
            err(200, br#"{"token_type":"Bearer"}"#),
            AnswerError::Bad(_)
        ));
        assert!(matches!(err(200, b"not json"), AnswerError::Bad(_)));
    }

    #[test]
    fn sasl_messages_carry_user_and_token() {
        assert_eq!(
            sasl_response(Auth::XOAuth2, "support@example.com", "tok"),
            "user=support@example.com\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(
            sasl_response(Auth::OAuthBearer, "a,b=c@example.com", "tok"),
            "n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer tok\x01\x01"
        );
        assert_eq!(sasl_error_ack(Auth::OAuthBearer), "\x01");
        assert_eq!(sasl_error_ack(Auth::XOAuth2), "");
    }

    #[test]
    fn tokens_and_sources_do_not_show_secrets() {
        let mut cache = Cache::default();
        let t = cache.granted(
            secret("very-secret-token"),
            Duration::from_secs(60),
            Instant::now(),
        );
        assert!(!format!("{t:?}").contains("very-secret"));
        let source = TokenSource::new(&OAuth2Config {
            token_url: "http://127.0.0.1:9/token".into(),
            client_id: "gw".into(),
            client_secret: SecretSource::Value(secret("client-secret-value")),
            refresh_token: Some(SecretSource::Value(secret("refresh-secret-value"))),
            scope: String::new(),
            ca_file: None,
        })
        .unwrap();
        let shown = format!("{source:?}");
        assert!(!shown.contains("secret-value"), "{shown}");
    }

    #[test]
    fn plain_http_is_for_loopback_only() {
        let cfg = |url: &str| OAuth2Config {
            token_url: url.into(),
            client_id: "gw".into(),
            client_secret: SecretSource::Unused,
            refresh_token: None,
            scope: String::new(),
            ca_file: None,
        };
        assert!(TokenSource::new(&cfg("http://127.0.0.1:8080/token")).is_ok());
        assert!(TokenSource::new(&cfg("https://oauth2.googleapis.com/token")).is_ok());
        assert!(matches!(
            TokenSource::new(&cfg("http://oauth2.example.com/token")),
            Err(OAuth2Error::Url(_))
        ));
    }

    /// Log lines written while the test runs (this thread only).
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// Against a real HTTP server on loopback: a refusal comes back in the endpoint's words,
    /// is kept (no second request) and logged, a grant is cached, and no secret is logged.
    #[tokio::test]
    async fn the_endpoint_is_asked_once_and_its_refusal_kept() {
        let log = Captured::default();
        let _log = tracing::subscriber::set_default(
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(log.clone())
                .finish(),
        );
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let answers = [
                (200, r#"{"access_token":"at-1","expires_in":3600}"#),
                (
                    400,
                    r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
                ),
            ];
            for (status, body) in answers {
                let (mut s, _) = listener.accept().await.unwrap();
                let mut buf = vec![0u8; 4096];
                let n = s.read(&mut buf).await.unwrap();
                seen.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&buf[..n]).into_owned());
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                s.write_all(reply.as_bytes()).await.unwrap();
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("refresh");
        std::fs::write(&file, "rt-1\n").unwrap();
        let source = TokenSource::new(&OAuth2Config {
            token_url: format!("http://{addr}/token"),
            client_id: "gw".into(),
            client_secret: SecretSource::Value(secret("client-s3cret-value")),
            refresh_token: Some(SecretSource::File {
                key: "oauth2.refresh_token_file".into(),
                written: "refresh".into(),
                path: file.clone(),
            }),
            scope: "mail".into(),
            ca_file: None,
        })
        .unwrap();
        assert!(
            source.status().is_ok(),
            "nothing asked yet is not a failure"
        );
        let first = source.token().await.unwrap();
        assert_eq!(first.expose(), "at-1");
        let granted_log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
        assert!(
            granted_log.contains("oauth2 access token granted"),
            "{granted_log}"
        );
        let again = source.token().await.unwrap();
        assert_eq!(again.expose(), "at-1", "cached");
        assert!(source.status().is_ok());
        // The mail server refuses it: one renewal, which the endpoint refuses.
        let err = source.refused(&again).await.unwrap_err();
        assert!(!err.is_transient());
        let text = err.to_string();
        assert!(
            text.contains(
                "refused the refresh token: invalid_grant: Token has been expired or revoked."
            ),
            "{text}"
        );
        assert!(source.status().unwrap_err().contains("invalid_grant"));
        // Asked again at once: the kept refusal, without a request.
        let err = source.token().await.unwrap_err();
        assert!(err.to_string().contains("invalid_grant"), "{err}");
        let requests = requests.lock().unwrap();
        assert_eq!(requests.len(), 2, "{requests:?}");
        assert!(
            requests[0].starts_with("POST /token HTTP/1.1"),
            "{}",
            requests[0]
        );
        assert!(requests[0].contains("grant_type=refresh_token&refresh_token=rt-1&client_id=gw&client_secret=client-s3cret-value&scope=mail"), "{}", requests[0]);
        let log = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
        assert!(
            log.contains("WARN")
                && log.contains("invalid_grant: Token has been expired or revoked."),
            "{log}"
        );
        for secret in ["rt-1", "client-s3cret-value", "at-1"] {
            assert!(!log.contains(secret), "{secret} logged: {log}");
        }
    }
}
