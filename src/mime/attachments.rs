//! Attachments: which parts are files, their names (RFC 2231, RFC 2047, sanitised), their
//! decoded content and hash.

use mail_parser::{Encoding, HeaderName, Message, MessagePart, MimeHeaders, PartType};
use sha2::{Digest, Sha256};

use super::body::{body_range, part_bytes};
use super::charset::decode_charset;
use super::headers::{decode_header_text, header_bytes};
use super::transfer::hex_value;
use super::transfer::{base64_decode, declared_encoding, transfer_decode};
use super::{AttachmentData, MAX_FILE_NAME};
use crate::core::{AttachmentInfo, MimeRepair};

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
///
/// Our own rather than mail-parser's `attachment_name`: mail-parser decodes each RFC 2231
/// continuation and each encoded word of a quoted name on its own, so a character split
/// between two of them comes out as U+FFFD or with a space inside
/// (`mail_parser_misreads_split_file_names` below). Here the bytes are joined first.
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

/// The extension of a generated file name, from the part's content type: the common ones by
/// table, else a plain subtype (`image/webp` -> `webp`), else `bin`.
pub(super) fn extension_for(content_type: &str) -> String {
    let known = match content_type {
        "message/rfc822" | "message/global" => "eml",
        "text/plain" => "txt",
        "text/html" => "html",
        "text/calendar" | "application/ics" => "ics",
        "text/vcard" | "text/x-vcard" => "vcf",
        "text/csv" => "csv",
        "image/jpeg" | "image/jpg" | "image/pjpeg" => "jpg",
        "image/svg+xml" => "svg",
        "image/tiff" => "tif",
        "application/ms-tnef" | "application/vnd.ms-tnef" => "dat",
        "application/pgp-signature" => "asc",
        "application/pgp-encrypted" => "pgp",
        "application/pkcs7-signature" | "application/x-pkcs7-signature" => "p7s",
        "application/pkcs7-mime" | "application/x-pkcs7-mime" => "p7m",
        "application/msword" => "doc",
        "application/vnd.ms-excel" => "xls",
        "application/vnd.ms-powerpoint" => "ppt",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => "xlsx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation" => "pptx",
        "application/x-zip-compressed" | "application/zip" => "zip",
        "application/gzip" | "application/x-gzip" => "gz",
        "audio/mpeg" => "mp3",
        "audio/x-wav" | "audio/wav" => "wav",
        "video/quicktime" => "mov",
        _ => "",
    };
    if !known.is_empty() {
        return known.to_string();
    }
    let subtype = content_type.split_once('/').map_or("", |(_, s)| s);
    let subtype = subtype.strip_prefix("x-").unwrap_or(subtype);
    if (1..=8).contains(&subtype.len())
        && subtype.bytes().all(|b| b.is_ascii_alphanumeric())
        && subtype != "octet"
        && subtype != "stream"
    {
        return subtype.to_string();
    }
    "bin".to_string()
}

/// The parts kept as files (SPEC §3.7, §3.8: no part is ever dropped): every part that is not
/// a multipart container, not the text of the body, and not a piece of a delivery report.
/// Inline images, attached messages, calendar invitations, TNEF (`winmail.dat`) and signatures
/// are files; a body text part whose transfer encoding does not decode is one too (kept as it
/// came). A part without a usable name gets `attachment-N.<ext>`.
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
        let name = file_name(data, part);
        let keep = match part.body {
            PartType::Multipart(_) => false,
            PartType::Text(_) | PartType::Html(_) => {
                let id = index as u32;
                let in_body = message.text_body.contains(&id) || message.html_body.contains(&id);
                let is_attachment = part
                    .content_disposition()
                    .is_some_and(|d| d.is_attachment());
                if index != 0 && (is_attachment || name.is_some()) {
                    true
                } else if !in_body {
                    // Not the body: a file unless it is an unnamed part with nothing in it (the
                    // empty body mail-parser gives a mail of headers only).
                    is_attachment
                        || name.is_some()
                        || !part_bytes(data, part).iter().all(u8::is_ascii_whitespace)
                } else {
                    // Body text: a file only when it cannot be read. Only a part mail-parser
                    // could not decode is decoded again to check (files are decoded once, later).
                    part.is_encoding_problem
                        && declared_encoding(part) == Encoding::Base64
                        && base64_decode(part_bytes(data, part)).is_none()
                }
            }
            PartType::Binary(_) | PartType::InlineBinary(_) | PartType::Message(_) => true,
        };
        if !keep {
            continue;
        }
        let n = found.len() + 1;
        found.push(FoundFile {
            name: sanitize_file_name(
                name.as_deref().unwrap_or(""),
                n,
                &extension_for(&content_type),
            ),
            content_type,
            body: body_range(part),
            encoding: declared_encoding(part),
        });
    }
    found
}

