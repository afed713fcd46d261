//! Stored records and key encoding: the compatibility boundary of the store.
//!
//! Core types never derive `Serialize`; these record types do, and convert by hand. Every
//! value starts with one version byte. Numeric keys are big-endian so ranges sort.

use serde::{Deserialize, Serialize};

use crate::core::decision::{self, Decision};
use crate::core::sla::SlaKind;
use crate::core::{
    AttachmentInfo, Audience, Event, EventKind, Fields, FloodItem, Lang, MailOutcome, NoticeKind,
    SentMail, Severity, State, Ticket, TicketId, TicketType,
};

/// The layout version this build writes; an unknown (newer) one refuses to start. 2: ticket
/// records lead with their state ([`TICKET_WITH_STATE`]), the index by state and the counts.
/// 3: the index of unsent outbox entries ([`TREE_OUTBOX_UNSENT`]), which a build before it
/// would not keep. 4: outgoing mail in spool files beside sled (`store/spool.rs`), whose
/// records a build before it would send as the mail's bytes; a mail's record under its
/// first key alone ([`MAIL_UNDER`]). 5: ticket records packed ([`TICKET_PACKED`]), which a
/// build before it cannot read.
pub(crate) const SCHEMA_VERSION: u32 = 5;
/// The version byte in front of every record.
pub(crate) const RECORD_V1: u8 = 1;
/// Starts the value under a mail's second and later keys in [`TREE_MAILS`]: the key its
/// record is under follows. A mail's record is kept once, not once a key.
pub(crate) const MAIL_UNDER: u8 = b'>';

pub(crate) const TREE_TICKETS: &str = "tickets";
pub(crate) const TREE_BY_MESSAGE_ID: &str = "by_message_id";
pub(crate) const TREE_MAILS: &str = "mails";
pub(crate) const TREE_OUTBOX: &str = "outbox";
pub(crate) const TREE_OUTBOX_RAW: &str = "outbox_raw";
pub(crate) const TREE_REPLIES: &str = "replies";
pub(crate) const TREE_BOUNCES: &str = "bounces";
/// Ids of the tickets in a state with timers, in stores before [`TREE_BY_STATE`] (dropped).
pub(crate) const TREE_TIMED: &str = "timed";
/// The tickets by state: key [`state_key`], no value.
pub(crate) const TREE_BY_STATE: &str = "by_state";
pub(crate) const TREE_META: &str = "meta";
/// Per sender address: when its last mails came ([`SenderLog`]).
pub(crate) const TREE_SENDERS: &str = "senders";
/// Per sender address: the staff notices held for its hourly summary ([`FloodRecord`]).
pub(crate) const TREE_FLOOD: &str = "flood";

/// Per customer address: the tickets where it is reporter or participant
/// ([`customer_key`] → nothing), for a `#list` request (SPEC §3.10).
pub(crate) const TREE_BY_CUSTOMER: &str = "by_customer";
/// The ids of the outbox entries not sent, pending or dead (`u64_key` → nothing): the outbox
/// task at start and the `outbox` command read these, not every mail ever sent.
pub(crate) const TREE_OUTBOX_UNSENT: &str = "outbox_unsent";

pub(crate) const META_SCHEMA: &[u8] = b"schema_version";
/// The id the next ticket of slot 0 gets; slot `s` has its own key ([`next_ticket_key`]).
pub(crate) const META_NEXT_TICKET: &[u8] = b"next_ticket_id";
/// `queue_slot:<PREFIX>` → the prefix's slot (u32 big-endian, [`TicketId::slot`]).
///
/// [`TicketId::slot`]: crate::core::TicketId::slot
pub(crate) const META_QUEUE_SLOT: &[u8] = b"queue_slot:";

/// Where the next ticket id of a slot is kept: slot 0 under the key of a store made before
/// queues existed, slot `s` under `next_ticket_id/<s, u32 big-endian>`.
pub(crate) fn next_ticket_key(slot: u32) -> Vec<u8> {
    let mut k = META_NEXT_TICKET.to_vec();
    if slot > 0 {
        k.push(b'/');
        k.extend_from_slice(&slot.to_be_bytes());
    }
    k
}

