//! The assertions the fuzz targets share: the engine against the test
//! suite's reference implementation, and the leak oracle.

#[path = "../../tests/leak/mod.rs"]
pub mod leak;
#[path = "../../tests/msgpack_codec/mod.rs"]
pub mod msgpack_codec;
#[path = "../../tests/reference/mod.rs"]
pub mod reference;

use std::sync::OnceLock;

use kpaudit::{Output, Transform};

/// The built-in defaults, compiled once.
pub fn defaults() -> &'static Transform {
    static T: OnceLock<Transform> = OnceLock::new();
    T.get_or_init(|| Transform::from_json(b"").unwrap())
}

/// One event through the defaults: accepted exactly when the reference
/// accepts it, with the same value, severity, route and count; nothing
/// leaked that the reference does not show (a mutation may turn a key
/// into an ordinary name); on rejection, no output and a message that
/// quotes nothing.
pub fn check_event(event: &[u8]) {
    let mut out = Output::new();
    let result = defaults().transform(event, &mut out);
    check_line(event, result.is_ok().then(|| out.data()));
    check_result(event, result.map(|()| &out), out.data());
}

/// The defaults with `msgpack.line_member` "log", compiled once.
pub fn lines() -> &'static Transform {
    static T: OnceLock<Transform> = OnceLock::new();
    T.get_or_init(|| Transform::from_json(br#"{"msgpack":{"line_member":"log"}}"#).unwrap())
}

/// The event as a line, `{"log": event}`, through `lines()`: refused
/// exactly when the JSON path refused it (`json` None), else the JSON
/// path's output as MessagePack, with no marker in its bytes unless the
/// JSON path shows one.
pub fn check_line(event: &[u8], json: Option<&[u8]>) {
    if event.len() + 16 > lines().max_event_bytes() {
        return; // the record around it would be over the limit
    }
    let mut record = vec![0x81, 0xa3, b'l', b'o', b'g', 0xdb];
    record.extend_from_slice(&(event.len() as u32).to_be_bytes());
    record.extend_from_slice(event);
    let mut out = Output::new();
    match (lines().transform_msgpack(&record, &mut out), json) {
        (Ok(()), Some(json)) => {
            // What the JSON path shows (a mutation may turn a key into an
            // ordinary name, its marker escaped there) the line shows too.
            if leak::findings(json, true).is_empty() {
                assert!(
                    !leak::contains_marker(out.data()),
                    "leaked through the line"
                );
            }
            let got = msgpack_codec::decode(out.data()).expect("one MessagePack value");
            // A number serde_json cannot hold (1e400) leaves only the raw check.
            if let Ok(want) = serde_json::from_slice::<serde_json::Value>(json) {
                assert_eq!(
                    msgpack_codec::normalize(got),
                    msgpack_codec::normalize(want)
                );
            }
        }
        (Err(e), None) => {
            assert!(out.data().is_empty(), "a refused line left output");
            check_message(e.message());
        }
        (Ok(()), None) => panic!("a line accepted that the JSON path refuses"),
        (Err(e), Some(_)) => panic!("a line refused ({e}) that the JSON path accepts"),
    }
}

/// `check_event` for a result obtained elsewhere (the batch path).
pub fn check_result(event: &[u8], result: Result<&Output, kpaudit::Error>, emitted: &[u8]) {
    if reference::names_serde_number_token(event) {
        // The reference cannot represent the event (see the function); the
        // engine is held to serde_json's plain validation and the oracle.
        let valid = serde_json::from_slice::<serde::de::IgnoredAny>(event).is_ok()
            && event.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        match result {
            Ok(_) => {
                assert!(valid, "accepted what serde_json rejects");
                let output_is_json = serde_json::from_slice::<serde::de::IgnoredAny>(emitted);
                assert!(output_is_json.is_ok(), "output is not JSON");
                // The oracle's JSON reading has the same blind spot; the
                // raw check for markers does not.
                assert!(!leak::contains_marker(emitted), "leaked");
            }
            Err(e) => {
                assert!(emitted.is_empty(), "a rejected event left output");
                check_message(e.message());
            }
        }
        return;
    }
    match (result, reference::reference(event)) {
        (Ok(out), Some(r)) => {
            let got = reference::value(emitted).expect("output is JSON");
            assert_eq!(got, r.value);
            assert_eq!(out.severity(), r.severity);
            assert_eq!(out.route(), r.route);
            assert_eq!(out.redacted(), r.redacted);
            let visible = serde_json::to_vec(&r.value).unwrap();
            if leak::findings(&visible, true).is_empty() {
                let found = leak::findings(emitted, true);
                assert!(found.is_empty(), "leaked: {found:?}");
            }
        }
        (Err(e), None) => {
            assert!(emitted.is_empty(), "a rejected event left output");
            check_message(e.message());
        }
        (Ok(_), None) => panic!("accepted what the reference rejects"),
        (Err(e), Some(_)) => panic!("rejected ({e}) what the reference accepts"),
    }
}

/// The planted target's event: a generated event with key material planted
/// in it (the first 8 bytes of `data` pick it), then edited by the rest,
/// 3 bytes per edit: where (2), and what and the byte (1).
pub fn planted_event(data: &[u8]) -> Vec<u8> {
    let (seed, edits) = data.split_at(data.len().min(8));
    let mut seed_bytes = [0u8; 8];
    seed_bytes[..seed.len()].copy_from_slice(seed);
    let mut rng = leak::corpus::Rng::new(u64::from_le_bytes(seed_bytes));
    let mut event = leak::planted_event(&mut rng).event.into_bytes();
    for edit in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % (event.len() + 1);
        match edit[2] % 4 {
            0 => event.truncate(at),
            1 if at < event.len() => event[at] ^= edit[2] | 1,
            2 => event.insert(at, edit[2]),
            _ if at < event.len() => {
                event.remove(at);
            }
            _ => {}
        }
    }
    event
}

