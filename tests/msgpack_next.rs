//! `transform_msgpack_next`: a chunk of MessagePack items read item by item,
//! each item once. What it outputs and refuses is what the per-item call
//! outputs and refuses; what it tells of the item (length, nesting, the
//! watched member) is what a separate walk of the item finds.

mod leak;
mod msgpack_codec;

use kpaudit::{ErrorKind, ItemFacts, Output, Transform};
use leak::corpus::{self, Rng};
use msgpack_codec::{decode, encode};
use serde_json::{json, Value};

const ARRAY_WIDTHS: [&[u8]; 3] = [&[0x92], &[0xdc, 0, 2], &[0xdd, 0, 0, 0, 2]];

/// Containers open at once, as a MessagePack reader counts them (an
/// empty one too).
fn nesting(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("leaf"), |inner, i| {
        if i % 2 == 0 {
            json!({ "n": inner })
        } else {
            json!([inner])
        }
    })
}

/// A random item as a shipper frames it, and whether its record holds a
/// top-level `log` member.
fn item(rng: &mut Rng, i: usize) -> Vec<u8> {
    let mut record: Value = match rng.below(6) {
        0 => serde_json::from_str(&leak::planted_event(rng).event).unwrap(),
        1 => json!({"log": "{\"payload\": \"SECRET\"", "filename": "/var/log/kp.log"}),
        2 => json!({"a": {"log": 1}, "b": nested(rng.below(70) as usize)}),
        _ => serde_json::from_str(&corpus::event(rng)).unwrap(),
    };
    if rng.below(8) == 0 {
        // a parser's raw-line member beside a whole event
        record["log"] = json!("raw");
    }
    let meta = match rng.below(4) {
        0 => json!({}),
        1 => json!({"log": "not the record's", "iv": "SECRET"}),
        2 => json!({"deep": nested(rng.below(70) as usize)}),
        _ => json!({"otlp": {"attributes": {"ciphertext": "SECRET", "host": "a"}}}),
    };
    let body = encode(&record);
    match rng.below(5) {
        // a bare record is an item too
        0 => body,
        // [timestamp, record]
        1 => [ARRAY_WIDTHS[i % 3], &encode(&json!(i)), &body].concat(),
        _ => {
            let header = [&[0x92][..], &encode(&json!(i)), &encode(&meta)].concat();
            [ARRAY_WIDTHS[i % 3], &header, &body].concat()
        }
    }
}

/// Items the reader must refuse, each whole (its length known).
fn bad_items() -> Vec<Vec<u8>> {
    vec![
        // a header string that is not UTF-8
        vec![0x92, 0xa2, 0xc3, 0x28, 0x81, 0xa1, b'a', 0x01],
        // a record that is not a map
        vec![0x92, 0x01, 0xa1, b'x'],
        // a map key that is a container
        vec![0x81, 0x90, 0x01],
        // the reserved byte inside the record
        vec![0x92, 0x01, 0x81, 0xa1, b'a', 0xc1],
    ]
}

/// What the per-item call and a walk of the decoded item say.
fn reference(
    t: &Transform,
    item: &[u8],
    member: &str,
    out: &mut Output,
) -> Result<ItemFacts, ErrorKind> {
    t.transform_msgpack_item(item, out).map_err(|e| e.kind())?;
    let value = decode(item).expect("an item kpaudit accepts decodes");
    let record = match &value {
        Value::Array(parts) => &parts[1],
        record => record,
    };
    Ok(ItemFacts {
        len: item.len(),
        nesting: nesting(&value),
        has_member: !member.is_empty() && record.get(member).is_some(),
    })
}

fn check_chunk(t: &Transform, items: &[Vec<u8>], member: &str) -> (usize, usize) {
    let chunk = items.concat();
    let (mut next_out, mut item_out) = (Output::new(), Output::new());
    let (mut ok, mut refused) = (0, 0);
    let mut pos = 0;
    for item in items {
        let got = t.transform_msgpack_next(&chunk[pos..], member.as_bytes(), &mut next_out);
        let want = reference(t, item, member, &mut item_out);
        match (got, want) {
            (Ok(got), Ok(want)) => {
                assert_eq!(got, want, "item at {pos}");
                assert_eq!(next_out.data(), item_out.data());
                assert_eq!(next_out.severity(), item_out.severity());
                assert_eq!(next_out.route(), item_out.route());
                assert_eq!(next_out.redacted(), item_out.redacted());
                assert!(!leak::contains_marker(next_out.data()));
                ok += 1;
            }
            (Err(got), Err(want)) => {
                assert_eq!(got.kind(), want, "item at {pos}: {}", got.message());
                assert!(next_out.data().is_empty(), "nothing of a refused item");
                refused += 1;
            }
            (got, want) => panic!("item at {pos}: next {got:?}, item call {want:?}"),
        }
        pos += item.len();
    }
    (ok, refused)
}

