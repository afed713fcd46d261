//! The support workflow of SPEC §2: the transition tables as data, and [`decide`], which turns
//! (ticket, mail, policy, now) into an [`Outcome`] without doing anything.

use super::attachments::forwardable;
use super::classify::{self, StaffCheck};
use super::customer_view::{answer_list, list_request};
use super::decision::{CustomerRole, Decision};
use super::delivery::{deliver, fold_flood, Facts};
use super::effect::{Effect, Notice, NoticeKind, Outcome, QuarantineReason, TicketSnapshot};
use super::fields::customer_fields;
use super::keyword;
use super::language::{language_of, LanguageChoice};
use super::{bounce, text};
use super::{
    AttachmentInfo, ClosedReply, Event, EventKind, InboundMail, Keyword, Lang, Policy, State,
    Ticket, TicketId,
};

/// The longest summary a ticket keeps, in characters: every gateway mail repeats it in its
/// subject, so a 60,000-character subject is cut (SPEC §3.1).
pub(crate) const MAX_SUMMARY_CHARS: usize = 200;

// ---------------------------------------------------------------------------------------------
// SPEC §2.2, as data.

const ALL_BUT_CLOSED: &[State] = &[
    State::Open,
    State::Acknowledged,
    State::InProgress,
    State::WaitingForFeedback,
    State::Resolved,
    State::Reopened,
];

/// Staff keywords: (keyword, target state, allowed from).
pub(crate) const STAFF_TRANSITIONS: &[(Keyword, State, &[State])] = &[
    (
        Keyword::Ack,
        State::Acknowledged,
        &[State::Open, State::Reopened, State::InProgress],
    ),
    (
        Keyword::Progress,
        State::InProgress,
        &[State::Open, State::Reopened, State::Acknowledged],
    ),
    (
        Keyword::Waiting,
        State::WaitingForFeedback,
        &[
            State::Open,
            State::Reopened,
            State::Acknowledged,
            State::InProgress,
        ],
    ),
    (Keyword::Resolve, State::Resolved, ALL_BUT_CLOSED),
    (Keyword::Close, State::Closed, ALL_BUT_CLOSED),
    (
        Keyword::Reopen,
        State::Reopened,
        &[State::Resolved, State::Closed],
    ),
];

/// A staff keyword applied in `from`: the new state, or the keywords allowed in `from`.
pub(crate) fn staff_transition(keyword: Keyword, from: State) -> Result<State, Vec<Keyword>> {
    for (kw, to, allowed) in STAFF_TRANSITIONS {
        if *kw == keyword {
            return if allowed.contains(&from) {
                Ok(*to)
            } else {
                Err(staff_keywords_allowed(from))
            };
        }
    }
    Err(staff_keywords_allowed(from))
}

/// The staff keywords allowed in a state (`#note` always is).
pub(crate) fn staff_keywords_allowed(from: State) -> Vec<Keyword> {
    let mut v: Vec<Keyword> = STAFF_TRANSITIONS
        .iter()
        .filter(|(_, _, allowed)| allowed.contains(&from))
        .map(|(kw, _, _)| *kw)
        .collect();
    v.push(Keyword::Note);
    v
}

/// What a customer's reply does (SPEC §2.2, second table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerAction {
    /// Comment; the state becomes this (or stays, if equal).
    Comment(State),
    /// The ticket is closed and the reply is a plain comment: `closed_reply` decides.
    ClosedReply,
    /// Recorded, nothing else.
    NoChange,
}

/// `keyword` is `None`, `Some(Close)` or `Some(Partial)`.
pub(crate) fn customer_reply(state: State, keyword: Option<Keyword>) -> CustomerAction {
    use CustomerAction::*;
    match (state, keyword) {
        (State::Closed, None) => ClosedReply,
        (State::Closed, Some(_)) => NoChange,
        (_, Some(Keyword::Close)) => Comment(State::Closed),
        (State::WaitingForFeedback, Some(Keyword::Partial)) => Comment(state),
        (State::WaitingForFeedback, _) => Comment(State::Open),
        (State::Resolved, _) => Comment(State::Reopened),
        (_, _) => Comment(state),
    }
}

// ---------------------------------------------------------------------------------------------
// decide

/// How a mail was matched to its ticket (SPEC §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Tag,
    Reference,
}

/// Everything [`decide`] needs besides the mail.
pub struct Context<'a> {
    pub policy: &'a Policy,
    /// Unix seconds.
    pub now: i64,
    /// The id a new ticket gets.
    pub new_id: TicketId,
    /// [`language_of`] this mail under this policy, when the caller worked it out ahead (the
    /// daemon does, on another core, for mail likely to open a ticket); else it is worked
    /// out here if a ticket is opened.
    pub language: Option<LanguageChoice>,
    /// What the store knows that the delivery rules need (answers sent, pauses, the
    /// sender's mails, the mail a delivery report names).
    pub facts: Facts,
}

