//! The threat model at a glance (issue 13, docs/security.md): what a stranger, a customer or a
//! hurried staff member can send, each sent as real mail through the project's Postfix and
//! Dovecot, and what must not follow. Nobody but staff changes a ticket; nobody silences
//! anyone; nobody reads what is not theirs.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ticket_gateway::core::{EventKind, State};

use crate::support::*;

const BIN: &str = env!("CARGO_BIN_EXE_ticket-gateway");

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

/// What a gateway mail is, from its `X-Ticket-Gateway: SUP-1; new_ticket` header.
fn is(r: &Received, tag: &str, kind: &str) -> bool {
    r.header("X-Ticket-Gateway").as_deref() == Some(&format!("{tag}; {kind}"))
}

/// A delivery-status report as anyone can write it by hand: `failed` for `recipient`, naming
/// `original` as the returned message's Message-ID.
fn forged_report(from: &str, to: &str, recipient: &str, original: &str) -> Vec<u8> {
    let n = nanos();
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <dsn.{n}@evil.test>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b{n}\"\r\n\r\n\
--b{n}\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\
--b{n}\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.test\r\n\r\n\
Final-Recipient: rfc822; {recipient}\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n\
--b{n}\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {to}\r\nTo: {recipient}\r\n\
Subject: whatever\r\nMessage-ID: <{original}>\r\n\r\n--b{n}--\r\n"
    )
    .into_bytes()
}

// ---------------------------------------------------------------------------------------------
// 1. Forged delivery reports (SPEC §3.6)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_delivery_report_silences_nobody() {
    let h = Harness::start("forged-dsn").await;
    let n = h.names.clone();
    let first = Draft::new(&n.alice, &n.support, "Printer", "It prints blank pages.");
    let alice_id = first.send().await;
    let ack = wait_mail(&n.alice, "acknowledgement", |r| {
        is(r, "SUP-1", "acknowledgement")
    })
    .await;
    wait_mail(&n.team, "new-ticket mail", |r| is(r, "SUP-1", "new_ticket")).await;
    h.wait_inbox_empty().await;
    let before = h.ticket(1).unwrap();

    // Staff through a customer-facing mail; staff and Alice through Alice's own incoming id;
    // a stranger through an id nobody sent.
    for (recipient, original) in [
        (&n.team, ack.message_id.as_str()),
        (&n.staff, ack.message_id.as_str()),
        (&n.alice, alice_id.as_str()),
        (&n.team, alice_id.as_str()),
        (&n.bob, "nobody.sent.this@gateway.test"),
    ] {
        let raw = forged_report(&n.alice, &n.support, recipient, original);
        send_raw(&n.alice, &[&n.support], &raw).await;
    }
    h.wait_inbox_empty().await;
    let store = &h.gw().store;
    for addr in [&n.team, &n.staff, &n.alice, &n.bob] {
        assert_eq!(store.bounced_until(addr).unwrap(), None, "{addr} paused");
    }
    let t = h.ticket(1).unwrap();
    assert_eq!(t.state, before.state);
    assert!(
        t.events
            .iter()
            .all(|e| e.kind != EventKind::DeliveryFailure),
        "{:#?}",
        t.events
    );
    assert_eq!(h.tickets().len(), 1, "no report opened a ticket");

    // Everyone still gets their mail.
    Draft::new(&n.bob, &n.support, "VPN", "The VPN drops.")
        .send()
        .await;
    wait_mail(&n.team, "staff still told of new tickets", |r| {
        is(r, "SUP-2", "new_ticket")
    })
    .await;
    Draft::new(&n.alice, &n.support, "Scanner", "The scanner jams.")
        .send()
        .await;
    wait_mail(&n.alice, "Alice still acknowledged", |r| {
        is(r, "SUP-3", "acknowledgement")
    })
    .await;

    // A report naming the acknowledgement's own recipient is a real bounce: Alice is paused.
    let raw = forged_report(&n.alice, &n.support, &n.alice, &ack.message_id);
    send_raw(&n.alice, &[&n.support], &raw).await;
    let t = h
        .wait_ticket(1, "the delivery failure", |t| {
            t.events
                .iter()
                .any(|e| e.kind == EventKind::DeliveryFailure)
        })
        .await;
    assert_eq!(t.state, before.state);
    assert!(h.gw().store.bounced_until(&n.alice).unwrap().is_some());
    assert_eq!(h.gw().store.bounced_until(&n.team).unwrap(), None);
}

