//! The reply corpus (SPEC §3.2, §3.3). `tests/data/replies/index.tsv` lists every case with its
//! set, client and language; `NAME.eml` goes through `ticket_gateway::mime::parse`, and its
//! `reply_text` must equal `NAME.expected.txt` after whitespace normalisation. Cases of the
//! held-out set live in `tests/data/replies/heldout/`: they were written before the rules were
//! tuned and are reported apart. A mismatch writes `NAME.actual.txt` beside the case (removed
//! again once it passes). The accuracy, by set, language and client, is printed; the tuning set
//! must stay at or above 97 % and the held-out set at or above its floor below.
//! docs/reply-accuracy.md publishes the figures and the misses.
//!
//! New cases: add them to `tests/data/replies/make_world.py` (or `make_replies.py`) and run
//! `python3 tests/data/replies/make_world.py`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use ticket_gateway::core::keyword::extract_keywords;
use ticket_gateway::core::Keyword;
use ticket_gateway::mime::parse;

const MIN_CASES: usize = 400;
const MIN_LANGUAGES: usize = 15;
const MIN_ACCURACY: f64 = 0.97;
const MIN_HELDOUT_ACCURACY: f64 = 0.90;

/// The clients the corpus must cover (their names in `index.tsv`).
const CLIENTS: &[&str] = &[
    "Gmail",
    "Outlook desktop",
    "Outlook web",
    "Outlook mobile",
    "Apple Mail macOS",
    "Apple Mail iOS",
    "Android mail apps",
    "Thunderbird",
    "Yahoo",
    "Yandex",
    "Mail.ru",
    "GMX/Web.de",
    "Zimbra",
    "Lotus Notes",
    "mutt/neomutt",
    "alpine",
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/replies")
}

/// One line of `index.tsv`.
struct Case {
    name: String,
    heldout: bool,
    client: String,
    language: String,
    dir: PathBuf,
}

impl Case {
    fn eml(&self) -> PathBuf {
        self.dir.join(format!("{}.eml", self.name))
    }
    fn expected(&self) -> PathBuf {
        self.dir.join(format!("{}.expected.txt", self.name))
    }
    fn actual(&self) -> PathBuf {
        self.dir.join(format!("{}.actual.txt", self.name))
    }
}

/// The cases of `index.tsv`, in its order; every `.eml` of the corpus is listed there.
fn corpus() -> Vec<Case> {
    let dir = corpus_dir();
    let index = fs::read_to_string(dir.join("index.tsv")).expect("read index.tsv");
    let mut cases = Vec::new();
    for line in index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert!(f.len() >= 4, "index.tsv: bad line {line:?}");
        let heldout = f[1] == "heldout";
        cases.push(Case {
            name: f[0].to_string(),
            heldout,
            client: f[2].to_string(),
            language: f[3].to_string(),
            dir: if heldout {
                dir.join("heldout")
            } else {
                dir.clone()
            },
        });
    }
    let listed: BTreeSet<PathBuf> = cases.iter().map(Case::eml).collect();
    for sub in [dir.clone(), dir.join("heldout")] {
        for entry in fs::read_dir(&sub).expect("read corpus dir").flatten() {
            let p = entry.path();
            if p.extension().is_some_and(|x| x == "eml") {
                assert!(listed.contains(&p), "{} is not in index.tsv", p.display());
            }
        }
    }
    cases
}

