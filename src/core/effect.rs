//! What the core asks the adapters to do: [`Effect`]s, and the [`Notice`]s (mails) among them.

use super::decision::{Decision, MailOutcome};
use super::fields::{Change, Fields, Severity, TicketType, UnknownValue};
use super::{AttachmentInfo, Audience, Lang, State, Ticket, TicketId};

/// The mails the gateway sends. Each has a template of the same name under `templates/<lang>/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    /// To the customer: your ticket was created.
    Acknowledgement,
    /// To staff: a new ticket, with the full text and attachment list.
    NewTicket,
    /// To staff: a customer commented, gave feedback, reopened or closed.
    CustomerUpdate,
    /// To the customer: staff commented or changed the state.
    StaffUpdate,
    /// To one staff member: the keyword is not allowed in this state.
    Refused,
    /// To the customer: the ticket is closed; a new question needs a new mail.
    ClosedReply,
    /// To the customer: waiting for your feedback (timer).
    Reminder,
    /// To the customer and staff: closed automatically (timer).
    AutoClosed,
    /// To staff: a mail claimed a staff address without passing authentication.
    StaffWarning,
    /// To staff: a gateway mail bounced.
    DeliveryFailure,
    /// To the sender: the mail could not be processed (quarantined).
    Quarantined,
    /// To one staff member: a keyword line held a word that is not a keyword; nothing done.
    Held,
    /// To staff: the mails of one sender past the hourly limit, in one mail (SPEC §3.6).
    FloodSummary,
    /// To the sender of a `#list` request: their tickets, each with its page link (§3.10).
    TicketList,
    /// To the owner and `staff.notify` but its author: a copy of what a staff member did
    /// (comment, state or field change, note; SPEC §2.6).
    TeamCopy,
    /// To the customer who closed their own ticket with `#close`: it is closed.
    CloseConfirmed,
    /// To staff: a ticket was closed automatically (timer).
    AutoClosedStaff,
    /// To the owner, else `staff.notify`: a service level was breached (SPEC §2.7).
    Escalation,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 18] = [
        NoticeKind::Acknowledgement,
        NoticeKind::NewTicket,
        NoticeKind::CustomerUpdate,
        NoticeKind::StaffUpdate,
        NoticeKind::Refused,
        NoticeKind::ClosedReply,
        NoticeKind::Reminder,
        NoticeKind::AutoClosed,
        NoticeKind::StaffWarning,
        NoticeKind::DeliveryFailure,
        NoticeKind::Quarantined,
        NoticeKind::Held,
        NoticeKind::FloodSummary,
        NoticeKind::TicketList,
        NoticeKind::TeamCopy,
        NoticeKind::CloseConfirmed,
        NoticeKind::AutoClosedStaff,
        NoticeKind::Escalation,
    ];

    /// The template's base name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Acknowledgement => "acknowledgement",
            NoticeKind::NewTicket => "new_ticket",
            NoticeKind::CustomerUpdate => "customer_update",
            NoticeKind::StaffUpdate => "staff_update",
            NoticeKind::Refused => "refused",
            NoticeKind::ClosedReply => "closed_reply",
            NoticeKind::Reminder => "reminder",
            NoticeKind::AutoClosed => "auto_closed",
            NoticeKind::StaffWarning => "staff_warning",
            NoticeKind::DeliveryFailure => "delivery_failure",
            NoticeKind::Quarantined => "quarantined",
            NoticeKind::Held => "held",
            NoticeKind::FloodSummary => "flood_summary",
            NoticeKind::TicketList => "ticket_list",
            NoticeKind::TeamCopy => "team_copy",
            NoticeKind::CloseConfirmed => "close_confirmed",
            NoticeKind::AutoClosedStaff => "auto_closed_staff",
            NoticeKind::Escalation => "escalation",
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// RFC 3834: `auto-generated` for timers and warnings, `auto-replied` for answers to a mail.
    pub(crate) fn auto_generated(self) -> bool {
        matches!(
            self,
            NoticeKind::Reminder
                | NoticeKind::AutoClosed
                | NoticeKind::AutoClosedStaff
                | NoticeKind::StaffWarning
                | NoticeKind::DeliveryFailure
                | NoticeKind::FloodSummary
                | NoticeKind::TeamCopy
                | NoticeKind::Escalation
        )
    }

    /// Written by a person: a staff member's comment relayed to the customer. RFC 3834 is
    /// for automatic answers, so such a mail carries no `Auto-Submitted`; loops are still
    /// caught by the gateway's own headers and address.
    pub fn written_by_a_person(self) -> bool {
        self == NoticeKind::StaffUpdate
    }

    /// Sent to staff (never rate-limited).
    pub fn to_staff(self) -> bool {
        self.audience() == Audience::Staff
    }

    /// Who reads it (an automatic close is mailed to both: its staff copy says so itself).
    pub fn audience(self) -> Audience {
        match self {
            NoticeKind::NewTicket
            | NoticeKind::CustomerUpdate
            | NoticeKind::Refused
            | NoticeKind::StaffWarning
            | NoticeKind::DeliveryFailure
            | NoticeKind::Held
            | NoticeKind::FloodSummary
            | NoticeKind::TeamCopy
            | NoticeKind::AutoClosedStaff
            | NoticeKind::Escalation => Audience::Staff,
            NoticeKind::Acknowledgement
            | NoticeKind::StaffUpdate
            | NoticeKind::ClosedReply
            | NoticeKind::Reminder
            | NoticeKind::AutoClosed
            | NoticeKind::Quarantined
            | NoticeKind::TicketList
            | NoticeKind::CloseConfirmed => Audience::Customers,
        }
    }
}

