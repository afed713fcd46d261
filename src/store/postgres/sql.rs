//! The statements of the PostgreSQL store. Times travel as Unix seconds (`bigint`) and are
//! stored as `timestamptz`; a ticket is read back as one JSON document in the shape of
//! [`TicketRecord`](crate::store::schema::TicketRecord), so that both stores share one
//! conversion to the core's types.

use crate::core::TicketId;

/// A ticket row `t` with its events and their attachments, as a `TicketRecord` JSON text.
macro_rules! ticket_json {
    () => {
        "json_build_object(
            'id', t.id, 'summary', t.summary, 'state', t.state, 'reporter', t.reporter,
            'participants', t.participants, 'language', t.language,
            'created_at', extract(epoch FROM t.created_at)::bigint,
            'updated_at', extract(epoch FROM t.updated_at)::bigint,
            'state_since', extract(epoch FROM t.state_since)::bigint,
            'reminded', t.reminded, 'automated', t.automated, 'refers_to', t.refers_to,
            'thread', t.thread, 'sent', t.sent, 'reporter_name', t.reporter_name,
            'fields', json_build_object('type', t.type, 'severity', t.severity,
                'environment', t.environment, 'version', t.version),
            'owner', t.owner,
            'events', coalesce((
                SELECT json_agg(json_build_object(
                    'at', extract(epoch FROM e.at)::bigint, 'kind', e.kind, 'from', e.sender,
                    'text', e.body, 'from_state', e.from_state, 'to_state', e.to_state,
                    'message_id', e.message_id, 'decision', e.decision,
                    'attachments', coalesce((
                        SELECT json_agg(json_build_object(
                            'name', a.name, 'content_type', a.content_type, 'size', a.size,
                            'sha256', a.sha256) ORDER BY a.n)
                        FROM attachments a WHERE a.ticket_id = e.ticket_id AND a.seq = e.seq
                    ), '[]'::json)) ORDER BY e.seq)
                FROM events e WHERE e.ticket_id = t.id
            ), '[]'::json))::text"
    };
}

pub(super) const TICKET: &str =
    concat!("SELECT ", ticket_json!(), " FROM tickets t WHERE t.id = $1");
pub(super) const TICKETS: &str =
    concat!("SELECT ", ticket_json!(), " FROM tickets t ORDER BY t.id");
pub(super) const TICKETS_IN: &str = concat!(
    "SELECT ",
    ticket_json!(),
    " FROM tickets t WHERE t.state = ANY($1::text[]) ORDER BY t.id"
);
/// The ids of every ticket, and of the tickets in a state, newest first, at most a number of
/// them (NULL: all).
pub(super) const TICKET_IDS: &str = "SELECT id FROM tickets ORDER BY id DESC LIMIT $1";
pub(super) const TICKET_IDS_IN: &str =
    "SELECT id FROM tickets WHERE state = $1 ORDER BY id DESC LIMIT $2";
/// The next tickets of a state after an id, a page at a time (read through `tickets_state`).
pub(super) const TICKETS_IN_PAGE: &str = concat!(
    "SELECT t.id, ",
    ticket_json!(),
    " FROM tickets t WHERE t.state = $1 AND t.id > $2 ORDER BY t.id LIMIT $3"
);
/// The tickets where an address is reporter or participant (both indexed).
pub(super) const TICKETS_OF: &str = concat!(
    "SELECT ",
    ticket_json!(),
    " FROM tickets t WHERE t.reporter = $1 OR t.participants @> ARRAY[$1::text] ORDER BY t.id"
);
/// Tickets by state, outbox entries by status and escalations by level, each from an index.
pub(super) const COUNT_TICKETS: &str = "SELECT state, count(*) FROM tickets GROUP BY state";
pub(super) const COUNT_OUTBOX: &str =
    "SELECT status, count(*) FROM outbox WHERE status <> 'sent' GROUP BY status";
pub(super) const COUNT_ESCALATIONS: &str =
    "SELECT body, count(*) FROM events WHERE kind = 'escalation' GROUP BY body";
/// The next id of one slot: `$1` is the slot's id 0, `$2` the next slot's ([`slot_ids`]).
/// Written as the highest id (`ORDER BY … LIMIT 1`), not `max(id)`: the plan a connection
/// keeps for a prepared `max(id)` made on an empty table aggregates every ticket of the
/// slot, while this one reads one entry of the index from its end whatever the statistics.
pub(super) const NEXT_TICKET_ID: &str = "SELECT coalesce((SELECT id FROM tickets
    WHERE id > $1 AND id < $2 ORDER BY id DESC LIMIT 1), $1) + 1";

