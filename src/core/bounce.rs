//! Delivery-status reports (SPEC §3.6). Anyone can write one, so a report counts only when it
//! names, by Message-ID, a mail the gateway sent ([`super::Facts::reported`], looked up in its
//! sent records, never in a ticket's thread, which holds incoming ids too), and it pauses
//! only that mail's own recipients that it names as failed. Anything else is recorded as
//! automated mail and changes nothing: a report never silences staff through a customer's
//! mail, nor a customer through their own mail.

use super::decision::{Decision, FailedRecipient};
use super::effect::{Effect, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::workflow::{notice, push_event, Context};
use super::{DeliveryRecipient, EventKind, InboundMail, Ticket};

/// Decides on a delivery-status report. `found` is the ticket of the reported mail when the
/// gateway sent it, else the ticket the report matched otherwise (tag, references), if any.
pub fn report(
    found: Option<&Ticket>,
    mail: &InboundMail,
    ctx: &Context,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let named = mail
        .delivery_report
        .as_ref()
        .and_then(|r| r.original_message_id.clone())
        .unwrap_or_else(|| "none".into());
    let sent = ctx
        .facts
        .reported
        .as_ref()
        .filter(|r| found.is_some_and(|t| t.id == r.ticket) && r.message_id == named);
    let (Some(t), Some(sent)) = (found, sent) else {
        why.push(Decision::ReportUnknown { named });
        return automated(found, mail, ctx, why);
    };
    let failed: Vec<&DeliveryRecipient> = mail
        .delivery_report
        .iter()
        .flat_map(|r| &r.recipients)
        .filter(|r| r.action.trim().eq_ignore_ascii_case("failed"))
        .collect();
    let (ours, others): (Vec<&DeliveryRecipient>, Vec<&DeliveryRecipient>) =
        failed.into_iter().partition(|r| {
            let addr = r.address.trim().to_ascii_lowercase();
            sent.to.iter().any(|a| a.eq_ignore_ascii_case(&addr))
        });
    for r in &others {
        why.push(Decision::NotARecipient {
            address: r.address.clone(),
            named: named.clone(),
        });
    }
    if ours.is_empty() {
        why.push(Decision::ReportNoFailure { named });
        return automated(found, mail, ctx, why);
    }
    let failed: Vec<FailedRecipient> = ours
        .iter()
        .map(|r| FailedRecipient {
            address: r.address.clone(),
            status: r.status.clone(),
            diagnostic: r.diagnostic.clone(),
        })
        .collect();
    let text = format!(
        "delivery failed: {}",
        failed
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    why.push(Decision::DeliveryFailed {
        named: named.clone(),
        audience: sent.audience,
        failed,
    });
    let mut effects = Vec::new();
    for r in &ours {
        if r.status.trim().starts_with('5') {
            let until = ctx.now + policy.hard_bounce_pause;
            why.push(Decision::HardBounced {
                address: r.address.clone(),
                status: r.status.clone(),
            });
            effects.push(Effect::HardBounce {
                address: r.address.trim().to_ascii_lowercase(),
                until,
            });
        }
    }
    let mut t = t.clone();
    push_event(
        &mut t,
        mail,
        ctx.now,
        EventKind::DeliveryFailure,
        sender,
        text.clone(),
        None,
        &why,
    );
    let snap = TicketSnapshot::of(&t);
    effects.insert(0, Effect::Save(t));
    effects.push(Effect::Notify(Notice {
        reason: text,
        in_reply_to: None,
        ..notice(
            NoticeKind::DeliveryFailure,
            policy.staff_notify.clone(),
            policy.default_language,
            snap,
            sender,
            mail,
        )
    }));
    Outcome {
        effects,
        decision: why,
    }
}

/// A report that counts for nothing: recorded on the ticket it matched, if any.
fn automated(
    found: Option<&Ticket>,
    mail: &InboundMail,
    ctx: &Context,
    why: Vec<Decision>,
) -> Outcome {
    let Some(t) = found else {
        return Outcome {
            effects: vec![],
            decision: why,
        };
    };
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let mut t = t.clone();
    let text = mail.reply_text.clone();
    push_event(
        &mut t,
        mail,
        ctx.now,
        EventKind::Automated,
        sender,
        text,
        None,
        &why,
    );
    Outcome {
        effects: vec![Effect::Save(t)],
        decision: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::workflow::{decide, MatchedBy};
    use crate::core::{
        Address, Audience, DeliveryReport, Lang, Policy, ReportedMail, State, TicketId,
    };

    const ACK: &str = "tg.7.00000000000000000000000000000000@gateway.test";

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId(7),
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
            thread: vec!["alice.1@customer.test".into(), ACK.into()],
            sent: vec![],
            events: vec![],
        }
    }

    fn dsn(original: &str, failed: &str) -> InboundMail {
        InboundMail {
            message_id: Some("dsn@mx.test".into()),
            from: Some(Address::new("mailer-daemon@mx.test")),
            subject: "Undelivered Mail".into(),
            delivery_report: Some(DeliveryReport {
                original_message_id: Some(original.into()),
                recipients: vec![DeliveryRecipient {
                    address: failed.into(),
                    action: "failed".into(),
                    status: "5.1.1".into(),
                    diagnostic: None,
                }],
            }),
            ..Default::default()
        }
    }

    fn run(m: &InboundMail, reported: Option<ReportedMail>) -> Outcome {
        let policy = Policy::for_tests();
        let mut ctx = Context::new(&policy, 1000, TicketId(8));
        ctx.facts.reported = reported;
        let t = ticket();
        decide(Some((&t, MatchedBy::Reference)), m, &ctx)
    }

    fn ack() -> ReportedMail {
        ReportedMail {
            ticket: TicketId(7),
            message_id: ACK.into(),
            to: vec!["alice@customer.test".into()],
            audience: Audience::Customers,
        }
    }

    fn paused(o: &Outcome) -> Vec<&str> {
        o.effects
            .iter()
            .filter_map(|e| match e {
                Effect::HardBounce { address, .. } => Some(address.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_report_of_a_sent_mail_pauses_its_own_failed_recipient_only() {
        let o = run(&dsn(ACK, "Alice@Customer.test"), Some(ack()));
        assert_eq!(paused(&o), ["alice@customer.test"]);
        let t = o.saved().unwrap();
        assert_eq!(t.events.last().unwrap().kind, EventKind::DeliveryFailure);
        assert!(o.notices().any(|n| n.kind == NoticeKind::DeliveryFailure));
    }

    #[test]
    fn a_report_naming_anyone_else_or_another_id_changes_nothing() {
        for (m, reported) in [
            // Staff named through a customer's mail.
            (dsn(ACK, "team@gateway.test"), Some(ack())),
            // The customer's own incoming id: the gateway never sent it.
            (dsn("alice.1@customer.test", "alice@customer.test"), None),
            // An id the gateway never sent, though it names the ticket.
            (
                dsn(
                    "tg.7.11111111111111111111111111111111@gateway.test",
                    "alice@customer.test",
                ),
                None,
            ),
            // The facts name another mail than the report.
            (
                dsn("alice.1@customer.test", "alice@customer.test"),
                Some(ack()),
            ),
        ] {
            let o = run(&m, reported);
            assert!(paused(&o).is_empty(), "{o:#?}");
            assert_eq!(o.notices().count(), 0, "{o:#?}");
            let t = o.saved().unwrap();
            assert_eq!(t.state, State::Open);
            assert_eq!(t.events.last().unwrap().kind, EventKind::Automated);
            assert!(
                o.log().iter().any(|d| d.contains("nothing changed")),
                "{:?}",
                o.decision
            );
        }
    }
}
