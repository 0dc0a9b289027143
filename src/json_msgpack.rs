//! JSON text to MessagePack, for an event read from a record's line member
//! (see `Transform::transform_msgpack`): the transform's own JSON output,
//! already validated, stripped of key material and given its severity and
//! route, re-encoded as Fluent Bit's JSON parser encodes a line. So a
//! pipeline that leaves the parsing to kpaudit delivers the same records as
//! one that parses first.
//!
//! Encoding, as msgpack-c packs what yyjson reads: every header in its
//! shortest form; an integer that fits 64 bits as an integer (a positive
//! one unsigned), any other number as a float64.

use crate::blocks::Index;
use crate::error::Error;
use crate::json;
use crate::msgpack::{array_header_into, map_header_into, str_header};

/// Where the converter keeps its work between events.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The strings' ends, found 64 bytes at a time.
    index: Index,
    open: Vec<Open>,
    /// A string's text once unescaped.
    text: Vec<u8>,
}

/// A container being encoded.
#[derive(Debug)]
struct Open {
    /// Where its header is in the output: three bytes are held for it
    /// until its count is known.
    header_at: usize,
    is_map: bool,
    /// Commas seen, and whether an item started.
    commas: u64,
    started: bool,
}

/// Bytes held for a container's header (the 16-bit form's size).
const HELD: usize = 3;

