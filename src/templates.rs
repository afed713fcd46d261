//! Notification templates: `templates/<lang>/<kind>.txt` (and optional `<kind>.html`),
//! loaded and test-rendered at start-up, rendered with data only.
//!
//! Customer text is always a value passed to the template, never template source. A French
//! template that is missing falls back to the English one; a missing English one is an error
//! at start-up, not at 3 a.m.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::core::{
    AttachmentInfo, Field, Lang, Notice, NoticeKind, QuarantineReason, State, TicketId,
};

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {path}: missing (every notice needs an English template)")]
    Missing { path: PathBuf },
    #[error("template {path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Variables a template uses that the gateway does not give it (a typo, usually).
    #[error("template {path}: unknown variable {}; a template can use {known}", .names.join(", "))]
    UnknownVariable {
        path: PathBuf,
        /// Each as `` `ticket.tagg` (line 18) ``.
        names: Vec<String>,
        known: String,
    },
    #[error("template {path}: {source:#}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: minijinja::Error,
    },
}

/// The file of the HTML layout that each notice's HTML extends, in each language's directory.
const LAYOUT: &str = "layout.html";

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    /// (lang, kind, ext) -> template name in `env`.
    names: HashMap<(Lang, NoticeKind, &'static str), String>,
    pub gateway_name: String,
    pub tag_prefix: String,
    /// Every queue's prefix by slot (SPEC §5.4): a ticket of another queue (in a `#list`
    /// answer) shows its own prefix. Empty: every tag has `tag_prefix`.
    pub prefixes: Vec<(u32, String)>,
}

/// What a template sees.
#[derive(Serialize)]
struct Data<'a> {
    /// The notice's kind (`staff_update` …), its readers (`customers`, `staff`) and language
    /// (`en`, `fr`): the HTML layout shared by every notice reads them.
    kind: &'static str,
    audience: &'static str,
    lang: &'static str,
    gateway: GatewayData<'a>,
    ticket: TicketData<'a>,
    author: &'a str,
    text: &'a str,
    from_state: Option<&'static str>,
    to_state: Option<&'static str>,
    from_state_id: Option<&'static str>,
    to_state_id: Option<&'static str>,
    keyword: Option<&'a str>,
    allowed: &'a [String],
    /// For `held`: the keyword nearest to the word not understood.
    nearest: Option<&'a str>,
    /// For `quarantined`: why, from a closed set (`too_big`, `unreadable`, `no_sender`,
    /// `internal`), and the size limit as a person reads it (`25 MB`, `25 Mo`).
    quarantine: Option<QuarantineData>,
    /// For `flood_summary`: the sender's tickets staff were not mailed about one by one (the
    /// first of them), how many more, and how many in all.
    flood: Vec<FloodData>,
    flood_more: u32,
    flood_total: usize,
    reason: &'a str,
    attachments: Vec<AttachmentData<'a>>,
    /// How many of `attachments` are listed only (not attached to this mail).
    not_forwarded: usize,
    /// The ticket's page for this mail's one reader (SPEC §3.10), when the page is served
    /// and the mail goes to one customer; else none.
    link: Option<String>,
    /// For `ticket_list`: the sender's tickets, open ones first, and how many more there are.
    tickets: Vec<ListedData>,
    tickets_more: u32,
    /// The first name to greet the customer by ("Hello Jean,"), empty when the reporter's
    /// `From` had no usable name.
    customer_name: String,
    /// Fields and owner changed by the mail this notice is about.
    changes: Vec<ChangeData>,
    /// For `team_copy`: the staff mail was an internal note.
    internal: bool,
    /// For `acknowledgement`: field lines whose value was not understood.
    unknown_values: Vec<UnknownData>,
    /// How long a resolved ticket waits before it closes by itself (`7 days`, `7 jours`),
    /// for the notice that resolves it; else empty.
    autoclose_after: String,
    /// For `escalation`: which level (`first_response`, `resolution`) and its time.
    sla: Option<SlaData>,
    /// The staff keywords that set fields and the owner (the staff footer lists them).
    field_keywords: &'static str,
}

#[derive(Serialize)]
struct ListedData {
    tag: String,
    summary: String,
    state: &'static str,
    state_id: &'static str,
    /// `2026-11-23 10:00 UTC`.
    updated: String,
    link: Option<String>,
    /// Type and severity when the ticket has them: `{id, value}`.
    fields: Vec<FieldData>,
}

#[derive(Serialize)]
struct ChangeData {
    /// `type`, `severity`, `environment`, `version`, `owner`.
    id: &'static str,
    name: &'static str,
    from: String,
    to: String,
}

#[derive(Serialize)]
struct UnknownData {
    name: &'static str,
    written: String,
    /// The values the field takes, in the notice's language.
    values: String,
}

#[derive(Serialize)]
struct SlaData {
    kind: &'static str,
    allowed: String,
}

#[derive(Serialize)]
struct FieldData {
    id: &'static str,
    name: &'static str,
    value: String,
}

