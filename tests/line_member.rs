//! `msgpack.line_member`: a MessagePack record that carries its event as
//! JSON text (a shipper's unparsed line, `{"log": "<line>"}`) is read,
//! transformed and encoded as the record the JSON path would have given,
//! with the record's other members validated and stripped beside it. The
//! oracle: the same event given as a MessagePack map.

mod leak;
mod msgpack_codec;

use kpaudit::{ErrorKind, Output, Transform};
use leak::corpus::{self, Rng};
use msgpack_codec::{decode, encode, normalize};
use serde_json::{json, Map, Value};

const LINES: &[u8] = br#"{"msgpack":{"line_member":"log"}}"#;

/// `{"log": line}` with `others` members after it, as MessagePack.
fn line_record(line: &str, others: &[(&str, Value)]) -> Vec<u8> {
    let mut record = vec![0x80 | (1 + others.len()) as u8];
    record.extend_from_slice(&encode(&json!("log")));
    record.extend_from_slice(&encode(&json!(line)));
    for (name, value) in others {
        record.extend_from_slice(&encode(&json!(name)));
        record.extend_from_slice(&encode(value));
    }
    record
}

fn item(record: &[u8]) -> Vec<u8> {
    let mut item = vec![
        0x92, 0x92, 0xd7, 0x00, 0x65, 0x53, 0xf1, 0x00, 0x00, 0x00, 0x00, 0x01, 0x80,
    ];
    item.extend_from_slice(record);
    item
}

fn as_map(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not a map: {other}"),
    }
}

#[test]
fn a_line_gives_the_record_its_parsed_event_gives() {
    for config in [
        &br#"{"msgpack":{"line_member":"log"},"route":{"field":"_route"}}"#[..],
        br#"{"msgpack":{"line_member":"log"},"redact":{"mode":"mask"}}"#,
    ] {
        let t = Transform::from_json(config).unwrap();
        let mut rng = Rng::new(21);
        let (mut via_line, mut via_map) = (Output::new(), Output::new());
        for _ in 0..3_000 {
            let planted = leak::planted_event(&mut rng);
            // Planted events may repeat a name, which the map given as the
            // oracle cannot: their redaction counts may differ.
            let (event, planted) = if rng.below(2) == 0 {
                (planted.event, true)
            } else {
                (corpus::event(&mut rng), false)
            };
            let value: Value = serde_json::from_str(&event).unwrap();
            t.transform_msgpack(&line_record(&event, &[]), &mut via_line)
                .unwrap();
            t.transform_msgpack(&encode(&value), &mut via_map).unwrap();
            assert_eq!(via_line.severity(), via_map.severity(), "{event}");
            assert_eq!(via_line.route(), via_map.route(), "{event}");
            if !planted {
                assert_eq!(via_line.redacted(), via_map.redacted(), "{event}");
            }
            let got = decode(via_line.data()).expect("one MessagePack map");
            let want = decode(via_map.data()).unwrap();
            assert_eq!(normalize(got), normalize(want), "{event}");
            assert!(!leak::contains_marker(via_line.data()), "{event}");
        }
    }
}

#[test]
fn the_other_members_stay_beside_the_event_stripped_of_key_material() {
    let t = Transform::from_json(LINES).unwrap();
    let mut out = Output::new();
    let event = r#"{"action":"kms.secrets.wrap","reason":{"reasonCode":500}}"#;
    let others = [
        ("filename", json!("/var/log/kp.ndjson")),
        ("iv", json!("KPLEAK-1")),
        (
            "meta",
            json!({"payload": "KPLEAK-2", "keep": [1, {"ciphertext": "KPLEAK-3"}]}),
        ),
    ];
    let mut json_out = Output::new();
    t.transform(event.as_bytes(), &mut json_out).unwrap();
    t.transform_msgpack(&line_record(event, &others), &mut out)
        .unwrap();
    assert!(!leak::contains_marker(out.data()));
    assert_eq!(out.severity(), json_out.severity());
    let record = as_map(decode(out.data()).unwrap());
    assert_eq!(record["action"], "kms.secrets.wrap");
    assert_eq!(record["severity"], json_out.severity().as_str());
    assert_eq!(record["filename"], "/var/log/kp.ndjson");
    assert_eq!(record["meta"], json!({"keep": [1, {}]}));
    assert!(!record.contains_key("iv") && !record.contains_key("log"));
    // the event's members, severity, then the others kept
    let at = |name: &[u8]| {
        let found = out.data().windows(name.len()).position(|w| w == name);
        found.unwrap_or_else(|| panic!("{}", String::from_utf8_lossy(name)))
    };
    assert!(at(b"\xa6action") < at(b"\xa6reason"));
    assert!(at(b"\xa6reason") < at(b"\xa8severity"));
    assert!(at(b"\xa8severity") < at(b"\xa8filename"));
    assert!(at(b"\xa8filename") < at(b"\xa4meta"));
    assert_eq!(record.len(), 5);
    assert_eq!(out.redacted(), 3);
}

