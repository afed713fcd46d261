//! The decision log (SPEC §3.9): why the core did what it did, one [`Decision`] a line.
//!
//! Each kind of line is a variant carrying its data; the text that `show`, `why`, the JSON
//! views, the log and the stored records read is rendered by `Display`, at the edge. Adding a
//! kind of line means adding a variant: every `match` below lists them all.

use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use super::effect::{NoticeKind, QuarantineReason};
use super::fields::{Change, Field};
use super::inbound::MimeRepair;
use super::language::LanguageChoice;
use super::sla::SlaKind;
use super::workflow::MatchedBy;
use super::{AttachmentInfo, Audience, Keyword, State};

/// One line of the decision log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The sender is an address of the gateway: its own mail came back.
    OwnMail {
        sender: String,
    },
    /// The mail belongs to this ticket (its tag, e.g. `TKT-12`).
    Matched {
        tag: String,
        by: MatchedBy,
    },
    MatchedNothing,
    /// Nothing new was left once quotes and signatures were removed.
    ReplyKeptWhole,
    /// Automated mail (SPEC §3.6), by this rule.
    Automated {
        rule: String,
    },
    RecordedOn {
        tag: String,
    },
    Staff {
        sender: String,
        how: String,
    },
    /// A staff address that failed authentication (SPEC §3.4).
    StaffUnauthenticated {
        sender: String,
        how: String,
    },
    Customer {
        sender: String,
        role: CustomerRole,
    },
    /// A sender who is not a customer of the ticket the mail matched.
    Stranger {
        sender: String,
        tag: String,
    },
    StaffWarned {
        to: Vec<String>,
    },
    PublicComment,
    FirstKeywordOnly {
        found: Vec<Keyword>,
        applied: Keyword,
    },
    Note,
    KeywordApplied {
        keyword: Keyword,
        from: State,
        to: State,
    },
    KeywordRefused {
        keyword: Keyword,
        state: State,
        allowed: Vec<Keyword>,
    },
    /// A staff keyword line holding a word that is not a keyword (SPEC §3.3).
    Held {
        word: String,
        nearest: Option<String>,
        allowed: Vec<Keyword>,
    },
    CustomerKeyword(Option<Keyword>),
    StateChange {
        from: State,
        to: State,
    },
    StateStays(State),
    ClosedNoChange,
    ClosedComment,
    ClosedNewTicket {
        tag: String,
    },
    NewTicket {
        tag: String,
        reporter: String,
    },
    Participants(Vec<String>),
    Language(LanguageChoice),
    MarkedAutomated,
    SummaryCut {
        kept: usize,
        total: usize,
    },
    /// Attachments over `gateway.max_message_size` each (SPEC §3.7).
    AttachmentsTooBig {
        max: u64,
        files: Vec<FileSize>,
    },
    /// Attachments past the first `kept`.
    AttachmentsTooMany {
        kept: usize,
        files: Vec<FileSize>,
    },
    /// Attachments listed in a notice but not carried (`gateway.forward_attachments_max`).
    NotForwarded {
        max: u64,
        files: Vec<FileSize>,
    },
    /// A flooding sender's staff notices held for the hourly summary.
    FloodFolded {
        mails: u32,
        sender: String,
        max: u32,
    },
    /// A recipient dropped from a notice by the delivery rules.
    NotSent {
        kind: NoticeKind,
        to: String,
        because: NotSentBecause,
    },
    FloodSummary {
        mails: usize,
        sender: String,
    },
    /// A delivery report naming no mail the gateway sent.
    ReportUnknown {
        named: String,
    },
    NotARecipient {
        address: String,
        named: String,
    },
    ReportNoFailure {
        named: String,
    },
    DeliveryFailed {
        named: String,
        audience: Audience,
        failed: Vec<FailedRecipient>,
    },
    HardBounced {
        address: String,
        status: String,
    },
    /// The mail is quarantined; `detail` is for the operator only.
    Quarantined {
        detail: String,
    },
    NoQuarantineNotice(NoNotice),
    QuarantineNotice {
        to: String,
        reason: QuarantineReason,
        language: LanguageChoice,
    },
    Reminder {
        after: i64,
        state: State,
    },
    AutoClosed {
        after: i64,
        state: State,
    },
    /// What the MIME reader read liberally.
    Mime(MimeRepair),
    NotComposed {
        kind: NoticeKind,
        error: String,
    },
    /// A `#list` request (SPEC §3.10): `total` tickets where the sender is reporter or
    /// participant, `open` of those listed still open; no ticket is opened.
    ListAsked {
        sender: String,
        total: usize,
        open: usize,
    },
    /// A `#list` request sent by automated mail: never answered.
    ListFromAutomated {
        rule: String,
    },
    /// The customer's field line set a field of a new ticket (SPEC §2.5).
    FieldFromMail {
        field: Field,
        value: String,
    },
    /// The customer's field line held a value the field does not know: the default stays.
    FieldValueUnknown {
        field: Field,
        written: String,
    },
    /// A staff keyword changed a field or the owner.
    FieldChanged(Change),
    /// A staff mail copied to the rest of the team (SPEC §2.6).
    TeamCopied {
        to: Vec<String>,
    },
    /// A service level breached, and who was told (SPEC §2.7).
    SlaBreached {
        what: SlaKind,
        after: i64,
        to: Vec<String>,
    },
    /// A line as a stored record holds it (already rendered).
    Recorded(String),
}

