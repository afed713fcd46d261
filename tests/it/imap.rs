//! The IMAP adapter against the real local mail system (Dovecot from `scripts/mailsys/up`).
//!
//! Each test logs in as its own address (any address in gateway.test is a mailbox with
//! password "secret", created at first login), so the tests run in parallel. Mail is put in
//! with APPEND, and checked, by a second, independent client: async-imap directly over the
//! plain port, so the adapter is never used to verify itself.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::TryStreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use ticket_gateway::config::{ImapConfig, Secret, Tls};
use ticket_gateway::imap::{IdleEvent, ImapError, Session};

// ---------------------------------------------------------------------------------------------
// Tests

#[tokio::test]
async fn implicit_tls_login_select_logout() {
    let m = mailsys();
    let user = address("implicit");
    let mut s = connect(&m, &user, Tls::Implicit).await;
    assert!(s.supports_idle());
    assert!(s.supports_move());
    assert!(s.supports_uidplus());
    let state = s.select("INBOX").await.expect("select INBOX");
    assert_eq!(state.exists, 0);
    assert!(state.uid_validity > 0);
    assert!(s.uids().await.expect("uids").is_empty());
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn starttls_login() {
    let m = mailsys();
    let user = address("starttls");
    let mut s = connect(&m, &user, Tls::StartTls).await;
    assert!(s.supports_idle());
    s.select("INBOX").await.expect("select INBOX");
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn plain_login_when_tls_is_none() {
    let m = mailsys();
    let user = address("plain");
    let mut s = connect(&m, &user, Tls::None).await;
    s.select("INBOX").await.expect("select INBOX");
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn untrusted_certificate_is_a_permanent_tls_error() {
    let m = mailsys();
    let user = address("untrusted");
    for tls in [Tls::Implicit, Tls::StartTls] {
        let mut cfg = config(&m, &user, tls);
        // Without the test CA, only the webpki roots are trusted.
        cfg.ca_file = None;
        let err = Session::connect(&cfg)
            .await
            .expect_err("untrusted CA must fail");
        assert!(matches!(err, ImapError::Tls { .. }), "{tls:?}: {err:?}");
        assert!(!err.is_transient(), "{tls:?}: {err:?}");
    }
}

#[tokio::test]
async fn wrong_password_is_a_permanent_login_error() {
    let m = mailsys();
    let user = address("wrongpw");
    let mut cfg = config(&m, &user, Tls::Implicit);
    cfg.password = Secret::new("not-the-password").into();
    let err = Session::connect(&cfg)
        .await
        .expect_err("wrong password must fail");
    assert!(matches!(err, ImapError::LoginRefused { .. }), "{err:?}");
    assert!(!err.is_transient(), "{err:?}");
    assert!(!format!("{err} {err:?}").contains("not-the-password"));
}

#[tokio::test]
async fn refused_connection_is_a_transient_connect_error() {
    let m = mailsys();
    // A port that was just free: nothing listens there.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let mut cfg = config(&m, &address("refused"), Tls::Implicit);
    cfg.port = port;
    let err = Session::connect(&cfg).await.expect_err("nothing listens");
    assert!(matches!(err, ImapError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
}

/// A scripted server that offers no STARTTLS: the adapter must stop before LOGIN, so the
/// password never crosses the wire in clear. (Dovecot always offers STARTTLS, hence the script.)
#[tokio::test]
async fn starttls_refused_means_no_login_in_clear() {
    for greeting in [
        // says up front that it has no STARTTLS
        "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] scripted server ready\r\n",
        // says nothing, then refuses the command
        "* OK scripted server ready\r\n",
    ] {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let server = tokio::spawn(async move {
            let (sock, _) = listener.accept().await.expect("accept");
            let (rd, mut wr) = sock.into_split();
            wr.write_all(greeting.as_bytes()).await.expect("greet");
            let mut lines = BufReader::new(rd).lines();
            let mut received = Vec::new();
            while let Ok(Some(line)) = lines.next_line().await {
                let tag = line.split(' ').next().unwrap_or("*").to_string();
                received.push(line);
                let _ = wr
                    .write_all(format!("{tag} BAD not here\r\n").as_bytes())
                    .await;
            }
            received
        });
        let m = mailsys();
        let mut cfg = config(&m, "someone@gateway.test", Tls::StartTls);
        cfg.port = port;
        cfg.password = Secret::new("secret-never-sent").into();
        let err = Session::connect(&cfg).await.expect_err("no STARTTLS");
        assert!(matches!(err, ImapError::StartTls { .. }), "{err:?}");
        assert!(!err.is_transient());
        let received = server.await.expect("server task");
        assert!(
            received
                .iter()
                .all(|l| !l.to_ascii_uppercase().contains("LOGIN")
                    && !l.contains("secret-never-sent")),
            "sent in clear: {received:?}"
        );
    }
}

#[tokio::test]
async fn a_big_mail_is_fetched_in_parts_whole_and_beside_small_ones() {
    let m = mailsys();
    let user = address("parts");
    let mut raw = raw_session(&m, &user).await;
    // Exactly two parts, a part and a byte, and a short one, each beside a small mail.
    let part = ticket_gateway::imap::FETCH_PART as usize;
    let sizes = [2 * part, part + 1, part / 3];
    let mut mails = Vec::new();
    for (i, &size) in sizes.iter().enumerate() {
        let small = mail(i, &user);
        let mut big = mail(100 + i, &user);
        let line = format!("{i:08} the quick brown fox jumps over the lazy dog\r\n");
        while big.len() < size {
            big.extend_from_slice(line.as_bytes());
        }
        big.truncate(size - 2);
        big.extend_from_slice(b"\r\n");
        mails.push(small);
        mails.push(big);
    }
    for body in &mails {
        raw.append("INBOX", None, None, body).await.expect("append");
    }
    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.select("INBOX").await.expect("select");
    let uids = s.uids().await.expect("uids");
    let sized = s.sizes(&uids).await.expect("sizes");
    assert!(sized.iter().filter(|(_, n)| *n > part as u64).count() == 2);
    let fetched = s.fetch_sized(&sized).await.expect("fetch");
    assert_eq!(fetched.len(), mails.len());
    for ((uid, body), (&want_uid, want)) in fetched.iter().zip(uids.iter().zip(&mails)) {
        assert_eq!(*uid, want_uid);
        assert!(
            body == want,
            "uid {uid}: {} bytes fetched, {} appended",
            body.len(),
            want.len()
        );
    }
    // A mail gone before it is fetched is absent, as with a whole fetch.
    assert_eq!(
        s.fetch_in_parts(uids[1] + 1000, 3 * part as u64)
            .await
            .expect("fetch"),
        None
    );
}

#[tokio::test]
async fn fifty_mails_listed_sized_fetched_unseen_then_moved_in_one_batch() {
    let m = mailsys();
    let user = address("backlog");
    let mut raw = raw_session(&m, &user).await;
    let mails: Vec<Vec<u8>> = (0..50).map(|i| mail(i, &user)).collect();
    for body in &mails {
        raw.append("INBOX", None, None, body).await.expect("append");
    }

    let mut s = connect(&m, &user, Tls::Implicit).await;
    let state = s.select("INBOX").await.expect("select");
    assert_eq!(state.exists, 50);
    assert!(state.uid_validity > 0);

    let uids = s.uids().await.expect("uids");
    assert_eq!(uids.len(), 50);
    assert!(uids.windows(2).all(|w| w[0] < w[1]), "ascending: {uids:?}");
    assert!(state.uid_next > *uids.last().expect("50 uids"));

    // APPEND order = UID order, so uids[i] is mails[i].
    let sizes = s.sizes(&uids).await.expect("sizes");
    let expected_sizes: Vec<(u32, u64)> = uids
        .iter()
        .zip(&mails)
        .map(|(&u, b)| (u, b.len() as u64))
        .collect();
    assert_eq!(sizes, expected_sizes);

    let fetched = s.fetch(&uids).await.expect("fetch");
    assert_eq!(fetched.len(), 50);
    for ((uid, body), (&want_uid, want)) in fetched.iter().zip(uids.iter().zip(&mails)) {
        assert_eq!(*uid, want_uid);
        assert!(
            body == want,
            "uid {uid}: fetched bytes differ from appended bytes"
        );
    }

    // A subset with gaps, given out of order and with a duplicate: exactly those come back.
    let subset = [
        uids[21], uids[0], uids[2], uids[1], uids[20], uids[10], uids[2],
    ];
    let some = s.fetch(&subset).await.expect("fetch subset");
    let got: Vec<u32> = some.iter().map(|(u, _)| *u).collect();
    assert_eq!(
        got,
        vec![uids[0], uids[1], uids[2], uids[10], uids[20], uids[21]]
    );
    assert_eq!(some[3].1, mails[10]);

    // BODY.PEEK never set \Seen.
    raw.select("INBOX").await.expect("raw select");
    let seen = raw.uid_search("SEEN").await.expect("raw search");
    assert!(seen.is_empty(), "fetch set \\Seen on {seen:?}");

    s.ensure_mailbox("Processed").await.expect("create");
    s.ensure_mailbox("Processed").await.expect("exists already");

    s.move_to(&uids, "Processed").await.expect("move");
    assert!(s.uids().await.expect("uids after move").is_empty());

    assert_eq!(raw_bodies(&mut raw, "INBOX").await.len(), 0);
    let mut moved = raw_bodies(&mut raw, "Processed").await;
    let mut want = mails.clone();
    moved.sort();
    want.sort();
    assert!(
        moved == want,
        "Processed does not hold exactly the 50 mails"
    );

    s.logout().await.expect("logout");
}

#[tokio::test]
async fn mark_seen_flags_exactly_the_given_uids() {
    let m = mailsys();
    let user = address("seen");
    let mut raw = raw_session(&m, &user).await;
    for i in 0..3 {
        raw.append("INBOX", None, None, mail(i, &user))
            .await
            .expect("append");
    }
    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.select("INBOX").await.expect("select");
    let uids = s.uids().await.expect("uids");
    assert_eq!(uids.len(), 3);
    s.mark_seen(&uids[..2]).await.expect("mark seen");
    raw.select("INBOX").await.expect("raw select");
    let mut seen: Vec<u32> = raw
        .uid_search("SEEN")
        .await
        .expect("search")
        .into_iter()
        .collect();
    seen.sort_unstable();
    assert_eq!(seen, uids[..2].to_vec());
    s.logout().await.expect("logout");
}

/// Without MOVE: COPY, STORE \Deleted, then UID EXPUNGE of exactly the moved UIDs. A mail
/// someone else flagged \Deleted must survive (a plain EXPUNGE would remove it).
#[tokio::test]
async fn move_fallback_expunges_only_the_moved_uids() {
    let m = mailsys();
    let user = address("fallback");
    let mut raw = raw_session(&m, &user).await;
    for i in 0..5 {
        raw.append("INBOX", None, None, mail(i, &user))
            .await
            .expect("append");
    }
    raw.append("INBOX", Some("(\\Deleted)"), None, mail(99, &user))
        .await
        .expect("append deleted");

    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.forget_move_capability();
    assert!(!s.supports_move());
    assert!(s.supports_uidplus());
    s.ensure_mailbox("Done").await.expect("create");
    s.select("INBOX").await.expect("select");
    let uids = s.uids().await.expect("uids");
    assert_eq!(uids.len(), 6);
    s.move_to(&uids[..3], "Done").await.expect("fallback move");
    assert_eq!(s.uids().await.expect("uids after"), uids[3..].to_vec());
    assert_eq!(raw_bodies(&mut raw, "Done").await.len(), 3);
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn idle_wakes_on_append_from_another_connection() {
    let m = mailsys();
    let user = address("idlewake");
    let mut raw = raw_session(&m, &user).await;
    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.select("INBOX").await.expect("select");
    assert!(s.uids().await.expect("uids").is_empty());

    let (idling, _guard) = watch_idle();
    let cancel = CancellationToken::new();
    let timeout = Duration::from_secs(120);
    let appender = async {
        // Append only once the session is really in IDLE: the server must push the news.
        idling.notified().await;
        raw.append("INBOX", None, None, mail(0, &user))
            .await
            .expect("append");
        Instant::now()
    };
    let (result, appended_at) = tokio::join!(s.idle_wait(timeout, &cancel), appender);
    let woke_at = Instant::now();
    let (mut s, event) = result.expect("idle");
    assert_eq!(event, IdleEvent::NewData);
    assert!(woke_at.duration_since(appended_at) < timeout);
    assert_eq!(s.uids().await.expect("uids").len(), 1);
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn mail_announced_between_commands_still_wakes_idle() {
    let m = mailsys();
    let user = address("idlerace");
    let mut raw = raw_session(&m, &user).await;
    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.select("INBOX").await.expect("select");
    assert!(s.uids().await.expect("uids").is_empty());
    // Mail arrives after the listing; the server tells during the next command.
    raw.append("INBOX", None, None, mail(0, &user))
        .await
        .expect("append");
    s.mark_seen(&[4_000_000])
        .await
        .expect("store on a missing uid");
    let (mut s, event) = s
        .idle_wait(Duration::from_secs(120), &CancellationToken::new())
        .await
        .expect("idle");
    assert_eq!(event, IdleEvent::NewData);
    assert_eq!(s.uids().await.expect("uids").len(), 1);
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn idle_returns_cancelled_and_the_session_stays_usable() {
    let m = mailsys();
    let user = address("idlecancel");
    let mut s = connect(&m, &user, Tls::Implicit).await;
    s.select("INBOX").await.expect("select");

    let (idling, _guard) = watch_idle();
    let cancel = CancellationToken::new();
    let canceller = async {
        idling.notified().await;
        cancel.cancel();
    };
    let (result, ()) = tokio::join!(s.idle_wait(Duration::from_secs(120), &cancel), canceller);
    let (mut s, event) = result.expect("idle");
    assert_eq!(event, IdleEvent::Cancelled);
    assert!(s.uids().await.expect("uids after idle").is_empty());

    // Already cancelled: returns at once, without idling.
    let (s, event) = s
        .idle_wait(Duration::from_secs(120), &cancel)
        .await
        .expect("idle");
    assert_eq!(event, IdleEvent::Cancelled);
    s.logout().await.expect("logout");
}

#[tokio::test]
async fn idle_times_out_on_a_quiet_mailbox() {
    let m = mailsys();
    let user = address("idlequiet");
    let mut s = connect(&m, &user, Tls::StartTls).await;
    s.select("INBOX").await.expect("select");
    let (mut s, event) = s
        .idle_wait(Duration::from_millis(300), &CancellationToken::new())
        .await
        .expect("idle");
    assert_eq!(event, IdleEvent::Timeout);
    assert!(s.uids().await.expect("uids after idle").is_empty());
    s.logout().await.expect("logout");
}

// ---------------------------------------------------------------------------------------------
// Helpers

struct MailSys {
    dir: PathBuf,
    imaps: u16,
    starttls: u16,
    plain: u16,
}

/// Where the test mail system is; fails (never skips) when it is not running.
fn mailsys() -> MailSys {
    let dir = PathBuf::from(std::env::var("TG_MAIL_DIR").unwrap_or_else(|_| "/tmp/tg-mail".into()));
    let port = |var: &str, default: u16| -> u16 {
        match std::env::var(var) {
            Ok(v) => v
                .parse()
                .unwrap_or_else(|_| panic!("{var}={v} is not a port number")),
            Err(_) => default,
        }
    };
    let m = MailSys {
        imaps: port("TG_MAIL_IMAPS_PORT", 12993),
        starttls: port("TG_MAIL_IMAP_PORT", 12143),
        plain: port("TG_MAIL_IMAP_PLAIN_PORT", 12144),
        dir,
    };
    let ca = m.ca();
    assert!(
        ca.is_file(),
        "the test mail system is not set up: {} is missing; run `scripts/mailsys/up`",
        ca.display()
    );
    for p in [m.imaps, m.starttls, m.plain] {
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], p));
        if let Err(e) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(3)) {
            panic!(
                "the test mail system is not reachable at {addr} ({e}); run `scripts/mailsys/up`"
            );
        }
    }
    m
}

impl MailSys {
    fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.crt")
    }
}

/// A mailbox of its own for each test and run.
fn address(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .subsec_nanos();
    format!("imap-{test}-{}-{nanos}@gateway.test", std::process::id())
}

fn config(m: &MailSys, user: &str, tls: Tls) -> ImapConfig {
    let (port, ca_file) = match tls {
        Tls::Implicit => (m.imaps, Some(m.ca())),
        Tls::StartTls => (m.starttls, Some(m.ca())),
        Tls::None => (m.plain, None),
    };
    ImapConfig {
        host: "127.0.0.1".into(),
        port,
        tls,
        ca_file,
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

async fn connect(m: &MailSys, user: &str, tls: Tls) -> Session {
    Session::connect(&config(m, user, tls))
        .await
        .unwrap_or_else(|e| panic!("connect {tls:?} as {user}: {e:#?}"))
}

type Raw = async_imap::Session<TcpStream>;

/// An independent client (async-imap directly, plain port) to put mail in and look at it.
async fn raw_session(m: &MailSys, user: &str) -> Raw {
    let tcp = TcpStream::connect(("127.0.0.1", m.plain))
        .await
        .expect("raw connect; run `scripts/mailsys/up`");
    let mut client = async_imap::Client::new(tcp);
    client.read_response().await.expect("raw greeting");
    client
        .login(user, "secret")
        .await
        .map_err(|(e, _)| e)
        .expect("raw login")
}

async fn raw_bodies(raw: &mut Raw, mailbox: &str) -> Vec<Vec<u8>> {
    let state = raw.select(mailbox).await.expect("raw select");
    if state.exists == 0 {
        return Vec::new();
    }
    let fetches: Vec<_> = raw
        .uid_fetch("1:*", "BODY.PEEK[]")
        .await
        .expect("raw fetch")
        .try_collect()
        .await
        .expect("raw fetch stream");
    fetches
        .iter()
        .filter_map(|f| f.body().map(<[u8]>::to_vec))
        .collect()
}

/// A mail of its own size and content, CRLF throughout (as IMAP hands it back), 8-bit body.
fn mail(i: usize, user: &str) -> Vec<u8> {
    let mut m = format!(
        "From: Alice <alice@customer.test>\r\n\
         To: {user}\r\n\
         Subject: test mail {i}\r\n\
         Message-ID: <{i}.{user}>\r\n\
         Date: Mon, 01 Jan 2024 10:00:00 +0000\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\
         \r\n\
         Bonjour, ça ne marche pas ✓ (mail {i})\r\n"
    );
    for n in 0..i {
        m.push_str(&format!("line {n} of the body\r\n"));
    }
    m.into_bytes()
}

/// Notified once the adapter has entered IDLE (its "imap idling" debug event), so a test
/// can act while the session idles without sleeping. The subscriber is this thread's only
/// (`#[tokio::test]` runs everything on one thread); it lives as long as the guard.
fn watch_idle() -> (Arc<Notify>, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::layer::SubscriberExt;

    struct Signal(Arc<Notify>);
    struct IsIdling(bool);
    impl tracing::field::Visit for IsIdling {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" && format!("{value:?}") == "imap idling" {
                self.0 = true;
            }
        }
    }
    impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Signal {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            let mut v = IsIdling(false);
            event.record(&mut v);
            if v.0 {
                self.0.notify_one();
            }
        }
    }
    let notify = Arc::new(Notify::new());
    let subscriber = tracing_subscriber::registry().with(Signal(notify.clone()));
    (notify, tracing::subscriber::set_default(subscriber))
}
