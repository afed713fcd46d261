//! Signatures without a `-- ` line, found by the features talon-style extractors use: position
//! at the end of a block of text, short lines, a sign-off in one of many languages ("Thanks,",
//! "Cordialement,", "С уважением,"), the sender's own name, a name + title + phone/email/URL
//! block, a legal disclaimer or a mailing-list footer; and mobile signatures ("Sent from my
//! iPhone", "Von meinem iPhone gesendet", "Sent from TypeApp <link>", "Noah / via mobile"). A
//! sentence is never a signature: "Sent from my desk, is much easier than my mobile phone." is
//! text.

use super::attribution::has_address;
use super::header_block::is_rule;
use super::is_blank;
use super::signature_words::{
    DEVICES, DISCLAIMER_WORDS, ENVIRONMENT_WORDS, HANDSETS, LIST_FOOTER_WORDS, MAIL_WORDS,
    MOBILE_ANYWHERE, MOBILE_ENDS, MOBILE_STARTS, PRINT_WORDS, SCANNERS, SCAN_WORDS, SIGN_OFFS,
    THANKS_WORDS, TITLE_WORDS,
};
use crate::core::text::normalize_line;

/// `-- ` (RFC 3676) or a bare `--` that many people type.
pub(super) fn is_delimiter(line: &str) -> bool {
    line == "-- " || is_bare_delimiter(line)
}

/// `--` without its space, or a lone dash of another kind: a delimiter only before a short
/// signature (the caller checks).
pub(super) fn is_bare_delimiter(line: &str) -> bool {
    matches!(line.trim_end(), "--" | "—")
}

/// The sender's display name, folded, and its words: a signature often is just the name.
#[derive(Debug, Default, Clone)]
pub(super) struct Sender {
    full: String,
    words: Vec<String>,
}

impl Sender {
    /// From the display name, or else from the local part of the address
    /// (`jim.smith@x` gives "jim smith").
    pub(super) fn new(name: Option<&str>) -> Sender {
        let full = name.map(|n| {
            let local = n.split('@').next().unwrap_or("");
            if n.contains('@') && !n.contains(' ') {
                normalize_line(&local.replace(['.', '_', '-', '+'], " "))
            } else {
                normalize_line(n)
            }
        });
        let full = full.unwrap_or_default();
        let full = full
            .trim_matches(|c: char| c == '"' || c == '\'')
            .to_string();
        let words = full
            .split([' ', ','])
            .filter(|w| w.chars().count() >= 2)
            .map(str::to_string)
            .collect();
        Sender { full, words }
    }

    /// "Noah", "Noah Carter", "-Noah", "Noah C.", "N. Carter".
    fn is_name(&self, line: &str) -> bool {
        if self.full.is_empty() {
            return false;
        }
        let n = normalize_line(line);
        let n = n
            .trim_start_matches(['-', '–', '—', '~', '/', ' '])
            .trim_end_matches(['.', ',', '!', ' ']);
        if n.is_empty() {
            return false;
        }
        if n == self.full || self.words.iter().any(|w| w == n) {
            return true;
        }
        // "Jim P. Smith | Enrollment Manager", "Noah Carter, Office Manager".
        if let Some((head, _)) = n.split_once([',', '|']) {
            let head = head.trim();
            if head != n && !head.is_empty() && self.is_name(head) {
                return true;
            }
        }
        let parts: Vec<&str> = n.split(' ').collect();
        // "Jim P. Smith": first and last name with a middle initial.
        if parts.len() == 3
            && self.words.len() >= 2
            && parts[0] == self.words[0]
            && parts[2] == self.words[self.words.len() - 1]
            && parts[1].trim_end_matches('.').chars().count() == 1
        {
            return true;
        }
        let parts: Vec<&str> = n.split(' ').collect();
        parts.len() == 2
            && self.words.len() >= 2
            && (parts[0] == self.words[0] || parts[1] == self.words[self.words.len() - 1])
            && parts
                .iter()
                .any(|p| p.trim_end_matches('.').chars().count() == 1)
    }
}

/// A word that starts with a capital letter (or a letter of a script without case).
fn is_name_word(w: &str) -> bool {
    let w = w.trim_matches(|c: char| matches!(c, '.' | ',' | '(' | ')' | '"'));
    let mut chars = w.chars();
    chars
        .next()
        .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()))
        && w.chars()
            .all(|c| c.is_alphabetic() || matches!(c, '-' | '\'' | '.'))
}

