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
use std::time::{Duration, Instant, SystemTime};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use ticket_gateway::core::TicketId;
use ticket_gateway::store::{DatabaseUrl, OutboxStatus, PgStore, Store};

use crate::chaos::{
    chaos_config, one_acknowledgement_each, seed, settled_copies, sigterm, wait_for_every_effect,
    Daemon, Expected, Rng, IN_FLIGHT,
};
use crate::netcut::{server_of, through, NetCut, Path};
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
                // The daemon's debug lines say each mail sent, with its time.
                .env("TICKET_GATEWAY_LOG", "info,ticket_gateway::daemon=debug")
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

/// Waits until `node` answers, and checks that it says it is a standby holding nothing.
async fn wait_standby(node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(hz) = node.health().await {
            assert_eq!(hz["role"], "standby", "{}: {hz}", node.name);
            assert_eq!(hz["leases"], serde_json::json!([]), "{hz}");
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} never answered as a standby:\n{}",
            node.name,
            tail(&node.log_text(), 20)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the daemon moves more mail to Processed than `before`.
async fn wait_at_work(h: &Harness, node: &Node, before: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while count(&h.mail, &h.names.support, "Processed").await == before {
        assert!(
            Instant::now() < deadline,
            "{} did no work:\n{}",
            node.name,
            tail(&node.log_text(), 20)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits for the node's process to exit by itself, at most `limit`.
async fn wait_exit(node: &mut Node, limit: Duration) -> std::process::ExitStatus {
    let mut child = node.child.take().expect("running");
    let deadline = Instant::now() + limit;
    loop {
        if let Some(st) = child.try_wait().unwrap() {
            return st;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not stop within {limit:?}:\n{}",
            node.name,
            tail(&node.log_text(), 30)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
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
    fn new(seed: u64, support: &str, alice: &str) -> Backlog {
        let local = alice.split('@').next().unwrap();
        Backlog {
            seed,
            support: support.to_string(),
            customers: (0..10)
                .map(|k| format!("c{k}-{local}@customer.test"))
                .collect(),
            reporters: Vec::new(),
            replies: BTreeMap::new(),
            total: 0,
        }
    }

    /// What the mails sent so far must come to.
    fn expected(&self) -> Expected<'_> {
        Expected {
            customers: &self.customers,
            tickets: self.reporters.len(),
            comments: self.replies.values().sum(),
            seed: self.seed,
        }
    }

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
    let mut backlog = Backlog::new(seed, &n.support, &n.alice);
    let first = backlog.wave(&mut rng, 300);
    append(&h.mail, &n.support, "INBOX", &first, "").await;

    // Both start; one takes the leases, the other stands by and says so.
    nodes[0].start();
    nodes[1].start();
    let mut active = wait_active(&nodes, None, Duration::from_secs(60)).await;
    wait_standby(&nodes[1 - active]).await;
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
            // The server ends a batch the frozen process left idle: the fence too.
            line.contains("not acting on the store")
                || line.contains("idle-in-transaction timeout")
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
    let mails = backlog.total;
    let expected = backlog.expected();
    wait_for_every_effect(&h, &expected, Duration::from_secs(300)).await;
    stop_all(&mut nodes).await;
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
    let resent = every_mail_once(&h, &store, &expected, takeovers.len()).await;
    report(seed, &backlog, &takeovers, resent);
    drop(store);
    drop_schema(&url);
}

/// Stops both daemons with SIGTERM: each exits zero within 15 s.
async fn stop_all(nodes: &mut [Node]) {
    for node in nodes {
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
}

/// One acknowledgement Message-ID per ticket, every outgoing mail sent and delivered, and
/// no more mails sent twice than `stops` can have had in flight. Returns how many went twice.
async fn every_mail_once(h: &Harness, store: &PgStore, e: &Expected<'_>, stops: usize) -> usize {
    let seed = e.seed;
    one_acknowledgement_each(&h.mail, e).await;
    let outbox = store.outbox().unwrap();
    assert!(
        outbox.iter().all(|e| e.status == OutboxStatus::Sent),
        "seed {seed}: unsent mail left"
    );
    assert_eq!(outbox.len(), 2 * e.tickets + e.comments, "seed {seed}");
    let mut users: Vec<&str> = e.customers.iter().map(String::as_str).collect();
    users.push(&h.names.team);
    let (copies, unique) = settled_copies(&h.mail, &users).await;
    assert!(unique >= outbox.len(), "seed {seed}: every mail arrived");
    let resent = copies - unique;
    assert!(
        resent <= stops * IN_FLIGHT,
        "seed {seed}: {resent} mails resent after {stops} stops"
    );
    resent
}

/// Prints the takeover times (measured, recorded in docs/benchmarks.md, never asserted).
fn report(seed: u64, b: &Backlog, takeovers: &[(String, Duration)], resent: usize) {
    let mut sorted: Vec<f64> = takeovers.iter().map(|t| t.1.as_secs_f64()).collect();
    sorted.sort_by(f64::total_cmp);
    println!(
        "seed {seed}: {} mails, {} tickets, {} takeovers, {resent} mails resent",
        b.total,
        b.reporters.len(),
        takeovers.len()
    );
    for (what, took) in takeovers {
        println!("  takeover after {what}: {:.1} s", took.as_secs_f64());
    }
    println!(
        "  takeover time: min {:.1} s, median {:.1} s, max {:.1} s",
        sorted[0],
        sorted[sorted.len() / 2],
        sorted[sorted.len() - 1]
    );
}

/// How long a lease lives after its last renewal (`TERMS.ttl`, src/daemon/leases.rs): past
/// that the database lets a standby take it, so a daemon cut off must have stopped acting.
const LEASE_TTL: Duration = Duration::from_secs(10);

/// A network partition between the active daemon and the database (issue 19): daemon `a`
/// reaches PostgreSQL through a forwarder the test cuts (`netcut.rs`), `b` directly, and
/// mail keeps arriving. Once with the connections dropped and new ones refused, once
/// black-holed (the daemon's queries hang): each time `a` moves and sends nothing once its
/// leases have run out, `b` takes over, and `a` stops by itself while the partition lasts
/// (non-zero: systemd starts it again); healed and restarted, it stands by. Every mail has
/// exactly one effect. The takeover times are printed, never asserted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_cut_from_the_database_stops_acting_and_the_standby_takes_over() {
    let seed = seed();
    println!("partition seed: {seed} (replay with TG_CHAOS_SEED={seed})");
    let mut rng = Rng(seed);
    let h = Harness::prepare(MailSys::get(), "partition", chaos_config);
    let n = h.names.clone();
    let url = pg_schema_url("partition");
    let net = NetCut::start(server_of(&url)).await;
    let toml = std::fs::read_to_string(&h.config_path).unwrap();
    let mut nodes = [
        Node::new(&h, "a", &toml, &through(&url, net.addr())),
        Node::new(&h, "b", &toml, &url),
    ];
    let mut backlog = Backlog::new(seed, &n.support, &n.alice);
    // a first: the daemon behind the forwarder is the active one.
    nodes[0].start();
    assert_eq!(wait_active(&nodes, None, Duration::from_secs(60)).await, 0);
    nodes[1].start();
    wait_standby(&nodes[1]).await;

    let mut takeovers: Vec<(String, Duration)> = Vec::new();
    for (round, path) in [Path::Cut, Path::BlackHole].into_iter().enumerate() {
        // a at work on mail that keeps arriving when the path goes.
        let before = count(&h.mail, &n.support, "Processed").await;
        let wave = backlog.wave(&mut rng, 200);
        append(&h.mail, &n.support, "INBOX", &wave, "").await;
        wait_at_work(&h, &nodes[0], before).await;
        tokio::time::sleep(Duration::from_millis(rng.below(1000))).await;
        let log_before = nodes[0].log_text().len();
        let cut_at = SystemTime::now();
        let t0 = Instant::now();
        net.set(path);
        assert_eq!(
            wait_active(&nodes, Some(0), Duration::from_secs(60)).await,
            1,
            "the direct one takes over"
        );
        let took = t0.elapsed();
        takeovers.push((format!("partition ({path:?})"), took));
        let wave = backlog.wave(&mut rng, 100);
        append(&h.mail, &n.support, "INBOX", &wave, "").await;

        // Still partitioned, a stops by itself: it lost its leases.
        let status = wait_exit(&mut nodes[0], Duration::from_secs(60)).await;
        let stopped = t0.elapsed();
        assert!(
            !status.success(),
            "{path:?}: a daemon that lost its leases exits non-zero"
        );
        let after = nodes[0].log_text()[log_before..].to_string();
        let late = actions(&after)
            .into_iter()
            .filter(|(at, _)| *at > cut_at + LEASE_TTL)
            .map(|(_, l)| l)
            .collect::<Vec<_>>();
        assert!(
            late.is_empty(),
            "{path:?}: a moved or sent after its leases ran out:\n{}",
            late.join("\n")
        );
        assert!(after.contains("lost the leases"), "{path:?}:\n{after}");
        for took in ["took the leases", "took over the leases"] {
            assert!(!after.contains(took), "{path:?}: a took leases:\n{after}");
        }
        let last = actions(&after)
            .iter()
            .filter_map(|(at, _)| at.duration_since(cut_at).ok())
            .max();
        println!(
            "round {round}, {path:?}: b active after {:.1} s; a stopped after {:.1} s; a's \
             last move or send {} after the cut",
            took.as_secs_f64(),
            stopped.as_secs_f64(),
            last.map_or("none".into(), |d| format!("{:.1} s", d.as_secs_f64()))
        );

        let said: Vec<&str> = after
            .lines()
            .filter(|l| !l.contains(" DEBUG ") || l.contains("task stopped"))
            .collect();
        println!("a's log from the cut on:\n{}", said.join("\n"));

        // Healed: a, started again, stands by.
        net.set(Path::Open);
        nodes[0].start();
        wait_standby(&nodes[0]).await;
        if round == 0 {
            // A planned switch puts a, behind the forwarder, back in charge.
            sigterm(nodes[1].child.as_ref().expect("running"));
            let t0 = Instant::now();
            let status = wait_exit(&mut nodes[1], Duration::from_secs(15)).await;
            assert!(status.success(), "{status:?}");
            assert_eq!(
                wait_active(&nodes, Some(1), Duration::from_secs(60)).await,
                0
            );
            takeovers.push(("SIGTERM (leases released)".into(), t0.elapsed()));
            nodes[1].start();
            wait_standby(&nodes[1]).await;
        }
    }

    let expected = backlog.expected();
    wait_for_every_effect(&h, &expected, Duration::from_secs(300)).await;
    stop_all(&mut nodes).await;
    drop(net);
    let store = PgStore::open(&DatabaseUrl::parse(&url).unwrap()).unwrap();
    check_effects(&store, &backlog, seed);
    assert_eq!(count(&h.mail, &n.support, "Processed").await, backlog.total);
    let resent = every_mail_once(&h, &store, &expected, takeovers.len()).await;
    report(seed, &backlog, &takeovers, resent);
    drop(store);
    drop_schema(&url);
}

/// The lines of a daemon's log that say it moved mail or sent one, with their times.
fn actions(log: &str) -> Vec<(SystemTime, String)> {
    log.lines()
        .filter(|l| l.contains(": batch done") || l.contains(": sent id="))
        .filter_map(|l| {
            let at = humantime::parse_rfc3339(l.split(' ').next()?).ok()?;
            Some((at, l.to_string()))
        })
        .collect()
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
