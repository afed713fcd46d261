//! Reply text (SPEC §3.2) and keywords (SPEC §3.3). Pure: no I/O.
//!
//! What this module owns:
//! - [`strip_quotes`]: the new part of a plain-text reply (quotes, attributions, Outlook header
//!   blocks and signatures removed; forwards kept);
//! - [`html_to_text`] and [`html_reply_text`]: HTML mail as readable text, and the new part of an
//!   HTML reply (client quote blocks removed before conversion);
//! - [`extract_keywords`]: `#word` commands from the subject and the first lines of the new text;
//! - [`strip_subject_prefixes`], [`is_forward_subject`] and [`fold`] (case and accent folding).
//!
//! Invariants: nothing here does I/O, reads a clock or fails; every function takes any string
//! (broken HTML, odd whitespace, huge input) and returns a string. It imports nothing of the crate
//! outside `crate::core`.
//!
//! The rules are heuristics tuned on the reply corpus in `tests/data/replies/`; the measured
//! accuracy and the known misses are in `docs/reply-accuracy.md`. When a rule changes, run
//! `cargo test --test it replies` and update that page.

use std::borrow::Cow;

use crate::core::Keyword;

/// How many non-blank lines at the top of the new text may carry a keyword (SPEC §3.3).
pub const KEYWORD_LINES: usize = 5;

// ------------------------------------------------------------------------------------------------
// Folding
// ------------------------------------------------------------------------------------------------

/// Lower case with accents removed (`é`→`e`, `ç`→`c`, `œ`→`oe`, `ß`→`ss`), for matching keywords,
/// prefixes and quote markers. Typographic apostrophes become `'` and non-breaking spaces become
/// plain spaces, because mail clients sprinkle both into the lines we match.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        for lower in c.to_lowercase() {
            push_folded(&mut out, lower);
        }
    }
    out
}

fn push_folded(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c);
        return;
    }
    // Combining marks (input in NFD form): the base letter is already out.
    if ('\u{300}'..='\u{36f}').contains(&c) {
        return;
    }
    let plain: &str = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => "c",
        'ď' | 'đ' | 'ð' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => "g",
        'ĥ' | 'ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => "i",
        'ĳ' => "ij",
        'ĵ' => "j",
        'ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => "o",
        'œ' => "oe",
        'ŕ' | 'ŗ' | 'ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => "s",
        'ß' => "ss",
        'ţ' | 'ť' | 'ŧ' | 'ț' => "t",
        'þ' => "th",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => "u",
        'ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        '\u{2018}' | '\u{2019}' | '\u{02bc}' => "'",
        '\u{a0}' | '\u{202f}' | '\u{2007}' => " ",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(plain);
}

/// A line reduced for matching: folded, whitespace runs collapsed to one space, trimmed.
fn normalize_line(line: &str) -> String {
    let folded = fold(line);
    let mut out = String::with_capacity(folded.len());
    for word in folded.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Subject prefixes
// ------------------------------------------------------------------------------------------------

/// Reply prefixes, folded (SPEC §3.1: `Re:`, `AW:`, `SV:`, `RIF:`, `Antw:`, `Réf. :` ...).
const REPLY_PREFIXES: &[&str] = &[
    "re", "ref", "rep", "aw", "antw", "antwort", "sv", "vs", "rif", "res", "odp", "ynt", "atb",
    "回复", "答复", "回覆",
];

/// Forward prefixes, folded (`Fwd:`, `FW:`, `TR:`, `WG:` ...).
const FORWARD_PREFIXES: &[&str] = &[
    "fw", "fwd", "tr", "wg", "rv", "enc", "doorst", "vb", "vl", "pd", "转发", "轉寄",
];

/// Removes any number of leading reply/forward prefixes: `Re:`, `RE :`, `Re[2]:`, `AW:`, `WG:`,
/// `TR:`, `Fwd:`, `FW:`, `Réf. :`, `SV:`, `VS:`, `RIF:`, `Antw:` and the like, case-insensitive,
/// with optional space before the colon. The rest of the subject is returned untouched (trimmed).
pub fn strip_subject_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    while let Some((rest, _)) = strip_one_prefix(s) {
        s = rest.trim_start();
    }
    s
}

/// Whether the subject's first prefix says "forward" (`Fwd:`, `FW:`, `TR:`, `WG:` ...).
pub fn is_forward_subject(subject: &str) -> bool {
    matches!(strip_one_prefix(subject.trim()), Some((_, true)))
}

/// Strips one prefix; the flag says whether it was a forward prefix.
fn strip_one_prefix(s: &str) -> Option<(&str, bool)> {
    let word_end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    if word_end == 0 {
        return None;
    }
    let word = fold(&s[..word_end]);
    let is_forward = FORWARD_PREFIXES.contains(&word.as_str());
    if !is_forward && !REPLY_PREFIXES.contains(&word.as_str()) {
        return None;
    }
    let mut rest = &s[word_end..];
    // Counters: `Re[2]:`, `Re(2):`, `Re^2:`.
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = rest.strip_prefix(open) {
            if let Some(end) = inner.find(close) {
                if inner[..end].chars().all(|c| c.is_ascii_digit()) {
                    rest = &inner[end + close.len_utf8()..];
                }
            }
        }
    }
    if let Some(inner) = rest.strip_prefix('^') {
        rest = inner.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    let rest = rest.trim_start_matches([' ', '\t', '\u{a0}', '\u{202f}']);
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    Some((rest, is_forward))
}

// ------------------------------------------------------------------------------------------------
// Keywords
// ------------------------------------------------------------------------------------------------

/// The commands found in a mail, and its new text without the keyword lines.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Commands {
    /// In order found (subject first, then body), without duplicates.
    pub keywords: Vec<Keyword>,
    /// `reply_text` with the keyword lines removed, trimmed.
    pub text: String,
}

