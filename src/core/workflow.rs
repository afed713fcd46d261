//! The support workflow of SPEC §2: the transition tables as data, and [`decide`], which turns
//! (ticket, mail, policy, now) into an [`Outcome`] without doing anything.

use super::classify::{self, StaffCheck};
use super::effect::{Effect, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::text;
use super::{Event, EventKind, InboundMail, Keyword, Lang, State, Ticket, TicketId};

/// What to do with a customer's reply to a closed ticket (`gateway.closed_reply`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReply {
    Comment,
    NewTicket,
}

/// How staff mail is authenticated (`staff.authentication`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffAuth {
    None,
    Dkim,
    Dmarc,
}

/// The configuration the core needs, in the core's own terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The gateway's own address, lower case.
    pub gateway_address: String,
    pub tag_prefix: String,
    pub default_language: Lang,
    pub closed_reply: ClosedReply,
    pub staff_addresses: Vec<String>,
    pub staff_domains: Vec<String>,
    pub staff_notify: Vec<String>,
    pub staff_auth: StaffAuth,
    pub authserv_ids: Vec<String>,
    /// Timers, in seconds.
    pub waiting_reminder: i64,
    pub waiting_autoclose: i64,
    pub resolved_autoclose: i64,
}

impl Policy {
    pub fn is_staff_address(&self, addr: &str) -> bool {
        self.staff_addresses.iter().any(|a| a == addr)
            || addr
                .rsplit_once('@')
                .is_some_and(|(_, d)| self.staff_domains.iter().any(|s| s == d))
    }

    pub fn tag(&self, id: TicketId) -> String {
        id.tag(&self.tag_prefix)
    }

