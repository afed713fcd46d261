//! The commands of SPEC §5.1. anyhow lives here and in `main.rs` only.
//!
//! `tickets`, `show`, `outbox` and `ingest` open the store; while the daemon runs it holds the
//! store, and they go through its admin endpoint instead (`crate::admin`), printing the same
//! from the same JSON views.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::admin;
use crate::config::Config;
use crate::core::{State, TicketId};
use crate::daemon;
use crate::pipeline::now_secs;
use crate::store::{SledStore, Store, StoreError};
use crate::views::{hex, list_outbox, list_tickets, show_mail, show_ticket};

#[derive(Parser, Debug)]
#[command(
    name = "ticket-gateway",
    version,
    about = "A support desk over plain email"
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
}

pub fn load_config(path: &Path) -> Result<Config> {
    Config::load(path).map_err(|e| anyhow::anyhow!("{e}"))
}

pub async fn execute(cli: Cli) -> Result<()> {
    // First of all, so that no SIGTERM can find the daemon without its handler.
    let shutdown = matches!(cli.command, Command::Run).then(shutdown_signal);
    if let Command::Check = cli.command {
        // `check` reports a bad config as its first failed check, with every problem.
        return check(&cli.config).await;
    }
    let config = load_config(&cli.config)?;
    match cli.command {
        Command::Run => {
            let shutdown = shutdown.expect("installed above for `run`");
            daemon::run(config, shutdown).await?;
            Ok(())
        }
        Command::Check => check(&cli.config).await,
        Command::Ingest { file } => ingest(config, file).await,
        Command::Tickets { state, json } => tickets(&config, state, json).await,
        Command::Show { id, json } => show(&config, &id, json).await,
        Command::Outbox { json, all } => outbox(&config, json, all).await,
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
}

/// Opens the store; when the daemon holds it (sled allows one process), finds the daemon
/// through `<store>/admin.json` instead. A daemon that is starting or stopping (the store
/// locked, the file not yet or no longer there) gets a few seconds.
async fn source(config: &Config) -> Result<Source> {
    let store = &config.gateway.store;
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

/// One line per check, `ok` or `FAIL`; non-zero exit if any failed.
async fn check(path: &Path) -> Result<()> {
    let mut failed = 0usize;
    let mut fail = |line: String| {
        println!("FAIL  {line}");
        failed += 1;
    };
    let config = match Config::load(path) {
        Ok(c) => {
            println!("ok    config {}: parsed and validated", path.display());
            c
        }
        Err(e) => {
            let location = toml_location(path);
            for p in &e.problems {
                let key = if p.key.is_empty() {
                    location.clone().unwrap_or_default()
                } else {
                    format!("{}: ", p.key)
                };
                fail(format!("config {}: {key}{}", path.display(), p.reason));
            }
            println!("SKIP  templates, store, imap, smtp: not checked until the config is valid");
            bail!("{failed} check(s) failed");
        }
    };
    let g = &config.gateway;
    match crate::templates::Templates::load(&g.templates, &g.name, &g.tag_prefix) {
        Ok(_) => println!(
            "ok    templates {}: every notice rendered with sample data",
            g.templates.display()
        ),
        Err(errs) => {
            for e in errs {
                fail(e.to_string());
            }
        }
    }
    match check_store(&config).await {
        Ok(line) => println!("ok    store {}: {line}", g.store.display()),
        Err(line) => fail(format!("store {}: {line}", g.store.display())),
    }
    // OAuth2: one token source for both logins, as in the daemon; its grant is a check of
    // its own, so that a refused refresh token is named as such, in the endpoint's words.
    let tokens = match &config.oauth2 {
        None => None,
        Some(o) => match crate::oauth2::TokenSource::new(o) {
            Ok(t) => {
                match t.token().await {
                    Ok(_) => println!(
                        "ok    oauth2 {}: access token granted ({})",
                        o.token_url,
                        t.status().unwrap_or_default()
                    ),
                    Err(e) => fail(format!("oauth2 {}: {}", o.token_url, chain(&e))),
                }
                Some(t)
            }
            Err(e) => {
                fail(format!("oauth2 {}: {}", o.token_url, chain(&e)));
                None
            }
        },
    };
    let imap = &config.imap;
    let at = format!("imap {}:{}", imap.host, imap.port);
    match crate::imap::Session::connect_with(imap, tokens.as_deref()).await {
        Ok(mut s) => match s.select(&imap.mailbox).await {
            Ok(st) => {
                println!(
                    "ok    {at}: logged in as {}{}, mailbox {} ({} mails)",
                    imap.username,
                    auth_note(imap.auth),
                    imap.mailbox,
                    st.exists
                );
                let _ = s.logout().await;
            }
            Err(e) => fail(format!("{at}: mailbox {}: {}", imap.mailbox, chain(&e))),
        },
        Err(e) => fail(format!(
            "{at}: {}",
            describe_imap(&e, &imap.username, imap.auth)
        )),
    }
    let smtp = &config.smtp;
    let at = format!("smtp {}:{}", smtp.host, smtp.port);
    match crate::smtp::Smtp::with_tokens(smtp, tokens.clone()) {
        Ok(s) => match s.test_connection().await {
            Ok(true) if smtp.username.is_empty() => {
                println!("ok    {at}: connected (no AUTH: smtp.username is empty)")
            }
            Ok(true) => println!(
                "ok    {at}: logged in as {}{}",
                smtp.username,
                auth_note(smtp.auth)
            ),
            Ok(false) => fail(format!("{at}: the server does not answer NOOP")),
            Err(e) => fail(format!(
                "{at}: {}",
                describe_smtp(&e, &smtp.username, smtp.auth)
            )),
        },
        Err(e) => fail(format!("{at}: {}", chain(&e))),
    }
    if failed > 0 {
        bail!("{failed} check(s) failed");
    }
    Ok(())
}

/// "line 12, in [imap]: " for a TOML error that names no key (an unknown key, a syntax error).
fn toml_location(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let e = toml::from_str::<crate::config::RawConfig>(&text).err()?;
    let at = e.span()?.start;
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let table = before
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('[') && l.ends_with(']'));
    Some(match table {
        Some(t) => format!("line {line}, in {t}: "),
        None => format!("line {line}: "),
    })
}

async fn check_store(config: &Config) -> std::result::Result<String, String> {
    let dir = &config.gateway.store;
    if !dir.exists() {
        return match dir.parent() {
            Some(p) if p.is_dir() => Ok("does not exist yet; created at the first start".into()),
            _ => Err("neither it nor its parent directory exists".into()),
        };
    }
    match SledStore::open(dir) {
        Ok(s) => s
            .next_ticket_id()
            .map(|id| match id.0.saturating_sub(1) {
                1 => "opens; 1 ticket".to_string(),
                n => format!("opens; {n} tickets"),
            })
            .map_err(|e| chain(&e)),
        Err(StoreError::Locked { .. }) => match admin::Client::discover(dir) {
            Ok(c) => Ok(format!(
                "in use by the running daemon (pid {}, admin endpoint {})",
                c.pid(),
                c.addr()
            )),
            Err(e) => Err(format!("in use by another process, and {e}")),
        },
        Err(e) => Err(chain(&e)),
    }
}

fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    crate::telemetry::chain(e)
}

