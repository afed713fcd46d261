//! Service levels (SPEC §2.7): per severity, a first-response and a resolution time. What is
//! due and what is breached is derived from the ticket's history alone (so it survives
//! restarts), and an escalation is sent once per breach, recorded as an event.

use super::decision::Decision;
use super::delivery::{deliver, Facts};
use super::effect::{Effect, Notice, NoticeKind, Outcome, TicketSnapshot};
use super::fields::Severity;
use super::workflow::push_event;
use super::{EventKind, InboundMail, Policy, State, Ticket};

/// The times of one severity, in seconds (`[sla]`); `None`: no such level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaTimes {
    pub first_response: Option<i64>,
    pub resolution: Option<i64>,
}

/// Which service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlaKind {
    FirstResponse,
    Resolution,
}

impl SlaKind {
    pub const ALL: [SlaKind; 2] = [SlaKind::FirstResponse, SlaKind::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaKind::FirstResponse => "first_response",
            SlaKind::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<SlaKind> {
        SlaKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// Where a ticket stands with one service level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaStatus {
    pub kind: SlaKind,
    /// The time allowed, in seconds.
    pub allowed: i64,
    /// When it falls due at the current pace (Unix seconds); `None` while the clock is
    /// stopped (waiting for the customer, resolved, closed) or once it was met.
    pub due: Option<i64>,
    /// Met in time: a staff answer came, or the ticket was resolved, within the time.
    pub met: bool,
    pub breached: bool,
}

/// The states whose time counts towards resolution: support must act. Only a ticket in
/// one of them can breach a service level.
pub fn clock_runs(state: State) -> bool {
    !matches!(
        state,
        State::WaitingForFeedback | State::Resolved | State::Closed
    )
}

/// The seconds the resolution clock ran up to `now`: time spent in states where support
/// must act (time waiting for the customer, resolved or closed does not count), and the
/// state it is in at `now`.
pub fn resolution_clock(t: &Ticket, now: i64) -> i64 {
    let mut state = State::Open;
    let mut since = t.created_at;
    let mut total = 0;
    for e in &t.events {
        if let Some(to) = e.to_state {
            if clock_runs(state) {
                total += (e.at.min(now) - since).max(0);
            }
            state = to;
            since = e.at;
        }
    }
    if clock_runs(state) {
        total += (now - since).max(0);
    }
    total
}

/// The first staff answer the customer got (Unix seconds).
fn first_answer(t: &Ticket) -> Option<i64> {
    t.events
        .iter()
        .find(|e| e.kind == EventKind::StaffComment)
        .map(|e| e.at)
}

/// The ticket's service levels at `now` under `policy` (none for a severity without an
/// entry, or for an automated ticket).
pub fn status(t: &Ticket, policy: &Policy, now: i64) -> Vec<SlaStatus> {
    let times = times_of(policy, t.fields.severity);
    let mut out = Vec::new();
    if let Some(allowed) = times.first_response {
        let due = t.created_at + allowed;
        let answered = first_answer(t);
        let met = answered.is_some_and(|a| a <= due);
        let breached = match answered {
            Some(a) => a > due,
            None => now >= due,
        };
        out.push(SlaStatus {
            kind: SlaKind::FirstResponse,
            allowed,
            due: answered.is_none().then_some(due),
            met,
            breached,
        });
    }
    if let Some(allowed) = times.resolution {
        let ran = resolution_clock(t, now);
        let breached = ran >= allowed;
        let running = clock_runs(t.state);
        let met = !running && !breached && t.state != State::WaitingForFeedback;
        out.push(SlaStatus {
            kind: SlaKind::Resolution,
            allowed,
            due: (running && !breached).then_some(now + allowed - ran),
            met,
            breached,
        });
    }
    out
}

/// The service levels of a severity.
pub fn times_of(policy: &Policy, severity: Severity) -> SlaTimes {
    policy
        .sla
        .iter()
        .find(|(s, _)| *s == severity)
        .map(|(_, t)| *t)
        .unwrap_or_default()
}

/// Was this level's escalation already sent? (An escalation event names its kind.)
fn escalated(t: &Ticket, kind: SlaKind) -> bool {
    t.events
        .iter()
        .any(|e| e.kind == EventKind::Escalation && e.text == kind.as_str())
}

/// The breaches at `now` that no escalation was sent for yet; a closed or resolved ticket
/// escalates nothing.
pub fn breaches(t: &Ticket, policy: &Policy, now: i64) -> Vec<SlaStatus> {
    if !clock_runs(t.state) || t.automated {
        return vec![];
    }
    status(t, policy, now)
        .into_iter()
        .filter(|s| s.breached && !escalated(t, s.kind))
        .collect()
}

/// The earliest time a service level of the ticket can next fall due, at the current pace.
pub fn next_due(t: &Ticket, policy: &Policy, now: i64) -> Option<i64> {
    if !clock_runs(t.state) || t.automated {
        return None;
    }
    status(t, policy, now)
        .into_iter()
        .filter(|s| !escalated(t, s.kind))
        .filter_map(|s| s.due)
        .min()
}

/// One escalation mail per breach, to the owner, else to `staff.notify`; each recorded on
/// the ticket so it is sent once.
pub fn escalate(
    t: &Ticket,
    breached: &[SlaStatus],
    policy: &Policy,
    now: i64,
    facts: &Facts,
) -> Outcome {
    let mut t = t.clone();
    let to = match &t.owner {
        Some(owner) => vec![owner.clone()],
        None => policy.staff_notify.clone(),
    };
    let gateway = policy.gateway_address.clone();
    let mail = InboundMail::default();
    let mut effects = Vec::new();
    let mut decision = Vec::new();
    for s in breached {
        let why = vec![Decision::SlaBreached {
            what: s.kind,
            after: s.allowed,
            to: to.clone(),
        }];
        push_event(
            &mut t,
            &mail,
            now,
            EventKind::Escalation,
            &gateway,
            s.kind.as_str().to_string(),
            None,
            &why,
        );
        decision.extend(why);
        let snap = TicketSnapshot::of(&t);
        effects.push(Effect::Notify(Notice {
            keyword: Some(s.kind.as_str().to_string()),
            sla_allowed: Some(s.allowed),
            ..Notice::new(
                NoticeKind::Escalation,
                to.clone(),
                policy.default_language,
                snap,
                &gateway,
            )
        }));
    }
    effects.insert(0, Effect::Save(t));
    let mut out = Outcome { effects, decision };
    deliver(&mut out, policy, now, facts);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Event, Lang, TicketId};

    fn policy() -> Policy {
        Policy {
            sla: vec![(
                Severity::Critical,
                SlaTimes {
                    first_response: Some(60),
                    resolution: Some(600),
                },
            )],
            ..Policy::for_tests()
        }
    }

    fn ticket(severity: Severity) -> Ticket {
        let fields = crate::core::Fields {
            severity,
            ..Default::default()
        };
        Ticket {
            id: TicketId(1),
            summary: "Down".into(),
            state: State::Open,
            reporter: "alice@customer.test".into(),
            reporter_name: String::new(),
            participants: vec![],
            fields,
            owner: None,
            language: Lang::En,
            created_at: 1000,
            updated_at: 1000,
            state_since: 1000,
            reminded: false,
            automated: false,
            refers_to: None,
            thread: vec![],
            sent: vec![],
            events: vec![],
        }
    }

    fn change(t: &mut Ticket, at: i64, kind: EventKind, to: Option<State>) {
        t.events.push(Event {
            at,
            kind,
            from: "staff@gateway.test".into(),
            text: String::new(),
            from_state: to.map(|_| t.state),
            to_state: to,
            message_id: None,
            attachments: vec![],
            decision: vec![],
        });
        if let Some(to) = to {
            t.state = to;
            t.state_since = at;
        }
    }

    #[test]
    fn a_severity_without_an_entry_has_no_service_level() {
        let t = ticket(Severity::Major);
        assert!(status(&t, &policy(), 99_999).is_empty());
        assert_eq!(next_due(&t, &policy(), 1000), None);
    }

    #[test]
    fn first_response_is_due_after_its_time_and_met_by_a_staff_answer() {
        let p = policy();
        let mut t = ticket(Severity::Critical);
        assert_eq!(next_due(&t, &p, 1000), Some(1060));
        assert!(breaches(&t, &p, 1059).is_empty());
        let b = breaches(&t, &p, 1060);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].kind, SlaKind::FirstResponse);
        change(&mut t, 1030, EventKind::StaffComment, None);
        let s = status(&t, &p, 2000);
        assert!(s[0].met && !s[0].breached, "{s:?}");
    }

    #[test]
    fn waiting_for_the_customer_does_not_count_towards_resolution() {
        let p = policy();
        let mut t = ticket(Severity::Critical);
        change(
            &mut t,
            1050,
            EventKind::StaffComment,
            Some(State::WaitingForFeedback),
        );
        // 50 s counted, then waiting for 10,000 s.
        assert_eq!(resolution_clock(&t, 11_050), 50);
        assert_eq!(next_due(&t, &p, 11_050), None, "the clock is stopped");
        change(&mut t, 11_050, EventKind::Comment, Some(State::Open));
        assert_eq!(resolution_clock(&t, 11_150), 150);
        assert_eq!(next_due(&t, &p, 11_150), Some(11_150 + 450));
        assert!(breaches(&t, &p, 11_599).is_empty());
        let b = breaches(&t, &p, 11_600);
        assert_eq!(
            b.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [SlaKind::Resolution]
        );
    }

    #[test]
    fn an_escalation_goes_once_to_the_owner_else_to_the_team() {
        let p = policy();
        let mut t = ticket(Severity::Critical);
        let b = breaches(&t, &p, 5000);
        assert_eq!(b.len(), 2);
        let o = escalate(&t, &b, &p, 5000, &Facts::default());
        let to: Vec<_> = o.notices().map(|n| n.to.clone()).collect();
        assert_eq!(to, [p.staff_notify.clone(), p.staff_notify.clone()]);
        let saved = o.saved().unwrap();
        assert!(breaches(saved, &p, 9000).is_empty(), "sent once");
        assert_eq!(next_due(saved, &p, 9000), None);
        t.owner = Some("bob@gateway.test".into());
        let o = escalate(&t, &b[..1], &p, 5000, &Facts::default());
        let n = o.notices().next().unwrap();
        assert_eq!(n.to, ["bob@gateway.test"]);
        assert_eq!(n.kind, NoticeKind::Escalation);
    }
}
