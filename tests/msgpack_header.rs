//! The header of a framed MessagePack event (`[header, record]`, Fluent
//! Bit's `[[timestamp, metadata], record]`) is untrusted input like the
//! record: validated the same way, stripped of key material at any depth,
//! counted in the size limit; a header that fails rejects the item. Also
//! the framing array in every width, and `redact_msgpack` for what travels
//! beside events (group markers).

mod leak;
mod msgpack_codec;

use kpaudit::{Batch, ErrorKind, Output, Transform};
use leak::corpus::{self, Rng};
use msgpack_codec::{decode, encode, read};
use serde_json::{json, Value};

fn defaults() -> Transform {
    Transform::from_json(b"").unwrap()
}

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The chunk through the batch: (emitted, rejected messages, all route bytes).
fn batch_of(t: &Transform, chunk: &[u8]) -> (usize, Vec<String>, Vec<u8>) {
    let mut batch = Batch::new();
    t.transform_msgpack_batch(chunk, &mut batch);
    assert_eq!(batch.emitted() + batch.rejected().len(), batch.lines());
    let messages = batch
        .rejected()
        .iter()
        .map(|r| r.message.to_owned())
        .collect();
    let data = (0..batch.route_count())
        .flat_map(|r| batch.route_data(r).to_vec())
        .collect();
    (batch.emitted(), messages, data)
}

/// `[<array header>, header, record]`: an event framed with the given
/// array header bytes.
fn frame(array_header: &[u8], header: &[u8], record: &[u8]) -> Vec<u8> {
    [array_header, header, record].concat()
}

const ARRAY_WIDTHS: [&[u8]; 3] = [&[0x92], &[0xdc, 0, 2], &[0xdd, 0, 0, 0, 2]];

#[test]
fn key_material_in_the_metadata_never_reaches_a_route() {
    let t = defaults();
    // The issue's two items, byte for byte.
    let metadata =
        hex("92 92 d7 00 6553f100 00000001 81 a7 7061796c6f6164 a6 534543524554 81 a1 61 01");
    let bare = [
        &[0x92][..],
        &encode(&json!({"iv": "SECRET"})),
        &encode(&json!({"a": 1})),
    ]
    .concat();
    for item in [metadata, bare] {
        let (emitted, rejected, data) = batch_of(&t, &item);
        assert_eq!((emitted, rejected.len()), (1, 0));
        assert!(!contains(&data, b"SECRET"), "{data:x?}");
        let mut out = Output::new();
        t.transform_msgpack_item(&item, &mut out).unwrap();
        assert_eq!(out.data(), &data[..]);
        assert_eq!(out.redacted(), 1, "the header's member counts");
        let parts = decode(out.data()).unwrap();
        assert_eq!(parts[1]["a"], json!(1));
        assert_eq!(parts[1]["severity"], json!("normal"));
    }
}

