//! Raw mail bytes -> [`crate::core::InboundMail`], through mail-parser. Pure: no I/O.
//!
//! mail-parser gives the MIME tree, addresses, dates and Message-IDs. This module adds what the
//! gateway needs on top of it, and fixes what mail-parser 0.11 gets wrong for us:
//!
//! - the few things that make a mail unusable ([`MimeError`]: no header block, NUL bytes or a
//!   monstrous line in the headers, a multipart never closed, base64 that does not decode).
//!   Everything else (odd charsets, missing Message-ID, weird structure) is data;
//! - header text: adjacent RFC 2047 words of one charset are joined *before* charset decoding
//!   (a multibyte character split over two words survives), raw 8-bit headers are read as UTF-8
//!   or else Latin-1 (Windows-1252), unlabelled ISO-2022-JP is recognised by its escapes;
//! - body text: decoded from the transfer-decoded bytes with our own charset rules (GB2312
//!   labels read as GB18030, unlabelled ISO-2022-JP sniffed, invalid UTF-8 read as Windows-1252),
//!   `format=flowed` unwrapped;
//! - file names: RFC 2231 continuations joined before percent- and charset-decoding, RFC 2047
//!   in quoted names, then sanitised;
//! - delivery-status reports (RFC 3464) read into [`DeliveryReport`].
//!
//! Invariant: [`parse`] never panics, whatever the bytes (a panic inside mail-parser is caught
//! and reported as [`MimeError::ParserPanic`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::{
    Encoding, Header, HeaderName, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders,
    PartType,
};
use sha2::{Digest, Sha256};

use crate::core::{
    html, quotes, text, Address, AttachmentInfo, AutoSignals, DeliveryRecipient, DeliveryReport,
    InboundMail,
};

/// Longest header line we accept (RFC 5322 says 998; real mail stays far below this).
pub const MAX_HEADER_LINE: usize = 64 * 1024;
/// Largest header block we accept.
pub const MAX_HEADER_BLOCK: usize = 1024 * 1024;
/// Longest sanitised attachment name, in characters.
pub const MAX_FILE_NAME: usize = 100;

/// Headers of other helpdesks that mark their own mail (SPEC §3.6), as reported.
const LOOP_HEADERS: &[&str] = &[
    "X-Loop",
    "X-RT-Loop-Prevention",
    "X-OTRS-Loop",
    "X-Znuny-Loop",
    "X-JIRA-FingerPrint",
    "X-Mailer-Loop",
    "X-Zendesk-From-Account-Id",
];

/// Headers at least one of which a mail has; a header block without any is not a mail.
const KNOWN_HEADERS: &[&str] = &[
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

/// A parsed mail: the core's view plus the attachment bytes the store keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMail {
    pub mail: InboundMail,
    /// In the order of `mail.attachments`.
    pub attachments: Vec<AttachmentData>,
}

/// One attachment with its decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentData {
    pub info: AttachmentInfo,
    pub content: Vec<u8>,
}

/// Why a mail cannot be used at all. These are permanent: the mail goes to quarantine with the
/// message as its reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MimeError {
    #[error("not a mail: no header block")]
    NotAMail,
    #[error("nul byte in the header block at offset {offset}")]
    NulInHeaders { offset: usize },
    #[error("header line of {len} bytes is over the limit of {max} bytes")]
    HeaderLineTooLong { len: usize, max: usize },
    #[error("header block of {len} bytes is over the limit of {max} bytes")]
    HeadersTooLarge { len: usize, max: usize },
    #[error("truncated mime: multipart with boundary {boundary:?} is never closed")]
    TruncatedMultipart { boundary: String },
    #[error("broken base64 in mime part {part} ({content_type})")]
    BrokenBase64 { part: usize, content_type: String },
    #[error("mail parser failed on this input")]
    ParserPanic,
}