    /// A policy for unit tests: gateway `support@gateway.test`, staff `staff@gateway.test`.
    pub fn for_tests() -> Policy {
        Policy {
            gateway_address: "support@gateway.test".into(),
            tag_prefix: "SUP".into(),
            default_language: Lang::En,
            closed_reply: ClosedReply::Comment,
            staff_addresses: vec!["staff@gateway.test".into()],
            staff_domains: vec![],
            staff_notify: vec!["team@gateway.test".into()],
            staff_auth: StaffAuth::None,
            authserv_ids: vec![],
            waiting_reminder: 3 * 86400,
            waiting_autoclose: 14 * 86400,
            resolved_autoclose: 7 * 86400,
        }
    }
}

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
pub const STAFF_TRANSITIONS: &[(Keyword, State, &[State])] = &[
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
pub fn staff_transition(keyword: Keyword, from: State) -> Result<State, Vec<Keyword>> {
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
pub fn staff_keywords_allowed(from: State) -> Vec<Keyword> {
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
pub fn customer_reply(state: State, keyword: Option<Keyword>) -> CustomerAction {
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
}

/// Decides what one mail does. `found` is the ticket it matched, if any.
pub fn decide(found: Option<(&Ticket, MatchedBy)>, mail: &InboundMail, ctx: &Context) -> Outcome {
    let policy = ctx.policy;
    let mut why = Vec::new();
    let Some(from) = mail.from.as_ref().filter(|f| f.addr.contains('@')) else {
        return Outcome {
            effects: vec![Effect::Quarantine("no usable sender (From)".into())],
            decision: vec!["quarantined: no usable sender (From)".into()],
        };
    };
    let sender = from.addr.as_str();
    if sender == policy.gateway_address {
        return Outcome {
            effects: vec![],
            decision: vec![format!(
                "sender {sender} is the gateway's own address: own mail coming back, ignored"
            )],
        };
    }
    match found {
        Some((t, MatchedBy::Tag)) => {
            why.push(format!("matched {} by tag in subject", policy.tag(t.id)))
        }
        Some((t, MatchedBy::Reference)) => why.push(format!(
            "matched {} by In-Reply-To/References",
            policy.tag(t.id)
        )),
        None => why.push("matched no ticket (no known tag or Message-ID)".into()),
    }

    if mail.delivery_report.is_some() {
        return delivery_report(found.map(|(t, _)| t), mail, ctx, why);
    }
    let automated = classify::automated_rule(mail);
    if let Some(rule) = &automated {
        why.push(format!(
            "automated mail ({rule}): never answered, never changes a state"
        ));
        if let Some((t, _)) = found {
            let mut t = t.clone();
            why.push(format!("recorded on {}", policy.tag(t.id)));
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
            why.push(format!("sender {sender} is staff ({how})"));
            true
        }
        StaffCheck::Failed(how) => {
            why.push(format!(
                "sender {sender} claims a staff address but failed authentication ({how}): handled as a customer mail, never as a command"
            ));
            warning = Some(how.clone());
            false
        }
        StaffCheck::NotStaff => false,
    };

    let mut out = match found {
        Some((t, _)) if role_is_staff && automated.is_none() => staff_reply(t, mail, ctx, why),
        Some((t, _)) if t.is_customer(sender) => {
            let role = if t.reporter == sender {
                "reporter"
            } else {
                "participant"
            };
            why.push(format!("sender {sender} is the {role}"));
            customer_reply_outcome(t, mail, ctx, why)
        }
        Some((t, _)) => {
            why.push(format!(
                "sender {sender} is a stranger to {}: a new ticket is opened, {} is unchanged",
                policy.tag(t.id),
                policy.tag(t.id)
            ));
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
            out.effects.push(Effect::Notify(Notice {
                reason: format!(
                    "A mail from {sender} claimed a staff address but did not pass authentication: {how}. It was handled as a customer mail."
                ),
                ..notice(NoticeKind::StaffWarning, policy.staff_notify.clone(), policy.default_language, ticket, sender, mail)
            }));
        }
    }
    out
}

fn notice(
    kind: NoticeKind,
    to: Vec<String>,
    lang: Lang,
    ticket: TicketSnapshot,
    author: &str,
    mail: &InboundMail,
) -> Notice {
    Notice {
        kind,
        to,
        lang,
        ticket,
        author: author.to_string(),
        text: String::new(),
        from_state: None,
        to_state: None,
        keyword: None,
        allowed: vec![],
        reason: String::new(),
        in_reply_to: mail.message_id.clone(),
        attachments: vec![],
        answers_customer: false,
    }
}

#[allow(clippy::too_many_arguments)]
fn push_event(
    t: &mut Ticket,
    mail: &InboundMail,
    now: i64,
    kind: EventKind,
    from: &str,
    text: String,
    change: Option<(State, State)>,
    why: &[String],
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
        text,
        from_state: change.map(|c| c.0),
        to_state: change.map(|c| c.1),
        message_id: mail.message_id.clone(),
        attachments: mail.attachments.clone(),
        decision: why.to_vec(),
    });
}

fn staff_reply(t: &Ticket, mail: &InboundMail, ctx: &Context, mut why: Vec<String>) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let cmds = text::extract_keywords(&mail.subject, &mail.reply_text);
    let keywords: Vec<Keyword> = cmds
        .keywords
        .iter()
        .copied()
        .filter(|k| *k != Keyword::Partial)
        .collect();
    let mut t = t.clone();
    let mut effects = Vec::new();
    let customers = t.customers();
    let Some(&keyword) = keywords.first() else {
        why.push("no keyword: public comment relayed to the customer".into());
        push_event(
            &mut t,
            mail,
            ctx.now,
            EventKind::StaffComment,
            sender,
            cmds.text.clone(),
            None,
            &why,
        );
        let snap = TicketSnapshot::of(&t);
        effects.push(Effect::Save(t));
        effects.push(Effect::Notify(Notice {
            text: cmds.text,
            attachments: mail.attachments.clone(),
            ..notice(
                NoticeKind::StaffUpdate,
                customers,
                snap.language,
                snap,
                sender,
                mail,
            )
        }));
        return Outcome {
            effects,
            decision: why,
        };
    };
    if keywords.len() > 1 {
        why.push(format!(
            "keywords {} found: only the first, {}, applies",
            keywords
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            keyword.as_str()
        ));
    }
    if keyword == Keyword::Note {
        why.push("keyword #note: internal note, not sent to the customer".into());
        push_event(
            &mut t,
            mail,
            ctx.now,
            EventKind::Note,
            sender,
            cmds.text,
            None,
            &why,
        );
        return Outcome {
            effects: vec![Effect::Save(t)],
            decision: why,
        };
    }
    let from_state = t.state;
    match staff_transition(keyword, from_state) {
        Ok(to) => {
            why.push(format!(
                "keyword {} applied: {} -> {}",
                keyword.as_str(),
                from_state.as_str(),
                to.as_str()
            ));
            push_event(
                &mut t,
                mail,
                ctx.now,
                EventKind::StaffComment,
                sender,
                cmds.text.clone(),
                Some((from_state, to)),
                &why,
            );
            let snap = TicketSnapshot::of(&t);
            effects.push(Effect::Save(t));
            effects.push(Effect::Notify(Notice {
                text: cmds.text,
                from_state: Some(from_state),
                to_state: Some(to),
                attachments: mail.attachments.clone(),
                ..notice(
                    NoticeKind::StaffUpdate,
                    customers,
                    snap.language,
                    snap,
                    sender,
                    mail,
                )
            }));
        }
        Err(allowed) => {
            let allowed: Vec<String> = allowed.iter().map(|k| k.as_str().to_string()).collect();
            why.push(format!(
                "keyword {} refused: not allowed in state {} (allowed: {})",
                keyword.as_str(),
                from_state.as_str(),
                allowed.join(" ")
            ));
            push_event(
                &mut t,
                mail,
                ctx.now,
                EventKind::Refused,
                sender,
                cmds.text,
                None,
                &why,
            );
            let snap = TicketSnapshot::of(&t);
            effects.push(Effect::Save(t));
            effects.push(Effect::Notify(Notice {
                keyword: Some(keyword.as_str().to_string()),
                allowed,
                ..notice(
                    NoticeKind::Refused,
                    vec![sender.to_string()],
                    policy.default_language,
                    snap,
                    sender,
                    mail,
                )
            }));
        }
    }
    Outcome {
        effects,
        decision: why,
    }
}

