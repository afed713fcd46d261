//! Live-test support: the project's local mail system (`scripts/mailsys/up`), one daemon per
//! test with its own addresses and store, and mail sent and read the way clients do.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use ticket_gateway::config::{Config, ImapConfig, Secret, Tls};
use ticket_gateway::core::{Ticket, TicketId};
use ticket_gateway::imap::Session;
use ticket_gateway::pipeline::Gateway;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Where the local mail system listens (the same variables as scripts/mailsys/lib.sh).
pub struct MailSys {
    pub dir: PathBuf,
    pub imaps_port: u16,
    pub smtp_port: u16,
    pub submission_port: u16,
    pub plain_port: u16,
}

fn env_port(name: &str, default: u16) -> u16 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl MailSys {
    pub fn get() -> MailSys {
        let dir =
            PathBuf::from(std::env::var("TG_MAIL_DIR").unwrap_or_else(|_| "/tmp/tg-mail".into()));
        let m = MailSys {
            imaps_port: env_port("TG_MAIL_IMAPS_PORT", 12993),
            smtp_port: env_port("TG_MAIL_SMTP_PORT", 12025),
            submission_port: env_port("TG_MAIL_SUBMISSION_PORT", 12587),
            plain_port: env_port("TG_MAIL_IMAP_PLAIN_PORT", 12144),
            dir,
        };
        assert!(
            m.ca().is_file() && std::net::TcpStream::connect(("127.0.0.1", m.imaps_port)).is_ok(),
            "the local mail system is not running (no {} or nothing on port {}): run `scripts/mailsys/up` (or `scripts/test`, which does it)",
            m.ca().display(),
            m.imaps_port
        );
        m
    }

    pub fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }

    pub fn imap_config(&self, user: &str) -> ImapConfig {
        ImapConfig {
            host: "127.0.0.1".into(),
            port: self.imaps_port,
            tls: Tls::Implicit,
            ca_file: Some(self.ca()),
            username: user.into(),
            password: Secret::new("secret").into(),
            mailbox: "INBOX".into(),
            processed_mailbox: Some("Processed".into()),
            quarantine_mailbox: "Quarantine".into(),
            idle: true,
            poll_interval: Duration::from_secs(30),
            auth: ticket_gateway::config::Auth::Password,
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Unique addresses for one test, so that tests run in parallel.
#[derive(Clone, Debug)]
pub struct Names {
    pub support: String,
    pub staff: String,
    pub team: String,
    pub alice: String,
    pub bob: String,
    pub mallory: String,
}

impl Names {
    pub fn new(test: &str) -> Names {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let t = format!("{test}-{}-{n}", std::process::id()).replace('_', "-");
        Names {
            support: format!("support-{t}@gateway.test"),
            staff: format!("staff-{t}@gateway.test"),
            team: format!("team-{t}@gateway.test"),
            alice: format!("alice-{t}@customer.test"),
            bob: format!("bob-{t}@customer.test"),
            mallory: format!("mallory-{t}@evil.test"),
        }
    }
}

/// Which store the daemons under test use: sled, or with `TG_TEST_STORE=postgres` the
/// PostgreSQL of `scripts/pg/up` (`TG_TEST_PG_URL`, else `$TG_PG_DIR/url`), a schema of
/// its own per test. `scripts/test` runs a representative set of the live tests both ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStore {
    Sled,
    Postgres,
}

impl TestStore {
    pub fn from_env() -> TestStore {
        match std::env::var("TG_TEST_STORE").as_deref() {
            Ok("postgres") => TestStore::Postgres,
            Ok("sled") | Err(_) => TestStore::Sled,
            Ok(other) => panic!("TG_TEST_STORE={other}: expected sled or postgres"),
        }
    }
}

/// The URL of the test PostgreSQL server; without one, a test that needs it fails, saying so.
pub fn pg_url() -> String {
    if let Ok(url) = std::env::var("TG_TEST_PG_URL") {
        return url;
    }
    let dir = std::env::var("TG_PG_DIR").unwrap_or_else(|_| "/tmp/tg-pg".into());
    let file = Path::new(&dir).join("url");
    std::fs::read_to_string(&file)
        .map(|u| u.trim().to_string())
        .unwrap_or_else(|e| {
            panic!(
                "PostgreSQL tests need a server: set TG_TEST_PG_URL or run scripts/pg/up \
                 (TG_PG_DIR={dir}); {}: {e}",
                file.display()
            )
        })
}

/// Runs SQL on the test server (on a thread of its own: callers may be in a runtime).
pub fn pg_admin(sql: &str) {
    let (url, sql) = (pg_url(), sql.to_string());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {url} (scripts/pg/up): {e}"));
            tokio::spawn(conn);
            client.batch_execute(&sql).await.unwrap();
        })
    })
    .join()
    .expect("SQL ran");
}

