//! JSON lines to MessagePack items framed as Fluent Bit 5 frames a log
//! event: `[[EventTime, {}], record]`, members in their order in the line
//! (as Fluent Bit's json parser keeps them). For the MessagePack rounds.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Appends `line` as one framed item; the event time is fixed.
pub fn framed_item(line: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&[0x92, 0x92, 0xd7, 0x00]);
    out.extend_from_slice(&0x6553_f100_u32.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.push(0x80);
    let mut de = serde_json::Deserializer::from_slice(line);
    Writer(out)
        .deserialize(&mut de)
        .expect("the corpus is valid JSON");
}

struct Writer<'a>(&'a mut Vec<u8>);

fn len_header(
    out: &mut Vec<u8>,
    n: usize,
    fix: u8,
    fix_max: usize,
    w8: Option<u8>,
    w16: u8,
    w32: u8,
) {
    match (n, w8) {
        (n, _) if n <= fix_max => out.push(fix | n as u8),
        (n, Some(b)) if n <= 0xff => out.extend_from_slice(&[b, n as u8]),
        (n, _) if n <= 0xffff => {
            out.push(w16);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        (n, _) => {
            out.push(w32);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        }
    }
}

fn str_value(out: &mut Vec<u8>, s: &str) {
    len_header(out, s.len(), 0xa0, 31, Some(0xd9), 0xda, 0xdb);
    out.extend_from_slice(s.as_bytes());
}

impl<'de> DeserializeSeed<'de> for Writer<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Writer<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<(), E> {
        self.0.push(if v { 0xc3 } else { 0xc2 });
        Ok(())
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<(), E> {
        if v >= 0 {
            return self.visit_u64(v as u64);
        }
        self.0.push(0xd3);
        self.0.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<(), E> {
        if v < 128 {
            self.0.push(v as u8);
        } else {
            self.0.push(0xcf);
            self.0.extend_from_slice(&v.to_be_bytes());
        }
        Ok(())
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<(), E> {
        self.0.push(0xcb);
        self.0.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        str_value(self.0, v);
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.push(0xc0);
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // The count is known at the end: write the items, then the header
        // in front of them.
        let start = self.0.len();
        let mut n = 0;
        while seq.next_element_seed(Writer(self.0))?.is_some() {
            n += 1;
        }
        let mut header = Vec::new();
        len_header(&mut header, n, 0x90, 15, None, 0xdc, 0xdd);
        self.0.splice(start..start, header);
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let start = self.0.len();
        let mut n = 0;
        while let Some(key) = map.next_key::<String>()? {
            str_value(self.0, &key);
            map.next_value_seed(Writer(self.0))?;
            n += 1;
        }
        let mut header = Vec::new();
        len_header(&mut header, n, 0x80, 15, None, 0xde, 0xdf);
        self.0.splice(start..start, header);
        Ok(())
    }
}

/// The MessagePack floor: walks one value, every header read and every
/// string checked as UTF-8, building nothing. Returns the offset past it.
pub fn walk(p: &[u8], mut at: usize) -> usize {
    let mut owed = 1u64;
    while owed > 0 {
        let b = p[at];
        let be = |n: usize| {
            p[at + 1..at + 1 + n]
                .iter()
                .fold(0usize, |a, &x| (a << 8) | usize::from(x))
        };
        let (header, body, children, text) = match b {
            0x00..=0x7f | 0xc0 | 0xc2 | 0xc3 | 0xe0..=0xff => (1, 0, 0, false),
            0x80..=0x8f => (1, 0, 2 * u64::from(b & 0x0f), false),
            0x90..=0x9f => (1, 0, u64::from(b & 0x0f), false),
            0xa0..=0xbf => (1, usize::from(b & 0x1f), 0, true),
            0xc4 => (2, be(1), 0, false),
            0xc5 => (3, be(2), 0, false),
            0xc6 => (5, be(4), 0, false),
            0xc7 => (2, be(1) + 1, 0, false),
            0xc8 => (3, be(2) + 1, 0, false),
            0xc9 => (5, be(4) + 1, 0, false),
            0xca | 0xce | 0xd2 => (5, 0, 0, false),
            0xcb | 0xcf | 0xd3 => (9, 0, 0, false),
            0xcc | 0xd0 => (2, 0, 0, false),
            0xcd | 0xd1 => (3, 0, 0, false),
            0xd4..=0xd8 => (1, 1 + (1 << (b - 0xd4)), 0, false),
            0xd9 => (2, be(1), 0, true),
            0xda => (3, be(2), 0, true),
            0xdb => (5, be(4), 0, true),
            0xdc => (3, 0, be(2) as u64, false),
            0xdd => (5, 0, be(4) as u64, false),
            0xde => (3, 0, 2 * be(2) as u64, false),
            0xdf => (5, 0, 2 * be(4) as u64, false),
            0xc1 => panic!("reserved type byte"),
        };
        at += header;
        if text {
            std::str::from_utf8(&p[at..at + body]).expect("UTF-8");
        }
        at += body;
        owed = owed - 1 + children;
    }
    at
}
