//! A small MessagePack encoder from and decoder to serde_json values, for
//! testing the MessagePack path against the JSON path.
#![allow(dead_code)]

use serde_json::{Map, Number, Value};

/// `value` as MessagePack, shortest encodings.
pub fn encode(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(0xc0),
        Value::Bool(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(0xcf);
                out.extend_from_slice(&u.to_be_bytes());
            } else if let Some(i) = n.as_i64() {
                out.push(0xd3);
                out.extend_from_slice(&i.to_be_bytes());
            } else {
                out.push(0xcb);
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_be_bytes());
            }
        }
        Value::String(s) => {
            header(out, s.len(), 0xa0, 31, [0xd9, 0xda, 0xdb]);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Array(items) => {
            header(out, items.len(), 0x90, 15, [0, 0xdc, 0xdd]);
            items.iter().for_each(|v| write(v, out));
        }
        Value::Object(members) => {
            header(out, members.len(), 0x80, 15, [0, 0xde, 0xdf]);
            for (k, v) in members {
                write(&Value::String(k.clone()), out);
                write(v, out);
            }
        }
    }
}

/// A length header: the fix form up to `fix_max`, else 8 (when the type
/// has it), 16 or 32 bits.
fn header(out: &mut Vec<u8>, len: usize, fix: u8, fix_max: usize, wide: [u8; 3]) {
    if len <= fix_max {
        out.push(fix | len as u8);
    } else if len <= 0xff && wide[0] != 0 {
        out.extend_from_slice(&[wide[0], len as u8]);
    } else if len <= 0xffff {
        out.push(wide[1]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(wide[2]);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// The one value in `bytes`; `None` if there is not exactly one, or it
/// holds what JSON cannot (binary, non-string keys). Fixed-size extensions
/// (Fluent Bit's timestamps) read as null.
pub fn decode(bytes: &[u8]) -> Option<Value> {
    let mut pos = 0;
    let value = read(bytes, &mut pos)?;
    (pos == bytes.len()).then_some(value)
}

/// Reads one value at `*pos`; public for framed items.
pub fn read(b: &[u8], pos: &mut usize) -> Option<Value> {
    let take = |pos: &mut usize, n: usize| -> Option<&[u8]> {
        let s = b.get(*pos..pos.checked_add(n)?)?;
        *pos += n;
        Some(s)
    };
    let be = |s: &[u8]| s.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x));
    let t = *take(pos, 1)?.first()?;
    let len_of = |pos: &mut usize, n: usize| -> Option<usize> { Some(be(take(pos, n)?) as usize) };
    Some(match t {
        0x00..=0x7f => Value::from(t),
        0xe0..=0xff => Value::from(t as i8),
        0x80..=0x8f => map(b, pos, usize::from(t & 0x0f))?,
        0x90..=0x9f => array(b, pos, usize::from(t & 0x0f))?,
        0xa0..=0xbf => string(take(pos, usize::from(t & 0x1f))?)?,
        0xc0 => Value::Null,
        0xc2 => Value::Bool(false),
        0xc3 => Value::Bool(true),
        0xca => Value::from(f32::from_be_bytes(take(pos, 4)?.try_into().ok()?) as f64),
        0xcb => Value::from(f64::from_be_bytes(take(pos, 8)?.try_into().ok()?)),
        0xcc..=0xcf => Value::from(be(take(pos, 1 << (t - 0xcc))?)),
        0xd0..=0xd3 => {
            let n = 1usize << (t - 0xd0);
            let raw = be(take(pos, n)?);
            let shift = 64 - 8 * n as u32;
            Value::from(((raw << shift) as i64) >> shift)
        }
        0xd4..=0xd8 => {
            take(pos, 1 + (1 << (t - 0xd4)))?;
            Value::Null
        }
        0xd9..=0xdb => {
            let n = len_of(pos, 1 << (t - 0xd9))?;
            string(take(pos, n)?)?
        }
        0xdc | 0xdd => {
            let n = len_of(pos, 2 << (t - 0xdc))?;
            array(b, pos, n)?
        }
        0xde | 0xdf => {
            let n = len_of(pos, 2 << (t - 0xde))?;
            map(b, pos, n)?
        }
        _ => return None,
    })
}

fn string(bytes: &[u8]) -> Option<Value> {
    Some(Value::String(std::str::from_utf8(bytes).ok()?.to_owned()))
}

fn array(b: &[u8], pos: &mut usize, n: usize) -> Option<Value> {
    let mut items = Vec::new();
    for _ in 0..n {
        items.push(read(b, pos)?);
    }
    Some(Value::Array(items))
}

fn map(b: &[u8], pos: &mut usize, n: usize) -> Option<Value> {
    let mut members = Map::new();
    for _ in 0..n {
        let Value::String(key) = read(b, pos)? else {
            return None;
        };
        let value = read(b, pos)?;
        members.insert(key, value);
    }
    Some(Value::Object(members))
}

/// Numbers as integers when they are, else as f64, so that JSON text and
/// MessagePack compare by value.
pub fn normalize(value: Value) -> Value {
    match value {
        Value::Number(n) => Value::Number(if let Some(u) = n.as_u64() {
            Number::from(u)
        } else if let Some(i) = n.as_i64() {
            Number::from(i)
        } else {
            Number::from_f64(n.as_f64().unwrap_or(0.0)).unwrap_or(Number::from(0))
        }),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        Value::Object(members) => Value::Object(
            members
                .into_iter()
                .map(|(k, v)| (k, normalize(v)))
                .collect(),
        ),
        other => other,
    }
}
