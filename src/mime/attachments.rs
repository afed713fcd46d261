//! Attachments: which parts are files, their names (RFC 2231, RFC 2047, sanitised), their
//! decoded content and hash.

use mail_parser::{Encoding, HeaderName, Message, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::body::{body_range, transfer_decode};
use super::charset::decode_charset;
use super::headers::{decode_header_text, header_bytes};
use super::transfer::hex_value;
use super::{AttachmentData, MAX_FILE_NAME};
use crate::core::AttachmentInfo;

/// Parameters of a structured header value (`type; a=1; b="x y"`): lower-case names, raw value
/// bytes (quotes and backslash escapes removed). Raw 8-bit bytes are kept as they are.
pub(super) fn params(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
    let bytes: Vec<u8> = raw
        .iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    // Skip the value before the first `;` (outside quotes).
    let mut in_quotes = false;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => in_quotes = !in_quotes,
            b';' if !in_quotes => break,
            _ => {}
        }
        i += 1;
    }
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i] == b';' || bytes[i].is_ascii_whitespace()) {
            i += 1;
        }
        let name_start = i;
        while i < bytes.len() && bytes[i] != b'=' && bytes[i] != b';' {
            i += 1;
        }
        let name = String::from_utf8_lossy(&bytes[name_start..i])
            .trim()
            .to_ascii_lowercase();
        if i >= bytes.len() || bytes[i] == b';' {
            continue;
        }
        i += 1; // '='
        while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
            i += 1;
        }
        let mut value = Vec::new();
        if bytes.get(i) == Some(&b'"') {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                value.push(bytes[i]);
                i += 1;
            }
            i += 1; // closing quote
            while i < bytes.len() && bytes[i] != b';' {
                i += 1;
            }
        } else {
            let start = i;
            while i < bytes.len() && bytes[i] != b';' {
                i += 1;
            }
            let v = &bytes[start..i];
            let end = v
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |p| p + 1);
            value.extend_from_slice(&v[..end]);
        }
        if !name.is_empty() {
            out.push((name, value));
        }
    }
    out
}

pub(super) fn percent_decode(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            if let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) {
                out.push((hi << 4) | lo);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// `charset'language'value` of RFC 2231: the charset (if any) and the still-encoded value.
pub(super) fn split_rfc2231(value: &[u8]) -> (Option<String>, &[u8]) {
    let mut quotes = value
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\'')
        .map(|(i, _)| i);
    match (quotes.next(), quotes.next()) {
        (Some(a), Some(b)) => {
            let charset = String::from_utf8_lossy(&value[..a]).trim().to_string();
            (Some(charset).filter(|c| !c.is_empty()), &value[b + 1..])
        }
        _ => (None, value),
    }
}

/// The decoded value of parameter `want` (RFC 2231 with continuations, RFC 2047, raw 8-bit).
pub(super) fn header_param(raw: &[u8], want: &str) -> Option<String> {
    let all = params(raw);
    let mut segments: Vec<(u32, bool, &[u8])> = all
        .iter()
        .filter_map(|(name, value)| {
            let rest = name.strip_prefix(want)?.strip_prefix('*')?;
            let (number, encoded) = match rest.strip_suffix('*') {
                Some(n) => (n, true),
                None => (rest, false),
            };
            number
                .parse::<u32>()
                .ok()
                .map(|n| (n, encoded, value.as_slice()))
        })
        .collect();
    if !segments.is_empty() {
        segments.sort_by_key(|s| s.0);
        let mut charset = None;
        let mut bytes = Vec::new();
        for (k, (_, encoded, value)) in segments.into_iter().enumerate() {
            if encoded {
                let value = if k == 0 {
                    let (c, v) = split_rfc2231(value);
                    charset = c;
                    v
                } else {
                    value
                };
                bytes.extend(percent_decode(value));
            } else {
                bytes.extend_from_slice(value);
            }
        }
        return Some(decode_charset(&bytes, charset.as_deref()));
    }
    let extended = format!("{want}*");
    if let Some((_, value)) = all.iter().find(|(n, _)| *n == extended) {
        let (charset, v) = split_rfc2231(value);
        return Some(decode_charset(&percent_decode(v), charset.as_deref()));
    }
    all.iter()
        .find(|(n, _)| n == want)
        .map(|(_, value)| decode_header_text(value))
}

