//! A rendered [`Notice`] -> the bytes of one outgoing mail (SPEC §3.5). Pure: the Message-ID
//! and the date come in as arguments.
//!
//! The gateway never sends to a `Reply-To`: recipients are the notice's own addresses.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::Message;

use crate::core::Notice;
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

pub struct Sender<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub tag_prefix: &'a str,
}

/// A new unguessable Message-ID (without angle brackets) from 16 random bytes.
pub fn message_id(random: [u8; 16], gateway_address: &str) -> String {
    let domain = gateway_address.rsplit('@').next().unwrap_or("localhost");
    let hex: String = random.iter().map(|b| format!("{b:02x}")).collect();
    format!("tg.{hex}@{domain}")
}

fn raw_header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

pub fn compose(
    n: &Notice,
    rendered: &Rendered,
    from: &Sender,
    message_id: &str,
    date: std::time::SystemTime,
) -> Result<Composed, ComposeError> {
    let from_box = Mailbox::new(
        Some(from.name.to_string()),
        from.address
            .parse()
            .map_err(|_| ComposeError::Address(from.address.to_string()))?,
    );
    let subject = format!("[{}] {}", n.ticket.id.tag(from.tag_prefix), n.ticket.summary);
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
    let message = match &rendered.html {
        None => b.singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(rendered.text.clone()),
        )?,
        Some(html) => b.multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            html.clone(),
        ))?,
    };
    Ok(Composed {
        raw: message.formatted(),
        to,
    })
}
