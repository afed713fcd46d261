//! The PostgreSQL backend of [`Store`]: the tickets, processed mails and outbox of one desk in
//! a database a person can read and query (`migrations.rs` holds the schema), shared by the
//! daemons of the desk.
//!
//! Group commit: the commits between two flushes share one transaction on one connection
//! (the batch); each is a savepoint of it, so a commit that fails leaves the others whole.
//! While a batch is open every call goes through its connection, so what was committed is
//! read back at once; [`Store::flush`] commits the batch, after which reads go to any
//! connection of the pool. Nothing is durable before the flush, as the trait says; a batch
//! whose connection broke makes the next flush fail, so the caller never acts on a commit
//! the database did not keep.
//!
//! Attachment bytes are not in the database: they stay files under the daemon's state
//! directory, as with sled (the outgoing mails that forward them carry their own copy in
//! `outbox.raw`, so a standby daemon sends them all the same).

mod commit;
mod lease;
pub(super) mod load;
mod lookup;
mod migrations;
mod session;
mod sql;
mod url;

pub use lease::{Acquired, LeaseTerms, Previous, Renewal};
pub use url::DatabaseUrl;

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio_postgres::Row;

use super::schema::{Counts, FloodRecord, MailRecord, OutboxEntry, OutboxStatus, TicketRecord};
use super::{Commit, DeliveryFacts, LookUp, LookedUp, Store, StoreError};
use crate::core::sla::SlaKind;
use crate::core::timers::has_timers;
use crate::core::{FloodItem, MailOutcome, State, Ticket, TicketId};
use crate::dedupe::MailKey;
use session::{Pool, Session};

/// How many outbox ids one round trip reserves (the sequence's increment).
const OUTBOX_ID_BLOCK: u64 = 100;

/// Tickets read at once by [`Store::visit_tickets_in`].
const TICKETS_PAGE: i64 = 100;

/// Serialises schema changes of daemons starting at once (a fixed advisory lock key).
const MIGRATION_LOCK: i64 = 0x7467_6d69_6772;

/// The PostgreSQL store.
pub struct PgStore {
    pool: Pool,
    /// The connection holding the actor lock, its server process id and the lock's key, when
    /// this process acts on the database.
    actor: Mutex<Option<(Session, i32, i64)>>,
    /// The leases this process holds among daemons sharing the database (`lease.rs`).
    fence: lease::Fence,
    batch: Mutex<Batch>,
    /// Outbox ids reserved and not yet handed out: `[next, end)`.
    ids: Mutex<(u64, u64)>,
}

/// The open transaction of the commits since the last flush.
#[derive(Default)]
struct Batch {
    session: Option<Session>,
    /// Why the commits of a batch were lost (its connection broke): the next flush says so.
    lost: Option<String>,
    /// The next ticket id of each slot read in this batch, advanced by each ticket it
    /// commits: one read a slot a batch instead of one a mail. The holder of a mailbox's
    /// lease is the only one making its slot's tickets, and a ticket committed at the id
    /// given here is inserted, never upserted, so a stale id fails its commit (which
    /// forgets them all) rather than overwrite another ticket.
    next_ids: HashMap<u32, u64>,
}

impl Batch {
    /// The batch is over (committed, rolled back or lost): what it read goes with it.
    fn end(&mut self) -> Option<Session> {
        self.next_ids.clear();
        self.session.take()
    }
}

impl PgStore {
    /// Connects, and brings the schema up to date (refusing a database of a newer version).
    pub fn open(url: &DatabaseUrl) -> Result<PgStore, StoreError> {
        let pool = Pool::new(url.clone())?;
        pool.with(|s| migrate(s, url))?;
        Ok(PgStore {
            pool,
            actor: Mutex::default(),
            fence: lease::Fence::new(),
            batch: Mutex::default(),
            ids: Mutex::default(),
        })
    }

