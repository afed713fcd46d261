//! One mail, or one timer tick, from bytes to a durable commit: parse, dedupe, match,
//! decide, render, commit. Synchronous; shared by the daemon and `ticket-gateway ingest`.
//!
//! The commit holds the mail's dedupe keys, its ticket and its outgoing mail together, so a
//! crash at any point leaves either all of it or none of it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

use crate::compose::{self, Sender};
use crate::config::Config;
use crate::core::workflow::{self, Context, MatchedBy};
use crate::core::{
    attachments, classify, language, timers, AttachmentInfo, Effect, InboundMail, Lang, Notice,
    Outcome, Policy, Ticket,
};
use crate::mime;
use crate::store::{Commit, MailRecord, OutboxEntry, OutboxStatus, Store, StoreError};
use crate::templates::Templates;

/// Where the mail goes on the server once its effects are committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// Done (or done before: a duplicate): move to `processed_mailbox`.
    Processed,
    /// Move to `quarantine_mailbox`, for this reason.
    Quarantine(String),
}

/// What happened to one mail.
#[derive(Debug, Clone)]
pub struct Processed {
    pub disposition: Disposition,
    pub record: MailRecord,
    /// Outbox ids committed for it.
    pub outbox: Vec<u64>,
    /// It had been processed before (same UID, Message-ID or content): nothing was done now.
    pub duplicate: bool,
}

/// A mail ready for [`Gateway::finish`] (made by [`Gateway::prepare`]).
#[derive(Debug)]
pub struct Prepared(PreparedKind);

#[derive(Debug)]
enum PreparedKind {
    Mail {
        mail: Box<InboundMail>,
        keys: Vec<String>,
        /// Decision-log lines about attachments over the limits.
        limits: Vec<String>,
        language: Option<(Lang, String)>,
    },
    Quarantine {
        keys: Vec<String>,
        hint: Option<Box<InboundMail>>,
        reason: String,
    },
}

impl Prepared {
    fn quarantine(keys: Vec<String>, hint: Option<InboundMail>, reason: String) -> Prepared {
        Prepared(PreparedKind::Quarantine {
            keys,
            hint: hint.map(Box::new),
            reason,
        })
    }
}

/// What a mail whose handling panicked becomes: quarantined, found again by its content.
fn panicked(raw: &[u8], panic: &(dyn std::any::Any + Send)) -> Prepared {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %what, "internal error while processing a mail: quarantined");
    Prepared::quarantine(
        vec![content_key(raw)],
        sender_hint(raw),
        format!("internal error while processing: {what}"),
    )
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("attachment store {path}: {source}")]
    Attachment {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PipelineError {
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Attachment { .. } => true,
        }
    }
}

/// Everything the pipeline needs, shared by the tasks.
pub struct Gateway {
    pub config: Config,
    pub policy: Policy,
    pub store: Arc<dyn Store>,
    pub templates: Templates,
    /// Metrics, health and loop heartbeats, read by the admin endpoint.
    pub telemetry: Arc<crate::telemetry::Telemetry>,
    /// Held while one mail or one timer round is decided and committed: the ingest loop, the
    /// timers and the admin endpoint's `ingest` run on different threads, and picking the
    /// next ticket id or updating a ticket is read-then-commit.
    pub serial: std::sync::Mutex<()>,
    /// Attachment directories with a file added since the last [`Gateway::flush`]: synced
    /// then, so a flushed commit never names a file a crash could take back.
    pub unsynced: std::sync::Mutex<std::collections::BTreeSet<PathBuf>>,
    /// Access tokens for OAuth2 logins (`imap.auth`/`smtp.auth`), shared by IMAP and SMTP.
    pub tokens: Option<Arc<crate::oauth2::TokenSource>>,
}

pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    // The OS random source failing is not something the gateway can work around.
    getrandom::fill(&mut b).expect("the OS random source works");
    b
}

/// The dedupe key of a mail by its bytes (`sha:<hex>`), for one without a readable
/// Message-ID.
fn content_key(raw: &[u8]) -> String {
    format!("sha:{}", sha256_hex(raw))
}

fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl Gateway {
    /// Processes one raw mail.
    pub fn process(&self, raw: &[u8], now: i64) -> Result<Processed, PipelineError> {
        let prepared = self.prepare(raw)?;
        self.finish(prepared, now)
    }

    /// The part of [`Gateway::process`] that needs neither the store nor the serial lock:
    /// size check, parsing, dedupe keys, attachments to disk (content-addressed, so doing it
    /// for a mail that turns out to be a duplicate is harmless) and, for mail likely to open
    /// a ticket, its language. The daemon runs it on other cores, ahead of
    /// [`Gateway::finish`], which decides and commits the mails one by one in order.
    ///
    /// A mail's dedupe key is its Message-ID (`mid:`), or the hash of its bytes (`sha:`)
    /// when it has none or cannot be read: both are the same when the server hands the
    /// same mail again, so its place there (UID) needs no key of its own (one store write
    /// less a mail).
    pub fn prepare(&self, raw: &[u8]) -> Result<Prepared, PipelineError> {
        if raw.len() as u64 > self.config.gateway.max_message_size {
            let reason = format!(
                "message of {} bytes is over gateway.max_message_size ({} bytes)",
                raw.len(),
                self.config.gateway.max_message_size
            );
            return Ok(Prepared::quarantine(
                vec![content_key(raw)],
                sender_hint(raw),
                reason,
            ));
        }
        let parsed = match mime::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                let reason = format!("unparseable mail: {e}");
                return Ok(Prepared::quarantine(
                    vec![content_key(raw)],
                    sender_hint(raw),
                    reason,
                ));
            }
        };
        let mut mail = parsed.mail;
        // SPEC §3.7 limits: what is over them stays in the raw mail only.
        let limits =
            attachments::limit_attachments(&mut mail, self.config.gateway.max_message_size);
        let keys = vec![match &mail.message_id {
            Some(id) => format!("mid:{id}"),
            None => content_key(raw),
        }];
        for a in &parsed.attachments {
            if mail.attachments.iter().any(|k| k.sha256 == a.info.sha256) {
                self.save_attachment(&a.info.sha256, &a.content)?;
            }
        }
        // No tag and no thread: most likely a new ticket, which needs the language.
        let language = (classify::tag_in_subject(&mail.subject, &self.policy.tag_prefix).is_none()
            && classify::reference_ids(&mail).is_empty())
        .then(|| language::language_of(&mail, &self.policy));
        Ok(Prepared(PreparedKind::Mail {
            mail: Box::new(mail),
            keys,
            limits,
            language,
        }))
    }

    /// [`Gateway::prepare`], but a panic quarantines the mail (as [`Gateway::process_safely`]).
    pub fn prepare_safely(&self, raw: &[u8]) -> Result<Prepared, PipelineError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.prepare(raw)))
            .unwrap_or_else(|panic| Ok(panicked(raw, &panic)))
    }

    /// The serial part of [`Gateway::process`]: dedupe, match, decide, commit.
    pub fn finish(&self, prepared: Prepared, now: i64) -> Result<Processed, PipelineError> {
        let _serial = self.serialize();
        let (mail, keys, limits, language) = match prepared.0 {
            PreparedKind::Quarantine { keys, hint, reason } => {
                return self.quarantine(keys, hint.map(|m| *m), reason, now)
            }
            PreparedKind::Mail {
                mail,
                keys,
                limits,
                language,
            } => (mail, keys, limits, language),
        };
        if let Some(prev) = self.store.mail_seen(&keys)? {
            debug!(message_id = ?mail.message_id, "already processed");
            let disposition = match prev.outcome.as_str() {
                "quarantined" => Disposition::Quarantine(prev.decision.join("; ")),
                _ => Disposition::Processed,
            };
            return Ok(Processed {
                disposition,
                record: prev,
                outbox: vec![],
                duplicate: true,
            });
        }
        let found = self.find_ticket(&mail)?;
        let ctx = Context {
            policy: &self.policy,
            now,
            new_id: self.store.next_ticket_id()?,
            language,
        };
        let mut outcome = workflow::decide(found.as_ref().map(|(t, by)| (t, *by)), &mail, &ctx);
        outcome.decision.extend(limits);
        outcome
            .decision
            .extend(mail.repairs.iter().map(ToString::to_string));
        self.execute(
            outcome,
            keys,
            Some(&mail),
            found.as_ref().map(|(t, _)| t),
            now,
        )
    }

    /// [`Gateway::finish`], but a panic quarantines the mail. `raw` is the mail's, for the
    /// quarantine's key and notice.
    pub fn finish_safely(
        &self,
        raw: &[u8],
        prepared: Prepared,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.finish(prepared, now)))
        {
            Ok(r) => r,
            Err(panic) => self.finish(panicked(raw, &panic), now),
        }
    }

    /// A mail too big to fetch: quarantined by its UID alone.
    pub fn process_oversize(
        &self,
        uid_key: String,
        size: u64,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        let _serial = self.serialize();
        if let Some(prev) = self.store.mail_seen(std::slice::from_ref(&uid_key))? {
            return Ok(Processed {
                disposition: Disposition::Quarantine(prev.decision.join("; ")),
                record: prev,
                outbox: vec![],
                duplicate: true,
            });
        }
        let reason = format!(
            "message of {size} bytes is over gateway.max_message_size ({} bytes)",
            self.config.gateway.max_message_size
        );
        self.quarantine(vec![uid_key], None, reason, now)
    }

    fn find_ticket(&self, mail: &InboundMail) -> Result<Option<(Ticket, MatchedBy)>, StoreError> {
        if mail.delivery_report.is_none() {
            if let Some(n) = classify::tag_in_subject(&mail.subject, &self.policy.tag_prefix) {
                if let Some(t) = self.store.ticket(crate::core::TicketId(n))? {
                    return Ok(Some((t, MatchedBy::Tag)));
                }
            }
        }
        let refs = classify::reference_ids(mail);
        if let Some(id) = self.store.ticket_by_message_id(&refs)? {
            if let Some(t) = self.store.ticket(id)? {
                return Ok(Some((t, MatchedBy::Reference)));
            }
        }
        Ok(None)
    }

    /// Where an attachment's content is kept: `<store>/attachments/<2 hex>/<sha256>`.
    fn attachment_path(&self, sha: &str) -> PathBuf {
        self.config
            .gateway
            .store
            .join("attachments")
            .join(&sha[..2.min(sha.len())])
            .join(sha)
    }

    /// The content of the files a notice forwards (SPEC §3.7), read from the attachment store.
    /// A file that cannot be read is left out of the mail (it stays listed) and logged: one
    /// lost file must not hold back the mail that names it.
    fn forwarded_files<'n>(&self, n: &'n Notice) -> Vec<(&'n AttachmentInfo, Vec<u8>)> {
        let mut out = Vec::new();
        for a in &n.forward {
            // The hash names a file under the store: never let it name anything else.
            if a.sha256.len() != 64 || !a.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                warn!(name = %a.name, "attachment with a malformed hash: not forwarded");
                continue;
            }
            let path = self.attachment_path(&a.sha256);
            match std::fs::read(&path) {
                Ok(content) => out.push((a, content)),
                Err(e) => {
                    warn!(name = %a.name, path = %path.display(), error = %e, "attachment not forwarded")
                }
            }
        }
        out
    }

    /// Keeps an attachment under its hash: written to a temporary file, synced, renamed. The
    /// directory entry is synced by the next [`Gateway::flush`], before the commit naming the
    /// file is durable.
    fn save_attachment(&self, sha: &str, content: &[u8]) -> Result<(), PipelineError> {
        use std::io::Write as _;
        let top = self.config.gateway.store.join("attachments");
        let dir = top.join(&sha[..2.min(sha.len())]);
        let path = dir.join(sha);
        if path.exists() {
            return Ok(());
        }
        let err = |source| PipelineError::Attachment {
            path: path.clone(),
            source,
        };
        // The directory that gets the new entry, and those that get a new directory.
        let mut unsynced = vec![dir.clone()];
        if !dir.is_dir() {
            if !top.is_dir() {
                unsynced.push(self.config.gateway.store.clone());
            }
            std::fs::create_dir_all(&dir).map_err(err)?;
            unsynced.push(top);
        }
        let tmp = dir.join(format!("{sha}.tmp"));
        let mut f = std::fs::File::create(&tmp).map_err(err)?;
        f.write_all(content).map_err(err)?;
        f.sync_all().map_err(err)?;
        std::fs::rename(&tmp, &path).map_err(err)?;
        self.unsynced
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(unsynced);
        Ok(())
    }

    /// Makes everything committed so far durable: the directories of new attachment files,
    /// then the store.
    pub fn flush(&self) -> Result<(), PipelineError> {
        let dirs = std::mem::take(&mut *self.unsynced.lock().unwrap_or_else(|e| e.into_inner()));
        for dir in &dirs {
            let synced = std::fs::File::open(dir).and_then(|d| d.sync_all());
            if let Err(source) = synced {
                // Synced next time; the flush fails, so nothing that names the file is moved.
                self.unsynced
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(dirs.iter().cloned());
                return Err(PipelineError::Attachment {
                    path: dir.clone(),
                    source,
                });
            }
        }
        self.store.flush()?;
        Ok(())
    }

    /// Quarantines a mail; its sender (as far as the headers tell) gets a short notice
    /// unless the mail is automated.
    fn quarantine(
        &self,
        keys: Vec<String>,
        hint: Option<InboundMail>,
        reason: String,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        warn!(%reason, "mail quarantined");
        // Findable by its Message-ID too (`show <Message-ID>`), when the headers tell it.
        let mut keys = keys;
        if let Some(id) = hint.as_ref().and_then(|m| m.message_id.as_ref()) {
            let key = format!("mid:{id}");
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let mut effects = vec![Effect::Quarantine(reason.clone())];
        let mut decision = vec![format!("quarantined: {reason}")];
        if let Some(mail) = &hint {
            match (&mail.from, classify::automated_rule(mail)) {
                (Some(from), None) if from.addr != self.policy.gateway_address => {
                    decision.push(format!("notice sent to {}", from.addr));
                    effects.push(Effect::Notify(quarantine_notice(
                        mail,
                        &from.addr,
                        &reason,
                        &self.policy,
                    )));
                }
                (_, Some(rule)) => decision.push(format!("no notice: automated mail ({rule})")),
                _ => decision.push("no notice: no usable sender".into()),
            }
        }
        let outcome = Outcome { effects, decision };
        self.execute(outcome, keys, hint.as_ref(), None, now)
    }

    /// [`Gateway::process`], but a panic while handling one mail quarantines that mail
    /// instead of taking the daemon down.
    pub fn process_safely(&self, raw: &[u8], now: i64) -> Result<Processed, PipelineError> {
        let prepared = self.prepare_safely(raw)?;
        self.finish_safely(raw, prepared, now)
    }

    /// Renders the notices, applies the rate limit, and commits everything at once. `read`
    /// is the ticket as the store had it before this change, when there was one.
    pub fn execute(
        &self,
        outcome: Outcome,
        keys: Vec<String>,
        mail: Option<&InboundMail>,
        read: Option<&Ticket>,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        let mut decision = outcome.decision.clone();
        let mut ticket = outcome.saved().cloned();
        let mut outbox = Vec::new();
        let mut replies = Vec::new();
        let since = now - 3600;
        let pause = self.config.gateway.hard_bounce_pause.as_secs() as i64;
        let bounces: Vec<(String, i64)> = outcome
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::HardBounce(addr) => Some((addr.clone(), now + pause)),
                _ => None,
            })
            .collect();
        for n in outcome.notices() {
            let mut n = n.clone();
            let mut kept = Vec::new();
            for addr in &n.to {
                match self.store.bounced_until(addr)? {
                    Some(until) if until > now => decision.push(format!(
                        "no {} to {addr}: it hard-bounced; paused until {}",
                        n.kind.as_str(),
                        humantime::format_rfc3339_seconds(
                            UNIX_EPOCH + std::time::Duration::from_secs(until as u64)
                        )
                    )),
                    _ => kept.push(addr.clone()),
                }
            }
            n.to = kept;
            if n.answers_customer {
                let mut kept = Vec::new();
                for addr in &n.to {
                    let sent = self.store.replies_since(addr, since)?
                        + replies.iter().filter(|(a, _, _)| a == addr).count() as u32;
                    if sent >= self.config.gateway.max_replies_per_hour {
                        decision.push(format!(
                            "no {} to {addr}: {sent} automatic answers in the last hour (gateway.max_replies_per_hour = {})",
                            n.kind.as_str(),
                            self.config.gateway.max_replies_per_hour
                        ));
                    } else {
                        kept.push(addr.clone());
                    }
                }
                n.to = kept;
            }
            if n.to.is_empty() {
                continue;
            }
            match self.enqueue(&n, now) {
                Ok((entry, raw)) => {
                    if n.answers_customer {
                        for a in &n.to {
                            replies.push((a.clone(), now, entry.id));
                        }
                    }
                    if let Some(t) = ticket.as_mut() {
                        if t.id == n.ticket.id && !t.thread.contains(&entry.message_id) {
                            t.thread.push(entry.message_id.clone());
                        }
                    }
                    outbox.push((entry, raw));
                }
                Err(e) => {
                    warn!(kind = n.kind.as_str(), error = %e, "notice not sent");
                    decision.push(format!("{} could not be composed: {e}", n.kind.as_str()));
                }
            }
        }
        // The decision log lives on the ticket's newest event too (SPEC §3.9).
        if let Some(t) = ticket.as_mut() {
            if let Some(ev) = t.events.last_mut() {
                if ev.message_id.is_some() || mail.is_none() {
                    ev.decision = decision.clone();
                }
            }
        }
        let quarantine = outcome.quarantine().map(str::to_string);
        let record = MailRecord {
            message_id: mail.and_then(|m| m.message_id.clone()),
            at: now,
            ticket: ticket.as_ref().map(|t| t.id.0),
            outcome: if quarantine.is_some() {
                "quarantined".into()
            } else if ticket.is_some() {
                "ticket".into()
            } else {
                "ignored".into()
            },
            decision: decision.clone(),
        };
        let outbox_ids = outbox.iter().map(|(e, _)| e.id).collect();
        // One line per mail: the decision, in order (`show` has it line by line).
        info!(
            message_id = record.message_id.as_deref().unwrap_or(""),
            ticket = record.ticket.map(|n| crate::core::TicketId(n).tag(&self.policy.tag_prefix)).unwrap_or_default(),
            outcome = %record.outcome,
            "{}",
            decision.join("; ")
        );
        // The thread only grows: what the store had of it is indexed already.
        let known_ids = match (&ticket, read) {
            (Some(t), Some(r)) if t.id == r.id && t.thread.starts_with(&r.thread) => r.thread.len(),
            _ => 0,
        };
        self.store.commit(Commit {
            mail_keys: keys,
            mail: Some(record.clone()),
            ticket,
            known_ids,
            outbox,
            replies,
            bounces,
        })?;
        Ok(Processed {
            disposition: match quarantine {
                Some(r) => Disposition::Quarantine(r),
                None => Disposition::Processed,
            },
            record,
            outbox: outbox_ids,
            duplicate: false,
        })
    }

    /// Renders and composes one notice into an outbox entry with its bytes.
    fn enqueue(&self, n: &Notice, now: i64) -> Result<(OutboxEntry, Vec<u8>), String> {
        let g = &self.config.gateway;
        let rendered = self
            .templates
            .render(n, &g.address)
            .map_err(|e| format!("{e:#}"))?;
        let message_id = compose::message_id(n.ticket.id, random16(), &g.address);
        let files = self.forwarded_files(n);
        let composed = compose::compose(
            n,
            &rendered,
            &Sender {
                name: &g.name,
                address: &g.address,
                tag_prefix: &g.tag_prefix,
            },
            &message_id,
            SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(now.max(0) as u64),
            files
                .into_iter()
                .map(|(a, content)| compose::File {
                    name: &a.name,
                    content_type: &a.content_type,
                    content,
                })
                .collect(),
        )
        .map_err(|e| e.to_string())?;
        let id = self.store.new_outbox_id().map_err(|e| e.to_string())?;
        Ok((
            OutboxEntry {
                id,
                message_id,
                ticket: Some(n.ticket.id.0),
                kind: n.kind.as_str().into(),
                from: g.address.clone(),
                to: composed.to,
                created_at: now,
                attempts: 0,
                next_attempt_at: now,
                status: OutboxStatus::Pending,
                last_error: None,
                sent_at: None,
                size: composed.raw.len() as u64,
            },
            composed.raw,
        ))
    }

    /// The [`Gateway::serial`] lock (a panic while it was held left nothing half-committed:
    /// the store commits whole transactions).
    fn serialize(&self) -> std::sync::MutexGuard<'_, ()> {
        self.serial.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs every timer due at `now`; returns the outbox ids committed.
    pub fn run_timers(&self, now: i64) -> Result<Vec<u64>, PipelineError> {
        let _serial = self.serialize();
        let mut ids = Vec::new();
        for t in self.store.timed_tickets()? {
            if let Some(action) = timers::due(&t, &self.policy, now) {
                let outcome = timers::apply_timer(&t, action, &self.policy, now);
                let p = self.execute(outcome, vec![], None, Some(&t), now)?;
                ids.extend(p.outbox);
            }
        }
        Ok(ids)
    }
}

