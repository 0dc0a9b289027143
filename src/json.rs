//! Small JSON string helpers shared by the scanner and the configuration.

/// Appends `s` as a JSON string literal, quotes included.
pub fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for &b in s.as_bytes() {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// A JSON string literal for `s`.
pub fn string_literal(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_string(s, &mut out);
    out
}

/// Decodes the body of a string literal that the scanner has validated
/// (escapes well formed, surrogates paired) into `out`, replacing its content.
pub fn unescape(body: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let e = body[i + 1];
        i += 2;
        let simple = match e {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            _ => {
                let hi = hex4(&body[i..i + 4]);
                i += 4;
                let c = if (0xD800..0xDC00).contains(&hi) {
                    let lo = hex4(&body[i + 2..i + 6]);
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                let ch = char::from_u32(c).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                continue;
            }
        };
        out.push(simple);
    }
}

/// The value of four hex digits; the caller has validated them.
pub fn hex4(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |acc, &d| {
        (acc << 4) | u32::from(hex_value(d).unwrap_or(0))
    })
}

pub fn hex_value(d: u8) -> Option<u8> {
    match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        b'A'..=b'F' => Some(d - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescape_decodes_every_escape() {
        let mut out = Vec::new();
        unescape(br#"pay\u006coad \"q\" \\ \/ \n \ud83d\ude00"#, &mut out);
        assert_eq!(out, "payload \"q\" \\ / \n \u{1F600}".as_bytes());
    }

    #[test]
    fn write_string_escapes_quotes_and_controls() {
        assert_eq!(string_literal("a\"b\\c\u{1}"), br#""a\"b\\c\u0001""#);
    }
}
