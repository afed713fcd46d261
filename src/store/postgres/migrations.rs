//! The schema, as numbered migrations applied in order at start (each in a transaction of its
//! own, recorded in `schema_migrations`). A database with a migration this build does not know
//! (written by a newer version) is refused. Columns are plain SQL types a person can query:
//! times are `timestamptz`, lists are arrays, the decision log is one line per element.

/// (version, what it does, SQL).
pub(super) const MIGRATIONS: &[(i32, &str, &str)] = &[
    (1, "tickets, mails and the outbox", V1),
    (2, "a ticket's fields, owner and reporter's name", V2),
    (3, "indexes for the counts of /metrics", V3),
    (4, "the queues' tag prefixes and their slots", V4),
    (
        5,
        "leases: which daemon acts for each mailbox and the outbox",
        V5,
    ),
];

const V1: &str = r#"
CREATE TABLE tickets (
    id           bigint PRIMARY KEY,
    summary      text NOT NULL,
    state        text NOT NULL,
    reporter     text NOT NULL,
    participants text[] NOT NULL,
    language     text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    state_since  timestamptz NOT NULL,
    reminded     boolean NOT NULL,
    automated    boolean NOT NULL,
    refers_to    bigint,
    -- every Message-ID of the conversation, in order
    thread       text[] NOT NULL,
    -- the mails the gateway sent for the ticket: [{message_id, outbox, audience}]
    sent         jsonb NOT NULL
);
CREATE INDEX tickets_state ON tickets (state);
-- a customer's tickets (#list, SPEC §3.10)
CREATE INDEX tickets_reporter ON tickets (reporter);
CREATE INDEX tickets_participants ON tickets USING gin (participants);
COMMENT ON TABLE tickets IS 'one row per ticket; its history is in events';

CREATE TABLE events (
    ticket_id  bigint NOT NULL REFERENCES tickets (id),
    seq        integer NOT NULL,
    at         timestamptz NOT NULL,
    kind       text NOT NULL,
    sender     text NOT NULL,
    body       text NOT NULL,
    from_state text,
    to_state   text,
    message_id text,
    decision   text[] NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);
COMMENT ON TABLE events IS 'the history of each ticket, in order (seq from 0)';

CREATE TABLE attachments (
    ticket_id    bigint NOT NULL,
    seq          integer NOT NULL,
    n            integer NOT NULL,
    name         text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    PRIMARY KEY (ticket_id, seq, n),
    FOREIGN KEY (ticket_id, seq) REFERENCES events (ticket_id, seq)
);
CREATE INDEX attachments_sha256 ON attachments (sha256);
COMMENT ON TABLE attachments IS
    'files of each event; the bytes are under <state_dir>/attachments/<sha256[0..2]>/<sha256>';

CREATE TABLE message_ids (
    message_id text PRIMARY KEY,
    ticket_id  bigint NOT NULL
);
COMMENT ON TABLE message_ids IS
    'Message-IDs of a thread that neither the gateway''s own form nor a mail record finds';

CREATE TABLE mails (
    id          bigserial PRIMARY KEY,
    message_id  text,
    received_at timestamptz NOT NULL,
    ticket_id   bigint,
    outcome     text NOT NULL,
    decision    text[] NOT NULL,
    fingerprint text
);
CREATE INDEX mails_message_id ON mails (message_id);
COMMENT ON TABLE mails IS 'each processed incoming mail and the decision log of what it did';

CREATE TABLE mail_keys (
    key     text PRIMARY KEY,
    mail_id bigint NOT NULL REFERENCES mails (id)
);
COMMENT ON TABLE mail_keys IS 'the dedupe keys of processed mail (fingerprint, Message-ID, UID)';

-- handed out in blocks of 100 (one round trip per block)
CREATE SEQUENCE outbox_ids INCREMENT BY 100;
CREATE TABLE outbox (
    id              bigint PRIMARY KEY,
    message_id      text NOT NULL,
    ticket_id       bigint,
    kind            text NOT NULL,
    sender          text NOT NULL,
    recipients      text[] NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    status          text NOT NULL,
    last_error      text,
    sent_at         timestamptz,
    size            bigint NOT NULL,
    raw             bytea NOT NULL
);
CREATE INDEX outbox_pending ON outbox (id) WHERE status = 'pending';
COMMENT ON TABLE outbox IS 'every outgoing mail with its bytes: pending, sent or dead';

