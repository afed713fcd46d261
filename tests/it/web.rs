//! The customer's ticket page over HTTP (SPEC §3.10, issue 17): every rule of the page
//! server, against the real server in-process on a free port, with tickets made by real
//! mails through the pipeline and links read from the mails the gateway composed; and the
//! page in a real browser (headless Chromium through `scripts/browser/shot`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use ticket_gateway::config::Config;
use ticket_gateway::core::{Audience, State, TicketId};
use ticket_gateway::pipeline::Gateway;
use ticket_gateway::web::{Endpoint, Limits, Rate};

use crate::support::*;

/// The base URL every test's links carry: a path under it, on a host the tests never reach
/// (the page is asked of the server's real address, as a reverse proxy does).
pub const BASE_URL: &str = "https://support.example.test/help";

const SUPPORT: &str = "support@gateway.test";
const STAFF: &str = "staff@gateway.test";
const ALICE: &str = "alice@customer.test";
const BOB: &str = "bob@customer.test";

// ---------------------------------------------------------------------------------------------
// An HTTP client that says exactly what it is told

/// One HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpReply {
    pub status: u16,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Sends `METHOD path` with `headers` on a connection of its own, and reads the answer.
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpReply {
    let go = async {
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: support.example.test\r\nConnection: close\r\n"
        );
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).await.expect("send");
        let mut buf = Vec::new();
        let _ = s.read_to_end(&mut buf).await;
        buf
    };
    let buf = tokio::time::timeout(Duration::from_secs(20), go)
        .await
        .expect("the server answers within 20 s");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    HttpReply {
        status,
        headers,
        body: body.to_string(),
    }
}

pub async fn get(addr: SocketAddr, path: &str) -> HttpReply {
    http(addr, "GET", path, &[]).await
}

/// The page paths (`/help/t/SUP-1/<token>`) in a mail's text.
pub fn page_paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find(BASE_URL) {
        let after = &rest[i + BASE_URL.len()..];
        let end = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || "/-_".contains(c)))
            .unwrap_or(after.len());
        out.push(format!("/help{}", &after[..end]));
        rest = &after[end..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// A gateway with its page server, no mail servers

struct Desk {
    dir: tempfile::TempDir,
    gw: Option<Arc<Gateway>>,
    addr: SocketAddr,
    cancel: CancellationToken,
    tracker: TaskTracker,
    now: i64,
}

impl Desk {
    async fn start(limits: Limits) -> Desk {
        Desk::start_with(limits, |_| String::new()).await
    }

    /// With the TOML `more` returns appended; it may write files into the config directory.
    async fn start_with(limits: Limits, more: impl FnOnce(&Path) -> String) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let mut toml = format!(
            r#"
[gateway]
address = "{SUPPORT}"
name = "Test Support"
tag_prefix = "SUP"
store = "store"
templates = "{templates}"

[imap]
host = "127.0.0.1"
username = "{SUPPORT}"
password_file = "password"

[smtp]
host = "127.0.0.1"
username = "{SUPPORT}"
password_file = "password"

[staff]
addresses = ["{STAFF}"]
notify = ["team@gateway.test"]

[admin]
listen = "127.0.0.1:0"

[web]
listen = "127.0.0.1:0"
base_url = "{BASE_URL}"
key_file = "keys/web.key"
"#,
            templates = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .display(),
        );
        toml += &more(dir.path());
        std::fs::write(dir.path().join("gateway.toml"), toml).unwrap();
        let mut d = Desk {
            dir,
            gw: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            cancel: CancellationToken::new(),
            tracker: TaskTracker::new(),
            now: 1_795_428_000,
        };
        d.serve(limits).await;
        d
    }

    fn config(&self) -> Config {
        Config::load(&self.dir.path().join("gateway.toml")).unwrap_or_else(|e| panic!("{e}"))
    }

    async fn serve(&mut self, limits: Limits) {
        let gw = Arc::new(
            ticket_gateway::daemon::open_gateway(self.config(), Duration::from_secs(5))
                .expect("gateway opens"),
        );
        let endpoint = Endpoint::bind(&gw)
            .await
            .expect("page server binds")
            .expect("web.listen is set")
            .with_limits(limits);
        self.addr = endpoint.addr();
        assert_eq!(gw.telemetry.web_addr(), Some(self.addr));
        self.cancel = CancellationToken::new();
        self.tracker = TaskTracker::new();
        self.tracker
            .spawn(endpoint.serve(gw.clone(), self.cancel.clone(), self.tracker.clone()));
        self.gw = Some(gw);
    }

    async fn stop(&mut self) {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(Duration::from_secs(10), self.tracker.wait())
            .await
            .expect("the page server stops");
        let gw = self.gw.take().expect("serving");
        gw.flush().unwrap();
        assert_eq!(Arc::strong_count(&gw), 1, "nothing else holds the gateway");
    }

    fn gw(&self) -> &Gateway {
        self.gw.as_ref().expect("serving")
    }

    /// Processes one mail as the daemon would, a minute after the one before.
    fn mail(&mut self, d: &Draft) {
        self.now += 60;
        let p = self.gw().process(&d.raw(), self.now).expect("processed");
        assert!(!p.duplicate);
        self.gw().flush().unwrap();
    }

    /// Every mail queued so far to `to` alone, oldest first, parsed.
    fn mails_to(&self, to: &str) -> Vec<Received> {
        let store = &self.gw().store;
        let mut entries = store.outbox().unwrap();
        entries.sort_by_key(|e| e.id);
        entries
            .into_iter()
            .filter(|e| e.to.iter().any(|a| a == to))
            .map(|e| {
                let raw = store.outbox_raw(e.id).unwrap().expect("its bytes");
                parse_mail(raw)
            })
            .collect()
    }

    /// The page path in the newest mail to `to`.
    fn link_of(&self, to: &str) -> String {
        let m = self.mails_to(to).pop().expect("a mail");
        let paths = page_paths(&m.text);
        assert_eq!(paths.len(), 1, "one link in {}", m.text);
        paths[0].clone()
    }

    fn path(&self, id: u64, reader: &str) -> String {
        let links = self.gw().links.as_ref().expect("links");
        format!("/help/t/SUP-{id}/{}", links.token(TicketId(id), reader))
    }
}

