//! The store: tickets, their events, the Message-ID index, processed mails, the outbox.
//!
//! [`Store`] is the narrow interface the daemon and the CLI use; [`SledStore`] and [`PgStore`]
//! are its backends, and only this module knows them. Every multi-key change is one
//! transaction: a mail's dedupe keys, ticket, index entries and outgoing mail commit together.

#[cfg(test)]
mod contract;
mod copy;
mod error;
mod facts;
mod files;
mod interface;
mod lookup;
mod mailfiles;
mod migrate;
mod overlay;
mod postgres;
pub mod schema;
mod sendlog;
mod slots;
mod spool;

pub use copy::{copy_to_postgres, CopyError, CopyReport};
pub use error::StoreError;
pub use facts::{AddressFacts, DeliveryFacts};
pub(crate) use files::{make_private, private_dir, private_file};
pub use interface::{Commit, Store};
pub use lookup::{LookUp, LookedUp};
pub use postgres::{Acquired, DatabaseUrl, LeaseTerms, PgStore, Previous, Renewal};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use sled::transaction::{ConflictableTransactionError, TransactionError};
use sled::Transactional as _;

use crate::core::timers::has_timers;
use crate::core::{FloodItem, Ticket, TicketId};
use crate::dedupe::MailKey;
use mailfiles::{RAW_FILE_MARK, RAW_IN_FILE_BYTES};
use overlay::{Overlay, OVERLAY_SPILL_BYTES};
use schema::*;
pub use schema::{Counts, MailRecord, OutboxEntry, OutboxStatus};

/// The sled backend.
///
/// Commits go to an in-memory overlay first and reach sled in few transactions (group
/// commit): one when the overlay reaches [`OVERLAY_SPILL_BYTES`], one for the rest at
/// [`Store::flush`]. sled 0.34 rolls its I/O buffer twice per transaction, which cost more
/// than half of the ingest time when every mail was its own transaction (docs/benchmarks.md). Every read looks at the overlay before sled, so a commit is visible
/// at once, as before; what the trait promises about durability is unchanged: nothing is
/// durable before `flush` returns, and each commit is applied whole or not at all.
///
/// A flush freezes the overlay and applies the frozen writes to sled while new commits go to
/// a fresh overlay: the daemon flushes one batch while it decides the next.
pub struct SledStore {
    db: sled::Db,
    /// Where outgoing mail waits to be sent: spool files, and big mails' files of their own.
    raw_dir: PathBuf,
    /// Indexed by [`T`].
    trees: Vec<sled::Tree>,
    overlay: Mutex<Overlay>,
    /// Held by the one flush (or spill) applying a frozen overlay.
    applying: Mutex<()>,
    /// Each completed send, synced as it completes (folded into the outbox at open).
    sent: sendlog::SendLog,
}

/// The trees, in the order of [`TREE_NAMES`].
#[derive(Clone, Copy, Debug)]
enum T {
    Tickets,
    ByMid,
    Mails,
    Outbox,
    OutboxRaw,
    Replies,
    Bounces,
    ByState,
    Meta,
    Senders,
    Flood,
    ByCustomer,
    OutboxUnsent,
}

/// How many trees the store has.
const TREE_COUNT: usize = 13;

const TREE_NAMES: [&str; TREE_COUNT] = [
    TREE_TICKETS,
    TREE_BY_MESSAGE_ID,
    TREE_MAILS,
    TREE_OUTBOX,
    TREE_OUTBOX_RAW,
    TREE_REPLIES,
    TREE_BOUNCES,
    TREE_BY_STATE,
    TREE_META,
    TREE_SENDERS,
    TREE_FLOOD,
    TREE_BY_CUSTOMER,
    TREE_OUTBOX_UNSENT,
];

pub(super) fn corrupt(tree: &'static str) -> impl Fn(String) -> StoreError {
    move |reason| StoreError::Corrupt { tree, reason }
}

/// The answer log an address has (empty when it has none).
pub(super) fn reply_log(stored: Option<&[u8]>) -> Result<ReplyLog, StoreError> {
    stored.map_or(Ok(ReplyLog::default()), |v| {
        decode(v).map_err(corrupt(TREE_REPLIES))
    })
}

/// sled's page cache (its default is 1 GiB). 8 MiB instead of 16 took 5 MiB off the peak
/// with no measurable cost in speed (`examples/bench_ingest`, docs/benchmarks.md).
const SLED_CACHE_BYTES: u64 = 8 * 1024 * 1024;

impl SledStore {
    /// [`SledStore::open`], waiting up to `wait` while the store is locked: by a CLI command
    /// that reads it for a moment (it must never stop the daemon from starting), or, within
    /// one process, by a handle just dropped whose last writes sled is still finishing.
    pub(crate) fn open_waiting(
        dir: &Path,
        wait: std::time::Duration,
    ) -> Result<SledStore, StoreError> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match SledStore::open(dir) {
                Err(StoreError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    /// Opens (or creates) the store in `dir`, private to the daemon's user: the directory and
    /// everything in it are made 0700 (directories) and 0600 (files) whatever the umask, and
    /// a store left more open by an older version is tightened (SPEC §4).
    pub fn open(dir: &Path) -> Result<SledStore, StoreError> {
        let path = dir.display().to_string();
        let private = |source| StoreError::File {
            path: path.clone(),
            source,
        };
        private_dir(dir).map_err(private)?;
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
        // Everything in the store is the daemon's alone: sled's own files (those it makes
        // later are made under the binary's umask, inside a directory no one else may
        // enter), and whatever an older version left more open.
        make_private(dir).map_err(private)?;
        let trees = TREE_NAMES
            .iter()
            .map(|name| db.open_tree(name))
            .collect::<Result<Vec<_>, _>>()?;
        // Sends recorded since the last flush: their entries are marked sent (and synced)
        // before anything reads the outbox, then the log starts afresh.
        let log_dir = dir.join("sent");
        let log_err = |source| StoreError::File {
            path: log_dir.display().to_string(),
            source,
        };
        let (sends, folded) = sendlog::SendLog::read(&log_dir).map_err(log_err)?;
        migrate::upgrade(&db, &trees, &path, &sends)?;
        let sent = sendlog::SendLog::start(&log_dir, folded).map_err(log_err)?;
        let store = SledStore {
            raw_dir: dir.join("outbox"),
            trees,
            db,
            overlay: Mutex::default(),
            applying: Mutex::default(),
            sent,
        };
        let mut unsent = Vec::new();
        for id in store.outbox_unsent_ids()? {
            unsent.extend(store.stored_mail(id)?);
        }
        store.overlay().files = spool::Files::open(&store.raw_dir, unsent)?;
        Ok(store)
    }

    /// The ids of the entries not sent yet (pending or dead).
    fn outbox_unsent_ids(&self) -> Result<Vec<u64>, StoreError> {
        let mut ids = Vec::new();
        self.scan(T::OutboxUnsent, &[], |k, _| {
            ids.extend(key_u64(k));
            Ok(())
        })?;
        Ok(ids)
    }

    /// The bytes of entry `id`'s mail, from what its record keeps of it.
    fn mail_of(&self, id: u64, stored: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        if let Some(place) = stored.strip_prefix(spool::SPOOL_MARK) {
            return spool::read(&self.raw_dir, id, place);
        }
        match stored.strip_prefix(RAW_FILE_MARK) {
            Some(name) => mailfiles::read(&self.raw_dir, id, name),
            None => Ok(stored),
        }
    }

    /// The encoded mail record a value of the mails tree holds or, for a mail's later key,
    /// names.
    pub(super) fn mail_record_bytes(&self, value: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        match value.split_first() {
            Some((&MAIL_UNDER, first)) => self
                .read(T::Mails, first, <[u8]>::to_vec)?
                .filter(|v| v.first() != Some(&MAIL_UNDER))
                .ok_or_else(|| {
                    let first = String::from_utf8_lossy(first);
                    corrupt(TREE_MAILS)(format!("a key names {first}, which holds no record"))
                }),
            _ => Ok(value),
        }
    }

    /// The mail record a value of the mails tree holds or, for a mail's later key, names.
    fn mail_in(&self, value: Vec<u8>) -> Result<MailRecord, StoreError> {
        decode(&self.mail_record_bytes(value)?).map_err(corrupt(TREE_MAILS))
    }

    /// What entry `id`'s record keeps of its mail: the bytes, or the file and place that
    /// holds them.
    fn stored_mail(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let with_entry = self
            .read(T::Outbox, &u64_key(id), |v| {
                split_outbox(v).map(|(_, mail)| mail.map(<[u8]>::to_vec))
            })?
            .transpose()
            .map_err(corrupt(TREE_OUTBOX))?
            .flatten();
        match with_entry {
            Some(v) => Ok(Some(v)),
            // Written by an older version: the bytes are in a tree of their own.
            None => self.read(T::OutboxRaw, &u64_key(id), <[u8]>::to_vec),
        }
    }

    fn tree(&self, t: T) -> &sled::Tree {
        &self.trees[t as usize]
    }

    /// The overlay; a panic elsewhere while it was held cannot have left half a commit in
    /// it (a commit's writes are prepared first and inserted without anything that fails).
    fn overlay(&self) -> MutexGuard<'_, Overlay> {
        self.overlay.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies the overlay's writes to sled as one transaction (not a disk sync). Commits
    /// made meanwhile go to a fresh overlay and wait for the next time.
    fn apply(&self) -> Result<(), StoreError> {
        let _applying = self.applying.lock().unwrap_or_else(|e| e.into_inner());
        let frozen = {
            let mut o = self.overlay();
            if o.active.is_empty() {
                return Ok(());
            }
            let frozen = Arc::new(std::mem::take(&mut o.active));
            o.frozen = Some(frozen.clone());
            frozen
        };
        let result = mailfiles::sync(&self.raw_dir, &frozen.files).and_then(|()| {
            self.trees
                .as_slice()
                .transaction(|views| {
                    for (tree, writes) in views.iter().zip(&frozen.trees) {
                        for (k, v) in writes {
                            match v {
                                Some(v) => tree.insert(k.as_slice(), v.as_slice())?,
                                None => tree.remove(k.as_slice())?,
                            };
                        }
                    }
                    Ok::<_, ConflictableTransactionError<()>>(())
                })
                .map_err(|e| match e {
                    TransactionError::Storage(e) => e.into(),
                    TransactionError::Abort(()) => unreachable!("the transaction never aborts"),
                })
        });
        let mut o = self.overlay();
        o.frozen = None;
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                // Not applied: the writes go back under the newer ones, for the next try.
                for (t, writes) in frozen.trees.iter().enumerate() {
                    for (k, v) in writes {
                        if !o.active.trees[t].contains_key(k) {
                            o.active.trees[t].insert(k.clone(), v.clone());
                        }
                    }
                }
                o.active.bytes += frozen.bytes;
                o.active.files.extend(frozen.files.iter().cloned());
                Err(e)
            }
        }
    }

