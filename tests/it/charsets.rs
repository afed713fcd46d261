//! Charsets and encodings (SPEC §3.2, §3.7) and bad input (SPEC §3.8), through
//! `ticket_gateway::mime::parse`:
//! - `tests/data/charsets/NAME.eml` must decode to `NAME.expected.json` (subject, sender, pieces
//!   of the body, attachment names, maybe the reply text);
//! - `tests/data/malformed/*.eml` each give what their row in `MALFORMED` says: an error, no
//!   usable sender, or a mail with its sender, text, files and decision-log repairs;
//! - no input panics: every fixture, cut short and with bytes flipped, still returns;
//! - live: a few of them through the real Dovecot and Postfix make the right tickets.
//!
//! The fixtures are built by `tests/data/charsets/make_charsets.py` and
//! `tests/data/malformed/make_malformed.py`; the README beside each lists the class of real
//! mail every fixture stands for.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use ticket_gateway::mime::{parse, MimeError};

fn data_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(sub)
}

fn files(sub: &str, ext: &str) -> Vec<PathBuf> {
    let dir = data_dir(sub);
    let mut out: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    out.sort();
    out
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn charset_fixtures_decode_to_utf8() {
    let emls = files("charsets", "eml");
    assert!(emls.len() >= 55, "only {} charset fixtures", emls.len());
    let mut problems = Vec::new();
    for eml in &emls {
        let name = eml
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let expected_path = eml.with_extension("expected.json");
        let expected: Value = serde_json::from_str(
            &fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let raw = fs::read(eml).expect("read fixture");
        let parsed = match parse(&raw) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{name}: parse error: {e}"));
                continue;
            }
        };
        let mail = &parsed.mail;
        let want_subject = expected["subject"].as_str().unwrap_or_default();
        if mail.subject != want_subject {
            problems.push(format!(
                "{name}: subject {:?}, expected {want_subject:?}",
                mail.subject
            ));
        }
        if let Some(want) = expected.get("from_name").and_then(Value::as_str) {
            let got = mail.from.as_ref().and_then(|a| a.name.as_deref());
            if got != Some(want) {
                problems.push(format!("{name}: sender name {got:?}, expected {want:?}"));
            }
        }
        if let Some(want) = expected.get("from_addr").and_then(Value::as_str) {
            let got = mail.from.as_ref().map(|a| a.addr.as_str());
            if got != Some(want) {
                problems.push(format!("{name}: sender {got:?}, expected {want:?}"));
            }
        }
        for piece in strings(&expected, "body_contains") {
            if !mail.body.contains(&piece) {
                problems.push(format!("{name}: body {:?} lacks {piece:?}", mail.body));
            }
        }
        if let Some(want) = expected.get("reply_text").and_then(Value::as_str) {
            if mail.reply_text != want {
                problems.push(format!(
                    "{name}: reply_text {:?}, expected {want:?}",
                    mail.reply_text
                ));
            }
        }
        let names: Vec<String> = mail.attachments.iter().map(|a| a.name.clone()).collect();
        let want_names = strings(&expected, "attachments");
        if names != want_names {
            problems.push(format!(
                "{name}: attachments {names:?}, expected {want_names:?}"
            ));
        }
        for text in [&mail.subject, &mail.body] {
            if text.contains('\u{fffd}') || text.contains('\u{1b}') {
                problems.push(format!("{name}: undecoded bytes in {text:?}"));
            }
        }
        assert_eq!(parsed.attachments.len(), mail.attachments.len(), "{name}");
        for (data, info) in parsed.attachments.iter().zip(&mail.attachments) {
            assert_eq!(data.info, *info, "{name}");
            assert_eq!(info.size, data.content.len() as u64, "{name}");
            assert_eq!(info.sha256.len(), 64, "{name}");
        }
    }
    assert!(
        problems.is_empty(),
        "charset problems:\n{}",
        problems.join("\n")
    );
}