/// The key of a prefix's slot.
pub(crate) fn queue_slot_key(prefix: &str) -> Vec<u8> {
    [META_QUEUE_SLOT, prefix.as_bytes()].concat()
}
pub(crate) const META_REPLY_LOGS: &[u8] = b"reply_logs_built";
/// Tickets know which ids of their thread the gateway sent (`TicketRecord::sent`).
pub(crate) const META_SENT_BUILT: &[u8] = b"sent_records_built";
/// The index by state and the counts are built ([`TREE_BY_STATE`], [`META_COUNTS`]).
pub(crate) const META_STATE_INDEX: &[u8] = b"state_index_built";
/// The index of unsent outbox entries is built ([`TREE_OUTBOX_UNSENT`]).
pub(crate) const META_UNSENT_INDEX: &[u8] = b"unsent_index_built";
/// What the store holds, kept as it changes ([`Counts`]).
pub(crate) const META_COUNTS: &[u8] = b"counts";

/// The version byte of a ticket record that leads with its state: `3`, the state's place in
/// [`State::ALL`], then the record as JSON. Still read; [`TICKET_WITH_HEAD`] is written.
pub(crate) const TICKET_WITH_STATE: u8 = 3;

/// The version byte of a ticket record that leads with its [`TicketHead`]: `4`, the state's
/// place in [`State::ALL`], the service levels it escalated (bit `i` for
/// `SlaKind::ALL[i]`), then the record as JSON. A commit reads what it replaces, for the
/// index by state and the counts, without decoding the rest. Still read; [`TICKET_PACKED`]
/// is written.
pub(crate) const TICKET_WITH_HEAD: u8 = 4;

/// The version byte of a packed ticket record: `5`, the [`TicketHead`] as in
/// [`TICKET_WITH_HEAD`], then the record's JSON as one LZ4 block, its length (u32,
/// little-endian) in front. A ticket is rewritten whole at every mail about it, and its
/// JSON (field names, Message-IDs of one domain, decision lines) packs to about half: half
/// the bytes for sled to log and keep (docs/benchmarks.md).
pub(crate) const TICKET_PACKED: u8 = 5;

/// How much larger than its packed form a record can be: LZ4 expands at most 255 times, so
/// a length beyond this is a damaged record, not a reason to allocate it.
const LZ4_MAX_RATIO: usize = 255;

/// What the counts need of a stored ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TicketHead {
    pub state: State,
    /// Bit `i`: the ticket escalated `SlaKind::ALL[i]` (each level escalates once).
    pub escalated: u8,
}

/// The service levels a ticket's events escalated, as [`TicketHead::escalated`].
fn escalated(r: &TicketRecord) -> u8 {
    let mut bits = 0u8;
    for e in r.events.iter().filter(|e| e.kind == "escalation") {
        if let Some(i) = SlaKind::ALL.iter().position(|k| k.as_str() == e.text) {
            bits |= 1 << i;
        }
    }
    bits
}

pub(crate) fn encode_ticket(t: &Ticket) -> Vec<u8> {
    let r = TicketRecord::from(t);
    let json = serde_json::to_vec(&r).expect("records serialise to JSON");
    let packed = lz4_flex::block::compress_prepend_size(&json);
    let mut out = Vec::with_capacity(3 + packed.len());
    out.extend_from_slice(&[TICKET_PACKED, state_byte(t.state), escalated(&r)]);
    out.extend_from_slice(&packed);
    out
}

pub(crate) fn decode_ticket(bytes: &[u8]) -> Result<TicketRecord, String> {
    match bytes {
        [TICKET_PACKED, _, _, packed @ ..] => {
            let json = unpack(packed)?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())
        }
        [TICKET_WITH_HEAD, _, _, json @ ..] | [TICKET_WITH_STATE, _, json @ ..] => {
            serde_json::from_slice(json).map_err(|e| e.to_string())
        }
        _ => decode(bytes),
    }
}

/// The bytes of an LZ4 block with its length in front ([`TICKET_PACKED`]).
fn unpack(packed: &[u8]) -> Result<Vec<u8>, String> {
    let (len, block) = packed
        .split_at_checked(4)
        .ok_or("packed record cut short")?;
    let len = u32::from_le_bytes(len.try_into().expect("four bytes")) as usize;
    if len > block.len().saturating_mul(LZ4_MAX_RATIO) {
        return Err(format!(
            "packed record of {} bytes claims {len}",
            block.len()
        ));
    }
    lz4_flex::block::decompress(block, len).map_err(|e| format!("packed record: {e}"))
}

