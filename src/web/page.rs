//! The ticket page itself (SPEC §3.10): its templates, `templates/<lang>/page/ticket.html`
//! (editable like the mail templates, loaded and test-rendered at start, HTML autoescaped),
//! and what they are given: the ticket's public history (`core::customer_view`), its state as
//! a label and an id for the badge, and the mail buttons its state allows.
//!
//! Customer text is always data: the template engine escapes it. The page carries no script
//! and loads nothing; its one `<style>` element is allowed by its hash.

use std::collections::HashMap;
use std::path::Path;

use base64::Engine as _;
use minijinja::{Environment, UndefinedBehavior};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::core::customer_view::{page_actions, public_history};
use crate::core::{AttachmentInfo, EventKind, Field, Lang, State, Ticket, TicketId};
use crate::templates::{date_text, size_text, unknown_variables, variables_of, TemplateError};

/// The page template of each language, under the templates directory.
const PAGE: &str = "page/ticket.html";

/// What RFC 6068 lets stand unencoded in a `mailto:` header value: the unreserved
/// characters. Everything else is percent-encoded (UTF-8).
const MAILTO: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The loaded page templates.
pub struct Pages {
    env: Environment<'static>,
    /// Language → template name (English where the French one is missing).
    names: HashMap<Lang, String>,
}

/// A rendered page and what its `Content-Security-Policy` must allow.
#[derive(Debug)]
pub struct Rendered {
    pub html: String,
    /// `'sha256-…'` of each `<style>` element, for `style-src`.
    pub style_hashes: Vec<String>,
}

/// Who the page is rendered for and by whom.
pub struct Desk<'a> {
    pub name: &'a str,
    pub address: &'a str,
    pub tag_prefix: &'a str,
}

#[derive(Serialize)]
struct PageData<'a> {
    lang: &'static str,
    gateway: DeskData<'a>,
    ticket: TicketData<'a>,
    /// Type, severity, environment, version when the ticket has them: `{id, value}`.
    fields: Vec<FieldData>,
    events: Vec<EventData<'a>>,
    /// `feedback`, `validate`, `reopen`: the buttons the state allows.
    actions: Vec<&'static str>,
    /// The subject a reply carries: `[SUP-42] summary`.
    reply_subject: String,
}

#[derive(Serialize)]
struct DeskData<'a> {
    name: &'a str,
    address: &'a str,
}

#[derive(Serialize)]
struct TicketData<'a> {
    tag: String,
    summary: &'a str,
    state: &'static str,
    state_id: &'static str,
    created: String,
    created_iso: String,
    updated: String,
    updated_iso: String,
    /// The owner's name, when the ticket has one.
    owner: Option<String>,
}

#[derive(Serialize)]
struct FieldData {
    id: &'static str,
    value: String,
}

#[derive(Serialize)]
struct EventData<'a> {
    /// `created`, `comment`, `staff_comment`, `reminder`, `auto_close`.
    kind: &'static str,
    at: String,
    at_iso: String,
    /// A customer's address; none for staff and the gateway.
    author: Option<&'a str>,
    text: &'a str,
    from_state: Option<&'static str>,
    to_state: Option<&'static str>,
    from_state_id: Option<&'static str>,
    to_state_id: Option<&'static str>,
    attachments: Vec<FileData<'a>>,
}

#[derive(Serialize)]
struct FileData<'a> {
    name: &'a str,
    size_text: String,
}