/// Who a customer sender is on the ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerRole {
    Reporter,
    Participant,
}

/// Why a recipient does not get a notice (SPEC §3.6, §5.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSentBecause {
    /// An address of the gateway itself.
    Gateway,
    /// It hard-bounced: no mail until then (Unix seconds).
    Paused { until: i64 },
    /// `sent` automatic answers in the last hour, the limit being `max`.
    RateLimited { sent: u32, max: u32 },
}

/// Why a quarantined mail's sender is not told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoNotice {
    Automated { rule: String },
    NoSender,
    OwnAddress,
}

/// A file named in the log: name and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSize {
    pub name: String,
    pub size: u64,
}

impl FileSize {
    pub fn of(files: &[AttachmentInfo]) -> Vec<FileSize> {
        files
            .iter()
            .map(|a| FileSize {
                name: a.name.clone(),
                size: a.size,
            })
            .collect()
    }
}

/// A recipient a delivery report names as failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedRecipient {
    pub address: String,
    pub status: String,
    pub diagnostic: Option<String>,
}

impl fmt::Display for FailedRecipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.address, self.status)?;
        if let Some(d) = &self.diagnostic {
            write!(f, ": {d}")?;
        }
        f.write_str(")")
    }
}

/// What became of one incoming mail: stored with its record, counted in
/// `ticket_gateway_mails_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailOutcome {
    /// It created or changed a ticket (or was recorded on one).
    Ticket,
    /// It changed nothing (the gateway's own mail, an unmatched bounce …).
    Ignored,
    /// It went to the quarantine mailbox.
    Quarantined,
    /// It had been processed before (same fingerprint, UID or content).
    Duplicate,
}

impl MailOutcome {
    pub const ALL: [MailOutcome; 4] = [
        MailOutcome::Ticket,
        MailOutcome::Ignored,
        MailOutcome::Quarantined,
        MailOutcome::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailOutcome::Ticket => "ticket",
            MailOutcome::Ignored => "ignored",
            MailOutcome::Quarantined => "quarantined",
            MailOutcome::Duplicate => "duplicate",
        }
    }

    pub fn parse(s: &str) -> Option<MailOutcome> {
        MailOutcome::ALL.into_iter().find(|o| o.as_str() == s)
    }
}

impl fmt::Display for MailOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The lines as text, for the edge (records, log, views).
pub fn render(lines: &[Decision]) -> Vec<String> {
    lines.iter().map(ToString::to_string).collect()
}

fn keywords(k: &[Keyword]) -> String {
    k.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" ")
}