/// SPEC §3.3: a keyword is `#word` on a line of its own among the first [`KEYWORD_LINES`]
/// non-blank lines of the new text, or anywhere in the subject as a whole word (`#resolve`,
/// `[#close]`). Case and accents do not matter; French aliases come from
/// [`Keyword::from_folded`]. `#hashtags` that are not keywords stay plain text.
///
/// Extraction runs on `reply_text` (quotes already stripped), so a keyword in quoted text never
/// counts.
pub fn extract_keywords(subject: &str, reply_text: &str) -> Commands {
    let mut keywords = Vec::new();
    let add = |kw: Keyword, keywords: &mut Vec<Keyword>| {
        if !keywords.contains(&kw) {
            keywords.push(kw);
        }
    };
    for kw in subject_keywords(subject) {
        add(kw, &mut keywords);
    }

    let lines: Vec<&str> = reply_text.lines().collect();
    let mut remove = vec![false; lines.len()];
    let mut non_blank = 0;
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        non_blank += 1;
        if non_blank > KEYWORD_LINES {
            break;
        }
        if let Some(found) = keyword_line(line) {
            for kw in found {
                add(kw, &mut keywords);
            }
            remove[i] = true;
        }
    }

    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut skip_blank = false;
    for (i, line) in lines.iter().enumerate() {
        let blank = line.trim().is_empty();
        if remove[i] {
            // "Hello\n\n#resolve\n\nFixed." must not leave two blank lines behind.
            let prev_blank = kept.last().is_some_and(|l| l.trim().is_empty());
            let next_blank = lines.get(i + 1).is_some_and(|l| l.trim().is_empty());
            skip_blank = prev_blank && next_blank;
            continue;
        }
        if skip_blank && blank {
            skip_blank = false;
            continue;
        }
        skip_blank = false;
        kept.push(line);
    }
    Commands {
        keywords,
        text: kept.join("\n").trim().to_string(),
    }
}

/// Keywords on a line that holds nothing else (whitespace and trailing punctuation allowed).
fn keyword_line(line: &str) -> Option<Vec<Keyword>> {
    let t = line.trim().trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | ',' | ';' | ':' | '?')
    });
    if t.is_empty() {
        return None;
    }
    let mut found = Vec::new();
    for token in t.split_whitespace() {
        let word = token
            .strip_prefix('#')?
            .trim_end_matches(['.', '!', ',', ';', ':', '?']);
        if word.is_empty() || !word.chars().all(is_keyword_char) {
            return None;
        }
        found.push(Keyword::from_folded(&fold(word))?);
    }
    Some(found)
}

fn is_keyword_char(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

/// `#word` anywhere in the subject, as a whole word.
fn subject_keywords(subject: &str) -> Vec<Keyword> {
    let chars: Vec<(usize, char)> = subject.char_indices().collect();
    let mut found = Vec::new();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if c != '#' {
            continue;
        }
        if k > 0 {
            let prev = chars[k - 1].1;
            if prev.is_alphanumeric() || matches!(prev, '_' | '#' | '&' | '-') {
                continue;
            }
        }
        let start = i + 1;
        let end = subject[start..]
            .char_indices()
            .find(|&(_, c)| !is_keyword_char(c))
            .map_or(subject.len(), |(j, _)| start + j);
        let word = subject[start..end].trim_end_matches(['-', '_']);
        if let Some(kw) = Keyword::from_folded(&fold(word)) {
            found.push(kw);
        }
    }
    found
}

// ------------------------------------------------------------------------------------------------
// Plain-text quote stripping
// ------------------------------------------------------------------------------------------------

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

fn is_forward_marker(line: &str) -> bool {
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
fn tidy<S: AsRef<str>>(lines: &[S]) -> String {
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

// ------------------------------------------------------------------------------------------------
// HTML
// ------------------------------------------------------------------------------------------------

#[derive(Debug)]
enum Tok<'a> {
    Text(&'a str),
    Start {
        name: String,
        attrs: Vec<(String, String)>,
        self_closing: bool,
    },
    End {
        name: String,
    },
    /// Comments, doctypes, processing instructions, the raw content of `<script>`/`<style>`.
    Other,
}

#[derive(Debug)]
struct Token<'a> {
    tok: Tok<'a>,
    start: usize,
    end: usize,
}

/// Elements whose content is raw text, never markup.
const RAW_TEXT_ELEMENTS: &[&str] = &["script", "style", "title", "textarea", "xmp"];

/// A forgiving tokenizer: never fails, every byte ends up in some token. All token boundaries
/// fall on ASCII bytes, so slicing the input at them is safe.
fn tokenize(html: &str) -> Vec<Token<'_>> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut toks = Vec::new();
    let mut pos = 0;
    let mut text_start = 0;
    while pos < len {
        if bytes[pos] != b'<' {
            pos += 1;
            continue;
        }
        let Some((tok, end)) = parse_markup(html, pos) else {
            pos += 1;
            continue;
        };
        if text_start < pos {
            toks.push(Token {
                tok: Tok::Text(&html[text_start..pos]),
                start: text_start,
                end: pos,
            });
        }
        let raw_text = match &tok {
            Tok::Start {
                name,
                self_closing: false,
                ..
            } if RAW_TEXT_ELEMENTS.contains(&name.as_str()) => Some(format!("</{name}")),
            _ => None,
        };
        toks.push(Token {
            tok,
            start: pos,
            end,
        });
        pos = end;
        if let Some(close) = raw_text {
            let close_at = find_ascii_ci(bytes, pos, close.as_bytes()).unwrap_or(len);
            if close_at > pos {
                toks.push(Token {
                    tok: Tok::Other,
                    start: pos,
                    end: close_at,
                });
            }
            pos = close_at;
        }
        text_start = pos;
    }
    if text_start < len {
        toks.push(Token {
            tok: Tok::Text(&html[text_start..]),
            start: text_start,
            end: len,
        });
    }
    toks
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&x| x == b)
        .map(|p| from + p)
}

