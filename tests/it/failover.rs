//! Several daemons on one PostgreSQL store (SPEC §5.5, issue 19), with the real binary: two
//! daemons share the database, each with its own state directory and admin endpoint; the
//! active one is killed with SIGKILL again and again while mail keeps arriving, and frozen
//! with SIGSTOP for longer than a lease lives. Every mail has exactly one effect, the
//! standby takes over each time, and the frozen one, thawed, stops without acting. The
//! takeover times are printed (measured, never asserted: `docs/benchmarks.md`).
//!
//! Always on PostgreSQL (the server of `scripts/pg/up`, as the store tests), whatever
//! `TG_TEST_STORE` says. The random seed is printed; `TG_CHAOS_SEED=<seed>` replays a run.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ticket_gateway::core::TicketId;
use ticket_gateway::store::{DatabaseUrl, OutboxStatus, PgStore, Store};

use crate::chaos::{chaos_config, seed, settled_copies, sigterm, Daemon, Rng, IN_FLIGHT};
use crate::support::*;

/// One of the two daemons: its config (same database, its own state directory) and log.
struct Node {
    name: &'static str,
    config: PathBuf,
    state: PathBuf,
    log: PathBuf,
    child: Option<Daemon>,
}

impl Node {
    fn new(h: &Harness, name: &'static str, toml: &str, url: &str) -> Node {
        let state = h.dir.path().join(format!("state-{name}"));
        let mut out = String::new();
        for line in toml.lines() {
            if line.starts_with("store = ") || line.starts_with("state_dir = ") {
                continue;
            }
            out.push_str(line);
            out.push('\n');
            if line == "[gateway]" {
                out.push_str(&format!(
                    "store = \"{url}\"\nstate_dir = \"{}\"\n",
                    state.display()
                ));
            }
        }
        let config = h.dir.path().join(format!("gateway-{name}.toml"));
        std::fs::write(&config, out).unwrap();
        Node {
            name,
            config,
            state,
            log: h.dir.path().join(format!("daemon-{name}.log")),
            child: None,
        }
    }

    fn start(&mut self) {
        // A stale admin file would point at the previous process.
        let _ = std::fs::remove_file(self.state.join("admin.json"));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        self.child = Some(Daemon(
            Command::new(env!("CARGO_BIN_EXE_ticket-gateway"))
                .args(["--config", self.config.to_str().unwrap(), "run"])
                .env("TICKET_GATEWAY_LOG", "info")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("the binary starts"),
        ));
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn kill9(&mut self) {
        let mut c = self.child.take().expect("running");
        c.kill().expect("SIGKILL");
        c.wait().unwrap();
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The admin endpoint of the running process, once it has written its file.
    fn admin(&self) -> Option<SocketAddr> {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(self.state.join("admin.json")).ok()?).ok()?;
        (v["pid"].as_u64()? == u64::from(self.pid()))
            .then(|| v["listen"].as_str()?.parse().ok())
            .flatten()
    }

    /// Its `/healthz` JSON, or `None` when it does not answer (starting, dead, frozen).
    async fn health(&self) -> Option<serde_json::Value> {
        let addr = self.admin()?;
        let body = tokio::time::timeout(Duration::from_secs(2), get(addr, "/healthz"))
            .await
            .ok()??;
        serde_json::from_str(&body).ok()
    }

    async fn role(&self) -> Option<String> {
        Some(self.health().await?["role"].as_str()?.to_string())
    }
}

async fn get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    Some(text.split_once("\r\n\r\n")?.1.to_string())
}

