//! A rendered [`Notice`] -> the bytes of one outgoing mail (SPEC §3.5). Pure: the Message-ID
//! and the date come in as arguments.
//!
//! The gateway never sends to a `Reply-To`: recipients are the notice's own addresses.
//!
//! The mail is written here with `email-encoding`'s primitives (RFC 2047 words, RFC 2231
//! file names, folding) rather than lettre's message builder: the builder kept every header
//! as a string and parsed the address headers back to build an envelope the gateway never
//! used, which made composing a fifth of the time a mail spent deciding and committing
//! (docs/benchmarks.md). Every header value that could carry someone else's text (a summary,
//! a Message-ID from a customer's mail, a file name) goes through an encoder that writes
//! control characters and non-ASCII only inside encoded words, so it cannot end the header.

use std::fmt::Write;

use email_encoding::body::Encoding;
use email_encoding::headers::writer::EmailWriter;
use lettre::Address;
use sha2::{Digest, Sha256};

use crate::core::{Lang, Notice, NoticeKind, TicketId};
use crate::templates::Rendered;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid address '{0}'")]
    Address(String),
}

/// What a composed mail carries besides its bytes.
pub struct Composed {
    pub raw: Vec<u8>,
    pub to: Vec<String>,
}

/// A file the mail carries (SPEC §3.7). Its content comes from the attachment store, read by
/// the caller: compose does no I/O.
pub struct File<'a> {
    /// Sanitised by `mime` when the file came in; kept as the file name.
    pub name: &'a str,
    pub content_type: &'a str,
    /// Owned: it is encoded into the mail and dropped, so a big file is not held twice.
    pub content: Vec<u8>,
}

pub struct Sender<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub tag_prefix: &'a str,
}

/// A new unguessable Message-ID (without angle brackets) for a mail about `ticket`, in the
/// gateway's domain (SPEC §3.5).
pub fn message_id(ticket: TicketId, random: [u8; 16], gateway_address: &str) -> String {
    let domain = gateway_address.rsplit('@').next().unwrap_or("localhost");
    ticket.message_id(random, domain)
}

