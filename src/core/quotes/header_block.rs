//! Header blocks that introduce the previous message without quote marks, found by their shape:
//! three or more `Label: value` lines, one of them From-like and one Date/Sent-like (by label in
//! the languages of mail clients, or by an address and a date in the values): Outlook's
//! "From: … Sent: … To: … Subject: …" and its translations ("От: / Отправлено: / Кому:",
//! "Fra: / Sendt: / Til:"), GMX's "Gesendet: … Von: …", Lotus Notes' tab-separated block.
//! Also the lines that stand before such a block: "-----Original Message-----" and its
//! translations, and bare lines of dashes or underscores.

use super::attribution::{has_address, has_bracketed_address, has_date};
use super::markers::{
    DATE_LABELS, FROM_LABELS, ORIGINAL_MESSAGE, OTHER_LABELS, REPLY_ABOVE, TO_LABELS,
};
use super::{is_bidi_control, is_blank, is_quoted};
use crate::core::text::{fold, normalize_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Label {
    From,
    Date,
    To,
    Other,
    Unknown,
}

/// `Label: value` of a header-looking line: the label (folded, 1 to 4 words, no digits) and the
/// value. Bold markers (`*From:*`), a space or no-break space before the colon, the full-width
/// colon and Notes' tab after it are tolerated.
fn header_field(line: &str) -> Option<(String, &str)> {
    let t = line
        .trim_start_matches(|c: char| c.is_whitespace() || is_bidi_control(c))
        .trim_start_matches('*');
    let colon = t.find([':', '：'])?;
    let name =
        t[..colon].trim_end_matches(|c: char| c.is_whitespace() || c == '*' || is_bidi_control(c));
    if name.is_empty()
        || name.chars().count() > 30
        || name.split_whitespace().count() > 4
        || name
            .chars()
            .any(|c| c.is_ascii_digit() || matches!(c, '<' | '>' | '@' | '/' | '"' | ',' | '='))
    {
        return None;
    }
    let sep = if t[colon..].starts_with('：') {
        '：'.len_utf8()
    } else {
        1
    };
    let value = t[colon + sep..].trim_start_matches('*').trim();
    let name: String = name.chars().filter(|c| !is_bidi_control(*c)).collect();
    Some((normalize_line(&name), value))
}

/// A time of day in a value ("4:12 PM", "16:12:44", Finnish "16.12"): what a Sent or Date line
/// always carries, and a travel plan's "Date: 14 October 2024" does not.
fn has_time(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    (0..chars.len()).any(|i| {
        let digit = |k: usize| chars.get(k).is_some_and(char::is_ascii_digit);
        let starts = digit(i) && (i == 0 || !chars[i - 1].is_alphanumeric());
        let hour_len = if digit(i + 1) { 2 } else { 1 };
        let sep = chars.get(i + hour_len).copied();
        let m = i + hour_len + 1;
        let minutes = digit(m) && digit(m + 1) && !digit(m + 2);
        // "30.09.2024" is a date, "4.2.1" a version.
        let dotted_ok = sep == Some('.') && chars.get(m + 2).is_none_or(|c| *c != '.');
        starts && minutes && (sep == Some(':') || dotted_ok)
    })
}

fn label_kind(name: &str) -> Label {
    if FROM_LABELS.contains(&name) {
        Label::From
    } else if DATE_LABELS.contains(&name) {
        Label::Date
    } else if TO_LABELS.contains(&name) {
        Label::To
    } else if OTHER_LABELS.contains(&name) {
        Label::Other
    } else {
        Label::Unknown
    }
}

/// Words that join names in a recipient list ("Sales and Marketing", "Jan van Dijk").
const NAME_JOINERS: &[&str] = &[
    "and", "und", "et", "y", "e", "&", "van", "von", "de", "der", "den", "da", "di", "du", "la",
    "le",
];

/// A From or To value without an address: names only ("Support Team", "Hofmann, Jürgen",
/// "Kim Yates; Lee Hart"), never a phrase ("our Paris office").
fn names_only(value: &str) -> bool {
    value.split([',', ';']).all(|part| {
        part.split_whitespace().all(|w| {
            let w = w.trim_matches(|c: char| matches!(c, '"' | '\'' | '(' | ')' | '[' | ']'));
            w.is_empty()
                || NAME_JOINERS.contains(&w)
                || w.chars()
                    .next()
                    .is_some_and(|c| c.is_uppercase() || (c.is_alphabetic() && !c.is_lowercase()))
        })
    })
}

/// The lines a header block starting at `i` spans, if one starts there. The labels may be of a
/// language the lists do not know: then the values must say it, the first one naming the sender
/// by an address in brackets and one a date with a time.
pub(super) fn header_block_len(lines: &[&str], i: usize) -> Option<usize> {
    let (name, value) = header_field(lines[i])?;
    if is_quoted(lines[i]) || value.is_empty() {
        return None;
    }
    let sender_by_value = has_bracketed_address(value);
    if label_kind(&name) == Label::Unknown && !sender_by_value {
        return None;
    }
    let (mut from, mut date, mut known, mut fields) = (false, false, 0, 0);
    let (mut address, mut dated, mut timed) = (false, false, false);
    // A date and a time in one value, and From/To values that are names only.
    let (mut sent_by_value, mut names) = (false, true);
    let mut j = i;
    let mut continued = false;
    while j < lines.len() && j < i + 16 {
        let line = lines[j];
        if is_blank(line) {
            // One blank line inside the block (QQ Mail leaves one before "主题:").
            let next_is_field = lines
                .get(j + 1)
                .and_then(|l| header_field(l))
                .is_some_and(|(n, _)| label_kind(&n) != Label::Unknown);
            if !next_is_field || fields < 2 {
                break;
            }
            j += 1;
            continue;
        }
        match header_field(line) {
            Some((name, value)) => {
                let kind = label_kind(&name);
                from |= kind == Label::From;
                date |= kind == Label::Date;
                known += usize::from(kind != Label::Unknown);
                fields += 1;
                address |= has_address(value);
                dated |= has_date(value);
                timed |= has_time(value);
                sent_by_value |= has_date(value) && has_time(value);
                if matches!(kind, Label::From | Label::To) {
                    names &= names_only(value);
                }
                continued = false;
            }
            _ if fields > 0 && !continued => {
                // A long value wrapped onto the next line ("To: a@x.com; b@x.com;\n c@x.com").
                let next_is_field = lines.get(j + 1).and_then(|l| header_field(l)).is_some();
                if !next_is_field {
                    break;
                }
                continued = true;
            }
            _ => break,
        }
        j += 1;
    }
    // The previous message's headers name a sender by address or carry the time it was sent,
    // and without addresses its From and To hold names; "From: Lyon / To: Hamburg / Date: 14
    // October 2024" and "From: Warehouse B / Sent: … 16:12 by courier / To: our Paris office"
    // are the writer's.
    let evidence = address || (timed && names);
    let labelled = evidence
        && ((fields >= 3 && known >= 2 && (from || address) && (date || dated) && (from || date))
            // "Date: Mon, 30 Sep 2024 16:12:44 -0600\nTo: rob@example.net": two lines are
            // enough when they hold a dated, timed Date line and an address.
            || (fields == 2 && known == 2 && date && timed && address));
    // Labels of another language: "Nadawca: Bob <b@x.com> / Wysłano: 3.6.2024 9:02 / …",
    // closed by a blank line like every header block.
    let ends = lines.get(j).is_none_or(|l| is_blank(l));
    let by_values = fields >= 3 && sender_by_value && sent_by_value && ends;
    (labelled || by_values).then_some(j - i)
}

/// Whether a line is made of dashes, underscores, equals signs or stars only (at least two).
pub(super) fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.chars().count() >= 2
        && t.chars()
            .all(|c| matches!(c, '-' | '_' | '=' | '*' | '—' | '–' | '─'))
}

