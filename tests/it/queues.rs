//! Several support addresses (SPEC §5.4), end to end through the real Dovecot and Postfix:
//! two queues with their own mailboxes, prefixes, SMTP logins and staff, served by one
//! daemon and one store.

use std::time::{Duration, Instant};

use ticket_gateway::core::{EventKind, State, TicketId};

use crate::operate::{cli, stderr, stdout};
use crate::support::*;

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

/// The billing queue's addresses, beside the test's own names.
struct Billing {
    address: String,
    clerk: String,
    team: String,
}

impl Billing {
    /// Beside the support address `support` (`support-<test>@gateway.test`).
    fn of(support: &str) -> Billing {
        let with = |role: &str| support.replacen("support-", &format!("{role}-"), 1);
        Billing {
            address: with("billing"),
            clerk: with("clerk"),
            team: with("money"),
        }
    }

    /// The `[[queues]]` table of the billing queue: its own mailbox, SMTP login and staff.
    fn table(&self, m: &MailSys) -> String {
        format!(
            r#"
[[queues]]
address = "{address}"
name = "Test Billing"
tag_prefix = "BIL"

[queues.imap]
host = "127.0.0.1"
port = {imaps}
tls = "implicit"
ca_file = "{ca}"
username = "{address}"
password_file = "password"
poll_interval = "2s"

[queues.smtp]
host = "127.0.0.1"
port = {submission}
tls = "starttls"
ca_file = "{ca}"
username = "{address}"
password_file = "password"

[queues.staff]
addresses = ["{clerk}"]
notify = ["{team}"]
"#,
            address = self.address,
            clerk = self.clerk,
            team = self.team,
            imaps = m.imaps_port,
            submission = m.submission_port,
            ca = m.ca().display(),
        )
    }
}

/// The support address of a harness's config: its first `address`.
fn support_of(toml: &str) -> String {
    toml.split("address = \"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the gateway's address")
        .to_string()
}

