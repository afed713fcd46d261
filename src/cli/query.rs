//! `tickets`, `show`, `outbox` and `ingest`: what they print, from the store or from the
//! running daemon (the same views either way).

use std::fmt::Write as _;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};

use super::{print, source, Source};
use crate::admin;
use crate::config::Config;
use crate::core::{Policy, TicketId};
use crate::daemon;
use crate::pipeline::now_secs;
use crate::store::StoreError;
use crate::views::{
    hex, ingest_report, list_newest, list_outbox, list_tickets, show_mail, show_ticket,
    TicketFilter, TicketPage,
};

/// Lines, each ended by a line break.
fn lines(v: &[String]) -> String {
    v.iter().map(|l| format!("{l}\n")).collect()
}

pub(super) async fn ingest(config: Config, file: Option<PathBuf>) -> Result<()> {
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
            let client = match source(&config).await? {
                Source::Daemon(c) => c,
                // A database is read directly, but the daemon on this machine acts on it.
                _ => match admin::Client::discover(&config.gateway.store) {
                    Ok(c) => c,
                    // It stopped in between: do it here.
                    Err(_) => return ingest_local(config, raw).await,
                },
            };
            let reply = client.ingest(raw).await?;
            return print(&lines(&reply.decision));
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
    print(&lines(&ingest_report(&p.record, p.duplicate, &gw.policy)))?;
    // Pipe mode: try to send what the mail queued now; what fails waits for the daemon.
    if !p.outbox.is_empty() {
        let smtp = daemon::relays(&gw)?;
        daemon::send_now(&gw, &smtp, p.outbox).await;
        gw.flush()?;
    }
    Ok(())
}

/// A ticket id or tag (`42`, `SUP-42`, `[BIL-3]`: any queue's prefix, SPEC §5.4).
fn parse_id(id: &str, policy: &Policy) -> Result<TicketId> {
    let s = id.trim().trim_matches(['[', ']']);
    policy.parse_tag(s).ok_or_else(|| {
        anyhow::anyhow!(
            "'{id}' is not a ticket id (like 42 or {}-42)",
            policy.tag_prefix
        )
    })
}

/// The policy the read side shows tickets by: with the prefix of every queue the store
/// gave a slot (tags as the daemon writes them).
fn read_policy(config: &Config, store: &dyn crate::store::Store) -> Result<Policy> {
    let mut policy = config.queue(0).policy();
    policy.prefixes = store.queue_slots()?;
    if policy.prefixes.is_empty() {
        policy.prefixes = vec![(0, policy.tag_prefix.clone())];
    }
    Ok(policy)
}

/// How many tickets `tickets` shows without `--limit`, newest first (as `gh` lists issues):
/// a listing of every open ticket of a big desk is of no use to the person reading it.
pub(super) const DEFAULT_LIMIT: usize = 50;

/// `tickets`: the newest `limit` tickets (0: every one) and a closing line saying how many
/// more match. `--json` without `--limit` prints every match in id order, as scripts read it.
pub(super) async fn tickets(
    config: &Config,
    filter: &TicketFilter,
    limit: Option<usize>,
    json: bool,
) -> Result<()> {
    let now = now_secs();
    let mut out = String::new();
    if json && limit.is_none() {
        let views = match source(config).await? {
            Source::Absent => Vec::new(),
            Source::Store(store) => {
                list_tickets(&*store, &read_policy(config, &*store)?, filter, now)?
            }
            Source::Daemon(c) => c.get(&tickets_path(filter, None)).await?,
        };
        writeln!(out, "{}", serde_json::to_string_pretty(&views)?)?;
        return print(&out);
    }
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    let page = match source(config).await? {
        Source::Absent => TicketPage {
            tickets: Vec::new(),
            more: 0,
        },
        Source::Store(store) => {
            list_newest(&*store, &read_policy(config, &*store)?, filter, now, limit)?
        }
        Source::Daemon(c) => c.get(&tickets_path(filter, Some(limit))).await?,
    };
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&page.tickets)?)?;
        print(&out)?;
        if page.more > 0 {
            eprintln!("{}", more_line(page.more));
        }
        return Ok(());
    }
    if page.tickets.is_empty() {
        match filter.state {
            Some(f) if filter.to_query() == format!("state={}", f.as_str()) => {
                writeln!(out, "no tickets in state {}", f.as_str())?
            }
            _ if !filter.is_empty() => writeln!(out, "no tickets match")?,
            _ => writeln!(out, "no tickets")?,
        }
    }
    for t in &page.tickets {
        writeln!(
            out,
            "{:<10} {:<21} {:<11} {:<9} {:<24} {:<30} {}{}",
            t.tag,
            t.state,
            t.kind,
            t.severity,
            t.owner.as_deref().unwrap_or("-"),
            t.reporter,
            t.subject,
            sla_text(&t.sla),
        )?;
    }
    if page.more > 0 {
        writeln!(out, "{}", more_line(page.more))?;
    }
    print(&out)
}