/// Error messages are fixed text and offsets: printable ASCII, short, and
/// never a marker.
pub fn check_message(message: &str) {
    assert!(message.len() < 200, "{message}");
    assert!(
        message.bytes().all(|b| (b' '..=b'~').contains(&b)),
        "{message}"
    );
    assert!(!leak::contains_marker(message.as_bytes()), "{message}");
}

/// One MessagePack record through the defaults. Accepted: the output is a
/// record the engine accepts again with nothing left to redact and the same
/// decisions; when the record is plain JSON data, the JSON path on its JSON
/// text gives the same value. Rejected: no output, a clean message.
pub fn check_msgpack(record: &[u8]) {
    let t = defaults();
    let mut out = Output::new();
    match t.transform_msgpack(record, &mut out) {
        Ok(()) => {
            let mut again = Output::new();
            t.transform_msgpack(out.data(), &mut again)
                .expect("the output is a valid record");
            assert_eq!(again.redacted(), 0, "key material left in the output");
            assert_eq!(again.severity(), out.severity());
            assert_eq!(again.route(), out.route());
            if let Some(value) = msgpack_codec::decode(record) {
                let text = serde_json::to_vec(&value).unwrap();
                let mut json_out = Output::new();
                if t.transform(&text, &mut json_out).is_ok() {
                    let via_json = reference::value(json_out.data()).unwrap();
                    let via_msgpack = msgpack_codec::decode(out.data()).expect("decodes");
                    assert_eq!(
                        msgpack_codec::normalize(via_msgpack),
                        msgpack_codec::normalize(via_json)
                    );
                    assert_eq!(json_out.severity(), out.severity());
                    assert_eq!(json_out.route(), out.route());
                }
            }
        }
        Err(e) => {
            assert!(out.data().is_empty(), "a rejected record left output");
            check_message(e.message());
        }
    }
    check_next(t, record);
}

