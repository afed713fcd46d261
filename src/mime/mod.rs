//! Raw mail bytes -> [`crate::core::InboundMail`], through mail-parser. Pure: no I/O.
//!
//! mail-parser gives the MIME tree, addresses, dates and Message-IDs, and its decoders do the
//! transfer decoding (base64, quoted-printable, the B and Q data of RFC 2047 words). This
//! module adds what the gateway needs on top of it, and reads mail the way a common client
//! would display it (SPEC §3.8 "be liberal"):
//!
//! - only a mail without a header block, or with one no mail has (NUL bytes, a monstrous line
//!   or size), is refused ([`MimeError`]). A stray line before the headers, a multipart never
//!   closed, a part whose base64 does not decode are read anyway and reported as
//!   [`crate::core::MimeRepair`]s for the decision log (`structure.rs`);
//! - header text (`headers.rs`): adjacent RFC 2047 words of one charset are joined *before*
//!   charset decoding, each word decoded once; raw 8-bit headers are read in the charset
//!   detected for them; the sender is found in odd `From` syntax too;
//! - charsets (`charset.rs`): labels as browsers read them, wrong labels not trusted, undeclared
//!   8-bit text detected with chardetng (not assumed Latin-1);
//! - body text (`body.rs`): `format=flowed` unwrapped, HTML turned into text, quotes stripped;
//! - files (`attachments.rs`): every part that is not body text is kept, named by RFC 2231 /
//!   RFC 2047 and sanitised, or `attachment-N.<ext>`;
//! - delivery-status reports (RFC 3464) read into [`crate::core::DeliveryReport`] (`report.rs`).
//!
//! Invariant: [`parse`] never panics, whatever the bytes (a panic inside mail-parser is caught
//! and reported as [`MimeError::ParserPanic`]).

mod attachments;
mod body;
mod charset;
mod headers;
mod hint;
mod report;
mod structure;
mod transfer;

use std::panic::{catch_unwind, AssertUnwindSafe};

use mail_parser::{HeaderName, Message, MessageParser, MimeHeaders, PartType};

use crate::core::{AttachmentInfo, AuthenticationResults, AutoSignals, InboundMail, MimeRepair};

pub use self::attachments::sanitize_file_name;
use self::attachments::{decode_attachments, find_attachments};
use self::body::body_and_reply;
use self::headers::{
    addresses, clean_id, decode_header_text, header_bytes, ids, sender, transcode_raw_headers,
    unfold,
};
pub(crate) use self::hint::sender_hint;
use self::report::delivery_report;
use self::structure::{close_multiparts, find_headers, fix_root_boundary, unclosed_multiparts};

/// Longest header line we accept (RFC 5322 says 998; real mail stays far below this).
pub(crate) const MAX_HEADER_LINE: usize = 64 * 1024;
/// Largest header block we accept.
pub(crate) const MAX_HEADER_BLOCK: usize = 1024 * 1024;
/// Longest sanitised attachment name, in characters.
pub(crate) const MAX_FILE_NAME: usize = 100;

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

/// Why a mail cannot be used at all: no header block, or one that no mail has. These are
/// permanent: the mail goes to quarantine with the message as its reason. Everything a common
/// client would still display is read ([`crate::core::MimeRepair`]).
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
    let block = find_headers(raw)?;
    let raw = &raw[block.start..];
    let data = transcode_raw_headers(raw, block.len);
    let mut repairs = Vec::new();
    if block.junk_lines > 0 {
        repairs.push(MimeRepair::SkippedBeforeHeaders {
            lines: block.junk_lines,
        });
    }
    catch_unwind(AssertUnwindSafe(|| build(&data, size, repairs, 0)))
        .unwrap_or(Err(MimeError::ParserPanic))
}

/// How many times a mail is read again after a repair of its structure (a root boundary
/// rewritten, then missing closing delimiters written): each repair is done once.
const MAX_REREADS: usize = 2;