impl MimeError {
    /// A short stable name, for metrics labels and the decision log.
    pub fn reason(&self) -> &'static str {
        match self {
            MimeError::NotAMail => "not_a_mail",
            MimeError::NulInHeaders { .. } => "nul_in_headers",
            MimeError::HeaderLineTooLong { .. } => "header_line_too_long",
            MimeError::HeadersTooLarge { .. } => "headers_too_large",
            MimeError::TruncatedMultipart { .. } => "truncated_mime",
            MimeError::BrokenBase64 { .. } => "broken_base64",
            MimeError::ParserPanic => "parser_failure",
        }
    }
}

/// Parses one raw mail (RFC 5322 bytes, as fetched from IMAP).
///
/// `reply_text` comes from the text/plain part when there is one (its `>` quoting keeps inline
/// answers, which the HTML quote containers swallow whole), and from the HTML part otherwise or
/// when the plain part leaves nothing. A mail whose subject says "forward" (`FW:`, `TR:`) but
/// whose client wrote no forward marker (Outlook) keeps the forwarded part too.
pub fn parse(raw: &[u8]) -> Result<ParsedMail, MimeError> {
    let size = raw.len();
    // A saved .eml may start with a UTF-8 byte-order mark.
    let raw = raw.strip_prefix(b"\xef\xbb\xbf").unwrap_or(raw);
    let header_end = check_headers(raw)?;
    let data = transcode_raw_headers(raw, header_end);
    catch_unwind(AssertUnwindSafe(|| build(&data, size))).unwrap_or(Err(MimeError::ParserPanic))
}

fn build(data: &[u8], size: usize) -> Result<ParsedMail, MimeError> {
    let message = MessageParser::new()
        .parse(data)
        .ok_or(MimeError::NotAMail)?;
    if message.parts.is_empty() {
        return Err(MimeError::NotAMail);
    }
    check_structure(&message, data)?;

    let headers = message.headers();
    let find = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
    };
    let has = |name: &str| find(name).is_some();
    let raw_text = |name: &str| find(name).map(|h| unfold(header_bytes(data, h)));

    let subject = find("subject")
        .map(|h| decode_header_text(header_bytes(data, h)))
        .unwrap_or_default();

    let (body, reply_text, reply_kept_whole) = body_and_reply(&message, data, &subject);
    let report = delivery_report(&message, data);
    let found = find_attachments(&message, data, report.is_some());

    let mut mail = InboundMail {
        message_id: message
            .message_id()
            .map(clean_id)
            .filter(|id| !id.is_empty()),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        from: message.from().and_then(|a| a.iter().find_map(to_address)),
        to: addresses(&message, HeaderName::To),
        cc: addresses(&message, HeaderName::Cc),
        subject,
        body,
        reply_text,
        reply_kept_whole,
        content_language: raw_text("content-language")
            .and_then(|v| v.split(',').next().map(|t| t.trim().to_ascii_lowercase()))
            .filter(|t| !t.is_empty()),
        auto: AutoSignals {
            auto_submitted: raw_text("auto-submitted"),
            precedence: raw_text("precedence"),
            list_id: has("list-id"),
            x_autoreply: has("x-autoreply") || has("x-autorespond"),
            return_path: raw_text("return-path").map(|v| {
                v.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .trim()
                    .to_ascii_lowercase()
            }),
            loop_headers: LOOP_HEADERS
                .iter()
                .filter(|n| has(n))
                .map(|n| n.to_string())
                .collect(),
            auto_response_suppress: has("x-auto-response-suppress"),
        },
        authentication_results: headers
            .iter()
            .filter(|h| {
                h.name
                    .as_str()
                    .eq_ignore_ascii_case("authentication-results")
            })
            .map(|h| unfold(header_bytes(data, h)))
            .collect(),
        attachments: Vec::new(),
        delivery_report: report,
        size: size as u64,
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
    };
    // The parser's decoded parts go before the files are decoded from the raw bytes: a
    // 10 MiB attachment was otherwise held twice at once (docs/benchmarks.md, memory).
    drop(message);
    let attachments = decode_attachments(data, found);
    mail.attachments = attachments.iter().map(|a| a.info.clone()).collect();
    Ok(ParsedMail { mail, attachments })
}

// ------------------------------------------------------------------------------------------------
// What makes a mail unusable
// ------------------------------------------------------------------------------------------------

