//! UID sets and mailbox names as IMAP commands write them (pure).

use std::borrow::Cow;

use super::MAX_SET_LEN;

/// Sorted, without duplicates, without the invalid UID 0.
pub(super) fn normalise(uids: &[u32]) -> Vec<u32> {
    let mut v: Vec<u32> = uids.iter().copied().filter(|&u| u != 0).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// `sorted` (ascending, unique) as IMAP UID sets with ranges (`1:500,502,510:600`), split so
/// no set is longer than [`MAX_SET_LEN`]. One set unless the UIDs are very scattered.
pub(super) fn uid_sets(sorted: &[u32]) -> Vec<String> {
    let mut sets = Vec::new();
    let mut current = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        i += 1;
        let item = if start == end {
            start.to_string()
        } else {
            format!("{start}:{end}")
        };
        if !current.is_empty() && current.len() + 1 + item.len() > MAX_SET_LEN {
            sets.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(',');
        }
        current.push_str(&item);
    }
    if !current.is_empty() {
        sets.push(current);
    }
    sets
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): printable ASCII stands for
/// itself (`&` as `&-`), anything else is `&` + base64 of UTF-16BE (`,` for `/`) + `-`.
pub(super) fn encode_mailbox(name: &str) -> Cow<'_, str> {
    if name.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'&') {
        return Cow::Borrowed(name);
    }
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";
    fn flush(out: &mut String, units: &mut Vec<u16>) {
        if units.is_empty() {
            return;
        }
        let bytes: Vec<u8> = units.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            let chars = chunk.len() + 1;
            for k in 0..chars {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * k)) & 0x3f) as usize]));
            }
        }
        out.push('-');
        units.clear();
    }
    let mut out = String::with_capacity(name.len() * 2);
    let mut units: Vec<u16> = Vec::new();
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut units);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            units.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut units);
    Cow::Owned(out)
}

/// An IMAP quoted string (for LIST's pattern, which async-imap does not quote).
pub(super) fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_compress_runs() {
        let mut uids: Vec<u32> = (1..=500).collect();
        uids.push(502);
        uids.extend(510..=600);
        assert_eq!(uid_sets(&uids), vec!["1:500,502,510:600".to_string()]);
        assert_eq!(uid_sets(&[7]), vec!["7".to_string()]);
        assert_eq!(uid_sets(&[1, 2]), vec!["1:2".to_string()]);
        assert!(uid_sets(&[]).is_empty());
    }

    #[test]
    fn normalise_sorts_dedups_and_drops_zero() {
        assert_eq!(normalise(&[5, 0, 3, 5, 4]), vec![3, 4, 5]);
    }

    #[test]
    fn scattered_uids_split_into_bounded_sets_covering_all() {
        let uids: Vec<u32> = (0..10_000u32).map(|i| 1_000_000 + 2 * i).collect();
        let sets = uid_sets(&uids);
        assert!(sets.len() > 1);
        assert!(sets.iter().all(|s| s.len() <= MAX_SET_LEN));
        let back: Vec<u32> = sets
            .iter()
            .flat_map(|s| s.split(','))
            .map(|n| n.parse().unwrap())
            .collect();
        assert_eq!(back, uids);
    }

    #[test]
    fn mailbox_names_use_modified_utf7() {
        assert_eq!(encode_mailbox("Processed"), "Processed");
        assert_eq!(encode_mailbox("A&B"), "A&-B");
        // RFC 3501 §5.1.3 example
        assert_eq!(
            encode_mailbox("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode_mailbox("Traités"), "Trait&AOk-s");
    }
}
