//! The reply corpus (SPEC §3.2, §3.3): every `tests/data/replies/NAME.eml` goes through
//! `ticket_gateway::mime::parse`, and its `reply_text` must equal `NAME.expected.txt` after
//! whitespace normalisation. A mismatch writes `NAME.actual.txt` beside the case (removed again
//! once it passes); `UPDATE_EXPECT=1` rewrites the expectations from the current output (review
//! the diff!). The accuracy is printed and must stay at or above 95 %; docs/reply-accuracy.md
//! publishes it with the known failures.
//!
//! New cases: add them to `tests/data/replies/make_replies.py` and run it.

use std::fs;
use std::path::{Path, PathBuf};

use ticket_gateway::core::keyword::extract_keywords;
use ticket_gateway::core::Keyword;
use ticket_gateway::mime::parse;

const MIN_CASES: usize = 60;
const MIN_ACCURACY: f64 = 0.95;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replies")
}

/// The `.eml` files of the corpus, sorted.
fn corpus() -> Vec<PathBuf> {
    let dir = corpus_dir();
    let mut emls: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    emls.sort();
    emls
}

fn case_name(eml: &Path) -> String {
    eml.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_case(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(format!("{name}.eml"));
    fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// Whitespace at the ends of lines, runs of blank lines and blank lines at the ends do not count.
fn normalise(s: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for line in s.lines().map(str::trim) {
        if line.is_empty() && out.last().is_none_or(|l| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

#[test]
fn reply_corpus_accuracy() {
    let dir = corpus_dir();
    let emls = corpus();
    assert!(
        emls.len() >= MIN_CASES,
        "the reply corpus has {} cases, it needs at least {MIN_CASES}",
        emls.len()
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures: Vec<String> = Vec::new();
    for eml in &emls {
        let name = case_name(eml);
        let expected_path = dir.join(format!("{name}.expected.txt"));
        let actual_path = dir.join(format!("{name}.actual.txt"));
        let raw = fs::read(eml).unwrap_or_else(|e| panic!("cannot read {}: {e}", eml.display()));
        let actual = match parse(&raw) {
            Ok(parsed) => parsed.mail.reply_text,
            Err(e) => format!("<parse error: {e}>"),
        };
        if update {
            fs::write(&expected_path, format!("{actual}\n")).expect("write expectation");
            let _ = fs::remove_file(&actual_path);
            continue;
        }
        let expected = fs::read_to_string(&expected_path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", expected_path.display()));
        if normalise(&actual) == normalise(&expected) {
            let _ = fs::remove_file(&actual_path);
        } else {
            fs::write(&actual_path, format!("{actual}\n")).expect("write actual");
            failures.push(name);
        }
    }
    let total = emls.len();
    let passed = total - failures.len();
    let accuracy = passed as f64 / total as f64;
    println!(
        "reply corpus: {passed}/{total} replies stripped as expected ({:.1} %)",
        accuracy * 100.0
    );
    for name in &failures {
        println!("  mismatch: {name} (see tests/data/replies/{name}.actual.txt)");
    }
    assert!(
        accuracy >= MIN_ACCURACY,
        "reply accuracy {:.1} % is under {:.0} %; failing cases: {}",
        accuracy * 100.0,
        MIN_ACCURACY * 100.0,
        failures.join(", ")
    );
}

#[test]
fn every_corpus_mail_parses_cleanly() {
    for eml in corpus() {
        let name = case_name(&eml);
        let raw = fs::read(&eml).expect("read eml");
        let mail = match parse(&raw) {
            Ok(p) => p.mail,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(mail.from.is_some(), "{name}: no sender");
        assert!(mail.message_id.is_some(), "{name}: no Message-ID");
        assert!(!mail.in_reply_to.is_empty(), "{name}: no In-Reply-To");
        assert!(mail.date.is_some(), "{name}: no date");
        assert!(
            mail.subject.contains("SUP-") || mail.subject.starts_with(['F', 'T']),
            "{name}: subject {:?}",
            mail.subject
        );
        for text in [&mail.subject, &mail.body, &mail.reply_text] {
            assert!(
                !text.contains('\u{fffd}'),
                "{name}: replacement character in {text:?}"
            );
        }
        assert!(!mail.body.trim().is_empty(), "{name}: empty body");
    }
}

/// Keywords are taken from the stripped text, never from the quote (SPEC §3.3).
#[test]
fn keywords_from_corpus_mails() {
    let cases: &[(&str, &[Keyword], &str)] = &[
        ("gmail_en_keyword", &[Keyword::Waiting], "Hi Alice, which model is it? The label is on the back."),
        ("gmail_fr_keyword_accent", &[Keyword::Resolve], "Le pilote a été mis à jour, l'imprimante fonctionne."),
        ("plain_fr_keyword_close", &[Keyword::Close], "Merci, tout est bon."),
        ("gmail_en_empty_reply", &[Keyword::Close], ""),
        (
            "gmail_en_hashtags",
            &[],
            "#printer #floor2\nIt happens only with colour jobs. Is #E204 documented somewhere?",
        ),
        ("gmail_en_quoted_forward", &[], "Thanks, I told Jean."),
        (
            "gmail_en_customer_wrote",
            &[Keyword::Note],
            "Here is what the customer wrote on the phone:\nThe printer prints blank pages since Monday.",
        ),
    ];
    for (name, keywords, text) in cases {
        let mail = parse(&read_case(name))
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .mail;
        let commands = extract_keywords(&mail.subject, &mail.reply_text);
        assert_eq!(commands.keywords, *keywords, "{name}");
        assert_eq!(normalise(&commands.text), normalise(text), "{name}");
    }
}

#[test]
fn corpus_attachments_are_listed() {
    let mail = parse(&read_case("apple_iphone_en_with_attachment")).expect("parses");
    let names: Vec<&str> = mail
        .mail
        .attachments
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(names, ["vpn-client.log"]);
    assert_eq!(
        mail.attachments[0].content,
        b"10:02:01 tunnel down\n10:02:03 reconnecting\n"
    );
    let mail = parse(&read_case("thunderbird_en_forward_as_attachment")).expect("parses");
    let forwarded = &mail.attachments[0];
    assert_eq!(forwarded.info.name, "Order 5521 missing from export.eml");
    assert_eq!(forwarded.info.content_type, "message/rfc822");
    assert!(forwarded
        .content
        .starts_with(b"From: Dan Roux <dan.roux@example.net>\r\n"));
    assert!(forwarded
        .content
        .ends_with(b"order 5521 is not in yesterday's export.\r\n"));
    let mail = parse(&read_case("outlook_en_original_message")).expect("parses");
    assert_eq!(mail.mail.attachments[0].name, "parameters.png");
    assert_eq!(mail.mail.attachments[0].content_type, "image/png");
}