/// The rustls error somewhere in an error's chain (io::Error hides its inner error from
/// `source()`, so look inside those too).
fn rustls_error<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> Option<&'a tokio_rustls::rustls::Error> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<tokio_rustls::rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<tokio_rustls::rustls::Error>())
        {
            return Some(r);
        }
        cur = err.source();
    }
    None
}

/// A certificate problem in plain words, with what to do about it.
fn certificate_hint(e: &(dyn std::error::Error + 'static), section: &str) -> Option<String> {
    use tokio_rustls::rustls::{CertificateError, Error as E};
    let what = match rustls_error(e)? {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => format!(
            "untrusted certificate: it is not signed by a CA this host trusts; set \
             {section}.ca_file to the PEM file of the CA that signed it"
        ),
        E::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => format!(
            "certificate does not match the host name; set {section}.host to a name the \
             certificate is for"
        ),
        E::InvalidCertificate(
            CertificateError::Expired | CertificateError::ExpiredContext { .. },
        ) => "the server's certificate has expired".to_string(),
        E::InvalidCertificate(other) => format!("the server's certificate is refused ({other:?})"),
        _ => return None,
    };
    Some(format!("{what} ({})", chain(e)))
}

/// " with XOAUTH2" for an OAuth2 login, nothing for a password.
fn auth_note(auth: crate::config::Auth) -> String {
    if auth.is_oauth2() {
        format!(" with {}", auth.mechanism())
    } else {
        String::new()
    }
}

fn describe_imap(e: &crate::imap::ImapError, username: &str, auth: crate::config::Auth) -> String {
    use crate::imap::ImapError as E;
    match e {
        E::LoginRefused { detail, .. } if auth.is_oauth2() => format!(
            "{} login refused for {username}: is the token's account {username}, and its scope right? (server said: {detail})",
            auth.mechanism()
        ),
        E::LoginRefused { detail, .. } => {
            format!("login refused for {username}: wrong user name or password? (server said: {detail})")
        }
        _ => certificate_hint(e, "imap").unwrap_or_else(|| chain(e)),
    }
}

fn describe_smtp(e: &crate::smtp::SmtpError, username: &str, auth: crate::config::Auth) -> String {
    if let crate::smtp::SmtpError::AuthRefused { detail, .. } = e {
        return format!(
            "{} login refused for {username}: is the token's account {username}, and its scope right? (server said: {detail})",
            auth.mechanism()
        );
    }
    if let crate::smtp::SmtpError::Send { source } = e {
        let code = source.status().map(|c| c.to_string()).unwrap_or_default();
        if matches!(code.as_str(), "535" | "534" | "530") {
            return format!(
                "login refused for {username}: wrong user name or password? (server said: {})",
                chain(source)
            );
        }
    }
    certificate_hint(e, "smtp").unwrap_or_else(|| chain(e))
}

async fn ingest(config: Config, file: Option<PathBuf>) -> Result<()> {
    let mut raw = Vec::new();
    match &file {
        Some(f) => {
            raw = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        }
        None => {
            std::io::stdin()
                .read_to_end(&mut raw)
                .context("cannot read stdin")?;
        }
    }
    let gw = match daemon::open_gateway(config.clone(), std::time::Duration::ZERO) {
        Ok(gw) => Arc::new(gw),
        Err(daemon::DaemonError::Store(StoreError::Locked { .. })) => {
            // The daemon runs: it processes the mail, and its outbox sends what it queues.
            let Source::Daemon(client) = source(&config).await? else {
                // It stopped in between: do it here.
                return ingest_local(config, raw).await;
            };
            let reply = client.ingest(raw).await?;
            for line in &reply.decision {
                println!("{line}");
            }
            return Ok(());
        }
        Err(e) => return Err(e.into()),
    };
    ingest_with(gw, raw).await
}

async fn ingest_local(config: Config, raw: Vec<u8>) -> Result<()> {
    ingest_with(
        Arc::new(daemon::open_gateway(config, std::time::Duration::ZERO)?),
        raw,
    )
    .await
}

async fn ingest_with(gw: Arc<crate::pipeline::Gateway>, raw: Vec<u8>) -> Result<()> {
    let p = gw.process_safely(&raw, now_secs())?;
    gw.flush()?;
    for line in &p.record.decision {
        println!("{line}");
    }
    // Pipe mode: try to send what the mail queued now; what fails waits for the daemon.
    if !p.outbox.is_empty() {
        let smtp = crate::smtp::Smtp::with_tokens(&gw.config.smtp, gw.tokens.clone())?;
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

async fn tickets(config: &Config, state: Option<String>, json: bool) -> Result<()> {
    let filter = match &state {
        Some(s) => Some(State::parse(s).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown state '{s}' (one of: {})",
                State::ALL.map(State::as_str).join(", ")
            )
        })?),
        None => None,
    };
    let prefix = &config.gateway.tag_prefix;
    let views = match source(config).await? {
        Source::Store(store) => list_tickets(&*store, prefix, filter)?,
        Source::Daemon(c) => {
            let path = match filter {
                Some(f) => format!("/api/tickets?state={}", f.as_str()),
                None => "/api/tickets".into(),
            };
            c.get(&path).await?
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&views)?);
    } else {
        for t in &views {
            println!(
                "{:<10} {:<21} {:<30} {}",
                t.tag, t.state, t.reporter, t.subject
            );
        }
    }
    Ok(())
}

