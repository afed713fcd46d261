//! Operating the gateway (SPEC §5, issue 5): IMAP IDLE pick-up, `/healthz` and `/metrics`,
//! every CLI command with the daemon running and stopped, `check`, the systemd unit and
//! its notifications, and logs that never show a password. Real binary, real Dovecot and
//! Postfix (`scripts/mailsys`); the tests that stop Postfix or need a password of their own
//! run a private mail system.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_ticket-gateway");

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

// ---------------------------------------------------------------------------------------------
// IMAP IDLE

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_picks_up_a_mail_without_waiting_for_the_poll_interval() {
    let h = Harness::start_with("idle", |s| {
        s.replace("poll_interval = \"2s\"", "poll_interval = \"10m\"")
    })
    .await;
    assert_eq!(h.config().imap.poll_interval, Duration::from_secs(600));
    let n = h.names.clone();
    // Connected, the empty INBOX searched, and in IDLE: only a push can wake the loop now.
    wait_until("imap connected", Duration::from_secs(20), || {
        h.gw().telemetry.health.imap(0).is_ok()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let sent = Instant::now();
    Draft::new(
        &n.alice,
        &n.support,
        "Pushed, not polled",
        "Hello,\nthe scanner jams.\n",
    )
    .send()
    .await;
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    let took = sent.elapsed();
    assert!(
        ack.subject.contains("Pushed, not polled"),
        "{}",
        ack.subject
    );
    assert!(
        took < Duration::from_secs(15),
        "the acknowledgement took {took:?}; the poll interval is 10 minutes, so IDLE did not wake the loop"
    );
    assert_eq!(h.ticket(1).expect("ticket 1").summary, "Pushed, not polled");
}

// ---------------------------------------------------------------------------------------------
// /healthz and /metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_metrics_follow_the_mail_and_a_stopped_postfix() {
    let private = PrivateMailSys::start("op-health");
    let m = private.mailsys();
    let h = Harness::start_on(private.mailsys(), "health", |s| s).await;
    let n = h.names.clone();
    let addr = wait_admin(&h).await;

    // Healthy once IMAP is connected; every series exists from the start.
    let body = wait_health(addr, 200, "all up").await;
    for line in [
        "imap: ok",
        "smtp: ok",
        "store: ok",
        "ingest: ok",
        "outbox: ok",
    ] {
        assert!(body.contains(line), "{body}");
    }
    // JSON, with the daemon's part (SPEC §5.5): on sled it is the only one, and active.
    let health: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(health["status"], "ok", "{body}");
    assert_eq!(health["role"], "active", "{body}");
    assert_eq!(
        health["leases"],
        serde_json::json!(["INBOX", "outbox"]),
        "{body}"
    );
    let text = scrape(addr).await;
    assert_eq!(metric(&text, "ticket_gateway_role{role=\"active\"}"), 1.0);
    assert_eq!(metric(&text, "ticket_gateway_role{role=\"standby\"}"), 0.0);
    assert_eq!(
        metric(&text, "ticket_gateway_lease_held{lease=\"INBOX\"}"),
        1.0
    );
    assert_eq!(
        metric(&text, "ticket_gateway_lease_held{lease=\"outbox\"}"),
        1.0
    );
    assert_eq!(
        metric(&text, "ticket_gateway_mails_total{outcome=\"ticket\"}"),
        0.0
    );
    assert_eq!(metric(&text, "ticket_gateway_tickets{state=\"open\"}"), 0.0);
    assert_eq!(metric(&text, "ticket_gateway_up{component=\"smtp\"}"), 1.0);
    assert_eq!(
        metric(&text, "ticket_gateway_mail_processing_seconds_count"),
        0.0
    );

    // A customer's mail: one ticket, one processing time, and the acknowledgement goes out.
    let first = Draft::new(&n.alice, &n.support, "Metrics please", "The fax is down.\n");
    send_raw_on(&m, &n.alice, &[n.support.as_str()], &first.raw()).await;
    h.wait_ticket(1, "ticket 1", |_| true).await;
    let text = wait_metrics(addr, "the ticket counted and its mail sent", |t| {
        metric(t, "ticket_gateway_mails_total{outcome=\"ticket\"}") == 1.0
            && metric(t, "ticket_gateway_outbox_mails{status=\"pending\"}") == 0.0
    })
    .await;
    assert_eq!(metric(&text, "ticket_gateway_tickets{state=\"open\"}"), 1.0);
    assert_eq!(
        metric(&text, "ticket_gateway_mail_processing_seconds_count"),
        1.0
    );
    assert!(metric(&text, "ticket_gateway_mail_processing_seconds_sum") > 0.0);
    wait_mail_on(&m, &n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;

    // The same mail delivered again counts as a duplicate and changes nothing.
    send_raw_on(&m, &n.alice, &[n.support.as_str()], &first.raw()).await;
    let text = wait_metrics(addr, "the duplicate counted", |t| {
        metric(t, "ticket_gateway_mails_total{outcome=\"duplicate\"}") == 1.0
    })
    .await;
    assert_eq!(
        metric(&text, "ticket_gateway_mails_total{outcome=\"ticket\"}"),
        1.0
    );
    assert_eq!(metric(&text, "ticket_gateway_tickets{state=\"open\"}"), 1.0);

    // Postfix stops: health says why, and a mail that arrives meanwhile (through the API:
    // nothing can be delivered to the mailbox) waits in the outbox.
    private.stop_postfix();
    let body = wait_health(addr, 503, "smtp down").await;
    assert!(body.contains("\"status\": \"degraded\""), "{body}");
    assert!(body.contains("smtp: down: "), "{body}");
    assert!(body.contains("imap: ok"), "{body}");
    let text = scrape(addr).await;
    assert_eq!(metric(&text, "ticket_gateway_up{component=\"smtp\"}"), 0.0);
    let reconnects_down = metric(&text, "ticket_gateway_smtp_reconnects_total");

    let second = Draft::new(&n.bob, &n.support, "While postfix is down", "Hello?\n");
    let (status, reply) = api(&h, "POST", "/api/ingest", &second.raw()).await;
    assert_eq!(status, 200, "{reply}");
    assert!(reply.contains("new ticket SUP-2"), "{reply}");
    let text = wait_metrics(addr, "the acknowledgement pending and retried", |t| {
        metric(t, "ticket_gateway_outbox_mails{status=\"pending\"}") >= 1.0
            && metric(t, "ticket_gateway_smtp_reconnects_total") > reconnects_down
    })
    .await;
    assert_eq!(metric(&text, "ticket_gateway_tickets{state=\"open\"}"), 2.0);
    assert_eq!(
        metric(&text, "ticket_gateway_mails_total{outcome=\"ticket\"}"),
        2.0
    );
    assert_eq!(metric(&text, "ticket_gateway_up{component=\"smtp\"}"), 0.0);

    // Postfix is back: health recovers and the outbox drains.
    private.script("up", &[]);
    wait_health(addr, 200, "smtp back").await;
    let text = wait_metrics(addr, "the outbox drained", |t| {
        metric(t, "ticket_gateway_outbox_mails{status=\"pending\"}") == 0.0
    })
    .await;
    assert_eq!(metric(&text, "ticket_gateway_up{component=\"smtp\"}"), 1.0);
    assert_eq!(
        metric(&text, "ticket_gateway_outbox_mails{status=\"dead\"}"),
        0.0
    );
    wait_mail_on(&m, &n.bob, "the late acknowledgement", |r| {
        has_tag(r, "SUP-2")
    })
    .await;

    // Dovecot stops: IMAP is reported down and reconnection attempts are counted.
    let before = metric(&scrape(addr).await, "ticket_gateway_imap_reconnects_total");
    private.stop_dovecot();
    // (Postfix's submission port authenticates through Dovecot, so SMTP may be reported
    // down too: wait for the IMAP line itself.)
    let deadline = Instant::now() + Duration::from_secs(60);
    let body = loop {
        let body = wait_health(addr, 503, "imap down").await;
        if body.contains("imap: down: ") {
            break body;
        }
        assert!(
            Instant::now() < deadline,
            "imap never reported down: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(body.contains("\"status\": \"degraded\""), "{body}");
    wait_metrics(addr, "imap reconnect attempts", |t| {
        metric(t, "ticket_gateway_imap_reconnects_total") > before
            && metric(t, "ticket_gateway_up{component=\"imap\"}") == 0.0
    })
    .await;

    // Unknown paths and the API without its token are refused.
    assert_eq!(http(addr, "GET", "/nope", None, b"").await.0, 404);
    assert_eq!(http(addr, "GET", "/api/tickets", None, b"").await.0, 401);
    assert_eq!(
        http(addr, "GET", "/api/tickets", Some("not-the-token"), b"")
            .await
            .0,
        401
    );
}

// ---------------------------------------------------------------------------------------------
// The CLI, daemon running and stopped

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_commands_answer_the_same_with_the_daemon_running_and_stopped() {
    let h = Harness::prepare(MailSys::get(), "cli", |s| s);
    let n = h.names.clone();
    let store = h.dir.path().join("store");
    let mut daemon = Daemon::start(&h.config_path, &[]);
    wait_file(&store.join("admin.json")).await;

    Draft::new(&n.alice, &n.support, "Printer is broken", "Blank pages.\n")
        .send()
        .await;
    let new = wait_mail(&n.team, "new-ticket email", |r| has_tag(r, "SUP-1")).await;
    Draft::new(&n.bob, &n.support, "Scanner too", "It jams.\n")
        .send()
        .await;
    Draft::reply_to(&n.staff, &n.support, &new, "#waiting\nWhich model is it?")
        .send()
        .await;
    wait_cli(
        &h.config_path,
        &["show", "1", "--json"],
        "SUP-1 waiting",
        |o| o.contains("\"state\": \"waiting_for_feedback\""),
    )
    .await;
    wait_cli(&h.config_path, &["tickets"], "two tickets", |o| {
        o.contains("SUP-2")
    })
    .await;

    // `ingest` while the daemon runs goes through it.
    let mail = h.dir.path().join("third.eml");
    std::fs::write(
        &mail,
        Draft::new(
            &n.mallory,
            &n.support,
            "Piped in",
            "Through the MTA pipe.\n",
        )
        .raw(),
    )
    .unwrap();
    let out = cli(&h.config_path, &["ingest", mail.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("new ticket SUP-3"), "{}", text(&out));
    wait_cli(
        &h.config_path,
        &["outbox", "--json"],
        "the outbox drained",
        |o| o.trim() == "[]",
    )
    .await;

    let commands: &[&[&str]] = &[
        &["tickets"],
        &["tickets", "--json"],
        &["tickets", "--state", "open"],
        &["tickets", "--state", "waiting_for_feedback", "--json"],
        &["tickets", "--state", "bogus"],
        &["show", "1"],
        &["show", "SUP-1", "--json"],
        &["show", "[sup-3]"],
        &["show", "99"],
        &["outbox"],
        &["outbox", "--json"],
        &["outbox", "--all"],
        &["outbox", "--all", "--json"],
        &["tickets", "--limit", "1"],
        &["tickets", "--limit", "0"],
        &["tickets", "--limit", "2", "--json"],
    ];
    let mut running = Vec::new();
    for c in commands {
        running.push(cli(&h.config_path, c).await);
    }
    // The daemon holds the store, so these went through its admin endpoint.
    assert!(
        store.join("admin.json").exists(),
        "the daemon announces its endpoint"
    );
    daemon.stop().await;
    assert!(
        !store.join("admin.json").exists(),
        "admin.json is removed on shutdown"
    );
    for (c, before) in commands.iter().zip(&running) {
        let after = cli(&h.config_path, c).await;
        assert_eq!(
            (before.status.code(), stdout(before), stderr(before)),
            (after.status.code(), stdout(&after), stderr(&after)),
            "`{}` differs between the daemon running (left) and stopped (right)",
            c.join(" ")
        );
    }
    // What the answers say, so that "the same" is not "the same error".
    let show = stdout(&running[5]);
    assert!(show.starts_with("[SUP-1] Printer is broken\n"), "{show}");
    assert!(
        show.contains("state:        waiting_for_feedback"),
        "{show}"
    );
    assert!(show.contains("open -> waiting_for_feedback"), "{show}");
    let list: serde_json::Value = serde_json::from_str(&stdout(&running[1])).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(3), "{list}");
    // A limit shows the newest tickets and says how many more there are; 0 shows them all.
    let tags = |o: &str| {
        o.lines()
            .map(|l| l.split(' ').next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };
    let limited = stdout(&running[13]);
    assert_eq!(tags(&limited), ["SUP-3", "…"], "{limited}");
    assert!(
        limited.ends_with("\n… 2 more; --limit 0 for all\n"),
        "{limited}"
    );
    let all = stdout(&running[14]);
    assert_eq!(tags(&all), ["SUP-3", "SUP-2", "SUP-1"], "{all}");
    let two: serde_json::Value = serde_json::from_str(&stdout(&running[15])).unwrap();
    let ids: Vec<_> = two
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [3, 2], "{two}");
    assert_eq!(stderr(&running[15]).trim(), "… 1 more; --limit 0 for all");
    let one: serde_json::Value = serde_json::from_str(&stdout(&running[6])).unwrap();
    for key in [
        "id",
        "tag",
        "subject",
        "state",
        "reporter",
        "participants",
        "language",
        "created_at",
        "updated_at",
        "events",
    ] {
        assert!(one.get(key).is_some(), "show --json has no {key}: {one}");
    }
    assert!(
        stdout(&running[7]).starts_with("[SUP-3] Piped in"),
        "{}",
        text(&running[7])
    );
    assert_eq!(running[8].status.code(), Some(1));
    assert_eq!(
        stderr(&running[8]).trim(),
        "ticket-gateway: no ticket SUP-99"
    );
    assert_eq!(running[4].status.code(), Some(1));
    assert!(
        stderr(&running[4]).contains("unknown state 'bogus'"),
        "{}",
        text(&running[4])
    );
    assert_eq!(stdout(&running[9]), "no outgoing mail pending or dead\n");
    let all: serde_json::Value = serde_json::from_str(&stdout(&running[12])).unwrap();
    assert!(
        all.as_array()
            .is_some_and(|a| a.len() >= 7 && a.iter().all(|e| e["status"] == "sent")),
        "{all}"
    );

    // `ingest` with the daemon stopped does the work itself.
    let fourth = h.dir.path().join("fourth.eml");
    std::fs::write(
        &fourth,
        Draft::new(&n.bob, &n.support, "Piped while stopped", "Hi.\n").raw(),
    )
    .unwrap();
    let out = cli(&h.config_path, &["ingest", fourth.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("new ticket SUP-4"), "{}", text(&out));
}

// ---------------------------------------------------------------------------------------------
// check

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_passes_for_a_good_config_and_names_each_problem() {
    let h = Harness::prepare(MailSys::get(), "check", |s| s);
    let good = std::fs::read_to_string(&h.config_path).unwrap();
    let dir = h.dir.path();

    let out = cli(&h.config_path, &["check"]).await;
    assert!(out.status.success(), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 6, "{lines:#?}");
    assert!(lines.iter().all(|l| l.starts_with("ok    ")), "{lines:#?}");
    for what in [
        "ok    config ",
        "ok    templates ",
        "ok    store ",
        "ok    admin.listen ",
        "ok    imap ",
        "ok    smtp ",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(what)),
            "no `{what}` in {lines:#?}"
        );
    }

    // Wrong password: both logins say so.
    std::fs::write(dir.join("wrong"), "not-the-password\n").unwrap();
    let out = check_with(
        dir,
        &good.replace("password_file = \"password\"", "password_file = \"wrong\""),
    )
    .await;
    let o = stdout(&out);
    assert_fails(&out);
    assert!(
        o.lines()
            .any(|l| l.starts_with("FAIL  imap ") && l.contains("wrong user name or password")),
        "{o}"
    );
    assert!(
        o.lines()
            .any(|l| l.starts_with("FAIL  smtp ") && l.contains("wrong user name or password")),
        "{o}"
    );
    assert!(
        o.contains("ok    templates "),
        "the other checks still run: {o}"
    );

    // No ca_file: the local CA is not trusted.
    let no_ca: String = good
        .lines()
        .filter(|l| !l.starts_with("ca_file"))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = check_with(dir, &no_ca).await;
    let o = stdout(&out);
    assert_fails(&out);
    for proto in ["imap", "smtp"] {
        assert!(
            o.lines().any(|l| l.starts_with(&format!("FAIL  {proto} "))
                && l.contains("untrusted certificate")
                && l.contains(&format!("{proto}.ca_file"))),
            "{o}"
        );
    }

    // A typo'd key: its line and section.
    let typo = good.replace("poll_interval = \"2s\"", "poll_intervall = \"2s\"");
    let out = check_with(dir, &typo).await;
    let o = stdout(&out);
    assert_fails(&out);
    let line = o
        .lines()
        .find(|l| l.starts_with("FAIL  config "))
        .unwrap_or_else(|| panic!("{o}"));
    assert!(
        line.ends_with("imap.poll_intervall: unknown key (did you mean imap.poll_interval?)"),
        "{o}"
    );
    assert!(o.contains("SKIP  "), "{o}");

    // A missing template.
    let templates = dir.join("templates");
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &templates,
    );
    std::fs::remove_file(templates.join("en/reminder.txt")).unwrap();
    let original = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates");
    let out = check_with(
        dir,
        &good.replace(
            &original.display().to_string(),
            &templates.display().to_string(),
        ),
    )
    .await;
    let o = stdout(&out);
    assert_fails(&out);
    assert!(
        o.lines().any(|l| l.starts_with("FAIL  template ")
            && l.contains("en/reminder.txt")
            && l.contains("missing")),
        "{o}"
    );
    assert!(o.contains("ok    imap "), "{o}");
}

