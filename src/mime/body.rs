//! The body and the reply text of a mail: text parts decoded, `format=flowed` unwrapped, HTML
//! turned into text, quotes stripped.

use mail_parser::{Encoding, Message, MessagePart, MimeHeaders, PartType};

use super::attachments::file_name;
use super::charset::{decode_charset, meta_charset};
use super::transfer::{declared_encoding, qp_decode_flowed, transfer_decode};
use crate::core::{html, quotes, text};

/// The raw (still transfer-encoded) body bytes of a part.
pub(super) fn part_bytes<'a>(data: &'a [u8], part: &MessagePart<'_>) -> &'a [u8] {
    data.get(body_range(part)).unwrap_or_default()
}

/// Where a part's body (still transfer-encoded) lies in the raw mail; empty when the parser's
/// offsets are out of order.
pub(super) fn body_range(part: &MessagePart<'_>) -> std::ops::Range<usize> {
    let start = part.offset_body as usize;
    start..(part.offset_end as usize).max(start)
}

/// A part's content: transfer-decoded bytes, as its `Content-Transfer-Encoding` says (not as
/// mail-parser left it: it gives up on the whole part at the first bad byte); `None` when
/// base64 does not decode.
pub(super) fn part_content(data: &[u8], part: &MessagePart<'_>) -> Option<Vec<u8>> {
    transfer_decode(part_bytes(data, part), declared_encoding(part))
}

/// A text part as UTF-8, charset and `format=flowed` handled; empty when its transfer encoding
/// does not decode (the part is then kept as a file as it came, SPEC §3.8). An HTML part that
/// declares no charset in its header may do so in a `<meta>` tag, as browsers read it.
pub(super) fn part_text(data: &[u8], part: &MessagePart<'_>) -> String {
    let ct = part.content_type();
    let flowed = ct.is_some_and(|c| {
        c.attribute("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
            && c.subtype().is_none_or(|s| s.eq_ignore_ascii_case("plain"))
    });
    let content = match declared_encoding(part) {
        Encoding::QuotedPrintable if flowed => Some(qp_decode_flowed(part_bytes(data, part))),
        _ => part_content(data, part),
    };
    let Some(bytes) = content else {
        return String::new();
    };
    let is_html = ct.is_some_and(|c| c.subtype().is_some_and(|s| s.eq_ignore_ascii_case("html")));
    let meta = if is_html { meta_charset(&bytes) } else { None };
    let label = ct.and_then(|c| c.attribute("charset")).or(meta.as_deref());
    let text = decode_charset(&bytes, label);
    if flowed {
        let delsp = ct
            .and_then(|c| c.attribute("delsp"))
            .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
        unflow(&text, delsp)
    } else {
        text
    }
}

pub(super) fn is_named_attachment(data: &[u8], part: &MessagePart<'_>, index: usize) -> bool {
    index != 0
        && (part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
            || file_name(data, part).is_some())
}

/// `(body, reply_text, reply_kept_whole)` of the mail. The From's display name helps find a
/// signature that is only the sender's name.
pub(super) fn body_and_reply(
    message: &Message<'_>,
    data: &[u8],
    subject: &str,
) -> (String, String, bool) {
    let pieces = |ids: &[u32], html: bool| -> Vec<String> {
        ids.iter()
            .filter_map(|&id| message.parts.get(id as usize).map(|p| (id as usize, p)))
            .filter(|(_, p)| match p.body {
                PartType::Text(_) => !html,
                PartType::Html(_) => html,
                _ => false,
            })
            .filter(|(id, p)| !is_named_attachment(data, p, *id))
            .map(|(_, p)| part_text(data, p))
            .collect()
    };
    let plain = pieces(&message.text_body, false).join("\n");
    let html = pieces(&message.html_body, true).join("\n");
    let sender = message
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.name().or(a.address()));

    let body = if !plain.trim().is_empty() || html.trim().is_empty() {
        plain.clone()
    } else {
        html::html_to_text(&html)
    };

    let mut source = plain.clone();
    let mut reply = quotes::reply_text(&plain, sender);
    if (reply.text.is_empty() || reply.kept_whole) && !html.trim().is_empty() {
        let from_html = html::html_reply(&html, sender);
        if !from_html.text.is_empty() && (reply.text.is_empty() || !from_html.kept_whole) {
            reply = from_html;
            source = html::html_to_text(&html);
        }
    }
    let mut text = reply.text;
    if text::is_forward_subject(subject) && !quotes::has_forward_marker(&source) {
        let forwarded = quotes::quoted_part(&source);
        if !forwarded.is_empty() && !text.contains(&forwarded) {
            text = if text.is_empty() || reply.kept_whole {
                forwarded
            } else {
                format!("{text}\n\n{forwarded}")
            };
            reply.kept_whole = false;
        }
    }
    (body, text, reply.kept_whole)
}

/// RFC 3676 `format=flowed`: soft-broken lines (ending in a space) are joined again.
pub(super) fn unflow(text: &str, delsp: bool) -> String {
    fn render(depth: usize, content: &str) -> String {
        if depth == 0 {
            content.to_string()
        } else {
            format!("{} {}", ">".repeat(depth), content)
        }
    }
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let depth = line.bytes().take_while(|&b| b == b'>').count();
        let content = &line[depth..];
        let content = content.strip_prefix(' ').unwrap_or(content);
        let soft = content.ends_with(' ') && content != "-- ";
        let piece = if soft && delsp {
            &content[..content.len() - 1]
        } else {
            content
        };
        match current.as_mut() {
            Some((d, acc)) if *d == depth => acc.push_str(piece),
            _ => {
                if let Some((d, acc)) = current.take() {
                    out.push(render(d, &acc));
                }
                current = Some((depth, piece.to_string()));
            }
        }
        if !soft {
            if let Some((d, acc)) = current.take() {
                out.push(render(d, &acc));
            }
        }
    }
    if let Some((d, acc)) = current {
        out.push(render(d, &acc));
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::tests::mail;

    #[test]
    fn flowed_text_is_unwrapped() {
        assert_eq!(
            unflow(
                "Hello \r\nworld\r\n> quoted \r\n> more\r\n-- \r\nsig",
                false
            ),
            "Hello world\n> quoted more\n-- \nsig"
        );
        assert_eq!(unflow("Hel \nlo", true), "Hello");
        assert_eq!(unflow(" >not quoted", false), ">not quoted");
    }

    #[test]
    fn html_only_mail_is_turned_into_text() {
        let raw = "From: a@x.com\r\nSubject: Re: x\r\nContent-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
<div>Caf=E9 ok</div><div class=3D\"gmail_quote\">On Mon, Bob wrote:<blockquote>old</blockquote></div>\r\n";
        let m = mail(raw);
        assert_eq!(m.reply_text, "Café ok");
        assert!(m.body.contains("Café ok") && m.body.contains("> old"));
    }

    #[test]
    fn outlook_forward_keeps_the_forwarded_part() {
        let raw = "From: a@x.com\r\nSubject: FW: Printer\r\n\r\n\r\n\r\n________________________________\r\nFrom: Carol <c@x.com>\r\nSent: Monday, June 3, 2024 10:00 AM\r\nTo: a@x.com\r\nSubject: Printer\r\n\r\nIt is broken.\r\n";
        assert_eq!(
            mail(raw).reply_text,
            "From: Carol <c@x.com>\nSent: Monday, June 3, 2024 10:00 AM\nTo: a@x.com\nSubject: Printer\n\nIt is broken."
        );
        let reply = raw.replace("Subject: FW: Printer", "Subject: RE: Printer");
        assert_eq!(mail(&reply).reply_text, "");
    }
}