/// Builds the mail: text/plain (with an HTML alternative where the template has one), and,
/// when `files` is not empty, those files as attachments of a multipart/mixed.
pub(crate) fn compose(
    n: &Notice,
    rendered: &Rendered,
    from: &Sender,
    message_id: &str,
    date: std::time::SystemTime,
    files: Vec<File>,
) -> Result<Composed, ComposeError> {
    let from_address = address(from.address)?;
    let to =
        n.to.iter()
            .map(|a| address(a).map(|_| a.clone()))
            .collect::<Result<Vec<_>, _>>()?;
    // Every mail about a ticket carries its tag; a quarantine notice, a flood summary or a
    // list of tickets names no ticket (id 0).
    let subject = if n.ticket.id.number() == 0 {
        match (n.kind, n.lang) {
            (NoticeKind::FloodSummary, Lang::En) => {
                format!("Emails from {} summed up", n.ticket.summary)
            }
            (NoticeKind::FloodSummary, Lang::Fr) => {
                format!("Messages de {} résumés", n.ticket.summary)
            }
            (NoticeKind::TicketList, Lang::En) => format!("Your tickets with {}", from.name),
            (NoticeKind::TicketList, Lang::Fr) => format!("Vos tickets chez {}", from.name),
            _ => format!("Undeliverable to support: {}", n.ticket.summary),
        }
    } else {
        // A team copy says so before anything else a reader scans: it is a colleague's
        // mail, not a customer's (SPEC §2.6).
        let copy = match (n.kind, n.lang) {
            (NoticeKind::TeamCopy, Lang::En) => "Copy: ",
            (NoticeKind::TeamCopy, Lang::Fr) => "Copie : ",
            _ => "",
        };
        format!(
            "[{}] {copy}{}",
            n.ticket.id.tag(from.tag_prefix),
            n.ticket.summary
        )
    };
    let mut head = String::with_capacity(1024);
    mailbox_header(&mut head, "From", Some(from.name), from_address.as_ref());
    text_header(&mut head, "To", &to.join(", "));
    text_header(&mut head, "Subject", &subject);
    let date = httpdate::fmt_http_date(date);
    // httpdate ends in the obsolete zone "GMT"; mail writes UTC as +0000 (RFC 5322 §3.3).
    let date = date
        .strip_suffix("GMT")
        .map_or(date.clone(), |d| format!("{d}+0000"));
    text_header(&mut head, "Date", &date);
    text_header(&mut head, "Message-ID", &format!("<{message_id}>"));
    // Threading: answer the mail that caused this notice, and carry the ticket's thread; a
    // reader is given only the ids of mails they could have seen (a customer never the id
    // of a staff mail, a note or a staff-only notice).
    let thread = n.ticket.thread_for(n.audience);
    let parent = n
        .in_reply_to
        .as_ref()
        .filter(|p| thread.contains(p))
        .or_else(|| thread.first());
    if let Some(p) = parent {
        text_header(&mut head, "In-Reply-To", &format!("<{p}>"));
    }
    let mut refs: Vec<&String> = thread.iter().collect();
    if let Some(p) = parent {
        if !refs.contains(&p) {
            refs.push(p);
        }
    }
    // Keep References bounded: the root and the newest ones.
    if refs.len() > 20 {
        let mut kept = vec![refs[0]];
        kept.extend_from_slice(&refs[refs.len() - 19..]);
        refs = kept;
    }
    if !refs.is_empty() {
        let mut line = String::new();
        for (i, r) in refs.iter().enumerate() {
            if i > 0 {
                line.push(' ');
            }
            line.push('<');
            line.push_str(r);
            line.push('>');
        }
        text_header(&mut head, "References", &line);
    }
    // RFC 3834 marks automatic answers; a staff member's comment is written by a person.
    // Loops stay caught by the gateway's own address and X-Ticket-Gateway header.
    if !n.kind.written_by_a_person() {
        let auto = if n.kind.auto_generated() {
            "auto-generated"
        } else {
            "auto-replied"
        };
        text_header(&mut head, "Auto-Submitted", auto);
    }
    text_header(&mut head, "X-Auto-Response-Suppress", "All");
    text_header(&mut head, "Content-Language", n.lang.as_str());
    text_header(
        &mut head,
        "X-Ticket-Gateway",
        &format!("{}; {}", n.ticket.id.tag(from.tag_prefix), n.kind.as_str()),
    );
    text_header(&mut head, "MIME-Version", "1.0");

    // Sized for the whole mail up front: a forwarded 10 MiB file grown into place by
    // doubling held twice its encoded size at once, which set the daemon's peak memory.
    let files_len: usize = files
        .iter()
        .map(|f| email_encoding::body::base64::encoded_len(f.content.len()) + 512)
        .sum();
    let text_len = 3 * (rendered.text.len() + rendered.html.as_ref().map_or(0, String::len));
    let mut out = String::with_capacity(head.len() + text_len + files_len + 1024);
    out.push_str(&head);
    drop(head);
    let mut boundaries = Boundaries::new(message_id);
    let text = |out: &mut String| {
        text_part(out, "text/plain; charset=utf-8", &rendered.text);
    };
    let body = |out: &mut String, boundaries: &mut Boundaries| match &rendered.html {
        None => text(out),
        Some(html) => {
            let b = boundaries.next();
            multipart_header(out, "alternative", &b);
            out.push_str("\r\n");
            start_part(out, &b);
            text(out);
            start_part(out, &b);
            text_part(out, "text/html; charset=utf-8", html);
            end_multipart(out, &b);
        }
    };
    if files.is_empty() {
        body(&mut out, &mut boundaries);
    } else {
        let b = boundaries.next();
        multipart_header(&mut out, "mixed", &b);
        out.push_str("\r\n");
        start_part(&mut out, &b);
        body(&mut out, &mut boundaries);
        for f in files {
            start_part(&mut out, &b);
            attachment_part(&mut out, f);
        }
        end_multipart(&mut out, &b);
    }
    let raw = out.into_bytes();
    Ok(Composed { raw, to })
}

