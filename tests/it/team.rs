//! The seed's whole ticket and a team that never works blind (issue 16; SPEC §2.4–§2.7),
//! end to end through the real Dovecot and Postfix of `scripts/mailsys`: fields from a French
//! customer's first lines, the greeting by name, ownership and the team's copies, a severity
//! change told to the customer, a service-level escalation, and the HTML part of every notice.

use std::time::Duration;

use ticket_gateway::core::{EventKind, Severity, State, TicketType};

use crate::support::*;

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

/// What a gateway mail is, from its `X-Ticket-Gateway: SUP-1; kind` header.
fn is(r: &Received, tag: &str, kind: &str) -> bool {
    r.header("X-Ticket-Gateway").as_deref() == Some(&format!("{tag}; {kind}"))
}

/// Sends a plain mail whose `From` carries a display name.
async fn send_named(name: &str, from: &str, to: &str, subject: &str, body: &str, lang: &str) {
    let raw = String::from_utf8(
        Draft::new(from, to, subject, body)
            .header("Content-Language", lang)
            .raw(),
    )
    .unwrap()
    .replacen(
        &format!("From: {from}\r\n"),
        &format!("From: {name} <{from}>\r\n"),
        1,
    );
    send_raw(from, &[to], raw.as_bytes()).await;
}

/// Every gateway mail in `user`'s INBOX has an HTML alternative that parses (well-formed,
/// `<html>` at its root) and shows the ticket's tag; returns the kinds seen.
async fn html_parts_parse(user: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for r in mails(user, |r| r.header("X-Ticket-Gateway").is_some()).await {
        let kind = r.header("X-Ticket-Gateway").unwrap();
        let html = r
            .html
            .clone()
            .unwrap_or_else(|| panic!("{kind}: no HTML alternative"));
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{kind}: the HTML does not parse: {e}"));
        assert_eq!(doc.root_element().tag_name().name(), "html", "{kind}");
        let tag = kind.split(';').next().unwrap();
        assert!(html.contains(&format!("[{tag}]")), "{kind}: no tag");
        kinds.push(kind);
    }
    kinds
}

/// The second staff member of a test: another address of the gateway's domain.
fn paul(n: &Names) -> String {
    n.staff.replacen("staff-", "paul-", 1)
}

