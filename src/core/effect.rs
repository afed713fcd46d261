//! What the core asks the adapters to do: [`Effect`]s, and the [`Notice`]s (mails) among them.

use super::{AttachmentInfo, Lang, State, Ticket, TicketId};

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
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 11] = [
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
        }
    }

    pub fn parse(s: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// RFC 3834: `auto-generated` for timers and warnings, `auto-replied` for answers to a mail.
    pub fn auto_generated(self) -> bool {
        matches!(
            self,
            NoticeKind::Reminder
                | NoticeKind::AutoClosed
                | NoticeKind::StaffWarning
                | NoticeKind::DeliveryFailure
        )
    }

    /// Sent to staff (never rate-limited).
    pub fn to_staff(self) -> bool {
        matches!(
            self,
            NoticeKind::NewTicket
                | NoticeKind::CustomerUpdate
                | NoticeKind::Refused
                | NoticeKind::StaffWarning
                | NoticeKind::DeliveryFailure
        )
    }
}

/// The ticket as a notice shows it (a snapshot: the ticket may change later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSnapshot {
    pub id: TicketId,
    pub summary: String,
    pub state: State,
    pub reporter: String,
    pub language: Lang,
    pub description: String,
    pub thread: Vec<String>,
}

impl TicketSnapshot {
    pub fn of(t: &Ticket) -> TicketSnapshot {
        TicketSnapshot {
            id: t.id,
            summary: t.summary.clone(),
            state: t.state,
            reporter: t.reporter.clone(),
            language: t.language,
            description: t.description().to_string(),
            thread: t.thread.clone(),
        }
    }
}

/// One mail to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
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
    /// For `Refused`: the keyword and the keywords allowed now.
    pub keyword: Option<String>,
    pub allowed: Vec<String>,
    /// Free reason text for `Quarantined`, `StaffWarning`, `DeliveryFailure`.
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
}

/// What the adapters must do for one mail or one timer tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write this ticket (new or updated) with its events.
    Save(Ticket),
    /// Send this mail (through the durable outbox).
    Notify(Notice),
    /// Move the mail to the quarantine mailbox, for this reason.
    Quarantine(String),
    /// This address hard-bounced a gateway mail: send it nothing for a while.
    HardBounce(String),
}

/// The result of deciding on one mail or timer tick.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// Why, one line each (SPEC §3.9).
    pub decision: Vec<String>,
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

    pub fn quarantine(&self) -> Option<&str> {
        self.effects.iter().find_map(|e| match e {
            Effect::Quarantine(r) => Some(r.as_str()),
            _ => None,
        })
    }
}
