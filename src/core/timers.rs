//! Timers (SPEC §2.3): when a ticket's reminder or automatic close falls due ([`next_due`],
//! [`due`]) and what it does ([`apply_timer`]).

use super::decision::Decision;
use super::delivery::{deliver, Facts};
use super::effect::{Effect, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::workflow::{notice, push_event};
use super::{EventKind, InboundMail, Policy, State, Ticket};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    Remind,
    AutoClose,
}

/// When the ticket's next timer falls due, if it has one.
pub fn next_due(t: &Ticket, policy: &Policy) -> Option<i64> {
    if !has_timers(t.state) {
        return None;
    }
    match t.state {
        State::WaitingForFeedback if !t.reminded => Some(t.state_since + policy.waiting_reminder),
        State::WaitingForFeedback => Some(t.state_since + policy.waiting_autoclose),
        State::Resolved => Some(t.state_since + policy.resolved_autoclose),
        _ => None,
    }
}

/// Does a ticket in this state have timers (SPEC §2.3)? [`next_due`] and [`due`] look only
/// at these states, and the store indexes their tickets by it.
pub(crate) fn has_timers(state: State) -> bool {
    match state {
        State::WaitingForFeedback | State::Resolved => true,
        State::Open | State::Acknowledged | State::InProgress | State::Closed | State::Reopened => {
            false
        }
    }
}

/// The timer action due at `now`, if any.
pub fn due(t: &Ticket, policy: &Policy, now: i64) -> Option<TimerAction> {
    if !has_timers(t.state) {
        return None;
    }
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

/// The staff question the ticket waits on: the text of the staff comment that put it in
/// `waiting_for_feedback` (a reminder repeats it, so the customer need not search for it).
fn waiting_question(t: &Ticket) -> String {
    t.events
        .iter()
        .rev()
        .find(|e| {
            e.kind == EventKind::StaffComment && e.to_state == Some(State::WaitingForFeedback)
        })
        .map(|e| e.text.clone())
        .unwrap_or_default()
}

/// Applies a due timer action; `facts` says who may be mailed (pauses).
pub(crate) fn apply_timer(
    t: &Ticket,
    action: TimerAction,
    policy: &Policy,
    now: i64,
    facts: &Facts,
) -> Outcome {
    let mut t = t.clone();
    let gateway = policy.gateway_address.clone();
    let from_state = t.state;
    let mail = InboundMail::default();
    let mut effects = Vec::new();
    let why;
    match action {
        TimerAction::Remind => {
            why = vec![Decision::Reminder {
                after: policy.waiting_reminder,
                state: from_state,
            }];
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
            effects.push(Effect::Notify(Notice {
                text: waiting_question(&t),
                ..notice(
                    NoticeKind::Reminder,
                    t.customers(),
                    t.language,
                    snap,
                    &gateway,
                    &mail,
                )
            }));
        }
        TimerAction::AutoClose => {
            let after = if from_state == State::Resolved {
                policy.resolved_autoclose
            } else {
                policy.waiting_autoclose
            };
            why = vec![Decision::AutoClosed {
                after,
                state: from_state,
            }];
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
            let n = |kind, to: Vec<String>, lang| Notice {
                from_state: Some(from_state),
                to_state: Some(State::Closed),
                ..notice(kind, to, lang, snap.clone(), &gateway, &mail)
            };
            effects.push(Effect::Notify(n(
                NoticeKind::AutoClosed,
                t.customers(),
                t.language,
            )));
            let mut staff = policy.staff_notify.clone();
            if let Some(owner) = t.owner.as_ref().filter(|o| !staff.contains(o)) {
                staff.insert(0, owner.clone());
            }
            effects.push(Effect::Notify(n(
                NoticeKind::AutoClosedStaff,
                staff,
                policy.default_language,
            )));
        }
    }
    let mut out = Outcome {
        effects,
        decision: why,
    };
    deliver(&mut out, policy, now, facts);
    out
}