    /// Takes the store's actor lock (an advisory lock keyed by the schema the store lives
    /// in), waiting up to `wait` for a process that holds it: one process acts on a store at
    /// a time, as on a sled store. The lock lives as long as its connection
    /// (the server frees it when the process dies), and every flush checks that it still
    /// holds it, so a process that lost it commits nothing more.
    pub fn hold_actor_lock(&self, wait: Duration) -> Result<(), StoreError> {
        let mut actor = self.actor.lock().unwrap_or_else(|e| e.into_inner());
        if actor.is_some() {
            return Ok(());
        }
        let mut s = self.pool.take()?;
        let Some(row) = s.query_opt(sql::ACTOR_LOCK_KEY, &[])? else {
            return Err(StoreError::Database {
                url: self.url().to_string(),
                reason: "no answer to the actor lock's key".into(),
            });
        };
        let (pid, key): (i32, i64) = (row.get(0), row.get(1));
        let deadline = Instant::now() + wait;
        loop {
            let got = s
                .query_opt(sql::TRY_ACTOR_LOCK, &[&key])?
                .is_some_and(|r| r.get::<_, bool>(0));
            // A daemon holding leases acts without the lock: wait for it as for the lock.
            if got && self.live_lease_holder(&mut s)?.is_some() {
                s.execute("SELECT pg_advisory_unlock($1)", &[&key])?;
            } else if got {
                *actor = Some((s, pid, key));
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(StoreError::Locked {
                    path: self.url().to_string(),
                });
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Does this process still hold the actor lock (checked in the batch's transaction)?
    fn check_actor(&self, s: &mut Session) -> Result<(), StoreError> {
        let (pid, key) = {
            let actor = self.actor.lock().unwrap_or_else(|e| e.into_inner());
            match actor.as_ref() {
                Some((_, pid, key)) => (*pid, *key),
                None => return Ok(()),
            }
        };
        let held = s
            .query_opt(sql::HOLDS_ACTOR_LOCK, &[&pid, &key])?
            .is_some_and(|r| r.get::<_, bool>(0));
        if held {
            Ok(())
        } else {
            Err(StoreError::Database {
                url: self.url().to_string(),
                reason: "this process lost the database's actor lock (its connection broke): \
                         another daemon may be acting; nothing more is committed"
                    .into(),
            })
        }
    }

    /// The URL this store connects to (without its password).
    pub fn url(&self) -> &DatabaseUrl {
        self.pool.url()
    }

    fn batch(&self) -> MutexGuard<'_, Batch> {
        self.batch.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs a read: on the batch's connection while one is open (it sees the batch's
    /// commits), else on any connection.
    fn read<R>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut b = self.batch();
        if let Some(s) = b.session.as_mut() {
            let r = f(s);
            if s.is_closed() {
                b.end();
                b.lost = Some("the connection to PostgreSQL broke".into());
            }
            return r;
        }
        drop(b);
        self.pool.with(f)
    }

    /// Runs a write in the batch (opened when there is none) as one savepoint: whole or not
    /// at all.
    fn write<R>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        self.in_batch(|s| {
            s.batch("SAVEPOINT c")?;
            let v = f(s)?;
            s.batch("RELEASE SAVEPOINT c")?;
            Ok(v)
        })
    }

    /// Runs `f` in the batch (opened when there is none). `f` makes the savepoint `c` before
    /// it writes and releases it at its end; when it fails, the batch is rolled back to `c`.
    fn in_batch<R>(
        &self,
        f: impl FnOnce(&mut Session) -> Result<R, StoreError>,
    ) -> Result<R, StoreError> {
        let mut b = self.batch();
        if b.session.is_none() {
            let mut s = self.pool.take()?;
            s.batch(&self.fence.begin_sql())?;
            b.session = Some(s);
        }
        let s = b.session.as_mut().expect("opened above");
        let r = match f(s) {
            Ok(v) => Ok(v),
            Err(e) => match s.batch("ROLLBACK TO SAVEPOINT c; RELEASE SAVEPOINT c") {
                Ok(()) => Err(e),
                Err(_) => {
                    // The transaction cannot go on: what it held is lost.
                    b.end();
                    b.lost = Some(format!("a commit failed and took its batch with it: {e}"));
                    return Err(e);
                }
            },
        };
        if b.session.as_ref().is_some_and(Session::is_closed) {
            b.end();
            b.lost = Some("the connection to PostgreSQL broke".into());
        }
        r
    }

    /// The tickets of a query returning `TicketRecord` JSON texts.
    fn tickets_in_rows(rows: Vec<Row>) -> Result<Vec<Ticket>, StoreError> {
        rows.iter().map(|r| ticket_of(r.get(0))).collect()
    }
}

impl Drop for PgStore {
    /// A store dropped without a last flush (a CLI command, a test) still keeps what was
    /// committed, as the sled store does.
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            tracing::error!(error = %e, "store: committed writes could not be saved at close");
        }
    }
}

