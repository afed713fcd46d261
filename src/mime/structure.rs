//! What makes a mail unusable, and what is read liberally instead (SPEC §3.8): the header
//! block found and checked before mail-parser reads the mail, and the MIME structure checked
//! after. Only a mail without a header block, or with one no mail has (NUL bytes, a monstrous
//! line or size), is refused; an unclosed multipart or a stray line before the headers is a
//! [`MimeRepair`] for the decision log.

use std::collections::HashSet;

use mail_parser::{HeaderName, Message, MimeHeaders, PartType};

use super::{MimeError, MAX_HEADER_BLOCK, MAX_HEADER_LINE};
use crate::core::MimeRepair;

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

/// Lines before the header block that are skipped to find it (an mbox `From ` line, a line a
/// tool wrote in front, blank lines); past them the input is not a mail.
const MAX_LINES_BEFORE_HEADERS: usize = 8;

/// Where the header block is: its start (past lines that are not headers), its length (up to
/// and including the newline of its last line), and how many lines were skipped that are not
/// an mbox `From ` separator (those are normal in a saved file, not worth a note).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct HeaderBlock {
    pub(super) start: usize,
    pub(super) len: usize,
    pub(super) junk_lines: usize,
}

/// Finds the header block: the first of the first few lines from which a block of header
/// fields starts that holds a header every mail has. Then checks it.
pub(super) fn find_headers(raw: &[u8]) -> Result<HeaderBlock, MimeError> {
    let mut start = 0;
    let mut junk_lines = 0;
    for _ in 0..=MAX_LINES_BEFORE_HEADERS {
        let rest = &raw[start..];
        match check_headers(rest) {
            Ok(len) => {
                return Ok(HeaderBlock {
                    start,
                    len,
                    junk_lines,
                })
            }
            // A header block was found and is bad: that is the answer.
            Err(e) if e != MimeError::NotAMail => return Err(e),
            Err(_) => {}
        }
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            break;
        };
        if !rest.starts_with(b"From ") && !rest.starts_with(b">From ") {
            junk_lines += 1;
        }
        start += nl + 1;
    }
    Err(MimeError::NotAMail)
}

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

/// Checks a header block that starts at the beginning of `raw` and returns its length.
fn check_headers(raw: &[u8]) -> Result<usize, MimeError> {
    let end = header_block_end(raw);
    let head = &raw[..end];
    let lines = || {
        head.split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
    };
    match lines().find(|l| !l.is_empty()) {
        Some(first) if is_field_line(first) => {}
        _ => return Err(MimeError::NotAMail),
    }
    let known = lines()
        .filter(|l| !l.starts_with(b" ") && !l.starts_with(b"\t"))
        .filter_map(field_name)
        .any(|n| KNOWN_HEADERS.contains(&n.as_str()));
    if !known {
        return Err(MimeError::NotAMail);
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
    Ok(end)
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

/// The multiparts whose closing delimiter never comes: mail-parser reads their parts to the end
/// of the mail (a part cut short is then kept as far as it goes), and the decision log says so.
/// Parts of an attached message (a bounce's returned mail, often cut short by the MTA) are not
/// looked at.
pub(super) fn unclosed_multiparts(message: &Message<'_>, data: &[u8]) -> Vec<MimeRepair> {
    let mut closed: Option<HashSet<&[u8]>> = None;
    let mut out = Vec::new();
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
            out.push(MimeRepair::UnclosedMultipart {
                boundary: boundary.to_string(),
            });
        }
    }
    out
}

