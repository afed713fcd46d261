//! What can go wrong in a store, and which of it is worth a retry.

use super::schema::SCHEMA_VERSION;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path} is in use by another process (is the daemon running?)")]
    Locked { path: String },
    #[error("store {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: sled::Error,
    },
    #[error("store {path} has schema version {found}, newer than this build's {SCHEMA_VERSION}: refusing to start")]
    NewerSchema { path: String, found: u32 },
    #[error("store i/o: {0}")]
    Io(#[from] sled::Error),
    #[error("corrupt record in {tree}: {reason}")]
    Corrupt { tree: &'static str, reason: String },
    #[error("store file {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("store {url}: cannot connect: {source}")]
    Connect {
        url: String,
        #[source]
        source: tokio_postgres::Error,
    },
    #[error("store {url}: {reason}")]
    Database { url: String, reason: String },
    /// This daemon may not commit: it holds no lease, or no longer (SPEC §5.5). Transient:
    /// the daemon stops, and a restart stands by.
    #[error("store {url}: not acting on the store: {reason}")]
    Fenced { url: String, reason: String },
    /// The driver's own text for an error is its kind only ("db error", "error communicating
    /// with the server"); the server's message or the i/o error is what tells an operator
    /// what happened.
    #[error("store query: {}", crate::telemetry::chain(.0))]
    Postgres(#[source] tokio_postgres::Error),
}

impl StoreError {
    /// A store error is worth a retry when the disk hiccuped or the database could not be
    /// reached or answered with a condition that passes (a lost connection, a conflict, a
    /// server shutting down or out of resources).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Io(_)
            | StoreError::File { .. }
            | StoreError::Connect { .. }
            | StoreError::Database { .. }
            | StoreError::Fenced { .. } => true,
            // 25P03: the server ended a transaction left idle too long (a process frozen or
            // cut off while it held a batch); a new connection works.
            StoreError::Postgres(e) => e.as_db_error().is_none_or(|d| {
                let class = &d.code().code()[..2];
                matches!(class, "08" | "40" | "53" | "57" | "58") || d.code().code() == "25P03"
            }),
            StoreError::Locked { .. }
            | StoreError::Open { .. }
            | StoreError::NewerSchema { .. }
            | StoreError::Corrupt { .. } => false,
        }
    }
}
