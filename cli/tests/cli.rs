//! The `kpaudit` command as a user and a script run it: every line
//! accounted for, the output layout, refusals, exit statuses, the pipe
//! stage, explain and check-config.

#[path = "../../examples/gen_events/corpus.rs"]
mod corpus;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const KEY_MATERIAL: [&str; 8] = [
    "payload",
    "encryptednonce",
    "iv",
    "plaintext",
    "ciphertext",
    "aad",
    "nonce",
    "authorization",
];

fn kpaudit(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kpaudit"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A command refused before it reads (a usage error) closes its stdin:
    // the write then fails with a broken pipe, which is not the test's.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    child.wait_with_output().unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kpaudit-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A corpus of `n` generated events with about `corrupt` percent corrupted.
fn corpus(n: usize, corrupt: f64, seed: u64) -> Vec<u8> {
    let mut rng = corpus::Rng::new(seed);
    let mut bad = corpus::Rng::new(seed + 1);
    let mut out = Vec::new();
    for _ in 0..n {
        let mut line = corpus::event(&mut rng);
        line.push('\n');
        if bad.chance(corrupt / 100.0) {
            out.extend(corpus::corrupt_line(&mut bad, line.as_bytes()));
        } else {
            out.extend_from_slice(line.as_bytes());
        }
    }
    out
}

/// `name: N` from a summary.
fn summary_value(summary: &str, name: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} in\n{summary}"))
        .parse()
        .unwrap()
}

fn lines_of(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn no_key_material(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Object(m) => m.iter().all(|(k, v)| {
            let km = KEY_MATERIAL.contains(&k.to_ascii_lowercase().as_str());
            // An envelope's event is the one `payload` that stays.
            (!km || (k == "payload" && v.get("action").is_some())) && no_key_material(v)
        }),
        serde_json::Value::Array(a) => a.iter().all(no_key_material),
        _ => true,
    }
}