impl<'a> Context<'a> {
    /// A context with the language left to [`decide`].
    pub fn new(policy: &'a Policy, now: i64, new_id: TicketId) -> Context<'a> {
        Context {
            policy,
            now,
            new_id,
            language: None,
            facts: Facts::default(),
        }
    }
}

/// Decides what one mail does. `found` is the ticket it matched, if any.
pub fn decide(found: Option<(&Ticket, MatchedBy)>, mail: &InboundMail, ctx: &Context) -> Outcome {
    let policy = ctx.policy;
    let mut why = Vec::new();
    let Some(from) = mail.from.as_ref().filter(|f| f.addr.contains('@')) else {
        return super::quarantine::quarantine(
            QuarantineReason::NoSender,
            "no usable sender (From)",
            Some(mail),
            ctx,
        );
    };
    let sender = from.addr.as_str();
    if policy.is_gateway_address(sender) {
        return Outcome {
            effects: vec![],
            decision: vec![Decision::OwnMail {
                sender: sender.to_string(),
            }],
        };
    }
    // SPEC §3.10: a request for the sender's list of tickets opens none, whatever it
    // matched (a reply whose subject was changed to `#list` still asks for the list).
    if let Some(request) = list_request(&mail.subject).filter(|_| mail.delivery_report.is_none()) {
        return answer_list(mail, sender, request, ctx, why);
    }
    match found {
        Some((t, by)) => why.push(Decision::Matched {
            tag: policy.tag(t.id),
            by,
        }),
        None => why.push(Decision::MatchedNothing),
    }
    if mail.reply_kept_whole {
        why.push(Decision::ReplyKeptWhole);
    }

    if mail.delivery_report.is_some() {
        let mut out = bounce::report(found.map(|(t, _)| t), mail, ctx, why);
        deliver(&mut out, policy, ctx.now, &ctx.facts);
        return out;
    }
    let automated = classify::automated_rule(mail);
    if let Some(rule) = &automated {
        why.push(Decision::Automated { rule: rule.clone() });
        if let Some((t, _)) = found {
            let mut t = t.clone();
            why.push(Decision::RecordedOn {
                tag: policy.tag(t.id),
            });
            push_event(
                &mut t,
                mail,
                ctx.now,
                EventKind::Automated,
                sender,
                mail.reply_text.clone(),
                None,
                &why,
            );
            return Outcome {
                effects: vec![Effect::Save(t)],
                decision: why,
            };
        }
    }

    let staff = classify::check_staff(mail, policy);
    let mut warning = None;
    let role_is_staff = match &staff {
        StaffCheck::Staff(how) => {
            why.push(Decision::Staff {
                sender: sender.to_string(),
                how: how.clone(),
            });
            true
        }
        StaffCheck::Failed(how) => {
            why.push(Decision::StaffUnauthenticated {
                sender: sender.to_string(),
                how: how.clone(),
            });
            warning = Some(how.clone());
            false
        }
        StaffCheck::NotStaff => false,
    };

    let mut out = match found {
        Some((t, _)) if role_is_staff && automated.is_none() => {
            super::staff::staff_reply(t, mail, ctx, why)
        }
        Some((t, _)) if t.is_customer(sender) => {
            let role = if t.reporter == sender {
                CustomerRole::Reporter
            } else {
                CustomerRole::Participant
            };
            why.push(Decision::Customer {
                sender: sender.to_string(),
                role,
            });
            customer_reply_outcome(t, mail, ctx, why)
        }
        Some((t, _)) => {
            why.push(Decision::Stranger {
                sender: sender.to_string(),
                tag: policy.tag(t.id),
            });
            new_ticket(mail, ctx, automated.is_some(), Some(t.id), why)
        }
        None => new_ticket(mail, ctx, automated.is_some(), None, why),
    };
    if let Some(how) = warning {
        let snapshot = out
            .saved()
            .map(TicketSnapshot::of)
            .or_else(|| found.map(|(t, _)| TicketSnapshot::of(t)));
        if let Some(ticket) = snapshot {
            out.decision.push(Decision::StaffWarned {
                to: policy.staff_notify.clone(),
            });
            // The template says what happened in the staff's language; `reason` is the
            // technical detail, `text` what the mail said.
            out.effects.push(Effect::Notify(Notice {
                reason: how,
                text: mail.reply_text.trim().to_string(),
                ..notice(
                    NoticeKind::StaffWarning,
                    policy.staff_notify.clone(),
                    policy.default_language,
                    ticket,
                    sender,
                    mail,
                )
            }));
        }
    }
    if !role_is_staff {
        fold_flood(&mut out, sender, policy, ctx.now, &ctx.facts);
    }
    deliver(&mut out, policy, ctx.now, &ctx.facts);
    out
}

pub(super) fn files(
    mail: &InboundMail,
    policy: &Policy,
    why: &mut Vec<Decision>,
) -> Vec<AttachmentInfo> {
    let (forward, note) = forwardable(&mail.attachments, policy.forward_attachments_max);
    why.extend(note);
    forward
}

pub(super) fn notice(
    kind: NoticeKind,
    to: Vec<String>,
    lang: Lang,
    ticket: TicketSnapshot,
    author: &str,
    mail: &InboundMail,
) -> Notice {
    Notice {
        in_reply_to: mail.message_id.clone(),
        ..Notice::new(kind, to, lang, ticket, author)
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) fn push_event(
    t: &mut Ticket,
    mail: &InboundMail,
    now: i64,
    kind: EventKind,
    from: &str,
    text: String,
    change: Option<(State, State)>,
    why: &[Decision],
) {
    if let Some(id) = &mail.message_id {
        if !t.thread.contains(id) {
            t.thread.push(id.clone());
        }
    }
    if let Some((_, to)) = change {
        if to != t.state {
            t.state = to;
            t.state_since = now;
            t.reminded = false;
        }
    }
    t.updated_at = now;
    t.events.push(Event {
        at: now,
        kind,
        from: from.to_string(),
        text: text::normalize_newlines(&text),
        from_state: change.map(|c| c.0),
        to_state: change.map(|c| c.1),
        message_id: mail.message_id.clone(),
        attachments: mail.attachments.clone(),
        decision: why.to_vec(),
    });
}

/// Who gets a customer's mail (SPEC §2.6): the owner of an owned ticket (and
/// `staff.notify` too with `staff.notify_all`), else `staff.notify`.
pub fn staff_recipients(t: &Ticket, policy: &Policy) -> Vec<String> {
    match &t.owner {
        Some(owner) => {
            let mut to = vec![owner.clone()];
            if policy.notify_all {
                to.extend(policy.staff_notify.iter().filter(|a| *a != owner).cloned());
            }
            to
        }
        None => policy.staff_notify.clone(),
    }
}

fn customer_reply_outcome(
    t: &Ticket,
    mail: &InboundMail,
    ctx: &Context,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let (keyword, text) = keyword::customer_commands(&mail.subject, &mail.reply_text, &t.summary);
    why.push(Decision::CustomerKeyword(keyword));
    let mut t = t.clone();
    let from_state = t.state;
    let action = customer_reply(from_state, keyword);
    let mut effects = Vec::new();
    match action {
        CustomerAction::Comment(to) => {
            let change = (to != from_state).then_some((from_state, to));
            match change {
                Some(_) => why.push(Decision::StateChange {
                    from: from_state,
                    to,
                }),
                None => why.push(Decision::StateStays(from_state)),
            }
            let forward = files(mail, policy, &mut why);
            push_event(
                &mut t,
                mail,
                ctx.now,
                EventKind::Comment,
                sender,
                text.clone(),
                change,
                &why,
            );
            let snap = TicketSnapshot::of(&t);
            let staff = staff_recipients(&t, policy);
            effects.push(Effect::Save(t));
            if keyword == Some(Keyword::Close) && to == State::Closed && change.is_some() {
                effects.push(Effect::Notify(Notice {
                    answers_customer: true,
                    ..notice(
                        NoticeKind::CloseConfirmed,
                        vec![sender.to_string()],
                        snap.language,
                        snap.clone(),
                        sender,
                        mail,
                    )
                }));
            }
            effects.push(Effect::Notify(Notice {
                text,
                from_state: change.map(|c| c.0),
                to_state: change.map(|c| c.1),
                attachments: mail.attachments.clone(),
                forward,
                ..notice(
                    NoticeKind::CustomerUpdate,
                    staff,
                    policy.default_language,
                    snap,
                    sender,
                    mail,
                )
            }));
        }
        CustomerAction::NoChange => {
            why.push(Decision::ClosedNoChange);
            push_event(
                &mut t,
                mail,
                ctx.now,
                EventKind::Comment,
                sender,
                text,
                None,
                &why,
            );
            effects.push(Effect::Save(t));
        }
        CustomerAction::ClosedReply => match policy.closed_reply {
            ClosedReply::Comment => {
                why.push(Decision::ClosedComment);
                let forward = files(mail, policy, &mut why);
                push_event(
                    &mut t,
                    mail,
                    ctx.now,
                    EventKind::Comment,
                    sender,
                    text.clone(),
                    None,
                    &why,
                );
                let snap = TicketSnapshot::of(&t);
                let staff = staff_recipients(&t, policy);
                effects.push(Effect::Save(t));
                effects.push(Effect::Notify(Notice {
                    answers_customer: true,
                    ..notice(
                        NoticeKind::ClosedReply,
                        vec![sender.to_string()],
                        snap.language,
                        snap.clone(),
                        sender,
                        mail,
                    )
                }));
                effects.push(Effect::Notify(Notice {
                    text,
                    attachments: mail.attachments.clone(),
                    forward,
                    ..notice(
                        NoticeKind::CustomerUpdate,
                        staff,
                        policy.default_language,
                        snap,
                        sender,
                        mail,
                    )
                }));
            }
            ClosedReply::NewTicket => {
                why.push(Decision::ClosedNewTicket {
                    tag: policy.tag(t.id),
                });
                return new_ticket(mail, ctx, false, Some(t.id), why);
            }
        },
    }
    Outcome {
        effects,
        decision: why,
    }
}

fn new_ticket(
    mail: &InboundMail,
    ctx: &Context,
    automated: bool,
    refers_to: Option<TicketId>,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    let from = mail
        .from
        .as_ref()
        .map(|f| f.addr.clone())
        .unwrap_or_default();
    let summary = policy.remove_tags(text::strip_subject_prefixes(&mail.subject));
    let summary = if summary.trim().is_empty() {
        "(no subject)".to_string()
    } else {
        cap_summary(&summary, &mut why)
    };
    let mut participants = Vec::new();
    for a in mail.to.iter().chain(mail.cc.iter()) {
        let addr = &a.addr;
        if *addr != from
            && !policy.is_gateway_address(addr)
            && !policy.is_staff_address(addr)
            && !policy.staff_notify.contains(addr)
            && !participants.contains(addr)
            && addr.contains('@')
        {
            participants.push(addr.clone());
        }
    }
    let choice = match &ctx.language {
        Some(known) => known.clone(),
        None => language_of(mail, policy),
    };
    let language = choice.lang;
    why.push(Decision::NewTicket {
        tag: policy.tag(ctx.new_id),
        reporter: from.clone(),
    });
    if !participants.is_empty() {
        why.push(Decision::Participants(participants.clone()));
    }
    why.push(Decision::Language(choice));
    let mut description = mail.body.trim().to_string();
    if description.is_empty() {
        description = mail.reply_text.trim().to_string();
    }
    let field_lines = customer_fields(&description, &policy.default_fields());
    for f in &field_lines.set {
        why.push(Decision::FieldFromMail {
            field: *f,
            value: f.stored(&field_lines.fields),
        });
    }
    for u in &field_lines.unknown {
        why.push(Decision::FieldValueUnknown {
            field: u.field,
            written: u.written.clone(),
        });
    }
    if !field_lines.set.is_empty() || !field_lines.unknown.is_empty() {
        description = field_lines.text;
    }
    if let Some(old) = refers_to {
        description = format!("Refers to [{}].\n\n{description}", policy.tag(old));
    }
    let mut t = Ticket {
        id: ctx.new_id,
        summary,
        state: State::Open,
        reporter: from.clone(),
        reporter_name: mail
            .from
            .as_ref()
            .and_then(|f| f.name.clone())
            .unwrap_or_default(),
        participants,
        fields: field_lines.fields,
        owner: None,
        language,
        created_at: ctx.now,
        updated_at: ctx.now,
        state_since: ctx.now,
        reminded: false,
        automated,
        refers_to,
        thread: vec![],
        sent: vec![],
        events: vec![],
    };
    if automated {
        why.push(Decision::MarkedAutomated);
    }
    let forward = files(mail, policy, &mut why);
    push_event(
        &mut t,
        mail,
        ctx.now,
        EventKind::Created,
        &from,
        description,
        None,
        &why,
    );
    let snap = TicketSnapshot::of(&t);
    let mut effects = vec![Effect::Save(t.clone())];
    if !automated {
        effects.push(Effect::Notify(Notice {
            answers_customer: true,
            unknown_values: field_lines.unknown,
            ..notice(
                NoticeKind::Acknowledgement,
                t.customers(),
                language,
                snap.clone(),
                &from,
                mail,
            )
        }));
    }
    effects.push(Effect::Notify(Notice {
        text: snap.description.clone(),
        attachments: mail.attachments.clone(),
        forward,
        ..notice(
            NoticeKind::NewTicket,
            policy.staff_notify.clone(),
            policy.default_language,
            snap,
            &from,
            mail,
        )
    }));
    Outcome {
        effects,
        decision: why,
    }
}

/// The summary cut to [`MAX_SUMMARY_CHARS`] (at a word when one ends near the cut).
fn cap_summary(summary: &str, why: &mut Vec<Decision>) -> String {
    let total = summary.chars().count();
    if total <= MAX_SUMMARY_CHARS {
        return summary.to_string();
    }
    let cut: String = summary.chars().take(MAX_SUMMARY_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > MAX_SUMMARY_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    why.push(Decision::SummaryCut {
        kept: cut.chars().count(),
        total,
    });
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::timers::{apply_timer, due, has_timers, next_due, TimerAction};
    use crate::core::Address;
    use crate::core::StaffAuth;

    const ALICE: &str = "alice@customer.test";
    const STAFF: &str = "staff@gateway.test";

    fn mail(from: &str, subject: &str, text: &str) -> InboundMail {
        InboundMail {
            message_id: Some(format!("{}@client.test", text.len())),
            from: Some(Address::new(from)),
            to: vec![Address::new("support@gateway.test")],
            subject: subject.into(),
            body: text.into(),
            reply_text: text.into(),
            ..Default::default()
        }
    }

    fn ticket(state: State) -> Ticket {
        Ticket {
            id: TicketId(7),
            summary: "Printer".into(),
            state,
            reporter: ALICE.into(),
            participants: vec![],
            reporter_name: String::new(),
            fields: Default::default(),
            owner: None,
            language: Lang::En,
            created_at: 0,
            updated_at: 0,
            state_since: 1000,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec!["orig@customer.test".into()],
            sent: vec![],
            events: vec![],
        }
    }

    fn run(found: Option<&Ticket>, m: &InboundMail, policy: &Policy) -> Outcome {
        decide(
            found.map(|t| (t, MatchedBy::Tag)),
            m,
            &Context::new(policy, 5000, TicketId(8)),
        )
    }

    fn file(name: &str, size: u64) -> AttachmentInfo {
        AttachmentInfo {
            name: name.into(),
            content_type: "application/octet-stream".into(),
            size,
            sha256: format!("{:0>64}", size),
        }
    }

    #[test]
    fn staff_get_the_customers_files_and_the_customer_gets_the_staffs() {
        let policy = Policy {
            forward_attachments_max: 1000,
            ..Policy::for_tests()
        };
        // New ticket: the staff notice lists both and forwards what fits.
        let mut m = mail(ALICE, "Screen", "Broken screen, see the screenshot.");
        m.attachments = vec![file("screenshot.png", 800), file("video.mp4", 5000)];
        let o = run(None, &m, &policy);
        let staff = o
            .notices()
            .find(|n| n.kind == NoticeKind::NewTicket)
            .unwrap();
        assert_eq!(staff.attachments.len(), 2);
        assert_eq!(staff.forward, vec![file("screenshot.png", 800)]);
        assert!(o.log().iter().any(|d| d.contains("video.mp4")));
        let ack = o
            .notices()
            .find(|n| n.kind == NoticeKind::Acknowledgement)
            .unwrap();
        assert!(
            ack.forward.is_empty(),
            "the customer's own files are not echoed"
        );
        assert_eq!(o.saved().unwrap().events[0].attachments.len(), 2);

        // A customer comment: to staff, with the file.
        let mut m = mail(ALICE, "Re: [SUP-7] Printer", "Here is the log.");
        m.attachments = vec![file("printer.log", 100)];
        let o = run(Some(&ticket(State::Open)), &m, &policy);
        let n = o.notices().next().unwrap();
        assert_eq!(n.kind, NoticeKind::CustomerUpdate);
        assert_eq!(n.forward.len(), 1);

        // A staff reply with a file: to the customer, with the file, with or without keyword.
        for text in [
            "Here is the patched driver.",
            "#resolve\nInstall this driver.",
        ] {
            let mut m = mail(STAFF, "Re: [SUP-7] Printer", text);
            m.attachments = vec![file("driver.zip", 900)];
            let o = run(Some(&ticket(State::Open)), &m, &policy);
            let n = o.notices().next().unwrap();
            assert_eq!(n.kind, NoticeKind::StaffUpdate);
            assert_eq!(n.to, vec![ALICE.to_string()]);
            assert_eq!(n.forward, vec![file("driver.zip", 900)]);
        }
        // An internal note's file goes to no customer: the team's copy lists it only.
        let mut m = mail(STAFF, "Re: [SUP-7] Printer", "#note\ninternal dump");
        m.attachments = vec![file("dump.bin", 10)];
        let o = run(Some(&ticket(State::Open)), &m, &policy);
        let n: Vec<_> = o.notices().collect();
        assert_eq!(n.len(), 1);
        assert_eq!(
            (n[0].kind, n[0].to.clone()),
            (NoticeKind::TeamCopy, policy.staff_notify.clone())
        );
        assert!(n[0].internal && n[0].forward.is_empty());
    }

    // -- identity and who may act (SPEC §3.4) ----------------------------------------------

    /// `Authentication-Results` fields one after the other at the top of a mail.
    fn auth(values: &[&str]) -> Vec<crate::core::AuthenticationResults> {
        values
            .iter()
            .enumerate()
            .map(|(position, v)| crate::core::AuthenticationResults {
                position,
                value: v.to_string(),
            })
            .collect()
    }

    fn dmarc_policy() -> Policy {
        Policy {
            staff_auth: StaffAuth::Dmarc,
            authserv_ids: vec!["mx.gateway.test".into()],
            ..Policy::for_tests()
        }
    }

    #[test]
    fn a_forged_staff_close_is_a_customer_mail_and_staff_are_warned() {
        let policy = dmarc_policy();
        let t = ticket(State::Open);
        let m = mail(STAFF, "Re: [SUP-7] Printer", "#close\nDone.");
        let o = run(Some(&t), &m, &policy);
        let saved = o.saved().unwrap();
        assert_eq!(saved.id, TicketId(8), "a ticket of its own");
        assert_eq!(saved.refers_to, Some(TicketId(7)));
        assert_eq!(saved.state, State::Open);
        assert!(o
            .log()
            .iter()
            .any(|d| d.contains("failed authentication") && d.contains("never as a command")));
        let warning = o
            .notices()
            .find(|n| n.kind == NoticeKind::StaffWarning)
            .expect("staff warned");
        assert_eq!(warning.to, policy.staff_notify);
        assert!(warning.reason.contains("dmarc"), "{}", warning.reason);
        assert!(warning.text.contains("#close"), "{}", warning.text);
        assert!(o.log().iter().any(|d| d.starts_with("staff warned")));

        // Another authserv-id vouching: ignored, the same outcome.
        let mut m2 = m.clone();
        m2.authentication_results = auth(&["evil.test; dmarc=pass header.from=gateway.test"]);
        let o = run(Some(&t), &m2, &policy);
        assert_eq!(o.saved().unwrap().id, TicketId(8));
        assert!(o
            .log()
            .iter()
            .any(|d| d.contains("other authserv-ids ignored")));

        // The pinned authserv-id vouching: a staff command.
        let mut m3 = m.clone();
        m3.authentication_results = auth(&[
            "mx.gateway.test; dkim=pass header.d=gateway.test; dmarc=pass header.from=gateway.test",
        ]);
        let o = run(Some(&t), &m3, &policy);
        let saved = o.saved().unwrap();
        assert_eq!((saved.id, saved.state), (TicketId(7), State::Closed));
        assert!(o.notices().all(|n| n.kind != NoticeKind::StaffWarning));
        assert!(o
            .log()
            .iter()
            .any(|d| d.contains("is staff (dmarc=pass for gateway.test by mx.gateway.test)")));
    }

    #[test]
    fn a_forged_staff_mail_from_a_participant_address_is_still_no_command() {
        // Staff address that is also the ticket's reporter: customer actions only.
        let policy = dmarc_policy();
        let mut t = ticket(State::Open);
        t.reporter = STAFF.into();
        let o = run(
            Some(&t),
            &mail(STAFF, "Re: [SUP-7] x", "#resolve\nfixed"),
            &policy,
        );
        let saved = o.saved().unwrap();
        assert_eq!((saved.id, saved.state), (TicketId(7), State::Open));
        assert!(saved.events.last().unwrap().text.contains("#resolve"));
    }

    #[test]
    fn participants_come_from_to_and_cc_of_the_first_mail_only() {
        let mut m = mail(ALICE, "Printer", "Broken again.");
        m.to = vec![
            Address::new("support@gateway.test"),
            Address::new("Bob@Customer.test"),
        ];
        m.cc = vec![
            Address::new(STAFF),
            Address::new("team@gateway.test"),
            Address::new(ALICE),
            Address::new("carol@customer.test"),
            Address::new("bob@customer.test"),
        ];
        let o = run(None, &m, &Policy::for_tests());
        let t = o.saved().unwrap();
        assert_eq!(t.reporter, ALICE);
        assert_eq!(t.participants, ["bob@customer.test", "carol@customer.test"]);
        let ack = o
            .notices()
            .find(|n| n.kind == NoticeKind::Acknowledgement)
            .unwrap();
        assert_eq!(ack.to, [ALICE, "bob@customer.test", "carol@customer.test"]);

        // A later reply's Cc adds nobody.
        let mut later = mail("bob@customer.test", "Re: [SUP-8] Printer", "Same here.");
        later.cc = vec![Address::new("dave@customer.test")];
        let o = run(Some(t), &later, &Policy::for_tests());
        let t2 = o.saved().unwrap();
        assert_eq!(t2.id, t.id, "bob is a participant, not a stranger");
        assert_eq!(t2.participants, t.participants);
    }

    #[test]
    fn a_strangers_mail_names_the_old_ticket_and_changes_nothing_on_it() {
        let t = ticket(State::WaitingForFeedback);
        let m = mail(
            "mallory@evil.test",
            "Re: [SUP-7] Printer",
            "#close\nMe too!",
        );
        let o = run(Some(&t), &m, &Policy::for_tests());
        let new = o.saved().unwrap();
        assert_eq!(new.id, TicketId(8));
        assert_eq!(new.reporter, "mallory@evil.test");
        assert_eq!(new.refers_to, Some(TicketId(7)));
        assert!(new.description().starts_with("Refers to [SUP-7]."));
        assert_eq!(new.summary, "Printer");
        // Only one ticket is saved, and it is not the old one.
        assert_eq!(
            o.effects
                .iter()
                .filter(|e| matches!(e, Effect::Save(_)))
                .count(),
            1
        );
        for n in o.notices() {
            assert_eq!(n.ticket.id, TicketId(8));
            assert!(!n.to.contains(&ALICE.to_string()), "{n:?}");
        }
        assert!(o.log().iter().any(|d| d.contains("stranger")));
    }

    // -- timers (SPEC §2.3) ----------------------------------------------------------------

    #[test]
    fn reminder_then_autoclose_each_once_and_the_reminder_repeats_the_question() {
        let policy = Policy {
            waiting_reminder: 2,
            waiting_autoclose: 5,
            ..Policy::for_tests()
        };
        let mut t = ticket(State::Open);
        let q = mail(STAFF, "Re: [SUP-7] Printer", "#waiting\nWhich model is it?");
        let o = decide(
            Some((&t, MatchedBy::Tag)),
            &q,
            &Context::new(&policy, 1000, TicketId(8)),
        );
        t = o.saved().unwrap().clone();
        assert_eq!((t.state, t.state_since), (State::WaitingForFeedback, 1000));
        assert_eq!(next_due(&t, &policy), Some(1002));
        assert_eq!(due(&t, &policy, 1001), None);
        assert_eq!(due(&t, &policy, 1002), Some(TimerAction::Remind));

        let o = apply_timer(&t, TimerAction::Remind, &policy, 1002, &Facts::default());
        t = o.saved().unwrap().clone();
        assert!(t.reminded);
        let n: Vec<_> = o.notices().collect();
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].kind, NoticeKind::Reminder);
        assert_eq!(n[0].to, vec![ALICE.to_string()]);
        assert_eq!(n[0].text, "Which model is it?");
        // Reminded: nothing more until the automatic close.
        for now in [1002, 1003, 1004] {
            assert_eq!(due(&t, &policy, now), None, "at {now}");
        }
        assert_eq!(next_due(&t, &policy), Some(1005));
        assert_eq!(due(&t, &policy, 1005), Some(TimerAction::AutoClose));
        let o = apply_timer(&t, TimerAction::AutoClose, &policy, 1005, &Facts::default());
        t = o.saved().unwrap().clone();
        assert_eq!(t.state, State::Closed);
        let kinds: Vec<_> = o.notices().map(|n| (n.kind, n.to.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                (NoticeKind::AutoClosed, vec![ALICE.to_string()]),
                (NoticeKind::AutoClosedStaff, policy.staff_notify.clone())
            ]
        );
        assert_eq!(due(&t, &policy, 1_000_000), None, "closed: never again");
        let kinds: Vec<EventKind> = t.events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::StaffComment,
                EventKind::Reminder,
                EventKind::AutoClose
            ]
        );
    }

    #[test]
    fn a_late_tick_closes_without_reminding_and_feedback_resets_the_clock() {
        let policy = Policy {
            waiting_reminder: 2,
            waiting_autoclose: 5,
            ..Policy::for_tests()
        };
        let t = ticket(State::WaitingForFeedback);
        // The daemon was down past both: straight to the close.
        assert_eq!(due(&t, &policy, 1010), Some(TimerAction::AutoClose));
        // Partial feedback keeps waiting but restarts nothing; plain feedback -> open.
        let mut reminded = t.clone();
        reminded.reminded = true;
        let o = decide(
            Some((&reminded, MatchedBy::Tag)),
            &mail(ALICE, "Re: [SUP-7] Printer", "The model is X200."),
            &Context::new(&policy, 1003, TicketId(8)),
        );
        let t2 = o.saved().unwrap();
        assert_eq!(t2.state, State::Open);
        assert!(!t2.reminded);
        assert_eq!(due(t2, &policy, 9999), None);
        // Resolved closes after resolved_autoclose.
        let r = ticket(State::Resolved);
        assert_eq!(
            due(&r, &policy, 1000 + policy.resolved_autoclose),
            Some(TimerAction::AutoClose)
        );
        let o = apply_timer(
            &r,
            TimerAction::AutoClose,
            &policy,
            1000 + policy.resolved_autoclose,
            &Facts::default(),
        );
        assert!(o.log()[0].contains("after resolved"), "{:?}", o.decision);
    }

    // -- reply to a closed ticket (SPEC §2.2) ----------------------------------------------

    #[test]
    fn a_reply_to_a_closed_ticket_in_both_modes() {
        let t = ticket(State::Closed);
        let m = mail(
            ALICE,
            "Re: [SUP-7] Printer",
            "One more question about toner.",
        );
        let o = run(Some(&t), &m, &Policy::for_tests());
        let saved = o.saved().unwrap();
        assert_eq!((saved.id, saved.state), (TicketId(7), State::Closed));
        assert_eq!(
            saved.events.last().unwrap().text,
            "One more question about toner."
        );
        let kinds: Vec<_> = o.notices().map(|n| n.kind).collect();
        assert_eq!(kinds, [NoticeKind::ClosedReply, NoticeKind::CustomerUpdate]);

        let policy = Policy {
            closed_reply: ClosedReply::NewTicket,
            ..Policy::for_tests()
        };
        let o = run(Some(&t), &m, &policy);
        let saved = o.saved().unwrap();
        assert_eq!(
            (saved.id, saved.refers_to),
            (TicketId(8), Some(TicketId(7)))
        );
        assert!(o
            .log()
            .iter()
            .any(|d| d.contains("closed_reply = new_ticket")));
    }

    // -- decision log (SPEC §3.9) ----------------------------------------------------------

    #[test]
    fn the_decision_log_says_match_role_auth_keywords_and_rules() {
        let policy = dmarc_policy();
        let t = ticket(State::Closed);
        let mut m = mail(STAFF, "Re: [SUP-7] Printer", "#ack\nLooking.");
        m.authentication_results = auth(&["mx.gateway.test; dmarc=pass header.from=gateway.test"]);
        let o = run(Some(&t), &m, &policy);
        let log = o.log().join("\n");
        for part in [
            "matched SUP-7 by tag",
            "is staff (dmarc=pass",
            "keyword #ack refused",
            "allowed: #reopen",
        ] {
            assert!(log.contains(part), "{part:?} in {log}");
        }
        let o = decide(
            Some((&ticket(State::WaitingForFeedback), MatchedBy::Reference)),
            &InboundMail {
                auto: crate::core::AutoSignals {
                    auto_submitted: Some("auto-replied (vacation)".into()),
                    ..Default::default()
                },
                ..mail(ALICE, "Out of office", "I am away.")
            },
            &Context::new(&policy, 1, TicketId(8)),
        );
        let log = o.log().join("\n");
        assert!(log.contains("by In-Reply-To/References"), "{log}");
        assert!(
            log.contains("automated mail (Auto-Submitted: auto-replied"),
            "{log}"
        );
        assert_eq!(o.saved().unwrap().events[0].decision, o.decision);
        let log = run(
            Some(&ticket(State::Open)),
            &mail(ALICE, "Re: x", "#close\nThanks"),
            &policy,
        )
        .log()
        .join("\n");
        assert!(
            log.contains("is the reporter") && log.contains("customer keyword #close"),
            "{log}"
        );
    }

    #[test]
    fn text_kept_whole_is_said_in_the_decision_log() {
        let policy = Policy::for_tests();
        let t = ticket(State::WaitingForFeedback);
        let mut m = mail(ALICE, "Re: [SUP-7] Printer", "Thanks,\nAlice");
        let said = |o: &Outcome| o.log().iter().any(|d| d.contains("kept whole"));
        assert!(!said(&run(Some(&t), &m, &policy)));
        m.reply_kept_whole = true;
        let o = run(Some(&t), &m, &policy);
        assert!(said(&o), "{:?}", o.decision);
        assert_eq!(
            o.saved().unwrap().events.last().unwrap().text,
            "Thanks,\nAlice"
        );
    }

    #[test]
    fn the_states_with_timers_are_those_next_due_and_due_look_at() {
        let policy = Policy::for_tests();
        for state in State::ALL {
            let t = ticket(state);
            assert_eq!(
                has_timers(state),
                next_due(&t, &policy).is_some(),
                "{state:?}"
            );
            let late = t.state_since + 1000 * 86400;
            assert_eq!(
                has_timers(state),
                due(&t, &policy, late).is_some(),
                "{state:?}"
            );
        }
    }
}
