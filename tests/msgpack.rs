//! The MessagePack path: the same decisions as the JSON path (a
//! differential test on the corpus), the format's own cases, bad input,
//! the batch with framed events, and the leak oracle.

mod leak;
mod msgpack_codec;
mod reference;

use kpaudit::{Batch, ErrorKind, Output, Severity, Transform};
use leak::corpus::{self, Rng};
use msgpack_codec::{decode, encode, normalize};
use serde_json::{json, Value};

fn defaults() -> Transform {
    Transform::from_json(b"").unwrap()
}

/// A JSON event through both paths: same severity, route, count and value.
fn both_paths(t: &Transform, event: &str) -> Value {
    let (mut json_out, mut mp_out) = (Output::new(), Output::new());
    t.transform(event.as_bytes(), &mut json_out).unwrap();
    let value: Value = serde_json::from_str(event).unwrap();
    t.transform_msgpack(&encode(&value), &mut mp_out).unwrap();
    assert_eq!(mp_out.severity(), json_out.severity(), "{event}");
    assert_eq!(mp_out.route(), json_out.route(), "{event}");
    let via_json = normalize(serde_json::from_slice(json_out.data()).unwrap());
    let via_msgpack = normalize(decode(mp_out.data()).expect("one MessagePack map"));
    assert_eq!(via_msgpack, via_json, "{event}");
    via_msgpack
}