/// The part's file name as sent: `Content-Disposition` filename, else `Content-Type` name.
pub(super) fn file_name(data: &[u8], part: &MessagePart<'_>) -> Option<String> {
    [
        (HeaderName::ContentDisposition, "filename"),
        (HeaderName::ContentType, "name"),
    ]
    .into_iter()
    .find_map(|(header, param)| {
        let h = part.headers.iter().find(|h| h.name == header)?;
        header_param(header_bytes(data, h), param).filter(|v| !v.trim().is_empty())
    })
}

pub(super) fn is_format_char(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}' | '\u{061c}' | '\u{2028}' | '\u{2029}')
}

/// A file name safe to show and to store: the last path component, without control or bidi
/// characters, leading dots or surrounding whitespace, at most [`MAX_FILE_NAME`] characters
/// (the extension kept); `attachment-N.<fallback_ext>` when nothing is left.
pub fn sanitize_file_name(name: &str, n: usize, fallback_ext: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = last
        .chars()
        .filter(|&c| !c.is_control() && !is_format_char(c))
        .collect();
    let cleaned = cleaned
        .trim()
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if cleaned.is_empty() {
        return format!("attachment-{n}.{fallback_ext}");
    }
    if cleaned.chars().count() <= MAX_FILE_NAME {
        return cleaned.to_string();
    }
    let (stem, ext) = match cleaned.rfind('.') {
        Some(dot) if dot > 0 && (1..=16).contains(&cleaned[dot + 1..].chars().count()) => {
            (&cleaned[..dot], &cleaned[dot..])
        }
        _ => (cleaned, ""),
    };
    let keep = MAX_FILE_NAME - ext.chars().count();
    let stem: String = stem.chars().take(keep).collect();
    format!("{}{ext}", stem.trim_end())
}

pub(super) fn content_type_of(part: &MessagePart<'_>) -> String {
    match part.content_type() {
        Some(ct) => format!(
            "{}/{}",
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or("octet-stream").to_ascii_lowercase()
        ),
        None => match part.body {
            PartType::Text(_) | PartType::Html(_) => "text/plain".to_string(),
            PartType::Message(_) => "message/rfc822".to_string(),
            _ => "application/octet-stream".to_string(),
        },
    }
}

/// Parts of a delivery report that are the report itself, not attachments.
pub(super) const REPORT_TYPES: &[&str] = &[
    "message/delivery-status",
    "message/global-delivery-status",
    "text/rfc822-headers",
    "message/global-headers",
    "message/rfc822",
    "message/global",
];

/// Attachments: non-inline parts, and inline parts with a file name; never the body's text
/// parts, nor the parts that make up a delivery report.
pub(super) fn find_attachments(
    message: &Message<'_>,
    data: &[u8],
    is_report: bool,
) -> Vec<FoundFile> {
    let mut found = Vec::new();
    for (index, part) in message.parts.iter().enumerate() {
        let content_type = content_type_of(part);
        if is_report && REPORT_TYPES.contains(&content_type.as_str()) {
            continue;
        }
        let disposition = part.content_disposition();
        let is_attachment = disposition.is_some_and(|d| d.is_attachment());
        let name = file_name(data, part);
        let keep = match part.body {
            PartType::Multipart(_) => false,
            PartType::Text(_) | PartType::Html(_) => {
                let id = index as u32;
                let in_body = message.text_body.contains(&id) || message.html_body.contains(&id);
                if index == 0 {
                    false
                } else if is_attachment || name.is_some() {
                    true
                } else {
                    !in_body && !matches!(content_type.as_str(), "text/plain" | "text/html")
                }
            }
            PartType::Binary(_) | PartType::InlineBinary(_) => {
                let inline = match disposition {
                    Some(d) => d.is_inline(),
                    None => matches!(part.body, PartType::InlineBinary(_)),
                };
                !inline || name.is_some()
            }
            PartType::Message(_) => true,
        };
        if !keep {
            continue;
        }
        let n = found.len() + 1;
        let fallback_ext = if matches!(part.body, PartType::Message(_)) {
            "eml"
        } else {
            "bin"
        };
        found.push(FoundFile {
            name: sanitize_file_name(name.as_deref().unwrap_or(""), n, fallback_ext),
            content_type,
            body: body_range(part),
            encoding: part.encoding,
        });
    }
    found
}

