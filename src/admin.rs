//! The admin endpoint on `admin.listen` (SPEC §5.3): `/healthz`, `/metrics`, and the API the
//! CLI uses while the daemon holds the store (sled allows one process at a time).
//!
//! - `GET /healthz`: JSON: `status` (200 `ok` or 503 `degraded`), `role` (`active` or
//!   `standby`, SPEC §5.5), `leases` (the mailbox names and `outbox` this daemon holds) and
//!   their `generation`, and `checks`, one line per component with the reason: IMAP, SMTP
//!   (probed when the last word on it is older than a few seconds), the OAuth2 token endpoint
//!   (when a login uses it), the store, and the ingest and outbox loops.
//! - `GET /metrics`: Prometheus (OpenMetrics) text, see [`crate::telemetry::Metrics`].
//! - `/api/…` (bearer token): `GET /api/tickets[?state=S]`, `GET /api/tickets/ID`,
//!   `GET /api/outbox[?all=1]`, `POST /api/ingest` (a raw mail), answering with the JSON views
//!   of the CLI, so that a command prints the same whether the daemon runs or not.
//!
//! While serving, the daemon writes `<store>/admin.json` (mode 0600): the address it is bound
//! to and a fresh random token. Whoever can read the store directory (the daemon's user,
//! root) can use the API; anyone else on the host reaches only `/healthz` and `/metrics`.
//! The endpoint is meant for loopback: it is never to be exposed to a network.
//!
//! This module serves HTTP and calls the pipeline; it decides nothing about mail.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::Frame;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::pipeline::Gateway;
use crate::smtp::Relay;
use crate::telemetry::{self, StoreCounts, Up};
use crate::views::{
    list_newest, list_outbox, page_limit, show_mail, show_ticket, unhex, write_tickets_json,
    ListingError, OutboxView, TicketFilter,
};