fn find(name: &str) -> Case {
    corpus()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

fn read_case(name: &str) -> Vec<u8> {
    let path = find(name).eml();
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

/// Passed and total, by a key.
#[derive(Default)]
struct Tally(BTreeMap<String, (usize, usize)>);

impl Tally {
    fn add(&mut self, key: &str, ok: bool) {
        let e = self.0.entry(key.to_string()).or_default();
        e.0 += usize::from(ok);
        e.1 += 1;
    }
    fn print(&self, title: &str) {
        println!("| {title} | passed | cases | accuracy |\n|---|---|---|---|");
        for (k, (p, t)) in &self.0 {
            println!(
                "| {k} | {p} | {t} | {:.1} % |",
                100.0 * *p as f64 / *t as f64
            );
        }
        println!();
    }
}

fn ratio(passed: usize, total: usize) -> f64 {
    passed as f64 / total.max(1) as f64
}

#[test]
fn reply_corpus_accuracy() {
    let cases = corpus();
    assert!(
        cases.len() >= MIN_CASES,
        "the reply corpus has {} cases, it needs at least {MIN_CASES}",
        cases.len()
    );
    let languages: BTreeSet<&str> = cases.iter().map(|c| c.language.as_str()).collect();
    assert!(
        languages.len() >= MIN_LANGUAGES,
        "{} languages",
        languages.len()
    );
    for client in CLIENTS {
        assert!(
            cases.iter().any(|c| c.client == *client),
            "no case of {client}"
        );
    }
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let (mut by_language, mut by_client) = (Tally::default(), Tally::default());
    let mut sets: BTreeMap<bool, (usize, usize)> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    for case in &cases {
        let raw = fs::read(case.eml())
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", case.eml().display()));
        let actual = match parse(&raw) {
            Ok(parsed) => parsed.mail.reply_text,
            Err(e) => format!("<parse error: {e}>"),
        };
        if update {
            fs::write(case.expected(), format!("{actual}\n")).expect("write expectation");
            let _ = fs::remove_file(case.actual());
            continue;
        }
        let expected = fs::read_to_string(case.expected())
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", case.expected().display()));
        let ok = normalise(&actual) == normalise(&expected);
        if ok {
            let _ = fs::remove_file(case.actual());
        } else {
            fs::write(case.actual(), format!("{actual}\n")).expect("write actual");
            let set = if case.heldout { "held-out" } else { "tuning" };
            misses.push(format!(
                "{set}: {} ({}, {})",
                case.name, case.client, case.language
            ));
        }
        let e = sets.entry(case.heldout).or_default();
        e.0 += usize::from(ok);
        e.1 += 1;
        by_language.add(&case.language, ok);
        by_client.add(&case.client, ok);
    }
    if update {
        return;
    }
    let (tp, tt) = sets.get(&false).copied().unwrap_or_default();
    let (hp, ht) = sets.get(&true).copied().unwrap_or_default();
    println!(
        "reply corpus: {}/{} replies stripped as expected ({:.1} %): tuning set {tp}/{tt} ({:.1} %), held-out set {hp}/{ht} ({:.1} %)",
        tp + hp,
        tt + ht,
        100.0 * ratio(tp + hp, tt + ht),
        100.0 * ratio(tp, tt),
        100.0 * ratio(hp, ht)
    );
    by_language.print("language");
    by_client.print("client");
    for miss in &misses {
        println!("  mismatch: {miss}");
    }
    assert!(
        ratio(tp, tt) >= MIN_ACCURACY,
        "tuning-set accuracy {:.1} % is under {:.0} %",
        100.0 * ratio(tp, tt),
        MIN_ACCURACY * 100.0
    );
    assert!(
        ht > 0 && ratio(hp, ht) >= MIN_HELDOUT_ACCURACY,
        "held-out accuracy {:.1} % is under {:.0} %",
        100.0 * ratio(hp, ht),
        MIN_HELDOUT_ACCURACY * 100.0
    );
}

/// Below these shares of the wild sets, their tests fail.
const MIN_WILD_ACCURACY: f64 = 0.97;
const MIN_WILD2_ACCURACY: f64 = 0.95;

/// The wild set (`tests/data/replies/wild/`, its README says how it was made): mails shaped
/// like the public fixtures of mail libraries and helpdesks, written before any rule was tuned
/// to them. Reported by class, client and language, apart from the corpus above.
#[test]
fn wild_set_accuracy() {
    check_wild_set("wild", 150, MIN_WILD_ACCURACY);
}

/// The second wild set (`tests/data/replies/wild2/`): written after the rules were tuned to the
/// first one, before any rule was tuned to it, so that it measures the fixes on new mail.
#[test]
fn second_wild_set_accuracy() {
    check_wild_set("wild2", 50, MIN_WILD2_ACCURACY);
}

/// Parses every case of the set in `tests/data/replies/NAME/` (its `index.tsv`: name, class,
/// client, language), prints the figures by class, client and language and the misses, writes
/// `CASE.actual.txt` beside a miss, and fails under `min_cases` cases or `floor` accuracy.
fn check_wild_set(name: &str, min_cases: usize, floor: f64) {
    let dir = corpus_dir().join(name);
    let index = fs::read_to_string(dir.join("index.tsv")).expect("read the set's index.tsv");
    let (mut by_class, mut by_client, mut by_language) =
        (Tally::default(), Tally::default(), Tally::default());
    let (mut passed, mut total) = (0, 0);
    let mut misses = Vec::new();
    for line in index
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 4, "{name}/index.tsv: bad line {line:?}");
        let (case, class, client, language) = (f[0], f[1], f[2], f[3]);
        let raw = fs::read(dir.join(format!("{case}.eml"))).expect("read case");
        let actual = match parse(&raw) {
            Ok(parsed) => parsed.mail.reply_text,
            Err(e) => format!("<parse error: {e}>"),
        };
        let expected =
            fs::read_to_string(dir.join(format!("{case}.expected.txt"))).expect("read expectation");
        let actual_path = dir.join(format!("{case}.actual.txt"));
        let ok = normalise(&actual) == normalise(&expected);
        if ok {
            let _ = fs::remove_file(&actual_path);
        } else {
            fs::write(&actual_path, format!("{actual}\n")).expect("write actual");
            misses.push(format!("{case} ({class}, {client}, {language})"));
        }
        passed += usize::from(ok);
        total += 1;
        by_class.add(class, ok);
        by_client.add(client, ok);
        by_language.add(language, ok);
    }
    println!(
        "{name} set: {passed}/{total} replies stripped as expected ({:.1} %)",
        100.0 * ratio(passed, total)
    );
    by_class.print("class");
    by_client.print("client");
    by_language.print("language");
    for miss in &misses {
        println!("  mismatch: {miss}");
    }
    assert!(total >= min_cases, "the {name} set has {total} cases");
    assert!(
        ratio(passed, total) >= floor,
        "{name}-set accuracy {:.1} % is under {:.0} %",
        100.0 * ratio(passed, total),
        floor * 100.0
    );
}