/// The owner as the customer reads it: the name before the `@` of the staff address
/// (`jean.dupont@…` -> `Jean Dupont`), so that the page never shows a staff address.
fn owner_name(address: &str) -> String {
    let local = address.split('@').next().unwrap_or(address);
    local
        .split(['.', '_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// `2026-11-23T10:00:00Z`.
fn iso(secs: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// `mailto:ADDRESS?subject=…&body=…` (RFC 6068: UTF-8, percent-encoded, CRLF line breaks).
fn mailto(to: String, subject: String, body: String) -> String {
    let body = body.replace("\r\n", "\n").replace('\n', "\r\n");
    format!(
        "mailto:{}?subject={}&body={}",
        utf8_percent_encode(&to, MAILTO)
            .to_string()
            .replace("%40", "@"),
        utf8_percent_encode(&subject, MAILTO),
        utf8_percent_encode(&body, MAILTO)
    )
}

impl Pages {
    /// Loads `<dir>/<lang>/page/ticket.html` for each language (English is required) and
    /// renders each once with sample data: an unknown variable or a template error is found
    /// at start, not by a customer.
    pub fn load(dir: &Path) -> Result<Pages, Vec<TemplateError>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        env.add_function("mailto", mailto);
        let mut names = HashMap::new();
        let mut errors = Vec::new();
        for lang in [Lang::En, Lang::Fr] {
            let name = format!("{}/{PAGE}", lang.as_str());
            let path = dir.join(&name);
            match std::fs::read_to_string(&path) {
                Ok(src) => match env.add_template_owned(name.clone(), src) {
                    Ok(()) => {
                        names.insert(lang, name);
                    }
                    Err(source) => errors.push(TemplateError::Invalid { path, source }),
                },
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    if lang == Lang::En {
                        errors.push(TemplateError::Missing { path });
                    }
                }
                Err(source) => errors.push(TemplateError::Read { path, source }),
            }
        }
        let pages = Pages { env, names };
        let sample = sample_ticket();
        let desk = Desk {
            name: "Example Support",
            address: "support@example.com",
            tag_prefix: "SUP",
        };
        let known = variables_of(
            serde_json::to_value(data(&sample, Lang::En, &desk))
                .expect("page data is plain strings, numbers and lists"),
            &pages.env,
        );
        for name in pages.names.values() {
            if let Some(e) = unknown_variables(&pages.env, dir, name, &known) {
                errors.push(e);
            }
        }
        if errors.is_empty() {
            for lang in [Lang::En, Lang::Fr] {
                let mut t = sample.clone();
                t.language = lang;
                for state in State::ALL {
                    t.state = state;
                    if let Err(source) = pages.render(&t, &desk) {
                        errors.push(TemplateError::Invalid {
                            path: dir.join(lang.as_str()).join(PAGE),
                            source,
                        });
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(pages)
        } else {
            errors.sort_by_key(|e| e.to_string());
            errors.dedup_by_key(|e| e.to_string());
            Err(errors)
        }
    }

    /// The page of `t`, in the ticket's language.
    pub fn render(&self, t: &Ticket, desk: &Desk) -> Result<Rendered, minijinja::Error> {
        let name = self
            .names
            .get(&t.language)
            .or_else(|| self.names.get(&Lang::En))
            .ok_or_else(|| minijinja::Error::new(minijinja::ErrorKind::TemplateNotFound, PAGE))?;
        let html = self
            .env
            .get_template(name)?
            .render(data(t, t.language, desk))?;
        let style_hashes = style_hashes(&html);
        Ok(Rendered { html, style_hashes })
    }
}

/// The hash of each `<style>` element's content, as `style-src` names it. Customer text
/// cannot open such an element: the template engine escapes its `<`.
fn style_hashes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find("<style") {
        let after = &rest[open..];
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(close) = body.find("</style>") else {
            break;
        };
        let digest = Sha256::digest(&body.as_bytes()[..close]);
        out.push(format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(digest)
        ));
        rest = &body[close..];
    }
    out
}

fn data<'a>(t: &'a Ticket, lang: Lang, desk: &'a Desk) -> PageData<'a> {
    let tag = t.id.tag(desk.tag_prefix);
    let label = |s: Option<State>| s.map(|s| s.label(lang));
    let files = |files: &'a [AttachmentInfo]| {
        files
            .iter()
            .map(|a| FileData {
                name: &a.name,
                size_text: size_text(a.size, lang),
            })
            .collect()
    };
    PageData {
        lang: lang.as_str(),
        gateway: DeskData {
            name: desk.name,
            address: desk.address,
        },
        reply_subject: format!("[{tag}] {}", t.summary),
        ticket: TicketData {
            tag,
            summary: &t.summary,
            state: t.state.label(lang),
            state_id: t.state.as_str(),
            created: date_text(t.created_at),
            created_iso: iso(t.created_at),
            updated: date_text(t.updated_at),
            updated_iso: iso(t.updated_at),
            owner: t.owner.as_deref().map(owner_name),
        },
        fields: Field::ALL
            .into_iter()
            .map(|f| FieldData {
                id: f.as_str(),
                value: f.shown(&t.fields, lang),
            })
            .filter(|f| !f.value.is_empty())
            .collect(),
        events: public_history(t)
            .into_iter()
            .map(|p| {
                let e = p.event;
                EventData {
                    kind: e.kind.as_str(),
                    at: date_text(e.at),
                    at_iso: iso(e.at),
                    author: p.author,
                    text: &e.text,
                    from_state: label(e.from_state),
                    to_state: label(e.to_state),
                    from_state_id: e.from_state.map(State::as_str),
                    to_state_id: e.to_state.map(State::as_str),
                    attachments: files(&e.attachments),
                }
            })
            .collect(),
        actions: page_actions(t.state)
            .into_iter()
            .map(|a| a.as_str())
            .collect(),
    }
}

/// A ticket with one event of each public kind (and a note, which must not show), customer
/// text that looks like template code and HTML.
pub(crate) fn sample_ticket() -> Ticket {
    use crate::core::Event;
    let event = |kind, from: &str, text: &str, change: Option<(State, State)>| Event {
        at: 1_795_428_000,
        kind,
        from: from.into(),
        text: text.into(),
        from_state: change.map(|c| c.0),
        to_state: change.map(|c| c.1),
        message_id: None,
        attachments: vec![AttachmentInfo {
            name: "screen <1>.png".into(),
            content_type: "image/png".into(),
            size: 12345,
            sha256: "00".into(),
        }],
        decision: vec![],
    };
    Ticket {
        id: TicketId(42),
        summary: "Printer is broken {{ not template code }} <b>".into(),
        state: State::WaitingForFeedback,
        reporter: "customer@example.com".into(),
        reporter_name: "Jean Dupont".into(),
        participants: vec!["colleague@example.com".into()],
        fields: crate::core::Fields {
            kind: crate::core::TicketType::Bug,
            severity: crate::core::Severity::Critical,
            environment: "production".into(),
            version: "10.10".into(),
        },
        owner: Some("marie.curie@example.com".into()),
        language: Lang::En,
        created_at: 1_795_428_000,
        updated_at: 1_795_431_600,
        state_since: 1_795_431_600,
        reminded: false,
        automated: false,
        refers_to: None,
        thread: vec![],
        sent: vec![],
        events: vec![
            event(
                EventKind::Created,
                "customer@example.com",
                "It does not print.\n{% raw %}<script>",
                None,
            ),
            event(EventKind::Note, "staff@example.com", "internal", None),
            event(
                EventKind::StaffComment,
                "staff@example.com",
                "Which model is it? {{ 7*7 }}",
                Some((State::Open, State::WaitingForFeedback)),
            ),
            event(EventKind::Comment, "colleague@example.com", "Model 7", None),
            event(EventKind::Reminder, "support@example.com", "", None),
            event(
                EventKind::AutoClose,
                "support@example.com",
                "",
                Some((State::Resolved, State::Closed)),
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> Pages {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        Pages::load(&dir).unwrap_or_else(|e| {
            panic!(
                "{}",
                e.iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        })
    }

    const DESK: Desk = Desk {
        name: "Example Support",
        address: "support@example.com",
        tag_prefix: "SUP",
    };

    #[test]
    fn a_mailto_link_is_percent_encoded_with_crlf_line_breaks() {
        assert_eq!(
            mailto(
                "support@example.com".into(),
                "[SUP-4] Café & co?".into(),
                "#close\nMerci".into()
            ),
            "mailto:support@example.com?subject=%5BSUP-4%5D%20Caf%C3%A9%20%26%20co%3F&body=%23close%0D%0AMerci"
        );
    }

    #[test]
    fn the_page_escapes_customer_text_and_shows_the_public_history_only() {
        let p = pages();
        let t = sample_ticket();
        let r = p.render(&t, &DESK).unwrap();
        let html = &r.html;
        assert!(
            html.contains("Printer is broken {{ not template code }} &lt;b&gt;"),
            "{html}"
        );
        assert!(html.contains("{% raw %}&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("Which model is it? {{ 7*7 }}"), "{html}");
        assert!(!html.contains("internal"), "a note never shows: {html}");
        assert!(!html.contains("staff@example.com"), "{html}");
        assert!(html.contains("colleague@example.com"), "{html}");
        assert!(html.contains("screen &lt;1&gt;.png"), "{html}");
        assert!(html.contains("Waiting for feedback"), "{html}");
        assert!(html.contains("state-waiting_for_feedback"), "{html}");
        assert_eq!(
            r.style_hashes.len(),
            1,
            "one style element, allowed by its hash"
        );
    }

    #[test]
    fn the_page_speaks_the_tickets_language_and_offers_what_its_state_allows() {
        let p = pages();
        let mut t = sample_ticket();
        t.language = Lang::Fr;
        t.state = State::Resolved;
        let html = p.render(&t, &DESK).unwrap().html;
        assert!(html.contains("lang=\"fr\""), "{html}");
        assert!(html.contains("Résolu"), "{html}");
        assert!(
            html.contains("Rouvrir") && html.contains("Valider"),
            "{html}"
        );
        assert!(!html.contains("Donner mon avis"), "{html}");
        t.state = State::Closed;
        let html = p.render(&t, &DESK).unwrap().html;
        assert!(
            !html.contains("mailto:"),
            "a closed ticket offers no button: {html}"
        );
    }

    #[test]
    fn a_page_template_with_an_unknown_variable_is_refused_at_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("en/page")).unwrap();
        std::fs::write(
            dir.path().join("en/page/ticket.html"),
            "<p>{{ ticket.tag }} {{ ticket.sumary }}</p>\n",
        )
        .unwrap();
        let e = Pages::load(dir.path()).err().unwrap();
        let text = e[0].to_string();
        assert!(text.contains("`ticket.sumary` (line 1)"), "{text}");
        let empty = tempfile::tempdir().unwrap();
        let e = Pages::load(empty.path()).err().unwrap();
        assert!(e[0].to_string().contains("missing"), "{e:?}");
    }

    #[test]
    fn every_style_element_is_hashed() {
        let h = style_hashes("<style>a{}</style><p>x</p><style media=\"print\">b{}</style>");
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0],
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(Sha256::digest(b"a{}"))
            )
        );
    }
}
