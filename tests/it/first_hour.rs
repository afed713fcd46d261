//! An operator's first hour (issue 18): what a new operator runs into in the first hour with
//! the gateway, each tried with the real binary against the local Dovecot and Postfix.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::operate::{cli, stderr, stdout, text, wait_admin_file, wait_cli, Daemon, BIN};
use crate::support::*;

/// A monitoring script that lists tickets in a loop from the moment the daemon starts: its
/// calls take the store for a moment, and the daemon waits for it instead of stopping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cli_call_during_the_daemons_start_never_stops_it() {
    let h = Harness::prepare(MailSys::get(), "start-race", |s| s);
    let n = h.names.clone();
    let store = h.dir.path().join("store");
    // The store exists (a restart, the usual case): the CLI opens it rather than finding none.
    let out = cli(
        &h.config_path,
        &["ingest", &mail_file(&h, "Before the start")],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));

    let mut daemon = Daemon::start(&h.config_path, &[]);
    let mut calls = 0;
    let mut after_up = 0;
    // Until the daemon has announced its endpoint, and 20 calls after that.
    while after_up < 20 {
        let out = cli(&h.config_path, &["tickets", "--json"]).await;
        calls += 1;
        assert!(
            out.status.success(),
            "call {calls} failed:\n{}\ndaemon:\n{}",
            text(&out),
            daemon.output()
        );
        let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
        if let Some(status) = daemon.exited() {
            panic!(
                "the daemon stopped ({status:?}) after {calls} calls:\n{}",
                daemon.output()
            );
        }
        if store.join("admin.json").exists() {
            after_up += 1;
        }
    }
    // It serves: a new mail becomes a ticket, and the CLI sees it through the daemon.
    Draft::new(&n.alice, &n.support, "After the start", "Hello.\n")
        .send()
        .await;
    wait_cli(&h.config_path, &["tickets"], "the second ticket", |o| {
        o.contains("SUP-2")
    })
    .await;
    assert!(daemon.exited().is_none(), "{}", daemon.output());
    assert!(
        !daemon.output().contains("in use by another process"),
        "{}",
        daemon.output()
    );
    daemon.stop().await;
}