    /// Adds a prepared list of writes to the overlay (whole), then spills a large overlay.
    fn write(
        &self,
        mut o: MutexGuard<'_, Overlay>,
        writes: Vec<(T, Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(), StoreError> {
        for (t, k, v) in writes {
            o.active.put(t, k, v);
        }
        let spill = o.active.bytes >= OVERLAY_SPILL_BYTES;
        drop(o);
        if spill {
            self.apply()?;
        }
        Ok(())
    }
}

impl Drop for SledStore {
    /// A store dropped without a last flush (a CLI command, a test) still writes what was
    /// committed; sled syncs when its last handle goes.
    fn drop(&mut self) {
        if let Err(e) = self.apply() {
            tracing::error!(error = %e, "store: committed writes could not be saved at close");
        }
    }
}

impl Store for SledStore {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        let decoded = self.read(T::Tickets, &u64_key(id.0), |v| {
            decode_ticket(v).and_then(Ticket::try_from)
        })?;
        decoded.transpose().map_err(corrupt(TREE_TICKETS))
    }

    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError> {
        for id in ids {
            // The index holds what nothing else finds (and every id of an older store).
            let candidate = match TicketId::of_message_id(id) {
                Some(n) => Some(n),
                None => match self.read(T::ByMid, id.as_bytes(), key_u64)?.flatten() {
                    Some(n) => return Ok(Some(TicketId(n))),
                    None => self
                        .mail_seen(&[MailKey::message_id(id)])?
                        .and_then(|m| m.ticket)
                        .map(TicketId),
                },
            };
            // Anyone can write an id of the gateway's form, or one a mail of theirs had:
            // it counts only if that ticket's thread holds it.
            if let Some(n) = candidate {
                if self.ticket(n)?.is_some_and(|t| t.thread.contains(id)) {
                    return Ok(Some(n));
                }
            }
        }
        Ok(None)
    }

    fn next_ticket_id_in(&self, slot: u32) -> Result<TicketId, StoreError> {
        self.next_id_in(slot)
    }
    fn queue_slot(&self, prefix: &str) -> Result<u32, StoreError> {
        self.slot_of(prefix)
    }
    fn queue_slots(&self) -> Result<Vec<(u32, String)>, StoreError> {
        self.slots()
    }
    fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        self.scan(T::Tickets, &[], |_, v| {
            let r = decode_ticket(v).map_err(corrupt(TREE_TICKETS))?;
            out.push(Ticket::try_from(r).map_err(corrupt(TREE_TICKETS))?);
            Ok(())
        })?;
        Ok(out)
    }

    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let mut out = Vec::new();
        for s in crate::core::State::ALL
            .into_iter()
            .filter(|s| has_timers(*s))
        {
            self.visit_tickets_in(s, &mut |t| {
                out.push(t);
                Ok(())
            })?;
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    fn visit_tickets_in(
        &self,
        state: crate::core::State,
        f: &mut dyn FnMut(Ticket) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut ids = Vec::new();
        self.scan(T::ByState, &[state_byte(state)], |k, _| {
            ids.extend(k.get(1..).and_then(key_u64).map(TicketId));
            Ok(())
        })?;
        for id in ids {
            self.ticket(id)?.map_or(Ok(()), &mut *f)?;
        }
        Ok(())
    }

    fn ticket_ids(
        &self,
        state: Option<crate::core::State>,
        limit: usize,
    ) -> Result<Vec<TicketId>, StoreError> {
        let states = match state {
            Some(s) => vec![s],
            None => crate::core::State::ALL.to_vec(),
        };
        // Each state's part of the index from its end: its keys, not the tickets' records.
        let mut ids = Vec::new();
        for s in states {
            let mut taken = 0;
            self.scan_keys_rev(T::ByState, &[state_byte(s)], |k| {
                ids.extend(k.get(1..).and_then(key_u64).map(TicketId));
                taken += 1;
                limit == 0 || taken < limit
            })?;
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        if limit != 0 {
            ids.truncate(limit);
        }
        Ok(ids)
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        Ok(self
            .read(T::Meta, META_COUNTS, Counts::decode)?
            .unwrap_or_default())
    }

    fn mail_seen(&self, keys: &[MailKey]) -> Result<Option<MailRecord>, StoreError> {
        for k in keys {
            if let Some(v) = self.read(T::Mails, k.as_bytes(), <[u8]>::to_vec)? {
                return self.mail_in(v).map(Some);
            }
        }
        Ok(None)
    }

    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError> {
        self.mail_seen(&[MailKey::message_id(message_id)])
    }

    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError> {
        let mut out = Vec::new();
        self.scan(T::Mails, &[], |k, v| {
            out.push((
                String::from_utf8_lossy(k).into_owned(),
                self.mail_in(v.to_vec())?,
            ));
            Ok(())
        })?;
        Ok(out)
    }

    fn commit(&self, c: Commit) -> Result<(), StoreError> {
        // Everything is prepared before the overlay is touched, so a commit lands whole.
        // Big mails go to files of their own first, the others to the overlay's spool file
        // last: the records only name them, and the apply syncs the files first.
        let mut outbox = Vec::with_capacity(c.outbox.len());
        let mut files = Vec::new();
        for (e, raw) in c.outbox {
            let in_file = raw.len() > RAW_IN_FILE_BYTES;
            let raw = match in_file {
                true => {
                    let (value, path) = mailfiles::write(&self.raw_dir, e.id, &raw)?;
                    files.push(path);
                    value
                }
                false => raw,
            };
            outbox.push((e, raw, in_file));
        }
        let mut writes: Vec<(T, Vec<u8>, Option<Vec<u8>>)> = Vec::new();
        let o = self.overlay();
        let counted = self.read_counts(&o)?;
        let mut counts = counted;
        for (e, _, _) in &outbox {
            counts.outbox(e.status, 1);
        }
        if let Some(t) = &c.ticket {
            let key = u64_key(t.id.0).to_vec();
            // The head it replaces, for the index and the counts: index writes only where
            // something changes (each costs sled far more than a read).
            let was = self
                .peek_locked(&o, T::Tickets, &key, ticket_head)?
                .transpose()
                .map_err(corrupt(TREE_TICKETS))?;
            let record = encode_ticket(t);
            let head = ticket_head(&record).map_err(corrupt(TREE_TICKETS))?;
            writes.push((T::Tickets, key.clone(), Some(record)));
            if let Some(was) = was {
                counts.head(was, -1);
            }
            counts.head(head, 1);
            if was.map(|h| h.state) != Some(t.state) {
                if let Some(was) = was {
                    writes.push((T::ByState, state_key(was.state, t.id.0).to_vec(), None));
                }
                writes.push((
                    T::ByState,
                    state_key(t.state, t.id.0).to_vec(),
                    Some(vec![]),
                ));
            }
            let next_key = next_ticket_key(t.id.slot());
            let next = self
                .read_locked(&o, T::Meta, &next_key)?
                .and_then(|v| key_u64(&v))
                .unwrap_or(1);
            if t.id.0 >= next {
                writes.push((T::Meta, next_key, Some(u64_key(t.id.0 + 1).to_vec())));
            }
            // A customer's tickets are indexed once (the customers of a ticket only grow):
            // those of the ticket as stored are, and the others are looked up.
            for cust in t.customers() {
                if c.known_customers.contains(&cust) {
                    continue;
                }
                let k = customer_key(&cust, t.id.0);
                if self.read_locked(&o, T::ByCustomer, &k)?.is_none() {
                    writes.push((T::ByCustomer, k, Some(Vec::new())));
                }
            }
            // Only new ids, and only those nothing else finds (see `ticket_by_message_id`):
            // the gateway's own ids name their ticket, and the id of the mail committed here
            // finds it through the mail's record. Each index write costs sled far more than
            // this check.
            let recorded = c
                .mail
                .as_ref()
                .filter(|m| m.ticket == Some(t.id.0))
                .and_then(|m| m.message_id.as_deref());
            for mid in t.thread.iter().skip(c.known_ids) {
                let derived = TicketId::of_message_id(mid) == Some(t.id)
                    || (recorded == Some(mid.as_str())
                        && c.mail_keys
                            .iter()
                            .any(|k| MailKey::message_id_of(k) == Some(mid)));
                if !derived {
                    writes.push((T::ByMid, mid.as_bytes().to_vec(), Some(key.clone())));
                }
            }
        }
        // The record under the mail's first key (its fingerprint); the others name that key.
        if let (Some(m), Some((first, rest))) = (&c.mail, c.mail_keys.split_first()) {
            writes.push((T::Mails, first.as_bytes().to_vec(), Some(encode(m))));
            let under = [&[MAIL_UNDER], first.as_bytes()].concat();
            for k in rest {
                writes.push((T::Mails, k.as_bytes().to_vec(), Some(under.clone())));
            }
        }
        let mut answered: BTreeMap<&str, Vec<(i64, u64)>> = BTreeMap::new();
        for (addr, at, id) in &c.replies {
            answered.entry(addr).or_default().push((*at, *id));
        }
        for (addr, answers) in answered {
            let mut log = reply_log(
                self.read_locked(&o, T::Replies, addr.as_bytes())?
                    .as_deref(),
            )?;
            log.add(answers);
            writes.push((T::Replies, addr.as_bytes().to_vec(), Some(encode(&log))));
        }
        for (addr, until) in &c.bounces {
            let until = u64_key(until.max(&0).unsigned_abs()).to_vec();
            writes.push((T::Bounces, addr.as_bytes().to_vec(), Some(until)));
        }
        for (addr, at) in &c.senders {
            let mut log: SenderLog = match self.read_locked(&o, T::Senders, addr.as_bytes())? {
                Some(v) => decode(&v).map_err(corrupt(TREE_SENDERS))?,
                None => SenderLog::default(),
            };
            log.add(*at);
            writes.push((T::Senders, addr.as_bytes().to_vec(), Some(encode(&log))));
        }
        let mut held: BTreeMap<&str, Vec<&FloodItem>> = BTreeMap::new();
        for item in &c.flood {
            held.entry(&item.sender).or_default().push(item);
        }
        for (addr, items) in held {
            let mut r: FloodRecord = match self.read_locked(&o, T::Flood, addr.as_bytes())? {
                Some(v) => decode(&v).map_err(corrupt(TREE_FLOOD))?,
                None => FloodRecord::default(),
            };
            for item in items {
                r.add(FloodItemRecord::from(item));
            }
            writes.push((T::Flood, addr.as_bytes().to_vec(), Some(encode(&r))));
        }
        for addr in &c.flood_sent {
            writes.push((T::Flood, addr.as_bytes().to_vec(), None));
        }
        if counts != counted {
            writes.push((T::Meta, META_COUNTS.to_vec(), Some(counts.encode())));
        }
        let mut o = o;
        let o_ = &mut *o;
        o_.active.files.extend(files);
        for (e, raw, in_file) in outbox {
            let stored = match (in_file, e.status) {
                (true, _) => {
                    o_.files.add(&raw);
                    raw
                }
                (false, OutboxStatus::Sent) => raw,
                (false, _) => {
                    let synced = &mut o_.active.files;
                    o_.files
                        .append(&self.raw_dir, &mut o_.spool, synced, e.id, &raw)?
                }
            };
            if e.status != OutboxStatus::Sent {
                writes.push((T::OutboxUnsent, u64_key(e.id).to_vec(), Some(Vec::new())));
            }
            writes.push((
                T::Outbox,
                u64_key(e.id).to_vec(),
                Some(encode_outbox(&e, &stored)),
            ));
        }
        self.write(o, writes)
    }

    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        let log = self
            .read(T::Replies, addr.as_bytes(), |v| reply_log(Some(v)))?
            .transpose()?
            .unwrap_or_default();
        Ok(log.answers.iter().filter(|(at, _)| *at >= since).count() as u32)
    }

    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError> {
        Ok(self
            .read(T::Bounces, addr.as_bytes(), key_u64)?
            .flatten()
            .map(|n| n as i64))
    }

    fn sender_mails_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        let log = self
            .read(T::Senders, addr.as_bytes(), decode::<SenderLog>)?
            .transpose()
            .map_err(corrupt(TREE_SENDERS))?
            .unwrap_or_default();
        Ok(log.at.iter().filter(|at| **at >= since).count() as u32)
    }

