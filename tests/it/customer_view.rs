//! The customer's view by real mail (SPEC §3.10, issue 17), through the local Dovecot and
//! Postfix: a `#list` conversation, and the link in a customer's mail opening their page.

use ticket_gateway::core::State;

use crate::support::*;
use crate::web::{get, page_paths, BASE_URL};

fn with_page(toml: String) -> String {
    format!("{toml}\n[web]\nlisten = \"127.0.0.1:0\"\nbase_url = \"{BASE_URL}\"\n")
}

/// Where the daemon serves the page, once it does.
async fn web_addr(h: &Harness) -> std::net::SocketAddr {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(a) = h.gw().telemetry.web_addr() {
            return a;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the page is not served"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

/// "my tickets", "#mes-tickets", "#list": each sender gets one mail listing their own tickets
/// (reporter or participant), open ones first, each with a link that opens its page; no
/// ticket is opened.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_request_by_mail_lists_the_senders_tickets_and_opens_none() {
    let h = Harness::start_with("listing", with_page).await;
    let n = h.names.clone();
    let web = web_addr(&h).await;

    Draft::new(
        &n.alice,
        &n.support,
        "Printer broken",
        "It prints blank pages.",
    )
    .send()
    .await;
    h.wait_ticket(1, "SUP-1", |_| true).await;
    Draft::new(&n.alice, &n.support, "VPN is down", "Since this morning.")
        .send()
        .await;
    h.wait_ticket(2, "SUP-2", |_| true).await;
    Draft::new(&n.bob, &n.support, "Invoice question", "Why twice?")
        .cc(&n.alice)
        .send()
        .await;
    h.wait_ticket(3, "SUP-3", |_| true).await;
    Draft::new(&n.mallory, &n.support, "Something else", "Not Alice's.")
        .send()
        .await;
    h.wait_ticket(4, "SUP-4", |_| true).await;
    // Staff close SUP-1: it comes last in the list.
    let new1 = wait_mail(&n.team, "new ticket SUP-1", |r| has_tag(r, "SUP-1")).await;
    Draft::reply_to(&n.staff, &n.support, &new1, "#close\nDone.")
        .send()
        .await;
    h.wait_ticket(1, "closed", |t| t.state == State::Closed)
        .await;
    h.wait_inbox_empty().await;

    let asked = Draft::new(&n.alice, &n.support, "My tickets", "")
        .send()
        .await;
    let list = wait_mail(&n.alice, "the list", |r| r.subject.contains("Your tickets")).await;
    assert_eq!(list.subject, "Your tickets with Test Support");
    assert_eq!(
        list.in_reply_to,
        vec![asked.clone()],
        "threaded under the request"
    );
    assert_eq!(
        list.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    let text = &list.text;
    let at = |tag: &str| {
        text.find(&format!("[{tag}]"))
            .unwrap_or_else(|| panic!("{tag} in {text}"))
    };
    assert!(
        at("SUP-3") < at("SUP-1") && at("SUP-2") < at("SUP-1"),
        "open first: {text}"
    );
    assert!(!text.contains("SUP-4"), "not Alice's: {text}");
    assert!(
        text.contains("Printer broken") && text.contains("Invoice question"),
        "{text}"
    );
    assert!(
        text.contains("Status: Closed") && text.contains("Status: Open"),
        "{text}"
    );
    assert!(text.contains("last update 20"), "{text}");
    let links = page_paths(text);
    assert_eq!(links.len(), 3, "a link per ticket: {text}");
    for path in &links {
        let r = get(web, path).await;
        assert_eq!(r.status, 200, "{path}: {r:?}");
        assert!(r.body.contains("Status: "), "{}", r.body);
    }
    // No ticket was opened, and the request is recorded as answered.
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 4);
    let record = h
        .gw()
        .store
        .mail_record(&asked)
        .unwrap()
        .expect("the request is recorded");
    assert_eq!(record.ticket, None);
    assert!(
        record
            .decision
            .iter()
            .any(|d| d.contains("list of tickets asked by")),
        "{:?}",
        record.decision
    );

    // Bob asks in French: one ticket, in French.
    Draft::new(&n.bob, &n.support, "#mes-tickets", "")
        .send()
        .await;
    let fr = wait_mail(&n.bob, "la liste", |r| r.subject.contains("Vos tickets")).await;
    assert!(
        fr.text.contains("[SUP-3]") && fr.text.contains("Statut : Ouvert"),
        "{}",
        fr.text
    );
    assert!(
        !fr.text.contains("SUP-1") && !fr.text.contains("SUP-2"),
        "{}",
        fr.text
    );
    assert_eq!(fr.header("Content-Language").as_deref(), Some("fr"));

    // Someone with no ticket is told so; nothing opens.
    let nobody = n.alice.replace("alice-", "nobody-");
    Draft::new(&nobody, &n.support, "#list", "").send().await;
    let none = wait_mail(&nobody, "an empty list", |r| {
        r.subject.contains("Your tickets")
    })
    .await;
    assert!(none.text.contains("We have no ticket"), "{}", none.text);
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 4, "no ticket opened by a list request");
}

