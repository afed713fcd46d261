//! OAuth2 logins (SPEC §5.4, issue 18) against the project's Dovecot in OAuth2-only mode
//! (`TG_MAIL_OAUTH2=only`: every password refused) and its token service
//! (`scripts/oauth2`), with access tokens of three seconds so that the daemon renews them
//! while the conversation goes on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ticket_gateway::config::{Auth, ImapConfig, OAuth2Config, Secret};
use ticket_gateway::core::State;
use ticket_gateway::imap::Session;
use ticket_gateway::oauth2::TokenSource;

use crate::support::*;

/// The token service `scripts/mailsys/up` started for a private mail system.
struct TokenService {
    url: String,
    url_tls: String,
}

impl TokenService {
    fn of(mail: &PrivateMailSys) -> TokenService {
        let read = |name: &str| {
            std::fs::read_to_string(mail.dir.join("oauth2").join(name))
                .unwrap_or_else(|e| panic!("oauth2/{name}: {e}"))
                .trim()
                .to_string()
        };
        TokenService {
            url: read("url"),
            url_tls: read("url-tls"),
        }
    }

    /// `scripts/oauth2/ctl ARGS`: its output.
    fn ctl(&self, args: &[&str]) -> String {
        let ctl = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/oauth2/ctl");
        let out = std::process::Command::new(&ctl)
            .arg("--url")
            .arg(&self.url)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", ctl.display()));
        assert!(
            out.status.success(),
            "ctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn stats(&self) -> serde_json::Value {
        serde_json::from_str(&self.ctl(&["stats"])).expect("stats are JSON")
    }

    fn grants(&self) -> u64 {
        self.stats()["grants"]["refresh_token"].as_u64().unwrap()
    }
}

/// A mail system that accepts OAuth2 only, its tokens living `lifetime` seconds.
fn oauth_only(name: &str, lifetime: &str) -> (PrivateMailSys, TokenService) {
    let mail = PrivateMailSys::start_with_env(
        name,
        &[
            ("TG_MAIL_OAUTH2", "only"),
            ("TG_MAIL_OAUTH2_LIFETIME", lifetime),
        ],
    );
    let svc = TokenService::of(&mail);
    (mail, svc)
}

/// The harness config, with OAuth2 logins instead of passwords (no password file at all).
fn oauth_toml(toml: String, token_url: &str, ca: &str, imap: &str, smtp: &str) -> String {
    let toml = toml
        .replace("password_file = \"password\"\n", "")
        .replacen("[imap]\n", &format!("[imap]\nauth = \"{imap}\"\n"), 1)
        .replacen("[smtp]\n", &format!("[smtp]\nauth = \"{smtp}\"\n"), 1);
    format!(
        "{toml}\n[oauth2]\ntoken_url = \"{token_url}\"\nclient_id = \"gateway\"\n\
         client_secret_file = \"client-secret\"\nrefresh_token_file = \"refresh-token\"\n\
         scope = \"mail\"\nca_file = \"{ca}\"\n"
    )
}

/// Registers the gateway's client and writes its secret and a refresh token for `account`
/// beside the config; the refresh token.
fn consent(svc: &TokenService, h: &Harness, account: &str) -> String {
    svc.ctl(&["client", "gateway", "--secret", "s3cret-client"]);
    let rt = svc.ctl(&[
        "refresh-token",
        "--client",
        "gateway",
        "--user",
        account,
        "--scope",
        "mail",
    ]);
    std::fs::write(h.dir.path().join("client-secret"), "s3cret-client\n").unwrap();
    std::fs::write(h.dir.path().join("refresh-token"), format!("{rt}\n")).unwrap();
    rt
}

/// A mail client that reads one account over IMAPS with XOAUTH2, its tokens by the
/// client-credentials grant.
struct Reader {
    cfg: ImapConfig,
    tokens: Arc<TokenSource>,
}

impl Reader {
    fn new(svc: &TokenService, m: &MailSys, user: &str) -> Reader {
        let client = format!("reader-{user}");
        svc.ctl(&["client", &client, "--secret", "r", "--user", user]);
        let mut cfg = m.imap_config(user);
        cfg.auth = Auth::XOAuth2;
        let tokens = TokenSource::new(&OAuth2Config {
            token_url: format!("{}/token", svc.url),
            client_id: client,
            client_secret: Secret::new("r").into(),
            refresh_token: None,
            scope: String::new(),
            ca_file: None,
        })
        .expect("token source");
        Reader { cfg, tokens }
    }

