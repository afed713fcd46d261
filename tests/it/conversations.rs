//! Conversations as real people and clients write them, end to end through the real Dovecot
//! and Postfix of `scripts/mailsys` (issue 3; SPEC §2.3, §2.4, §3.1–§3.5, §3.7, §3.9):
//! strangers, forged staff mail, HTML replies, attachments, timers across a restart, replies
//! to closed tickets, and the language of a ticket.

use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use ticket_gateway::core::{EventKind, Lang, State};

use crate::support::*;

fn has_tag(r: &Received, tag: &str) -> bool {
    r.subject.contains(&format!("[{tag}]"))
}

/// What a gateway mail is, from its `X-Ticket-Gateway: SUP-1; reminder` header.
fn is(r: &Received, tag: &str, kind: &str) -> bool {
    r.header("X-Ticket-Gateway").as_deref() == Some(&format!("{tag}; {kind}"))
}

/// The attached files of a received mail: (name, content type, bytes).
fn files(r: &Received) -> Vec<(String, String, Vec<u8>)> {
    let m = MessageParser::default().parse(&r.raw).expect("a mail");
    m.attachments()
        .map(|a| {
            let ct = a
                .content_type()
                .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("")))
                .unwrap_or_default();
            (
                a.attachment_name().unwrap_or("").to_string(),
                ct,
                a.contents().to_vec(),
            )
        })
        .collect()
}

/// Lines with text, trimmed: a comment compared without caring about blank lines.
fn lines(s: &str) -> Vec<&str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty()).collect()
}

