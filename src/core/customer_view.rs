//! The customer's view of their tickets (SPEC §3.10), decided without I/O: a `#list` request
//! and its answer ([`list_request`], [`answer_list`]), what a ticket's page shows of its
//! history ([`public_history`]) and which mail buttons its state offers ([`page_actions`]).
//!
//! The page and the links themselves are the adapters' (`web`, `links`): the core says what a
//! customer may see and do, never how it looks.

use std::cmp::Reverse;

use super::decision::Decision;
use super::delivery::{deliver, no_ticket};
use super::effect::{Effect, NoticeKind, Outcome};
use super::language::{language_of, LanguageChoice, LanguageRule};
use super::text::{fold, strip_subject_prefixes};
use super::workflow::{customer_reply, notice, Context, CustomerAction};
use super::{classify, Event, EventKind, InboundMail, Keyword, Lang, Notice, State, Ticket};

/// How many tickets one `#list` answer lists; it counts the others.
pub(crate) const LIST_MAX: usize = 50;

/// The subjects that ask for the list, as [`list_request`] reads them (folded, without reply
/// prefixes or closing punctuation), and the language each is written in, when it says.
const LIST_SUBJECTS: &[(&str, Option<Lang>)] = &[
    ("#list", None),
    ("#my-tickets", Some(Lang::En)),
    ("my tickets", Some(Lang::En)),
    ("#mes-tickets", Some(Lang::Fr)),
    ("#mes_tickets", Some(Lang::Fr)),
    ("#mestickets", Some(Lang::Fr)),
    ("mes tickets", Some(Lang::Fr)),
];

/// A mail that asks for its sender's tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListRequest {
    /// The language of the words asked with, when they tell it.
    pub words: Option<Lang>,
}

/// Whether `subject` is a `#list` request (SPEC §3.10): `#list` (`#mes-tickets`), or just
/// "my tickets" / "mes tickets", whatever the case, accents, reply prefixes and closing
/// punctuation. A subject that says more is a question of its own (a new ticket).
pub(crate) fn list_request(subject: &str) -> Option<ListRequest> {
    let folded = fold(strip_subject_prefixes(subject));
    let words: Vec<&str> = folded
        .trim_end_matches(|c: char| c.is_whitespace() || matches!(c, '.' | '!' | '?' | ':'))
        .split_whitespace()
        .collect();
    let said = words.join(" ");
    LIST_SUBJECTS
        .iter()
        .find(|(s, _)| *s == said)
        .map(|(_, words)| ListRequest { words: *words })
}

/// The answer to a `#list` request from `sender`: one mail listing the tickets where they are
/// reporter or participant (`ctx.facts.tickets_of_sender`), open ones first, newest first;
/// no ticket is opened. It is an automatic answer (the hourly limit of SPEC §3.6 applies),
/// in the sender's language; automated mail is never answered.
pub(crate) fn answer_list(
    mail: &InboundMail,
    sender: &str,
    request: ListRequest,
    ctx: &Context,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    if let Some(rule) = classify::automated_rule(mail) {
        why.push(Decision::ListFromAutomated { rule });
        return Outcome {
            effects: vec![],
            decision: why,
        };
    }
    let header = mail.content_language.as_deref().and_then(Lang::from_tag);
    let language = match (header, request.words) {
        (None, Some(lang)) => LanguageChoice {
            lang,
            other_header: mail.content_language.clone(),
            how: LanguageRule::RequestWords,
        },
        _ => language_of(mail, policy),
    };
    let lang = language.lang;
    let mut listed = ctx.facts.tickets_of_sender.clone();
    listed.sort_by_key(|t| {
        (
            t.state == State::Closed,
            Reverse(t.updated_at),
            Reverse(t.id),
        )
    });
    let total = listed.len();
    listed.truncate(LIST_MAX);
    let more = (total - listed.len()) as u32;
    let open = listed.iter().filter(|t| t.state != State::Closed).count();
    why.push(Decision::ListAsked {
        sender: sender.to_string(),
        total,
        open,
    });
    why.push(Decision::Language(language));
    let mut about = no_ticket("", lang, ctx.new_id.slot());
    about.reporter = sender.to_string();
    // The answer threads under the request, which its sender has seen.
    about.public_thread = mail.message_id.iter().cloned().collect();
    about.thread = about.public_thread.clone();
    let mut out = Outcome {
        effects: vec![Effect::Notify(Notice {
            listed,
            listed_more: more,
            answers_customer: true,
            ..notice(
                NoticeKind::TicketList,
                vec![sender.to_string()],
                lang,
                about,
                &policy.gateway_address,
                mail,
            )
        })],
        decision: why,
    };
    deliver(&mut out, policy, ctx.now, &ctx.facts);
    out
}

/// A button of the ticket page: a reply the customer's mail client opens prefilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageAction {
    /// A comment ("give feedback"): waiting for feedback → open, else no change.
    Feedback,
    /// `#close` ("validate"): the ticket is closed.
    Validate,
    /// A comment on a resolved ticket: it is reopened (the text says why).
    Reopen,
}

