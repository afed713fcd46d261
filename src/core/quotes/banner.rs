//! Warnings that a mail system puts above the writer's text ("CAUTION: This email originated
//! from outside of the organization. Do not click links …"): the writer did not write them, and
//! a ticket comment that starts with one buries the message.

use super::is_blank;
use super::signature_words::BANNER_WORDS;
use crate::core::text::normalize_line;

/// How long a banner may be, in lines: it is one short paragraph.
const MAX_LINES: usize = 4;

/// Where the writer's text starts once a leading external-sender banner is skipped: the index
/// of the first line after it, or 0 when the mail does not start with one. A banner is the
/// first paragraph, short, and holds two of the banner phrases.
pub(super) fn banner_end(lines: &[&str]) -> usize {
    let Some(start) = lines.iter().position(|l| !is_blank(l)) else {
        return 0;
    };
    let end = (start..lines.len())
        .find(|&j| is_blank(lines[j]))
        .unwrap_or(lines.len());
    if end - start > MAX_LINES || end == lines.len() {
        return 0;
    }
    let n = normalize_line(&lines[start..end].join(" "));
    let found = BANNER_WORDS.iter().filter(|w| n.contains(*w)).count();
    if found >= 2 {
        end
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end(s: &str) -> usize {
        banner_end(&s.split('\n').collect::<Vec<_>>())
    }

    #[test]
    fn external_sender_banners_are_skipped() {
        assert_eq!(
            end("CAUTION: This email originated from outside of the organization. Do not click links or open attachments unless you recognize the sender.\n\nHi team,\nThe file is missing."),
            1
        );
        assert_eq!(
            end("\n[EXTERNAL] Diese E-Mail stammt von außerhalb der Organisation. Klicken Sie nicht auf Links.\n\nHallo,"),
            2
        );
    }

    #[test]
    fn the_writers_first_paragraph_stays() {
        assert_eq!(end("Caution: the printer is hot.\n\nDo not touch it."), 0);
        assert_eq!(
            end("We got a mail from outside of the organization with links.\n\nIs it phishing?"),
            0
        );
        // A banner alone is all the mail has: nothing to skip to.
        assert_eq!(end("CAUTION: external email. Do not click links."), 0);
    }
}