/// Applies the migrations this database lacks, under an advisory lock.
fn migrate(s: &mut Session, url: &DatabaseUrl) -> Result<(), StoreError> {
    s.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])?;
    let r = (|| {
        s.batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (
                 version     integer PRIMARY KEY,
                 description text NOT NULL,
                 applied_at  timestamptz NOT NULL DEFAULT now())",
        )?;
        let found: i32 = s
            .query_opt(
                "SELECT coalesce(max(version), 0) FROM schema_migrations",
                &[],
            )?
            .map_or(0, |r| r.get(0));
        let known = migrations::MIGRATIONS.last().map_or(0, |m| m.0);
        if found > known {
            return Err(StoreError::NewerSchema {
                path: url.to_string(),
                found: found as u32,
            });
        }
        for (version, description, sql) in migrations::MIGRATIONS {
            if *version <= found {
                continue;
            }
            s.batch("BEGIN")?;
            let applied = s.batch(sql).and_then(|()| {
                s.execute(
                    "INSERT INTO schema_migrations (version, description) VALUES ($1, $2)",
                    &[version, description],
                )
            });
            match applied {
                Ok(_) => s.batch("COMMIT")?,
                Err(e) => {
                    let _ = s.batch("ROLLBACK");
                    return Err(e);
                }
            }
            tracing::info!(version, description, "postgres: schema migrated");
        }
        Ok(())
    })();
    let unlocked = s.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    r.and(unlocked.map(|_| ()))
}

fn corrupt(table: &'static str) -> impl Fn(String) -> StoreError {
    move |reason| StoreError::Corrupt {
        tree: table,
        reason,
    }
}

fn ticket_of(json: &str) -> Result<Ticket, StoreError> {
    let r: TicketRecord =
        serde_json::from_str(json).map_err(|e| corrupt("tickets")(e.to_string()))?;
    Ticket::try_from(r).map_err(corrupt("tickets"))
}

fn id(n: u64) -> i64 {
    n as i64
}

fn mail_of(r: &Row, first: usize) -> Result<MailRecord, StoreError> {
    let outcome: String = r.get(first + 3);
    Ok(MailRecord {
        message_id: r.get(first),
        at: r.get(first + 1),
        ticket: r.get::<_, Option<i64>>(first + 2).map(|n| n as u64),
        outcome: MailOutcome::parse(&outcome).unwrap_or(MailOutcome::Ignored),
        decision: r.get(first + 4),
        fingerprint: r.get(first + 5),
    })
}

fn outbox_of(r: &Row) -> Result<OutboxEntry, StoreError> {
    let status: String = r.get(9);
    Ok(OutboxEntry {
        id: r.get::<_, i64>(0) as u64,
        message_id: r.get(1),
        ticket: r.get::<_, Option<i64>>(2).map(|n| n as u64),
        kind: r.get(3),
        from: r.get(4),
        to: r.get(5),
        created_at: r.get(6),
        attempts: r.get::<_, i32>(7) as u32,
        next_attempt_at: r.get(8),
        status: match status.as_str() {
            "pending" => OutboxStatus::Pending,
            "sent" => OutboxStatus::Sent,
            "dead" => OutboxStatus::Dead,
            other => return Err(corrupt("outbox")(format!("unknown status '{other}'"))),
        },
        last_error: r.get(10),
        sent_at: r.get(11),
        size: r.get::<_, i64>(12) as u64,
    })
}

