//! What can be told of a mail that cannot be parsed (or is too big to fetch) from its header
//! block alone: its sender, whom it was written to, and whether it is automated.

use crate::core::{Address, AutoSignals, InboundMail};
use crate::dedupe::header_fields;

/// The address in one header value (`Name <a@b>` or `a@b`), lower-cased.
fn hint_address(v: &str) -> Option<Address> {
    let addr = match (v.rfind('<'), v.rfind('>')) {
        (Some(a), Some(b)) if a < b => v[a + 1..b].to_string(),
        _ => v.split_whitespace().find(|w| w.contains('@'))?.to_string(),
    };
    let addr = addr
        .trim()
        .trim_matches(['"', '\'', ','])
        .to_ascii_lowercase();
    (addr.contains('@') && !addr.contains(char::is_whitespace) && addr.len() < 255)
        .then(|| Address::new(&addr))
}

/// The sender and automated-mail headers of a mail that could not be parsed (or was too
/// big to fetch), read leniently from its header block: enough to decide whether it may get
/// a notice, in which language, and from which queue.
pub(crate) fn sender_hint(raw: &[u8]) -> Option<InboundMail> {
    let headers = header_fields(raw);
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    // The addresses of a header: each comma-separated part's `<…>`, else its word with
    // an `@` (a display name with a comma in it may cost a recipient, never a wrong one).
    let addresses = |name: &str| -> Vec<Address> {
        get(name)
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(hint_address)
            .collect()
    };
    let from = get("from").and_then(|v| hint_address(&v));
    let loop_headers = [
        "x-loop",
        "x-rt-loop-prevention",
        "x-otrs-loop",
        "x-jira-fingerprint",
    ]
    .iter()
    .filter(|h| get(h).is_some())
    .map(|h| h.to_string())
    .collect();
    Some(InboundMail {
        from,
        to: addresses("to"),
        cc: addresses("cc"),
        message_id: get("message-id").map(|m| m.trim_matches(['<', '>', ' ']).to_string()),
        subject: get("subject").unwrap_or_default(),
        content_language: get("content-language")
            .and_then(|v| v.split(',').next().map(|t| t.trim().to_ascii_lowercase()))
            .filter(|t| !t.is_empty()),
        auto: AutoSignals {
            auto_submitted: get("auto-submitted"),
            precedence: get("precedence"),
            list_id: get("list-id").is_some(),
            x_autoreply: get("x-autoreply").is_some() || get("x-autorespond").is_some(),
            return_path: get("return-path"),
            loop_headers,
            auto_response_suppress: false,
        },
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_block_tells_the_sender_and_whom_the_mail_was_written_to() {
        let raw = b"From: \"Doe, Jane\" <Jane@Example.COM>\r\n\
            To: Billing <billing@desk.test>, support@desk.test\r\n\
            Cc: \"Smith, Bob\" <bob@x.test>\r\n\
            Subject: big\r\nAuto-Submitted: auto-replied\r\n\r\nbody";
        let m = sender_hint(raw).expect("a hint");
        assert_eq!(m.from.unwrap().addr, "jane@example.com");
        let to: Vec<&str> = m.to.iter().map(|a| a.addr.as_str()).collect();
        assert_eq!(to, ["billing@desk.test", "support@desk.test"]);
        // The comma in the display name costs nothing but itself.
        let cc: Vec<&str> = m.cc.iter().map(|a| a.addr.as_str()).collect();
        assert_eq!(cc, ["bob@x.test"]);
        assert_eq!(m.auto.auto_submitted.as_deref(), Some("auto-replied"));
    }
}
