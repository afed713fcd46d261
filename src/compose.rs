//! A rendered [`Notice`] -> the bytes of one outgoing mail (SPEC §3.5). Pure: the Message-ID
//! and the date come in as arguments.
//!
//! The gateway never sends to a `Reply-To`: recipients are the notice's own addresses.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::core::{Notice, TicketId};
use crate::templates::Rendered;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("invalid address '{0}'")]
    Address(String),
    #[error("cannot build the mail: {0}")]
    Build(#[from] lettre::error::Error),
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
    /// Owned: it moves into the mail's body, so a big file is not held twice.
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

fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

/// Builds the mail: text/plain (with an HTML alternative where the template has one), and,
/// when `files` is not empty, those files as attachments of a multipart/mixed.
pub fn compose(
    n: &Notice,
    rendered: &Rendered,
    from: &Sender,
    message_id: &str,
    date: std::time::SystemTime,
    files: Vec<File>,
) -> Result<Composed, ComposeError> {
    let from_box = Mailbox::new(
        Some(from.name.to_string()),
        from.address
            .parse()
            .map_err(|_| ComposeError::Address(from.address.to_string()))?,
    );
    // Every mail about a ticket carries its tag; a quarantine notice names no ticket (id 0).
    let subject = if n.ticket.id.0 == 0 {
        format!("Undeliverable to support: {}", n.ticket.summary)
    } else {
        format!(
            "[{}] {}",
            n.ticket.id.tag(from.tag_prefix),
            n.ticket.summary
        )
    };
    let mut b = Message::builder()
        .from(from_box)
        .subject(subject)
        .date(date)
        .message_id(Some(format!("<{message_id}>")));
    let mut to = Vec::new();
    for addr in &n.to {
        let parsed = addr
            .parse()
            .map_err(|_| ComposeError::Address(addr.to_string()))?;
        b = b.to(Mailbox::new(None, parsed));
        to.push(addr.clone());
    }
    // Threading: answer the mail that caused this notice, and carry the ticket's thread.
    let parent = n
        .in_reply_to
        .clone()
        .or_else(|| n.ticket.thread.first().cloned());
    if let Some(p) = &parent {
        b = b.in_reply_to(format!("<{p}>"));
    }
    let mut refs: Vec<&String> = n.ticket.thread.iter().collect();
    if let Some(p) = &parent {
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
        let value = refs
            .iter()
            .map(|r| format!("<{r}>"))
            .collect::<Vec<_>>()
            .join(" ");
        b = b.references(value);
    }
    let auto = if n.kind.auto_generated() {
        "auto-generated"
    } else {
        "auto-replied"
    };
    b = b
        .raw_header(raw_header("Auto-Submitted", auto.into()))
        .raw_header(raw_header("X-Auto-Response-Suppress", "All".into()))
        .raw_header(raw_header("Content-Language", n.lang.as_str().into()))
        .raw_header(raw_header(
            "X-Ticket-Gateway",
            format!("{}; {}", n.ticket.id.tag(from.tag_prefix), n.kind.as_str()),
        ));
    let text = || {
        SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(rendered.text.clone())
    };
    let message = match (&rendered.html, files.is_empty()) {
        (None, true) => b.singlepart(text())?,
        (Some(html), true) => b.multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            html.clone(),
        ))?,
        (html, false) => {
            let mut mixed = match html {
                None => MultiPart::mixed().singlepart(text()),
                Some(html) => MultiPart::mixed().multipart(MultiPart::alternative_plain_html(
                    rendered.text.clone(),
                    html.clone(),
                )),
            };
            for f in files {
                let content_type = ContentType::parse(f.content_type).unwrap_or_else(|_| {
                    ContentType::parse("application/octet-stream").expect("a valid content type")
                });
                mixed = mixed
                    .singlepart(Attachment::new(f.name.to_string()).body(f.content, content_type));
            }
            b.multipart(mixed)?
        }
    };
    let raw = message.formatted();
    // The message (with its encoded files) goes before the caller gets the bytes.
    drop(message);
    Ok(Composed { raw, to })
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
        // The headers of SPEC §3.5 are all still there.
        assert!(text.contains("Auto-Submitted: auto-replied"));
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
}
