//! The reliability contract of SPEC §4 with the real binary: `kill -9` at random moments,
//! SIGTERM, restarts. The random seed is printed; `TG_CHAOS_SEED=<seed>` replays a run.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ticket_gateway::core::TicketId;
use ticket_gateway::store::{OutboxStatus, SledStore, Store};

use crate::support::*;

pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub(crate) fn seed() -> u64 {
    match std::env::var("TG_CHAOS_SEED") {
        Ok(s) => s.parse().expect("TG_CHAOS_SEED is a number"),
        Err(_) => {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        }
    }
}

/// A daemon child process, killed if the test ends (or panics) while it runs.
pub(crate) struct Daemon(pub(crate) Child);

impl std::ops::Deref for Daemon {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Daemon {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn spawn(h: &Harness, log: &str) -> Daemon {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(h.dir.path().join(log))
        .unwrap();
    Daemon(
        Command::new(env!("CARGO_BIN_EXE_ticket-gateway"))
            .args(["--config", h.config_path.to_str().unwrap(), "run"])
            .env("TICKET_GATEWAY_LOG", "info,ticket_gateway::daemon=debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the binary starts"),
    )
}

pub(crate) fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -TERM");
}

/// Waits for the child to exit, at most `limit`; returns its status.
async fn wait_exit(h: &Harness, child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(h.dir.path().join("daemon.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let _ = child.kill();
            panic!(
                "the daemon did not exit within {limit:?}; log tail:\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn chaos_config(h: String) -> String {
    h.replace(
        "max_replies_per_hour = 50",
        "max_replies_per_hour = 1000000",
    )
    .replace("poll_interval = \"2s\"", "poll_interval = \"1s\"")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_nine_at_random_moments_and_every_mail_has_exactly_one_effect() {
    let seed = seed();
    println!("chaos seed: {seed} (replay with TG_CHAOS_SEED={seed})");
    let mut rng = Rng(seed);
    let h = Harness::prepare(MailSys::get(), "chaos", chaos_config);
    let n = h.names.clone();
    let local = n.alice.split('@').next().unwrap().to_string();
    let customers: Vec<String> = (0..10)
        .map(|k| format!("c{k}-{local}@customer.test"))
        .collect();

    // 1,000 mails: new tickets and replies to earlier ones, mixed.
    const MAILS: usize = 1000;
    let mut reporters: Vec<String> = Vec::new(); // index j-1 = reporter of SUP-j
    let mut replies: BTreeMap<u64, usize> = BTreeMap::new();
    let mut raws = Vec::new();
    for i in 0..MAILS {
        let reply = !reporters.is_empty() && rng.below(10) < 4;
        let raw = if reply {
            let j = rng.below(reporters.len() as u64) + 1;
            *replies.entry(j).or_default() += 1;
            let from = &reporters[j as usize - 1];
            format!(
                "From: {from}\r\nTo: {s}\r\nSubject: Re: [SUP-{j}] Chaos question\r\nMessage-ID: <chaos.{seed}.{i}@c.test>\r\n\r\nReply {i}\r\n",
                s = n.support
            )
        } else {
            let from = customers[rng.below(customers.len() as u64) as usize].clone();
            reporters.push(from.clone());
            format!(
                "From: {from}\r\nTo: {s}\r\nSubject: Chaos question {i}\r\nMessage-ID: <chaos.{seed}.{i}@c.test>\r\n\r\nQuestion {i}\r\n",
                s = n.support
            )
        };
        raws.push(raw.into_bytes());
    }
    let tickets = reporters.len();
    let comments: usize = replies.values().sum();
    append(&h.mail, &n.support, "INBOX", &raws, "").await;

    // At least ten SIGKILLs at random moments, each followed by a restart.
    let mut kills = 0;
    for round in 0..12 {
        let mut child = spawn(&h, "daemon.log");
        let wait = 150 + rng.below(if round < 6 { 900 } else { 2500 });
        tokio::time::sleep(Duration::from_millis(wait)).await;
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        kills += 1;
    }
    assert!(kills >= 10);

    // The last run finishes the work.
    let mut child = spawn(&h, "daemon.log");
    let expected = Expected {
        customers: &customers,
        tickets,
        comments,
        seed,
    };
    wait_for_every_effect(&h, &expected, Duration::from_secs(240)).await;
    sigterm(&child);
    let status = wait_exit(&h, &mut child, Duration::from_secs(10)).await;
    assert!(status.success(), "exit status after SIGTERM: {status:?}");

    // Exactly one effect per mail.
    let store = SledStore::open(&h.dir.path().join("store")).unwrap();
    let all = store.tickets().unwrap();
    assert_eq!(all.len(), tickets, "seed {seed}: tickets");
    for (j, reporter) in reporters.iter().enumerate() {
        let j = j as u64 + 1;
        let t = store.ticket(TicketId(j)).unwrap().unwrap();
        assert_eq!(&t.reporter, reporter, "seed {seed}: SUP-{j} reporter");
        let expected = 1 + replies.get(&j).copied().unwrap_or(0);
        assert_eq!(t.events.len(), expected, "seed {seed}: SUP-{j} events");
        let ids: BTreeSet<_> = t.events.iter().map(|e| e.message_id.clone()).collect();
        assert_eq!(
            ids.len(),
            t.events.len(),
            "seed {seed}: SUP-{j}: an event recorded twice"
        );
    }
    assert_eq!(count(&h.mail, &n.support, "Processed").await, MAILS);
    one_acknowledgement_each(&h.mail, &expected).await;
    let outbox = store.outbox().unwrap();
    assert!(
        outbox.iter().all(|e| e.status == OutboxStatus::Sent),
        "seed {seed}: unsent mail left"
    );
    assert_eq!(
        outbox.len(),
        2 * tickets + comments,
        "seed {seed}: one entry per notification"
    );

    // Only the mails in flight at a kill may go twice (SPEC §4): each completed send is
    // recorded as it completes, so a kill resends at most one mail per concurrent send.
    let mut users: Vec<&str> = customers.iter().map(String::as_str).collect();
    users.push(&n.team);
    let (copies, unique) = settled_copies(&h.mail, &users).await;
    assert!(unique >= outbox.len(), "seed {seed}: every mail arrived");
    let resent = copies - unique;
    println!(
        "seed {seed}: {resent} mails resent after {kills} kills ({:.1} a kill, at most {IN_FLIGHT} in flight)",
        resent as f64 / kills as f64
    );
    assert!(
        resent <= kills * IN_FLIGHT,
        "seed {seed}: {resent} mails resent after {kills} kills: more than the {IN_FLIGHT} a kill that can be in flight"
    );
}

/// What a backlog of new tickets and replies from `customers` must come to.
pub(crate) struct Expected<'a> {
    pub(crate) customers: &'a [String],
    pub(crate) tickets: usize,
    pub(crate) comments: usize,
    /// The run's seed, named in every failure.
    pub(crate) seed: u64,
}

/// Waits until every mail of a backlog has had its effect: the support INBOX empty, a staff
/// mail for each ticket and comment, an acknowledgement for each ticket. Fails after
/// `limit`, saying what is missing and where the daemons' logs are.
pub(crate) async fn wait_for_every_effect(h: &Harness, e: &Expected<'_>, limit: Duration) {
    let (n, seed, tickets) = (&h.names, e.seed, e.tickets);
    let deadline = Instant::now() + limit;
    loop {
        let left = count(&h.mail, &n.support, "INBOX").await;
        let staff = count(&h.mail, &n.team, "INBOX").await;
        let mut acked = BTreeSet::new();
        if left == 0 && staff >= tickets + e.comments {
            for c in e.customers {
                for r in fetch_all(&h.mail, c, "INBOX").await {
                    acked.insert(r.subject.clone());
                }
            }
            if acked.len() >= tickets {
                return;
            }
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: {left} mails left in INBOX, {staff}/{} staff mails, {}/{tickets} acknowledged; logs in {}",
            tickets + e.comments,
            acked.len(),
            h.dir.path().display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Every ticket's acknowledgement was delivered, each under one Message-ID: a copy sent
/// again after a stop carries the same one.
pub(crate) async fn one_acknowledgement_each(m: &MailSys, e: &Expected<'_>) {
    let seed = e.seed;
    let mut ack_ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in e.customers {
        for r in fetch_all(m, c, "INBOX").await {
            ack_ids
                .entry(r.subject.clone())
                .or_default()
                .insert(r.message_id.clone());
        }
    }
    assert_eq!(
        ack_ids.len(),
        e.tickets,
        "seed {seed}: tickets acknowledged"
    );
    for (subject, ids) in &ack_ids {
        assert_eq!(ids.len(), 1, "seed {seed}: {subject} sent with {ids:?}");
    }
}

/// Sends the outbox has in flight at once (`SEND_CONCURRENCY`, src/daemon/outbox.rs).
pub(crate) const IN_FLIGHT: usize = 10;

/// The mails in these users' INBOXes once Postfix has delivered everything: how many copies
/// in all, and how many distinct (user, Message-ID). Waits until the count stops changing.
pub(crate) async fn settled_copies(m: &MailSys, users: &[&str]) -> (usize, usize) {
    let mut last = None;
    loop {
        let mut ids = Vec::new();
        for u in users {
            let got = fetch_all(m, u, "INBOX").await;
            ids.extend(got.into_iter().map(|r| (u.to_string(), r.message_id)));
        }
        let copies = ids.len();
        if last == Some(copies) {
            let unique: BTreeSet<(String, String)> = ids.into_iter().collect();
            return (copies, unique.len());
        }
        last = Some(copies);
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_mail_in_hand_and_exits_zero_within_ten_seconds() {
    let h = Harness::prepare(MailSys::get(), "sigterm", chaos_config);
    let n = h.names.clone();
    let pid = std::process::id();
    let raws: Vec<Vec<u8>> = (0..800)
        .map(|i| {
            format!(
                "From: {a}\r\nTo: {s}\r\nSubject: Term {i}\r\nMessage-ID: <term.{pid}.{i}.{}@c.test>\r\n\r\nBody {i}\r\n",
                nanos(),
                a = n.alice,
                s = n.support
            )
            .into_bytes()
        })
        .collect();
    append(&h.mail, &n.support, "INBOX", &raws, "").await;
    let mut child = spawn(&h, "daemon.log");
    // At work: the first batch moved, the last one in hand.
    let deadline = Instant::now() + Duration::from_secs(60);
    while count(&h.mail, &n.support, "INBOX").await == raws.len() {
        assert!(
            Instant::now() < deadline,
            "the daemon did not start working"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let t0 = Instant::now();
    sigterm(&child);
    let status = wait_exit(&h, &mut child, Duration::from_secs(10)).await;
    assert!(status.success(), "{status:?}");
    assert!(t0.elapsed() < Duration::from_secs(10));
    // A restart finishes the rest: nothing lost, nothing twice. It is judged once it runs
    // (its endpoint announced, so its handlers are in place): the first daemon may have
    // finished every mail in hand, leaving the INBOX empty at once.
    let mut child = spawn(&h, "daemon.log");
    let announced = h.dir.path().join("store").join("admin.json");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_to_string(&announced)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v["pid"].as_u64())
        != Some(u64::from(child.id()))
    {
        assert!(
            Instant::now() < deadline,
            "the restarted daemon did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&h.mail, &n.support, "INBOX").await > 0 {
        assert!(Instant::now() < deadline, "mail left in INBOX");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Up (its admin endpoint announced; the first one's went with it) before it is told to
    // stop: when the first one did all the work, the INBOX is empty at once, and a SIGTERM
    // before the binary has its handler is the signal's default action, not a stop.
    crate::operate::wait_file(&h.dir.path().join("store").join("admin.json")).await;
    sigterm(&child);
    let status = wait_exit(&h, &mut child, Duration::from_secs(10)).await;
    let log = std::fs::read_to_string(h.dir.path().join("daemon.log")).unwrap_or_default();
    let tail: Vec<&str> = log.lines().rev().take(15).collect();
    assert!(
        status.success(),
        "{status:?}; log tail:\n{}",
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let store = SledStore::open(&h.dir.path().join("store")).unwrap();
    let all = store.tickets().unwrap();
    assert_eq!(all.len(), 800);
    let subjects: BTreeSet<_> = all.iter().map(|t| t.summary.clone()).collect();
    assert_eq!(subjects.len(), 800);
}