impl Store for PgStore {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError> {
        self.read(|s| s.query_opt(sql::TICKET, &[&self::id(id.0)]))?
            .map(|r| ticket_of(r.get(0)))
            .transpose()
    }

    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError> {
        self.read(|s| {
            for mid in ids {
                let mid = &cleaned(mid);
                // The same rules as the sled store: the index holds what nothing else finds.
                let candidate = match TicketId::of_message_id(mid) {
                    Some(n) => Some(n),
                    None => {
                        if let Some(r) = s.query_opt(sql::INDEXED_ID, &[mid])? {
                            return Ok(Some(TicketId(r.get::<_, i64>(0) as u64)));
                        }
                        let key = vec![cleaned(&MailKey::message_id(mid))];
                        s.query_opt(sql::MAIL_SEEN, &[&key])?
                            .and_then(|r| r.get::<_, Option<i64>>(2))
                            .map(|n| TicketId(n as u64))
                    }
                };
                // Anyone can write an id of the gateway's form, or one a mail of theirs had:
                // it counts only if that ticket's thread holds it.
                if let Some(n) = candidate {
                    let holds = s
                        .query_opt(sql::THREAD_HOLDS, &[&id(n.0), mid])?
                        .is_some_and(|r| r.get::<_, bool>(0));
                    if holds {
                        return Ok(Some(n));
                    }
                }
            }
            Ok(None)
        })
    }

    /// Read once a batch for each slot (see [`Batch::next_ids`]).
    fn next_ticket_id_in(&self, slot: u32) -> Result<TicketId, StoreError> {
        let (first, end) = sql::slot_ids(slot);
        let next = |s: &mut Session| {
            let r = s.query_opt(sql::NEXT_TICKET_ID, &[&first, &end])?;
            Ok(r.map_or(first as u64 + 1, |r| r.get::<_, i64>(0) as u64))
        };
        let mut b = self.batch();
        if b.session.is_none() {
            drop(b);
            return self.pool.with(next).map(TicketId);
        }
        if let Some(n) = b.next_ids.get(&slot) {
            return Ok(TicketId(*n));
        }
        let s = b.session.as_mut().expect("open, seen above");
        let r = next(s);
        if s.is_closed() {
            b.end();
            b.lost = Some("the connection to PostgreSQL broke".into());
        } else if let Ok(n) = r {
            b.next_ids.insert(slot, n);
        }
        r.map(TicketId)
    }

    fn queue_slot(&self, prefix: &str) -> Result<u32, StoreError> {
        if let Some((slot, _)) = self.queue_slots()?.into_iter().find(|(_, p)| p == prefix) {
            return Ok(slot);
        }
        let r = self.write(|s| s.query_opt(sql::ADD_QUEUE_SLOT, &[&prefix]))?;
        // Durable before any ticket of the slot can be.
        self.flush()?;
        match r {
            Some(r) => Ok(r.get::<_, i32>(0) as u32),
            // Another daemon of the same store gave it a slot meanwhile.
            None => self
                .queue_slots()?
                .into_iter()
                .find(|(_, p)| p == prefix)
                .map(|(slot, _)| slot)
                .ok_or_else(|| StoreError::Corrupt {
                    tree: "queues",
                    reason: format!("the tag prefix {prefix} has no slot"),
                }),
        }
    }

