//! Text helpers the rest of the core shares: case and accent folding ([`fold`]) and reply and
//! forward prefixes of a subject ([`strip_subject_prefixes`], [`is_forward_subject`]). Pure: no I/O.

// ------------------------------------------------------------------------------------------------
// Folding
// ------------------------------------------------------------------------------------------------

/// Lower case with accents removed (`é`→`e`, `ç`→`c`, `œ`→`oe`, `ß`→`ss`), for matching keywords,
/// prefixes and quote markers. Typographic apostrophes become `'` and non-breaking spaces become
/// plain spaces, because mail clients sprinkle both into the lines we match.
pub(crate) fn fold(s: &str) -> String {
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

/// Text as it is stored and sent: `\r\n` and lone `\r` become `\n`.
pub(crate) fn normalize_newlines(s: &str) -> String {
    if !s.contains('\r') {
        return s.to_string();
    }
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// A line reduced for matching: folded, whitespace runs collapsed to one space, trimmed.
pub(super) fn normalize_line(line: &str) -> String {
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
pub(crate) fn strip_subject_prefixes(subject: &str) -> &str {
    let mut s = subject.trim();
    while let Some((rest, _)) = strip_one_prefix(s) {
        s = rest.trim_start();
    }
    s
}

/// Whether the subject's first prefix says "forward" (`Fwd:`, `FW:`, `TR:`, `WG:` ...).
pub(crate) fn is_forward_subject(subject: &str) -> bool {
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

    #[test]
    fn stored_text_has_no_carriage_returns() {
        assert_eq!(normalize_newlines("a\r\nb\rc\n"), "a\nb\nc\n");
        assert_eq!(normalize_newlines("plain"), "plain");
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
}