/// The head of a stored ticket record (records of older layouts are decoded for it).
pub(crate) fn ticket_head(bytes: &[u8]) -> Result<TicketHead, String> {
    let (state, escalated) = match bytes {
        [TICKET_PACKED | TICKET_WITH_HEAD, s, e, ..] => (State::ALL.get(*s as usize).copied(), *e),
        _ => {
            let r = decode_ticket(bytes)?;
            (State::parse(&r.state), escalated(&r))
        }
    };
    let state = state.ok_or_else(|| "unknown ticket state".to_string())?;
    Ok(TicketHead { state, escalated })
}

pub(crate) fn state_byte(s: State) -> u8 {
    State::ALL.iter().position(|x| *x == s).unwrap_or_default() as u8
}

/// The key of a ticket in [`TREE_BY_STATE`]: its state's byte, then its id (big-endian).
pub(crate) fn state_key(s: State, id: u64) -> [u8; 9] {
    let mut k = [0u8; 9];
    k[0] = state_byte(s);
    k[1..].copy_from_slice(&id.to_be_bytes());
    k
}

/// How many tickets are in each state (in the order of [`State::ALL`]), how many outgoing
/// mails are pending and dead, and how many tickets escalated each service level (in the
/// order of `SlaKind::ALL`): kept by every commit, so that reading them scans nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tickets: [i64; State::ALL.len()],
    pub pending: i64,
    pub dead: i64,
    pub sla_breaches: [i64; SlaKind::ALL.len()],
}

impl Counts {
    pub fn encode(&self) -> Vec<u8> {
        let all = (self.tickets.iter().chain([&self.pending, &self.dead]))
            .chain(self.sla_breaches.iter());
        all.flat_map(|n| n.to_be_bytes()).collect()
    }

    pub fn decode(bytes: &[u8]) -> Counts {
        let mut n = bytes
            .chunks_exact(8)
            .map(|c| i64::from_be_bytes(c.try_into().unwrap_or_default()));
        let mut c = Counts::default();
        let slots = (c.tickets.iter_mut().chain([&mut c.pending, &mut c.dead]))
            .chain(c.sla_breaches.iter_mut());
        for slot in slots {
            *slot = n.next().unwrap_or(0);
        }
        c
    }

    pub fn ticket(&mut self, s: State, delta: i64) {
        self.tickets[state_byte(s) as usize] += delta;
    }

    /// Counts a ticket's head in (`delta` 1) or out (-1).
    pub(crate) fn head(&mut self, h: TicketHead, delta: i64) {
        self.ticket(h.state, delta);
        for (i, n) in self.sla_breaches.iter_mut().enumerate() {
            if h.escalated & (1 << i) != 0 {
                *n += delta;
            }
        }
    }

    pub fn outbox(&mut self, status: OutboxStatus, delta: i64) {
        match status {
            OutboxStatus::Pending => self.pending += delta,
            OutboxStatus::Dead => self.dead += delta,
            OutboxStatus::Sent => {}
        }
    }
}

/// Tickets where the customer is reporter or participant are indexed.
pub(crate) const META_CUSTOMER_INDEX: &[u8] = b"customer_index_built";

/// `address \0 big-endian ticket id`: a customer's tickets sort together.
pub(crate) fn customer_key(address: &str, ticket: u64) -> Vec<u8> {
    let mut k = customer_prefix(address);
    k.extend_from_slice(&ticket.to_be_bytes());
    k
}

/// The start of every [`customer_key`] of `address`.
pub(crate) fn customer_prefix(address: &str) -> Vec<u8> {
    let mut k = address.as_bytes().to_vec();
    k.push(0);
    k
}

pub(crate) fn u64_key(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

pub(crate) fn key_u64(k: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(k.try_into().ok()?))
}

/// The layout before [`ReplyLog`]: `address \0 big-endian seconds big-endian id`, one row
/// per automatic answer. Read once, to turn such rows into logs, by stores written before.
pub(crate) fn legacy_reply_key(k: &[u8]) -> Option<(&str, i64, u64)> {
    let nul = k.iter().position(|&b| b == 0)?;
    let (addr, rest) = k.split_at(nul);
    let rest = rest.get(1..).filter(|r| r.len() == 16)?;
    let at = key_u64(&rest[..8])? as i64;
    let id = key_u64(&rest[8..])?;
    Some((std::str::from_utf8(addr).ok()?, at, id))
}