/// The admin API's path for a listing (`limit`: the newest that many, with the count of
/// the rest).
fn tickets_path(filter: &TicketFilter, limit: Option<usize>) -> String {
    let mut q = filter.to_query();
    if let Some(n) = limit {
        if !q.is_empty() {
            q.push('&');
        }
        write!(q, "limit={n}").expect("writing to a String");
    }
    match q.is_empty() {
        true => "/api/tickets".to_string(),
        false => format!("/api/tickets?{q}"),
    }
}

/// The line that ends a listing cut short by its limit.
fn more_line(more: u64) -> String {
    format!("… {more} more; --limit 0 for all")
}

/// `  [first response due 2026-…]`, `  [resolution BREACHED]`: what is due and breached.
fn sla_text(levels: &[crate::views::SlaView]) -> String {
    let mut out = String::new();
    for s in levels {
        let name = s.kind.replace('_', " ");
        if s.breached {
            write!(out, "  [{name} BREACHED]").expect("writing to a String cannot fail");
        } else if let Some(due) = &s.due {
            write!(out, "  [{name} due {due}]").expect("writing to a String cannot fail");
        }
    }
    out
}

async fn show_message(config: &Config, mid: &str, json: bool) -> Result<()> {
    let found = match source(config).await? {
        Source::Absent => None,
        Source::Store(store) => show_mail(&*store, &read_policy(config, &*store)?, mid)?,
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
        return print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    let mut out = String::new();
    writeln!(out, "<{}>", v.message_id)?;
    writeln!(out, "processed:    {}", v.at)?;
    writeln!(out, "outcome:      {}", v.outcome)?;
    if let Some(t) = &v.ticket {
        writeln!(out, "ticket:       {t}")?;
    }
    for d in &v.decision {
        writeln!(out, "  why: {d}")?;
    }
    print(&out)
}

pub(super) async fn show(config: &Config, id: &str, json: bool) -> Result<()> {
    if id.contains('@') {
        return show_message(config, id, json).await;
    }
    // Before the store is read, a tag of the first queue or a number is known for sure;
    // the store (or the daemon) knows the slots of the others.
    let mut first = config.queue(0).policy();
    first.prefixes = vec![(0, first.tag_prefix.clone())];
    let text = id.trim().trim_matches(['[', ']']);
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        parse_id(id, &first)?;
    }
    let (found, tag) = match source(config).await? {
        Source::Absent => (None, first.tag(parse_id(id, &first)?)),
        Source::Store(store) => {
            let policy = read_policy(config, &*store)?;
            let id = parse_id(id, &policy)?;
            let found = show_ticket(&*store, &policy, id, now_secs())?;
            (found, policy.tag(id))
        }
        Source::Daemon(c) => match c.get(&format!("/api/tickets/{text}")).await {
            Ok(v) => (Some(v), String::new()),
            Err(admin::ClientError::Refused { status: 404, .. }) => {
                let tag = parse_id(text, &first).map(|id| first.tag(id));
                (None, tag.unwrap_or_else(|_| text.to_ascii_uppercase()))
            }
            Err(e) => return Err(e.into()),
        },
    };
    let Some(v) = found else {
        bail!("no ticket {tag}");
    };
    if json {
        return print(&format!("{}\n", serde_json::to_string_pretty(&v)?));
    }
    let mut out = String::new();
    writeln!(out, "[{}] {}", v.tag, v.subject)?;
    writeln!(out, "state:        {}", v.state)?;
    writeln!(out, "reporter:     {}", v.reporter)?;
    if !v.participants.is_empty() {
        writeln!(out, "participants: {}", v.participants.join(", "))?;
    }
    writeln!(out, "language:     {}", v.language)?;
    writeln!(out, "created:      {}", v.created_at)?;
    writeln!(out, "updated:      {}", v.updated_at)?;
    if let Some(r) = &v.refers_to {
        writeln!(out, "refers to:    {r}")?;
    }
    for e in v.events.unwrap_or_default() {
        writeln!(out)?;
        let change = match (&e.from_state, &e.to_state) {
            (Some(a), Some(b)) => format!(" {a} -> {b}"),
            _ => String::new(),
        };
        writeln!(out, "{} {} by {}{}", e.at, e.kind, e.from, change)?;
        for line in e.text.lines() {
            writeln!(out, "    {line}")?;
        }
        if !e.attachments.is_empty() {
            writeln!(out, "    attachments: {}", e.attachments.join(", "))?;
        }
        for d in &e.decision {
            writeln!(out, "  why: {d}")?;
        }
    }
    print(&out)
}

pub(super) async fn outbox(config: &Config, json: bool, all: bool) -> Result<()> {
    let views = match source(config).await? {
        Source::Absent => Vec::new(),
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
    let mut out = String::new();
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(&views)?)?;
    } else if views.is_empty() {
        if all {
            writeln!(out, "no outgoing mail")?;
        } else {
            writeln!(out, "no outgoing mail pending or dead")?;
        }
    } else {
        for v in &views {
            writeln!(
                out,
                "{:<6} {:<8} {:<16} {:<30} attempts={} {}",
                v.id,
                v.status,
                v.kind,
                v.to.join(","),
                v.attempts,
                v.last_error.as_deref().unwrap_or("")
            )?;
        }
    }
    print(&out)
}
