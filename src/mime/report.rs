//! Delivery-status reports (RFC 3464) read into [`crate::core::DeliveryReport`].

use mail_parser::{Message, MessageParser, MimeHeaders, PartType};

use super::attachments::content_type_of;
use super::body::part_content;
use super::headers::clean_id;
use crate::core::{DeliveryRecipient, DeliveryReport};

/// `type; value` fields of RFC 3464 (`rfc822; a@b`, `smtp; 550 ...`): the value.
pub(super) fn strip_type(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, v)| v).trim()
}

/// The recipient blocks of a `message/delivery-status` body.
pub(super) fn parse_dsn(text: &str) -> Vec<DeliveryRecipient> {
    let mut recipients = Vec::new();
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut flush = |fields: &mut Vec<(String, String)>| {
        let get = |name: &str| {
            fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        if let Some(address) = get("final-recipient").or_else(|| get("original-recipient")) {
            let address = strip_type(address)
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_ascii_lowercase();
            recipients.push(DeliveryRecipient {
                address,
                action: get("action").unwrap_or("").trim().to_ascii_lowercase(),
                status: get("status")
                    .and_then(|s| s.split_whitespace().next())
                    .unwrap_or("")
                    .to_string(),
                diagnostic: get("diagnostic-code")
                    .map(|d| strip_type(d).to_string())
                    .filter(|d| !d.is_empty()),
            });
        }
        fields.clear();
    };
    for line in text.lines() {
        if line.trim().is_empty() {
            flush(&mut fields);
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }
    flush(&mut fields);
    recipients
}

/// The Message-ID in a block of headers (a returned message or its headers).
pub(super) fn message_id_in(bytes: &[u8]) -> Option<String> {
    let message = MessageParser::new().parse_headers(bytes)?;
    message
        .message_id()
        .map(clean_id)
        .filter(|id| !id.is_empty())
}

/// RFC 3464: a `multipart/report; report-type=delivery-status` mail.
pub(super) fn delivery_report(message: &Message<'_>, data: &[u8]) -> Option<DeliveryReport> {
    let root = message.parts.first()?.content_type()?;
    if !root.ctype().eq_ignore_ascii_case("multipart")
        || !root
            .subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    {
        return None;
    }
    let report_type = root.attribute("report-type").map(str::to_ascii_lowercase);
    let mut report = DeliveryReport::default();
    let mut has_status = false;
    for part in &message.parts {
        match content_type_of(part).as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                has_status = true;
                let content = part_content(data, part).unwrap_or_default();
                report
                    .recipients
                    .extend(parse_dsn(&String::from_utf8_lossy(&content)));
            }
            "message/rfc822"
            | "message/global"
            | "text/rfc822-headers"
            | "message/global-headers"
                if report.original_message_id.is_none() =>
            {
                report.original_message_id = match &part.body {
                    PartType::Message(m) => {
                        m.message_id().map(clean_id).filter(|id| !id.is_empty())
                    }
                    _ => None,
                }
                .or_else(|| message_id_in(&part_content(data, part).unwrap_or_default()));
            }
            _ => {}
        }
    }
    let is_dsn = has_status
        || matches!(
            report_type.as_deref(),
            Some("delivery-status" | "global-delivery-status")
        );
    is_dsn.then_some(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse;
    use crate::mime::tests::{mail, SIMPLE};

    #[test]
    fn delivery_reports_are_read() {
        let raw = "From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"r1\"\r\n\r\n\
--r1\r\nContent-Type: text/plain\r\n\r\nThis is the mail system.\r\n\
--r1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
Final-Recipient: rfc822; Gone@Example.org\r\nOriginal-Recipient: rfc822;gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address\r\n    rejected\r\n\r\n\
Final-Recipient: rfc822; slow@example.org\r\nAction: delayed\r\nStatus: 4.4.1 (timeout)\r\n\r\n\
--r1\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: support@example.com\r\nMessage-ID: <sent-1@example.com>\r\nSubject: [SUP-1] x\r\n\r\n\
--r1--\r\n";
        let parsed = parse(raw.as_bytes()).expect("parses");
        let report = parsed.mail.delivery_report.expect("report");
        assert_eq!(
            report.original_message_id.as_deref(),
            Some("sent-1@example.com")
        );
        assert_eq!(
            report.recipients,
            vec![
                DeliveryRecipient {
                    address: "gone@example.org".into(),
                    action: "failed".into(),
                    status: "5.1.1".into(),
                    diagnostic: Some(
                        "550 5.1.1 <gone@example.org>: Recipient address rejected".into()
                    ),
                },
                DeliveryRecipient {
                    address: "slow@example.org".into(),
                    action: "delayed".into(),
                    status: "4.4.1".into(),
                    diagnostic: None,
                },
            ]
        );
        assert!(parsed.attachments.is_empty());
        assert_eq!(mail(SIMPLE).delivery_report, None);
    }
}
