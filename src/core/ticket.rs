//! Tickets, their states and their history.

use super::decision::Decision;
use super::fields::Fields;
use super::{AttachmentInfo, Lang};

/// A ticket's id: its queue's slot in the upper bits, its number in its queue in the lower
/// [`TicketId::NUMBER_BITS`] (SPEC §5.4: each prefix numbered on its own). The first queue's
/// slot is 0, so its ids are the plain numbers 1, 2, 3 … The tag is `[PREFIX-N]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId(pub u64);

impl TicketId {
    /// Bits of the number within a queue: room for a trillion tickets a queue.
    pub const NUMBER_BITS: u32 = 40;
    /// The highest slot: ids stay below 2^63, as PostgreSQL's `bigint` holds them.
    pub const MAX_SLOT: u32 = (1 << (63 - Self::NUMBER_BITS)) - 1;

    /// Ticket `number` of the queue in `slot`.
    pub fn new(slot: u32, number: u64) -> TicketId {
        TicketId(u64::from(slot) << Self::NUMBER_BITS | (number & Self::NUMBER_MASK))
    }

    const NUMBER_MASK: u64 = (1 << Self::NUMBER_BITS) - 1;

    /// The slot of the ticket's queue (its tag prefix's, [`Policy::prefixes`]).
    ///
    /// [`Policy::prefixes`]: super::Policy::prefixes
    pub fn slot(self) -> u32 {
        (self.0 >> Self::NUMBER_BITS) as u32
    }

    /// The number within its queue, as its tag shows it.
    pub fn number(self) -> u64 {
        self.0 & Self::NUMBER_MASK
    }

    /// `SUP-42` for prefix `SUP` (the prefix of the ticket's queue).
    pub fn tag(self, prefix: &str) -> String {
        format!("{prefix}-{}", self.number())
    }

    /// A new unguessable Message-ID (without angle brackets) for a mail the gateway sends
    /// about this ticket: `tg.<ticket>.<32 hex>@<domain>`. Naming the ticket lets a reply
    /// find it without an index entry per outgoing mail; the random part keeps it
    /// unguessable, and a match counts only if the ticket's thread holds the whole id
    /// (see [`TicketId::of_message_id`]).
    pub fn message_id(self, random: [u8; 16], domain: &str) -> String {
        let mut id = format!("tg.{}.", self.0);
        for b in random {
            id.push_str(&format!("{b:02x}"));
        }
        id.push('@');
        id.push_str(domain);
        id
    }

    /// The ticket a Message-ID of [`TicketId::message_id`]'s form names; anyone can write
    /// such an id, so the caller checks that the ticket's thread holds it.
    pub(crate) fn of_message_id(id: &str) -> Option<TicketId> {
        let (local, _domain) = id.split_once('@')?;
        let (n, hex) = local.strip_prefix("tg.")?.split_once('.')?;
        let digits = !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
        let random = hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit());
        (digits && random)
            .then(|| n.parse().ok().map(TicketId))
            .flatten()
    }
}

/// The seven states of SPEC §2.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Open,
    Acknowledged,
    InProgress,
    WaitingForFeedback,
    Resolved,
    Closed,
    Reopened,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Open,
        State::Acknowledged,
        State::InProgress,
        State::WaitingForFeedback,
        State::Resolved,
        State::Closed,
        State::Reopened,
    ];

    /// As stored and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Open => "open",
            State::Acknowledged => "acknowledged",
            State::InProgress => "in_progress",
            State::WaitingForFeedback => "waiting_for_feedback",
            State::Resolved => "resolved",
            State::Closed => "closed",
            State::Reopened => "reopened",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The label customers and staff read.
    pub fn label(self, lang: Lang) -> &'static str {
        match (lang, self) {
            (Lang::En, State::Open) => "Open",
            (Lang::En, State::Acknowledged) => "Acknowledged",
            (Lang::En, State::InProgress) => "In progress",
            (Lang::En, State::WaitingForFeedback) => "Waiting for feedback",
            (Lang::En, State::Resolved) => "Resolved",
            (Lang::En, State::Closed) => "Closed",
            (Lang::En, State::Reopened) => "Reopened",
            (Lang::Fr, State::Open) => "Ouvert",
            (Lang::Fr, State::Acknowledged) => "Pris en compte",
            (Lang::Fr, State::InProgress) => "En cours",
            (Lang::Fr, State::WaitingForFeedback) => "En attente de feedback",
            (Lang::Fr, State::Resolved) => "Résolu",
            (Lang::Fr, State::Closed) => "Clos",
            (Lang::Fr, State::Reopened) => "Réouvert",
        }
    }
}