/// A URL of the test server whose tables live in a new, empty schema named after `seed`.
pub fn pg_schema_url(seed: &str) -> String {
    let schema: String = format!("it_{}_{}", seed, nanos())
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    pg_admin(&format!("CREATE SCHEMA {schema}"));
    let base = pg_url();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-csearch_path%3D{schema}")
}

/// A daemon under test.
pub struct Harness {
    pub names: Names,
    pub mail: MailSys,
    pub gw: Option<Arc<Gateway>>,
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Harness {
    /// Writes a config for these names (plus `extra` TOML lines appended to sections by the
    /// caller through `tweak`) and starts the daemon.
    pub async fn start(test: &str) -> Harness {
        Harness::start_with(test, |s| s).await
    }

    pub async fn start_with(test: &str, tweak: impl FnOnce(String) -> String) -> Harness {
        let mut h = Harness::prepare(MailSys::get(), test, tweak);
        h.launch();
        h
    }

    /// Writes the config on `mail` (a private instance, say) and starts the daemon.
    pub async fn start_on(
        mail: MailSys,
        test: &str,
        tweak: impl FnOnce(String) -> String,
    ) -> Harness {
        let mut h = Harness::prepare(mail, test, tweak);
        h.launch();
        h
    }

    /// Writes the config but starts nothing (for tests that run the real binary).
    pub fn prepare(mail: MailSys, test: &str, tweak: impl FnOnce(String) -> String) -> Harness {
        let names = Names::new(test);
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("password"), "secret\n").unwrap();
        let templates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("templates");
        let toml = format!(
            r#"
[gateway]
address = "{support}"
name = "Test Support"
tag_prefix = "SUP"
default_language = "en"
store = "{store}"
templates = "{templates}"
max_replies_per_hour = 50
closed_reply = "comment"

[imap]
host = "127.0.0.1"
port = {imaps}
tls = "implicit"
ca_file = "{ca}"
username = "{support}"
password_file = "password"
poll_interval = "2s"

[smtp]
host = "127.0.0.1"
port = {submission}
tls = "starttls"
ca_file = "{ca}"
username = "{support}"
password_file = "password"

[staff]
addresses = ["{staff}"]
notify = ["{team}"]

[admin]
listen = "127.0.0.1:0"
"#,
            support = names.support,
            staff = names.staff,
            team = names.team,
            store = dir.path().join("store").display(),
            templates = templates.display(),
            imaps = mail.imaps_port,
            submission = mail.submission_port,
            ca = mail.ca().display(),
        );
        let toml = match TestStore::from_env() {
            TestStore::Sled => toml,
            TestStore::Postgres => {
                let url = pg_schema_url(&names.support);
                let state = dir.path().join("store");
                toml.replacen(
                    &format!("store = \"{}\"", state.display()),
                    &format!("store = \"{url}\"\nstate_dir = \"{}\"", state.display()),
                    1,
                )
            }
        };
        let toml = tweak(toml);
        let config_path = dir.path().join("gateway.toml");
        std::fs::write(&config_path, toml).unwrap();
        Harness {
            names,
            mail,
            gw: None,
            dir,
            config_path,
            stop: None,
            task: None,
        }
    }