fn parse_mail(raw: Vec<u8>) -> Received {
    use mail_parser::MessageParser;
    let msg = MessageParser::default().parse(&raw).expect("a mail");
    let ids = |v: &mail_parser::HeaderValue| match v {
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|t| t.to_string()).collect(),
        _ => vec![],
    };
    Received {
        uid: 0,
        from: String::new(),
        to: msg
            .to()
            .map(|a| {
                a.iter()
                    .filter_map(|a| a.address())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        subject: msg.subject().unwrap_or("").to_string(),
        message_id: msg.message_id().unwrap_or("").to_string(),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        text: msg.body_text(0).map(|t| t.to_string()).unwrap_or_default(),
        html: None,
        attachments: vec![],
        raw: raw.clone(),
    }
}

/// Alice opens SUP-1 with Bob in Cc.
fn open_ticket(d: &mut Desk) -> Draft {
    let first = Draft::new(
        ALICE,
        SUPPORT,
        "Printer <b>broken</b>",
        "The printer in the office prints blank pages since this morning.",
    )
    .cc(BOB);
    d.mail(&first);
    first
}

/// A staff reply on SUP-1 with `body` (keywords and text).
fn staff(d: &mut Desk, body: &str) {
    d.mail(&Draft::new(STAFF, SUPPORT, "Re: [SUP-1] Printer", body));
}

fn assert_bare_404(r: &HttpReply, what: &str) {
    assert_eq!(r.status, 404, "{what}: {r:?}");
    assert!(r.body.is_empty(), "{what}: a bare 404 says nothing: {r:?}");
    assert_eq!(r.header("content-length"), Some("0"), "{what}");
    assert_safety_headers(r, what);
    assert_eq!(
        r.header("content-security-policy"),
        Some("default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
        "{what}"
    );
}

fn assert_safety_headers(r: &HttpReply, what: &str) {
    assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{what}");
    assert_eq!(
        r.header("x-content-type-options"),
        Some("nosniff"),
        "{what}"
    );
    assert_eq!(
        r.header("cache-control"),
        Some("private, no-store"),
        "{what}"
    );
    let csp = r.header("content-security-policy").unwrap_or("");
    assert!(csp.starts_with("default-src 'none'; "), "{what}: {csp}");
}

fn one_char_changed(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).unwrap()
}

/// The `mailto:` links of a page, with the name of their button.
fn mailtos(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("href=\"mailto:") {
        let after = &rest[i + 6..];
        let end = after.find('"').unwrap();
        let href = after[..end].replace("&amp;", "&");
        let label_start = after[end..].find('>').unwrap() + end + 1;
        let label_end = after[label_start..].find('<').unwrap() + label_start;
        out.push((after[label_start..label_end].to_string(), href));
        rest = &after[label_end..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The rules

/// A ticket of a second queue is shown with that queue's page templates, the first queue's
/// with its own.
#[tokio::test]
async fn a_second_queues_tickets_are_shown_with_its_own_page_templates() {
    const BILLING: &str = "billing@gateway.test";
    const MARK: &str = "Billing desk, open 9 to 5";
    let mut d = Desk::start_with(Limits::default(), |dir| {
        let templates = dir.join("billing-templates");
        copy_dir(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"),
            &templates,
        );
        let page = templates.join("en/page/ticket.html");
        let text = std::fs::read_to_string(&page).unwrap();
        std::fs::write(
            &page,
            text.replacen("</body>", &format!("<p>{MARK}</p></body>"), 1),
        )
        .unwrap();
        format!(
            "\n[[queues]]\naddress = \"{BILLING}\"\nname = \"Test Billing\"\n\
             tag_prefix = \"BIL\"\ntemplates = \"billing-templates\"\n\
             [queues.imap]\nhost = \"127.0.0.1\"\nusername = \"{BILLING}\"\n\
             password_file = \"password\"\n"
        )
    })
    .await;
    open_ticket(&mut d);
    d.mail(&Draft::new(
        ALICE,
        BILLING,
        "Invoice is wrong",
        "Invoice 42 is there twice.",
    ));
    let links: Vec<String> = d
        .mails_to(ALICE)
        .iter()
        .map(|m| page_paths(&m.text).pop().expect("a link"))
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert!(links[0].contains("/t/SUP-1/"), "{links:?}");
    assert!(links[1].contains("/t/BIL-1/"), "{links:?}");
    let (sup, bil) = (get(d.addr, &links[0]).await, get(d.addr, &links[1]).await);
    assert_eq!((sup.status, bil.status), (200, 200));
    assert!(bil.body.contains(MARK), "{}", bil.body);
    assert!(bil.body.contains("Invoice is wrong"), "{}", bil.body);
    assert!(!sup.body.contains(MARK), "{}", sup.body);
    d.stop().await;
}

/// Each customer gets a mail of their own with their own link (one Message-ID each, threaded
/// on what that customer saw); each link opens the page with the safety headers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_customer_gets_a_mail_and_a_link_of_their_own_that_opens_the_page() {
    let mut d = Desk::start(Limits::default()).await;
    let first = open_ticket(&mut d);
    let (a, b) = (d.mails_to(ALICE), d.mails_to(BOB));
    assert_eq!((a.len(), b.len()), (1, 1), "one acknowledgement each");
    assert_eq!(a[0].to, [ALICE], "a mail of her own");
    assert_eq!(b[0].to, [BOB]);
    assert_ne!(a[0].message_id, b[0].message_id);
    assert_eq!(a[0].in_reply_to, std::slice::from_ref(&first.message_id));
    assert_eq!(b[0].in_reply_to, std::slice::from_ref(&first.message_id));
    let (la, lb) = (d.link_of(ALICE), d.link_of(BOB));
    assert_ne!(la, lb, "each customer has a link of their own");
    assert_eq!(la, d.path(1, ALICE));
    let t = d.gw().store.ticket(TicketId(1)).unwrap().unwrap();
    let copies: Vec<(Audience, Option<&str>)> = t
        .sent
        .iter()
        .map(|s| (s.audience, s.to.as_deref()))
        .collect();
    assert!(
        copies.contains(&(Audience::Customers, Some(ALICE))),
        "{copies:?}"
    );
    assert!(
        copies.contains(&(Audience::Customers, Some(BOB))),
        "{copies:?}"
    );
    assert!(copies.contains(&(Audience::Staff, None)), "{copies:?}");
    // Staff mail carries no customer link.
    assert!(page_paths(&d.mails_to("team@gateway.test")[0].text).is_empty());

    // A staff answer: each customer's mail names the mails that customer saw, never the
    // other's copy.
    staff(&mut d, "#waiting\nWhich model is it?");
    let (a, b) = (d.mails_to(ALICE), d.mails_to(BOB));
    assert_eq!((a.len(), b.len()), (2, 2));
    assert!(
        !b[1].references.contains(&a[0].message_id),
        "{:?}",
        b[1].references
    );
    assert!(
        b[1].references.contains(&b[0].message_id),
        "{:?}",
        b[1].references
    );
    assert!(
        a[1].references.contains(&a[0].message_id),
        "{:?}",
        a[1].references
    );
    assert!(b[1].references.contains(&first.message_id));
    assert_eq!(d.link_of(BOB), lb, "the same link in every mail");

    // Bob answers his own copy: it belongs to the ticket.
    let mut reply = Draft::new(BOB, SUPPORT, "Re: the printer", "A LaserJet 4000.");
    reply = reply.header("In-Reply-To", &format!("<{}>", b[1].message_id));
    d.mail(&reply);
    let t = d.gw().store.ticket(TicketId(1)).unwrap().unwrap();
    assert_eq!(
        t.state,
        State::Open,
        "feedback from Bob reopened it for support"
    );
    assert_eq!(t.events.last().unwrap().text, "A LaserJet 4000.");

    for (who, path) in [("alice", &la), ("bob", &lb)] {
        let r = get(d.addr, path).await;
        assert_eq!(r.status, 200, "{who}: {r:?}");
        assert_safety_headers(&r, who);
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        let csp = r.header("content-security-policy").unwrap();
        assert!(csp.contains("style-src 'sha256-"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        let html = &r.body;
        // minijinja escapes `/` too.
        assert!(
            html.contains("<title>[SUP-1] Printer &lt;b&gt;broken&lt;&#x2f;b&gt;"),
            "{html}"
        );
        assert!(html.contains("state-open"), "the state badge: {html}");
        assert!(html.contains("Status: Open"), "{html}");
        assert!(
            html.contains("prints blank pages since this morning."),
            "{html}"
        );
        assert!(html.contains("Which model is it?"), "{html}");
        assert!(
            !html.contains("#waiting"),
            "staff keywords are no text: {html}"
        );
        assert!(html.contains("A LaserJet 4000."), "{html}");
        assert!(
            html.contains(ALICE) && html.contains(BOB),
            "customers are on the ticket"
        );
        // Safe by construction: no script, nothing loaded from anywhere.
        let lower = html.to_ascii_lowercase();
        for banned in [
            "<script", " src=", "<link", "<img", "<iframe", "<form", "url(", "@import", "http://",
            "https://",
        ] {
            assert!(!lower.contains(banned), "{who}: {banned} in {html}");
        }
    }
    // HEAD says the same without a body.
    let r = http(d.addr, "HEAD", &la, &[]).await;
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    d.stop().await;
}

/// A `#note`, a held staff mail, staff-only mail and staff addresses never reach the page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_held_mail_and_staff_addresses_never_show() {
    let mut d = Desk::start(Limits::default()).await;
    open_ticket(&mut d);
    staff(
        &mut d,
        "#note\nNOTE-MARKER-7f3a: the customer is on the old firmware.",
    );
    staff(&mut d, "#closed\nHELD-MARKER-91bc: closing this one.");
    staff(&mut d, "We are looking at it.");
    // Automated mail recorded on the ticket (an out-of-office) never shows either.
    d.mail(
        &Draft::new(
            "robot@elsewhere.test",
            SUPPORT,
            "Re: [SUP-1] Printer",
            "AUTO-MARKER-55d0 away",
        )
        .header("Auto-Submitted", "auto-replied"),
    );
    let t = d.gw().store.ticket(TicketId(1)).unwrap().unwrap();
    assert!(t.events.iter().any(|e| e.text.contains("NOTE-MARKER-7f3a")));
    assert!(t.events.iter().any(|e| e.text.contains("HELD-MARKER-91bc")));
    assert!(t.events.iter().any(|e| e.text.contains("AUTO-MARKER-55d0")));
    let r = get(d.addr, &d.link_of(ALICE)).await;
    assert_eq!(r.status, 200, "{r:?}");
    assert!(r.body.contains("We are looking at it."), "{}", r.body);
    for secret in [
        "NOTE-MARKER-7f3a",
        "HELD-MARKER-91bc",
        "AUTO-MARKER-55d0",
        STAFF,
        "team@gateway.test",
        "robot@elsewhere.test",
        "#note",
        "#closed",
    ] {
        assert!(!r.body.contains(secret), "{secret} on the page: {}", r.body);
    }
    d.stop().await;
}

/// Forged, tampered, other-ticket, unknown and revoked tokens, other paths and other methods:
/// the same bare 404.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wrong_token_path_and_method_gets_the_same_bare_404() {
    let mut d = Desk::start(Limits::default()).await;
    open_ticket(&mut d);
    d.mail(&Draft::new(
        "carol@other.test",
        SUPPORT,
        "Another question",
        "Hello",
    ));
    let good = d.link_of(ALICE);
    assert_eq!(get(d.addr, &good).await.status, 200);
    let token = good.rsplit('/').next().unwrap().to_string();
    let carol = d.link_of("carol@other.test");
    let carol_token = carol.rsplit('/').next().unwrap().to_string();
    let long = format!("/help/t/SUP-1/{}", "A".repeat(2000));
    let cases: Vec<(&str, String)> = vec![
        (
            "tampered token",
            format!("/help/t/SUP-1/{}", one_char_changed(&token, 5)),
        ),
        (
            "tampered last character",
            format!("/help/t/SUP-1/{}", one_char_changed(&token, 42)),
        ),
        ("forged token", format!("/help/t/SUP-1/{}", "A".repeat(43))),
        ("short token", format!("/help/t/SUP-1/{}", &token[..20])),
        (
            "another ticket's token",
            format!("/help/t/SUP-1/{carol_token}"),
        ),
        (
            "a token on another ticket",
            format!("/help/t/SUP-2/{token}"),
        ),
        ("unknown ticket", format!("/help/t/SUP-99/{token}")),
        ("ticket 0", format!("/help/t/SUP-0/{token}")),
        ("another prefix", format!("/help/t/BIL-1/{token}")),
        ("trailing slash", format!("{good}/")),
        ("extra segment", format!("{good}/x")),
        ("no base path", format!("/t/SUP-1/{token}")),
        ("no token", "/help/t/SUP-1/".into()),
        ("no tag", "/help/t/".into()),
        ("root", "/".into()),
        ("base path", "/help".into()),
        ("favicon", "/favicon.ico".into()),
        ("admin path", "/healthz".into()),
        ("traversal", format!("/help/t/SUP-1/../SUP-1/{token}")),
        ("encoded", format!("/help/t/SUP%2D1/{token}")),
        ("huge path", long),
    ];
    for (what, path) in &cases {
        assert_bare_404(&get(d.addr, path).await, what);
    }
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        let r = http(d.addr, method, &good, &[("Content-Length", "0")]).await;
        assert_bare_404(&r, method);
    }
    // The query string of a mail client's link tracker changes nothing.
    assert_eq!(
        get(d.addr, &format!("{good}?utm_source=mail")).await.status,
        200
    );
    // A request too large is refused before anything is looked at.
    let big = "x".repeat(20_000);
    let r = http(d.addr, "GET", &good, &[("X-Padding", &big)]).await;
    assert_ne!(r.status, 200, "{r:?}");
    assert!(!r.body.contains("Printer"), "{r:?}");

    // A new key revokes every link; the mails then carry links that work.
    d.stop().await;
    let key = d.dir.path().join("keys/web.key");
    let old = std::fs::read(&key).unwrap();
    assert_eq!(old.len(), 32, "made at first start");
    std::fs::write(&key, [9u8; 32]).unwrap();
    d.serve(Limits::default()).await;
    assert_bare_404(&get(d.addr, &good).await, "revoked link");
    let fresh = d.path(1, ALICE);
    assert_ne!(fresh, good);
    assert_eq!(get(d.addr, &fresh).await.status, 200);
    d.stop().await;
}

/// A missing key file is made at first start, readable by the daemon's user only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_file_is_made_private_at_first_start() {
    use std::os::unix::fs::PermissionsExt as _;
    let mut d = Desk::start(Limits::default()).await;
    let key = d.dir.path().join("keys/web.key");
    let meta = std::fs::metadata(&key).expect("made at first start");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let bytes = std::fs::read(&key).unwrap();
    d.stop().await;
    d.serve(Limits::default()).await;
    assert_eq!(std::fs::read(&key).unwrap(), bytes, "kept across restarts");
    d.stop().await;
}

/// The buttons are those the state allows (SPEC §2.2), each a `mailto:` to the support
/// address with the tag in the subject; validating carries the keyword, in the ticket's
/// language.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_buttons_follow_the_state() {
    let mut d = Desk::start(Limits::default()).await;
    open_ticket(&mut d);
    let path = d.link_of(ALICE);
    let buttons = |html: &str| {
        mailtos(html)
            .into_iter()
            .map(|(l, _)| l)
            .collect::<Vec<_>>()
    };
    for (body, state, expect) in [
        ("", State::Open, vec!["Give feedback", "Validate (close)"]),
        (
            "#ack\nConfirmed.",
            State::Acknowledged,
            vec!["Give feedback", "Validate (close)"],
        ),
        (
            "#waiting\nWhich model?",
            State::WaitingForFeedback,
            vec!["Give feedback", "Validate (close)"],
        ),
        (
            "#resolve\nFixed.",
            State::Resolved,
            vec!["Reopen", "Validate (close)"],
        ),
        (
            "#reopen\nAgain.",
            State::Reopened,
            vec!["Give feedback", "Validate (close)"],
        ),
        ("#close\nDone.", State::Closed, vec![]),
    ] {
        if !body.is_empty() {
            staff(&mut d, body);
        }
        assert_eq!(
            d.gw().store.ticket(TicketId(1)).unwrap().unwrap().state,
            state
        );
        let r = get(d.addr, &path).await;
        assert_eq!(r.status, 200);
        assert_eq!(buttons(&r.body), expect, "{}", state.as_str());
        assert!(
            r.body.contains(&format!("state-{}", state.as_str())),
            "{}",
            r.body
        );
        for (label, href) in mailtos(&r.body) {
            assert!(
                href.starts_with(&format!("mailto:{SUPPORT}?subject=%5BSUP-1%5D%20Printer%20%3Cb%3Ebroken%3C%2Fb%3E&body=")),
                "{label}: {href}"
            );
            if label.starts_with("Validate") {
                assert!(href.contains("&body=%23close%0D%0A"), "{href}");
            } else {
                assert!(!href.contains("%23"), "no keyword: {href}");
            }
        }
    }

    // A French ticket: French labels and keyword.
    d.mail(
        &Draft::new(
            BOB,
            SUPPORT,
            "Imprimante en panne",
            "Bonjour, l'imprimante n'imprime plus rien depuis ce matin.",
        )
        .header("Content-Language", "fr"),
    );
    let r = get(d.addr, &d.path(2, BOB)).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("lang=\"fr\"") && r.body.contains("Ouvert"),
        "{}",
        r.body
    );
    let m = mailtos(&r.body);
    assert_eq!(
        m.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
        ["Donner mon avis", "Valider (clore)"]
    );
    assert!(m[1].1.contains("&body=%23clore%0D%0A"), "{:?}", m[1]);
    d.stop().await;
}

