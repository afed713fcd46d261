//! The new part of a plain-text reply (SPEC §3.2): quoted lines, attribution lines, header
//! blocks and signatures removed, forwards kept ([`reply_text`], [`strip_quotes`]); and the
//! quoted part of a forward ([`quoted_part`]). Pure: no I/O; every function takes any string and
//! returns one.
//!
//! The detectors work on the structure of a reply rather than on a list of client formats:
//! [`attribution`] finds "On … wrote:"-like lines in any language by their date, address, verb
//! and closing colon; [`header_block`] finds "From: … Sent: …" blocks by their shape (labels of
//! known languages, or values: a sender's address and a sent time); [`signature`] finds
//! signatures by their position, length and contents; [`banner`] finds the external-sender
//! warnings mail systems put above the text. The rules are measured on the reply corpus in
//! `tests/data/replies/` and on the wild sets beside it (mail shaped like public fixtures); the
//! accuracy by language, client and class and the known misses are in
//! `docs/reply-accuracy.md`. When a rule changes, run `cargo test --test it replies` and update
//! that page.

mod attribution;
mod banner;
mod header_block;
mod markers;
mod signature;
mod signature_words;

use std::borrow::Cow;

use self::attribution::{attribution_len, glued_reply_len};
use self::banner::banner_end;
use self::header_block::{is_original_message_line, is_rule, quote_separator};
use self::markers::{FORWARD_DASHED, FORWARD_PLAIN};
use self::signature::{
    inner_signature_lines, is_bare_delimiter, is_delimiter, is_mobile_signature, signature_start,
    Sender,
};
use super::text::normalize_line;

/// The new text of a reply, and whether it had to be kept whole.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reply {
    pub text: String,
    /// Nothing new was found once quotes and signatures were removed, while the mail has
    /// unquoted text of its own: `text` is that text, kept as it came rather than lost.
    pub kept_whole: bool,
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// Bidirectional formatting characters (marks, embeddings, isolates) that right-to-left mail
/// puts around labels and addresses: invisible, and never part of a word to match.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200e}' | '\u{200f}' | '\u{61c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// How far [`next_non_blank`] looks: a quote separated from its attribution by more blank
/// lines than this is not seen as following it, and hostile input with long blank runs stays
/// linear.
const BLANK_RUN: usize = 64;

fn next_non_blank(lines: &[&str], from: usize) -> Option<usize> {
    (from..lines.len().min(from.saturating_add(BLANK_RUN))).find(|&j| !is_blank(lines[j]))
}

pub(super) fn is_forward_marker(line: &str) -> bool {
    let n = normalize_line(line);
    let core = n.trim_matches(|c: char| matches!(c, '-' | ' ' | ':' | '_' | '=' | '*' | '：'));
    if FORWARD_PLAIN.contains(&core) {
        return true;
    }
    let dashed = n.starts_with("--") || n.starts_with("__") || n.starts_with("==");
    dashed && FORWARD_DASHED.contains(&core)
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

/// Characters that take no room and mean nothing (byte-order mark, zero-width space, word
/// joiner): iOS puts a byte-order mark at the start of quoted text, HTML converters leave
/// zero-width spaces after a colon. The zero-width non-joiner and joiner are kept: Persian and
/// Indic words and emoji sequences are spelt with them.
const INVISIBLE: [char; 3] = ['\u{feff}', '\u{200b}', '\u{2060}'];

/// `\n` line ends only; invisible characters removed.
fn normalize_newlines(s: &str) -> Cow<'_, str> {
    if s.contains('\r') || s.contains(INVISIBLE) {
        Cow::Owned(
            s.replace("\r\n", "\n")
                .replace('\r', "\n")
                .replace(INVISIBLE, ""),
        )
    } else {
        Cow::Borrowed(s)
    }
}

/// A run of a reply: the writer's own lines, or a quoted block (`>` lines, with the attribution
/// that introduced it).
enum Segment<'a> {
    Text(Vec<&'a str>),
    /// The quoted lines, and whether an attribution line introduced them.
    Quote(Vec<&'a str>, bool),
}

impl Segment<'_> {
    /// A quote with at least one non-blank line.
    fn is_quote(&self) -> bool {
        matches!(self, Segment::Quote(q, _) if q.iter().any(|l| !is_blank(l)))
    }
}

