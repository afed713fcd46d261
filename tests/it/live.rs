//! End to end against the real Dovecot and Postfix of `scripts/mailsys`: mail sent over SMTP,
//! read back over IMAP, the daemon in between (SPEC §2, §3.1, §3.3, §3.5).

use ticket_gateway::core::{EventKind, State};

use crate::support::*;

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_conversation_follows_the_workflow() {
    let h = Harness::start("conversation").await;
    let n = h.names.clone();

    // A customer's mail becomes ticket 1.
    let first = Draft::new(
        &n.alice,
        &n.support,
        "Printer is broken",
        "Hello,\nthe printer prints blank pages.\nAlice",
    )
    .send()
    .await;
    let t = h.wait_ticket(1, "ticket 1", |_| true).await;
    assert_eq!(t.state, State::Open);
    assert_eq!(t.summary, "Printer is broken");
    assert_eq!(t.reporter, n.alice);

    // The customer's INBOX receives the acknowledgement, threaded on the original.
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert!(
        ack.subject.starts_with("[SUP-1] Printer is broken"),
        "{}",
        ack.subject
    );
    assert_eq!(ack.in_reply_to, vec![first.clone()]);
    assert_eq!(ack.from, n.support);
    assert_eq!(
        ack.header("Auto-Submitted").as_deref(),
        Some("auto-replied")
    );
    assert_eq!(ack.header("Content-Language").as_deref(), Some("en"));
    assert!(ack.text.contains("Open"), "{}", ack.text);
    // Staff receive the new-ticket email with the full text.
    let new = wait_mail(&n.team, "new-ticket email", |r| has_tag(r, "SUP-1")).await;
    assert!(
        new.text.contains("the printer prints blank pages"),
        "{}",
        new.text
    );
    h.wait_inbox_empty().await;

    // Staff ask a question with #waiting.
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#waiting\nWhich model is it, and since when?",
    )
    .send()
    .await;
    let t = h
        .wait_ticket(1, "waiting_for_feedback", |t| {
            t.state == State::WaitingForFeedback
        })
        .await;
    assert_eq!(
        t.events.last().unwrap().text,
        "Which model is it, and since when?"
    );
    let question = wait_mail(&n.alice, "the question", |r| {
        has_tag(r, "SUP-1") && r.text.contains("Which model is it")
    })
    .await;
    assert!(
        question.text.contains("Waiting for feedback"),
        "{}",
        question.text
    );
    assert!(!question.text.contains("#waiting"), "{}", question.text);

    // The customer answers, quoting the question: feedback -> open, no quoted lines kept.
    Draft::reply_to(
        &n.alice,
        &n.support,
        &question,
        "It is a LaserJet 4000, since Monday.",
    )
    .send()
    .await;
    let t = h
        .wait_ticket(1, "open after feedback", |t| {
            t.state == State::Open && t.events.len() == 3
        })
        .await;
    let feedback = t.events.last().unwrap();
    assert_eq!(feedback.kind, EventKind::Comment);
    assert_eq!(feedback.text, "It is a LaserJet 4000, since Monday.");
    assert_eq!(feedback.from_state, Some(State::WaitingForFeedback));
    assert_eq!(feedback.to_state, Some(State::Open));
    let update = wait_mail(&n.team, "customer feedback email", |r| {
        r.text.contains("LaserJet 4000")
    })
    .await;
    assert!(
        !update.text.lines().any(|l| l.starts_with('>')),
        "{}",
        update.text
    );
    assert!(
        !update.text.contains("Which model is it"),
        "no quoted question: {}",
        update.text
    );

    // Staff resolve; the customer is told; "still broken" reopens.
    Draft::reply_to(
        &n.staff,
        &n.support,
        &update,
        "#resolve\nPlease update the driver to 6.2.",
    )
    .send()
    .await;
    h.wait_ticket(1, "resolved", |t| t.state == State::Resolved)
        .await;
    let answer = wait_mail(&n.alice, "the answer", |r| r.text.contains("driver to 6.2")).await;
    assert!(answer.text.contains("Resolved"), "{}", answer.text);
    Draft::reply_to(&n.alice, &n.support, &answer, "Still broken, sorry.")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "reopened", |t| t.state == State::Reopened)
        .await;
    assert_eq!(t.events.last().unwrap().text, "Still broken, sorry.");

    // Resolve again; the customer validates with #close.
    let reopen_mail = wait_mail(&n.team, "reopen email", |r| r.text.contains("Still broken")).await;
    Draft::reply_to(
        &n.staff,
        &n.support,
        &reopen_mail,
        "#resolve\nReplace the fuser.",
    )
    .send()
    .await;
    h.wait_ticket(1, "resolved again", |t| {
        t.state == State::Resolved && t.events.len() == 6
    })
    .await;
    let answer2 = wait_mail(&n.alice, "second answer", |r| {
        r.text.contains("Replace the fuser")
    })
    .await;
    Draft::reply_to(&n.alice, &n.support, &answer2, "#close\nWorks now, thanks!")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "closed", |t| t.state == State::Closed)
        .await;
    assert_eq!(t.events.last().unwrap().text, "Works now, thanks!");

    // Staff #ack on a closed ticket: refused, unchanged, that staff member told why.
    let close_mail = wait_mail(&n.team, "close email", |r| r.text.contains("Works now")).await;
    Draft::reply_to(&n.staff, &n.support, &close_mail, "#ack")
        .send()
        .await;
    let t = h
        .wait_ticket(1, "refusal recorded", |t| {
            t.events.last().unwrap().kind == EventKind::Refused
        })
        .await;
    assert_eq!(t.state, State::Closed);
    let refusal = wait_mail(&n.staff, "refusal", |r| {
        has_tag(r, "SUP-1") && r.text.contains("#ack")
    })
    .await;
    assert!(
        refusal.text.contains("#reopen"),
        "allowed keywords listed: {}",
        refusal.text
    );
    assert!(refusal.text.contains("#note"), "{}", refusal.text);
    // The customer got nothing about the refusal.
    h.wait_inbox_empty().await;
    let to_alice = mails(&n.alice, |r| has_tag(r, "SUP-1")).await;
    assert!(to_alice.iter().all(|r| !r.text.contains("#ack")));
    // acknowledgement, question, answer, answer2, and the one short confirmation of her own
    // #close: no echo of the customer's own mails.
    assert!(
        to_alice
            .last()
            .is_some_and(|r| r.text.contains("As you asked, ticket [SUP-1] is closed")),
        "{:?}",
        to_alice.last().map(|r| &r.text)
    );
    assert_eq!(
        to_alice.len(),
        5,
        "{:?}",
        to_alice.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
    assert_eq!(h.tickets().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_without_the_tag_is_matched_by_in_reply_to() {
    let h = Harness::start("inreplyto").await;
    let n = h.names.clone();
    Draft::new(&n.bob, &n.support, "VPN drops", "Every hour.")
        .send()
        .await;
    let ack = wait_mail(&n.bob, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    // The client lost the tag from the subject but kept In-Reply-To.
    let mut reply = Draft::reply_to(&n.bob, &n.support, &ack, "Also at night.");
    reply.subject = "Re: VPN drops".into();
    reply.send().await;
    let t = h
        .wait_ticket(1, "the reply recorded", |t| t.events.len() == 2)
        .await;
    assert_eq!(t.events[1].text, "Also at night.");
    assert!(
        t.events[1].log().iter().any(|d| d.contains("In-Reply-To")),
        "{:?}",
        t.events[1].decision
    );
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 1, "no second ticket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_french_latin1_mail_gets_utf8_text_and_a_french_answer() {
    let h = Harness::start("french").await;
    let n = h.names.clone();
    // ISO-8859-1, quoted-printable body, RFC 2047 Q subject, as a French client writes it.
    let raw = format!(
        "From: =?ISO-8859-1?Q?Ren=E9e_Fran=E7ois?= <{alice}>\r\n\
To: {support}\r\n\
Subject: =?ISO-8859-1?Q?Imprimante_en_panne_=E0_l'=E9tage?=\r\n\
Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\
Message-ID: <fr.{pid}@client.test>\r\n\
Content-Language: fr\r\n\
MIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=ISO-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Bonjour,\r\n\
l'imprimante du deuxi=E8me =E9tage ne r=E9pond plus depuis ce matin.\r\n\
Merci d'avance,\r\n\
Ren=E9e\r\n",
        alice = n.alice,
        support = n.support,
        pid = std::process::id()
    );
    send_raw(&n.alice, &[&n.support], raw.as_bytes()).await;
    let t = h.wait_ticket(1, "ticket", |_| true).await;
    assert_eq!(t.summary, "Imprimante en panne à l'étage");
    assert!(
        t.events[0].text.contains("deuxième étage ne répond plus"),
        "{}",
        t.events[0].text
    );
    assert_eq!(t.language, ticket_gateway::core::Lang::Fr);
    let ack = wait_mail(&n.alice, "French acknowledgement", |r| has_tag(r, "SUP-1")).await;
    assert_eq!(ack.subject, "[SUP-1] Imprimante en panne à l'étage");
    assert!(
        ack.text.contains("Nous avons bien reçu votre demande"),
        "{}",
        ack.text
    );
    assert!(ack.text.contains("Ouvert"), "{}", ack.text);
    assert_eq!(ack.header("Content-Language").as_deref(), Some("fr"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_every_ticket_and_processes_no_mail_twice() {
    let mut h = Harness::start("restart").await;
    let n = h.names.clone();
    for i in 1..=3 {
        Draft::new(&n.alice, &n.support, &format!("Problem {i}"), "Details.")
            .send()
            .await;
    }
    h.wait_ticket(3, "three tickets", |_| true).await;
    h.wait_inbox_empty().await;
    let acks = wait_mail(&n.alice, "3 acks", |r| has_tag(r, "SUP-3")).await;
    h.restart().await;
    // The same mail delivered again (a re-delivery with the same Message-ID) has no effect.
    let dup = Draft::new(&n.alice, &n.support, "Problem 1", "Details.");
    let mut again = Draft::new(&n.alice, &n.support, "Problem 1", "Details.");
    // The one of "Problem 1": Postfix may deliver the three mails in any order.
    again.message_id = fetch_all(&h.mail, &n.support, "Processed")
        .await
        .into_iter()
        .find(|r| r.subject == "Problem 1")
        .expect("Problem 1 was processed")
        .message_id;
    again.send().await;
    dup.send().await;
    h.wait_ticket(4, "the genuinely new mail", |_| true).await;
    // Moved only once committed: with the INBOX empty, every ticket is in the store.
    h.wait_inbox_empty().await;
    let all = h.tickets();
    assert_eq!(
        all.len(),
        4,
        "{:?}",
        all.iter().map(|t| &t.summary).collect::<Vec<_>>()
    );
    for t in &all {
        assert_eq!(
            t.events.len(),
            1,
            "{} has {} events",
            t.summary,
            t.events.len()
        );
    }
    // Still exactly one acknowledgement per ticket after the restart, once everything sent
    // is delivered (the last one leaves while its mail is moved).
    h.settle().await;
    let to_alice = mails(&n.alice, |_| true).await;
    for tag in ["SUP-1", "SUP-2", "SUP-3", "SUP-4"] {
        assert_eq!(
            to_alice.iter().filter(|r| has_tag(r, tag)).count(),
            1,
            "{tag}"
        );
    }
    drop(acks);
    h.stop().await;
}
