//! The whole daemon in-process (tests/it/fake.rs): its real ingest, outbox and timer tasks
//! and its real store, on an in-memory IMAP server and a stub SMTP relay, with tokio's clock
//! paused. Orderings, back-off cadences, due times and shutdown, in virtual time: no mail
//! system, no sleep. The live tests (live.rs, conversations.rs ...) remain the proof that the
//! gateway works with real servers.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use ticket_gateway::core::{EventKind, State};
use ticket_gateway::store::OutboxStatus;

use crate::fake::{
    config, mail, message_id, until, Daemon, Failure, FakeImap, Log, Op, StubRelay, ALICE, STAFF,
    START, TEAM,
};

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

struct World {
    dir: tempfile::TempDir,
    log: Log,
    imap: FakeImap,
    relay: StubRelay,
}

impl World {
    fn new() -> World {
        let log = Log::new();
        World {
            dir: tempfile::tempdir().unwrap(),
            imap: FakeImap::new(&log),
            relay: StubRelay::new(&log),
            log,
        }
    }
    fn start(&self, extra: &str) -> Daemon {
        Daemon::start(
            config(self.dir.path(), extra),
            &self.imap,
            &self.relay,
            &self.log,
        )
    }
    /// Delivers a new customer mail; returns its UID and Message-ID.
    fn customer_mail(&self, n: usize) -> (u32, String) {
        let id = format!("c{n}@customer.test");
        let raw = mail(
            ALICE,
            &format!("Printer {n} is broken"),
            "It prints blank pages.",
            &id,
            "",
        );
        (self.imap.deliver(raw), id)
    }
}

/// The position of the first operation equal to `op`.
fn index(ops: &[Op], op: &Op) -> usize {
    ops.iter()
        .position(|o| o == op)
        .unwrap_or_else(|| panic!("{op:?} is not in {ops:#?}"))
}

