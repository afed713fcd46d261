//! Who actually gets the mails a decision asks for (SPEC §3.6, §5.4): never the gateway itself
//! (its address, an alias, a plus-address), nobody paused after a hard bounce, at most
//! `gateway.max_replies_per_hour` automatic answers to an address in an hour, and, past that
//! many mails from one sender in an hour, staff get that sender's mails in one summary an hour
//! instead of one mail each.
//!
//! Pure: what the store knows (answers sent, pauses, mails received) comes in as [`Facts`],
//! looked up by the caller before it decides.

use std::collections::BTreeMap;

use super::decision::{Decision, NotSentBecause};

use super::effect::{Effect, FloodItem, ListedTicket, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::{Audience, Lang, Policy, State, TicketId};

/// How long the hourly windows of SPEC §3.6 are.
pub const HOUR: i64 = 3600;

/// What the store knows that a decision needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Automatic answers each address got in the last hour (an address not listed: none).
    pub answers_last_hour: BTreeMap<String, u32>,
    /// Addresses that hard-bounced a gateway mail, and until when they get no mail.
    pub paused_until: BTreeMap<String, i64>,
    /// Mails from this mail's sender in the last hour, this one not counted.
    pub sender_mails_last_hour: u32,
    /// For a delivery-status report: the gateway mail whose Message-ID it names, if the
    /// gateway queued and sent that mail.
    pub reported: Option<ReportedMail>,
    /// For a `#list` request (SPEC §3.10): the tickets where the sender is reporter or
    /// participant.
    pub tickets_of_sender: Vec<ListedTicket>,
}

/// A mail the gateway sent, as a delivery report's Message-ID names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportedMail {
    pub ticket: TicketId,
    pub message_id: String,
    /// Its own recipients: the only addresses a report about it may pause.
    pub to: Vec<String>,
    pub audience: Audience,
}

/// Turns the staff notices of `out` into items of the sender's hourly summary when the
/// sender wrote more than `max_replies_per_hour` mails in the last hour (SPEC §3.6): tickets
/// are still made and recorded; staff are not mailed one by one. Staff senders are never
/// summed up, and neither is anyone when the limit is 0.
pub(crate) fn fold_flood(
    out: &mut Outcome,
    sender: &str,
    policy: &Policy,
    now: i64,
    facts: &Facts,
) {
    let max = policy.max_replies_per_hour;
    if max == 0 || facts.sender_mails_last_hour < max {
        return;
    }
    let mut folded = 0;
    for e in &mut out.effects {
        if let Effect::Notify(n) = e {
            if n.audience == Audience::Staff {
                *e = Effect::Flood(FloodItem {
                    sender: sender.to_string(),
                    ticket: n.ticket.id,
                    summary: n.ticket.summary.clone(),
                    kind: n.kind,
                    at: now,
                });
                folded += 1;
            }
        }
    }
    if folded > 0 {
        out.decision.push(Decision::FloodFolded {
            mails: facts.sender_mails_last_hour + 1,
            sender: sender.to_string(),
            max,
        });
    }
}

/// Applies the delivery rules to every notice of `out`: drops the recipients that must not
/// get it (saying why in the decision log), and the notices left without one.
pub fn deliver(out: &mut Outcome, policy: &Policy, now: i64, facts: &Facts) {
    let mut answered: BTreeMap<String, u32> = BTreeMap::new();
    let mut why = Vec::new();
    for e in &mut out.effects {
        let Effect::Notify(n) = e else { continue };
        let kind = n.kind;
        let mut refuse = |to: &str, because| {
            why.push(Decision::NotSent {
                kind,
                to: to.to_string(),
                because,
            });
            false
        };
        n.to.retain(|addr| {
            if policy.is_gateway_address(addr) {
                return refuse(addr, NotSentBecause::Gateway);
            }
            if let Some(&until) = facts.paused_until.get(addr).filter(|u| **u > now) {
                return refuse(addr, NotSentBecause::Paused { until });
            }
            if n.answers_customer {
                let before = facts.answers_last_hour.get(addr).copied().unwrap_or(0);
                let now_sent = answered.entry(addr.clone()).or_insert(0);
                let sent = before + *now_sent;
                if sent >= policy.max_replies_per_hour {
                    return refuse(
                        addr,
                        NotSentBecause::RateLimited {
                            sent,
                            max: policy.max_replies_per_hour,
                        },
                    );
                }
                *now_sent += 1;
            }
            true
        });
    }
    out.effects
        .retain(|e| !matches!(e, Effect::Notify(n) if n.to.is_empty()));
    out.decision.extend(why);
}

/// The hourly summary of one sender's mails to staff (SPEC §3.6): `items` listed, `more`
/// counted.
pub(crate) fn flood_summary(
    sender: &str,
    items: Vec<FloodItem>,
    more: u32,
    policy: &Policy,
    now: i64,
) -> Outcome {
    let why = vec![Decision::FloodSummary {
        mails: items.len() + more as usize,
        sender: sender.to_string(),
    }];
    let mut out = Outcome {
        effects: vec![
            Effect::FloodDone(sender.to_string()),
            Effect::Notify(Notice {
                flood: items,
                flood_more: more,
                ..Notice::new(
                    NoticeKind::FloodSummary,
                    policy.staff_notify.clone(),
                    policy.default_language,
                    no_ticket(sender, policy.default_language, 0),
                    sender,
                )
            }),
        ],
        decision: why,
    };
    deliver(&mut out, policy, now, &Facts::default());
    out
}

