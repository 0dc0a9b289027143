//! The engine against the serde_json reference, on the generated corpus and
//! on mutations of it: same severity, route, count and output value.

mod common;
#[path = "../examples/gen_events/corpus.rs"]
mod corpus;
mod reference;

use kpaudit::{Output, Transform};

fn check(t: &Transform, out: &mut Output, line: &[u8]) -> bool {
    let expected = reference::reference(line);
    match (t.transform(line, out), expected) {
        (Ok(()), Some(r)) => {
            let got = reference::value(out.data()).expect("output is JSON");
            let text = String::from_utf8_lossy(line);
            assert_eq!(got, r.value, "{text}");
            assert_eq!(out.severity(), r.severity, "{text}");
            assert_eq!(out.route(), r.route, "{text}");
            assert_eq!(out.redacted(), r.redacted, "{text}");
            true
        }
        (Err(_), None) => false,
        (Ok(()), None) => panic!(
            "engine accepted what serde_json rejects: {}",
            String::from_utf8_lossy(line)
        ),
        (Err(e), Some(_)) => panic!(
            "engine rejected valid input ({e}): {}",
            String::from_utf8_lossy(line)
        ),
    }
}

#[test]
fn the_generated_corpus_agrees_with_the_reference() {
    let t = Transform::from_json(b"").unwrap();
    let mut out = Output::new();
    let mut rng = corpus::Rng::new(11);
    let mut routes = std::collections::BTreeMap::new();
    for _ in 0..20_000 {
        let line = corpus::event(&mut rng);
        assert!(check(&t, &mut out, line.as_bytes()));
        *routes.entry(out.route().to_owned()).or_insert(0) += 1;
    }
    // The corpus reaches every route of the generator's regions.
    assert!(routes.len() >= 11, "{routes:?}");
}

#[test]
fn mutations_agree_with_the_reference_or_are_rejected_by_both() {
    let t = Transform::from_json(b"").unwrap();
    let mut out = Output::new();
    let mut rng = corpus::Rng::new(5);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..20_000 {
        let mut line = corpus::event(&mut rng).into_bytes();
        for _ in 0..=rng.below(3) {
            mutate(&mut rng, &mut line);
        }
        if check(&t, &mut out, &line) {
            accepted += 1;
        } else {
            rejected += 1;
            assert!(out.data().is_empty());
        }
    }
    assert!(
        accepted > 1000 && rejected > 1000,
        "{accepted} accepted, {rejected} rejected"
    );
}

/// A small structural or byte-level change: some keep the JSON valid (the
/// interesting case), most break it.
fn mutate(rng: &mut corpus::Rng, line: &mut Vec<u8>) {
    const PIECES: &[&[u8]] = &[
        b"\"",
        b"\\",
        b"{",
        b"}",
        b"[",
        b"]",
        b",",
        b":",
        b" ",
        b"\\u0000",
        b"\\ud800",
        b"\xff",
        b"\"payload\":1,",
        b"\"PayLoad\":{\"iv\":[1]},",
        b"\"severity\":0,",
        b"\"x\":[],",
        b"\"action\":\"kms.secrets.delete\",",
        b"\"logSourceCRN\":null,",
        b"1e400",
        b"-0",
        b"\x00",
    ];
    if line.is_empty() {
        return;
    }
    let at = rng.below(line.len() as u64) as usize;
    match rng.below(4) {
        0 => line.truncate(at),
        1 => line[at] = rng.below(256) as u8,
        2 => {
            let piece = PIECES[rng.below(PIECES.len() as u64) as usize];
            line.splice(at..at, piece.iter().copied());
        }
        _ => {
            // Insert a member right after an object opens: keeps JSON valid.
            if let Some(open) = line[at..].iter().position(|&b| b == b'{') {
                let piece = PIECES[12 + rng.below(6) as usize];
                let at = at + open + 1;
                line.splice(at..at, piece.iter().copied());
            }
        }
    }
}

#[test]
fn the_depth_limit_agrees_with_the_reference() {
    let t = Transform::from_json(b"").unwrap();
    let mut out = Output::new();
    // The top-level object is level 1: 127 arrays inside reach the default
    // limit of 128, one more goes over it.
    for (arrays, accepted) in [(126, true), (127, true), (128, false)] {
        let event = format!(r#"{{"x":{}{}}}"#, "[".repeat(arrays), "]".repeat(arrays));
        assert_eq!(check(&t, &mut out, event.as_bytes()), accepted, "{arrays}");
    }
}
