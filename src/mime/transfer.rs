//! Transfer encodings: base64, quoted-printable and the B and Q encodings of RFC 2047 words,
//! all mail-parser's own decoders (the ones its MIME parser runs), called on the bytes this
//! module slices out itself.

use mail_parser::decoders::base64;
use mail_parser::parsers::MessageStream;
use mail_parser::{Encoding, HeaderName, MessagePart};

/// Base64, whitespace ignored, padding ending a group; `None` when a byte outside the
/// alphabet is there (the part is then kept as it came, SPEC §3.8).
pub(super) fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    base64::base64_decode(input)
}

/// Quoted-printable body decoding; malformed `=` sequences are kept as they are (mail-parser's
/// MIME decoder, run to the end of the slice: no boundary to look for).
pub(super) fn qp_decode(input: &[u8]) -> Vec<u8> {
    MessageStream::new(input)
        .decode_quoted_printable_mime(b"")
        .1
        .into_owned()
}

/// Quoted-printable that keeps the spaces ending its lines. mail-parser's decoder drops them
/// (transport padding, RFC 2045 §6.7), but in `format=flowed` text (RFC 3676) a space before
/// the line break marks a soft break, and clients send it unencoded (`flowed_text_is_unwrapped`
/// in `body.rs` fails without this): those spaces are escaped as `=20` before mail-parser's
/// decoder runs.
pub(super) fn qp_decode_flowed(input: &[u8]) -> Vec<u8> {
    let mut escaped = Vec::with_capacity(input.len() + input.len() / 16);
    for line in input.split_inclusive(|&b| b == b'\n') {
        let (text, end) = match line.strip_suffix(b"\r\n") {
            Some(t) => (t, &b"\r\n"[..]),
            None => match line.strip_suffix(b"\n") {
                Some(t) => (t, &b"\n"[..]),
                None => (line, &b""[..]),
            },
        };
        match text.strip_suffix(b" ") {
            Some(t) if !end.is_empty() && !t.ends_with(b"=") => {
                escaped.extend_from_slice(t);
                escaped.extend_from_slice(b"=20");
            }
            _ => escaped.extend_from_slice(text),
        }
        escaped.extend_from_slice(end);
    }
    qp_decode(&escaped)
}

/// The data of an RFC 2047 word (`data?=`, terminator included) in the B or Q encoding;
/// `None` when it is not valid in that encoding (the word then stays as written).
pub(super) fn word_decode(encoding: u8, data_and_end: &[u8]) -> Option<Vec<u8>> {
    let mut stream = MessageStream::new(data_and_end);
    match encoding {
        b'b' | b'B' => stream.decode_base64_word(),
        b'q' | b'Q' => stream.decode_quoted_printable_word(),
        _ => None,
    }
}

/// A part's content transfer-decoded; `None` when base64 does not decode (the caller keeps the
/// bytes as they came).
pub(super) fn transfer_decode(bytes: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    match encoding {
        Encoding::Base64 => base64_decode(bytes),
        Encoding::QuotedPrintable => Some(qp_decode(bytes)),
        Encoding::None => Some(bytes.to_vec()),
    }
}

/// The transfer encoding a part's header declares. mail-parser's `part.encoding` says
/// `None` for a part it could not decode; this is what the sender wrote.
pub(super) fn declared_encoding(part: &MessagePart<'_>) -> Encoding {
    let value = part
        .headers
        .iter()
        .find(|h| h.name == HeaderName::ContentTransferEncoding)
        .and_then(|h| h.value.as_text())
        .map(|v| v.trim().to_ascii_lowercase());
    match value.as_deref() {
        Some("base64") => Encoding::Base64,
        Some("quoted-printable") => Encoding::QuotedPrintable,
        _ => Encoding::None,
    }
}

/// The value of a hexadecimal digit.
pub(super) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_encodings() {
        assert_eq!(
            base64_decode(b"aGVs\r\nbG8=").as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(base64_decode(b"aGVs!bG8="), None);
        assert_eq!(
            qp_decode(b"caf=C3=A9 =\r\nsuite=3D1 =ZZ"),
            "café suite=1 =ZZ".as_bytes()
        );
        assert_eq!(qp_decode(b"soft \r\nbreak"), b"soft\r\nbreak");
        assert_eq!(
            qp_decode_flowed(b"soft \r\nbreak =\r\nx"),
            b"soft \r\nbreak x"
        );
        assert_eq!(
            word_decode(b'q', b"a_b=3F?=").as_deref(),
            Some(&b"a b?"[..])
        );
        assert_eq!(
            word_decode(b'Q', b"Fr\xf6sche?=").as_deref(),
            Some(&b"Fr\xf6sche"[..])
        );
        assert_eq!(
            word_decode(b'b', b"w6k=?=").as_deref(),
            Some(&b"\xc3\xa9"[..])
        );
        assert_eq!(word_decode(b'b', b"w6k=").as_deref(), None);
        assert_eq!(word_decode(b'x', b"abc?=").as_deref(), None);
        assert_eq!(
            transfer_decode(b"aGk=", Encoding::Base64).as_deref(),
            Some(&b"hi"[..])
        );
        assert_eq!(transfer_decode(b"a*b", Encoding::Base64), None);
    }
}
