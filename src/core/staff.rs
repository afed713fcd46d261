//! A staff member's mail on a ticket (SPEC §2.2, §2.5, §2.6): its keywords applied (one
//! workflow keyword, any number of field and ownership keywords), the customer told, and
//! the rest of the team sent a copy.

use super::decision::Decision;
use super::effect::{Effect, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::fields::{self, Change, Changed, Field};
use super::keyword::{self, Command, NotUnderstood};
use super::workflow::{files, notice, push_event, staff_keywords_allowed, staff_transition};
use super::{Context, EventKind, InboundMail, Keyword, Policy, State, Ticket};

/// The fields and owner a staff mail leaves, and what changed.
type Applied = (fields::Fields, Option<String>, Vec<Change>);

/// What the field and ownership keywords of a mail make of the ticket's fields and owner,
/// or the keyword whose value is refused (the mail is then held) with the values allowed.
fn apply_fields(
    t: &Ticket,
    commands: &[Command],
    sender: &str,
    policy: &Policy,
) -> Result<Applied, (NotUnderstood, String)> {
    let mut f = t.fields.clone();
    let mut owner = t.owner.clone();
    for c in commands.iter().filter(|c| c.keyword.is_field_or_owner()) {
        let arg = c.arg.clone().unwrap_or_default();
        let refused = |values: String| {
            (
                NotUnderstood {
                    word: format!("{} {arg}", c.keyword.as_str()),
                    nearest: None,
                },
                values,
            )
        };
        let field = match c.keyword {
            Keyword::Type => Some(Field::Type),
            Keyword::Severity => Some(Field::Severity),
            Keyword::Environment => Some(Field::Environment),
            Keyword::Version => Some(Field::Version),
            _ => None,
        };
        if let Some(field) = field {
            if !field.set(&mut f, &arg) {
                let values: Vec<String> = match field {
                    Field::Type => fields::TicketType::ALL
                        .iter()
                        .map(|v| v.as_str().into())
                        .collect(),
                    _ => fields::Severity::ALL
                        .iter()
                        .map(|v| v.as_str().into())
                        .collect(),
                };
                return Err(refused(format!(
                    "{} takes one of: {}",
                    c.keyword.as_str(),
                    values.join(", ")
                )));
            }
            continue;
        }
        match c.keyword {
            Keyword::Take => owner = Some(sender.to_string()),
            Keyword::Unassign => owner = None,
            Keyword::Assign => {
                let a = arg
                    .trim_matches(|c: char| matches!(c, '<' | '>' | '"' | '\''))
                    .to_ascii_lowercase();
                if !policy.is_staff_address(&a) {
                    return Err(refused(format!(
                        "#assign takes the address of a staff member; {a} is not one"
                    )));
                }
                owner = Some(a);
            }
            _ => {}
        }
    }
    let mut changes = fields::changes(&t.fields, &f);
    if owner != t.owner {
        changes.push(Change {
            what: Changed::Owner,
            from: t.owner.clone().unwrap_or_default(),
            to: owner.clone().unwrap_or_default(),
        });
    }
    Ok((f, owner, changes))
}

/// Who gets the team's copy of a staff mail: the owner (and the one before, when it
/// changed) and `staff.notify`, never the author.
fn copy_recipients(before: &Ticket, after: &Ticket, author: &str, policy: &Policy) -> Vec<String> {
    let mut to: Vec<String> = Vec::new();
    for a in after
        .owner
        .iter()
        .chain(before.owner.iter())
        .chain(policy.staff_notify.iter())
    {
        if a != author && !to.contains(a) {
            to.push(a.clone());
        }
    }
    to
}

pub(super) fn staff_reply(
    t: &Ticket,
    mail: &InboundMail,
    ctx: &Context,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let cmds = keyword::staff_commands(&mail.subject, &mail.reply_text, &t.summary);
    if let Some(word) = &cmds.not_understood {
        return held(t, mail, ctx, word, String::new(), why);
    }
    let (new_fields, new_owner, changes) = match apply_fields(t, &cmds.commands, sender, policy) {
        Ok(v) => v,
        Err((word, values)) => return held(t, mail, ctx, &word, values, why),
    };
    let flow: Vec<Keyword> = cmds
        .keywords()
        .into_iter()
        .filter(|k| !k.is_field_or_owner())
        .collect();
    let had_field_keywords = cmds.commands.iter().any(|c| c.keyword.is_field_or_owner());
    let keyword = flow.first().copied();
    if flow.len() > 1 {
        why.push(Decision::FirstKeywordOnly {
            found: flow.clone(),
            applied: flow[0],
        });
    }
    let from_state = t.state;
    let change = match keyword {
        Some(Keyword::Note) | None => None,
        Some(k) => match staff_transition(k, from_state) {
            Ok(to) => Some((k, to)),
            Err(allowed) => return refused(t, mail, ctx, k, allowed, cmds.text, why),
        },
    };
    let note = keyword == Some(Keyword::Note);
    match (note, change) {
        (true, _) => why.push(Decision::Note),
        (false, Some((k, to))) => why.push(Decision::KeywordApplied {
            keyword: k,
            from: from_state,
            to,
        }),
        (false, None) if !had_field_keywords || !cmds.text.is_empty() => {
            why.push(Decision::PublicComment)
        }
        (false, None) => {}
    }
    why.extend(changes.iter().cloned().map(Decision::FieldChanged));

    let mut after = t.clone();
    after.fields = new_fields;
    after.owner = new_owner;
    let public_text = !note && (!cmds.text.is_empty() || !had_field_keywords);
    let kind = if note {
        EventKind::Note
    } else if public_text || change.is_some() {
        EventKind::StaffComment
    } else {
        EventKind::Changed
    };
    let told: Vec<Change> = changes
        .iter()
        .filter(|c| c.what.told_to_customer())
        .cloned()
        .collect();
    let to_customer = !note && (public_text || change.is_some()) || !told.is_empty();
    let forward = if to_customer && !note {
        files(mail, policy, &mut why)
    } else {
        vec![]
    };
    let copy_to = copy_recipients(t, &after, sender, policy);
    if !copy_to.is_empty() {
        why.push(Decision::TeamCopied {
            to: copy_to.clone(),
        });
    }
    push_event(
        &mut after,
        mail,
        ctx.now,
        kind,
        sender,
        cmds.text.clone(),
        change.map(|(_, to)| (from_state, to)),
        &why,
    );
    let snap = TicketSnapshot::of(&after);
    let customers = after.customers();
    let mut effects = vec![Effect::Save(after)];
    let (from_state, to_state) = match change {
        Some((_, to)) => (Some(from_state), Some(to)),
        None => (None, None),
    };
    if to_customer {
        effects.push(Effect::Notify(Notice {
            text: if note {
                String::new()
            } else {
                cmds.text.clone()
            },
            from_state,
            to_state,
            attachments: if note {
                vec![]
            } else {
                mail.attachments.clone()
            },
            forward,
            changes: told,
            autoclose_after: (to_state == Some(State::Resolved))
                .then_some(policy.resolved_autoclose),
            ..notice(
                NoticeKind::StaffUpdate,
                customers,
                snap.language,
                snap.clone(),
                sender,
                mail,
            )
        }));
    }
    if !copy_to.is_empty() {
        effects.push(Effect::Notify(Notice {
            text: cmds.text,
            from_state,
            to_state,
            attachments: mail.attachments.clone(),
            changes,
            internal: note,
            ..notice(
                NoticeKind::TeamCopy,
                copy_to,
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

/// A workflow keyword not allowed in the ticket's state: nothing changes (fields neither);
/// the sender is told which keywords are allowed.
fn refused(
    t: &Ticket,
    mail: &InboundMail,
    ctx: &Context,
    keyword: Keyword,
    allowed: Vec<Keyword>,
    text: String,
    mut why: Vec<Decision>,
) -> Outcome {
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    why.push(Decision::KeywordRefused {
        keyword,
        state: t.state,
        allowed: allowed.clone(),
    });
    let allowed: Vec<String> = allowed.iter().map(|k| k.as_str().to_string()).collect();
    let mut t = t.clone();
    push_event(
        &mut t,
        mail,
        ctx.now,
        EventKind::Refused,
        sender,
        text,
        None,
        &why,
    );
    let snap = TicketSnapshot::of(&t);
    Outcome {
        effects: vec![
            Effect::Save(t),
            Effect::Notify(Notice {
                keyword: Some(keyword.as_str().to_string()),
                allowed,
                ..notice(
                    NoticeKind::Refused,
                    vec![sender.to_string()],
                    ctx.policy.default_language,
                    snap,
                    sender,
                    mail,
                )
            }),
        ],
        decision: why,
    }
}

/// A staff mail whose keyword line holds a word that is not a keyword, or a keyword whose
/// value is refused (SPEC §3.3): nothing changes and nothing reaches the customer; the mail
/// is recorded as held and its sender is told the word, the nearest keyword, the values
/// allowed (`values`) and the keywords allowed now.
fn held(
    t: &Ticket,
    mail: &InboundMail,
    ctx: &Context,
    word: &NotUnderstood,
    values: String,
    mut why: Vec<Decision>,
) -> Outcome {
    let policy = ctx.policy;
    let sender = mail.from.as_ref().map(|f| f.addr.as_str()).unwrap_or("");
    let allowed_keywords = staff_keywords_allowed(t.state);
    let allowed: Vec<String> = allowed_keywords
        .iter()
        .map(|k| k.as_str().to_string())
        .collect();
    why.push(Decision::Held {
        word: word.word.clone(),
        nearest: word.nearest.clone(),
        allowed: allowed_keywords,
    });
    let mut t = t.clone();
    push_event(
        &mut t,
        mail,
        ctx.now,
        EventKind::Held,
        sender,
        mail.reply_text.trim().to_string(),
        None,
        &why,
    );
    let snap = TicketSnapshot::of(&t);
    Outcome {
        effects: vec![
            Effect::Save(t),
            Effect::Notify(Notice {
                keyword: Some(word.word.clone()),
                nearest: word.nearest.clone(),
                allowed,
                reason: values,
                text: mail.reply_text.trim().to_string(),
                ..notice(
                    NoticeKind::Held,
                    vec![sender.to_string()],
                    policy.default_language,
                    snap,
                    sender,
                    mail,
                )
            }),
        ],
        decision: why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::workflow::{decide, MatchedBy};
    use crate::core::{Address, Lang, Outcome, Severity, TicketId, TicketType};

    const ALICE: &str = "alice@customer.test";
    const STAFF: &str = "staff@gateway.test";
    const PAUL: &str = "paul@gateway.test";
    const TEAM: &str = "team@gateway.test";

    fn policy() -> Policy {
        Policy {
            staff_addresses: vec![STAFF.into(), PAUL.into()],
            ..Policy::for_tests()
        }
    }

    fn mail(from: &str, text: &str) -> InboundMail {
        InboundMail {
            message_id: Some(format!("{}.{from}", text.len())),
            from: Some(Address {
                addr: from.into(),
                name: Some("Jean Dupont".into()),
            }),
            to: vec![Address::new("support@gateway.test")],
            subject: "Re: [SUP-7] Printer".into(),
            body: text.into(),
            reply_text: text.into(),
            ..Default::default()
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId(7),
            summary: "Printer".into(),
            state: State::Open,
            reporter: ALICE.into(),
            reporter_name: "Alice".into(),
            participants: vec![],
            fields: Default::default(),
            owner: None,
            language: Lang::Fr,
            created_at: 0,
            updated_at: 0,
            state_since: 0,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec!["orig@customer.test".into()],
            sent: vec![],
            events: vec![],
        }
    }

    fn run(t: &Ticket, from: &str, text: &str, policy: &Policy) -> Outcome {
        decide(
            Some((t, MatchedBy::Tag)),
            &mail(from, text),
            &Context::new(policy, 5000, TicketId(8)),
        )
    }

    fn kinds(o: &Outcome) -> Vec<(NoticeKind, Vec<String>)> {
        o.notices().map(|n| (n.kind, n.to.clone())).collect()
    }

    #[test]
    fn a_severity_change_is_told_to_the_customer_and_copied_to_the_team() {
        let p = policy();
        let o = run(&ticket(), STAFF, "#severity minor", &p);
        let t = o.saved().unwrap();
        assert_eq!(t.fields.severity, Severity::Minor);
        assert_eq!(t.state, State::Open);
        assert_eq!(t.events.last().unwrap().kind, EventKind::Changed);
        assert_eq!(
            kinds(&o),
            [
                (NoticeKind::StaffUpdate, vec![ALICE.to_string()]),
                (NoticeKind::TeamCopy, vec![TEAM.to_string()]),
            ]
        );
        let n = o.notices().next().unwrap();
        assert_eq!(
            n.changes,
            [Change {
                what: Changed::Field(Field::Severity),
                from: "major".into(),
                to: "minor".into()
            }]
        );
        assert!(o
            .log()
            .iter()
            .any(|l| l == "severity changed: major -> minor"));
    }

    #[test]
    fn field_keywords_apply_with_the_state_keyword_in_either_language() {
        let p = policy();
        let o = run(
            &ticket(),
            STAFF,
            "#type Anomalie #sévérité critique #environment recette\n#version 10.10 #waiting\nWhich printer?",
            &p,
        );
        let t = o.saved().unwrap();
        assert_eq!(t.fields.kind, TicketType::Bug);
        assert_eq!(t.fields.severity, Severity::Critical);
        assert_eq!(
            (t.fields.environment.as_str(), t.fields.version.as_str()),
            ("recette", "10.10")
        );
        assert_eq!(t.state, State::WaitingForFeedback);
        let n = o.notices().next().unwrap();
        assert_eq!(n.text, "Which printer?");
        // The customer is told of type and severity, not of environment and version.
        let told: Vec<_> = n.changes.iter().map(|c| c.what.as_str()).collect();
        assert_eq!(told, ["type", "severity"]);
        let copy = o
            .notices()
            .find(|n| n.kind == NoticeKind::TeamCopy)
            .unwrap();
        assert_eq!(copy.changes.len(), 4);
    }

    #[test]
    fn a_value_a_field_does_not_know_holds_the_mail() {
        let p = policy();
        for text in ["#severity urgent\nDone", "#assign mallory@evil.test\nyours"] {
            let o = run(&ticket(), STAFF, text, &p);
            let t = o.saved().unwrap();
            assert_eq!(t.fields, ticket().fields, "{text}");
            assert_eq!(t.owner, None);
            assert_eq!(t.events.last().unwrap().kind, EventKind::Held);
            let n: Vec<_> = o.notices().collect();
            assert_eq!(n.len(), 1, "{text}");
            assert_eq!(n[0].kind, NoticeKind::Held);
            assert!(!n[0].reason.is_empty(), "{text}");
        }
        let o = run(&ticket(), STAFF, "#severity urgent", &p);
        assert!(o.notices().next().unwrap().reason.contains("critical"));
    }

    #[test]
    fn take_assign_and_unassign_set_the_owner_and_the_author_gets_no_copy() {
        let p = policy();
        let o = run(&ticket(), STAFF, "#take", &p);
        let t = o.saved().unwrap().clone();
        assert_eq!(t.owner.as_deref(), Some(STAFF));
        assert_eq!(kinds(&o), [(NoticeKind::TeamCopy, vec![TEAM.to_string()])]);

        // Paul comments on Staff's ticket: the customer and the owner hear of it, Paul not.
        let o = run(&t, PAUL, "Try the other tray.", &p);
        assert_eq!(
            kinds(&o),
            [
                (NoticeKind::StaffUpdate, vec![ALICE.to_string()]),
                (
                    NoticeKind::TeamCopy,
                    vec![STAFF.to_string(), TEAM.to_string()]
                ),
            ]
        );
        let copy = o.notices().nth(1).unwrap();
        assert_eq!(copy.author, PAUL);
        assert_eq!(copy.text, "Try the other tray.");

        // An internal note: copied, never to the customer.
        let o = run(&t, PAUL, "#note\nThe tray is broken.", &p);
        assert_eq!(
            kinds(&o),
            [(
                NoticeKind::TeamCopy,
                vec![STAFF.to_string(), TEAM.to_string()]
            )]
        );
        assert!(o.notices().next().unwrap().internal);

        let o = run(&t, STAFF, "#assign <Paul@Gateway.test>", &p);
        let t2 = o.saved().unwrap();
        assert_eq!(t2.owner.as_deref(), Some(PAUL));
        assert_eq!(
            kinds(&o),
            [(
                NoticeKind::TeamCopy,
                vec![PAUL.to_string(), TEAM.to_string()]
            )]
        );
        let o = run(t2, PAUL, "#unassign", &p);
        assert_eq!(o.saved().unwrap().owner, None);
        assert!(o
            .log()
            .iter()
            .any(|l| l.starts_with("owner changed: paul@gateway.test -> (none)")));
    }

    #[test]
    fn customer_mail_on_an_owned_ticket_goes_to_its_owner() {
        let mut t = ticket();
        t.owner = Some(PAUL.into());
        let to = |t: &Ticket, p: &Policy| -> Vec<String> {
            let o = run(t, ALICE, "Still broken.", p);
            let n = o.notices().find(|n| n.kind == NoticeKind::CustomerUpdate);
            n.unwrap().to.clone()
        };
        assert_eq!(to(&t, &policy()), [PAUL]);
        let all = Policy {
            notify_all: true,
            ..policy()
        };
        assert_eq!(to(&t, &all), [PAUL, TEAM]);
        t.owner = None;
        assert_eq!(to(&t, &policy()), [TEAM]);
    }

    #[test]
    fn a_refused_state_keyword_changes_no_field_either() {
        let mut t = ticket();
        t.state = State::Closed;
        let o = run(&t, STAFF, "#severity minor #ack\nok", &policy());
        let saved = o.saved().unwrap();
        assert_eq!(saved.fields.severity, Severity::Major);
        assert_eq!(kinds(&o), [(NoticeKind::Refused, vec![STAFF.to_string()])]);
    }

    #[test]
    fn a_first_mail_sets_the_fields_and_an_unknown_value_goes_to_the_acknowledgement() {
        let mut m = mail(
            ALICE,
            "Type : Anomalie\nSévérité : Majeur\nVersion : 10.10\n\nL'export plante.",
        );
        m.subject = "Export".into();
        let o = decide(None, &m, &Context::new(&policy(), 5000, TicketId(8)));
        let t = o.saved().unwrap();
        assert_eq!(
            (t.fields.kind, t.fields.severity),
            (TicketType::Bug, Severity::Major)
        );
        assert_eq!(t.fields.version, "10.10");
        assert_eq!(t.description(), "L'export plante.");
        assert_eq!(t.reporter_name, "Jean Dupont");
        assert!(o.log().iter().any(|l| l == "field line: type = bug"));

        let mut m = mail(ALICE, "Severity: whenever\nHello");
        m.subject = "Export".into();
        let o = decide(None, &m, &Context::new(&policy(), 5000, TicketId(8)));
        assert_eq!(o.saved().unwrap().fields.severity, Severity::Major);
        let ack = o
            .notices()
            .find(|n| n.kind == NoticeKind::Acknowledgement)
            .unwrap();
        assert_eq!(ack.unknown_values.len(), 1);
        assert_eq!(ack.unknown_values[0].written, "whenever");
    }

    #[test]
    fn a_customers_own_close_is_confirmed_in_one_short_mail() {
        let o = run(&ticket(), ALICE, "#close\nWorks now.", &policy());
        assert_eq!(
            kinds(&o),
            [
                (NoticeKind::CloseConfirmed, vec![ALICE.to_string()]),
                (NoticeKind::CustomerUpdate, vec![TEAM.to_string()]),
            ]
        );
        assert!(o.notices().next().unwrap().answers_customer);
    }

    #[test]
    fn resolving_says_when_the_ticket_closes_by_itself() {
        let p = Policy {
            resolved_autoclose: 5 * 86_400,
            ..policy()
        };
        let o = run(&ticket(), STAFF, "#resolve\nDone.", &p);
        assert_eq!(
            o.notices().next().unwrap().autoclose_after,
            Some(5 * 86_400)
        );
    }
}
