//! `ticket-gateway migrate --to URL` end to end (SPEC §5.5, issue 19): a desk that ran on
//! sled through the real Dovecot and Postfix moves to PostgreSQL and carries on where it
//! stopped: replies find their tickets, numbering goes on, and mail already processed is
//! not processed again.

use ticket_gateway::core::{EventKind, State};

use crate::operate::{cli, stdout};
use crate::support::*;

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

fn is(r: &Received, tag: &str, kind: &str) -> bool {
    r.header("X-Ticket-Gateway").as_deref() == Some(&format!("{tag}; {kind}"))
}

/// The config on sled whatever `TG_TEST_STORE` says: this test starts on sled.
fn on_sled(toml: String) -> String {
    let Some(state) = toml
        .lines()
        .find_map(|l| l.strip_prefix("state_dir = "))
        .map(str::to_string)
    else {
        return toml;
    };
    toml.lines()
        .filter(|l| !l.starts_with("state_dir = "))
        .map(|l| match l.starts_with("store = ") {
            true => format!("store = {state}"),
            false => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_desk_moved_from_sled_to_postgresql_carries_on_where_it_stopped() {
    let mut h = Harness::prepare(MailSys::get(), "migrate", on_sled);
    assert!(h.config().gateway.database.is_none(), "starts on sled");
    h.launch();
    let n = h.names.clone();
    let store_dir = h.dir.path().join("store");

    // On sled: a new ticket, the customer's reply, staff asking a question.
    let first = Draft::new(
        &n.alice,
        &n.support,
        "Invoices are not exported",
        "Hello,\nthe export of invoices stops at 50.\nAlice",
    );
    first.send().await;
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    Draft::reply_to(
        &n.alice,
        &n.support,
        &ack,
        "It also fails with 10 invoices.",
    )
    .send()
    .await;
    h.wait_ticket(1, "the customer's comment", |t| {
        t.events.iter().any(|e| e.text.contains("10 invoices"))
    })
    .await;
    let notice = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    Draft::reply_to(
        &n.staff,
        &n.support,
        &notice,
        "#waiting\nWhich version do you run?",
    )
    .send()
    .await;
    h.wait_ticket(1, "waiting for feedback", |t| {
        t.state == State::WaitingForFeedback
    })
    .await;
    let question = wait_mail(&n.alice, "staff's question", |r| {
        has_tag(r, "SUP-1") && r.text.contains("Which version")
    })
    .await;
    h.settle().await;
    let before = h.ticket(1).unwrap();

    // Not while the daemon holds the store.
    let url = pg_schema_url("migrate");
    let running = cli(&h.config_path, &["migrate", "--to", &url]).await;
    let err = String::from_utf8_lossy(&running.stderr);
    assert!(!running.status.success(), "copied a store in use");
    assert!(err.contains("is in use (is the daemon running?"), "{err}");
    h.stop().await;

    // The copy, and what it says.
    let out = cli(&h.config_path, &["migrate", "--to", &url]).await;
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("every count verified"), "{text}");
    let line = |what: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{what} ")))
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
    };
    assert_eq!(line("tickets"), Some(vec!["tickets", "1", "1"]), "{text}");
    // The queue's prefix keeps its slot, and its numbering goes on.
    assert_eq!(line("queues"), Some(vec!["queues", "1", "1"]), "{text}");
    assert_eq!(
        line("next SUP number"),
        Some(vec!["next", "SUP", "number", "2", "2"]),
        "{text}"
    );
    let shown = url.replacen(":tg@", ":***@", 1);
    assert!(text.contains(&format!("store = \"{shown}\"")), "{text}");
    assert!(
        text.contains(&format!("state_dir = \"{}\"", store_dir.display())),
        "{text}"
    );

    // A second copy into the same database is refused, and changes nothing.
    let again = cli(&h.config_path, &["migrate", "--to", &url]).await;
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success(),
        "a database with tickets was accepted"
    );
    assert!(
        err.contains("is not empty") && err.contains("tickets: 1 rows"),
        "{err}"
    );

    // The config as the command says, and the daemon on PostgreSQL.
    let toml = std::fs::read_to_string(&h.config_path).unwrap();
    let sled_line = format!("store = \"{}\"", store_dir.display());
    assert!(toml.contains(&sled_line));
    let toml = toml.replacen(
        &sled_line,
        &format!("store = \"{url}\"\nstate_dir = \"{}\"", store_dir.display()),
        1,
    );
    std::fs::write(&h.config_path, toml).unwrap();
    assert!(h.config().gateway.database.is_some(), "now on PostgreSQL");
    h.launch();
    assert_eq!(h.ticket(1).unwrap(), before, "the ticket as sled had it");

    // The customer answers the question: the same ticket, back with support.
    Draft::reply_to(&n.alice, &n.support, &question, "Version 10.4.")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "the customer's feedback", |t| t.state == State::Open)
        .await;
    assert!(t.events.last().unwrap().text.contains("Version 10.4"));
    assert_eq!(t.events.len(), before.events.len() + 1);

    // The next new ticket gets the next number.
    Draft::new(
        &n.bob,
        &n.support,
        "Cannot log in",
        "My password is refused.\n",
    )
    .send()
    .await;
    let t2 = h.wait_ticket(2, "the next ticket", |_| true).await;
    assert_eq!(t2.reporter, n.bob);
    wait_mail(&n.bob, "acknowledgement of SUP-2", |r| {
        is(r, "SUP-2", "acknowledgement")
    })
    .await;

    // The first mail delivered again: processed on sled, so not processed again.
    let moved = count(&h.mail, &n.support, "Processed").await;
    send_raw(&n.alice, &[&n.support], &first.raw()).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count(&h.mail, &n.support, "Processed").await == moved {
        assert!(std::time::Instant::now() < deadline, "the mail never came");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    h.settle().await;
    let tickets = h.tickets();
    assert_eq!(tickets.len(), 2, "no ticket for a mail already processed");
    let one = h.ticket(1).unwrap();
    assert_eq!(one.events.len(), before.events.len() + 1);
    let created = one.events.iter().filter(|e| e.kind == EventKind::Created);
    assert_eq!(created.count(), 1);
    let acks = mails(&n.alice, |r| is(r, "SUP-1", "acknowledgement")).await;
    assert_eq!(
        acks.len(),
        1,
        "one acknowledgement, from the first delivery"
    );
    h.stop().await;
}