// ---------------------------------------------------------------------------------------------
// SPEC §3.4: strangers and participants

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_with_a_valid_tag_opens_a_new_ticket_and_the_old_one_is_unchanged() {
    let h = Harness::start("stranger").await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "VPN drops every hour",
        "Hello,\nthe VPN connection drops every hour since Monday.\nAlice",
    )
    .cc(&n.bob)
    .send()
    .await;
    let t1 = h.wait_ticket(1, "ticket 1", |_| true).await;
    assert_eq!(t1.participants, vec![n.bob.clone()], "Cc of the first mail");
    let ack = wait_mail(&n.alice, "acknowledgement", |r| has_tag(r, "SUP-1")).await;
    h.wait_inbox_empty().await;
    let before = h.ticket(1).unwrap();

    // Mallory replies with the tag, pretending through Reply-To and Sender to be Alice.
    Draft::reply_to(
        &n.mallory,
        &n.support,
        &ack,
        "#close\nI have the same problem, close this one and fix mine.",
    )
    .header("Reply-To", &n.alice)
    .header("Sender", &n.alice)
    .send()
    .await;
    let t2 = h
        .wait_ticket(2, "the stranger's own ticket", |_| true)
        .await;
    assert_eq!(
        t2.reporter, n.mallory,
        "identity is From, never Reply-To/Sender"
    );
    assert_eq!(t2.refers_to, Some(ticket_gateway::core::TicketId(1)));
    assert_eq!(t2.state, State::Open);
    assert!(
        t2.description().starts_with("Refers to [SUP-1]."),
        "{}",
        t2.description()
    );
    assert_eq!(t2.summary, "VPN drops every hour");
    let why = t2.events[0].log().join("\n");
    assert!(
        why.contains("stranger to SUP-1") && why.contains("SUP-1 is unchanged"),
        "{why}"
    );
    h.wait_inbox_empty().await;
    assert_eq!(h.ticket(1).unwrap(), before, "ticket 1 is untouched");

    // Mallory is answered on her own ticket; staff see it names SUP-1; Alice hears nothing.
    let ack2 = wait_mail(&n.mallory, "acknowledgement of SUP-2", |r| {
        has_tag(r, "SUP-2")
    })
    .await;
    assert!(is(&ack2, "SUP-2", "acknowledgement"));
    let staff = wait_mail(&n.team, "new-ticket email for SUP-2", |r| {
        is(r, "SUP-2", "new_ticket")
    })
    .await;
    assert!(staff.text.contains("Refers to [SUP-1]"), "{}", staff.text);
    h.settle().await;
    let to_alice = mails(&n.alice, |_| true).await;
    assert_eq!(
        to_alice.len(),
        1,
        "only Alice's own acknowledgement: {:?}",
        to_alice.iter().map(|r| &r.subject).collect::<Vec<_>>()
    );

    // Bob, a participant from the first mail's Cc, is no stranger: his reply is a comment.
    Draft::reply_to(
        &n.bob,
        &n.support,
        &ack,
        "Same for me, on the office network.",
    )
    .send()
    .await;
    let t1 = h
        .wait_ticket(1, "Bob's comment", |t| t.events.len() == 2)
        .await;
    let c = t1.events.last().unwrap();
    assert_eq!(
        (c.kind, c.from.as_str()),
        (EventKind::Comment, n.bob.as_str())
    );
    assert_eq!(c.text, "Same for me, on the office network.");
    assert!(
        c.log().iter().any(|d| d.contains("is the participant")),
        "{:?}",
        c.decision
    );
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// SPEC §3.4: staff authentication by Authentication-Results from the pinned authserv-id

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_command_needs_a_pass_from_the_pinned_authserv_id_in_dmarc_mode() {
    let h = Harness::start_with("staffauth", |toml| {
        toml.replace(
            "[admin]",
            "authentication = \"dmarc\"\nauthserv_ids = [\"mx.gateway.test\"]\n\n[admin]",
        )
    })
    .await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "Printer is broken",
        "The printer prints blank pages.",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    h.wait_inbox_empty().await;
    let before = h.ticket(1).unwrap();
    let close = |headers: &[(&str, &str)]| {
        let mut d = Draft::reply_to(&n.staff, &n.support, &new, "#close\nFixed the fuser.");
        for (k, v) in headers {
            d = d.header(k, v);
        }
        d
    };

    // 1. No Authentication-Results at all: a customer mail from that address, never a command.
    close(&[]).send().await;
    let t2 = h
        .wait_ticket(2, "the unauthenticated mail's ticket", |_| true)
        .await;
    assert_eq!(t2.reporter, n.staff);
    assert_eq!(t2.refers_to, Some(ticket_gateway::core::TicketId(1)));
    let why = t2.events[0].log().join("\n");
    assert!(
        why.contains("failed authentication") && why.contains("never as a command"),
        "{why}"
    );
    assert!(why.contains("staff warned"), "{why}");
    let warning = wait_mail(&n.team, "staff warning", |r| {
        is(r, "SUP-2", "staff_warning")
    })
    .await;
    assert!(warning.text.contains(&n.staff), "{}", warning.text);
    assert!(warning.text.contains("dmarc"), "{}", warning.text);
    assert!(
        warning.text.contains("#close"),
        "the warning shows what the mail said: {}",
        warning.text
    );
    h.wait_inbox_empty().await;
    assert_eq!(h.ticket(1).unwrap(), before, "not closed");

    // 2. A pass, but from an authserv-id that is not pinned: ignored (RFC 8601).
    close(&[(
        "Authentication-Results",
        "mx.evil.test; dkim=pass header.d=gateway.test; dmarc=pass header.from=gateway.test",
    )])
    .send()
    .await;
    let t3 = h
        .wait_ticket(3, "the mail with a foreign pass", |_| true)
        .await;
    let why = t3.events[0].log().join("\n");
    assert!(
        why.contains("failed authentication") && why.contains("other authserv-ids ignored"),
        "{why}"
    );
    wait_mail(&n.team, "second staff warning", |r| {
        is(r, "SUP-3", "staff_warning")
    })
    .await;
    h.wait_inbox_empty().await;
    assert_eq!(h.ticket(1).unwrap(), before, "still not closed");

    // 3. The same mail vouched for by the pinned authserv-id: a staff command.
    close(&[(
        "Authentication-Results",
        "mx.gateway.test; spf=pass smtp.mailfrom=gateway.test; dkim=pass header.d=gateway.test header.s=mail; dmarc=pass (p=reject) header.from=gateway.test",
    )])
    .send()
    .await;
    let t1 = h
        .wait_ticket(1, "closed by staff", |t| t.state == State::Closed)
        .await;
    let ev = t1.events.last().unwrap();
    assert_eq!(ev.kind, EventKind::StaffComment);
    assert_eq!(ev.text, "Fixed the fuser.");
    let why = ev.log().join("\n");
    assert!(
        why.contains("is staff (dmarc=pass for gateway.test by mx.gateway.test)"),
        "{why}"
    );
    assert!(why.contains("keyword #close applied"), "{why}");
    let update = wait_mail(&n.alice, "the close", |r| is(r, "SUP-1", "staff_update")).await;
    assert!(update.text.contains("Fixed the fuser."), "{}", update.text);
    assert!(update.text.contains("Closed"), "{}", update.text);
    h.wait_inbox_empty().await;
    h.settle().await;
    assert_eq!(h.tickets().len(), 3);
    let warnings = mails(&n.team, |r| {
        r.header("X-Ticket-Gateway")
            .is_some_and(|v| v.ends_with("staff_warning"))
    })
    .await;
    assert_eq!(warnings.len(), 2, "no warning for the authenticated mail");
}