/// A checked address (RFC 5321 local part and domain): nothing else reaches a header.
fn address(a: &str) -> Result<Address, ComposeError> {
    a.parse().map_err(|_| ComposeError::Address(a.to_string()))
}

/// `fmt::Write` into a `String` cannot fail.
const STRING_WRITE: &str = "writing to a String cannot fail";

/// `Name: value` with its line ending, folded at spaces before 78 columns. Words that are
/// not plain printable ASCII (non-ASCII text, a CR or LF someone slipped into a summary or
/// a Message-ID) are written as RFC 2047 encoded words, never raw.
fn text_header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push_str(": ");
    {
        let mut w = EmailWriter::new(out, name.len() + 2, 0, false);
        let mut encode = String::new();
        for word in value.split_inclusive(' ') {
            if word
                .bytes()
                .all(|b| matches!(b, 1..=9 | 11 | 12 | 14..=127))
            {
                flush_encoded(&mut encode, &mut w);
                w.folding().write_str(word).expect(STRING_WRITE);
            } else {
                encode.push_str(word);
            }
        }
        flush_encoded(&mut encode, &mut w);
    }
    out.push_str("\r\n");
}

/// Writes the words gathered in `words` as encoded words, keeping their trailing spaces as
/// separators.
fn flush_encoded(words: &mut String, w: &mut EmailWriter<'_>) {
    if words.is_empty() {
        return;
    }
    let text = words.trim_end_matches(' ');
    email_encoding::headers::rfc2047::encode(text, w).expect(STRING_WRITE);
    for _ in text.len()..words.len() {
        w.space();
    }
    words.clear();
}

/// `Name: "Display Name" <address>` (the name quoted or encoded as it needs).
fn mailbox_header(out: &mut String, name: &str, display: Option<&str>, addr: &str) {
    out.push_str(name);
    out.push_str(": ");
    {
        let mut w = EmailWriter::new(out, name.len() + 2, 0, false);
        if let Some(display) = display.filter(|d| !d.trim().is_empty()) {
            email_encoding::headers::quoted_string::encode(display, &mut w).expect(STRING_WRITE);
            w.space();
            w.write_char('<').expect(STRING_WRITE);
            w.write_str(addr).expect(STRING_WRITE);
            w.write_char('>').expect(STRING_WRITE);
        } else {
            w.write_str(addr).expect(STRING_WRITE);
        }
    }
    out.push_str("\r\n");
}

/// Multipart boundaries of one mail: derived from its Message-ID, which nobody knows before
/// the mail is sent, so no text in it can hold one. `=_` never appears in quoted-printable
/// or base64 output.
struct Boundaries {
    seed: [u8; 32],
    n: u8,
}

impl Boundaries {
    fn new(message_id: &str) -> Self {
        Boundaries {
            seed: Sha256::digest(message_id.as_bytes()).into(),
            n: 0,
        }
    }

    fn next(&mut self) -> String {
        self.n += 1;
        let mut b = format!("=_tg{}_", self.n);
        for byte in &self.seed[..16] {
            write!(b, "{byte:02x}").expect(STRING_WRITE);
        }
        b
    }
}

fn multipart_header(out: &mut String, kind: &str, boundary: &str) {
    write!(
        out,
        "Content-Type: multipart/{kind}; boundary=\"{boundary}\"\r\n"
    )
    .expect(STRING_WRITE);
}

fn start_part(out: &mut String, boundary: &str) {
    out.push_str("--");
    out.push_str(boundary);
    out.push_str("\r\n");
}

fn end_multipart(out: &mut String, boundary: &str) {
    out.push_str("--");
    out.push_str(boundary);
    out.push_str("--\r\n");
}

