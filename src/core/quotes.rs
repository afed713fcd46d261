//! The new part of a plain-text reply (SPEC §3.2): quoted lines, attribution lines, Outlook
//! header blocks and signatures removed, forwards kept ([`strip_quotes`]); and the quoted part of
//! a forward ([`quoted_part`]). Pure: no I/O; every function takes any string and returns one.
//!
//! The rules are heuristics measured on the reply corpus in `tests/data/replies/`; the accuracy
//! and the known misses are in `docs/reply-accuracy.md`. When a rule changes, run
//! `cargo test --test it replies` and update that page.

use std::borrow::Cow;

use super::text::normalize_line;

/// Last words of an attribution line ("On … wrote:", "Le … a écrit :"), folded.
const ATTRIBUTION_ENDINGS: &[&str] = &[
    "wrote:",
    "wrote :",
    "a ecrit:",
    "a ecrit :",
    "schrieb:",
    "schrieb :",
    "escribio:",
    "ha scritto:",
    "schreef:",
    "skrev:",
    "napisal:",
    "kirjoitti:",
];

/// Verbs of an attribution line, folded.
const ATTRIBUTION_VERBS: &[&str] = &[
    " wrote",
    " a ecrit",
    " schrieb",
    " escribio",
    " ha scritto",
    " schreef",
    " skrev",
    " napisal",
    " kirjoitti",
];

/// First words of an attribution line, folded.
const ATTRIBUTION_STARTS: &[&str] = &[
    "on ", "le ", "am ", "el ", "il ", "op ", "den ", "em ", "w dniu ",
];

/// Names that open an Outlook-style header block ("From:", "De :").
const FROM_FIELDS: &[&str] = &["from", "de", "von", "van", "da", "fra", "fran", "od"];

/// The other fields of such a block ("Sent:", "Envoyé :", "À :", "Objet :" ...).
const HEADER_FIELDS: &[&str] = &[
    "sent",
    "date",
    "to",
    "cc",
    "bcc",
    "subject",
    "reply-to",
    "envoye",
    "a",
    "objet",
    "cci",
    "repondre a",
    "gesendet",
    "an",
    "betreff",
    "datum",
    "verzonden",
    "aan",
    "onderwerp",
    "inviato",
    "oggetto",
    "enviado",
    "para",
    "asunto",
    "data",
    "importance",
];

/// The words between the dashes of "-----Original Message-----" and friends, folded.
const ORIGINAL_MESSAGE: &[&str] = &[
    "original message",
    "mail original",
    "message d'origine",
    "message original",
    "ursprungliche nachricht",
    "original-nachricht",
    "mensaje original",
    "messaggio originale",
    "oorspronkelijk bericht",
    "mensagem original",
    "reply message",
];

/// Forward markers that need surrounding dashes ("---------- Forwarded message ---------").
const FORWARD_DASHED: &[&str] = &[
    "forwarded message",
    "message transfere",
    "message reexpedie",
    "weitergeleitete nachricht",
    "mensaje reenviado",
    "messaggio inoltrato",
    "doorgestuurd bericht",
    "mensagem encaminhada",
];

/// Forward markers that stand on their own ("Begin forwarded message:").
const FORWARD_PLAIN: &[&str] = &[
    "begin forwarded message",
    "debut du message reexpedie",
    "anfang der weitergeleiteten nachricht",
    "inicio del mensaje reenviado",
];