#[derive(Serialize)]
struct QuarantineData {
    reason: &'static str,
    limit: String,
}

#[derive(Serialize)]
struct FloodData {
    tag: String,
    summary: String,
    /// `new_ticket`, `customer_update` …: what staff would have been sent.
    kind: &'static str,
}

#[derive(Serialize)]
struct GatewayData<'a> {
    name: &'a str,
    address: &'a str,
}

#[derive(Serialize)]
struct TicketData<'a> {
    id: u64,
    tag: String,
    summary: &'a str,
    state: &'static str,
    state_id: &'static str,
    reporter: &'a str,
    /// The reporter's display name as written in their first mail (may be empty).
    reporter_name: &'a str,
    participants: &'a [String],
    /// `en` or `fr`.
    language: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_id: &'static str,
    severity: &'static str,
    severity_id: &'static str,
    environment: &'a str,
    version: &'a str,
    /// Empty when nobody owns the ticket.
    owner: &'a str,
    /// Type, severity, and environment and version when known: the fields table.
    fields: Vec<FieldData>,
    description: &'a str,
}

#[derive(Serialize)]
struct AttachmentData<'a> {
    name: &'a str,
    content_type: &'a str,
    size: u64,
    /// `12 KB`, `3.4 MB`: what a person reads.
    size_text: String,
    /// Attached to this mail as a file (else listed only: over
    /// `gateway.forward_attachments_max`).
    forwarded: bool,
}

/// `980 bytes`, `12 KB`, `3.4 MB` (powers of 1024, as mail clients show sizes); in French
/// `980 octets`, `12 Ko`, `3,4 Mo`.
pub(crate) fn size_text(size: u64, lang: Lang) -> String {
    const KB: f64 = 1024.0;
    let s = size as f64;
    let (bytes, units) = match lang {
        Lang::En => ("bytes", ["KB", "MB", "GB"]),
        Lang::Fr => ("octets", ["Ko", "Mo", "Go"]),
    };
    let text = if size < 1024 {
        format!("{size} {bytes}")
    } else if s < KB * KB {
        format!("{:.0} {}", s / KB, units[0])
    } else if s < KB * KB * KB {
        format!("{:.1} {}", s / KB / KB, units[1])
    } else {
        format!("{:.1} {}", s / KB / KB / KB, units[2])
    };
    match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    }
}

/// A size limit as a person reads it: whole megabytes when it is some (`25 MB`), else one
/// decimal (`2.5 MB`; in French `25 Mo`, `2,5 Mo`).
fn limit_text(bytes: u64, lang: Lang) -> String {
    const MB: u64 = 1024 * 1024;
    let unit = match lang {
        Lang::En => "MB",
        Lang::Fr => "Mo",
    };
    let text = if bytes % MB == 0 {
        format!("{} {unit}", bytes / MB)
    } else {
        format!("{:.1} {unit}", bytes as f64 / MB as f64)
    };
    match lang {
        Lang::En => text,
        Lang::Fr => text.replace('.', ","),
    }
}

/// A duration as a person reads it, in the largest unit that divides it: `7 days`,
/// `36 hours`, `90 seconds` (`7 jours`, `1 heure`).
pub fn duration_text(secs: i64, lang: Lang) -> String {
    let secs = secs.max(0);
    let (n, unit) = [(86_400, 0), (3_600, 1), (60, 2), (1, 3)]
        .into_iter()
        .find(|(size, _)| secs >= *size && secs % size == 0)
        .map_or((secs, 3), |(size, unit)| (secs / size, unit));
    let (one, many) = match (lang, unit) {
        (Lang::En, 0) => ("day", "days"),
        (Lang::En, 1) => ("hour", "hours"),
        (Lang::En, 2) => ("minute", "minutes"),
        (Lang::En, _) => ("second", "seconds"),
        (Lang::Fr, 0) => ("jour", "jours"),
        (Lang::Fr, 1) => ("heure", "heures"),
        (Lang::Fr, 2) => ("minute", "minutes"),
        (Lang::Fr, _) => ("seconde", "secondes"),
    };
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The first name in a `From` display name, to greet by: `Jean` of `Jean Dupont`,
/// `Dupont, Jean` and `DUPONT Jean`; nothing for an address or a name without letters.
pub fn first_name(display: &str) -> String {
    let name = display
        .trim()
        .trim_matches(|c| c == '"' || c == '\'')
        .trim();
    if name.contains('@') || !name.chars().any(char::is_alphabetic) {
        return String::new();
    }
    let given = match name.split_once(',') {
        Some((_, first)) if !first.trim().is_empty() => first.trim(),
        _ => name,
    };
    let words: Vec<&str> = given.split_whitespace().collect();
    let shouting = |w: &str| {
        w.chars().filter(|c| c.is_alphabetic()).count() > 1 && w.chars().all(|c| !c.is_lowercase())
    };
    let word = match words.as_slice() {
        [first, second, ..] if shouting(first) && !shouting(second) => second,
        [first, ..] => first,
        [] => return String::new(),
    };
    word.chars().take(40).collect()
}

/// A moment as a reader of any language reads it: `2026-11-23 10:00 UTC`.
pub(crate) fn date_text(secs: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    let s = humantime::format_rfc3339_seconds(at).to_string();
    format!("{} {} UTC", &s[..10], &s[11..16])
}

/// The page link of a ticket for the one reader of a mail (SPEC §3.10), or none: when the
/// page is not served, or the mail has several readers.
pub type PageLink<'a> = &'a dyn Fn(TicketId) -> Option<String>;

/// No page links (staff mail, or the page is off).
pub fn no_link(_: TicketId) -> Option<String> {
    None
}

/// Which of `all` are in `forward` (a sub-list in the same order, duplicates allowed).
fn forwarded_flags(all: &[AttachmentInfo], forward: &[AttachmentInfo]) -> Vec<bool> {
    let mut left: Vec<&AttachmentInfo> = forward.iter().collect();
    all.iter()
        .map(|a| match left.iter().position(|f| *f == a) {
            Some(i) => {
                left.remove(i);
                true
            }
            None => false,
        })
        .collect()
}

/// A rendered notice: body text and optional HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub html: Option<String>,
}

