//! Charsets: bytes in a declared (or undeclared) charset as UTF-8.
//!
//! Labels are looked up as browsers do (encoding_rs, the WHATWG label table), then in
//! mail-parser's table for the few that only mail uses (UTF-7). Text that declares no charset,
//! or one its bytes cannot be (`us-ascii` over 8-bit bytes, invalid UTF-8), is detected the way
//! browsers detect legacy web pages (chardetng): GB2312, Shift_JIS, Big5, EUC-KR, KOI8-R,
//! windows-1251 and the ISO-8859 family are told apart, and UTF-8 stays UTF-8.

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{Encoding, GB18030, ISO_2022_JP, REPLACEMENT, UTF_8, WINDOWS_1252};
use mail_parser::decoders::charsets::map::charset_decoder;

/// Windows-1252, the superset of Latin-1 that mail labelled ISO-8859-1 really uses. Never fails.
pub(super) fn decode_cp1252(bytes: &[u8]) -> String {
    WINDOWS_1252
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// ISO-2022-JP escapes: `ESC $ B`, `ESC $ @` (JIS X 0208), `ESC ( J` (JIS X 0201 Roman).
pub(super) fn looks_like_iso2022jp(bytes: &[u8]) -> bool {
    bytes
        .windows(3)
        .any(|w| w == b"\x1b$B" || w == b"\x1b$@" || w == b"\x1b(J")
}

/// UTF-8 whose few invalid bytes are stray single-byte text (a Latin-1 signature pasted into
/// UTF-8 mail): the valid sequences as UTF-8, each invalid byte as Windows-1252. `None` when the
/// invalid bytes outnumber the valid non-ASCII characters: then the text is most likely not
/// UTF-8 at all (GBK and Big5 pairs are now and then valid UTF-8 by chance, a few in a hundred).
pub(super) fn mostly_utf8(bytes: &[u8]) -> Option<String> {
    let (mut good, mut bad) = (0usize, 0usize);
    for chunk in bytes.utf8_chunks() {
        good += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
        bad += chunk.invalid().len();
    }
    if good < bad.max(1) {
        return None;
    }
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.push_str(&decode_cp1252(chunk.invalid()));
    }
    Some(out)
}

/// The legacy encoding the undeclared bytes are most likely in, as a browser would guess it.
/// `tld`, the top-level domain of the sender (`b"jp"`, `b"ru"`), weighs in as the page's domain
/// does for a browser.
pub(super) fn detect(bytes: &[u8], tld: Option<&[u8]>) -> &'static Encoding {
    // ISO-2022-JP allowed: mail runs no scripts (chardetng's advice for email clients).
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
    detector.feed(bytes, true);
    detector.guess(tld, Utf8Detection::Deny)
}

