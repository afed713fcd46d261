//! What makes a mail unusable: the header block and the MIME structure checked before and after
//! mail-parser reads it.

use std::borrow::Cow;
use std::collections::HashSet;

use mail_parser::{HeaderName, Message, MessagePart, MimeHeaders, PartType};

use super::attachments::content_type_of;
use super::body::part_bytes;
use super::charset::decode_cp1252;
use super::transfer::base64_decode;
use super::{MimeError, MAX_HEADER_BLOCK, MAX_HEADER_LINE};

/// Headers at least one of which a mail has; a header block without any is not a mail.
pub(super) const KNOWN_HEADERS: &[&str] = &[
    "from",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "received",
    "mime-version",
    "content-type",
    "return-path",
    "delivered-to",
    "sender",
    "reply-to",
    "in-reply-to",
    "references",
];

/// The length of the header block, up to and including the newline of its last line.
pub(super) fn header_block_end(raw: &[u8]) -> usize {
    if raw.starts_with(b"\n") || raw.starts_with(b"\r\n") {
        return 0;
    }
    let mut i = 0;
    while let Some(p) = raw
        .get(i..)
        .and_then(|r| r.iter().position(|&b| b == b'\n'))
    {
        let nl = i + p;
        let next = &raw[nl + 1..];
        if next.starts_with(b"\n") || next.starts_with(b"\r\n") {
            return nl + 1;
        }
        i = nl + 1;
    }
    raw.len()
}

/// `Name:` with a printable ASCII name (obsolete space before the colon allowed).
pub(super) fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let name = &line[..colon];
    let trimmed_len = name
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |p| p + 1);
    trimmed_len > 0 && name[..trimmed_len].iter().all(|&b| (33..=126).contains(&b))
}

pub(super) fn field_name(line: &[u8]) -> Option<String> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some(
        String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Checks the header block and returns its length.
pub(super) fn check_headers(raw: &[u8]) -> Result<usize, MimeError> {
    let end = header_block_end(raw);
    let head = &raw[..end];
    let lines = || {
        head.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
    };
    // An mbox "From " separator line may precede the headers (`ingest` of a saved file).
    let mut fields = lines()
        .skip_while(|l| l.starts_with(b"From "))
        .filter(|l| !l.is_empty());
    match fields.next() {
        Some(first) if is_field_line(first) => {}
        _ => return Err(MimeError::NotAMail),
    }
    if let Some(offset) = head.iter().position(|&b| b == 0) {
        return Err(MimeError::NulInHeaders { offset });
    }
    if let Some(len) = lines().map(<[u8]>::len).find(|&len| len > MAX_HEADER_LINE) {
        return Err(MimeError::HeaderLineTooLong {
            len,
            max: MAX_HEADER_LINE,
        });
    }
    if end > MAX_HEADER_BLOCK {
        return Err(MimeError::HeadersTooLarge {
            len: end,
            max: MAX_HEADER_BLOCK,
        });
    }
    let known = lines()
        .filter(|l| !l.starts_with(b" ") && !l.starts_with(b"\t"))
        .filter_map(field_name)
        .any(|n| KNOWN_HEADERS.contains(&n.as_str()));
    if !known {
        return Err(MimeError::NotAMail);
    }
    Ok(end)
}

/// Raw 8-bit header lines that are not UTF-8 are read as Windows-1252 (Latin-1) and rewritten
/// as UTF-8, so that mail-parser (which reads them as lossy UTF-8) sees the right text.
pub(super) fn transcode_raw_headers(raw: &[u8], header_end: usize) -> Cow<'_, [u8]> {
    let head = &raw[..header_end];
    if std::str::from_utf8(head).is_ok() {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 8);
    for line in head.split_inclusive(|&b| b == b'\n') {
        match std::str::from_utf8(line) {
            Ok(_) => out.extend_from_slice(line),
            Err(_) => out.extend_from_slice(decode_cp1252(line).as_bytes()),
        }
    }
    out.extend_from_slice(&raw[header_end..]);
    Cow::Owned(out)
}

/// The boundaries closed somewhere in `data`: every line `--boundary--` (transport padding
/// allowed). One pass, whatever the number of multiparts.
pub(super) fn closed_boundaries(data: &[u8]) -> HashSet<&[u8]> {
    data.split(|&b| b == b'\n')
        .filter(|line| line.starts_with(b"--"))
        .filter_map(|line| {
            let end = line
                .iter()
                .rposition(|&b| !matches!(b, b' ' | b'\t' | b'\r'))
                .map_or(0, |p| p + 1);
            let line = &line[..end];
            (line.len() >= 4 && line.ends_with(b"--")).then(|| &line[2..line.len() - 2])
        })
        .collect()
}