/// One to four capitalised words, nothing else: "Noah Carter", "Jan Novák", "L. Schmidt".
fn is_name_like(line: &str) -> bool {
    let t = line
        .trim()
        .trim_start_matches(['-', '–', '—', '~', '/'])
        .trim();
    let words: Vec<&str> = t.split_whitespace().collect();
    (1..=4).contains(&words.len()) && words.iter().all(|w| is_name_word(w))
}

/// "Thanks,", "Best regards", "Mit freundlichen Grüßen", "С уважением,", "Thanks, Noah".
fn is_sign_off(line: &str, sender: &Sender) -> bool {
    let n = normalize_line(line);
    let core = sign_off_core(&n);
    if core.is_empty() || core.chars().count() > 60 {
        return false;
    }
    if SIGN_OFFS.contains(&core) {
        return true;
    }
    // A sign-off and a name on one line: "Thanks, Noah", "Cheers Bob!".
    SIGN_OFFS.iter().any(|s| {
        core.strip_prefix(s).is_some_and(|rest| {
            let rest = rest.trim_start_matches([',', ' ']);
            rest.len() < core.len() - s.len()
                && !rest.is_empty()
                && rest.split(' ').count() <= 2
                && (sender.is_name(rest) || is_name_like(&original_tail(line, rest)))
        })
    })
}

/// A folded line without the punctuation around a sign-off, and without the "以上" ("that is
/// all") that Japanese mail puts before its closing formula.
fn sign_off_core(n: &str) -> &str {
    let core = n.trim_end_matches(|c: char| {
        matches!(
            c,
            ',' | '.' | '!' | ':' | ';' | '。' | '！' | '、' | '-' | ' ' | '~'
        )
    });
    match core.strip_prefix("以上") {
        Some(rest) if !rest.trim_start_matches(['、', '，', ',', ' ']).is_empty() => {
            rest.trim_start_matches(['、', '，', ',', ' '])
        }
        _ => core,
    }
}

/// A closing formula that is never news ("Kind regards", "Cordialement", "よろしくお願いいたします"):
/// a signature also as the last line. A thank-you there ("Thanks!") may be what the writer
/// has to say, and stays.
fn is_closing_formula(line: &str) -> bool {
    let n = normalize_line(line);
    let core = sign_off_core(&n);
    SIGN_OFFS.contains(&core) && !THANKS_WORDS.iter().any(|t| core.contains(t))
}

/// A sign-off and the writer's name on one line ("Gruß Heinz", "Thanks, Noah"): a signature even
/// as the last line, where a bare "Thanks!" is the writer's text.
fn signs_with_name(line: &str, sender: &Sender) -> bool {
    let n = normalize_line(line);
    let core = n.trim_end_matches(['.', '!', ' ']);
    !SIGN_OFFS.contains(&core.trim_end_matches(',')) && is_sign_off(line, sender)
}

/// The original (unfolded) words at the end of `line` that `folded_tail` came from.
fn original_tail(line: &str, folded_tail: &str) -> String {
    let words = folded_tail.split(' ').count();
    let t = line.trim().trim_end_matches([',', '.', '!', ' ']);
    let all: Vec<&str> = t.split_whitespace().collect();
    all[all.len().saturating_sub(words)..].join(" ")
}

/// A phone number (seven digits or more among `+ ( ) - . /` and spaces), an address or a URL.
fn has_contact(line: &str) -> bool {
    let l = line.to_lowercase();
    if has_address(line) || l.contains("http://") || l.contains("https://") || l.contains("www.") {
        return true;
    }
    let mut digits = 0;
    let mut best = 0;
    for c in line.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            best = best.max(digits);
        } else if !matches!(c, ' ' | '+' | '(' | ')' | '-' | '.' | '/' | '\u{a0}') {
            digits = 0;
        }
    }
    best >= 7
}

/// A line with a job title or a company form in it ("Enrollment Manager", "XYZ Corp").
fn is_title(line: &str) -> bool {
    normalize_line(line)
        .split([' ', '|', ','])
        .any(|w| TITLE_WORDS.contains(&w))
}

fn contains_any(n: &str, words: &[&str]) -> usize {
    words.iter().filter(|w| n.contains(*w)).count()
}