/// Encodes the JSON object `json` (valid JSON, as the transform writes it)
/// as a MessagePack map into `out`, with the `extra.0` members encoded in
/// `extra.1` added after its own. Returns the deepest nesting, the object
/// counting 1. One pass: each container's header is written once its
/// items are counted, the items moved when it is not the 16-bit form.
pub fn object_into(
    json: &[u8],
    extra: (u64, &[u8]),
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<usize, Error> {
    let mut i = skip_space(json, 0);
    if json.get(i) != Some(&b'{') {
        return Err(Error::event("the event is not a JSON object", i));
    }
    scratch.index.build(json);
    scratch.open.clear();
    let mut deepest = 0;
    while i < json.len() {
        let b = json[i];
        if let Some(open) = scratch.open.last_mut() {
            open.started |= !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'}' | b']');
        }
        match b {
            b'{' | b'[' => {
                scratch.open.push(Open {
                    header_at: out.len(),
                    is_map: b == b'{',
                    commas: 0,
                    started: false,
                });
                out.extend_from_slice(&[0; HELD]);
                deepest = deepest.max(scratch.open.len());
                i += 1;
            }
            b'}' | b']' => {
                let Some(open) = scratch.open.pop() else {
                    return Err(Error::event("unexpected data after the value", i));
                };
                let mut count = open.commas + u64::from(open.started);
                let top = scratch.open.is_empty();
                if top {
                    count += extra.0;
                    out.extend_from_slice(extra.1);
                }
                close(out, &open, count);
                i += 1;
                if top {
                    let rest = skip_space(json, i);
                    if rest != json.len() {
                        return Err(Error::event("unexpected data after the value", rest));
                    }
                    return Ok(deepest);
                }
            }
            b',' => {
                match scratch.open.last_mut() {
                    Some(open) => open.commas += 1,
                    None => return Err(Error::event("unexpected data after the value", i)),
                }
                i += 1;
            }
            b':' | b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'"' => i = string(json, i, scratch, out)?,
            b't' => {
                out.push(0xc3);
                i += 4;
            }
            b'f' => {
                out.push(0xc2);
                i += 5;
            }
            b'n' => {
                out.push(0xc0);
                i += 4;
            }
            b'-' | b'0'..=b'9' => {
                let end = json[i..]
                    .iter()
                    .position(|c| !matches!(c, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                    .map_or(json.len(), |n| i + n);
                number(&json[i..end], i, out)?;
                i = end;
            }
            _ => return Err(Error::event("unexpected character", i)),
        }
    }
    Err(Error::event("unexpected end of input", json.len()))
}

fn skip_space(json: &[u8], mut i: usize) -> usize {
    while matches!(json.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    i
}

/// The string literal whose opening quote is at `at`, as a MessagePack
/// string; returns where the literal ends.
fn string(
    json: &[u8],
    at: usize,
    scratch: &mut Scratch,
    out: &mut Vec<u8>,
) -> Result<usize, Error> {
    let unended = || Error::event("unexpected end of input", json.len());
    let mut end = scratch.index.next_special(at + 1).ok_or_else(unended)?;
    let mut escaped = false;
    while json[end] != b'"' {
        if json[end] != b'\\' {
            return Err(Error::event("a control character in a string", end));
        }
        escaped = true;
        end = scratch.index.next_special(end + 2).ok_or_else(unended)?;
    }
    let body = &json[at + 1..end];
    if escaped {
        json::unescape(body, &mut scratch.text);
        str_header(scratch.text.len(), out);
        out.extend_from_slice(&scratch.text);
    } else {
        str_header(body.len(), out);
        out.extend_from_slice(body);
    }
    Ok(end + 1)
}

/// Writes a closed container's header over the bytes held for it, moving
/// its items when the header takes another size.
fn close(out: &mut Vec<u8>, open: &Open, count: u64) {
    let mut header = [0u8; 5];
    let len = if open.is_map {
        map_header_into(count, &mut header)
    } else {
        array_header_into(count, &mut header)
    };
    let at = open.header_at;
    let items = at + HELD..out.len();
    if len < HELD {
        out.copy_within(items, at + len);
        out.truncate(out.len() - (HELD - len));
    } else if len > HELD {
        let end = out.len();
        out.resize(end + (len - HELD), 0);
        out.copy_within(items, at + len);
    }
    out[at..at + len].copy_from_slice(&header[..len]);
}

/// A number literal as msgpack-c packs what yyjson reads of it.
fn number(text: &[u8], at: usize, out: &mut Vec<u8>) -> Result<(), Error> {
    let bad = || Error::event("invalid number", at);
    let literal = std::str::from_utf8(text).map_err(|_| bad())?;
    let integer = !text.iter().any(|c| matches!(c, b'.' | b'e' | b'E'));
    if integer {
        if let Ok(n) = literal.parse::<u64>() {
            uint(out, n);
            return Ok(());
        }
        if let Ok(n) = literal.parse::<i64>() {
            int(out, n);
            return Ok(());
        }
    }
    let f: f64 = literal.parse().map_err(|_| bad())?;
    out.push(0xcb);
    out.extend_from_slice(&f.to_bits().to_be_bytes());
    Ok(())
}

fn uint(out: &mut Vec<u8>, n: u64) {
    if n < 0x80 {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend_from_slice(&[0xcc, n as u8]);
    } else if n <= 0xffff {
        out.push(0xcd);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else if n <= 0xffff_ffff {
        out.push(0xce);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    } else {
        out.push(0xcf);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

/// A negative integer (a non-negative one is `uint`'s).
fn int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        uint(out, n as u64);
    } else if n >= -32 {
        out.push(n as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -(1 << 31) {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn convert(json: &str) -> Vec<u8> {
        let mut out = Vec::new();
        object_into(json.as_bytes(), (0, &[]), &mut Scratch::default(), &mut out).unwrap();
        out
    }

    #[test]
    fn numbers_take_msgpack_c_shortest_forms() {
        let cases: &[(&str, &[u8])] = &[
            ("0", &[0x00]),
            ("127", &[0x7f]),
            ("128", &[0xcc, 0x80]),
            ("65535", &[0xcd, 0xff, 0xff]),
            ("65536", &[0xce, 0, 1, 0, 0]),
            ("4294967296", &[0xcf, 0, 0, 0, 1, 0, 0, 0, 0]),
            ("-1", &[0xff]),
            ("-32", &[0xe0]),
            ("-33", &[0xd0, 0xdf]),
            ("-129", &[0xd1, 0xff, 0x7f]),
            ("-32769", &[0xd2, 0xff, 0xff, 0x7f, 0xff]),
            (
                "-2147483649",
                &[0xd3, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff],
            ),
            ("1.5", &[0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]),
            ("1e0", &[0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]),
            // beyond 64 bits: a float64
            (
                "18446744073709551616",
                &[0xcb, 0x43, 0xf0, 0, 0, 0, 0, 0, 0],
            ),
        ];
        for (literal, want) in cases {
            let got = convert(&format!(r#"{{"n": {literal}}}"#));
            assert_eq!(&got[..3], b"\x81\xa1n", "{literal}");
            assert_eq!(&got[3..], *want, "{literal}");
        }
    }

    #[test]
    fn strings_are_unescaped_and_headers_sized() {
        let long = "x".repeat(300);
        let out = convert(&format!(
            r#"{{"a\"\u00e9\ud83d\ude00":"{long}","e":"","t":true,"f":false,"z":null}}"#
        ));
        let mut want = vec![0x85, 0xa8];
        want.extend_from_slice("a\"é😀".as_bytes());
        want.extend_from_slice(&[0xda, 0x01, 0x2c]);
        want.extend_from_slice(long.as_bytes());
        want.extend_from_slice(b"\xa1e\xa0\xa1t\xc3\xa1f\xc2\xa1z\xc0");
        assert_eq!(out, want);
    }

    #[test]
    fn containers_are_counted_at_every_depth_and_extras_join_the_top() {
        let members: String = (0..16)
            .map(|i| format!(r#""k{i:02}":[]"#))
            .collect::<Vec<_>>()
            .join(",");
        let json =
            format!(r#" {{ "a" : [ 1 , {{ }} , [ [ ] ] , "x,]}}" ] , "m" : {{ {members} }} }} "#);
        let mut out = Vec::new();
        let extra = b"\xa1e\x01";
        let deepest = object_into(
            json.as_bytes(),
            (1, extra),
            &mut Scratch::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(deepest, 4);
        assert_eq!(
            &out[..13],
            &[0x83, 0xa1, b'a', 0x94, 0x01, 0x80, 0x91, 0x90, 0xa4, b'x', b',', b']', b'}']
        );
        assert_eq!(&out[13..18], &[0xa1, b'm', 0xde, 0x00, 0x10]);
        let mut at = 18;
        for i in 0..16 {
            let name = format!("k{i:02}");
            assert_eq!(out[at], 0xa3);
            assert_eq!(&out[at + 1..at + 4], name.as_bytes());
            assert_eq!(out[at + 4], 0x90);
            at += 5;
        }
        assert_eq!(&out[at..], extra);
    }

    #[test]
    fn a_container_of_65536_items_takes_the_32_bit_header() {
        let items = vec!["0"; 65_536].join(",");
        let out = convert(&format!(r#"{{"a":[{items}],"b":true}}"#));
        assert_eq!(&out[..8], &[0x82, 0xa1, b'a', 0xdd, 0x00, 0x01, 0x00, 0x00]);
        assert!(out[8..8 + 65_536].iter().all(|&b| b == 0));
        assert_eq!(&out[8 + 65_536..], b"\xa1b\xc3");
    }

    #[test]
    fn what_is_not_an_object_is_refused() {
        for json in [
            "[1]",
            "1",
            "\"x\"",
            "{\"a\":1",
            "{\"a\":1}}",
            "",
            "{} {}",
            "1 {}",
        ] {
            let mut out = Vec::new();
            let result = object_into(json.as_bytes(), (0, &[]), &mut Scratch::default(), &mut out);
            assert!(result.is_err(), "{json}");
        }
    }
}
