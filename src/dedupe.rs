//! What makes two deliveries one mail (SPEC §3.1, §4): a mail's fingerprint, and the header
//! fields it is read from. Pure: no I/O.
//!
//! Deduplication must never drop a mail that was not processed, and one mail delivered twice
//! (two aliases, a redelivery) must have one effect. A Message-ID alone fails the first (anyone
//! can reuse one); the raw bytes fail the second (each delivery adds its own trace fields:
//! `Received`, `Delivered-To`, `X-Original-To`, `Return-Path` …). The fingerprint is the hash
//! of what the sender wrote and no relay changes: the originator fields ([`ORIGINATOR`]) and
//! the body. Two mails sharing a Message-ID but differing in sender or content differ in it;
//! a redelivery does not.

use sha2::{Digest, Sha256};

/// The header fields the sender writes and relays leave alone: what the fingerprint reads.
/// Trace fields, authentication results, spam scores and every other field a receiving
/// system may add differ between two deliveries of one mail, and are left out.
pub(crate) const ORIGINATOR: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "subject",
    "date",
    "message-id",
    "in-reply-to",
    "references",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-language",
];

/// A key a mail's record is kept under: how the gateway knows a mail it saw before, and how
/// `show <Message-ID>` finds one. Only this type spells the keys' prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MailKey(String);

impl MailKey {
    /// The lookup key of a Message-ID (`mid:<id>`). Not a dedupe key: another mail may
    /// reuse the id.
    pub fn message_id(id: &str) -> MailKey {
        MailKey(format!("mid:{id}"))
    }

    /// The key of a mail by its place on the server, for a mail too big to fetch:
    /// `uid:<validity>:<uid>` in the first queue's mailbox, `uid:<mailbox>:<validity>:<uid>`
    /// in another's (two mailboxes may share a UIDVALIDITY). `mailbox` is `None` for the
    /// first queue's, whose key stays that of a desk with one mailbox.
    pub fn uid(mailbox: Option<&str>, validity: u32, uid: u32) -> MailKey {
        match mailbox {
            None => MailKey(format!("uid:{validity}:{uid}")),
            Some(mailbox) => MailKey(format!("uid:{mailbox}:{validity}:{uid}")),
        }
    }