/// The customer's text: customer keywords (`#close`, `#partial`) removed; staff keywords are
/// plain text in a customer's mail.
fn customer_commands(mail: &InboundMail) -> (Option<Keyword>, String) {
    let cmds = text::extract_keywords(&mail.subject, &mail.reply_text);
    let is_customer_kw = |k: &Keyword| matches!(k, Keyword::Close | Keyword::Partial);
    let keyword = if cmds.keywords.contains(&Keyword::Close) {
        Some(Keyword::Close)
    } else if cmds.keywords.contains(&Keyword::Partial) {
        Some(Keyword::Partial)
    } else {
        None
    };
    if cmds.keywords.iter().all(is_customer_kw) {
        return (keyword, cmds.text);
    }
    // Staff keywords stay: drop only the lines that are customer keywords.
    let text = mail
        .reply_text
        .lines()
        .filter(|line| {
            let w = text::fold(line.trim());
            let w = w.trim_end_matches(['.', '!', ',', ';']);
            !w.strip_prefix('#')
                .and_then(Keyword::from_folded)
                .is_some_and(|k| is_customer_kw(&k))
        })
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string();
    (keyword, text)
}

fn customer_reply_outcome(
    t: &Ticket,
    mail: &InboundMail,
    ctx: &Context,
    mut why: Vec<String>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let (keyword, text) = customer_commands(mail);
    match keyword {
        Some(k) => why.push(format!("customer keyword {}", k.as_str())),
        None => why.push("no customer keyword".into()),
    }
    let mut t = t.clone();
    let from_state = t.state;
    let action = customer_reply(from_state, keyword);
    let mut effects = Vec::new();
    match action {
        CustomerAction::Comment(to) => {
            let change = (to != from_state).then_some((from_state, to));
            match change {
                Some(_) => why.push(format!("{} -> {}", from_state.as_str(), to.as_str())),
                None => why.push(format!("comment, state stays {}", from_state.as_str())),
            }
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
            effects.push(Effect::Save(t));
            effects.push(Effect::Notify(Notice {
                text,
                from_state: change.map(|c| c.0),
                to_state: change.map(|c| c.1),
                attachments: mail.attachments.clone(),
                ..notice(
                    NoticeKind::CustomerUpdate,
                    policy.staff_notify.clone(),
                    policy.default_language,
                    snap,
                    sender,
                    mail,
                )
            }));
        }
        CustomerAction::NoChange => {
            why.push("ticket is closed: recorded, no change".into());
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
                why.push("ticket is closed: comment recorded, customer told a new question needs a new mail".into());
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
                    ..notice(
                        NoticeKind::CustomerUpdate,
                        policy.staff_notify.clone(),
                        policy.default_language,
                        snap,
                        sender,
                        mail,
                    )
                }));
            }
            ClosedReply::NewTicket => {
                why.push(format!(
                    "ticket is closed (closed_reply = new_ticket): a new ticket is opened that refers to {}",
                    policy.tag(t.id)
                ));
                return new_ticket(mail, ctx, false, Some(t.id), why);
            }
        },
    }
    Outcome {
        effects,
        decision: why,
    }
}