/// The lines of a reply up to where the previous message starts unquoted, in segments, and the
/// forward section if a forward marker stands outside the quotes.
fn segments<'a>(lines: &[&'a str]) -> (Vec<Segment<'a>>, Vec<String>) {
    let mut segs: Vec<Segment<'a>> = Vec::new();
    let mut forward = Vec::new();
    let mut attributed: Option<bool> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(end) = glued_quote_end(lines, i) {
            // "> 5 users cannot log in" between two lines of the writer's, in a mail that quotes
            // nothing: the writer's own text that happens to start with `>`.
            let quotes_anything = *attributed.get_or_insert_with(|| {
                (0..lines.len()).any(|j| {
                    !is_quoted(lines[j])
                        && (attribution_len(lines, j).is_some() || quote_separator(lines, j))
                })
            });
            if !quotes_anything {
                if let Some(Segment::Text(t)) = segs.last_mut() {
                    t.extend_from_slice(&lines[i..end]);
                    i = end;
                    continue;
                }
            }
        }
        if is_quoted(line) {
            match segs.last_mut() {
                Some(Segment::Quote(q, _)) => q.push(line),
                _ => segs.push(Segment::Quote(vec![line], false)),
            }
            i += 1;
            continue;
        }
        if is_link_piece(lines, i) {
            if let Some(Segment::Quote(q, _)) = segs.last_mut() {
                q.push(line);
                i += 1;
                continue;
            }
        }
        if is_blank(line) {
            // Blank lines between quoted lines belong to the quote.
            let inside_quote = matches!(segs.last(), Some(Segment::Quote(..)))
                && next_non_blank(lines, i).is_some_and(|j| is_quoted(lines[j]));
            match segs.last_mut() {
                Some(Segment::Quote(q, _)) if inside_quote => q.push(line),
                Some(Segment::Text(t)) => t.push(line),
                _ => segs.push(Segment::Text(vec![line])),
            }
            i += 1;
            continue;
        }
        if is_forward_marker(line) {
            forward = forward_section(&lines[i..]);
            break;
        }
        if let Some(len) = attribution_len(lines, i) {
            if let Some(own) = glued_reply_len(line).filter(|_| len == 1) {
                match segs.last_mut() {
                    Some(Segment::Text(t)) => t.push(&line[..own]),
                    _ => segs.push(Segment::Text(vec![&line[..own]])),
                }
            }
            match next_non_blank(lines, i + len) {
                // The previous message repeated without quote marks (Yahoo, Mail.ru, Zoho, Notes).
                Some(j) if !is_quoted(lines[j]) => break,
                Some(_) => {
                    segs.push(Segment::Quote(Vec::new(), true));
                    i += len;
                    continue;
                }
                None => break,
            }
        }
        if quote_separator(lines, i) {
            break;
        }
        match segs.last_mut() {
            Some(Segment::Text(t)) => t.push(line),
            _ => segs.push(Segment::Text(vec![line])),
        }
        i += 1;
    }
    (segs, forward)
}

/// A line that lost its `>` because a client wrapped a long link inside a quote: between two
/// quoted lines, nothing but the link or a piece of its query ("(http://x.example/c/YzO) >",
/// "_nonce=3dd518)"). An answer written there has words of its own ("See https://…").
fn is_link_piece(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if i == 0 || is_quoted(line) || is_blank(line) {
        return false;
    }
    let between = is_quoted(lines[i - 1]) && lines.get(i + 1).is_some_and(|l| is_quoted(l));
    let tokens: Vec<&str> = line.split_whitespace().filter(|t| *t != ">").collect();
    let [token] = tokens.as_slice() else {
        return false;
    };
    let token = token.trim_matches(|c: char| matches!(c, '(' | ')' | '<' | '>' | '[' | ']'));
    between
        && (token.contains("://")
            || (token.contains(['=', '&', '%', '_', '/'])
                && !token.chars().all(|c| c.is_alphabetic() || c == '/')))
}

/// How many `>` lines a glued run may have: a line or two of the writer's ("> 5 users", a
/// ">>> link <<<" banner), never a quoted message.
const GLUED_RUN: usize = 3;

/// The end of a short run of `>` lines starting at `i` that is glued to unquoted text on both
/// sides (no blank line between), if one starts there. Quotes are set apart from the text
/// around them; a line starting with `>` in the middle of a paragraph is not one.
fn glued_quote_end(lines: &[&str], i: usize) -> Option<usize> {
    if i == 0 || !is_quoted(lines[i]) {
        return None;
    }
    let before = lines[i - 1];
    if is_blank(before) || is_quoted(before) {
        return None;
    }
    let end = (i..lines.len().min(i + GLUED_RUN + 1)).find(|&j| !is_quoted(lines[j]))?;
    (!is_blank(lines[end])).then_some(end)
}