    async fn wait(&self, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let all = fetch_all_with(&self.cfg, Some(&self.tokens), "INBOX").await;
            if let Some(r) = all.iter().find(|r| pred(r)) {
                return r.clone();
            }
            let subjects: Vec<&str> = all.iter().map(|r| r.subject.as_str()).collect();
            assert!(
                Instant::now() < deadline,
                "{}: timed out waiting for {what}; INBOX has {subjects:?}",
                self.cfg.username
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Drops `user`'s IMAP sessions: the daemon must log in again.
fn kick(mail: &PrivateMailSys, user: &str) {
    let conf = mail.dir.join("dovecot/dovecot.conf");
    let out = std::process::Command::new("doveadm")
        .arg("-c")
        .arg(&conf)
        .args(["kick", user])
        .output()
        .expect("doveadm");
    assert!(
        out.status.success(),
        "doveadm kick: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Ends every connection to the private Postfix's submission port from this side (`ss -K`):
/// the daemon's pooled SMTP connection is gone, so its next mail logs in afresh. (Killing
/// smtpd instead would make Postfix throttle the service for a minute.)
fn end_smtp_sessions(mail: &PrivateMailSys) {
    let filter = format!("( dport = :{} )", mail.base + 587);
    let out = std::process::Command::new("ss")
        .args(["-K", "-tn", "state", "established", &filter])
        .output()
        .expect("ss (iproute2)");
    assert!(
        out.status.success(),
        "ss -K: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A whole conversation by real mail with OAuth2 only: IMAP with XOAUTH2, SMTP with
/// OAUTHBEARER, the token from an HTTPS endpoint trusted through `oauth2.ca_file`. Tokens
/// live three seconds: the daemon renews them when they lapse, and once more when the mail
/// server refuses one that was revoked early.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_over_oauth2_renews_its_tokens() {
    let (mail, svc) = oauth_only("oauth2-conv", "3");
    let m = mail.mailsys();
    let ca = m.ca().display().to_string();
    let token_url = format!("{}/token", svc.url_tls);
    let mut h = Harness::prepare(mail.mailsys(), "oauth2", |t| {
        oauth_toml(t, &token_url, &ca, "xoauth2", "oauthbearer")
    });
    let n = h.names.clone();
    consent(&svc, &h, &n.support);
    // The mail system takes no password, so the gateway cannot be using one.
    let refused = Session::connect(&m.imap_config(&n.support))
        .await
        .expect_err("password refused");
    assert!(format!("{refused}").contains("refused login"), "{refused}");
    h.launch();
    let alice = Reader::new(&svc, &m, &n.alice);
    let team = Reader::new(&svc, &m, &n.team);

    // A customer's mail: a ticket, and the acknowledgement out through SMTP with OAuth2.
    let first = Draft::new(&n.alice, &n.support, "Printer smokes", "It smokes.\nAlice");
    send_raw_on(&m, &n.alice, &[&n.support], &first.raw()).await;
    h.wait_ticket(1, "ticket 1", |_| true).await;
    let ack = alice
        .wait("acknowledgement", |r| r.subject.contains("[SUP-1]"))
        .await;
    assert_eq!(ack.from, n.support);
    assert_eq!(ack.in_reply_to, vec![first.message_id.clone()]);
    let new = team
        .wait("new-ticket mail", |r| r.text.contains("It smokes"))
        .await;
    let granted = svc.grants();
    assert!(granted >= 1, "{}", svc.stats());

    // The tokens lapse; both sides log in again and renew them.
    tokio::time::sleep(Duration::from_secs(4)).await;
    kick(&mail, &n.support);
    end_smtp_sessions(&mail);
    let staff = Draft::reply_to(&n.staff, &n.support, &new, "#waiting\nWhich model is it?");
    send_raw_on(&m, &n.staff, &[&n.support], &staff.raw()).await;
    h.wait_ticket(1, "waiting", |t| t.state == State::WaitingForFeedback)
        .await;
    let question = alice
        .wait("the question", |r| r.text.contains("Which model is it?"))
        .await;
    assert!(svc.grants() > granted, "renewed: {}", svc.stats());

    // Tokens of two minutes from now on; once the daemon holds one, the service revokes
    // every access token: the next SMTP login finds its token refused, renews it once and
    // goes on.
    svc.ctl(&["settings", "--lifetime", "120"]);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let before = svc.grants();
    kick(&mail, &n.support);
    let deadline = Instant::now() + Duration::from_secs(30);
    while svc.grants() == before {
        assert!(Instant::now() < deadline, "no new grant: {}", svc.stats());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // (The daemon is logged in again with the long token before it is revoked.)
    h.wait_ticket(1, "still waiting", |t| t.state == State::WaitingForFeedback)
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = svc.stats();
    svc.ctl(&["revoke", "--access-tokens"]);
    end_smtp_sessions(&mail);
    let answer = Draft::reply_to(&n.alice, &n.support, &question, "A LaserJet 4000.");
    send_raw_on(&m, &n.alice, &[&n.support], &answer.raw()).await;
    h.wait_ticket(1, "open after feedback", |t| t.state == State::Open)
        .await;
    team.wait("the feedback", |r| r.text.contains("LaserJet 4000"))
        .await;
    let after = svc.stats();
    let count = |v: &serde_json::Value, a: &str, b: &str| v[a][b].as_u64().unwrap();
    assert!(
        count(&after, "grants", "refresh_token") > count(&before, "grants", "refresh_token"),
        "renewed after the refusal: {before} -> {after}"
    );
    assert!(
        count(&after, "introspections", "inactive") > count(&before, "introspections", "inactive"),
        "the revoked token was refused: {before} -> {after}"
    );
    // Every mail went on its first try: the refused token was renewed within the login.
    let outbox = h.gw().store.outbox().expect("outbox reads");
    assert!(
        outbox
            .iter()
            .all(|e| e.status == ticket_gateway::store::OutboxStatus::Sent && e.attempts == 1),
        "{:?}",
        outbox
            .iter()
            .map(|e| (&e.to, e.status, e.attempts, &e.last_error))
            .collect::<Vec<_>>()
    );
    h.stop().await;
}

/// A revoked refresh token: `check` names it in the token endpoint's words, and so do
/// `/healthz` and the IMAP line once the daemon has to log in again; the daemon does not
/// ask the endpoint again and again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_refresh_token_shows_in_check_and_health() {
    let (mail, svc) = oauth_only("oauth2-revoked", "60");
    let m = mail.mailsys();
    let ca = m.ca().display().to_string();
    let token_url = format!("{}/token", svc.url);
    let mut h = Harness::prepare(mail.mailsys(), "oauth2-revoked", |t| {
        oauth_toml(t, &token_url, &ca, "oauthbearer", "xoauth2")
    });
    let n = h.names.clone();
    let rt = consent(&svc, &h, &n.support);
    h.launch();
    let alice = Reader::new(&svc, &m, &n.alice);
    let first = Draft::new(&n.alice, &n.support, "Scanner jams", "Jammed.");
    send_raw_on(&m, &n.alice, &[&n.support], &first.raw()).await;
    h.wait_ticket(1, "ticket 1", |_| true).await;
    alice
        .wait("acknowledgement", |r| r.subject.contains("[SUP-1]"))
        .await;
    let admin = h.gw().telemetry.admin_addr().expect("admin endpoint");
    let (status, body) = healthz(admin).await;
    assert!(body.contains("oauth2: ok"), "{status}\n{body}");

    svc.ctl(&["revoke", "--refresh-token", &rt]);
    kick(&mail, &n.support);
    let deadline = Instant::now() + Duration::from_secs(30);
    let body = loop {
        let (status, body) = healthz(admin).await;
        if status == 503 && body.contains("oauth2: down") {
            break body;
        }
        assert!(Instant::now() < deadline, "health never said it:\n{body}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let words = "invalid_grant: Token has been expired or revoked.";
    let health: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    let checks = health["checks"].as_array().expect("checks");
    for line in ["oauth2: down", "imap: down"] {
        let l = checks
            .iter()
            .filter_map(|c| c.as_str())
            .find(|l| l.starts_with(line))
            .unwrap_or("");
        assert!(l.contains(words), "{line}: {body}");
    }

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ticket-gateway"))
        .arg("--config")
        .arg(&h.config_path)
        .arg("check")
        .output()
        .expect("check runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{stdout}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("FAIL  oauth2"))
        .unwrap_or_else(|| panic!("no oauth2 line:\n{stdout}"));
    assert!(
        line.contains(&format!("refused the refresh token: {words}")),
        "{line}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL  imap") && l.contains(words)),
        "{stdout}"
    );

    // The daemon keeps trying to log in, but the refusal stands: the endpoint is not asked.
    let refusals = |s: serde_json::Value| s["refusals"]["invalid_grant"].as_u64().unwrap_or(0);
    let seen = refusals(svc.stats());
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(refusals(svc.stats()), seen, "{}", svc.stats());
    h.stop().await;
}

/// The project's token service on its own (`scripts/oauth2/up`), stopped when dropped.
struct OwnTokenService {
    dir: tempfile::TempDir,
    svc: TokenService,
}

impl OwnTokenService {
    fn start() -> OwnTokenService {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("svc");
        let up = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/oauth2/up");
        let out = std::process::Command::new(&up)
            .env("TG_OAUTH2_DIR", &state)
            .env_remove("TG_OAUTH2_PORT")
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", up.display()));
        assert!(
            out.status.success(),
            "scripts/oauth2/up: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = std::fs::read_to_string(state.join("url")).unwrap();
        let svc = TokenService {
            url: url.trim().to_string(),
            url_tls: String::new(),
        };
        OwnTokenService { dir, svc }
    }
}

impl Drop for OwnTokenService {
    fn drop(&mut self) {
        let down = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/oauth2/down");
        let _ = std::process::Command::new(down)
            .arg("--purge")
            .env("TG_OAUTH2_DIR", self.dir.path().join("svc"))
            .output();
    }
}

/// A token endpoint that rotates refresh tokens (each grant answers a new one and revokes
/// the one presented, as Microsoft's does): the new one is written back to
/// `refresh_token_file`, whole and private, so that a restart starts from a live token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_refresh_token_is_written_back_to_its_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let own = OwnTokenService::start();
    let svc = &own.svc;
    svc.ctl(&["client", "gateway", "--secret", "s3cret-client"]);
    let first = svc.ctl(&[
        "refresh-token",
        "--client",
        "gateway",
        "--user",
        "a@gateway.test",
    ]);
    svc.ctl(&["settings", "--rotate", "on"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("refresh-token");
    std::fs::write(&file, format!("{first}\n")).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let config = OAuth2Config {
        token_url: format!("{}/token", svc.url),
        client_id: "gateway".into(),
        client_secret: Secret::new("s3cret-client").into(),
        refresh_token: Some(ticket_gateway::config::SecretSource::File {
            key: "oauth2.refresh_token_file".into(),
            written: "refresh-token".into(),
            path: file.clone(),
        }),
        scope: "mail".into(),
        ca_file: None,
    };
    let tokens = TokenSource::new(&config).expect("token source");
    tokens
        .token()
        .await
        .expect("a token from the first refresh token");
    let second = std::fs::read_to_string(&file).unwrap();
    let second = second.trim_end_matches('\n');
    assert!(second.starts_with("rt-") && second != first, "{second}");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the written file is private");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["refresh-token"], "no temporary file left");

    // The same source renews with the token it wrote, and writes the next one.
    let held = tokens.token().await.unwrap();
    assert_eq!(svc.grants(), 1, "the token in hand is used");
    tokens
        .refused(&held)
        .await
        .unwrap()
        .expect("a renewed token");
    assert_eq!(svc.grants(), 2);
    let third = std::fs::read_to_string(&file).unwrap().trim().to_string();
    assert!(third != second && third != first, "{third}");

    // A restart reads the file: the live token. The first one is dead (rotated away).
    let restarted = TokenSource::new(&config).expect("token source");
    restarted.token().await.expect("the written token is live");
    std::fs::write(&file, format!("{first}\n")).unwrap();
    let err = TokenSource::new(&config)
        .unwrap()
        .token()
        .await
        .expect_err("the rotated-away token is refused");
    assert!(err.to_string().contains("invalid_grant"), "{err}");
}