async fn show_message(config: &Config, mid: &str, json: bool) -> Result<()> {
    let prefix = &config.gateway.tag_prefix;
    let found = match source(config).await? {
        Source::Store(store) => show_mail(&*store, prefix, mid)?,
        Source::Daemon(c) => {
            let clean = mid.trim().trim_start_matches('<').trim_end_matches('>');
            match c.get(&format!("/api/mails/{}", hex(clean))).await {
                Ok(v) => Some(v),
                Err(admin::ClientError::Refused { status: 404, .. }) => None,
                Err(e) => return Err(e.into()),
            }
        }
    };
    let Some(v) = found else {
        bail!(
            "no processed mail with Message-ID <{}>",
            mid.trim().trim_matches(['<', '>'])
        );
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!("<{}>", v.message_id);
    println!("processed:    {}", v.at);
    println!("outcome:      {}", v.outcome);
    if let Some(t) = &v.ticket {
        println!("ticket:       {t}");
    }
    for d in &v.decision {
        println!("  why: {d}");
    }
    Ok(())
}

async fn show(config: &Config, id: &str, json: bool) -> Result<()> {
    if id.contains('@') {
        return show_message(config, id, json).await;
    }
    let prefix = &config.gateway.tag_prefix;
    let id = parse_id(id, prefix)?;
    let found = match source(config).await? {
        Source::Store(store) => show_ticket(&*store, prefix, id)?,
        Source::Daemon(c) => match c.get(&format!("/api/tickets/{}", id.0)).await {
            Ok(v) => Some(v),
            Err(admin::ClientError::Refused { status: 404, .. }) => None,
            Err(e) => return Err(e.into()),
        },
    };
    let Some(v) = found else {
        bail!("no ticket {}", id.tag(prefix));
    };
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
        let change = match (&e.from_state, &e.to_state) {
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

async fn outbox(config: &Config, json: bool, all: bool) -> Result<()> {
    let views = match source(config).await? {
        Source::Store(store) => list_outbox(&*store, all)?,
        Source::Daemon(c) => {
            c.get(if all {
                "/api/outbox?all=1"
            } else {
                "/api/outbox"
            })
            .await?
        }
    };
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
                v.last_error.as_deref().unwrap_or("")
            );
        }
    }
    Ok(())
}
