//! Attribution lines ("On Mon, 3 Jun 2024, Bob <b@x> wrote:", "Le … a écrit :",
//! '26.06.2014, 14:41, "Alexander L" <a@x>:', "… +0400 от Alexander L <a@x>:", "… 写道："),
//! found by their structure rather than by a list of formats: one line, or one wrapped over up
//! to three, that holds a date and/or an address (or an attribution verb), ends with a colon or
//! with the verb, and introduces a quoted block (`>` lines) or the repeated previous message.

use super::markers::ATTRIBUTION_VERBS;
use super::{is_bidi_control, is_blank, is_quoted, next_non_blank};
use crate::core::text::normalize_line;

/// A line reduced for matching ([`normalize_line`]) without the bidirectional marks that
/// right-to-left clients put around names, addresses and the closing colon.
fn matchable(line: &str) -> String {
    if line.contains(is_bidi_control) {
        normalize_line(&line.replace(is_bidi_control, ""))
    } else {
        normalize_line(line)
    }
}

/// What a candidate line (or lines) carries.
#[derive(Debug, Default, Clone, Copy)]
struct Features {
    date: bool,
    address: bool,
    verb: bool,
    /// Ends with `:` (any width) or, after the verb, with nothing.
    ends_like_one: bool,
}

/// Whether a char is a digit of any script that dates use here (ASCII and full width).
fn is_digit(c: char) -> bool {
    ascii_digit(c).is_some()
}

/// A digit of the scripts dates are written in (ASCII, full width, Arabic-Indic, Persian,
/// Devanagari) as its ASCII digit.
fn ascii_digit(c: char) -> Option<char> {
    let zero = ['0', '０', '\u{660}', '\u{6f0}', '\u{966}']
        .into_iter()
        .find(|z| (*z..=char::from_u32(*z as u32 + 9).unwrap_or(*z)).contains(&c))?;
    char::from_digit(c as u32 - zero as u32, 10)
}

/// A date or a time somewhere in the text: `03/06/2024`, `3. 6. 2024`, `2024-06-03`, `9:02`,
/// `09.02`, a year 19xx/20xx standing alone, or CJK `2024年6月3日`.
pub(super) fn has_date(s: &str) -> bool {
    let chars: Vec<char> = s.chars().map(|c| ascii_digit(c).unwrap_or(c)).collect();
    let n = chars.len();
    let mut i = 0;
    while i < n {
        if !is_digit(chars[i]) || (i > 0 && is_digit(chars[i - 1])) {
            i += 1;
            continue;
        }
        let start = i;
        while i < n && is_digit(chars[i]) {
            i += 1;
        }
        let len = i - start;
        let before_ok = start == 0 || !chars[start - 1].is_alphanumeric();
        // A year standing alone.
        if len == 4 && before_ok {
            let y: String = chars[start..i].iter().collect();
            let after_ok = i == n || !chars[i].is_alphanumeric() || "年년".contains(chars[i]);
            if (y.starts_with("19") || y.starts_with("20")) && after_ok {
                return true;
            }
        }
        // A time (9:02, 09.02) or a numeric date (03/06/2024, 3.6.2024, 2024-06-03).
        if (1..=4).contains(&len) && i < n {
            let sep = chars[i];
            if matches!(sep, ':' | '.' | '/' | '-') {
                let mut j = i + 1;
                if sep == '.' && j < n && chars[j] == ' ' {
                    j += 1;
                }
                let s2 = j;
                while j < n && is_digit(chars[j]) {
                    j += 1;
                }
                let len2 = j - s2;
                if sep == ':' && len <= 2 && len2 == 2 {
                    return true;
                }
                if sep == '.' && len <= 2 && len2 == 2 && (j == n || !chars[j].is_alphanumeric()) {
                    // 09.02 as a time, unless it is part of a version number (5.2.1).
                    let next_dot = j < n && chars[j] == '.';
                    if !next_dot {
                        return true;
                    }
                }
                if (1..=4).contains(&len2) && j < n && chars[j] == sep {
                    let mut k = j + 1;
                    if sep == '.' && k < n && chars[k] == ' ' {
                        k += 1;
                    }
                    let s3 = k;
                    while k < n && is_digit(chars[k]) {
                        k += 1;
                    }
                    if (2..=4).contains(&(k - s3)) {
                        return true;
                    }
                }
            }
        }
        // CJK dates: 2024年6月3日, 6月3日.
        if i < n && "年月".contains(chars[i]) {
            return true;
        }
    }
    false
}