/// A root multipart whose declared boundary never comes (mail-parser then reads the whole body
/// as one text), while the body's delimiter lines name one boundary consistently (`--b` lines
/// at least twice): `data` with the root `Content-Type` naming that boundary instead, and the
/// repair to log. Declared `'b'` in single quotes or `"b "` with a stray space is how senders
/// get this wrong.
pub(super) fn fix_root_boundary(
    message: &Message<'_>,
    data: &[u8],
) -> Option<(Vec<u8>, MimeRepair)> {
    let root = message.parts.first()?;
    if !matches!(root.body, PartType::Text(_)) {
        return None;
    }
    let ct = root.content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return None;
    }
    let declared = ct.attribute("boundary").unwrap_or_default();
    let body = data.get(root.offset_body as usize..)?;
    let delimiters = || {
        body.split(|&b| b == b'\n').filter_map(|line| {
            let line = line.strip_prefix(b"--")?;
            let end = line
                .iter()
                .rposition(|b| !b.is_ascii_whitespace())
                .map_or(0, |p| p + 1);
            let line = &line[..end];
            let line = line.strip_suffix(b"--").unwrap_or(line);
            (!line.is_empty() && line.len() <= 200 && !line.contains(&b' ')).then_some(line)
        })
    };
    let used = delimiters().next()?;
    if used == declared.as_bytes() || delimiters().filter(|d| *d == used).count() < 2 {
        return None;
    }
    let used = std::str::from_utf8(used).ok()?;
    let header = root
        .headers
        .iter()
        .find(|h| h.name == HeaderName::ContentType)?;
    let (start, end) = (header.offset_start as usize, header.offset_end as usize);
    let mut fixed = Vec::with_capacity(data.len() + used.len());
    fixed.extend_from_slice(data.get(..start)?);
    fixed.extend_from_slice(
        format!(
            " multipart/{}; boundary=\"{used}\"\r\n",
            ct.subtype().unwrap_or("mixed")
        )
        .as_bytes(),
    );
    fixed.extend_from_slice(data.get(end..)?);
    let repair = MimeRepair::BoundaryMismatch {
        declared: declared.to_string(),
        used: used.to_string(),
    };
    Some((fixed, repair))
}

