//! The commands of SPEC §5.1. anyhow lives here and in `main.rs` only.
//!
//! `tickets`, `show`, `outbox` and `ingest` open the store; while the daemon runs it holds the
//! store, and they go through its admin endpoint instead (`crate::admin`), printing the same
//! from the same JSON views (`query.rs`). `check` is in `check.rs`. The query commands read
//! no secret and touch no network but the loopback admin endpoint.

mod assets;
mod check;
mod migrate;
mod query;

pub use assets::Assets;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::admin;
use crate::config::Config;
use crate::daemon;
use crate::store::{PgStore, SledStore, Store, StoreError};
use crate::views::TicketFilter;

#[derive(Parser, Debug)]
#[command(
    name = "ticket-gateway",
    version,
    about = "A support desk over plain email",
    long_about = "A support desk over plain email: customers write to one support address and \
get a ticket; staff answer by mail and move tickets through the workflow with #keywords. \
The daemon (`run`) watches the support mailbox over IMAP, keeps tickets in an embedded \
store and answers over SMTP; the other commands work whether it runs or not.",
    after_long_help = "Files: /etc/ticket-gateway/gateway.toml (every key is described in \
/usr/share/doc/ticket-gateway/gateway.toml.example), the store in /var/lib/ticket-gateway, the \
templates in /usr/share/ticket-gateway/templates. Relative paths in the config are relative to \
its directory.\n\nEnvironment: TICKET_GATEWAY_CONFIG (the config file), TICKET_GATEWAY_LOG \
or RUST_LOG (the log level, e.g. info or ticket_gateway=debug), CREDENTIALS_DIRECTORY \
(systemd credentials, where a relative password_file is looked up first).\n\nThe operator's \
guide: /usr/share/doc/ticket-gateway/operating.md."
)]
pub struct Cli {
    /// Configuration file.
    #[arg(
        long,
        global = true,
        env = "TICKET_GATEWAY_CONFIG",
        default_value = "/etc/ticket-gateway/gateway.toml"
    )]
    pub config: PathBuf,
    /// Log format.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the daemon in the foreground (what systemd starts).
    Run,
    /// Validate config and templates, log in to IMAP and SMTP, report.
    Check,
    /// Process one raw message from FILE or stdin (MTA pipe mode).
    Ingest { file: Option<PathBuf> },
    /// List tickets.
    Tickets {
        #[arg(long)]
        state: Option<String>,
        /// question, bug, incident, improvement (or their French names).
        #[arg(long = "type")]
        kind: Option<String>,
        /// blocker, critical, major, minor, trivial (or their French names).
        #[arg(long)]
        severity: Option<String>,
        /// A staff address, or `none` for the tickets nobody owns.
        #[arg(long)]
        owner: Option<String>,
        /// Show the newest N (default 50; 0: every one). `--json` without it lists all.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// One ticket with its history and decisions.
    Show {
        /// `42` or `SUP-42`; or the Message-ID of any mail the gateway processed (quarantined
        /// mail included) to see what it decided and why.
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Pending and dead outgoing mail.
    Outbox {
        #[arg(long)]
        json: bool,
        /// Also list mail already sent.
        #[arg(long)]
        all: bool,
    },
    /// Copy the sled store into an empty PostgreSQL database, verify it, and say what to
    /// change in the config (the daemon stopped).
    Migrate {
        /// The database: postgres://USER:PASSWORD@HOST[:PORT]/DB[?sslmode=require]
        #[arg(long, value_name = "URL")]
        to: String,
    },
}

pub(crate) fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

/// The config, and every secret a login needs read once: `run` and `ingest` report a
/// missing one before they start, with its key.
fn load_config_with_secrets(path: &Path) -> Result<Config> {
    let config = load_config(path)?;
    config
        .read_secrets(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(config)
}

pub async fn execute(cli: Cli) -> Result<()> {
    // First of all, so that no SIGTERM can find the daemon without its handler.
    let shutdown = matches!(cli.command, Command::Run).then(shutdown_signal);
    let path = &cli.config;
    let result = match cli.command {
        Command::Run => {
            let config = load_config_with_secrets(path)?;
            let shutdown = shutdown.expect("installed above for `run`");
            daemon::run(config, shutdown).await?;
            Ok(())
        }
        // `check` reports a bad config as its first failed check, with every problem.
        Command::Check => check::check(path).await,
        Command::Ingest { file } => query::ingest(load_config_with_secrets(path)?, file).await,
        Command::Tickets {
            state,
            kind,
            severity,
            owner,
            limit,
            json,
        } => {
            let filter = TicketFilter::parse(
                state.as_deref(),
                kind.as_deref(),
                severity.as_deref(),
                owner.as_deref(),
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            query::tickets(&load_config(path)?, &filter, limit, json).await
        }
        Command::Show { id, json } => query::show(&load_config(path)?, &id, json).await,
        Command::Outbox { json, all } => query::outbox(&load_config(path)?, json, all).await,
        Command::Migrate { to } => migrate::migrate(path, &to).await,
    };
    match result {
        // The reader went away (`show SUP-1 | head`): not an error of ours.
        Err(e) if e.is::<Closed>() => Ok(()),
        other => other,
    }
}

/// Standard output was closed by its reader.
#[derive(Debug, thiserror::Error)]
#[error("standard output closed")]
struct Closed;

/// Writes to standard output; a closed pipe becomes [`Closed`] (never a panic, as
/// `println!` would).
fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// SIGTERM or SIGINT. The handlers are installed when this is called, not when the future is
/// first polled: a SIGTERM during start-up (systemd stopping a starting unit) must still mean
/// "stop cleanly, exit 0", never the default action of dying on the signal.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate()).ok();
    let int = signal(SignalKind::interrupt()).ok();
    async move {
        let term = async {
            match term {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        let int = async {
            match int {
                Some(mut s) => {
                    s.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = term => {},
            _ = int => {},
        }
    }
}

/// Where the query commands read: the store itself, or the running daemon that holds it.
enum Source {
    Store(Arc<dyn Store>),
    Daemon(admin::Client),
    /// No store yet (the daemon never ran): nothing to list, and nothing is created.
    Absent,
}

/// Opens the store; when the daemon holds it (sled allows one process), finds the daemon
/// through `<store>/admin.json` instead. A daemon that is starting or stopping (the store
/// locked, the file not yet or no longer there) gets a few seconds.
async fn source(config: &Config) -> Result<Source> {
    if let Some(url) = &config.gateway.database {
        // A database serves every process at once: read it directly.
        let url = url.clone();
        let store = tokio::task::spawn_blocking(move || PgStore::open(&url)).await??;
        return Ok(Source::Store(Arc::new(store)));
    }
    let store = &config.gateway.store;
    if !store.exists() {
        return Ok(Source::Absent);
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let locked = match SledStore::open(store) {
            Ok(s) => return Ok(Source::Store(Arc::new(s))),
            Err(e @ StoreError::Locked { .. }) => e,
            Err(e) => return Err(e.into()),
        };
        let why = match admin::Client::discover(store) {
            Ok(c) => return Ok(Source::Daemon(c)),
            Err(e) => e,
        };
        if std::time::Instant::now() > deadline {
            bail!("{locked}, and {why}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
