//! Property tests: random events with planted key material agree with the
//! reference and leak nothing; random JSON trees agree with the reference;
//! random mutations give an error or a valid JSON object, never a panic
//! and never a leak; batches account for every line.

mod leak;
mod reference;

use kpaudit::{Batch, Output, Transform};
use leak::corpus::{self, Rng};
use proptest::collection::vec;
use proptest::prelude::*;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 1024,
        // Failures are reported with their seed; nothing is written to disk.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn defaults() -> Transform {
    Transform::from_json(b"").unwrap()
}

/// The engine's result for `event` equals the reference's, and nothing
/// leaked. Returns false where both reject the event.
fn agrees_and_is_clean(t: &Transform, event: &[u8]) -> Result<bool, TestCaseError> {
    let mut out = Output::new();
    let text = String::from_utf8_lossy(event);
    match (t.transform(event, &mut out), reference::reference(event)) {
        (Ok(()), Some(r)) => {
            let got = reference::value(out.data())
                .ok_or_else(|| TestCaseError::fail(format!("output is not JSON: {text}")))?;
            prop_assert_eq!(&got, &r.value, "{}", text);
            prop_assert_eq!(out.severity(), r.severity, "{}", text);
            prop_assert_eq!(out.route(), r.route.as_str(), "{}", text);
            prop_assert_eq!(out.redacted(), r.redacted, "{}", text);
            let found = leak::findings(out.data(), true);
            prop_assert!(found.is_empty(), "{:?} from {}", found, text);
            Ok(true)
        }
        (Err(e), None) => {
            prop_assert!(out.data().is_empty());
            prop_assert!(!leak::contains_marker(e.message().as_bytes()));
            Ok(false)
        }
        (Ok(()), None) => Err(TestCaseError::fail(format!(
            "accepted invalid JSON: {text}"
        ))),
        (Err(e), Some(_)) => Err(TestCaseError::fail(format!("rejected ({e}): {text}"))),
    }
}

#[derive(Clone, Debug)]
enum Mutation {
    Truncate(u32),
    FlipByte(u32, u8),
    InsertNul(u32),
    InsertInvalidUtf8(u32, usize),
    InsertBracket(u32, usize),
    DeleteByte(u32),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<u32>().prop_map(Mutation::Truncate),
        (any::<u32>(), 1..=255u8).prop_map(|(at, bits)| Mutation::FlipByte(at, bits)),
        any::<u32>().prop_map(Mutation::InsertNul),
        (any::<u32>(), 0..INVALID_UTF8.len())
            .prop_map(|(at, i)| Mutation::InsertInvalidUtf8(at, i)),
        (any::<u32>(), 0..4usize).prop_map(|(at, i)| Mutation::InsertBracket(at, i)),
        any::<u32>().prop_map(Mutation::DeleteByte),
    ]
}

/// A stray continuation byte, an overlong slash, a UTF-16 surrogate, a
/// code point past U+10FFFF, a truncated sequence, bytes never valid.
const INVALID_UTF8: &[&[u8]] = &[
    b"\x80",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b"\xfe\xff",
];

fn apply(event: &mut Vec<u8>, m: &Mutation) {
    let at = |pos: u32, len: usize| (pos as usize) % (len + 1);
    match *m {
        Mutation::Truncate(pos) => event.truncate(at(pos, event.len())),
        Mutation::FlipByte(pos, bits) if !event.is_empty() => {
            let i = (pos as usize) % event.len();
            event[i] ^= bits;
        }
        Mutation::InsertNul(pos) => event.insert(at(pos, event.len()), 0),
        Mutation::InsertInvalidUtf8(pos, which) => {
            let i = at(pos, event.len());
            event.splice(i..i, INVALID_UTF8[which].iter().copied());
        }
        Mutation::InsertBracket(pos, which) => event.insert(at(pos, event.len()), b"{}[]"[which]),
        Mutation::DeleteByte(pos) if !event.is_empty() => {
            event.remove((pos as usize) % event.len());
        }
        _ => {}
    }
}

/// Object members for random trees: key material (in any spelling) gets a
/// value full of markers; any other key gets an ordinary value.
fn tree() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        "[a-z0-9 é/-]{0,12}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just("\"kms.secrets.delete\"".to_owned()),
        Just("\"crn:v1:bluemix:public:kms:eu-de:a/1:i::\"".to_owned()),
        // Statuses as double-only tools write them, and near misses.
        Just("401.0".to_owned()),
        Just("4.09e2".to_owned()),
        Just("503.00".to_owned()),
        Just("401.5".to_owned()),
        Just("-0.0".to_owned()),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(","))),
            vec(member(inner), 0..5).prop_map(|members| format!("{{{}}}", members.join(","))),
        ]
    })
    .boxed()
}