/// Text of unknown charset: ASCII and valid UTF-8 as they are, ISO-2022-JP when its escapes
/// are there, UTF-8 with a few stray bytes read as such, anything else detected.
pub(super) fn sniff(bytes: &[u8], tld: Option<&[u8]>) -> String {
    if bytes.is_ascii() && !looks_like_iso2022jp(bytes) {
        // ASCII is valid UTF-8: no copy through a decoder.
        return String::from_utf8_lossy(bytes).into_owned();
    }
    if looks_like_iso2022jp(bytes) {
        return decode_as(ISO_2022_JP, bytes);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    if let Some(s) = mostly_utf8(bytes) {
        return s;
    }
    decode_as(detect(bytes, tld), bytes)
}

fn decode_as(encoding: &'static Encoding, bytes: &[u8]) -> String {
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// The charset an HTML document declares in its first 1,024 bytes (`<meta charset=...>` or
/// `<meta http-equiv="Content-Type" content="text/html; charset=...">`), as browsers prescan.
pub(super) fn meta_charset(html: &[u8]) -> Option<String> {
    let head = &html[..html.len().min(1024)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(p) = lower[from..].windows(5).position(|w| w == b"<meta") {
        let tag_start = from + p;
        let tag_end = lower[tag_start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(lower.len(), |e| tag_start + e);
        let tag = &lower[tag_start..tag_end];
        if let Some(c) = tag.windows(8).position(|w| w == b"charset=") {
            let value: String = tag[c + 8..]
                .iter()
                .map(|&b| b as char)
                .skip_while(|&c| c == '"' || c == '\'' || c == ' ')
                .take_while(|&c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
                .collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
        from = tag_end;
    }
    None
}

/// Labels that say nothing about 8-bit bytes: what they hold is detected.
fn is_unknown_label(label: &str) -> bool {
    matches!(
        label,
        "" | "us-ascii"
            | "ascii"
            | "us_ascii"
            | "ansi_x3.4-1968"
            | "646"
            | "iso646-us"
            | "unknown"
            | "unknown-8bit"
            | "x-unknown"
            | "default"
            | "charset"
            | "none"
            | "8bit"
            | "binary"
    )
}

/// The encoding a declared label names: encoding_rs's WHATWG table, with GB2312 read as
/// GB18030 (senders label GBK text GB2312; the GB18030 decoder reads both) and the
/// ISO-2022-JP variants (`-2`, `-3`, `-ext`) as ISO-2022-JP. `None` for labels it does not
/// know. Labels it maps to its replacement decoder (ISO-2022-KR, HZ) come back as
/// `REPLACEMENT`: no decoder here reads them, so their bytes are sniffed.
fn encoding_for(label: &str) -> Option<&'static Encoding> {
    if label.starts_with("iso-2022-jp") || label == "csiso2022jp" || label == "iso2022jp" {
        return Some(ISO_2022_JP);
    }
    if matches!(label, "cp932" | "ms932" | "windows-932" | "x-ms-cp932") {
        return Encoding::for_label(b"shift_jis");
    }
    if matches!(label, "cp949" | "ms949" | "uhc" | "ks_c_5601" | "ksc5601") {
        return Encoding::for_label(b"euc-kr");
    }
    if matches!(label, "cp950" | "ms950" | "big5hkscs") {
        return Encoding::for_label(b"big5");
    }
    let encoding = Encoding::for_label(label.as_bytes())?;
    if encoding.name() == "GBK" {
        return Some(GB18030);
    }
    Some(encoding)
}

/// Bytes in the named charset as UTF-8. A declared charset that the bytes cannot be is not
/// trusted: `us-ascii` (or none) over 8-bit bytes, invalid UTF-8, and valid UTF-8 under a
/// single-byte label (ISO-8859-x, windows-125x, KOI8) go through [`sniff`]. Never fails.
pub(super) fn decode_charset(bytes: &[u8], label: Option<&str>) -> String {
    let label = label
        .map(|l| {
            l.trim()
                .trim_matches(['"', '\''])
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();
    if is_unknown_label(&label) {
        return sniff(bytes, None);
    }
    match encoding_for(&label) {
        Some(encoding) if encoding == UTF_8 => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_string(),
            Err(_) => sniff(bytes, None),
        },
        // Text in a single-byte charset is almost never valid UTF-8 with non-ASCII characters:
        // such bytes are UTF-8 under a wrong label.
        Some(encoding) if encoding.is_single_byte() => {
            if !bytes.is_ascii() {
                if let Ok(s) = std::str::from_utf8(bytes) {
                    return s.to_string();
                }
            }
            decode_as(encoding, bytes)
        }
        Some(encoding) if encoding == REPLACEMENT => sniff(bytes, None),
        Some(encoding) => decode_as(encoding, bytes),
        None => {
            let label = if label.contains("utf-7") || label.contains("utf7") {
                "utf-7"
            } else {
                label.as_str()
            };
            match charset_decoder(label.as_bytes()) {
                Some(decode) => decode(bytes),
                None => sniff(bytes, None),
            }
        }
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
        // UTF-8 with one stray Latin-1 byte: both read, nothing replaced.
        assert_eq!(
            decode_charset(
                "café — "
                    .as_bytes()
                    .iter()
                    .chain(b"\xe9t\xe9")
                    .copied()
                    .collect::<Vec<_>>()
                    .as_slice(),
                Some("utf-8")
            ),
            "café — été"
        );
        // GBK-only character (U+5586 喆) under a GB2312 label.
        assert_eq!(decode_charset(b"\x86\xb4", Some("gb2312")), "喆");
        // "日本" in ISO-2022-JP, labelled and unlabelled.
        let jis = b"\x1b$BF|K\\\x1b(B";
        assert_eq!(decode_charset(jis, Some("ISO-2022-JP")), "日本");
        assert_eq!(decode_charset(jis, None), "日本");
        assert_eq!(decode_charset(jis, Some("us-ascii")), "日本");
        // Labels only mail uses.
        assert_eq!(
            decode_charset(b"+ANw-ber", Some("unicode-1-1-utf-7")),
            "Über"
        );
        assert_eq!(
            decode_charset(b"\xc7\xd1\xb1\xdb", Some("ks_c_5601-1987")),
            "한글"
        );
        // A replacement-mapped label is never turned into U+FFFD.
        assert!(!decode_charset(b"abc", Some("iso-2022-kr")).contains('\u{fffd}'));
    }

    #[test]
    fn a_declared_charset_the_bytes_cannot_be_is_not_trusted() {
        // UTF-8 bytes under us-ascii and under Latin-1 labels.
        assert_eq!(
            decode_charset("Grüße".as_bytes(), Some("us-ascii")),
            "Grüße"
        );
        assert_eq!(
            decode_charset("Grüße".as_bytes(), Some("iso-8859-1")),
            "Grüße"
        );
        assert_eq!(
            decode_charset("Привет".as_bytes(), Some("koi8-r")),
            "Привет"
        );
        // Latin-1 under UTF-8.
        assert_eq!(decode_charset(b"Gr\xfc\xdfe", Some("utf-8")), "Grüße");
        // Plain ASCII under any label is itself.
        assert_eq!(decode_charset(b"hello", Some("koi8-r")), "hello");
    }

    #[test]
    fn undeclared_8bit_text_is_detected_not_read_as_latin1() {
        let cases: &[(&str, &'static Encoding, &str)] = &[
            ("gbk", GB18030, "转发：关于下周的会议安排，请大家准时参加"),
            (
                "shift_jis",
                encoding_rs::SHIFT_JIS,
                "会議の資料をお送りします。ご確認ください。",
            ),
            (
                "big5",
                encoding_rs::BIG5,
                "您好，請問我的訂單什麼時候可以出貨？謝謝",
            ),
            (
                "euc-kr",
                encoding_rs::EUC_KR,
                "안녕하세요. 주문한 상품이 아직 도착하지 않았습니다.",
            ),
            (
                "koi8-r",
                encoding_rs::KOI8_R,
                "Здравствуйте, у меня не работает принтер в офисе.",
            ),
            (
                "windows-1251",
                encoding_rs::WINDOWS_1251,
                "Здравствуйте, у меня не работает принтер в офисе.",
            ),
            (
                "iso-8859-2",
                encoding_rs::ISO_8859_2,
                "Dzień dobry, drukarka w biurze nie działa, proszę o pomoc.",
            ),
            (
                "windows-1252",
                WINDOWS_1252,
                "Grüße aus München, der Drucker im Büro funktioniert nicht.",
            ),
            (
                "iso-8859-7",
                encoding_rs::ISO_8859_7,
                "Καλημέρα, ο εκτυπωτής στο γραφείο δεν λειτουργεί.",
            ),
        ];
        for (name, encoding, text) in cases {
            let (bytes, _, unmappable) = encoding.encode(text);
            assert!(!unmappable, "{name}: test text not encodable");
            assert_eq!(decode_charset(&bytes, None), *text, "{name}");
            assert_eq!(decode_charset(&bytes, Some("us-ascii")), *text, "{name}");
        }
        // UTF-8 stays UTF-8.
        assert_eq!(decode_charset("转发：会议".as_bytes(), None), "转发：会议");
    }

    #[test]
    fn the_sender_domain_helps_short_text() {
        let (bytes, _, _) = encoding_rs::SHIFT_JIS.encode("お世話になっております");
        assert_eq!(sniff(&bytes, Some(b"jp")), "お世話になっております");
    }
}