/// Why a mail was quarantined, as its sender is told (SPEC §3.8): a closed set, rendered by
/// the templates in the sender's language. The internal detail goes to the log and the
/// decision record only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuarantineReason {
    /// Over `gateway.max_message_size`, which is this many bytes.
    TooBig { limit: u64 },
    /// No header block, or nothing a mail reader could display.
    Unreadable,
    /// No usable `From` address.
    NoSender,
    /// The gateway failed on it.
    Internal,
}

impl QuarantineReason {
    /// A short stable name: for templates, metrics and the decision log.
    pub fn as_str(self) -> &'static str {
        match self {
            QuarantineReason::TooBig { .. } => "too_big",
            QuarantineReason::Unreadable => "unreadable",
            QuarantineReason::NoSender => "no_sender",
            QuarantineReason::Internal => "internal",
        }
    }
}

/// One staff notice held back for a sender's hourly summary (SPEC §3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FloodItem {
    /// The sender whose mails are summed up.
    pub sender: String,
    pub ticket: TicketId,
    pub summary: String,
    /// What staff would have been sent.
    pub kind: NoticeKind,
    /// Unix seconds.
    pub at: i64,
}

/// One ticket of a `#list` answer (SPEC §3.10): what the list shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedTicket {
    pub id: TicketId,
    pub summary: String,
    pub state: State,
    /// Unix seconds.
    pub updated_at: i64,
    /// Its type and severity (SPEC §3.10: the list shows them).
    pub kind: TicketType,
    pub severity: Severity,
}

impl ListedTicket {
    pub fn of(t: &Ticket) -> ListedTicket {
        ListedTicket {
            id: t.id,
            summary: t.summary.clone(),
            state: t.state,
            updated_at: t.updated_at,
            kind: t.fields.kind,
            severity: t.fields.severity,
        }
    }
}

/// The ticket as a notice shows it (a snapshot: the ticket may change later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSnapshot {
    pub id: TicketId,
    pub summary: String,
    pub state: State,
    pub reporter: String,
    /// The reporter's display name (empty if the first mail gave none).
    pub reporter_name: String,
    pub participants: Vec<String>,
    pub language: Lang,
    pub fields: Fields,
    pub owner: Option<String>,
    pub description: String,
    /// Every Message-ID of the ticket (staff may see them all).
    pub thread: Vec<String>,
    /// The ids a customer could have seen ([`Ticket::public_thread`]).
    pub public_thread: Vec<String>,
}

impl TicketSnapshot {
    pub fn of(t: &Ticket) -> TicketSnapshot {
        TicketSnapshot {
            id: t.id,
            summary: t.summary.clone(),
            state: t.state,
            reporter: t.reporter.clone(),
            reporter_name: t.reporter_name.clone(),
            participants: t.participants.clone(),
            language: t.language,
            fields: t.fields.clone(),
            owner: t.owner.clone(),
            description: t.description().to_string(),
            thread: t.thread.clone(),
            public_thread: t.public_thread(),
        }
    }