/// Mobile and webmail signatures, folded line starts.
const MOBILE_SIGNATURES: &[&str] = &[
    "sent from my ",
    "sent from outlook",
    "sent from mail for windows",
    "sent from yahoo mail",
    "sent from the all new aol",
    "sent from aol mobile",
    "sent from samsung",
    "sent from proton mail",
    "sent with proton mail",
    "sent from protonmail",
    "sent with protonmail",
    "sent via the samsung",
    "sent from blackberry",
    "sent from my blackberry",
    "get outlook for ios",
    "get outlook for android",
    "get outlook for mac",
    "envoye de mon ",
    "envoye depuis mon ",
    "envoye depuis outlook",
    "envoye depuis yahoo mail",
    "envoye depuis l'application",
    "envoye de l'application",
    "envoye a partir de outlook",
    "envoye a partir de courrier",
    "envoye a partir de mon ",
    "envoye avec proton mail",
    "obtenir outlook pour ",
    "telecharger outlook pour ",
    "gesendet von meinem ",
    "von meinem iphone gesendet",
    "enviado desde mi ",
    "inviato da ",
];

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// `-- ` (RFC 3676) or a bare `--` that many people type.
fn is_signature_delimiter(line: &str) -> bool {
    line == "-- " || line.trim_end() == "--"
}

fn is_mobile_signature(line: &str) -> bool {
    let n = normalize_line(line);
    n.len() <= 120 && MOBILE_SIGNATURES.iter().any(|p| n.starts_with(p))
}

pub(super) fn is_forward_marker(line: &str) -> bool {
    let n = normalize_line(line);
    let core = n.trim_matches(|c: char| matches!(c, '-' | ' ' | ':' | '_' | '=' | '*'));
    if FORWARD_PLAIN.contains(&core) {
        return true;
    }
    let dashed = n.starts_with("--") || n.starts_with("__") || n.starts_with("==");
    dashed && FORWARD_DASHED.contains(&core)
}

fn is_original_message_line(line: &str) -> bool {
    let n = normalize_line(line);
    if !n.contains("--") {
        return false;
    }
    let core = n.trim_matches(|c: char| matches!(c, '-' | ' ' | '_' | '=' | '*'));
    ORIGINAL_MESSAGE.contains(&core)
}

/// `Name: value` of a header-looking line, name folded. Bold markers (`*From:*`) are tolerated.
fn header_field(line: &str) -> Option<(String, &str)> {
    let t = line.trim_start().trim_start_matches('*');
    let colon = t.find(':')?;
    let name = t[..colon].trim_end_matches(|c: char| c.is_whitespace() || c == '*');
    if name.is_empty() || name.chars().count() > 24 || name.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let value = t[colon + 1..].trim_start_matches('*').trim();
    Some((normalize_line(name), value))
}

/// An Outlook header block starts here: "From: …" followed by at least two of "Sent:", "To:",
/// "Subject:" (or their French/German/... names) before the next blank line.
fn is_header_block(lines: &[&str], i: usize) -> bool {
    let Some((name, value)) = header_field(lines[i]) else {
        return false;
    };
    if value.is_empty() || !FROM_FIELDS.contains(&name.as_str()) {
        return false;
    }
    let mut others = 0;
    for line in lines.iter().skip(i + 1).take(8) {
        if is_blank(line) {
            if others > 0 {
                break;
            }
            continue;
        }
        if let Some((name, _)) = header_field(line) {
            if HEADER_FIELDS.contains(&name.as_str()) {
                others += 1;
            }
        }
    }
    others >= 2
}

/// "________________________________" right before a header block (Outlook, OWA, Outlook mobile).
fn is_underscore_separator(lines: &[&str], i: usize) -> bool {
    let t = lines[i].trim();
    if t.chars().count() < 8 || !t.chars().all(|c| c == '_') {
        return false;
    }
    match next_non_blank(lines, i + 1) {
        Some(j) if j <= i + 3 => header_field(lines[j]).is_some_and(|(name, _)| {
            FROM_FIELDS.contains(&name.as_str()) || HEADER_FIELDS.contains(&name.as_str())
        }),
        _ => false,
    }
}

/// A line after which everything is the previous message, unprefixed (Outlook style).
fn is_quote_separator(lines: &[&str], i: usize) -> bool {
    is_original_message_line(lines[i])
        || is_underscore_separator(lines, i)
        || is_header_block(lines, i)
}

fn ends_attribution(n: &str) -> bool {
    ATTRIBUTION_ENDINGS.iter().any(|e| n.ends_with(e))
}