// ---------------------------------------------------------------------------------------------
// SPEC §3.2: HTML replies as Outlook and Gmail write them

fn outlook_reply(support: &str, alice: &str, question: &str) -> String {
    let quoted: String = question
        .lines()
        .map(|l| format!("{}<br>\n", l.replace('<', "&lt;").replace('>', "&gt;")))
        .collect();
    format!(
        r##"<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css" style="display:none;"> P {{margin-top:0;margin-bottom:0;}} </style>
</head>
<body dir="ltr">
<div class="elementToProof" style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
It is version 4.2, on Windows 11.</div>
<div class="elementToProof" style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
<br>
</div>
<div class="elementToProof" style="font-family: Aptos, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
Alice</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Test Support &lt;{support}&gt;<br>
<b>Sent:</b> Monday, November 23, 2026 10:00 AM<br>
<b>To:</b> {alice} &lt;{alice}&gt;<br>
<b>Subject:</b> [SUP-1] The app crashes</font>
<div>&nbsp;</div>
</div>
<div class="BodyFragment"><font size="2"><span style="font-size:11pt;">
<div class="PlainText">{quoted}</div>
</span></font></div>
</body>
</html>"##
    )
}

fn gmail_reply(support: &str, question: &str) -> String {
    let quoted: String = question
        .lines()
        .map(|l| format!("{}<br>", l.replace('<', "&lt;").replace('>', "&gt;")))
        .collect();
    format!(
        r#"<div dir="ltr">It also crashes when I open the settings page.<div><br></div><div>Alice</div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Nov 23, 2026 at 10:00 AM Test Support &lt;<a href="mailto:{support}">{support}</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">{quoted}</blockquote></div>
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn html_replies_from_outlook_and_gmail_become_clean_comments() {
    let h = Harness::start("html").await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "The app crashes",
        "Hello,\nthe app crashes at start-up.\nAlice",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#waiting\nWhich version of the app do you use?",
    )
    .send()
    .await;
    let question = wait_mail(&n.alice, "the question", |r| is(r, "SUP-1", "staff_update")).await;

    // Outlook (new Outlook / OWA): HTML only, the question under a divRplyFwdMsg header block.
    let mut d = Draft::reply_to(&n.alice, &n.support, &question, "");
    d.body.clear();
    d.subject = "RE: [SUP-1] The app crashes".into();
    d.send_mime(
        Some(&outlook_reply(&n.support, &n.alice, &question.text)),
        &[],
    )
    .await;
    let t = h
        .wait_ticket(1, "Outlook feedback", |t| t.state == State::Open)
        .await;
    let ev = t.events.last().unwrap();
    assert_eq!(ev.kind, EventKind::Comment);
    // The closing "Alice" is the sender's own name: a signature, not part of the comment.
    assert_eq!(
        lines(&ev.text),
        ["It is version 4.2, on Windows 11."],
        "{:?}",
        ev.text
    );
    let update = wait_mail(&n.team, "Outlook feedback to staff", |r| {
        r.text.contains("version 4.2")
    })
    .await;
    for quoted in ["Which version of the app", "Sent:", "From:"] {
        assert!(!update.text.contains(quoted), "{quoted}: {}", update.text);
    }

    // Gmail, HTML only: the question inside div.gmail_quote.
    let mut d = Draft::reply_to(&n.alice, &n.support, &question, "");
    d.body.clear();
    d.send_mime(Some(&gmail_reply(&n.support, &question.text)), &[])
        .await;
    let t = h
        .wait_ticket(1, "Gmail comment", |t| t.events.len() == 4)
        .await;
    assert_eq!(
        lines(&t.events[3].text),
        ["It also crashes when I open the settings page."],
        "{:?}",
        t.events[3].text
    );

    // Gmail as it really sends: text/plain and HTML alternatives.
    let d = Draft::reply_to(
        &n.alice,
        &n.support,
        &question,
        "And the log file is empty.\n\nAlice",
    );
    d.send_mime(Some(&gmail_reply(&n.support, &question.text)), &[])
        .await;
    let t = h
        .wait_ticket(1, "Gmail alternative comment", |t| t.events.len() == 5)
        .await;
    assert_eq!(
        lines(&t.events[4].text),
        ["And the log file is empty."],
        "{:?}",
        t.events[4].text
    );
    for e in &t.events[2..] {
        assert!(!e.text.contains("Which version"), "{:?}", e.text);
        assert!(!e.text.contains("wrote:"), "{:?}", e.text);
    }
    assert_eq!(t.state, State::Open);
    h.wait_inbox_empty().await;
}

// ---------------------------------------------------------------------------------------------
// SPEC §3.7: attachments

/// A real PNG (RGB gradient), written by hand: stored deflate blocks, CRC-32 and Adler-32.
fn png(width: u32, height: u32) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= b as u32;
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend(crc32(&c).to_be_bytes());
    }
    let mut raw = Vec::new();
    for y in 0..height {
        raw.push(0); // filter: none
        for x in 0..width {
            raw.extend([(x * 255 / width) as u8, (y * 255 / height) as u8, 160]);
        }
    }
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend(len.to_le_bytes());
        z.extend((!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + byte as u32) % 65_521;
        b = (b + a) % 65_521;
    }
    z.extend(((b << 16) | a).to_be_bytes());
    let mut ihdr = Vec::new();
    ihdr.extend(width.to_be_bytes());
    ihdr.extend(height.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]); // 8-bit RGB
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_screenshot_reaches_staff_and_a_staff_file_reaches_the_customer() {
    let h = Harness::start_with("attach", |toml| {
        toml.replace(
            "closed_reply = \"comment\"",
            "closed_reply = \"comment\"\nforward_attachments_max = \"64KiB\"",
        )
    })
    .await;
    let n = h.names.clone();
    let screenshot = png(160, 100);
    assert!(screenshot.len() < 64 * 1024 && screenshot.len() > 40_000);
    let log: Vec<u8> = (0..3000)
        .flat_map(|i| {
            format!("2026-11-23 10:00:{:02} app[42]: render failed\n", i % 60).into_bytes()
        })
        .collect();
    assert!(
        log.len() > 64 * 1024,
        "the log is over the forwarding limit"
    );

    Draft::new(
        &n.alice,
        &n.support,
        "Error on the dashboard",
        "Hello,\nthe dashboard shows an error, see the screenshot and the log.\nAlice",
    )
    .send_mime(
        None,
        &[
            ("screenshot.png", "image/png", &screenshot),
            ("app.log", "text/plain", &log),
        ],
    )
    .await;
    let t = h.wait_ticket(1, "ticket 1", |_| true).await;
    let kept: Vec<(&str, u64)> = t.events[0]
        .attachments
        .iter()
        .map(|a| (a.name.as_str(), a.size))
        .collect();
    assert_eq!(
        kept,
        [
            ("screenshot.png", screenshot.len() as u64),
            ("app.log", log.len() as u64)
        ]
    );
    // Each kept once, by content hash, under the store.
    for (a, content) in t.events[0].attachments.iter().zip([&screenshot, &log]) {
        let path = h
            .config()
            .gateway
            .store
            .join("attachments")
            .join(&a.sha256[..2])
            .join(&a.sha256);
        assert_eq!(&std::fs::read(&path).expect("stored attachment"), content);
    }
    let why = t.events[0].log().join("\n");
    assert!(
        why.contains("not forwarded") && why.contains("app.log"),
        "{why}"
    );

    // Staff get the screenshot as a real attachment; the log is listed, said not attached.
    let new = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    let got = files(&new);
    assert_eq!(
        got.len(),
        1,
        "{:?}",
        got.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(got[0].0, "screenshot.png");
    assert_eq!(got[0].1, "image/png");
    assert_eq!(got[0].2, screenshot, "the same bytes");
    assert!(new.text.contains("screenshot.png"), "{}", new.text);
    assert!(
        new.text.contains("app.log") && new.text.contains("not attached"),
        "{}",
        new.text
    );
    // The customer's acknowledgement does not echo her files.
    let ack = wait_mail(&n.alice, "acknowledgement", |r| {
        is(r, "SUP-1", "acknowledgement")
    })
    .await;
    assert!(files(&ack).is_empty());

    // A staff member attaches a file to the answer: the customer gets it.
    let driver: Vec<u8> = b"PK\x03\x04"
        .iter()
        .copied()
        .chain((0..20_000u32).map(|i| (i * 7 % 251) as u8))
        .collect();
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#resolve\nPlease install the attached driver update.",
    )
    .send_mime(None, &[("driver-update.zip", "application/zip", &driver)])
    .await;
    h.wait_ticket(1, "resolved", |t| t.state == State::Resolved)
        .await;
    let answer = wait_mail(&n.alice, "the answer with the file", |r| {
        is(r, "SUP-1", "staff_update")
    })
    .await;
    assert!(
        answer
            .text
            .contains("Please install the attached driver update."),
        "{}",
        answer.text
    );
    assert!(answer.text.contains("driver-update.zip"), "{}", answer.text);
    let got = files(&answer);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "driver-update.zip");
    assert_eq!(got[0].1, "application/zip");
    assert_eq!(got[0].2, driver);
    h.wait_inbox_empty().await;
}

