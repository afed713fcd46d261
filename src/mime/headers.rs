//! Header values: raw bytes, unfolded text, Message-IDs, addresses and RFC 2047 encoded words.

use std::borrow::Cow;

use mail_parser::{Header, HeaderName, HeaderValue, Message};

use super::charset::{decode_charset, detect, mostly_utf8, sniff};
use super::transfer::word_decode;
use crate::core::Address;

pub(super) fn header_bytes<'a>(data: &'a [u8], h: &Header<'_>) -> &'a [u8] {
    data.get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default()
}

/// A raw header value, unfolded and trimmed.
pub(super) fn unfold(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|&c| c != '\r' && c != '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

pub(super) fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

pub(super) fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    let list: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    list.into_iter()
        .map(clean_id)
        .filter(|id| !id.is_empty())
        .collect()
}

pub(super) fn to_address(a: &mail_parser::Addr<'_>) -> Option<Address> {
    let mut out = mailbox(a.address()?)?;
    out.name = a.name().and_then(clean_name);
    Some(out)
}

/// `local@domain` as an [`Address`] when it is one: both halves there, no whitespace, control
/// characters or address syntax left in them, not absurdly long. The domain is lower-cased
/// whole (IDN domains too).
fn mailbox(addr: &str) -> Option<Address> {
    let addr = addr.trim().trim_end_matches('.');
    let (local, domain) = addr.rsplit_once('@')?;
    let syntax = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"@\\".contains(c);
    if local.is_empty()
        || domain.is_empty()
        || addr.len() > 320
        || local.contains(|c: char| c != '"' && c != '\\' && syntax(c))
        || domain.contains(syntax)
    {
        return None;
    }
    Some(Address::new(&format!("{local}@{}", domain.to_lowercase())))
}

/// A display name as people read it: whitespace collapsed, quotes around it (or one stray
/// quote of an unbalanced pair) dropped.
fn clean_name(name: &str) -> Option<String> {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut name = name.as_str();
    for q in ['"', '\''] {
        if name.len() >= 2 && name.starts_with(q) && name.ends_with(q) {
            name = &name[1..name.len() - 1];
        } else if name.matches(q).count() % 2 == 1 {
            name = name.trim_matches(q);
        }
    }
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// `text` without its RFC 5322 comments (`(...)`, nested, `\)` escaped; not inside quotes),
/// and the first comment's text.
fn strip_comments(text: &str) -> (String, Option<String>) {
    let mut out = String::with_capacity(text.len());
    let mut first: Option<String> = None;
    let mut current = String::new();
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
            if depth > 0 {
                current.push(c);
            } else {
                out.push(c);
            }
            continue;
        }
        match c {
            '\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(c);
                }
            }
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => {
                if depth > 0 {
                    current.push(c);
                }
                depth += 1;
            }
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    if first.is_none() {
                        first = Some(std::mem::take(&mut current));
                    }
                    current.clear();
                } else {
                    current.push(c);
                }
            }
            _ if depth > 0 => current.push(c),
            _ => out.push(c),
        }
    }
    (out, first)
}

/// The sender: the first usable mailbox of `From` as mail-parser reads it (groups, quoting,
/// obsolete syntax). The decoded header text is searched for the first `local@domain` and the
/// name written before it (or in a comment) when mail-parser finds no usable mailbox, when the
/// header has comments (mail-parser folds them into the name), or when the name it decoded has
/// U+FFFD (a character split over two encoded words): `John Doe john@example.com`,
/// `<<john@example.com>>`, `Pete(A nice \) chap) <pete@silly.test>` and unbalanced quotes still
/// name a sender.
pub(super) fn sender(message: &Message<'_>, data: &[u8]) -> Option<Address> {
    let parsed = message.from().and_then(|a| a.iter().find_map(to_address));
    let header = message
        .headers()
        .iter()
        .find(|h| h.name == HeaderName::From);
    let text = header.map(|h| decode_header_text(header_bytes(data, h)));
    let suspect = text.as_deref().is_some_and(|t| t.contains('('))
        || parsed
            .as_ref()
            .and_then(|a| a.name.as_deref())
            .is_some_and(|n| n.contains('\u{fffd}'));
    if parsed.is_some() && !suspect {
        return parsed;
    }
    let salvaged = text.as_deref().and_then(salvage_mailbox);
    match (parsed, salvaged) {
        (Some(p), Some(s)) if p.addr == s.addr => Some(Address { name: s.name, ..p }),
        (Some(p), _) => Some(p),
        (None, s) => s,
    }
}