/// `tickets`, `show` and `outbox` read neither a password nor the network; the commands that
/// log in say which secret is missing, by its key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_commands_need_no_secret_and_no_network() {
    let h = Harness::prepare(MailSys::get(), "no-secret", |s| s);
    let out = cli(
        &h.config_path,
        &["ingest", &mail_file(&h, "A first ticket")],
    )
    .await;
    assert!(out.status.success(), "{}", text(&out));
    // No password anywhere, and servers that cannot be found.
    let good = std::fs::read_to_string(&h.config_path).unwrap();
    let bare = good
        .replace(
            "password_file = \"password\"",
            "password_env = \"TG_TEST_NEVER_SET\"",
        )
        .replace("host = \"127.0.0.1\"", "host = \"nonexistent.invalid\"");
    let path = h.dir.path().join("bare.toml");
    std::fs::write(&path, bare).unwrap();

    let out = cli(&path, &["tickets"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).starts_with("SUP-1 "), "{}", text(&out));
    let out = cli(&path, &["show", "SUP-1", "--json"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("\"subject\": \"A first ticket\""));
    let out = cli(&path, &["outbox", "--all"]).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(stdout(&out).contains("acknowledgement"), "{}", text(&out));

    for command in [&["run"][..], &["ingest", "/dev/null"]] {
        let out = cli(&path, command).await;
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        let err = stderr(&out);
        for section in ["imap", "smtp"] {
            assert!(
                err.contains(&format!(
                    "bare.toml: {section}.password_env: environment variable TG_TEST_NEVER_SET is not set"
                )),
                "{command:?}: {err}"
            );
        }
    }
    let out = cli(&path, &["check"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let o = stdout(&out);
    assert!(
        o.contains("FAIL  config ")
            && o.contains("imap.password_env: environment variable TG_TEST_NEVER_SET is not set"),
        "{o}"
    );
    assert!(o.contains("SKIP  imap, smtp: "), "{o}");
}

/// `check` finds an admin or web address that another process listens on; the running
/// daemon's own addresses are not a conflict.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_reports_a_listen_address_already_in_use() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken_web = TcpListener::bind("127.0.0.1:0").unwrap();
    let (admin, web) = (taken.local_addr().unwrap(), taken_web.local_addr().unwrap());
    let h = Harness::prepare(MailSys::get(), "listen", |s| {
        s.replace("listen = \"127.0.0.1:0\"", &format!("listen = \"{admin}\""))
            + &format!("\n[web]\nlisten = \"{web}\"\nbase_url = \"http://{web}\"\n")
    });
    let out = cli(&h.config_path, &["check"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let o = stdout(&out);
    for (key, addr) in [("admin.listen", admin), ("web.listen", web)] {
        assert!(
            o.lines().any(|l| l
                == format!("FAIL  {key} {addr}: address already in use: another process listens there; stop it or set {key} to a free address")),
            "{o}"
        );
    }
    assert!(o.contains("ok    imap "), "the other checks run: {o}");

    // Freed, and taken by the daemon itself: fine.
    drop(taken);
    drop(taken_web);
    let mut daemon = Daemon::start(&h.config_path, &[]);
    wait_admin_file(&h.dir.path().join("store")).await;
    let out = cli(&h.config_path, &["check"]).await;
    let o = stdout(&out);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        o.contains(&format!(
            "ok    admin.listen {admin}: in use by the running daemon (pid "
        )),
        "{o}"
    );
    assert!(
        o.contains(&format!(
            "ok    web.listen {web}: in use by the running daemon (pid "
        )),
        "{o}"
    );
    assert!(o.contains("ok    page templates "), "{o}");
    assert!(o.contains("ok    web.key_file "), "{o}");
    daemon.stop().await;
}

/// The daemon's log says why it cannot reach its servers, as `check` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_logs_the_cause_of_a_connection_failure() {
    let h = Harness::prepare(MailSys::get(), "unreachable", |s| {
        s.replace("host = \"127.0.0.1\"", "host = \"nonexistent.invalid\"")
    });
    let mut daemon = Daemon::start(&h.config_path, &[]);
    wait_admin_file(&h.dir.path().join("store")).await;
    // A mail through the daemon queues an acknowledgement, which cannot leave.
    let out = cli(&h.config_path, &["ingest", &mail_file(&h, "Unreachable")]).await;
    assert!(out.status.success(), "{}", text(&out));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let (imap, smtp) = loop {
        let log = daemon.output();
        let line = |what: &str| log.lines().find(|l| l.contains(what)).map(str::to_string);
        if let (Some(i), Some(s)) = (line("imap unavailable"), line("smtp unavailable")) {
            break (i, s);
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no connection errors logged:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    for line in [&imap, &smtp] {
        assert!(
            line.contains("nonexistent.invalid") && line.contains("failed to lookup address"),
            "the cause is missing: {line}"
        );
    }
    daemon.stop().await;
}

/// `show … | head`: a reader that goes away ends the command quietly; empty lists say so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_pipe_is_no_panic_and_an_empty_list_says_so() {
    let h = Harness::prepare(MailSys::get(), "pipe", |s| s);
    let store = h.dir.path().join("store");
    for (args, want) in [
        (&["tickets"][..], "no tickets\n"),
        (
            &["tickets", "--state", "open"],
            "no tickets in state open\n",
        ),
        (&["outbox"], "no outgoing mail pending or dead\n"),
        (&["outbox", "--all"], "no outgoing mail\n"),
        (&["tickets", "--json"], "[]\n"),
    ] {
        let out = cli(&h.config_path, args).await;
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(stdout(&out), want, "{args:?}");
    }
    assert!(!store.exists(), "a listing creates no store");

    let out = cli(&h.config_path, &["ingest", &mail_file(&h, "Piped away")]).await;
    assert!(out.status.success(), "{}", text(&out));
    for args in [
        &["show", "SUP-1"][..],
        &["show", "1", "--json"],
        &["tickets"],
        &["outbox", "--all"],
    ] {
        // Standard output is a pipe whose reader is already gone: every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = Command::new(BIN)
            .arg("--config")
            .arg(&h.config_path)
            .args(args)
            .env("TICKET_GATEWAY_LOG", "warn")
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "{args:?}: {:?}\n{err}",
            out.status
        );
    }
}

/// A mail ingested again is not "new ticket SUP-1" again: it was processed before, and the
/// answer says as what, when, and what was decided then; with the daemon stopped or running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_ingesting_a_mail_says_it_was_processed_before() {
    let h = Harness::prepare(MailSys::get(), "again", |s| s);
    let mail = mail_file(&h, "Twice");
    let out = cli(&h.config_path, &["ingest", &mail]).await;
    assert!(
        stdout(&out).contains("\nnew ticket SUP-1 "),
        "{}",
        text(&out)
    );
    let stopped = cli(&h.config_path, &["ingest", &mail]).await;
    assert!(stopped.status.success(), "{}", text(&stopped));
    let o = stdout(&stopped);
    let first = o.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("already processed as ticket SUP-1 on ")
            && first.ends_with("; nothing done now. Decided then:"),
        "{o}"
    );
    assert!(o.contains("\n  new ticket SUP-1"), "{o}");

    let mut daemon = Daemon::start(&h.config_path, &[]);
    wait_admin_file(&h.dir.path().join("store")).await;
    let running = cli(&h.config_path, &["ingest", &mail]).await;
    assert_eq!(stdout(&running), o, "the same through the running daemon");
    daemon.stop().await;
    let out = cli(&h.config_path, &["tickets", "--json"]).await;
    let list: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
}