    pub fn config(&self) -> Config {
        Config::load(&self.config_path).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn launch(&mut self) {
        let gw = Arc::new(
            ticket_gateway::daemon::open_gateway(self.config(), std::time::Duration::from_secs(5))
                .expect("gateway opens"),
        );
        let (tx, rx) = oneshot::channel::<()>();
        let g = gw.clone();
        self.task = Some(tokio::spawn(async move {
            ticket_gateway::daemon::run_with(g, async {
                let _ = rx.await;
            })
            .await
            .expect("daemon runs");
        }));
        self.gw = Some(gw);
        self.stop = Some(tx);
    }

    /// Stops the daemon as SIGTERM would, and closes the store.
    pub async fn stop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            tokio::time::timeout(Duration::from_secs(15), t)
                .await
                .expect("daemon stops within 15 s")
                .expect("daemon task");
        }
        let gw = self.gw.take().expect("running");
        // The daemon's tasks are joined: this is the last handle, and dropping it closes sled.
        assert_eq!(Arc::strong_count(&gw), 1, "a task still holds the gateway");
        drop(gw);
    }

    pub async fn restart(&mut self) {
        self.stop().await;
        self.launch();
    }

    pub fn gw(&self) -> &Gateway {
        self.gw.as_ref().expect("running")
    }

    pub fn ticket(&self, id: u64) -> Option<Ticket> {
        self.gw().store.ticket(TicketId(id)).expect("store reads")
    }

    pub fn tickets(&self) -> Vec<Ticket> {
        self.gw().store.tickets().expect("store reads")
    }

    /// Waits until ticket `id` satisfies `pred`.
    pub async fn wait_ticket(&self, id: u64, what: &str, pred: impl Fn(&Ticket) -> bool) -> Ticket {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = self.ticket(id) {
                if pred(&t) {
                    return t;
                }
                if Instant::now() > deadline {
                    panic!("ticket {id}: timed out waiting for {what}; ticket is {t:#?}");
                }
            } else if Instant::now() > deadline {
                panic!("ticket {id}: timed out waiting for {what}; no such ticket");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the gateway is quiet: the support INBOX empty (every mail processed and
    /// moved), nothing pending in its outbox (every mail it will send for them handed to
    /// Postfix), and Postfix's queue empty (all of it delivered). A mail that has not come by
    /// then will not come: tests of mail that must not be sent wait on this, not on a sleep.
    pub async fn settle(&self) {
        self.wait_inbox_empty().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let pending = self.gw().store.outbox_pending().expect("store reads").len();
            let queue = postfix_queue(&self.mail);
            if pending == 0 && queue.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not quiet: {pending} outgoing mails pending, Postfix queue: {queue}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the support INBOX is empty (every mail processed and moved).
    pub async fn wait_inbox_empty(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let n = count(&self.mail, &self.names.support, "INBOX").await;
            if n == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "support INBOX still has {n} mails"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// What the local Postfix still holds (`postqueue -j`: one JSON line per queued mail);
/// empty when everything handed over is delivered.
pub fn postfix_queue(m: &MailSys) -> String {
    let out = std::process::Command::new("postqueue")
        .arg("-c")
        .arg(m.dir.join("postfix/etc"))
        .arg("-j")
        .output()
        .expect("postqueue runs");
    assert!(
        out.status.success(),
        "postqueue: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

// ---------------------------------------------------------------------------------------------
// Sending

/// Sends raw bytes through the local Postfix (port 12025, as an MTA would receive them).
pub async fn send_raw(from: &str, to: &[&str], raw: &[u8]) {
    send_raw_on(&MailSys::get(), from, to, raw).await
}

/// Sends raw bytes through the Postfix of `m`.
pub async fn send_raw_on(m: &MailSys, from: &str, to: &[&str], raw: &[u8]) {
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous("127.0.0.1")
        .port(m.smtp_port)
        .build();
    let envelope = Envelope::new(
        Some(from.parse().unwrap()),
        to.iter().map(|a| a.parse().unwrap()).collect(),
    )
    .unwrap();
    transport
        .send_raw(&envelope, raw)
        .await
        .unwrap_or_else(|e| panic!("postfix refused the mail: {e}"));
}

/// A plain-text mail as a mail client writes it.
pub struct Draft {
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub message_id: String,
}

impl Draft {
    pub fn new(from: &str, to: &str, subject: &str, body: &str) -> Draft {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        Draft {
            from: from.into(),
            to: vec![to.into()],
            cc: vec![],
            subject: subject.into(),
            body: body.into(),
            headers: vec![],
            message_id: format!("test.{}.{n}.{}@client.test", std::process::id(), nanos()),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Draft {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn cc(mut self, addr: &str) -> Draft {
        self.cc.push(addr.into());
        self
    }

    /// A reply to a received mail: `Re:` subject, threading headers, the original quoted.
    pub fn reply_to(from: &str, to: &str, original: &Received, body: &str) -> Draft {
        let quoted: String = original.text.lines().map(|l| format!("> {l}\n")).collect();
        let mut refs = original.references.clone();
        refs.push(original.message_id.clone());
        let body = format!(
            "{body}\n\nOn Mon, 23 Nov 2026 at 10:00, Support <{}> wrote:\n{quoted}",
            original.from
        );
        let mut d = Draft::new(from, to, &format!("Re: {}", original.subject), &body);
        d.headers
            .push(("In-Reply-To".into(), format!("<{}>", original.message_id)));
        d.headers.push((
            "References".into(),
            refs.iter()
                .map(|r| format!("<{r}>"))
                .collect::<Vec<_>>()
                .join(" "),
        ));
        d
    }

    /// The header block as a client writes it (without MIME headers).
    fn head(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!("From: {}\r\n", self.from));
        s.push_str(&format!("To: {}\r\n", self.to.join(", ")));
        if !self.cc.is_empty() {
            s.push_str(&format!("Cc: {}\r\n", self.cc.join(", ")));
        }
        s.push_str(&format!("Subject: {}\r\n", encode_word(&self.subject)));
        s.push_str("Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n");
        s.push_str(&format!("Message-ID: <{}>\r\n", self.message_id));
        for (k, v) in &self.headers {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s
    }

    pub fn raw(&self) -> Vec<u8> {
        let mut s = self.head();
        s.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
        s.push_str(&self.body.replace('\n', "\r\n"));
        s.push_str("\r\n");
        s.into_bytes()
    }

    pub async fn send(&self) -> String {
        let mut rcpt: Vec<&str> = self.to.iter().map(String::as_str).collect();
        rcpt.extend(self.cc.iter().map(String::as_str));
        send_raw(&self.from, &rcpt, &self.raw()).await;
        self.message_id.clone()
    }
}

/// Nanoseconds since the epoch: unique-enough names for test mailboxes and files.
pub fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// RFC 2047 B-encoding for a non-ASCII subject.
fn encode_word(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    format!("=?UTF-8?B?{}?=", base64(s.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// A mail read back from a mailbox.
#[derive(Debug, Clone)]
pub struct Received {
    pub uid: u32,
    pub raw: Vec<u8>,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub message_id: String,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<String>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<String> {
        let msg = MessageParser::default().parse(&self.raw)?;
        msg.header_raw(name).map(|v| v.trim().to_string())
    }
}

fn ids(v: &HeaderValue) -> Vec<String> {
    match v {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => vec![],
    }
}

fn parse_received(uid: u32, raw: Vec<u8>) -> Received {
    let msg = MessageParser::default().parse(&raw).expect("a mail");
    let from = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    let to = msg
        .to()
        .map(|a| {
            a.iter()
                .filter_map(|a| a.address())
                .map(|s| s.to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    let r = Received {
        uid,
        from,
        to,
        subject: msg.subject().unwrap_or("").to_string(),
        message_id: msg.message_id().unwrap_or("").to_string(),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        text: msg.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        html: msg
            .body_html(0)
            .filter(|_| msg.html_body_count() > 0 && msg.text_body_count() > 0)
            .map(|t| t.to_string()),
        attachments: msg
            .attachments()
            .map(|a| a.attachment_name().unwrap_or("").to_string())
            .collect(),
        raw: Vec::new(),
    };
    Received { raw, ..r }
}

/// Every mail in `user`'s `folder`.
pub async fn fetch_all(m: &MailSys, user: &str, folder: &str) -> Vec<Received> {
    fetch_all_with(&m.imap_config(user), None, folder).await
}

/// Every mail in `folder` of the account `cfg` logs in to (with OAuth2 when `tokens`).
pub async fn fetch_all_with(
    cfg: &ImapConfig,
    tokens: Option<&ticket_gateway::oauth2::TokenSource>,
    folder: &str,
) -> Vec<Received> {
    let mut s = Session::connect_with(cfg, tokens)
        .await
        .unwrap_or_else(|e| panic!("imap login as {}: {e:?}", cfg.username));
    if s.select(folder).await.is_err() {
        let _ = s.logout().await;
        return vec![];
    }
    let uids = s.uids().await.expect("uid search");
    let mails = if uids.is_empty() {
        vec![]
    } else {
        s.fetch(&uids).await.expect("fetch")
    };
    let _ = s.logout().await;
    mails
        .into_iter()
        .map(|(uid, raw)| parse_received(uid, raw))
        .collect()
}

pub async fn count(m: &MailSys, user: &str, folder: &str) -> usize {
    let mut s = Session::connect(&m.imap_config(user))
        .await
        .expect("imap login");
    let n = match s.select(folder).await {
        Ok(st) => st.exists as usize,
        Err(_) => 0,
    };
    let _ = s.logout().await;
    n
}

/// Waits up to 30 s until `user`'s INBOX holds a mail matching `pred`, and returns it.
pub async fn wait_mail(user: &str, what: &str, pred: impl Fn(&Received) -> bool) -> Received {
    wait_mail_on(&MailSys::get(), user, what, pred).await
}

pub async fn wait_mail_on(
    m: &MailSys,
    user: &str,
    what: &str,
    pred: impl Fn(&Received) -> bool,
) -> Received {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = fetch_all(m, user, "INBOX").await;
        if let Some(r) = all.iter().find(|r| pred(r)) {
            return r.clone();
        }
        if Instant::now() > deadline {
            let subjects: Vec<&str> = all.iter().map(|r| r.subject.as_str()).collect();
            panic!("{user}: timed out waiting for {what}; INBOX has {subjects:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// All mails in `user`'s INBOX matching `pred`.
pub async fn mails(user: &str, pred: impl Fn(&Received) -> bool) -> Vec<Received> {
    fetch_all(&MailSys::get(), user, "INBOX")
        .await
        .into_iter()
        .filter(|r| pred(r))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Putting mail straight into a mailbox, and private mail systems

/// An independent IMAP client (async-imap on the plain debugging port).
pub async fn raw_imap(m: &MailSys, user: &str) -> async_imap::Session<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", m.plain_port))
        .await
        .expect("plain IMAP port; run scripts/mailsys/up");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("greeting");
    client
        .login(user, "secret")
        .await
        .map_err(|(e, _)| e)
        .expect("login")
}

/// APPENDs each mail to `user`'s `folder` with `flags` (e.g. `(\\Seen)` or ""), in order.
pub async fn append(m: &MailSys, user: &str, folder: &str, mails: &[Vec<u8>], flags: &str) {
    let mut s = raw_imap(m, user).await;
    for raw in mails {
        let flags = (!flags.is_empty()).then_some(flags);
        s.append(folder, flags, None, raw)
            .await
            .unwrap_or_else(|e| panic!("APPEND to {user}/{folder}: {e}"));
    }
    let _ = s.logout().await;
}

/// The ports a private mail system adds to its base.
const PRIVATE_PORT_OFFSETS: [u16; 5] = [25, 143, 144, 587, 993];

/// A base port (a multiple of 1,000 from 20,000) whose five mail ports are all free now.
/// Bases are tried from a point that depends on the process and a counter, so that the
/// private systems of concurrent tests and test runs start apart.
pub fn free_port_base() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let start =
        (std::process::id() % 40) as u16 + NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    (0..40)
        .map(|i| 20_000 + ((start + i) % 40) * 1_000)
        .find(|base| {
            PRIVATE_PORT_OFFSETS
                .iter()
                .all(|o| std::net::TcpListener::bind(("127.0.0.1", base + o)).is_ok())
        })
        .expect("a free range of ports for a private mail system between 20000 and 60000")
}

/// A mail system of a test's own (its own state dir and ports), for tests that stop
/// Postfix or Dovecot. `down --purge` when dropped.
pub struct PrivateMailSys {
    pub dir: PathBuf,
    pub base: u16,
    /// More environment for its scripts (e.g. `TG_MAIL_OAUTH2`).
    pub extra_env: Vec<(String, String)>,
}

impl PrivateMailSys {
    /// Starts a mail system of its own on free ports, in a directory named after the test
    /// and this process (two test runs on one machine never share one).
    pub fn start(name: &str) -> PrivateMailSys {
        let p = PrivateMailSys::unstarted(name);
        p.script("up", &[]);
        p
    }

    /// The directory and ports of a private mail system, not yet started.
    pub fn unstarted(name: &str) -> PrivateMailSys {
        PrivateMailSys {
            dir: PathBuf::from(format!("/tmp/tg-{name}-{}", std::process::id())),
            base: free_port_base(),
            extra_env: Vec::new(),
        }
    }

    /// Starts one with more environment for `up` (and its other scripts).
    pub fn start_with_env(name: &str, env: &[(&str, &str)]) -> PrivateMailSys {
        let mut p = PrivateMailSys::unstarted(name);
        p.extra_env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        p.script("up", &[]);
        p
    }

    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.extra_env.clone();
        env.extend([
            ("TG_MAIL_DIR".into(), self.dir.display().to_string()),
            ("TG_MAIL_IMAPS_PORT".into(), (self.base + 993).to_string()),
            ("TG_MAIL_IMAP_PORT".into(), (self.base + 143).to_string()),
            (
                "TG_MAIL_IMAP_PLAIN_PORT".into(),
                (self.base + 144).to_string(),
            ),
            ("TG_MAIL_SMTP_PORT".into(), (self.base + 25).to_string()),
            (
                "TG_MAIL_SUBMISSION_PORT".into(),
                (self.base + 587).to_string(),
            ),
        ]);
        env
    }

    pub fn script(&self, name: &str, args: &[&str]) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scripts/mailsys")
            .join(name);
        let out = std::process::Command::new(&path)
            .args(args)
            .envs(self.env())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            out.status.success(),
            "{} {args:?} failed:\n{}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    pub fn mailsys(&self) -> MailSys {
        MailSys {
            dir: self.dir.clone(),
            imaps_port: self.base + 993,
            smtp_port: self.base + 25,
            submission_port: self.base + 587,
            plain_port: self.base + 144,
        }
    }

    /// Stops Postfix and waits until its master has exited (`postfix stop` returns before).
    pub fn stop_postfix(&self) {
        let conf = format!("{}/postfix/etc", self.dir.display());
        let pid_file = self.dir.join("postfix/spool/pid/master.pid");
        let pid = std::fs::read_to_string(&pid_file)
            .unwrap_or_default()
            .trim()
            .to_string();
        run("postfix", &["-c", &conf, "stop"]);
        for _ in 0..200 {
            let running = !pid.is_empty() && std::path::Path::new(&format!("/proc/{pid}")).exists();
            let listening = std::net::TcpStream::connect(("127.0.0.1", self.base + 25)).is_ok();
            if !running && !listening {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("postfix did not stop");
    }

    pub fn stop_dovecot(&self) {
        run(
            "doveadm",
            &[
                "-c",
                &format!("{}/dovecot/dovecot.conf", self.dir.display()),
                "stop",
            ],
        );
        // Wait until the IMAPS port is closed.
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.base + 993)).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("dovecot did not stop");
    }
}

impl Drop for PrivateMailSys {
    fn drop(&mut self) {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/mailsys/down");
        let _ = std::process::Command::new(path)
            .arg("--purge")
            .envs(self.env())
            .output();
    }
}

fn run(cmd: &str, args: &[&str]) {
    let out = std::process::Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// Mail with parts, as clients build it: HTML bodies and attached files.

/// A file to attach: name, content type, content.
pub type FilePart<'a> = (&'a str, &'a str, &'a [u8]);

/// Base64 (RFC 4648, with padding), one line. Tests only.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                T[(n >> (18 - 6 * i) & 63) as usize] as char
            } else {
                '='
            });
        }
    }
    out
}

/// Base64 with 76-character lines (RFC 2045), each ending in CRLF, then the last (maybe
/// empty) line.
pub fn base64_lines(bytes: &[u8]) -> String {
    let b64 = base64(bytes);
    let mut out = String::with_capacity(b64.len() + b64.len() / 38 + 2);
    let mut rest = b64.as_str();
    while rest.len() >= 76 {
        out.push_str(&rest[..76]);
        out.push_str("\r\n");
        rest = &rest[76..];
    }
    out.push_str(rest);
    out.push_str("\r\n");
    out
}

impl Draft {
    /// This draft as a MIME mail: its body as text/plain (none when the body is empty),
    /// `html` as text/html (alone, or with the text as multipart/alternative), and `files`
    /// attached (multipart/mixed, base64), the way mail clients build it.
    pub fn mime(&self, html: Option<&str>, files: &[FilePart]) -> Vec<u8> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let text_part = |body: &str| {
            format!(
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                body.replace('\n', "\r\n")
            )
        };
        let html_part = |body: &str| {
            format!(
                "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}\r\n",
                body.replace('\n', "\r\n")
            )
        };
        let body = match (self.body.is_empty(), html) {
            (false, None) => text_part(&self.body),
            (true, Some(h)) => html_part(h),
            (false, Some(h)) => {
                let b = format!("alt-{n}-{}", nanos());
                format!(
                    "Content-Type: multipart/alternative; boundary=\"{b}\"\r\n\r\n--{b}\r\n{}--{b}\r\n{}--{b}--\r\n",
                    text_part(&self.body),
                    html_part(h)
                )
            }
            (true, None) => text_part(""),
        };
        let body = if files.is_empty() {
            body
        } else {
            let b = format!("mixed-{n}-{}", nanos());
            let mut s =
                format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\n{body}");
            for (name, content_type, content) in files {
                s.push_str(&format!(
                    "--{b}\r\nContent-Type: {content_type}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
                    base64_lines(content)
                ));
            }
            s.push_str(&format!("--{b}--\r\n"));
            s
        };
        let mut s = self.head();
        s.push_str("MIME-Version: 1.0\r\n");
        s.push_str(&body);
        s.into_bytes()
    }

    /// Sends [`Draft::mime`] through Postfix; returns the Message-ID.
    pub async fn send_mime(&self, html: Option<&str>, files: &[FilePart<'_>]) -> String {
        let mut rcpt: Vec<&str> = self.to.iter().map(String::as_str).collect();
        rcpt.extend(self.cc.iter().map(String::as_str));
        send_raw(&self.from, &rcpt, &self.mime(html, files)).await;
        self.message_id.clone()
    }
}

/// The admin endpoint's `/healthz`: its status code and body.
pub async fn healthz(addr: std::net::SocketAddr) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// Copies the directory tree `from` to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}