/// The length of the header block, up to and including the newline of its last line.
fn header_block_end(raw: &[u8]) -> usize {
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
fn is_field_line(line: &[u8]) -> bool {
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

fn field_name(line: &[u8]) -> Option<String> {
    let colon = line.iter().position(|&b| b == b':')?;
    Some(
        String::from_utf8_lossy(&line[..colon])
            .trim()
            .to_ascii_lowercase(),
    )
}

/// Checks the header block and returns its length.
fn check_headers(raw: &[u8]) -> Result<usize, MimeError> {
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
fn transcode_raw_headers(raw: &[u8], header_end: usize) -> Cow<'_, [u8]> {
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
fn closed_boundaries(data: &[u8]) -> HashSet<&[u8]> {
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

fn transfer_encoding(part: &MessagePart<'_>) -> Option<String> {
    part.headers
        .iter()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)
        .and_then(|h| h.value.as_text())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// A multipart whose closing delimiter never comes, or a base64 part with bytes outside the
/// base64 alphabet, makes the mail unusable: what we would read is not what was sent. Parts of
/// an attached message (a bounce's returned mail, often cut short by the MTA) are not checked.
fn check_structure(message: &Message<'_>, data: &[u8]) -> Result<(), MimeError> {
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

// ------------------------------------------------------------------------------------------------
// Body and reply text
// ------------------------------------------------------------------------------------------------

/// The raw (still transfer-encoded) body bytes of a part.
fn part_bytes<'a>(data: &'a [u8], part: &MessagePart<'_>) -> &'a [u8] {
    data.get(body_range(part)).unwrap_or_default()
}

/// Where a part's body (still transfer-encoded) lies in the raw mail; empty when the parser's
/// offsets are out of order.
fn body_range(part: &MessagePart<'_>) -> std::ops::Range<usize> {
    let start = part.offset_body as usize;
    start..(part.offset_end as usize).max(start)
}

fn transfer_decode(bytes: &[u8], encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Base64 => base64_decode(bytes, false).unwrap_or_default(),
        Encoding::QuotedPrintable => qp_decode(bytes),
        Encoding::None => bytes.to_vec(),
    }
}

/// A part's content: transfer-decoded bytes.
fn part_content(data: &[u8], part: &MessagePart<'_>) -> Vec<u8> {
    transfer_decode(part_bytes(data, part), part.encoding)
}

/// A text part as UTF-8, charset and `format=flowed` handled.
fn part_text(data: &[u8], part: &MessagePart<'_>) -> String {
    let bytes = part_content(data, part);
    let ct = part.content_type();
    let text = decode_charset(&bytes, ct.and_then(|c| c.attribute("charset")));
    let flowed = ct.is_some_and(|c| {
        c.attribute("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
            && c.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
    });
    if flowed {
        let delsp = ct
            .and_then(|c| c.attribute("delsp"))
            .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
        unflow(&text, delsp)
    } else {
        text
    }
}

fn is_named_attachment(data: &[u8], part: &MessagePart<'_>, index: usize) -> bool {
    index != 0
        && (part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
            || file_name(data, part).is_some())
}

/// `(body, reply_text, reply_kept_whole)` of the mail. The From's display name helps find a
/// signature that is only the sender's name.
fn body_and_reply(message: &Message<'_>, data: &[u8], subject: &str) -> (String, String, bool) {
    let pieces = |ids: &[u32], html: bool| -> Vec<String> {
        ids.iter()
            .filter_map(|&id| message.parts.get(id as usize).map(|p| (id as usize, p)))
            .filter(|(_, p)| match p.body {
                PartType::Text(_) => !html,
                PartType::Html(_) => html,
                _ => false,
            })
            .filter(|(id, p)| !is_named_attachment(data, p, *id))
            .map(|(_, p)| part_text(data, p))
            .collect()
    };
    let plain = pieces(&message.text_body, false).join("\n");
    let html = pieces(&message.html_body, true).join("\n");
    let sender = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name().or(a.address()));

    let body = if !plain.trim().is_empty() || html.trim().is_empty() {
        plain.clone()
    } else {
        html::html_to_text(&html)
    };

    let mut source = plain.clone();
    let mut reply = quotes::reply_text(&plain, sender);
    if (reply.text.is_empty() || reply.kept_whole) && !html.trim().is_empty() {
        let from_html = html::html_reply(&html, sender);
        if !from_html.text.is_empty() && (reply.text.is_empty() || !from_html.kept_whole) {
            reply = from_html;
            source = html::html_to_text(&html);
        }
    }
    let mut text = reply.text;
    if text::is_forward_subject(subject) && !quotes::has_forward_marker(&source) {
        let forwarded = quotes::quoted_part(&source);
        if !forwarded.is_empty() && !text.contains(&forwarded) {
            text = if text.is_empty() || reply.kept_whole {
                forwarded
            } else {
                format!("{text}\n\n{forwarded}")
            };
            reply.kept_whole = false;
        }
    }
    (body, text, reply.kept_whole)
}

/// RFC 3676 `format=flowed`: soft-broken lines (ending in a space) are joined again.
fn unflow(text: &str, delsp: bool) -> String {
    fn render(depth: usize, content: &str) -> String {
        if depth == 0 {
            content.to_string()
        } else {
            format!("{} {}", ">".repeat(depth), content)
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        let piece = if soft && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        match current.as_mut() {
            Some((d, acc)) if *d == depth => acc.push_str(piece),
            _ => {
                if let Some((d, acc)) = current.take() {
                    out.push(render(d, &acc));
                }
                current = Some((depth, piece.to_string()));
            }
        }
        if !soft {
            if let Some((d, acc)) = current.take() {
                out.push(render(d, &acc));
            }
        }
    }
    if let Some((d, acc)) = current {
        out.push(render(d, &acc));
    }
    out.join("\n")
}

// ------------------------------------------------------------------------------------------------
// Headers
// ------------------------------------------------------------------------------------------------

fn header_bytes<'a>(data: &'a [u8], h: &Header<'_>) -> &'a [u8] {
    data.get(h.offset_start as usize..h.offset_end as usize)
        .unwrap_or_default()
}

/// A raw header value, unfolded and trimmed.
fn unfold(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .filter(|&c| c != '\r' && c != '\n')
        .collect::<String>()
        .trim()
        .to_string()
}

fn clean_id(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
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

fn to_address(a: &mail_parser::Addr<'_>) -> Option<Address> {
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

fn addresses(message: &Message<'_>, name: HeaderName<'static>) -> Vec<Address> {
    message
        .header_values(name)
        .filter_map(|v| v.as_address())
        .flat_map(|a| a.iter())
        .filter_map(to_address)
        .collect()
}

/// A header value as one line of text: raw 8-bit read as UTF-8 or Windows-1252, RFC 2047 words
/// decoded (adjacent words of one charset joined before decoding), whitespace collapsed.
fn decode_header_text(raw: &[u8]) -> String {
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
fn decode_encoded_words(s: &str) -> String {
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
fn next_encoded_word(s: &str) -> Option<(usize, usize, String, Vec<u8>)> {
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
fn parse_encoded_word(s: &str) -> Option<(usize, String, Vec<u8>)> {
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

// ------------------------------------------------------------------------------------------------
// Transfer encodings and charsets
// ------------------------------------------------------------------------------------------------

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Base64, whitespace ignored, padding ending a group. `strict`: a byte outside the alphabet is
/// an error; otherwise it is skipped.
fn base64_decode(input: &[u8], strict: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ if strict => return None,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Quoted-printable body decoding; malformed `=` sequences are kept as they are.
fn qp_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < input.len() && (input[j] == b' ' || input[j] == b'\t') {
            j += 1;
        }
        if j >= input.len() {
            i = j;
        } else if input[j] == b'\n' {
            i = j + 1;
        } else if input[j] == b'\r' && input.get(j + 1) == Some(&b'\n') {
            i = j + 2;
        } else if let (Some(hi), Some(lo)) = (
            input.get(i + 1).copied().and_then(hex_value),
            input.get(i + 2).copied().and_then(hex_value),
        ) {
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

/// RFC 2047 Q encoding.
fn q_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'_' => {
                out.push(b' ');
                i += 1;
            }
            b'=' => match (
                input.get(i + 1).copied().and_then(hex_value),
                input.get(i + 2).copied().and_then(hex_value),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Windows-1252 at 0x80–0x9F; the five holes keep their Latin-1 (C1 control) code points.
const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Windows-1252, the superset of Latin-1 that mail labelled ISO-8859-1 really uses. Never fails.
fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

fn decode_with(label: &str, bytes: &[u8]) -> String {
    match charset_decoder(label.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// ISO-2022-JP escapes: `ESC $ B`, `ESC $ @` (JIS X 0208), `ESC ( J` (JIS X 0201 Roman).
fn looks_like_iso2022jp(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| w == b"\x1b$B" || w == b"\x1b$@" || w == b"\x1b(J")
}

/// Text of unknown charset: ISO-2022-JP when its escapes are there, UTF-8 when valid, else
/// Windows-1252 (a superset of Latin-1 for the bytes mail uses) — unless the bytes also hold
/// valid UTF-8 multibyte sequences: then it is UTF-8 with a few bad bytes, read lossily.
fn sniff(bytes: &[u8]) -> String {
    if looks_like_iso2022jp(bytes) {
        return decode_with("iso-2022-jp", bytes);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let has_utf8 = bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    if has_utf8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        decode_cp1252(bytes)
    }
}

/// Bytes in the named charset as UTF-8. GB2312 labels are read as GB18030 (senders label GBK
/// text GB2312); ISO-2022-JP variants as ISO-2022-JP; invalid UTF-8 and unknown labels go
/// through [`sniff`].
fn decode_charset(bytes: &[u8], label: Option<&str>) -> String {
    let label = label
        .map(|l| {
            l.trim()
                .trim_matches(['"', '\''])
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match label.as_str() {
        "" | "us-ascii" | "ascii" | "us_ascii" | "ansi_x3.4-1968" | "646" | "unknown"
        | "unknown-8bit" | "x-unknown" | "default" => sniff(bytes),
        "utf-8" | "utf8" | "utf_8" | "x-utf-8" | "x-utf8" | "unicode-1-1-utf-8" => {
            match std::str::from_utf8(bytes) {
                Ok(s) => s.to_string(),
                Err(_) => sniff(bytes),
            }
        }
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "latin-1"
        | "l1" | "cp819" | "ibm819" | "windows-1252" | "cp1252" | "x-cp1252" => {
            decode_cp1252(bytes)
        }
        l if l.starts_with("iso-2022-jp") || l == "csiso2022jp" || l == "iso2022jp" => {
            decode_with("iso-2022-jp", bytes)
        }
        "gb2312" | "gbk" | "x-gbk" | "cp936" | "ms936" | "windows-936" | "euc-cn" | "x-euc-cn"
        | "csgb2312" | "gb_2312-80" | "gb_2312" | "chinese" | "x-gb2312" | "gb18030"
        | "csgb18030" | "csiso58gb231280" => decode_with("gb18030", bytes),
        "cp932" | "ms932" | "windows-932" | "x-ms-cp932" => decode_with("shift_jis", bytes),
        l => match charset_decoder(l.as_bytes()) {
            Some(decode) => decode(bytes),
            None => sniff(bytes),
        },
    }
}

// ------------------------------------------------------------------------------------------------
// Attachments
// ------------------------------------------------------------------------------------------------

/// Parameters of a structured header value (`type; a=1; b="x y"`): lower-case names, raw value
/// bytes (quotes and backslash escapes removed). Raw 8-bit bytes are kept as they are.
fn params(raw: &[u8]) -> Vec<(String, Vec<u8>)> {
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

fn percent_decode(bytes: &[u8]) -> Vec<u8> {
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
fn split_rfc2231(value: &[u8]) -> (Option<String>, &[u8]) {
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
fn header_param(raw: &[u8], want: &str) -> Option<String> {
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
fn file_name(data: &[u8], part: &MessagePart<'_>) -> Option<String> {
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

fn is_format_char(c: char) -> bool {
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

fn content_type_of(part: &MessagePart<'_>) -> String {
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
const REPORT_TYPES: &[&str] = &[
    "message/delivery-status",
    "message/global-delivery-status",
    "text/rfc822-headers",
    "message/global-headers",
    "message/rfc822",
    "message/global",
];

/// Attachments: non-inline parts, and inline parts with a file name; never the body's text
/// parts, nor the parts that make up a delivery report.
fn find_attachments(message: &Message<'_>, data: &[u8], is_report: bool) -> Vec<FoundFile> {
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
fn decode_attachments(data: &[u8], found: Vec<FoundFile>) -> Vec<AttachmentData> {
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
struct FoundFile {
    name: String,
    content_type: String,
    body: std::ops::Range<usize>,
    encoding: Encoding,
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

// ------------------------------------------------------------------------------------------------
// Delivery reports
// ------------------------------------------------------------------------------------------------

/// `type; value` fields of RFC 3464 (`rfc822; a@b`, `smtp; 550 ...`): the value.
fn strip_type(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, v)| v).trim()
}

/// The recipient blocks of a `message/delivery-status` body.
fn parse_dsn(text: &str) -> Vec<DeliveryRecipient> {
    let mut recipients = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut flush = |fields: &mut Vec<(String, String)>| {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(address) = get("final-recipient").or_else(|| get("original-recipient")) {
            let address = strip_type(address)
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_ascii_lowercase();
            recipients.push(DeliveryRecipient {
                address,
                action: get("action").unwrap_or("").trim().to_ascii_lowercase(),
                status: get("status")
                    .and_then(|s| s.split_whitespace().next())
                    .unwrap_or("")
                    .to_string(),
                diagnostic: get("diagnostic-code")
                    .map(|d| strip_type(d).to_string())
                    .filter(|d| !d.is_empty()),
            });
        }
        fields.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut fields);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    flush(&mut fields);
    recipients
}

/// The Message-ID in a block of headers (a returned message or its headers).
fn message_id_in(bytes: &[u8]) -> Option<String> {
    let message = MessageParser::new().parse_headers(bytes)?;
    message
        .message_id()
        .map(clean_id)
        .filter(|id| !id.is_empty())
}

/// RFC 3464: a `multipart/report; report-type=delivery-status` mail.
fn delivery_report(message: &Message<'_>, data: &[u8]) -> Option<DeliveryReport> {
    let root = message.parts.first()?.content_type()?;
    if !root.ctype().eq_ignore_ascii_case("multipart")
        || !root
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        return None;
    }
    let report_type = root.attribute("report-type").map(str::to_ascii_lowercase);
    let mut report = DeliveryReport::default();
    let mut has_status = false;
    for part in &message.parts {
        match content_type_of(part).as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                has_status = true;
                let content = part_content(data, part);
                report
                    .recipients
                    .extend(parse_dsn(&String::from_utf8_lossy(&content)));
            }
            "message/rfc822"
            | "message/global"
            | "text/rfc822-headers"
            | "message/global-headers"
                if report.original_message_id.is_none() =>
            {
                report.original_message_id = match &part.body {
                    PartType::Message(m) => {
                        m.message_id().map(clean_id).filter(|id| !id.is_empty())
                    }
                    _ => None,
                }
                .or_else(|| message_id_in(&part_content(data, part)));
            }
            _ => {}
        }
    }
    let is_dsn = has_status
        || matches!(
            report_type.as_deref(),
            Some("delivery-status" | "global-delivery-status")
        );
    is_dsn.then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(raw: &str) -> InboundMail {
        match parse(raw.as_bytes()) {
            Ok(p) => p.mail,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    const SIMPLE: &str = "From: Alice Example <Alice@Example.COM>\r\n\
To: support@example.com, \"Bob\" <bob@example.com>\r\n\
Cc: Team: carol@example.com, dave@example.com;\r\n\
Subject: Printer broken\r\n\
Message-ID: <abc@example.com>\r\n\
In-Reply-To: <x1@example.com>\r\n\
References: <x0@example.com> <x1@example.com>\r\n\
Date: Mon, 3 Jun 2024 10:00:00 +0200\r\n\
Content-Language: fr-FR, en\r\n\
\r\n\
Hello\r\n";

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
    fn automated_mail_signals() {
        let raw = "From: MAILER-DAEMON@example.com\r\nReturn-Path: <>\r\nAuto-Submitted: auto-replied\r\n\
Precedence: bulk\r\nList-Id: <list.example.com>\r\nX-Autoreply: yes\r\nX-Loop: support@example.com\r\n\
X-RT-Loop-Prevention: rt\r\nX-JIRA-FingerPrint: abc\r\nX-Auto-Response-Suppress: All\r\nSubject: x\r\n\r\nbody\r\n";
        let a = mail(raw).auto;
        assert_eq!(a.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(a.precedence.as_deref(), Some("bulk"));
        assert!(a.list_id && a.x_autoreply && a.auto_response_suppress);
        assert_eq!(a.return_path.as_deref(), Some(""));
        assert_eq!(
            a.loop_headers,
            vec!["X-Loop", "X-RT-Loop-Prevention", "X-JIRA-FingerPrint"]
        );

        let plain = mail(SIMPLE).auto;
        assert_eq!(plain, AutoSignals::default());
        let rp = mail("From: a@x.com\r\nReturn-Path: <Bounce@X.com>\r\n\r\nx")
            .auto
            .return_path;
        assert_eq!(rp.as_deref(), Some("bounce@x.com"));
    }

    #[test]
    fn authentication_results_are_kept_raw_in_order() {
        let raw = "From: a@x.com\r\nAuthentication-Results: mx.example.com;\r\n\tdkim=pass header.d=x.com\r\nAuthentication-Results: other; spf=fail\r\n\r\nx";
        assert_eq!(
            mail(raw).authentication_results,
            vec![
                "mx.example.com;\tdkim=pass header.d=x.com",
                "other; spf=fail"
            ]
        );
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

    #[test]
    fn charsets() {
        assert_eq!(decode_charset(b"caf\xe9", Some("ISO-8859-1")), "café");
        assert_eq!(decode_charset(b"\xa4", Some("iso-8859-15")), "€");
        assert_eq!(
            decode_charset(b"\x93hi\x94 \x80", Some("windows-1252")),
            "“hi” €"
        );
        assert_eq!(decode_charset(b"caf\xe9", Some("utf-8")), "café");
        assert_eq!(decode_charset(b"caf\xe9", None), "café");
        assert_eq!(
            decode_charset(
                "café \u{2014} "
                    .as_bytes()
                    .iter()
                    .chain(b"\xff")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
                Some("utf-8")
            ),
            "café \u{2014} \u{fffd}"
        );
        // GBK-only character (U+5586 喆) under a GB2312 label.
        assert_eq!(decode_charset(b"\x86\xb4", Some("gb2312")), "喆");
        // "日本" in ISO-2022-JP, labelled and unlabelled.
        let jis = b"\x1b$BF|K\\\x1b(B";
        assert_eq!(decode_charset(jis, Some("ISO-2022-JP")), "日本");
        assert_eq!(decode_charset(jis, None), "日本");
        assert_eq!(decode_charset(jis, Some("us-ascii")), "日本");
    }

    #[test]
    fn transfer_encodings() {
        assert_eq!(
            base64_decode(b"aGVs\r\nbG8=", true).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(base64_decode(b"aGVs!bG8=", true), None);
        assert_eq!(
            base64_decode(b"aGVs!bG8=", false).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(
            qp_decode(b"caf=C3=A9 =\r\nsuite=3D1 =ZZ"),
            "café suite=1 =ZZ".as_bytes()
        );
        assert_eq!(q_decode(b"a_b=3F"), b"a b?");
    }

    #[test]
    fn flowed_text_is_unwrapped() {
        assert_eq!(
            unflow(
                "Hello \r\nworld\r\n> quoted \r\n> more\r\n-- \r\nsig",
                false
            ),
            "Hello world\n> quoted more\n-- \nsig"
        );
        assert_eq!(unflow("Hel \nlo", true), "Hello");
        assert_eq!(unflow(" >not quoted", false), ">not quoted");
    }

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
    fn error_messages_are_lowercase_reasons() {
        let errors = [
            MimeError::NotAMail,
            MimeError::NulInHeaders { offset: 3 },
            MimeError::HeaderLineTooLong { len: 9, max: 1 },
            MimeError::HeadersTooLarge { len: 9, max: 1 },
            MimeError::TruncatedMultipart {
                boundary: "b".into(),
            },
            MimeError::BrokenBase64 {
                part: 1,
                content_type: "application/pdf".into(),
            },
            MimeError::ParserPanic,
        ];
        for e in errors {
            let msg = e.to_string();
            assert!(msg.starts_with(|c: char| c.is_ascii_lowercase()), "{msg}");
            assert!(!msg.ends_with('.'), "{msg}");
            assert!(!e.reason().is_empty());
        }
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

    #[test]
    fn html_only_mail_is_turned_into_text() {
        let raw = "From: a@x.com\r\nSubject: Re: x\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
<div>Caf=E9 ok</div><div class=3D\"gmail_quote\">On Mon, Bob wrote:<blockquote>old</blockquote></div>\r\n";
        let m = mail(raw);
        assert_eq!(m.reply_text, "Café ok");
        assert!(m.body.contains("Café ok") && m.body.contains("> old"));
    }

    #[test]
    fn delivery_reports_are_read() {
        let raw = "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n\r\n\
--r1\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n\
--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
Final-Recipient: rfc822; Gone@Example.org\r\nOriginal-Recipient: rfc822;gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address\r\n    rejected\r\n\r\n\
Final-Recipient: rfc822; slow@example.org\r\nAction: delayed\r\nStatus: 4.4.1 (timeout)\r\n\r\n\
--r1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nMessage-ID: <sent-1@example.com>\r\nSubject: [SUP-1] x\r\n\r\n\
--r1--\r\n";
        let parsed = parse(raw.as_bytes()).expect("parses");
        let report = parsed.mail.delivery_report.expect("report");
        assert_eq!(
            report.original_message_id.as_deref(),
            Some("sent-1@example.com")
        );
        assert_eq!(
            report.recipients,
            vec![
                DeliveryRecipient {
                    address: "gone@example.org".into(),
                    action: "failed".into(),
                    status: "5.1.1".into(),
                    diagnostic: Some(
                        "550 5.1.1 <gone@example.org>: Recipient address rejected".into()
                    ),
                },
                DeliveryRecipient {
                    address: "slow@example.org".into(),
                    action: "delayed".into(),
                    status: "4.4.1".into(),
                    diagnostic: None,
                },
            ]
        );
        assert!(parsed.attachments.is_empty());
        assert_eq!(mail(SIMPLE).delivery_report, None);
    }

    #[test]
    fn outlook_forward_keeps_the_forwarded_part() {
        let raw = "From: a@x.com\r\nSubject: FW: Printer\r\n\r\n\r\n\r\n________________________________\r\nFrom: Carol <c@x.com>\r\nSent: Monday, June 3, 2024 10:00 AM\r\nTo: a@x.com\r\nSubject: Printer\r\n\r\nIt is broken.\r\n";
        assert_eq!(
            mail(raw).reply_text,
            "From: Carol <c@x.com>\nSent: Monday, June 3, 2024 10:00 AM\nTo: a@x.com\nSubject: Printer\n\nIt is broken."
        );
        let reply = raw.replace("Subject: FW: Printer", "Subject: RE: Printer");
        assert_eq!(mail(&reply).reply_text, "");
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

    #[test]
    fn never_panics_on_prefixes_of_a_mail() {
        let raw = "From: a@x.com\r\nSubject: =?UTF-8?B?w6k=?=\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 \r\nok\r\n--b\r\nContent-Type: text/html\r\n\r\n<div>x</div>\r\n--b--\r\n";
        for end in 0..=raw.len() {
            let _ = parse(&raw.as_bytes()[..end]);
        }
        assert_eq!(mail(raw).reply_text, "Café ok");
    }
}