/// The files of [`find_attachments`], transfer-decoded and hashed, one at a time.
pub(super) fn decode_attachments(data: &[u8], found: Vec<FoundFile>) -> Vec<AttachmentData> {
    found
        .into_iter()
        .map(|f| {
            let content = transfer_decode(data.get(f.body).unwrap_or_default(), f.encoding);
            let info = AttachmentInfo {
                name: f.name,
                content_type: f.content_type,
                size: content.len() as u64,
                sha256: hex(&Sha256::digest(&content)),
            };
            AttachmentData { info, content }
        })
        .collect()
}

/// A part kept as a file, found in the parsed structure: where its bytes are and how they are
/// encoded, decoded later by [`decode_attachments`].
pub(super) struct FoundFile {
    name: String,
    content_type: String,
    body: std::ops::Range<usize>,
    encoding: Encoding,
}

pub(super) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse;

    #[test]
    fn file_names_are_decoded() {
        let p = |v: &str, want: &str| header_param(v.as_bytes(), want);
        assert_eq!(
            p("attachment; filename=\"a b.pdf\"", "filename").as_deref(),
            Some("a b.pdf")
        );
        assert_eq!(
            p("attachment; filename*=UTF-8''%C3%A9t%C3%A9.pdf", "filename").as_deref(),
            Some("été.pdf")
        );
        assert_eq!(
            p(
                "attachment;\r\n filename*0*=UTF-8''%C3; filename*1*=%A9t%C3%A9; filename*2=.pdf",
                "filename"
            )
            .as_deref(),
            Some("été.pdf")
        );
        assert_eq!(
            p(
                "attachment; filename*=iso-8859-1'fr'r%E9sum%E9.doc",
                "filename"
            )
            .as_deref(),
            Some("résumé.doc")
        );
        assert_eq!(
            p(
                "application/pdf; name=\"=?UTF-8?B?w6l0?= =?UTF-8?B?w6kucGRm?=\"",
                "name"
            )
            .as_deref(),
            Some("été.pdf")
        );
        assert_eq!(
            p("application/pdf; name=plain.pdf ; x=1", "name").as_deref(),
            Some("plain.pdf")
        );
        assert_eq!(
            p("attachment; filename=\"r\\\"q.txt\"", "filename").as_deref(),
            Some("r\"q.txt")
        );
        assert_eq!(p("attachment", "filename"), None);
    }

    #[test]
    fn file_names_are_sanitised() {
        assert_eq!(sanitize_file_name("../../etc/passwd", 1, "bin"), "passwd");
        assert_eq!(
            sanitize_file_name("C:\\Users\\bob\\report.pdf", 1, "bin"),
            "report.pdf"
        );
        assert_eq!(sanitize_file_name("..", 2, "bin"), "attachment-2.bin");
        assert_eq!(sanitize_file_name("", 3, "eml"), "attachment-3.eml");
        assert_eq!(sanitize_file_name(".bashrc", 1, "bin"), "bashrc");
        assert_eq!(
            sanitize_file_name("in\u{7}voice\u{202e}fdp.exe", 1, "bin"),
            "invoicefdp.exe"
        );
        let long = format!("{}.pdf", "x".repeat(300));
        let short = sanitize_file_name(&long, 1, "bin");
        assert_eq!(short.chars().count(), MAX_FILE_NAME);
        assert!(short.ends_with("xx.pdf"));
    }

    #[test]
    fn attachments_are_decoded_and_hashed() {
        let raw = "From: a@x.com\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n\
--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"../r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\naGVsbG8=\r\n\
--b1\r\nContent-Type: image/png\r\nContent-Disposition: inline\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n\
--b1\r\nContent-Type: application/octet-stream\r\n\r\nraw\r\n\
--b1--\r\n";
        let parsed = parse(raw.as_bytes()).expect("parses");
        assert_eq!(parsed.mail.reply_text, "See attached.");
        let names: Vec<_> = parsed
            .mail
            .attachments
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(names, vec!["r.pdf", "attachment-2.bin"]);
        assert_eq!(parsed.attachments[0].content, b"hello");
        assert_eq!(parsed.attachments[0].info.content_type, "application/pdf");
        assert_eq!(parsed.attachments[0].info.size, 5);
        assert_eq!(
            parsed.attachments[0].info.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(parsed.attachments[1].content, b"raw");
    }
}
