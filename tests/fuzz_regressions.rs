//! Every input the fuzzers ever failed on, replayed through the same
//! assertions (fuzz/src/lib.rs): `tests/fuzz-regressions/<target>/*`.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod oracle;

use std::path::Path;

/// The saved inputs of one target; there is at least one.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.unwrap().path();
            (path.display().to_string(), std::fs::read(&path).unwrap())
        })
        .collect();
    found.sort();
    assert!(!found.is_empty(), "no inputs in {}", dir.display());
    found
}

#[test]
fn saved_event_inputs_pass() {
    for (name, data) in inputs("event") {
        println!("{name}");
        oracle::check_event(&data);
    }
}

#[test]
fn saved_planted_inputs_pass() {
    for (name, data) in inputs("planted") {
        println!("{name}");
        oracle::check_event(&oracle::planted_event(&data));
    }
}

#[test]
fn saved_msgpack_inputs_pass() {
    for (name, data) in inputs("msgpack") {
        println!("{name}");
        oracle::check_msgpack(&data);
    }
}

#[test]
fn saved_framed_inputs_pass() {
    for (name, data) in inputs("framed") {
        println!("{name}");
        let (item, edited) = oracle::framed_item(&data);
        oracle::check_framed(&item, edited);
    }
}