/// [`NEXT_TICKET_ID`]'s bounds for `slot`: its id 0, and the next slot's (the last slot's
/// end is `bigint`'s highest value).
pub(super) fn slot_ids(slot: u32) -> (i64, i64) {
    let first = TicketId::new(slot, 0).0 as i64;
    (first, first.saturating_add(1 << TicketId::NUMBER_BITS))
}
pub(super) const QUEUE_SLOTS: &str = "SELECT slot, prefix FROM queues ORDER BY slot";
/// A prefix's slot, the next free one; nothing when the prefix has one already.
pub(super) const ADD_QUEUE_SLOT: &str = "
INSERT INTO queues (prefix, slot) SELECT $1, coalesce(max(slot) + 1, 0) FROM queues
ON CONFLICT (prefix) DO NOTHING RETURNING slot";
pub(super) const THREAD_HOLDS: &str = "SELECT $2::text = ANY(thread) FROM tickets WHERE id = $1";
pub(super) const INDEXED_ID: &str = "SELECT ticket_id FROM message_ids WHERE message_id = $1";

macro_rules! insert_ticket {
    () => {
        "
INSERT INTO tickets (id, summary, state, reporter, participants, language, created_at,
                     updated_at, state_since, reminded, automated, refers_to, thread, sent,
                     reporter_name, type, severity, environment, version, owner)
VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint), to_timestamp($8::bigint),
        to_timestamp($9::bigint), $10, $11, $12, $13, $14::text::jsonb,
        $15, $16, $17, $18, $19, $20)"
    };
}

/// A new ticket: a ticket already at its id makes the statement fail.
pub(super) const INSERT_TICKET: &str = insert_ticket!();
pub(super) const UPSERT_TICKET: &str = concat!(
    insert_ticket!(),
    "
ON CONFLICT (id) DO UPDATE SET
    summary = excluded.summary, state = excluded.state, reporter = excluded.reporter,
    participants = excluded.participants, language = excluded.language,
    created_at = excluded.created_at, updated_at = excluded.updated_at,
    state_since = excluded.state_since, reminded = excluded.reminded,
    automated = excluded.automated, refers_to = excluded.refers_to, thread = excluded.thread,
    sent = excluded.sent, reporter_name = excluded.reporter_name, type = excluded.type,
    severity = excluded.severity, environment = excluded.environment,
    version = excluded.version, owner = excluded.owner"
);

/// All of a ticket's events; a row written before is rewritten only when it changed (the
/// newest event gets its decision log).
macro_rules! insert_events {
    () => {
        "
INSERT INTO events (ticket_id, seq, at, kind, sender, body, from_state, to_state, message_id,
                    decision)
SELECT $1::bigint, e.seq, to_timestamp(e.at), e.kind, e.sender, e.body, e.from_state,
       e.to_state, e.message_id, ARRAY(SELECT jsonb_array_elements_text(e.decision::jsonb))
FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::text[], $9::text[], $10::text[])
     AS e(seq, at, kind, sender, body, from_state, to_state, message_id, decision)"
    };
}

/// The events of a new ticket ([`INSERT_TICKET`]).
pub(super) const INSERT_EVENTS: &str = insert_events!();
pub(super) const UPSERT_EVENTS: &str = concat!(
    insert_events!(),
    "
ON CONFLICT (ticket_id, seq) DO UPDATE SET
    at = excluded.at, kind = excluded.kind, sender = excluded.sender, body = excluded.body,
    from_state = excluded.from_state, to_state = excluded.to_state,
    message_id = excluded.message_id, decision = excluded.decision
WHERE (events.at, events.kind, events.sender, events.body, events.from_state, events.to_state,
       events.message_id, events.decision)
      IS DISTINCT FROM
      (excluded.at, excluded.kind, excluded.sender, excluded.body, excluded.from_state,
       excluded.to_state, excluded.message_id, excluded.decision)"
);

pub(super) const INSERT_ATTACHMENTS: &str = "
INSERT INTO attachments (ticket_id, seq, n, name, content_type, size, sha256)
SELECT $1::bigint, a.seq, a.n, a.name, a.content_type, a.size, a.sha256
FROM unnest($2::int[], $3::int[], $4::text[], $5::text[], $6::bigint[], $7::text[])
     AS a(seq, n, name, content_type, size, sha256)
ON CONFLICT DO NOTHING";

pub(super) const INDEX_IDS: &str = "
INSERT INTO message_ids (message_id, ticket_id) SELECT m, $2::bigint FROM unnest($1::text[]) AS m
ON CONFLICT (message_id) DO UPDATE SET ticket_id = excluded.ticket_id";