/// `data` with the closing delimiters of the `unclosed` multiparts (outermost first) written at
/// its end, innermost first.
pub(super) fn close_multiparts(data: &[u8], unclosed: &[MimeRepair]) -> Vec<u8> {
    let mut closed = Vec::with_capacity(data.len() + 64 * unclosed.len());
    closed.extend_from_slice(data);
    for repair in unclosed.iter().rev() {
        if let MimeRepair::UnclosedMultipart { boundary } = repair {
            if !closed.ends_with(b"\n") {
                closed.extend_from_slice(b"\r\n");
            }
            closed.extend_from_slice(b"--");
            closed.extend_from_slice(boundary.as_bytes());
            closed.extend_from_slice(b"--\r\n");
        }
    }
    closed
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
    fn stray_lines_before_the_headers_are_skipped_and_said() {
        let p = |raw: &[u8]| parse(raw).expect("parses");
        // An mbox separator is normal: skipped without a note.
        let mbox = p(b"From a@x.com Mon Jun  3 10:00:00 2024\nFrom: a@x.com\nSubject: hi\n\nbody");
        assert_eq!(mbox.mail.subject, "hi");
        assert!(mbox.mail.repairs.is_empty());
        // One junk line (Outlook's copy of the headers starts with one), blank lines.
        for raw in [
            &b"Microsoft Mail Internet Headers Version 2.0\r\nFrom: a@x.com\r\nSubject: hi\r\n\r\nbody"[..],
            b"\r\n\r\nFrom: a@x.com\r\nSubject: hi\r\n\r\nbody",
            b">From a@x.com\nX-Junk\nFrom: a@x.com\nSubject: hi\n\nbody",
        ] {
            let m = p(raw).mail;
            assert_eq!(m.from.map(|f| f.addr).as_deref(), Some("a@x.com"));
            assert_eq!(m.subject, "hi");
            assert!(matches!(
                m.repairs.as_slice(),
                [MimeRepair::SkippedBeforeHeaders { lines: 1 | 2 }]
            ), "{:?}", m.repairs);
        }
        // Past a few lines, text is not a mail.
        let mut prose = "line of text\n".repeat(MAX_LINES_BEFORE_HEADERS + 1);
        prose.push_str("From: a@x.com\n\nbody");
        assert_eq!(parse(prose.as_bytes()), Err(MimeError::NotAMail));
    }

    #[test]
    fn an_unclosed_multipart_is_read_to_the_end() {
        let truncated = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x";
        let parsed = parse(truncated.as_bytes()).expect("parses");
        assert_eq!(parsed.mail.reply_text, "hello");
        assert_eq!(
            parsed.mail.repairs,
            vec![MimeRepair::UnclosedMultipart {
                boundary: "b1".into()
            }]
        );
        // The part cut short is kept as far as it goes.
        assert_eq!(parsed.attachments.len(), 1);
        assert_eq!(parsed.attachments[0].content, b"%PDF-1");
        // Four mails of this kind: the body in the last part, an HTML alternative cut, nested.
        let last_is_text = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nthe question\r\n";
        assert_eq!(
            parse(last_is_text.as_bytes())
                .expect("parses")
                .mail
                .reply_text,
            "the question"
        );
        let alternative = "From: a@x.com\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\nplain text\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>plain";
        assert_eq!(
            parse(alternative.as_bytes())
                .expect("parses")
                .mail
                .reply_text,
            "plain text"
        );
        let nested = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"m\"\r\n\r\n--m\r\nContent-Type: multipart/alternative; boundary=\"a\"\r\n\r\n--a\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--a--\r\n--m\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n";
        let nested = parse(nested.as_bytes()).expect("parses");
        assert_eq!(nested.mail.reply_text, "inner text");
        assert_eq!(nested.attachments.len(), 1, "{:?}", nested.mail.attachments);
        assert_eq!(nested.attachments[0].content, b"\x89PNG\r\n\x1a\n");
    }

    #[test]
    fn a_part_that_does_not_decode_is_kept_as_it_came() {
        let broken = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: audio/mpeg; name=\"voice.mp3\"\r\nContent-Transfer-Encoding: base64\r\n\r\nSUQz*&^%$ not base64 !!\r\n--b1--\r\n";
        let parsed = parse(broken.as_bytes()).expect("parses");
        assert_eq!(parsed.mail.reply_text, "hello");
        assert_eq!(parsed.attachments.len(), 1);
        assert_eq!(parsed.attachments[0].info.name, "voice.mp3");
        assert_eq!(parsed.attachments[0].content, b"SUQz*&^%$ not base64 !!");
        assert_eq!(
            parsed.mail.repairs,
            vec![MimeRepair::UndecodablePart {
                file: "voice.mp3".into(),
                content_type: "audio/mpeg".into(),
                encoding: "base64".into(),
            }]
        );
        // A body whose base64 does not decode: no garbage as text, the part kept as a file.
        let body = "From: a@x.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8g*** d29ybGQ=\r\n";
        let parsed = parse(body.as_bytes()).expect("parses");
        assert_eq!(parsed.mail.body, "");
        assert_eq!(parsed.mail.attachments.len(), 1);
        assert_eq!(parsed.mail.attachments[0].name, "attachment-1.txt");
        assert_eq!(parsed.attachments[0].content, b"SGVsbG8g*** d29ybGQ=\r\n");
        assert!(matches!(
            parsed.mail.repairs.as_slice(),
            [MimeRepair::UndecodablePart { .. }]
        ));
    }

    #[test]
    fn missing_mime_version_and_odd_boundaries_are_read() {
        // No MIME-Version, boundary with spaces around `=`, delimiters with trailing blanks
        // (transport padding), a boundary parameter on a folded line.
        let raw = "From: a@x.com\r\nSubject: odd\r\nContent-Type: multipart/mixed;\r\n\tboundary = \"odd b\"\r\n\r\npreamble\r\n--odd b  \r\nContent-Type: text/plain\r\n\r\nthe text\r\n--odd b\t\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--odd b-- \r\n";
        let parsed = parse(raw.as_bytes()).expect("parses");
        assert_eq!(parsed.mail.reply_text, "the text");
        assert_eq!(
            parsed.mail.attachments.len(),
            1,
            "{:?}",
            parsed.mail.attachments
        );
        assert_eq!(parsed.attachments[0].content, b"%PDF-1");
        assert!(parsed.mail.repairs.is_empty(), "{:?}", parsed.mail.repairs);
    }

    #[test]
    fn a_boundary_declared_oddly_is_read_as_the_parts_use_it() {
        for declared in ["'abc'", "\"abc \"", "\" abc\""] {
            let raw = format!("From: a@x.com\r\nContent-Type: multipart/mixed; boundary={declared}\r\n\r\n--abc\r\nContent-Type: text/plain\r\n\r\nhello text\r\n--abc\r\nContent-Type: application/pdf; name=r.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0x\r\n--abc--\r\n");
            let p = parse(raw.as_bytes()).expect("parses");
            assert_eq!(p.mail.reply_text, "hello text", "{declared}");
            assert_eq!(p.attachments.len(), 1, "{declared}");
            assert_eq!(p.attachments[0].content, b"%PDF-1", "{declared}");
            assert!(
                matches!(&p.mail.repairs[..], [MimeRepair::BoundaryMismatch { used, .. }] if used == "abc"),
                "{declared}: {:?}",
                p.mail.repairs
            );
        }
        // A boundary that is never used stays text: no other boundary to take.
        let raw = "From: a@x.com\r\nContent-Type: multipart/mixed; boundary=\"x\"\r\n\r\nJust text.\r\n-- \r\nsig\r\n";
        let p = parse(raw.as_bytes()).expect("parses");
        assert!(p.mail.body.starts_with("Just text."), "{:?}", p.mail.body);
        assert!(p.mail.repairs.is_empty());
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
