//! The customer's ticket page over HTTP (SPEC §3.10), served on `web.listen` behind a reverse
//! proxy that terminates TLS: `GET <base path>/t/<TAG>/<token>`, and nothing else.
//!
//! Safe by construction: the page is rendered on the server from editable templates with
//! every customer text escaped ([`page`]); it carries no script and loads nothing, and says
//! so in its `Content-Security-Policy`. A token is checked in constant time against the
//! ticket's customers ([`crate::links`]). Anything else — a tampered, unknown or revoked
//! token, another ticket's token, any other path or method — gets the same bare 404. Each
//! client is held to a rate ([`limit`]), requests to a small size, and connections to a
//! bounded number.
//!
//! This module serves pages; it decides nothing about mail and writes nothing to the store.

mod limit;
pub mod page;

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

pub use limit::Rate;
use limit::{Client, Limiter};
use page::{Desk, Pages};

use crate::core::{Ticket, TicketId};
use crate::pipeline::Gateway;
use crate::templates::TemplateError;

/// The longest path the server looks at: a page path is far shorter.
const MAX_PATH: usize = 512;
/// Headers and request line together (hyper's smallest buffer).
const MAX_HEAD_BYTES: usize = 8 * 1024;
const MAX_HEADERS: usize = 32;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// What every answer says about itself: no caching, no referrer, no sniffing, no framing.
const COMMON_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "private, no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("x-robots-tag", "noindex, nofollow"),
];
/// The policy of an answer with no page (a 404): nothing at all.
const CSP_NOTHING: &str =
    "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("web.listen {addr}: cannot listen")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("page templates:\n{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Templates(Vec<TemplateError>),
}

/// How much one client and all of them together may ask of the server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Requests per client (an IPv4 address, an IPv6 /64).
    pub rate: Rate,
    /// Clients the rate limit remembers at once.
    pub max_clients: usize,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: usize,
}

impl Default for Limits {
    /// A customer reads a page now and then; 30 at once and one every two seconds is
    /// generous for that, and costly for anyone guessing.
    fn default() -> Limits {
        Limits {
            rate: Rate {
                burst: 30,
                per_minute: 30.0,
            },
            max_clients: 10_000,
            max_connections: 256,
        }
    }
}

/// A bound, not yet serving, page server.
pub struct Endpoint {
    listener: TcpListener,
    addr: SocketAddr,
    pages: QueuePages,
    limits: Limits,
}

/// The page templates of each queue's templates directory (most desks have one).
struct QueuePages(Vec<(PathBuf, Pages)>);

impl QueuePages {
    /// Loads the templates of every queue's directory, each once.
    fn load(gw: &Gateway) -> Result<QueuePages, WebError> {
        let mut loaded: Vec<(PathBuf, Pages)> = Vec::new();
        for q in gw.queues.iter() {
            let dir = &q.config.gateway.templates;
            if !loaded.iter().any(|(d, _)| d == dir) {
                let pages = Pages::load(dir).map_err(WebError::Templates)?;
                loaded.push((dir.clone(), pages));
            }
        }
        Ok(QueuePages(loaded))
    }

    /// The templates of `dir`, or the first queue's.
    fn of(&self, dir: &Path) -> &Pages {
        let (_, first) = &self.0[0];
        self.0
            .iter()
            .find(|(d, _)| d == dir)
            .map_or(first, |(_, p)| p)
    }
}

