//! Charsets and encodings (SPEC §3.2, §3.7) and bad input (SPEC §3.8), through
//! `ticket_gateway::mime::parse`:
//! - `tests/data/charsets/NAME.eml` must decode to `NAME.expected.json` (subject, sender name,
//!   pieces of the body, attachment names, maybe the reply text);
//! - `tests/data/malformed/*.eml` each give their expected error, `from = None`, or a mail;
//! - no input panics: every fixture, cut short and with bytes flipped, still returns.
//!
//! The fixtures are built by `tests/data/charsets/make_charsets.py` and
//! `tests/data/malformed/make_malformed.py`.

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
    assert!(emls.len() >= 25, "only {} charset fixtures", emls.len());
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
    /// It parses, without a usable sender.
    NoSender,
    /// It parses, with a sender.
    Mail,
}

const MALFORMED: &[(&str, Expect)] = &[
    ("header_line_1mb.eml", Expect::Error("header_line_too_long")),
    ("nul_in_headers.eml", Expect::Error("nul_in_headers")),
    ("truncated_mime.eml", Expect::Error("truncated_mime")),
    ("broken_base64.eml", Expect::Error("broken_base64")),
    ("broken_base64_body.eml", Expect::Error("broken_base64")),
    ("no_from.eml", Expect::NoSender),
    ("from_unusable.eml", Expect::NoSender),
    ("not_a_mail.eml", Expect::Error("not_a_mail")),
    ("empty.eml", Expect::Error("not_a_mail")),
    ("body_only.eml", Expect::Error("not_a_mail")),
    ("headers_only.eml", Expect::Mail),
    ("lf_only.eml", Expect::Mail),
    ("binary_header_bytes.eml", Expect::Mail),
    ("truncated_bounce.eml", Expect::Mail),
    ("deep_nesting.eml", Expect::Mail),
    ("boundary_never_used.eml", Expect::Mail),
    ("broken_encoded_words.eml", Expect::NoSender),
];

#[test]
fn malformed_mails_give_their_expected_outcome() {
    let on_disk = files("malformed", "eml");
    assert_eq!(
        on_disk.len(),
        MALFORMED.len(),
        "every malformed fixture has a row in MALFORMED"
    );
    for (file, expect) in MALFORMED {
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
            (Expect::Mail, Ok(p)) => assert!(p.mail.from.is_some(), "{file}"),
            (_, other) => panic!("{file}: unexpected {other:?}"),
        }
    }
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