fn starts_attribution(n: &str) -> bool {
    ATTRIBUTION_STARTS.iter().any(|s| n.starts_with(s))
}

/// Whether a (normalised) line reads as an attribution. Two shapes:
/// - it ends with "wrote:" / "a écrit :" and looks like one (starts with "On"/"Le", names an
///   address or a date, or quoted lines follow), so that "here is what the customer wrote:"
///   followed by pasted text is kept;
/// - it ends with ":" after an address, with "wrote"/"schrieb"/... somewhere before ("Am …
///   schrieb Bob <b@x>:", Notes' "Bob <b@x> wrote on 03/06/2024 09:15:").
fn is_attribution(n: &str, quoted_follows: bool) -> bool {
    if n.len() > 400 {
        return false;
    }
    if ends_attribution(n) {
        return starts_attribution(n)
            || n.contains('@')
            || n.chars().any(|c| c.is_ascii_digit())
            || quoted_follows;
    }
    n.ends_with(':')
        && ATTRIBUTION_VERBS.iter().any(|v| n.contains(v))
        && (n.contains('@') || (starts_attribution(n) && quoted_follows))
}

/// The number of lines (1 or 2) of an attribution at `i`: "On … wrote:", "Le … a écrit :", also
/// when the client wrapped it over two lines.
fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let line = lines[i];
    if is_quoted(line) || is_blank(line) {
        return None;
    }
    let n = normalize_line(line);
    let quoted_after =
        |from: usize| next_non_blank(lines, from).is_some_and(|j| is_quoted(lines[j]));
    if is_attribution(&n, quoted_after(i + 1)) {
        return Some(1);
    }
    if starts_attribution(&n) || n.contains(" wrote") {
        if let Some(next) = lines.get(i + 1) {
            if !is_quoted(next) && !is_blank(next) {
                let joined = format!("{n} {}", normalize_line(next));
                if is_attribution(&joined, quoted_after(i + 2))
                    && (starts_attribution(&joined) || joined.contains('@'))
                {
                    return Some(2);
                }
            }
        }
    }
    None
}

fn next_non_blank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len()).find(|&j| !is_blank(lines[j]))
}

/// One level of `>` removed.
fn unquote_once(line: &str) -> &str {
    match line.trim_start().strip_prefix('>') {
        Some(rest) => rest.strip_prefix(' ').unwrap_or(rest),
        None => line,
    }
}

/// The forward marker line and what follows it. Apple Mail quotes the forwarded message with `>`:
/// when the first line after the marker is quoted, one level of quoting is removed.
fn forward_section(lines: &[&str]) -> Vec<String> {
    let Some((marker, rest)) = lines.split_first() else {
        return Vec::new();
    };
    let quoted = rest
        .iter()
        .find(|l| !is_blank(l))
        .is_some_and(|l| is_quoted(l));
    let mut out = Vec::with_capacity(lines.len());
    out.push(marker.trim().to_string());
    for line in rest {
        out.push(if quoted { unquote_once(line) } else { line }.to_string());
    }
    out
}

/// Trailing whitespace trimmed on every line, runs of blank lines collapsed to one, leading and
/// trailing blank lines dropped.
pub(super) fn tidy<S: AsRef<str>>(lines: &[S]) -> String {
    let mut out = String::new();
    let mut blank_run = false;
    for line in lines {
        let line = line.as_ref().trim_end();
        if line.is_empty() {
            blank_run = !out.is_empty();
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
            if blank_run {
                out.push('\n');
            }
        }
        blank_run = false;
        out.push_str(line);
    }
    out
}

