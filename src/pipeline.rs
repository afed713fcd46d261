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
use crate::core::{classify, Effect, InboundMail, Notice, Outcome, Policy, Ticket};
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

fn sha256_hex(bytes: &[u8]) -> String {
    let d = Sha256::digest(bytes);
    d.iter().map(|b| format!("{b:02x}")).collect()
}

impl Gateway {
    /// Processes one raw mail. `uid_key` is `uid:<validity>:<uid>` when it came from IMAP.
    pub fn process(&self, raw: &[u8], uid_key: Option<String>, now: i64) -> Result<Processed, PipelineError> {
        let mut keys: Vec<String> = uid_key.into_iter().collect();
        if raw.len() as u64 > self.config.gateway.max_message_size {
            let reason = format!(
                "message of {} bytes is over gateway.max_message_size ({} bytes)",
                raw.len(),
                self.config.gateway.max_message_size
            );
            keys.push(format!("sha:{}", sha256_hex(raw)));
            return self.quarantine(keys, None, reason, now);
        }
        let parsed = match mime::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                keys.push(format!("sha:{}", sha256_hex(raw)));
                return self.quarantine(keys, None, format!("unparseable mail: {e}"), now);
            }
        };
        let mail = parsed.mail;
        match &mail.message_id {
            Some(id) => keys.push(format!("mid:{id}")),
            None => keys.push(format!("sha:{}", sha256_hex(raw))),
        }
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
            });
        }
        // Attachments to disk first (content-addressed, idempotent), then the commit.
        for a in &parsed.attachments {
            self.save_attachment(&a.info.sha256, &a.content)?;
        }
        let found = self.find_ticket(&mail)?;
        let ctx = Context {
            policy: &self.policy,
            now,
            new_id: self.store.next_ticket_id()?,
        };
        let outcome = workflow::decide(found.as_ref().map(|(t, by)| (t, *by)), &mail, &ctx);
        self.execute(outcome, keys, Some(&mail), now)
    }

    /// A mail too big to fetch: quarantined by its UID alone.
    pub fn process_oversize(&self, uid_key: String, size: u64, now: i64) -> Result<Processed, PipelineError> {
        if let Some(prev) = self.store.mail_seen(std::slice::from_ref(&uid_key))? {
            return Ok(Processed {
                disposition: Disposition::Quarantine(prev.decision.join("; ")),
                record: prev,
                outbox: vec![],
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

    fn save_attachment(&self, sha: &str, content: &[u8]) -> Result<(), PipelineError> {
        let dir = self.config.gateway.store.join("attachments").join(&sha[..2.min(sha.len())]);
        let path = dir.join(sha);
        if path.exists() {
            return Ok(());
        }
        let err = |source| PipelineError::Attachment { path: path.clone(), source };
        std::fs::create_dir_all(&dir).map_err(err)?;
        let tmp = dir.join(format!("{sha}.tmp"));
        std::fs::write(&tmp, content).map_err(err)?;
        std::fs::rename(&tmp, &path).map_err(err)?;
        Ok(())
    }

    fn quarantine(&self, keys: Vec<String>, mail: Option<&InboundMail>, reason: String, now: i64) -> Result<Processed, PipelineError> {
        warn!(%reason, "mail quarantined");
        let outcome = Outcome {
            effects: vec![Effect::Quarantine(reason.clone())],
            decision: vec![format!("quarantined: {reason}")],
        };
        self.execute(outcome, keys, mail, now)
    }

    /// Renders the notices, applies the rate limit, and commits everything at once.
    pub fn execute(&self, outcome: Outcome, keys: Vec<String>, mail: Option<&InboundMail>, now: i64) -> Result<Processed, PipelineError> {
        let mut decision = outcome.decision.clone();
        let mut ticket = outcome.saved().cloned();
        let mut outbox = Vec::new();
        let mut replies = Vec::new();
        let since = now - 3600;
        for n in outcome.notices() {
            let mut n = n.clone();
            if n.answers_customer {
                let mut kept = Vec::new();
                for addr in &n.to {
                    let sent = self.store.replies_since(addr, since)?
                        + replies.iter().filter(|(a, _)| a == addr).count() as u32;
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
                            replies.push((a.clone(), now));
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
        for line in &decision {
            info!(message_id = ?record.message_id, ticket = ?record.ticket, "{line}");
        }
        self.store.commit(Commit {
            mail_keys: keys,
            mail: Some(record.clone()),
            ticket,
            outbox,
            replies,
        })?;
        Ok(Processed {
            disposition: match quarantine {
                Some(r) => Disposition::Quarantine(r),
                None => Disposition::Processed,
            },
            record,
            outbox: outbox_ids,
        })
    }

    /// Renders and composes one notice into an outbox entry with its bytes.
    fn enqueue(&self, n: &Notice, now: i64) -> Result<(OutboxEntry, Vec<u8>), String> {
        let g = &self.config.gateway;
        let rendered = self.templates.render(n, &g.address).map_err(|e| format!("{e:#}"))?;
        let message_id = compose::message_id(random16(), &g.address);
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
            },
            composed.raw,
        ))
    }

    /// Runs every timer due at `now`; returns the outbox ids committed.
    pub fn run_timers(&self, now: i64) -> Result<Vec<u64>, PipelineError> {
        let mut ids = Vec::new();
        for t in self.store.tickets()? {
            if let Some(action) = workflow::due(&t, &self.policy, now) {
                let outcome = workflow::apply_timer(&t, action, &self.policy, now);
                let p = self.execute(outcome, vec![], None, now)?;
                ids.extend(p.outbox);
            }
        }
        Ok(ids)
    }
}
