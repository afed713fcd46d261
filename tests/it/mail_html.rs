//! The HTML alternative of every notice (issue 16): each one is well-formed, uses inline
//! styles only and no remote resource, and, rendered in headless Chromium
//! (`scripts/browser/shot`) on a phone-wide window, keeps its tag on one line and stays
//! within 600 px. `TG_MAIL_SHOTS=DIR` also writes one screenshot per notice and language
//! into DIR (how `docs/mails/` is made).

use std::path::{Path, PathBuf};
use std::process::Command;

use ticket_gateway::core::{Lang, NoticeKind, State, TicketId};
use ticket_gateway::templates::{sample_notice, Templates};

fn templates() -> Templates {
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

/// Every notice in both languages, as its HTML part: (language, kind, html).
fn every_html() -> Vec<(Lang, NoticeKind, String)> {
    let t = templates();
    let mut out = Vec::new();
    for lang in [Lang::En, Lang::Fr] {
        for kind in NoticeKind::ALL {
            let mut n = sample_notice(kind, lang);
            if kind == NoticeKind::StaffUpdate {
                n.to_state = Some(State::Resolved);
            }
            // Each notice with what it carries in real life: a quarantined mail or a summary
            // is about no ticket of its own (number 0).
            if matches!(
                kind,
                NoticeKind::Quarantined | NoticeKind::FloodSummary | NoticeKind::TicketList
            ) {
                n.ticket.id = TicketId(0);
            }
            if matches!(
                kind,
                NoticeKind::AutoClosed
                    | NoticeKind::AutoClosedStaff
                    | NoticeKind::CloseConfirmed
                    | NoticeKind::ClosedReply
            ) {
                n.ticket.state = State::Closed;
                n.from_state = Some(State::WaitingForFeedback);
                n.to_state = Some(State::Closed);
            }
            if !matches!(
                kind,
                NoticeKind::NewTicket
                    | NoticeKind::CustomerUpdate
                    | NoticeKind::StaffUpdate
                    | NoticeKind::TeamCopy
                    | NoticeKind::Reminder
                    | NoticeKind::Held
                    | NoticeKind::StaffWarning
            ) {
                n.text = String::new();
            }
            if !matches!(kind, NoticeKind::StaffUpdate | NoticeKind::TeamCopy) {
                n.changes.clear();
            }
            if kind != NoticeKind::Acknowledgement {
                n.unknown_values.clear();
            }
            if !matches!(
                kind,
                NoticeKind::NewTicket
                    | NoticeKind::CustomerUpdate
                    | NoticeKind::StaffUpdate
                    | NoticeKind::TeamCopy
            ) {
                n.attachments.clear();
                n.forward.clear();
            }
            let link =
                |id: TicketId| Some(format!("https://support.example.com/t/SUP-{}/token", id.0));
            let r = t
                .render(&n, "support@example.com", &link)
                .unwrap_or_else(|e| panic!("{kind:?} {lang:?}: {e:#}"));
            let html = r
                .html
                .unwrap_or_else(|| panic!("{kind:?} {lang:?} has no HTML alternative"));
            out.push((lang, kind, html));
        }
    }
    out
}

#[test]
fn every_notice_has_a_well_formed_html_part_with_inline_styles_only() {
    for (lang, kind, html) in every_html() {
        let what = format!("{} {}", lang.as_str(), kind.as_str());
        let doc = roxmltree::Document::parse_with_options(
            &html,
            roxmltree::ParsingOptions {
                allow_dtd: true,
                ..Default::default()
            },
        )
        .unwrap_or_else(|e| panic!("{what}: not well-formed: {e}\n{html}"));
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "html", "{what}");
        assert_eq!(root.attribute("lang"), Some(lang.as_str()), "{what}");
        for node in doc.descendants().filter(|n| n.is_element()) {
            let name = node.tag_name().name();
            assert!(
                !matches!(name, "style" | "link" | "script" | "img" | "iframe"),
                "{what}: <{name}>"
            );
            for a in node.attributes() {
                assert!(
                    !matches!(a.name(), "class" | "src" | "background"),
                    "{what}: {}= on <{name}>",
                    a.name()
                );
                // A link is followed by the reader, never loaded: only the ticket's page.
                if a.name() == "href" {
                    assert_eq!(name, "a", "{what}");
                    assert!(
                        a.value().starts_with("https://support.example.com/t/SUP-"),
                        "{what}: {}",
                        a.value()
                    );
                }
                assert!(!a.value().contains("url("), "{what}: {}", a.value());
            }
        }
        let widest = doc
            .descendants()
            .filter_map(|n| n.attribute("width"))
            .filter_map(|w| w.parse::<u32>().ok())
            .max();
        assert_eq!(widest, Some(600), "{what}: at most 600 px wide");
        let about_a_ticket = !matches!(
            kind,
            NoticeKind::Quarantined | NoticeKind::FloodSummary | NoticeKind::TicketList
        );
        // A customer's mail about a ticket has the "View your ticket" button, and the list
        // of a customer's tickets a link to each (SPEC §3.10).
        let button = doc.descendants().any(|n| {
            n.tag_name().name() == "a"
                && n.attribute("href") == Some("https://support.example.com/t/SUP-42/token")
        });
        assert_eq!(
            button,
            (about_a_ticket && !kind.to_staff()) || kind == NoticeKind::TicketList,
            "{what}: the page's button"
        );
        if about_a_ticket {
            let tag = doc
                .descendants()
                .find(|n| n.attribute("data-tag").is_some())
                .unwrap_or_else(|| panic!("{what}: no tag"));
            assert_eq!(tag.text(), Some("[SUP-42]"), "{what}");
            assert!(
                tag.attribute("style")
                    .is_some_and(|s| s.contains("white-space:nowrap")),
                "{what}: the tag never wraps"
            );
            let badge = doc
                .descendants()
                .find(|n| n.attribute("data-state").is_some())
                .unwrap_or_else(|| panic!("{what}: no state badge"));
            assert!(
                badge
                    .attribute("style")
                    .is_some_and(|s| s.contains("background-color:#")),
                "{what}"
            );
            // The fields table: type and severity in the notice's language.
            let fields: String = doc
                .descendants()
                .find(|n| n.attribute("data-fields").is_some())
                .unwrap_or_else(|| panic!("{what}: no fields table"))
                .descendants()
                .filter_map(|n| n.text())
                .collect();
            let (bug, critical) = match lang {
                Lang::En => ("Bug", "Critical"),
                Lang::Fr => ("Anomalie", "Critique"),
            };
            assert!(
                fields.contains(bug) && fields.contains(critical),
                "{what}: {fields}"
            );
        }
        // Customer text is data: shown literally, escaped.
        assert!(!html.contains("<script>"), "{what}");
        assert!(
            html.contains("{{ not template code }}") || !about_a_ticket,
            "{what}"
        );
        if kind == NoticeKind::StaffUpdate {
            let comment = doc
                .descendants()
                .find(|n| n.attribute("data-comment").is_some())
                .unwrap_or_else(|| panic!("{what}: the comment is set apart"));
            assert_eq!(
                comment.text(),
                Some("Which model is it? {{ 7*7 }}"),
                "{what}"
            );
            let days = match lang {
                Lang::En => "7 days",
                Lang::Fr => "7 jours",
            };
            assert!(html.contains(days), "{what}: the configured delay");
        }
    }
}