    /// The Message-IDs a reader of `audience` may be given (`References`).
    pub(crate) fn thread_for(&self, audience: Audience) -> &[String] {
        match audience {
            Audience::Customers => &self.public_thread,
            Audience::Staff => &self.thread,
        }
    }
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    /// Who reads it: what of the thread it may name.
    pub audience: Audience,
    /// Recipients' own addresses (never a `Reply-To`).
    pub to: Vec<String>,
    pub lang: Lang,
    pub ticket: TicketSnapshot,
    /// Who wrote the text (a customer, a staff member, or the gateway for timers).
    pub author: String,
    /// The comment text: customer or staff words, always data, never template code.
    pub text: String,
    pub from_state: Option<State>,
    pub to_state: Option<State>,
    /// For `Refused` and `Held`: the keyword (or the word not understood) and the keywords
    /// allowed now.
    pub keyword: Option<String>,
    pub allowed: Vec<String>,
    /// For `Held`: the keyword nearest to the word not understood.
    pub nearest: Option<String>,
    /// For `Quarantined`: why, from the closed set the templates render.
    pub quarantine: Option<QuarantineReason>,
    /// For `FloodSummary`: what staff were not sent one by one (the first of them), and how
    /// many more.
    pub flood: Vec<FloodItem>,
    pub flood_more: u32,
    /// For `TicketList`: the sender's tickets (open ones first, the first of them), and how
    /// many more there are.
    pub listed: Vec<ListedTicket>,
    pub listed_more: u32,
    /// Free reason text for `StaffWarning`, `DeliveryFailure` (staff read it).
    pub reason: String,
    /// The incoming Message-ID this answers (`In-Reply-To`).
    pub in_reply_to: Option<String>,
    /// Attachments to list.
    pub attachments: Vec<AttachmentInfo>,
    /// Those of `attachments` the mail carries as files (within
    /// `gateway.forward_attachments_max`); the adapter reads their content from the
    /// attachment store. The rest are listed only, with a line saying so.
    pub forward: Vec<AttachmentInfo>,
    /// Triggered by a customer's own mail: counts towards `max_replies_per_hour`.
    pub answers_customer: bool,
    /// Fields or owner changed by this mail (the customer is told of type and severity).
    pub changes: Vec<Change>,
    /// For `TeamCopy`: the staff mail was an internal `#note`.
    pub internal: bool,
    /// For `Acknowledgement`: field lines whose value is not known (the default was kept).
    pub unknown_values: Vec<UnknownValue>,
    /// Seconds until a resolved ticket closes by itself (`timers.resolved_autoclose`), for
    /// the notice that resolves it.
    pub autoclose_after: Option<i64>,
    /// For `Escalation`: the time the breached level allowed, in seconds (the level is
    /// `keyword`: `first_response` or `resolution`).
    pub sla_allowed: Option<i64>,
}

impl Notice {
    /// A notice with nothing but its kind, readers, language, ticket and author; the rest
    /// is filled in by the caller. A staff notice lists the staff keywords allowed in the
    /// ticket's state (its footer).
    pub fn new(
        kind: NoticeKind,
        to: Vec<String>,
        lang: Lang,
        ticket: TicketSnapshot,
        author: &str,
    ) -> Notice {
        let allowed = match kind.audience() {
            Audience::Staff if ticket.id.number() != 0 => {
                super::workflow::staff_keywords_allowed(ticket.state)
                    .iter()
                    .map(|k| k.as_str().to_string())
                    .collect()
            }
            _ => vec![],
        };
        Notice {
            kind,
            audience: kind.audience(),
            to,
            lang,
            ticket,
            author: author.to_string(),
            text: String::new(),
            from_state: None,
            to_state: None,
            keyword: None,
            allowed,
            nearest: None,
            quarantine: None,
            flood: vec![],
            flood_more: 0,
            listed: vec![],
            listed_more: 0,
            reason: String::new(),
            in_reply_to: None,
            attachments: vec![],
            forward: vec![],
            answers_customer: false,
            changes: vec![],
            internal: false,
            unknown_values: vec![],
            autoclose_after: None,
            sla_allowed: None,
        }
    }
}

/// What the adapters must do for one mail or one timer tick.
#[derive(Debug, Clone, PartialEq, Eq)]
// An outcome holds a handful of effects, most of them notices: boxing them would cost an
// allocation each for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Effect {
    /// Write this ticket (new or updated) with its events.
    Save(Ticket),
    /// Send this mail (through the durable outbox).
    Notify(Notice),
    /// Move the mail to the quarantine mailbox, for this reason.
    Quarantine(QuarantineReason),
    /// This address hard-bounced a gateway mail: send it nothing until then (Unix seconds).
    HardBounce { address: String, until: i64 },
    /// Keep this staff notice for its sender's hourly summary instead of sending it.
    Flood(FloodItem),
    /// This sender's held staff notices are summed up in a mail of this outcome: forget them.
    FloodDone(String),
}

/// The result of deciding on one mail or timer tick.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// Why, one line each (SPEC §3.9).
    pub decision: Vec<Decision>,
}

impl Outcome {
    pub fn saved(&self) -> Option<&Ticket> {
        self.effects.iter().find_map(|e| match e {
            Effect::Save(t) => Some(t),
            _ => None,
        })
    }

    pub fn notices(&self) -> impl Iterator<Item = &Notice> {
        self.effects.iter().filter_map(|e| match e {
            Effect::Notify(n) => Some(n),
            _ => None,
        })
    }

    /// The decision log as text.
    pub fn log(&self) -> Vec<String> {
        super::decision::render(&self.decision)
    }

    /// What became of the mail decided on: quarantined, recorded on a ticket, or neither.
    pub(crate) fn mail_outcome(&self) -> MailOutcome {
        match (self.quarantine(), self.saved()) {
            (Some(_), _) => MailOutcome::Quarantined,
            (None, Some(_)) => MailOutcome::Ticket,
            (None, None) => MailOutcome::Ignored,
        }
    }

    pub fn quarantine(&self) -> Option<QuarantineReason> {
        self.effects.iter().find_map(|e| match e {
            Effect::Quarantine(r) => Some(*r),
            _ => None,
        })
    }
}