// ---------------------------------------------------------------------------------------------
// 2. Keywords in the customer's own subject (SPEC §3.3)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_keyword_in_the_summary_is_plain_text_for_customers_and_staff() {
    let h = Harness::start("summary-kw").await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "How do I #close my account?",
        "I want to leave.",
    )
    .send()
    .await;
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert_eq!(h.ticket(1).unwrap().state, State::Open, "the first subject");
    Draft::reply_to(&n.alice, &n.support, &ack, "Any news?")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "Alice's comment", |t| t.events.len() == 2)
        .await;
    assert_eq!(t.state, State::Open, "the echoed #close closed nothing");
    assert_eq!(t.events[1].kind, EventKind::Comment);

    Draft::new(
        &n.bob,
        &n.support,
        "Printing in color #resolve does not work",
        "Only black and white.",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new-ticket mail", |r| is(r, "SUP-2", "new_ticket")).await;
    Draft::reply_to(&n.staff, &n.support, &new, "Which printer model is it?")
        .send()
        .await;
    let t = h
        .wait_ticket(2, "the staff question", |t| t.events.len() == 2)
        .await;
    assert_eq!(t.state, State::Open, "the echoed #resolve resolved nothing");
    assert_eq!(t.events[1].kind, EventKind::StaffComment);
    let update = wait_mail(&n.bob, "the staff question", |r| {
        is(r, "SUP-2", "staff_update")
    })
    .await;
    assert!(!update.text.contains("Resolved"), "{}", update.text);

    // A keyword the staff member wrote still counts.
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#waiting\nWhich driver version?",
    )
    .send()
    .await;
    h.wait_ticket(2, "the #waiting", |t| t.state == State::WaitingForFeedback)
        .await;
}

// ---------------------------------------------------------------------------------------------
// 3. A staff keyword line with a word that is not a keyword (SPEC §3.3)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_mail_with_an_unknown_keyword_is_held_and_nothing_reaches_the_customer() {
    let h = Harness::start("held").await;
    let n = h.names.clone();
    Draft::new(&n.alice, &n.support, "Spam?", "Buy cheap watches.")
        .send()
        .await;
    let new = wait_mail(&n.team, "new-ticket mail", |r| is(r, "SUP-1", "new_ticket")).await;
    wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    let cases: [(&str, &str, Option<&str>); 4] = [
        (
            "#internal\nThis looks like spam, do not answer.",
            "#internal",
            None,
        ),
        ("#closed\nDone, thanks.", "#closed", Some("#close")),
        ("#assign paul\nPaul, yours.", "#assign paul", None),
        ("#severity urgent\nThis is bad.", "#severity urgent", None),
    ];
    for (i, (body, word, nearest)) in cases.iter().enumerate() {
        Draft::reply_to(&n.staff, &n.support, &new, body)
            .send()
            .await;
        let t = h
            .wait_ticket(1, "the held mail", |t| t.events.len() == 2 + i)
            .await;
        let e = t.events.last().unwrap();
        assert_eq!(e.kind.as_str(), "held", "{e:#?}");
        assert_eq!(t.state, State::Open);
        let told = wait_mail(&n.staff, &format!("told about {word}"), |r| {
            has_tag(r, "SUP-1") && r.text.contains(word)
        })
        .await;
        assert!(told.text.contains("#ack"), "allowed now: {}", told.text);
        if let Some(k) = nearest {
            assert!(told.text.contains(k), "nearest {k}: {}", told.text);
        }
    }
    h.wait_inbox_empty().await;
    assert_eq!(
        count(&h.mail, &n.support, "Processed").await,
        5,
        "held mail is moved like any processed mail"
    );
    h.settle().await;
    let to_alice = mails(&n.alice, |_| true).await;
    assert_eq!(
        to_alice.len(),
        1,
        "only the acknowledgement: {:?}",
        to_alice.iter().map(|r| &r.text).collect::<Vec<_>>()
    );

    // Sent again, corrected: applied.
    Draft::reply_to(&n.staff, &n.support, &new, "#close\nDone, thanks.")
        .send()
        .await;
    h.wait_ticket(1, "closed", |t| t.state == State::Closed)
        .await;
}