/// The ticket a notice about no ticket shows (a quarantined mail, a summary): number 0 of
/// the slot of the queue that sends it.
pub(crate) fn no_ticket(summary: &str, lang: Lang, slot: u32) -> TicketSnapshot {
    TicketSnapshot {
        id: TicketId::new(slot, 0),
        summary: summary.to_string(),
        state: State::Open,
        reporter: String::new(),
        reporter_name: String::new(),
        participants: vec![],
        language: lang,
        fields: Default::default(),
        owner: None,
        description: String::new(),
        thread: vec![],
        public_thread: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::workflow::{decide, Context};
    use crate::core::{Address, InboundMail};

    fn mail(from: &str, subject: &str) -> InboundMail {
        InboundMail {
            message_id: Some(format!("{subject}@client.test")),
            from: Some(Address::new(from)),
            to: vec![Address::new("support@gateway.test")],
            subject: subject.into(),
            body: "Hello?".into(),
            reply_text: "Hello?".into(),
            ..Default::default()
        }
    }

    fn run(m: &InboundMail, facts: Facts) -> Outcome {
        let policy = Policy::for_tests();
        let mut ctx = Context::new(&policy, 10_000, TicketId(1));
        ctx.facts = facts;
        decide(None, m, &ctx)
    }

    #[test]
    fn answers_stop_at_the_hourly_limit_and_staff_are_summed_up_past_it() {
        let m = mail("alice@customer.test", "Question");
        let o = run(&m, Facts::default());
        let kinds: Vec<_> = o.notices().map(|n| n.kind).collect();
        assert_eq!(kinds, [NoticeKind::Acknowledgement, NoticeKind::NewTicket]);

        let mut facts = Facts::default();
        facts
            .answers_last_hour
            .insert("alice@customer.test".into(), 5);
        facts.sender_mails_last_hour = 5;
        let o = run(&m, facts);
        assert_eq!(o.notices().count(), 0, "{o:#?}");
        assert!(o.saved().is_some(), "the ticket is still made");
        let flood: Vec<_> = o
            .effects
            .iter()
            .filter_map(|e| match e {
                Effect::Flood(f) => Some(f),
                _ => None,
            })
            .collect();
        assert_eq!(flood.len(), 1);
        assert_eq!(
            (flood[0].sender.as_str(), flood[0].ticket, flood[0].kind),
            ("alice@customer.test", TicketId(1), NoticeKind::NewTicket)
        );
        let log = o.log().join("\n");
        assert!(log.contains("max_replies_per_hour"), "{log}");
        assert!(log.contains("hourly summary"), "{log}");
    }

    #[test]
    fn staff_are_never_summed_up() {
        let mut t = crate::core::Ticket {
            id: TicketId(1),
            summary: "Printer".into(),
            state: State::Open,
            reporter: "alice@customer.test".into(),
            participants: vec![],
            reporter_name: String::new(),
            fields: Default::default(),
            owner: None,
            language: Lang::En,
            created_at: 0,
            updated_at: 0,
            state_since: 0,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec![],
            sent: vec![],
            events: vec![],
        };
        t.thread.push("x@y".into());
        let policy = Policy::for_tests();
        let mut ctx = Context::new(&policy, 10_000, TicketId(2));
        ctx.facts.sender_mails_last_hour = 100;
        let m = mail("staff@gateway.test", "Re: [SUP-1] Printer");
        let m = InboundMail {
            reply_text: "#bogus\nhello".into(),
            ..m
        };
        let o = decide(Some((&t, crate::core::MatchedBy::Tag)), &m, &ctx);
        assert!(o.notices().any(|n| n.kind == NoticeKind::Held), "{o:#?}");
    }

    #[test]
    fn paused_and_own_addresses_get_nothing() {
        let mut m = mail("alice@customer.test", "Question");
        m.cc = vec![
            Address::new("help@gateway.test"),
            Address::new("support+billing@gateway.test"),
            Address::new("bob@customer.test"),
        ];
        let mut facts = Facts::default();
        facts
            .paused_until
            .insert("alice@customer.test".into(), 20_000);
        facts.paused_until.insert("bob@customer.test".into(), 9_000);
        let o = run(&m, facts);
        let t = o.saved().unwrap();
        assert_eq!(t.participants, ["bob@customer.test"]);
        let ack = o
            .notices()
            .find(|n| n.kind == NoticeKind::Acknowledgement)
            .unwrap();
        assert_eq!(
            ack.to,
            ["bob@customer.test"],
            "alice paused; bob's pause is over"
        );
        assert!(o.log().iter().any(|d| d.contains("hard-bounced")));
    }

    #[test]
    fn a_summary_lists_the_items_to_staff() {
        let policy = Policy::for_tests();
        let item = FloodItem {
            sender: "m@evil.test".into(),
            ticket: TicketId(4),
            summary: "Flood".into(),
            kind: NoticeKind::NewTicket,
            at: 1,
        };
        let o = flood_summary("m@evil.test", vec![item.clone()], 7, &policy, 5000);
        let n = o.notices().next().unwrap();
        assert_eq!(n.to, policy.staff_notify);
        assert_eq!((n.flood.clone(), n.flood_more), (vec![item], 7));
        assert!(o
            .effects
            .iter()
            .any(|e| matches!(e, Effect::FloodDone(s) if s == "m@evil.test")));
        assert_eq!(n.ticket.id, TicketId(0));
    }
}
