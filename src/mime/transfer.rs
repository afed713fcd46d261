//! Transfer encodings: base64, quoted-printable and the Q encoding of RFC 2047.

pub(super) fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Base64, whitespace ignored, padding ending a group. `strict`: a byte outside the alphabet is
/// an error; otherwise it is skipped.
pub(super) fn base64_decode(input: &[u8], strict: bool) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &b in input {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\n' => continue,
            _ if strict => return None,
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Quoted-printable body decoding; malformed `=` sequences are kept as they are.
pub(super) fn qp_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < input.len() && (input[j] == b' ' || input[j] == b'\t') {
            j += 1;
        }
        if j >= input.len() {
            i = j;
        } else if input[j] == b'\n' {
            i = j + 1;
        } else if input[j] == b'\r' && input.get(j + 1) == Some(&b'\n') {
            i = j + 2;
        } else if let (Some(hi), Some(lo)) = (
            input.get(i + 1).copied().and_then(hex_value),
            input.get(i + 2).copied().and_then(hex_value),
        ) {
            out.push((hi << 4) | lo);
            i += 3;
        } else {
            out.push(b'=');
            i += 1;
        }
    }
    out
}

/// RFC 2047 Q encoding.
pub(super) fn q_decode(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'_' => {
                out.push(b' ');
                i += 1;
            }
            b'=' => match (
                input.get(i + 1).copied().and_then(hex_value),
                input.get(i + 2).copied().and_then(hex_value),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push((hi << 4) | lo);
                    i += 3;
                }
                _ => {
                    out.push(b'=');
                    i += 1;
                }
            },
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_encodings() {
        assert_eq!(
            base64_decode(b"aGVs\r\nbG8=", true).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(base64_decode(b"aGVs!bG8=", true), None);
        assert_eq!(
            base64_decode(b"aGVs!bG8=", false).as_deref(),
            Some(&b"hello"[..])
        );
        assert_eq!(
            qp_decode(b"caf=C3=A9 =\r\nsuite=3D1 =ZZ"),
            "café suite=1 =ZZ".as_bytes()
        );
        assert_eq!(q_decode(b"a_b=3F"), b"a b?");
    }
}