impl Templates {
    /// A ticket's tag, with the prefix of its queue.
    fn tag(&self, id: TicketId) -> String {
        let prefix = self
            .prefixes
            .iter()
            .find(|(slot, _)| *slot == id.slot())
            .map_or(self.tag_prefix.as_str(), |(_, p)| p.as_str());
        id.tag(prefix)
    }

    /// Loads every template under `dir` and renders each once with sample data.
    pub fn load(
        dir: &Path,
        gateway_name: &str,
        tag_prefix: &str,
    ) -> Result<Templates, Vec<TemplateError>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_keep_trailing_newline(true);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        let mut names = HashMap::new();
        let mut errors = Vec::new();
        for lang in [Lang::En, Lang::Fr] {
            for kind in NoticeKind::ALL {
                for ext in ["txt", "html"] {
                    let path = dir
                        .join(lang.as_str())
                        .join(format!("{}.{ext}", kind.as_str()));
                    let name = format!("{}/{}.{ext}", lang.as_str(), kind.as_str());
                    match std::fs::read_to_string(&path) {
                        Ok(src) => match env.add_template_owned(name.clone(), src) {
                            Ok(()) => {
                                names.insert((lang, kind, ext), name);
                            }
                            Err(source) => errors.push(TemplateError::Invalid { path, source }),
                        },
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                            if lang == Lang::En && ext == "txt" {
                                errors.push(TemplateError::Missing { path });
                            }
                        }
                        Err(source) => errors.push(TemplateError::Read { path, source }),
                    }
                }
            }
        }
        // The HTML layout every notice's HTML extends (`{% extends "en/layout.html" %}`).
        for lang in [Lang::En, Lang::Fr] {
            let path = dir.join(lang.as_str()).join(LAYOUT);
            match std::fs::read_to_string(&path) {
                Ok(src) => {
                    if let Err(source) =
                        env.add_template_owned(format!("{}/{LAYOUT}", lang.as_str()), src)
                    {
                        errors.push(TemplateError::Invalid { path, source });
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => errors.push(TemplateError::Read { path, source }),
            }
        }
        let templates = Templates {
            env,
            names,
            gateway_name: gateway_name.to_string(),
            tag_prefix: tag_prefix.to_string(),
            prefixes: Vec::new(),
        };
        let known = templates.variables();
        let mut unknown = Vec::new();
        for name in templates.names.values() {
            if let Some(e) = unknown_variables(&templates.env, dir, name, &known) {
                unknown.push(name.clone());
                errors.push(e);
            }
        }
        if errors
            .iter()
            .all(|e| matches!(e, TemplateError::UnknownVariable { .. }))
        {
            for lang in [Lang::En, Lang::Fr] {
                for kind in NoticeKind::ALL {
                    let sample = sample_notice(kind, lang);
                    for ext in ["txt", "html"] {
                        if let Some(name) = templates
                            .names
                            .get(&(lang, kind, ext))
                            .filter(|n| !unknown.contains(n))
                        {
                            if let Err(source) = templates.render_one(
                                name,
                                &sample,
                                "support@example.com",
                                &sample_link,
                            ) {
                                errors.push(TemplateError::Invalid {
                                    path: dir.join(name),
                                    source,
                                });
                            }
                        }
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(templates)
        } else {
            errors.sort_by_key(|e| e.to_string());
            Err(errors)
        }
    }

    /// Every variable a template is given, as dotted paths (`ticket.tag`), from the data
    /// of a sample notice: the list cannot drift from what rendering passes.
    fn variables(&self) -> Vec<String> {
        let n = sample_notice(NoticeKind::Acknowledgement, Lang::En);
        let value = serde_json::to_value(self.data(&n, "support@example.com", &[], &sample_link))
            .expect("template data is plain strings, numbers and lists");
        variables_of(value, &self.env)
    }

    fn name(&self, lang: Lang, kind: NoticeKind, ext: &'static str) -> Option<&String> {
        self.names
            .get(&(lang, kind, ext))
            .or_else(|| self.names.get(&(Lang::En, kind, ext)))
    }

    fn render_one(
        &self,
        name: &str,
        n: &Notice,
        gateway_address: &str,
        link: PageLink,
    ) -> Result<String, minijinja::Error> {
        let flags = forwarded_flags(&n.attachments, &n.forward);
        let data = self.data(n, gateway_address, &flags, link);
        self.env.get_template(name)?.render(&data)
    }

    /// What a template sees for notice `n`; `flags`: which attachments travel as files.
    fn data<'a>(
        &'a self,
        n: &'a Notice,
        gateway_address: &'a str,
        flags: &[bool],
        link: PageLink,
    ) -> Data<'a> {
        let label = |s: Option<State>| s.map(|s| s.label(n.lang));
        Data {
            kind: n.kind.as_str(),
            audience: n.audience.as_str(),
            lang: n.lang.as_str(),
            gateway: GatewayData {
                name: &self.gateway_name,
                address: gateway_address,
            },
            ticket: TicketData {
                id: n.ticket.id.number(),
                tag: self.tag(n.ticket.id),
                summary: &n.ticket.summary,
                state: n.ticket.state.label(n.lang),
                state_id: n.ticket.state.as_str(),
                reporter: &n.ticket.reporter,
                reporter_name: &n.ticket.reporter_name,
                participants: &n.ticket.participants,
                language: n.ticket.language.as_str(),
                kind: n.ticket.fields.kind.label(n.lang),
                type_id: n.ticket.fields.kind.as_str(),
                severity: n.ticket.fields.severity.label(n.lang),
                severity_id: n.ticket.fields.severity.as_str(),
                environment: &n.ticket.fields.environment,
                version: &n.ticket.fields.version,
                owner: n.ticket.owner.as_deref().unwrap_or(""),
                fields: Field::ALL
                    .into_iter()
                    .map(|f| FieldData {
                        id: f.as_str(),
                        name: f.label(n.lang),
                        value: f.shown(&n.ticket.fields, n.lang),
                    })
                    .filter(|f| !f.value.is_empty())
                    .collect(),
                description: &n.ticket.description,
            },
            author: &n.author,
            text: &n.text,
            from_state: label(n.from_state),
            to_state: label(n.to_state),
            from_state_id: n.from_state.map(State::as_str),
            to_state_id: n.to_state.map(State::as_str),
            keyword: n.keyword.as_deref(),
            allowed: &n.allowed,
            nearest: n.nearest.as_deref(),
            quarantine: n.quarantine.map(|q| QuarantineData {
                reason: q.as_str(),
                limit: match q {
                    QuarantineReason::TooBig { limit } => limit_text(limit, n.lang),
                    _ => String::new(),
                },
            }),
            flood: n
                .flood
                .iter()
                .map(|f| FloodData {
                    tag: self.tag(f.ticket),
                    summary: f.summary.clone(),
                    kind: f.kind.as_str(),
                })
                .collect(),
            flood_more: n.flood_more,
            flood_total: n.flood.len() + n.flood_more as usize,
            reason: &n.reason,
            attachments: n
                .attachments
                .iter()
                .zip(flags)
                .map(|(a, &forwarded)| AttachmentData {
                    name: &a.name,
                    content_type: &a.content_type,
                    size: a.size,
                    size_text: size_text(a.size, n.lang),
                    forwarded,
                })
                .collect(),
            not_forwarded: flags.iter().filter(|f| !**f).count(),
            link: (n.ticket.id.number() != 0)
                .then(|| link(n.ticket.id))
                .flatten(),
            tickets: n
                .listed
                .iter()
                .map(|t| ListedData {
                    tag: self.tag(t.id),
                    summary: t.summary.clone(),
                    state: t.state.label(n.lang),
                    state_id: t.state.as_str(),
                    updated: date_text(t.updated_at),
                    link: link(t.id),
                    fields: vec![
                        FieldData {
                            id: Field::Type.as_str(),
                            name: Field::Type.label(n.lang),
                            value: t.kind.label(n.lang).to_string(),
                        },
                        FieldData {
                            id: Field::Severity.as_str(),
                            name: Field::Severity.label(n.lang),
                            value: t.severity.label(n.lang).to_string(),
                        },
                    ],
                })
                .collect(),
            tickets_more: n.listed_more,
            customer_name: first_name(&n.ticket.reporter_name),
            changes: n
                .changes
                .iter()
                .map(|c| ChangeData {
                    id: c.what.as_str(),
                    name: c.what.label(n.lang),
                    from: c.what.shown(&c.from, n.lang),
                    to: c.what.shown(&c.to, n.lang),
                })
                .collect(),
            internal: n.internal,
            unknown_values: n
                .unknown_values
                .iter()
                .map(|u| UnknownData {
                    name: u.field.label(n.lang),
                    written: u.written.clone(),
                    values: u.field.values(n.lang).join(", "),
                })
                .collect(),
            autoclose_after: n
                .autoclose_after
                .map(|s| duration_text(s, n.lang))
                .unwrap_or_default(),
            sla: n.sla_allowed.map(|allowed| SlaData {
                kind: match n.keyword.as_deref() {
                    Some("resolution") => "resolution",
                    _ => "first_response",
                },
                allowed: duration_text(allowed, n.lang),
            }),
            field_keywords: "#type #severity #environment #version #take #assign #unassign",
        }
    }

    /// Renders a notice in its language (English where the French template is missing);
    /// `link` gives the page links of its one reader.
    pub fn render(
        &self,
        n: &Notice,
        gateway_address: &str,
        link: PageLink,
    ) -> Result<Rendered, minijinja::Error> {
        let text_name = self.name(n.lang, n.kind, "txt").ok_or_else(|| {
            minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, n.kind.as_str())
        })?;
        // The data is made into a template value once for both parts.
        let flags = forwarded_flags(&n.attachments, &n.forward);
        let data = minijinja::Value::from_serialize(self.data(n, gateway_address, &flags, link));
        let text = self.env.get_template(text_name)?.render(&data)?;
        let html = match self.name(n.lang, n.kind, "html") {
            Some(name) => Some(self.env.get_template(name)?.render(&data)?),
            None => None,
        };
        Ok(Rendered { text, html })
    }
}