fn find_ascii_ci(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || from >= bytes.len() {
        return None;
    }
    let hay = &bytes[from..];
    if hay.len() < needle.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .find(|&i| hay[i..i + needle.len()].eq_ignore_ascii_case(needle))
        .map(|i| from + i)
}

fn read_name(bytes: &[u8], mut p: usize) -> (String, usize) {
    let start = p;
    while p < bytes.len()
        && (bytes[p].is_ascii_alphanumeric() || matches!(bytes[p], b'-' | b':' | b'_' | b'.'))
    {
        p += 1;
    }
    (
        String::from_utf8_lossy(&bytes[start..p]).to_ascii_lowercase(),
        p,
    )
}

/// Markup at `pos` (a `<`): the token and the byte after it, or `None` when this `<` is text.
fn parse_markup(html: &str, pos: usize) -> Option<(Tok<'_>, usize)> {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let next = *bytes.get(pos + 1)?;
    if bytes[pos..].starts_with(b"<!--") {
        let end = find_ascii_ci(bytes, pos + 4, b"-->").map_or(len, |e| e + 3);
        return Some((Tok::Other, end));
    }
    match next {
        b'!' | b'?' => {
            let end = find_byte(bytes, pos, b'>').map_or(len, |e| e + 1);
            Some((Tok::Other, end))
        }
        b'/' => {
            let after = *bytes.get(pos + 2)?;
            let end_of = |p: usize| find_byte(bytes, p, b'>').map_or(len, |e| e + 1);
            if after.is_ascii_alphabetic() {
                let (name, p) = read_name(bytes, pos + 2);
                Some((Tok::End { name }, end_of(p)))
            } else {
                Some((Tok::Other, end_of(pos + 2)))
            }
        }
        c if c.is_ascii_alphabetic() => Some(parse_start_tag(html, pos)),
        _ => None,
    }
}

fn parse_start_tag(html: &str, pos: usize) -> (Tok<'_>, usize) {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let (name, mut p) = read_name(bytes, pos + 1);
    let mut attrs = Vec::new();
    let mut self_closing = false;
    loop {
        while p < len && bytes[p].is_ascii_whitespace() {
            p += 1;
        }
        match bytes.get(p) {
            None => break,
            Some(b'>') => {
                p += 1;
                break;
            }
            Some(b'/') => {
                p += 1;
                if bytes.get(p) == Some(&b'>') {
                    self_closing = true;
                    p += 1;
                    break;
                }
            }
            Some(_) => {
                let name_start = p;
                while p < len
                    && !bytes[p].is_ascii_whitespace()
                    && !matches!(bytes[p], b'=' | b'>' | b'/')
                {
                    p += 1;
                }
                let attr_name = html[name_start..p].to_ascii_lowercase();
                while p < len && bytes[p].is_ascii_whitespace() {
                    p += 1;
                }
                let mut value = "";
                if bytes.get(p) == Some(&b'=') {
                    p += 1;
                    while p < len && bytes[p].is_ascii_whitespace() {
                        p += 1;
                    }
                    match bytes.get(p) {
                        Some(&q) if q == b'"' || q == b'\'' => {
                            let value_start = p + 1;
                            let value_end = find_byte(bytes, value_start, q).unwrap_or(len);
                            value = &html[value_start.min(len)..value_end];
                            p = (value_end + 1).min(len);
                        }
                        _ => {
                            let value_start = p;
                            while p < len && !bytes[p].is_ascii_whitespace() && bytes[p] != b'>' {
                                p += 1;
                            }
                            value = &html[value_start..p];
                        }
                    }
                }
                if !attr_name.is_empty() {
                    attrs.push((attr_name, decode_entities(value).into_owned()));
                } else if p == name_start {
                    // A stray byte we cannot place (cannot happen with the loops above; kept so
                    // the loop always advances). Skip one whole character.
                    p += html[p..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
    }
    (
        Tok::Start {
            name,
            attrs,
            self_closing,
        },
        p.min(len),
    )
}

/// Named character references: the Latin-1 set and the typographic ones mail uses.
const LATIN1_ENTITIES: [&str; 96] = [
    "nbsp", "iexcl", "cent", "pound", "curren", "yen", "brvbar", "sect", "uml", "copy", "ordf",
    "laquo", "not", "shy", "reg", "macr", "deg", "plusmn", "sup2", "sup3", "acute", "micro",
    "para", "middot", "cedil", "sup1", "ordm", "raquo", "frac14", "frac12", "frac34", "iquest",
    "Agrave", "Aacute", "Acirc", "Atilde", "Auml", "Aring", "AElig", "Ccedil", "Egrave", "Eacute",
    "Ecirc", "Euml", "Igrave", "Iacute", "Icirc", "Iuml", "ETH", "Ntilde", "Ograve", "Oacute",
    "Ocirc", "Otilde", "Ouml", "times", "Oslash", "Ugrave", "Uacute", "Ucirc", "Uuml", "Yacute",
    "THORN", "szlig", "agrave", "aacute", "acirc", "atilde", "auml", "aring", "aelig", "ccedil",
    "egrave", "eacute", "ecirc", "euml", "igrave", "iacute", "icirc", "iuml", "eth", "ntilde",
    "ograve", "oacute", "ocirc", "otilde", "ouml", "divide", "oslash", "ugrave", "uacute", "ucirc",
    "uuml", "yacute", "thorn", "yuml",
];

const OTHER_ENTITIES: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("OElig", 'Œ'),
    ("oelig", 'œ'),
    ("Scaron", 'Š'),
    ("scaron", 'š'),
    ("Yuml", 'Ÿ'),
    ("fnof", 'ƒ'),
    ("circ", 'ˆ'),
    ("tilde", '˜'),
    ("ensp", '\u{2002}'),
    ("emsp", '\u{2003}'),
    ("thinsp", '\u{2009}'),
    ("zwnj", '\u{200c}'),
    ("zwj", '\u{200d}'),
    ("lrm", '\u{200e}'),
    ("rlm", '\u{200f}'),
    ("ndash", '–'),
    ("mdash", '—'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("sbquo", '‚'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("bdquo", '„'),
    ("dagger", '†'),
    ("Dagger", '‡'),
    ("bull", '•'),
    ("hellip", '…'),
    ("permil", '‰'),
    ("prime", '′'),
    ("lsaquo", '‹'),
    ("rsaquo", '›'),
    ("euro", '€'),
    ("trade", '™'),
    ("larr", '←'),
    ("rarr", '→'),
    ("uarr", '↑'),
    ("darr", '↓'),
    ("hearts", '♥'),
    ("check", '✓'),
];

/// Entities that browsers accept without the final `;`.
const LEGACY_ENTITIES: &[&str] = &["amp", "lt", "gt", "quot", "nbsp", "copy", "reg"];

/// Windows-1252 characters at 0x80–0x9F, which numeric references often mean.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

fn named_entity(name: &str) -> Option<char> {
    if let Some(i) = LATIN1_ENTITIES.iter().position(|&n| n == name) {
        return char::from_u32(0xA0 + i as u32);
    }
    OTHER_ENTITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, c)| c)
}

/// `&…;` at the start of `s` (after the `&`): the character and the bytes used.
fn parse_entity(s: &str) -> Option<(char, usize)> {
    if let Some(num) = s.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 2),
            None => (num, 10, 1),
        };
        let n = digits.chars().take_while(|c| c.is_digit(radix)).count();
        if n == 0 || n > 8 {
            return None;
        }
        let value = u32::from_str_radix(&digits[..n], radix).ok()?;
        let c = match value {
            0x80..=0x9F => CP1252_HIGH[(value - 0x80) as usize],
            0 => '\u{fffd}',
            v => char::from_u32(v).unwrap_or('\u{fffd}'),
        };
        let used = skip + n + usize::from(digits[n..].starts_with(';'));
        return Some((c, used));
    }
    let n = s
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .count()
        .min(10);
    let name = &s[..n];
    let c = named_entity(name)?;
    if s[n..].starts_with(';') {
        Some((c, n + 1))
    } else if LEGACY_ENTITIES.contains(&name) {
        Some((c, n))
    } else {
        None
    }
}

fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        match parse_entity(after) {
            Some((c, used)) => {
                out.push(c);
                rest = &after[used..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Block-level elements: each starts and ends a line.
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "header",
    "hr",
    "main",
    "nav",
    "section",
    "summary",
    "table",
    "caption",
    "tr",
    "tbody",
    "thead",
    "tfoot",
];

/// Paragraph-like elements: a blank line before and after.
const PARAGRAPH_ELEMENTS: &[&str] = &["h1", "h2", "h3", "h4", "h5", "h6"];

/// Turns a token stream into text, line by line. Breaks between blocks are lazy (only written
/// when more text follows) so empty `<div>`s do not pile up blank lines.
#[derive(Default)]
struct Renderer {
    out: String,
    line_has_content: bool,
    /// 0: none, 1: new line, 2: blank line.
    pending_break: u8,
    pending_space: bool,
    quote_depth: usize,
    pre_depth: usize,
    list_depth: usize,
    bullet: Option<usize>,
    /// The open `<p>` is one of Outlook's single-line paragraphs.
    line_paragraph: bool,
}

impl Renderer {
    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.pre_depth > 0 {
                match c {
                    '\n' => self.line_break(),
                    '\r' => {}
                    '\t' => self.put(' '),
                    c if c.is_control() => {}
                    c => self.put(c),
                }
                continue;
            }
            match c {
                ' ' | '\t' | '\n' | '\r' | '\x0c' => self.pending_space = true,
                // Non-breaking spaces are content: Outlook's empty paragraphs are `&nbsp;`.
                '\u{a0}' | '\u{202f}' | '\u{2007}' => self.put(' '),
                '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{ad}' => {}
                c if c.is_control() => {}
                c => self.put(c),
            }
        }
    }

    fn put(&mut self, c: char) {
        self.flush_break();
        if !self.line_has_content {
            for _ in 0..self.quote_depth {
                self.out.push_str("> ");
            }
            if let Some(depth) = self.bullet.take() {
                for _ in 1..depth {
                    self.out.push_str("  ");
                }
                self.out.push_str("- ");
            }
            self.line_has_content = true;
        } else if self.pending_space {
            self.out.push(' ');
        }
        self.pending_space = false;
        self.out.push(c);
    }

    fn flush_break(&mut self) {
        if self.pending_break == 0 {
            return;
        }
        if self.line_has_content {
            self.out.push('\n');
            self.line_has_content = false;
        }
        if self.pending_break >= 2 && !self.out.is_empty() && !self.out.ends_with("\n\n") {
            self.out.push('\n');
        }
        self.pending_break = 0;
    }

    fn line_break(&mut self) {
        self.flush_break();
        self.out.push('\n');
        self.line_has_content = false;
        self.pending_space = false;
    }

    fn block(&mut self) {
        self.pending_break = self.pending_break.max(1);
        self.pending_space = false;
    }

    fn paragraph(&mut self) {
        self.pending_break = 2;
        self.pending_space = false;
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn has_class(attrs: &[(String, String)], class: &str) -> bool {
    attr(attrs, "class")
        .is_some_and(|v| v.split_whitespace().any(|c| c.eq_ignore_ascii_case(class)))
}

/// Outlook's `<p class=MsoNormal>` is one line, not a paragraph with margins.
fn is_line_paragraph(attrs: &[(String, String)]) -> bool {
    attr(attrs, "class").is_some_and(|v| v.to_ascii_lowercase().contains("mso"))
        || attr(attrs, "style").is_some_and(|s| {
            let s: String = s
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            s.contains("margin:0") || s.contains("margin-top:0")
        })
}

/// Whole HTML to readable plain text: block elements become line breaks, `<br>` a new line,
/// paragraphs a blank line, list items "- ", `<blockquote>` lines "> "; links keep their text;
/// entities are decoded; `<head>`, `<style>`, `<script>` are dropped; whitespace is normalised
/// (trailing spaces trimmed, at most one blank line in a row).
pub fn html_to_text(html: &str) -> String {
    let toks = tokenize(html);
    let mut r = Renderer::default();
    // Inside an element whose content is not shown (`head`, `template`, Outlook's `xml`).
    let mut hidden: Option<String> = None;
    for t in &toks {
        match &t.tok {
            Tok::Text(s) => {
                if hidden.is_none() {
                    r.text(&decode_entities(s));
                }
            }
            Tok::Other => {}
            Tok::Start {
                name,
                attrs,
                self_closing,
            } => {
                if let Some(h) = &hidden {
                    if h == "head" && name == "body" {
                        hidden = None;
                    } else {
                        continue;
                    }
                }
                match name.as_str() {
                    "head" | "template" | "xml" if !self_closing => hidden = Some(name.clone()),
                    "br" => r.line_break(),
                    "p" => {
                        r.line_paragraph = is_line_paragraph(attrs);
                        if r.line_paragraph {
                            r.block()
                        } else {
                            r.paragraph()
                        }
                    }
                    "ul" | "ol" => {
                        r.block();
                        if !self_closing {
                            r.list_depth += 1;
                        }
                    }
                    "li" => {
                        r.block();
                        r.bullet = Some(r.list_depth.max(1));
                    }
                    "blockquote" => {
                        r.block();
                        if !self_closing {
                            r.quote_depth += 1;
                        }
                    }
                    "pre" => {
                        r.block();
                        if !self_closing {
                            r.pre_depth += 1;
                        }
                    }
                    "td" | "th" if r.line_has_content => r.pending_space = true,
                    n if PARAGRAPH_ELEMENTS.contains(&n) => r.paragraph(),
                    n if BLOCK_ELEMENTS.contains(&n) => r.block(),
                    _ => {}
                }
            }
            Tok::End { name } => {
                if let Some(h) = &hidden {
                    if h == name {
                        hidden = None;
                    }
                    continue;
                }
                match name.as_str() {
                    "p" if !r.line_paragraph => r.paragraph(),
                    "p" | "li" => r.block(),
                    "ul" | "ol" => {
                        r.block();
                        r.list_depth = r.list_depth.saturating_sub(1);
                    }
                    "blockquote" => {
                        r.block();
                        r.quote_depth = r.quote_depth.saturating_sub(1);
                    }
                    "pre" => {
                        r.block();
                        r.pre_depth = r.pre_depth.saturating_sub(1);
                    }
                    "td" | "th" => r.pending_space = r.line_has_content,
                    n if PARAGRAPH_ELEMENTS.contains(&n) => r.paragraph(),
                    n if BLOCK_ELEMENTS.contains(&n) => r.block(),
                    _ => {}
                }
            }
        }
    }
    let out = r.out;
    tidy(&out.split('\n').collect::<Vec<_>>())
}

/// Quote containers removed with their content (Gmail, Apple Mail, Thunderbird, Yahoo, Proton).
const QUOTE_CLASSES: &[&str] = &[
    "gmail_quote",
    "gmail_quote_container",
    "gmail_attr",
    "gmail_signature",
    "gmail_signature_prefix",
    "moz-cite-prefix",
    "moz-signature",
    "yahoo_quoted",
    "protonmail_quote",
    "zmail_extra",
];

fn is_quote_block(name: &str, attrs: &[(String, String)]) -> bool {
    (name == "blockquote" && attr(attrs, "type").is_some_and(|t| t.eq_ignore_ascii_case("cite")))
        || QUOTE_CLASSES.iter().any(|c| has_class(attrs, c))
        || attr(attrs, "id").is_some_and(|id| id.to_ascii_lowercase().contains("yahoo_quoted"))
}

/// Outlook marks where the previous message starts; everything from there on is quoted.
fn is_cut_point(name: &str, attrs: &[(String, String)]) -> bool {
    let id = attr(attrs, "id").unwrap_or("").to_ascii_lowercase();
    if id.ends_with("divrplyfwdmsg")
        || id == "appendonsend"
        || id.ends_with("olk_src_body_section")
        || id == "mail-editor-reference-message-container"
        || (name == "hr" && id == "stopspelling")
        || has_class(attrs, "OutlookMessageHeader")
    {
        return true;
    }
    name == "div"
        && attr(attrs, "style").is_some_and(|style| {
            let s: String = style
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_ascii_lowercase();
            s.contains("border-top:solid")
                && (s.contains("#e1e1e1") || s.contains("#b5c4df") || s.contains("padding:3.0pt0"))
        })
}

/// The index of the token closing the element opened at `toks[open]`, or the last token.
fn matching_end(toks: &[Token<'_>], open: usize, name: &str) -> usize {
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match &t.tok {
            Tok::Start {
                name: n,
                self_closing: false,
                ..
            } if n == name => depth += 1,
            Tok::End { name: n } if n == name => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
            _ => {}
        }
    }
    toks.len().saturating_sub(1)
}

fn first_line_unquoted(text: &str) -> Option<&str> {
    text.lines()
        .map(|l| l.trim_start_matches(|c: char| c == '>' || c.is_whitespace()))
        .find(|l| !l.is_empty())
}

/// How much HTML around a quote block [`is_forward_block`] looks at: the marker is right there.
const FORWARD_WINDOW: usize = 2 * 1024;

/// How many quote blocks of one mail are checked for a forward (the rest are quotes): real mail
/// has a handful, and the bound keeps hostile HTML with thousands of blocks cheap.
const MAX_FORWARD_CHECKS: usize = 64;

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A quote block that carries a forward: its first line, or the line just before it, is a
/// forward marker ("---------- Forwarded message ---------", Apple's "Begin forwarded message:").
fn is_forward_block(html: &str, start: usize, end: usize) -> bool {
    let inner_end = floor_char_boundary(html, end.min(start.saturating_add(FORWARD_WINDOW)));
    if first_line_unquoted(&html_to_text(&html[start..inner_end])).is_some_and(is_forward_marker) {
        return true;
    }
    // Start the window before the block at a tag, so it is not read from the middle of one.
    let mut from = floor_char_boundary(html, start.saturating_sub(FORWARD_WINDOW));
    if from > 0 {
        from = html[from..start].find('<').map_or(start, |p| from + p);
    }
    html_to_text(&html[from..start])
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .is_some_and(is_forward_marker)
}

/// The HTML with client quote blocks removed (forwards excepted) and cut at Outlook's reply
/// header.
fn remove_quote_blocks(html: &str) -> String {
    let toks = tokenize(html);
    let mut limit = html.len();
    let mut removed: Vec<(usize, usize)> = Vec::new();
    let mut checks = 0;
    // End of the last block kept as a forward: a quote block right after it (Apple Mail splits
    // a forward into a headers block and a body block) continues the forward.
    let mut forward_end: Option<usize> = None;
    let mut i = 0;
    while i < toks.len() {
        if let Tok::Start { name, attrs, .. } = &toks[i].tok {
            if is_cut_point(name, attrs) {
                limit = toks[i].start;
                break;
            }
            if is_quote_block(name, attrs) {
                let close = matching_end(&toks, i, name);
                let (start, end) = (toks[i].start, toks[close].end.max(toks[i].end));
                let continues_forward = forward_end.is_some_and(|fe| {
                    fe <= start && start - fe <= 512 && html_to_text(&html[fe..start]).is_empty()
                });
                checks += 1;
                if continues_forward
                    || (checks <= MAX_FORWARD_CHECKS && is_forward_block(html, start, end))
                {
                    forward_end = Some(end);
                } else {
                    removed.push((start, end));
                    i = close + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    let mut out = String::with_capacity(limit);
    let mut at = 0;
    for (start, end) in removed {
        if start >= limit {
            break;
        }
        out.push_str(&html[at..start]);
        at = end.min(limit);
    }
    if at < limit {
        out.push_str(&html[at..limit]);
    }
    out
}

/// The new text of an HTML reply: quote blocks removed first (Gmail `div.gmail_quote` /
/// `gmail_attr`, Apple Mail `blockquote type="cite"`, Thunderbird `div.moz-cite-prefix` +
/// `blockquote type="cite"`, Yahoo `div.yahoo_quoted`; Outlook's `div#divRplyFwdMsg`,
/// `div#appendonsend` and its `border-top` header `div`, with everything after them), then
/// [`html_to_text`], then [`strip_quotes`]. Forward blocks are kept, as in [`strip_quotes`]. When
/// nothing is left, the whole HTML goes through [`html_to_text`] and [`strip_quotes`] instead
/// (a forward written in an unknown layout then survives).
pub fn html_reply_text(html: &str) -> String {
    let text = strip_quotes(&html_to_text(&remove_quote_blocks(html)));
    if !text.is_empty() {
        return text;
    }
    strip_quotes(&html_to_text(html))
}

#[cfg(test)]
mod tests {
    use super::*;

    // ---- fold -------------------------------------------------------------------------------

    #[test]
    fn fold_lowercases_and_removes_accents() {
        assert_eq!(fold("Résolu"), "resolu");
        assert_eq!(fold("ÇA VA, CŒUR"), "ca va, coeur");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
        assert_eq!(fold("message d’origine"), "message d'origine");
    }

    // ---- subject prefixes -------------------------------------------------------------------

    #[test]
    fn subject_prefixes_are_stripped() {
        let cases = [
            ("Re: Printer broken", "Printer broken"),
            ("RE : Printer broken", "Printer broken"),
            ("Re[2]: Printer broken", "Printer broken"),
            ("Re(3): Printer broken", "Printer broken"),
            ("AW: WG: Printer broken", "Printer broken"),
            ("TR: Printer broken", "Printer broken"),
            ("Fwd: Re: Printer broken", "Printer broken"),
            ("FW: Printer broken", "Printer broken"),
            ("Réf. : Printer broken", "Printer broken"),
            ("SV: VS: Printer broken", "Printer broken"),
            ("RIF: Printer broken", "Printer broken"),
            ("Antw: Printer broken", "Printer broken"),
            ("re:re:RE:  Printer broken", "Printer broken"),
            ("回复：打印机", "打印机"),
            ("Re: [SUP-42] Re: Printer", "[SUP-42] Re: Printer"),
            ("Printer broken", "Printer broken"),
            ("Return of the printer", "Return of the printer"),
            ("Re: ", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(strip_subject_prefixes(input), expected, "{input:?}");
        }
    }

    #[test]
    fn forward_subjects_are_recognised() {
        assert!(is_forward_subject("FW: Printer"));
        assert!(is_forward_subject("Fwd: Printer"));
        assert!(is_forward_subject("TR : Imprimante"));
        assert!(is_forward_subject("WG: Drucker"));
        assert!(!is_forward_subject("Re: FW: Printer"));
        assert!(!is_forward_subject("Printer"));
    }

    // ---- keywords ---------------------------------------------------------------------------

    #[test]
    fn every_alias_is_recognised_on_its_own_line() {
        let aliases = [
            ("#ack", Keyword::Ack),
            ("#pris-en-compte", Keyword::Ack),
            ("#progress", Keyword::Progress),
            ("#en-cours", Keyword::Progress),
            ("#waiting", Keyword::Waiting),
            ("#attente", Keyword::Waiting),
            ("#resolve", Keyword::Resolve),
            ("#resolu", Keyword::Resolve),
            ("#résolu", Keyword::Resolve),
            ("#close", Keyword::Close),
            ("#clore", Keyword::Close),
            ("#fermer", Keyword::Close),
            ("#reopen", Keyword::Reopen),
            ("#rouvrir", Keyword::Reopen),
            ("#note", Keyword::Note),
            ("#partial", Keyword::Partial),
            ("#partiel", Keyword::Partial),
        ];
        for (word, kw) in aliases {
            let c = extract_keywords("Question", &format!("{word}\n\nSome text."));
            assert_eq!(c.keywords, vec![kw], "{word}");
            assert_eq!(c.text, "Some text.", "{word}");
        }
    }

    #[test]
    fn keywords_ignore_case_and_accents() {
        for word in ["#Résolu", "#RESOLU", "#RéSoLu", "#Resolve", "#RESOLVE"] {
            assert_eq!(
                extract_keywords("", word).keywords,
                vec![Keyword::Resolve],
                "{word}"
            );
        }
        assert_eq!(
            extract_keywords("", "#Pris-En-Compte").keywords,
            vec![Keyword::Ack]
        );
    }

    #[test]
    fn keyword_line_may_have_whitespace_and_trailing_punctuation() {
        let c = extract_keywords("", "   #close.  \nThanks!");
        assert_eq!(c.keywords, vec![Keyword::Close]);
        assert_eq!(c.text, "Thanks!");
        assert_eq!(
            extract_keywords("", "#resolve !").keywords,
            vec![Keyword::Resolve]
        );
    }

    #[test]
    fn keywords_in_subject_anywhere_as_whole_words() {
        assert_eq!(
            extract_keywords("Re: [SUP-4] done #resolve", "").keywords,
            vec![Keyword::Resolve]
        );
        assert_eq!(
            extract_keywords("[#close] Re: [SUP-4]", "").keywords,
            vec![Keyword::Close]
        );
        assert_eq!(
            extract_keywords("#Résolu: printer", "").keywords,
            vec![Keyword::Resolve]
        );
        assert!(extract_keywords("issue#close", "").keywords.is_empty());
        assert!(extract_keywords("#closed deal", "").keywords.is_empty());
        assert!(extract_keywords("C# compiler", "").keywords.is_empty());
    }

    #[test]
    fn subject_keywords_come_first_without_duplicates() {
        let c = extract_keywords("#note [SUP-1]", "#resolve\n#note\nDone.");
        assert_eq!(c.keywords, vec![Keyword::Note, Keyword::Resolve]);
        assert_eq!(c.text, "Done.");
    }

    #[test]
    fn keywords_only_in_the_first_lines() {
        let text = "one\n\ntwo\nthree\nfour\nfive\n#close\n";
        let c = extract_keywords("", text);
        assert!(c.keywords.is_empty());
        assert!(c.text.ends_with("#close"));
        let text = "one\ntwo\nthree\nfour\n#close\nsix";
        assert_eq!(extract_keywords("", text).keywords, vec![Keyword::Close]);
    }

    #[test]
    fn keyword_inside_a_sentence_is_text() {
        let c = extract_keywords("", "Please #close this when done.");
        assert!(c.keywords.is_empty());
        assert_eq!(c.text, "Please #close this when done.");
    }

    #[test]
    fn non_keyword_hashtags_stay() {
        let c = extract_keywords("#urgent printer", "#printer\n#ack\nLooking at it.");
        assert_eq!(c.keywords, vec![Keyword::Ack]);
        assert_eq!(c.text, "#printer\nLooking at it.");
    }

    #[test]
    fn quoted_keywords_do_not_count_because_quotes_are_stripped_first() {
        let body = "Thanks.\n\nOn Mon, 3 Jun 2024 at 10:00, Alice <a@x.com> wrote:\n> #close\n";
        let c = extract_keywords("Re: x", &strip_quotes(body));
        assert!(c.keywords.is_empty());
        assert_eq!(c.text, "Thanks.");
    }

    #[test]
    fn removing_a_keyword_line_leaves_one_blank_line() {
        let c = extract_keywords("", "Hello,\n\n#waiting\n\nWhich version?");
        assert_eq!(c.keywords, vec![Keyword::Waiting]);
        assert_eq!(c.text, "Hello,\n\nWhich version?");
    }

    #[test]
    fn several_keywords_on_one_line() {
        let c = extract_keywords("", "#resolve #note\nDone");
        assert_eq!(c.keywords, vec![Keyword::Resolve, Keyword::Note]);
        assert_eq!(c.text, "Done");
        let c = extract_keywords("", "#resolve done");
        assert!(c.keywords.is_empty());
    }

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

    // ---- HTML -------------------------------------------------------------------------------

    #[test]
    fn html_blocks_breaks_and_lists() {
        let html = "<html><head><style>p{color:red}</style><title>t</title></head><body>\
            <div>Hello&nbsp;<b>world</b></div><div><br></div><p>Para &amp; more</p>\
            <ul><li>one</li><li>two <a href=\"http://x\">link</a></li></ul>\
            <script>var x = '<div>';</script>end<br>line</body></html>";
        assert_eq!(
            html_to_text(html),
            "Hello world\n\nPara & more\n\n- one\n- two link\nend\nline"
        );
    }

    #[test]
    fn html_entities_are_decoded() {
        assert_eq!(
            html_to_text("&lt;a&gt; &eacute;t&eacute; &#233; &#xE9; &euro; &#146; &bogus; &amp"),
            "<a> été é é € ’ &bogus; &"
        );
    }

    #[test]
    fn html_whitespace_is_normalised() {
        assert_eq!(
            html_to_text("<p>  a\n   b  </p>\n\n<p>\n c </p>"),
            "a b\n\nc"
        );
        assert_eq!(html_to_text("<pre>x  y\n  z</pre>"), "x  y\n  z");
    }

    #[test]
    fn html_blockquote_lines_are_quoted() {
        assert_eq!(
            html_to_text("new<blockquote>old<br>older</blockquote>"),
            "new\n> old\n> older"
        );
    }

    #[test]
    fn html_outlook_paragraphs_are_lines() {
        let html = "<p class=MsoNormal>Hello<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p><p class=MsoNormal>Bob<o:p></o:p></p>";
        assert_eq!(html_to_text(html), "Hello\n\nBob");
    }

    #[test]
    fn html_broken_markup_does_not_panic() {
        for html in [
            "<",
            "<div",
            "<div class=\"x",
            "</",
            "<!--",
            "a < b > c",
            "<é>",
            "&#xFFFFFFFF;",
            "<a href='x>y",
            "<<<>>>",
        ] {
            let _ = html_to_text(html);
            let _ = html_reply_text(html);
        }
        assert_eq!(html_to_text("a < b"), "a < b");
    }

    #[test]
    fn html_reply_removes_gmail_quote() {
        let html = "<div dir=\"ltr\">Works now.</div><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, Jun 3, 2024 at 10:00 AM Bob &lt;<a href=\"mailto:b@x.com\">b@x.com</a>&gt; wrote:<br></div><blockquote class=\"gmail_quote\">Try again</blockquote></div>";
        assert_eq!(html_reply_text(html), "Works now.");
    }

    #[test]
    fn html_reply_removes_apple_and_thunderbird_quotes() {
        let html = "<div>Thanks!</div><div><br><blockquote type=\"cite\"><div>On 3 Jun 2024, at 10:00, Bob wrote:</div><div>old</div></blockquote></div>";
        assert_eq!(html_reply_text(html), "Thanks!");
        let html = "<p>Merci</p><div class=\"moz-cite-prefix\">Le 03/06/2024 à 10:00, Bob a écrit&nbsp;:<br></div><blockquote type=\"cite\" cite=\"mid:x@y\">vieux</blockquote>";
        assert_eq!(html_reply_text(html), "Merci");
    }

    #[test]
    fn html_reply_cuts_at_outlook_markers() {
        let html = "<div>Done</div><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\"><b>From:</b> Bob</div><div>old</div>";
        assert_eq!(html_reply_text(html), "Done");
        let html = "<div class=WordSection1><p class=MsoNormal>Fait<o:p></o:p></p><div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal><b>De&nbsp;:</b> Bob</p></div></div><p class=MsoNormal>vieux</p></div>";
        assert_eq!(html_reply_text(html), "Fait");
    }

    #[test]
    fn html_reply_removes_yahoo_quote() {
        let html = "<div>OK</div><div id=\"yahoo_quoted_123\" class=\"yahoo_quoted\"><div>On Monday, Bob wrote:</div><div>old</div></div>";
        assert_eq!(html_reply_text(html), "OK");
    }

    #[test]
    fn hostile_html_stays_linear() {
        // Thousands of quote blocks and a deep nest: must finish quickly (a quadratic scan would
        // take minutes here in a debug build).
        let many = "<p>x</p><blockquote type=\"cite\">q</blockquote>".repeat(20_000);
        assert_eq!(
            html_reply_text(&many).lines().filter(|l| *l == "x").count(),
            20_000
        );
        let deep = format!(
            "{}text{}",
            "<div class=\"gmail_quote\">".repeat(5_000),
            "</div>".repeat(5_000)
        );
        assert_eq!(html_reply_text(&deep), "text");
        let lines = "a\n\n\n".repeat(50_000);
        assert_eq!(strip_quotes(&lines).lines().count(), 99_999);
    }

    #[test]
    fn html_reply_keeps_gmail_forward() {
        let html = "<div dir=\"ltr\"><br><br><div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">---------- Forwarded message ---------<br>From: <strong>Alice</strong> &lt;a@x.com&gt;<br>Subject: Printer<br></div><br><br><div dir=\"ltr\">It is broken.</div></div></div>";
        assert_eq!(
            html_reply_text(html),
            "---------- Forwarded message ---------\nFrom: Alice <a@x.com>\nSubject: Printer\n\nIt is broken."
        );
    }

    #[test]
    fn html_reply_keeps_a_forward_split_over_two_blocks() {
        let html = "<div>Begin forwarded message:</div><blockquote type=\"cite\"><b>From:</b> Alice</blockquote>\
            <br><blockquote type=\"cite\">It is broken.</blockquote><div>Thanks</div><blockquote type=\"cite\">old</blockquote>";
        assert_eq!(
            html_reply_text(html),
            "Begin forwarded message:\nFrom: Alice\n\nIt is broken.\nThanks"
        );
    }

    #[test]
    fn html_reply_keeps_apple_forward() {
        let html = "<div>FYI</div><div><br><div>Begin forwarded message:</div><br><blockquote type=\"cite\"><div><b>From: </b>Alice &lt;a@x.com&gt;</div><br><div>It is broken.</div></blockquote></div>";
        assert_eq!(
            html_reply_text(html),
            "FYI\n\nBegin forwarded message:\n\nFrom: Alice <a@x.com>\n\nIt is broken."
        );
    }
}
