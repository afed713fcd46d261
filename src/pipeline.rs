//! One mail, or one timer tick, from bytes to a durable commit: parse, dedupe, match,
//! decide, render, commit. Synchronous; shared by the daemon and `ticket-gateway ingest`.
//!
//! The commit holds the mail's dedupe keys, its ticket and its outgoing mail together, so a
//! crash at any point leaves either all of it or none of it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use tracing::{debug, info, warn};

use crate::compose::{self, Sender};
use crate::config::Config;
use crate::core::customer_view::list_request;
use crate::core::decision::{self, Decision};
use crate::core::delivery::{self, Facts, HOUR};
use crate::core::language::LanguageChoice;
use crate::core::workflow::{self, Context, MatchedBy};
use crate::core::{
    attachments, classify, language, quarantine, sla, timers, AttachmentInfo, Audience, Effect,
    InboundMail, ListedTicket, MailOutcome, Notice, Outcome, Policy, QuarantineReason,
    ReportedMail, SentMail, State, Ticket, TicketId,
};
use crate::dedupe::{content_key, fingerprint, header_fingerprint, MailKey};
use crate::links::Links;
use crate::mime::{self, sender_hint};
use crate::queue::{Queue, Queues};
use crate::store::{Commit, MailRecord, OutboxEntry, OutboxStatus, Store, StoreError};
use crate::templates::Templates;

mod ahead;
use ahead::KnownFacts;

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

impl Processed {
    /// What became of the mail now: [`MailOutcome::Duplicate`] for one processed before.
    pub fn outcome(&self) -> MailOutcome {
        if self.duplicate {
            MailOutcome::Duplicate
        } else {
            self.record.outcome
        }
    }
}

/// A mail ready for [`Gateway::finish`] (made by [`Gateway::prepare`]).
#[derive(Debug)]
pub struct Prepared(PreparedKind);

#[derive(Debug)]
enum PreparedKind {
    Mail {
        mail: Box<InboundMail>,
        /// Dedupe keys: the fingerprint first.
        keys: Vec<MailKey>,
        /// Decision-log lines about attachments over the limits.
        limits: Vec<Decision>,
        language: Option<LanguageChoice>,
    },
    Quarantine {
        keys: Vec<MailKey>,
        hint: Option<Box<InboundMail>>,
        reason: QuarantineReason,
        /// What the operator reads (log, decision record); never the sender.
        detail: String,
    },
}