/// One client past its rate gets 429 (with nothing else); another client is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_past_its_rate_is_refused_and_others_are_not() {
    let limits = Limits {
        rate: Rate {
            burst: 3,
            // Practically no refill: the test does not depend on how fast it runs.
            per_minute: 0.000_001,
        },
        ..Limits::default()
    };
    let mut d = Desk::start(limits).await;
    open_ticket(&mut d);
    let path = d.link_of(ALICE);
    let from = |ip: &'static str| [("X-Forwarded-For", ip)];
    for i in 0..3 {
        let r = http(d.addr, "GET", &path, &from("203.0.113.5")).await;
        assert_eq!(r.status, 200, "request {i}");
    }
    // Wrong guesses count too.
    let r = http(d.addr, "GET", "/help/t/SUP-1/guess", &from("203.0.113.5")).await;
    assert_eq!(r.status, 429, "{r:?}");
    assert_eq!(r.header("retry-after"), Some("60"));
    assert!(r.body.is_empty());
    let r = http(d.addr, "GET", &path, &from("203.0.113.5")).await;
    assert_eq!(r.status, 429, "the right link too, once over the rate");
    // Another client behind the same proxy is served.
    let r = http(d.addr, "GET", &path, &from("198.51.100.8")).await;
    assert_eq!(r.status, 200, "{r:?}");
    d.stop().await;
}