#[test]
fn a_line_that_is_not_an_event_is_refused_and_quoted_nowhere() {
    let t = Transform::from_json(LINES).unwrap();
    let mut out = Output::new();
    for line in [
        "KPLEAK not json",
        r#"{"iv":"KPLEAK-1""#,
        r#"["KPLEAK"]"#,
        "{\"a\":\"KPLEAK\u{1}\"}",
    ] {
        let err = t
            .transform_msgpack(&line_record(line, &[("f", json!("x"))]), &mut out)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidEvent, "{line}");
        assert!(
            err.message().contains("in the line member"),
            "{}",
            err.message()
        );
        assert!(!leak::contains_marker(err.message().as_bytes()));
        assert!(out.data().is_empty());
    }
    // bad bytes among the other members: refused, offset in the record
    let mut record = line_record("{}", &[]);
    record[0] = 0x82;
    let at = record.len();
    record.extend_from_slice(b"\xa1f\xa2\xc3\x28");
    let err = t.transform_msgpack(&record, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidEvent);
    assert!(err.message().contains("UTF-8"), "{}", err.message());
    // the first byte of the bad string
    assert_eq!(err.offset(), Some(at + 3));
}

#[test]
fn records_without_a_string_line_are_events_as_before() {
    let t = Transform::from_json(LINES).unwrap();
    let plain = Transform::from_json(b"").unwrap();
    let (mut a, mut b) = (Output::new(), Output::new());
    for record in [
        json!({"action": "kms.secrets.read", "log": 7}),
        json!({"action": "kms.secrets.read", "logs": "{}"}),
        json!({"action": "kms.secrets.read"}),
    ] {
        t.transform_msgpack(&encode(&record), &mut a).unwrap();
        plain.transform_msgpack(&encode(&record), &mut b).unwrap();
        assert_eq!(a.data(), b.data(), "{record}");
    }
}

#[test]
fn items_and_the_item_reader_take_lines_too() {
    let t = Transform::from_json(LINES).unwrap();
    let mut out = Output::new();
    let event = r#"{"action":"kms.secrets.read","a":{"b":{"c":[{}]}}}"#;
    let record = line_record(event, &[("log2", json!(1))]);
    let items = item(&record);
    t.transform_msgpack_item(&items, &mut out).unwrap();
    assert_eq!(&out.data()[..13], &items[..13], "the header is kept");
    let mut chunk = items.clone();
    chunk.extend_from_slice(&items);
    let facts = t.transform_msgpack_next(&chunk, b"log2", &mut out).unwrap();
    assert_eq!(facts.len, items.len());
    assert!(facts.has_member);
    // the event's depth (the record's map, a, b, c's array, its map) and
    // the item's array
    assert_eq!(facts.nesting, 6);
    let facts = t.transform_msgpack_next(&chunk, b"log", &mut out).unwrap();
    assert!(!facts.has_member, "the line member is read, not kept");
}

#[test]
fn a_line_member_that_names_key_material_is_refused() {
    let err = Transform::from_json(br#"{"msgpack":{"line_member":"payload"}}"#).unwrap_err();
    assert!(
        err.message().contains("msgpack.line_member"),
        "{}",
        err.message()
    );
    assert!(Transform::from_json(br#"{"msgpack":{"line_member":""}}"#).is_err());
}