    fn queue_slots(&self) -> Result<Vec<(u32, String)>, StoreError> {
        let rows = self.read(|s| s.query(sql::QUEUE_SLOTS, &[]))?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, String>(1)))
            .collect())
    }

    fn tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        Self::tickets_in_rows(self.read(|s| s.query(sql::TICKETS, &[]))?)
    }

    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError> {
        let states: Vec<&str> = State::ALL
            .into_iter()
            .filter(|s| has_timers(*s))
            .map(State::as_str)
            .collect();
        Self::tickets_in_rows(self.read(|s| s.query(sql::TICKETS_IN, &[&states]))?)
    }

    /// A page of tickets at a time: a listing holds at most a page.
    fn visit_tickets_in(
        &self,
        state: State,
        f: &mut dyn FnMut(Ticket) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut after = 0i64;
        loop {
            let rows = self.read(|s| {
                s.query(
                    sql::TICKETS_IN_PAGE,
                    &[&state.as_str(), &after, &TICKETS_PAGE],
                )
            })?;
            for r in &rows {
                after = r.get(0);
                f(ticket_of(r.get(1))?)?;
            }
            if rows.len() < TICKETS_PAGE as usize {
                return Ok(());
            }
        }
    }

    fn ticket_ids(&self, state: Option<State>, limit: usize) -> Result<Vec<TicketId>, StoreError> {
        // LIMIT NULL is no limit.
        let limit = (limit != 0).then_some(limit as i64);
        let rows = match state {
            Some(s) => self.read(|c| c.query(sql::TICKET_IDS_IN, &[&s.as_str(), &limit]))?,
            None => self.read(|c| c.query(sql::TICKET_IDS, &[&limit]))?,
        };
        Ok(rows
            .iter()
            .map(|r| TicketId(r.get::<_, i64>(0) as u64))
            .collect())
    }

    fn counts(&self) -> Result<Counts, StoreError> {
        let (tickets, outbox, escalations) = self.read(|s| {
            Ok((
                s.query(sql::COUNT_TICKETS, &[])?,
                s.query(sql::COUNT_OUTBOX, &[])?,
                s.query(sql::COUNT_ESCALATIONS, &[])?,
            ))
        })?;
        let mut c = Counts::default();
        for r in &tickets {
            let state: &str = r.get(0);
            let state = State::parse(state)
                .ok_or_else(|| corrupt("tickets")(format!("unknown state '{state}'")))?;
            c.ticket(state, r.get(1));
        }
        for r in &outbox {
            match r.get::<_, &str>(0) {
                "pending" => c.pending = r.get(1),
                "dead" => c.dead = r.get(1),
                other => return Err(corrupt("outbox")(format!("unknown status '{other}'"))),
            }
        }
        for r in &escalations {
            if let Some(i) = SlaKind::ALL
                .iter()
                .position(|k| k.as_str() == r.get::<_, &str>(0))
            {
                c.sla_breaches[i] = r.get(1);
            }
        }
        Ok(c)
    }

    fn mail_seen(&self, keys: &[MailKey]) -> Result<Option<MailRecord>, StoreError> {
        let keys: Vec<String> = keys.iter().map(|k| cleaned(k)).collect();
        self.read(|s| s.query_opt(sql::MAIL_SEEN, &[&keys]))?
            .map(|r| mail_of(&r, 0))
            .transpose()
    }

    /// One query for all the lists.
    fn mail_seen_each(&self, lists: &[&[MailKey]]) -> Result<Vec<Option<MailRecord>>, StoreError> {
        let (keys, list) = lookup::seen_params(lists);
        lookup::seen_of(
            &self.read(|s| s.query(sql::MAILS_SEEN, &[&keys, &list]))?,
            lists.len(),
        )
    }

    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError> {
        self.mail_seen(&[MailKey::message_id(message_id)])
    }

    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError> {
        self.read(|s| s.query(sql::MAILS, &[]))?
            .iter()
            .map(|r| Ok((r.get(0), mail_of(r, 1)?)))
            .collect()
    }

    /// One round trip: the commit's statements go as one pipeline (`commit.rs`). A ticket at
    /// the next id this batch handed out for its slot is new: it is inserted, and the slot's
    /// next id moves past it.
    fn commit(&self, mut c: Commit) -> Result<(), StoreError> {
        clean_commit(&mut c);
        let at = c.ticket.as_ref().map(|t| t.id);
        let new = at.is_some_and(|t| self.batch().next_ids.get(&t.slot()) == Some(&t.0));
        let r = self.in_batch(|s| commit::plan(s, &c, new)?.run(s));
        let mut b = self.batch();
        match (&r, at) {
            (Err(_), _) => b.next_ids.clear(),
            (Ok(()), Some(t)) => {
                if let Some(n) = b.next_ids.get_mut(&t.slot()) {
                    *n = (*n).max(t.0 + 1);
                }
            }
            (Ok(()), None) => {}
        }
        r
    }

    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        let r = self.read(|s| s.query_opt(sql::ANSWERS_SINCE, &[&addr, &since]))?;
        Ok(r.map_or(0, |r| r.get::<_, i64>(0) as u32))
    }

    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError> {
        let r = self.read(|s| s.query_opt(sql::BOUNCED_UNTIL, &[&addr]))?;
        Ok(r.map(|r| r.get(0)))
    }

    fn sender_mails_since(&self, addr: &str, since: i64) -> Result<u32, StoreError> {
        let r = self.read(|s| s.query_opt(sql::SENDER_MAILS_SINCE, &[&addr, &since]))?;
        Ok(r.map_or(0, |r| r.get::<_, i64>(0) as u32))
    }

    /// One query for all the addresses.
    fn delivery_facts(
        &self,
        addrs: &[String],
        sender: Option<&str>,
        since: i64,
    ) -> Result<DeliveryFacts, StoreError> {
        let (cleaned, sender) = lookup::facts_params(addrs, sender);
        let rows = self.read(|s| s.query(sql::DELIVERY_FACTS, &[&cleaned, &since, &sender]))?;
        Ok(lookup::facts_of(&rows, addrs.len()))
    }

    /// One round trip: the three reads go as one pipeline (`lookup.rs`), on the batch's
    /// connection while one is open (they see its commits).
    fn look_up(&self, q: &LookUp<'_>) -> Result<LookedUp, StoreError> {
        self.read(|s| lookup::run(s, q))
    }

    fn flood(&self) -> Result<Vec<(String, Vec<FloodItem>, u32)>, StoreError> {
        self.read(|s| s.query(sql::HELD_ALL, &[]))?
            .iter()
            .map(|row| {
                let sender: String = row.get(0);
                let r = flood_record(row.get(1), row.get(2))?;
                Ok((sender.clone(), r.items(&sender), r.more))
            })
            .collect()
    }

    fn tickets_of(&self, address: &str) -> Result<Vec<Ticket>, StoreError> {
        let address = cleaned(address);
        Self::tickets_in_rows(self.read(|s| s.query(sql::TICKETS_OF, &[&address]))?)
    }

    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|s| s.query(sql::OUTBOX, &[]))?
            .iter()
            .map(outbox_of)
            .collect()
    }

    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|s| s.query(sql::OUTBOX_PENDING, &[]))?
            .iter()
            .map(outbox_of)
            .collect()
    }

    fn outbox_unsent(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|s| s.query(sql::OUTBOX_UNSENT, &[]))?
            .iter()
            .map(outbox_of)
            .collect()
    }

    fn outbox_entry(&self, n: u64) -> Result<Option<OutboxEntry>, StoreError> {
        self.read(|s| s.query_opt(sql::OUTBOX_ENTRY, &[&id(n)]))?
            .as_ref()
            .map(outbox_of)
            .transpose()
    }

    fn outbox_raw(&self, n: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .read(|s| s.query_opt(sql::OUTBOX_RAW, &[&id(n)]))?
            .map(|r| r.get(0)))
    }

    fn outbox_update(&self, e: &OutboxEntry) -> Result<(), StoreError> {
        let mut e = e.clone();
        clean_entry(&mut e);
        let e = &e;
        self.write(|s| {
            s.execute(
                sql::UPDATE_OUTBOX,
                &[
                    &id(e.id),
                    &e.message_id,
                    &e.ticket.map(id),
                    &e.kind,
                    &e.from,
                    &e.to,
                    &e.created_at,
                    &(e.attempts as i32),
                    &e.next_attempt_at,
                    &e.status.as_str(),
                    &e.last_error,
                    &e.sent_at,
                    &(e.size as i64),
                ],
            )
            .map(|_| ())
        })
    }

    /// The update and every commit before it are committed at once (one transaction): the
    /// send is durable when this returns, and a process that lost the actor lock keeps
    /// nothing.
    fn outbox_sent(&self, e: &OutboxEntry) -> Result<(), StoreError> {
        self.outbox_update(e)?;
        self.flush()
    }

    fn new_outbox_id(&self) -> Result<u64, StoreError> {
        let mut ids = self.ids.lock().unwrap_or_else(|e| e.into_inner());
        if ids.0 >= ids.1 {
            // Sequences are not transactional: any connection will do.
            let first = self
                .pool
                .with(|s| s.query_opt(sql::NEXT_OUTBOX_IDS, &[]))?
                .map_or(1, |r| r.get::<_, i64>(0) as u64);
            *ids = (first, first + OUTBOX_ID_BLOCK);
        }
        ids.0 += 1;
        Ok(ids.0 - 1)
    }

    fn flush(&self) -> Result<(), StoreError> {
        let mut b = self.batch();
        if let Some(reason) = b.lost.take() {
            return Err(StoreError::Database {
                url: self.url().to_string(),
                reason,
            });
        }
        let Some(mut s) = b.end() else {
            return Ok(());
        };
        // On error the session is dropped, and the transaction with it.
        self.check_actor(&mut s)?;
        self.check_fence(&mut s)?;
        s.batch("COMMIT")?;
        drop(b);
        self.pool.give(s);
        Ok(())
    }

    fn postgres(&self) -> Option<&PgStore> {
        Some(self)
    }

    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError> {
        let r = self.read(|s| s.query_opt(sql::WATERMARK, &[&mailbox]))?;
        Ok(match r {
            Some(r) if r.get::<_, i64>(0) == i64::from(uid_validity) => r.get::<_, i64>(1) as u32,
            _ => 0,
        })
    }

    fn set_watermark(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Result<(), StoreError> {
        self.write(|s| {
            s.execute(
                sql::SET_WATERMARK,
                &[&mailbox, &i64::from(uid_validity), &i64::from(uid)],
            )
            .map(|_| ())
        })
    }
}

