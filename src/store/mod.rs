//! The store: tickets, their events, the Message-ID index, processed mails, the outbox.
//!
//! [`Store`] is the narrow interface the daemon and the CLI use; [`SledStore`] is its one
//! backend today. Only this module knows sled. Every multi-key change is one transaction:
//! a mail's dedupe keys, its ticket, its index entries and its outgoing mail are committed
//! together or not at all.

pub mod schema;

use std::path::Path;

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional;

use crate::core::{Ticket, TicketId};
use schema::*;
pub use schema::{MailRecord, OutboxEntry, OutboxStatus};

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
}

impl StoreError {
    /// A store error is worth a retry only when the disk hiccuped.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Io(_))
    }
}

/// Everything one incoming mail (or timer tick) changes, committed at once.
#[derive(Debug, Default)]
pub struct Commit {
    /// Dedupe keys of the mail (`uid:<validity>:<uid>`, `mid:<message-id>`, `sha:<hash>`).
    pub mail_keys: Vec<String>,
    /// The record kept under each key (with the decision log).
    pub mail: Option<MailRecord>,
    /// The new or updated ticket; its thread ids are indexed.
    pub ticket: Option<Ticket>,
    /// Outgoing mail with its raw bytes.
    pub outbox: Vec<(OutboxEntry, Vec<u8>)>,
    /// Addresses that got an automatic answer now (rate limit), with the time and the
    /// outbox id of the answer.
    pub replies: Vec<(String, i64, u64)>,
    /// Hard-bounced addresses, with the time until which they get no mail.
    pub bounces: Vec<(String, i64)>,
}

/// Does a ticket in this state have timers (SPEC §2.3)? The store keeps an index of them.
pub fn has_timers(state: crate::core::State) -> bool {
    matches!(
        state,
        crate::core::State::WaitingForFeedback | crate::core::State::Resolved
    )
}