fn build(
    data: &[u8],
    size: usize,
    mut repairs: Vec<MimeRepair>,
    rereads: usize,
) -> Result<ParsedMail, MimeError> {
    let message = MessageParser::new()
        .parse(data)
        .ok_or(MimeError::NotAMail)?;
    if message.parts.is_empty() {
        return Err(MimeError::NotAMail);
    }
    if rereads < MAX_REREADS {
        if let Some((fixed, repair)) = fix_root_boundary(&message, data) {
            // The declared boundary never comes but the delimiter lines name another one
            // (quoted oddly, a stray space): the mail is read again with the boundary its
            // parts use.
            drop(message);
            repairs.push(repair);
            return build(&fixed, size, repairs, rereads + 1);
        }
        let unclosed = unclosed_multiparts(&message, data);
        if !unclosed.is_empty() {
            // mail-parser reads the parts of an unclosed multipart as undecodable (base64 left
            // encoded, text dropped from the body): the missing closing delimiters are written
            // at the end, innermost first, and the mail read again as its sender meant it.
            drop(message);
            let closed = close_multiparts(data, &unclosed);
            repairs.extend(unclosed);
            return build(&closed, size, repairs, rereads + 1);
        }
    }
    read(message, data, size, repairs)
}

/// The [`ParsedMail`] of a mail as mail-parser read it (the one parse of a well-formed mail).
fn read(
    mut message: Message<'_>,
    data: &[u8],
    size: usize,
    repairs: Vec<MimeRepair>,
) -> Result<ParsedMail, MimeError> {
    // A multipart whose boundary never comes is read by mail-parser as one text part that it
    // lists as neither text nor HTML body: that text is the body.
    let root_is_lost_multipart = matches!(message.parts[0].body, PartType::Text(_))
        && message.parts[0]
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"));
    if root_is_lost_multipart && message.text_body.is_empty() && message.html_body.is_empty() {
        message.text_body.push(0);
    }

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
        from: sender(&message, data),
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
            .enumerate()
            .filter(|(_, h)| {
                h.name
                    .as_str()
                    .eq_ignore_ascii_case("authentication-results")
            })
            .map(|(position, h)| AuthenticationResults {
                position,
                value: unfold(header_bytes(data, h)),
            })
            .collect(),
        attachments: Vec::new(),
        delivery_report: report,
        size: size as u64,
        date: message
            .date()
            .filter(|d| d.is_valid())
            .map(|d| d.to_timestamp()),
        repairs,
    };
    // The parser's decoded parts go before the files are decoded from the raw bytes: a
    // 10 MiB attachment was otherwise held twice at once (docs/benchmarks.md, memory).
    drop(message);
    let (attachments, undecodable) = decode_attachments(data, found);
    mail.repairs.extend(undecodable);
    mail.attachments = attachments.iter().map(|a| a.info.clone()).collect();
    Ok(ParsedMail { mail, attachments })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn mail(raw: &str) -> InboundMail {
        match parse(raw.as_bytes()) {
            Ok(p) => p.mail,
            Err(e) => panic!("parse failed: {e}"),
        }
    }

    pub(super) const SIMPLE: &str = "From: Alice Example <Alice@Example.COM>\r\n\
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
        let found: Vec<(usize, String)> = mail(raw)
            .authentication_results
            .into_iter()
            .map(|a| (a.position, a.value))
            .collect();
        assert_eq!(
            found,
            vec![
                (1, "mx.example.com;\tdkim=pass header.d=x.com".to_string()),
                (2, "other; spf=fail".to_string())
            ]
        );
    }

    #[test]
    fn error_messages_are_lowercase_reasons() {
        let errors = [
            MimeError::NotAMail,
            MimeError::NulInHeaders { offset: 3 },
            MimeError::HeaderLineTooLong { len: 9, max: 1 },
            MimeError::HeadersTooLarge { len: 9, max: 1 },
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
    fn never_panics_on_prefixes_of_a_mail() {
        let raw = "From: a@x.com\r\nSubject: =?UTF-8?B?w6k=?=\r\nContent-Type: multipart/alternative; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 \r\nok\r\n--b\r\nContent-Type: text/html\r\n\r\n<div>x</div>\r\n--b--\r\n";
        for end in 0..=raw.len() {
            let _ = parse(&raw.as_bytes()[..end]);
        }
        assert_eq!(mail(raw).reply_text, "Café ok");
    }
}