#[test]
fn attachment_contents_are_the_decoded_bytes() {
    let raw = fs::read(data_dir("charsets").join("rfc2231_continuations.eml")).expect("read");
    let parsed = parse(&raw).expect("parses");
    assert_eq!(parsed.attachments[0].content, b"PK\x03\x04 fake xlsx");
    assert_eq!(
        parsed.attachments[0].info.content_type,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // The line break before the boundary belongs to the boundary; the one before it is content.
    assert_eq!(parsed.attachments[1].content, b"plain continuation\r\n");
    // sha256("PK\x03\x04 fake xlsx")
    let expected = {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(b"PK\x03\x04 fake xlsx");
        digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(parsed.attachments[0].info.sha256, expected);
}

/// What a malformed mail must give.
enum Expect {
    /// `parse` fails with this reason (`MimeError::reason`).
    Error(&'static str),
    /// It parses, without a usable sender (quarantined with a notice by the pipeline).
    NoSender,
    /// It parses: this sender, a piece of its text ("" for none), these files, and one
    /// decision-log line containing each of `repairs`.
    Mail {
        from: &'static str,
        text: &'static str,
        files: &'static [&'static str],
        repairs: &'static [&'static str],
    },
}

const fn mail(from: &'static str, text: &'static str) -> Expect {
    Expect::Mail {
        from,
        text,
        files: &[],
        repairs: &[],
    }
}

const ALICE: &str = "alice@example.org";

/// Every file of `tests/data/malformed/`, the class of real mail it stands for, and what it gives.
const MALFORMED: &[(&str, &str, Expect)] = &[
    // Still unusable (SPEC §3.8: no header block at all, or one no mail has).
    (
        "header_line_1mb.eml",
        "a 1 MiB header line",
        Expect::Error("header_line_too_long"),
    ),
    (
        "nul_in_headers.eml",
        "NUL bytes in the headers",
        Expect::Error("nul_in_headers"),
    ),
    (
        "not_a_mail.eml",
        "a PNG file, no header block",
        Expect::Error("not_a_mail"),
    ),
    ("empty.eml", "zero bytes", Expect::Error("not_a_mail")),
    (
        "body_only.eml",
        "text without a header block",
        Expect::Error("not_a_mail"),
    ),
    // No usable sender: parsed, then quarantined with a notice.
    ("no_from.eml", "no From header", Expect::NoSender),
    (
        "from_unusable.eml",
        "From: undisclosed-recipients:;",
        Expect::NoSender,
    ),
    (
        "from_empty_angle.eml",
        "From: \"我\" <> (spam)",
        Expect::NoSender,
    ),
    // Strict MIME must not quarantine readable mail.
    (
        "truncated_mime.eml",
        "multipart never closed, inside a base64 file",
        Expect::Mail {
            from: ALICE,
            text: "See the PDF.",
            files: &["r.pdf"],
            repairs: &["never closed"],
        },
    ),
    (
        "unclosed_text_last.eml",
        "multipart never closed, the text part last",
        Expect::Mail {
            from: ALICE,
            text: "The question comes last",
            files: &["r.pdf"],
            repairs: &["never closed"],
        },
    ),
    (
        "unclosed_alternative.eml",
        "alternative cut inside its HTML part",
        Expect::Mail {
            from: ALICE,
            text: "Plain text of a cut mail.",
            files: &[],
            repairs: &["never closed"],
        },
    ),
    (
        "unclosed_nested.eml",
        "outer multipart never closed, inner one closed",
        Expect::Mail {
            from: ALICE,
            text: "Inner text.",
            files: &["shot.png"],
            repairs: &["never closed"],
        },
    ),
    (
        "broken_base64.eml",
        "bad base64 in the one attachment",
        Expect::Mail {
            from: ALICE,
            text: "See the PDF.",
            files: &["r.pdf"],
            repairs: &["broken base64"],
        },
    ),
    (
        "bad_base64_audio.eml",
        "bad base64 in an audio file, a good PDF beside it",
        Expect::Mail {
            from: ALICE,
            text: "A voice message is attached.",
            files: &["voice.mp3", "ok.pdf"],
            repairs: &["broken base64, kept as it came as voice.mp3"],
        },
    ),
    (
        "broken_base64_body.eml",
        "bad base64 in the body itself",
        Expect::Mail {
            from: ALICE,
            text: "",
            files: &["attachment-1.txt"],
            repairs: &["broken base64"],
        },
    ),
    (
        "junk_line_before_headers.eml",
        "one junk line before the headers",
        Expect::Mail {
            from: ALICE,
            text: "The text after a junk line.",
            files: &[],
            repairs: &["before the headers"],
        },
    ),
    (
        "mbox_from_line.eml",
        "an mbox From line before the headers",
        mail(ALICE, "The text after an mbox separator."),
    ),
    (
        "no_mime_version.eml",
        "multipart without MIME-Version",
        Expect::Mail {
            from: ALICE,
            text: "Please see the attached file.",
            files: &["r.pdf"],
            repairs: &[],
        },
    ),
    (
        "boundary_odd_whitespace.eml",
        "boundary parameter and delimiters with odd whitespace",
        Expect::Mail {
            from: ALICE,
            text: "The text between odd boundaries.",
            files: &["r.pdf"],
            repairs: &[],
        },
    ),
    (
        "boundary_single_quoted.eml",
        "boundary='b' in single quotes, delimiters --b",
        Expect::Mail {
            from: ALICE,
            text: "The text under a single-quoted boundary.",
            files: &["r.pdf"],
            repairs: &["the parts use"],
        },
    ),
    ("headers_only.eml", "headers, no body", mail(ALICE, "")),
    ("lf_only.eml", "LF line ends", mail(ALICE, "Plain LF mail.")),
    (
        "binary_header_bytes.eml",
        "garbage 8-bit bytes in the subject",
        mail(ALICE, "body"),
    ),
    (
        "truncated_bounce.eml",
        "a bounce whose returned message is cut",
        mail("mailer-daemon@mx.example.com", ""),
    ),
    (
        "deep_nesting.eml",
        "200 nested multiparts",
        mail(ALICE, "deep"),
    ),
    (
        "boundary_never_used.eml",
        "a boundary declared and never used",
        mail(ALICE, "Just text, no parts."),
    ),
    (
        "broken_encoded_words.eml",
        "unterminated encoded word, unbalanced quotes and brackets",
        mail(ALICE, "body"),
    ),
    // No MIME part is ever dropped.
    (
        "inline_image_empty_name.eml",
        "inline image named =?utf-8?b??=",
        Expect::Mail {
            from: ALICE,
            text: "Look:",
            files: &["attachment-1.png"],
            repairs: &[],
        },
    ),
    (
        "name_only_separators.eml",
        "file names that are only path separators, or empty",
        Expect::Mail {
            from: ALICE,
            text: "Please see",
            files: &["attachment-1.pdf", "attachment-2.jpg"],
            repairs: &[],
        },
    ),
    (
        "related_inline_images.eml",
        "cid images of an HTML body, without names",
        Expect::Mail {
            from: ALICE,
            text: "See the screenshots.",
            files: &["attachment-1.png", "attachment-2.gif"],
            repairs: &[],
        },
    ),
    (
        "attached_message.eml",
        "a forwarded message/rfc822 part",
        Expect::Mail {
            from: ALICE,
            text: "Forwarding",
            files: &["attachment-1.eml"],
            repairs: &[],
        },
    ),
    (
        "calendar_invitation.eml",
        "a calendar invitation: text/calendar alternative and .ics file",
        Expect::Mail {
            from: ALICE,
            text: "You are invited",
            files: &["attachment-1.ics", "invite.ics"],
            repairs: &[],
        },
    ),
    (
        "root_calendar.eml",
        "a mail that is only a text/calendar part",
        Expect::Mail {
            from: ALICE,
            text: "",
            files: &["attachment-1.ics"],
            repairs: &[],
        },
    ),
    (
        "tnef_winmail.eml",
        "Outlook rich text as TNEF (winmail.dat)",
        Expect::Mail {
            from: ALICE,
            text: "Sent from Outlook",
            files: &["winmail.dat"],
            repairs: &[],
        },
    ),
    // Sender read right.
    (
        "from_no_brackets.eml",
        "From: Name address, no angle brackets",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_comment_name.eml",
        "From: address (Name)",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_group.eml",
        "From in group syntax",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_multiple.eml",
        "two From mailboxes",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_idn.eml",
        "an IDN domain in UTF-8",
        mail("joerg@bücher.example", "odd sender"),
    ),
    (
        "from_odd_quotes.eml",
        "single quotes, doubled angle brackets",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_encoded_name.eml",
        "a display name split over two encoded words",
        mail(ALICE, "odd sender"),
    ),
    (
        "from_obsolete_route.eml",
        "an obsolete source route",
        mail(ALICE, "odd sender"),
    ),
];

#[test]
fn malformed_mails_give_their_expected_outcome() {
    let on_disk = files("malformed", "eml");
    assert_eq!(
        on_disk.len(),
        MALFORMED.len(),
        "every malformed fixture has a row in MALFORMED"
    );
    let mut problems = Vec::new();
    for (file, class, expect) in MALFORMED {
        let raw =
            fs::read(data_dir("malformed").join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let result = parse(&raw);
        match (expect, &result) {
            (Expect::Error(reason), Err(e)) => {
                assert_eq!(e.reason(), *reason, "{file}: {e}");
                let message = e.to_string();
                assert!(
                    message.starts_with(|c: char| c.is_ascii_lowercase()),
                    "{file}: {message}"
                );
            }
            (Expect::NoSender, Ok(p)) => assert_eq!(p.mail.from, None, "{file}"),
            (
                Expect::Mail {
                    from,
                    text,
                    files,
                    repairs,
                },
                Ok(p),
            ) => {
                let m = &p.mail;
                let got_from = m.from.as_ref().map(|a| a.addr.as_str());
                if got_from != Some(*from) {
                    problems.push(format!(
                        "{file} ({class}): sender {got_from:?}, expected {from:?}"
                    ));
                }
                if !m.body.contains(text) {
                    problems.push(format!(
                        "{file} ({class}): body {:?} lacks {text:?}",
                        m.body
                    ));
                }
                let names: Vec<&str> = m.attachments.iter().map(|a| a.name.as_str()).collect();
                if names != *files {
                    problems.push(format!(
                        "{file} ({class}): files {names:?}, expected {files:?}"
                    ));
                }
                let log: Vec<String> = m.repairs.iter().map(ToString::to_string).collect();
                if log.len() != repairs.len()
                    || !repairs.iter().all(|r| log.iter().any(|l| l.contains(r)))
                {
                    problems.push(format!(
                        "{file} ({class}): repairs {log:?}, expected {repairs:?}"
                    ));
                }
            }
            (_, other) => problems.push(format!("{file} ({class}): unexpected {other:?}")),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn malformed_details() {
    let read = |f: &str| fs::read(data_dir("malformed").join(f)).expect("read");
    match parse(&read("header_line_1mb.eml")) {
        Err(MimeError::HeaderLineTooLong { len, .. }) => assert_eq!(len, 8 + 1024 * 1024),
        other => panic!("{other:?}"),
    }
    let bounce = parse(&read("truncated_bounce.eml")).expect("bounce parses");
    let report = bounce.mail.delivery_report.expect("delivery report");
    assert_eq!(
        report.original_message_id.as_deref(),
        Some("sup-7.1717398000.aaaa@example.com")
    );
    assert_eq!(report.recipients.len(), 1);
    assert_eq!(report.recipients[0].address, "gone@example.org");
    assert_eq!(report.recipients[0].status, "5.1.1");
    assert_eq!(
        bounce.mail.auto.auto_submitted.as_deref(),
        Some("auto-replied")
    );

    let garbage = parse(&read("binary_header_bytes.eml")).expect("parses");
    assert!(
        !garbage.mail.subject.contains('\u{fffd}'),
        "{:?}",
        garbage.mail.subject
    );
    let deep = parse(&read("deep_nesting.eml")).expect("parses");
    assert!(deep.mail.body.contains("deep") || deep.mail.body.is_empty());
    let unused = parse(&read("boundary_never_used.eml")).expect("parses");
    assert!(unused.mail.attachments.len() <= 1);
    let lf = parse(&read("lf_only.eml")).expect("parses");
    assert_eq!(lf.mail.reply_text, "Plain LF mail.");
}

/// xorshift64: deterministic mutations without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn no_fixture_panics_when_cut_or_mangled() {
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for sub in ["charsets", "malformed", "replies"] {
        for path in files(sub, "eml") {
            let raw = fs::read(&path).expect("read");
            if raw.len() <= 64 * 1024 {
                inputs.push(raw);
            }
        }
    }
    assert!(inputs.len() > 100);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0usize;
    for raw in &inputs {
        // Cut short at 24 points spread over the mail.
        for k in 0..24 {
            let end = raw.len() * k / 24;
            let _ = parse(&raw[..end]);
            runs += 1;
        }
        // Bytes flipped, inserted, removed.
        for _ in 0..12 {
            let mut m = raw.clone();
            for _ in 0..(1 + rng.below(8)) {
                if m.is_empty() {
                    break;
                }
                let at = rng.below(m.len());
                match rng.below(4) {
                    0 => m[at] = rng.next() as u8,
                    1 => m.insert(
                        at,
                        [b'\n', b'=', b'-', b'<', b'>', b'"', 0, 0xff][rng.below(8)],
                    ),
                    2 => {
                        m.remove(at);
                    }
                    _ => m.truncate(at),
                }
            }
            let _ = parse(&m);
            runs += 1;
        }
    }
    assert!(runs > 1000, "only {runs} runs");
}

/// A fixture as the live test appends it: its sender replaced by a customer of this test's
/// mail system (so that the acknowledgement is delivered), its Message-ID made unique.
fn live_fixture(sub: &str, file: &str, from: &str, to: &str, alice: &str, n: usize) -> Vec<u8> {
    let raw = fs::read(data_dir(sub).join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let mut out = Vec::with_capacity(raw.len());
    let mut rest = &raw[..];
    let id = format!("<world-{n}-{}@c.test>", std::process::id());
    let swaps: [(&[u8], &[u8]); 3] = [
        (from.as_bytes(), alice.as_bytes()),
        (b"support@example.com", to.as_bytes()),
        (b"<hostile@example.org>", id.as_bytes()),
    ];
    'bytes: while !rest.is_empty() {
        for (old, new) in swaps {
            if rest.starts_with(old) {
                out.extend_from_slice(new);
                rest = &rest[old.len()..];
                continue 'bytes;
            }
        }
        out.push(rest[0]);
        rest = &rest[1..];
    }
    out
}

/// Mail from the world through the real Dovecot and Postfix (SPEC §3.2, §3.8): a raw GB2312
/// subject, a junk line before the headers, a multipart never closed, an inline image without
/// a usable name and an audio file whose base64 is broken each make a ticket whose summary,
/// text, files and decision log are right, and the acknowledgement carries the decoded subject.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_from_the_world_makes_readable_tickets() {
    use crate::support::*;
    let h = Harness::start("world").await;
    let n = h.names.clone();
    let mails: Vec<Vec<u8>> = [
        ("charsets", "raw_gb2312_subject.eml", "help@mail.example.cn"),
        (
            "charsets",
            "raw_shift_jis_subject.eml",
            "help@mail.example.jp",
        ),
        (
            "malformed",
            "junk_line_before_headers.eml",
            "alice@example.org",
        ),
        ("malformed", "unclosed_text_last.eml", "alice@example.org"),
        (
            "malformed",
            "inline_image_empty_name.eml",
            "alice@example.org",
        ),
        ("malformed", "bad_base64_audio.eml", "alice@example.org"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (sub, file, from))| live_fixture(sub, file, from, &n.support, &n.alice, i))
    .collect();
    append(&h.mail, &n.support, "INBOX", &mails, "").await;
    h.wait_ticket(6, "the last mail's ticket", |_| true).await;
    h.wait_inbox_empty().await;
    assert_eq!(count(&h.mail, &n.support, "Quarantine").await, 0);

    let ticket = |id| h.ticket(id).unwrap_or_else(|| panic!("ticket {id}"));
    let decision = |id: u64| ticket(id).events[0].log().join("\n");
    let files = |id: u64| -> Vec<String> {
        ticket(id).events[0]
            .attachments
            .iter()
            .map(|a| a.name.clone())
            .collect()
    };
    let gb = ticket(1);
    // "转发：" is the Chinese "Fwd:", a prefix the summary drops.
    assert_eq!(gb.summary, "关于下周会议的安排");
    assert!(
        gb.events[0].text.contains("各位同事"),
        "{}",
        gb.events[0].text
    );
    assert_eq!(ticket(2).summary, "会議資料の送付について");
    assert!(
        decision(3).contains("before the headers"),
        "{}",
        decision(3)
    );
    assert_eq!(ticket(3).events[0].text, "The text after a junk line.");
    assert!(decision(4).contains("never closed"), "{}", decision(4));
    assert_eq!(
        ticket(4).events[0].text,
        "The question comes last and the mail ends."
    );
    assert_eq!(files(4), ["r.pdf"]);
    assert_eq!(files(5), ["attachment-1.png"]);
    assert_eq!(files(6), ["voice.mp3", "ok.pdf"]);
    assert!(
        decision(6).contains("kept as it came as voice.mp3"),
        "{}",
        decision(6)
    );
    let ack = wait_mail(&n.alice, "the acknowledgement of the GB2312 mail", |r| {
        r.subject.contains("[SUP-1]")
    })
    .await;
    assert!(
        ack.subject.contains("关于下周会议的安排"),
        "{}",
        ack.subject
    );
}