    fn flood(&self) -> Result<Vec<(String, Vec<FloodItem>, u32)>, StoreError> {
        let mut out = Vec::new();
        self.scan(T::Flood, &[], |k, v| {
            let r: FloodRecord = decode(v).map_err(corrupt(TREE_FLOOD))?;
            let sender = String::from_utf8_lossy(k).into_owned();
            out.push((sender.clone(), r.items(&sender), r.more));
            Ok(())
        })?;
        Ok(out)
    }

    fn tickets_of(&self, address: &str) -> Result<Vec<Ticket>, StoreError> {
        let prefix = customer_prefix(address);
        let mut ids = Vec::new();
        self.scan(T::ByCustomer, &prefix, |k, _| {
            // Exactly this address: another that merely starts with it and a NUL is longer.
            if k.len() == prefix.len() + 8 {
                ids.extend(key_u64(&k[prefix.len()..]).map(TicketId));
            }
            Ok(())
        })?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            // The index only grows; the ticket says whether the address is still on it.
            out.extend(self.ticket(id)?.filter(|t| t.is_customer(address)));
        }
        Ok(out)
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = Vec::new();
        self.scan(T::Outbox, &[], |_, v| {
            out.push(decode_outbox(v).map_err(corrupt(TREE_OUTBOX))?.0);
            Ok(())
        })?;
        Ok(out)
    }

    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut out = self.outbox_unsent()?;
        out.retain(|e| e.status == OutboxStatus::Pending);
        Ok(out)
    }

    fn outbox_unsent(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let ids = self.outbox_unsent_ids()?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(
                self.outbox_entry(id)?
                    .filter(|e| e.status != OutboxStatus::Sent),
            );
        }
        Ok(out)
    }

    fn outbox_entry(&self, id: u64) -> Result<Option<OutboxEntry>, StoreError> {
        self.read(T::Outbox, &u64_key(id), |v| {
            decode_outbox(v).map(|(e, _)| e)
        })?
        .transpose()
        .map_err(corrupt(TREE_OUTBOX))
    }

    fn outbox_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.stored_mail(id)?
            .map(|v| self.mail_of(id, v))
            .transpose()
    }

    fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        let key = u64_key(entry.id).to_vec();
        let mut o = self.overlay();
        let mut counts = self.read_counts(&o)?;
        // The record keeps the mail it carries while it may be sent (an older one has it in
        // `outbox_raw`); a sent mail's bytes are not needed again, and a dead one's move
        // from the spool file into its record, so that the file can go.
        let mut was_status = None;
        let value = match self.read_locked(&o, T::Outbox, &key)? {
            Some(v) => {
                let (was, mail) = decode_outbox(&v).map_err(corrupt(TREE_OUTBOX))?;
                counts.outbox(was.status, -1);
                was_status = Some(was.status);
                match (mail, entry.status) {
                    (Some(mail), OutboxStatus::Dead) if mail.starts_with(spool::SPOOL_MARK) => {
                        let raw = self.mail_of(entry.id, mail.to_vec())?;
                        o.files.release(mail);
                        encode_outbox(entry, &raw)
                    }
                    (Some(mail), OutboxStatus::Sent) => {
                        o.files.release(mail);
                        encode(entry)
                    }
                    (Some(mail), _) => encode_outbox(entry, mail),
                    (None, _) => encode(entry),
                }
            }
            None => encode(entry),
        };
        counts.outbox(entry.status, 1);
        let mut writes = vec![
            (T::Outbox, key.clone(), Some(value)),
            (T::Meta, META_COUNTS.to_vec(), Some(counts.encode())),
        ];
        // The index of unsent entries changes only when an entry is sent (or made again).
        let unsent = entry.status != OutboxStatus::Sent;
        if was_status.map(|w| w != OutboxStatus::Sent) != Some(unsent) {
            writes.push((T::OutboxUnsent, key, unsent.then(Vec::new)));
        }
        self.write(o, writes)
    }

    fn outbox_sent(&self, entry: &OutboxEntry) -> Result<(), StoreError> {
        // The store first, then the record: a flush that rotates the log after this record
        // is written has this update in what it makes durable.
        self.outbox_update(entry)?;
        self.sent
            .record(sendlog::SentRecord {
                id: entry.id,
                at: entry.sent_at.unwrap_or_default(),
                attempts: entry.attempts,
            })
            .map_err(|source| StoreError::File {
                path: "sent".into(),
                source,
            })
    }

    fn new_outbox_id(&self) -> Result<u64, StoreError> {
        Ok(self.db.generate_id()?)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let log_err = |source| StoreError::File {
            path: "sent".into(),
            source,
        };
        // Every send in a rotated file updated the overlay before it was recorded: applied
        // and synced below, so the file is no longer needed.
        let rotated = self.sent.rotate().map_err(log_err)?;
        // Files no unsent mail needs: the records that stopped naming them are in the
        // overlay now, so durable once it is applied and synced. The next commits append
        // to a spool file of their own.
        let idle = {
            let mut o = self.overlay();
            o.spool = None;
            o.files.idle()
        };
        self.apply()?;
        // Commits go on meanwhile: the overlay is not held while sled applies or syncs.
        self.db.flush()?;
        if !idle.is_empty() {
            self.overlay().files.remove(&self.raw_dir, idle);
        }
        if let Some(old) = rotated {
            std::fs::remove_file(old).map_err(log_err)?;
        }
        Ok(())
    }

    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError> {
        let key = format!("watermark:{mailbox}");
        let v = self.read(T::Meta, key.as_bytes(), <[u8]>::to_vec)?;
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
        let write = (
            T::Meta,
            format!("watermark:{mailbox}").into_bytes(),
            Some(v),
        );
        self.write(self.overlay(), vec![write])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Lang, State};

    /// A sled store in a directory of its own, for the contract of every backend.
    struct SledBackend(tempfile::TempDir);

    impl SledBackend {
        fn new() -> SledBackend {
            SledBackend(tempfile::tempdir().unwrap())
        }
    }

    impl contract::Backend for SledBackend {
        fn open(&self) -> Box<dyn Store> {
            Box::new(open(self.0.path()))
        }
    }

    mod contract_on_sled {
        use super::SledBackend;
        crate::store::contract::contract_tests!(SledBackend::new());
    }

    /// Opens a test store; a handle of the same directory dropped just before may still be
    /// finishing its writes (sled holds its lock until then).
    fn open(dir: &Path) -> SledStore {
        SledStore::open_waiting(dir, std::time::Duration::from_secs(5)).unwrap()
    }

    fn tickets_in(s: &SledStore, state: State) -> Vec<Ticket> {
        let mut out = Vec::new();
        s.visit_tickets_in(state, &mut |t| {
            out.push(t);
            Ok(())
        })
        .unwrap();
        out
    }

    fn ticket(id: u64, state: State, thread: &[&str]) -> Ticket {
        Ticket {
            id: TicketId(id),
            summary: "s".into(),
            state,
            reporter: "a@x.test".into(),
            participants: vec![],
            reporter_name: String::new(),
            fields: Default::default(),
            owner: None,
            language: Lang::Fr,
            created_at: 1,
            updated_at: 2,
            state_since: 3,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: thread.iter().map(|s| s.to_string()).collect(),
            sent: vec![],
            events: vec![],
        }
    }

    fn record() -> MailRecord {
        MailRecord {
            message_id: Some("m@x".into()),
            at: 5,
            ticket: Some(1),
            outcome: crate::core::MailOutcome::Ticket,
            decision: vec!["why".into()],
            fingerprint: None,
        }
    }

    #[test]
    fn message_ids_find_their_ticket_with_index_writes_only_for_what_nothing_else_finds() {
        let dir = tempfile::tempdir().unwrap();
        let ours = TicketId(1).message_id([7; 16], "gw.test");
        let forged = TicketId(1).message_id([8; 16], "gw.test");
        {
            let s = open(dir.path());
            // A new ticket from mail m@x, with the gateway's answer, and a stray id.
            s.commit(Commit {
                mail_keys: vec![MailKey::message_id("m@x")],
                mail: Some(record()),
                ticket: Some(ticket(1, State::Open, &["m@x", &ours, "stray@x"])),
                ..Default::default()
            })
            .unwrap();
            // A reply r@x: the first three ids are known, only r@x is new.
            s.commit(Commit {
                mail_keys: vec![MailKey::message_id("r@x")],
                mail: Some(MailRecord {
                    message_id: Some("r@x".into()),
                    ..record()
                }),
                ticket: Some(ticket(1, State::Open, &["m@x", &ours, "stray@x", "r@x"])),
                known_ids: 3,
                ..Default::default()
            })
            .unwrap();
            // An ignored mail: its record names no ticket.
            s.commit(Commit {
                mail_keys: vec![MailKey::message_id("ignored@x")],
                mail: Some(MailRecord {
                    message_id: Some("ignored@x".into()),
                    ticket: None,
                    ..record()
                }),
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
        }
        let s = open(dir.path());
        assert_eq!(
            s.tree(T::ByMid).len(),
            1,
            "only the id neither the gateway's form nor a mail record finds is indexed"
        );
        for id in ["m@x", ours.as_str(), "stray@x", "r@x"] {
            assert_eq!(
                s.ticket_by_message_id(&["unknown@x".into(), id.into()])
                    .unwrap(),
                Some(TicketId(1)),
                "{id}"
            );
        }
        for id in [forged.as_str(), "ignored@x", "unknown@x"] {
            assert_eq!(
                s.ticket_by_message_id(&[id.into()]).unwrap(),
                None,
                "{id}: the gateway's form, or a mail's record, counts only with the thread"
            );
        }
    }

    #[test]
    fn senders_and_held_notices_are_kept_bounded_and_forgotten_once_summed_up() {
        use crate::core::NoticeKind;
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let item = |n: u64| FloodItem {
            sender: "m@evil.test".into(),
            ticket: TicketId(n),
            summary: format!("Flood {n}"),
            kind: NoticeKind::NewTicket,
            at: 1000 + n as i64,
        };
        for n in 0..(FLOOD_ITEMS_MAX as u64 + 5) {
            s.commit(Commit {
                senders: vec![("m@evil.test".into(), 1000 + n as i64)],
                flood: vec![item(n)],
                ..Default::default()
            })
            .unwrap();
        }
        assert_eq!(s.sender_mails_since("m@evil.test", 0).unwrap(), 105);
        assert_eq!(s.sender_mails_since("m@evil.test", 1100).unwrap(), 5);
        assert_eq!(s.sender_mails_since("a@x.test", 0).unwrap(), 0);
        let flood = s.flood().unwrap();
        assert_eq!(flood.len(), 1);
        let (sender, items, more) = &flood[0];
        assert_eq!(
            (sender.as_str(), items.len(), *more),
            ("m@evil.test", 100, 5)
        );
        assert_eq!(items[0], item(0));
        s.commit(Commit {
            flood_sent: vec!["m@evil.test".into()],
            ..Default::default()
        })
        .unwrap();
        assert!(s.flood().unwrap().is_empty());

        let mut log = SenderLog::default();
        for at in 0..(SENDER_LOG_MAX as i64 + 10) {
            log.add(at);
        }
        assert_eq!(log.at.len(), SENDER_LOG_MAX, "bounded");
        assert_eq!(log.at.last(), Some(&(SENDER_LOG_MAX as i64 + 9)));
    }

    #[test]
    fn a_sent_mail_is_found_only_when_the_gateway_sent_it_and_older_stores_learn_theirs() {
        use crate::core::Audience;
        let dir = tempfile::tempdir().unwrap();
        let ack = TicketId(1).message_id([1; 16], "gw.test");
        let queued = TicketId(1).message_id([2; 16], "gw.test");
        let forged = TicketId(1).message_id([3; 16], "gw.test");
        {
            let s = open(dir.path());
            // A ticket of an older store: its thread holds the customer's id, the gateway's
            // two mails, and an incoming id of the gateway's form; it lists no sent mail.
            let t = ticket(1, State::Open, &["m@x", &ack, &queued, &forged]);
            let sent = OutboxEntry {
                message_id: ack.clone(),
                ticket: Some(1),
                to: vec!["a@x.test".into()],
                status: OutboxStatus::Sent,
                ..pending(10, 1)
            };
            let waiting = OutboxEntry {
                message_id: queued.clone(),
                ticket: Some(1),
                ..pending(11, 1)
            };
            s.commit(Commit {
                ticket: Some(t),
                outbox: vec![(sent, b"x".to_vec()), (waiting, b"y".to_vec())],
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
            s.tree(T::Meta).remove(META_SENT_BUILT).unwrap();
            s.db.flush().unwrap();
        }
        let s = open(dir.path());
        let t = s.ticket(TicketId(1)).unwrap().unwrap();
        assert_eq!(t.sent.len(), 2, "{:?}", t.sent);
        assert_eq!(t.sent[0].audience, Audience::Customers);
        let found = s
            .sent_mail(&ack)
            .unwrap()
            .expect("the acknowledgement was sent");
        assert_eq!(
            (found.ticket, found.to),
            (TicketId(1), vec!["a@x.test".to_string()])
        );
        for id in [queued.as_str(), forged.as_str(), "m@x"] {
            assert_eq!(s.sent_mail(id).unwrap(), None, "{id}");
        }
    }

    #[test]
    fn a_customers_tickets_come_from_an_index_that_older_stores_build_once() {
        let dir = tempfile::tempdir().unwrap();
        let with = |id: u64, reporter: &str, participants: &[&str]| {
            let mut t = ticket(id, State::Open, &[]);
            t.reporter = reporter.into();
            t.participants = participants.iter().map(|p| p.to_string()).collect();
            t
        };
        let tickets = [
            with(1, "a@x.test", &[]),
            with(2, "b@x.test", &["a@x.test"]),
            with(3, "b@x.test", &[]),
            // An address that starts with another and a NUL is another address.
            with(4, "a@x.test\0\0\0\0\0\0\0\0\x05", &[]),
        ];
        let ids = |s: &SledStore, addr: &str| -> Vec<u64> {
            s.tickets_of(addr).unwrap().iter().map(|t| t.id.0).collect()
        };
        {
            let s = open(dir.path());
            for t in &tickets {
                s.commit(Commit {
                    ticket: Some(t.clone()),
                    ..Default::default()
                })
                .unwrap();
            }
            // Read back before the flush (from the overlay), and after.
            assert_eq!(ids(&s, "a@x.test"), [1, 2]);
            s.flush().unwrap();
            assert_eq!(ids(&s, "a@x.test"), [1, 2]);
            assert_eq!(ids(&s, "b@x.test"), [2, 3]);
            assert_eq!(ids(&s, "c@x.test"), Vec::<u64>::new());
            // A commit of a ticket already indexed writes no index entry again.
            let before = s.overlay().active.trees[T::ByCustomer as usize].len();
            s.commit(Commit {
                ticket: Some(tickets[1].clone()),
                ..Default::default()
            })
            .unwrap();
            assert_eq!(
                s.overlay().active.trees[T::ByCustomer as usize].len(),
                before
            );
            // A store written before the index: no entries, no mark.
            s.flush().unwrap();
            s.tree(T::ByCustomer).clear().unwrap();
            s.tree(T::Meta).remove(META_CUSTOMER_INDEX).unwrap();
            s.db.flush().unwrap();
            assert_eq!(ids(&s, "a@x.test"), Vec::<u64>::new());
        }
        let s = open(dir.path());
        assert_eq!(ids(&s, "a@x.test"), [1, 2], "built at open");
        assert_eq!(ids(&s, "b@x.test"), [2, 3]);
    }

    #[test]
    fn a_reply_log_keeps_two_days_and_each_answer_once() {
        let mut log = ReplyLog::default();
        log.add([(100, 1), (100, 2)]);
        log.add([(100, 2), (50, 3)]);
        assert_eq!(log.answers, [(50, 3), (100, 1), (100, 2)]);
        log.add([(100 + REPLY_LOG_KEEP_SECS, 4)]);
        assert_eq!(
            log.answers,
            [(100, 1), (100, 2), (100 + REPLY_LOG_KEEP_SECS, 4)],
            "older than two days before the newest: forgotten"
        );
    }

    #[test]
    fn answer_rows_of_an_older_store_become_logs_once() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(dir.path());
            let row = |addr: &str, at: u64, id: u64| {
                let mut k = addr.as_bytes().to_vec();
                k.push(0);
                k.extend_from_slice(&at.to_be_bytes());
                k.extend_from_slice(&id.to_be_bytes());
                k
            };
            let replies = s.tree(T::Replies);
            let now = crate::pipeline::now_secs() as u64;
            for (addr, at, id) in [
                ("a@x.test", now - 3600, 1),
                ("a@x.test", now - 60, 2),
                ("b@x.test", now - 120, 3),
                ("c@x.test", now - 3 * 86_400, 4),
            ] {
                replies.insert(row(addr, at, id), &[]).unwrap();
            }
            s.tree(T::Meta).remove(META_REPLY_LOGS).unwrap();
            s.db.flush().unwrap();
        }
        let s = open(dir.path());
        let now = crate::pipeline::now_secs();
        assert_eq!(s.replies_since("a@x.test", 0).unwrap(), 2);
        assert_eq!(s.replies_since("a@x.test", now - 1800).unwrap(), 1);
        assert_eq!(s.replies_since("b@x.test", 0).unwrap(), 1);
        assert_eq!(
            s.replies_since("c@x.test", 0).unwrap(),
            0,
            "older than two days"
        );
        assert_eq!(
            s.tree(T::Replies).len(),
            2,
            "one log an address with recent answers, no rows left"
        );
        s.commit(Commit {
            replies: vec![("a@x.test".into(), now, 5)],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(s.replies_since("a@x.test", 0).unwrap(), 3);
    }

    /// A pending outgoing mail of `size` bytes.
    fn pending(id: u64, size: u64) -> OutboxEntry {
        OutboxEntry {
            id,
            message_id: format!("{id}@gw"),
            from: "support@gw".into(),
            to: vec!["a@x.test".into()],
            ticket: None,
            kind: "acknowledgement".into(),
            created_at: 1,
            attempts: 0,
            next_attempt_at: 0,
            status: OutboxStatus::Pending,
            last_error: None,
            sent_at: None,
            size,
        }
    }

    #[test]
    fn commits_are_read_back_before_the_flush_and_merged_with_flushed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        let commit = |t: Ticket, id: &str| Commit {
            mail_keys: vec![MailKey::message_id(id)],
            mail: Some(record()),
            ticket: Some(t),
            replies: vec![("a@x.test".into(), 100, 1)],
            ..Default::default()
        };
        s.commit(commit(ticket(1, State::Open, &["one@x"]), "1"))
            .unwrap();
        s.commit(commit(ticket(3, State::Resolved, &["three@x"]), "3"))
            .unwrap();
        s.flush().unwrap();
        assert!(s.overlay().is_empty(), "a flush hands everything to sled");
        // Not flushed: ticket 2 between two flushed ones, ticket 3 changed, ticket 1 not timed.
        s.commit(commit(
            ticket(2, State::WaitingForFeedback, &["two@x"]),
            "2",
        ))
        .unwrap();
        s.commit(Commit {
            ticket: Some(ticket(3, State::Open, &["three@x"])),
            replies: vec![("a@x.test".into(), 101, 2)],
            ..Default::default()
        })
        .unwrap();
        assert!(!s.overlay().is_empty());
        let ids = |ts: Vec<Ticket>| ts.iter().map(|t| (t.id.0, t.state)).collect::<Vec<_>>();
        assert_eq!(
            ids(s.tickets().unwrap()),
            [
                (1, State::Open),
                (2, State::WaitingForFeedback),
                (3, State::Open)
            ]
        );
        assert_eq!(
            ids(s.timed_tickets().unwrap()),
            [(2, State::WaitingForFeedback)]
        );
        assert_eq!(s.next_ticket_id().unwrap(), TicketId(4));
        assert_eq!(
            s.ticket_by_message_id(&["two@x".into()]).unwrap(),
            Some(TicketId(2))
        );
        assert_eq!(
            s.mail_seen(&[MailKey::message_id("2")]).unwrap(),
            Some(record())
        );
        assert_eq!(s.mails().unwrap().len(), 3);
        assert_eq!(
            s.replies_since("a@x.test", 0).unwrap(),
            2,
            "one row per (time, id)"
        );
        assert_eq!(s.replies_since("a@x.test", 101).unwrap(), 1);
        // Dropped without a flush (a CLI command): what was committed is still saved.
        drop(s);
        let s = open(dir.path());
        assert_eq!(s.tickets().unwrap().len(), 3);
        assert_eq!(s.ticket(TicketId(3)).unwrap().unwrap().state, State::Open);
    }

    #[test]
    fn a_large_overlay_goes_to_sled_before_the_flush_and_outbox_updates_win() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        // The records are what the overlay holds (the mails are in the spool file).
        let big = vec![7u8; OVERLAY_SPILL_BYTES];
        let entry = |id| OutboxEntry {
            last_error: Some("e".repeat(OVERLAY_SPILL_BYTES / 2 + 1)),
            ..pending(id, 0)
        };
        s.commit(Commit {
            outbox: vec![(entry(1), big.clone())],
            ..Default::default()
        })
        .unwrap();
        assert!(!s.overlay().is_empty());
        s.commit(Commit {
            outbox: vec![(entry(2), big.clone())],
            ..Default::default()
        })
        .unwrap();
        assert!(
            s.overlay().is_empty(),
            "spilled at {OVERLAY_SPILL_BYTES} bytes"
        );
        assert_eq!(s.outbox_raw(2).unwrap(), Some(big));
        let mut sent = pending(1, 0);
        sent.status = OutboxStatus::Sent;
        s.outbox_update(&sent).unwrap();
        assert_eq!(
            s.outbox_entry(1).unwrap().unwrap().status,
            OutboxStatus::Sent
        );
        assert_eq!(
            s.outbox_pending()
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            [2]
        );
    }

    #[test]
    fn a_big_outgoing_mail_is_kept_in_a_file_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let big: Vec<u8> = (0..RAW_IN_FILE_BYTES as u32 + 7)
            .map(|i| b'a' + (i % 26) as u8)
            .collect();
        {
            let s = open(dir.path());
            s.commit(Commit {
                outbox: vec![(pending(9, big.len() as u64), big.clone())],
                ..Default::default()
            })
            .unwrap();
            assert_eq!(s.outbox_raw(9).unwrap().as_ref(), Some(&big));
            s.flush().unwrap();
            let record = s.tree(T::Outbox).get(u64_key(9)).unwrap().unwrap();
            let stored = decode_outbox(&record).unwrap().1.unwrap().to_vec();
            assert!(stored.starts_with(RAW_FILE_MARK) && stored.len() < 64);
        }
        let file = dir.path().join("outbox").join(format!("{:016x}.eml", 9));
        assert_eq!(std::fs::read(&file).unwrap(), big);
        let s = open(dir.path());
        assert_eq!(s.outbox_raw(9).unwrap(), Some(big));
        assert_eq!(
            s.outbox_entry(9).unwrap().unwrap().size,
            RAW_IN_FILE_BYTES as u64 + 7
        );
        // A file gone missing is an error naming it, not an empty mail.
        std::fs::remove_file(&file).unwrap();
        let err = s.outbox_raw(9).unwrap_err().to_string();
        assert!(err.contains("0000000000000009.eml"), "{err}");
        // A record naming anything but a file of its own is corrupt, never followed.
        let mut bad = RAW_FILE_MARK.to_vec();
        bad.extend_from_slice(b"../../etc/passwd");
        s.tree(T::Outbox)
            .insert(u64_key(10), encode_outbox(&pending(10, 1), &bad))
            .unwrap();
        assert!(matches!(s.outbox_raw(10), Err(StoreError::Corrupt { .. })));
        s.tree(T::OutboxRaw).insert(u64_key(11), bad).unwrap();
        assert!(matches!(s.outbox_raw(11), Err(StoreError::Corrupt { .. })));
    }

    /// The names of the store's outgoing-mail files.
    fn mail_files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("outbox"))
            .map(|d| {
                d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    #[test]
    fn outgoing_mail_waits_in_a_spool_file_that_goes_once_no_mail_needs_it() {
        let dir = tempfile::tempdir().unwrap();
        let big = vec![b'b'; RAW_IN_FILE_BYTES + 1];
        {
            let s = open(dir.path());
            s.commit(Commit {
                outbox: vec![
                    (pending(1, 5), b"hello".to_vec()),
                    (pending(2, 5), b"world".to_vec()),
                    (pending(3, big.len() as u64), big.clone()),
                ],
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
            // sled's record names the mail's place; it does not carry the mail.
            let record = s.tree(T::Outbox).get(u64_key(1)).unwrap().unwrap();
            let stored = decode_outbox(&record).unwrap().1.unwrap().to_vec();
            assert!(stored.starts_with(spool::SPOOL_MARK) && stored.len() < 64);
        }
        assert_eq!(
            mail_files(dir.path()),
            ["0000000000000001.spool", "0000000000000003.eml"]
        );
        let s = open(dir.path());
        assert_eq!(s.outbox_raw(1).unwrap().as_deref(), Some(&b"hello"[..]));
        assert_eq!(s.outbox_raw(2).unwrap().as_deref(), Some(&b"world"[..]));
        let sent = |id| OutboxEntry {
            status: OutboxStatus::Sent,
            sent_at: Some(2),
            ..s.outbox_entry(id).unwrap().unwrap()
        };
        s.outbox_sent(&sent(1)).unwrap();
        s.outbox_sent(&sent(3)).unwrap();
        s.flush().unwrap();
        assert_eq!(
            mail_files(dir.path()),
            ["0000000000000001.spool"],
            "a sent big mail's file goes; mail 2 still needs the spool file"
        );
        // Dead: its bytes move into its record, and the file goes.
        let dead = OutboxEntry {
            status: OutboxStatus::Dead,
            ..s.outbox_entry(2).unwrap().unwrap()
        };
        s.outbox_update(&dead).unwrap();
        s.flush().unwrap();
        assert!(mail_files(dir.path()).is_empty());
        assert_eq!(s.outbox_raw(2).unwrap().as_deref(), Some(&b"world"[..]));
        drop(s);
        let s = open(dir.path());
        assert_eq!(s.outbox_raw(2).unwrap().as_deref(), Some(&b"world"[..]));
        assert_eq!(
            s.outbox_raw(1).unwrap(),
            None,
            "a sent mail's bytes are gone"
        );
    }

    #[test]
    fn a_mails_record_is_kept_once_and_its_other_keys_name_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let record = MailRecord {
            message_id: Some("a@x".into()),
            decision: vec!["a long decision log line".repeat(10)],
            ..record()
        };
        {
            let s = open(dir.path());
            s.commit(Commit {
                mail_keys: vec![MailKey::uid(None, 1, 1), MailKey::message_id("a@x")],
                mail: Some(record.clone()),
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
        }
        let s = open(dir.path());
        let under = s.tree(T::Mails).get("mid:a@x").unwrap().unwrap();
        assert_eq!(&under[..], b">uid:1:1", "the second key names the first");
        let mid = [MailKey::message_id("a@x")];
        assert_eq!(s.mail_seen(&mid).unwrap(), Some(record.clone()));
        assert_eq!(s.mail_record("a@x").unwrap(), Some(record.clone()));
        assert_eq!(
            s.mails().unwrap(),
            [
                ("mid:a@x".to_string(), record.clone()),
                ("uid:1:1".to_string(), record.clone())
            ]
        );
        // A key naming a key without a record is corrupt, never "not seen" (that would
        // process the mail again).
        s.tree(T::Mails).remove("uid:1:1").unwrap();
        assert!(matches!(s.mail_seen(&mid), Err(StoreError::Corrupt { .. })));
    }

    #[test]
    fn a_store_of_a_newer_layout_is_refused_and_this_layout_is_marked() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(dir.path());
            let schema = s.tree(T::Meta).get(META_SCHEMA).unwrap().unwrap();
            // A build before the packed ticket records could not read them.
            assert_eq!(schema.as_ref(), 5u32.to_be_bytes());
            let newer = SCHEMA_VERSION + 1;
            s.tree(T::Meta)
                .insert(META_SCHEMA, &newer.to_be_bytes())
                .unwrap();
            s.flush().unwrap();
        }
        match SledStore::open(dir.path()) {
            Err(StoreError::NewerSchema { found, .. }) => assert_eq!(found, SCHEMA_VERSION + 1),
            other => panic!("{:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn a_spool_file_left_by_a_commit_sled_never_had_is_removed_at_the_start() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(dir.path());
            s.commit(Commit {
                outbox: vec![(pending(1, 5), b"hello".to_vec())],
                ..Default::default()
            })
            .unwrap();
            s.flush().unwrap();
        }
        // A crash between the spool write and sled's transaction leaves a file no record names.
        std::fs::write(dir.path().join("outbox/00000000000000ff.spool"), b"lost").unwrap();
        let s = open(dir.path());
        assert_eq!(mail_files(dir.path()), ["0000000000000001.spool"]);
        assert_eq!(s.outbox_raw(1).unwrap().as_deref(), Some(&b"hello"[..]));
    }

    #[test]
    fn an_outbox_record_carries_its_mail_through_updates_and_older_records_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let s = open(dir.path());
        s.commit(Commit {
            outbox: vec![(pending(1, 5), b"hello".to_vec())],
            ..Default::default()
        })
        .unwrap();
        let mut e = s.outbox_entry(1).unwrap().unwrap();
        e.attempts = 2;
        s.outbox_update(&e).unwrap();
        s.flush().unwrap();
        assert_eq!(s.outbox_entry(1).unwrap(), Some(e.clone()));
        assert_eq!(s.outbox_raw(1).unwrap().as_deref(), Some(&b"hello"[..]));
        assert!(s.tree(T::OutboxRaw).is_empty(), "one record a mail");
        // Sent: the entry stays, its mail is not kept (the store must not grow with it).
        e.status = OutboxStatus::Sent;
        s.outbox_sent(&e).unwrap();
        assert_eq!(s.outbox_entry(1).unwrap(), Some(e.clone()));
        assert_eq!(s.outbox_raw(1).unwrap(), None);
        // An entry and its bytes as an older version wrote them: two trees.
        s.tree(T::Outbox)
            .insert(u64_key(2), encode(&pending(2, 3)))
            .unwrap();
        s.tree(T::OutboxRaw)
            .insert(u64_key(2), &b"old"[..])
            .unwrap();
        let mut old = s.outbox_entry(2).unwrap().unwrap();
        assert_eq!(s.outbox_raw(2).unwrap().as_deref(), Some(&b"old"[..]));
        old.status = OutboxStatus::Dead;
        s.outbox_update(&old).unwrap();
        assert_eq!(s.outbox_entry(2).unwrap(), Some(old));
        assert_eq!(s.outbox_raw(2).unwrap().as_deref(), Some(&b"old"[..]));
        assert_eq!(
            s.outbox().unwrap().iter().map(|e| e.id).collect::<Vec<_>>(),
            [1, 2]
        );
    }

    #[test]
    fn commits_during_flushes_are_never_out_of_sight_and_all_reach_the_disk() {
        // More commits than the contract's run: sled's overlay spills to sled meanwhile.
        contract::commits_during_flushes_are_kept(&SledBackend::new(), 1500);
    }

    #[test]
    fn a_second_process_is_told_the_store_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open(dir.path());
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
    fn a_send_recorded_before_a_crash_is_sent_after_it_and_only_that_one() {
        let dir = tempfile::tempdir().unwrap();
        let exe = std::env::current_exe().unwrap();
        // The child queues three mails, flushes, records two sends and dies without
        // flushing again: the store itself still has all three pending.
        let out = std::process::Command::new(exe)
            .args([
                "--exact",
                "store::tests::child_records_sends_and_dies",
                "--nocapture",
            ])
            .env("TG_SENDLOG_DIR", dir.path())
            .output()
            .unwrap();
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("RECORDED"),
            "{out:?}"
        );
        let s = open(dir.path());
        let status = |id| s.outbox_entry(id).unwrap().unwrap().status;
        assert_eq!(status(1), OutboxStatus::Sent);
        assert_eq!(status(2), OutboxStatus::Sent);
        assert_eq!(status(3), OutboxStatus::Pending, "not sent: sent later");
        assert_eq!(s.outbox_entry(2).unwrap().unwrap().sent_at, Some(77));
        assert_eq!(
            s.outbox_pending()
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect::<Vec<_>>(),
            [3]
        );
        assert_eq!(s.counts().unwrap().pending, 1);
    }

    #[test]
    fn child_records_sends_and_dies() {
        // Only meaningful when started by the test above.
        let Ok(dir) = std::env::var("TG_SENDLOG_DIR") else {
            return;
        };
        let s = SledStore::open(Path::new(&dir)).unwrap();
        s.commit(Commit {
            outbox: (1..=3)
                .map(|id| (pending(id, 5), b"hello".to_vec()))
                .collect(),
            ..Default::default()
        })
        .unwrap();
        s.flush().unwrap();
        for id in [1, 2] {
            let mut e = s.outbox_entry(id).unwrap().unwrap();
            e.status = OutboxStatus::Sent;
            e.sent_at = Some(77);
            e.attempts = 1;
            s.outbox_sent(&e).unwrap();
        }
        println!("RECORDED");
        // As a kill -9 would: no flush, no destructor.
        std::process::exit(0);
    }

    #[test]
    fn counts_and_the_index_by_state_follow_every_change_and_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let check = |s: &SledStore| {
            let all = s.tickets().unwrap();
            let c = s.counts().unwrap();
            for st in State::ALL {
                let want: Vec<TicketId> =
                    all.iter().filter(|t| t.state == st).map(|t| t.id).collect();
                let got: Vec<TicketId> = tickets_in(s, st).iter().map(|t| t.id).collect();
                assert_eq!(got, want, "{st:?}");
                assert_eq!(
                    c.tickets[state_byte(st) as usize],
                    want.len() as i64,
                    "{st:?}"
                );
            }
            let outbox = s.outbox().unwrap();
            let n = |st| outbox.iter().filter(|e| e.status == st).count() as i64;
            assert_eq!(
                (c.pending, c.dead),
                (n(OutboxStatus::Pending), n(OutboxStatus::Dead))
            );
            let timed: Vec<TicketId> = s.timed_tickets().unwrap().iter().map(|t| t.id).collect();
            let want: Vec<TicketId> = all
                .iter()
                .filter(|t| has_timers(t.state))
                .map(|t| t.id)
                .collect();
            assert_eq!(timed, want);
        };
        {
            let s = open(dir.path());
            for id in 1..=6 {
                s.commit(Commit {
                    ticket: Some(ticket(id, State::Open, &[])),
                    outbox: vec![(pending(id, 5), b"m".to_vec())],
                    ..Default::default()
                })
                .unwrap();
            }
            check(&s);
            s.flush().unwrap();
            for (id, st) in [
                (2, State::Resolved),
                (3, State::WaitingForFeedback),
                (2, State::Closed),
            ] {
                s.commit(Commit {
                    ticket: Some(ticket(id, st, &[])),
                    ..Default::default()
                })
                .unwrap();
            }
            let mut e = s.outbox_entry(1).unwrap().unwrap();
            e.status = OutboxStatus::Sent;
            s.outbox_sent(&e).unwrap();
            let mut e = s.outbox_entry(4).unwrap().unwrap();
            e.status = OutboxStatus::Dead;
            s.outbox_update(&e).unwrap();
            check(&s);
            s.flush().unwrap();
        }
        let s = open(dir.path());
        check(&s);
        assert_eq!(
            s.counts().unwrap().tickets[state_byte(State::Open) as usize],
            4
        );
    }

    #[test]
    fn a_store_of_schema_4_reads_its_json_tickets_and_packs_each_when_it_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let mut escalated = ticket(2, State::Resolved, &["m2@x"]);
        escalated.events.push(contract::escalation("resolution"));
        {
            let s = open(dir.path());
            // Tickets as schema 4 wrote them: the head, then the record as JSON.
            for t in [ticket(1, State::Open, &["m1@x"]), escalated.clone()] {
                let r = TicketRecord::from(&t);
                let mut v = vec![TICKET_WITH_HEAD, state_byte(t.state), 0];
                serde_json::to_writer(&mut v, &r).unwrap();
                s.tree(T::Tickets).insert(u64_key(t.id.0), v).unwrap();
            }
            s.tree(T::Meta)
                .insert(META_SCHEMA, &4u32.to_be_bytes())
                .unwrap();
            s.flush().unwrap();
        }
        let s = open(dir.path());
        let schema = s.tree(T::Meta).get(META_SCHEMA).unwrap().unwrap();
        assert_eq!(schema.as_ref(), 5u32.to_be_bytes());
        assert_eq!(s.ticket(TicketId(2)).unwrap(), Some(escalated.clone()));
        let stored = |id: u64| s.tree(T::Tickets).get(u64_key(id)).unwrap().unwrap();
        assert_eq!(
            stored(1)[0],
            TICKET_WITH_HEAD,
            "read as it is, not rewritten"
        );
        // Written again: packed, and the same ticket comes back.
        let mut one = s.ticket(TicketId(1)).unwrap().unwrap();
        one.participants.push("b@x.test".into());
        s.commit(Commit {
            ticket: Some(one.clone()),
            ..Default::default()
        })
        .unwrap();
        s.flush().unwrap();
        assert_eq!(stored(1)[0], TICKET_PACKED);
        assert_eq!(s.ticket(TicketId(1)).unwrap(), Some(one));
        assert_eq!(s.tickets().unwrap().len(), 2);
    }

    #[test]
    fn a_store_of_the_previous_layout_gets_its_index_by_state_and_counts_once() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(dir.path());
            // Records as the previous layout wrote them, and no index or counts.
            for (id, st) in [(1, State::Open), (2, State::Resolved), (3, State::Open)] {
                let mut t = ticket(id, st, &[]);
                if id == 2 {
                    // An escalated service level, counted from the record's events.
                    t.events.push(contract::escalation("resolution"));
                }
                s.tree(T::Tickets)
                    .insert(u64_key(id), encode(&TicketRecord::from(&t)))
                    .unwrap();
            }
            s.tree(T::Outbox)
                .insert(u64_key(9), encode_outbox(&pending(9, 1), b"m"))
                .unwrap();
            let meta = s.tree(T::Meta);
            meta.remove(META_STATE_INDEX).unwrap();
            meta.remove(META_COUNTS).unwrap();
            meta.insert(META_SCHEMA, &1u32.to_be_bytes()).unwrap();
            s.flush().unwrap();
        }
        let s = open(dir.path());
        let c = s.counts().unwrap();
        assert_eq!(c.tickets[state_byte(State::Open) as usize], 2);
        assert_eq!(c.tickets[state_byte(State::Resolved) as usize], 1);
        assert_eq!(c.pending, 1);
        assert_eq!(c.sla_breaches, [0, 1]);
        let ids = |st| {
            tickets_in(&s, st)
                .iter()
                .map(|t| t.id.0)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(State::Open), [1, 3]);
        assert_eq!(s.timed_tickets().unwrap()[0].id, TicketId(2));
        let schema = s.tree(T::Meta).get(META_SCHEMA).unwrap().unwrap();
        assert_eq!(schema.as_ref(), SCHEMA_VERSION.to_be_bytes());
        // A state change rewrites the old record in the new layout, index and counts along.
        s.commit(Commit {
            ticket: Some(ticket(1, State::Closed, &[])),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ids(State::Open), [3]);
        assert_eq!(
            s.counts().unwrap().tickets[state_byte(State::Open) as usize],
            1
        );
    }

    #[test]
    fn a_store_without_the_unsent_index_gets_it_once_and_sends_fold_into_it() {
        let dir = tempfile::tempdir().unwrap();
        {
            let s = open(dir.path());
            // Entries as a store of schema 2 holds them: no index of the pending ones.
            let mut sent = pending(8, 1);
            sent.status = OutboxStatus::Sent;
            let mut dead = pending(6, 1);
            dead.status = OutboxStatus::Dead;
            for e in [dead, pending(7, 1), sent, pending(9, 1)] {
                s.tree(T::Outbox)
                    .insert(u64_key(e.id), encode_outbox(&e, b"m"))
                    .unwrap();
            }
            s.tree(T::Meta).remove(META_UNSENT_INDEX).unwrap();
            s.tree(T::Meta)
                .insert(META_SCHEMA, &2u32.to_be_bytes())
                .unwrap();
            s.flush().unwrap();
            // A send recorded after that flush: folded in at the next open.
            s.sent
                .record(sendlog::SentRecord {
                    id: 9,
                    at: 5,
                    attempts: 1,
                })
                .unwrap();
        }
        let s = open(dir.path());
        let ids = |s: &SledStore| {
            let mut ids = Vec::new();
            s.scan(T::OutboxUnsent, &[], |k, _| {
                ids.extend(key_u64(k));
                Ok(())
            })
            .unwrap();
            ids
        };
        assert_eq!(ids(&s), [6, 7]);
        let of = |es: Vec<OutboxEntry>| es.iter().map(|e| e.id).collect::<Vec<_>>();
        assert_eq!(of(s.outbox_pending().unwrap()), [7]);
        assert_eq!(of(s.outbox_unsent().unwrap()), [6, 7]);
        // Sending takes an entry out of the index, a new pending one goes in.
        let mut seven = pending(7, 1);
        seven.status = OutboxStatus::Sent;
        s.outbox_sent(&seven).unwrap();
        s.commit(Commit {
            outbox: vec![(pending(10, 1), b"10".to_vec())],
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ids(&s), [6, 10]);
        let schema = s.tree(T::Meta).get(META_SCHEMA).unwrap().unwrap();
        assert_eq!(schema.as_ref(), SCHEMA_VERSION.to_be_bytes());
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
