//! Bulk loading of a whole store into an empty database, for `ticket-gateway migrate`
//! (`store::copy` reads the sled store and hands its records here).
//!
//! Everything goes in one transaction on one connection: a copy that fails or does not
//! verify is rolled back and leaves the database as empty as it found it. Rows travel in
//! batches, each batch one statement per table (the records as one JSON array, or as
//! column arrays for the outbox's bytes), so a store of 100,000 tickets is a few hundred
//! round trips, not a few hundred thousand. The process holds the store's actor lock, and
//! the lease table locked, while it loads: no daemon acts on the database meanwhile.

use std::time::Duration;

use super::session::Session;
use super::{clean, clean_entry, clean_ticket, cleaned, id, PgStore};
use crate::store::schema::{FloodRecord, MailRecord, OutboxEntry, TicketRecord};
use crate::store::{DatabaseUrl, StoreError};

/// The tables a copy fills, in the order it reports them. A database where any of them
/// holds a row is not empty.
pub(in crate::store) const TABLES: [&str; 13] = [
    "tickets",
    "events",
    "attachments",
    "message_ids",
    "mails",
    "mail_keys",
    "outbox",
    "answers",
    "sender_mails",
    "bounces",
    "held_notices",
    "watermarks",
    "queues",
];

/// An open load: the transaction, and the store whose actor lock keeps daemons out.
pub(in crate::store) struct Loader {
    store: PgStore,
    session: Option<Session>,
}

/// A batch of `TicketRecord`s, parsed once: the tickets, their events, and the events'
/// attachments (the foreign keys are checked at the end of the statement, when all three
/// are in).
const INSERT_TICKETS: &str = "
WITH batch AS (SELECT r FROM jsonb_array_elements($1::text::jsonb) AS r),
tickets AS (
    INSERT INTO tickets (id, summary, state, reporter, participants, language, created_at,
                         updated_at, state_since, reminded, automated, refers_to, thread, sent,
                         reporter_name, type, severity, environment, version, owner)
    SELECT (r->>'id')::bigint, r->>'summary', r->>'state', r->>'reporter',
           ARRAY(SELECT jsonb_array_elements_text(r->'participants')), r->>'language',
           to_timestamp((r->>'created_at')::bigint), to_timestamp((r->>'updated_at')::bigint),
           to_timestamp((r->>'state_since')::bigint), (r->>'reminded')::boolean,
           (r->>'automated')::boolean, (r->>'refers_to')::bigint,
           ARRAY(SELECT jsonb_array_elements_text(r->'thread')), coalesce(r->'sent', '[]'),
           coalesce(r->>'reporter_name', ''), coalesce(r->'fields'->>'type', ''),
           coalesce(r->'fields'->>'severity', ''), coalesce(r->'fields'->>'environment', ''),
           coalesce(r->'fields'->>'version', ''), r->>'owner'
    FROM batch
),
events AS (
    SELECT (r->>'id')::bigint AS ticket_id, (e.n - 1)::int AS seq, e.v
    FROM batch, jsonb_array_elements(r->'events') WITH ORDINALITY AS e(v, n)
),
written AS (
    INSERT INTO events (ticket_id, seq, at, kind, sender, body, from_state, to_state,
                        message_id, decision)
    SELECT ticket_id, seq, to_timestamp((v->>'at')::bigint), v->>'kind', v->>'from',
           v->>'text', v->>'from_state', v->>'to_state', v->>'message_id',
           ARRAY(SELECT jsonb_array_elements_text(v->'decision'))
    FROM events
)
INSERT INTO attachments (ticket_id, seq, n, name, content_type, size, sha256)
SELECT ticket_id, seq, (a.n - 1)::int, a.v->>'name', a.v->>'content_type',
       (a.v->>'size')::bigint, a.v->>'sha256'
FROM events, jsonb_array_elements(events.v->'attachments') WITH ORDINALITY AS a(v, n)";

/// `[[id, record], …]`: each processed mail once, with the id its keys point to.
const INSERT_MAILS: &str = "
INSERT INTO mails (id, message_id, received_at, ticket_id, outcome, decision, fingerprint)
SELECT (m->>0)::bigint, m->1->>'message_id', to_timestamp((m->1->>'at')::bigint),
       (m->1->>'ticket')::bigint, m->1->>'outcome',
       ARRAY(SELECT jsonb_array_elements_text(m->1->'decision')), m->1->>'fingerprint'
FROM jsonb_array_elements($1::text::jsonb) AS m";

const INSERT_MAIL_KEYS: &str = "
INSERT INTO mail_keys (key, mail_id) SELECT k, m FROM unnest($1::text[], $2::bigint[]) AS x(k, m)
ON CONFLICT (key) DO NOTHING";

