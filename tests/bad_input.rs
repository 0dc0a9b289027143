//! Bad input: a precise error, nothing in the output, no byte of the input
//! quoted anywhere, never a panic.

mod common;

use common::{run_bytes, transform};
use kpaudit::{ErrorKind, Output, Severity, Transform};

const MARK: &str = "K3YM4T3RIAL";

fn reject(t: &Transform, event: &[u8]) -> kpaudit::Error {
    match run_bytes(t, event) {
        Ok(d) => panic!(
            "accepted: {:?} -> {}",
            String::from_utf8_lossy(event),
            d.json
        ),
        Err(e) => {
            assert!(
                !e.message().contains(MARK),
                "message quotes the input: {}",
                e.message()
            );
            e
        }
    }
}

#[test]
fn each_class_of_bad_input_is_rejected_with_its_offset() {
    let t = transform("");
    let cases: &[(&[u8], &str, usize)] = &[
        (b"", "empty event", 0),
        (b"   ", "empty event", 3),
        (b"[1,2]", "array, not a JSON object", 0),
        (b" \"K3YM4T3RIAL\"", "string, not a JSON object", 1),
        (b"42", "number, not a JSON object", 0),
        (b"null", "null, not a JSON object", 0),
        (b"true", "boolean, not a JSON object", 0),
        (b"{\"a\":\"K3YM4T3RIAL", "unterminated string", 5),
        (b"{\"a\":1", "unexpected end of input", 6),
        (b"{\"a\":1,}", "expected a member name", 7),
        (b"{\"a\" 1}", "expected ':'", 5),
        (b"{\"a\":01}", "expected ',' or '}'", 6),
        (b"{\"a\":1.}", "invalid number", 5),
        (b"{\"a\":-}", "invalid number", 5),
        (b"{\"a\":1e}", "invalid number", 5),
        (b"{\"a\":tru}", "invalid literal", 5),
        (b"{\"a\":[1,]}", "expected a value", 8),
        (b"{\"a\":[1}", "expected ',' or ']'", 7),
        (b"{\"a\":{\"b\":1]}", "expected ',' or '}'", 11),
        (b"{\"a\":1}}", "unexpected data after the event", 7),
        (b"{\"a\":1} {\"b\":2}", "unexpected data after the event", 8),
        (b"{\"K3YM4T3RIAL\":\"\\ud800\"}", "unpaired surrogate", 16),
        (b"{\"a\":\"\\udc00\\ud800\"}", "unpaired surrogate", 6),
        (b"{\"a\":\"\\ud800\\u0041\"}", "unpaired surrogate", 6),
        (b"{\"a\":\"\\x\"}", "invalid escape", 6),
        (b"{\"a\":\"\\u12G4\"}", "invalid \\u escape", 6),
        (b"{\"a\":\"K3YM4T3RIAL\tx\"}", "control character", 17),
        (b"{\"a\":\"\x00\"}", "control character", 6),
        (b"{\"a\":\"\xff\"}", "invalid UTF-8", 6),
        (b"{\"a\":\"\xc3\"}", "invalid UTF-8", 6),
        (b"{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8", 6),
        (
            b"{\"a\":1,\"payload\":\"K3YM4T3RIAL\",",
            "unexpected end of input",
            31,
        ),
        (b"{\"a\":\xef\xbb\xbf1}", "expected a value", 5),
        (b"\xef\xbb\xbf{\"a\":1}", "unexpected character", 0),
    ];
    for &(input, what, offset) in cases {
        let e = reject(&t, input);
        assert_eq!(
            e.kind(),
            ErrorKind::InvalidEvent,
            "{:?}",
            String::from_utf8_lossy(input)
        );
        assert!(
            e.message().contains(what),
            "{:?}: {}",
            String::from_utf8_lossy(input),
            e.message()
        );
        assert_eq!(
            e.offset(),
            Some(offset),
            "{:?}: {}",
            String::from_utf8_lossy(input),
            e.message()
        );
        assert!(
            e.message().ends_with(&format!("at byte {offset}")),
            "{}",
            e.message()
        );
    }
}

#[test]
fn size_is_checked_first() {
    let t = transform(r#"{"limits":{"max_event_bytes":16}}"#);
    let ok = br#"{"a":"12345678"}"#;
    assert_eq!(ok.len(), 16);
    assert!(run_bytes(&t, ok).is_ok());
    for over in [
        &br#"{"a":"123456789"}"#[..],
        b"\xff\xff not json at all \xff\xff",
    ] {
        let e = reject(&t, over);
        assert_eq!(e.kind(), ErrorKind::EventTooLarge);
        assert!(
            e.message().contains("over the limit of 16"),
            "{}",
            e.message()
        );
    }
    let big = format!(r#"{{"payload":"{}"}}"#, MARK.repeat(100_000));
    let e = reject(&transform(""), big.as_bytes());
    assert_eq!(e.kind(), ErrorKind::EventTooLarge, "{}", e.message());
}

#[test]
fn the_default_size_limit_is_one_mebibyte() {
    let t = transform("");
    let pad = |n: usize| format!(r#"{{"a":"{}"}}"#, "x".repeat(n - 8));
    assert_eq!(pad(1 << 20).len(), 1 << 20);
    assert!(run_bytes(&t, pad(1 << 20).as_bytes()).is_ok());
    assert_eq!(
        reject(&t, pad((1 << 20) + 1).as_bytes()).kind(),
        ErrorKind::EventTooLarge
    );
}

#[test]
fn depth_limit_counts_the_top_level_object_as_one() {
    let nest = |depth: usize| format!("{}{}", "[".repeat(depth - 1), "]".repeat(depth - 1));
    let event = |depth: usize| format!("{{\"x\":{}}}", nest(depth));
    let t = transform("");
    assert!(run_bytes(&t, event(128).as_bytes()).is_ok());
    let e = reject(&t, event(129).as_bytes());
    assert_eq!(e.kind(), ErrorKind::InvalidEvent);
    assert!(
        e.message().contains("nesting deeper than 128 levels"),
        "{}",
        e.message()
    );
    assert_eq!(e.offset(), Some(5 + 127));
    let t3 = transform(r#"{"limits":{"max_depth":3}}"#);
    assert!(run_bytes(&t3, br#"{"a":{"b":[]}}"#).is_ok());
    assert!(run_bytes(&t3, br#"{"a":{"b":[{}]}}"#).is_err());
    // Very deep input is rejected without recursion, so without overflow.
    let deep = format!("{{\"x\":{}", "[".repeat(1_000_000));
    assert_eq!(reject(&t, deep.as_bytes()).kind(), ErrorKind::InvalidEvent);
}

#[test]
fn after_a_failure_the_output_is_empty() {
    let t = transform("");
    let mut out = Output::new();
    t.transform(br#"{"action":"kms.secrets.delete","payload":1}"#, &mut out)
        .unwrap();
    assert_eq!(out.severity(), Severity::Critical);
    assert_eq!(out.redacted(), 1);
    assert!(t
        .transform(b"{\"payload\":\"K3YM4T3RIAL\"", &mut out)
        .is_err());
    assert!(out.data().is_empty());
    assert_eq!(out.severity(), Severity::Normal);
    assert_eq!(out.route(), "");
    assert_eq!(out.route_with_nul(), b"\0");
    assert_eq!(out.redacted(), 0);
}