pub(super) const INSERT_MAIL: &str = "
WITH m AS (
    INSERT INTO mails (message_id, received_at, ticket_id, outcome, decision, fingerprint)
    VALUES ($1, to_timestamp($2::bigint), $3, $4, $5, $6) RETURNING id
)
INSERT INTO mail_keys (key, mail_id) SELECT k, m.id FROM m, unnest($7::text[]) AS k
ON CONFLICT (key) DO UPDATE SET mail_id = excluded.mail_id";

macro_rules! mail_columns {
    () => {
        "m.message_id, extract(epoch FROM m.received_at)::bigint, m.ticket_id, m.outcome, \
         m.decision, m.fingerprint"
    };
}

/// The processed mail `m` holding key `q.key`, looked up by the key's index. A lateral
/// subquery with a limit is planned on its own for each key: the plan a connection keeps for
/// a join of the keys with `mail_keys`, made while the table was small, reads the whole
/// table for each mail (a hash join), and the batch's own rows make it grow mail by mail.
macro_rules! mail_of_key {
    () => {
        " CROSS JOIN LATERAL (
            SELECT m.message_id, m.received_at, m.ticket_id, m.outcome, m.decision, m.fingerprint
            FROM mail_keys k JOIN mails m ON m.id = k.mail_id WHERE k.key = q.key LIMIT 1) m"
    };
}

/// The first of the keys (in the order given) that a processed mail holds.
pub(super) const MAIL_SEEN: &str = concat!(
    "SELECT ",
    mail_columns!(),
    " FROM unnest($1::text[]) WITH ORDINALITY AS q(key, n)",
    mail_of_key!(),
    " ORDER BY q.n LIMIT 1"
);
/// For each key list (`$2` numbers the list of each key of `$1`), the record of the first of
/// its keys that a processed mail holds.
pub(super) const MAILS_SEEN: &str = concat!(
    "SELECT DISTINCT ON (q.list) q.list, ",
    mail_columns!(),
    " FROM unnest($1::text[], $2::int[]) WITH ORDINALITY AS q(key, list, n)",
    mail_of_key!(),
    " ORDER BY q.list, q.n"
);
pub(super) const MAILS: &str = concat!(
    "SELECT k.key, ",
    mail_columns!(),
    " FROM mail_keys k JOIN mails m ON m.id = k.mail_id ORDER BY k.key COLLATE \"C\""
);

/// The answers of one commit, and those of the same addresses older than two days go. The
/// addresses are also given as `= ANY($1)`, so that the rows to prune are found by the
/// index whatever the statistics (the join alone is planned as a scan of the whole table
/// while it is small, and the plan is kept as it grows).
pub(super) const INSERT_ANSWERS: &str = "
WITH new AS (
    SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS n(address, at, outbox_id)
), pruned AS (
    DELETE FROM answers a USING new
    WHERE a.address = ANY($1::text[]) AND a.address = new.address
      AND a.at < to_timestamp(new.at - $4::bigint)
)
INSERT INTO answers (address, at, outbox_id)
SELECT address, to_timestamp(at), outbox_id FROM new ON CONFLICT DO NOTHING";
pub(super) const ANSWERS_SINCE: &str =
    "SELECT count(*) FROM answers WHERE address = $1 AND at >= to_timestamp($2::bigint)";

pub(super) const UPSERT_BOUNCE: &str = "
INSERT INTO bounces (address, paused_until) VALUES ($1, to_timestamp($2::bigint))
ON CONFLICT (address) DO UPDATE SET paused_until = excluded.paused_until";
pub(super) const BOUNCED_UNTIL: &str =
    "SELECT extract(epoch FROM paused_until)::bigint FROM bounces WHERE address = $1";

/// The mails of one commit's senders, and those older than two hours of them go (found by
/// the index, as in [`INSERT_ANSWERS`]).
pub(super) const INSERT_SENDERS: &str = "
WITH new AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS n(address, at)),
pruned AS (
    DELETE FROM sender_mails s USING new
    WHERE s.address = ANY($1::text[]) AND s.address = new.address
      AND s.at < to_timestamp(new.at - $3::bigint)
)
INSERT INTO sender_mails (address, at) SELECT address, to_timestamp(at) FROM new";
pub(super) const SENDER_MAILS_SINCE: &str =
    "SELECT count(*) FROM sender_mails WHERE address = $1 AND at >= to_timestamp($2::bigint)";

/// The delivery rules' facts of a mail's addresses at once: for each address of `$1` (by
/// its place, from 1), its answers since `$2` and its bounce pause; in row 0, the mails of
/// sender `$3` (NULL: none) since `$2`.
pub(super) const DELIVERY_FACTS: &str = "
SELECT a.n,
       (SELECT count(*) FROM answers
        WHERE address = a.address AND at >= to_timestamp($2::bigint)),
       (SELECT extract(epoch FROM paused_until)::bigint FROM bounces WHERE address = a.address)