impl Endpoint {
    /// Loads the page templates and binds `web.listen`; `None` when the page is off.
    pub async fn bind(gw: &Gateway) -> Result<Option<Endpoint>, WebError> {
        let Some(want) = gw.config.web.listen else {
            return Ok(None);
        };
        let pages = QueuePages::load(gw)?;
        let listener = TcpListener::bind(want)
            .await
            .map_err(|source| WebError::Bind { addr: want, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| WebError::Bind { addr: want, source })?;
        gw.telemetry.set_web_addr(Some(addr));
        Ok(Some(Endpoint {
            listener,
            addr,
            pages,
            limits: Limits::default(),
        }))
    }

    /// The same server with other limits (tests use a small rate).
    pub fn with_limits(self, limits: Limits) -> Endpoint {
        Endpoint { limits, ..self }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `cancel`; connections run on `tracker`, so shutdown waits for them.
    pub async fn serve(self, gw: Arc<Gateway>, cancel: CancellationToken, tracker: TaskTracker) {
        let site = Arc::new(Site {
            base_path: gw
                .links
                .as_ref()
                .map(|l| l.base_path().to_string())
                .unwrap_or_default(),
            gw: gw.clone(),
            pages: self.pages,
            limiter: Mutex::new(Limiter::new(self.limits.rate, self.limits.max_clients)),
        });
        let slots = Arc::new(Semaphore::new(self.limits.max_connections.max(1)));
        info!(addr = %self.addr, "customer page listening");
        loop {
            let slot = tokio::select! {
                _ = cancel.cancelled() => break,
                s = slots.clone().acquire_owned() => match s {
                    Ok(s) => s,
                    Err(_) => break,
                },
            };
            let (stream, peer) = tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.listener.accept() => match r {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        warn!(error = %e, "customer page: accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let site = site.clone();
            let cancel = cancel.clone();
            tracker.spawn(async move {
                let _slot = slot;
                let service = hyper::service::service_fn(move |req| {
                    let site = site.clone();
                    async move { Ok::<_, Infallible>(site.handle(req, peer).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_READ_TIMEOUT)
                    .max_buf_size(MAX_HEAD_BYTES)
                    .max_headers(MAX_HEADERS)
                    .serve_connection(TokioIo::new(stream), service);
                tokio::pin!(conn);
                tokio::select! {
                    r = conn.as_mut() => {
                        if let Err(e) = r {
                            debug!(error = %e, "page connection ended with an error");
                        }
                    }
                    _ = cancel.cancelled() => {
                        conn.as_mut().graceful_shutdown();
                        let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
                    }
                }
            });
        }
        gw.telemetry.set_web_addr(None);
    }
}

struct Site {
    gw: Arc<Gateway>,
    pages: QueuePages,
    limiter: Mutex<Limiter>,
    /// The path of `web.base_url` (`""` or `/support`): pages live under it.
    base_path: String,
}

type Reply = Response<Full<Bytes>>;

/// An answer with the headers every answer carries.
fn reply(status: StatusCode, content_type: &'static str, csp: &str, body: Bytes) -> Reply {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in COMMON_HEADERS {
        h.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(HeaderName::from_static("content-security-policy"), v);
    }
    r
}

/// The one answer for everything that is not a page: it tells nothing.
fn not_found() -> Reply {
    reply(
        StatusCode::NOT_FOUND,
        "text/plain; charset=utf-8",
        CSP_NOTHING,
        Bytes::new(),
    )
}

fn too_many() -> Reply {
    let mut r = reply(
        StatusCode::TOO_MANY_REQUESTS,
        "text/plain; charset=utf-8",
        CSP_NOTHING,
        Bytes::new(),
    );
    r.headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

fn server_error() -> Reply {
    reply(
        StatusCode::INTERNAL_SERVER_ERROR,
        "text/plain; charset=utf-8",
        CSP_NOTHING,
        Bytes::new(),
    )
}

/// Who a request is counted against: the peer, or, when the peer is a reverse proxy on
/// loopback, the address it says it got the request from (the last `X-Forwarded-For`
/// entry: the one the proxy itself appended).
fn client_of(peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
    if !peer.ip().is_loopback() {
        return peer.ip();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer.ip())
}

impl Site {
    async fn handle(&self, req: Request<hyper::body::Incoming>, peer: SocketAddr) -> Reply {
        let client = Client::of(client_of(peer, req.headers()));
        let allowed = self
            .limiter
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .allow(client, Instant::now());
        if !allowed {
            debug!(peer = %peer, "customer page: rate limit");
            return too_many();
        }
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return not_found();
        }
        let Some((id, token)) = self.route(req.uri().path()) else {
            return not_found();
        };
        let gw = self.gw.clone();
        let read = tokio::task::spawn_blocking(move || gw.store.ticket(id)).await;
        let ticket = match read {
            Ok(Ok(Some(t))) => t,
            Ok(Ok(None)) => return not_found(),
            Ok(Err(e)) => {
                warn!(error = %e, "customer page: the store cannot be read");
                return server_error();
            }
            Err(e) => {
                warn!(error = %e, "customer page: the store read failed");
                return server_error();
            }
        };
        self.page(&ticket, token)
    }

    /// `<base path>/t/<TAG>/<token>` → the ticket's id and the token; `None` for any other
    /// path (a trailing `/`, an extra segment, an unknown prefix …).
    fn route<'p>(&self, path: &'p str) -> Option<(TicketId, &'p str)> {
        if path.len() > MAX_PATH {
            return None;
        }
        let rest = path
            .strip_prefix(self.base_path.as_str())?
            .strip_prefix("/t/")?;
        let (tag, token) = rest.split_once('/')?;
        let (_, n) = tag.rsplit_once('-')?;
        let digits = !n.is_empty() && n.len() <= 19 && n.bytes().all(|b| b.is_ascii_digit());
        if !digits || token.is_empty() || token.contains('/') {
            return None;
        }
        // The prefix of any queue (SPEC §5.4), as the link was made.
        Some((self.gw.policy.parse_tag(tag)?, token))
    }

    /// The page of `t` when `token` is one of its customers' own; else the bare 404.
    fn page(&self, t: &Ticket, token: &str) -> Reply {
        let Some(links) = &self.gw.links else {
            return not_found();
        };
        let customers = t.customers();
        if links.reader(t.id, &customers, token).is_none() {
            return not_found();
        }
        // The ticket's own queue: its name, address, prefix and templates.
        let g = &self.gw.queues.of(t.id).config.gateway;
        let desk = Desk {
            name: &g.name,
            address: &g.address,
            tag_prefix: &g.tag_prefix,
        };
        match self.pages.of(&g.templates).render(t, &desk) {
            Ok(p) => {
                let csp = format!(
                    "default-src 'none'; style-src {}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
                    if p.style_hashes.is_empty() {
                        "'none'".to_string()
                    } else {
                        p.style_hashes.join(" ")
                    }
                );
                debug!(ticket = %t.id.tag(&g.tag_prefix), "customer page served");
                reply(
                    StatusCode::OK,
                    "text/html; charset=utf-8",
                    &csp,
                    Bytes::from(p.html),
                )
            }
            Err(e) => {
                warn!(error = %format!("{e:#}"), "customer page: the template failed");
                server_error()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behind_a_proxy_on_loopback_the_client_is_the_last_forwarded_address() {
        let mut h = HeaderMap::new();
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let remote: SocketAddr = "198.51.100.7:5000".parse().unwrap();
        assert_eq!(client_of(local, &h), local.ip());
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 192.0.2.1"),
        );
        assert_eq!(client_of(local, &h), "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(
            client_of(remote, &h),
            remote.ip(),
            "only a local proxy is believed"
        );
        h.append(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(client_of(local, &h), local.ip());
    }
}