impl PageAction {
    pub fn as_str(self) -> &'static str {
        match self {
            PageAction::Feedback => "feedback",
            PageAction::Validate => "validate",
            PageAction::Reopen => "reopen",
        }
    }
}

/// The buttons a ticket in `state` offers: exactly what a customer's reply may do there
/// (SPEC §2.2, the customer table, through [`customer_reply`]). A closed ticket offers none.
pub(crate) fn page_actions(state: State) -> Vec<PageAction> {
    let mut actions = Vec::new();
    match customer_reply(state, None) {
        CustomerAction::Comment(State::Reopened) if state != State::Reopened => {
            actions.push(PageAction::Reopen)
        }
        CustomerAction::Comment(_) => actions.push(PageAction::Feedback),
        CustomerAction::ClosedReply | CustomerAction::NoChange => {}
    }
    if customer_reply(state, Some(Keyword::Close)) == CustomerAction::Comment(State::Closed) {
        actions.push(PageAction::Validate);
    }
    actions
}

/// One entry of a ticket's public history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicEvent<'a> {
    pub event: &'a Event,
    /// The author's address when it is a customer of the ticket; `None` for staff and the
    /// gateway (whose addresses the page never shows).
    pub author: Option<&'a str>,
}

/// What the ticket's page shows of its history, in order: the customers' mails, staff public
/// comments, state changes, reminders. Never a `#note`, a refused or held staff mail,
/// automated mail, a delivery failure, or an address that is not already on the ticket.
pub(crate) fn public_history(t: &Ticket) -> Vec<PublicEvent<'_>> {
    t.events
        .iter()
        .filter(|e| match e.kind {
            EventKind::Created | EventKind::Comment => t.is_customer(&e.from),
            EventKind::StaffComment | EventKind::Reminder | EventKind::AutoClose => true,
            EventKind::Note
            | EventKind::Refused
            | EventKind::Automated
            | EventKind::DeliveryFailure
            | EventKind::Held
            // A change of fields or owner alone has no text (the page shows the fields), and
            // an escalation is the team's.
            | EventKind::Changed
            | EventKind::Escalation => false,
        })
        .map(|e| PublicEvent {
            event: e,
            author: match e.kind {
                EventKind::Created | EventKind::Comment => Some(e.from.as_str()),
                _ => None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::delivery::Facts;
    use crate::core::{Address, ListedTicket, Policy, TicketId};

    #[test]
    fn a_list_request_is_the_whole_subject_in_either_language() {
        for (subject, words) in [
            ("#list", None),
            ("#LIST", None),
            ("  #list  ", None),
            ("Re: #list", None),
            ("#mes-tickets", Some(Lang::Fr)),
            ("#Mes-Tickets", Some(Lang::Fr)),
            ("my tickets", Some(Lang::En)),
            ("My Tickets?", Some(Lang::En)),
            ("mes tickets", Some(Lang::Fr)),
            ("MES  TICKETS !", Some(Lang::Fr)),
            ("TR: Mes tickets", Some(Lang::Fr)),
        ] {
            assert_eq!(
                list_request(subject),
                Some(ListRequest { words }),
                "{subject}"
            );
        }
        for subject in [
            "",
            "list",
            "#lists",
            "my tickets are all broken",
            "Where are my tickets",
            "[SUP-4] #list please",
            "tickets",
        ] {
            assert_eq!(list_request(subject), None, "{subject}");
        }
    }

    /// SPEC §2.2, the customer table, as the page's buttons.
    #[test]
    fn the_page_offers_what_a_customer_reply_may_do_in_each_state() {
        use PageAction::*;
        for (state, expect) in [
            (State::Open, vec![Feedback, Validate]),
            (State::Acknowledged, vec![Feedback, Validate]),
            (State::InProgress, vec![Feedback, Validate]),
            (State::Reopened, vec![Feedback, Validate]),
            (State::WaitingForFeedback, vec![Feedback, Validate]),
            (State::Resolved, vec![Reopen, Validate]),
            (State::Closed, vec![]),
        ] {
            assert_eq!(page_actions(state), expect, "{}", state.as_str());
        }
    }

    fn event(kind: EventKind, from: &str, text: &str) -> Event {
        Event {
            at: 1,
            kind,
            from: from.into(),
            text: text.into(),
            from_state: None,
            to_state: None,
            message_id: None,
            attachments: vec![],
            decision: vec![],
        }
    }

    #[test]
    fn the_public_history_never_holds_internal_mail_or_staff_addresses() {
        let mut t = ticket(7, State::Open, 1);
        t.participants = vec!["bob@x.test".into()];
        t.events = vec![
            event(EventKind::Created, "alice@x.test", "It broke"),
            event(EventKind::Note, "staff@gateway.test", "NOTE-SECRET"),
            event(
                EventKind::StaffComment,
                "staff@gateway.test",
                "Which model?",
            ),
            event(EventKind::Held, "staff@gateway.test", "HELD-SECRET"),
            event(EventKind::Refused, "staff@gateway.test", "REFUSED-SECRET"),
            event(EventKind::Automated, "robot@elsewhere.test", "AUTO-SECRET"),
            event(EventKind::DeliveryFailure, "mailer@x.test", "BOUNCE-SECRET"),
            event(EventKind::Comment, "bob@x.test", "Model 7"),
            event(EventKind::Reminder, "support@gateway.test", ""),
            event(EventKind::AutoClose, "support@gateway.test", ""),
        ];
        let h = public_history(&t);
        let seen: Vec<(EventKind, Option<&str>, &str)> = h
            .iter()
            .map(|p| (p.event.kind, p.author, p.event.text.as_str()))
            .collect();
        assert_eq!(
            seen,
            [
                (EventKind::Created, Some("alice@x.test"), "It broke"),
                (EventKind::StaffComment, None, "Which model?"),
                (EventKind::Comment, Some("bob@x.test"), "Model 7"),
                (EventKind::Reminder, None, ""),
                (EventKind::AutoClose, None, ""),
            ]
        );
    }

    fn ticket(id: u64, state: State, updated_at: i64) -> Ticket {
        Ticket {
            id: TicketId(id),
            summary: format!("Ticket {id}"),
            state,
            reporter: "alice@x.test".into(),
            participants: vec![],
            reporter_name: String::new(),
            fields: Default::default(),
            owner: None,
            language: Lang::En,
            created_at: 0,
            updated_at,
            state_since: 0,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec![],
            sent: vec![],
            events: vec![],
        }
    }

    fn request(subject: &str) -> InboundMail {
        InboundMail {
            message_id: Some("list@x.test".into()),
            from: Some(Address::new("alice@x.test")),
            to: vec![Address::new("support@gateway.test")],
            subject: subject.into(),
            ..Default::default()
        }
    }

    fn answer(mail: &InboundMail, facts: Facts) -> Outcome {
        let policy = Policy::for_tests();
        let mut ctx = Context::new(&policy, 10_000, TicketId(99));
        ctx.facts = facts;
        let req = list_request(&mail.subject).expect("a list request");
        answer_list(mail, "alice@x.test", req, &ctx, vec![])
    }

    #[test]
    fn the_list_answer_puts_open_tickets_first_and_opens_none() {
        let facts = Facts {
            tickets_of_sender: [
                ticket(1, State::Closed, 900),
                ticket(2, State::Open, 100),
                ticket(3, State::Resolved, 500),
                ticket(4, State::Closed, 50),
            ]
            .iter()
            .map(ListedTicket::of)
            .collect(),
            ..Facts::default()
        };
        let out = answer(&request("Re: My tickets"), facts);
        assert!(out.saved().is_none(), "no ticket opened");
        let n: Vec<&Notice> = out.notices().collect();
        assert_eq!(n.len(), 1);
        let n = n[0];
        assert_eq!(n.kind, NoticeKind::TicketList);
        assert_eq!(n.to, ["alice@x.test"]);
        assert!(n.answers_customer, "an automatic answer: rate-limited");
        assert_eq!(n.lang, Lang::En);
        assert_eq!(n.in_reply_to.as_deref(), Some("list@x.test"));
        assert_eq!(n.ticket.public_thread, ["list@x.test"]);
        let ids: Vec<u64> = n.listed.iter().map(|t| t.id.0).collect();
        assert_eq!(ids, [3, 2, 1, 4]);
        assert!(
            out.log().iter().any(|d| d.contains("4 ticket(s)")),
            "{:?}",
            out.decision
        );
    }

    #[test]
    fn the_list_answer_speaks_french_is_capped_and_rate_limited() {
        let many: Vec<ListedTicket> = (1..=LIST_MAX as u64 + 3)
            .map(|i| ListedTicket::of(&ticket(i, State::Open, i as i64)))
            .collect();
        let facts = Facts {
            tickets_of_sender: many,
            ..Facts::default()
        };
        let out = answer(&request("mes tickets"), facts.clone());
        let n = out.notices().next().expect("answered");
        assert_eq!(n.lang, Lang::Fr);
        assert_eq!((n.listed.len(), n.listed_more), (LIST_MAX, 3));
        let mut en = request("#mes-tickets");
        en.content_language = Some("en".into());
        assert_eq!(
            answer(&en, facts.clone()).notices().next().unwrap().lang,
            Lang::En
        );

        let limited = Facts {
            answers_last_hour: [("alice@x.test".to_string(), 5)].into(),
            ..facts
        };
        let out = answer(&request("#list"), limited);
        assert_eq!(out.notices().count(), 0, "past the hourly limit");
        assert!(
            out.log()
                .iter()
                .any(|d| d.contains("automatic answers in the last hour")),
            "{:?}",
            out.decision
        );
    }

    #[test]
    fn automated_mail_asking_for_the_list_is_not_answered() {
        let mut m = request("#list");
        m.auto.auto_submitted = Some("auto-replied".into());
        let out = answer(&m, Facts::default());
        assert!(out.effects.is_empty(), "{out:?}");
    }
}
