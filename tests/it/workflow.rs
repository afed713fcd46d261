//! SPEC §2.2, row by row, through the pure core only (no I/O): every allowed and every
//! refused staff transition, every cell of the customer table.

use ticket_gateway::core::workflow::{decide, Context, MatchedBy};
use ticket_gateway::core::{
    Address, ClosedReply, Effect, EventKind, InboundMail, NoticeKind, Outcome, Policy, State,
    Ticket, TicketId,
};

const STAFF: &str = "staff@gateway.test";
const ALICE: &str = "alice@customer.test";

fn ticket(state: State) -> Ticket {
    Ticket {
        id: TicketId(7),
        summary: "Printer".into(),
        state,
        reporter: ALICE.into(),
        participants: vec!["carol@customer.test".into()],
        reporter_name: String::new(),
        fields: Default::default(),
        owner: None,
        language: ticket_gateway::core::Lang::En,
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

fn mail(from: &str, subject: &str, text: &str) -> InboundMail {
    InboundMail {
        message_id: Some("m1@client.test".into()),
        from: Some(Address::new(from)),
        to: vec![Address::new("support@gateway.test")],
        subject: subject.into(),
        body: text.into(),
        reply_text: text.into(),
        ..Default::default()
    }
}

fn run(state: State, from: &str, text: &str, policy: &Policy) -> Outcome {
    let t = ticket(state);
    let m = mail(from, "Re: [SUP-7] Printer", text);
    decide(
        Some((&t, MatchedBy::Tag)),
        &m,
        &Context::new(policy, 100, TicketId(8)),
    )
}

fn saved(o: &Outcome) -> &Ticket {
    o.saved().expect("a ticket is saved")
}

fn kinds(o: &Outcome) -> Vec<(NoticeKind, Vec<String>)> {
    o.notices().map(|n| (n.kind, n.to.clone())).collect()
}

/// One row of the staff table.
fn check_staff(keyword: &str, from: State, expect: Option<State>) {
    let policy = Policy::for_tests();
    let o = run(from, STAFF, &format!("{keyword}\nSome words."), &policy);
    let t = saved(&o);
    let last = t.events.last().unwrap();
    match expect {
        Some(to) => {
            assert_eq!(t.state, to, "{keyword} from {from:?}");
            assert_eq!(last.kind, EventKind::StaffComment);
            assert_eq!(last.from_state, Some(from));
            assert_eq!(last.to_state, Some(to));
            assert_eq!(last.text, "Some words.", "keyword line removed");
            let n: Vec<_> = o.notices().collect();
            assert_eq!(n.len(), 2, "the customer's mail and the team's copy");
            assert_eq!(n[0].kind, NoticeKind::StaffUpdate);
            assert_eq!(
                (n[1].kind, n[1].to.clone()),
                (NoticeKind::TeamCopy, policy.staff_notify.clone())
            );
            assert_eq!(
                n[0].to,
                vec![ALICE.to_string(), "carol@customer.test".into()]
            );
            assert_eq!(n[0].text, "Some words.");
            assert_eq!(n[0].to_state, Some(to));
        }
        None => {
            assert_eq!(t.state, from, "{keyword} from {from:?} must be refused");
            assert_eq!(last.kind, EventKind::Refused);
            assert_eq!(
                kinds(&o),
                vec![(NoticeKind::Refused, vec![STAFF.to_string()])]
            );
            let n = o.notices().next().unwrap();
            assert_eq!(n.keyword.as_deref(), Some(keyword));
            assert!(n.allowed.contains(&"#note".to_string()));
            assert!(!n.allowed.contains(&keyword.to_string()));
        }
    }
}

use State::*;
const ALL: [State; 7] = [
    Open,
    Acknowledged,
    InProgress,
    WaitingForFeedback,
    Resolved,
    Closed,
    Reopened,
];

#[test]
fn staff_table_every_cell() {
    let table: &[(&str, State, &[State])] = &[
        ("#ack", Acknowledged, &[Open, Reopened, InProgress]),
        ("#progress", InProgress, &[Open, Reopened, Acknowledged]),
        (
            "#waiting",
            WaitingForFeedback,
            &[Open, Reopened, Acknowledged, InProgress],
        ),
        (
            "#resolve",
            Resolved,
            &[
                Open,
                Acknowledged,
                InProgress,
                WaitingForFeedback,
                Resolved,
                Reopened,
            ],
        ),
        (
            "#close",
            Closed,
            &[
                Open,
                Acknowledged,
                InProgress,
                WaitingForFeedback,
                Resolved,
                Reopened,
            ],
        ),
        ("#reopen", Reopened, &[Resolved, Closed]),
    ];
    let mut cells = 0;
    for (kw, to, allowed) in table {
        for from in ALL {
            check_staff(kw, from, allowed.contains(&from).then_some(*to));
            cells += 1;
        }
    }
    assert_eq!(cells, 42);
}

#[test]
fn french_staff_keywords_and_case_and_accents() {
    let policy = Policy::for_tests();
    for (kw, from, to) in [
        ("#pris-en-compte", Open, Acknowledged),
        ("#en-cours", Open, InProgress),
        ("#attente", Open, WaitingForFeedback),
        ("#Résolu", Open, Resolved),
        ("#RESOLVE", Open, Resolved),
        ("#clore", Open, Closed),
        ("#fermer", Open, Closed),
        ("#rouvrir", Closed, Reopened),
    ] {
        let o = run(from, STAFF, &format!("{kw}\nMot."), &policy);
        assert_eq!(saved(&o).state, to, "{kw}");
    }
}

#[test]
fn staff_note_is_internal_and_no_keyword_is_a_public_comment() {
    let policy = Policy::for_tests();
    for from in ALL {
        let o = run(from, STAFF, "#note\nCustomer is a VIP.", &policy);
        let t = saved(&o);
        assert_eq!(t.state, from);
        assert_eq!(t.events.last().unwrap().kind, EventKind::Note);
        assert_eq!(
            kinds(&o),
            [(NoticeKind::TeamCopy, policy.staff_notify.clone())],
            "a note is never sent to the customer, only copied to the team"
        );

        let o = run(from, STAFF, "We are looking into it.", &policy);
        let t = saved(&o);
        assert_eq!(t.state, from);
        assert_eq!(t.events.last().unwrap().kind, EventKind::StaffComment);
        assert_eq!(kinds(&o)[0].0, NoticeKind::StaffUpdate);
    }
}

#[test]
fn keyword_in_the_subject_counts() {
    let policy = Policy::for_tests();
    let t = ticket(Open);
    let m = mail(STAFF, "Re: [SUP-7] Printer #resolve", "Fixed by a reboot.");
    let o = decide(
        Some((&t, MatchedBy::Tag)),
        &m,
        &Context::new(&policy, 1, TicketId(8)),
    );
    assert_eq!(saved(&o).state, Resolved);
}

/// One cell of the customer table.
fn check_customer(state: State, text: &str, expect_state: State, expect_staff_mail: bool) {
    let policy = Policy::for_tests();
    let o = run(state, ALICE, text, &policy);
    let t = saved(&o);
    assert_eq!(t.state, expect_state, "{state:?} + {text:?}");
    assert_eq!(t.events.last().unwrap().kind, EventKind::Comment);
    let to_staff = o
        .notices()
        .filter(|n| n.kind == NoticeKind::CustomerUpdate)
        .count();
    assert_eq!(to_staff == 1, expect_staff_mail, "{state:?} + {text:?}");
    // Never an echo to the customer, except the closed-ticket notice.
    assert!(o.notices().all(|n| n.kind != NoticeKind::StaffUpdate));
}

#[test]
fn customer_table_every_cell() {
    // waiting_for_feedback
    check_customer(WaitingForFeedback, "Here is the log.", Open, true);
    check_customer(
        WaitingForFeedback,
        "#close\nNo longer needed.",
        Closed,
        true,
    );
    check_customer(
        WaitingForFeedback,
        "#partial\nPart of it.",
        WaitingForFeedback,
        true,
    );
    // resolved
    check_customer(Resolved, "Still broken.", Reopened, true);
    check_customer(Resolved, "#close\nThanks!", Closed, true);
    check_customer(Resolved, "#partiel\nHalf works.", Reopened, true);
    // open, acknowledged, in_progress, reopened
    for s in [Open, Acknowledged, InProgress, Reopened] {
        check_customer(s, "Any news?", s, true);
        check_customer(s, "#close\nSolved it myself.", Closed, true);
        check_customer(s, "#partial\nMore details.", s, true);
    }
    // closed, with #close / #partial: no change, nothing sent
    for text in ["#close\nagain", "#partial\nmore"] {
        let o = run(Closed, ALICE, text, &Policy::for_tests());
        assert_eq!(saved(&o).state, Closed);
        assert_eq!(o.notices().count(), 0);
    }
}

#[test]
fn customer_reply_to_a_closed_ticket_in_both_modes() {
    let policy = Policy::for_tests();
    let o = run(Closed, ALICE, "One more question.", &policy);
    assert_eq!(saved(&o).state, Closed);
    assert_eq!(saved(&o).id, TicketId(7));
    let k = kinds(&o);
    assert!(
        k.contains(&(NoticeKind::ClosedReply, vec![ALICE.to_string()])),
        "{k:?}"
    );

    let policy = Policy {
        closed_reply: ClosedReply::NewTicket,
        ..Policy::for_tests()
    };
    let o = run(Closed, ALICE, "One more question.", &policy);
    let t = saved(&o);
    assert_eq!(t.id, TicketId(8));
    assert_eq!(t.refers_to, Some(TicketId(7)));
    assert!(t.description().contains("[SUP-7]"));
    assert!(kinds(&o)
        .iter()
        .any(|(k, _)| *k == NoticeKind::Acknowledgement));
}

#[test]
fn a_customer_never_uses_staff_keywords() {
    let o = run(
        Open,
        ALICE,
        "#resolve\nplease resolve this",
        &Policy::for_tests(),
    );
    let t = saved(&o);
    assert_eq!(t.state, Open);
    assert!(
        t.events.last().unwrap().text.contains("#resolve"),
        "plain text for a customer"
    );
}

#[test]
fn a_stranger_with_a_valid_tag_opens_a_new_ticket() {
    let o = run(
        Resolved,
        "mallory@evil.test",
        "#close\nclose it",
        &Policy::for_tests(),
    );
    let t = saved(&o);
    assert_eq!(t.id, TicketId(8));
    assert_eq!(t.state, Open);
    assert_eq!(t.reporter, "mallory@evil.test");
    assert!(t.description().contains("[SUP-7]"));
    assert_eq!(
        o.effects
            .iter()
            .filter(|e| matches!(e, Effect::Save(_)))
            .count(),
        1,
        "the old ticket is not saved"
    );
}

#[test]
fn a_new_mail_opens_a_ticket_with_participants_and_notices() {
    let policy = Policy::for_tests();
    let mut m = mail(ALICE, "Fwd: RE: Printer broken", "It prints blank pages.");
    m.cc = vec![
        Address::new("carol@customer.test"),
        Address::new(STAFF),
        Address::new("support@gateway.test"),
    ];
    let o = decide(None, &m, &Context::new(&policy, 5, TicketId(1)));
    let t = saved(&o);
    assert_eq!(t.summary, "Printer broken");
    assert_eq!(t.participants, vec!["carol@customer.test".to_string()]);
    assert_eq!(t.thread, vec!["m1@client.test".to_string()]);
    let k = kinds(&o);
    assert_eq!(
        k[0],
        (
            NoticeKind::Acknowledgement,
            vec![ALICE.to_string(), "carol@customer.test".into()]
        )
    );
    assert_eq!(
        k[1],
        (NoticeKind::NewTicket, vec!["team@gateway.test".to_string()])
    );
}

#[test]
fn own_mail_coming_back_changes_nothing() {
    let o = run(Open, "support@gateway.test", "#close", &Policy::for_tests());
    assert!(o.effects.is_empty());
}

#[test]
fn no_sender_is_quarantined() {
    let policy = Policy::for_tests();
    let mut m = mail(ALICE, "x", "y");
    m.from = None;
    let o = decide(None, &m, &Context::new(&policy, 5, TicketId(1)));
    assert!(o.quarantine().is_some());
}