/// The first `local@domain` in free text, with the display name around it: the phrase before
/// its `<`, else the text before it when there is no `<`, else its comment.
fn salvage_mailbox(text: &str) -> Option<Address> {
    let (text, comment) = strip_comments(text);
    let is_stop = |c: char| c.is_whitespace() || "<>()[],;:\"'".contains(c);
    let mut from = 0;
    while let Some(at) = text[from..].find('@').map(|p| from + p) {
        // Past the stop character, whatever its width (U+3000 is whitespace too).
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| is_stop(c))
            .map_or(0, |(p, c)| p + c.len_utf8());
        // A domain is letters (any script), digits, `-`, `.` and `_`.
        let end = text[at + 1..]
            .find(|c: char| !(c.is_alphanumeric() || "-._".contains(c)))
            .map_or(text.len(), |p| at + 1 + p);
        if let Some(mut address) = mailbox(&text[start..end]) {
            let phrase = match text[..start].rfind('<') {
                Some(open) => text[..open].trim_end_matches(['<', ' ', '\t']),
                None if !text[..start].contains('@') => &text[..start],
                None => "",
            };
            address.name = clean_name(phrase).or_else(|| comment.as_deref().and_then(clean_name));
            return Some(address);
        }
        from = at + 1;
    }
    None
}

pub(super) fn addresses(message: &Message<'_>, name: HeaderName<'static>) -> Vec<Address> {
    message
        .header_values(name)
        .filter_map(|v| v.as_address())
        .flat_map(|a| a.iter())
        .filter_map(to_address)
        .collect()
}