fn with_paul(toml: String, paul: &str) -> String {
    toml.replacen(
        "addresses = [\"",
        &format!("addresses = [\"{paul}\", \""),
        1,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_customers_field_lines_set_the_fields_and_she_is_greeted_by_name() {
    let h = Harness::start("fields-fr").await;
    let n = h.names.clone();
    send_named(
        "Jeanne Martin",
        &n.alice,
        &n.support,
        "L'export PDF plante",
        "Type : Anomalie\nSévérité : Majeur\nVersion : 10.10\n\nBonjour,\nl'export PDF plante depuis la mise à jour.\nJeanne",
        "fr",
    )
    .await;
    let t = h.wait_ticket(1, "ticket 1", |_| true).await;
    assert_eq!(t.fields.kind, TicketType::Bug);
    assert_eq!(t.fields.severity, Severity::Major);
    assert_eq!(t.fields.version, "10.10");
    assert!(
        !t.description().contains("Anomalie") && t.description().starts_with("Bonjour,"),
        "field lines removed: {}",
        t.description()
    );
    let ack = wait_mail(&n.alice, "acknowledgement", |r| {
        is(r, "SUP-1", "acknowledgement")
    })
    .await;
    assert!(ack.text.starts_with("Bonjour Jeanne,"), "{}", ack.text);
    assert!(ack.text.contains("Type : Anomalie"), "{}", ack.text);
    assert!(ack.text.contains("Sévérité : Majeur"), "{}", ack.text);
    let staff = wait_mail(&n.team, "new ticket", |r| is(r, "SUP-1", "new_ticket")).await;
    for part in [
        "Jeanne Martin <",
        "Type:         Bug",
        "Severity:     Major",
        "Version:      10.10",
        "Language:     fr",
        "Owner:        nobody",
    ] {
        assert!(staff.text.contains(part), "{part:?} in {}", staff.text);
    }
    // The CLI's view carries the fields.
    let view = ticket_gateway::views::ticket_view(
        &t,
        &h.gw().policy,
        ticket_gateway::pipeline::now_secs(),
        false,
    );
    let json = serde_json::to_value(&view).unwrap();
    assert_eq!(json["type"], "bug");
    assert_eq!(json["severity"], "major");
    assert_eq!(json["version"], "10.10");
    assert_eq!(json["owner"], serde_json::Value::Null);

    // An English customer with an unknown severity: the default, and the values listed.
    send_named(
        "Bob Smith",
        &n.bob,
        &n.support,
        "Slow login",
        "Severity: whenever\n\nLogin takes a minute.",
        "en",
    )
    .await;
    let t2 = h.wait_ticket(2, "ticket 2", |_| true).await;
    assert_eq!(t2.fields.severity, Severity::Major);
    let ack2 = wait_mail(&n.bob, "acknowledgement", |r| {
        is(r, "SUP-2", "acknowledgement")
    })
    .await;
    assert!(ack2.text.starts_with("Hello Bob,"), "{}", ack2.text);
    assert!(
        ack2.text.contains("\"whenever\"")
            && ack2
                .text
                .contains("Blocker, Critical, Major, Minor, Trivial"),
        "{}",
        ack2.text
    );
    h.wait_inbox_empty().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_takes_the_other_comments_and_the_owner_gets_the_copy_not_the_author() {
    // Paul is staff too: his address is made from the staff address the config names.
    let h = Harness::start_with("team-copy", |toml| {
        let staff = toml
            .lines()
            .find_map(|l| l.strip_prefix("addresses = [\""))
            .and_then(|l| l.split('"').next())
            .expect("the staff address")
            .to_string();
        with_paul(toml.clone(), &staff.replacen("staff-", "paul-", 1))
    })
    .await;
    let n = h.names.clone();
    let paul = paul(&n);
    Draft::new(
        &n.alice,
        &n.support,
        "Printer jams",
        "It jams on every page.",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new ticket", |r| is(r, "SUP-1", "new_ticket")).await;

    // Staff takes it: a copy to the team, none to Staff, nothing to the customer.
    Draft::reply_to(&n.staff, &n.support, &new, "#take")
        .send()
        .await;
    let t = h.wait_ticket(1, "owned", |t| t.owner.is_some()).await;
    assert_eq!(t.owner.as_deref(), Some(n.staff.as_str()));
    wait_mail(&n.team, "copy of the take", |r| is(r, "SUP-1", "team_copy")).await;

    // Paul answers the customer: Alice gets it, the owner and the team get a copy, Paul not.
    Draft::reply_to(&paul, &n.support, &new, "Please try the manual feed tray.")
        .send()
        .await;
    h.wait_ticket(1, "Paul's comment", |t| {
        t.events.last().unwrap().kind == EventKind::StaffComment
    })
    .await;
    let to_alice = wait_mail(&n.alice, "the answer", |r| is(r, "SUP-1", "staff_update")).await;
    assert!(
        to_alice.text.contains("manual feed tray"),
        "{}",
        to_alice.text
    );
    assert_eq!(
        to_alice.header("Auto-Submitted"),
        None,
        "a person's comment is not an automatic answer"
    );
    let copy = wait_mail(&n.staff, "the owner's copy", |r| {
        is(r, "SUP-1", "team_copy")
    })
    .await;
    assert!(
        copy.subject.starts_with("[SUP-1] Copy: "),
        "{}",
        copy.subject
    );
    assert!(
        copy.text
            .starts_with(&format!("Copy for the team: {paul} answered the customer")),
        "{}",
        copy.text
    );
    assert!(copy.text.contains("manual feed tray"), "{}", copy.text);
    assert!(
        copy.text.contains(&format!("Owner:        {}", n.staff)),
        "{}",
        copy.text
    );
    h.wait_inbox_empty().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let to_paul = mails(&paul, |r| has_tag(r, "SUP-1")).await;
    assert!(
        to_paul.is_empty(),
        "the author gets no copy: {:?}",
        to_paul.iter().map(|r| &r.subject).collect::<Vec<_>>()
    );
    let to_staff = mails(&n.staff, |r| has_tag(r, "SUP-1")).await;
    assert_eq!(
        to_staff.len(),
        1,
        "the owner: Paul's copy only, not his own #take"
    );

    // The customer answers: the owner gets it, not the team (staff.notify_all is off).
    Draft::reply_to(&n.alice, &n.support, &to_alice, "Still jams.")
        .send()
        .await;
    let update = wait_mail(&n.staff, "the customer's answer", |r| {
        is(r, "SUP-1", "customer_update")
    })
    .await;
    assert!(update.text.contains("Still jams."), "{}", update.text);
    h.wait_inbox_empty().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        mails(&n.team, |r| is(r, "SUP-1", "customer_update"))
            .await
            .is_empty(),
        "an owned ticket's customer mail goes to its owner"
    );

    // Paul's internal note: copied to the owner and the team, never to the customer.
    Draft::reply_to(&paul, &n.support, &new, "#note\nThe tray roller is worn.")
        .send()
        .await;
    let note = wait_mail(&n.staff, "the note's copy", |r| {
        is(r, "SUP-1", "team_copy") && r.text.contains("roller")
    })
    .await;
    assert!(note.text.contains("internal note"), "{}", note.text);
    h.wait_inbox_empty().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(mails(&n.alice, |r| r.text.contains("roller"))
        .await
        .is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_severity_change_is_told_to_the_customer() {
    let h = Harness::start("severity").await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "Typo on the invoice",
        "Severity: critical\n\nThe invoice says 'Totl'.",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new ticket", |r| is(r, "SUP-1", "new_ticket")).await;
    assert!(new.text.contains("Severity:     Critical"), "{}", new.text);
    Draft::reply_to(&n.staff, &n.support, &new, "#severity minor #type bug")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "severity changed", |t| {
            t.fields.severity == Severity::Minor
        })
        .await;
    assert_eq!(t.fields.kind, TicketType::Bug);
    assert_eq!(t.state, State::Open);
    let told = wait_mail(&n.alice, "the change", |r| is(r, "SUP-1", "staff_update")).await;
    assert!(
        told.text
            .contains("The severity of your ticket is now Minor (was Critical)."),
        "{}",
        told.text
    );
    assert!(
        told.text.contains("The type of your ticket is now Bug"),
        "{}",
        told.text
    );
    let log = t.events.last().unwrap().log().join("\n");
    assert!(log.contains("severity changed: critical -> minor"), "{log}");

    // A value the field does not know holds the mail; the staff member is told the values.
    Draft::reply_to(&n.staff, &n.support, &new, "#severity whenever\nLowered.")
        .send()
        .await;
    let held = wait_mail(&n.staff, "held", |r| is(r, "SUP-1", "held")).await;
    assert!(
        held.text
            .contains("#severity takes one of: blocker, critical, major, minor, trivial"),
        "{}",
        held.text
    );
    assert_eq!(h.ticket(1).unwrap().fields.severity, Severity::Minor);
    let mut kinds = html_parts_parse(&n.staff).await;
    kinds.extend(html_parts_parse(&n.alice).await);
    assert!(kinds.iter().any(|k| k.ends_with("held")), "{kinds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breached_service_level_sends_one_escalation_that_survives_a_restart() {
    let mut h = Harness::start_with("sla", |toml| {
        format!("{toml}\n[sla]\ncritical = {{ first_response = \"2s\", resolution = \"1h\" }}\n")
    })
    .await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "Checkout is down",
        "Severity: critical\n\nNobody can pay.",
    )
    .send()
    .await;
    // A major ticket has no service level here: it never escalates.
    Draft::new(&n.bob, &n.support, "A question", "How do I export?")
        .send()
        .await;
    let escalation = wait_mail(&n.team, "escalation", |r| is(r, "SUP-1", "escalation")).await;
    assert!(
        escalation.text.starts_with(
            "Service level breached on [SUP-1]: no answer to the customer within 2 seconds."
        ),
        "{}",
        escalation.text
    );
    assert!(
        escalation.text.contains("Severity:     Critical"),
        "{}",
        escalation.text
    );
    let t = h
        .wait_ticket(1, "escalation recorded", |t| {
            t.events.iter().any(|e| e.kind == EventKind::Escalation)
        })
        .await;
    let view = ticket_gateway::views::ticket_view(
        &t,
        &h.gw().policy,
        ticket_gateway::pipeline::now_secs(),
        false,
    );
    let first = view
        .sla
        .iter()
        .find(|s| s.kind == "first_response")
        .unwrap();
    assert!(first.breached && !first.met, "{view:?}");
    let resolution = view.sla.iter().find(|s| s.kind == "resolution").unwrap();
    assert!(!resolution.breached && resolution.due.is_some(), "{view:?}");

    // Ticks go on and the daemon restarts: still one escalation (it is in the store).
    h.restart().await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let escalations = mails(&n.team, |r| {
        r.header("X-Ticket-Gateway")
            .is_some_and(|v| v.ends_with("escalation"))
    })
    .await;
    assert_eq!(
        escalations
            .iter()
            .map(|r| r.subject.as_str())
            .collect::<Vec<_>>(),
        ["[SUP-1] Checkout is down"]
    );
    let t = h.ticket(1).unwrap();
    assert_eq!(
        t.events
            .iter()
            .filter(|e| e.kind == EventKind::Escalation)
            .count(),
        1
    );
    assert!(
        t.events
            .last()
            .unwrap()
            .log()
            .join("\n")
            .contains("service level breached"),
        "{:?}",
        t.events.last().unwrap().decision
    );
    // The metric counts it, from the store.
    let counts = ticket_gateway::telemetry::StoreCounts::read(&*h.gw().store).unwrap();
    assert_eq!(
        counts
            .sla_breaches
            .iter()
            .map(|(k, n)| (k.as_str(), *n))
            .collect::<Vec<_>>(),
        [("first_response", 1), ("resolution", 0)]
    );
    assert!(html_parts_parse(&n.team)
        .await
        .iter()
        .any(|k| k.ends_with("escalation")));
}