/// Every variable a template is given, as dotted paths (`ticket.tag`), from the data it is
/// rendered with (as JSON) and the environment's globals.
pub(crate) fn variables_of(value: serde_json::Value, env: &Environment<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if let serde_json::Value::Object(top) = value {
        for (k, v) in top {
            if let serde_json::Value::Object(inner) = v {
                out.extend(inner.keys().map(|f| format!("{k}.{f}")));
            }
            out.push(k);
        }
    }
    out.extend(env.globals().map(|(k, _)| k.to_string()));
    out.sort();
    out
}

/// The variables template `name` uses that are not in `known`, with the line of
/// their first use.
pub(crate) fn unknown_variables(
    env: &Environment<'_>,
    dir: &Path,
    name: &str,
    known: &[String],
) -> Option<TemplateError> {
    let t = env.get_template(name).ok()?;
    let mut names: Vec<String> = t
        .undeclared_variables(true)
        .into_iter()
        .filter(|v| {
            // `ticket.tag.x`: known as far as `ticket.tag` goes; `ticket.tagg`: not.
            let mut parts = v.split('.');
            let first = parts.next().unwrap_or_default();
            let two = parts.next().map(|p| format!("{first}.{p}"));
            let nested = known.iter().any(|k| k.starts_with(&format!("{first}.")));
            !(known.iter().any(|k| k == first)
                && (!nested || two.is_none_or(|two| known.contains(&two))))
        })
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort();
    let source = t.source();
    let names = names
        .into_iter()
        .map(
            |v| match source.lines().position(|l| l.contains(v.as_str())) {
                Some(i) => format!("`{v}` (line {})", i + 1),
                None => format!("`{v}`"),
            },
        )
        .collect();
    let top: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|k| env.globals().all(|(g, _)| g != *k))
        .filter(|k| !known.iter().any(|o| o.starts_with(&format!("{k}."))))
        .collect();
    Some(TemplateError::UnknownVariable {
        path: dir.join(name),
        names,
        known: top.join(", "),
    })
}