// ---------------------------------------------------------------------------------------------
// 4 and 5. Quarantine notices: an oversize mail is answered, in the sender's language, and no
// notice carries internal detail (SPEC §3.8)

fn big_mail(from: &str, to: &str, subject: &str, lang: &str, extra: &str) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\
Message-ID: <big.{}@client.test>\r\nContent-Language: {lang}\r\n{extra}MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n",
        nanos()
    )
    .into_bytes();
    for _ in 0..(2 * 1024 * 1024 / 64) {
        m.extend_from_slice(b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed.\r\n");
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversize_mail_gets_a_notice_in_the_senders_language_without_internal_detail() {
    let h = Harness::start_with("oversize", |t| {
        t.replace(
            "max_replies_per_hour = 50",
            "max_replies_per_hour = 50\nmax_message_size = \"1MiB\"",
        )
    })
    .await;
    let n = h.names.clone();
    let fr = big_mail(&n.alice, &n.support, "Journal complet", "fr", "");
    send_raw(&n.alice, &[&n.support], &fr).await;
    let en = big_mail(&n.bob, &n.support, "Full log", "en", "");
    send_raw(&n.bob, &[&n.support], &en).await;
    let auto = big_mail(
        &n.mallory,
        &n.support,
        "Nightly dump",
        "en",
        "Auto-Submitted: auto-generated\r\n",
    );
    send_raw(&n.mallory, &[&n.support], &auto).await;
    h.wait_inbox_empty().await;
    assert_eq!(count(&h.mail, &n.support, "Quarantine").await, 3);

    let notice = wait_mail(&n.alice, "the French notice", |r| r.from == n.support).await;
    assert!(notice.text.contains("1 Mo"), "{}", notice.text);
    assert!(notice.text.contains("Bonjour"), "{}", notice.text);
    let notice_en = wait_mail(&n.bob, "the English notice", |r| r.from == n.support).await;
    assert!(notice_en.text.contains("1 MB"), "{}", notice_en.text);
    for text in [&notice.text, &notice_en.text] {
        for internal in [
            "max_message_size",
            "bytes",
            "gateway.max",
            "panic",
            "parser",
        ] {
            assert!(!text.contains(internal), "{internal:?} in {text}");
        }
    }
    h.settle().await;
    assert!(
        mails(&n.mallory, |_| true).await.is_empty(),
        "automated mail gets no notice"
    );
    // The detail is in the decision record, for the operator.
    let records = h.gw().store.mails().unwrap();
    assert!(records
        .iter()
        .any(|(_, r)| r.decision.iter().any(|d| d.contains("max_message_size"))));
}

// ---------------------------------------------------------------------------------------------
// 6. Authentication-Results: only the topmost run of pinned headers counts (SPEC §3.4)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_topmost_run_of_pinned_authentication_results_counts() {
    let h = Harness::start_with("authrun", |toml| {
        toml.replace(
            "[admin]",
            "authentication = \"dkim\"\nauthserv_ids = [\"mx.gateway.test\"]\n\n[admin]",
        )
    })
    .await;
    let n = h.names.clone();
    Draft::new(&n.alice, &n.support, "Printer", "Blank pages.")
        .send()
        .await;
    let new = wait_mail(&n.team, "new-ticket mail", |r| is(r, "SUP-1", "new_ticket")).await;
    h.wait_inbox_empty().await;
    let pass = "mx.gateway.test; dkim=pass header.d=gateway.test header.s=s1";
    let fail = "mx.gateway.test; dkim=fail header.d=gateway.test header.s=s1";
    let none = "mx.gateway.test; dkim=none";
    let forged: [&[(&str, &str)]; 4] = [
        &[
            ("Authentication-Results", fail),
            ("Authentication-Results", pass),
        ],
        &[
            ("Authentication-Results", pass),
            ("Authentication-Results", fail),
        ],
        &[
            ("Authentication-Results", none),
            ("X-Spam-Status", "No"),
            ("Authentication-Results", pass),
        ],
        &[
            ("Authentication-Results", none),
            ("Authentication-Results", "other.test; dkim=none"),
            ("Authentication-Results", pass),
        ],
    ];
    for (i, headers) in forged.iter().enumerate() {
        let mut d = Draft::reply_to(&n.staff, &n.support, &new, "#close\nDone.");
        for (k, v) in headers.iter() {
            d = d.header(k, v);
        }
        d.send().await;
        let t = h
            .wait_ticket(2 + i as u64, "the forged mail's own ticket", |_| true)
            .await;
        assert_eq!(t.reporter, n.staff, "case {i}");
        assert!(
            t.events[0]
                .log()
                .iter()
                .any(|d| d.contains("failed authentication")),
            "case {i}: {:?}",
            t.events[0].decision
        );
    }
    h.wait_inbox_empty().await;
    assert_eq!(h.ticket(1).unwrap().state, State::Open);

    // The real thing: one pass at the top.
    Draft::reply_to(&n.staff, &n.support, &new, "#close\nDone.")
        .header("Authentication-Results", pass)
        .send()
        .await;
    h.wait_ticket(1, "closed by staff", |t| t.state == State::Closed)
        .await;
}

// ---------------------------------------------------------------------------------------------
// 7. Deduplication: a shared Message-ID drops nothing; a redelivery does nothing twice (SPEC §4)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_message_id_drops_no_mail_and_a_redelivery_counts_once() {
    let h = Harness::start("dedupe").await;
    let n = h.names.clone();
    let id = format!("shared.{}@client.test", nanos());
    let mut spam = Draft::new(&n.mallory, &n.support, "Hello", "Buy now.");
    spam.message_id = id.clone();
    spam.send().await;
    h.wait_ticket(1, "mallory's ticket", |_| true).await;
    h.wait_inbox_empty().await;
    let mut real = Draft::new(&n.alice, &n.support, "Printer", "It prints blank pages.");
    real.message_id = id.clone();
    real.send().await;
    let t = h.wait_ticket(2, "alice's ticket", |_| true).await;
    assert_eq!(t.reporter, n.alice);
    // Same sender, same Message-ID, other content: a mail of its own too.
    let mut again = Draft::new(&n.alice, &n.support, "Re: [SUP-2] Printer", "Still blank.");
    again.message_id = id.clone();
    again.send().await;
    h.wait_ticket(2, "alice's comment", |t| t.events.len() == 2)
        .await;

    // One mail relayed twice, each time with trace headers of its own: one ticket.
    let once = Draft::new(&n.bob, &n.support, "VPN", "It drops every hour.");
    let raw = once.raw();
    send_raw(&n.bob, &[&n.support], &raw).await;
    let mut traced = b"Delivered-To: help@gateway.test\r\nX-Original-To: help@gateway.test\r\nReceived: from relay.test by mx.test; Mon, 23 Nov 2026 10:00:01 +0000\r\n".to_vec();
    traced.extend_from_slice(&raw);
    send_raw(&n.bob, &[&n.support], &traced).await;
    // One mail without a Message-ID to two addresses of the gateway: Postfix delivers two
    // copies (each with its own Delivered-To and X-Original-To): one ticket.
    let bare = format!(
        "From: {}\r\nTo: {}\r\nSubject: No id\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\nNo Message-ID here.\r\n",
        n.bob, n.support
    );
    let plus = n.support.replace('@', "+sales@");
    send_raw(&n.bob, &[&n.support, &plus], bare.as_bytes()).await;
    h.wait_ticket(4, "bob's two tickets", |_| true).await;
    h.wait_inbox_empty().await;
    h.settle().await;
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 4, "{:#?}", h.tickets());
    assert_eq!(count(&h.mail, &n.support, "Processed").await, 7);
}