/// The writer's lines of a text segment without its signature: the `-- ` signature runs to the
/// end of the segment (it ends where a quote or an attribution begins), so does a mobile
/// signature under text of the writer's (one above it goes alone), then a signature without
/// delimiter at the end of what is left.
fn without_signature<'a>(text: &[&'a str], sender: &Sender) -> Vec<&'a str> {
    let mut kept: Vec<&'a str> = Vec::with_capacity(text.len());
    let mut has_text = false;
    for (k, line) in text.iter().enumerate() {
        if is_delimiter(line) {
            let bare = is_bare_delimiter(line);
            let after = text[k + 1..]
                .iter()
                .filter(|l| !is_blank(l))
                .take(13)
                .count();
            if !bare || after <= 12 {
                break;
            }
        }
        if is_mobile_signature(line) {
            // A mobile client writes its signature under the reply and the previous message
            // under the signature, with or without a header: what follows is not the writer's.
            if has_text {
                break;
            }
            continue;
        }
        has_text |= !is_blank(line);
        kept.push(line);
    }
    if let Some(start) = signature_start(&kept, sender) {
        kept.truncate(start);
    }
    let inner = inner_signature_lines(&kept, sender);
    if !inner.is_empty() {
        kept = kept
            .iter()
            .enumerate()
            .filter(|(k, _)| !inner.contains(k))
            .map(|(_, l)| *l)
            .collect();
    }
    while kept.last().is_some_and(|l| is_blank(l) || is_rule(l)) {
        kept.pop();
    }
    kept
}

/// The writer's own unquoted lines, signatures included (only delimiters and mobile lines
/// dropped): what is kept when nothing else is left.
fn own_lines<'a, 'b>(text: &'b [&'a str]) -> impl Iterator<Item = &'a str> + 'b {
    text.iter()
        .copied()
        .filter(|l| !is_delimiter(l) && !is_mobile_signature(l) && !is_rule(l))
}

/// A quote of one short paragraph: what "reply with selection" (Thunderbird, Apple Mail, the
/// writer trimming the quote) leaves under its attribution. A whole previous message has a
/// greeting, paragraphs and a sign-off.
fn is_selection(quote: &[&str]) -> bool {
    let body: Vec<&str> = quote
        .iter()
        .map(|l| unquote_once(l))
        .skip_while(|l| is_blank(l))
        .collect();
    let end = body.iter().rposition(|l| !is_blank(l)).map_or(0, |e| e + 1);
    let body = &body[..end];
    !body.is_empty() && body.len() <= 4 && body.iter().all(|l| !is_blank(l))
}

/// The last paragraph of a quoted block, as `> ` lines: what an inline answer below it replies
/// to. Empty when that paragraph is a sign-off or signature.
fn context_of(quote: &[&str], sender: &Sender) -> Vec<String> {
    let unquoted: Vec<&str> = quote.iter().map(|l| unquote_once(l)).collect();
    let Some(end) = unquoted.iter().rposition(|l| !is_blank(l)) else {
        return Vec::new();
    };
    let start = unquoted[..end]
        .iter()
        .rposition(|l| is_blank(l))
        .map_or(0, |b| b + 1);
    let para = &unquoted[start..=end];
    if signature_start(para, &Sender::default()).is_some()
        || signature_start(para, sender) == Some(0)
    {
        return Vec::new();
    }
    let para = &para[para.len().saturating_sub(8)..];
    para.iter().map(|l| format!("> {}", l.trim_end())).collect()
}

/// The new part of a plain-text reply (SPEC §3.2), see [`reply_text`].
pub fn strip_quotes(body: &str) -> String {
    reply_text(body, None).text
}