/// `\n` line ends only; byte-order marks (iOS puts one at the start of quoted text) removed.
fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if s.contains(['\r', '\u{feff}']) {
        Cow::Owned(
            s.replace("\r\n", "\n")
                .replace('\r', "\n")
                .replace('\u{feff}', ""),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// The new part of a plain-text reply (SPEC §3.2).
///
/// Dropped: `>` lines; attribution lines in English and French (also wrapped over two lines);
/// everything from an Outlook header block on ("-----Original Message-----",
/// "-----Message d'origine-----", "From: … Sent: … To: … Subject:", "De : … Envoyé : … À : …
/// Objet :", with or without the "______" separator before it); the `-- ` signature; mobile
/// signatures ("Sent from my iPhone", "Envoyé de mon iPhone", "Get Outlook for iOS" …).
///
/// Kept: the non-quoted lines between quoted lines (inline replies), in order. A forward ("Begin
/// forwarded message:", "---------- Forwarded message ---------", "-------- Message transféré
/// --------", "Début du message réexpédié :") is new information for a ticket: the marker line
/// and the forwarded content are kept (after the note above it, if there is one).
///
/// Trailing whitespace is trimmed on every line, blank-line runs collapse to one blank line, and
/// leading/trailing blank lines go.
pub fn strip_quotes(body: &str) -> String {
    let text = normalize_newlines(body);
    let lines: Vec<&str> = text.split('\n').collect();
    let mut kept: Vec<&str> = Vec::new();
    let mut forward: Vec<String> = Vec::new();
    let mut in_signature = false;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_quoted(line) {
            i += 1;
            continue;
        }
        if is_forward_marker(line) {
            forward = forward_section(&lines[i..]);
            break;
        }
        if let Some(len) = attribution_len(&lines, i) {
            match next_non_blank(&lines, i + len) {
                // Unprefixed quote (Yahoo, some mobile clients): the rest is the old message.
                Some(j) if !is_quoted(lines[j]) => break,
                _ => {
                    i += len;
                    continue;
                }
            }
        }
        if is_quote_separator(&lines, i) {
            break;
        }
        if in_signature {
            i += 1;
            continue;
        }
        if is_signature_delimiter(line) {
            in_signature = true;
            i += 1;
            continue;
        }
        if !is_mobile_signature(line) {
            kept.push(line);
        }
        i += 1;
    }
    let note = tidy(&kept);
    let forward = tidy(&forward);
    match (note.is_empty(), forward.is_empty()) {
        (_, true) => note,
        (true, false) => forward,
        (false, false) => format!("{note}\n\n{forward}"),
    }
}

/// Whether the text has a forward marker outside quoted lines.
pub fn has_forward_marker(body: &str) -> bool {
    normalize_newlines(body)
        .split('\n')
        .any(|l| !is_quoted(l) && is_forward_marker(l))
}

/// The quoted part of a mail: from the first quote marker (attribution, Outlook header block or
/// separator, `>` line) to the end, separator lines dropped and one `>` level removed when the
/// whole part is `>`-quoted. Used for forwards whose client writes no forward marker (Outlook's
/// "FW:" looks exactly like a reply); empty when nothing is quoted.
pub fn quoted_part(body: &str) -> String {
    let text = normalize_newlines(body);
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(start) = (0..lines.len()).find(|&i| {
        is_quoted(lines[i])
            || is_forward_marker(lines[i])
            || attribution_len(&lines, i).is_some()
            || is_quote_separator(&lines, i)
    }) else {
        return String::new();
    };
    let mut rest = &lines[start..];
    if let Some(len) = attribution_len(&lines, start) {
        rest = &rest[len.min(rest.len())..];
    } else if let Some(first) = rest.first() {
        let t = first.trim();
        if is_original_message_line(first)
            || is_forward_marker(first)
            || (!t.is_empty() && t.chars().all(|c| c == '_'))
        {
            rest = &rest[1..];
        }
    }
    let mut non_blank = rest.iter().filter(|l| !is_blank(l)).peekable();
    let all_quoted = non_blank.peek().is_some() && non_blank.all(|l| is_quoted(l));
    let out: Vec<&str> = rest
        .iter()
        .map(|l| if all_quoted { unquote_once(l) } else { l })
        .collect();
    tidy(&out)
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- strip_quotes, rule by rule ---------------------------------------------------------

    #[test]
    fn drops_quoted_lines() {
        assert_eq!(strip_quotes("Yes.\n> Does it work?\n>> Earlier"), "Yes.");
    }

    #[test]
    fn drops_english_attribution() {
        let body = "Works now.\n\nOn Mon, 3 Jun 2024 at 10:00, Bob <b@x.com> wrote:\n> Try again\n";
        assert_eq!(strip_quotes(body), "Works now.");
    }

    #[test]
    fn drops_french_attribution() {
        let body =
            "Ça marche.\n\nLe lun. 3 juin 2024 à 10:00, Bob <b@x.com> a écrit :\n> Essayez\n";
        assert_eq!(strip_quotes(body), "Ça marche.");
        let body = "Ça marche.\n\nLe lun. 3 juin 2024 à 10:00, Bob <b@x.com> a\u{a0}écrit\u{a0}:\n> Essayez\n";
        assert_eq!(strip_quotes(body), "Ça marche.");
    }

    #[test]
    fn drops_attribution_wrapped_over_two_lines() {
        let body = "OK\n\nOn Mon, Jun 3, 2024 at 10:00 AM Example Support <\nsupport@example.com> wrote:\n\n> Hi\n";
        assert_eq!(strip_quotes(body), "OK");
        let body = "OK\n\nOn Mon, Jun 3, 2024 at 10:00 AM Example Support <support@example.com>\nwrote:\n> Hi\n";
        assert_eq!(strip_quotes(body), "OK");
        let body = "D'accord\n\nLe lun. 3 juin 2024 à 10:00, Support Example <support@example.com> a\nécrit :\n> Bonjour\n";
        assert_eq!(strip_quotes(body), "D'accord");
    }

    #[test]
    fn keeps_a_sentence_ending_in_wrote() {
        let body = "Here is what the customer wrote:\nThe printer is on fire.";
        assert_eq!(strip_quotes(body), body);
    }

    #[test]
    fn cuts_at_outlook_original_message() {
        let body = "Done.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\nHello";
        assert_eq!(strip_quotes(body), "Done.");
        let body = "Fait.\n\n-----Message d'origine-----\nDe : Bob\nEnvoyé : lundi\nBonjour";
        assert_eq!(strip_quotes(body), "Fait.");
    }

    #[test]
    fn cuts_at_outlook_header_block() {
        let body = "Done.\n\nFrom: Bob <b@x.com>\nSent: Monday, June 3, 2024 10:00 AM\nTo: support@x.com\nSubject: RE: printer\n\nHello";
        assert_eq!(strip_quotes(body), "Done.");
        let body = "Fait.\n\nDe : Bob <b@x.com>\nEnvoyé : lundi 3 juin 2024 10:00\nÀ : support@x.com\nObjet : RE: imprimante\n\nBonjour";
        assert_eq!(strip_quotes(body), "Fait.");
    }

    #[test]
    fn cuts_at_underscore_separator_before_headers() {
        let body = "Done.\n\n________________________________\nFrom: Bob <b@x.com>\nSent: Monday\nTo: s@x.com\n\nHello";
        assert_eq!(strip_quotes(body), "Done.");
        // A line of underscores not followed by headers is the writer's own.
        let body = "Done.\n________________________________\nBob, ACME";
        assert_eq!(strip_quotes(body), body);
    }

    #[test]
    fn a_lone_from_line_is_text() {
        let body = "From: the logs, the disk is full.\nWe cleaned it.";
        assert_eq!(strip_quotes(body), body);
    }

    #[test]
    fn drops_dash_dash_signature() {
        assert_eq!(strip_quotes("Thanks\n-- \nAlice\nACME Corp"), "Thanks");
        assert_eq!(strip_quotes("Thanks\n--\nAlice"), "Thanks");
    }

    #[test]
    fn drops_mobile_signatures() {
        for sig in [
            "Sent from my iPhone",
            "Sent from my iPad",
            "Sent from my Android",
            "Sent from my Galaxy",
            "Sent from my Samsung Galaxy smartphone.",
            "Get Outlook for iOS",
            "Get Outlook for Android",
            "Envoyé de mon iPhone",
            "Envoyé depuis mon smartphone Samsung Galaxy.",
            "Envoyé depuis Outlook pour iOS",
            "Obtenir Outlook pour Android",
            "Télécharger Outlook pour iOS",
            "Envoyé à partir de Courrier pour Windows",
            "Sent from Mail for Windows",
        ] {
            assert_eq!(strip_quotes(&format!("OK\n\n{sig}")), "OK", "{sig}");
        }
    }

    #[test]
    fn keeps_inline_answers_in_order() {
        let body = "Hi,\n\nOn 03/06/2024 10:00, Bob wrote:\n> Windows?\n\nYes.\n\n> Mac?\n\nNot yet.\n\n-- \nAlice";
        assert_eq!(strip_quotes(body), "Hi,\n\nYes.\n\nNot yet.");
    }

    #[test]
    fn unprefixed_quote_after_attribution_is_cut() {
        let body = "Thanks\n\nOn Monday, June 3, 2024, 10:00:00 AM GMT+2, Bob <b@x.com> wrote:\n\n\nOld text\nmore";
        assert_eq!(strip_quotes(body), "Thanks");
    }

    #[test]
    fn keeps_forward_only_mail() {
        let body = "\n---------- Forwarded message ---------\nFrom: Alice <a@x.com>\nDate: Mon, 3 Jun 2024\nSubject: Printer\nTo: <b@x.com>\n\nIt is broken.\n";
        assert_eq!(
            strip_quotes(body),
            "---------- Forwarded message ---------\nFrom: Alice <a@x.com>\nDate: Mon, 3 Jun 2024\nSubject: Printer\nTo: <b@x.com>\n\nIt is broken."
        );
    }

    #[test]
    fn apple_forward_is_unquoted_once() {
        let body = "Sent from my iPhone\n\nBegin forwarded message:\n\n> From: Alice <a@x.com>\n> Subject: Printer\n> \n> It is broken.\n";
        assert_eq!(
            strip_quotes(body),
            "Begin forwarded message:\n\nFrom: Alice <a@x.com>\nSubject: Printer\n\nIt is broken."
        );
        let body = "Début du message réexpédié :\n\n> De: Alice <a@x.com>\n> \n> En panne.";
        assert_eq!(
            strip_quotes(body),
            "Début du message réexpédié :\n\nDe: Alice <a@x.com>\n\nEn panne."
        );
    }

    #[test]
    fn forward_with_a_note_keeps_both() {
        let body = "FYI\n\n-------- Message transféré --------\nSujet : Imprimante\n\nEn panne.";
        assert_eq!(
            strip_quotes(body),
            "FYI\n\n-------- Message transféré --------\nSujet : Imprimante\n\nEn panne."
        );
    }

    #[test]
    fn quoted_forward_is_a_quote() {
        let body = "Thanks\n\nOn Mon, 3 Jun 2024, Bob <b@x.com> wrote:\n> ---------- Forwarded message ---------\n> From: A\n";
        assert_eq!(strip_quotes(body), "Thanks");
        assert!(!has_forward_marker(body));
    }

    #[test]
    fn whitespace_is_tidied() {
        assert_eq!(strip_quotes("\n\n  a  \n\n\n\nb\t\n\n"), "  a\n\nb");
        assert_eq!(strip_quotes("a\r\nb\r\n"), "a\nb");
        assert_eq!(strip_quotes(""), "");
    }

    #[test]
    fn quoted_part_of_outlook_forward() {
        let body = "\n________________________________\nFrom: Alice <a@x.com>\nSent: Monday\nTo: b@x.com\nSubject: Printer\n\nIt is broken.";
        assert_eq!(strip_quotes(body), "");
        assert_eq!(
            quoted_part(body),
            "From: Alice <a@x.com>\nSent: Monday\nTo: b@x.com\nSubject: Printer\n\nIt is broken."
        );
        assert_eq!(quoted_part("nothing quoted"), "");
    }
}