CREATE TABLE answers (
    address   text NOT NULL,
    at        timestamptz NOT NULL,
    outbox_id bigint NOT NULL,
    PRIMARY KEY (address, at, outbox_id)
);
COMMENT ON TABLE answers IS 'automatic answers per address, the last two days (rate limit)';

CREATE TABLE sender_mails (
    address text NOT NULL,
    at      timestamptz NOT NULL
);
CREATE INDEX sender_mails_address ON sender_mails (address, at);
COMMENT ON TABLE sender_mails IS 'when each sender''s mails came, the last two hours (flood rule)';

CREATE TABLE held_notices (
    sender text PRIMARY KEY,
    items  jsonb NOT NULL,
    more   integer NOT NULL
);
COMMENT ON TABLE held_notices IS 'staff notices held for a flooding sender''s hourly summary';

CREATE TABLE bounces (
    address      text PRIMARY KEY,
    paused_until timestamptz NOT NULL
);

CREATE TABLE watermarks (
    mailbox      text PRIMARY KEY,
    uid_validity bigint NOT NULL,
    uid          bigint NOT NULL
);
COMMENT ON TABLE watermarks IS 'the highest UID handled per mailbox, for mail left in place';
"#;

/// SPEC §2.5, §2.6: the seed's fields, the owner, and the reporter's display name. Tickets
/// made before have the default fields (empty here, read as `[fields]` defaults), no owner.
const V2: &str = r#"
ALTER TABLE tickets
    ADD COLUMN reporter_name text NOT NULL DEFAULT '',
    ADD COLUMN type          text NOT NULL DEFAULT '',
    ADD COLUMN severity      text NOT NULL DEFAULT '',
    ADD COLUMN environment   text NOT NULL DEFAULT '',
    ADD COLUMN version       text NOT NULL DEFAULT '',
    ADD COLUMN owner         text;
CREATE INDEX tickets_owner ON tickets (owner);
COMMENT ON COLUMN tickets.type IS 'question, bug, incident or improvement (SPEC 2.5)';
COMMENT ON COLUMN tickets.severity IS 'blocker, critical, major, minor or trivial (SPEC 2.5)';
COMMENT ON COLUMN tickets.owner IS 'the staff address that owns the ticket (SPEC 2.6)';
"#;

/// The counts `/metrics` reads at each scrape (tickets by state, outbox entries by status,
/// escalations by level) come from indexes: the outbox keeps every sent mail, and the
/// escalations are a few rows among all the events.
/// SPEC §5.4: each queue's prefix has a slot, the upper bits of its tickets' ids; the
/// first prefix registered gets slot 0, the ids of the tickets made before queues existed.
const V4: &str = r#"
CREATE TABLE queues (
    prefix text PRIMARY KEY,
    slot   integer NOT NULL UNIQUE
);
COMMENT ON TABLE queues IS 'tag prefix -> slot: a ticket id is slot << 40 | number (SPEC 5.4)';
"#;

const V3: &str = r#"
CREATE INDEX outbox_status ON outbox (status);
CREATE INDEX events_escalations ON events (body) WHERE kind = 'escalation';
"#;

/// SPEC §5.5: several daemons on one database. A lease is held by one daemon until
/// `expires_at` (the database's clock); whoever takes an expired one raises `generation`, and
/// every commit checks the generation it holds (see `lease.rs`).
const V5: &str = r#"
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    generation bigint NOT NULL,
    expires_at timestamptz NOT NULL
);
COMMENT ON TABLE leases IS
    'which daemon acts for each mailbox it ingests and for the outbox, and until when (SPEC 5.5)';
COMMENT ON COLUMN leases.holder IS 'host:pid:random of the daemon holding the lease';
COMMENT ON COLUMN leases.generation IS 'raised at each takeover; a commit of an older one is refused';
"#;