/// "-----Original Message-----", "----- Mail original -----", "------------------ 原始邮件
/// ------------------" and the like: a known phrase between dashes.
pub(super) fn is_original_message_line(line: &str) -> bool {
    let n = fold(line.trim());
    let dashed = n.starts_with("--") || n.starts_with("__") || n.starts_with("*--");
    if !dashed {
        return false;
    }
    let core = n
        .trim_matches(|c: char| matches!(c, '-' | ' ' | '_' | '=' | '*' | '\u{a0}'))
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    ORIGINAL_MESSAGE.contains(&core.as_str())
}

/// A helpdesk's "##- Please type your reply above this line -##": a short line that holds one
/// of the known phrases and is set apart as a marker: wrapped in `#`, `-`, `=`, `*` or `_`,
/// or made of nothing but the request ("Please reply above this line", "Reply above this
/// line."). "I put my reply above this line of the log" is a sentence.
pub(super) fn is_reply_above_line(line: &str) -> bool {
    let t = line.trim();
    let n = normalize_line(t);
    let Some(phrase) = REPLY_ABOVE.iter().find(|p| n.contains(*p)) else {
        return false;
    };
    let decorated = t.starts_with(['#', '-', '=', '*', '_', '[', '—']);
    let core = n.trim_end_matches(['.', '!', ' ', '-', '#', '=', '*', '_']);
    let request = core.ends_with(phrase) && core.split(' ').count() <= 10;
    n.split(' ').count() <= 14 && (decorated || request)
}

