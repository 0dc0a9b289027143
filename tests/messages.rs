//! The exact text of every message a user reads: an event's, a record's,
//! a batch's and a configuration's. Each says what was found and where,
//! in words that cannot be misread for another fault, and never quotes
//! the input. A change of wording shows up here.

mod msgpack_codec;

use kpaudit::{Batch, Output, Transform};

fn event_message(t: &Transform, event: &[u8]) -> String {
    let mut out = Output::new();
    match t.transform(event, &mut out) {
        Ok(()) => panic!("accepted: {:?}", String::from_utf8_lossy(event)),
        Err(e) => e.message().to_owned(),
    }
}

#[test]
fn event_messages() {
    let t = Transform::from_json(br#"{"limits":{"max_depth":3,"max_event_bytes":64}}"#).unwrap();
    let cases: &[(&[u8], &str)] = &[
        (b"", "invalid event: empty event at byte 0"),
        (b" \n", "invalid event: empty event at byte 2"),
        (b"not json", "invalid event: invalid literal at byte 0"),
        (b"nul", "invalid event: invalid literal at byte 0"),
        (b"null", "invalid event: the event is null, not a JSON object at byte 0"),
        (b"truth", "invalid event: invalid literal at byte 0"),
        (b"false", "invalid event: the event is a boolean, not a JSON object at byte 0"),
        (b"-", "invalid event: invalid number at byte 0"),
        (b"12", "invalid event: the event is a number, not a JSON object at byte 0"),
        (b"[{}]", "invalid event: the event is an array, not a JSON object at byte 0"),
        (b"\"x\"", "invalid event: the event is a string, not a JSON object at byte 0"),
        (b"<xml/>", "invalid event: unexpected character, expected a JSON object at byte 0"),
        (b"{", "invalid event: unexpected end of input, expected a member name at byte 1"),
        (b"{\"a\"", "invalid event: unexpected end of input, expected ':' after a member name at byte 4"),
        (b"{\"a\":1", "invalid event: unexpected end of input, expected ',' or '}' after an object member at byte 6"),
        (b"{\"a\":1 2}", "invalid event: expected ',' or '}' after an object member at byte 7"),
        (b"{\"a\":[1 2]}", "invalid event: expected ',' or ']' after an array element at byte 8"),
        (b"{\"a\":}", "invalid event: expected a value at byte 5"),
        (b"{1:2}", "invalid event: expected a member name at byte 1"),
        (b"{\"a\":\"b", "invalid event: unterminated string at byte 5"),
        (b"{\"a\":\"\x01\"}", "invalid event: control character in a string at byte 6"),
        (b"{\"a\":\"\\q\"}", "invalid event: invalid escape in a string at byte 6"),
        (b"{\"a\":\"\\u00g0\"}", "invalid event: invalid \\u escape in a string at byte 6"),
        (b"{\"a\":\"\\udc00\"}", "invalid event: unpaired surrogate escape at byte 6"),
        (b"{\"a\":\"\xff\"}", "invalid event: invalid UTF-8 at byte 6"),
        (b"{\"a\":01}", "invalid event: expected ',' or '}' after an object member at byte 6"),
        (b"{\"a\":1.}", "invalid event: invalid number: no digit after '.' at byte 5"),
        (b"{\"a\":1e+}", "invalid event: invalid number: no digit in the exponent at byte 5"),
        (b"{\"a\":tru}", "invalid event: invalid literal at byte 5"),
        (b"{\"a\":1} x", "invalid event: unexpected data after the event at byte 8"),
        (b"{\"a\":[[[1]]]}", "invalid event: nesting deeper than 3 levels at byte 7"),
        (&[b'{'; 65], "event too large: 65 bytes, over the limit of 64"),
    ];
    for (event, want) in cases {
        let got = event_message(&t, event);
        assert_eq!(got, *want, "{:?}", String::from_utf8_lossy(event));
    }
}

#[test]
fn record_and_item_messages() {
    let t = Transform::from_json(br#"{"limits":{"max_depth":2}}"#).unwrap();
    let mut out = Output::new();
    let records: &[(&[u8], &str)] = &[
        (b"", "invalid event: empty event at byte 0"),
        (&[0xc0], "invalid event: the record is not a map at byte 0"),
        (&[0x81], "invalid event: unexpected end of input at byte 1"),
        (
            &[0x81, 0xc1],
            "invalid event: invalid MessagePack type byte 0xc1 at byte 1",
        ),
        (
            &[0x81, 0x90, 0x01],
            "invalid event: a map key is an array or a map at byte 1",
        ),
        (
            &[0x81, 0xa1, b'a', 0xa1, 0xff],
            "invalid event: invalid UTF-8 at byte 4",
        ),
        (
            &[0x81, 0xa1, b'a', 0x91, 0x91, 0x01],
            "invalid event: nesting deeper than 2 levels at byte 4",
        ),
        (
            &[0x80, 0x80],
            "invalid event: unexpected data after the record at byte 1",
        ),
        (
            &[0x81, 0xa1, b'a', 0xd9, 0x09],
            "invalid event: unexpected end of input at byte 5",
        ),
    ];
    for (record, want) in records {
        let got = t.transform_msgpack(record, &mut out).unwrap_err();
        assert_eq!(got.message(), *want, "{record:x?}");
    }
    let items: &[(&[u8], &str)] = &[
        (
            &[0x92, 0x01, 0xc0],
            "invalid event: the record is not a map at byte 2",
        ),
        (
            &[0x92, 0x91, 0xa1, 0xff, 0x80],
            "invalid event: invalid UTF-8 in the event header at byte 3",
        ),
        (
            &[0x92, 0x91, 0x91, 0x91, 0x01, 0x80],
            "invalid event: nesting deeper than 2 levels in the event header at byte 3",
        ),
        (
            &[0x92, 0x81, 0x91, 0x01, 0x01, 0x80],
            "invalid event: a map key is an array or a map in the event header at byte 2",
        ),
    ];
    for (item, want) in items {
        let got = t.transform_msgpack_item(item, &mut out).unwrap_err();
        assert_eq!(got.message(), *want, "{item:x?}");
    }
    let got = t.redact_msgpack(&[0x91], &mut out).unwrap_err();
    assert_eq!(
        got.message(),
        "invalid event: unexpected end of input at byte 1"
    );
    let mut batch = Batch::new();
    t.transform_msgpack_batch(&[0x80, 0x92, 0xd7], &mut batch);
    assert_eq!(
        batch.rejected_message(0),
        Some("invalid event: the rest of the chunk is not whole MessagePack items at byte 1")
    );
}

#[test]
fn configuration_messages() {
    let cases: &[(&str, &str)] = &[
        ("{\"route\":{\"field\":\"x\"", "invalid config: line 1, column 21: EOF while parsing an object (the configuration is not valid JSON)"),
        ("{\"redact\":{\"fields\":[\"a\",]}}", "invalid config: line 1, column 26: trailing comma (the configuration is not valid JSON)"),
        ("{\n\"limits\": {\"max_depth\": 1,\n}}", "invalid config: line 3, column 1: trailing comma (the configuration is not valid JSON)"),
        ("not json", "invalid config: line 1, column 2: expected ident (the configuration is not valid JSON)"),
        ("[]", "invalid config: expected a JSON object"),
        ("{\"route\":[]}", "invalid config: route: expected a JSON object"),
        ("{\"redact\":{\"fields\":[\"Severity\"]}}", "invalid config: redact.fields[0]: Severity names severity, the field the transform sets (names match without regard to ASCII case)"),
        ("{\"route\":{\"field\":\"IV\"}}", "invalid config: route.field: IV is a built-in key-material name (names match without regard to ASCII case)"),
        ("{\"limits\":{\"max_depth\":0}}", "invalid config: limits.max_depth: expected 1 to 100000"),
        ("{\"severity\":{\"status\":{\"99\":\"warning\"}}}", "invalid config: severity.status.99: expected an HTTP status code from 100 to 999"),
    ];
    for (config, want) in cases {
        let got = Transform::from_json(config.as_bytes()).unwrap_err();
        assert_eq!(got.message(), *want, "{config}");
    }
}