/// A text part: 7bit when it is short-lined ASCII, else quoted-printable (or base64 when
/// that is shorter), with CRLF line ends; the part ends with a line end. Everything written
/// is ASCII (8bit is never chosen: the mail must pass servers without SMTPUTF8/8BITMIME).
fn text_part(out: &mut String, content_type: &str, text: &str) {
    let encoding = Encoding::choose(text, false);
    let text = crlf(text);
    write_part_headers(out, content_type, encoding, None);
    match encoding {
        Encoding::SevenBit | Encoding::EightBit => out.push_str(&text),
        Encoding::QuotedPrintable => out.push_str(&quoted_printable::encode_to_str(&*text)),
        Encoding::Base64 => {
            email_encoding::body::base64::encode(text.as_bytes(), out).expect(STRING_WRITE)
        }
    }
    out.push_str("\r\n");
}

fn attachment_part(out: &mut String, f: File) {
    // The type came in with the file; anything that is not a valid MIME type is sent as
    // bytes.
    let content_type = f.content_type.parse::<mime::Mime>().map_or_else(
        |_| "application/octet-stream".to_string(),
        |m| m.to_string(),
    );
    let mut disposition = String::from("Content-Disposition: ");
    {
        let mut w = EmailWriter::new(&mut disposition, "Content-Disposition: ".len(), 0, false);
        w.write_str("attachment;").expect(STRING_WRITE);
        w.space();
        email_encoding::headers::rfc2231::encode("filename", f.name, &mut w).expect(STRING_WRITE);
    }
    disposition.push_str("\r\n");
    write_part_headers(out, &content_type, Encoding::Base64, Some(&disposition));
    email_encoding::body::base64::encode(&f.content, out).expect(STRING_WRITE);
    // The file goes as soon as it is encoded, before the next one is.
    drop(f.content);
    out.push_str("\r\n");
}

fn write_part_headers(
    out: &mut String,
    content_type: &str,
    encoding: Encoding,
    disposition: Option<&str>,
) {
    text_header(out, "Content-Type", content_type);
    if let Some(d) = disposition {
        out.push_str(d);
    }
    let cte = match encoding {
        Encoding::SevenBit => "7bit",
        Encoding::EightBit => "8bit",
        Encoding::QuotedPrintable => "quoted-printable",
        Encoding::Base64 => "base64",
    };
    text_header(out, "Content-Transfer-Encoding", cte);
    out.push_str("\r\n");
}