/// The new part of a plain-text reply (SPEC §3.2). `sender` is the display name of the mail's
/// From, which a signature often repeats.
///
/// Dropped: `>` lines; attribution lines in any language (also wrapped over up to three lines,
/// also when the previous message follows without quote marks, in which case everything from the
/// attribution on is the previous message); everything from a header block on ("From: … Sent: …"
/// and its translations, "-----Original Message-----", a rule before such a block); signatures:
/// the `-- ` block (up to the next quote or attribution), mobile signatures, and a signature
/// without delimiter at the end of a block of text (sign-off, the sender's name, a contact block,
/// a disclaimer, a mailing-list footer).
///
/// Kept: the writer's lines in order. An answer written between quoted lines (inline replies)
/// keeps the quoted paragraph it answers, as `> ` lines, so that it can be read on its own. A
/// forward ("Begin forwarded message:", "---------- Forwarded message ---------") is new
/// information for a ticket: the marker line and the forwarded content are kept (after the note
/// above it, if there is one).
///
/// When nothing is left but the mail has unquoted text of its own (a reply that is only "Thanks,
/// Noam"), that text is kept whole and [`Reply::kept_whole`] says so.
///
/// Trailing whitespace is trimmed on every line, blank-line runs collapse to one blank line, and
/// leading/trailing blank lines go.
pub fn reply_text(body: &str, sender: Option<&str>) -> Reply {
    let text = normalize_newlines(body);
    let lines: Vec<&str> = text.split('\n').collect();
    let lines = &lines[banner_end(&lines)..];
    let sender = Sender::new(sender);
    let (segs, forward) = segments(lines);

    // Inline answers: text after a quote that is itself followed by another quote, or text after
    // a quote that no attribution introduced, below text of the writer's (selective quoting).
    let last_quote = segs.iter().rposition(Segment::is_quote);
    let mut out: Vec<String> = Vec::new();
    let mut own: Vec<&str> = Vec::new();
    let mut inline = false;
    let mut answers = Vec::new();
    let mut text_before: Option<usize> = None;
    // The last quote before the segment at hand, kept as the loop goes (a mail of thousands of
    // alternating quotes and answers stays linear).
    let mut quote_before: Option<usize> = None;
    for (k, seg) in segs.iter().enumerate() {
        let Segment::Text(t) = seg else {
            if seg.is_quote() {
                quote_before = Some(k);
            }
            continue;
        };
        own.extend(own_lines(t));
        own.push("");
        let kept = without_signature(t, &sender);
        if kept.iter().all(|l| is_blank(l)) {
            continue;
        }
        if quote_before.is_some() && last_quote.is_some_and(|q| q > k) {
            inline = true;
        }
        let selective = quote_before.is_some_and(|q| {
            let Segment::Quote(lines, attributed) = &segs[q] else {
                return false;
            };
            (!attributed || is_selection(lines)) && text_before.is_some_and(|t| t < q)
        });
        text_before.get_or_insert(k);
        answers.push((k, quote_before, selective, kept));
    }
    for (_, quote_before, selective, kept) in answers {
        if let Some(Segment::Quote(q, _)) = quote_before
            .filter(|_| inline || selective)
            .map(|q| &segs[q])
        {
            let context = context_of(q, &sender);
            if !context.is_empty() {
                out.push(String::new());
                out.extend(context);
                out.push(String::new());
            }
        }
        out.push(String::new());
        out.extend(kept.iter().map(|l| l.to_string()));
    }
    let note = tidy(&out);
    let forward = tidy(&forward);
    let text = match (note.is_empty(), forward.is_empty()) {
        (_, true) => note,
        (true, false) => forward,
        (false, false) => format!("{note}\n\n{forward}"),
    };
    if text.is_empty() {
        let own = tidy(&own);
        if !own.is_empty() {
            return Reply {
                text: own,
                kept_whole: true,
            };
        }
    }
    Reply {
        text,
        kept_whole: false,
    }
}

/// Whether the text has a forward marker outside quoted lines.
pub(crate) fn has_forward_marker(body: &str) -> bool {
    normalize_newlines(body)
        .split('\n')
        .any(|l| !is_quoted(l) && is_forward_marker(l))
}