/// The files of [`find_attachments`], transfer-decoded and hashed, one at a time; a file whose
/// transfer encoding does not decode is kept as it came, and said so.
pub(super) fn decode_attachments(
    data: &[u8],
    found: Vec<FoundFile>,
) -> (Vec<AttachmentData>, Vec<MimeRepair>) {
    let mut repairs = Vec::new();
    let files = found
        .into_iter()
        .map(|f| {
            let raw = data.get(f.body).unwrap_or_default();
            let content = transfer_decode(raw, f.encoding).unwrap_or_else(|| {
                repairs.push(MimeRepair::UndecodablePart {
                    file: f.name.clone(),
                    content_type: f.content_type.clone(),
                    encoding: "base64".into(),
                });
                raw.to_vec()
            });
            let info = AttachmentInfo {
                name: f.name,
                content_type: f.content_type,
                size: content.len() as u64,
                sha256: hex(&Sha256::digest(&content)),
            };
            AttachmentData { info, content }
        })
        .collect();
    (files, repairs)
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
        // The inline image without a name is kept too (SPEC §3.8: no part is dropped).
        assert_eq!(names, vec!["r.pdf", "attachment-2.png", "attachment-3.bin"]);
        assert_eq!(parsed.attachments[0].content, b"hello");
        assert_eq!(parsed.attachments[0].info.content_type, "application/pdf");
        assert_eq!(parsed.attachments[0].info.size, 5);
        assert_eq!(
            parsed.attachments[0].info.sha256,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(parsed.attachments[1].content, b"hi");
        assert_eq!(parsed.attachments[2].content, b"raw");
    }

    #[test]
    fn mail_parser_misreads_split_file_names() {
        // The measured reason for our own RFC 2231 / RFC 2047 assembly of file names:
        // mail-parser decodes each continuation and each encoded word on its own.
        use mail_parser::MimeHeaders;
        for (disposition, ours) in [
            (
                "attachment;\r\n filename*0*=UTF-8''%C3; filename*1*=%A9t%C3%A9; filename*2=.pdf",
                "été.pdf",
            ),
            (
                "attachment; filename=\"=?UTF-8?B?w6l0?= =?UTF-8?B?w6kucGRm?=\"",
                "été.pdf",
            ),
        ] {
            let raw = format!("From: a@x.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: {disposition}\r\n\r\ndata\r\n--b--\r\n");
            let theirs = mail_parser::MessageParser::new()
                .parse(raw.as_bytes())
                .and_then(|m| m.parts[2].attachment_name().map(str::to_string));
            assert_ne!(theirs.as_deref(), Some(ours), "{disposition}");
            assert_eq!(
                header_param(disposition.as_bytes(), "filename").as_deref(),
                Some(ours)
            );
        }
    }

    #[test]
    fn parts_without_a_usable_name_are_kept_under_a_generated_one() {
        let part = |headers: &str| {
            format!("--b\r\n{headers}\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n")
        };
        let raw = [
            "From: a@x.com\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee the files.\r\n".to_string(),
            part("Content-Type: image/png; name=\"=?utf-8?b??=\"\r\nContent-Disposition: inline; filename=\"=?utf-8?b??=\""),
            part("Content-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"\""),
            part("Content-Type: application/pdf; name=\"/\\/\""),
            part("Content-Type: text/calendar; method=REQUEST"),
            part("Content-Type: application/ms-tnef; name=\"winmail.dat\""),
            part("Content-Type: message/rfc822"),
            part("Content-Type: image/gif\r\nContent-ID: <logo@x>"),
            "--b--\r\n".to_string(),
        ]
        .concat();
        let parsed = parse(raw.as_bytes()).expect("parses");
        let names: Vec<_> = parsed
            .mail
            .attachments
            .iter()
            .map(|a| a.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "attachment-1.png",
                "attachment-2.jpg",
                "attachment-3.pdf",
                "attachment-4.ics",
                "winmail.dat",
                "attachment-6.eml",
                "attachment-7.gif",
            ]
        );
        assert_eq!(parsed.mail.reply_text, "See the files.");
        assert!(parsed.attachments.iter().all(|a| a.content == b"hi"));
    }

    #[test]
    fn generated_names_take_their_extension_from_the_content_type() {
        assert_eq!(extension_for("image/webp"), "webp");
        assert_eq!(extension_for("image/x-icon"), "icon");
        assert_eq!(extension_for("application/octet-stream"), "bin");
        assert_eq!(
            extension_for("application/vnd.oasis.opendocument.text"),
            "bin"
        );
        assert_eq!(extension_for("text/calendar"), "ics");
    }
}