/// The Message-IDs a raw mail's In-Reply-To and References name.
fn references(raw: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .replace("\r\n ", " ");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .filter(|(k, _)| {
            k.eq_ignore_ascii_case("in-reply-to") || k.eq_ignore_ascii_case("references")
        })
        .flat_map(|(_, v)| {
            v.split_whitespace()
                .map(|id| id.trim_matches(['<', '>']).to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Durability: nothing moved or sent before its commit is flushed

#[tokio::test(start_paused = true)]
async fn a_mail_is_moved_and_answered_only_after_its_commit_is_flushed() {
    let w = World::new();
    let mails: BTreeMap<u32, String> = (1..=3).map(|n| w.customer_mail(n)).collect();
    let d = w.start("");
    until("the mails moved", MINUTE, SECOND, || {
        w.imap.uids("INBOX").is_empty() && w.imap.uids("Processed").len() == 3
    })
    .await;
    until("the answers sent", MINUTE, SECOND, || {
        w.relay.accepted().len() == 6
    })
    .await;
    let ops = w.log.ops();

    // Every moved mail: committed, then a flush, then the move.
    let mut moved = BTreeSet::new();
    for (m, op) in ops.iter().enumerate() {
        let Op::Move(uids, target) = op else { continue };
        assert_eq!(target, "Processed");
        for uid in uids {
            let c = index(&ops, &Op::Commit(Some(mails[uid].clone())));
            let flushed = ops[c..m].contains(&Op::Flush);
            assert!(
                c < m && flushed,
                "uid {uid} moved at {m} with its commit at {c} and no flush between: {ops:#?}"
            );
            moved.insert(*uid);
        }
    }
    assert_eq!(moved, mails.keys().copied().collect());

    // Every answer: its mail's commit flushed before it went.
    for (out, _, raw) in w.relay.accepted() {
        let s = index(&ops, &Op::Send(out.clone(), Ok(())));
        let answers: Vec<&String> = mails
            .values()
            .filter(|id| references(&raw).contains(id))
            .collect();
        assert_eq!(
            answers.len(),
            1,
            "{out} answers one mail: {}",
            String::from_utf8_lossy(&raw)
        );
        let c = index(&ops, &Op::Commit(Some(answers[0].clone())));
        assert!(
            ops[c..s].contains(&Op::Flush),
            "{out} sent at {s} before the commit at {c} was flushed: {ops:#?}"
        );
    }
    // Fetched once, in UID order, each mail its own ticket.
    let fetched: Vec<u32> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Fetch(uids) => Some(uids.clone()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(fetched, [1, 2, 3]);
    assert!(d.ticket(3).is_some() && d.ticket(4).is_none());
    d.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Back-off

#[tokio::test(start_paused = true)]
async fn imap_failures_back_off_doubling_when_transient_and_for_minutes_when_permanent() {
    let w = World::new();
    w.imap.fail_connects(3, Failure::Transient);
    w.imap.fail_connects(2, Failure::Permanent);
    w.imap.fail_connects(1, Failure::Transient);
    let d = w.start("");
    let connects = |ok: bool| {
        let log = w.log.clone();
        move || {
            log.ops()
                .iter()
                .filter(|op| matches!(op, Op::Connect(r) if r.is_ok() == ok))
                .count()
        }
    };
    let failed = connects(false);
    until("the first permanent failure", HOUR, SECOND, || {
        failed() == 4
    })
    .await;
    let health = d.gw.telemetry.health.imap(0).unwrap_err();
    assert!(
        health.contains("Authentication failed") && health.contains("permanent"),
        "{health}"
    );
    let connected = connects(true);
    until("connected", HOUR, SECOND, || connected() == 1).await;
    assert_eq!(d.gw.telemetry.health.imap(0), Ok(()));

    let at = w.log.times(|op| matches!(op, Op::Connect(_)));
    let waits: Vec<Duration> = at.windows(2).map(|p| p[1] - p[0]).collect();
    let ms = Duration::from_millis;
    assert_eq!(
        waits,
        [
            ms(500),
            ms(1000),
            ms(2000),
            300 * SECOND,
            300 * SECOND,
            ms(500)
        ],
        "transient: 0.5 s doubling; permanent: 5 minutes; then transient from 0.5 s again"
    );
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn smtp_transient_failures_back_off_and_the_mail_goes_once_the_server_is_back() {
    let w = World::new();
    w.relay.failing(Some(Failure::Transient));
    let d = w.start("");
    let (_, first) = w.customer_mail(1);
    until("acknowledged", MINUTE, SECOND, || d.ticket(1).is_some()).await;
    let outgoing = d.gw.store.outbox().unwrap();
    assert_eq!(
        outgoing.len(),
        2,
        "an acknowledgement and the team's notice"
    );
    let ack = outgoing
        .iter()
        .find(|e| e.to == [ALICE])
        .expect("an acknowledgement")
        .message_id
        .clone();
    let tries = |log: &Log| log.times(|op| matches!(op, Op::Send(id, _) if *id == ack));
    until("five tries", HOUR, SECOND, || tries(&w.log).len() == 5).await;
    let health = d.gw.telemetry.health.smtp().unwrap_err();
    assert!(health.contains("connection refused"), "{health}");

    w.relay.failing(None);
    until("sent", HOUR, SECOND, || w.relay.accepted().len() == 2).await;
    let at = tries(&w.log);
    let waits: Vec<u64> = at.windows(2).map(|p| (p[1] - p[0]).as_secs()).collect();
    // 2 s, 4 s, 8 s, 16 s, 32 s after each failure (whole seconds of the clock: each wait
    // ends within the second after).
    for (wait, want) in waits.iter().zip([2, 4, 8, 16, 32]) {
        assert!(
            (want..=want + 1).contains(wait),
            "waits {waits:?}: want about {want} s"
        );
    }
    assert_eq!(at.len(), 6, "sent on the sixth try, once");
    assert_eq!(d.gw.telemetry.health.smtp(), Ok(()));
    let ids: BTreeSet<String> = w.relay.accepted().into_iter().map(|m| m.0).collect();
    assert_eq!(ids.len(), 2, "each mail once");
    assert!(!first.is_empty());
    d.stop().await;
}

#[tokio::test(start_paused = true)]
async fn smtp_a_permanent_link_failure_waits_minutes_and_a_refused_mail_dies() {
    let w = World::new();
    w.relay.failing(Some(Failure::Permanent));
    let d = w.start("");
    w.customer_mail(1);
    until("two tries of each mail", HOUR, SECOND, || {
        w.log.times(|op| matches!(op, Op::Send(_, Err(_)))).len() == 4
    })
    .await;
    let at = w.log.times(|op| matches!(op, Op::Send(_, Err(_))));
    // Both mails tried together, then again five minutes later; neither dies of the link.
    assert_eq!(at[1] - at[0], Duration::ZERO);
    let wait = (at[2] - at[0]).as_secs();
    assert!((300..=301).contains(&wait), "waited {wait} s");
    assert!(d
        .gw
        .store
        .outbox()
        .unwrap()
        .iter()
        .all(|e| e.status == OutboxStatus::Pending));

    // The server refuses the mails themselves: they die at the next try, and no more tries.
    w.relay.failing(Some(Failure::Refused));
    until("dead", HOUR, SECOND, || {
        d.gw.store
            .outbox()
            .unwrap()
            .iter()
            .all(|e| e.status == OutboxStatus::Dead)
    })
    .await;
    let tries = w.log.times(|op| matches!(op, Op::Send(..))).len();
    tokio::time::sleep(2 * HOUR).await;
    assert_eq!(w.log.times(|op| matches!(op, Op::Send(..))).len(), tries);
    assert!(w.relay.accepted().is_empty());
    d.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Timers

#[tokio::test(start_paused = true)]
async fn a_reminder_and_an_automatic_close_come_when_due_across_a_restart() {
    let w = World::new();
    let timers = "[timers]\nwaiting_reminder = \"1d\"\nwaiting_autoclose = \"2d\"\n";
    let d = w.start(timers);
    w.imap.deliver(mail(
        ALICE,
        "Cannot print",
        "I cannot print from my laptop.",
        "print@customer.test",
        "",
    ));
    until("the team told", MINUTE, SECOND, || {
        !w.relay.accepted_kind("SUP-1; new_ticket").is_empty()
    })
    .await;
    let notice = message_id(&w.relay.accepted_kind("SUP-1; new_ticket")[0].2);
    w.imap.deliver(mail(
        STAFF,
        "Re: [SUP-1] Cannot print",
        "#waiting\nWhich operating system does the laptop run?",
        "staff.1@gateway.test",
        &format!("In-Reply-To: <{notice}>\r\n"),
    ));
    until("waiting", MINUTE, SECOND, || {
        d.ticket(1)
            .is_some_and(|t| t.state == State::WaitingForFeedback)
    })
    .await;
    let since = d.ticket(1).unwrap().state_since;
    // Virtual time since the harness began, at a time of day by the daemon's clock.
    let at = |secs: i64| Duration::from_secs((secs - START) as u64);

    // Half a day on, a restart: the timers come from the store.
    tokio::time::sleep_until(w.log.began() + at(since + 12 * 3600)).await;
    assert!(w.relay.accepted_kind("SUP-1; reminder").is_empty());
    d.stop().await;
    let d = w.start(timers);

    until("reminded", 2 * 86_400 * SECOND, MINUTE, || {
        !w.relay.accepted_kind("SUP-1; reminder").is_empty()
    })
    .await;
    let reminder = &w.relay.accepted_kind("SUP-1; reminder")[0];
    assert_eq!(reminder.1, [ALICE]);
    let text = String::from_utf8_lossy(&reminder.2).to_string();
    assert!(text.contains("Which operating system"), "{text}");
    let sent_at = |id: &str| {
        w.log
            .times(|op| *op == Op::Send(id.to_string(), Ok(())))
            .first()
            .copied()
            .expect("sent")
    };
    // Due one day after the ticket began waiting; the timer task looks once a minute.
    let reminded = sent_at(&reminder.0);
    assert!(
        reminded >= at(since + 86_400) && reminded <= at(since + 86_400) + MINUTE + SECOND,
        "reminded at {reminded:?}, due at {:?}",
        at(since + 86_400)
    );

    until("closed", 3 * 86_400 * SECOND, MINUTE, || {
        d.ticket(1).is_some_and(|t| t.state == State::Closed)
    })
    .await;
    until("the close told", MINUTE, SECOND, || {
        !w.relay.accepted_kind("SUP-1; auto_closed").is_empty()
    })
    .await;
    let closed = w.relay.accepted_kind("SUP-1; auto_closed");
    let closed_at = sent_at(&closed[0].0);
    assert!(
        closed_at >= at(since + 2 * 86_400)
            && closed_at <= at(since + 2 * 86_400) + MINUTE + SECOND,
        "closed at {closed_at:?}, due at {:?}",
        at(since + 2 * 86_400)
    );
    let closed_by = d.ticket(1).unwrap().events.last().unwrap().at;
    assert!(
        (since + 2 * 86_400..=since + 2 * 86_400 + 61).contains(&closed_by),
        "the ticket's close at {closed_by}, due at {}",
        since + 2 * 86_400
    );

    // Days more: once each.
    tokio::time::sleep(3 * 86_400 * SECOND).await;
    let t = d.ticket(1).unwrap();
    let count = |k| t.events.iter().filter(|e| e.kind == k).count();
    assert_eq!(
        (count(EventKind::Reminder), count(EventKind::AutoClose)),
        (1, 1)
    );
    assert_eq!(w.relay.accepted_kind("SUP-1; reminder").len(), 1);
    assert!(closed.iter().any(|m| m.1 == [ALICE]), "the customer told");
    // Staff get a staff text of their own about the close.
    let staff = w.relay.accepted_kind("SUP-1; auto_closed_staff");
    assert!(staff.iter().any(|m| m.1 == [TEAM]), "the team told");
    d.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Shutdown

#[tokio::test(start_paused = true)]
async fn shutdown_finishes_the_sends_in_flight_and_loses_or_repeats_nothing() {
    let w = World::new();
    // Each send takes a second (within the two seconds a send in flight gets at shutdown).
    w.relay.delay(SECOND);
    let ids: Vec<String> = (1..=3).map(|n| w.customer_mail(n).1).collect();
    let d = w.start("");
    until(
        "a send in flight",
        MINUTE,
        Duration::from_millis(100),
        || w.relay.started() > 0,
    )
    .await;
    d.stop().await;
    let started = w.relay.started();
    assert_eq!(
        w.relay.accepted().len(),
        started,
        "every send in flight at shutdown finished"
    );

    // What went is recorded as sent; what did not waits; every mail is in a mailbox.
    let d = w.start("");
    let sent_before: BTreeSet<String> = w.relay.accepted().into_iter().map(|m| m.0).collect();
    for e in d.gw.store.outbox().unwrap() {
        assert_eq!(
            e.status == OutboxStatus::Sent,
            sent_before.contains(&e.message_id),
            "{e:?}"
        );
    }
    w.relay.delay(Duration::ZERO);
    until("everything in", MINUTE, SECOND, || {
        w.imap.uids("INBOX").is_empty() && w.imap.uids("Processed").len() == 3
    })
    .await;
    until("everything sent", MINUTE, SECOND, || {
        d.gw.store
            .outbox()
            .unwrap()
            .iter()
            .all(|e| e.status == OutboxStatus::Sent)
    })
    .await;
    let sent: Vec<String> = w.relay.accepted().into_iter().map(|m| m.0).collect();
    let unique: BTreeSet<&String> = sent.iter().collect();
    assert_eq!(unique.len(), sent.len(), "nothing sent twice: {sent:?}");
    assert_eq!(sent.len(), 6, "an acknowledgement and a notice per mail");
    for id in &ids {
        assert_eq!(
            w.log
                .ops()
                .iter()
                .filter(|op| **op == Op::Commit(Some(id.clone())))
                .count(),
            1,
            "{id} committed once"
        );
    }
    assert!(d.ticket(3).is_some() && d.ticket(4).is_none());
    d.stop().await;
}

/// `GET /api/tickets` without a limit on the daemon's admin endpoint: (status, the chunks of
/// its body as sent).
async fn full_listing(store: &std::path::Path) -> (u16, Vec<Vec<u8>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(store.join("admin.json")).unwrap()).unwrap();
    let addr = file["listen"].as_str().unwrap();
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "GET /api/tickets HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
         Authorization: Bearer {}\r\n\r\n",
        file["token"].as_str().unwrap()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).await.unwrap();
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut rest = &raw[end + 4..];
    if !head.contains("transfer-encoding: chunked") {
        return (status, vec![rest.to_vec()]);
    }
    let mut chunks = Vec::new();
    loop {
        let line = rest.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&rest[..line]).unwrap(), 16).unwrap();
        if size == 0 {
            return (status, chunks);
        }
        chunks.push(rest[line + 2..line + 2 + size].to_vec());
        rest = &rest[line + 2 + size + 2..];
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_listing_is_sent_in_chunks_as_the_tickets_are_read() {
    let w = World::new();
    let n = 200;
    let long = "a long subject for a listing bigger than one chunk ".repeat(10);
    for i in 1..=n {
        let from = format!("c{i}@customer.test");
        let raw = mail(
            &from,
            &format!("{i}: {long}"),
            "Hello.",
            &format!("l{i}@x.test"),
            "",
        );
        w.imap.deliver(raw);
    }
    let d = w.start("");
    until("every mail in", MINUTE, SECOND / 10, || {
        w.imap.uids("Processed").len() == n
    })
    .await;
    let (status, chunks) = full_listing(&w.dir.path().join("store")).await;
    assert_eq!(status, 200);
    let body = chunks.concat();
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    let ids: Vec<u64> = listed.iter().map(|t| t["id"].as_u64().unwrap()).collect();
    assert_eq!(
        ids,
        (1..=n as u64).collect::<Vec<_>>(),
        "every ticket, in id order"
    );
    assert!(
        body.len() > 64 * 1024 && chunks.len() >= 2,
        "a listing of {} bytes came in {} chunks",
        body.len(),
        chunks.len()
    );
    assert!(
        chunks.iter().all(|c| c.len() <= 128 * 1024),
        "no chunk holds the listing: {:?}",
        chunks.iter().map(Vec::len).collect::<Vec<_>>()
    );
    d.stop().await;
}
