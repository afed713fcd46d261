//! The store's interface: [`Store`], which the daemon and the CLI use and each backend
//! implements, and [`Commit`], everything one mail changes, committed at once.

use crate::core::{FloodItem, ReportedMail, Ticket, TicketId};
use crate::dedupe::MailKey;

use super::{
    facts, lookup, Counts, DeliveryFacts, LookUp, LookedUp, MailRecord, OutboxEntry, OutboxStatus,
    PgStore, StoreError,
};

/// Everything one incoming mail (or timer tick) changes, committed at once.
#[derive(Debug, Default)]
pub struct Commit {
    /// The keys of the mail: its dedupe keys and its Message-ID's.
    pub mail_keys: Vec<MailKey>,
    /// The record kept under each key (with the decision log).
    pub mail: Option<MailRecord>,
    /// The new or updated ticket; the new ids of its thread are indexed.
    pub ticket: Option<Ticket>,
    /// How many ids at the front of `ticket.thread` the store already holds for this ticket
    /// (the thread's length when the ticket was read): only the others are new. 0 treats
    /// them all as new, which is always correct, only slower.
    pub known_ids: usize,
    /// The customers (reporter and participants) of `ticket` as the store holds it, which
    /// its index of customers' tickets already has: only the others are looked up there.
    /// Empty treats them all as new, which is always correct, only slower.
    pub known_customers: Vec<String>,
    /// Outgoing mail with its raw bytes.
    pub outbox: Vec<(OutboxEntry, Vec<u8>)>,
    /// Addresses that got an automatic answer now (rate limit), with the time and the
    /// outbox id of the answer.
    pub replies: Vec<(String, i64, u64)>,
    /// Hard-bounced addresses, with the time until which they get no mail.
    pub bounces: Vec<(String, i64)>,
    /// The sender of the mail committed, and when it came (the flood rule counts them).
    pub senders: Vec<(String, i64)>,
    /// Staff notices held for their sender's hourly summary.
    pub flood: Vec<FloodItem>,
    /// Senders whose summary this commit sends: their held notices are done.
    pub flood_sent: Vec<String>,
}