/// PostgreSQL's `text` and `jsonb` cannot hold NUL, which hostile mail may carry: it is
/// kept as U+FFFD, as a decoder shows a byte it cannot read (the raw mail keeps the byte).
fn clean(s: &mut String) {
    if s.contains('\0') {
        *s = s.replace('\0', "\u{FFFD}");
    }
}

/// A key or id as [`clean`] stores it.
fn cleaned(s: &str) -> String {
    let mut s = s.to_string();
    clean(&mut s);
    s
}

fn clean_opt(s: &mut Option<String>) {
    if let Some(s) = s {
        clean(s);
    }
}

fn clean_all(v: &mut [String]) {
    v.iter_mut().for_each(clean);
}

fn clean_ticket(r: &mut TicketRecord) {
    for s in [
        &mut r.summary,
        &mut r.state,
        &mut r.reporter,
        &mut r.language,
        &mut r.reporter_name,
        &mut r.fields.kind,
        &mut r.fields.severity,
        &mut r.fields.environment,
        &mut r.fields.version,
    ] {
        clean(s);
    }
    clean_opt(&mut r.owner);
    clean_all(&mut r.participants);
    clean_all(&mut r.thread);
    for m in &mut r.sent {
        clean(&mut m.message_id);
        clean(&mut m.audience);
        clean_opt(&mut m.to);
    }
    for e in &mut r.events {
        for s in [&mut e.kind, &mut e.from, &mut e.text] {
            clean(s);
        }
        for s in [&mut e.from_state, &mut e.to_state, &mut e.message_id] {
            clean_opt(s);
        }
        clean_all(&mut e.decision);
        for a in &mut e.attachments {
            for s in [&mut a.name, &mut a.content_type, &mut a.sha256] {
                clean(s);
            }
        }
    }
}