/// How long the automatic answers to an address are remembered: the rate limit looks back
/// an hour; a day more costs a few bytes an address.
pub(crate) const REPLY_LOG_KEEP_SECS: i64 = 2 * 86_400;

/// The automatic answers sent to one address (tree `replies`, key: the address): (seconds,
/// outbox id), oldest first. One record an address, so the rate limit is one point read
/// (a row per answer needed a range scan per notice, and grew without end).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReplyLog {
    pub answers: Vec<(i64, u64)>,
}

impl ReplyLog {
    /// Adds answers (one already there is not added twice) and forgets those older than
    /// [`REPLY_LOG_KEEP_SECS`] before the newest.
    pub fn add(&mut self, answers: impl IntoIterator<Item = (i64, u64)>) {
        for a in answers {
            if !self.answers.contains(&a) {
                self.answers.push(a);
            }
        }
        self.answers.sort_unstable();
        let newest = self.answers.last().map_or(0, |a| a.0);
        self.answers
            .retain(|a| a.0 >= newest.saturating_sub(REPLY_LOG_KEEP_SECS));
    }
}

/// When the mails of one sender came (tree `senders`, key: the address): seconds, oldest
/// first, the last two hours (the flood rule of SPEC §3.6 looks back an hour).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SenderLog {
    pub at: Vec<i64>,
}

/// How long a sender's mails are remembered.
pub(crate) const SENDER_LOG_KEEP_SECS: i64 = 2 * 3600;
/// How many of a sender's mails are remembered at most: a flood is one long before, and the
/// log is rewritten with each mail, so it must not grow with the flood.
pub(crate) const SENDER_LOG_MAX: usize = 1024;

impl SenderLog {
    pub fn add(&mut self, at: i64) {
        self.at.push(at);
        self.at.sort_unstable();
        let newest = self.at.last().copied().unwrap_or(at);
        self.at
            .retain(|t| *t >= newest.saturating_sub(SENDER_LOG_KEEP_SECS));
        let over = self.at.len().saturating_sub(SENDER_LOG_MAX);
        self.at.drain(..over);
    }
}

/// How many held notices a summary lists; the others are counted (the record is rewritten
/// with each held notice, so it must not grow with the flood).
pub(crate) const FLOOD_ITEMS_MAX: usize = 100;

/// The staff notices held for one sender's hourly summary (tree `flood`, key: the address),
/// oldest first; the summary is due an hour after the first.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloodRecord {
    pub items: Vec<FloodItemRecord>,
    /// Held notices past [`FLOOD_ITEMS_MAX`], counted only.
    #[serde(default)]
    pub more: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FloodItemRecord {
    pub ticket: u64,
    pub summary: String,
    pub kind: String,
    pub at: i64,
}

