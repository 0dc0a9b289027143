//! The scanners' short paths (a member whose name the filter turns away
//! or places among the read names only, `mpscan::Scanner::plain_member`)
//! against the general path: the same transform with a filter that says
//! every name might be anything takes no short path, and must give the
//! same output, decisions, redactions, facts and errors on random records
//! made of the names and values the short paths are about.

use super::{Output, Transform};
use crate::name_filter::NameFilter;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a, T: ?Sized>(&mut self, from: &[&'a T]) -> &'a T {
        from[self.below(from.len() as u64) as usize]
    }
}

const NAMES: &[&[u8]] = &[
    b"action",
    b"reason",
    b"reasonCode",
    b"target",
    b"id",
    b"requestData",
    b"requestURI",
    b"logSourceCRN",
    b"eventTime",
    b"payload",
    b"iv",
    b"IV",
    b"severity",
    b"SEVERITY",
    b"_route",
    b"log",
    b"name",
    b"outcome",
    b"ciphertext",
    b"a\"b",
    b"x\\y",
    "\u{17F}everity".as_bytes(),
    "caf\u{e9}".as_bytes(),
    b"",
];

const TEXTS: &[&[u8]] = &[
    b"kms.secrets.wrap",
    b"kms.secrets.delete",
    b"kms.secrets.read",
    b"crn:v1:bluemix:public:kms:eu-de:a/1234:5678::",
    b"crn:v1:bluemix:public:kms:us-south:a/1234:5678:key:9",
    b"https://jp-tok.kms.cloud.ibm.com/api/v2/keys/9?action=wrap",
    b"{\"iv\": \"SECRET\"}",
    b"\\u0022payload\\u0022:1",
    b"plain text",
    "\u{e9}t\u{e9}".as_bytes(),
    b"",
];

fn string(rng: &mut Rng, body: &[u8], out: &mut Vec<u8>) {
    let n = body.len();
    match (n, rng.below(3)) {
        (0..=31, 0) => out.push(0xa0 | n as u8),
        (0..=255, 0 | 1) => out.extend([0xd9, n as u8]),
        _ => out.extend([0xda, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(body);
}

fn head(rng: &mut Rng, fix: u8, n: usize, out: &mut Vec<u8>) {
    let (w16, w32) = if fix == 0x80 {
        (0xde, 0xdf)
    } else {
        (0xdc, 0xdd)
    };
    match rng.below(3) {
        0 if n < 16 => out.push(fix | n as u8),
        1 => out.extend([w16, (n >> 8) as u8, n as u8]),
        _ => out.extend([w32, 0, 0, (n >> 8) as u8, n as u8]),
    }
}

fn value(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
    match rng.below(if depth < 4 { 16 } else { 12 }) {
        0..=3 => {
            let text = rng_text(rng);
            string(rng, text, out)
        }
        4 => out.push(rng.below(128) as u8),
        5 => out.extend([0xcd, 0x01, 0xf7]),
        6 => out.extend([0xcb, 0x40, 0x7f, 0x70, 0, 0, 0, 0, 0]),
        7 => out.push([0xc0, 0xc2, 0xc3, 0xff][rng.below(4) as usize]),
        8 => {
            let body = rng_text(rng);
            out.extend([0xc4, body.len() as u8]);
            out.extend_from_slice(body);
        }
        9 => {
            let body = rng_text(rng);
            out.extend([0xc7, body.len() as u8, 0x05]);
            out.extend_from_slice(body);
        }
        10 => out.extend([0xce, 0, 0, 0x01, 0xf4]),
        11 => out.extend([0xd0, 0x85]),
        12 | 13 => map(rng, depth + 1, out),
        _ => {
            let n = rng.below(4) as usize;
            head(rng, 0x90, n, out);
            for _ in 0..n {
                value(rng, depth + 1, out);
            }
        }
    }
}

fn rng_text(rng: &mut Rng) -> &'static [u8] {
    rng.pick(TEXTS)
}

fn map(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
    let n = rng.below(7) as usize;
    head(rng, 0x80, n, out);
    for _ in 0..n {
        if rng.below(12) == 0 {
            // a name that is not a string
            value(rng, depth + 1, out);
            continue;
        }
        let name = rng.pick(NAMES);
        string(rng, name, out);
        value(rng, depth, out);
    }
}

#[test]
fn short_paths_agree_with_the_general_path() {
    let configs: &[&[u8]] = &[
        b"",
        br#"{"redact":{"mode":"mask"},"route":{"field":"_route"}}"#,
        br#"{"redact":{"fields":["action","Target","log"]}}"#,
        br#"{"limits":{"max_depth":3}}"#,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut short, mut general) = (Output::new(), Output::new());
    let mut agreed = [0usize; 2];
    for config in configs {
        let t = Transform::from_json(config).unwrap();
        let mut all = Transform::from_json(config).unwrap();
        all.names = NameFilter::saturated();
        for i in 0..4000 {
            let mut record = Vec::new();
            map(&mut rng, 1, &mut record);
            if i % 5 == 0 {
                // an ingestion envelope around it
                let mut envelope = vec![0x82];
                string(&mut rng, b"payload", &mut envelope);
                envelope.extend(&record);
                string(&mut rng, b"logSourceCRN", &mut envelope);
                string(&mut rng, TEXTS[3], &mut envelope);
                record = envelope;
            }
            let a = t.transform_msgpack(&record, &mut short);
            let b = all.transform_msgpack(&record, &mut general);
            match (&a, &b) {
                (Ok(()), Ok(())) => {
                    assert_eq!(short.data(), general.data(), "{record:02x?}");
                    assert_eq!(short.severity(), general.severity());
                    assert_eq!(short.route(), general.route());
                    assert_eq!(short.redacted(), general.redacted());
                    agreed[0] += 1;
                }
                (Err(a), Err(b)) => {
                    assert_eq!(a.to_string(), b.to_string(), "{record:02x?}");
                    agreed[1] += 1;
                }
                _ => panic!("{a:?} against {b:?} for {record:02x?}"),
            }
            // As a framed item, asked for a member.
            let item = [&[0x92, 0x92, 0x01, 0x80][..], &record].concat();
            let member: &[u8] = [&b"action"[..], b"log", b"reason", b""][i % 4];
            let a = t.transform_msgpack_next(&item, member, &mut short);
            let b = all.transform_msgpack_next(&item, member, &mut general);
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    assert_eq!(a, b, "{item:02x?}");
                    assert_eq!(short.data(), general.data(), "{item:02x?}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{a:?} against {b:?} for {item:02x?}"),
            }
        }
    }
    // Both outcomes were exercised in numbers.
    assert!(agreed[0] > 5000 && agreed[1] > 500, "{agreed:?}");
}