/// A commit's text, as PostgreSQL can hold it ([`clean`]).
fn clean_commit(c: &mut Commit) {
    if let Some(m) = &mut c.mail {
        clean_opt(&mut m.message_id);
        clean_opt(&mut m.fingerprint);
        clean_all(&mut m.decision);
    }
    for (e, _) in &mut c.outbox {
        clean_entry(e);
    }
    for s in c.replies.iter_mut().map(|r| &mut r.0) {
        clean(s);
    }
    for s in c.bounces.iter_mut().map(|r| &mut r.0) {
        clean(s);
    }
    for s in c.senders.iter_mut().map(|r| &mut r.0) {
        clean(s);
    }
    for f in &mut c.flood {
        clean(&mut f.sender);
        clean(&mut f.summary);
    }
    clean_all(&mut c.flood_sent);
}

fn clean_entry(e: &mut OutboxEntry) {
    for s in [&mut e.message_id, &mut e.kind, &mut e.from] {
        clean(s);
    }
    clean_all(&mut e.to);
    clean_opt(&mut e.last_error);
}

fn flood_record(items: &str, more: i32) -> Result<FloodRecord, StoreError> {
    Ok(FloodRecord {
        items: serde_json::from_str(items).map_err(|e| corrupt("held_notices")(e.to_string()))?,
        more: more.max(0) as u32,
    })
}

#[cfg(test)]
pub(crate) mod tests;