/// A config copied elsewhere with its files keeps working from any working directory:
/// relative paths in it are relative to its own directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relative_paths_are_relative_to_the_config_file() {
    let m = MailSys::get();
    let names = Names::new("copied");
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc/gateway");
    std::fs::create_dir_all(dir.path().join("var")).unwrap();
    for sub in ["secrets", "tls", "templates"] {
        std::fs::create_dir_all(etc.join(sub)).unwrap();
    }
    std::fs::write(etc.join("secrets/imap-password"), "secret\n").unwrap();
    std::fs::write(etc.join("secrets/smtp-password"), "secret\n").unwrap();
    std::fs::copy(m.ca(), etc.join("tls/ca.crt")).unwrap();
    copy_dir(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates"),
        &etc.join("templates"),
    );
    // config/local.toml as shipped, its paths made relative, its ports this mail system's.
    let local = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config/local.toml"),
    )
    .unwrap();
    let mut toml = String::new();
    for line in local.lines() {
        let line = match line.split_once(" = ").map(|(k, _)| k) {
            Some("store") => "store = \"../../var/store\"".to_string(),
            Some("templates") => "templates = \"templates\"".to_string(),
            Some("ca_file") => "ca_file = \"tls/ca.crt\"".to_string(),
            Some("port") if line.contains("12993") => format!("port = {}", m.imaps_port),
            Some("port") if line.contains("12587") => format!("port = {}", m.submission_port),
            Some("password_env") if toml.contains("[smtp]") => {
                "password_file = \"secrets/smtp-password\"".to_string()
            }
            Some("password_env") => "password_file = \"secrets/imap-password\"".to_string(),
            Some("listen") => "listen = \"127.0.0.1:0\"".to_string(),
            _ => line
                .replace("support@gateway.test", &names.support)
                .replace("staff@gateway.test", &names.staff),
        };
        toml.push_str(&line);
        toml.push('\n');
    }
    std::fs::write(etc.join("gateway.toml"), toml).unwrap();

    // From another directory, with a relative --config, and from / with an absolute one.
    let run = |cwd: &Path, config: &str, args: &[&str]| {
        Command::new(BIN)
            .current_dir(cwd)
            .arg("--config")
            .arg(config)
            .args(args)
            .env("TICKET_GATEWAY_LOG", "warn")
            .env_remove("CREDENTIALS_DIRECTORY")
            .output()
            .unwrap()
    };
    let out = run(dir.path(), "etc/gateway/gateway.toml", &["check"]);
    assert!(out.status.success(), "{}", text(&out));
    let store = dir.path().join("var/store");
    assert!(
        stdout(&out).contains(&format!(
            "ok    store {}: does not exist yet",
            etc.join("../../var/store").display()
        )),
        "{}",
        text(&out)
    );
    let mail = dir.path().join("mail.eml");
    std::fs::write(
        &mail,
        Draft::new(&names.alice, &names.support, "Copied", "Hi.\n").raw(),
    )
    .unwrap();
    let config = etc.join("gateway.toml");
    let out = run(
        Path::new("/"),
        config.to_str().unwrap(),
        &["ingest", mail.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(store.is_dir(), "the store is where the config says");
    let out = run(&etc, "gateway.toml", &["tickets"]);
    assert!(stdout(&out).starts_with("SUP-1 "), "{}", text(&out));
}

/// A mail from a new customer in the test's directory; its path.
fn mail_file(h: &Harness, subject: &str) -> String {
    let path = h
        .dir
        .path()
        .join(format!("{}.eml", subject.replace(' ', "-")));
    std::fs::write(
        &path,
        Draft::new(&h.names.alice, &h.names.support, subject, "Hello.\n").raw(),
    )
    .unwrap();
    path.display().to_string()
}