#[test]
fn next_reads_a_chunk_as_the_item_call_reads_each_item() {
    let t = Transform::from_json(b"").unwrap();
    let mut rng = Rng::new(31);
    let mut items: Vec<Vec<u8>> = (0..600).map(|i| item(&mut rng, i)).collect();
    for (i, bad) in bad_items().into_iter().enumerate() {
        items.insert(100 * i + 7, bad);
    }
    let (ok, refused) = check_chunk(&t, &items, "log");
    assert_eq!((ok, refused), (600, 4));
    let (ok, _) = check_chunk(&t, &items, "");
    assert_eq!(ok, 600);
    // Every branch of the reference was taken.
    let mut out = Output::new();
    let facts: Vec<ItemFacts> = items
        .iter()
        .filter_map(|i| reference(&t, i, "log", &mut out).ok())
        .collect();
    assert!(facts.iter().any(|f| f.has_member) && facts.iter().any(|f| !f.has_member));
    assert!(facts.iter().any(|f| f.nesting > 64) && facts.iter().any(|f| f.nesting <= 3));
}

#[test]
fn only_the_records_own_member_is_the_watched_one() {
    let t = Transform::from_json(b"").unwrap();
    let mut out = Output::new();
    let framed = |meta: Value, record: Value| {
        [&[0x92, 0x92, 0x01][..], &encode(&meta), &encode(&record)].concat()
    };
    for (item, watched) in [
        (framed(json!({}), json!({"log": "x"})), true),
        (framed(json!({"log": "x"}), json!({"a": 1})), false),
        (framed(json!({}), json!({"a": {"log": "x"}})), false),
        (framed(json!({}), json!({"a": [{"log": "x"}]})), false),
        (framed(json!({}), json!({"Log": "x"})), false),
        (framed(json!({}), json!({"lo": "x", "logs": 1})), false),
    ] {
        let facts = t.transform_msgpack_next(&item, b"log", &mut out).unwrap();
        assert_eq!(facts.has_member, watched, "{:?}", decode(&item));
    }
    // Watching nothing finds nothing, not even an empty name, whatever
    // names the configuration adds to those the scanner looks at.
    for field in ["location", "literal", "rollup", "route"] {
        let t = Transform::from_json(format!(r#"{{"route":{{"field":"{field}"}}}}"#).as_bytes())
            .unwrap();
        let item = framed(json!({}), json!({"": 1, "a": 2}));
        assert!(
            !t.transform_msgpack_next(&item, b"", &mut out)
                .unwrap()
                .has_member
        );
        assert!(
            t.transform_msgpack_next(&item, b"a", &mut out)
                .unwrap()
                .has_member
        );
    }
    // A binary name counts; a watched name that is key material is still
    // seen, and still stripped.
    let bin = [&[0x81, 0xc4, 3][..], b"log", &[0x01]].concat();
    assert!(
        t.transform_msgpack_next(&bin, b"log", &mut out)
            .unwrap()
            .has_member
    );
    let item = framed(json!({}), json!({"payload": "SECRET", "a": 1}));
    let facts = t
        .transform_msgpack_next(&item, b"payload", &mut out)
        .unwrap();
    assert!(facts.has_member);
    assert!(!leak::contains_marker(out.data()) && !out.data().windows(6).any(|w| w == b"SECRET"));
}

#[test]
fn an_item_over_the_limit_is_too_large_and_the_next_one_reads() {
    let t = Transform::from_json(br#"{"limits":{"max_event_bytes":2000}}"#).unwrap();
    let mut out = Output::new();
    let big = [
        &[0x92, 0x01][..],
        &encode(&json!({"pad": "x".repeat(3000)})),
    ]
    .concat();
    let small = [
        &[0x92, 0x01][..],
        &encode(&json!({"action": "kms.secrets.read"})),
    ]
    .concat();
    let chunk = [big.clone(), small.clone()].concat();
    let e = t.transform_msgpack_next(&chunk, b"", &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EventTooLarge);
    assert!(out.data().is_empty());
    let facts = t
        .transform_msgpack_next(&chunk[big.len()..], b"", &mut out)
        .unwrap();
    assert_eq!(facts.len, small.len());
    // Cut short, an item is refused whatever the limit.
    let e = t
        .transform_msgpack_next(&chunk[..big.len() - 1], b"", &mut out)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidEvent);
    assert!(out.data().is_empty());
}