/// A page link for sample data.
pub(crate) fn sample_link(id: TicketId) -> Option<String> {
    Some(format!(
        "https://support.example.com/t/SUP-{}/sample-token-{{{{ not template code }}}}",
        id.0
    ))
}

/// Sample data for the start-up check and `check`, and for the test that renders every
/// notice's HTML in a browser (`tests/it/mail_html.rs`).
pub fn sample_notice(kind: NoticeKind, lang: Lang) -> Notice {
    use crate::core::{FloodItem, TicketSnapshot};
    Notice {
        kind,
        audience: kind.audience(),
        to: vec!["customer@example.com".into()],
        lang,
        ticket: TicketSnapshot {
            id: TicketId(42),
            summary: "Printer is broken {{ not template code }}".into(),
            state: State::WaitingForFeedback,
            reporter: "customer@example.com".into(),
            reporter_name: "Jean {{ Dupont }}".into(),
            participants: vec!["colleague@example.com".into()],
            language: lang,
            fields: crate::core::Fields {
                kind: crate::core::TicketType::Bug,
                severity: crate::core::Severity::Critical,
                environment: "production {{ env }}".into(),
                version: "10.10".into(),
            },
            owner: Some("agent@example.com".into()),
            description: "It does not print.\n{% raw %}".into(),
            thread: vec!["orig@example.com".into()],
            public_thread: vec!["orig@example.com".into()],
        },
        author: "staff@example.com".into(),
        text: "Which model is it? {{ 7*7 }}".into(),
        from_state: Some(State::Open),
        to_state: Some(State::WaitingForFeedback),
        keyword: Some("#ack".into()),
        allowed: vec!["#resolve".into(), "#close".into()],
        nearest: Some("#close".into()),
        quarantine: Some(QuarantineReason::TooBig { limit: 25 << 20 }),
        flood: vec![FloodItem {
            sender: "customer@example.com".into(),
            ticket: TicketId(43),
            summary: "Another {{ one }}".into(),
            kind: NoticeKind::NewTicket,
            at: 0,
        }],
        flood_more: 2,
        listed: vec![
            crate::core::ListedTicket {
                id: TicketId(42),
                summary: "Printer is broken {{ not template code }}".into(),
                state: State::WaitingForFeedback,
                updated_at: 1_795_428_000,
                kind: crate::core::TicketType::Bug,
                severity: crate::core::Severity::Critical,
            },
            crate::core::ListedTicket {
                id: TicketId(40),
                summary: "Old {{ question }}".into(),
                state: State::Closed,
                updated_at: 1_790_000_000,
                kind: crate::core::TicketType::Question,
                severity: crate::core::Severity::Major,
            },
        ],
        listed_more: 3,
        reason: "sample reason".into(),
        in_reply_to: Some("orig@example.com".into()),
        attachments: vec![
            AttachmentInfo {
                name: "screenshot.png".into(),
                content_type: "image/png".into(),
                size: 12345,
                sha256: "00".into(),
            },
            AttachmentInfo {
                name: "{{ video }}.mp4".into(),
                content_type: "video/mp4".into(),
                size: 40 << 20,
                sha256: "01".into(),
            },
        ],
        forward: vec![AttachmentInfo {
            name: "screenshot.png".into(),
            content_type: "image/png".into(),
            size: 12345,
            sha256: "00".into(),
        }],
        answers_customer: true,
        changes: vec![crate::core::fields::Change {
            what: crate::core::fields::Changed::Field(Field::Severity),
            from: "major".into(),
            to: "critical".into(),
        }],
        internal: false,
        unknown_values: vec![crate::core::fields::UnknownValue {
            field: Field::Severity,
            written: "urgent {{ x }}".into(),
        }],
        autoclose_after: Some(7 * 86_400),
        sla_allowed: Some(3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_error_names_the_unknown_variable_and_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/en");
        std::fs::create_dir_all(dir.path().join("en")).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            if e.path().is_dir() {
                continue;
            }
            std::fs::copy(e.path(), dir.path().join("en").join(e.file_name())).unwrap();
        }
        std::fs::write(
            dir.path().join("en/reminder.txt"),
            "Hello,\n{{ ticket.tag }} is waiting.\n{{ ticket.tagg }} {{ custmer }}\n",
        )
        .unwrap();
        let errors = Templates::load(dir.path(), "Support", "SUP").err().unwrap();
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = errors[0].to_string();
        assert!(
            e.contains("en/reminder.txt: unknown variable `custmer` (line 3), `ticket.tagg` (line 3); a template can use allowed, attachments, audience, author,"),
            "{e}"
        );
        assert!(e.contains("ticket.tag,"), "{e}");
    }

    fn load() -> Templates {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        Templates::load(&dir, "Example Support", "SUP").unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }

    fn render(t: &Templates, n: &Notice) -> Rendered {
        t.render(n, "support@example.com", &no_link)
            .unwrap_or_else(|e| panic!("{} {}: {e:#}", n.lang.as_str(), n.kind.as_str()))
    }

    /// Every template, read as its reader reads it: the tag, the state label in the notice's
    /// language, the words that matter, customer text shown literally.
    #[test]
    fn every_template_shows_the_tag_the_state_and_the_text() {
        let t = load();
        let shows_text = [
            NoticeKind::NewTicket,
            NoticeKind::CustomerUpdate,
            NoticeKind::StaffUpdate,
            NoticeKind::Reminder,
            NoticeKind::StaffWarning,
        ];
        let lists_files = [
            NoticeKind::NewTicket,
            NoticeKind::CustomerUpdate,
            NoticeKind::StaffUpdate,
        ];
        for lang in [Lang::En, Lang::Fr] {
            for kind in NoticeKind::ALL {
                let n = sample_notice(kind, lang);
                let r = render(&t, &n);
                let what = format!("{} {}:\n{}", lang.as_str(), kind.as_str(), r.text);
                let about_a_ticket =
                    !matches!(kind, NoticeKind::Quarantined | NoticeKind::FloodSummary);
                if about_a_ticket {
                    assert!(r.text.contains("[SUP-42]"), "tag in {what}");
                }
                // StaffUpdate names the new state; every other one the current state.
                let label = match kind {
                    NoticeKind::StaffUpdate => State::WaitingForFeedback.label(lang),
                    _ if !about_a_ticket => "",
                    _ => n.ticket.state.label(lang),
                };
                assert!(r.text.contains(label), "state label in {what}");
                if kind != NoticeKind::FloodSummary {
                    assert!(
                        r.text.contains("Printer is broken {{ not template code }}"),
                        "summary, literally, in {what}"
                    );
                }
                if shows_text.contains(&kind) {
                    assert!(
                        r.text.contains("Which model is it? {{ 7*7 }}"),
                        "text, literally, in {what}"
                    );
                }
                if lists_files.contains(&kind) {
                    assert!(r.text.contains("screenshot.png"), "{what}");
                    assert!(r.text.contains("{{ video }}.mp4"), "{what}");
                    let not_sent = match lang {
                        Lang::En => ["not attached", "too large"],
                        Lang::Fr => ["non jointe", "trop volumineux"],
                    };
                    assert!(
                        not_sent.iter().any(|w| r.text.contains(w)),
                        "the file not forwarded says so in {what}"
                    );
                }
                if kind == NoticeKind::Refused {
                    assert!(r.text.contains("#resolve #close"), "{what}");
                }
                if kind == NoticeKind::DeliveryFailure {
                    assert!(r.text.contains("sample reason"), "{what}");
                }
                if kind == NoticeKind::Held {
                    assert!(
                        r.text.contains("#ack") && r.text.contains("#close"),
                        "{what}"
                    );
                }
                if kind == NoticeKind::FloodSummary {
                    assert!(
                        r.text.contains("SUP-43") && r.text.contains("Another {{ one }}"),
                        "{what}"
                    );
                    assert!(r.text.starts_with("3 "), "{what}");
                }
                // The staff's own words never reach the customer as a keyword line; the
                // sender of a quarantined mail reads no internal detail.
                if kind == NoticeKind::Quarantined {
                    let size = match lang {
                        Lang::En => "25 MB",
                        Lang::Fr => "25 Mo",
                    };
                    assert!(r.text.contains(size), "{what}");
                    for internal in ["sample reason", "max_message_size", "bytes", "octets"] {
                        assert!(!r.text.contains(internal), "{internal} in {what}");
                    }
                }
                if !kind.to_staff() {
                    assert!(!r.text.contains("#ack"), "{what}");
                }
                if lang == Lang::Fr {
                    for english in ["Hello", "Status:", "Ticket [", "reply to this email"] {
                        assert!(!r.text.contains(english), "English in {what}");
                    }
                }
            }
        }
    }

    /// SPEC §3.10: every mail to a customer about a ticket carries its reader's page link
    /// (the HTML alternative too); staff mail never does; a `#list` answer links each ticket.
    #[test]
    fn every_customer_mail_carries_its_readers_link_and_staff_mail_none() {
        let t = load();
        let link = |id: TicketId| Some(format!("https://desk.test/t/SUP-{}/tok-{}", id.0, id.0));
        for lang in [Lang::En, Lang::Fr] {
            for kind in NoticeKind::ALL {
                let n = sample_notice(kind, lang);
                let r = t
                    .render(&n, "support@example.com", &link)
                    .unwrap_or_else(|e| panic!("{} {}: {e:#}", lang.as_str(), kind.as_str()));
                let what = format!("{} {}:\n{}", lang.as_str(), kind.as_str(), r.text);
                let has = r.text.contains("https://desk.test/t/SUP-42/tok-42");
                match kind {
                    _ if kind.to_staff() => assert!(!has, "staff mail: {what}"),
                    // About no ticket of its own.
                    NoticeKind::Quarantined => assert!(!has, "{what}"),
                    NoticeKind::TicketList => {
                        assert!(has, "{what}");
                        assert!(
                            r.text.contains("https://desk.test/t/SUP-40/tok-40"),
                            "{what}"
                        );
                        assert!(r.text.contains("3"), "how many more: {what}");
                    }
                    _ => assert!(has, "{what}"),
                }
                if let Some(html) = r.html.filter(|_| !kind.to_staff()) {
                    assert!(
                        html.contains("https:&#x2f;&#x2f;desk.test&#x2f;t&#x2f;SUP-42"),
                        "{html}"
                    );
                }
                // Without the page, no link and no sentence about one.
                let off = render(&t, &n);
                assert!(!off.text.contains("desk.test"), "{what}");
                for sentence in ["Follow your ticket online", "Suivez votre ticket"] {
                    assert!(!off.text.contains(sentence), "{what}");
                }
            }
        }
    }

    #[test]
    fn a_missing_french_template_falls_back_to_english_and_html_is_escaped() {
        let t = load();
        let mut n = sample_notice(NoticeKind::Acknowledgement, Lang::Fr);
        n.ticket.summary = "<script>alert(1)</script>".into();
        let r = render(&t, &n);
        let html = r.html.expect("the acknowledgement has an HTML alternative");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(r.text.contains("<script>"), "plain text is not escaped");
    }

    #[test]
    fn every_quarantine_reason_reads_in_both_languages_without_detail() {
        let t = load();
        for lang in [Lang::En, Lang::Fr] {
            let mut texts = Vec::new();
            for q in [
                QuarantineReason::TooBig { limit: 5 << 19 },
                QuarantineReason::Unreadable,
                QuarantineReason::NoSender,
                QuarantineReason::Internal,
            ] {
                let mut n = sample_notice(NoticeKind::Quarantined, lang);
                n.quarantine = Some(q);
                let text = render(&t, &n).text;
                assert!(!text.contains("sample reason"), "{text}");
                texts.push(text);
            }
            assert!(
                texts[0].contains(&limit_text(5 << 19, lang)),
                "{}",
                texts[0]
            );
            texts.dedup();
            assert_eq!(texts.len(), 4, "each reason says something of its own");
        }
        assert_eq!(limit_text(25 << 20, Lang::En), "25 MB");
        assert_eq!(limit_text(5 << 19, Lang::Fr), "2,5 Mo");
    }

    #[test]
    fn customers_are_greeted_by_their_first_name() {
        for (display, first) in [
            ("Jean Dupont", "Jean"),
            ("\"Dupont, Jean\"", "Jean"),
            ("DUPONT Jean", "Jean"),
            ("Jean-Pierre", "Jean-Pierre"),
            ("jean@example.com", ""),
            ("", ""),
            ("123", ""),
        ] {
            assert_eq!(first_name(display), first, "{display:?}");
        }
        let t = load();
        for (lang, hello) in [(Lang::En, "Hello Jean,"), (Lang::Fr, "Bonjour Jean,")] {
            let mut n = sample_notice(NoticeKind::Acknowledgement, lang);
            n.ticket.reporter_name = "Jean Dupont".into();
            assert!(render(&t, &n).text.starts_with(hello), "{hello}");
            n.ticket.reporter_name = String::new();
            let bare = if lang == Lang::En {
                "Hello,"
            } else {
                "Bonjour,"
            };
            assert!(render(&t, &n).text.starts_with(bare));
        }
    }

    #[test]
    fn the_resolved_mail_states_the_configured_delay() {
        assert_eq!(duration_text(7 * 86_400, Lang::En), "7 days");
        assert_eq!(duration_text(86_400, Lang::Fr), "1 jour");
        assert_eq!(duration_text(36 * 3600, Lang::En), "36 hours");
        assert_eq!(duration_text(90, Lang::Fr), "90 secondes");
        let t = load();
        let mut n = sample_notice(NoticeKind::StaffUpdate, Lang::En);
        n.to_state = Some(State::Resolved);
        n.autoclose_after = Some(3 * 86_400);
        let text = render(&t, &n).text;
        assert!(text.contains("closed in 3 days"), "{text}");
        assert!(!text.contains("a few days"), "{text}");
    }

    #[test]
    fn staff_mails_show_the_customer_and_the_fields_and_the_keywords_allowed_now() {
        let t = load();
        for kind in [
            NoticeKind::NewTicket,
            NoticeKind::CustomerUpdate,
            NoticeKind::TeamCopy,
            NoticeKind::Escalation,
        ] {
            let mut n = sample_notice(kind, Lang::En);
            n.allowed = vec!["#ack".into(), "#note".into()];
            let text = render(&t, &n).text;
            for part in [
                "Jean {{ Dupont }} <customer@example.com>",
                "colleague@example.com",
                "Language:     en",
                "Type:         Bug",
                "Severity:     Critical",
                "Owner:        agent@example.com",
                "Status, now:      #ack #note\n",
                "#take #assign",
            ] {
                assert!(text.contains(part), "{part:?} in {kind:?}:\n{text}");
            }
        }
        let n = sample_notice(NoticeKind::TeamCopy, Lang::Fr);
        let text = render(&t, &n).text;
        assert!(
            text.starts_with("Copie pour l'équipe : staff@example.com"),
            "{text}"
        );
        assert!(text.contains("Sévérité : Majeur -> Critique"), "{text}");
    }

    #[test]
    fn sizes_read_like_a_mail_client_shows_them() {
        assert_eq!(size_text(980, Lang::En), "980 bytes");
        assert_eq!(size_text(12_345, Lang::En), "12 KB");
        assert_eq!(size_text(3_565_158, Lang::En), "3.4 MB");
        assert_eq!(size_text(3_565_158, Lang::Fr), "3,4 Mo");
        assert_eq!(size_text(12, Lang::Fr), "12 octets");
    }

    #[test]
    fn forwarded_flags_follow_the_forward_list() {
        let a = |name: &str, sha: &str| AttachmentInfo {
            name: name.into(),
            content_type: "image/png".into(),
            size: 1,
            sha256: sha.into(),
        };
        let all = [a("x.png", "1"), a("y.png", "2"), a("x.png", "1")];
        assert_eq!(
            forwarded_flags(&all, &[a("x.png", "1")]),
            vec![true, false, false]
        );
        assert_eq!(
            forwarded_flags(&all, &[a("y.png", "2"), a("x.png", "1")]),
            vec![true, true, false]
        );
    }
}