    /// The Message-ID a stored key names, when it is a [`MailKey::message_id`].
    pub(crate) fn message_id_of(key: &str) -> Option<&str> {
        key.strip_prefix("mid:")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for MailKey {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MailKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<MailKey> for String {
    fn from(k: MailKey) -> String {
        k.0
    }
}

/// The dedupe key of a mail: `fp:` and the hex SHA-256 of its originator fields and body.
pub(crate) fn fingerprint(raw: &[u8]) -> MailKey {
    let (head, body) = split(raw);
    let mut h = hash_fields(head);
    h.update(b"\n");
    // Line endings as stored (Dovecot keeps LF, serves CRLF) and trailing blank lines do
    // not make another mail.
    hash_body(&mut h, body);
    MailKey(format!("fp:{}", hex(&h.finalize())))
}

/// The dedupe key of a mail too big to fetch, from its header block alone (`hfp:`).
pub(crate) fn header_fingerprint(head: &[u8]) -> MailKey {
    let (head, _) = split(head);
    MailKey(format!("hfp:{}", hex(&hash_fields(head).finalize())))
}

/// The key of a mail by its exact bytes (`sha:<hex>`): for mail that cannot be read at all,
/// and the key older stores kept mail without a Message-ID under.
pub(crate) fn content_key(raw: &[u8]) -> MailKey {
    MailKey(format!("sha:{}", hex(&Sha256::digest(raw))))
}

/// The header fields of a raw mail, leniently (the mail may be unparseable): names lower
/// case, values unfolded and trimmed, in order; up to the first empty line.
pub(crate) fn header_fields(raw: &[u8]) -> Vec<(String, String)> {
    let (head, _) = split(raw);
    let text = String::from_utf8_lossy(head);
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((k, v)) = line.split_once(':') {
            fields.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    fields
}

/// The header block (at most 1 MiB of it) and the body.
fn split(raw: &[u8]) -> (&[u8], &[u8]) {
    let limit = raw.len().min(1024 * 1024);
    let mut i = 0;
    while i < limit {
        if raw[i] == b'\n' {
            let rest = &raw[i + 1..];
            if rest.starts_with(b"\n") {
                return (&raw[..i + 1], &raw[i + 2..]);
            }
            if rest.starts_with(b"\r\n") {
                return (&raw[..i + 1], &raw[i + 3..]);
            }
        }
        i += 1;
    }
    (&raw[..limit], &raw[limit..])
}

/// The hash of the originator fields of a header block, whitespace runs made one space.
fn hash_fields(head: &[u8]) -> Sha256 {
    let mut h = Sha256::new();
    for (name, value) in header_fields(head) {
        if ORIGINATOR.contains(&name.as_str()) {
            h.update(name.as_bytes());
            h.update(b":");
            for (i, word) in value.split_whitespace().enumerate() {
                if i > 0 {
                    h.update(b" ");
                }
                h.update(word.as_bytes());
            }
            h.update(b"\n");
        }
    }
    h
}

/// Hashes the body with each CRLF read as LF and trailing whitespace left out, straight from
/// the raw mail (a big attachment is not copied for it). Trailing whitespace is cut first:
/// a CR before an LF is whitespace, so what is left ends on a byte that stays.
fn hash_body(h: &mut Sha256, body: &[u8]) {
    let end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    let body = &body[..end];
    let mut start = 0;
    let mut from = 0;
    while let Some(at) = body[from..]
        .iter()
        .position(|&b| b == b'\r')
        .map(|i| from + i)
    {
        if body.get(at + 1) == Some(&b'\n') {
            h.update(&body[start..at]);
            start = at + 1;
        }
        from = at + 1;
    }
    h.update(&body[start..]);
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body as the fingerprint reads it, written out: CRLF as LF, trailing whitespace cut.
    fn normalized(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            if !(body[i] == b'\r' && body.get(i + 1) == Some(&b'\n')) {
                out.push(body[i]);
            }
            i += 1;
        }
        while out.last().is_some_and(|b| b.is_ascii_whitespace()) {
            out.pop();
        }
        out
    }

    #[test]
    fn the_body_is_hashed_as_its_normalized_bytes() {
        let bodies: [&[u8]; 10] = [
            b"",
            b"\r\n\r\n",
            b"Blank pages.\r\n",
            b"a\r\nb\nc\rd\r\r\ne",
            b"ends in a CR\r",
            b"\rstarts with CRs\r\r",
            b"trailing \t \r\n \r\n\n",
            b"x\r\n\r\ny\r\n",
            b"\r\r\r\n",
            b"no line end",
        ];
        for body in bodies {
            let mut streamed = Sha256::new();
            hash_body(&mut streamed, body);
            assert_eq!(
                streamed.finalize(),
                Sha256::digest(normalized(body)),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    const MAIL: &str = "From: Alice <alice@customer.test>\r\nTo: support@gateway.test\r\n\
Subject: Printer\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <x@y>\r\n\r\nBlank pages.\r\n";

    #[test]
    fn an_oversize_mail_is_keyed_by_its_mailbox_too() {
        // A desk with one mailbox keeps the key it always had.
        assert_eq!(MailKey::uid(None, 7, 3).as_str(), "uid:7:3");
        // Two queues' mailboxes may share a UIDVALIDITY: the same UID is two mails.
        let billing = MailKey::uid(Some("billing@x.test/INBOX"), 7, 3);
        assert_ne!(billing, MailKey::uid(None, 7, 3));
        assert_ne!(billing, MailKey::uid(Some("sales@x.test/INBOX"), 7, 3));
    }

    #[test]
    fn a_redelivery_has_the_fingerprint_of_the_mail() {
        let first = format!("Return-Path: <alice@customer.test>\r\nDelivered-To: support@gateway.test\r\nReceived: from a by b; Mon, 23 Nov 2026 10:00:01 +0000\r\n{MAIL}");
        let second = format!("Return-Path: <bounce@relay.test>\r\nDelivered-To: help@gateway.test\r\nX-Original-To: help@gateway.test\r\nReceived: from c by d; Mon, 23 Nov 2026 10:05:00 +0000\r\nAuthentication-Results: mx; dkim=none\r\n{MAIL}");
        let lf = MAIL.replace("\r\n", "\n");
        let folded = MAIL.replace("Subject: Printer", "Subject:\r\n  Printer");
        let fp = fingerprint(MAIL.as_bytes());
        for same in [
            first.as_str(),
            second.as_str(),
            lf.as_str(),
            folded.as_str(),
        ] {
            assert_eq!(fingerprint(same.as_bytes()), fp, "{same}");
        }
        assert!(fp.starts_with("fp:") && fp.len() == 67);
    }

    #[test]
    fn another_sender_or_content_under_the_same_message_id_is_another_mail() {
        let fp = fingerprint(MAIL.as_bytes());
        for other in [
            MAIL.replace("alice@customer.test", "mallory@evil.test"),
            MAIL.replace("Blank pages.", "Buy now."),
            MAIL.replace("Subject: Printer", "Subject: Scanner"),
        ] {
            assert_ne!(fingerprint(other.as_bytes()), fp, "{other}");
        }
    }

    #[test]
    fn header_fields_are_read_leniently() {
        let f = header_fields(
            b"From: a@x\r\nSubject: one\r\n two\r\nbroken line\r\n\r\nFrom: body@x\r\n",
        );
        assert_eq!(
            f,
            vec![
                ("from".to_string(), "a@x".to_string()),
                ("subject".to_string(), "one two".to_string())
            ]
        );
        assert_eq!(
            header_fingerprint(b"From: a@x\r\nReceived: x\r\n\r\n"),
            header_fingerprint(b"Received: y\r\nFrom: a@x\r\n")
        );
    }
}