/// A header value as one line of text: RFC 2047 words decoded (adjacent words of one charset
/// joined before decoding), other raw 8-bit text detected, whitespace collapsed.
///
/// mail-parser's own header decoding turns each encoded word into text on its own, so a
/// multibyte character split over two words (as long Chinese or Japanese subjects are) comes
/// out as two U+FFFD (`mail_parser_splits_a_character_over_two_words` below): the words are
/// found here and only their data goes through mail-parser's B and Q decoders.
pub(super) fn decode_header_text(raw: &[u8]) -> String {
    let unfolded: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    let decoded = decode_encoded_words(&unfolded);
    decoded
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes RFC 2047 encoded words in `s`, each exactly once: what a word decodes to is never
/// read again. Whitespace between adjacent encoded words goes; the bytes of adjacent words in
/// the same charset are decoded together. A raw 8-bit byte inside a word is a byte of the
/// word's charset; raw 8-bit text between words is detected.
pub(super) fn decode_encoded_words(s: &[u8]) -> String {
    fn flush(out: &mut String, pending: Option<(String, Vec<u8>)>) {
        if let Some((charset, bytes)) = pending {
            out.push_str(&decode_charset(&bytes, Some(&charset)));
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut rest = s;
    while let Some((start, word)) = next_encoded_word(rest) {
        let between = &rest[..start];
        let adjacent = between.iter().all(u8::is_ascii_whitespace);
        let charset = word.charset.to_string();
        match pending.as_mut() {
            Some((c, acc)) if adjacent && *c == charset => acc.extend_from_slice(&word.bytes),
            Some(_) if adjacent => {
                flush(&mut out, pending.take());
                pending = Some((charset, word.bytes));
            }
            _ => {
                flush(&mut out, pending.take());
                out.push_str(&sniff(between, None));
                pending = Some((charset, word.bytes));
            }
        }
        rest = &rest[start + word.len..];
    }
    flush(&mut out, pending);
    out.push_str(&sniff(rest, None));
    out
}

/// One RFC 2047 word, decoded to the bytes of its charset.
pub(super) struct EncodedWord {
    /// Length of `=?charset?e?data?=` in the input.
    pub(super) len: usize,
    /// Lower case, RFC 2231 language (`*fr`) dropped.
    pub(super) charset: String,
    pub(super) bytes: Vec<u8>,
}

/// The next encoded word in `s` and where it starts.
pub(super) fn next_encoded_word(s: &[u8]) -> Option<(usize, EncodedWord)> {
    let mut from = 0;
    while let Some(offset) = find(s.get(from..)?, b"=?") {
        let start = from + offset;
        if let Some(word) = parse_encoded_word(&s[start..]) {
            return Some((start, word));
        }
        from = start + 2;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// `=?charset?enc?data?=` at the start of `s`, its data decoded by mail-parser's B or Q
/// decoder; `None` when it is not a well-formed word (it then stays as written).
pub(super) fn parse_encoded_word(s: &[u8]) -> Option<EncodedWord> {
    let body = s.strip_prefix(b"=?")?;
    let q1 = body.iter().position(|&b| b == b'?')?;
    let charset = &body[..q1];
    if charset.is_empty()
        || charset.len() > 64
        || !charset.iter().all(|&b| b.is_ascii_graphic() && b != b'=')
    {
        return None;
    }
    let enc = *body.get(q1 + 1)?;
    if body.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let data_start = q1 + 3;
    let rest = body.get(data_start..)?;
    let data_len = find(rest, b"?=")?;
    if data_len > 4096 {
        return None;
    }
    let bytes = word_decode(enc, &rest[..data_len + 2])?;
    let charset = String::from_utf8_lossy(charset);
    let charset = charset.split('*').next().unwrap_or("").to_ascii_lowercase();
    Some(EncodedWord {
        len: 2 + data_start + data_len + 2,
        charset,
        bytes,
    })
}

/// Raw 8-bit header lines that are not UTF-8 are rewritten as UTF-8, so that mail-parser (which
/// reads them as lossy UTF-8) sees the right text. Their text outside encoded words is read in
/// the one charset detected for all of them (the sender's client wrote them all; more text
/// guesses better), with the sender's top-level domain as a hint; the inside of encoded words
/// stays as it is: its raw bytes belong to the word's own charset and are decoded once, with it.
pub(super) fn transcode_raw_headers(raw: &[u8], header_end: usize) -> Cow<'_, [u8]> {
    let head = &raw[..header_end];
    if std::str::from_utf8(head).is_ok() {
        return Cow::Borrowed(raw);
    }
    let bad_lines = || {
        head.split_inclusive(|&b| b == b'\n')
            .filter(|line| std::str::from_utf8(line).is_err())
    };
    let mut sample = Vec::new();
    for line in bad_lines() {
        for (piece, is_word) in word_pieces(line) {
            if !is_word {
                sample.extend_from_slice(piece);
            }
        }
    }
    let mostly_utf8 = mostly_utf8(&sample).is_some();
    let encoding = detect(&sample, sender_tld(head).as_deref());
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 8);
    for line in head.split_inclusive(|&b| b == b'\n') {
        if std::str::from_utf8(line).is_ok() {
            out.extend_from_slice(line);
            continue;
        }
        for (piece, is_word) in word_pieces(line) {
            if is_word || std::str::from_utf8(piece).is_ok() {
                out.extend_from_slice(piece);
            } else if mostly_utf8 {
                out.extend_from_slice(sniff(piece, None).as_bytes());
            } else {
                out.extend_from_slice(encoding.decode_without_bom_handling(piece).0.as_bytes());
            }
        }
    }
    out.extend_from_slice(&raw[header_end..]);
    Cow::Owned(out)
}

/// `line` cut into encoded words (`true`) and the text around them (`false`).
fn word_pieces(line: &[u8]) -> Vec<(&[u8], bool)> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some((start, word)) = next_encoded_word(rest) {
        out.push((&rest[..start], false));
        out.push((&rest[start..start + word.len], true));
        rest = &rest[start + word.len..];
    }
    out.push((rest, false));
    out
}

/// The top-level domain of the `From` address in a raw header block (`jp`, `ru`), lower case.
fn sender_tld(head: &[u8]) -> Option<Vec<u8>> {
    let line = head
        .split(|&b| b == b'\n')
        .find(|l| l.len() > 5 && l[..5].eq_ignore_ascii_case(b"from:"))?;
    let at = line.iter().rposition(|&b| b == b'@')?;
    let domain: Vec<u8> = line[at + 1..]
        .iter()
        .copied()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'))
        .collect();
    let tld = domain.rsplit(|&b| b == b'.').next()?;
    (tld.len() >= 2 && tld.iter().all(u8::is_ascii_alphabetic)).then(|| tld.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::tests::{mail, SIMPLE};

    #[test]
    fn headers_are_read() {
        let m = mail(SIMPLE);
        assert_eq!(m.message_id.as_deref(), Some("abc@example.com"));
        assert_eq!(m.in_reply_to, vec!["x1@example.com"]);
        assert_eq!(m.references, vec!["x0@example.com", "x1@example.com"]);
        let from = m.from.expect("from");
        assert_eq!(from.addr, "alice@example.com");
        assert_eq!(from.name.as_deref(), Some("Alice Example"));
        let to: Vec<_> = m.to.iter().map(|a| a.addr.as_str()).collect();
        assert_eq!(to, vec!["support@example.com", "bob@example.com"]);
        let cc: Vec<_> = m.cc.iter().map(|a| a.addr.as_str()).collect();
        assert_eq!(cc, vec!["carol@example.com", "dave@example.com"]);
        assert_eq!(m.subject, "Printer broken");
        assert_eq!(m.body.trim(), "Hello");
        assert_eq!(m.reply_text, "Hello");
        assert_eq!(m.content_language.as_deref(), Some("fr-fr"));
        assert_eq!(m.date, Some(1_717_401_600));
        assert_eq!(m.size, SIMPLE.len() as u64);
    }

    /// `(From header value, address, display name)`: what mail in the world writes.
    const SENDERS: &[(&str, &str, Option<&str>)] = &[
        // Odd quoting.
        (
            "\"Doe, John\" <John.Doe@Example.com>",
            "john.doe@example.com",
            Some("Doe, John"),
        ),
        (
            "'John Doe' <jd@example.com>",
            "jd@example.com",
            Some("John Doe"),
        ),
        (
            "\"\\\"Quoted\\\" Name\" <q@example.com>",
            "q@example.com",
            Some("\"Quoted\" Name"),
        ),
        (
            "\"jd@example.com\" <jd@example.com>",
            "jd@example.com",
            Some("jd@example.com"),
        ),
        (
            "\"Broken <alice@example.org>",
            "alice@example.org",
            Some("Broken"),
        ),
        ("Name<n@example.com>", "n@example.com", Some("Name")),
        ("<<n@example.com>>", "n@example.com", None),
        ("Name <n@example.com", "n@example.com", Some("Name")),
        // Encoded display names, one character split over two words.
        (
            "=?UTF-8?B?SsO8cmdlbg==?= <j@example.de>",
            "j@example.de",
            Some("Jürgen"),
        ),
        (
            "=?UTF-8?B?5bGx55Sw5aSq?= =?UTF-8?B?6YOO?= <t@example.jp>",
            "t@example.jp",
            Some("山田太郎"),
        ),
        (
            "=?UTF-8?B?5bGx55Sw5aQ=?= =?UTF-8?B?qumDjg==?= <t@example.jp>",
            "t@example.jp",
            Some("山田太郎"),
        ),
        (
            "=?iso-8859-1?Q?Fran=E7ois?= Martin <fm@example.fr>",
            "fm@example.fr",
            Some("François Martin"),
        ),
        // An encoded word inside quotes; the whole mailbox in one encoded word.
        (
            "\"=?utf-8?q?J=C3=BCrgen_M=C3=BCller?=\" <jm@example.de>",
            "jm@example.de",
            Some("Jürgen Müller"),
        ),
        (
            "=?utf-8?q?John_Doe_=3Cjd=40example=2Ecom=3E?=",
            "jd@example.com",
            Some("John Doe"),
        ),
        // Group syntax, several addresses, comments.
        (
            "Sales: s1@example.com, s2@example.com;",
            "s1@example.com",
            None,
        ),
        ("a@example.com, b@example.com", "a@example.com", None),
        (
            "Mary Smith <mary@x.test>, jdoe@example.org",
            "mary@x.test",
            Some("Mary Smith"),
        ),
        (
            "marc.smith@example.com (Marc Smith)",
            "marc.smith@example.com",
            Some("Marc Smith"),
        ),
        (
            "Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>",
            "pete@silly.test",
            Some("Pete"),
        ),
        // No angle brackets at all.
        (
            "John Doe john@example.com",
            "john@example.com",
            Some("John Doe"),
        ),
        ("jdoe@example.org", "jdoe@example.org", None),
        // IDN domains, raw and as punycode.
        (
            "Jörg <joerg@bücher.example>",
            "joerg@bücher.example",
            Some("Jörg"),
        ),
        (
            "joerg@xn--bcher-kva.example",
            "joerg@xn--bcher-kva.example",
            None,
        ),
        // A wide space before the address (CJK clients).
        (
            "王小明\u{3000}wang@example.cn",
            "wang@example.cn",
            Some("王小明"),
        ),
        // Obsolete syntax: an unquoted dot in the name, a source route, spaces around `@`.
        (
            "Joe Q. Public <john.q.public@example.com>",
            "john.q.public@example.com",
            Some("Joe Q. Public"),
        ),
        (
            "<@route.example:user@example.com>",
            "user@example.com",
            None,
        ),
    ];

    #[test]
    fn senders_are_read_as_written() {
        let mut wrong = Vec::new();
        for (value, addr, name) in SENDERS {
            let raw = format!("From: {value}\r\nSubject: x\r\n\r\nbody");
            let from = mail(&raw).from;
            let got = from.as_ref().map(|a| (a.addr.as_str(), a.name.as_deref()));
            if got != Some((addr, *name)) {
                wrong.push(format!("{value:?}: {got:?}, expected {:?}", (addr, name)));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn the_salvage_reads_wide_characters_around_the_address() {
        let a = salvage_mailbox("王小明\u{3000}wang@example.cn（备注）").expect("found");
        assert_eq!(a.addr, "wang@example.cn");
        assert_eq!(a.name.as_deref(), Some("王小明"));
    }

    #[test]
    fn mail_without_a_usable_sender_has_none() {
        for value in [
            "",
            "undisclosed-recipients:;",
            "\"我\" <>",
            "<>",
            "not an address",
            "@example.com",
            "user@",
        ] {
            let raw = format!("From: {value}\r\nSubject: x\r\n\r\nbody");
            assert_eq!(mail(&raw).from, None, "{value:?}");
        }
    }

    #[test]
    fn mail_parser_splits_a_character_over_two_words() {
        // The measured reason for our own word assembly in `decode_header_text`.
        let raw = b"Subject: =?UTF-8?B?5bGx55Sw5aQ=?= =?UTF-8?B?qumDjg==?=\r\n\r\nx";
        let parsed = mail_parser::MessageParser::new()
            .parse(&raw[..])
            .expect("parses");
        assert_ne!(parsed.subject(), Some("山田太郎"));
        assert_eq!(
            decode_header_text(b"=?UTF-8?B?5bGx55Sw5aQ=?= =?UTF-8?B?qumDjg==?="),
            "山田太郎"
        );
    }

    #[test]
    fn an_encoded_word_is_decoded_exactly_once() {
        // A raw 8-bit byte inside the word is a byte of the word's charset.
        let m = mail("From: =?iso-8859-1?Q?J\u{fc}rgen?= <j@example.de>\r\nSubject: =?iso-8859-1?Q?Die_Fr\u{f6}sche?=\r\n\r\nx");
        // (The test string is UTF-8; the real mail has the byte F6: both read the same.)
        assert_eq!(m.subject, "Die Frösche");
        let raw = b"From: =?iso-8859-1?Q?J\xfcrgen?= <j@example.de>\r\nSubject: =?iso-8859-1?Q?Die_Fr\xf6sche?=\r\n\r\nx";
        let m = crate::mime::parse(raw).expect("parses").mail;
        assert_eq!(m.subject, "Die Frösche");
        assert_eq!(m.from.and_then(|f| f.name).as_deref(), Some("Jürgen"));
        // What a word decodes to is not decoded again.
        assert_eq!(
            decode_header_text(b"=?utf-8?q?=3D=3Futf-8=3Fq=3Fx=3F=3D?="),
            "=?utf-8?q?x?="
        );
    }

    #[test]
    fn raw_8bit_subjects_are_detected() {
        let cases: &[(&encoding_rs::Encoding, &str, &str)] = &[
            (encoding_rs::GB18030, "cn", "转发：关于下周会议的安排"),
            (encoding_rs::SHIFT_JIS, "jp", "会議資料の送付について"),
            (encoding_rs::BIG5, "tw", "關於訂單出貨的問題"),
            (encoding_rs::EUC_KR, "kr", "주문 상품 배송 문의"),
            (encoding_rs::KOI8_R, "ru", "Не работает принтер в офисе"),
            (
                encoding_rs::WINDOWS_1251,
                "ru",
                "Не работает принтер в офисе",
            ),
            (
                encoding_rs::ISO_8859_2,
                "pl",
                "Drukarka w biurze nie działa",
            ),
            (
                encoding_rs::WINDOWS_1252,
                "de",
                "Drucker im Büro funktioniert nicht",
            ),
            // Generic domains: no hint, the text alone decides.
            (encoding_rs::GB18030, "com", "转发：关于下周会议的安排"),
            (encoding_rs::GB18030, "com", "绩效管理,究竟谁错了"),
            (encoding_rs::SHIFT_JIS, "com", "会議資料の送付について"),
            (encoding_rs::BIG5, "com", "關於訂單出貨的問題"),
            (encoding_rs::EUC_KR, "com", "주문 상품 배송 문의"),
            (
                encoding_rs::WINDOWS_1251,
                "com",
                "Не работает принтер в офисе",
            ),
            (encoding_rs::WINDOWS_1252, "com", "Priorität"),
        ];
        let mut wrong = Vec::new();
        for (encoding, tld, subject) in cases {
            let mut raw = format!("From: someone@mail.example.{tld}\r\nSubject: ").into_bytes();
            raw.extend_from_slice(&encoding.encode(subject).0);
            raw.extend_from_slice(b"\r\n\r\nbody");
            let m = crate::mime::parse(&raw).expect("parses").mail;
            if m.subject != *subject {
                wrong.push(format!("{} .{tld}: {:?}", encoding.name(), m.subject));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn missing_from_is_none_not_an_error() {
        let m = mail("Subject: hi\r\nTo: a@x.com\r\n\r\nbody");
        assert_eq!(m.from, None);
        let m = mail("From: undisclosed-recipients:;\r\nSubject: hi\r\n\r\nbody");
        assert_eq!(m.from, None);
        let m = mail("From: not an address\r\nSubject: hi\r\n\r\nbody");
        assert_eq!(m.from, None);
    }

    #[test]
    fn rfc2047_words_are_joined_before_decoding() {
        // "é" (C3 A9) split over two words.
        assert_eq!(
            decode_header_text(b"=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?="),
            "é"
        );
        assert_eq!(
            decode_header_text(b"=?UTF-8?Q?caf=C3?= =?UTF-8?Q?=A9?="),
            "café"
        );
        assert_eq!(
            decode_header_text(b"=?UTF-8?B?w6k=?=\r\n =?UTF-8?B?w6k=?="),
            "éé"
        );
        assert_eq!(
            decode_header_text(b"Re: =?iso-8859-1?q?caf=E9?= ok"),
            "Re: café ok"
        );
        assert_eq!(
            decode_header_text(b"=?iso-8859-1?q?a?= =?utf-8?q?=C3=A9?="),
            "aé"
        );
        assert_eq!(decode_header_text(b"=?utf-8*fr?q?=C3=A9t=C3=A9?="), "été");
        assert_eq!(decode_header_text(b"not =?encoded"), "not =?encoded");
        assert_eq!(decode_header_text(b"caf\xe9 cr\xe8me"), "café crème");
        assert_eq!(decode_header_text("caf\u{e9}".as_bytes()), "café");
    }
}