/// An email address, or a `<…>` that once held one.
pub(super) fn has_address(s: &str) -> bool {
    let bytes = s.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'@' && i > 0 && i + 1 < bytes.len() {
            let before = bytes[i - 1];
            let after = bytes[i + 1];
            if (before.is_ascii_alphanumeric() || matches!(before, b'.' | b'_' | b'-' | b'+'))
                && after.is_ascii_alphanumeric()
            {
                return true;
            }
        }
    }
    false
}

/// Whether `needle` stands in `hay` as whole words.
fn contains_words(hay: &str, needle: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = hay[from..].find(needle) {
        let start = from + pos;
        let end = start + needle.len();
        let before = hay[..start].chars().next_back();
        let after = hay[end..].chars().next();
        let cjk = needle
            .chars()
            .next()
            .is_some_and(|c| !c.is_ascii() && !c.is_alphabetic())
            || needle.chars().any(|c| {
                ('\u{3040}'..='\u{9fff}').contains(&c) || ('\u{ac00}'..='\u{d7af}').contains(&c)
            });
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if cjk || (boundary(before) && boundary(after)) {
            return true;
        }
        from = end;
    }
    false
}

/// Whether an attribution verb stands in `n` as whole words. A verb is searched for only when
/// its first two bytes stand side by side in `n`: one sorted list of the line's byte pairs
/// instead of a substring search set up for each of the verbs, on every line asked.
fn has_verb(n: &str) -> bool {
    let mut pairs: Vec<[u8; 2]> = n.as_bytes().windows(2).map(|w| [w[0], w[1]]).collect();
    pairs.sort_unstable();
    pairs.dedup();
    ATTRIBUTION_VERBS.iter().any(|v| {
        let first = v.as_bytes().first_chunk::<2>();
        first.is_none_or(|p| pairs.binary_search(p).is_ok()) && contains_words(n, v)
    })
}

/// The line without the dashes some clients wrap it in ("---- On … wrote ----") and without
/// trailing spaces.
fn core_of(n: &str) -> &str {
    n.trim_matches(|c: char| c == '-' || c == ' ' || c == '*' || c == '_')
}

/// An address the way attributions write one: in `<…>`, `(…)` or `[mailto:…]`. A bare address
/// in running text ("the monitor sent this to ops@example.com:") is the writer's sentence.
pub(super) fn has_bracketed_address(core: &str) -> bool {
    if core.contains('<') && core.contains('>') {
        return true;
    }
    core.split_whitespace().any(|w| {
        let w = w.trim_end_matches([':', ',', ';', '：']);
        has_address(w)
            && (w.starts_with(['<', '(', '[', '"'])
                || w.ends_with(['>', ')', ']', '"'])
                || w.contains("mailto:"))
    })
}

fn features(n: &str) -> Features {
    let core = core_of(n);
    let verb = has_verb(core);
    Features {
        date: has_date(core),
        address: has_bracketed_address(core) || (verb && has_address(core)),
        verb,
        ends_like_one: ends_like_one(core),
    }
}

/// Whether the line's core ends with `:` (any width) or with an attribution verb.
fn ends_like_one(core: &str) -> bool {
    core.ends_with(':')
        || core.ends_with('：')
        || ATTRIBUTION_VERBS.iter().any(|v| {
            core.strip_suffix(v)
                .is_some_and(|rest| rest.is_empty() || rest.ends_with(' ') || !v.is_ascii())
        })
}

