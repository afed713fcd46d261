//! Charsets: bytes in a declared (or undeclared) charset as UTF-8.

use mail_parser::decoders::charsets::map::charset_decoder;

/// Windows-1252 at 0x80–0x9F; the five holes keep their Latin-1 (C1 control) code points.
pub(super) const CP1252_HIGH: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Windows-1252, the superset of Latin-1 that mail labelled ISO-8859-1 really uses. Never fails.
pub(super) fn decode_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

pub(super) fn decode_with(label: &str, bytes: &[u8]) -> String {
    match charset_decoder(label.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// ISO-2022-JP escapes: `ESC $ B`, `ESC $ @` (JIS X 0208), `ESC ( J` (JIS X 0201 Roman).
pub(super) fn looks_like_iso2022jp(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| w == b"\x1b$B" || w == b"\x1b$@" || w == b"\x1b(J")
}

/// Text of unknown charset: ISO-2022-JP when its escapes are there, UTF-8 when valid, else
/// Windows-1252 (a superset of Latin-1 for the bytes mail uses) — unless the bytes also hold
/// valid UTF-8 multibyte sequences: then it is UTF-8 with a few bad bytes, read lossily.
pub(super) fn sniff(bytes: &[u8]) -> String {
    if looks_like_iso2022jp(bytes) {
        return decode_with("iso-2022-jp", bytes);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let has_utf8 = bytes.utf8_chunks().any(|chunk| !chunk.valid().is_ascii());
    if has_utf8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        decode_cp1252(bytes)
    }
}

/// Bytes in the named charset as UTF-8. GB2312 labels are read as GB18030 (senders label GBK
/// text GB2312); ISO-2022-JP variants as ISO-2022-JP; invalid UTF-8 and unknown labels go
/// through [`sniff`].
pub(super) fn decode_charset(bytes: &[u8], label: Option<&str>) -> String {
    let label = label
        .map(|l| {
            l.trim()
                .trim_matches(['"', '\''])
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    match label.as_str() {
        "" | "us-ascii" | "ascii" | "us_ascii" | "ansi_x3.4-1968" | "646" | "unknown"
        | "unknown-8bit" | "x-unknown" | "default" => sniff(bytes),
        "utf-8" | "utf8" | "utf_8" | "x-utf-8" | "x-utf8" | "unicode-1-1-utf-8" => {
            match std::str::from_utf8(bytes) {
                Ok(s) => s.to_string(),
                Err(_) => sniff(bytes),
            }
        }
        "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "iso_8859-1:1987" | "latin1" | "latin-1"
        | "l1" | "cp819" | "ibm819" | "windows-1252" | "cp1252" | "x-cp1252" => {
            decode_cp1252(bytes)
        }
        l if l.starts_with("iso-2022-jp") || l == "csiso2022jp" || l == "iso2022jp" => {
            decode_with("iso-2022-jp", bytes)
        }
        "gb2312" | "gbk" | "x-gbk" | "cp936" | "ms936" | "windows-936" | "euc-cn" | "x-euc-cn"
        | "csgb2312" | "gb_2312-80" | "gb_2312" | "chinese" | "x-gb2312" | "gb18030"
        | "csgb18030" | "csiso58gb231280" => decode_with("gb18030", bytes),
        "cp932" | "ms932" | "windows-932" | "x-ms-cp932" => decode_with("shift_jis", bytes),
        l => match charset_decoder(l.as_bytes()) {
            Some(decode) => decode(bytes),
            None => sniff(bytes),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charsets() {
        assert_eq!(decode_charset(b"caf\xe9", Some("ISO-8859-1")), "café");
        assert_eq!(decode_charset(b"\xa4", Some("iso-8859-15")), "€");
        assert_eq!(
            decode_charset(b"\x93hi\x94 \x80", Some("windows-1252")),
            "“hi” €"
        );
        assert_eq!(decode_charset(b"caf\xe9", Some("utf-8")), "café");
        assert_eq!(decode_charset(b"caf\xe9", None), "café");
        assert_eq!(
            decode_charset(
                "café \u{2014} "
                    .as_bytes()
                    .iter()
                    .chain(b"\xff")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
                Some("utf-8")
            ),
            "café \u{2014} \u{fffd}"
        );
        // GBK-only character (U+5586 喆) under a GB2312 label.
        assert_eq!(decode_charset(b"\x86\xb4", Some("gb2312")), "喆");
        // "日本" in ISO-2022-JP, labelled and unlabelled.
        let jis = b"\x1b$BF|K\\\x1b(B";
        assert_eq!(decode_charset(jis, Some("ISO-2022-JP")), "日本");
        assert_eq!(decode_charset(jis, None), "日本");
        assert_eq!(decode_charset(jis, Some("us-ascii")), "日本");
    }
}
