//! `kpaudit run --format msgpack` on streams it cannot hold: an item over
//! `limits.max_event_bytes` is followed to its end and rejected, and the
//! items after it are read; bytes no item can be cut from (the reserved
//! byte 0xc1) are rejected as one item with the rest of the input. Neither
//! is held in memory: the command runs with its data segment limited to
//! 48 MiB, which holding one of the 96 MiB items would exceed.

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};

const BIG: usize = 96 << 20;
const DATA_LIMIT: libc::rlim_t = 48 << 20;

/// Runs the command on `input` (from a file), its memory limited.
fn run(config: &Path, out: &Path, input: Vec<u8>) -> String {
    let file = out.with_extension("msgpack");
    std::fs::write(&file, &input).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_kpaudit"));
    // SAFETY: setrlimit is async-signal-safe, and the closure touches
    // nothing else of the parent's.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: DATA_LIMIT,
                rlim_max: DATA_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_DATA, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let o = command
        .args(["run", "--format", "msgpack", "--config"])
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some(),
        "killed ({:?}): {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn value(summary: &str, key: &str) -> u64 {
    summary
        .lines()
        .find_map(|l| l.trim().strip_prefix(key)?.trim().strip_prefix(':'))
        .unwrap_or_else(|| panic!("{key} in {summary}"))
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

fn record(action: &str) -> Vec<u8> {
    let mut r = vec![0x81, 0xa6];
    r.extend_from_slice(b"action");
    r.push(0xa0 | action.len() as u8);
    r.extend_from_slice(action.as_bytes());
    r
}

#[test]
fn items_over_the_limit_and_unreadable_bytes_are_not_held() {
    let dir = std::env::temp_dir().join(format!("kpaudit-cli-{}-mpstream", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.json");
    std::fs::write(&config, r#"{"limits":{"max_event_bytes":1000}}"#).unwrap();

    // A record, a 96 MiB record ({"note": bin32}), then two records.
    let mut input = record("kms.secrets.read");
    input.extend_from_slice(&[0x81, 0xa4]);
    input.extend_from_slice(b"note");
    input.push(0xc6);
    input.extend_from_slice(&(BIG as u32).to_be_bytes());
    input.resize(input.len() + BIG, b'x');
    input.extend_from_slice(&record("kms.secrets.create"));
    input.extend_from_slice(&record("kms.secrets.delete"));
    let summary = run(&config, &dir.join("big"), input);
    assert_eq!(value(&summary, "emitted"), 3, "{summary}");
    assert_eq!(value(&summary, "rejected"), 1, "{summary}");
    let dead = std::fs::read_to_string(dir.join("big/dead-letter.ndjson")).unwrap();
    let dead: serde_json::Value = serde_json::from_str(dead.trim()).unwrap();
    assert_eq!(dead["item"], 2);
    assert_eq!(dead["error"], "event_too_large");
    let message = dead["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} bytes", BIG + 11)),
        "{message}"
    );

    // 0xc1, then 96 MiB of records: one rejected item, the rest with it.
    let mut input = vec![0xc1];
    while input.len() < BIG {
        input.extend_from_slice(&record("kms.secrets.read"));
    }
    let summary = run(&config, &dir.join("reserved"), input);
    assert_eq!(value(&summary, "emitted"), 0, "{summary}");
    assert_eq!(value(&summary, "rejected"), 1, "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}