/// A page of every notice of one language, one after the other, with a script that checks
/// what a reader sees: each tag on one line, no notice wider than 600 px. It writes its
/// findings into `#report`, which the DOM dump carries out. (The script is the test page's,
/// never a mail's.)
fn gallery(lang: Lang, notices: &[(Lang, NoticeKind, String)]) -> String {
    let mut page = String::from(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\" /><title>notices</title></head>\
         <body style=\"margin:0\"><pre id=\"report\">not run</pre>",
    );
    for (_, kind, html) in notices.iter().filter(|(l, _, _)| *l == lang) {
        let body = html
            .split_once("<body")
            .and_then(|(_, b)| b.split_once('>'))
            .and_then(|(_, b)| b.rsplit_once("</body>"))
            .map(|(b, _)| b)
            .expect("a body");
        page.push_str(&format!(
            "<section data-kind=\"{}\" style=\"background-color:#eef1f5\">{body}</section>",
            kind.as_str()
        ));
    }
    page.push_str(
        "<script>\
         const bad = [];\
         document.querySelectorAll('[data-tag]').forEach(e => {\
           if (e.getClientRects().length !== 1) bad.push('tag wraps: ' + e.closest('section').dataset.kind);\
         });\
         document.querySelectorAll('table[data-notice]').forEach(t => {\
           if (t.getBoundingClientRect().width > 600.5) bad.push('wider than 600: ' + t.dataset.notice);\
         });\
         document.getElementById('report').textContent = bad.length ? bad.join('; ')\
           : 'ok ' + document.querySelectorAll('table[data-notice]').length;\
         </script></body></html>",
    );
    page
}

fn shot(url: &Path, png: &Path, dom: Option<&Path>, size: &str) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/browser/shot");
    let mut cmd = Command::new(script);
    cmd.arg(url).arg(png).env("TG_SHOT_SIZE", size);
    if let Some(d) = dom {
        cmd.arg(d);
    }
    let out = cmd.output().expect("scripts/browser/shot runs");
    assert!(
        out.status.success(),
        "shot failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_notice_renders_in_chromium_with_its_tag_on_one_line() {
    let notices = every_html();
    let dir = tempfile::tempdir().unwrap();
    for lang in [Lang::En, Lang::Fr] {
        let page = dir.path().join(format!("{}.html", lang.as_str()));
        std::fs::write(&page, gallery(lang, &notices)).unwrap();
        let png = dir.path().join(format!("{}.png", lang.as_str()));
        let dom = dir.path().join(format!("{}.dom.html", lang.as_str()));
        // A phone's width: where a tag would wrap and a fixed layout would overflow.
        shot(&page, &png, Some(&dom), "380,2000");
        assert!(
            std::fs::metadata(&png).unwrap().len() > 1000,
            "a screenshot"
        );
        let dumped = std::fs::read_to_string(&dom).unwrap();
        let report = dumped
            .split_once("<pre id=\"report\">")
            .and_then(|(_, r)| r.split_once("</pre>"))
            .map(|(r, _)| r)
            .expect("the report");
        assert_eq!(
            report,
            format!("ok {}", NoticeKind::ALL.len()),
            "{}",
            lang.as_str()
        );
    }
    // One screenshot per notice, on request (docs/mails/ is made so).
    if let Some(out) = std::env::var_os("TG_MAIL_SHOTS").map(PathBuf::from) {
        for (lang, kind, html) in &notices {
            let name = format!("{}-{}", lang.as_str(), kind.as_str());
            let page = dir.path().join(format!("{name}.html"));
            std::fs::write(&page, html).unwrap();
            shot(&page, &out.join(format!("{name}.png")), None, "680,1100");
        }
    }
}