pub(super) fn transfer_encoding(part: &MessagePart<'_>) -> Option<String> {
    part.headers
        .iter()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)
        .and_then(|h| h.value.as_text())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// A multipart whose closing delimiter never comes, or a base64 part with bytes outside the
/// base64 alphabet, makes the mail unusable: what we would read is not what was sent. Parts of
/// an attached message (a bounce's returned mail, often cut short by the MTA) are not checked.
pub(super) fn check_structure(message: &Message<'_>, data: &[u8]) -> Result<(), MimeError> {
    let mut closed: Option<HashSet<&[u8]>> = None;
    for part in &message.parts {
        if !matches!(part.body, PartType::Multipart(_)) {
            continue;
        }
        let Some(boundary) = part
            .content_type()
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
        else {
            continue;
        };
        let closed = closed.get_or_insert_with(|| closed_boundaries(data));
        if !closed.contains(boundary.as_bytes()) {
            return Err(MimeError::TruncatedMultipart {
                boundary: boundary.to_string(),
            });
        }
    }
    for (index, part) in message.parts.iter().enumerate() {
        if part.is_encoding_problem
            && transfer_encoding(part).as_deref() == Some("base64")
            && base64_decode(part_bytes(data, part), true).is_none()
        {
            return Err(MimeError::BrokenBase64 {
                part: index,
                content_type: content_type_of(part),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse;

    #[test]
    fn header_checks() {
        assert_eq!(parse(b""), Err(MimeError::NotAMail));
        assert_eq!(parse(b"\r\nbody only"), Err(MimeError::NotAMail));
        assert_eq!(
            parse(b"%PDF-1.4\n%\xe2\xe3\n1 0 obj"),
            Err(MimeError::NotAMail)
        );
        assert_eq!(
            parse(b"Hello: world\n\nno known header"),
            Err(MimeError::NotAMail)
        );
        assert_eq!(
            parse(b"From: a@x.com\r\nSubject: a\0b\r\n\r\nx"),
            Err(MimeError::NulInHeaders { offset: 25 })
        );
        let long = format!(
            "From: a@x.com\r\nSubject: {}\r\n\r\nx",
            "a".repeat(MAX_HEADER_LINE)
        );
        assert!(matches!(
            parse(long.as_bytes()),
            Err(MimeError::HeaderLineTooLong { .. })
        ));
        assert!(parse(b"From a@x.com Mon Jun  3 10:00:00 2024\nFrom: a@x.com\n\nbody").is_ok());
        let bom = parse(b"\xef\xbb\xbfFrom: a@x.com\n\nbody").expect("a leading BOM is skipped");
        assert_eq!(bom.mail.size, 22);
        // NUL in the body is data.
        assert!(parse(b"From: a@x.com\r\n\r\nbinary\0body").is_ok());
    }

    #[test]
    fn truncated_multipart_and_broken_base64() {
        let truncated = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf\r\n\r\nJVBER";
        assert_eq!(
            parse(truncated.as_bytes()),
            Err(MimeError::TruncatedMultipart {
                boundary: "b1".into()
            })
        );
        let broken = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBE*&^%$ not base64 !!\r\n--b1--\r\n";
        assert_eq!(
            parse(broken.as_bytes()),
            Err(MimeError::BrokenBase64 {
                part: 2,
                content_type: "application/pdf".into()
            })
        );
    }

    #[test]
    fn closing_boundaries_are_found_in_one_pass() {
        let data = b"x\r\n--a--\r\n--b-- \t\r\n---c----\r\n--d\r\n--\r\n";
        let closed = closed_boundaries(data);
        assert!(
            closed.contains(&b"a"[..])
                && closed.contains(&b"b"[..])
                && closed.contains(&b"-c--"[..])
        );
        assert!(!closed.contains(&b"d"[..]));
        // Deeply nested multiparts, all closed: linear, and fine.
        let depth = 3000;
        let mut raw =
            String::from("From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n");
        for i in 0..depth {
            raw.push_str(&format!(
                "--b{i}\r\nContent-Type: multipart/mixed; boundary=\"b{}\"\r\n\r\n",
                i + 1
            ));
        }
        raw.push_str(&format!(
            "--b{depth}\r\nContent-Type: text/plain\r\n\r\ndeep\r\n--b{depth}--\r\n"
        ));
        for i in (0..depth).rev() {
            raw.push_str(&format!("--b{i}--\r\n"));
        }
        assert!(parse(raw.as_bytes()).is_ok());
    }
}
