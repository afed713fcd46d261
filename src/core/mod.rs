//! The pure core: it decides, it does nothing.
//!
//! Invariant: nothing under `core/` does I/O, reads a clock, or makes random numbers. Time and
//! ids come in as arguments. A tidy test (`tests/it/tidy.rs`) enforces it.

pub mod attachments;
pub mod bounce;
pub mod classify;
pub mod customer_view;
pub mod decision;
pub mod delivery;
pub mod effect;
pub mod fields;
pub mod html;
pub mod inbound;
pub mod keyword;
pub mod language;
pub mod policy;
pub mod quarantine;
pub mod quotes;
pub mod sla;
pub mod staff;
pub mod text;
pub mod ticket;
pub mod timers;
pub mod workflow;

pub use decision::{Decision, MailOutcome};
pub use delivery::{Facts, ReportedMail};
pub use effect::{
    Effect, FloodItem, ListedTicket, Notice, NoticeKind, Outcome, QuarantineReason, TicketSnapshot,
};
pub use fields::{Field, Fields, Severity, TicketType};
pub use inbound::{
    Address, AttachmentInfo, AuthenticationResults, AutoSignals, DeliveryRecipient, DeliveryReport,
    InboundMail, MimeRepair,
};
pub use keyword::Keyword;
pub use policy::{ClosedReply, Policy, StaffAuth};
pub use ticket::{Audience, Event, EventKind, SentMail, State, Ticket, TicketId};
pub use workflow::{Context, MatchedBy};

/// A ticket's language: the templates it is answered with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Fr,
}

impl Lang {
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    /// `fr`, `fr-CA`, `FR` -> French; `en*` -> English; others: none.
    pub(crate) fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .trim()
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }
}