/// A few words between dashes that are not a known phrase ("----- Původní e-mail -----"): the
/// previous message only when a header block follows at once.
fn is_dashed_title(line: &str) -> bool {
    let t = line.trim();
    let lead = t.chars().take_while(|c| *c == '-').count();
    let trail = t.chars().rev().take_while(|c| *c == '-').count();
    let inner = t.trim_matches('-').trim();
    lead >= 3 && trail >= 3 && !inner.is_empty() && inner.split_whitespace().count() <= 4
}

/// A line from which everything is the previous message, unprefixed (Outlook style): an
/// "Original Message" line, a header block, or a rule or dashed title right before a header
/// block. Returns the index where the previous message starts.
pub(super) fn quote_separator(lines: &[&str], i: usize) -> bool {
    let line = lines[i];
    if is_quoted(line) || is_blank(line) {
        return false;
    }
    if is_original_message_line(line)
        || is_reply_above_line(line)
        || header_block_len(lines, i).is_some()
    {
        return true;
    }
    if is_rule(line) || is_dashed_title(line) {
        let next = (i + 1..lines.len().min(i + 3)).find(|&j| !is_blank(lines[j]));
        return next.is_some_and(|j| header_block_len(lines, j).is_some());
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &str) -> Vec<&str> {
        s.split('\n').collect()
    }

    #[test]
    fn header_blocks_in_many_languages() {
        for block in [
            "From: Bob <b@x.com>\nSent: Monday, June 3, 2024 9:02 AM\nTo: a@x.com\nSubject: RE: printer",
            "От: Bob <b@x.ru>\nОтправлено: 3 июня 2024 г. 9:02\nКому: a@x.ru\nТема: принтер",
            "Fra: Bob <b@x.dk>\nSendt: 3. juni 2024 09:02\nTil: a@x.dk\nEmne: printer",
            "De : Bob <b@x.fr>\nEnvoyé : lundi 3 juin 2024 09:02\nÀ : a@x.fr\nObjet : imprimante",
            "Gesendet: Montag, 03. Juni 2024 um 09:02 Uhr\nVon: \"Bob\" <b@x.de>\nAn: a@x.de\nBetreff: Drucker",
            "From:\tBob <b@x.com>\nTo:\ta@x.com\nDate:\t03/06/2024 09:02\nSubject:\tprinter",
            "*From:* Bob <b@x.com>\n*Sent:* Monday, June 3, 2024 9:02 AM\n*To:* Alice",
            "De : Bob\nEnvoyé le :lundi 3 juin 2024 09:15\nÀ : Alice\nObjet : mot de passe",
            "差出人: Bob <b@x.jp>\n送信日時: 2024年6月3日 9:02\n宛先: a@x.jp\n件名: プリンター",
            "发件人: \"Bob\"<b@x.cn>;\n发送时间: 2024年6月3日(星期一) 上午9:02\n收件人: \"A\"<a@x.cn>;\n\n主题: 打印机",
        ] {
            assert!(header_block_len(&split(block), 0).is_some(), "{block}");
        }
    }

    #[test]
    fn right_to_left_header_blocks() {
        for block in [
            "من: Bob <b@x.sa>\nتم الإرسال: الاثنين، 3 يونيو 2024 09:02 ص\nإلى: a@x.sa\nالموضوع: طابعة",
            "\u{200f}מאת: Bob <b@x.il>\n\u{200f}נשלח: יום שני 03 יוני 2024 09:02\nאל: a@x.il\nנושא: מדפסת",
        ] {
            assert!(header_block_len(&split(block), 0).is_some(), "{block}");
        }
        assert!(is_original_message_line("-----הודעה מקורית-----"));
    }

    #[test]
    fn blocks_in_languages_without_labels_here() {
        let block = "Nadawca: Bob <b@x.com>\nWysyłka: 3.6.2024 09:02\nAdresat: Alice\nSprawa: drukarka\n\nDzień dobry";
        assert_eq!(header_block_len(&split(block), 0), Some(4));
        for block in [
            "Dari: Bob <b@x.co.id>\nDikirim: 3 Juni 2024 9:02\nKepada: Ani\nPerihal: printer",
            "Từ: Bob <b@x.vn>\nĐã gửi: 3/6/2024 9:02\nĐến: An\nChủ đề: máy in",
            "Šalje: Bob <b@x.hr>\nPoslano: 3. 6. 2024 9:02\nPrima: Ana\nPredmet: pisač",
        ] {
            assert!(header_block_len(&split(block), 0).is_some(), "{block}");
        }
        // A form of the writer's: no address in brackets first, no sent time.
        let form =
            "Name: Lara Stein\nEmail: lara@x.com\nStart: 14 October 2024 09:00\nTeam: Finance\n";
        assert!(header_block_len(&split(form), 0).is_none());
    }

    #[test]
    fn short_blocks_with_a_date_and_an_address() {
        let block = "Date: Mon, 3 Jun 2024 09:02:00 -0600\nTo: rob@x.com\n";
        assert_eq!(header_block_len(&split(block), 0), Some(2));
        assert!(header_block_len(&split("Date: 3 June 2024\nTo: accounting"), 0).is_none());
    }

    #[test]
    fn times_are_found() {
        for s in [
            "Monday, June 3, 2024 9:02 AM",
            "3.6.2024 klo 16.12",
            "16:12:44",
        ] {
            assert!(has_time(s), "{s}");
        }
        for s in ["14 October 2024", "30.09.2024", "version 4.2.1", "room 12"] {
            assert!(!has_time(s), "{s}");
        }
    }

    #[test]
    fn label_lists_are_not_header_blocks() {
        for text in [
            "From: Lyon\nTo: Hamburg\nDate: 14 October 2024\nSeats: 2",
            "From: Warehouse B, Leeds\nSent: 30 September 2024 16:12 by courier\nTo: our Paris office",
            "Model: LaserJet M404\nSerial: CNB3K12345\nFirmware: 002.2301A\nLocation: floor 2",
            "From: the logs, the disk was full at 03:00.\nTo: fix it we removed old backups.",
            "Subject: invoice\nTo: accounting",
        ] {
            assert!(header_block_len(&split(text), 0).is_none(), "{text}");
        }
    }

    #[test]
    fn helpdesk_reply_above_lines() {
        for line in [
            "##- Please type your reply above this line -##",
            "-- Reply above this line --",
            "------ Bitte antworten Sie oberhalb dieser Zeile ------",
        ] {
            assert!(quote_separator(&split(line), 0), "{line}");
        }
        assert!(!is_reply_above_line(
            "I put my reply above this line of the log, see there."
        ));
    }

    #[test]
    fn separators_before_a_block() {
        let lines = split("-----\nFrom: Bob <b@x.com>\nSent: Monday 9:02\nTo: a@x.com");
        assert!(quote_separator(&lines, 0));
        let lines = split("________________________________\nBob, ACME");
        assert!(!quote_separator(&lines, 0));
        assert!(is_original_message_line("-----Original Message-----"));
        assert!(is_original_message_line("----- Mail original -----"));
        assert!(is_original_message_line(
            "------------------ 原始邮件 ------------------"
        ));
        assert!(!is_original_message_line("----- Step 2 -----"));
    }
}