/// Whether a line can open an attribution wrapped over lines: it carries a date, an address, an
/// attribution verb, or the bracket a wrapped address starts with. A line of the writer's own
/// ("Tack, det fungerar nu.", "-Fritz") right above a one-line attribution never joins it.
fn opens_attribution(line: &str) -> bool {
    let n = matchable(line);
    let f = features(&n);
    f.date || f.address || f.verb || n.ends_with(['<', '(']) || has_address(&n)
}

/// Limits of an attribution: longer text is a paragraph, not an attribution.
const MAX_CHARS: usize = 320;

/// Whether the text reads as an attribution. `quote_follows`: `>` lines come next, which the
/// writer's own sentences rarely precede; without them (the previous message repeated without
/// quote marks) the evidence must be stronger: a date and an address or a verb, or an address
/// and a verb.
fn reads_as_attribution(n: &str, quote_follows: bool) -> bool {
    if n.is_empty() || n.chars().count() > MAX_CHARS {
        return false;
    }
    // Without a quote after it, only a line that ends like one can be one: most lines of a
    // reply stop here, before the verbs and dates are looked for.
    if !quote_follows && !ends_like_one(core_of(n)) {
        return false;
    }
    let f = features(n);
    if quote_follows {
        if f.ends_like_one {
            // "The log says:" before a pasted quote is the writer's own line; alpine's "Le Jun 3,
            // Bob a écrit :" has a day but no year or time.
            let day = n.chars().any(|c| c.is_ascii_digit());
            return f.date
                || f.address
                || (f.verb && names_writer(n))
                || (f.verb && day && !n.contains(" said") && !n.contains(" says"));
        }
        // No colon: old Gmail ("2013/10/2 Bob <b@x.com>", "2016-03-03 17:21 GMT+01:00 Bob
        // Smith"), "Posted by bob on 01/21/2016".
        return f.date && (f.address || f.verb || ends_with_name(n));
    }
    f.ends_like_one
        && ((f.date && (f.address || (f.verb && !sentence_before_verb(n))))
            || (f.address && f.verb)
            || (f.verb && names_writer(n)))
}

/// Words that make what stands before the verb a sentence rather than a writer's name: "The
/// customer wrote in the contact form on 30/09/2024:", "As I wrote on Monday:".
const NOT_NAMES: &[&str] = &[
    "what", "that", "which", "who", "he", "she", "they", "you", "we", "i", "the", "as", "here",
    "is", "was", "has", "have", "just", "also", "what's",
];

fn sentence_before_verb(n: &str) -> bool {
    let Some(verb_at) = ATTRIBUTION_VERBS.iter().filter_map(|v| n.find(v)).min() else {
        return false;
    };
    n[..verb_at]
        .split(|c: char| !c.is_alphanumeric() && c != '\'')
        .any(|w| NOT_NAMES.contains(&w))
}

/// The text ends with one to three capitalised words (a name), in the original line's case.
fn ends_with_name(n: &str) -> bool {
    // `n` is folded; the caller's original case is lost, so look at word shapes only: words of
    // letters after the last digit.
    let tail: Vec<&str> = n
        .rsplit(|c: char| c.is_ascii_digit())
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    (1..=4).contains(&tail.len())
        && tail.iter().all(|w| {
            w.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && w.chars().all(|c| c.is_alphabetic() || c == '.' || c == '-')
        })
        && !n.trim_end().ends_with('.')
}

/// "Bob Smith wrote:", "Example Support via sync-users wrote:": only a name (one to five words,
/// no sentence words) before the verb.
fn names_writer(n: &str) -> bool {
    let core = core_of(n).trim_end_matches([':', '：', ' ']);
    let Some(verb) = ATTRIBUTION_VERBS
        .iter()
        .filter(|v| core.ends_with(*v))
        .max_by_key(|v| v.len())
    else {
        return false;
    };
    let who = core[..core.len() - verb.len()].trim();
    let words: Vec<&str> = who.split_whitespace().collect();
    (1..=5).contains(&words.len())
        && words.iter().all(|w| {
            !NOT_NAMES.contains(w)
                && w.chars()
                    .all(|c| c.is_alphabetic() || matches!(c, '.' | '-' | '\'' | '"'))
        })
}