/// The link in the acknowledgement a customer receives opens their page; each customer gets
/// a mail of their own with their own link; a staff answer carries the link again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_in_a_customers_mail_opens_the_page() {
    let h = Harness::start_with("pagelink", with_page).await;
    let n = h.names.clone();
    let web = web_addr(&h).await;
    Draft::new(
        &n.alice,
        &n.support,
        "Printer broken",
        "It prints blank pages.",
    )
    .cc(&n.bob)
    .send()
    .await;
    let ack_a = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    let ack_b = wait_mail(&n.bob, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert_eq!(
        ack_a.to,
        std::slice::from_ref(&n.alice),
        "a mail of her own"
    );
    assert_eq!(ack_b.to, std::slice::from_ref(&n.bob));
    assert_ne!(ack_a.message_id, ack_b.message_id);
    let (pa, pb) = (page_paths(&ack_a.text), page_paths(&ack_b.text));
    assert_eq!((pa.len(), pb.len()), (1, 1), "{}", ack_a.text);
    assert_ne!(pa, pb);
    // The HTML alternative links it too (escaped: minijinja writes `/` as `&#x2f;`).
    let html = ack_a
        .html
        .as_deref()
        .expect("the HTML alternative")
        .replace("&#x2f;", "/");
    assert!(
        html.contains(&format!("href=\"{BASE_URL}{}\"", &pa[0][5..])),
        "{html}"
    );
    for path in [&pa[0], &pb[0]] {
        let r = get(web, path).await;
        assert_eq!(r.status, 200, "{r:?}");
        assert!(r.body.contains("Printer broken") && r.body.contains("state-open"));
        assert!(r.body.contains("It prints blank pages."));
    }

    // Staff ask a question; the customer's answer is on the page, and so is the new state.
    let new = wait_mail(&n.team, "new ticket", |r| has_tag(r, "SUP-1")).await;
    Draft::reply_to(&n.staff, &n.support, &new, "#waiting\nWhich model is it?")
        .send()
        .await;
    let q = wait_mail(&n.bob, "the question", |r| {
        r.text.contains("Which model is it?")
    })
    .await;
    assert_eq!(page_paths(&q.text), pb, "the same link");
    assert!(
        !q.references.contains(&ack_a.message_id),
        "{:?}",
        q.references
    );
    let r = get(web, &pb[0]).await;
    assert!(r.body.contains("state-waiting_for_feedback") && r.body.contains("Which model is it?"));
    assert!(!r.body.contains(&n.staff), "{}", r.body);
    Draft::reply_to(&n.bob, &n.support, &q, "A LaserJet 4000.")
        .send()
        .await;
    h.wait_ticket(1, "open again", |t| t.state == State::Open)
        .await;
    let r = get(web, &pa[0]).await;
    assert!(
        r.body.contains("A LaserJet 4000.") && r.body.contains("state-open"),
        "{}",
        r.body
    );
}
