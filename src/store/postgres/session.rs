//! Connections to PostgreSQL behind a synchronous interface: a runtime of the store's own
//! drives every connection, and callers wait on their queries with a plain executor, so the
//! store works alike from a blocking thread, a CLI command or inside the daemon's runtime.
//!
//! A [`Pool`] keeps a few idle [`Session`]s; a session prepares each statement once.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Statement};

use super::url::DatabaseUrl;
use crate::store::StoreError;

/// How many idle connections the pool keeps (the daemon uses at most three at once: ingest,
/// the outbox and the admin endpoint; more are opened when needed and closed after use).
const POOL_IDLE_MAX: usize = 4;

/// Waits for a future without a runtime of the caller's: the connections run on the store's
/// own runtime, and the client's futures only wait for their answers.
pub(super) fn wait<F: Future>(f: F) -> F::Output {
    #[cfg(test)]
    ROUND_TRIPS.with(|n| n.set(n.get() + 1));
    futures::executor::block_on(f)
}

#[cfg(test)]
thread_local! {
    /// How many times this thread waited for the server: the round trips the tests count.
    pub(super) static ROUND_TRIPS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// One connection and the statements prepared on it.
pub(super) struct Session {
    pub(super) client: Client,
    prepared: HashMap<&'static str, Statement>,
}

impl Session {
    /// The statement of `sql`, prepared on this connection the first time.
    pub(super) fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = wait(self.client.prepare(sql)).map_err(StoreError::Postgres)?;
        self.prepared.insert(sql, s.clone());
        Ok(s)
    }

    pub(super) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        wait(self.client.query(&s, params)).map_err(StoreError::Postgres)
    }

    pub(super) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>, StoreError> {
        let s = self.statement(sql)?;
        wait(self.client.query_opt(&s, params)).map_err(StoreError::Postgres)
    }

    pub(super) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        wait(self.client.execute(&s, params)).map_err(StoreError::Postgres)
    }

    /// Runs statements without parameters (transaction control, migrations).
    pub(super) fn batch(&mut self, sql: &str) -> Result<(), StoreError> {
        wait(self.client.batch_execute(sql)).map_err(StoreError::Postgres)
    }

    pub(super) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }
}

/// The store's runtime and its idle connections.
pub(super) struct Pool {
    url: DatabaseUrl,
    /// `Some` until the pool is dropped (a runtime is shut down without waiting, which is
    /// allowed inside another runtime, where the daemon drops its store).
    runtime: Option<tokio::runtime::Runtime>,
    idle: Mutex<Vec<Session>>,
}

impl Pool {
    pub(super) fn new(url: DatabaseUrl) -> Result<Pool, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("tg-postgres")
            .enable_all()
            .build()
            .map_err(|source| StoreError::File {
                path: "postgres runtime".into(),
                source,
            })?;
        Ok(Pool {
            url,
            runtime: Some(runtime),
            idle: Mutex::default(),
        })
    }

    pub(super) fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    fn handle(&self) -> &tokio::runtime::Handle {
        self.runtime
            .as_ref()
            .expect("the runtime lives until the pool is dropped")
            .handle()
    }

    /// An idle session, or a new connection.
    pub(super) fn take(&self) -> Result<Session, StoreError> {
        loop {
            let s = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            match s {
                Some(s) if s.is_closed() => continue,
                Some(s) => return Ok(s),
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
        let config = self.url.config().clone();
        let tls = self.url.tls().cloned();
        let connecting = self.handle().spawn(async move {
            let client = match tls {
                Some(tls) => {
                    let (client, conn) = config.connect(tls).await?;
                    tokio::spawn(drive(conn));
                    client
                }
                None => {
                    let (client, conn) = config.connect(tokio_postgres::NoTls).await?;
                    tokio::spawn(drive(conn));
                    client
                }
            };
            Ok::<_, tokio_postgres::Error>(client)
        });
        let client = wait(connecting)
            .map_err(|e| StoreError::Database {
                url: self.url.to_string(),
                reason: format!("connection task failed: {e}"),
            })?
            .map_err(|e| StoreError::Connect {
                url: self.url.to_string(),
                source: e,
            })?;
        Ok(Session {
            client,
            prepared: HashMap::new(),
        })
    }
}

/// Runs one connection until it closes; the client sees a closed connection as an error.
async fn drive<C: Future<Output = Result<(), tokio_postgres::Error>>>(conn: C) {
    if let Err(e) = conn.await {
        tracing::debug!(error = %e, "postgres: connection closed");
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.idle.lock().unwrap_or_else(|e| e.into_inner()).clear();
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