FROM unnest($1::text[]) WITH ORDINALITY AS a(address, n)
UNION ALL
SELECT 0, (SELECT count(*) FROM sender_mails
           WHERE address = $3::text AND at >= to_timestamp($2::bigint)), NULL::bigint
ORDER BY 1";

pub(super) const HELD: &str = "SELECT items::text, more FROM held_notices WHERE sender = $1";
pub(super) const HELD_ALL: &str =
    "SELECT sender, items::text, more FROM held_notices ORDER BY sender COLLATE \"C\"";
pub(super) const UPSERT_HELD: &str = "
INSERT INTO held_notices (sender, items, more) VALUES ($1, $2::text::jsonb, $3)
ON CONFLICT (sender) DO UPDATE SET items = excluded.items, more = excluded.more";
pub(super) const DELETE_HELD: &str = "DELETE FROM held_notices WHERE sender = $1";

macro_rules! outbox_columns {
    () => {
        "id, message_id, ticket_id, kind, sender, recipients, \
         extract(epoch FROM created_at)::bigint, attempts, \
         extract(epoch FROM next_attempt_at)::bigint, status, last_error, \
         extract(epoch FROM sent_at)::bigint, size"
    };
}

pub(super) const INSERT_OUTBOX: &str = "
INSERT INTO outbox (id, message_id, ticket_id, kind, sender, recipients, created_at, attempts,
                    next_attempt_at, status, last_error, sent_at, size, raw)
VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint), $8, to_timestamp($9::bigint), $10,
        $11, to_timestamp($12::bigint), $13, $14)
ON CONFLICT (id) DO UPDATE SET
    message_id = excluded.message_id, ticket_id = excluded.ticket_id, kind = excluded.kind,
    sender = excluded.sender, recipients = excluded.recipients,
    created_at = excluded.created_at, attempts = excluded.attempts,
    next_attempt_at = excluded.next_attempt_at, status = excluded.status,
    last_error = excluded.last_error, sent_at = excluded.sent_at, size = excluded.size,
    raw = excluded.raw";
pub(super) const UPDATE_OUTBOX: &str = "
UPDATE outbox SET message_id = $2, ticket_id = $3, kind = $4, sender = $5, recipients = $6,
    created_at = to_timestamp($7::bigint), attempts = $8,
    next_attempt_at = to_timestamp($9::bigint), status = $10, last_error = $11,
    sent_at = to_timestamp($12::bigint), size = $13
WHERE id = $1";
pub(super) const OUTBOX: &str = concat!("SELECT ", outbox_columns!(), " FROM outbox ORDER BY id");
pub(super) const OUTBOX_PENDING: &str = concat!(
    "SELECT ",
    outbox_columns!(),
    " FROM outbox WHERE status = 'pending' ORDER BY id"
);
pub(super) const OUTBOX_UNSENT: &str = concat!(
    "SELECT ",
    outbox_columns!(),
    " FROM outbox WHERE status <> 'sent' ORDER BY id"
);
pub(super) const OUTBOX_ENTRY: &str =
    concat!("SELECT ", outbox_columns!(), " FROM outbox WHERE id = $1");
pub(super) const OUTBOX_RAW: &str = "SELECT raw FROM outbox WHERE id = $1";
/// A block of [`OUTBOX_ID_BLOCK`](super::OUTBOX_ID_BLOCK) ids starts at the value.
pub(super) const NEXT_OUTBOX_IDS: &str = "SELECT nextval('outbox_ids')";

pub(super) const WATERMARK: &str = "SELECT uid_validity, uid FROM watermarks WHERE mailbox = $1";
pub(super) const SET_WATERMARK: &str = "
INSERT INTO watermarks (mailbox, uid_validity, uid) VALUES ($1, $2, $3)
ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, uid = excluded.uid";

/// The server process id of this connection, and the key of the actor lock of the schema
/// the store lives in (stores in two schemas of one database are two stores).
pub(super) const ACTOR_LOCK_KEY: &str = "SELECT pg_backend_pid(), \
     hashtextextended('ticket-gateway actor ' || current_schema(), 0)";

/// Takes an advisory lock for the session, without waiting.
pub(super) const TRY_ACTOR_LOCK: &str = "SELECT pg_try_advisory_lock($1)";

/// Does server process `$1` hold the session advisory lock `$2` (a bigint key is stored as
/// classid, the high half, and objid, the low half, with objsubid 1)?
pub(super) const HOLDS_ACTOR_LOCK: &str = "SELECT EXISTS (SELECT 1 FROM pg_locks \
     WHERE locktype = 'advisory' AND pid = $1 AND granted AND objsubid = 1 \
     AND ((classid::bigint << 32) | objid::bigint) = $2)";