/// The store interface: a second backend implements this, and nothing else changes.
pub trait Store: Send + Sync {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    /// The ticket a gateway-sent or gateway-received Message-ID belongs to (first match).
    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError>;
    /// The id the next new ticket gets.
    fn next_ticket_id(&self) -> Result<TicketId, StoreError>;
    fn tickets(&self) -> Result<Vec<Ticket>, StoreError>;
    /// The tickets in a state with timers ([`has_timers`]), without reading the others.
    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError>;
    /// The record of a mail already processed under any of these keys.
    fn mail_seen(&self, keys: &[String]) -> Result<Option<MailRecord>, StoreError>;
    /// The decision records of processed mail by Message-ID.
    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError>;
    /// Every processed mail's record (one per dedupe key).
    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError>;
    /// Commits atomically. Durable once [`Store::flush`] returns: the caller flushes before
    /// it moves the mail on the server or sends what the commit queued (SPEC §4).
    fn commit(&self, commit: Commit) -> Result<(), StoreError>;
    /// Automatic answers sent to `addr` at or after `since`.
    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError>;
    /// Until when `addr` gets no mail because it hard-bounced, if it did.
    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError>;
    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    fn outbox_entry(&self, id: u64) -> Result<Option<OutboxEntry>, StoreError>;
    fn outbox_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Updates an entry (durable after the next flush; a lost update means one resend
    /// with the same Message-ID, which at-least-once allows).
    fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError>;
    /// A fresh unique id for an outbox entry.
    fn new_outbox_id(&self) -> Result<u64, StoreError>;
    /// Waits until everything committed is on disk.
    fn flush(&self) -> Result<(), StoreError>;
    /// The highest UID handled in `mailbox` under `uid_validity` (for mail left in place:
    /// `processed_mailbox = ""`); 0 when none, or when UIDVALIDITY changed.
    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError>;
    fn set_watermark(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Result<(), StoreError>;
}

/// The sled backend.
pub struct SledStore {
    db: sled::Db,
    tickets: sled::Tree,
    by_message_id: sled::Tree,
    mails: sled::Tree,
    outbox: sled::Tree,
    outbox_raw: sled::Tree,
    replies: sled::Tree,
    bounces: sled::Tree,
    timed: sled::Tree,
    meta: sled::Tree,
}

fn corrupt(tree: &'static str) -> impl Fn(String) -> StoreError {
    move |reason| StoreError::Corrupt { tree, reason }
}

/// sled's page cache (its default is 1 GiB).
const SLED_CACHE_BYTES: u64 = 16 * 1024 * 1024;

impl SledStore {
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let path = dir.display().to_string();
        let db = sled::Config::new()
            .path(dir)
            .mode(sled::Mode::HighThroughput)
            // The gateway flushes itself, at the points SPEC §4 needs (before a UID MOVE and
            // before sending); sled's own timer would only add syncs in between.
            .flush_every_ms(None)
            // sled caches up to 1 GiB of pages by default: after a 10,000-mail backlog that
            // alone was ~40 MiB of the daemon's resident memory (SPEC §6 asks < 100 MiB).
            // The hot set (recent tickets, the Message-ID index) is far smaller, and the OS
            // page cache still holds the files (docs/benchmarks.md, "memory").
            .cache_capacity(SLED_CACHE_BYTES)
            .open()
            .map_err(|e| match &e {
                sled::Error::Io(io)
                    if io.kind() == std::io::ErrorKind::WouldBlock
                        || io.to_string().contains("lock") =>
                {
                    StoreError::Locked { path: path.clone() }
                }
                _ => StoreError::Open {
                    path: path.clone(),
                    source: e,
                },
            })?;
        let store = SledStore {
            tickets: db.open_tree(TREE_TICKETS)?,
            by_message_id: db.open_tree(TREE_BY_MESSAGE_ID)?,
            mails: db.open_tree(TREE_MAILS)?,
            outbox: db.open_tree(TREE_OUTBOX)?,
            outbox_raw: db.open_tree(TREE_OUTBOX_RAW)?,
            replies: db.open_tree(TREE_REPLIES)?,
            bounces: db.open_tree(TREE_BOUNCES)?,
            timed: db.open_tree(TREE_TIMED)?,
            meta: db.open_tree(TREE_META)?,
            db,
        };
        match store.meta.get(META_SCHEMA)? {
            None => {
                store
                    .meta
                    .insert(META_SCHEMA, &SCHEMA_VERSION.to_be_bytes())?;
                store.db.flush()?;
            }
            Some(v) => {
                let found = v
                    .as_ref()
                    .try_into()
                    .map(u32::from_be_bytes)
                    .unwrap_or(u32::MAX);
                if found > SCHEMA_VERSION {
                    return Err(StoreError::NewerSchema { path, found });
                }
            }
        }
        if store.meta.get(META_TIMED_INDEX)?.is_none() {
            // Stores written before the index existed: build it once.
            for t in store.tickets()? {
                if has_timers(t.state) {
                    store.timed.insert(u64_key(t.id.0), &[])?;
                }
            }
            store.meta.insert(META_TIMED_INDEX, &[1])?;
            store.db.flush()?;
        }
        Ok(store)
    }
}

impl Store for SledStore {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        match self.tickets.get(u64_key(id.0))? {
            None => Ok(None),
            Some(v) => {
                let r: TicketRecord = decode(&v).map_err(corrupt(TREE_TICKETS))?;
                Ok(Some(Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?))
            }
        }
    }

    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError> {
        for id in ids {
            if let Some(v) = self.by_message_id.get(id.as_bytes())? {
                if let Some(n) = key_u64(&v) {
                    return Ok(Some(TicketId(n)));
                }
            }
        }
        Ok(None)
    }

    fn next_ticket_id(&self) -> Result<TicketId, StoreError> {
        Ok(TicketId(
            self.meta
                .get(META_NEXT_TICKET)?
                .and_then(|v| key_u64(&v))
                .unwrap_or(1),
        ))
    }

    fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for kv in self.tickets.iter() {
            let (_, v) = kv?;
            let r: TicketRecord = decode(&v).map_err(corrupt(TREE_TICKETS))?;
            out.push(Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?);
        }
        Ok(out)
    }

    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for kv in self.timed.iter() {
            let (k, _) = kv?;
            if let Some(t) = key_u64(&k).map(TicketId) {
                if let Some(t) = self.ticket(t)? {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    fn mail_seen(&self, keys: &[String]) -> Result<Option<MailRecord>, StoreError> {
        for k in keys {
            if let Some(v) = self.mails.get(k.as_bytes())? {
                return Ok(Some(decode(&v).map_err(corrupt(TREE_MAILS))?));
            }
        }
        Ok(None)
    }

    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError> {
        self.mail_seen(&[format!("mid:{message_id}")])
    }

    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError> {
        let mut out = Vec::new();
        for kv in self.mails.iter() {
            let (k, v) = kv?;
            out.push((
                String::from_utf8_lossy(&k).into_owned(),
                decode(&v).map_err(corrupt(TREE_MAILS))?,
            ));
        }
        Ok(out)
    }

    fn commit(&self, c: Commit) -> Result<(), StoreError> {
        let ticket = c
            .ticket
            .as_ref()
            .map(|t| (t.id, encode(&TicketRecord::from(t)), has_timers(t.state)));
        let mail = c.mail.as_ref().map(encode);
        let outbox: Vec<(u64, Vec<u8>, &Vec<u8>)> = c
            .outbox
            .iter()
            .map(|(e, raw)| (e.id, encode(e), raw))
            .collect();
        let result = (
            &self.tickets,
            &self.by_message_id,
            &self.mails,
            &self.outbox,
            &self.outbox_raw,
            &self.replies,
            &self.bounces,
            &self.timed,
            &self.meta,
        )
            .transaction(
                |(tickets, by_mid, mails, ob, ob_raw, replies, bounces, timed, meta)| {
                    if let Some((id, bytes, with_timers)) = &ticket {
                        tickets.insert(&u64_key(id.0), bytes.as_slice())?;
                        if *with_timers {
                            timed.insert(&u64_key(id.0), &[])?;
                        } else {
                            timed.remove(&u64_key(id.0))?;
                        }
                        let next = meta
                            .get(META_NEXT_TICKET)?
                            .and_then(|v| key_u64(&v))
                            .unwrap_or(1);
                        if id.0 >= next {
                            meta.insert(META_NEXT_TICKET, &u64_key(id.0 + 1))?;
                        }
                        if let Some(t) = &c.ticket {
                            for mid in &t.thread {
                                by_mid.insert(mid.as_bytes(), &u64_key(id.0))?;
                            }
                        }
                    }
                    if let Some(m) = &mail {
                        for k in &c.mail_keys {
                            mails.insert(k.as_bytes(), m.as_slice())?;
                        }
                    }
                    for (id, meta_bytes, raw) in &outbox {
                        ob.insert(&u64_key(*id), meta_bytes.as_slice())?;
                        ob_raw.insert(&u64_key(*id), raw.as_slice())?;
                    }
                    for (addr, at, id) in &c.replies {
                        replies.insert(reply_key(addr, *at, *id), &[])?;
                    }
                    for (addr, until) in &c.bounces {
                        bounces.insert(addr.as_bytes(), &u64_key(until.max(&0).unsigned_abs()))?;
                    }
                    Ok::<_, ConflictableTransactionError<()>>(())
                },
            );
        match result {
            Ok(()) => {}
            Err(TransactionError::Storage(e)) => return Err(e.into()),
            Err(TransactionError::Abort(())) => unreachable!("the transaction never aborts"),
        }
        Ok(())
    }

    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        let from = reply_key(addr, since, 0);
        let mut end = addr.as_bytes().to_vec();
        end.push(1);
        Ok(self.replies.range(from..end).count() as u32)
    }

    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .bounces
            .get(addr.as_bytes())?
            .and_then(|v| key_u64(&v))
            .map(|n| n as i64))
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        for kv in self.outbox.iter() {
            let (_, v) = kv?;
            out.push(decode(&v).map_err(corrupt(TREE_OUTBOX))?);
        }
        Ok(out)
    }

    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(self
            .outbox()?
            .into_iter()
            .filter(|e| e.status == OutboxStatus::Pending)
            .collect())
    }

    fn outbox_entry(&self, id: u64) -> Result<Option<OutboxEntry>, StoreError> {
        match self.outbox.get(u64_key(id))? {
            Some(v) => Ok(Some(decode(&v).map_err(corrupt(TREE_OUTBOX))?)),
            None => Ok(None),
        }
    }

    fn outbox_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.outbox_raw.get(u64_key(id))?.map(|v| v.to_vec()))
    }

    fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        self.outbox.insert(u64_key(entry.id), encode(entry))?;
        Ok(())
    }

    fn new_outbox_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError> {
        let v = self.meta.get(format!("watermark:{mailbox}"))?;
        Ok(match v.as_deref() {
            Some(b) if b.len() == 8 && b[..4] == uid_validity.to_be_bytes() => {
                u32::from_be_bytes([b[4], b[5], b[6], b[7]])
            }
            _ => 0,
        })
    }

    fn set_watermark(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Result<(), StoreError> {
        let mut v = uid_validity.to_be_bytes().to_vec();
        v.extend_from_slice(&uid.to_be_bytes());
        self.meta.insert(format!("watermark:{mailbox}"), v)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Lang, State};

    fn ticket(id: u64, state: State, thread: &[&str]) -> Ticket {
        Ticket {
            id: TicketId(id),
            summary: "s".into(),
            state,
            reporter: "a@x.test".into(),
            participants: vec![],
            language: Lang::Fr,
            created_at: 1,
            updated_at: 2,
            state_since: 3,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: thread.iter().map(|s| s.to_string()).collect(),
            events: vec![],
        }
    }

    fn record() -> MailRecord {
        MailRecord {
            message_id: Some("m@x".into()),
            at: 5,
            ticket: Some(1),
            outcome: "ticket".into(),
            decision: vec!["why".into()],
        }
    }

    #[test]
    fn a_commit_indexes_ids_dedupes_and_survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = SledStore::open(dir.path()).unwrap();
            assert_eq!(s.next_ticket_id().unwrap(), TicketId(1));
            s.commit(Commit {
                mail_keys: vec!["uid:7:1".into(), "mid:m@x".into()],
                mail: Some(record()),
                ticket: Some(ticket(1, State::WaitingForFeedback, &["m@x", "out@gw"])),
                replies: vec![("a@x.test".into(), 100, 1), ("a@x.test".into(), 100, 2)],
                bounces: vec![("b@x.test".into(), 500)],
                ..Default::default()
            })
            .unwrap();
            s.set_watermark("INBOX", 7, 42).unwrap();
            s.flush().unwrap();
        }
        let s = SledStore::open(dir.path()).unwrap();
        assert_eq!(s.next_ticket_id().unwrap(), TicketId(2));
        assert_eq!(s.ticket(TicketId(1)).unwrap().unwrap().language, Lang::Fr);
        assert_eq!(
            s.ticket_by_message_id(&["zz".into(), "out@gw".into()])
                .unwrap(),
            Some(TicketId(1))
        );
        assert_eq!(s.mail_seen(&["mid:m@x".into()]).unwrap(), Some(record()));
        assert_eq!(s.mail_seen(&["uid:8:1".into()]).unwrap(), None);
        assert_eq!(
            s.replies_since("a@x.test", 100).unwrap(),
            2,
            "two answers in the same second"
        );
        assert_eq!(s.replies_since("a@x.test", 101).unwrap(), 0);
        assert_eq!(
            s.replies_since("a@x.tes", 0).unwrap(),
            0,
            "prefix of another address"
        );
        assert_eq!(s.bounced_until("b@x.test").unwrap(), Some(500));
        assert_eq!(s.watermark("INBOX", 7).unwrap(), 42);
        assert_eq!(
            s.watermark("INBOX", 8).unwrap(),
            0,
            "a new UIDVALIDITY starts over"
        );
        assert_eq!(s.timed_tickets().unwrap().len(), 1);
        s.commit(Commit {
            ticket: Some(ticket(1, State::Open, &["m@x"])),
            ..Default::default()
        })
        .unwrap();
        assert!(
            s.timed_tickets().unwrap().is_empty(),
            "open tickets have no timers"
        );
    }

    #[test]
    fn a_second_process_is_told_the_store_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _first = SledStore::open(dir.path()).unwrap();
        let exe = std::env::current_exe().unwrap();
        // sled's lock is per process: check it from a child running this same test binary.
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "store::tests::child_opens_locked_store",
                "--nocapture",
            ])
            .env("TG_STORE_LOCK_DIR", dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("LOCKED: store"), "{text}");
        assert!(text.contains("in use by another process"), "{text}");
    }

    #[test]
    fn child_opens_locked_store() {
        // Only meaningful when started by the test above.
        if let Ok(dir) = std::env::var("TG_STORE_LOCK_DIR") {
            match SledStore::open(Path::new(&dir)) {
                Err(e @ StoreError::Locked { .. }) => println!("LOCKED: {e}"),
                Err(e) => println!("OTHER: {e}"),
                Ok(_) => println!("OPENED"),
            }
        }
    }
}