fn member(value: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let plain = prop_oneof![
        Just("action"),
        Just("reason"),
        Just("reasonCode"),
        Just("logSourceCRN"),
        Just("target"),
        Just("id"),
        Just("data"),
        Just("payloads"),
        Just("ivy"),
    ];
    prop_oneof![
        3 => (plain, value).prop_map(|(k, v)| format!("\"{k}\":{v}")),
        1 => (key_material_name(), secret()).prop_map(|(k, v)| format!("{k}:{v}")),
    ]
}

/// A listed name, letters in random case, some written as `\u` escapes.
fn key_material_name() -> impl Strategy<Value = String> {
    (
        0..kpaudit::redact::KEY_MATERIAL.len(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(|(i, upper, escaped)| {
            let mut key = String::from("\"");
            for (n, c) in kpaudit::redact::KEY_MATERIAL[i].chars().enumerate() {
                let c = if upper >> (n % 32) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                };
                if escaped >> (n % 32) & 7 == 0 {
                    key.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    key.push(c);
                }
            }
            key.push('"');
            key
        })
}

fn secret() -> impl Strategy<Value = String> {
    let marker = any::<u32>().prop_map(|n| format!("\"{}{n}Z\"", leak::MARKER));
    marker.prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 1..4).prop_map(|items| format!("[{}]", items.join(","))),
            inner.prop_map(|v| format!("{{\"data\":{v}}}")),
        ]
    })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn planted_events_agree_with_the_reference_and_leak_nothing(seed in any::<u64>()) {
        let t = defaults();
        let mut rng = Rng::new(seed);
        let planted = leak::planted_event(&mut rng);
        prop_assert!(planted.planted > 0);
        prop_assert!(agrees_and_is_clean(&t, planted.event.as_bytes())?);
        // The marker check has teeth: the unredacted event would fail it.
        prop_assert!(!leak::findings(planted.event.as_bytes(), true).is_empty());
    }

    #[test]
    fn random_trees_agree_with_the_reference_and_leak_nothing(
        members in vec(member(tree()), 0..8),
    ) {
        let event = format!("{{{}}}", members.join(","));
        prop_assert!(agrees_and_is_clean(&defaults(), event.as_bytes())?);
    }

    #[test]
    fn mutations_give_an_error_or_a_clean_object(
        seed in any::<u64>(),
        mutations in vec(mutation(), 1..4),
    ) {
        let t = defaults();
        let mut rng = Rng::new(seed);
        let mut event = leak::planted_event(&mut rng).event.into_bytes();
        for m in &mutations {
            apply(&mut event, m);
        }
        let mut out = Output::new();
        match t.transform(&event, &mut out) {
            Ok(()) => {
                let value = reference::value(out.data()).expect("output is JSON");
                prop_assert!(value.is_object());
                // Agreement with the reference: a mutation may turn a key
                // into an ordinary name, and then both show its value.
                let r = reference::reference(&event).expect("the reference accepts it too");
                prop_assert_eq!(&value, &r.value);
                let visible = serde_json::to_vec(&r.value).unwrap();
                if leak::findings(&visible, true).is_empty() {
                    let found = leak::findings(out.data(), true);
                    prop_assert!(found.is_empty(), "{:?}", found);
                }
            }
            Err(e) => {
                prop_assert!(out.data().is_empty());
                prop_assert!(reference::reference(&event).is_none(), "rejected ({}) what serde_json accepts", e);
                let message = e.message();
                prop_assert!(message.bytes().all(|b| (b' '..=b'~').contains(&b)), "{}", message);
                prop_assert!(!leak::contains_marker(message.as_bytes()));
            }
        }
    }

    #[test]
    fn batches_account_for_every_line_and_leak_nothing(
        seed in any::<u64>(),
        lines in 1..40usize,
        corrupt_percent in 0..30u64,
    ) {
        let t = defaults();
        let mut rng = Rng::new(seed);
        let mut chunk = Vec::new();
        let mut corrupted = 0;
        for _ in 0..lines {
            let event = leak::planted_event(&mut rng).event;
            if rng.below(100) < corrupt_percent {
                chunk.extend(corpus::corrupt_line(&mut rng, event.as_bytes()));
                corrupted += 1;
            } else {
                chunk.extend_from_slice(event.as_bytes());
            }
            chunk.push(b'\n');
        }
        let mut batch = Batch::new();
        t.transform_batch(&chunk, &mut batch);
        prop_assert_eq!(batch.lines(), lines);
        prop_assert_eq!(batch.rejected().len(), corrupted);
        prop_assert_eq!(batch.emitted() + batch.rejected().len(), lines);
        let mut events = 0;
        for route in 0..batch.route_count() {
            let found = leak::findings(batch.route_ndjson(route), true);
            prop_assert!(found.is_empty(), "{:?}", found);
            events += batch.route_events(route);
        }
        prop_assert_eq!(events, batch.emitted());
        for i in 0..batch.rejected().len() {
            let message = batch.rejected_message(i).unwrap();
            prop_assert!(!leak::contains_marker(message.as_bytes()));
        }
    }
}