/// The framed target's item: `[header, record]` as Fluent Bit frames
/// events, with key material planted in the header's metadata and in the
/// record (8 bytes of `data` pick them), in the framing width and with the
/// timestamp (markers' included) that two more bytes pick; then edited by
/// the rest as `planted_event` edits. Returns the item and whether it was
/// edited.
pub fn framed_item(data: &[u8]) -> (Vec<u8>, bool) {
    let (head, edits) = data.split_at(data.len().min(10));
    let mut pick = [0u8; 10];
    pick[..head.len()].copy_from_slice(head);
    let mut rng = leak::corpus::Rng::new(u64::from_le_bytes(pick[2..10].try_into().unwrap()));
    let meta: serde_json::Value =
        serde_json::from_str(&leak::planted_event(&mut rng).event).unwrap();
    let record: serde_json::Value =
        serde_json::from_str(&leak::planted_event(&mut rng).event).unwrap();
    let mut item = match pick[0] % 3 {
        0 => vec![0x92],
        1 => vec![0xdc, 0, 2],
        _ => vec![0xdd, 0, 0, 0, 2],
    };
    item.push(0x92);
    match pick[1] % 6 {
        0 => item.extend_from_slice(&[0xce, 0x65, 0x53, 0xf1, 0x00]),
        1 => item.push(0xff),
        2 => item.push(0xfe),
        3 => item.extend_from_slice(&[0xd7, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]),
        4 => item.extend_from_slice(&[0xd7, 0, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 0]),
        _ => item.extend_from_slice(&[0xd7, 0, 0x65, 0x53, 0xf1, 0, 0, 0, 0, 1]),
    }
    item.extend(msgpack_codec::encode(&meta));
    item.extend(msgpack_codec::encode(&record));
    for edit in edits.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([edit[0], edit[1]])) % (item.len() + 1);
        match edit[2] % 4 {
            0 => item.truncate(at),
            1 if at < item.len() => item[at] ^= edit[2] | 1,
            2 => item.insert(at, edit[2]),
            _ if at < item.len() => {
                item.remove(at);
            }
            _ => {}
        }
    }
    (item, edits.len() >= 3)
}

/// A framed item through the per-item call and the batch: they agree; an
/// accepted item has no key material left anywhere, header included (a
/// second pass finds none and changes nothing), and an unedited one leaks
/// no marker at all; a rejected one leaves no output and a clean message.
pub fn check_framed(item: &[u8], edited: bool) {
    let t = defaults();
    let mut out = Output::new();
    let result = t.transform_msgpack_item(item, &mut out);
    let mut batch = kpaudit::Batch::new();
    t.transform_msgpack_batch(item, &mut batch);
    assert_eq!(batch.emitted() + batch.rejected().len(), batch.lines());
    // An edit can make the bytes two items or more: then the batch sees
    // them, the per-item call one value with data after it.
    let one_item = batch.lines() == 1;
    match result {
        Ok(()) => {
            let routed: Vec<u8> = (0..batch.route_count())
                .flat_map(|r| batch.route_data(r).to_vec())
                .collect();
            if one_item {
                assert_eq!(routed, out.data(), "the batch and the per-item call differ");
            }
            // Transformed again, nothing is left to strip, header included
            // (an envelope's event is the one `payload` that stays, and it
            // is scanned as an event).
            let mut again = Output::new();
            t.transform_msgpack_item(out.data(), &mut again)
                .expect("the output is a valid item");
            assert_eq!(again.redacted(), 0, "key material left in the output");
            assert_eq!(again.data(), out.data(), "a second pass changed the item");
            if !edited {
                assert!(!leak::contains_marker(out.data()), "leaked");
            }
        }
        Err(e) => {
            assert!(out.data().is_empty(), "a rejected item left output");
            if one_item {
                assert_eq!(batch.emitted(), 0);
            }
            check_message(e.message());
        }
    }
    for i in 0..batch.rejected().len() {
        check_message(batch.rejected_message(i).unwrap());
    }
    check_next(t, item);
}

/// `transform_msgpack_next` on the bytes agrees with the per-item call on
/// the first item, whose end a separate walk finds.
fn check_next(t: &kpaudit::Transform, items: &[u8]) {
    let mut next_out = Output::new();
    let mut item_out = Output::new();
    let next = t.transform_msgpack_next(items, b"log", &mut next_out);
    let end = kpaudit::batch::msgpack_item_len(items);
    match next {
        Ok(facts) => {
            assert_eq!(
                Some(facts.len),
                end,
                "next and the walk disagree on the end"
            );
            t.transform_msgpack_item(&items[..facts.len], &mut item_out)
                .expect("next took an item the per-item call refuses");
            assert_eq!(next_out.data(), item_out.data());
            assert_eq!(next_out.redacted(), item_out.redacted());
        }
        Err(e) => {
            assert!(next_out.data().is_empty(), "a refused item left output");
            check_message(e.message());
            if let Some(end) = end {
                assert!(
                    t.transform_msgpack_item(&items[..end], &mut item_out)
                        .is_err(),
                    "next refused an item the per-item call takes"
                );
            }
        }
    }
}