/// What an event on a ticket was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The ticket was opened by a mail.
    Created,
    /// A customer's comment (feedback, reopen reason, validation …).
    Comment,
    /// A staff member's public comment, relayed to the customer.
    StaffComment,
    /// A staff member's internal note, never sent to the customer.
    Note,
    /// A staff command that was not allowed in the ticket's state.
    Refused,
    /// Automated mail (out-of-office, alert …) recorded on the ticket; changes nothing.
    Automated,
    /// Timer: the customer was reminded.
    Reminder,
    /// Timer: the ticket was closed automatically.
    AutoClose,
    /// A gateway mail bounced.
    DeliveryFailure,
    /// A staff mail not applied because a keyword line held a word that is not a keyword
    /// (SPEC §3.3): recorded for staff, never shown to the customer.
    Held,
    /// A staff mail that only changed fields or the owner (no text, no state change).
    Changed,
    /// A service level was breached and staff were told (SPEC §2.7); the text says which.
    Escalation,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Comment => "comment",
            EventKind::StaffComment => "staff_comment",
            EventKind::Note => "note",
            EventKind::Refused => "refused",
            EventKind::Automated => "automated",
            EventKind::Reminder => "reminder",
            EventKind::AutoClose => "auto_close",
            EventKind::DeliveryFailure => "delivery_failure",
            EventKind::Held => "held",
            EventKind::Changed => "changed",
            EventKind::Escalation => "escalation",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::Created,
            EventKind::Comment,
            EventKind::StaffComment,
            EventKind::Note,
            EventKind::Refused,
            EventKind::Automated,
            EventKind::Reminder,
            EventKind::AutoClose,
            EventKind::DeliveryFailure,
            EventKind::Held,
            EventKind::Changed,
            EventKind::Escalation,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One entry of a ticket's history. A state change is an event with `from_state`/`to_state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unix seconds.
    pub at: i64,
    pub kind: EventKind,
    /// The sender's address, or the gateway's for timer events.
    pub from: String,
    pub text: String,
    pub from_state: Option<State>,
    pub to_state: Option<State>,
    /// The Message-ID of the mail that caused it.
    pub message_id: Option<String>,
    pub attachments: Vec<AttachmentInfo>,
    /// Why the gateway did what it did (SPEC §3.9), one line each.
    pub decision: Vec<Decision>,
}

impl Event {
    /// The decision log as text.
    pub fn log(&self) -> Vec<String> {
        super::decision::render(&self.decision)
    }
}

/// Who a gateway mail is for: what its reader may see of the ticket's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The reporter and participants (or the sender of a quarantined mail).
    Customers,
    /// Staff: internal text and staff-only mail.
    Staff,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Customers => "customers",
            Audience::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Audience> {
        [Audience::Customers, Audience::Staff]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// A mail the gateway queued for a ticket: its Message-ID, its outbox entry and its readers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMail {
    pub message_id: String,
    /// The outbox entry that carries it (its recipients and whether it went out).
    pub outbox: u64,
    pub audience: Audience,
    /// The one customer this copy went to, when customer mail carries page links (each
    /// customer gets a mail of their own, SPEC §3.10); `None`: every reader of `audience`.
    pub to: Option<String>,
}