#[test]
fn run_accounts_for_every_line_in_the_one_layout() {
    let dir = scratch("run");
    let input = dir.join("events.ndjson");
    let mut data = corpus(5000, 1.0, 7);
    // An empty line, two lines over the limit (one within a read block,
    // one longer than a block: counted out, never held), a line without
    // its newline.
    data.extend_from_slice(b"\n");
    data.extend(std::iter::repeat_n(b'x', 2 << 20));
    data.extend_from_slice(b"\n");
    data.extend(std::iter::repeat_n(b'y', 9 << 20));
    data.extend_from_slice(b"\n{\"action\":\"kms.secrets.delete\"}");
    std::fs::write(&input, &data).unwrap();
    let out = dir.join("out");
    let o = kpaudit(
        &[
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        b"",
    );
    let summary = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{summary}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        o.stderr.is_empty(),
        "no progress bar when stderr is not a terminal"
    );
    let (lines, emitted, rejected) = (
        summary_value(&summary, "input lines"),
        summary_value(&summary, "emitted"),
        summary_value(&summary, "rejected"),
    );
    assert_eq!(lines, 5004);
    assert_eq!(lines, emitted + rejected);
    // Each route file holds its route's events only; dead letters hold
    // the place and the reason.
    let mut routed = 0;
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        files.insert(name.clone(), lines_of(&path));
    }
    let dead = files
        .remove("dead-letter.ndjson")
        .expect("dead-letter.ndjson always present");
    assert_eq!(dead.len() as u64, rejected);
    for record in &dead {
        let keys: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["error", "input", "line", "message"]);
        assert_eq!(record["input"], input.to_str().unwrap());
    }
    let too_long = dead
        .iter()
        .find(|r| r["error"] == "event_too_large")
        .unwrap();
    assert_eq!(too_long["line"], 5002);
    assert_eq!(
        too_long["message"],
        "event too large: 2097152 bytes, over the limit of 1048576"
    );
    assert!(dead
        .iter()
        .any(|r| r["line"] == 5001 && r["message"] == "invalid event: empty event at byte 0"));
    for (name, events) in &files {
        let route = name.strip_suffix(".ndjson").unwrap();
        for e in events {
            let severity = e.get("severity").or_else(|| e["payload"].get("severity"));
            assert!(severity.is_some(), "{e}");
            assert!(no_key_material(e), "{e}");
        }
        routed += events.len() as u64;
        assert!(summary.contains(&format!("-> {name}")), "{route}");
    }
    assert_eq!(routed, emitted);

    // Not again into the same directory, unless --append.
    let o = kpaudit(
        &[
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not empty"));
    let o = kpaudit(
        &[
            "run",
            "--append",
            "--out",
            out.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        lines_of(&out.join("dead-letter.ndjson")).len() as u64,
        2 * rejected
    );

    // --fail-on-reject for scripts; an unreadable input is an error.
    let fresh = dir.join("fresh");
    let o = kpaudit(
        &[
            "run",
            "--fail-on-reject",
            "--out",
            fresh.to_str().unwrap(),
            input.to_str().unwrap(),
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(3));
    let o = kpaudit(
        &[
            "run",
            "--out",
            dir.join("x").to_str().unwrap(),
            "/nonexistent/file",
        ],
        b"",
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot open /nonexistent/file"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn run_reads_stdin_and_msgpack() {
    let dir = scratch("stdin");
    let out = dir.join("out");
    let o = kpaudit(
        &["run", "--out", out.to_str().unwrap()],
        &corpus(300, 2.0, 9),
    );
    let summary = String::from_utf8(o.stdout).unwrap();
    assert_eq!(summary_value(&summary, "input lines"), 300);
    assert!(lines_of(&out.join("dead-letter.ndjson"))
        .iter()
        .all(|r| r["input"] == "-"));

    // MessagePack: two maps, a framed event, then bytes that end too soon.
    let mut mp = vec![
        0x81, 0xa6, b'a', b'c', b't', b'i', b'o', b'n', 0xa3, b'x', b'.', b'y',
    ];
    mp.extend_from_slice(&[0x80]);
    mp.extend_from_slice(&[0x92, 0x01, 0x81, 0xa2, b'i', b'v', 0x01]);
    mp.extend_from_slice(&[0x92, 0x92]);
    let out = dir.join("mp");
    let o = kpaudit(
        &["run", "--format", "msgpack", "--out", out.to_str().unwrap()],
        &mp,
    );
    let summary = String::from_utf8(o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0), "{summary}");
    assert_eq!(summary_value(&summary, "input lines"), 4);
    assert_eq!(summary_value(&summary, "emitted"), 3);
    let dead = lines_of(&out.join("dead-letter.ndjson"));
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["item"], 4);
    let routed = std::fs::read(out.join("unmatched.msgpack")).unwrap();
    assert!(!routed.windows(2).any(|w| w == b"iv"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn filter_keeps_order_and_reports_rejections_on_stderr() {
    let input = b"{\"logSourceCRN\":\"crn:v1:bluemix:public:kms:eu-de:a/1:2::\",\"iv\":1}\nnot json\n\n{\"action\":\"kms.secrets.delete\"}\n";
    let o = kpaudit(&["filter"], input);
    assert_eq!(o.status.code(), Some(0));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(
        stdout,
        "{\"logSourceCRN\":\"crn:v1:bluemix:public:kms:eu-de:a/1:2::\",\"severity\":\"normal\",\"kpaudit_route\":\"eu-de\"}\n\
         {\"action\":\"kms.secrets.delete\",\"severity\":\"critical\",\"kpaudit_route\":\"unmatched\"}\n"
    );
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert_eq!(
        stderr,
        "kpaudit: line 2: invalid event: invalid literal at byte 0\n\
         kpaudit: line 3: invalid event: empty event at byte 0\n"
    );
    let o = kpaudit(&["filter", "--route-field", "dest"], b"{}\n");
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "{\"severity\":\"normal\",\"dest\":\"unmatched\"}\n"
    );
    let o = kpaudit(&["filter", "--route-field", "IV"], b"{}\n");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_and_check_config() {
    let event = r#"{"action":"kms.secrets.create","reason":{"reasonCode":401},"requestData":{"payload":"x"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-east:a/1:2::"}"#;
    let o = kpaudit(&["explain", event], b"");
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("severity: critical\n"), "{text}");
    assert!(
        text.contains("  status: 401 -> critical (Key Protect's documented table)\n"),
        "{text}"
    );
    assert!(
        text.contains("  from: logSourceCRN = crn:v1:bluemix:public:kms:us-east:a/1:2::\n"),
        "{text}"
    );
    assert!(
        text.contains("redacted: 1\n  $.requestData.payload\n"),
        "{text}"
    );
    let o = kpaudit(&["explain", "--json", "-"], format!("{event}\n").as_bytes());
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["route"], "us-east");
    assert_eq!(
        json["redacted"],
        serde_json::json!(["$.requestData.payload"])
    );
    // Values and names that hold JSON text with key material are withheld.
    let hostile = br#"{"action":"{\"payload\":\"S3CRET1\"}","logSourceCRN":"{\"iv\":\"S3CRET2\"}","{\"iv\":\"S3CRET3\"}":1}"#;
    for args in [&["explain", "-"][..], &["explain", "--json", "-"]] {
        let o = kpaudit(args, hostile);
        assert_eq!(o.status.code(), Some(0));
        let text = String::from_utf8(o.stdout).unwrap();
        assert!(!text.contains("S3CRET"), "{text}");
        assert!(text.contains("withheld"), "{text}");
    }
    let o = kpaudit(&["explain", "nope"], b"");
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        "kpaudit: the event is rejected: invalid event: invalid literal at byte 0\n"
    );

    let dir = scratch("config");
    let good = dir.join("good.json");
    std::fs::write(&good, r#"{"route":{"regions":{"eu-fr2":"eu-fr2"}}}"#).unwrap();
    let o = kpaudit(&["check-config", good.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(0));
    let effective: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(effective["route"]["regions"]["eu-fr2"], "eu-fr2");
    assert_eq!(effective["limits"]["max_depth"], 128);
    assert_eq!(
        effective["services"],
        serde_json::json!(["kms", "hs-crypto"])
    );
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\n  \"route\": {\"field\": \"x\",}\n}").unwrap();
    let o = kpaudit(&["check-config", bad.to_str().unwrap()], b"");
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        String::from_utf8(o.stderr).unwrap(),
        format!("kpaudit: {}: invalid config: line 2, column 26: trailing comma (the configuration is not valid JSON)\n", bad.display())
    );
    let o = kpaudit(&["--version"], b"");
    assert!(String::from_utf8(o.stdout).unwrap().contains("ABI 1"));
    let _ = std::fs::remove_dir_all(&dir);
}
