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

use crate::core::{Lang, Notice, NoticeKind, State};

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
    #[error("template {path}: {source:#}")]
    Invalid {
        path: PathBuf,
        #[source]
        source: minijinja::Error,
    },
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
    /// (lang, kind, ext) -> template name in `env`.
    names: HashMap<(Lang, NoticeKind, &'static str), String>,
    pub gateway_name: String,
    pub tag_prefix: String,
}

/// What a template sees.
#[derive(Serialize)]
struct Data<'a> {
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
    reason: &'a str,
    attachments: Vec<AttachmentData<'a>>,
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
    description: &'a str,
}

#[derive(Serialize)]
struct AttachmentData<'a> {
    name: &'a str,
    content_type: &'a str,
    size: u64,
}

/// A rendered notice: body text and optional HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub html: Option<String>,
}

impl Templates {
    /// Loads every template under `dir` and renders each once with sample data.
    pub fn load(dir: &Path, gateway_name: &str, tag_prefix: &str) -> Result<Templates, Vec<TemplateError>> {
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
                    let path = dir.join(lang.as_str()).join(format!("{}.{ext}", kind.as_str()));
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
        let templates = Templates {
            env,
            names,
            gateway_name: gateway_name.to_string(),
            tag_prefix: tag_prefix.to_string(),
        };
        if errors.is_empty() {
            for lang in [Lang::En, Lang::Fr] {
                for kind in NoticeKind::ALL {
                    let sample = sample_notice(kind, lang);
                    for ext in ["txt", "html"] {
                        if let Some(name) = templates.names.get(&(lang, kind, ext)) {
                            if let Err(source) = templates.render_one(name, &sample, "support@example.com") {
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
            Err(errors)
        }
    }

    fn name(&self, lang: Lang, kind: NoticeKind, ext: &'static str) -> Option<&String> {
        self.names
            .get(&(lang, kind, ext))
            .or_else(|| self.names.get(&(Lang::En, kind, ext)))
    }

    fn render_one(&self, name: &str, n: &Notice, gateway_address: &str) -> Result<String, minijinja::Error> {
        let label = |s: Option<State>| s.map(|s| s.label(n.lang));
        let data = Data {
            gateway: GatewayData {
                name: &self.gateway_name,
                address: gateway_address,
            },
            ticket: TicketData {
                id: n.ticket.id.0,
                tag: n.ticket.id.tag(&self.tag_prefix),
                summary: &n.ticket.summary,
                state: n.ticket.state.label(n.lang),
                state_id: n.ticket.state.as_str(),
                reporter: &n.ticket.reporter,
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
            reason: &n.reason,
            attachments: n
                .attachments
                .iter()
                .map(|a| AttachmentData {
                    name: &a.name,
                    content_type: &a.content_type,
                    size: a.size,
                })
                .collect(),
        };
        self.env.get_template(name)?.render(&data)
    }

    /// Renders a notice in its language (English where the French template is missing).
    pub fn render(&self, n: &Notice, gateway_address: &str) -> Result<Rendered, minijinja::Error> {
        let text_name = self.name(n.lang, n.kind, "txt").ok_or_else(|| {
            minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, n.kind.as_str())
        })?;
        let text = self.render_one(text_name, n, gateway_address)?;
        let html = match self.name(n.lang, n.kind, "html") {
            Some(name) => Some(self.render_one(name, n, gateway_address)?),
            None => None,
        };
        Ok(Rendered { text, html })
    }
}

/// Sample data for the start-up check and `check`.
pub fn sample_notice(kind: NoticeKind, lang: Lang) -> Notice {
    use crate::core::{AttachmentInfo, TicketId, TicketSnapshot};
    Notice {
        kind,
        to: vec!["customer@example.com".into()],
        lang,
        ticket: TicketSnapshot {
            id: TicketId(42),
            summary: "Printer is broken {{ not template code }}".into(),
            state: State::WaitingForFeedback,
            reporter: "customer@example.com".into(),
            language: lang,
            description: "It does not print.\n{% raw %}".into(),
            thread: vec!["orig@example.com".into()],
        },
        author: "staff@example.com".into(),
        text: "Which model is it? {{ 7*7 }}".into(),
        from_state: Some(State::Open),
        to_state: Some(State::WaitingForFeedback),
        keyword: Some("#ack".into()),
        allowed: vec!["#resolve".into(), "#close".into()],
        reason: "sample reason".into(),
        in_reply_to: Some("orig@example.com".into()),
        attachments: vec![AttachmentInfo {
            name: "screenshot.png".into(),
            content_type: "image/png".into(),
            size: 12345,
            sha256: "00".into(),
        }],
        answers_customer: true,
    }
}