async fn wait_empty(h: &Harness, user: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&h.mail, user, "INBOX").await > 0 {
        assert!(Instant::now() < deadline, "{user}: INBOX not emptied");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_queues_number_answer_and_route_their_own_tickets() {
    let mail = MailSys::get();
    let mut h = Harness::start_with("queues", |toml| {
        let billing = Billing::of(&support_of(&toml)).table(&mail);
        toml + &billing
    })
    .await;
    let (n, b) = (h.names.clone(), Billing::of(&h.names.support));
    let bil1 = TicketId::new(1, 1);

    // A mail to each address opens a ticket of its queue, each prefix numbered from 1.
    Draft::new(
        &n.alice,
        &n.support,
        "Printer is broken",
        "It prints blank pages.",
    )
    .send()
    .await;
    // To billing, with a Cc of support's plus-address, of support itself and of a
    // colleague: only the colleague joins. The mail reaches support's mailbox twice too;
    // whichever mailbox is read first, it is one BIL ticket (its To is billing).
    let carol = n.bob.replacen("bob-", "carol-", 1);
    let plus = n.support.replacen('@', "+billing@", 1);
    Draft::new(
        &n.bob,
        &b.address,
        "Invoice is wrong",
        "Invoice 42 is twice.",
    )
    .cc(&plus)
    .cc(&n.support)
    .cc(&carol)
    .send()
    .await;

    let sup = h.wait_ticket(1, "SUP-1", |_| true).await;
    assert_eq!(sup.summary, "Printer is broken");
    let bil = h.wait_ticket(bil1.0, "BIL-1", |_| true).await;
    assert_eq!(
        (bil.summary.as_str(), bil.reporter.as_str()),
        ("Invoice is wrong", n.bob.as_str())
    );
    assert_eq!(
        bil.participants,
        vec![carol.clone()],
        "no queue address joins"
    );
    assert_eq!(
        h.gw().store.next_ticket_id_in(1).unwrap(),
        TicketId::new(1, 2)
    );
    assert_eq!(h.gw().store.next_ticket_id().unwrap(), TicketId(2));

    // Each acknowledgement comes From its queue's own address and name, with its own tag.
    let ack = wait_mail(&n.bob, "BIL-1 acknowledgement", |r| has_tag(r, "BIL-1")).await;
    assert!(
        ack.subject.starts_with("[BIL-1] Invoice is wrong"),
        "{}",
        ack.subject
    );
    assert_eq!(ack.from, b.address);
    let from = ack.header("From").unwrap_or_default();
    assert!(from.contains("Test Billing"), "{from}");
    assert!(
        ack.message_id.ends_with("@gateway.test"),
        "{}",
        ack.message_id
    );
    let sup_ack = wait_mail(&n.alice, "SUP-1 acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert_eq!(sup_ack.from, n.support);

    // Each queue's staff get its new tickets, and only its own.
    let bil_new = wait_mail(&b.team, "BIL-1 new ticket", |r| has_tag(r, "BIL-1")).await;
    assert!(
        bil_new.text.contains("Invoice 42 is twice"),
        "{}",
        bil_new.text
    );
    assert_eq!(bil_new.from, b.address);
    let sup_new = wait_mail(&n.team, "SUP-1 new ticket", |r| has_tag(r, "SUP-1")).await;
    assert_eq!(sup_new.from, n.support);
    wait_empty(&h, &b.address).await;
    h.settle().await;
    assert_eq!(
        h.tickets().len(),
        2,
        "one ticket for the mail delivered three times"
    );
    assert!(mails(&n.team, |r| has_tag(r, "BIL-1")).await.is_empty());
    assert!(mails(&b.team, |r| has_tag(r, "SUP-1")).await.is_empty());
    assert!(
        mails(&carol, |r| has_tag(r, "BIL-1")).await.len() == 1,
        "the participant's ack"
    );

    // A reply to each lands on its ticket; a reply to SUP-1 sent to billing's address still
    // finds SUP-1 and stays with the support queue.
    Draft::reply_to(&n.bob, &b.address, &ack, "It is invoice 42 of March.")
        .send()
        .await;
    Draft::reply_to(&n.alice, &b.address, &sup_ack, "A LaserJet 4000.")
        .send()
        .await;
    let bil = h
        .wait_ticket(bil1.0, "bob's comment", |t| t.events.len() >= 2)
        .await;
    assert_eq!(bil.events.last().unwrap().kind, EventKind::Comment);
    assert_eq!(
        bil.events.last().unwrap().text,
        "It is invoice 42 of March."
    );
    let sup = h
        .wait_ticket(1, "alice's comment", |t| t.events.len() >= 2)
        .await;
    assert_eq!(sup.events.last().unwrap().text, "A LaserJet 4000.");
    assert_eq!(h.tickets().len(), 2, "no new ticket for either reply");
    // The customer's comment goes to its own queue's staff.
    wait_mail(&b.team, "bob's comment", |r| {
        has_tag(r, "BIL-1") && r.text.contains("invoice 42 of March")
    })
    .await;
    wait_mail(&n.team, "alice's comment", |r| {
        has_tag(r, "SUP-1") && r.text.contains("LaserJet 4000")
    })
    .await;

    // Billing's staff member answers by the billing address: the customer hears it From
    // billing; support's staff list has no say on a billing ticket.
    Draft::reply_to(
        &b.clerk,
        &b.address,
        &bil_new,
        "#resolve\nCorrected, sorry.",
    )
    .send()
    .await;
    let bil = h
        .wait_ticket(bil1.0, "resolved", |t| t.state == State::Resolved)
        .await;
    assert_eq!(bil.events.last().unwrap().from, b.clerk);
    let answer = wait_mail(&n.bob, "the answer", |r| {
        has_tag(r, "BIL-1") && r.text.contains("Corrected, sorry.")
    })
    .await;
    assert_eq!(answer.from, b.address);
    wait_empty(&h, &b.address).await;
    h.settle().await;
    assert!(
        mails(&n.team, |r| has_tag(r, "BIL-1")).await.is_empty(),
        "support's team never hears of billing's tickets"
    );

    // The command line shows each ticket with its own prefix and finds it by it, through
    // the daemon's endpoint while it runs and on the store once it is stopped.
    for running in [true, false] {
        if !running {
            h.stop().await;
        }
        let out = cli(&h.config_path, &["tickets"]).await;
        let list = stdout(&out);
        assert!(list.contains("SUP-1") && list.contains("BIL-1"), "{list}");
        let out = cli(&h.config_path, &["show", "[bil-1]", "--json"]).await;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        assert_eq!(
            (v["tag"].as_str(), v["id"].as_u64()),
            (Some("BIL-1"), Some(bil1.0))
        );
        let out = cli(&h.config_path, &["show", "BIL-9"]).await;
        assert_eq!(
            stderr(&out),
            "ticket-gateway: no ticket BIL-9\n",
            "running: {running}"
        );
    }
}

/// Each mailbox is watched on its own: a second queue whose login the server refuses turns
/// `/healthz` red and says which, while the first queue's session keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_whose_mailbox_is_refused_shows_in_health_beside_one_that_works() {
    let mail = MailSys::get();
    let wrong = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(wrong.path(), "not-the-password\n").unwrap();
    let h = Harness::start_with("queue-health", |toml| {
        let b = Billing::of(&support_of(&toml));
        // The IMAP login (the table's first password) with a password the server refuses.
        let table = b.table(&mail).replacen(
            "password_file = \"password\"",
            &format!("password_file = \"{}\"", wrong.path().display()),
            1,
        );
        toml + &table
    })
    .await;
    let n = h.names.clone();
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let Some(admin) = h.gw().telemetry.admin_addr() else {
            assert!(
                Instant::now() < deadline,
                "the admin endpoint never listened"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let (status, body) = healthz(admin).await;
        let support_ok = body.contains(&format!("imap {}: ok (", n.support));
        if status == 503 && support_ok && body.contains("imap billing-") {
            break body;
        }
        assert!(Instant::now() < deadline, "{status}: {body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let billing = body
        .lines()
        .find(|l| l.contains("imap billing-"))
        .expect("a line for the billing mailbox");
    assert!(billing.contains(": down: "), "{body}");
    assert!(body.contains("\"status\": \"degraded\""), "{body}");
    // The working queue still takes its mail.
    Draft::new(&n.alice, &n.support, "Printer is broken", "Blank pages.")
        .send()
        .await;
    h.wait_ticket(1, "SUP-1", |_| true).await;
}

/// A gateway in process on `dir` with two queues: support (`SUP`, the first mailbox) and
/// billing (`BIL`); `gateway` adds lines to its `[gateway]` table (the store among them).
fn two_queue_gateway(
    dir: &std::path::Path,
    gateway: &str,
    staff: &str,
) -> ticket_gateway::pipeline::Gateway {
    let toml = format!(
        r#"
[gateway]
address = "support@gateway.test"
tag_prefix = "SUP"
templates = "{templates}"
{gateway}

[imap]
host = "127.0.0.1"
username = "support@gateway.test"
password_file = "password"

[smtp]
host = "127.0.0.1"
username = "support@gateway.test"
password_file = "password"

[staff]
addresses = ["{staff}"]

[[queues]]
address = "billing@gateway.test"
name = "Test Billing"
tag_prefix = "BIL"

[queues.imap]
host = "127.0.0.1"
username = "billing@gateway.test"
password_file = "password"
"#,
        templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("templates")
            .display(),
    );
    let path = dir.join("gateway.toml");
    std::fs::write(&path, toml).unwrap();
    std::fs::write(dir.join("password"), "x").unwrap();
    let config = ticket_gateway::config::Config::load(&path).unwrap_or_else(|e| panic!("{e}"));
    ticket_gateway::daemon::open_gateway(config, Duration::from_secs(5)).unwrap()
}

/// The answers about no ticket (a `#list`, a quarantine notice) go out as the queue the mail
/// was written to, whichever mailbox it came to; else as the mailbox's queue. In process:
/// the mails go through the pipeline as the daemon hands them over.
#[test]
fn answers_about_no_ticket_come_from_the_queue_the_mail_was_written_to() {
    const SUPPORT: &str = "support@gateway.test";
    const BILLING: &str = "billing@gateway.test";
    const ALICE: &str = "alice@customer.test";
    let dir = tempfile::tempdir().unwrap();
    let gw = two_queue_gateway(
        dir.path(),
        "store = \"store\"\nmax_message_size = \"4 KiB\"",
        "staff@gateway.test",
    );
    let big = "x".repeat(6000);
    let mails = [
        // Written to billing, read from support's mailbox (queue 0).
        (0, Draft::new(ALICE, BILLING, "#list", "").raw()),
        (0, Draft::new(ALICE, BILLING, "Scan attached", &big).raw()),
        // Written to neither (a Bcc), read from billing's mailbox (queue 1).
        (
            1,
            Draft::new(ALICE, "someone@else.test", "Huge", &big).raw(),
        ),
        // Written to support: support answers.
        (1, Draft::new(ALICE, SUPPORT, "#list", "").raw()),
    ];
    let mut from = Vec::new();
    for (n, (queue, raw)) in mails.iter().enumerate() {
        let prepared = gw.prepare(raw).unwrap();
        let p = gw
            .finish_in(prepared, *queue, 1_800_000_000 + n as i64)
            .unwrap();
        assert_eq!(p.outbox.len(), 1, "mail {n}: one answer");
        let e = gw
            .store
            .outbox()
            .unwrap()
            .into_iter()
            .find(|e| e.id == p.outbox[0])
            .unwrap();
        assert_eq!(e.to, [ALICE], "mail {n}");
        let raw = gw.store.outbox_raw(e.id).unwrap().unwrap();
        let text = String::from_utf8_lossy(&raw).into_owned();
        let mid = text
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
            .unwrap_or_default()
            .to_string();
        from.push((e.from, e.kind, mid.ends_with("@gateway.test>")));
    }
    let kinds: Vec<&str> = from.iter().map(|f| f.1.as_str()).collect();
    assert_eq!(
        kinds,
        ["ticket_list", "quarantined", "quarantined", "ticket_list"]
    );
    let senders: Vec<&str> = from.iter().map(|f| f.0.as_str()).collect();
    assert_eq!(senders, [BILLING, BILLING, BILLING, SUPPORT]);
    assert!(from.iter().all(|f| f.2), "{from:?}");
    assert!(gw.store.tickets().unwrap().is_empty(), "no ticket opened");
}

/// A staff reply to a ticket of another queue, read from the first queue's mailbox, is
/// decided with what the store knows of the ticket's customers, read once the ticket is
/// found (none of them is among the mail's own addresses): a customer paused after a hard
/// bounce gets no copy, the others do. In process, on the store of `TG_TEST_STORE`.
#[test]
fn a_tagged_reply_is_decided_with_what_the_store_knows_of_the_tickets_customers() {
    const SUPPORT: &str = "support@gateway.test";
    const BILLING: &str = "billing@gateway.test";
    const STAFF: &str = "staff@gateway.test";
    const ALICE: &str = "alice@customer.test";
    const BOB: &str = "bob@customer.test";
    let dir = tempfile::tempdir().unwrap();
    let store = match TestStore::from_env() {
        TestStore::Sled => "store = \"store\"".to_string(),
        TestStore::Postgres => format!(
            "store = \"{}\"\nstate_dir = \"state\"",
            pg_schema_url("tagged_reply")
        ),
    };
    let gw = two_queue_gateway(dir.path(), &store, STAFF);
    let now = 1_800_000_000;
    let opened = Draft::new(ALICE, BILLING, "Invoice twice", "Charged twice.")
        .cc(BOB)
        .raw();
    let p = gw.finish_in(gw.prepare(&opened).unwrap(), 1, now).unwrap();
    let id = TicketId(p.record.ticket.expect("a ticket"));
    let tag = gw.queues.of(id).policy.tag(id);
    assert!(tag.contains("BIL"), "{tag}");
    // Alice's address bounced hard: paused for a day.
    gw.store
        .commit(ticket_gateway::store::Commit {
            bounces: vec![(ALICE.into(), now + 86_400)],
            ..Default::default()
        })
        .unwrap();
    let reply = Draft::new(
        STAFF,
        SUPPORT,
        &format!("Re: [{tag}] Invoice twice"),
        "Refunded.",
    )
    .raw();
    let p = gw
        .finish_in(gw.prepare(&reply).unwrap(), 0, now + 60)
        .unwrap();
    assert_eq!(p.record.ticket, Some(id.0), "{:?}", p.record.decision);
    let to: Vec<Vec<String>> = gw
        .store
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|e| p.outbox.contains(&e.id))
        .map(|e| e.to)
        .collect();
    assert!(
        to.iter().flatten().any(|a| a == BOB),
        "Bob gets the reply: {to:?}"
    );
    assert!(
        !to.iter().flatten().any(|a| a == ALICE),
        "Alice is paused: {to:?} {:?}",
        p.record.decision
    );
    assert!(
        p.record.decision.iter().any(|d| d.contains(ALICE)),
        "the decision says why Alice got none: {:?}",
        p.record.decision
    );
}