#[test]
fn the_header_is_stripped_at_any_depth_in_every_map_and_array_width() {
    let t = Transform::from_json(br#"{"limits":{"max_event_bytes":4194304}}"#).unwrap();
    let record = encode(&json!({"action": "kms.secrets.delete"}));
    // Metadata maps of 1, 16 and 70000 members (fixmap, map16, map32),
    // each with key material at the top and three levels down, and the
    // same inside arrays.
    for members in [1usize, 16, 70_000] {
        let mut meta = serde_json::Map::new();
        for i in 0..members {
            meta.insert(format!("k{i}"), json!(i));
        }
        meta.insert("PayLoad".into(), json!("SECRET1"));
        meta.insert(
            "otlp".into(),
            json!({"attributes": [{"deep": {"nonce": ["SECRET2"], "keep": 1}}]}),
        );
        let mut header = vec![0x92, 0xd7, 0, 0, 0, 0, 1, 0, 0, 0, 0];
        header.extend(encode(&Value::Object(meta)));
        for array_header in ARRAY_WIDTHS {
            let item = frame(array_header, &header, &record);
            let (emitted, rejected, data) = batch_of(&t, &item);
            assert_eq!(
                (emitted, rejected),
                (1, vec![]),
                "{members} {array_header:x?}"
            );
            assert!(!contains(&data, b"SECRET"));
            assert!(
                data.starts_with(array_header),
                "the framing keeps its width"
            );
            let mut pos = 0;
            let parts = read(&data, &mut pos).expect("one whole item");
            assert_eq!(pos, data.len());
            let meta = &parts[0][1];
            assert_eq!(meta.as_object().unwrap().len(), members + 1);
            assert_eq!(meta["otlp"]["attributes"][0]["deep"], json!({"keep": 1}));
            assert_eq!(parts[1]["severity"], json!("critical"));
        }
    }
}

#[test]
fn a_header_that_fails_rejects_the_whole_item() {
    let t = Transform::from_json(br#"{"limits":{"max_depth":8,"max_event_bytes":1000}}"#).unwrap();
    let record = encode(&json!({"a": 1}));
    let deeper = [vec![0x91; 100_000], vec![0xc0]].concat();
    let deep = [vec![0x91; 20], vec![0xc0]].concat();
    let long = encode(&json!("x".repeat(5_000_000)));
    let bad_utf8 = hex("a2 c3 28");
    let bad_key_utf8 = hex("81 a2 c3 28 01");
    let reserved = vec![0xc1];
    let cases: [(&[u8], ErrorKind, &str); 6] = [
        (
            &deeper,
            ErrorKind::EventTooLarge,
            "event too large: 100014 bytes, over the limit of 1000",
        ),
        (
            &deep,
            ErrorKind::InvalidEvent,
            "invalid event: nesting deeper than 8 levels in the event header at byte 9",
        ),
        (
            &long,
            ErrorKind::EventTooLarge,
            "event too large: 5000018 bytes, over the limit of 1000",
        ),
        (
            &bad_utf8,
            ErrorKind::InvalidEvent,
            "invalid event: invalid UTF-8 in the event header at byte 2",
        ),
        (
            &bad_key_utf8,
            ErrorKind::InvalidEvent,
            "invalid event: invalid UTF-8 in the event header at byte 3",
        ),
        (
            &reserved,
            ErrorKind::InvalidEvent,
            "invalid event: invalid MessagePack type byte 0xc1 in the event header at byte 1",
        ),
    ];
    for (header, kind, message) in cases {
        let item = frame(&[0x92], header, &record);
        let mut out = Output::new();
        if header == reserved.as_slice() {
            // 0xc1 cannot even be skipped: the item is unreadable as a
            // frame and is read (and refused) as a record instead.
            let e = t.transform_msgpack_item(&item, &mut out).unwrap_err();
            assert_eq!(
                e.message(),
                "invalid event: the record is not a map at byte 0"
            );
            continue;
        }
        let e = t.transform_msgpack_item(&item, &mut out).unwrap_err();
        assert_eq!((e.kind(), e.message()), (kind, message));
        assert!(out.data().is_empty());
        let (emitted, rejected, data) = batch_of(&t, &item);
        assert_eq!(
            (emitted, rejected, data.len()),
            (0, vec![message.to_owned()], 0)
        );
    }
    // The whole item counts towards the size limit, header and record.
    let header = encode(&json!("h".repeat(600)));
    let record = encode(&json!({"r": "r".repeat(490)}));
    let item = frame(&[0x92], &header, &record);
    assert!(header.len() < 1000 && record.len() < 1000 && item.len() > 1000);
    let e = t
        .transform_msgpack_item(&item, &mut Output::new())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EventTooLarge);
}

#[test]
fn planted_key_material_in_headers_never_leaks() {
    let t = defaults();
    let mut rng = Rng::new(21);
    let mut chunk = Vec::new();
    for i in 0..400 {
        // A planted event's body as metadata, another as the record.
        let meta: Value = serde_json::from_str(&leak::planted_event(&mut rng).event).unwrap();
        let record: Value = serde_json::from_str(&leak::planted_event(&mut rng).event).unwrap();
        let mut header = vec![0x92];
        header.extend(encode(&json!(i)));
        header.extend(encode(&meta));
        chunk.extend(frame(ARRAY_WIDTHS[i % 3], &header, &encode(&record)));
    }
    assert!(leak::contains_marker(&chunk));
    let (emitted, rejected, data) = batch_of(&t, &chunk);
    assert_eq!((emitted, rejected.len()), (400, 0));
    assert!(!leak::contains_marker(&data));
    // Every item reads back, and the same as the per-item call gives.
    let mut pos = 0;
    let mut items = 0;
    while pos < data.len() {
        read(&data, &mut pos).expect("a whole item");
        items += 1;
    }
    assert_eq!(items, 400);
}

#[test]
fn redact_msgpack_strips_any_value_and_decides_nothing() {
    let t = defaults();
    let mut out = Output::new();
    // A group marker as Fluent Bit writes one: [[-1, metadata], attributes].
    let marker = [
        &[0x92, 0x92, 0xff][..],
        &encode(&json!({"schema": "otlp", "Authorization": "Bearer SECRET"})),
        &encode(&json!({"resource": {"attributes": {"ciphertext": "SECRET", "host": "a"}}})),
    ]
    .concat();
    t.redact_msgpack(&marker, &mut out).unwrap();
    assert!(!contains(out.data(), b"SECRET"));
    assert_eq!(out.redacted(), 2);
    assert_eq!(out.route(), "");
    let value = decode(out.data()).unwrap();
    assert_eq!(value[0][1], json!({"schema": "otlp"}));
    assert_eq!(value[1], json!({"resource": {"attributes": {"host": "a"}}}));
    // Scalars and a top-level map too; nothing is added to them.
    for v in [
        json!(5),
        json!("text"),
        json!({"iv": [1], "b": 2}),
        json!([]),
    ] {
        t.redact_msgpack(&encode(&v), &mut out).unwrap();
        let got = decode(out.data()).unwrap();
        let mut want = v.clone();
        if let Some(m) = want.as_object_mut() {
            m.remove("iv");
        }
        assert_eq!(got, want);
    }
    // Mask mode replaces the value instead.
    let masked = Transform::from_json(br#"{"redact":{"mode":"mask"}}"#).unwrap();
    masked.redact_msgpack(&marker, &mut out).unwrap();
    let value = decode(out.data()).unwrap();
    assert_eq!(
        value[1]["resource"]["attributes"]["ciphertext"],
        json!("[REDACTED]")
    );
    // Bad input: a message, an empty output.
    for (bad, message) in [
        (&b""[..], "invalid event: unexpected end of input at byte 0"),
        (
            &[0xa2, 0xc3, 0x28][..],
            "invalid event: invalid UTF-8 at byte 1",
        ),
        (
            &[0xc0, 0xc0][..],
            "invalid event: unexpected data after the value at byte 1",
        ),
    ] {
        let e = t.redact_msgpack(bad, &mut out).unwrap_err();
        assert_eq!(e.message(), message);
        assert!(out.data().is_empty());
    }
}

#[test]
fn framed_and_bare_items_of_the_corpus_agree_with_the_record_call() {
    let t = defaults();
    let mut rng = Rng::new(22);
    let (mut item_out, mut record_out) = (Output::new(), Output::new());
    for i in 0..500 {
        let record = encode(&serde_json::from_str::<Value>(&corpus::event(&mut rng)).unwrap());
        t.transform_msgpack(&record, &mut record_out).unwrap();
        let header = [
            &[0x92][..],
            &encode(&json!(i)),
            &encode(&json!({"tag": "kp"})),
        ]
        .concat();
        let item = frame(ARRAY_WIDTHS[i % 3], &header, &record);
        t.transform_msgpack_item(&item, &mut item_out).unwrap();
        let body_at = item.len() - record.len();
        assert_eq!(&item_out.data()[..body_at], &item[..body_at]);
        assert_eq!(&item_out.data()[body_at..], record_out.data());
        assert_eq!(item_out.route(), record_out.route());
        assert_eq!(item_out.severity(), record_out.severity());
        // A bare map is an item too.
        t.transform_msgpack_item(&record, &mut item_out).unwrap();
        assert_eq!(item_out.data(), record_out.data());
    }
}

/// The header nearly every event has, `[time, {}]` (array and map in any
/// width), is copied without a scan: what comes out, what the item call says of its nesting and what
/// the depth limit makes of it are what scanning it gives (`redact_msgpack`
/// scans any value), for every time encoding, for EventTime bytes that
/// hold a quote or backslash (JSON text to look at), and for near misses.
#[test]
fn plain_headers_come_out_as_the_scan_makes_them() {
    let t = defaults();
    let mut rng = Rng::new(41);
    let record = encode(&json!({"action": "kms.secrets.wrap", "b": {"c": 1}}));
    let mut headers: Vec<Vec<u8>> = Vec::new();
    for i in 0..2000 {
        let mut time: Vec<u8> = (0..8).map(|_| rng.below(256) as u8).collect();
        if i % 4 == 0 {
            time[rng.below(8) as usize] = [b'"', b'\\'][i % 8 / 4];
        }
        if i % 16 == 0 {
            // time bytes that spell a key-material name as JSON text
            time = b"\"iv\":1}}".to_vec();
        }
        // the array and the empty map in every width (Fluent Bit 4 writes an
        // array32, Fluent Bit 5 a map32)
        let array = [&[0x92][..], &[0xdc, 0, 2], &[0xdd, 0, 0, 0, 2]][i % 3];
        let map = [&[0x80][..], &[0xde, 0, 0], &[0xdf, 0, 0, 0, 0]][i / 3 % 3];
        headers.push([array, &[0xd7, 0x00], &time, map].concat());
        headers.push([array, &[0xce], &time[..4], map].concat());
        headers.push([array, &[0xcf], &time, map].concat());
    }
    for head in [
        &[0x92, 0x00, 0x80][..],
        &[0x92, 0x7f, 0x80],
        // near misses, scanned
        &[0x92, 0xff, 0x80],
        &[0x92, 0xcc, 0x22, 0x80],
        &[0x92, 0xd7, 0x01, 1, 2, 3, 4, 5, 6, 7, 8, 0x80],
        &[0x92, 0xc0, 0x90],
        &[0xdc, 0x00, 0x02, 0x01, 0x80],
        &[0x92, 0x01, 0xdf, 0, 0, 0, 1, 0xa2, b'i', b'v', 0x01],
        &[0x92, 0x01, 0xde, 0, 1, 0xa2, b'i', b'v', 0x01],
        &[0x93, 0x01, 0x80, 0x80],
    ] {
        headers.push(head.to_vec());
    }
    headers.push([&[0x92, 0x01][..], &encode(&json!({"iv": "SECRET"}))].concat());
    let shallow = Transform::from_json(br#"{"limits":{"max_depth":1}}"#).unwrap();
    let (mut out, mut scanned) = (Output::new(), Output::new());
    for header in &headers {
        let item = [&[0x92][..], header, &record].concat();
        t.transform_msgpack_item(&item, &mut out).unwrap();
        t.redact_msgpack(header, &mut scanned).unwrap();
        let cut = scanned.data().len() + 1;
        assert_eq!(&out.data()[1..cut], scanned.data(), "header {header:02x?}");
        assert_eq!(out.redacted(), scanned.redacted(), "header {header:02x?}");
        let facts = t.transform_msgpack_next(&item, b"", &mut out).unwrap();
        let header_nesting = nesting_of(&decode(header).unwrap());
        assert_eq!(
            facts.nesting,
            1 + header_nesting.max(2),
            "header {header:02x?}"
        );
        // A depth limit the header exceeds refuses the item, as a scan does.
        let e = shallow.transform_msgpack_item(&item, &mut out).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidEvent, "header {header:02x?}");
        assert!(
            e.message().contains("nesting deeper than 1"),
            "{}",
            e.message()
        );
    }
}

fn nesting_of(v: &Value) -> usize {
    match v {
        Value::Array(items) => 1 + items.iter().map(nesting_of).max().unwrap_or(0),
        Value::Object(members) => 1 + members.values().map(nesting_of).max().unwrap_or(0),
        _ => 0,
    }
}