/// `text` with every line ending CRLF (a lone LF gains its CR). Line by line, so that the
/// copy is one slice a line (a notice's HTML part is several kilobytes).
fn crlf(text: &str) -> std::borrow::Cow<'_, str> {
    let bare = |line: &str| line.ends_with('\n') && !line.ends_with("\r\n");
    if !text.split_inclusive('\n').any(bare) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + text.len() / 32);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n').filter(|_| bare(line)) {
            Some(start) => {
                out.push_str(start);
                out.push_str("\r\n");
            }
            None => out.push_str(line),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::{Lang, NoticeKind};
    use mail_parser::{MessageParser, MimeHeaders};

    fn sender() -> Sender<'static> {
        Sender {
            name: "Example Support",
            address: "support@example.com",
            tag_prefix: "SUP",
        }
    }

    fn build(kind: NoticeKind, html: Option<&str>, files: Vec<File>) -> Vec<u8> {
        let n = crate::templates::sample_notice(kind, Lang::En);
        let rendered = Rendered {
            text: "Hello, here is the driver.\n".into(),
            html: html.map(str::to_string),
        };
        compose(
            &n,
            &rendered,
            &sender(),
            "tg.1@example.com",
            std::time::SystemTime::UNIX_EPOCH,
            files,
        )
        .expect("composes")
        .raw
    }

    #[test]
    fn files_travel_as_real_attachments_with_their_names_and_bytes() {
        let png: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
        let raw = build(
            NoticeKind::StaffUpdate,
            None,
            vec![
                File {
                    name: "écran 1.png",
                    content_type: "image/png",
                    content: png.clone(),
                },
                File {
                    name: "notes.txt",
                    content_type: "not a content type",
                    content: b"line 1\nline 2\n".to_vec(),
                },
            ],
        );
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("multipart/mixed"), "{text}");
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.body_text(0).unwrap().trim(), "Hello, here is the driver.");
        let files: Vec<_> = m.attachments().collect();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].attachment_name(), Some("écran 1.png"));
        assert_eq!(files[0].contents(), &png[..]);
        let ct = files[0].content_type().unwrap();
        assert_eq!((ct.ctype(), ct.subtype()), ("image", Some("png")));
        assert_eq!(files[1].attachment_name(), Some("notes.txt"));
        assert_eq!(files[1].contents(), b"line 1\nline 2\n");
        let ct = files[1].content_type().unwrap();
        assert_eq!(
            (ct.ctype(), ct.subtype()),
            ("application", Some("octet-stream"))
        );
        // The headers of SPEC §3.5 are all still there; a staff member's comment is
        // written by a person: no Auto-Submitted, and the gateway's own header.
        assert!(!text.contains("Auto-Submitted"), "{text}");
        assert!(text.contains("X-Ticket-Gateway: SUP-42; staff_update"));
        assert!(text.contains("Content-Language: en"));
        assert!(text.contains("Subject: [SUP-42] "));
    }

    #[test]
    fn html_alternative_and_files_together() {
        let raw = build(
            NoticeKind::Acknowledgement,
            Some("<p>Hello</p>"),
            vec![File {
                name: "a.pdf",
                content_type: "application/pdf",
                content: b"%PDF-1.4".to_vec(),
            }],
        );
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.text_body_count(), 1);
        assert_eq!(m.html_body_count(), 1);
        assert!(m.body_html(0).unwrap().contains("<p>Hello</p>"));
        assert_eq!(m.attachments().count(), 1);
        assert!(String::from_utf8_lossy(&raw).contains("multipart/alternative"));
    }

    #[test]
    fn without_files_the_mail_is_a_single_text_part() {
        let raw = build(NoticeKind::Reminder, None, vec![]);
        let text = String::from_utf8_lossy(&raw);
        assert!(!text.contains("multipart"), "{text}");
        assert!(text.contains("Auto-Submitted: auto-generated"));
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.attachments().count(), 0);
    }

    #[test]
    fn automatic_notices_say_so_and_a_team_copy_says_it_is_a_copy() {
        let header = |kind| {
            let raw = build(kind, None, vec![]);
            let m = MessageParser::default().parse(&raw).unwrap();
            (
                m.header_raw("Auto-Submitted").map(|v| v.trim().to_string()),
                m.subject().unwrap_or("").to_string(),
            )
        };
        assert_eq!(
            header(NoticeKind::Acknowledgement).0.as_deref(),
            Some("auto-replied")
        );
        assert_eq!(
            header(NoticeKind::CloseConfirmed).0.as_deref(),
            Some("auto-replied")
        );
        assert_eq!(
            header(NoticeKind::Escalation).0.as_deref(),
            Some("auto-generated")
        );
        assert_eq!(header(NoticeKind::StaffUpdate).0, None);
        let (auto, subject) = header(NoticeKind::TeamCopy);
        assert_eq!(auto.as_deref(), Some("auto-generated"));
        assert_eq!(
            subject,
            "[SUP-42] Copy: Printer is broken {{ not template code }}"
        );
    }

    fn text_only(text: &str) -> Rendered {
        Rendered {
            text: text.into(),
            html: None,
        }
    }

    fn compose_notice(n: &Notice, rendered: &Rendered, message_id: &str) -> Vec<u8> {
        compose(
            n,
            rendered,
            &sender(),
            message_id,
            std::time::SystemTime::UNIX_EPOCH,
            vec![],
        )
        .expect("composes")
        .raw
    }

    fn header_block(raw: &[u8]) -> String {
        let text = String::from_utf8_lossy(raw);
        text.split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_string()
    }

    #[test]
    fn text_from_a_mail_cannot_start_a_header_of_its_own() {
        let mut n = crate::templates::sample_notice(NoticeKind::Acknowledgement, Lang::En);
        n.ticket.summary = "Printer down\r\nBcc: victim@example.net".into();
        n.in_reply_to = Some("x@y\r\nX-Injected: 1".into());
        let rendered = text_only("Hello\n");
        let raw = compose_notice(&n, &rendered, "tg.42.00@example.com");
        let head = header_block(&raw);
        for line in head.split("\r\n") {
            assert!(
                !line.starts_with("Bcc") && !line.starts_with("X-Injected"),
                "{head}"
            );
            assert!(!line.contains('\r') && !line.contains('\n'), "{head}");
        }
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            m.subject(),
            Some("[SUP-42] Printer down\r\nBcc: victim@example.net")
        );
        assert!(m.header("Bcc").is_none());
        assert!(m.header("X-Injected").is_none());
    }

    #[test]
    fn non_ascii_subject_and_sender_name_come_back_whole() {
        let mut n = crate::templates::sample_notice(NoticeKind::Acknowledgement, Lang::Fr);
        n.ticket.summary =
            "Problème d'accès à l'imprimante du 3e étage, encore une fois, après la mise à jour"
                .into();
        let from = Sender {
            name: "Équipe \"Support\", Paris",
            address: "support@example.com",
            tag_prefix: "SUP",
        };
        let rendered = text_only("Bonjour\n");
        let raw = compose(
            &n,
            &rendered,
            &from,
            "tg.42.00@example.com",
            std::time::SystemTime::UNIX_EPOCH,
            vec![],
        )
        .unwrap()
        .raw;
        let head = header_block(&raw);
        assert!(head.is_ascii(), "{head}");
        assert!(head.split("\r\n").all(|l| l.len() <= 78), "{head}");
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(
            m.subject(),
            Some("[SUP-42] Problème d'accès à l'imprimante du 3e étage, encore une fois, après la mise à jour")
        );
        let from = m.from().and_then(|f| f.first()).unwrap();
        assert_eq!(from.name(), Some("Équipe \"Support\", Paris"));
        assert_eq!(from.address(), Some("support@example.com"));
        assert_eq!(m.message_id(), Some("tg.42.00@example.com"));
        assert_eq!(
            m.header_raw("Date").map(str::trim),
            Some("Thu, 01 Jan 1970 00:00:00 +0000")
        );
    }

    #[test]
    fn a_customer_is_given_only_ids_of_mails_they_could_have_seen() {
        let mut n = crate::templates::sample_notice(NoticeKind::StaffUpdate, Lang::En);
        n.ticket.thread = vec![
            "alice.1@customer.test".into(),
            "tg.42.new-ticket@example.com".into(),
            "tg.42.ack@example.com".into(),
            "staff.2@example.com".into(),
        ];
        n.ticket.public_thread = vec![
            "alice.1@customer.test".into(),
            "tg.42.ack@example.com".into(),
        ];
        // The staff member's own mail caused it: the customer never saw that one.
        n.in_reply_to = Some("staff.2@example.com".into());
        let raw = compose_notice(&n, &text_only("Hello\n"), "tg.42.00@example.com");
        let m = MessageParser::default().parse(&raw).unwrap();
        let refs: Vec<String> = m
            .references()
            .as_text_list()
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert_eq!(refs, n.ticket.public_thread);
        assert_eq!(m.in_reply_to().as_text(), Some("alice.1@customer.test"));

        // Staff are given the whole thread.
        let mut staff = crate::templates::sample_notice(NoticeKind::CustomerUpdate, Lang::En);
        staff.ticket = n.ticket.clone();
        staff.in_reply_to = Some("staff.2@example.com".into());
        let raw = compose_notice(&staff, &text_only("Hello\n"), "tg.42.01@example.com");
        let m = MessageParser::default().parse(&raw).unwrap();
        assert_eq!(m.references().as_text_list().unwrap().len(), 4);
        assert_eq!(m.in_reply_to().as_text(), Some("staff.2@example.com"));
    }

    #[test]
    fn a_long_thread_is_folded_and_keeps_its_root_and_newest_ids() {
        let mut n = crate::templates::sample_notice(NoticeKind::StaffUpdate, Lang::En);
        n.ticket.public_thread = (0..30)
            .map(|i| format!("id-{i}.abcdefgh@mail.example.org"))
            .collect();
        n.in_reply_to = Some("id-29.abcdefgh@mail.example.org".into());
        let rendered = text_only("Hello\n");
        let raw = compose_notice(&n, &rendered, "tg.42.00@example.com");
        let head = header_block(&raw);
        assert!(head.split("\r\n").all(|l| l.len() <= 78), "{head}");
        let m = MessageParser::default().parse(&raw).unwrap();
        let refs: Vec<String> = m
            .references()
            .as_text_list()
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        let mut expected = vec!["id-0.abcdefgh@mail.example.org".to_string()];
        expected.extend((11..30).map(|i| format!("id-{i}.abcdefgh@mail.example.org")));
        assert_eq!(refs, expected);
        assert_eq!(
            m.in_reply_to().as_text(),
            Some("id-29.abcdefgh@mail.example.org")
        );
    }

    #[test]
    fn bodies_come_back_as_written_whatever_their_lines_and_characters() {
        let long = "word ".repeat(40);
        for text in [
            "Plain ASCII\nsecond line\n".to_string(),
            format!("A long ASCII line: {long}\n"),
            "Déjà vu, à bientôt\r\nmixed\nline ends\n".to_string(),
            format!("Très long: {long}é\n"),
            "=?utf-8?q?not_a_word?= and = signs =3D\n".to_string(),
        ] {
            let n = crate::templates::sample_notice(NoticeKind::Acknowledgement, Lang::Fr);
            let rendered = Rendered {
                text: text.clone(),
                html: Some(format!("<p>{text}</p>")),
            };
            let raw = compose_notice(&n, &rendered, "tg.42.00@example.com");
            let lines = String::from_utf8_lossy(&raw);
            assert!(lines.split("\r\n").all(|l| l.len() <= 998), "{lines}");
            assert!(
                !lines.replace("\r\n", "").contains('\n'),
                "bare LF in {lines}"
            );
            let m = MessageParser::default().parse(&raw).unwrap();
            let back = m.body_text(0).unwrap().replace("\r\n", "\n");
            assert_eq!(back, text.replace("\r\n", "\n"));
            let html = m.body_html(0).unwrap().replace("\r\n", "\n");
            assert_eq!(html, format!("<p>{}</p>", text.replace("\r\n", "\n")));
        }
    }

    #[test]
    fn every_line_ends_in_crlf_and_nothing_else_changes() {
        for (text, want) in [
            ("", ""),
            ("\n", "\r\n"),
            ("a\nb", "a\r\nb"),
            ("a\r\nb\n", "a\r\nb\r\n"),
            ("\r\n\n\n", "\r\n\r\n\r\n"),
            ("é\nà\r\n", "é\r\nà\r\n"),
            ("a\rb\n\r", "a\rb\r\n\r"),
            ("no line end", "no line end"),
        ] {
            assert_eq!(crlf(text), want, "{text:?}");
        }
        assert!(matches!(crlf("a\r\nb"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn each_mail_has_boundaries_of_its_own() {
        let n = crate::templates::sample_notice(NoticeKind::Acknowledgement, Lang::En);
        let rendered = Rendered {
            text: "Hello\n".into(),
            html: Some("<p>Hello</p>".into()),
        };
        let boundary = |id: &str| {
            let raw = String::from_utf8(compose_notice(&n, &rendered, id)).unwrap();
            let b = raw.split("boundary=\"").nth(1).unwrap();
            b[..b.find('"').unwrap()].to_string()
        };
        let (a, b) = (
            boundary("tg.42.aa@example.com"),
            boundary("tg.42.bb@example.com"),
        );
        assert_ne!(a, b);
        assert_eq!(
            a,
            boundary("tg.42.aa@example.com"),
            "the same mail, the same bytes"
        );
    }

    #[test]
    fn a_bad_recipient_is_refused_not_written() {
        let mut n = crate::templates::sample_notice(NoticeKind::Acknowledgement, Lang::En);
        n.to = vec!["someone@example.com>, <evil@example.net".into()];
        let rendered = text_only("Hello\n");
        let r = compose(
            &n,
            &rendered,
            &sender(),
            "tg.42.00@example.com",
            std::time::SystemTime::UNIX_EPOCH,
            vec![],
        );
        assert!(matches!(r, Err(ComposeError::Address(_))));
    }
}