/// A legal disclaimer, a "consider the environment before printing" footer, or a virus-scan
/// footer.
fn is_disclaimer(paragraph: &[&str]) -> bool {
    let n = normalize_line(&paragraph.join(" "));
    // A legal text is long; "Der Absender ist falsch, der Adressat auch." is the writer's.
    (contains_any(&n, DISCLAIMER_WORDS) >= 2 && n.split(' ').count() >= 10)
        || (contains_any(&n, ENVIRONMENT_WORDS) > 0
            && contains_any(&n, PRINT_WORDS) > 0
            && contains_any(&n, MAIL_WORDS) > 0)
        || (n.contains("virus")
            && contains_any(&n, SCAN_WORDS) > 0
            && contains_any(&n, SCANNERS) > 0)
}

fn is_list_footer(line: &str) -> bool {
    contains_any(&normalize_line(line), LIST_FOOTER_WORDS) > 0
}

/// A line that reads as a sentence of the writer's, never part of a signature: it ends like a
/// sentence (not after an abbreviation such as "Ltd." or "s.r.o."), or it is long.
fn is_sentence(line: &str) -> bool {
    let t = line.trim();
    let words: Vec<&str> = t
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .collect();
    if has_contact(t) && t.chars().count() <= 100 && !t.ends_with('.') {
        return false;
    }
    if t.chars().count() > 80 || words.len() >= 10 {
        return true;
    }
    let Some(last_char) = t.chars().last() else {
        return false;
    };
    if matches!(last_char, '。' | '！' | '？') {
        return t.chars().count() >= 6;
    }
    if matches!(last_char, '?' | '!') {
        return words.len() >= 2;
    }
    if last_char != '.' || words.len() < 3 {
        return false;
    }
    let Some(last) = words.last().map(|w| w.trim_end_matches('.')) else {
        return false;
    };
    // "s.r.o.", "A.Ş.", "Ltd.", "Inc." end company names; "5.2.1." ends a sentence.
    let abbreviation = (last.contains('.') && !last.chars().any(|c| c.is_ascii_digit()))
        || (last.chars().count() <= 4 && last.chars().next().is_some_and(char::is_uppercase));
    !abbreviation
}

/// How many lines at the end of a block [`signature_start`] looks at (a disclaimer may be long).
const SIGNATURE_WINDOW: usize = 60;

/// Where the signature of a block of text starts, if it ends with one: the earliest sign-off,
/// sender-name line, contact block, disclaimer or mailing-list footer in the run of short,
/// sentence-free lines at the end of the block.
pub(super) fn signature_start(block: &[&str], sender: &Sender) -> Option<usize> {
    let last = block.iter().rposition(|l| !is_blank(l))?;
    // A signature is short: only the end of the block is looked at.
    let floor = last.saturating_sub(SIGNATURE_WINDOW);
    // Paragraph bounds, for disclaimers and contact blocks.
    let para_start = |i: usize| {
        (floor..=i)
            .rev()
            .find(|&j| j == floor || is_blank(block[j - 1]))
            .unwrap_or(floor)
    };
    let para_end = |i: usize| {
        (i..=last)
            .find(|&j| j == last || is_blank(block[j + 1]))
            .unwrap_or(last)
    };
    let mut region = last + 1;
    let mut footer = false;
    let mut i = last + 1;
    while i > floor {
        i -= 1;
        let line = block[i];
        if is_blank(line) {
            region = i;
            continue;
        }
        let (ps, pe) = (para_start(i), para_end(i));
        if is_disclaimer(&block[ps..=pe]) {
            region = ps;
            i = ps;
            continue;
        }
        if is_list_footer(line) {
            footer = true;
            region = i;
            continue;
        }
        if is_sentence(line) && !is_sign_off(line, sender) {
            break;
        }
        region = i;
    }
    let non_blank_after = |s: usize| block[s + 1..=last].iter().filter(|l| !is_blank(l)).count();
    (region..=last).find(|&s| {
        let line = block[s];
        if is_blank(line) {
            return false;
        }
        let (ps, pe) = (para_start(s), para_end(s));
        if s == ps && is_disclaimer(&block[ps..=pe]) {
            return true;
        }
        if footer && (is_rule(line) || is_list_footer(line)) {
            return true;
        }
        if non_blank_after(s) > 12 {
            return false;
        }
        if is_sign_off(line, sender) {
            let trimmed = line.trim_end();
            return non_blank_after(s) > 0
                || trimmed.ends_with(',')
                || trimmed.ends_with('，')
                || signs_with_name(line, sender)
                || is_closing_formula(line);
        }
        if sender.is_name(line) {
            // The last of a list of names ("These people cannot log in:\nMaria Lopez\nTom
            // Becker\nDana Whitfield") is not a signature, even when it is the writer's name.
            let in_list = s > 0
                && !is_blank(block[s - 1])
                && is_name_like(block[s - 1])
                && !is_sign_off(block[s - 1], sender);
            return !in_list;
        }
        // "-Abhishek Kona", "/Johan": a dash or slash stuck to a name, alone in its paragraph
        // (a "- Item" list is text).
        let t = line.trim_start();
        let dash_name = t.starts_with(['-', '/'])
            && t[1..].chars().next().is_some_and(char::is_alphabetic)
            && s == ps
            && pe == s;
        if dash_name && is_name_like(line) {
            return true;
        }
        // Name + title + phone/email/URL block, a paragraph of its own and the last one:
        // "Jane Roe\nHead of IT\n+33 1 23 45 67 89", "Jim P. Smith | Enrollment Manager\nXYZ Corp".
        let head = line.split(['|', ',']).next().unwrap_or(line);
        s == ps
            && is_name_like(head)
            && (pe > s || head.len() < line.len())
            && (block[s..=pe].iter().any(|l| has_contact(l))
                || (pe == last && pe - s <= 4 && block[s..=pe].iter().any(|l| is_title(l))))
    })
}

