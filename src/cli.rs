//! The commands of SPEC §5.1. anyhow lives here and in `main.rs` only.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::config::Config;
use crate::core::{State, Ticket, TicketId};
use crate::daemon;
use crate::pipeline::now_secs;
use crate::store::{OutboxEntry, OutboxStatus, SledStore, Store};

#[derive(Parser, Debug)]
#[command(name = "ticket-gateway", version, about = "A support desk over plain email")]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "TICKET_GATEWAY_CONFIG", default_value = "/etc/ticket-gateway/gateway.toml")]
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
        #[arg(long)]
        json: bool,
    },
    /// One ticket with its history and decisions.
    Show {
        /// `42` or `SUP-42`.
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
}

pub fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn execute(cli: Cli) -> Result<()> {
    let config = load_config(&cli.config)?;
    match cli.command {
        Command::Run => {
            daemon::run(config, shutdown_signal()).await?;
            Ok(())
        }
        Command::Check => check(config).await,
        Command::Ingest { file } => ingest(config, file).await,
        Command::Tickets { state, json } => tickets(&open_store(&config)?, &config, state, json),
        Command::Show { id, json } => show(&open_store(&config)?, &config, &id, json),
        Command::Outbox { json, all } => outbox(&open_store(&config)?, json, all),
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

fn open_store(config: &Config) -> Result<Arc<dyn Store>> {
    Ok(Arc::new(SledStore::open(&config.gateway.store)?))
}

async fn check(config: Config) -> Result<()> {
    let mut failed = 0;
    println!("ok    config {}", "parsed and validated");
    match crate::templates::Templates::load(&config.gateway.templates, &config.gateway.name, &config.gateway.tag_prefix) {
        Ok(_) => println!("ok    templates {}", config.gateway.templates.display()),
        Err(errs) => {
            for e in errs {
                println!("FAIL  {e}");
            }
            failed += 1;
        }
    }
    match crate::imap::Session::connect(&config.imap).await {
        Ok(mut s) => match s.select(&config.imap.mailbox).await {
            Ok(st) => {
                println!("ok    imap {}:{} login, mailbox {} ({} mails)", config.imap.host, config.imap.port, config.imap.mailbox, st.exists);
                let _ = s.logout().await;
            }
            Err(e) => {
                println!("FAIL  imap mailbox {}: {e}", config.imap.mailbox);
                failed += 1;
            }
        },
        Err(e) => {
            println!("FAIL  imap {}:{}: {e}", config.imap.host, config.imap.port);
            failed += 1;
        }
    }
    match crate::smtp::Smtp::new(&config.smtp) {
        Ok(s) => match s.test_connection().await {
            Ok(true) => println!("ok    smtp {}:{}", config.smtp.host, config.smtp.port),
            Ok(false) => {
                println!("FAIL  smtp {}:{}: no answer", config.smtp.host, config.smtp.port);
                failed += 1;
            }
            Err(e) => {
                println!("FAIL  smtp {}:{}: {e}", config.smtp.host, config.smtp.port);
                failed += 1;
            }
        },
        Err(e) => {
            println!("FAIL  {e}");
            failed += 1;
        }
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

async fn ingest(config: Config, file: Option<PathBuf>) -> Result<()> {
    let mut raw = Vec::new();
    match &file {
        Some(f) => {
            raw = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        }
        None => {
            std::io::stdin().read_to_end(&mut raw).context("cannot read stdin")?;
        }
    }
    let gw = Arc::new(daemon::open_gateway(config)?);
    let p = gw.process(&raw, None, now_secs())?;
    gw.store.flush()?;
    for line in &p.record.decision {
        println!("{line}");
    }
    // Pipe mode: try to send what the mail queued now; what fails waits for the daemon.
    if !p.outbox.is_empty() {
        let smtp = crate::smtp::Smtp::new(&gw.config.smtp)?;
        daemon::send_now(&gw, &smtp, p.outbox).await;
        gw.store.flush()?;
    }
    Ok(())
}

fn parse_id(id: &str, prefix: &str) -> Result<TicketId> {
    let s = id.trim().trim_matches(['[', ']']);
    let n = s
        .rsplit_once('-')
        .filter(|(p, _)| p.eq_ignore_ascii_case(prefix))
        .map(|(_, n)| n)
        .unwrap_or(s);
    n.parse()
        .map(TicketId)
        .map_err(|_| anyhow::anyhow!("'{id}' is not a ticket id (like 42 or {prefix}-42)"))
}

fn rfc3339(secs: i64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64)).to_string()
}

#[derive(Serialize)]
pub struct TicketView {
    pub id: u64,
    pub tag: String,
    pub subject: String,
    pub state: &'static str,
    pub reporter: String,
    pub participants: Vec<String>,
    pub language: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub automated: bool,
    pub refers_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

#[derive(Serialize)]
pub struct EventView {
    pub at: String,
    pub kind: &'static str,
    pub from: String,
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_state: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_state: Option<&'static str>,
    pub message_id: Option<String>,
    pub attachments: Vec<String>,
    pub decision: Vec<String>,
}

pub fn ticket_view(t: &Ticket, prefix: &str, with_events: bool) -> TicketView {
    TicketView {
        id: t.id.0,
        tag: t.id.tag(prefix),
        subject: t.summary.clone(),
        state: t.state.as_str(),
        reporter: t.reporter.clone(),
        participants: t.participants.clone(),
        language: t.language.as_str(),
        created_at: rfc3339(t.created_at),
        updated_at: rfc3339(t.updated_at),
        automated: t.automated,
        refers_to: t.refers_to.map(|r| r.tag(prefix)),
        events: with_events.then(|| {
            t.events
                .iter()
                .map(|e| EventView {
                    at: rfc3339(e.at),
                    kind: e.kind.as_str(),
                    from: e.from.clone(),
                    text: e.text.clone(),
                    from_state: e.from_state.map(State::as_str),
                    to_state: e.to_state.map(State::as_str),
                    message_id: e.message_id.clone(),
                    attachments: e.attachments.iter().map(|a| a.name.clone()).collect(),
                    decision: e.decision.clone(),
                })
                .collect()
        }),
    }
}

fn tickets(store: &Arc<dyn Store>, config: &Config, state: Option<String>, json: bool) -> Result<()> {
    let filter = match state {
        Some(s) => Some(State::parse(&s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown state '{s}' (one of: {})",
                State::ALL.map(State::as_str).join(", ")
            )
        })?),
        None => None,
    };
    let list: Vec<Ticket> = store
        .tickets()?
        .into_iter()
        .filter(|t| filter.is_none_or(|f| t.state == f))
        .collect();
    let prefix = &config.gateway.tag_prefix;
    if json {
        let views: Vec<TicketView> = list.iter().map(|t| ticket_view(t, prefix, false)).collect();
        println!("{}", serde_json::to_string_pretty(&views)?);
    } else {
        for t in &list {
            println!(
                "{:<10} {:<21} {:<30} {}",
                t.id.tag(prefix),
                t.state.as_str(),
                t.reporter,
                t.summary
            );
        }
    }
    Ok(())
}

fn show(store: &Arc<dyn Store>, config: &Config, id: &str, json: bool) -> Result<()> {
    let prefix = &config.gateway.tag_prefix;
    let id = parse_id(id, prefix)?;
    let Some(t) = store.ticket(id)? else {
        bail!("no ticket {}", id.tag(prefix));
    };
    let v = ticket_view(&t, prefix, true);
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("[{}] {}", v.tag, v.subject);
    println!("state:        {}", v.state);
    println!("reporter:     {}", v.reporter);
    if !v.participants.is_empty() {
        println!("participants: {}", v.participants.join(", "));
    }
    println!("language:     {}", v.language);
    println!("created:      {}", v.created_at);
    println!("updated:      {}", v.updated_at);
    if let Some(r) = &v.refers_to {
        println!("refers to:    {r}");
    }
    for e in v.events.unwrap_or_default() {
        println!();
        let change = match (e.from_state, e.to_state) {
            (Some(a), Some(b)) => format!(" {a} -> {b}"),
            _ => String::new(),
        };
        println!("{} {} by {}{}", e.at, e.kind, e.from, change);
        for line in e.text.lines() {
            println!("    {line}");
        }
        if !e.attachments.is_empty() {
            println!("    attachments: {}", e.attachments.join(", "));
        }
        for d in &e.decision {
            println!("  why: {d}");
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct OutboxView<'a> {
    id: u64,
    status: &'static str,
    kind: &'a str,
    ticket: Option<u64>,
    message_id: &'a str,
    to: &'a [String],
    attempts: u32,
    created_at: String,
    next_attempt_at: String,
    last_error: Option<&'a str>,
}

fn outbox(store: &Arc<dyn Store>, json: bool, all: bool) -> Result<()> {
    let entries: Vec<OutboxEntry> = store
        .outbox()?
        .into_iter()
        .filter(|e| all || e.status != OutboxStatus::Sent)
        .collect();
    let views: Vec<OutboxView> = entries
        .iter()
        .map(|e| OutboxView {
            id: e.id,
            status: e.status.as_str(),
            kind: &e.kind,
            ticket: e.ticket,
            message_id: &e.message_id,
            to: &e.to,
            attempts: e.attempts,
            created_at: rfc3339(e.created_at),
            next_attempt_at: rfc3339(e.next_attempt_at),
            last_error: e.last_error.as_deref(),
        })
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&views)?);
    } else {
        for v in &views {
            println!(
                "{:<6} {:<8} {:<16} {:<30} attempts={} {}",
                v.id,
                v.status,
                v.kind,
                v.to.join(","),
                v.attempts,
                v.last_error.unwrap_or("")
            );
        }
    }
    Ok(())
}
