//! A mail the gateway cannot process (SPEC §3.8): quarantined, and its sender (as far as its
//! headers tell) told in a short notice, in their language, unless the mail is automated or
//! the gateway's own. The notice says why from a closed set ([`QuarantineReason`]); the
//! internal detail (parser or panic message, limits in bytes, configuration keys) goes to the
//! decision log only.

use super::decision::{Decision, NoNotice};
use super::delivery::{deliver, no_ticket};
use super::effect::{Effect, Notice, NoticeKind, Outcome, QuarantineReason};
use super::language::language_of;
use super::workflow::Context;
use super::{classify, InboundMail};

/// Decides on a mail that is quarantined for `reason`; `detail` is what the operator reads,
/// `hint` the mail's headers when they could be read.
pub fn quarantine(
    reason: QuarantineReason,
    detail: &str,
    hint: Option<&InboundMail>,
    ctx: &Context,
) -> Outcome {
    let policy = ctx.policy;
    let mut out = Outcome {
        effects: vec![Effect::Quarantine(reason)],
        decision: vec![Decision::Quarantined {
            detail: detail.to_string(),
        }],
    };
    let Some(mail) = hint else {
        return out;
    };
    let from = mail.from.as_ref().filter(|f| f.addr.contains('@'));
    match (from, classify::automated_rule(mail)) {
        (_, Some(rule)) => out
            .decision
            .push(Decision::NoQuarantineNotice(NoNotice::Automated { rule })),
        (None, None) => out
            .decision
            .push(Decision::NoQuarantineNotice(NoNotice::NoSender)),
        (Some(from), None) if policy.is_gateway_address(&from.addr) => out
            .decision
            .push(Decision::NoQuarantineNotice(NoNotice::OwnAddress)),
        (Some(from), None) => {
            let language = language_of(mail, policy);
            let lang = language.lang;
            let subject: String = mail.subject.trim().chars().take(200).collect();
            let subject = if subject.is_empty() {
                "(no subject)".to_string()
            } else {
                subject
            };
            let mut ticket = no_ticket(&subject, lang, ctx.new_id.slot());
            ticket.reporter = from.addr.clone();
            ticket.thread = mail.message_id.iter().cloned().collect();
            ticket.public_thread = ticket.thread.clone();
            out.decision.push(Decision::QuarantineNotice {
                to: from.addr.clone(),
                reason,
                language,
            });
            out.effects.push(Effect::Notify(Notice {
                quarantine: Some(reason),
                in_reply_to: mail.message_id.clone(),
                answers_customer: true,
                ..Notice::new(
                    NoticeKind::Quarantined,
                    vec![from.addr.clone()],
                    lang,
                    ticket,
                    &policy.gateway_address,
                )
            }));
        }
    }
    deliver(&mut out, policy, ctx.now, &ctx.facts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Address, Lang, Policy, TicketId};

    fn hint(from: &str, lang: Option<&str>) -> InboundMail {
        InboundMail {
            message_id: Some("big@client.test".into()),
            from: Some(Address::new(from)),
            subject: "Journal".into(),
            content_language: lang.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn the_notice_says_why_from_the_closed_set_in_the_senders_language() {
        let policy = Policy::for_tests();
        let ctx = Context::new(&policy, 1, TicketId(1));
        let detail = "message of 3000000 bytes is over gateway.max_message_size (1048576 bytes)";
        let reason = QuarantineReason::TooBig { limit: 1 << 20 };
        let o = quarantine(reason, detail, Some(&hint("a@x.test", Some("fr"))), &ctx);
        assert_eq!(o.quarantine(), Some(reason));
        let n = o.notices().next().expect("a notice");
        assert_eq!((n.lang, n.quarantine), (Lang::Fr, Some(reason)));
        assert_eq!(n.to, ["a@x.test"]);
        assert!(n.reason.is_empty() && n.text.is_empty(), "no detail: {n:?}");
        assert!(o.log()[0].contains("max_message_size"), "{:?}", o.decision);
    }

    #[test]
    fn automated_own_and_senderless_mail_gets_no_notice() {
        let policy = Policy::for_tests();
        let ctx = Context::new(&policy, 1, TicketId(1));
        let mut auto = hint("a@x.test", None);
        auto.auto.auto_submitted = Some("auto-generated".into());
        let own = hint("support+x@gateway.test", None);
        let nobody = InboundMail::default();
        for m in [Some(&auto), Some(&own), Some(&nobody), None] {
            let o = quarantine(QuarantineReason::Internal, "panic: boom", m, &ctx);
            assert_eq!(o.notices().count(), 0, "{o:#?}");
            assert_eq!(o.quarantine(), Some(QuarantineReason::Internal));
        }
    }
}