/// One line of a chunk for the batch-against-per-event property: an event,
/// a mutated event, or arbitrary bytes (none holding a newline), with a
/// run of padding so that line ends fall at every offset of a 64-byte block.
fn chunk_line() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<u64>(),
        0..4u8,
        0..130usize,
        vec(any::<u8>(), 0..200),
        mutation(),
    )
        .prop_map(|(seed, kind, pad, bytes, m)| {
            let mut rng = Rng::new(seed);
            let mut line = match kind {
                0 => leak::planted_event(&mut rng).event.into_bytes(),
                1 => {
                    let mut e = leak::planted_event(&mut rng).event.into_bytes();
                    apply(&mut e, &m);
                    e
                }
                2 => bytes,
                _ => format!(r#"{{"message":"{}","payload":"x"}}"#, "m".repeat(pad)).into_bytes(),
            };
            line.retain(|&b| b != b'\n');
            if kind == 0 {
                // Whitespace before the event moves its end by `pad` bytes.
                line.splice(0..0, std::iter::repeat_n(b' ', pad));
            }
            line
        })
}

proptest! {
    #![proptest_config(config())]

    /// The batch finds line ends and indexes lines in one pass of its own;
    /// every line must come out exactly as the per-event call gives it, at
    /// any size limit (which the batch checks before indexing a whole line).
    #[test]
    fn the_batch_gives_each_line_what_the_per_event_call_gives(
        lines in vec(chunk_line(), 1..12),
        final_newline in any::<bool>(),
        max_event_bytes in prop_oneof![1..200usize, 200..2000usize, Just(1usize << 20)],
    ) {
        let t = Transform::from_json(
            format!(r#"{{"limits":{{"max_event_bytes":{max_event_bytes}}}}}"#).as_bytes(),
        )
        .unwrap();
        let mut chunk = lines.join(&b'\n');
        // Without its newline, an empty last line is no line at all.
        if final_newline || lines.last().is_some_and(Vec::is_empty) {
            chunk.push(b'\n');
        }
        let mut batch = Batch::new();
        t.transform_batch(&chunk, &mut batch);
        prop_assert_eq!(batch.lines(), lines.len());
        let mut out = Output::new();
        let mut expected: Vec<Vec<u8>> = vec![Vec::new(); batch.route_count()];
        let mut rejected = batch.rejected().iter().enumerate();
        for (n, line) in lines.iter().enumerate() {
            match t.transform(line, &mut out) {
                Ok(()) => {
                    expected[out.route_index()].extend_from_slice(out.data());
                    expected[out.route_index()].push(b'\n');
                }
                Err(e) => {
                    let (i, r) = rejected.next().expect("a rejected line");
                    prop_assert_eq!(r.line, n + 1);
                    prop_assert_eq!(r.kind, e.kind());
                    prop_assert_eq!(batch.rejected_message(i).unwrap(), e.message());
                }
            }
        }
        prop_assert!(rejected.next().is_none());
        for (route, want) in expected.iter().enumerate() {
            prop_assert_eq!(batch.route_ndjson(route), &want[..]);
        }
    }
}

#[test]
fn the_oracle_sees_escaped_and_case_changed_markers() {
    let escaped = br#"{"a":"KP\u004cEAK1Z"}"#;
    assert!(!leak::contains_marker(escaped));
    assert_eq!(leak::findings(escaped, true).len(), 1);
    assert_eq!(leak::findings(br#"{"a":"kpLeak1z"}"#, true).len(), 2);
    assert_eq!(
        leak::findings(br#"{"x":{"Pay\u006Coad":1}}"#, true).len(),
        1
    );
    assert!(leak::findings(br#"{"x":{"Pay\u006Coad":1}}"#, false).is_empty());
    assert!(leak::findings(br#"{"a":"KPLEA"}"#, true).is_empty());
}
