//! The Debian package (`scripts/package`), installed on this machine with `dpkg -i`, looked
//! at as an operator would, and removed again with `dpkg -r` and `dpkg --purge`, leaving the
//! machine as it was. It packages the binary this test run built (the `--binary` of the
//! script), so no release build is needed.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::operate::{stdout, text, BIN};

const PACKAGE: &str = "ticket-gateway";
const UNIT: &str = "/usr/lib/systemd/system/ticket-gateway.service";
const CONFFILE: &str = "/etc/ticket-gateway/gateway.toml";

#[test]
fn the_package_installs_verifies_and_removes_cleanly() {
    // One package test at a time on this machine, whichever checkout runs it.
    let lock = File::create("/tmp/ticket-gateway-package-test.lock").unwrap();
    lock.lock().unwrap();
    let status = run("dpkg-query", &["-W", "-f=${db:Status-Status}", PACKAGE]);
    assert!(
        !stdout(&status).contains("installed") && !stdout(&status).contains("config-files"),
        "a {PACKAGE} package is on this machine already ({}); the test would replace it: \
         remove it first (dpkg --purge {PACKAGE})",
        stdout(&status)
    );

    let dir = tempfile::tempdir().unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/package");
    let out = run(
        script.to_str().unwrap(),
        &[
            "--binary",
            BIN,
            "--out",
            dir.path().to_str().unwrap(),
            "--fast",
        ],
    );
    assert!(out.status.success(), "scripts/package:\n{}", text(&out));
    let deb = stdout(&out).lines().last().unwrap_or_default().to_string();
    assert!(deb.ends_with(".deb") && Path::new(&deb).is_file(), "{deb}");

    // Nothing it would install may exist yet: dpkg would overwrite it, and removing the
    // package would delete it.
    let listing = run("dpkg-deb", &["-c", &deb]);
    let files: Vec<String> = stdout(&listing)
        .lines()
        .filter(|l| !l.starts_with('d'))
        .filter_map(|l| l.split_whitespace().last())
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    assert!(files.len() > 20, "{}", stdout(&listing));
    let present: Vec<&String> = files.iter().filter(|f| Path::new(f).exists()).collect();
    assert!(
        present.is_empty(),
        "files of the package exist on this machine already: {present:?}"
    );

    let _installed = Installed;
    let out = dpkg(&["-i", &deb]);
    assert!(out.status.success(), "dpkg -i:\n{}", text(&out));

    // The binary, its version.
    let out = run("/usr/bin/ticket-gateway", &["--version"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        stdout(&out),
        format!("ticket-gateway {}\n", env!("CARGO_PKG_VERSION"))
    );
    // The unit, as installed, with the binary it names.
    let out = run("systemd-analyze", &["verify", UNIT]);
    let ours: Vec<&str> = std::str::from_utf8(&out.stderr)
        .unwrap_or("")
        .lines()
        .filter(|l| l.contains("ticket-gateway"))
        .collect();
    assert!(
        out.status.success() && ours.is_empty(),
        "systemd-analyze verify {UNIT}:\n{}",
        text(&out)
    );
    // The man pages, where man finds them.
    let out = run("man", &["-w", "ticket-gateway"]);
    assert_eq!(
        stdout(&out).trim(),
        "/usr/share/man/man1/ticket-gateway.1.gz",
        "{}",
        text(&out)
    );
    let out = run("man", &["-w", "ticket-gateway-check"]);
    assert_eq!(
        stdout(&out).trim(),
        "/usr/share/man/man1/ticket-gateway-check.1.gz"
    );
    // The completions, where each shell looks; bash's loads and completes our commands.
    for f in [
        "/usr/share/bash-completion/completions/ticket-gateway",
        "/usr/share/zsh/vendor-completions/_ticket-gateway",
        "/usr/share/fish/vendor_completions.d/ticket-gateway.fish",
    ] {
        assert!(Path::new(f).is_file(), "{f}");
    }
    let out = run(
        "bash",
        &[
            "-c",
            "source /usr/share/bash-completion/completions/ticket-gateway && \
             f=$(complete -p ticket-gateway | sed 's/.*-F \\([^ ]*\\).*/\\1/') && \
             COMP_WORDS=(ticket-gateway ti) COMP_CWORD=1 && \
             $f ticket-gateway ti ticket-gateway && echo \"${COMPREPLY[@]}\"",
        ],
    );
    assert_eq!(stdout(&out).trim(), "tickets", "{}", text(&out));
    // The templates load, the example config is a conffile and parses.
    assert!(Path::new("/usr/share/ticket-gateway/templates/en/acknowledgement.txt").is_file());
    for lang in ["en", "fr"] {
        let page = format!("/usr/share/ticket-gateway/templates/{lang}/page/ticket.html");
        assert!(Path::new(&page).is_file(), "the customer page: {page}");
    }
    let out = run("dpkg-query", &["-W", "-f=${Conffiles}", PACKAGE]);
    assert!(stdout(&out).contains(CONFFILE), "{}", text(&out));
    let out = run("/usr/bin/ticket-gateway", &["--config", CONFFILE, "check"]);
    let o = stdout(&out);
    assert!(
        o.contains(&format!("ok    config {CONFFILE}: parsed and validated"))
            && o.contains("ok    templates /usr/share/ticket-gateway/templates: "),
        "{}",
        text(&out)
    );

    // Removed: the conffile stays until the purge; then nothing is left.
    let out = dpkg(&["-r", PACKAGE]);
    assert!(out.status.success(), "dpkg -r:\n{}", text(&out));
    assert!(!Path::new("/usr/bin/ticket-gateway").exists());
    assert!(
        Path::new(CONFFILE).exists(),
        "a removed package keeps its conffile"
    );
    let out = dpkg(&["--purge", PACKAGE]);
    assert!(out.status.success(), "dpkg --purge:\n{}", text(&out));
    let left: Vec<&String> = files.iter().filter(|f| Path::new(f).exists()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(!Path::new("/etc/ticket-gateway").exists());
    let out = run("dpkg-query", &["-W", "-f=${db:Status-Status}", PACKAGE]);
    assert!(
        !stdout(&out).contains("installed") && !stdout(&out).contains("config-files"),
        "{}",
        text(&out)
    );
}

/// Purges the package when the test ends, passed or failed.
struct Installed;

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = dpkg(&["--purge", PACKAGE]);
    }
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"))
}

/// dpkg, waiting for its lock while another dpkg or apt on this machine holds it.
fn dpkg(args: &[&str]) -> Output {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let out = run("dpkg", args);
        let err = String::from_utf8_lossy(&out.stderr);
        if out.status.success() || !err.contains("lock") || Instant::now() > deadline {
            return out;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}
