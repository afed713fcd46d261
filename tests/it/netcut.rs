//! A TCP forwarder on loopback that a test can cut: the network between a daemon and its
//! database (tests/it/failover.rs). Open, it forwards each connection to its target. Cut,
//! it drops every connection and closes each new one at once (a path that resets). Black-
//! holed, it keeps every connection and accepts new ones, but forwards nothing either way
//! (a path that swallows packets: the kernel accepts the peer's writes and nothing ever
//! answers, so only the peer's own timeouts end its queries). Healed, it forwards new
//! connections again; the ones it held are dropped.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path {
    Open,
    Cut,
    BlackHole,
}

pub(crate) struct NetCut {
    addr: SocketAddr,
    path: watch::Sender<Path>,
    accept: JoinHandle<()>,
}

impl NetCut {
    /// Listens on a free loopback port, forwarding to `target`.
    pub(crate) async fn start(target: SocketAddr) -> NetCut {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (path, seen) = watch::channel(Path::Open);
        let accept = tokio::spawn(async move {
            loop {
                if let Ok((down, _)) = listener.accept().await {
                    tokio::spawn(forward(down, target, seen.clone()));
                }
            }
        });
        NetCut { addr, path, accept }
    }

    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub(crate) fn set(&self, p: Path) {
        self.path.send_replace(p);
    }
}

impl Drop for NetCut {
    fn drop(&mut self) {
        self.accept.abort();
        self.path.send_replace(Path::Cut);
    }
}

async fn forward(mut down: TcpStream, target: SocketAddr, mut path: watch::Receiver<Path>) {
    let now = *path.borrow_and_update();
    match now {
        Path::Cut => return,
        Path::BlackHole => return hold(&mut path).await,
        Path::Open => {}
    }
    let Ok(mut up) = TcpStream::connect(target).await else {
        return;
    };
    let next = tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut down, &mut up) => None,
        p = leaves_open(&mut path) => p,
    };
    if next == Some(Path::BlackHole) {
        hold(&mut path).await;
    }
    // Both ends are dropped here: the peer sees its connection end.
}

/// Waits until the path is no longer open; `None` once the forwarder is gone.
async fn leaves_open(path: &mut watch::Receiver<Path>) -> Option<Path> {
    loop {
        path.changed().await.ok()?;
        let p = *path.borrow_and_update();
        if p != Path::Open {
            return Some(p);
        }
    }
}

/// Keeps a black-holed connection, forwarding nothing, until the path changes.
async fn hold(path: &mut watch::Receiver<Path>) {
    loop {
        if path.changed().await.is_err() || *path.borrow_and_update() != Path::BlackHole {
            return;
        }
    }
}

/// The `host:port` of a `postgres://user:password@host:port/db?…` URL.
pub(crate) fn server_of(url: &str) -> SocketAddr {
    let rest = &url[url.find('@').expect("a URL with a user") + 1..];
    let end = rest.find('/').expect("a URL with a database");
    rest[..end].parse().expect("host:port of an IP address")
}

/// `url` with its `host:port` replaced by `addr`.
pub(crate) fn through(url: &str, addr: SocketAddr) -> String {
    url.replacen(&server_of(url).to_string(), &addr.to_string(), 1)
}
