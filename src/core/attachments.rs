//! Attachment limits and forwarding (SPEC §3.7): how many files of a mail are kept, and which
//! of them a notice carries as files within `gateway.forward_attachments_max`.

use super::decision::{Decision, FileSize};
use super::{AttachmentInfo, InboundMail};

/// Most attachments kept from one mail; the rest are left in the raw mail (which is kept) and
/// named in the decision log. Real mail has a handful; fifty is a mail bomb or a mistake.
pub(crate) const MAX_ATTACHMENTS: usize = 50;

/// Applies the attachment limits to a parsed mail: at most [`MAX_ATTACHMENTS`], each at most
/// `max_size` bytes (`gateway.max_message_size`; a decoded part of a mail under that limit
/// cannot be larger, so this bound only matters for mail handed in by other means).
/// Returns the decision-log lines for what was dropped. The adapter stores only what is left.
pub(crate) fn limit_attachments(mail: &mut InboundMail, max_size: u64) -> Vec<Decision> {
    let mut why = Vec::new();
    let (kept, too_big): (Vec<AttachmentInfo>, Vec<AttachmentInfo>) =
        mail.attachments.drain(..).partition(|a| a.size <= max_size);
    if !too_big.is_empty() {
        why.push(Decision::AttachmentsTooBig {
            max: max_size,
            files: FileSize::of(&too_big),
        });
    }
    mail.attachments = kept;
    if mail.attachments.len() > MAX_ATTACHMENTS {
        let extra = mail.attachments.split_off(MAX_ATTACHMENTS);
        why.push(Decision::AttachmentsTooMany {
            kept: MAX_ATTACHMENTS,
            files: FileSize::of(&extra),
        });
    }
    why
}

/// The attachments a notice carries as files: in the mail's order, each one that still fits
/// in `max` bytes with those before it. The second value is the decision-log line naming the
/// ones that are listed but not forwarded.
pub(crate) fn forwardable(
    attachments: &[AttachmentInfo],
    max: u64,
) -> (Vec<AttachmentInfo>, Option<Decision>) {
    let mut total = 0u64;
    let mut forward = Vec::new();
    let mut left = Vec::new();
    for a in attachments {
        if total.saturating_add(a.size) <= max {
            total += a.size;
            forward.push(a.clone());
        } else {
            left.push(a.clone());
        }
    }
    let why = (!left.is_empty()).then(|| Decision::NotForwarded {
        max,
        files: FileSize::of(&left),
    });
    (forward, why)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Address;

    const ALICE: &str = "alice@customer.test";

    fn mail(from: &str, subject: &str, text: &str) -> InboundMail {
        InboundMail {
            message_id: Some(format!("{}@client.test", text.len())),
            from: Some(Address::new(from)),
            to: vec![Address::new("support@gateway.test")],
            subject: subject.into(),
            body: text.into(),
            reply_text: text.into(),
            ..Default::default()
        }
    }

    fn file(name: &str, size: u64) -> AttachmentInfo {
        AttachmentInfo {
            name: name.into(),
            content_type: "application/octet-stream".into(),
            size,
            sha256: format!("{:0>64}", size),
        }
    }

    // -- attachments (SPEC §3.7) -----------------------------------------------------------

    #[test]
    fn attachment_count_and_size_limits() {
        let mut m = mail(ALICE, "Logs", "See attached.");
        m.attachments = (0..60).map(|i| file(&format!("f{i}.log"), 10)).collect();
        m.attachments.insert(3, file("huge.iso", 1000));
        let why = crate::core::decision::render(&limit_attachments(&mut m, 500));
        assert_eq!(m.attachments.len(), MAX_ATTACHMENTS);
        assert_eq!(m.attachments[0].name, "f0.log");
        assert!(m.attachments.iter().all(|a| a.name != "huge.iso"));
        assert_eq!(why.len(), 2, "{why:?}");
        assert!(why[0].contains("huge.iso"), "{why:?}");
        assert!(
            why[1].contains("10 more") && why[1].contains("f59.log"),
            "{why:?}"
        );

        let mut m = mail(ALICE, "Logs", "See attached.");
        m.attachments = vec![file("a.png", 10)];
        assert!(limit_attachments(&mut m, 500).is_empty());
        assert_eq!(m.attachments.len(), 1);
    }

    #[test]
    fn attachments_are_forwarded_up_to_the_limit_in_order() {
        let files = [file("a.png", 400), file("big.mp4", 700), file("b.txt", 500)];
        let (fwd, why) = forwardable(&files, 1000);
        let names: Vec<&str> = fwd.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["a.png", "b.txt"]);
        let why = why.expect("a line for the file left out").to_string();
        assert!(
            why.contains("big.mp4 (700 bytes)") && why.contains("1000"),
            "{why}"
        );
        let (fwd, why) = forwardable(&files, 10_000);
        assert_eq!(fwd.len(), 3);
        assert_eq!(why, None);
        let (fwd, _) = forwardable(&files, 0);
        assert!(fwd.is_empty());
    }
}