/// Paragraphs inside a block of text that are a signature although text follows them (alpine
/// with "signature-at-bottom" puts it under the quote, where a bottom-poster then writes): the
/// sender's own name first (another name with a phone number is a contact the writer gives), a
/// phone, address or URL in it, at most six short lines.
/// Returns the indices of their lines.
pub(super) fn inner_signature_lines(block: &[&str], sender: &Sender) -> Vec<usize> {
    let mut out = Vec::new();
    let mut s = 0;
    while s < block.len() {
        if is_blank(block[s]) {
            s += 1;
            continue;
        }
        let e = (s..block.len())
            .find(|&j| is_blank(block[j]))
            .unwrap_or(block.len());
        let para = &block[s..e];
        let is_sig = para.len() >= 2
            && para.len() <= 6
            && sender.is_name(para[0])
            && para.iter().any(|l| has_contact(l))
            && para.iter().all(|l| !is_sentence(l));
        if is_sig {
            out.extend(s..e);
        }
        s = e;
    }
    out
}

/// "Sent from my iPhone", "Envoyé de mon iPhone", "iPhoneから送信", "Get Outlook for iOS",
/// "Sent from TypeApp <link>", "Noah / via mobile": a short line that names a device or app.
pub(super) fn is_mobile_signature(line: &str) -> bool {
    let mut n = normalize_line(line);
    if let Some(at) = n.find(" <http").or_else(|| n.find(" http")) {
        n.truncate(at);
    }
    let n = n.trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')' | '<' | '>' | '[' | ']' | ' ' | '*' | '_' | '.' | '!' | '。'
        )
    });
    let words = n.split(' ').count();
    if n.is_empty() || n.chars().count() > 100 || words > 12 {
        return false;
    }
    if words <= 8 && MOBILE_ANYWHERE.iter().any(|p| n.contains(p)) {
        return true;
    }
    // "Sent from my desk, is much easier than my mobile phone." is a sentence.
    if let Some((_, rest)) = n.split_once(", ") {
        if rest.split(' ').count() >= 3 {
            return false;
        }
    }
    // Whether the line names a device; asked only where it decides (most lines never get
    // there), with the line cut into words once for all the devices.
    let device = || {
        let tokens: Vec<&str> = n
            .split(|c: char| !c.is_alphanumeric() && !matches!(c, '.' | '-' | '\''))
            .collect();
        DEVICES.iter().any(|d| {
            tokens
                .iter()
                .any(|w| w == d || (d.len() >= 4 && w.starts_with(d)))
                || (!d.is_ascii() && n.contains(d))
        })
    };
    // "From my iPhone 15"; "Get BlueMail for Android" (an app for a platform).
    let handset = |s: &str| {
        s.split(' ')
            .next()
            .is_some_and(|w| HANDSETS.iter().any(|h| w.starts_with(h)))
    };
    if words <= 5 {
        if n.strip_prefix("from my ").is_some_and(handset) {
            return true;
        }
        if n.starts_with("get ") && n.split_once(" for ").is_some_and(|(_, p)| handset(p)) {
            return true;
        }
    }
    if let Some(start) = MOBILE_STARTS.iter().find(|s| n.starts_with(*s)) {
        let rest_words = n[start.len()..]
            .split(' ')
            .filter(|w| !w.is_empty())
            .count();
        return rest_words <= 3 || start.contains("outlook") || device();
    }
    let cjk = || {
        n.chars().any(|c| {
            ('\u{3040}'..='\u{9fff}').contains(&c) || ('\u{ac00}'..='\u{d7af}').contains(&c)
        })
    };
    words <= 6 && MOBILE_ENDS.iter().any(|e| n.ends_with(e)) && (cjk() || device())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(text: &str, name: &str) -> Option<usize> {
        let lines: Vec<&str> = text.split('\n').collect();
        signature_start(&lines, &Sender::new(Some(name)))
    }

    #[test]
    fn sign_offs_and_names() {
        assert_eq!(start("It works.\n\nThanks,\nNoam", "Noam Levi"), Some(2));
        assert_eq!(
            start("It works.\n\nС уважением,\nАлексей", "Алексей Смирнов"),
            Some(2)
        );
        assert_eq!(start("It works.\n\nNoah", "Noah Carter"), Some(2));
        assert_eq!(
            start(
                "They cannot log in:\n\nMaria Lopez\nTom Becker\nNoah Carter",
                "Noah Carter"
            ),
            None
        );
        assert_eq!(start("ok will do\nNoah", "Noah Carter"), Some(1));
        assert_eq!(start("It works.\n\n-Abhishek Kona", ""), Some(2));
        assert_eq!(
            start("It works.\n\nBest regards,\n\nNoah Carter\nOffice Manager\nNorthwind Ltd.\n+44 20 7946 0958", "Noah Carter"),
            Some(2)
        );
        assert_eq!(
            start("Hej Anna,\n\nAllt fungerar.\n\n/Johan", "Johan Ek"),
            Some(4)
        );
        assert_eq!(
            start("Der Fehler bleibt.\n\nGruß Heinz", "Heinz Müller"),
            Some(2)
        );
        assert_eq!(start("Svar: ja.\n\nKh\nPeter", "Peter Holm"), Some(2));
        // A closing formula alone at the end.
        assert_eq!(start("It works.\n\nKind regards", "Noah"), Some(2));
        assert_eq!(
            start(
                "月曜日にお待ちしております。\n\n以上、よろしくお願いいたします",
                "織田"
            ),
            Some(2)
        );
        // The last sign-off, not a "Thanks," that opens the text.
        assert_eq!(
            start("Thanks,\n\nI checked it again.\n\nRegards,\nNoah", "Noah"),
            Some(4)
        );
    }

    #[test]
    fn signature_paragraph_before_text() {
        let block: Vec<&str> =
            "Noah Carter\nNorthwind Ltd\n+44 20 7946 0958\n\nLaptop only, version 5.2.1."
                .split('\n')
                .collect();
        let sender = Sender::new(Some("Noah Carter"));
        assert_eq!(inner_signature_lines(&block, &sender), [0, 1, 2]);
        assert_eq!(signature_start(&block, &sender), None);
        let block: Vec<&str> = "Call me on +44 20 7946 0958.\n\nThanks."
            .split('\n')
            .collect();
        assert!(inner_signature_lines(&block, &sender).is_empty());
        let block: Vec<&str> = "Please call:\n\nJohn Smith\n+44 20 7946 0958\n\nHe is in all day."
            .split('\n')
            .collect();
        assert!(inner_signature_lines(&block, &sender).is_empty());
    }

    #[test]
    fn contact_blocks_and_disclaimers() {
        let text = "Really it is.\n\nJim P. Smith | Enrollment Manager\nXYZ Corp";
        assert_eq!(start(text, "jim.smith@example.com"), Some(2));
        assert_eq!(start(text, "Someone Else"), Some(2));
        assert_eq!(start("It works.\n\nJim P. Smith", "Jim Smith"), Some(2));
        let block = "Done.\n\nBest regards,\n\nNoah Carter\nNorthwind Ltd\nT +44 20 7946 0958 | M +44 7700 900123";
        assert_eq!(start(block, "Noah Carter"), Some(2));
        let text = "Done.\n\nJane Roe\nHead of IT | ACME\nTel. +33 1 23 45 67 89\nwww.acme.example";
        assert_eq!(start(text, "Someone Else"), Some(2));
        let text = "Done.\n\nCONFIDENTIALITY NOTICE: this e-mail is confidential and intended for the addressee only.";
        assert_eq!(start(text, ""), Some(2));
        let text = "It works.\n\nBest,\nTess\n\nPlease consider the environment before printing this email.";
        assert_eq!(start(text, "Tess Morgan"), Some(2));
        let text = "Hallo,\n\nbitte anmelden.\n\nMit freundlichen Grüßen\nKlaus\n\nDiese Information ist ausschließlich für den Adressaten bestimmt und kann vertrauliche Informationen enthalten.";
        assert_eq!(start(text, "Klaus Günther"), Some(4));
        let text = "It works.\n\nThis email has been checked for viruses by Avast antivirus software.\nhttps://www.avast.com/antivirus";
        assert_eq!(start(text, ""), Some(2));
        let text = "Ein Fehler.\n\nDer Absender ist falsch, der Adressat auch.";
        assert_eq!(start(text, ""), None);
        let text = "Here is the file.\n\nI checked the email for viruses, it is clean.";
        assert_eq!(start(text, ""), None);
        let text = "Same here.\n__\nsync-users mailing list\nsync-users@lists.example.org";
        assert_eq!(start(text, ""), Some(1));
    }

    #[test]
    fn text_is_not_a_signature() {
        assert_eq!(
            start("Steps:\n\n- Restart Router\n- Open Settings", "Noah"),
            None
        );
        assert_eq!(
            start("Thanks for the quick help, it works now.", "Noah"),
            None
        );
        assert_eq!(start("It works now.\n\nThanks!", "Noah"), None);
        assert_eq!(start("It works now.\n\nMerci beaucoup !", "Noah"), None);
        assert_eq!(
            start("Please delete the old test environment.", "Noah"),
            None
        );
        assert_eq!(
            start(
                "Bonjour,\n\nL'imprimante ne marche plus dans l'environnement de recette.",
                "Noah"
            ),
            None
        );
        assert_eq!(
            start(
                "Hi,\n\nCould you print this for the test environment?",
                "Noah"
            ),
            None
        );
        assert_eq!(start("Model: LaserJet\nSerial: CNB3K12345", "Noah"), None);
        assert_eq!(start("Merci, ça fonctionne de nouveau.", "Camille"), None);
    }

    #[test]
    fn mobile_signatures() {
        for line in [
            "Sent from my iPhone",
            "Sent from my Samsung Galaxy smartphone.",
            "Get Outlook for iOS",
            "Envoyé de mon iPhone",
            "Von meinem iPhone gesendet",
            "Sent from TypeApp <http://www.typeapp.com/r>",
            "Noah / via mobile",
            "iPhoneから送信",
            "发自我的iPhone",
            "iPhone'umdan gönderildi",
            "iPhone에서 보냄",
            "Отправлено из мобильной Яндекс Почты",
            "Sent from Mail for Windows",
            "Samsung Galaxy akıllı telefonumdan gönderildi.",
        ] {
            assert!(is_mobile_signature(line), "{line}");
        }
        for line in [
            "Sent from my cell, please excuse any typos.",
            "From my iPhone 15",
            "Get BlueMail for Android",
            "發自我的 iPhone",
            "Αποστολή από το iPhone μου",
            "Trimis de pe iPhone",
            "Dikirim dari iPhone saya",
            "Gửi từ iPhone của tôi",
            "ส่งจาก iPhone ของฉัน",
            "נשלח מה-iPhone שלי",
            "Odoslané z iPhonu",
            "Изпратено от моя iPhone",
            "Poslano s mog iPhonea",
        ] {
            assert!(is_mobile_signature(line), "{line}");
        }
        for line in [
            "From my side, everything works.",
            "Get the invoice from the portal",
            "Get the latest Windows update",
            "Get a mail client for the office",
            "My iPhone is broken",
            "Sent from my desk, is much easier than my mobile phone.",
            "Envoyé de mon bureau, le téléphone ne capte pas ici.",
            "I sent it from my phone yesterday but it bounced",
        ] {
            assert!(!is_mobile_signature(line), "{line}");
        }
    }
}