/// A line that cannot be part of an attribution wrapped over lines.
fn ends_sentence(line: &str) -> bool {
    let t = line.trim_end();
    t.ends_with('.') && !t.ends_with("..") && {
        // "Mon, 3 Jun. 2024" wraps after an abbreviation; a sentence has more words.
        let last = t.rsplit(' ').next().unwrap_or("");
        last.chars().count() > 4
    } || t.ends_with('!')
        || t.ends_with('?')
}

/// The first words of date-first attributions ("On Mon, …", "Le lun. …", "Am Mo., …"), where
/// a reply typed on the same line ends.
const OPENERS: &[&str] = &["On", "Le", "Am", "El", "Il", "Em", "Op"];

/// The writer's text before an attribution on the same line ("works now, thanks On Mon, Sep 30,
/// 2024 at 4:12 PM, bob@x.com wrote:", "reply--- On …"): the byte length of that text, when the
/// line from an opener on is an attribution with its date right after the opener, and the text
/// before holds no date, address or verb of its own.
pub(super) fn glued_reply_len(line: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(pos) = line[from..].find(|c: char| c.is_ascii_uppercase()) {
        let at = from + pos;
        from = at + 1;
        let before = &line[..at];
        let glued = before.ends_with(' ') || before.ends_with('-');
        let opener = OPENERS
            .iter()
            .any(|o| line[at..].starts_with(o) && line[at + o.len()..].starts_with(' '));
        if at == 0 || !glued || !opener {
            continue;
        }
        let text = before.trim_end_matches(['-', ' ']);
        let rest = matchable(&line[at..]);
        let head: Vec<&str> = rest.split(' ').take(6).collect();
        let own = matchable(text);
        let f = features(&own);
        if !own.chars().any(char::is_alphabetic) || f.date || f.address || f.verb {
            return None;
        }
        if has_date(&head.join(" ")) && reads_as_attribution(&rest, false) {
            return Some(text.len());
        }
    }
    None
}