// ---------------------------------------------------------------------------------------------
// A real browser

/// What `scripts/browser/shot` made of a page: `None` (with the reason printed) only when
/// Chromium cannot be installed on this machine.
pub fn browser_shot(url: &str, dir: &Path) -> Option<(PathBuf, String)> {
    let png = dir.join("page.png");
    let dom = dir.join("page.html");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser/shot");
    let out = std::process::Command::new(&script)
        .arg(url)
        .arg(&png)
        .arg(&dom)
        .env("TG_SHOT_SIZE", "390,1400")
        .output()
        .expect("scripts/browser/shot runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        assert!(
            stderr.contains("Chromium cannot be installed")
                || stderr.contains("Chromium is not installed"),
            "scripts/browser/shot failed for another reason than installing Chromium:\n{stderr}"
        );
        println!("SKIPPED: the real-browser check: Chromium cannot be installed here:\n{stderr}");
        return None;
    }
    Some((png, std::fs::read_to_string(&dom).expect("the DOM dump")))
}

/// Headless Chromium loads the page from the server (its CSP and all): the screenshot is a
/// real image and the DOM holds the title and the state badge. `TG_WEB_SCREENSHOT=PATH`
/// keeps the screenshot (docs/customer-page.png is one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_browser_shows_the_page() {
    let mut d = Desk::start(Limits::default()).await;
    d.mail(
        &Draft::new(
            ALICE,
            SUPPORT,
            "Printer prints blank pages",
            "Hello,\n\nThe printer on the second floor prints blank pages since this morning.\n\nAlice",
        )
        .cc(BOB),
    );
    staff(&mut d, "#waiting\nWhich model is it, and since when?");
    d.mail(&Draft::new(
        BOB,
        SUPPORT,
        "Re: [SUP-1] Printer",
        "A LaserJet 4000, since Monday.",
    ));
    staff(
        &mut d,
        "#resolve\nWe replaced the fuser: it prints again.\nPlease tell us if it does not.",
    );
    let url = format!("http://{}{}", d.addr, d.link_of(ALICE));
    let dir = tempfile::tempdir().unwrap();
    let shot = {
        let dir = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || browser_shot(&url, &dir))
            .await
            .unwrap()
    };
    if let Some((png, dom)) = shot {
        let bytes = std::fs::read(&png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        assert!(
            bytes.len() > 10_000,
            "a page, not a blank: {} bytes",
            bytes.len()
        );
        assert!(
            dom.contains("<title>[SUP-1] Printer prints blank pages · Test Support</title>"),
            "{dom}"
        );
        assert!(
            dom.contains("class=\"badge state-resolved\"") && dom.contains("Status: Resolved"),
            "{dom}"
        );
        assert!(
            dom.contains("We replaced the fuser: it prints again."),
            "{dom}"
        );
        assert!(
            dom.contains(">Reopen<") && dom.contains(">Validate (close)<"),
            "{dom}"
        );
        if let Some(to) = std::env::var_os("TG_WEB_SCREENSHOT") {
            std::fs::copy(&png, to).unwrap();
        }
    }
    d.stop().await;
}