/// The store interface: a second backend implements this, and nothing else changes.
pub trait Store: Send + Sync {
    fn ticket(&self, id: TicketId) -> Result<Option<Ticket>, StoreError>;
    /// The ticket a gateway-sent or gateway-received Message-ID belongs to (first match).
    fn ticket_by_message_id(&self, ids: &[String]) -> Result<Option<TicketId>, StoreError>;
    /// The id the next new ticket of the first queue (slot 0) gets.
    fn next_ticket_id(&self) -> Result<TicketId, StoreError> {
        self.next_ticket_id_in(0)
    }
    /// The id the next new ticket of slot `slot` gets: each numbered on its own, from 1.
    fn next_ticket_id_in(&self, slot: u32) -> Result<TicketId, StoreError>;
    /// The slot of tag prefix `prefix` (SPEC §5.4), given the first time and kept: the first
    /// one gets 0, the slot of the tickets of a store made before queues existed.
    fn queue_slot(&self, prefix: &str) -> Result<u32, StoreError>;
    /// Every prefix given a slot, with its slot, in slot order.
    fn queue_slots(&self) -> Result<Vec<(u32, String)>, StoreError>;
    fn tickets(&self) -> Result<Vec<Ticket>, StoreError>;
    /// The tickets in a state with timers ([`has_timers`]: the store keeps an index of them),
    /// without reading the others.
    fn timed_tickets(&self) -> Result<Vec<Ticket>, StoreError>;
    /// Hands the tickets in `state` to `f` one at a time, in id order, without reading the
    /// others: a listing of any length holds one ticket at once.
    fn visit_tickets_in(
        &self,
        state: crate::core::State,
        f: &mut dyn FnMut(Ticket) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The ids of the tickets in `state` (of every ticket with `None`), newest first, at most
    /// `limit` of them (0: all), from the index by state without reading a ticket: a listing
    /// reads only the tickets it shows.
    fn ticket_ids(
        &self,
        state: Option<crate::core::State>,
        limit: usize,
    ) -> Result<Vec<TicketId>, StoreError>;
    /// How many tickets are in each state and outgoing mails pending or dead: kept as the
    /// store changes, so reading them costs the same at any size (`/metrics`).
    fn counts(&self) -> Result<Counts, StoreError>;
    /// The record of a mail already processed under any of these keys.
    fn mail_seen(&self, keys: &[MailKey]) -> Result<Option<MailRecord>, StoreError>;
    /// [`Store::mail_seen`] of each list of keys, at once.
    fn mail_seen_each(&self, lists: &[&[MailKey]]) -> Result<Vec<Option<MailRecord>>, StoreError> {
        lists.iter().map(|keys| self.mail_seen(keys)).collect()
    }
    /// The decision records of processed mail by Message-ID.
    fn mail_record(&self, message_id: &str) -> Result<Option<MailRecord>, StoreError>;
    /// Every processed mail's record (one per dedupe key).
    fn mails(&self) -> Result<Vec<(String, MailRecord)>, StoreError>;
    /// Commits atomically. Durable once [`Store::flush`] returns: the caller flushes before
    /// it moves the mail on the server or sends what the commit queued (SPEC §4).
    fn commit(&self, commit: Commit) -> Result<(), StoreError>;
    /// Automatic answers sent to `addr` at or after `since` (the store remembers at least the
    /// last two days of them).
    fn replies_since(&self, addr: &str, since: i64) -> Result<u32, StoreError>;
    /// Until when `addr` gets no mail because it hard-bounced, if it did.
    fn bounced_until(&self, addr: &str) -> Result<Option<i64>, StoreError>;
    /// Mails from `addr` processed at or after `since` (the store remembers at least the
    /// last two hours of them).
    fn sender_mails_since(&self, addr: &str, since: i64) -> Result<u32, StoreError>;
    /// The three above for all the addresses one mail may lead to mail for, at once: each
    /// address's answers at or after `since` and bounce pause, and `sender`'s mails.
    fn delivery_facts(
        &self,
        addrs: &[String],
        sender: Option<&str>,
        since: i64,
    ) -> Result<DeliveryFacts, StoreError> {
        facts::one_by_one(self, addrs, sender, since)
    }
    /// [`Store::mail_seen_each`], [`Store::ticket`] and [`Store::delivery_facts`] at once:
    /// what the pipeline reads of a mail before it decides it, each answer the same as the
    /// call's (inside an open batch too).
    fn look_up(&self, q: &LookUp<'_>) -> Result<LookedUp, StoreError> {
        lookup::one_by_one(self, q)
    }
    /// Every sender with staff notices held for its summary: the first of them (oldest
    /// first) and how many more there are.
    fn flood(&self) -> Result<Vec<(String, Vec<FloodItem>, u32)>, StoreError>;
    /// The tickets where `address` (lower case) is reporter or participant, from an index
    /// (a `#list` request must not read every ticket).
    fn tickets_of(&self, address: &str) -> Result<Vec<Ticket>, StoreError>;
    /// The mail the gateway sent under `message_id`, with its own recipients: only an id of
    /// the gateway's form that its ticket records as sent, whose outbox entry went out.
    /// Never an incoming id, whatever thread holds it.
    fn sent_mail(&self, message_id: &str) -> Result<Option<ReportedMail>, StoreError> {
        let Some(n) = TicketId::of_message_id(message_id) else {
            return Ok(None);
        };
        let Some(t) = self.ticket(n)? else {
            return Ok(None);
        };
        let Some(sent) = t.sent.iter().find(|s| s.message_id == message_id) else {
            return Ok(None);
        };
        Ok(self
            .outbox_entry(sent.outbox)?
            .filter(|e| e.message_id == message_id && e.status == OutboxStatus::Sent)
            .map(|e| ReportedMail {
                ticket: n,
                message_id: message_id.to_string(),
                to: e.to,
                audience: sent.audience,
            }))
    }
    fn outbox(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    fn outbox_pending(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    /// The entries not sent, pending or dead, in id order, without reading the sent ones.
    fn outbox_unsent(&self) -> Result<Vec<OutboxEntry>, StoreError>;
    fn outbox_entry(&self, id: u64) -> Result<Option<OutboxEntry>, StoreError>;
    fn outbox_raw(&self, id: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Updates an entry (durable after the next flush; a lost update means one resend
    /// with the same Message-ID, which at-least-once allows).
    fn outbox_update(&self, entry: &OutboxEntry) -> Result<(), StoreError>;
    /// Records that an entry went out (`entry` marked sent), durable when this returns:
    /// after a crash only the mails in flight are sent again (SPEC §4). Called once per
    /// completed SMTP transaction, so it is a small synced record, not a flush.
    fn outbox_sent(&self, entry: &OutboxEntry) -> Result<(), StoreError>;
    /// A fresh unique id for an outbox entry.
    fn new_outbox_id(&self) -> Result<u64, StoreError>;
    /// Waits until everything committed is on disk.
    fn flush(&self) -> Result<(), StoreError>;
    /// The highest UID handled in `mailbox` under `uid_validity` (for mail left in place:
    /// `processed_mailbox = ""`); 0 when none, or when UIDVALIDITY changed.
    fn watermark(&self, mailbox: &str, uid_validity: u32) -> Result<u32, StoreError>;
    fn set_watermark(&self, mailbox: &str, uid_validity: u32, uid: u32) -> Result<(), StoreError>;
    /// The PostgreSQL store behind this one: the daemon's leases live there (SPEC §5.5).
    fn postgres(&self) -> Option<&PgStore> {
        None
    }
}