#[test]
fn every_corpus_mail_parses_cleanly() {
    for case in corpus() {
        let name = &case.name;
        let raw = fs::read(case.eml()).expect("read eml");
        let mail = match parse(&raw) {
            Ok(p) => p.mail,
            Err(e) => panic!("{name}: {e}"),
        };
        assert!(mail.from.is_some(), "{name}: no sender");
        assert!(mail.message_id.is_some(), "{name}: no Message-ID");
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

/// The quoted message of most cases holds a keyword on a line of its own (`#close`, `#clore`):
/// whatever the client, language or posting style, it never counts.
#[test]
fn a_quoted_keyword_never_counts() {
    let mut checked = 0;
    for case in corpus() {
        let raw = fs::read(case.eml()).expect("read eml");
        let body = match parse(&raw) {
            Ok(p) => p.mail,
            Err(_) => continue,
        };
        let quoted_keyword = body
            .body
            .lines()
            .any(|l| matches!(l.trim_start_matches(['>', ' ']).trim(), "#close" | "#clore"));
        let expected = fs::read_to_string(case.expected()).expect("read expectation");
        if !quoted_keyword || body.subject.contains('#') || expected.contains('#') {
            continue;
        }
        checked += 1;
        let commands = extract_keywords(&body.subject, &body.reply_text);
        assert_eq!(
            commands.keywords,
            [],
            "{}: {:?}",
            case.name,
            body.reply_text
        );
    }
    assert!(checked >= 300, "only {checked} cases quote a keyword");
}

/// Replies recorded from mutt, neomutt and alpine (tests/data/replies/clients/README.md), each
/// kept exactly: alpine's signature above the quote, mutt's `sig_on_top`, a bottom-posted or
/// inline answer after a `-- ` signature.
#[test]
fn real_client_replies_are_kept_exactly() {
    let mut checked = 0;
    for case in corpus().iter().filter(|c| c.name.starts_with("recorded_")) {
        let mail = parse(&fs::read(case.eml()).expect("read eml"))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name))
            .mail;
        let expected = fs::read_to_string(case.expected()).expect("read expectation");
        assert_eq!(
            normalise(&mail.reply_text),
            normalise(&expected),
            "{}",
            case.name
        );
        assert!(!mail.reply_kept_whole, "{}", case.name);
        checked += 1;
    }
    assert_eq!(checked, 25);
}

/// A reply that is only a sign-off and a name has nothing new once the signature is removed:
/// its own text is kept whole and flagged, never dropped; a reply with nothing of its own stays
/// empty and unflagged.
#[test]
fn own_text_is_kept_whole_never_lost() {
    let mail = parse(&read_case("world_gmail_en_signoff_only_name"))
        .expect("parses")
        .mail;
    assert_eq!(mail.reply_text, "Thanks,\nNoah");
    assert!(mail.reply_kept_whole);
    let mail = parse(&read_case("gmail_en_empty_reply"))
        .expect("parses")
        .mail;
    assert_eq!(mail.reply_text, "");
    assert!(!mail.reply_kept_whole);
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