/// Name of the file, in the store directory, that tells the CLI how to reach the daemon.
pub(crate) const ADMIN_FILE: &str = "admin.json";
/// SMTP is probed by `/healthz` and `/metrics` when nothing was heard of it for this long.
const SMTP_PROBE_AFTER: Duration = Duration::from_secs(5);
const SMTP_PROBE_TIMEOUT: Duration = Duration::from_secs(10);
const STORE_CHECK_TIMEOUT: Duration = Duration::from_secs(5);
/// A full listing (`GET /api/tickets` without `limit`) goes to the client in chunks of this
/// size as the tickets are read, at most [`LISTING_AHEAD`] of them waiting: the daemon holds
/// ~320 KiB of a listing whatever its size. Built whole, the JSON of 15,000 open tickets
/// (20 MB) made the growth run's peak memory (docs/benchmarks.md, sixth round).
const LISTING_CHUNK: usize = 64 * 1024;
const LISTING_AHEAD: usize = 4;
/// A client that takes no chunk of a listing for this long loses it (the connection is cut):
/// the listing holds one of the runtime's few blocking threads while it waits (src/main.rs).
const LISTING_STALL: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("admin.listen {addr}: cannot listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", path.display())]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The content of `<store>/admin.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AdminFile {
    /// Where the endpoint is bound (the real port when `admin.listen` asks for port 0).
    pub listen: SocketAddr,
    /// Bearer token for `/api/…`, new at each start.
    pub token: String,
    /// The daemon's process id.
    pub pid: u32,
    /// Where the customer page is served, when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<SocketAddr>,
}

/// What `POST /api/ingest` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IngestReply {
    /// The decision log of the mail, one line each (what `ingest` prints).
    pub decision: Vec<String>,
    pub ticket: Option<u64>,
    /// Outgoing mail it queued; the daemon's outbox sends it.
    pub outbox: Vec<u64>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ErrorReply {
    error: String,
}

/// A bound, not yet serving, admin endpoint.
pub struct Endpoint {
    listener: TcpListener,
    addr: SocketAddr,
    file: PathBuf,
    token: String,
}

impl Endpoint {
    /// Binds `admin.listen` and writes `<store>/admin.json`. Done before the daemon reports
    /// ready, so a CLI started after `systemctl start` finds it.
    pub async fn bind(gw: &Gateway) -> Result<Endpoint, AdminError> {
        let want = gw.config.admin.listen;
        let listener = TcpListener::bind(want)
            .await
            .map_err(|source| AdminError::Bind { addr: want, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| AdminError::Bind { addr: want, source })?;
        if !addr.ip().is_loopback() {
            warn!(
                %addr,
                "admin.listen is not a loopback address: /healthz and /metrics are reachable \
                 from the network (the API needs the token in admin.json)"
            );
        }
        let token = random_token();
        let file = gw.config.gateway.store.join(ADMIN_FILE);
        write_private(
            &file,
            &serde_json::to_vec_pretty(&AdminFile {
                listen: addr,
                token: token.clone(),
                pid: std::process::id(),
                web: gw.telemetry.web_addr(),
            })
            .unwrap_or_default(),
        )
        .map_err(|source| AdminError::File {
            path: file.clone(),
            source,
        })?;
        gw.telemetry.set_admin_addr(Some(addr));
        Ok(Endpoint {
            listener,
            addr,
            file,
            token,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `cancel`; connections run on `tracker`, so shutdown waits for them
    /// (each is asked to finish its request in hand). Removes `admin.json` at the end.
    pub(crate) async fn serve(
        self,
        gw: Arc<Gateway>,
        smtp: Arc<dyn Relay>,
        outbox: mpsc::UnboundedSender<Vec<u64>>,
        cancel: CancellationToken,
        tracker: TaskTracker,
    ) {
        let api = Arc::new(Api {
            gw: gw.clone(),
            smtp,
            outbox,
            token: self.token,
            probe: tokio::sync::Mutex::new(()),
        });
        info!(addr = %self.addr, "admin endpoint listening");
        loop {
            let stream = tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.listener.accept() => match r {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        warn!(error = %e, "admin endpoint: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let api = api.clone();
            let cancel = cancel.clone();
            tracker.spawn(async move {
                let service = hyper::service::service_fn(move |req| {
                    let api = api.clone();
                    async move { Ok::<_, Infallible>(api.handle(req).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(Duration::from_secs(10))
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            debug!(error = %e, "admin connection ended with an error");
                        }
                    }
                    _ = cancel.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                    }
                }
            });
        }
        gw.telemetry.set_admin_addr(None);
        if let Err(e) = std::fs::remove_file(&self.file) {
            debug!(error = %e, file = %self.file.display(), "cannot remove the admin file");
        }
    }
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    // The OS random source failing is not something the gateway can work around.
    getrandom::fill(&mut b).expect("the OS random source works");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Writes `bytes` to `path` readable by the owner only, atomically (temp file + rename).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("json.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

struct Api {
    gw: Arc<Gateway>,
    smtp: Arc<dyn Relay>,
    outbox: mpsc::UnboundedSender<Vec<u64>>,
    token: String,
    /// One SMTP probe at a time.
    probe: tokio::sync::Mutex<()>,
}

type Reply = Response<UnsyncBoxBody<Bytes, std::io::Error>>;

fn reply(status: StatusCode, content_type: &'static str, body: impl Into<Bytes>) -> Reply {
    let body = Full::new(body.into()).map_err(|never| match never {});
    let mut r = Response::new(body.boxed_unsync());
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Reply {
    match serde_json::to_vec(value) {
        Ok(body) => reply(status, "application/json", body),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode: {e}"),
        ),
    }
}

fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    let body = serde_json::to_vec(&ErrorReply {
        error: message.into(),
    })
    .unwrap_or_default();
    reply(status, "application/json", body)
}

/// A listing's text, sent to the admin connection [`LISTING_CHUNK`] bytes at a time from a
/// blocking thread.
struct Chunks {
    buf: Vec<u8>,
    tx: mpsc::Sender<Result<Bytes, String>>,
    runtime: tokio::runtime::Handle,
}

impl Chunks {
    /// Sends what is buffered (if anything).
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(LISTING_CHUNK));
        self.send_item(Ok(chunk.into()))
    }

    /// Waits at most [`LISTING_STALL`] for the connection to take `item`.
    fn send_item(&self, item: Result<Bytes, String>) -> std::io::Result<()> {
        let sent = self
            .runtime
            .block_on(tokio::time::timeout(LISTING_STALL, self.tx.send(item)));
        match sent {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(std::io::ErrorKind::BrokenPipe.into()),
            Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
        }
    }
}

impl std::io::Write for Chunks {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= LISTING_CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// `a=1&b=2` -> the value of `name` (no percent-decoding: the values are plain words).
fn query<'a>(q: Option<&'a str>, name: &str) -> Option<&'a str> {
    q?.split('&')
        .filter_map(|kv| kv.split_once('=').or(Some((kv, ""))))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Api {
    async fn handle(&self, req: Request<Incoming>) -> Reply {
        let path = req.uri().path().to_string();
        let q = req.uri().query().map(str::to_string);
        let q = q.as_deref();
        match (req.method(), path.as_str()) {
            (&Method::GET, "/healthz") => self.healthz().await,
            (&Method::GET, "/metrics") => self.metrics().await,
            (_, p) if p.starts_with("/api/") => {
                let authorised = req
                    .headers()
                    .get(AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.strip_prefix("Bearer "))
                    .is_some_and(|t| same(t.trim().as_bytes(), self.token.as_bytes()));
                if !authorised {
                    return error(
                        StatusCode::UNAUTHORIZED,
                        format!("the API needs the token in {ADMIN_FILE} in the store directory"),
                    );
                }
                match (req.method(), p) {
                    (&Method::GET, "/api/tickets") => self.tickets(q.unwrap_or("")).await,
                    (&Method::GET, p) if p.starts_with("/api/tickets/") => {
                        self.ticket(&p["/api/tickets/".len()..]).await
                    }
                    (&Method::GET, p) if p.starts_with("/api/mails/") => {
                        self.mail(&p["/api/mails/".len()..]).await
                    }
                    (&Method::GET, "/api/outbox") => {
                        self.outbox(matches!(query(q, "all"), Some("1" | "true" | "")))
                            .await
                    }
                    (&Method::POST, "/api/ingest") => self.ingest(req.into_body()).await,
                    _ => error(StatusCode::NOT_FOUND, format!("no such endpoint: {p}")),
                }
            }
            (_, "/healthz" | "/metrics") => {
                error(StatusCode::METHOD_NOT_ALLOWED, "only GET is allowed here")
            }
            (_, p) => error(StatusCode::NOT_FOUND, format!("no such endpoint: {p}")),
        }
    }

    /// SMTP's state, probed first if the last word on it is old.
    async fn smtp(&self) -> Result<(), String> {
        let health = &self.gw.telemetry.health;
        if health.smtp_age().is_none_or(|a| a > SMTP_PROBE_AFTER) {
            let _one = self.probe.lock().await;
            // Another request may have probed while this one waited.
            if health.smtp_age().is_none_or(|a| a > SMTP_PROBE_AFTER) {
                match tokio::time::timeout(SMTP_PROBE_TIMEOUT, self.smtp.probe()).await {
                    Ok(Ok(true)) => health.smtp_ok(),
                    Ok(Ok(false)) => health.smtp_failed("the server did not answer NOOP"),
                    Ok(Err(e)) => health.smtp_failed(telemetry::chain(&e)),
                    Err(_) => health.smtp_failed(format!(
                        "no answer within {} s",
                        SMTP_PROBE_TIMEOUT.as_secs()
                    )),
                }
            }
        }
        health.smtp()
    }

    /// The store answers a read and a flush (through the gateway, which syncs attachment
    /// directories first).
    async fn store(&self) -> Result<(), String> {
        let gw = self.gw.clone();
        let check = tokio::task::spawn_blocking(move || {
            gw.store.next_ticket_id()?;
            gw.flush()
        });
        match tokio::time::timeout(STORE_CHECK_TIMEOUT, check).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(e))) => Err(telemetry::chain(&e)),
            Ok(Err(e)) => Err(format!("store check failed: {e}")),
            Err(_) => Err(format!(
                "no answer within {} s",
                STORE_CHECK_TIMEOUT.as_secs()
            )),
        }
    }

    async fn healthz(&self) -> Reply {
        let t = &self.gw.telemetry;
        let c = &self.gw.config;
        let role = t.role();
        let (smtp, store) = tokio::join!(self.smtp(), self.store());
        let mut lines = Vec::new();
        let mut healthy = true;
        let mut line = |name: &str, r: Result<String, String>| match r {
            Ok(detail) => lines.push(format!("{name}: ok ({detail})")),
            Err(reason) => {
                healthy = false;
                lines.push(format!("{name}: down: {reason}"));
            }
        };
        // One line per mailbox: with several queues each names its address.
        let queues = &self.gw.queues;
        for (n, q) in queues.iter().enumerate() {
            let i = &q.config.imap;
            let imap = format!("{}:{} as {}", i.host, i.port, i.username);
            let name = if queues.len() == 1 {
                "imap".to_string()
            } else {
                format!("imap {}", q.config.gateway.address)
            };
            line(
                &name,
                match (role.active, t.health.imap(n)) {
                    (true, r) => r.map(|()| imap),
                    // A standby leaves the mailbox to the active daemon.
                    (false, _) => Ok(format!("{imap}: standby, not connected")),
                },
            );
        }
        line(
            "smtp",
            smtp.map(|()| format!("{}:{}", c.smtp.host, c.smtp.port)),
        );
        if let Some(tokens) = &self.gw.tokens {
            line("oauth2", tokens.status());
        }
        line(
            "store",
            store.map(|()| c.gateway.store.display().to_string()),
        );
        for (name, beat) in [("ingest", &t.ingest), ("outbox", &t.outbox)] {
            line(
                name,
                match (role.active, beat.overdue()) {
                    (false, _) => Ok("standby: waiting for the leases".into()),
                    (true, None) => Ok("loop alive".into()),
                    (true, Some(late)) => {
                        Err(format!("loop stalled ({} s overdue)", late.as_secs()))
                    }
                },
            );
        }
        let (status, head) = if healthy {
            (StatusCode::OK, "ok")
        } else {
            (StatusCode::SERVICE_UNAVAILABLE, "degraded")
        };
        let body = serde_json::json!({
            "status": head,
            "role": role.name(),
            "leases": role.leases,
            "generation": role.generation,
            "checks": lines,
        });
        let mut text = serde_json::to_vec_pretty(&body).expect("JSON values serialise");
        text.push(b'\n');
        reply(status, "application/json", text)
    }

    async fn metrics(&self) -> Reply {
        let store = self.gw.store.clone();
        let (smtp, counts) = tokio::join!(
            self.smtp(),
            tokio::task::spawn_blocking(move || StoreCounts::read(&*store))
        );
        let (counts, store_up) = match counts {
            Ok(Ok(c)) => (c, true),
            Ok(Err(e)) => {
                warn!(error = %e, "metrics: cannot read the store");
                (StoreCounts::default(), false)
            }
            Err(e) => {
                warn!(error = %e, "metrics: store read failed");
                (StoreCounts::default(), false)
            }
        };
        let t = &self.gw.telemetry;
        let text = t.metrics.render(
            &counts,
            Up {
                imap: t.health.imap_all(self.gw.queues.len()),
                smtp: smtp.is_ok(),
                store: store_up,
            },
        );
        reply(StatusCode::OK, telemetry::METRICS_CONTENT_TYPE, text)
    }

    async fn tickets(&self, q: &str) -> Reply {
        let filter = match TicketFilter::from_query(q) {
            Ok(f) => f,
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        };
        // With `limit`, the newest tickets and how many more match ([`TicketPage`]);
        // without, the JSON array of every match.
        let limit = match page_limit(q) {
            Ok(l) => l,
            Err(e) => return error(StatusCode::BAD_REQUEST, e),
        };
        let Some(limit) = limit else {
            return self.full_listing(filter).await;
        };
        let gw = self.gw.clone();
        let r = tokio::task::spawn_blocking(move || {
            list_newest(&*gw.store, &gw.policy, &filter, gw.now(), limit)
                .map(|page| serde_json::to_vec(&page).expect("views serialise to JSON"))
        })
        .await;
        match r {
            Ok(Ok(body)) => reply(StatusCode::OK, "application/json", body),
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, telemetry::chain(&e)),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }

    /// Every ticket `filter` lets through, as a JSON array sent while it is read
    /// ([`LISTING_CHUNK`]). A store error before the first chunk is answered with 500 and its
    /// text, as any other; one after it cuts the connection, so the client sees an incomplete
    /// answer, never a shorter listing.
    async fn full_listing(&self, filter: TicketFilter) -> Reply {
        let (tx, mut rx) = mpsc::channel::<Result<Bytes, String>>(LISTING_AHEAD);
        let gw = self.gw.clone();
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || {
            let mut out = Chunks {
                buf: Vec::with_capacity(LISTING_CHUNK),
                tx,
                runtime,
            };
            let written = write_tickets_json(&*gw.store, &gw.policy, &filter, gw.now(), &mut out);
            // The gateway goes before the listing's end reaches the client: once it has the
            // whole answer, the daemon may stop, and its owner expects the last handle.
            drop(gw);
            match written.and_then(|()| out.send().map_err(ListingError::Write)) {
                Ok(()) => {}
                Err(ListingError::Store(e)) => {
                    let _ = out.send_item(Err(telemetry::chain(&e)));
                }
                Err(ListingError::Write(e)) => debug!(error = %e, "listing not taken"),
            }
        });
        match rx.recv().await {
            Some(Ok(first)) => {
                let rest = futures::stream::unfold(rx, |mut rx| async move {
                    let item = rx.recv().await?;
                    Some((item.map(Frame::data).map_err(std::io::Error::other), rx))
                });
                let frames = futures::stream::once(async { Ok(Frame::data(first)) });
                let body = StreamBody::new(futures::StreamExt::chain(frames, rest));
                let mut r = Response::new(body.boxed_unsync());
                r.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                r
            }
            Some(Err(message)) => error(StatusCode::INTERNAL_SERVER_ERROR, message),
            None => error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the listing ended without an answer",
            ),
        }
    }

    /// `id`: the ticket's id, or its tag (`BIL-1`, any queue's prefix).
    async fn ticket(&self, id: &str) -> Reply {
        let Some(n) = self.gw.policy.parse_tag(id) else {
            return error(
                StatusCode::BAD_REQUEST,
                format!("'{id}' is not a ticket number or tag"),
            );
        };
        let gw = self.gw.clone();
        let r =
            tokio::task::spawn_blocking(move || show_ticket(&*gw.store, &gw.policy, n, gw.now()))
                .await;
        match r {
            Ok(Ok(Some(view))) => json(StatusCode::OK, &view),
            Ok(Ok(None)) => error(
                StatusCode::NOT_FOUND,
                format!("no ticket {}", self.gw.policy.tag(n)),
            ),
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, telemetry::chain(&e)),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }

    async fn mail(&self, hex_id: &str) -> Reply {
        let Some(mid) = unhex(hex_id) else {
            return error(
                StatusCode::BAD_REQUEST,
                "the Message-ID must be hex-encoded",
            );
        };
        let gw = self.gw.clone();
        let id = mid.clone();
        let r = tokio::task::spawn_blocking(move || show_mail(&*gw.store, &gw.policy, &id)).await;
        match r {
            Ok(Ok(Some(view))) => json(StatusCode::OK, &view),
            Ok(Ok(None)) => error(StatusCode::NOT_FOUND, format!("no processed mail <{mid}>")),
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, telemetry::chain(&e)),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }

    async fn outbox(&self, all: bool) -> Reply {
        let gw = self.gw.clone();
        match tokio::task::spawn_blocking(move || list_outbox(&*gw.store, all)).await {
            Ok(Ok(views)) => json::<Vec<OutboxView>>(StatusCode::OK, &views),
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, telemetry::chain(&e)),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }

    /// Processes one raw mail as the ingest loop would (minus the IMAP UID), then hands what
    /// it queued to the outbox loop.
    async fn ingest(&self, body: Incoming) -> Reply {
        // A little over the limit, so that an oversize mail is quarantined with its reason
        // rather than refused here.
        let limit = self.gw.config.gateway.max_message_size as usize + 64 * 1024;
        let raw = match Limited::new(body, limit).collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("cannot read the mail: {e}"),
                )
            }
        };
        let gw = self.gw.clone();
        let started = Instant::now();
        let r = tokio::task::spawn_blocking(move || {
            let p = gw.process_safely(&raw, gw.now())?;
            gw.flush()?;
            Ok::<_, crate::pipeline::PipelineError>(p)
        })
        .await;
        match r {
            Ok(Ok(p)) => {
                self.gw
                    .telemetry
                    .metrics
                    .mail(p.outcome(), started.elapsed());
                if !p.outbox.is_empty() {
                    let _ = self.outbox.send(p.outbox.clone());
                }
                json(
                    StatusCode::OK,
                    &IngestReply {
                        decision: crate::views::ingest_report(
                            &p.record,
                            p.duplicate,
                            &self.gw.policy,
                        ),
                        ticket: p.record.ticket,
                        outbox: p.outbox,
                    },
                )
            }
            Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, telemetry::chain(&e)),
            Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI's side

/// Why the CLI could not talk to the running daemon.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("no running daemon announces itself in {} ({reason})", path.display())]
    NoDaemon { path: PathBuf, reason: String },
    #[error("cannot reach the daemon's admin endpoint at {addr}")]
    Connect {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("admin endpoint at {addr}: {detail}")]
    Http { addr: SocketAddr, detail: String },
    #[error("admin endpoint at {addr}: no answer within {} s", timeout.as_secs())]
    Timeout { addr: SocketAddr, timeout: Duration },
    /// The daemon answered with an error (its message, as the CLI would have printed it).
    #[error("{message}")]
    Refused { status: u16, message: String },
}

/// A connection to the running daemon's API, found through `<store>/admin.json`.
pub struct Client {
    file: AdminFile,
}

impl Client {
    /// Reads `<store>/admin.json`; fails when it is missing or its daemon is gone.
    pub(crate) fn discover(store: &Path) -> Result<Client, ClientError> {
        let path = store.join(ADMIN_FILE);
        let no = |reason: String| ClientError::NoDaemon {
            path: path.clone(),
            reason,
        };
        let text = std::fs::read(&path).map_err(|e| no(e.to_string()))?;
        let file: AdminFile = serde_json::from_slice(&text).map_err(|e| no(e.to_string()))?;
        if !Path::new(&format!("/proc/{}", file.pid)).exists() {
            return Err(no(format!("process {} is gone", file.pid)));
        }
        Ok(Client { file })
    }

    pub fn addr(&self) -> SocketAddr {
        self.file.listen
    }

    pub fn pid(&self) -> u32 {
        self.file.pid
    }

    /// Where the daemon serves the customer page, if it does.
    pub fn web(&self) -> Option<SocketAddr> {
        self.file.web
    }

    /// `GET path`, the JSON answer decoded.
    pub async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let body = self
            .request(Method::GET, path, Bytes::new(), Duration::from_secs(60))
            .await?;
        self.decode(&body)
    }

    /// `POST /api/ingest` with a raw mail.
    pub async fn ingest(&self, raw: Vec<u8>) -> Result<IngestReply, ClientError> {
        let body = self
            .request(
                Method::POST,
                "/api/ingest",
                Bytes::from(raw),
                Duration::from_secs(300),
            )
            .await?;
        self.decode(&body)
    }

    fn decode<T: serde::de::DeserializeOwned>(&self, body: &[u8]) -> Result<T, ClientError> {
        serde_json::from_slice(body).map_err(|e| ClientError::Http {
            addr: self.addr(),
            detail: format!("unexpected answer: {e}"),
        })
    }

    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, ClientError> {
        let addr = self.addr();
        let work = async {
            let stream = TcpStream::connect(addr)
                .await
                .map_err(|source| ClientError::Connect { addr, source })?;
            let http = |e: hyper::Error| ClientError::Http {
                addr,
                detail: telemetry::chain(&e),
            };
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(http)?;
            let driver = tokio::spawn(conn);
            let req = Request::builder()
                .method(method)
                .uri(path)
                .header(HOST, addr.to_string())
                .header(AUTHORIZATION, format!("Bearer {}", self.file.token))
                .body(Full::new(body))
                .map_err(|e| ClientError::Http {
                    addr,
                    detail: e.to_string(),
                })?;
            let resp = sender.send_request(req).await.map_err(http)?;
            let status = resp.status();
            let bytes = resp.into_body().collect().await.map_err(http)?.to_bytes();
            driver.abort();
            if status.is_success() {
                Ok(bytes)
            } else {
                let message = serde_json::from_slice::<ErrorReply>(&bytes)
                    .map(|e| e.error)
                    .unwrap_or_else(|_| String::from_utf8_lossy(&bytes).into_owned());
                Err(ClientError::Refused {
                    status: status.as_u16(),
                    message,
                })
            }
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| ClientError::Timeout { addr, timeout })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values() {
        assert_eq!(query(Some("state=open&all=1"), "state"), Some("open"));
        assert_eq!(query(Some("state=open&all=1"), "all"), Some("1"));
        assert_eq!(query(Some("all"), "all"), Some(""));
        assert_eq!(query(Some("x=1"), "all"), None);
        assert_eq!(query(None, "all"), None);
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
        assert_eq!(random_token().len(), 64);
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn the_admin_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ADMIN_FILE);
        write_private(&path, b"{}").unwrap();
        write_private(&path, b"{\"x\":1}").unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(std::fs::read(&path).unwrap(), b"{\"x\":1}");
    }
}