/// The number of lines (1 to 3) of an attribution starting at `i`, if one starts there.
pub(super) fn attribution_len(lines: &[&str], i: usize) -> Option<usize> {
    let first = lines[i];
    if is_quoted(first) || is_blank(first) {
        return None;
    }
    let quote_after =
        |from: usize| next_non_blank(lines, from).is_some_and(|j| is_quoted(lines[j]));
    let mut joined = matchable(first);
    if reads_as_attribution(&joined, quote_after(i + 1)) {
        return Some(1);
    }
    // Wrapped: the attribution starts a paragraph (or follows a finished sentence, as Outlook
    // for iOS writes it right under the reply) and ends it.
    let starts_paragraph =
        i == 0 || is_blank(lines[i - 1]) || is_quoted(lines[i - 1]) || ends_sentence(lines[i - 1]);
    if !starts_paragraph || ends_sentence(first) || !opens_attribution(first) {
        return None;
    }
    for k in 2..=3 {
        let next = lines.get(i + k - 1)?;
        if is_blank(next) || is_quoted(next) {
            return None;
        }
        joined.push(' ');
        joined.push_str(&matchable(next));
        let ends_paragraph = lines.get(i + k).is_none_or(|l| is_blank(l) || is_quoted(l));
        if ends_paragraph && reads_as_attribution(&joined, quote_after(i + k)) {
            return Some(k);
        }
        if ends_sentence(next) {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &str) -> Vec<&str> {
        s.split('\n').collect()
    }

    #[test]
    fn dates_are_found() {
        for s in [
            "on mon, jun 3, 2024 at 9:02 am",
            "26.06.2014, 14:41",
            "03/06/2024",
            "3. 6. 2024 v 9:02",
            "2024年6月3日",
            "kl. 09.02 skrev",
            "2024-06-03",
        ] {
            assert!(has_date(s), "{s}");
        }
        for s in ["version 5.2.1", "page 12", "room 2041b", "e-204"] {
            assert!(!has_date(s), "{s}");
        }
    }

    #[test]
    fn a_verb_is_found_where_a_search_for_each_verb_finds_it() {
        let plain = |n: &str| ATTRIBUTION_VERBS.iter().any(|v| contains_words(n, v));
        let mut texts: Vec<String> = ["", "a", "wrote", "bob wrote:", "rewrote it", "x"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for v in ATTRIBUTION_VERBS {
            texts.push(v.to_string());
            texts.push(format!("le 3 juin, bob {v} :"));
            texts.push(format!("x{v}"));
            texts.push(format!("{v}x and more"));
            // The verb cut after its first two bytes, or missing its first byte.
            texts.push(format!(
                "bob {}",
                &v[..v.char_indices().nth(2).map_or(v.len(), |c| c.0)]
            ));
            texts.push(format!(
                "bob {}",
                &v[v.chars().next().map_or(0, char::len_utf8)..]
            ));
        }
        for t in &texts {
            assert_eq!(has_verb(t), plain(t), "{t:?}");
        }
        assert!(texts.iter().filter(|t| has_verb(t)).count() > ATTRIBUTION_VERBS.len());
    }

    #[test]
    fn attributions_in_many_languages() {
        for (s, quoted) in [
            ("On Mon, Jun 3, 2024 at 9:02 AM Bob <b@x.com> wrote:", false),
            (
                "Le lun. 3 juin 2024 à 09:02, Bob <b@x.com> a écrit :",
                false,
            ),
            ("26.06.2014, 14:41, \"Alexander L\" <a@x.ru>:", false),
            (
                "Понедельник, 3 июня 2024, 9:02 +04:00 от Alexander L <a@x.ru>:",
                false,
            ),
            ("Bob <b@x.com> 于2024年6月3日周一 09:02写道：", false),
            ("ma 3.6.2024 klo 9.02 Bob (<b@x.com>) kirjoitti:", false),
            (
                "---- On Mon, 03 Jun 2024 09:02:00 +0200 Bob <b@x.com> wrote ----",
                false,
            ),
            ("On Mon, Jun 3, 2024 at 9:02 AM, Bob <b@x.com> wrote", false),
            ("Bob wrote:", true),
            ("2013/10/2 Bob <b@x.com>", true),
            ("At 03/06/2024 09:02 AM, you wrote:", true),
            ("2016-03-03 17:21 GMT+01:00 Some One", true),
            ("Posted by mpalmer on 01/21/2016", true),
            ("Example Support wrote:", false),
            ("Le Jun 3, Example Support a écrit :", true),
            ("In message <4e1f@x.org>, Bob writes:", true),
            (
                "суббота, 14 марта 2015 г. пользователь etewiah написал:",
                false,
            ),
            ("2024-06-03 오전 9:02에 Bob이(가) 쓴 글:", true),
        ] {
            let text = if quoted {
                format!("{s}\n> old")
            } else {
                format!("{s}\nold")
            };
            assert_eq!(attribution_len(&lines(&text), 0), Some(1), "{s}");
        }
    }

    #[test]
    fn sentences_are_not_attributions() {
        for s in [
            "Here is what the technician wrote:\nThe fan is broken.",
            "Here is the log from 03.06.2024 09:02:\n10:02:01 tunnel down",
            "Here is what the customer wrote:\nold text without quote marks",
            "He wrote:\nthe printer is broken",
            "The log says:\n> error 42",
            "I tried 3 times, the log says:\n> error 42",
            "The invoice number is 2024-0613.\n> quoted",
            "Steps:\n1. restart",
        ] {
            assert_eq!(attribution_len(&lines(s), 0), None, "{s}");
        }
    }

    #[test]
    fn wrapped_attributions() {
        let s = "3 июня 2024 г., 9:02 пользователь Bob <b@x.ru>\nнаписал:\n\n> old";
        assert_eq!(attribution_len(&lines(s), 0), Some(2));
        let s = "On Monday, June 3, 2024 at 9:02 AM, Support Team\nfor Northern Europe and the\nBaltic <s@x.com> wrote:\n\nold";
        assert_eq!(attribution_len(&lines(s), 0), Some(3));
        let s = "It works.\nOn Mon, Jun 3, 2024 Bob wrote:\n> old";
        assert_eq!(attribution_len(&lines(s), 0), None);
        assert_eq!(attribution_len(&lines(s), 1), Some(1));
        // Outlook for iOS: right under the reply, after a finished sentence.
        let s =
            "Sounds good.\n On Mon, Jun 3, 2024 at 9:02 AM, \"Bob\" <\nb@x.com> wrote:\n\n> old";
        assert_eq!(attribution_len(&lines(s), 1), Some(2));
    }

    #[test]
    fn the_writers_line_never_joins_an_attribution_below_it() {
        for s in [
            "Tack, det fungerar nu.\nDen 3 juni, 2024 09:02:00, Bob (b@x.se) skrev:\n\nold",
            "Replying ok\n2024/6/3 Bob <b@x.com>\n\n>  Cool",
            "Viele Grüße!\n\n-Fritz\nOn Jun 3, 2024, at 09:02 , Bob wrote:\n\n\nMoin,",
        ] {
            let l = lines(s);
            let at = l.len() - 3 - usize::from(s.ends_with("Moin,"));
            assert!((0..at).all(|i| attribution_len(&l, i).is_none()), "{s}");
            assert_eq!(attribution_len(&l, at), Some(1), "{s}");
        }
    }

    #[test]
    fn a_reply_glued_to_its_attribution() {
        for (line, reply) in [
            (
                "works now, thanks On Mon, Jun 3, 2024 at 9:02 AM, b@x.com wrote:",
                "works now, thanks",
            ),
            (
                "reply--- On Wed, Apr 4, 2012 at 3:59 PM, b@x.com wrote:",
                "reply",
            ),
        ] {
            assert_eq!(glued_reply_len(line), Some(reply.len()), "{line}");
        }
        for line in [
            "On Mon, Jun 3, 2024 at 9:02 AM, Bob <b@x.com> wrote:",
            "Le lun. 3 juin 2024 à 09:02, Bob <b@x.com> a écrit :",
            "Bob <b@x.com>, 3 Haz 2024 Pzt, 09:02 tarihinde şunu yazdı:",
            "Sent 3 Jun 2024 On Mon, Jun 3, 2024 Bob <b@x.com> wrote:",
        ] {
            assert_eq!(glued_reply_len(line), None, "{line}");
        }
    }

    #[test]
    fn right_to_left_and_other_digits() {
        let s = "\u{202b}در تاریخ دوشنبه ۳ ژوئن ۲۰۲۴ ساعت ۰۹:۰۲ Bob <\u{202a}b@x.ir\u{202c}\u{200f}> نوشت:\u{202c}\n\n> old";
        assert_eq!(attribution_len(&lines(s), 0), Some(1));
        assert!(has_date("३ जून २०२४"));
        assert!(!has_date("संस्करण ४"));
    }

    #[test]
    fn a_sentence_with_a_date_and_wrote_is_no_attribution() {
        let s = "The customer wrote in the contact form on 30/09/2024:\n\n\"I cannot log in\"\n\nCan you check?";
        assert_eq!(attribution_len(&lines(s), 0), None);
        let s = "Verkkokauppa asiakaspalvelu kirjoitti 20.05.2024 kello 10:26:\n\nHuomenta!";
        assert_eq!(attribution_len(&lines(s), 0), Some(1));
    }

    #[test]
    fn a_bare_address_in_a_sentence_is_no_attribution() {
        let s = "On 03/06/2024 at 09:02 the monitor sent this to ops@x.com:\n\n  CRITICAL stopped\n\nWhy?";
        assert_eq!(attribution_len(&lines(s), 0), None);
        let s = "On 03/06/2024 09:02, ops@x.com wrote:\nold";
        assert_eq!(attribution_len(&lines(s), 0), Some(1));
    }
}