async fn check_with(dir: &Path, toml: &str) -> Output {
    let path = dir.join("variant.toml");
    std::fs::write(&path, toml).unwrap();
    cli(&path, &["check"]).await
}

fn assert_fails(out: &Output) {
    assert_eq!(out.status.code(), Some(1), "{}", text(out));
    assert!(stderr(out).contains("check(s) failed"), "{}", text(out));
}

// ---------------------------------------------------------------------------------------------
// systemd

fn unit_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("systemd/ticket-gateway.service")
}

fn systemd_analyze(args: &[&str]) -> Output {
    Command::new("systemd-analyze")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("systemd-analyze: {e} (Debian: apt-get install systemd)"))
}

#[test]
fn the_systemd_unit_verifies_and_its_exposure_is_at_most_2() {
    let unit = std::fs::read_to_string(unit_path()).unwrap();
    for directive in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "DynamicUser=yes",
        "StateDirectory=ticket-gateway",
        "ConfigurationDirectory=ticket-gateway",
        "LoadCredential=imap-password:",
        "LoadCredential=smtp-password:",
        "ExecStart=/usr/bin/ticket-gateway ",
    ] {
        assert!(
            unit.lines().any(|l| l.starts_with(directive)),
            "the unit has no {directive}"
        );
    }

    // `verify` checks that ExecStart= is executable: point it at the binary just built.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("ticket-gateway.service");
    std::fs::write(&copy, unit.replace("/usr/bin/ticket-gateway", BIN)).unwrap();
    let out = systemd_analyze(&["verify", copy.to_str().unwrap()]);
    // `verify` also loads the units ours names (and their dependencies): a warning about
    // another package's unit is not ours to judge. Every line about our unit counts.
    let ours: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains("ticket-gateway"))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify:\n{}",
        text(&out)
    );

    let out = systemd_analyze(&["security", "--offline=yes", unit_path().to_str().unwrap()]);
    let o = stdout(&out);
    let exposure: f64 = o
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for ticket-gateway.service: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{}", text(&out)));
    assert!(exposure <= 2.0, "exposure {exposure} > 2.0:\n{o}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_tells_systemd_ready_watchdog_and_stopping() {
    use std::os::unix::net::UnixDatagram;
    let h = Harness::prepare(MailSys::get(), "notify", |s| s);
    let socket = h.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // systemd sets WATCHDOG_PID to the service's pid: `exec` keeps the shell's.
    let mut daemon = Daemon::start_via_shell(
        &h.config_path,
        &[
            ("NOTIFY_SOCKET", socket.to_str().unwrap()),
            ("WATCHDOG_USEC", "1000000"),
        ],
    );
    let mut seen: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut buf = [0u8; 4096];
    while seen.iter().filter(|m| m.contains("WATCHDOG=1")).count() < 3 {
        assert!(Instant::now() < deadline, "got only {seen:?}");
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    let ready = seen
        .iter()
        .position(|m| m.lines().any(|l| l == "READY=1"))
        .unwrap_or_else(|| panic!("no READY=1 in {seen:?}"));
    let first_pet = seen.iter().position(|m| m.contains("WATCHDOG=1")).unwrap();
    assert!(
        ready < first_pet,
        "READY before the first WATCHDOG: {seen:?}"
    );
    assert!(seen[ready].contains("STATUS="), "{seen:?}");

    daemon.term();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.iter().any(|m| m.lines().any(|l| l == "STOPPING=1")) {
        assert!(Instant::now() < deadline, "no STOPPING=1 in {seen:?}");
        if let Ok(n) = sock.recv(&mut buf) {
            seen.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    let status = daemon.wait().await;
    assert!(status.success(), "exit status {status:?}");
}

// ---------------------------------------------------------------------------------------------
// Logs

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_in_the_logs_even_at_trace_level() {
    // A password of this run's own, on a mail system of its own.
    let password = format!("Tg{}x{}Pw", std::process::id(), nanos());
    let mail = SecretMailSys::start("op-secret", &password);
    let m = mail.mailsys();
    let h = Harness::prepare(mail.mailsys(), "secret", |s| s);
    std::fs::write(h.dir.path().join("password"), format!("{password}\n")).unwrap();
    let n = h.names.clone();
    let env = [("TICKET_GATEWAY_LOG", "trace")];

    // check logs in to both servers; the daemon logs in, receives a mail, sends two.
    let check = cli_env(&h.config_path, &["check"], &env).await;
    assert!(check.status.success(), "{}", text(&check));
    let check_json = cli_env(&h.config_path, &["--log-format", "json", "check"], &env).await;
    assert!(check_json.status.success(), "{}", text(&check_json));
    let mut daemon = Daemon::start(&h.config_path, &env);
    let addr = wait_admin_file(&h.dir.path().join("store")).await;
    let mail_raw = Draft::new(&n.alice, &n.support, "Secret test", "Hello.\n").raw();
    send_raw_on(&m, &n.alice, &[n.support.as_str()], &mail_raw).await;
    wait_metrics(addr, "ticket made and its mails sent", |t| {
        metric(t, "ticket_gateway_mails_total{outcome=\"ticket\"}") == 1.0
            && metric(t, "ticket_gateway_outbox_mails{status=\"pending\"}") == 0.0
            && metric(t, "ticket_gateway_outbox_mails{status=\"dead\"}") == 0.0
    })
    .await;
    let status = daemon.stop().await;
    assert!(status.success());
    let run_log = daemon.output();

    let logs = [
        ("check", text(&check)),
        ("check --log-format json", text(&check_json)),
        ("run", run_log),
    ];
    let user = &n.support;
    let forbidden = [
        password.clone(),
        base64(password.as_bytes()),
        base64(format!("\0{user}\0{password}").as_bytes()),
        base64(format!("{user}\0{user}\0{password}").as_bytes()),
    ];
    for (what, log) in &logs {
        // Really at trace level, with the login exchanges in it.
        assert!(
            log.contains("TRACE") || log.contains("\"level\":\"TRACE\""),
            "{what}: not at trace level:\n{log}"
        );
        assert!(
            log.lines().count() > 20,
            "{what}: suspiciously short log:\n{log}"
        );
        for secret in &forbidden {
            assert!(
                !log.contains(secret.as_str()),
                "{what}: the log shows the password (as {secret}):\n{log}"
            );
        }
    }
    assert!(logs[2].1.contains("imap connected"), "{}", logs[2].1);
    // async-imap traced the LOGIN command itself: the place a password would show.
    for (what, log) in &logs {
        assert!(
            log.lines()
                .any(|l| l.contains("LOGIN") && l.contains(user.as_str())),
            "{what}: no traced LOGIN command:\n{log}"
        );
    }
    // JSON logs are one object per line.
    for line in stderr(&check_json).lines() {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
    }
}

/// A private mail system whose users all have `password` (not the shared "secret").
struct SecretMailSys {
    inner: PrivateMailSys,
    password: String,
}

impl SecretMailSys {
    fn start(name: &str, password: &str) -> SecretMailSys {
        let inner = PrivateMailSys::unstarted(name);
        let s = SecretMailSys {
            inner,
            password: password.into(),
        };
        s.script("up");
        s
    }

    fn script(&self, name: &str) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scripts/mailsys")
            .join(name);
        let m = self.inner.mailsys();
        let out = Command::new(&path)
            .env("TG_MAIL_DIR", &self.inner.dir)
            .env("TG_MAIL_IMAPS_PORT", m.imaps_port.to_string())
            .env("TG_MAIL_IMAP_PORT", (self.inner.base + 143).to_string())
            .env("TG_MAIL_IMAP_PLAIN_PORT", m.plain_port.to_string())
            .env("TG_MAIL_SMTP_PORT", m.smtp_port.to_string())
            .env("TG_MAIL_SUBMISSION_PORT", m.submission_port.to_string())
            .env("TG_MAIL_PASSWORD", &self.password)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            out.status.success(),
            "{} failed:\n{}",
            path.display(),
            text(&out)
        );
    }

    fn mailsys(&self) -> MailSys {
        self.inner.mailsys()
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers: the binary

/// `ticket-gateway run` as a child process, its output in a file; killed if still running
/// when dropped (a failed test leaves no daemon behind).
pub(crate) struct Daemon {
    child: Option<Child>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Daemon {
    pub(crate) fn start(config: &Path, env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("daemon.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(BIN)
            .args(["--config", config.to_str().unwrap(), "run"])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the daemon starts");
        Daemon {
            child: Some(child),
            log,
            _dir: dir,
        }
    }

    /// Through `sh -c 'WATCHDOG_PID=$$ exec …'`, as systemd would set it.
    pub(crate) fn start_via_shell(config: &Path, env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("daemon.log");
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new("sh")
            .args([
                "-c",
                "WATCHDOG_PID=$$ exec \"$0\" --config \"$1\" run",
                BIN,
                config.to_str().unwrap(),
            ])
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .spawn()
            .expect("the daemon starts");
        Daemon {
            child: Some(child),
            log,
            _dir: dir,
        }
    }

    /// SIGTERM, as systemd stops it.
    pub(crate) fn term(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let ok = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(ok.success(), "kill -TERM {pid}");
    }

    pub(crate) async fn wait(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the daemon did not stop within 15 s:\n{}", self.output());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn stop(&mut self) -> std::process::ExitStatus {
        self.term();
        let status = self.wait().await;
        assert!(
            status.success(),
            "daemon exit {status:?}:\n{}",
            self.output()
        );
        status
    }

    /// Its exit status, once it has stopped by itself.
    pub(crate) fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().expect("wait"))
    }

    pub(crate) fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub(crate) async fn cli(config: &Path, args: &[&str]) -> Output {
    cli_env(config, args, &[]).await
}

pub(crate) async fn cli_env(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("--config").arg(config).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    if env.is_empty() {
        // Quiet unless asked: stderr then holds only the command's own errors.
        cmd.env("TICKET_GATEWAY_LOG", "warn");
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .unwrap()
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub(crate) fn text(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status,
        stdout(o),
        stderr(o)
    )
}

/// Runs a command until its stdout satisfies `pred` (30 s at most).
pub(crate) async fn wait_cli(
    config: &Path,
    args: &[&str],
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = cli(config, args).await;
        if out.status.success() && pred(&stdout(&out)) {
            return stdout(&out);
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{}",
            text(&out)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn wait_file(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn wait_until(what: &str, timeout: Duration, pred: impl Fn() -> bool) {
    let deadline = Instant::now() + timeout;
    while !pred() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers: HTTP

/// The admin address of an in-process daemon.
async fn wait_admin(h: &Harness) -> SocketAddr {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(a) = h.gw().telemetry.admin_addr() {
            return a;
        }
        assert!(Instant::now() < deadline, "the admin endpoint never bound");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The admin address a daemon wrote to `<store>/admin.json`.
pub(crate) async fn wait_admin_file(store: &Path) -> SocketAddr {
    let file = store.join("admin.json");
    wait_file(&file).await;
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    v["listen"].as_str().unwrap().parse().unwrap()
}

/// One request on its own connection: (status, body).
pub(crate) async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("admin endpoint {addr}: {e}"));
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf))
        .await
        .expect("an answer within 30 s")
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not HTTP: {text}"));
    (status, body.to_string())
}

/// An API request with the token the in-process daemon wrote.
async fn api(h: &Harness, method: &str, path: &str, body: &[u8]) -> (u16, String) {
    let file = h.dir.path().join("store/admin.json");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let addr = v["listen"].as_str().unwrap().parse().unwrap();
    http(addr, method, path, v["token"].as_str(), body).await
}

pub(crate) async fn scrape(addr: SocketAddr) -> String {
    let (status, body) = http(addr, "GET", "/metrics", None, b"").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.ends_with("# EOF\n"), "{body}");
    body
}

/// The value of one series (`name{labels}` exactly as exposed); panics if absent.
pub(crate) fn metric(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no series {series} in:\n{text}"))
}

pub(crate) async fn wait_metrics(
    addr: SocketAddr,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(addr).await;
        if pred(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) async fn wait_health(addr: SocketAddr, want: u16, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (status, body) = http(addr, "GET", "/healthz", None, b"").await;
        if status == want {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for /healthz {want} ({what}); last {status}:\n{body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