// ---------------------------------------------------------------------------------------------
// 8. The store is private whatever the umask (SPEC §4)

fn assert_private(store: &Path) {
    let mut seen = 0;
    let mut stack = vec![store.to_path_buf()];
    while let Some(p) = stack.pop() {
        let meta = std::fs::symlink_metadata(&p).unwrap();
        let mode = meta.permissions().mode() & 0o777;
        if meta.is_dir() {
            assert_eq!(mode, 0o700, "{}", p.display());
            for e in std::fs::read_dir(&p).unwrap() {
                stack.push(e.unwrap().path());
            }
        } else {
            assert_eq!(mode, 0o600, "{}", p.display());
            seen += 1;
        }
    }
    assert!(seen >= 2, "sled's files in {}", store.display());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_is_private_whatever_the_umask() {
    let h = Harness::prepare(MailSys::get(), "umask", |t| t);
    let n = h.names.clone();
    let store = h.dir.path().join("store");
    let config = h.config_path.display().to_string();
    let mut child = Command::new("sh")
        .args([
            "-c",
            &format!("umask 022; exec {BIN} --config {config} run"),
        ])
        .env("TICKET_GATEWAY_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .expect("the daemon starts");
    Draft::new(&n.alice, &n.support, "Screenshot", "See the file.")
        .send_mime(None, &[("shot.png", "image/png", b"\x89PNG not really")])
        .await;
    wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while count(&h.mail, &n.support, "INBOX").await > 0 {
        assert!(Instant::now() < deadline, "INBOX not emptied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(store.join("attachments").is_dir());
    assert_private(&store);
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();

    // A store left readable by an older version is tightened by the next command.
    std::fs::set_permissions(&store, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(store.join("db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = Command::new("sh")
        .args([
            "-c",
            &format!("umask 000; exec {BIN} --config {config} tickets"),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_private(&store);

    // Pipe mode on a fresh store.
    let h2 = Harness::prepare(MailSys::get(), "umask-ingest", |t| t);
    let mail = h2.dir.path().join("mail.eml");
    std::fs::write(
        &mail,
        Draft::new(&h2.names.alice, &h2.names.support, "Piped", "Hello").raw(),
    )
    .unwrap();
    let out = Command::new("sh")
        .args([
            "-c",
            &format!(
                "umask 022; exec {BIN} --config {} ingest {}",
                h2.config_path.display(),
                mail.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_private(&h2.dir.path().join("store"));
}

// ---------------------------------------------------------------------------------------------
// 9. Customers see only the Message-IDs of mails they could have seen

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customers_get_no_message_id_of_staff_only_mail() {
    let h = Harness::start("refs").await;
    let n = h.names.clone();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    seen.insert(
        Draft::new(&n.alice, &n.support, "Printer", "Blank pages.")
            .send()
            .await,
    );
    let new = wait_mail(&n.team, "new-ticket mail", |r| is(r, "SUP-1", "new_ticket")).await;
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#note\nShe printed on the back.",
    )
    .send()
    .await;
    h.wait_ticket(1, "the note", |t| t.events.len() == 2).await;
    Draft::reply_to(&n.staff, &n.support, &new, "#waiting\nWhich model is it?")
        .send()
        .await;
    let question = wait_mail(&n.alice, "the question", |r| is(r, "SUP-1", "staff_update")).await;
    seen.insert(
        Draft::reply_to(&n.alice, &n.support, &question, "An X200.")
            .send()
            .await,
    );
    h.wait_ticket(1, "the answer", |t| t.events.len() == 4)
        .await;
    Draft::reply_to(&n.staff, &n.support, &new, "#resolve\nUpdate the driver.")
        .send()
        .await;
    wait_mail(&n.alice, "the answer", |r| {
        is(r, "SUP-1", "staff_update") && r.text.contains("driver")
    })
    .await;
    h.wait_inbox_empty().await;
    let to_alice = mails(&n.alice, |r| r.from == n.support).await;
    assert_eq!(to_alice.len(), 3);
    for r in &to_alice {
        seen.insert(r.message_id.clone());
    }
    for r in &to_alice {
        for id in r.references.iter().chain(&r.in_reply_to) {
            assert!(
                seen.contains(id),
                "{id} in {:?} is no mail Alice could have seen",
                r.subject
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 10. Aliases and plus-addresses of the gateway are never participants (SPEC §5.4)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aliases_and_plus_addresses_never_become_participants() {
    let alias = format!("help-{}@gateway.test", nanos());
    let alias2 = alias.clone();
    let h = Harness::start_with("aliases", move |t| {
        t.replace(
            "closed_reply = \"comment\"",
            &format!("closed_reply = \"comment\"\naliases = [\"{alias2}\"]"),
        )
    })
    .await;
    let n = h.names.clone();
    let plus = n.support.replace('@', "+billing@");
    let mut d = Draft::new(&n.alice, &plus, "Invoice", "Wrong amount.").cc(&alias);
    d = d.cc(&n.bob);
    d.send().await;
    let t = h.wait_ticket(1, "the ticket", |_| true).await;
    assert_eq!(t.participants, vec![n.bob.clone()]);
    wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    h.wait_inbox_empty().await;
    h.settle().await;
    h.wait_inbox_empty().await;
    for e in h.gw().store.outbox().unwrap() {
        assert!(!e.to.contains(&plus) && !e.to.contains(&alias), "{e:?}");
    }
    assert_eq!(h.tickets().len(), 1, "no mail came back into the inbox");
}

// ---------------------------------------------------------------------------------------------
// 11. A flood from one sender: tickets made, staff get a summary (SPEC §3.6)

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_sender_gives_staff_one_summary() {
    let mut h = Harness::start_with("flood", |t| {
        t.replace("max_replies_per_hour = 50", "max_replies_per_hour = 3")
    })
    .await;
    let n = h.names.clone();
    let started = ticket_gateway::pipeline::now_secs();
    for i in 0..8 {
        Draft::new(&n.mallory, &n.support, &format!("Flood {i}"), "Hello?")
            .send()
            .await;
    }
    h.wait_ticket(8, "eight tickets", |_| true).await;
    h.wait_inbox_empty().await;
    h.settle().await;
    let staff = mails(&n.team, |r| r.from == n.support).await;
    assert_eq!(
        staff.len(),
        3,
        "{:?}",
        staff.iter().map(|r| &r.subject).collect::<Vec<_>>()
    );
    let held = h.ticket(8).unwrap();
    assert!(
        held.events[0].log().iter().any(|d| d.contains("summary")),
        "{:?}",
        held.events[0].decision
    );
    // The summary survives a restart and goes out though the sender stopped.
    h.restart().await;
    let ids = h.gw().run_timers(started + 2 * 3600).unwrap();
    h.gw().flush().unwrap();
    assert!(!ids.is_empty(), "the summary is due");
    let smtp = ticket_gateway::smtp::Smtp::new(&h.config().smtp).unwrap();
    ticket_gateway::daemon::send_now(h.gw(), &smtp, ids).await;
    let summary = wait_mail(&n.team, "the summary", |r| {
        r.subject.contains("summed up") && r.text.contains(&n.mallory)
    })
    .await;
    for tag in ["SUP-4", "SUP-8"] {
        assert!(summary.text.contains(tag), "{tag} in {}", summary.text);
    }
    assert!(!summary.text.contains("SUP-3]"), "{}", summary.text);
    // Nothing is due twice.
    assert!(h.gw().run_timers(started + 3 * 3600).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// 12. Summaries are capped; stored text has no CR

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_subject_is_capped_and_stored_text_has_no_carriage_returns() {
    let h = Harness::start("caps").await;
    let n = h.names.clone();
    let subject = "A".repeat(60_000);
    Draft::new(&n.alice, &n.support, &subject, "line one\nline two\n")
        .send()
        .await;
    let t = h.wait_ticket(1, "the ticket", |_| true).await;
    assert!(t.summary.chars().count() <= 200, "{}", t.summary.len());
    assert!(!t.description().contains('\r'), "{:?}", t.description());
    assert!(t.description().contains("line one\nline two"));
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert!(ack.subject.len() < 400, "{}", ack.subject.len());
    assert!(ack.raw.len() < 20_000, "{}", ack.raw.len());
}