/// The sender and automated-mail headers of a mail that could not be parsed, read leniently
/// from its header block: enough to decide whether it may get a notice.
fn sender_hint(raw: &[u8]) -> Option<InboundMail> {
    let head = &raw[..raw.len().min(256 * 1024)];
    let text = String::from_utf8_lossy(head);
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let from = get("from").and_then(|v| {
        let addr = match (v.rfind('<'), v.rfind('>')) {
            (Some(a), Some(b)) if a < b => v[a + 1..b].to_string(),
            _ => v.split_whitespace().find(|w| w.contains('@'))?.to_string(),
        };
        let addr = addr
            .trim()
            .trim_matches(['"', '\'', ','])
            .to_ascii_lowercase();
        (addr.contains('@') && !addr.contains(char::is_whitespace) && addr.len() < 255)
            .then(|| crate::core::Address::new(&addr))
    });
    let loop_headers = [
        "x-loop",
        "x-rt-loop-prevention",
        "x-otrs-loop",
        "x-jira-fingerprint",
    ]
    .iter()
    .filter(|h| get(h).is_some())
    .map(|h| h.to_string())
    .collect();
    Some(InboundMail {
        from,
        message_id: get("message-id").map(|m| m.trim_matches(['<', '>', ' ']).to_string()),
        subject: get("subject").unwrap_or_default(),
        auto: crate::core::AutoSignals {
            auto_submitted: get("auto-submitted"),
            precedence: get("precedence"),
            list_id: get("list-id").is_some(),
            x_autoreply: get("x-autoreply").is_some() || get("x-autorespond").is_some(),
            return_path: get("return-path"),
            loop_headers,
            auto_response_suppress: false,
        },
        ..Default::default()
    })
}

/// The short notice to the sender of a quarantined mail (it names no ticket).
fn quarantine_notice(mail: &InboundMail, to: &str, reason: &str, policy: &Policy) -> Notice {
    let lang = mail
        .content_language
        .as_deref()
        .and_then(crate::core::Lang::from_tag)
        .unwrap_or(policy.default_language);
    Notice {
        kind: crate::core::NoticeKind::Quarantined,
        to: vec![to.to_string()],
        lang,
        ticket: crate::core::TicketSnapshot {
            id: crate::core::TicketId(0),
            summary: if mail.subject.trim().is_empty() {
                "(no subject)".into()
            } else {
                mail.subject.chars().take(200).collect()
            },
            state: crate::core::State::Open,
            reporter: to.to_string(),
            language: lang,
            description: String::new(),
            thread: mail.message_id.iter().cloned().collect(),
        },
        author: policy.gateway_address.clone(),
        text: String::new(),
        from_state: None,
        to_state: None,
        keyword: None,
        allowed: vec![],
        reason: reason.to_string(),
        in_reply_to: mail.message_id.clone(),
        attachments: vec![],
        forward: vec![],
        answers_customer: true,
    }
}