fn files(v: &[FileSize]) -> String {
    v.iter()
        .map(|a| format!("{} ({} bytes)", a.name, a.size))
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::OwnMail { sender } => write!(
                f,
                "sender {sender} is the gateway's own address: own mail coming back, ignored"
            ),
            Decision::Matched {
                tag,
                by: MatchedBy::Tag,
            } => write!(f, "matched {tag} by tag in subject"),
            Decision::Matched {
                tag,
                by: MatchedBy::Reference,
            } => write!(f, "matched {tag} by In-Reply-To/References"),
            Decision::MatchedNothing => f.write_str("matched no ticket (no known tag or Message-ID)"),
            Decision::ReplyKeptWhole => f.write_str(
                "reply text: nothing new was found once quotes and signatures were removed; the mail's own unquoted text is kept whole",
            ),
            Decision::Automated { rule } => write!(
                f,
                "automated mail ({rule}): never answered, never changes a state"
            ),
            Decision::RecordedOn { tag } => write!(f, "recorded on {tag}"),
            Decision::Staff { sender, how } => write!(f, "sender {sender} is staff ({how})"),
            Decision::StaffUnauthenticated { sender, how } => write!(
                f,
                "sender {sender} claims a staff address but failed authentication ({how}): handled as a customer mail, never as a command"
            ),
            Decision::Customer { sender, role } => {
                let role = match role {
                    CustomerRole::Reporter => "reporter",
                    CustomerRole::Participant => "participant",
                };
                write!(f, "sender {sender} is the {role}")
            }
            Decision::Stranger { sender, tag } => write!(
                f,
                "sender {sender} is a stranger to {tag}: a new ticket is opened, {tag} is unchanged"
            ),
            Decision::StaffWarned { to } => write!(
                f,
                "staff warned ({}): a staff address failed authentication",
                to.join(", ")
            ),
            Decision::PublicComment => {
                f.write_str("no keyword: public comment relayed to the customer")
            }
            Decision::FirstKeywordOnly { found, applied } => write!(
                f,
                "keywords {} found: only the first, {}, applies",
                keywords(found),
                applied.as_str()
            ),
            Decision::Note => {
                f.write_str("keyword #note: internal note, not sent to the customer")
            }
            Decision::KeywordApplied { keyword, from, to } => write!(
                f,
                "keyword {} applied: {} -> {}",
                keyword.as_str(),
                from.as_str(),
                to.as_str()
            ),
            Decision::KeywordRefused {
                keyword,
                state,
                allowed,
            } => write!(
                f,
                "keyword {} refused: not allowed in state {} (allowed: {})",
                keyword.as_str(),
                state.as_str(),
                keywords(allowed)
            ),
            Decision::Held {
                word,
                nearest,
                allowed,
            } => {
                write!(f, "keyword line holds {word}, which is not a keyword")?;
                if let Some(n) = nearest {
                    write!(f, " (nearest: {n})")?;
                }
                write!(
                    f,
                    ": mail held, nothing changed, nothing sent to the customer (allowed: {})",
                    keywords(allowed)
                )
            }
            Decision::CustomerKeyword(Some(k)) => write!(f, "customer keyword {}", k.as_str()),
            Decision::CustomerKeyword(None) => f.write_str("no customer keyword"),
            Decision::StateChange { from, to } => {
                write!(f, "{} -> {}", from.as_str(), to.as_str())
            }
            Decision::StateStays(s) => write!(f, "comment, state stays {}", s.as_str()),
            Decision::ClosedNoChange => f.write_str("ticket is closed: recorded, no change"),
            Decision::ClosedComment => f.write_str(
                "ticket is closed: comment recorded, customer told a new question needs a new mail",
            ),
            Decision::ClosedNewTicket { tag } => write!(
                f,
                "ticket is closed (closed_reply = new_ticket): a new ticket is opened that refers to {tag}"
            ),
            Decision::NewTicket { tag, reporter } => {
                write!(f, "new ticket {tag} for reporter {reporter}")
            }
            Decision::Participants(p) => {
                write!(f, "participants from To/Cc: {}", p.join(", "))
            }
            Decision::Language(l) => l.fmt(f),
            Decision::MarkedAutomated => f.write_str("ticket marked automated: no acknowledgement"),
            Decision::SummaryCut { kept, total } => {
                write!(f, "summary cut to {kept} of {total} characters")
            }
            Decision::AttachmentsTooBig { max, files: v } => write!(
                f,
                "attachments not kept, each over {max} bytes (gateway.max_message_size): {}",
                files(v)
            ),
            Decision::AttachmentsTooMany { kept, files: v } => write!(
                f,
                "only the first {kept} attachments kept; {} more left in the raw mail: {}",
                v.len(),
                files(v)
            ),
            Decision::NotForwarded { max, files: v } => write!(
                f,
                "attachments listed but not forwarded (over gateway.forward_attachments_max = {max} bytes): {}",
                files(v)
            ),
            Decision::FloodFolded { mails, sender, max } => write!(
                f,
                "staff not mailed one by one: {mails} mails from {sender} in the last hour (gateway.max_replies_per_hour = {max}); in the hourly summary"
            ),
            Decision::NotSent { kind, to, because } => {
                let kind = kind.as_str();
                match because {
                    NotSentBecause::Gateway => {
                        write!(f, "no {kind} to {to}: an address of the gateway itself")
                    }
                    NotSentBecause::Paused { until } => {
                        let at = UNIX_EPOCH + Duration::from_secs((*until).max(0) as u64);
                        write!(
                            f,
                            "no {kind} to {to}: it hard-bounced; paused until {}",
                            humantime::format_rfc3339_seconds(at)
                        )
                    }
                    NotSentBecause::RateLimited { sent, max } => write!(
                        f,
                        "no {kind} to {to}: {sent} automatic answers in the last hour (gateway.max_replies_per_hour = {max})"
                    ),
                }
            }
            Decision::FloodSummary { mails, sender } => write!(
                f,
                "hourly summary to staff of {mails} mail(s) from {sender} past gateway.max_replies_per_hour"
            ),
            Decision::ReportUnknown { named } => write!(
                f,
                "delivery-status report naming no mail the gateway sent (Message-ID {named}): recorded as automated mail, nothing changed"
            ),
            Decision::NotARecipient { address, named } => {
                write!(f, "{address} is not a recipient of {named}: ignored")
            }
            Decision::ReportNoFailure { named } => write!(
                f,
                "delivery-status report for {named} names none of its recipients as failed: recorded as automated mail, nothing changed"
            ),
            Decision::DeliveryFailed {
                named,
                audience,
                failed,
            } => write!(
                f,
                "delivery failure of {named} ({} mail): {}",
                audience.as_str(),
                failed
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Decision::HardBounced { address, status } => write!(
                f,
                "{address} hard-bounced ({status}): no more mail to it for a while"
            ),
            Decision::Quarantined { detail } => write!(f, "quarantined: {detail}"),
            Decision::NoQuarantineNotice(NoNotice::Automated { rule }) => {
                write!(f, "no notice: automated mail ({rule})")
            }
            Decision::NoQuarantineNotice(NoNotice::NoSender) => {
                f.write_str("no notice: no usable sender")
            }
            Decision::NoQuarantineNotice(NoNotice::OwnAddress) => {
                f.write_str("no notice: the gateway's own address")
            }
            Decision::QuarantineNotice {
                to,
                reason,
                language,
            } => write!(
                f,
                "notice sent to {to} (reason {}; {language})",
                reason.as_str()
            ),
            Decision::Reminder { after, state } => write!(
                f,
                "timer: no customer reply {after}s after {}: reminder",
                state.as_str()
            ),
            Decision::AutoClosed { after, state } => write!(
                f,
                "timer: no customer reply {after}s after {}: closed automatically",
                state.as_str()
            ),
            Decision::Mime(r) => r.fmt(f),
            Decision::NotComposed { kind, error } => {
                write!(f, "{} could not be composed: {error}", kind.as_str())
            }
            Decision::ListAsked {
                sender,
                total,
                open,
            } => write!(
                f,
                "list of tickets asked by {sender}: {total} ticket(s) where they are reporter or participant ({open} of those listed open); no ticket opened"
            ),
            Decision::ListFromAutomated { rule } => write!(
                f,
                "list of tickets asked by automated mail ({rule}): never answered, no ticket opened"
            ),
            Decision::FieldFromMail { field, value } => {
                write!(f, "field line: {} = {value}", field.as_str())
            }
            Decision::FieldValueUnknown { field, written } => write!(
                f,
                "field line: {} '{written}' is not a known value: the default is kept",
                field.as_str()
            ),
            Decision::FieldChanged(c) => {
                let shown = |v: &str| if v.is_empty() { "(none)".to_string() } else { v.to_string() };
                write!(
                    f,
                    "{} changed: {} -> {}",
                    c.what.as_str(),
                    shown(&c.from),
                    shown(&c.to)
                )
            }
            Decision::TeamCopied { to } => write!(f, "copy to the team: {}", to.join(", ")),
            Decision::SlaBreached { what, after, to } => write!(
                f,
                "service level breached: no {} within {after}s; escalated to {}",
                what.as_str(),
                to.join(", ")
            ),
            Decision::Recorded(line) => f.write_str(line),
        }
    }
}