const INSERT_OUTBOX: &str = "
INSERT INTO outbox (id, message_id, ticket_id, kind, sender, recipients, created_at, attempts,
                    next_attempt_at, status, last_error, sent_at, size, raw)
SELECT o.id, o.message_id, o.ticket_id, o.kind, o.sender,
       ARRAY(SELECT jsonb_array_elements_text(o.recipients::jsonb)), to_timestamp(o.created_at),
       o.attempts, to_timestamp(o.next_attempt_at), o.status, o.last_error,
       to_timestamp(o.sent_at), o.size, o.raw
FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
            $7::bigint[], $8::int[], $9::bigint[], $10::text[], $11::text[], $12::bigint[],
            $13::bigint[], $14::bytea[])
     AS o(id, message_id, ticket_id, kind, sender, recipients, created_at, attempts,
          next_attempt_at, status, last_error, sent_at, size, raw)";

const INSERT_ANSWERS: &str = "
INSERT INTO answers (address, at, outbox_id)
SELECT a, to_timestamp(t), o FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(a, t, o)
ON CONFLICT DO NOTHING";

const INSERT_SENDERS: &str = "
INSERT INTO sender_mails (address, at)
SELECT a, to_timestamp(t) FROM unnest($1::text[], $2::bigint[]) AS x(a, t)";

const INSERT_BOUNCES: &str = "
INSERT INTO bounces (address, paused_until)
SELECT a, to_timestamp(t) FROM unnest($1::text[], $2::bigint[]) AS x(a, t)
ON CONFLICT (address) DO UPDATE SET paused_until = excluded.paused_until";

const INSERT_HELD: &str = "
INSERT INTO held_notices (sender, items, more)
SELECT s, i::jsonb, m FROM unnest($1::text[], $2::text[], $3::int[]) AS x(s, i, m)
ON CONFLICT (sender) DO NOTHING";

const INSERT_WATERMARKS: &str = "
INSERT INTO watermarks (mailbox, uid_validity, uid)
SELECT b, v, u FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS x(b, v, u)
ON CONFLICT (mailbox) DO NOTHING";

const INSERT_QUEUES: &str = "
INSERT INTO queues (slot, prefix) SELECT s, p FROM unnest($1::int[], $2::text[]) AS x(s, p)";

const INSERT_MESSAGE_IDS: &str = "
INSERT INTO message_ids (message_id, ticket_id)
SELECT m, t FROM unnest($1::text[], $2::bigint[]) AS x(m, t)
ON CONFLICT (message_id) DO NOTHING";

/// The sequences continue after the ids copied (an outbox id is never handed out twice).
const SET_SEQUENCES: &str = "
SELECT setval('outbox_ids', max(id) + 1, false) FROM outbox HAVING count(*) > 0;
SELECT setval(pg_get_serial_sequence('mails', 'id'), max(id)) FROM mails HAVING count(*) > 0";

/// An outgoing mail as one row of [`INSERT_OUTBOX`]'s column arrays.
#[derive(Default)]
pub(in crate::store) struct OutboxRows {
    id: Vec<i64>,
    message_id: Vec<String>,
    ticket: Vec<Option<i64>>,
    kind: Vec<String>,
    from: Vec<String>,
    to: Vec<String>,
    created_at: Vec<i64>,
    attempts: Vec<i32>,
    next_attempt_at: Vec<i64>,
    status: Vec<&'static str>,
    last_error: Vec<Option<String>>,
    sent_at: Vec<Option<i64>>,
    size: Vec<i64>,
    raw: Vec<Vec<u8>>,
    /// The bytes of the mails held.
    pub(in crate::store) bytes: usize,
}

impl OutboxRows {
    pub(in crate::store) fn push(&mut self, mut e: OutboxEntry, raw: Vec<u8>) {
        clean_entry(&mut e);
        self.bytes += raw.len();
        self.id.push(id(e.id));
        self.message_id.push(e.message_id);
        self.ticket.push(e.ticket.map(id));
        self.kind.push(e.kind);
        self.from.push(e.from);
        self.to
            .push(serde_json::to_string(&e.to).expect("strings serialise to JSON"));
        self.created_at.push(e.created_at);
        self.attempts.push(e.attempts as i32);
        self.next_attempt_at.push(e.next_attempt_at);
        self.status.push(e.status.as_str());
        self.last_error.push(e.last_error);
        self.sent_at.push(e.sent_at);
        self.size.push(e.size as i64);
        self.raw.push(raw);
    }

    pub(in crate::store) fn len(&self) -> usize {
        self.id.len()
    }
}