#[test]
fn the_corpus_gives_the_same_result_through_both_paths() {
    let t = defaults();
    let masked =
        Transform::from_json(br#"{"redact":{"mode":"mask"},"route":{"field":"_route"}}"#).unwrap();
    let mut rng = Rng::new(5);
    let (mut json_out, mut mp_out) = (Output::new(), Output::new());
    for _ in 0..5_000 {
        let event = corpus::event(&mut rng);
        both_paths(&t, &event);
        both_paths(&masked, &event);
        // The corpus has no duplicate keys, so the counts agree too.
        t.transform(event.as_bytes(), &mut json_out).unwrap();
        let value: Value = serde_json::from_str(&event).unwrap();
        t.transform_msgpack(&encode(&value), &mut mp_out).unwrap();
        assert_eq!(mp_out.redacted(), json_out.redacted());
    }
}

#[test]
fn planted_key_material_never_leaks_through_msgpack() {
    let t = defaults();
    let mut rng = Rng::new(8);
    let mut out = Output::new();
    for _ in 0..2_000 {
        let planted = leak::planted_event(&mut rng);
        let value: Value = serde_json::from_str(&planted.event).unwrap();
        let record = encode(&value);
        assert!(leak::contains_marker(&record));
        t.transform_msgpack(&record, &mut out).unwrap();
        assert!(!leak::contains_marker(out.data()));
        let back = serde_json::to_vec(&decode(out.data()).unwrap()).unwrap();
        let found = leak::findings(&back, true);
        assert!(found.is_empty(), "{found:?}");
        let expected = reference::reference(planted.event.as_bytes()).unwrap();
        assert_eq!(
            normalize(decode(out.data()).unwrap()),
            normalize(expected.value)
        );
    }
}

#[test]
fn a_full_fixmap_grows_to_a_map16_when_severity_is_added() {
    let mut record = json!({});
    for i in 0..15 {
        record[format!("m{i}")] = json!(i);
    }
    let bytes = encode(&record);
    assert_eq!(bytes[0], 0x8f);
    let mut out = Output::new();
    defaults().transform_msgpack(&bytes, &mut out).unwrap();
    assert_eq!(out.data()[..3], [0xde, 0, 16]);
    let back = decode(out.data()).unwrap();
    assert_eq!(back.as_object().unwrap().len(), 16);
    assert_eq!(back["severity"], "normal");
}

#[test]
fn maps_that_lose_members_keep_their_header_width() {
    let mut inner = json!({"payload": "c2VjcmV0", "iv": "aXY="});
    for i in 0..20 {
        inner[format!("k{i}")] = json!(i);
    }
    let record = json!({"action": "kms.secrets.wrap", "requestData": inner, "nonce": 1});
    let mut out = Output::new();
    defaults()
        .transform_msgpack(&encode(&record), &mut out)
        .unwrap();
    assert_eq!(out.redacted(), 3);
    let back = decode(out.data()).unwrap();
    assert_eq!(back["requestData"].as_object().unwrap().len(), 20);
    assert!(back.get("nonce").is_none());
    // The inner map (22 members, map16) still has a map16 header.
    let at = out.data().windows(3).position(|w| w == [0xde, 0, 20]);
    assert!(at.is_some());
}

#[test]
fn names_that_are_binary_or_not_strings() {
    // {bin "payload": 1, 7: "x", "ok": true}
    let mut record = vec![0x83, 0xc4, 7];
    record.extend_from_slice(b"payload");
    record.extend_from_slice(&[0x01, 0x07, 0xa1, b'x', 0xa2, b'o', b'k', 0xc3]);
    let mut out = Output::new();
    defaults().transform_msgpack(&record, &mut out).unwrap();
    assert_eq!(out.redacted(), 1);
    let mut expected = vec![0x83, 0x07, 0xa1, b'x', 0xa2, b'o', b'k', 0xc3];
    expected.extend_from_slice(b"\xa8severity\xa6normal");
    assert_eq!(out.data(), expected);
}

#[test]
fn extension_names_and_values_that_spell_key_material() {
    // A shipper prints an extension's data (Fluent Bit as escaped bytes)
    // with the value beside it in clear: data that spells a key-material
    // name takes the member out, as does text with one in a name or value.
    let ext8 = |data: &[u8]| {
        let mut v = vec![0xc7, data.len() as u8, 0x01];
        v.extend_from_slice(data);
        v
    };
    let ok = b"\xa2ok\xc3";
    for (name, masks) in [
        (ext8(b"payload"), true),
        (ext8(b"PayLoad"), true),
        (b"\xd5\x00iv".to_vec(), true),   // fixext2 "iv"
        (ext8(br#"{"iv":"S1"}"#), false), // a name holding text: out whole
    ] {
        // {<ext name>: "S3CRETS3CRET", "ok": true}
        let mut record = vec![0x82];
        record.extend_from_slice(&name);
        record.extend_from_slice(b"\xacS3CRETS3CRET");
        record.extend_from_slice(ok);
        let mut out = Output::new();
        defaults().transform_msgpack(&record, &mut out).unwrap();
        assert_eq!(out.redacted(), 1, "{name:x?}");
        let mut expected = vec![0x82];
        expected.extend_from_slice(ok);
        expected.extend_from_slice(b"\xa8severity\xa6normal");
        assert_eq!(out.data(), expected, "{name:x?}");
        let masked = Transform::from_json(br#"{"redact":{"mode":"mask","mask":"***"}}"#).unwrap();
        masked.transform_msgpack(&record, &mut out).unwrap();
        let leaked = out.data().windows(12).any(|w| w == b"S3CRETS3CRET");
        assert!(!leaked, "{name:x?}");
        let kept_name = out.data().windows(name.len()).any(|w| w == name);
        assert_eq!(kept_name, masks, "{name:x?}: the mask keeps a plain name");
    }
    // Another extension name is kept, its value too.
    let mut record = vec![0x81];
    record.extend_from_slice(&ext8(b"note"));
    record.extend_from_slice(b"\xa1x");
    let mut out = Output::new();
    defaults().transform_msgpack(&record, &mut out).unwrap();
    assert_eq!(out.redacted(), 0);
    assert!(out.data()[1..].starts_with(&record[1..]));
    // An extension value holding JSON text with key material becomes nil.
    let mut record = vec![0x81, 0xa4];
    record.extend_from_slice(b"note");
    record.extend_from_slice(&ext8(br#"{"payload":"S3CRET"}"#));
    defaults().transform_msgpack(&record, &mut out).unwrap();
    assert_eq!(out.redacted(), 1);
    assert_eq!(
        decode(out.data()).unwrap(),
        json!({"note": null, "severity": "normal"})
    );
    // In a framed item's header too.
    let mut header_map = vec![0x81];
    header_map.extend_from_slice(&ext8(b"payload"));
    header_map.extend_from_slice(b"\xacS3CRETS3CRET");
    defaults().redact_msgpack(&header_map, &mut out).unwrap();
    assert_eq!(out.data(), [0x80]);
}

#[test]
fn names_that_fold_to_key_material_go_through_both_paths() {
    let t = defaults();
    let event =
        json!({"\u{212A}ey": "S3CRET", "x": {"\u{17F}ecret_access_key": 1}, "ok": 1}).to_string();
    let out = both_paths(&t, &event);
    assert_eq!(out, json!({"x": {}, "ok": 1, "severity": "normal"}));
    // A binary name too: {bin "\u{212A}ey": "S3CRET"}.
    let name = "\u{212A}ey".as_bytes();
    let mut record = vec![0x81, 0xc4, name.len() as u8];
    record.extend_from_slice(name);
    record.extend_from_slice(b"\xa6S3CRET");
    let mut out = Output::new();
    t.transform_msgpack(&record, &mut out).unwrap();
    assert_eq!(out.redacted(), 1);
    assert_eq!(decode(out.data()).unwrap(), json!({"severity": "normal"}));
    // A name the filter lets by for another of its kinds (it files names
    // by their bytes, here with the route field's): still key material.
    let t = Transform::from_json(br#"{"route":{"field":"route"}}"#).unwrap();
    let event =
        json!({"action": "kms.secrets.read", "service_principal_pa\u{17F}\u{17F}word": "S3CRET"});
    let out = both_paths(&t, &event.to_string());
    assert_eq!(
        out,
        json!({"action": "kms.secrets.read", "severity": "normal", "route": "unmatched"})
    );
}

#[test]
fn status_codes_as_whole_numbers_of_any_width_or_digit_strings() {
    let t = defaults();
    let mut out = Output::new();
    let with_code = |code: &[u8]| {
        // {"reason": {"reasonCode": <code>}}
        let mut r = vec![0x81, 0xa6];
        r.extend_from_slice(b"reason");
        r.extend_from_slice(&[0x81, 0xaa]);
        r.extend_from_slice(b"reasonCode");
        r.extend_from_slice(code);
        r
    };
    for (code, severity) in [
        (&b"\xcd\x01\xf7"[..], Severity::Critical), // uint16 503
        (b"\xd1\x01\x91", Severity::Critical),      // int16 401
        (b"\xcc\xc8", Severity::Normal),            // uint8 200
        (b"\xa3503", Severity::Critical),           // "503"
        (b"\xd1\xfe\x0c", Severity::Normal),        // int16 -500
        (b"\xcb\x40\x7f\x70\x00\x00\x00\x00\x00", Severity::Critical), // float64 503.0
        (b"\xca\x43\xc8\x80\x00", Severity::Critical), // float32 401.0
        (b"\xcb\x40\x7f\x78\x00\x00\x00\x00\x00", Severity::Normal), // float64 503.5
        (b"\xcb\xc0\x7f\x70\x00\x00\x00\x00\x00", Severity::Normal), // float64 -503.0
        (b"\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", Severity::Normal), // NaN
        (b"\xa5401.0", Severity::Normal),           // "401.0"
        (b"\xc3", Severity::Normal),                // true
    ] {
        t.transform_msgpack(&with_code(code), &mut out).unwrap();
        assert_eq!(out.severity(), severity, "{code:x?}");
    }
}

#[test]
fn a_uko_destroy_is_critical_through_both_paths() {
    let t = defaults();
    let event = |uri: &str| {
        json!({"action": "hs-crypto.managed-keys.write", "reason": {"reasonCode": 200},
               "requestData": {"requestURI": uri}})
        .to_string()
    };
    let destroy = both_paths(&t, &event("/api/v4/managed_keys/7f1c/destroy"));
    assert_eq!(destroy["severity"], "critical");
    let update = both_paths(&t, &event("/api/v4/managed_keys/7f1c"));
    assert_eq!(update["severity"], "warning");
}

#[test]
fn strings_holding_json_text_with_key_material_go_through_both_paths() {
    // In MessagePack the text's quotes are raw bytes, not escapes.
    let event = r#"{"action":"kms.secrets.wrap","requestData":{"body":"{\"id\":1,\"Payload\":\"S1\"}","raw":["ok","{\"iv\":2}"],"note":"the \"iv\" member"},"{\"aad\":\"S4\"}":1}"#;
    for config in ["", r#"{"redact":{"mode":"mask","mask":"***"}}"#] {
        let t = Transform::from_json(config.as_bytes()).unwrap();
        let out = both_paths(&t, event);
        let text = out.to_string();
        assert!(
            !text.contains("S1") && !text.contains("S4") && !text.contains("\\\"iv\\\":2"),
            "{text}"
        );
        assert_eq!(out["requestData"]["note"], "the \"iv\" member");
    }
    let mut out = Output::new();
    // A group-marker-like value scanned on its own: a bare string too.
    let value = encode(&json!(["x", "{\"iv\":\"S7\"}"]));
    defaults().redact_msgpack(&value, &mut out).unwrap();
    assert_eq!(decode(out.data()).unwrap(), json!(["x", null]));
    assert_eq!(out.redacted(), 1);
    // Binary data is looked at as a string is: {"note": bin8 <text>}.
    let text = br#"{\u0022payload\u0022:\u0022S8\u0022}"#;
    let mut value = vec![0x81, 0xa4];
    value.extend_from_slice(b"note");
    value.extend_from_slice(&[0xc4, text.len() as u8]);
    value.extend_from_slice(text);
    defaults().redact_msgpack(&value, &mut out).unwrap();
    assert_eq!(decode(out.data()).unwrap(), json!({"note": null}));
    assert_eq!(out.redacted(), 1);
}

#[test]
fn severity_and_route_field_replace_the_first_member_and_drop_later_ones() {
    let t = Transform::from_json(br#"{"route":{"field":"_route"}}"#).unwrap();
    let record = json!({"severity": [1, 2], "_route": {"x": 1}, "logSourceCRN": "crn:v1:bluemix:public:kms:eu-de:a/1:i::"});
    let back = both_paths(&t, &record.to_string());
    assert_eq!(back["severity"], "normal");
    assert_eq!(back["_route"], "eu-de");
    assert_eq!(back.as_object().unwrap().len(), 3);
}

#[test]
fn bad_records_are_rejected_with_their_reason_and_leave_nothing() {
    let t = Transform::from_json(br#"{"limits":{"max_event_bytes":64,"max_depth":3}}"#).unwrap();
    let mut out = Output::new();
    let cases: [(&[u8], &str); 11] = [
        (b"", "invalid event: empty event at byte 0"),
        (
            b"\x92\x01\x02",
            "invalid event: the record is not a map at byte 0",
        ),
        (
            b"\xa3abc",
            "invalid event: the record is not a map at byte 0",
        ),
        (
            b"\x81\xa1a",
            "invalid event: unexpected end of input at byte 3",
        ),
        (
            b"\x81\xa1a\xa5ab",
            "invalid event: unexpected end of input at byte 6",
        ),
        (
            b"\x81\xa1a\xc1",
            "invalid event: invalid MessagePack type byte 0xc1 at byte 3",
        ),
        (
            b"\x81\xa1a\xa2\xff\xfe",
            "invalid event: invalid UTF-8 at byte 4",
        ),
        (
            b"\x81\xa1a\x01\x01",
            "invalid event: unexpected data after the record at byte 4",
        ),
        (
            b"\x81\x90\x01",
            "invalid event: a map key is an array or a map at byte 1",
        ),
        (
            b"\x81\xa1a\x91\x91\x91\x01",
            "invalid event: nesting deeper than 3 levels at byte 5",
        ),
        (
            b"\xdf\xff\xff\xff\xff\xa1a",
            "invalid event: unexpected end of input at byte 7",
        ),
    ];
    for (record, message) in cases {
        out.reset();
        t.transform(br#"{"a":1}"#, &mut out).unwrap();
        let e = t.transform_msgpack(record, &mut out).err();
        let e = e.unwrap_or_else(|| panic!("accepted {record:x?}"));
        assert_eq!(e.message(), message, "{record:x?}");
        assert_eq!(e.kind(), ErrorKind::InvalidEvent);
        assert!(out.data().is_empty() && out.route().is_empty());
    }
    let e = t.transform_msgpack(&[0x80; 65], &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EventTooLarge);
}

/// A Fluent Bit event: `[[timestamp, metadata], record]`.
fn framed(seconds: u32, record: &Value) -> Vec<u8> {
    let mut item = vec![0x92, 0x92, 0xd7, 0x00];
    item.extend_from_slice(&seconds.to_be_bytes());
    item.extend_from_slice(&[0, 0, 0, 0, 0x80]);
    item.extend(encode(record));
    item
}

#[test]
fn a_batch_of_framed_and_bare_records_accounts_for_every_item() {
    let t = defaults();
    let mut rng = Rng::new(13);
    let mut chunk = Vec::new();
    let mut expected = Vec::new();
    for i in 0..300u32 {
        let event: Value = serde_json::from_str(&corpus::event(&mut rng)).unwrap();
        if i % 3 == 0 {
            chunk.extend(encode(&event));
        } else {
            chunk.extend(framed(i, &event));
        }
        if i % 50 == 7 {
            chunk.extend(framed(i, &json!([1])));
        }
        expected.push(event);
    }
    let mut batch = Batch::new();
    t.transform_msgpack_batch(&chunk, &mut batch);
    assert_eq!(batch.lines(), 306);
    assert_eq!(batch.emitted(), 300);
    let rejected: Vec<usize> = batch.rejected().iter().map(|r| r.line).collect();
    assert_eq!(rejected, [9, 60, 111, 162, 213, 264]);
    // Offsets count from the item's first byte: the record starts at 13.
    assert_eq!(
        batch.rejected_message(0),
        Some("invalid event: the record is not a map at byte 13")
    );

    // Every route's items decode, headers intact, with that route's events.
    let mut per_event = Output::new();
    let mut seen = 0;
    for route in 0..batch.route_count() {
        let data = batch.route_data(route);
        let mut pos = 0;
        for _ in 0..batch.route_events(route) {
            let item = msgpack_codec::read(data, &mut pos).expect("a whole item");
            let record = match &item {
                Value::Array(parts) => {
                    assert_eq!(parts.len(), 2);
                    parts[1].clone()
                }
                _ => item,
            };
            // An envelope's severity is inside its event.
            assert!(record["severity"].is_string() || record["payload"]["severity"].is_string());
            seen += 1;
        }
        assert_eq!(pos, data.len());
        assert!(!leak::contains_marker(data));
    }
    assert_eq!(seen, 300);
    t.transform_msgpack(&encode(&expected[0]), &mut per_event)
        .unwrap();
    let first_route = per_event.route_index();
    assert!(batch.route_data(first_route).starts_with(per_event.data()));
}

#[test]
fn a_chunk_that_breaks_off_counts_its_rest_as_one_rejected_item() {
    let t = defaults();
    let mut chunk = framed(1, &json!({"action": "kms.secrets.create"}));
    chunk.extend_from_slice(&[0x92, 0x92, 0xd7]);
    let mut batch = Batch::new();
    t.transform_msgpack_batch(&chunk, &mut batch);
    assert_eq!(
        (batch.lines(), batch.emitted(), batch.rejected().len()),
        (2, 1, 1)
    );
    assert_eq!(
        batch.rejected_message(0),
        Some("invalid event: the rest of the chunk is not whole MessagePack items at byte 40")
    );
}

/// The batch reads each valid item once and learns its end from that read;
/// it must agree, item by item, with cutting the chunk first and calling
/// the item API: outputs in each route's buffer in order, rejections with
/// the same numbers and messages. Items straddle the size limit (a byte
/// under, at, a byte over), and bad items sit between good ones.
#[test]
fn the_batch_agrees_with_the_item_api_item_by_item_and_at_the_size_limit() {
    let limit: usize = 300;
    let t =
        Transform::from_json(format!(r#"{{"limits":{{"max_event_bytes":{limit}}}}}"#).as_bytes())
            .unwrap();
    let mut items: Vec<Vec<u8>> = Vec::new();
    for (i, pad) in (limit - 80..limit + 40).enumerate() {
        let base = json!({"action": "kms.secrets.create", "logSourceCRN": "crn:v1:bluemix:public:kms:eu-de:a/1:i::", "pad": ""});
        // Pad the record so that the framed item is `pad` bytes long (or
        // as close as the string header's widths allow).
        let item = (0..260)
            .map(|n| {
                let mut event = base.clone();
                event["pad"] = Value::String("x".repeat(n));
                framed(i as u32, &event)
            })
            .min_by_key(|item| item.len().abs_diff(pad))
            .unwrap();
        items.push(item);
        match i % 7 {
            0 => items.push(vec![
                0x92, 0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 0, 0x80, 0x01,
            ]),
            3 => items.push(
                framed(i as u32, &json!({"bad": "\u{0}"}))[..]
                    .iter()
                    .map(|&b| if b == 0 { 0xc1 } else { b })
                    .collect(),
            ),
            5 => items.push(encode(&json!({"bare": true, "payload": "K3YM4T3RIAL"}))),
            _ => {}
        }
    }
    let sizes: Vec<usize> = items.iter().map(Vec::len).collect();
    assert!(sizes.contains(&(limit - 1)) && sizes.contains(&limit) && sizes.contains(&(limit + 1)));
    let chunk = items.concat();

    let mut batch = Batch::new();
    t.transform_msgpack_batch(&chunk, &mut batch);
    let mut out = Output::new();
    let mut expected_routes: Vec<Vec<u8>> = vec![Vec::new(); batch.route_count()];
    let mut expected_rejected = Vec::new();
    for (n, item) in items.iter().enumerate() {
        match t.transform_msgpack_item(item, &mut out) {
            Ok(()) => expected_routes[out.route_index()].extend_from_slice(out.data()),
            Err(e) => expected_rejected.push((n + 1, e.message().to_owned())),
        }
    }
    assert_eq!(batch.lines(), items.len());
    let rejected: Vec<(usize, String)> = batch
        .rejected()
        .iter()
        .enumerate()
        .map(|(i, r)| (r.line, batch.rejected_message(i).unwrap().to_owned()))
        .collect();
    assert_eq!(rejected, expected_rejected);
    assert!(expected_rejected
        .iter()
        .any(|(_, m)| m.contains("too large")));
    for (route, expected) in expected_routes.iter().enumerate() {
        assert_eq!(batch.route_data(route), &expected[..], "route {route}");
    }
}

/// A member an ignoring-case reader takes for `severity` (or the route
/// field) beside the one the transform writes would give that reader its
/// own value (Go's encoding/json keeps the last): it goes, at the top level
/// and in an envelope's event, through both paths, and is not counted.
#[test]
fn names_that_shadow_severity_or_the_route_field_go() {
    let t = Transform::from_json(br#"{"route":{"field":"route"}}"#).unwrap();
    for (event, want) in [
        (
            json!({"severity": "x", "action": "kms.secrets.delete", "SEVERITY": "normal", "Route": "us-south"}),
            json!({"severity": "critical", "action": "kms.secrets.delete", "route": "unmatched"}),
        ),
        (
            json!({"Severity": "normal", "\u{17F}everity": "normal", "ROUTE": "x", "a": {"SEVERITY": 1}}),
            json!({"a": {"SEVERITY": 1}, "severity": "normal", "route": "unmatched"}),
        ),
        (
            json!({"payload": {"action": "kms.secrets.delete", "SEVERITY": "normal", "iv": 1}, "Severity": 2}),
            json!({"payload": {"action": "kms.secrets.delete", "severity": "critical", "route": "unmatched"}}),
        ),
    ] {
        let out = both_paths(&t, &event.to_string());
        assert_eq!(out, want, "{event}");
    }
    let mut out = Output::new();
    t.transform(br#"{"SEVERITY":{"iv":1},"severity":"x"}"#, &mut out)
        .unwrap();
    assert_eq!(out.redacted(), 0, "a shadow is not key material");
    assert_eq!(out.data(), br#"{"severity":"normal","route":"unmatched"}"#);
}

/// A name the scan reads that comes again, the last time with a value of
/// another kind (a container, a number, a string), decides as it does in
/// JSON text: the last one counts. The members as the record holds them,
/// duplicates and all.
#[test]
fn a_read_name_given_twice_decides_by_its_last_value_through_both_paths() {
    let t = defaults();
    let crn = "crn:v1:bluemix:public:kms:eu-de:a/1234:5678::";
    let us = "crn:v1:bluemix:public:kms:us-south:a/1234:5678:key:9";
    let cases: Vec<Vec<(&str, Value)>> = vec![
        vec![
            ("action", json!("kms.secrets.delete")),
            ("action", json!({"x": 1})),
        ],
        vec![
            ("action", json!({"x": 1})),
            ("action", json!("kms.secrets.delete")),
        ],
        vec![
            ("action", json!("kms.secrets.delete")),
            ("action", json!([1])),
        ],
        vec![("logSourceCRN", json!(crn)), ("logSourceCRN", json!([crn]))],
        vec![("logSourceCRN", json!(crn)), ("logSourceCRN", json!(7))],
        vec![("target", json!({"id": us, "id": {"a": 1}}))],
        vec![
            ("target", json!({"id": us})),
            ("target", json!([{"id": us}])),
        ],
        vec![
            ("action", json!("kms.secrets.read")),
            ("reason", json!({"reasonCode": 503})),
            ("reason", json!({"reasonCode": [503]})),
        ],
        vec![
            ("action", json!("kms.secrets.read")),
            ("reason", json!({"reasonCode": 200})),
            ("reason", json!(null)),
        ],
    ];
    let (mut json_out, mut mp_out) = (Output::new(), Output::new());
    for members in cases {
        let text = format!(
            "{{{}}}",
            members
                .iter()
                .map(|(k, v)| format!("{}:{v}", json!(k)))
                .collect::<Vec<_>>()
                .join(",")
        );
        let mut record = vec![0x80 | members.len() as u8];
        for (k, v) in &members {
            record.extend(encode(&json!(k)));
            record.extend(encode(v));
        }
        t.transform(text.as_bytes(), &mut json_out).unwrap();
        t.transform_msgpack(&record, &mut mp_out).unwrap();
        assert_eq!(mp_out.severity(), json_out.severity(), "{text}");
        assert_eq!(mp_out.route(), json_out.route(), "{text}");
    }
}