fn delivery_report(
    found: Option<&Ticket>,
    mail: &InboundMail,
    ctx: &Context,
    mut why: Vec<String>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let report = mail.delivery_report.clone().unwrap_or_default();
    let failed: Vec<String> = report
        .recipients
        .iter()
        .filter(|r| r.action.eq_ignore_ascii_case("failed"))
        .map(|r| {
            format!(
                "{} ({}{})",
                r.address,
                r.status,
                r.diagnostic
                    .as_deref()
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    let Some(t) = found else {
        why.push("delivery-status report that matches no gateway mail: nothing changed".into());
        return Outcome {
            effects: vec![],
            decision: why,
        };
    };
    if failed.is_empty() {
        why.push("delivery-status report without a failed recipient: recorded".into());
    } else {
        why.push(format!("delivery failure: {}", failed.join(", ")));
    }
    let mut t = t.clone();
    let text = if failed.is_empty() {
        "delivery-status report (no failure)".to_string()
    } else {
        format!("delivery failed: {}", failed.join(", "))
    };
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
    let mut effects = vec![Effect::Save(t)];
    if !failed.is_empty() {
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
    }
    Outcome {
        effects,
        decision: why,
    }
}

/// The language of a new ticket: `Content-Language`, else the default.
pub fn language_of(mail: &InboundMail, policy: &Policy) -> (Lang, String) {
    if let Some(l) = mail.content_language.as_deref().and_then(Lang::from_tag) {
        return (l, format!("language {} from Content-Language", l.as_str()));
    }
    (
        policy.default_language,
        format!("language {} (default)", policy.default_language.as_str()),
    )
}

fn new_ticket(
    mail: &InboundMail,
    ctx: &Context,
    automated: bool,
    refers_to: Option<TicketId>,
    mut why: Vec<String>,
) -> Outcome {
    let policy = ctx.policy;
    let from = mail
        .from
        .as_ref()
        .map(|f| f.addr.clone())
        .unwrap_or_default();
    let summary = classify::remove_tags(
        text::strip_subject_prefixes(&mail.subject),
        &policy.tag_prefix,
    );
    let summary = if summary.trim().is_empty() {
        "(no subject)".to_string()
    } else {
        summary
    };
    let mut participants = Vec::new();
    for a in mail.to.iter().chain(mail.cc.iter()) {
        let addr = &a.addr;
        if *addr != from
            && *addr != policy.gateway_address
            && !policy.is_staff_address(addr)
            && !policy.staff_notify.contains(addr)
            && !participants.contains(addr)
            && addr.contains('@')
        {
            participants.push(addr.clone());
        }
    }
    let (language, lang_why) = language_of(mail, policy);
    why.push(format!(
        "new ticket {} for reporter {from}",
        policy.tag(ctx.new_id)
    ));
    if !participants.is_empty() {
        why.push(format!(
            "participants from To/Cc: {}",
            participants.join(", ")
        ));
    }
    why.push(lang_why);
    let mut description = mail.body.trim().to_string();
    if description.is_empty() {
        description = mail.reply_text.trim().to_string();
    }
    if let Some(old) = refers_to {
        description = format!("Refers to [{}].\n\n{description}", policy.tag(old));
    }
    let mut t = Ticket {
        id: ctx.new_id,
        summary,
        state: State::Open,
        reporter: from.clone(),
        participants,
        language,
        created_at: ctx.now,
        updated_at: ctx.now,
        state_since: ctx.now,
        reminded: false,
        automated,
        refers_to,
        thread: vec![],
        events: vec![],
    };
    if automated {
        why.push("ticket marked automated: no acknowledgement".into());
    }
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

// ---------------------------------------------------------------------------------------------
// Timers (SPEC §2.3)

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    Remind,
    AutoClose,
}

/// When the ticket's next timer falls due, if it has one.
pub fn next_due(t: &Ticket, policy: &Policy) -> Option<i64> {
    match t.state {
        State::WaitingForFeedback if !t.reminded => Some(t.state_since + policy.waiting_reminder),
        State::WaitingForFeedback => Some(t.state_since + policy.waiting_autoclose),
        State::Resolved => Some(t.state_since + policy.resolved_autoclose),
        _ => None,
    }
}

/// The timer action due at `now`, if any.
pub fn due(t: &Ticket, policy: &Policy, now: i64) -> Option<TimerAction> {
    match t.state {
        State::WaitingForFeedback if now >= t.state_since + policy.waiting_autoclose => {
            Some(TimerAction::AutoClose)
        }
        State::WaitingForFeedback
            if !t.reminded && now >= t.state_since + policy.waiting_reminder =>
        {
            Some(TimerAction::Remind)
        }
        State::Resolved if now >= t.state_since + policy.resolved_autoclose => {
            Some(TimerAction::AutoClose)
        }
        _ => None,
    }
}

/// Applies a due timer action.
pub fn apply_timer(t: &Ticket, action: TimerAction, policy: &Policy, now: i64) -> Outcome {
    let mut t = t.clone();
    let gateway = policy.gateway_address.clone();
    let from_state = t.state;
    let mail = InboundMail::default();
    let mut effects = Vec::new();
    let why;
    match action {
        TimerAction::Remind => {
            why = vec![format!(
                "timer: no customer reply {}s after {}: reminder",
                policy.waiting_reminder,
                from_state.as_str()
            )];
            t.reminded = true;
            push_event(
                &mut t,
                &mail,
                now,
                EventKind::Reminder,
                &gateway,
                String::new(),
                None,
                &why,
            );
            let snap = TicketSnapshot::of(&t);
            effects.push(Effect::Save(t.clone()));
            effects.push(Effect::Notify(notice(
                NoticeKind::Reminder,
                t.customers(),
                t.language,
                snap,
                &gateway,
                &mail,
            )));
        }
        TimerAction::AutoClose => {
            let after = if from_state == State::Resolved {
                policy.resolved_autoclose
            } else {
                policy.waiting_autoclose
            };
            why = vec![format!(
                "timer: no customer reply {after}s after {}: closed automatically",
                from_state.as_str()
            )];
            push_event(
                &mut t,
                &mail,
                now,
                EventKind::AutoClose,
                &gateway,
                String::new(),
                Some((from_state, State::Closed)),
                &why,
            );
            let snap = TicketSnapshot::of(&t);
            effects.push(Effect::Save(t.clone()));
            let n = |to: Vec<String>, lang| Notice {
                from_state: Some(from_state),
                to_state: Some(State::Closed),
                ..notice(
                    NoticeKind::AutoClosed,
                    to,
                    lang,
                    snap.clone(),
                    &gateway,
                    &mail,
                )
            };
            effects.push(Effect::Notify(n(t.customers(), t.language)));
            effects.push(Effect::Notify(n(
                policy.staff_notify.clone(),
                policy.default_language,
            )));
        }
    }
    Outcome {
        effects,
        decision: why,
    }
}