impl Loader {
    /// Opens the database (its schema brought up to date), takes the store's actor lock
    /// (a daemon acting on it refuses the copy) and begins the transaction.
    pub(in crate::store) fn begin(url: &DatabaseUrl) -> Result<Loader, StoreError> {
        let store = PgStore::open(url)?;
        store.hold_actor_lock(Duration::ZERO)?;
        let mut session = store.pool.take()?;
        // The lease table and the queues' slots are locked until the copy ends: a daemon
        // started on the database meanwhile waits (at start, for its queues' slots, or as a
        // standby whose lease transaction cannot lock the rows) instead of acting on a
        // half-copied store. A daemon that took its leases before the lock makes the copy
        // refuse, as the actor lock does.
        session.batch("BEGIN; LOCK TABLE leases, queues IN EXCLUSIVE MODE")?;
        if store.live_lease_holder(&mut session)?.is_some() {
            let _ = session.batch("ROLLBACK");
            return Err(StoreError::Locked {
                path: url.to_string(),
            });
        }
        Ok(Loader {
            store,
            session: Some(session),
        })
    }

    fn s(&mut self) -> &mut Session {
        self.session.as_mut().expect("open until committed")
    }

    /// How many rows each of [`TABLES`] holds (in the transaction: what this load wrote).
    pub(in crate::store) fn counts(&mut self) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let sql = TABLES
            .iter()
            .map(|t| format!("(SELECT count(*) FROM {t})"))
            .collect::<Vec<_>>()
            .join(", ");
        let s = self.s();
        let row = s
            .driver
            .wait(s.client.query_one(&format!("SELECT {sql}"), &[]))
            .map_err(StoreError::Postgres)?;
        Ok(TABLES
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, row.get::<_, i64>(i) as u64))
            .collect())
    }

    /// Outgoing mails by status, `(pending, sent, dead)`.
    pub(in crate::store) fn outbox_by_status(&mut self) -> Result<[u64; 3], StoreError> {
        let mut n = [0u64; 3];
        for r in self
            .s()
            .query("SELECT status, count(*) FROM outbox GROUP BY status", &[])?
        {
            let i = match r.get::<_, &str>(0) {
                "pending" => 0,
                "sent" => 1,
                _ => 2,
            };
            n[i] += r.get::<_, i64>(1) as u64;
        }
        Ok(n)
    }

    /// The id the next new ticket of `slot` gets, as the PostgreSQL store computes it.
    pub(in crate::store) fn next_ticket_id_in(&mut self, slot: u32) -> Result<u64, StoreError> {
        let (first, end) = super::sql::slot_ids(slot);
        let r = self
            .s()
            .query_opt(super::sql::NEXT_TICKET_ID, &[&first, &end])?;
        Ok(r.map_or(first as u64 + 1, |r| r.get::<_, i64>(0) as u64))
    }

    /// Every tag prefix with its slot, in slot order, as the PostgreSQL store reads them.
    pub(in crate::store) fn queue_slots(&mut self) -> Result<Vec<(u32, String)>, StoreError> {
        let rows = self.s().query(super::sql::QUEUE_SLOTS, &[])?;
        Ok(rows
            .iter()
            .map(|r| (r.get::<_, i32>(0) as u32, r.get::<_, String>(1)))
            .collect())
    }

    /// The queues' registry: (slot, tag prefix).
    pub(in crate::store) fn queues(&mut self, rows: Vec<(u32, String)>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let (s, p): (Vec<i32>, Vec<String>) = rows
            .into_iter()
            .map(|(s, p)| (s as i32, cleaned(&p)))
            .unzip();
        self.s().execute(INSERT_QUEUES, &[&s, &p])?;
        Ok(())
    }

    /// Tickets with their events and the metadata of their attachments.
    pub(in crate::store) fn tickets(
        &mut self,
        mut batch: Vec<TicketRecord>,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        batch.iter_mut().for_each(clean_ticket);
        let json = serde_json::to_string(&batch).expect("records serialise to JSON");
        self.s().execute(INSERT_TICKETS, &[&json])?;
        Ok(())
    }

    /// Processed mails, each with the id its dedupe keys name, and the keys.
    pub(in crate::store) fn mails(
        &mut self,
        mut records: Vec<(i64, MailRecord)>,
        keys: Vec<(String, i64)>,
    ) -> Result<(), StoreError> {
        for (_, m) in &mut records {
            m.message_id.iter_mut().for_each(clean);
            m.fingerprint.iter_mut().for_each(clean);
            m.decision.iter_mut().for_each(clean);
        }
        let s = self.s();
        if !records.is_empty() {
            let json = serde_json::to_string(&records).expect("records serialise to JSON");
            s.execute(INSERT_MAILS, &[&json])?;
        }
        if !keys.is_empty() {
            let (k, m): (Vec<String>, Vec<i64>) =
                keys.into_iter().map(|(k, m)| (cleaned(&k), m)).unzip();
            s.execute(INSERT_MAIL_KEYS, &[&k, &m])?;
        }
        Ok(())
    }

    pub(in crate::store) fn outbox(&mut self, o: OutboxRows) -> Result<(), StoreError> {
        if o.len() == 0 {
            return Ok(());
        }
        self.s().execute(
            INSERT_OUTBOX,
            &[
                &o.id,
                &o.message_id,
                &o.ticket,
                &o.kind,
                &o.from,
                &o.to,
                &o.created_at,
                &o.attempts,
                &o.next_attempt_at,
                &o.status,
                &o.last_error,
                &o.sent_at,
                &o.size,
                &o.raw,
            ],
        )?;
        Ok(())
    }

    /// Automatic answers: (address, time, outbox id).
    pub(in crate::store) fn answers(
        &mut self,
        rows: Vec<(String, i64, u64)>,
    ) -> Result<(), StoreError> {
        let a: Vec<String> = rows.iter().map(|r| cleaned(&r.0)).collect();
        let t: Vec<i64> = rows.iter().map(|r| r.1).collect();
        let o: Vec<i64> = rows.iter().map(|r| id(r.2)).collect();
        self.s().execute(INSERT_ANSWERS, &[&a, &t, &o])?;
        Ok(())
    }

    /// When each sender's recent mails came: (address, time).
    pub(in crate::store) fn senders(&mut self, rows: Vec<(String, i64)>) -> Result<(), StoreError> {
        let (a, t): (Vec<String>, Vec<i64>) =
            rows.into_iter().map(|(a, t)| (cleaned(&a), t)).unzip();
        self.s().execute(INSERT_SENDERS, &[&a, &t])?;
        Ok(())
    }

    /// Hard-bounced addresses and until when they get no mail.
    pub(in crate::store) fn bounces(&mut self, rows: Vec<(String, i64)>) -> Result<(), StoreError> {
        let (a, t): (Vec<String>, Vec<i64>) = rows
            .into_iter()
            .map(|(a, t)| (cleaned(&a), t.max(0)))
            .unzip();
        self.s().execute(INSERT_BOUNCES, &[&a, &t])?;
        Ok(())
    }

    /// Staff notices held for a sender's hourly summary.
    pub(in crate::store) fn held(
        &mut self,
        rows: Vec<(String, FloodRecord)>,
    ) -> Result<(), StoreError> {
        let mut s = Vec::with_capacity(rows.len());
        let mut items = Vec::with_capacity(rows.len());
        let mut more = Vec::with_capacity(rows.len());
        for (sender, mut r) in rows {
            for i in &mut r.items {
                clean(&mut i.summary);
            }
            s.push(cleaned(&sender));
            items.push(serde_json::to_string(&r.items).expect("records serialise to JSON"));
            more.push(r.more as i32);
        }
        self.s().execute(INSERT_HELD, &[&s, &items, &more])?;
        Ok(())
    }

    /// The highest UID handled per mailbox: (mailbox, UIDVALIDITY, UID).
    pub(in crate::store) fn watermarks(
        &mut self,
        rows: Vec<(String, u32, u32)>,
    ) -> Result<(), StoreError> {
        let b: Vec<String> = rows.iter().map(|r| cleaned(&r.0)).collect();
        let v: Vec<i64> = rows.iter().map(|r| i64::from(r.1)).collect();
        let u: Vec<i64> = rows.iter().map(|r| i64::from(r.2)).collect();
        self.s().execute(INSERT_WATERMARKS, &[&b, &v, &u])?;
        Ok(())
    }

    /// Message-IDs of threads that only the index finds: (Message-ID, ticket).
    pub(in crate::store) fn message_ids(
        &mut self,
        rows: Vec<(String, u64)>,
    ) -> Result<(), StoreError> {
        let (m, t): (Vec<String>, Vec<i64>) =
            rows.into_iter().map(|(m, t)| (cleaned(&m), id(t))).unzip();
        self.s().execute(INSERT_MESSAGE_IDS, &[&m, &t])?;
        Ok(())
    }

    /// Sets the sequences past the copied ids and commits.
    pub(in crate::store) fn commit(mut self) -> Result<(), StoreError> {
        let mut s = self.session.take().expect("open until committed");
        s.batch(SET_SEQUENCES)?;
        s.batch("COMMIT")?;
        self.store.pool.give(s);
        Ok(())
    }
}

impl Drop for Loader {
    /// A load not committed is rolled back (dropping the connection ends its transaction).
    fn drop(&mut self) {
        if let Some(mut s) = self.session.take() {
            let _ = s.batch("ROLLBACK");
        }
    }
}
