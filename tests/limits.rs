//! Limits and cost: events near and over the size limit, nesting to a
//! million levels, 100,000 members, 10 MB strings. Each is transformed or
//! rejected with its reason, without stack overflow, and the cost per byte
//! of a 10 MB event stays close to that of a 1 KB event of the same shape.

mod common;
mod leak;

use std::time::{Duration, Instant};

use common::transform;
use kpaudit::{ErrorKind, Output, Transform};

const MIB: usize = 1 << 20;

/// A transform allowing events of `bytes` and nesting of `depth`.
fn roomy(bytes: usize, depth: usize) -> Transform {
    transform(&format!(
        r#"{{"limits":{{"max_event_bytes":{bytes},"max_depth":{depth}}}}}"#
    ))
}

#[test]
fn an_event_of_exactly_the_limit_passes_and_one_byte_more_does_not() {
    let t = roomy(4096, 128);
    let mut out = Output::new();
    let head = r#"{"action":"kms.secrets.delete","pad":""#;
    let fill = |n: usize| format!("{head}{}\"}}", "x".repeat(n - head.len() - 2));
    t.transform(fill(4096).as_bytes(), &mut out).unwrap();
    assert_eq!(out.severity(), kpaudit::Severity::Critical);
    let e = t.transform(fill(4097).as_bytes(), &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EventTooLarge);
    assert_eq!(
        e.message(),
        "event too large: 4097 bytes, over the limit of 4096"
    );
    assert!(out.data().is_empty());
}

#[test]
fn a_million_levels_of_nesting_are_rejected_at_the_depth_limit() {
    let levels = 1_000_000;
    let arrays = format!("{{\"x\":{}{}}}", "[".repeat(levels), "]".repeat(levels));
    let objects = format!("{}1{}", "{\"a\":".repeat(levels), "}".repeat(levels));
    let unclosed = "[".repeat(levels);
    let unclosed = format!("{{\"x\":{unclosed}");
    let mut out = Output::new();
    for (limit, offset) in [(128, 5 + 127), (100_000, 5 + 99_999)] {
        let t = roomy(8 * MIB, limit);
        for event in [&arrays, &unclosed] {
            let e = t.transform(event.as_bytes(), &mut out).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidEvent);
            assert_eq!(
                e.message(),
                format!("invalid event: nesting deeper than {limit} levels at byte {offset}")
            );
        }
        let e = t.transform(objects.as_bytes(), &mut out).unwrap_err();
        let offset = 5 * limit;
        assert_eq!(
            e.message(),
            format!("invalid event: nesting deeper than {limit} levels at byte {offset}")
        );
    }
}

#[test]
fn key_material_at_the_deepest_allowed_level_is_removed() {
    let depth = 100_000;
    let t = roomy(8 * MIB, depth);
    // The top-level object is level 1, "x"'s array level 2, the innermost
    // object level `depth`.
    let arrays = depth - 2;
    let secret = format!("{}SECRETZ", leak::MARKER);
    let event = format!(
        "{{\"x\":{}{{\"keep\":1,\"PayLoad\":\"{secret}\"}}{}}}",
        "[".repeat(arrays),
        "]".repeat(arrays)
    );
    let mut out = Output::new();
    t.transform(event.as_bytes(), &mut out).unwrap();
    assert_eq!(out.redacted(), 1);
    let expected = format!(
        "{{\"x\":{}{{\"keep\":1}}{},\"severity\":\"normal\"}}",
        "[".repeat(arrays),
        "]".repeat(arrays)
    );
    assert_eq!(std::str::from_utf8(out.data()).unwrap(), expected);
    assert!(!leak::contains_marker(out.data()));
    // One level deeper is over the limit.
    let deeper = event.replacen("[", "[[", 1).replacen("]", "]]", 1);
    assert!(t.transform(deeper.as_bytes(), &mut out).is_err());
}

#[test]
fn a_hundred_thousand_members_in_one_object() {
    let mut event = String::from("{");
    for i in 0..100_000 {
        if i > 0 {
            event.push(',');
        }
        if i % 10 == 3 {
            event.push_str(&format!("\"nonce\":\"{}{i}Z\"", leak::MARKER));
        } else {
            event.push_str(&format!("\"m{i}\":{i}"));
        }
    }
    event.push('}');
    let t = roomy(8 * MIB, 128);
    let mut out = Output::new();
    t.transform(event.as_bytes(), &mut out).unwrap();
    assert_eq!(out.redacted(), 10_000);
    let value: serde_json::Value = serde_json::from_slice(out.data()).unwrap();
    let members = value.as_object().unwrap();
    assert_eq!(members.len(), 90_000 + 1);
    assert_eq!(members["m99999"], 99_999);
    assert!(leak::findings(out.data(), true).is_empty());
}