impl FloodRecord {
    /// Holds one more notice: listed while there is room, else counted.
    pub fn add(&mut self, item: FloodItemRecord) {
        if self.items.len() < FLOOD_ITEMS_MAX {
            self.items.push(item);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// The items as the core sees them (an item of an unknown kind reads as a new ticket).
    pub fn items(&self, sender: &str) -> Vec<FloodItem> {
        self.items
            .iter()
            .map(|i| FloodItem {
                sender: sender.to_string(),
                ticket: TicketId(i.ticket),
                summary: i.summary.clone(),
                kind: NoticeKind::parse(&i.kind).unwrap_or(NoticeKind::NewTicket),
                at: i.at,
            })
            .collect()
    }
}

impl From<&FloodItem> for FloodItemRecord {
    fn from(i: &FloodItem) -> FloodItemRecord {
        FloodItemRecord {
            ticket: i.ticket.0,
            summary: i.summary.clone(),
            kind: i.kind.as_str().into(),
            at: i.at,
        }
    }
}

pub(crate) fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    let mut out = vec![RECORD_V1];
    // Serialising plain records to JSON cannot fail (no maps with non-string keys).
    serde_json::to_writer(&mut out, v).expect("records serialise to JSON");
    out
}

/// The version byte of an outbox record that carries its mail: `2`, the entry's length (u32,
/// big-endian), the entry as a v1 record, then the mail's bytes (or the name of the file
/// that holds them). One write a mail instead of two (the `outbox_raw` tree of older stores
/// is still read).
pub(crate) const OUTBOX_WITH_MAIL: u8 = 2;

/// An outbox record with its mail (see [`OUTBOX_WITH_MAIL`]).
pub(crate) fn encode_outbox(entry: &OutboxEntry, mail: &[u8]) -> Vec<u8> {
    let e = encode(entry);
    let mut out = Vec::with_capacity(5 + e.len() + mail.len());
    out.push(OUTBOX_WITH_MAIL);
    out.extend_from_slice(&(e.len() as u32).to_be_bytes());
    out.extend_from_slice(&e);
    out.extend_from_slice(mail);
    out
}

/// An outbox record's entry (a v1 record, not decoded) and, when the record carries it, its
/// mail's stored bytes.
pub(crate) fn split_outbox(bytes: &[u8]) -> Result<(&[u8], Option<&[u8]>), String> {
    match bytes.split_first() {
        Some((&OUTBOX_WITH_MAIL, rest)) => {
            let len = rest
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
                .ok_or("outbox record cut short")? as usize;
            let entry = rest.get(4..4 + len).ok_or("outbox record cut short")?;
            Ok((entry, Some(&rest[4 + len..])))
        }
        _ => Ok((bytes, None)),
    }
}

/// An outbox record's entry and, when the record carries it, its mail's stored bytes.
pub(crate) fn decode_outbox(bytes: &[u8]) -> Result<(OutboxEntry, Option<&[u8]>), String> {
    let (entry, mail) = split_outbox(bytes)?;
    Ok((decode(entry)?, mail))
}

pub fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&RECORD_V1, rest)) => serde_json::from_slice(rest).map_err(|e| e.to_string()),
        Some((v, _)) => Err(format!("unknown record version {v}")),
        None => Err("empty record".into()),
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct TicketRecord {
    pub id: u64,
    pub summary: String,
    pub state: String,
    pub reporter: String,
    /// The fields below are absent in records written before tickets had fields and an
    /// owner (SPEC §2.5, §2.6): such a ticket reads with the default fields, no owner.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reporter_name: String,
    pub participants: Vec<String>,
    #[serde(default)]
    pub fields: FieldsRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    pub language: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub state_since: i64,
    pub reminded: bool,
    pub automated: bool,
    pub refers_to: Option<u64>,
    pub thread: Vec<String>,
    /// Absent in records written before the gateway kept its sent mails on the ticket
    /// (the store adds them once, from the outbox, when it opens).
    #[serde(default)]
    pub sent: Vec<SentRecord>,
    pub events: Vec<EventRecord>,
}

/// A ticket's fields as stored: values by their stored names. An unknown name (written by a
/// newer build) reads as the default.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldsRecord {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub environment: String,
    #[serde(default)]
    pub version: String,
}

impl From<&Fields> for FieldsRecord {
    fn from(f: &Fields) -> FieldsRecord {
        FieldsRecord {
            kind: f.kind.as_str().into(),
            severity: f.severity.as_str().into(),
            environment: f.environment.clone(),
            version: f.version.clone(),
        }
    }
}