impl Prepared {
    fn quarantine(
        keys: Vec<MailKey>,
        hint: Option<InboundMail>,
        reason: QuarantineReason,
        detail: String,
    ) -> Prepared {
        Prepared(PreparedKind::Quarantine {
            keys,
            hint: hint.map(Box::new),
            reason,
            detail,
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
        QuarantineReason::Internal,
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
    /// The blocking thread of [`Gateway::flush_async`] failed (it panicked or the runtime
    /// is shutting down).
    #[error("flush task failed: {0}")]
    FlushTask(String),
}

impl PipelineError {
    pub fn is_transient(&self) -> bool {
        match self {
            PipelineError::Store(e) => e.is_transient(),
            PipelineError::Attachment { .. } => true,
            PipelineError::FlushTask(_) => true,
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
    /// Every queue (SPEC §5.4), the first one (`config`, `policy`, `templates`) first: a
    /// ticket is decided, and its mail written, by its own queue's.
    pub queues: Queues,
    /// The customer page's links (SPEC §3.10), when `web.listen` serves it: every customer
    /// mail then carries its reader's link.
    pub links: Option<Links>,
    /// Where the daemon's tasks read `now`: the system clock but in tests on paused time.
    pub clock: crate::clock::Clock,
}

/// The system's time of day in Unix seconds.
pub fn now_secs() -> i64 {
    crate::clock::Clock::System.now_secs()
}

fn random16() -> [u8; 16] {
    let mut b = [0u8; 16];
    // The OS random source failing is not something the gateway can work around.
    getrandom::fill(&mut b).expect("the OS random source works");
    b
}

impl Gateway {
    /// The time of day by [`Gateway::clock`], in Unix seconds.
    pub fn now(&self) -> i64 {
        self.clock.now_secs()
    }

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
    /// A mail's dedupe key is its fingerprint (`fp:`, [`crate::dedupe`]): the same when the
    /// server hands the same mail again or it is delivered twice, different for another mail
    /// that reuses a Message-ID; its place on the server (UID) needs no key of its own (one
    /// store write less a mail). Its Message-ID (`mid:`) is kept too, to find it by, never
    /// to drop a mail by. Mail that cannot be read is known by its bytes (`sha:`).
    pub fn prepare(&self, raw: &[u8]) -> Result<Prepared, PipelineError> {
        let max = self.config.gateway.max_message_size;
        if raw.len() as u64 > max {
            let detail = format!(
                "message of {} bytes is over gateway.max_message_size ({max} bytes)",
                raw.len(),
            );
            return Ok(Prepared::quarantine(
                vec![content_key(raw)],
                sender_hint(raw),
                QuarantineReason::TooBig { limit: max },
                detail,
            ));
        }
        let parsed = match mime::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                return Ok(Prepared::quarantine(
                    vec![content_key(raw)],
                    sender_hint(raw),
                    QuarantineReason::Unreadable,
                    format!("unparseable mail: {e}"),
                ));
            }
        };
        let mut mail = parsed.mail;
        // SPEC §3.7 limits: what is over them stays in the raw mail only.
        let limits =
            attachments::limit_attachments(&mut mail, self.config.gateway.max_message_size);
        let mut keys = vec![fingerprint(raw)];
        if mail.message_id.is_none() {
            // What an older store kept such a mail under.
            keys.push(content_key(raw));
        }
        for a in &parsed.attachments {
            if mail.attachments.iter().any(|k| k.sha256 == a.info.sha256) {
                self.save_attachment(&a.info.sha256, &a.content)?;
            }
        }
        // No tag and no thread: most likely a new ticket, which needs the language.
        let language = (self.policy.ticket_in_subject(&mail.subject).is_none()
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
    pub(crate) fn prepare_safely(&self, raw: &[u8]) -> Result<Prepared, PipelineError> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.prepare(raw)))
            .unwrap_or_else(|panic| Ok(panicked(raw, &panic)))
    }

    /// The serial part of [`Gateway::process`]: dedupe, match, decide, commit; a mail of
    /// the first queue's mailbox.
    pub fn finish(&self, prepared: Prepared, now: i64) -> Result<Processed, PipelineError> {
        self.finish_in(prepared, 0, now)
    }

    /// [`Gateway::finish`] for a mail of queue `queue`'s mailbox. A mail that finds a
    /// ticket (by a tag of any queue, or a reference) is decided by the ticket's own queue,
    /// whichever mailbox it came to; a new ticket joins the queue the mail was written to
    /// ([`Queues::addressed`]), else the mailbox's.
    pub fn finish_in(
        &self,
        prepared: Prepared,
        queue: usize,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        let _serial = self.serialize();
        let (mail, keys, limits, language) = match prepared.0 {
            PreparedKind::Quarantine {
                keys,
                hint,
                reason,
                detail,
            } => return self.quarantine(keys, hint.map(|m| *m), reason, detail, queue, now),
            PreparedKind::Mail {
                mail,
                keys,
                limits,
                language,
            } => (mail, keys, limits, language),
        };
        let ahead = self.read_ahead(&keys, &mail, queue, now)?;
        if let Some(prev) = self.seen(ahead.seen, &mail)? {
            debug!(message_id = ?mail.message_id, "already processed");
            return Ok(duplicate(prev));
        }
        let reported = match &mail.delivery_report {
            Some(r) => match &r.original_message_id {
                Some(id) => self.store.sent_mail(id)?,
                None => None,
            },
            None => None,
        };
        let found = self.find_ticket(&mail, reported.as_ref(), ahead.tagged)?;
        let q = match &found {
            Some((t, _)) => self.queues.of(t.id),
            None => self.queues.of_mail(Some(&mail), queue),
        };
        let facts = self.facts(
            &q.policy,
            &mail,
            found.as_ref().map(|(t, _)| t),
            reported,
            ahead.facts,
            now,
        )?;
        let ctx = Context {
            policy: &q.policy,
            now,
            new_id: self.store.next_ticket_id_in(q.slot)?,
            language,
            facts,
        };
        let mut outcome = workflow::decide(found.as_ref().map(|(t, by)| (t, *by)), &mail, &ctx);
        outcome.decision.extend(limits);
        outcome
            .decision
            .extend(mail.repairs.iter().cloned().map(Decision::Mime));
        let mut keys = keys;
        keys.extend(mail.message_id.as_deref().map(MailKey::message_id));
        self.execute(
            outcome,
            Mail {
                keys,
                mail: Some(&mail),
            },
            found.as_ref().map(|(t, _)| t),
            now,
        )
    }

    /// The record of this mail if it was processed before, from its records read ahead
    /// (`[under its dedupe keys, under its Message-ID]`): under its fingerprint, or, in a
    /// store written before fingerprints, under its Message-ID when that record is this
    /// sender's (a record naming a ticket counts only if the ticket holds the id from this
    /// sender; one naming none, an ignored or quarantined mail, counts).
    fn seen(
        &self,
        [by_keys, by_id]: [Option<MailRecord>; 2],
        mail: &InboundMail,
    ) -> Result<Option<MailRecord>, StoreError> {
        if let Some(prev) = by_keys {
            return Ok(Some(prev));
        }
        let (Some(id), Some(prev)) = (&mail.message_id, by_id) else {
            return Ok(None);
        };
        if prev.fingerprint.is_some() {
            return Ok(None);
        }
        let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
        let same = match prev.ticket {
            None => true,
            Some(n) => self.store.ticket(TicketId(n))?.is_some_and(|t| {
                t.events
                    .iter()
                    .any(|e| e.message_id.as_deref() == Some(id) && e.from == sender)
            }),
        };
        Ok(same.then_some(prev))
    }

    /// What the delivery rules need to know about the addresses this mail may lead to mail
    /// for: its sender, its To and Cc, the ticket's customers, staff (`known`: read ahead).
    fn facts(
        &self,
        policy: &Policy,
        mail: &InboundMail,
        found: Option<&Ticket>,
        reported: Option<ReportedMail>,
        known: KnownFacts,
        now: i64,
    ) -> Result<Facts, StoreError> {
        let sender = mail.from.as_ref().map(|f| f.addr.clone());
        let mut addrs: Vec<String> = sender.iter().cloned().collect();
        addrs.extend(mail.to.iter().chain(&mail.cc).map(|a| a.addr.clone()));
        if let Some(t) = found {
            addrs.extend(t.customers());
        }
        let counted = sender.as_deref().filter(|s| !policy.is_staff_address(s));
        let mut facts = self.facts_for(policy, addrs, counted, known, now)?;
        facts.reported = reported;
        if let Some(s) = mail
            .from
            .as_ref()
            .filter(|_| list_request(&mail.subject).is_some())
        {
            facts.tickets_of_sender = self
                .store
                .tickets_of(&s.addr)?
                .iter()
                .map(ListedTicket::of)
                .collect();
        }
        Ok(facts)
    }

    /// Answers sent and pauses of these addresses and of staff, and `sender`'s mails: what
    /// `known` lacks of them in one read, none when it has them all.
    fn facts_for(
        &self,
        policy: &Policy,
        mut addrs: Vec<String>,
        sender: Option<&str>,
        mut known: KnownFacts,
        now: i64,
    ) -> Result<Facts, StoreError> {
        addrs.extend(policy.staff_notify.iter().cloned());
        addrs.sort_unstable();
        addrs.dedup();
        let missing: Vec<String> = addrs
            .iter()
            .filter(|a| known.address(a).is_none())
            .cloned()
            .collect();
        let unknown = sender.filter(|s| known.sender_mails(s).is_none());
        if !missing.is_empty() || unknown.is_some() {
            let read = self.store.delivery_facts(&missing, unknown, now - HOUR)?;
            known.add(missing, unknown, read);
        }
        let mut facts = Facts::default();
        for a in addrs {
            let f = known.address(&a).unwrap_or_default();
            if f.answers > 0 {
                facts.answers_last_hour.insert(a.clone(), f.answers);
            }
            if let Some(until) = f.bounced_until.filter(|u| *u > now) {
                facts.paused_until.insert(a, until);
            }
        }
        facts.sender_mails_last_hour = sender.and_then(|s| known.sender_mails(s)).unwrap_or(0);
        Ok(facts)
    }

    /// [`Gateway::finish`], but a panic quarantines the mail. `raw` is the mail's, for the
    /// quarantine's key and notice.
    pub(crate) fn finish_safely(
        &self,
        raw: &[u8],
        prepared: Prepared,
        queue: usize,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.finish_in(prepared, queue, now)
        })) {
            Ok(r) => r,
            Err(panic) => self.finish_in(panicked(raw, &panic), queue, now),
        }
    }

    /// A mail too big to fetch: quarantined by its UID (and its header block, when the
    /// server gave it: the same mail delivered twice is one), its sender told from its
    /// headers.
    pub(crate) fn process_oversize(
        &self,
        uid_key: MailKey,
        size: u64,
        head: Option<&[u8]>,
        queue: usize,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        let _serial = self.serialize();
        let mut keys = vec![uid_key];
        keys.extend(head.map(header_fingerprint));
        if let Some(prev) = self.store.mail_seen(&keys)? {
            return Ok(duplicate(prev));
        }
        let max = self.config.gateway.max_message_size;
        let detail =
            format!("message of {size} bytes is over gateway.max_message_size ({max} bytes)");
        let hint = head.and_then(sender_hint);
        self.quarantine(
            keys,
            hint,
            QuarantineReason::TooBig { limit: max },
            detail,
            queue,
            now,
        )
    }

    /// The ticket a mail belongs to (SPEC §3.1). A delivery report belongs to the ticket of
    /// the mail it reports on when the gateway sent that mail (`reported`); the id it names
    /// finds nothing else. `tagged`: the ticket of [`Gateway::tag_of`], read ahead.
    fn find_ticket(
        &self,
        mail: &InboundMail,
        reported: Option<&ReportedMail>,
        tagged: Option<Ticket>,
    ) -> Result<Option<(Ticket, MatchedBy)>, StoreError> {
        if let Some(r) = reported {
            return Ok(self
                .store
                .ticket(r.ticket)?
                .map(|t| (t, MatchedBy::Reference)));
        }
        if let Some(t) = tagged {
            return Ok(Some((t, MatchedBy::Tag)));
        }
        let named = mail
            .delivery_report
            .as_ref()
            .and_then(|r| r.original_message_id.as_ref());
        let refs: Vec<String> = classify::reference_ids(mail)
            .into_iter()
            .filter(|id| Some(id) != named)
            .collect();
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
            crate::store::private_dir(&dir).map_err(err)?;
            unsynced.push(top);
        }
        let tmp = dir.join(format!("{sha}.tmp"));
        let mut f = crate::store::private_file(&tmp).map_err(err)?;
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
    /// then the store. The one way to flush: a store flushed any other way could make a
    /// commit durable that names an attachment whose directory entry is not (a tidy test
    /// checks that nothing else calls the store's flush). Blocking: async tasks call
    /// [`Gateway::flush_async`].
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

    /// [`Gateway::flush`] on a blocking thread, so that a flush (which waits for the disk)
    /// never holds a tokio worker.
    pub(crate) async fn flush_async(self: &Arc<Self>) -> Result<(), PipelineError> {
        let g = self.clone();
        tokio::task::spawn_blocking(move || g.flush())
            .await
            .map_err(|e| PipelineError::FlushTask(e.to_string()))?
    }

    /// Quarantines a mail of queue `queue`'s mailbox; the core decides whether its sender
    /// (as far as the headers tell) gets a notice, from the queue the mail was written to
    /// (else the mailbox's). `detail` is for the log and the decision record only.
    fn quarantine(
        &self,
        keys: Vec<MailKey>,
        hint: Option<InboundMail>,
        reason: QuarantineReason,
        detail: String,
        queue: usize,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        warn!(reason = reason.as_str(), %detail, "mail quarantined");
        let mut keys = keys;
        // Findable by its Message-ID too (`show <Message-ID>`), when the headers tell it.
        keys.extend(
            hint.as_ref()
                .and_then(|m| m.message_id.as_deref())
                .map(MailKey::message_id),
        );
        let addrs = hint
            .iter()
            .flat_map(|m| m.from.iter().map(|f| f.addr.clone()))
            .collect();
        let q = self.queues.of_mail(hint.as_ref(), queue);
        // No ticket: number 0 of the queue's slot, so the notice goes out as the queue's.
        let ctx = Context {
            facts: self.facts_for(&q.policy, addrs, None, KnownFacts::default(), now)?,
            ..Context::new(&q.policy, now, TicketId::new(q.slot, 0))
        };
        let outcome = quarantine::quarantine(reason, &detail, hint.as_ref(), &ctx);
        self.execute(
            outcome,
            Mail {
                keys,
                mail: hint.as_ref(),
            },
            None,
            now,
        )
    }

    /// [`Gateway::process`], but a panic while handling one mail quarantines that mail
    /// instead of taking the daemon down.
    pub fn process_safely(&self, raw: &[u8], now: i64) -> Result<Processed, PipelineError> {
        let prepared = self.prepare_safely(raw)?;
        self.finish_safely(raw, prepared, 0, now)
    }

    /// Renders the notices and commits everything at once: the mail's keys and record, the
    /// ticket, the outgoing mail, and what the delivery rules remember (answers, pauses,
    /// the sender's mails, held staff notices). `read` is the ticket as the store had it
    /// before this change, when there was one.
    pub fn execute(
        &self,
        outcome: Outcome,
        m: Mail<'_>,
        read: Option<&Ticket>,
        now: i64,
    ) -> Result<Processed, PipelineError> {
        let mut decision = outcome.decision.clone();
        let mut ticket = outcome.saved().cloned();
        let mut commit = Commit::default();
        for e in &outcome.effects {
            match e {
                Effect::HardBounce { address, until } => {
                    commit.bounces.push((address.clone(), *until))
                }
                Effect::Flood(item) => commit.flood.push(item.clone()),
                Effect::FloodDone(sender) => commit.flood_sent.push(sender.clone()),
                Effect::Save(_) | Effect::Notify(_) | Effect::Quarantine(_) => {}
            }
        }
        for notice in outcome.notices() {
            for (n, reader) in self.copies(notice, ticket.as_ref().or(read)) {
                match self.enqueue(&n, reader.as_deref(), now) {
                    Ok((entry, raw)) => {
                        if n.answers_customer {
                            for a in &n.to {
                                commit.replies.push((a.clone(), now, entry.id));
                            }
                        }
                        if let Some(t) = ticket.as_mut().filter(|t| t.id == n.ticket.id) {
                            if !t.thread.contains(&entry.message_id) {
                                t.thread.push(entry.message_id.clone());
                            }
                            t.sent.push(SentMail {
                                message_id: entry.message_id.clone(),
                                outbox: entry.id,
                                audience: n.audience,
                                to: reader,
                            });
                        }
                        commit.outbox.push((entry, raw));
                    }
                    Err(e) => {
                        warn!(kind = n.kind.as_str(), error = %e, "notice not sent");
                        decision.push(Decision::NotComposed {
                            kind: n.kind,
                            error: e,
                        });
                    }
                }
            }
        }
        // The decision log lives on the ticket's newest event too (SPEC §3.9).
        if let Some(t) = ticket.as_mut() {
            if let Some(ev) = t.events.last_mut() {
                if ev.message_id.is_some() || m.mail.is_none() {
                    ev.decision = decision.clone();
                }
            }
        }
        let log = decision::render(&decision);
        let record = MailRecord {
            message_id: m.mail.and_then(|m| m.message_id.clone()),
            at: now,
            ticket: ticket.as_ref().map(|t| t.id.0),
            outcome: outcome.mail_outcome(),
            decision: log.clone(),
            fingerprint: m.keys.first().map(|k| k.to_string()),
        };
        // One line per mail: the decision, in order (`show` has it line by line).
        info!(
            message_id = record.message_id.as_deref().unwrap_or(""),
            ticket = record.ticket.map(|n| self.policy.tag(TicketId(n))).unwrap_or_default(),
            outcome = %record.outcome,
            "{}",
            log.join("; ")
        );
        // Mails from a sender count towards the flood rule (staff and the gateway's own never do).
        if let Some(from) = m.mail.and_then(|m| m.from.as_ref()) {
            if !self.policy.is_staff_address(&from.addr)
                && !self.policy.is_gateway_address(&from.addr)
            {
                commit.senders.push((from.addr.clone(), now));
            }
        }
        // What the store had of the ticket is indexed already: its customers, and its thread,
        // which only grows.
        if let (Some(t), Some(r)) = (&ticket, read) {
            if t.id == r.id {
                commit.known_customers = r.customers();
                if t.thread.starts_with(&r.thread) {
                    commit.known_ids = r.thread.len();
                }
            }
        }
        let outbox_ids = commit.outbox.iter().map(|(e, _)| e.id).collect();
        commit.mail_keys = m.keys;
        commit.mail = Some(record.clone());
        commit.ticket = ticket;
        self.store.commit(commit)?;
        Ok(Processed {
            disposition: match record.outcome {
                MailOutcome::Quarantined => Disposition::Quarantine(log.join("; ")),
                MailOutcome::Ticket | MailOutcome::Ignored | MailOutcome::Duplicate => {
                    Disposition::Processed
                }
            },
            record,
            outbox: outbox_ids,
            duplicate: false,
        })
    }

    /// The mails one notice becomes, each with its one reader when it has one. While the
    /// customer page is served, customer mail carries its reader's own page link (SPEC
    /// §3.10): each customer gets a mail of their own, with a Message-ID of its own, that
    /// names (`References`) only mails that customer has seen. Otherwise the notice is one
    /// mail to all its recipients.
    fn copies(&self, n: &Notice, ticket: Option<&Ticket>) -> Vec<(Notice, Option<String>)> {
        if self.links.is_none() || n.audience != Audience::Customers {
            return vec![(n.clone(), None)];
        }
        n.to.iter()
            .map(|reader| {
                let mut copy = n.clone();
                copy.to = vec![reader.clone()];
                if let Some(t) = ticket.filter(|t| t.id == n.ticket.id) {
                    copy.ticket
                        .public_thread
                        .retain(|id| !t.is_copy_for_other(id, reader));
                }
                (copy, Some(reader.clone()))
            })
            .collect()
    }

    /// Renders and composes one notice into an outbox entry with its bytes; `reader`, its one
    /// customer, gets their own page links.
    fn enqueue(
        &self,
        n: &Notice,
        reader: Option<&str>,
        now: i64,
    ) -> Result<(OutboxEntry, Vec<u8>), String> {
        // The ticket's own queue: its address, name, prefix and templates.
        let q: &Queue = self.queues.of(n.ticket.id);
        let g = &q.config.gateway;
        let link = |id: TicketId| {
            let (links, reader) = (self.links.as_ref()?, reader?);
            Some(links.url(&self.policy.tag(id), id, reader))
        };
        let rendered = q
            .templates
            .render(n, &g.address, &link)
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

    /// Runs every timer due at `now` (reminders, automatic closes, the hourly summaries of
    /// flooding senders); returns the outbox ids committed.
    pub fn run_timers(&self, now: i64) -> Result<Vec<u64>, PipelineError> {
        let _serial = self.serialize();
        let mut ids = Vec::new();
        let none = || Mail {
            keys: vec![],
            mail: None,
        };
        for t in self.store.timed_tickets()? {
            let policy = &self.queues.of(t.id).policy;
            if let Some(action) = timers::due(&t, policy, now) {
                let facts =
                    self.facts_for(policy, t.customers(), None, KnownFacts::default(), now)?;
                let outcome = timers::apply_timer(&t, action, policy, now, &facts);
                let p = self.execute(outcome, none(), Some(&t), now)?;
                ids.extend(p.outbox);
            }
        }
        // Service levels (SPEC §2.7): only when some are configured, so a desk without
        // them never reads its open tickets; and then only the states whose clock runs, one
        // ticket at a time (a store of 100,000 tickets is never held at once).
        if !self.policy.sla.is_empty() {
            let mut breaching = Vec::new();
            for state in State::ALL.into_iter().filter(|s| sla::clock_runs(*s)) {
                self.store.visit_tickets_in(state, &mut |t| {
                    if !sla::breaches(&t, &self.queues.of(t.id).policy, now).is_empty() {
                        breaching.push(t.id);
                    }
                    Ok(())
                })?;
            }
            for id in breaching {
                let Some(t) = self.store.ticket(id)? else {
                    continue;
                };
                let policy = &self.queues.of(t.id).policy;
                let breached = sla::breaches(&t, policy, now);
                if breached.is_empty() {
                    continue;
                }
                let to = t.owner.iter().cloned().chain(policy.staff_notify.clone());
                let facts =
                    self.facts_for(policy, to.collect(), None, KnownFacts::default(), now)?;
                let outcome = sla::escalate(&t, &breached, policy, now, &facts);
                let p = self.execute(outcome, none(), Some(&t), now)?;
                ids.extend(p.outbox);
            }
        }
        for (sender, items, more) in self.store.flood()? {
            if items.first().is_some_and(|i| i.at + HOUR <= now) {
                let outcome = delivery::flood_summary(&sender, items, more, &self.policy, now);
                let p = self.execute(outcome, none(), None, now)?;
                ids.extend(p.outbox);
            }
        }
        Ok(ids)
    }
}

/// The mail a commit is about, when there is one: its keys and our view of it.
pub struct Mail<'a> {
    /// Dedupe keys (the fingerprint first) and lookup keys, all written with its record.
    pub keys: Vec<MailKey>,
    pub mail: Option<&'a InboundMail>,
}

/// What a mail processed before becomes: nothing new; moved where it went the first time.
fn duplicate(prev: MailRecord) -> Processed {
    let disposition = match prev.outcome {
        MailOutcome::Quarantined => Disposition::Quarantine(prev.decision.join("; ")),
        MailOutcome::Ticket | MailOutcome::Ignored | MailOutcome::Duplicate => {
            Disposition::Processed
        }
    };
    Processed {
        disposition,
        record: prev,
        outbox: vec![],
        duplicate: true,
    }
}
