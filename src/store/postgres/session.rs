//! Connections to PostgreSQL behind a synchronous interface. Each [`Session`] owns its
//! connection and a current-thread runtime of its own, and the thread that waits for an
//! answer drives the connection while it waits: the answer wakes only that thread, with no
//! hand-over to another one per round trip. Between calls nothing reads the connection (the
//! server's messages wait in the socket; TCP keepalives still run in the kernel). The store
//! may be called from any thread: a blocking one (the daemon's store calls run under
//! `spawn_blocking`), a CLI command, or a runtime's own thread ([`outside_runtime`]).
//!
//! A [`Pool`] keeps a few idle [`Session`]s; a session prepares each statement once.

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::Poll;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::url::DatabaseUrl;
use crate::store::StoreError;

/// How many idle connections the pool keeps (the daemon uses at most three at once: ingest,
/// the outbox and the admin endpoint; more are opened when needed and closed after use).
const POOL_IDLE_MAX: usize = 4;

#[cfg(test)]
thread_local! {
    /// How many times this thread waited for the server: the round trips the tests count.
    pub(super) static ROUND_TRIPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// The connection's own future (tokio-postgres' `Connection`, over TLS or not).
type Connection = Pin<Box<dyn Future<Output = Result<(), tokio_postgres::Error>> + Send>>;

/// What moves a session's connection: its runtime, and the connection until it ends.
pub(super) struct Driver {
    /// `Some` until the session is dropped (a runtime is shut down without waiting, which is
    /// allowed inside another runtime, where the daemon drops its store).
    runtime: Option<tokio::runtime::Runtime>,
    connection: Option<Connection>,
}

impl Driver {
    /// Waits for `f` (a query on this driver's client), driving the connection meanwhile.
    /// The query is polled first, so that it is queued before the connection writes.
    pub(super) fn wait<F>(&mut self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        #[cfg(test)]
        ROUND_TRIPS.with(|n| n.set(n.get() + 1));
        let runtime = self
            .runtime
            .as_ref()
            .expect("the runtime lives as long as the session");
        let connection = &mut self.connection;
        outside_runtime(move || {
            let mut f = std::pin::pin!(f);
            runtime.block_on(poll_fn(|cx| {
                if let Poll::Ready(r) = f.as_mut().poll(cx) {
                    return Poll::Ready(r);
                }
                if poll_connection(connection, cx) {
                    // The client's pending answers fail once the connection is gone.
                    return f.as_mut().poll(cx);
                }
                Poll::Pending
            }))
        })
    }

    /// Reads what the server sent while the session was idle (an error or the end of the
    /// connection, as when it closed an idle transaction), without waiting.
    fn refresh(&mut self) {
        let Some(runtime) = self.runtime.as_ref() else {
            return;
        };
        let connection = &mut self.connection;
        let mut first = true;
        outside_runtime(move || {
            runtime.block_on(poll_fn(|cx| {
                poll_connection(connection, cx);
                if first && connection.is_some() {
                    // A wake before returning makes the runtime poll its sockets without
                    // waiting, then poll this once more.
                    first = false;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                Poll::Ready(())
            }))
        });
    }
}

/// Runs `f`, which blocks on a session's runtime, where a thread may block: on a worker or
/// the `block_on` thread of a multi-thread runtime (the daemon's) after handing its work to
/// another thread, on a thread of a current-thread runtime through a thread of its own, and
/// anywhere else (a blocking thread, a CLI command) at once.
fn outside_runtime<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|h| h.runtime_flavor()) {
        Err(_) => f(),
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(f),
        Ok(_) => std::thread::scope(|scope| {
            scope
                .spawn(f)
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        }),
    }
}

