//! [`InboundMail`]: the core's own view of one incoming mail.
//!
//! `crate::mime` builds it from the raw bytes (charsets decoded, HTML turned into text,
//! quotes not yet stripped); everything the workflow needs is here, nothing of
//! mail-parser's types leaks past it.

/// One mailbox address, lower-cased, with its display name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    /// `local@domain`, lower case.
    pub addr: String,
    pub name: Option<String>,
}

impl Address {
    pub fn new(addr: &str) -> Address {
        Address {
            addr: addr.trim().to_ascii_lowercase(),
            name: None,
        }
    }

    pub fn domain(&self) -> &str {
        self.addr.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
    }
}

/// Headers that tell automated mail apart (SPEC §3.6), as found in the mail.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AutoSignals {
    /// Value of `Auto-Submitted`, if present.
    pub auto_submitted: Option<String>,
    /// Value of `Precedence`, if present.
    pub precedence: Option<String>,
    pub list_id: bool,
    /// `X-Autoreply` or `X-Autorespond` present.
    pub x_autoreply: bool,
    /// `Return-Path` value, `Some("")` for the null path `<>`.
    pub return_path: Option<String>,
    /// Names of the loop headers of other helpdesks found (`X-Loop`, `X-RT-Loop-Prevention`, ...).
    pub loop_headers: Vec<String>,
    /// `X-Auto-Response-Suppress` present (Exchange's own auto replies carry it).
    pub auto_response_suppress: bool,
}

/// One `Authentication-Results` header field (RFC 8601) as found in the mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    /// Its place among all the header fields of the mail, 0 the topmost: fields with
    /// consecutive places have no other field between them.
    pub position: usize,
    /// The raw value, unfolded.
    pub value: String,
}

/// One attachment as found in the mail (content kept by the adapter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    /// Sanitised file name.
    pub name: String,
    pub content_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
}

/// An RFC 3464 delivery-status report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeliveryReport {
    /// Message-ID of the returned (original) message, without angle brackets.
    pub original_message_id: Option<String>,
    pub recipients: Vec<DeliveryRecipient>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecipient {
    pub address: String,
    /// `failed`, `delayed`, `delivered`, `relayed`, `expanded`.
    pub action: String,
    /// `5.1.1`.
    pub status: String,
    pub diagnostic: Option<String>,
}

/// Something the parser read liberally rather than refuse the mail (SPEC §3.8 "be liberal"):
/// each one is a line of the decision log, so that staff know why a file is raw or a part is
/// missing from the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MimeRepair {
    /// Lines before the header block that are not headers (an mbox `From ` line, junk).
    SkippedBeforeHeaders { lines: usize },
    /// A multipart whose declared boundary never comes while its parts use another one.
    BoundaryMismatch { declared: String, used: String },
    /// A multipart whose closing delimiter never comes: its parts are read to the end.
    UnclosedMultipart { boundary: String },
    /// A part whose transfer encoding does not decode, kept as it came under `file`.
    UndecodablePart {
        file: String,
        content_type: String,
        encoding: String,
    },
}

impl std::fmt::Display for MimeRepair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MimeRepair::SkippedBeforeHeaders { lines } => write!(
                f,
                "mime: {lines} line(s) before the headers that are not headers, skipped"
            ),
            MimeRepair::BoundaryMismatch { declared, used } => write!(
                f,
                "mime: boundary {declared:?} is declared but the parts use {used:?}, read with it"
            ),
            MimeRepair::UnclosedMultipart { boundary } => write!(
                f,
                "mime: multipart with boundary {boundary:?} is never closed, read to the end of the mail"
            ),
            MimeRepair::UndecodablePart {
                file,
                content_type,
                encoding,
            } => write!(
                f,
                "mime: a {content_type} part has broken {encoding}, kept as it came as {file}"
            ),
        }
    }
}

/// The core's view of a mail. Message-IDs are without angle brackets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboundMail {
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// First `From` mailbox; `None` when there is no usable sender.
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    /// Decoded subject (RFC 2047), one line.
    pub subject: String,
    /// The whole body as text: the text/plain part, or the HTML part turned into text.
    /// Quotes and signatures are still in it.
    pub body: String,
    /// The body with quoted parts and signatures removed (SPEC §3.2): the new text only.
    /// For HTML mail the quote blocks are removed from the HTML before conversion.
    pub reply_text: String,
    /// Nothing new was found once quotes and signatures were removed, while the mail has
    /// unquoted text of its own: `reply_text` is that text, kept whole rather than lost
    /// (the decision log says so).
    pub reply_kept_whole: bool,
    /// `Content-Language` (first tag, lower case, e.g. `fr`).
    pub content_language: Option<String>,
    pub auto: AutoSignals,
    /// The `Authentication-Results` header fields, top first.
    pub authentication_results: Vec<AuthenticationResults>,
    pub attachments: Vec<AttachmentInfo>,
    pub delivery_report: Option<DeliveryReport>,
    /// Size of the raw message in bytes.
    pub size: u64,
    /// `Date`, as Unix seconds.
    pub date: Option<i64>,
    /// What was read liberally (SPEC §3.8), in the order found.
    pub repairs: Vec<MimeRepair>,
}