#[test]
fn ten_megabyte_strings_pass_through_or_are_removed() {
    let t = roomy(16 * MIB, 128);
    let mut out = Output::new();
    let big = "y".repeat(10 * MIB);
    let kept = format!("{{\"action\":\"kms.secrets.wrap\",\"note\":\"{big}\"}}");
    t.transform(kept.as_bytes(), &mut out).unwrap();
    assert_eq!(
        out.data().len(),
        kept.len() + r#","severity":"normal""#.len()
    );
    assert!(out.data().starts_with(&kept.as_bytes()[..kept.len() - 1]));

    let secret = format!("{}{}", leak::MARKER, "s".repeat(10 * MIB));
    let removed = format!("{{\"ciphertext\":\"{secret}\",\"a\":1}}");
    t.transform(removed.as_bytes(), &mut out).unwrap();
    assert_eq!(out.data(), br#"{"a":1,"severity":"normal"}"#);

    // Ten megabytes of escapes, and a ten-megabyte key.
    let escapes = format!("{{\"e\":\"{}\"}}", "\\u00e9\\n".repeat(10 * MIB / 8));
    t.transform(escapes.as_bytes(), &mut out).unwrap();
    let long_key = format!("{{\"{big}\":true}}");
    t.transform(long_key.as_bytes(), &mut out).unwrap();

    // Over the limit: rejected before any byte is looked at.
    let t = roomy(10 * MIB, 128);
    let e = t.transform(kept.as_bytes(), &mut out).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::EventTooLarge);
}

/// The fastest of a few runs of `f`.
fn fastest(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

/// Per-byte cost of a ~10 MB event over that of a ~1 KB event of the same
/// shape, `unit` repeated inside `{"action":"kms.secrets.wrap","x":[...]}`.
fn cost_ratio(t: &Transform, unit: &str) -> f64 {
    let event = |bytes: usize| {
        let n = (bytes / (unit.len() + 1)).max(1);
        let body = vec![unit; n].join(",");
        format!("{{\"action\":\"kms.secrets.wrap\",\"x\":[{body}]}}")
    };
    let (small, large) = (event(1024), event(10 * MIB));
    let mut out = Output::new();
    // The same number of bytes on each side, so each measures ~10 MB.
    let repeats = large.len() / small.len();
    let small_time = fastest(5, || {
        for _ in 0..repeats {
            t.transform(small.as_bytes(), &mut out).unwrap();
        }
    });
    let large_time = fastest(3, || t.transform(large.as_bytes(), &mut out).unwrap());
    let per_byte = |time: Duration, bytes: usize| time.as_secs_f64() / bytes as f64;
    per_byte(large_time, large.len()) / per_byte(small_time, small.len() * repeats)
}

#[test]
fn cost_per_byte_does_not_grow_with_event_size() {
    let t = roomy(16 * MIB, 100);
    let nest = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
    let shapes = [
        (
            "flat members",
            r#"{"a":1,"bb":"text","c":[true,null]}"#.to_owned(),
        ),
        (
            "key material",
            r#"{"payload":"c2VjcmV0","iv":"aXY=","k":1}"#.to_owned(),
        ),
        (
            "escaped keys",
            r#"{"pay\u006coad":1,"n\u00e9":"\u00e9\n"}"#.to_owned(),
        ),
        (
            "repeated action",
            r#"{"action":"kms.secrets.wrap"}"#.to_owned(),
        ),
        ("nesting", nest(60)),
        ("long strings", format!("\"{}\"", "z".repeat(700))),
    ];
    let mut worst = (0.0, "");
    for (name, unit) in &shapes {
        let ratio = cost_ratio(&t, unit);
        println!("{name:>16}: per-byte cost 10 MB / 1 KB = {ratio:.2}");
        if ratio > worst.0 {
            worst = (ratio, name);
        }
    }
    // Linear cost gives about 1 (a little over: 10 MB misses the caches);
    // anything quadratic would be in the thousands.
    assert!(
        worst.0 < 4.0,
        "{} costs {:.2}x more per byte at 10 MB",
        worst.1,
        worst.0
    );
}