/// Waits until one of `nodes` (among those running and not frozen) says it is active;
/// returns its index. Panics after `limit` with the logs' tails.
async fn wait_active(nodes: &[Node], skip: Option<usize>, limit: Duration) -> usize {
    let deadline = Instant::now() + limit;
    loop {
        for (i, n) in nodes.iter().enumerate() {
            if Some(i) == skip || n.child.is_none() {
                continue;
            }
            if n.role().await.as_deref() == Some("active") {
                return i;
            }
        }
        if Instant::now() > deadline {
            let tails: Vec<String> = nodes
                .iter()
                .map(|n| format!("--- {}:\n{}", n.name, tail(&n.log_text(), 20)))
                .collect();
            panic!(
                "no daemon became active within {limit:?}\n{}",
                tails.join("\n")
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Mails `first..first+count`: new tickets and replies to earlier ones, mixed (as chaos.rs).
struct Backlog {
    seed: u64,
    support: String,
    customers: Vec<String>,
    /// index j-1 = reporter of SUP-j
    reporters: Vec<String>,
    replies: BTreeMap<u64, usize>,
    total: usize,
}

impl Backlog {
    fn wave(&mut self, rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
        let mut raws = Vec::new();
        for _ in 0..count {
            let i = self.total;
            self.total += 1;
            let (seed, s) = (self.seed, &self.support);
            let raw = if !self.reporters.is_empty() && rng.below(10) < 4 {
                let j = rng.below(self.reporters.len() as u64) + 1;
                *self.replies.entry(j).or_default() += 1;
                let from = &self.reporters[j as usize - 1];
                format!(
                    "From: {from}\r\nTo: {s}\r\nSubject: Re: [SUP-{j}] Failover question\r\nMessage-ID: <failover.{seed}.{i}@c.test>\r\n\r\nReply {i}\r\n"
                )
            } else {
                let from = self.customers[rng.below(self.customers.len() as u64) as usize].clone();
                self.reporters.push(from.clone());
                format!(
                    "From: {from}\r\nTo: {s}\r\nSubject: Failover question {i}\r\nMessage-ID: <failover.{seed}.{i}@c.test>\r\n\r\nQuestion {i}\r\n"
                )
            };
            raws.push(raw.into_bytes());
        }
        raws
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_on_one_database_survive_kills_and_a_freeze_of_the_active_one() {
    let seed = seed();
    println!("failover seed: {seed} (replay with TG_CHAOS_SEED={seed})");
    let mut rng = Rng(seed);
    let h = Harness::prepare(MailSys::get(), "failover", chaos_config);
    let n = h.names.clone();
    let url = pg_schema_url("failover");
    let toml = std::fs::read_to_string(&h.config_path).unwrap();
    let mut nodes = [
        Node::new(&h, "a", &toml, &url),
        Node::new(&h, "b", &toml, &url),
    ];
    let local = n.alice.split('@').next().unwrap().to_string();
    let mut backlog = Backlog {
        seed,
        support: n.support.clone(),
        customers: (0..10)
            .map(|k| format!("c{k}-{local}@customer.test"))
            .collect(),
        reporters: Vec::new(),
        replies: BTreeMap::new(),
        total: 0,
    };
    let first = backlog.wave(&mut rng, 300);
    append(&h.mail, &n.support, "INBOX", &first, "").await;

    // Both start; one takes the leases, the other stands by and says so.
    nodes[0].start();
    nodes[1].start();
    let mut active = wait_active(&nodes, None, Duration::from_secs(60)).await;
    let standby = 1 - active;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(hz) = nodes[standby].health().await {
            assert_eq!(hz["role"], "standby", "{hz}");
            assert_eq!(hz["leases"], serde_json::json!([]), "{hz}");
            break;
        }
        assert!(Instant::now() < deadline, "the standby never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hz = nodes[active]
        .health()
        .await
        .expect("the active one answers");
    assert_eq!(hz["leases"], serde_json::json!(["INBOX", "outbox"]), "{hz}");

    // At least ten SIGKILLs of the active daemon during the backlog, each restarted at once
    // (there is always a standby); more mail arrives after each takeover.
    let mut takeovers: Vec<(String, Duration)> = Vec::new();
    const KILLS: usize = 11;
    for round in 0..KILLS {
        let before = count(&h.mail, &n.support, "Processed").await;
        // The active one is at work: mail is being processed when it dies.
        let deadline = Instant::now() + Duration::from_secs(120);
        while count(&h.mail, &n.support, "Processed").await == before {
            assert!(
                Instant::now() < deadline,
                "round {round}: {} did no work",
                nodes[active].name
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.below(1500))).await;
        let killed = active;
        nodes[killed].kill9();
        let t0 = Instant::now();
        nodes[killed].start();
        active = wait_active(&nodes, None, Duration::from_secs(60)).await;
        let took = t0.elapsed();
        takeovers.push((format!("kill -9 #{}", round + 1), took));
        // The new active one works: mail arrives for it.
        let wave = backlog.wave(&mut rng, 100);
        append(&h.mail, &n.support, "INBOX", &wave, "").await;
    }

    // A freeze longer than a lease lives: the other takes over; thawed, the frozen one
    // commits, moves and sends nothing, and stops (exit non-zero: systemd restarts it).
    let frozen = active;
    let wave = backlog.wave(&mut rng, 100);
    append(&h.mail, &n.support, "INBOX", &wave, "").await;
    nodes[frozen].signal("-STOP");
    let t0 = Instant::now();
    active = wait_active(&nodes, Some(frozen), Duration::from_secs(60)).await;
    takeovers.push(("SIGSTOP".into(), t0.elapsed()));
    assert_ne!(active, frozen, "the standby took over from the frozen one");
    let wave = backlog.wave(&mut rng, 100);
    append(&h.mail, &n.support, "INBOX", &wave, "").await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log_before = nodes[frozen].log_text().len();
    // Lines decided before the freeze may reach the log after it: only what is stamped
    // from the thaw on counts as done after it.
    let thawed = humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string();
    nodes[frozen].signal("-CONT");
    let mut child = nodes[frozen].child.take().expect("running");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(
            Instant::now() < deadline,
            "the thawed daemon did not stop:\n{}",
            tail(&nodes[frozen].log_text(), 30)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        !status.success(),
        "a daemon that lost its leases exits non-zero"
    );
    let after: String = nodes[frozen].log_text()[log_before..]
        .lines()
        .filter(|l| l.get(..thawed.len()).is_none_or(|t| *t >= *thawed) || !l.starts_with('2'))
        .map(|l| format!("{l}\n"))
        .collect();
    println!("the thawed daemon's log from the thaw on:\n{after}");
    // It knows at once, and takes nothing back. What it had begun before the freeze (a send
    // the server had answered, a MOVE sent) may be logged as done after the thaw; what it
    // tried to commit is refused, and the counts below show that no mail has two effects.
    assert!(after.contains("lost the leases"), "{after}");
    for took in ["took the leases", "took over the leases"] {
        assert!(
            !after.contains(took),
            "the thawed daemon took leases:\n{after}"
        );
    }
    for line in after
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("error="))
    {
        assert!(
            line.contains("not acting on the store")
                || line.contains("connection closed")
                || line.contains("connection to PostgreSQL broke"),
            "the thawed daemon failed otherwise than by the fence: {line}"
        );
    }
    nodes[frozen].start();

    // A planned switch: SIGTERM releases the leases, and the standby takes them at once.
    let stopping = active;
    let wave = backlog.wave(&mut rng, 100);
    append(&h.mail, &n.support, "INBOX", &wave, "").await;
    let mut child = nodes[stopping].child.take().expect("running");
    sigterm(&child);
    let t0 = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(15), async {
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a stopped daemon exits within 15 s");
    assert!(status.success(), "{status:?}");
    active = wait_active(&nodes, Some(stopping), Duration::from_secs(60)).await;
    takeovers.push(("SIGTERM (leases released)".into(), t0.elapsed()));
    assert_ne!(active, stopping);
    nodes[stopping].start();

    // The last active one finishes the work.
    let tickets = backlog.reporters.len();
    let comments: usize = backlog.replies.values().sum();
    let mails = backlog.total;
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let left = count(&h.mail, &n.support, "INBOX").await;
        let staff = count(&h.mail, &n.team, "INBOX").await;
        let mut acked = BTreeSet::new();
        if left == 0 && staff >= tickets + comments {
            for c in &backlog.customers {
                for r in fetch_all(&h.mail, c, "INBOX").await {
                    acked.insert(r.subject.clone());
                }
            }
            if acked.len() >= tickets {
                break;
            }
        }
        assert!(
            Instant::now() < deadline,
            "seed {seed}: {left} mails left in INBOX, {staff}/{} staff mails, {}/{tickets} acknowledged; logs in {}",
            tickets + comments,
            acked.len(),
            h.dir.path().display()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for node in &mut nodes {
        let mut child = node.child.take().expect("running");
        sigterm(&child);
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break st;
            }
            assert!(Instant::now() < deadline, "{} did not stop", node.name);
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert!(
            status.success(),
            "{}: {status:?}\n{}",
            node.name,
            tail(&node.log_text(), 20)
        );
    }
    let logs = format!("{}{}", nodes[0].log_text(), nodes[1].log_text());
    assert!(
        logs.contains("after the previous holder's expired"),
        "takeovers logged"
    );
    assert!(
        logs.contains("released the leases"),
        "a clean stop releases them"
    );

    // Exactly one effect per mail.
    let store = PgStore::open(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    check_effects(&store, &backlog, seed);
    assert_eq!(count(&h.mail, &n.support, "Processed").await, mails);
    let mut ack_ids: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for c in &backlog.customers {
        for r in fetch_all(&h.mail, c, "INBOX").await {
            ack_ids
                .entry(r.subject.clone())
                .or_default()
                .insert(r.message_id.clone());
        }
    }
    assert_eq!(ack_ids.len(), tickets, "seed {seed}");
    for (subject, ids) in &ack_ids {
        assert_eq!(ids.len(), 1, "seed {seed}: {subject} sent with {ids:?}");
    }
    let outbox = store.outbox().unwrap();
    assert!(
        outbox.iter().all(|e| e.status == OutboxStatus::Sent),
        "seed {seed}: unsent mail left"
    );
    assert_eq!(outbox.len(), 2 * tickets + comments, "seed {seed}");
    let mut users: Vec<&str> = backlog.customers.iter().map(String::as_str).collect();
    users.push(&n.team);
    let (copies, unique) = settled_copies(&h.mail, &users).await;
    assert!(unique >= outbox.len(), "seed {seed}: every mail arrived");
    let stops = takeovers.len();
    let resent = copies - unique;
    assert!(
        resent <= stops * IN_FLIGHT,
        "seed {seed}: {resent} mails resent after {stops} stops"
    );

    let times: Vec<f64> = takeovers.iter().map(|t| t.1.as_secs_f64()).collect();
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "seed {seed}: {mails} mails, {tickets} tickets, {} takeovers, {resent} mails resent",
        takeovers.len()
    );
    for (what, took) in &takeovers {
        println!("  takeover after {what}: {:.1} s", took.as_secs_f64());
    }
    println!(
        "  takeover time: min {:.1} s, median {:.1} s, max {:.1} s",
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
    drop(store);
    drop_schema(&url);
}

fn check_effects(store: &PgStore, b: &Backlog, seed: u64) {
    let all = store.tickets().unwrap();
    assert_eq!(all.len(), b.reporters.len(), "seed {seed}: tickets");
    for (j, reporter) in b.reporters.iter().enumerate() {
        let j = j as u64 + 1;
        let t = store.ticket(TicketId(j)).unwrap().unwrap();
        assert_eq!(&t.reporter, reporter, "seed {seed}: SUP-{j} reporter");
        let expected = 1 + b.replies.get(&j).copied().unwrap_or(0);
        assert_eq!(t.events.len(), expected, "seed {seed}: SUP-{j} events");
        let ids: BTreeSet<_> = t.events.iter().map(|e| e.message_id.clone()).collect();
        assert_eq!(
            ids.len(),
            t.events.len(),
            "seed {seed}: SUP-{j}: an event twice"
        );
    }
}

/// Drops the test's schema (its name is in the URL's search_path).
fn drop_schema(url: &str) {
    if let Some(schema) = url.rsplit("search_path%3D").next() {
        if url.contains("search_path%3D") {
            pg_admin(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}
