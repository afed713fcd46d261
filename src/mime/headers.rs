//! Header values: raw bytes, unfolded text, Message-IDs, addresses and RFC 2047 encoded words.

use mail_parser::{Header, HeaderName, HeaderValue, Message};

use super::charset::decode_charset;
use super::transfer::{base64_decode, q_decode};
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
    let addr = a.address()?.trim();
    let (local, domain) = addr.rsplit_once('@')?;
    if local.is_empty()
        || domain.is_empty()
        || addr.len() > 320
        || addr.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    let mut out = Address::new(addr);
    out.name = a
        .name()
        .map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|n| !n.is_empty());
    Some(out)
}

pub(super) fn addresses(message: &Message<'_>, name: HeaderName<'static>) -> Vec<Address> {
    message
        .header_values(name)
        .filter_map(|v| v.as_address())
        .flat_map(|a| a.iter())
        .filter_map(to_address)
        .collect()
}

/// A header value as one line of text: raw 8-bit read as UTF-8 or Windows-1252, RFC 2047 words
/// decoded (adjacent words of one charset joined before decoding), whitespace collapsed.
pub(super) fn decode_header_text(raw: &[u8]) -> String {
    let text = decode_charset(raw, None);
    let unfolded: String = text.chars().filter(|&c| c != '\r' && c != '\n').collect();
    let decoded = decode_encoded_words(&unfolded);
    decoded
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Decodes RFC 2047 encoded words in `s`. Whitespace between adjacent encoded words goes; the
/// bytes of adjacent words in the same charset are decoded together.
pub(super) fn decode_encoded_words(s: &str) -> String {
    fn flush(out: &mut String, pending: Option<(String, Vec<u8>)>) {
        if let Some((charset, bytes)) = pending {
            out.push_str(&decode_charset(&bytes, Some(&charset)));
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<(String, Vec<u8>)> = None;
    let mut rest = s;
    while let Some((start, end, charset, bytes)) = next_encoded_word(rest) {
        let between = &rest[..start];
        let adjacent = between.chars().all(char::is_whitespace);
        match pending.as_mut() {
            Some((c, acc)) if adjacent && *c == charset => acc.extend_from_slice(&bytes),
            Some(_) if adjacent => {
                flush(&mut out, pending.take());
                pending = Some((charset, bytes));
            }
            _ => {
                flush(&mut out, pending.take());
                out.push_str(between);
                pending = Some((charset, bytes));
            }
        }
        rest = &rest[end..];
    }
    flush(&mut out, pending);
    out.push_str(rest);
    out
}

/// The next encoded word in `s`: `(start, end, charset, bytes)`.
pub(super) fn next_encoded_word(s: &str) -> Option<(usize, usize, String, Vec<u8>)> {
    let mut from = 0;
    while let Some(offset) = s.get(from..)?.find("=?") {
        let start = from + offset;
        if let Some((len, charset, bytes)) = parse_encoded_word(&s[start..]) {
            return Some((start, start + len, charset, bytes));
        }
        from = start + 2;
    }
    None
}

/// `=?charset?enc?data?=` at the start of `s`: its length, charset (lower case, language
/// dropped) and decoded bytes.
pub(super) fn parse_encoded_word(s: &str) -> Option<(usize, String, Vec<u8>)> {
    let body = s.strip_prefix("=?")?;
    let q1 = body.find('?')?;
    let charset = &body[..q1];
    if charset.is_empty()
        || charset.len() > 64
        || charset.contains(|c: char| c.is_whitespace() || c == '=')
    {
        return None;
    }
    let enc = *body.as_bytes().get(q1 + 1)?;
    if body.as_bytes().get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let data_start = q1 + 3;
    let rest = body.get(data_start..)?;
    let data_len = rest.find("?=")?;
    let data = &rest[..data_len];
    if data.len() > 4096 {
        return None;
    }
    let bytes = match enc {
        b'b' | b'B' => base64_decode(data.as_bytes(), false)?,
        b'q' | b'Q' => q_decode(data.as_bytes()),
        _ => return None,
    };
    let charset = charset.split('*').next().unwrap_or("").to_ascii_lowercase();
    Some((2 + data_start + data_len + 2, charset, bytes))
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