/// Polls the connection; whether it has ended (it is dropped then, which closes the client).
fn poll_connection(connection: &mut Option<Connection>, cx: &mut std::task::Context) -> bool {
    let Some(c) = connection.as_mut() else {
        return false;
    };
    match c.as_mut().poll(cx) {
        Poll::Ready(r) => {
            if let Err(e) = r {
                tracing::debug!(error = %e, "postgres: connection closed");
            }
            *connection = None;
            true
        }
        Poll::Pending => false,
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.connection = None;
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// One connection and the statements prepared on it.
pub(super) struct Session {
    pub(super) client: Client,
    pub(super) driver: Driver,
    prepared: HashMap<&'static str, Statement>,
}

impl Session {
    /// The statement of `sql`, prepared on this connection the first time.
    pub(super) fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .driver
            .wait(self.client.prepare(sql))
            .map_err(StoreError::Postgres)?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }

    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        self.driver
            .wait(self.client.query(&s, params))
            .map_err(StoreError::Postgres)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let s = self.statement(sql)?;
        self.driver
            .wait(self.client.query_opt(&s, params))
            .map_err(StoreError::Postgres)
    }

    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        self.driver
            .wait(self.client.execute(&s, params))
            .map_err(StoreError::Postgres)
    }

    /// Runs statements without parameters (transaction control, migrations).
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        self.driver
            .wait(self.client.batch_execute(sql))
            .map_err(StoreError::Postgres)
    }

    pub(super) fn is_closed(&self) -> bool {
        self.driver.connection.is_none() || self.client.is_closed()
    }
}

/// The database's settings and the idle connections.
pub(super) struct Pool {
    url: DatabaseUrl,
    idle: Mutex<Vec<Session>>,
}

impl Pool {
    pub(super) fn new(url: DatabaseUrl) -> Result<Pool, StoreError> {
        Ok(Pool {
            url,
            idle: Mutex::default(),
        })
    }

    pub(super) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// An idle session (one the server closed meanwhile is dropped), or a new connection.
    pub(super) fn take(&self) -> Result<Session, StoreError> {
        loop {
            let s = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match s {
                Some(mut s) => {
                    s.driver.refresh();
                    if !s.is_closed() {
                        return Ok(s);
                    }
                }
                None => return self.connect(),
            }
        }
    }

    /// Gives a session back; a closed one, or one past the idle limit, is dropped.
    pub(super) fn give(&self, s: Session) {
        if s.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < POOL_IDLE_MAX {
            idle.push(s);
        }
    }

    /// Runs `f` on a session from the pool, and gives the session back.
    pub(super) fn with<R>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut s = self.take()?;
        let r = f(&mut s);
        self.give(s);
        r
    }

    fn connect(&self) -> Result<Session, StoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| StoreError::File {
                path: "postgres runtime".into(),
                source,
            })?;
        let config = self.url.config().clone();
        let tls = self.url.tls().cloned();
        let connected = outside_runtime(|| {
            runtime.block_on(async move {
                Ok::<_, tokio_postgres::Error>(match tls {
                    Some(tls) => {
                        let (client, conn) = config.connect(tls).await?;
                        (client, Box::pin(conn) as Connection)
                    }
                    None => {
                        let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
                        (client, Box::pin(conn) as Connection)
                    }
                })
            })
        });
        let driver = |connection| Driver {
            runtime: Some(runtime),
            connection,
        };
        let (client, connection) = match connected {
            Ok(c) => c,
            Err(e) => {
                drop(driver(None));
                return Err(StoreError::Connect {
                    url: self.url.to_string(),
                    source: e,
                });
            }
        };
        let mut s = Session {
            client,
            driver: driver(Some(connection)),
            prepared: HashMap::new(),
        };
        s.batch(PLANS).map_err(|e| StoreError::Database {
            url: self.url.to_string(),
            reason: format!("cannot set plan_cache_mode: {e}"),
        })?;
        if let Err(e) = s.batch(COMPRESSION) {
            tracing::debug!(error = %e, "postgres: lz4 not available, values compressed with pglz");
        }
        Ok(s)
    }
}

/// Every statement the store sends is prepared once a connection and run thousands of times
/// with values of the same shape: a plan made for the statement alone serves them all, where
/// the server's default plans each of the first executions anew and then keeps doing so for
/// statements whose generic plan it cannot cost (arrays of values): a fifth of its CPU in a
/// backlog (docs/benchmarks.md). Every statement reads by a key or an index, whatever the
/// values.
const PLANS: &str = "SET plan_cache_mode = force_generic_plan";

/// Values stored out of line (outgoing mails, long event texts) are compressed with lz4 when
/// the server was built with it: a tenth of the server's CPU in a backlog went to pglz.
/// Values already stored keep their compression; both read back the same.
const COMPRESSION: &str = "SET default_toast_compression = lz4";