impl From<FieldsRecord> for Fields {
    fn from(r: FieldsRecord) -> Fields {
        let d = Fields::default();
        Fields {
            kind: TicketType::read(&r.kind).unwrap_or(d.kind),
            severity: Severity::read(&r.severity).unwrap_or(d.severity),
            environment: r.environment,
            version: r.version,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SentRecord {
    pub message_id: String,
    pub outbox: u64,
    /// `customers` or `staff`.
    pub audience: String,
    /// The one customer a copy with a page link went to (absent: every reader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl SentRecord {
    /// The audience of an outbox entry of an older store, from its kind and recipients.
    pub fn of_entry(e: &OutboxEntry, reporter: &str) -> SentRecord {
        let audience = match NoticeKind::parse(&e.kind) {
            Some(NoticeKind::AutoClosed) if !e.to.iter().any(|a| a == reporter) => Audience::Staff,
            Some(k) => k.audience(),
            None => Audience::Staff,
        };
        SentRecord {
            message_id: e.message_id.clone(),
            outbox: e.id,
            audience: audience.as_str().into(),
            to: None,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct EventRecord {
    pub at: i64,
    pub kind: String,
    pub from: String,
    pub text: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub message_id: Option<String>,
    pub attachments: Vec<AttachmentRecord>,
    pub decision: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

impl From<&Ticket> for TicketRecord {
    fn from(t: &Ticket) -> TicketRecord {
        TicketRecord {
            id: t.id.0,
            summary: t.summary.clone(),
            state: t.state.as_str().into(),
            reporter: t.reporter.clone(),
            reporter_name: t.reporter_name.clone(),
            participants: t.participants.clone(),
            fields: FieldsRecord::from(&t.fields),
            owner: t.owner.clone(),
            language: t.language.as_str().into(),
            created_at: t.created_at,
            updated_at: t.updated_at,
            state_since: t.state_since,
            reminded: t.reminded,
            automated: t.automated,
            refers_to: t.refers_to.map(|r| r.0),
            thread: t.thread.clone(),
            sent: t
                .sent
                .iter()
                .map(|m| SentRecord {
                    message_id: m.message_id.clone(),
                    outbox: m.outbox,
                    audience: m.audience.as_str().into(),
                    to: m.to.clone(),
                })
                .collect(),
            events: t
                .events
                .iter()
                .map(|e| EventRecord {
                    at: e.at,
                    kind: e.kind.as_str().into(),
                    from: e.from.clone(),
                    text: e.text.clone(),
                    from_state: e.from_state.map(|s| s.as_str().into()),
                    to_state: e.to_state.map(|s| s.as_str().into()),
                    message_id: e.message_id.clone(),
                    attachments: e
                        .attachments
                        .iter()
                        .map(|a| AttachmentRecord {
                            name: a.name.clone(),
                            content_type: a.content_type.clone(),
                            size: a.size,
                            sha256: a.sha256.clone(),
                        })
                        .collect(),
                    decision: decision::render(&e.decision),
                })
                .collect(),
        }
    }
}

fn state(s: &str) -> Result<State, String> {
    State::parse(s).ok_or_else(|| format!("unknown state '{s}'"))
}

impl TryFrom<TicketRecord> for Ticket {
    type Error = String;
    fn try_from(r: TicketRecord) -> Result<Ticket, String> {
        let mut events = Vec::with_capacity(r.events.len());
        for e in r.events {
            events.push(Event {
                at: e.at,
                kind: EventKind::parse(&e.kind)
                    .ok_or_else(|| format!("unknown event kind '{}'", e.kind))?,
                from: e.from,
                text: e.text,
                from_state: e.from_state.as_deref().map(state).transpose()?,
                to_state: e.to_state.as_deref().map(state).transpose()?,
                message_id: e.message_id,
                attachments: e
                    .attachments
                    .into_iter()
                    .map(|a| AttachmentInfo {
                        name: a.name,
                        content_type: a.content_type,
                        size: a.size,
                        sha256: a.sha256,
                    })
                    .collect(),
                decision: e.decision.into_iter().map(Decision::Recorded).collect(),
            });
        }
        Ok(Ticket {
            id: TicketId(r.id),
            summary: r.summary,
            state: state(&r.state)?,
            reporter: r.reporter,
            reporter_name: r.reporter_name,
            participants: r.participants,
            fields: r.fields.into(),
            owner: r.owner,
            language: Lang::from_tag(&r.language).unwrap_or(Lang::En),
            created_at: r.created_at,
            updated_at: r.updated_at,
            state_since: r.state_since,
            reminded: r.reminded,
            automated: r.automated,
            refers_to: r.refers_to.map(TicketId),
            thread: r.thread,
            sent: r
                .sent
                .into_iter()
                .map(|m| SentMail {
                    // An unknown audience reads as staff: never shown to a customer.
                    audience: Audience::parse(&m.audience).unwrap_or(Audience::Staff),
                    message_id: m.message_id,
                    outbox: m.outbox,
                    to: m.to,
                })
                .collect(),
            events,
        })
    }
}

/// What became of one incoming mail (the dedupe record and its decision log).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MailRecord {
    pub message_id: Option<String>,
    pub at: i64,
    pub ticket: Option<u64>,
    /// Stored as its name (`ticket`, `ignored`, `quarantined`).
    #[serde(with = "outcome_name")]
    pub outcome: MailOutcome,
    /// The decision log, rendered.
    pub decision: Vec<String>,
    /// The mail's fingerprint (its dedupe key); absent in records of older stores, which
    /// were kept under the Message-ID alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

/// A [`MailOutcome`] as its name; a name this build does not know reads as `ignored`.
mod outcome_name {
    use super::MailOutcome;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(o: &MailOutcome, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(o.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MailOutcome, D::Error> {
        let name = String::deserialize(d)?;
        Ok(MailOutcome::parse(&name).unwrap_or(MailOutcome::Ignored))
    }
}

/// One outgoing mail. Its raw bytes live in `outbox_raw` under the same id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: u64,
    pub message_id: String,
    pub ticket: Option<u64>,
    pub kind: String,
    pub from: String,
    pub to: Vec<String>,
    pub created_at: i64,
    pub attempts: u32,
    pub next_attempt_at: i64,
    pub status: OutboxStatus,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    /// Size of the raw mail in bytes (0 in entries written before it was recorded).
    #[serde(default)]
    pub size: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OutboxStatus {
    Pending,
    Sent,
    Dead,
}

impl OutboxStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "pending",
            OutboxStatus::Sent => "sent",
            OutboxStatus::Dead => "dead",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ticket record as stores wrote it before tickets had fields and an owner.
    const OLD_TICKET: &str = r#"{"id":3,"summary":"Printer","state":"open","reporter":"a@x.test","participants":[],"language":"fr","created_at":1,"updated_at":2,"state_since":1,"reminded":false,"automated":false,"refers_to":null,"thread":["m@x"],"events":[{"at":1,"kind":"created","from":"a@x.test","text":"Hello","from_state":null,"to_state":null,"message_id":"m@x","attachments":[],"decision":["new ticket SUP-3"]}]}"#;

    #[test]
    fn a_ticket_stored_before_fields_existed_loads_with_the_defaults() {
        let mut bytes = vec![RECORD_V1];
        bytes.extend_from_slice(OLD_TICKET.as_bytes());
        let r: TicketRecord = decode(&bytes).unwrap();
        let t = Ticket::try_from(r).unwrap();
        assert_eq!(t.fields, Fields::default());
        assert_eq!((t.owner, t.reporter_name.as_str()), (None, ""));
        assert_eq!(t.events[0].text, "Hello");
    }

    #[test]
    fn a_packed_ticket_is_half_its_json_and_comes_back_whole_with_its_head() {
        let mut bytes = vec![RECORD_V1];
        bytes.extend_from_slice(OLD_TICKET.as_bytes());
        let mut t = Ticket::try_from(decode::<TicketRecord>(&bytes).unwrap()).unwrap();
        t.state = State::Resolved;
        for n in 0..6 {
            let mut e = t.events[0].clone();
            e.message_id = Some(format!("reply.{n}@customer.test"));
            t.events.push(e);
            t.thread.push(format!("reply.{n}@customer.test"));
        }
        let packed = encode_ticket(&t);
        let json = serde_json::to_vec(&TicketRecord::from(&t)).unwrap();
        assert_eq!(packed[0], TICKET_PACKED);
        assert!(
            packed.len() * 2 < json.len(),
            "{} of {}",
            packed.len(),
            json.len()
        );
        let back = Ticket::try_from(decode_ticket(&packed).unwrap()).unwrap();
        assert_eq!(back, t);
        let head = ticket_head(&packed).unwrap();
        assert_eq!((head.state, head.escalated), (State::Resolved, 0));
    }

    #[test]
    fn a_damaged_packed_ticket_is_an_error_not_a_panic_or_a_huge_allocation() {
        let t = Ticket::try_from(
            decode::<TicketRecord>(&[&[RECORD_V1][..], OLD_TICKET.as_bytes()].concat()).unwrap(),
        )
        .unwrap();
        let packed = encode_ticket(&t);
        // Cut short, a length claimed far beyond what the block can hold, garbage.
        let mut huge = packed.clone();
        huge[3..7].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut garbage = packed[..7].to_vec();
        garbage.extend_from_slice(&[0xff; 40]);
        for bad in [&packed[..5], &packed[..packed.len() - 3], &huge, &garbage] {
            assert!(decode_ticket(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fields_and_owner_survive_a_round_trip() {
        let mut bytes = vec![RECORD_V1];
        bytes.extend_from_slice(OLD_TICKET.as_bytes());
        let mut t = Ticket::try_from(decode::<TicketRecord>(&bytes).unwrap()).unwrap();
        t.fields = Fields {
            kind: TicketType::Improvement,
            severity: Severity::Blocker,
            environment: "recette".into(),
            version: "10.10".into(),
        };
        t.owner = Some("paul@gateway.test".into());
        t.reporter_name = "Jean Dupont".into();
        let back =
            Ticket::try_from(decode::<TicketRecord>(&encode(&TicketRecord::from(&t))).unwrap())
                .unwrap();
        assert_eq!(back, t);
    }
}