/// The quoted part of a mail: from the first quote marker (attribution, header block or
/// separator, `>` line) to the end, separator lines dropped and one `>` level removed when the
/// whole part is `>`-quoted. Used for forwards whose client writes no forward marker (Outlook's
/// "FW:" looks exactly like a reply); empty when nothing is quoted.
pub(crate) fn quoted_part(body: &str) -> String {
    let text = normalize_newlines(body);
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(start) = (0..lines.len()).find(|&i| {
        is_quoted(lines[i])
            || is_forward_marker(lines[i])
            || attribution_len(&lines, i).is_some()
            || quote_separator(&lines, i)
    }) else {
        return String::new();
    };
    let mut rest = &lines[start..];
    if let Some(len) = attribution_len(&lines, start) {
        rest = &rest[len.min(rest.len())..];
    } else if let Some(first) = rest.first() {
        if is_original_message_line(first) || is_forward_marker(first) || is_rule(first) {
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
    fn cuts_at_a_helpdesk_reply_above_line() {
        let body = "Thanks, done.\n\n##- Please type your reply above this line -##\n\nYour request (1234) has been updated.";
        assert_eq!(strip_quotes(body), "Thanks, done.");
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
    fn the_previous_message_under_a_mobile_signature_is_cut() {
        let body = "Wann ist er lieferbar?\n\nGesendet von Outlook für Android<https://aka.ms/x>\n\nHi Arne!\nDein Paket ist unterwegs.";
        assert_eq!(strip_quotes(body), "Wann ist er lieferbar?");
        // A mobile signature above the writer's text goes alone.
        assert_eq!(
            strip_quotes("Sent from my iPhone\n\nIt works."),
            "It works."
        );
    }

    #[test]
    fn an_answer_under_a_selected_quote_keeps_it() {
        let body = "Hallo Frau Keller,\n\nAm 03.06.2024 um 10:00 schrieb Bob:\n> Liegt der Ordner auf einem Netzlaufwerk?\n\nJa, auf dem NAS.\n\nViele Grüße\nRalf";
        assert_eq!(
            strip_quotes(body),
            "Hallo Frau Keller,\n\n> Liegt der Ordner auf einem Netzlaufwerk?\n\nJa, auf dem NAS."
        );
        // A whole previous message above a bottom-posted answer is not kept.
        let body = "Hi,\n\nOn 03/06/2024 10:00, Bob wrote:\n> Hello,\n>\n> Does it work?\n>\n> Bob\n\nIt does.";
        assert_eq!(strip_quotes(body), "Hi,\n\nIt does.");
    }

    #[test]
    fn a_gt_line_inside_a_paragraph_is_text() {
        let body = "It got worse:\n> 5 users cannot log in\n< 2 minutes between failures\n\nPlease escalate.";
        assert_eq!(strip_quotes(body), body);
        let body = "Visit the status page...\n>>> >>>  https://status.example.com <<<\nIt is refreshed every minute.";
        assert_eq!(strip_quotes(body), body);
        // In a mail that quotes, the same shape is a quote.
        let body = "On 03/06/2024 10:00, Bob wrote:\n> Windows?\nYes.\n> Mac?\nNo.";
        assert_eq!(strip_quotes(body), "> Windows?\n\nYes.\n\n> Mac?\n\nNo.");
    }

    #[test]
    fn a_link_that_lost_its_quote_marker_stays_in_the_quote() {
        let body = "Blah\n\nOn Thursday, October 25, 2012 at 3:03 PM, Bob wrote:\n\n>\n> Post a response\n>\n (http://x.example/c/YzOTYzMmE) >\n> life is short.\n>\n";
        assert_eq!(strip_quotes(body), "Blah");
        let body = "Blah\n\nOn Monday, 24 September, 2012 at 3:46 PM, bob wrote:\n\n> View ticket (http://x.example/action\n_nonce=3dd518)\n>\n";
        assert_eq!(strip_quotes(body), "Blah");
        // An answer with a link of its own is an answer.
        let body = "On 03/06/2024 10:00, Bob wrote:\n> Where is the fix?\nSee https://status.x.example/fix\n> Thanks\n";
        assert_eq!(
            strip_quotes(body),
            "> Where is the fix?\n\nSee https://status.x.example/fix"
        );
    }

    #[test]
    fn keeps_inline_answers_in_order() {
        let body = "Hi,\n\nOn 03/06/2024 10:00, Bob wrote:\n> Windows?\n\nYes.\n\n> Mac?\n\nNot yet.\n\n-- \nAlice";
        assert_eq!(
            strip_quotes(body),
            "Hi,\n\n> Windows?\n\nYes.\n\n> Mac?\n\nNot yet."
        );
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
    fn joiners_that_spell_words_are_kept() {
        assert_eq!(
            strip_quotes("\u{feff}فقط روی لپ\u{200c}تاپ"),
            "فقط روی لپ\u{200c}تاپ"
        );
        assert_eq!(strip_quotes("ok 👩\u{200d}💻"), "ok 👩\u{200d}💻");
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