/// A ticket with its whole history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub id: TicketId,
    pub summary: String,
    pub state: State,
    /// The reporter's address, lower case.
    pub reporter: String,
    /// The reporter's display name from the first mail's `From` (empty if none).
    pub reporter_name: String,
    pub participants: Vec<String>,
    /// Type, severity, environment, version (SPEC §2.5).
    pub fields: Fields,
    /// The staff member who owns the ticket (SPEC §2.6), lower case.
    pub owner: Option<String>,
    pub language: Lang,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the current state was entered (timers count from it).
    pub state_since: i64,
    /// A reminder was sent in the current waiting period.
    pub reminded: bool,
    /// Opened by automated mail (a monitoring alert …): never acknowledged.
    pub automated: bool,
    /// The ticket this one refers to (a stranger's mail with its tag, a reply to a closed one).
    pub refers_to: Option<TicketId>,
    /// Message-IDs of every mail received or sent for the ticket, oldest first (threading).
    pub thread: Vec<String>,
    /// The mails the gateway queued for the ticket, oldest first: which ids of `thread` are
    /// its own, and who read them.
    pub sent: Vec<SentMail>,
    pub events: Vec<Event>,
}

impl Ticket {
    /// The reporter and participants: who the customer mails go to.
    pub fn customers(&self) -> Vec<String> {
        let mut v = vec![self.reporter.clone()];
        for p in &self.participants {
            if !v.contains(p) {
                v.push(p.clone());
            }
        }
        v
    }

    pub(crate) fn is_customer(&self, addr: &str) -> bool {
        self.reporter == addr || self.participants.iter().any(|p| p == addr)
    }

    /// The ids of `thread` a customer could have seen: the customers' own mails and the
    /// gateway's mails to customers; never a staff mail, a note, or a staff-only notice.
    pub fn public_thread(&self) -> Vec<String> {
        self.thread
            .iter()
            .filter(|id| {
                self.sent
                    .iter()
                    .any(|s| &s.message_id == *id && s.audience == Audience::Customers)
                    || self.events.iter().any(|e| {
                        e.message_id.as_ref() == Some(*id)
                            && matches!(e.kind, EventKind::Created | EventKind::Comment)
                            && self.is_customer(&e.from)
                    })
            })
            .cloned()
            .collect()
    }

    /// Whether `id` is a mail the gateway sent to one customer other than `reader` (a copy
    /// with that customer's own page link): `reader` never saw it, so never gets its id.
    pub(crate) fn is_copy_for_other(&self, id: &str, reader: &str) -> bool {
        self.sent
            .iter()
            .any(|s| s.message_id == id && s.to.as_deref().is_some_and(|to| to != reader))
    }

    /// The description: the text of the first event.
    pub fn description(&self) -> &str {
        self.events.first().map(|e| e.text.as_str()).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outgoing_message_id_names_its_ticket_and_only_that_form_does() {
        let id = TicketId(42).message_id([0xab; 16], "gateway.test");
        assert_eq!(id, format!("tg.42.{}@gateway.test", "ab".repeat(16)));
        assert_eq!(TicketId::of_message_id(&id), Some(TicketId(42)));
        let hex = "0123456789abcdef0123456789abcdef";
        for other in [
            format!("tg.{hex}@gateway.test"), // the form before ids named their ticket
            format!("tg..{hex}@gateway.test"),
            format!("tg.4x.{hex}@gateway.test"),
            format!("tg.42.{}@gateway.test", &hex[1..]),
            format!("tg.42.{}z@gateway.test", &hex[1..]),
            format!("tg.42.{hex}"),
            format!("xtg.42.{hex}@gateway.test"),
            format!("tg.99999999999999999999999.{hex}@gateway.test"),
            "CAF+x@mail.example".to_string(),
        ] {
            assert_eq!(TicketId::of_message_id(&other), None, "{other}");
        }
    }

    #[test]
    fn each_slot_numbers_its_tickets_on_its_own_and_slot_0_keeps_plain_numbers() {
        assert_eq!(TicketId::new(0, 42), TicketId(42));
        let bil = TicketId::new(1, 1);
        assert_eq!(bil.0, 1 << 40 | 1);
        assert_eq!((bil.slot(), bil.number()), (1, 1));
        assert_eq!(bil.tag("BIL"), "BIL-1");
        let last = TicketId::new(TicketId::MAX_SLOT, 7);
        assert_eq!((last.slot(), last.number()), (TicketId::MAX_SLOT, 7));
        assert!(
            last.0 <= i64::MAX as u64,
            "PostgreSQL's bigint holds every id"
        );
        // A Message-ID names the whole id, slot and number.
        let mid = bil.message_id([1; 16], "gateway.test");
        assert_eq!(TicketId::of_message_id(&mid), Some(bil));
    }
}