/// A file too big for the store's database goes out from a file of its own
/// (`<store>/outbox/`), byte for byte, and the file goes once the mail is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_file_reaches_staff_through_the_outbox_on_disk() {
    let h = Harness::start("bigfile").await;
    let n = h.names.clone();
    let dump: Vec<u8> = (0..600_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    Draft::new(
        &n.alice,
        &n.support,
        "Crash dump",
        "Hello,\nthe service crashed tonight, the dump is attached.\nAlice",
    )
    .send_mime(None, &[("core.dump", "application/octet-stream", &dump)])
    .await;
    let new = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    let got = files(&new);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "core.dump");
    assert_eq!(got[0].2, dump, "the same bytes");
    // PostgreSQL keeps every outgoing mail in its row, big or not.
    let sent = h.gw().store.outbox().unwrap();
    assert!(sent.iter().any(|e| e.size > dump.len() as u64), "{sent:?}");
    if h.config().gateway.database.is_none() {
        let dir = h.config().gateway.store.join("outbox");
        let mail_files = || -> Vec<String> {
            std::fs::read_dir(&dir)
                .map(|d| {
                    d.filter_map(|e| e.ok())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default()
        };
        crate::operate::wait_until(
            "the sent mails' files to go (the big mail's file, the spool files)",
            Duration::from_secs(30),
            || mail_files().is_empty(),
        )
        .await;
    }
    h.wait_inbox_empty().await;
}

// ---------------------------------------------------------------------------------------------
// SPEC §2.3: timers, configured in seconds, across a restart

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_in_seconds_remind_then_close_once_each_across_a_restart() {
    let mut h = Harness::start_with("timers", |toml| {
        format!(
            "{toml}\n[timers]\nwaiting_reminder = \"2s\"\nwaiting_autoclose = \"9s\"\nresolved_autoclose = \"1h\"\n"
        )
    })
    .await;
    let n = h.names.clone();
    Draft::new(
        &n.alice,
        &n.support,
        "Cannot print",
        "Hello,\nI cannot print from my laptop.\nAlice",
    )
    .send()
    .await;
    let new = wait_mail(&n.team, "new-ticket email", |r| {
        is(r, "SUP-1", "new_ticket")
    })
    .await;
    Draft::reply_to(
        &n.staff,
        &n.support,
        &new,
        "#waiting\nWhich operating system does the laptop run?",
    )
    .send()
    .await;
    h.wait_ticket(1, "waiting", |t| t.state == State::WaitingForFeedback)
        .await;

    // The reminder comes after two seconds, and repeats the question.
    let reminder = wait_mail(&n.alice, "reminder", |r| is(r, "SUP-1", "reminder")).await;
    assert!(
        reminder
            .text
            .contains("Which operating system does the laptop run?"),
        "{}",
        reminder.text
    );
    assert_eq!(
        reminder.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let t = h.ticket(1).unwrap();
    assert!(t.reminded);
    assert_eq!(t.state, State::WaitingForFeedback);

    // A restart: the reminder is not sent again, and the close still comes.
    h.restart().await;
    let t = h
        .wait_ticket(1, "closed automatically", |t| t.state == State::Closed)
        .await;
    let closed = wait_mail(&n.alice, "automatic close", |r| {
        is(r, "SUP-1", "auto_closed")
    })
    .await;
    assert!(closed.text.contains("Closed"), "{}", closed.text);
    assert_eq!(
        closed.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let staff_text = wait_mail(&n.team, "staff told of the close", |r| {
        is(r, "SUP-1", "auto_closed_staff")
    })
    .await;
    // Staff read a staff text, not the customer's "write a new email".
    assert!(
        staff_text.text.contains("was closed automatically")
            && !staff_text.text.contains("write a new email"),
        "{}",
        staff_text.text
    );
    let last = t.events.last().unwrap();
    assert_eq!(last.kind, EventKind::AutoClose);
    assert_eq!(
        (last.from_state, last.to_state),
        (Some(State::WaitingForFeedback), Some(State::Closed))
    );
    assert!(
        last.log()
            .iter()
            .any(|d| d.contains("closed automatically")),
        "{:?}",
        last.decision
    );

    // Several more ticks (one a second here), then count: once each.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = h.ticket(1).unwrap();
    let count = |k| t.events.iter().filter(|e| e.kind == k).count();
    assert_eq!(count(EventKind::Reminder), 1);
    assert_eq!(count(EventKind::AutoClose), 1);
    let to_alice = mails(&n.alice, |r| has_tag(r, "SUP-1")).await;
    let kinds: Vec<String> = to_alice
        .iter()
        .filter_map(|r| r.header("X-Ticket-Gateway"))
        .collect();
    assert_eq!(
        kinds,
        [
            "SUP-1; acknowledgement",
            "SUP-1; staff_update",
            "SUP-1; reminder",
            "SUP-1; auto_closed"
        ],
        "each once, in order"
    );
    let to_team = mails(&n.team, |r| is(r, "SUP-1", "auto_closed_staff")).await;
    assert_eq!(to_team.len(), 1);
    h.stop().await;
}

// ---------------------------------------------------------------------------------------------
// SPEC §2.2: a customer's reply to a closed ticket, both `closed_reply` modes

/// Opens ticket 1 for Alice and has her close it; returns the mail to reply to.
async fn closed_ticket(h: &Harness) -> Received {
    let n = &h.names;
    Draft::new(
        &n.alice,
        &n.support,
        "Toner is empty",
        "Hello,\nthe toner of the printer is empty.\nAlice",
    )
    .send()
    .await;
    let ack = wait_mail(&n.alice, "acknowledgement", |r| {
        is(r, "SUP-1", "acknowledgement")
    })
    .await;
    Draft::reply_to(
        &n.alice,
        &n.support,
        &ack,
        "#close\nFound a spare one, thanks.",
    )
    .send()
    .await;
    h.wait_ticket(1, "closed by the customer", |t| t.state == State::Closed)
        .await;
    h.wait_inbox_empty().await;
    ack
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_closed_ticket_is_recorded_and_the_customer_is_told_to_write_anew() {
    let h = Harness::start("closedcomment").await;
    let n = h.names.clone();
    let ack = closed_ticket(&h).await;
    let before = h.ticket(1).unwrap();
    Draft::reply_to(
        &n.alice,
        &n.support,
        &ack,
        "One more question: which toner model should I order?",
    )
    .send()
    .await;
    let t = h
        .wait_ticket(1, "the comment recorded", |t| {
            t.events.len() == before.events.len() + 1
        })
        .await;
    assert_eq!(t.state, State::Closed);
    let ev = t.events.last().unwrap();
    assert_eq!(ev.kind, EventKind::Comment);
    // The closing "Alice" is the sender's own name: a signature, not part of the comment.
    assert_eq!(
        ev.text,
        "One more question: which toner model should I order?"
    );
    assert!(
        ev.log().iter().any(|d| d.contains("ticket is closed")),
        "{:?}",
        ev.decision
    );
    let told = wait_mail(&n.alice, "closed-ticket answer", |r| {
        is(r, "SUP-1", "closed_reply")
    })
    .await;
    assert!(told.text.contains("Closed"), "{}", told.text);
    assert!(told.text.contains("write a new email"), "{}", told.text);
    let staff = wait_mail(&n.team, "staff see the comment", |r| {
        r.text.contains("which toner model")
    })
    .await;
    assert!(is(&staff, "SUP-1", "customer_update"));
    h.wait_inbox_empty().await;
    assert_eq!(h.tickets().len(), 1, "no new ticket in comment mode");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_to_a_closed_ticket_opens_a_new_one_in_new_ticket_mode() {
    let h = Harness::start_with("closednew", |toml| {
        toml.replace(
            "closed_reply = \"comment\"",
            "closed_reply = \"new_ticket\"",
        )
    })
    .await;
    let n = h.names.clone();
    let ack = closed_ticket(&h).await;
    let before = h.ticket(1).unwrap();
    Draft::reply_to(
        &n.alice,
        &n.support,
        &ack,
        "One more question: which toner model should I order?",
    )
    .send()
    .await;
    let t2 = h.wait_ticket(2, "the new ticket", |_| true).await;
    assert_eq!(t2.reporter, n.alice);
    assert_eq!(t2.refers_to, Some(ticket_gateway::core::TicketId(1)));
    assert_eq!(t2.state, State::Open);
    assert!(
        t2.description().starts_with("Refers to [SUP-1]."),
        "{}",
        t2.description()
    );
    let ack2 = wait_mail(&n.alice, "acknowledgement of SUP-2", |r| {
        is(r, "SUP-2", "acknowledgement")
    })
    .await;
    assert!(ack2.text.contains("Open"), "{}", ack2.text);
    h.wait_inbox_empty().await;
    assert_eq!(
        h.ticket(1).unwrap(),
        before,
        "the closed ticket is unchanged"
    );
    h.settle().await;
    assert!(
        mails(&n.alice, |r| is(r, "SUP-1", "closed_reply"))
            .await
            .is_empty(),
        "no closed-ticket notice in new_ticket mode"
    );
}

// ---------------------------------------------------------------------------------------------
// SPEC §3.5: the ticket's language

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn french_is_detected_without_content_language() {
    let h = Harness::start("langdetect").await;
    let n = h.names.clone();
    // No Content-Language header: the text decides.
    Draft::new(
        &n.alice,
        &n.support,
        "Mot de passe oublié",
        "Bonjour,\nje n'arrive plus à me connecter à mon compte depuis hier soir, le mot de passe est refusé.\nMerci d'avance,\nAlice",
    )
    .send()
    .await;
    let t = h.wait_ticket(1, "French ticket", |_| true).await;
    assert_eq!(t.language, Lang::Fr);
    assert!(
        t.events[0]
            .log()
            .iter()
            .any(|d| d.starts_with("language fr detected from the text")),
        "{:?}",
        t.events[0].decision
    );
    let ack = wait_mail(&n.alice, "French acknowledgement", |r| {
        is(r, "SUP-1", "acknowledgement")
    })
    .await;
    assert!(
        ack.text.contains("Nous avons bien reçu votre demande"),
        "{}",
        ack.text
    );
    assert!(ack.text.contains("Statut : Ouvert"), "{}", ack.text);
    assert_eq!(ack.header("Content-Language").as_deref(), Some("fr"));

    // German: no templates, so the default (en); a two-word mail: too short, the default.
    Draft::new(
        &n.bob,
        &n.support,
        "Drucker defekt",
        "Guten Tag,\nder Drucker im zweiten Stock druckt seit heute Morgen nur leere Seiten.\nDanke",
    )
    .send()
    .await;
    Draft::new(&n.bob, &n.support, "Merci", "Merci !")
        .send()
        .await;
    let t2 = h.wait_ticket(2, "German ticket", |_| true).await;
    let t3 = h.wait_ticket(3, "short ticket", |_| true).await;
    assert_eq!((t2.language, t3.language), (Lang::En, Lang::En));
    assert!(
        t2.events[0].log().iter().any(|d| d.contains("deu")),
        "{:?}",
        t2.events[0].decision
    );
    assert!(
        t3.events[0].log().iter().any(|d| d.contains("too short")),
        "{:?}",
        t3.events[0].decision
    );
    let ack3 = wait_mail(&n.bob, "English acknowledgement", |r| {
        is(r, "SUP-3", "acknowledgement")
    })
    .await;
    assert_eq!(ack3.header("Content-Language").as_deref(), Some("en"));
    assert!(ack3.text.contains("Status: Open"), "{}", ack3.text);
}
