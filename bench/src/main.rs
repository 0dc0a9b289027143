//! kpaudit against what a user might run instead, on one core, in one run:
//! the batch API, the per-event API, a serde_json `Value` implementation of
//! the same transform, and jq (when installed); and two floors that place
//! the machine, serde_json validating without building anything and
//! copying the lines. Prints MB/s, events/s and
//! ratios, medians of several runs, and the heap use of the batch path.
//!
//!   cargo run --release --manifest-path bench/Cargo.toml -- [--mb 64] [--runs 5] [--jq-mb 16]
//!   ... -- --print-jq     (prints the jq program it runs)
//!   ... -- --profile-batch [--runs N]   (only the batch engine, to profile it)
//!   ... -- --profile-msgpack [--runs N] (only the MessagePack item API)
//!
//! The MessagePack rounds convert the same events into items framed as
//! Fluent Bit frames them and time the item API against walking them.

#[path = "../../examples/gen_events/corpus.rs"]
mod corpus;
#[path = "../../tests/reference/mod.rs"]
mod reference;
mod to_msgpack;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::Instant;

use kpaudit::{Batch, Output, Transform};

/// Counts heap allocations and the peak of live heap bytes, to show that
/// the steady state allocates nothing and what the batch path holds.
struct Counting;
static ALLOCS: AtomicUsize = AtomicUsize::new(0);
static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(live, Relaxed);
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Relaxed);
        let live = LIVE.fetch_add(new_size, Relaxed) + new_size;
        PEAK.fetch_max(live, Relaxed);
        LIVE.fetch_sub(layout.size(), Relaxed);
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

struct Args {
    mb: f64,
    runs: usize,
    jq_mb: f64,
    /// Bytes per batch call (chunks end at line ends).
    chunk: usize,
    /// Run only the batch engine, for profiling.
    profile_batch: bool,
    /// Run only the MessagePack item engine, for profiling.
    profile_msgpack: bool,
}

fn args() -> Args {
    let mut a = Args {
        mb: 64.0,
        runs: 5,
        jq_mb: 16.0,
        profile_batch: false,
        profile_msgpack: false,
        chunk: 4 << 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--profile-batch" {
            a.profile_batch = true;
            continue;
        }
        if flag == "--profile-msgpack" {
            a.profile_msgpack = true;
            continue;
        }
        let value = it.next().unwrap_or_default();
        let bad = || -> ! {
            eprintln!(
                "usage: bench [--mb N] [--runs N] [--jq-mb N] [--chunk-kib N] [--profile-batch | --profile-msgpack] | --print-jq"
            );
            std::process::exit(2)
        };
        match flag.as_str() {
            "--mb" => a.mb = value.parse().unwrap_or_else(|_| bad()),
            "--runs" => a.runs = value.parse().unwrap_or_else(|_| bad()),
            "--jq-mb" => a.jq_mb = value.parse().unwrap_or_else(|_| bad()),
            "--chunk-kib" => {
                a.chunk = value.parse::<usize>().unwrap_or_else(|_| bad()).max(1) << 10
            }
            _ => bad(),
        }
    }
    a
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Chunks of about `chunk` bytes that end at line ends, as a shipper feeds them.
fn chunks(corpus: &[u8], chunk: usize) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = corpus;
    while !rest.is_empty() {
        let end = if rest.len() <= chunk {
            rest.len()
        } else {
            chunk
                + rest[chunk..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(rest.len() - chunk, |i| i + 1)
        };
        out.push(&rest[..end]);
        rest = &rest[end..];
    }
    out
}

fn main() {
    if std::env::args().any(|a| a == "--print-jq") {
        print!("{}", jq_program());
        return;
    }
    let a = args();
    let mut corpus = Vec::new();
    let mut rng = corpus::Rng::new(9);
    let (events, bytes) = corpus::write_corpus(
        &mut rng,
        &corpus::DEFAULT_MIX,
        &mut corpus,
        None,
        Some((a.mb * 1048576.0) as u64),
    )
    .unwrap();
    let mb = bytes as f64 / 1e6;
    let lines: Vec<&[u8]> = corpus
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let chunks = chunks(&corpus, a.chunk);
    let t = Transform::from_json(b"").unwrap();
    println!(
        "corpus: {:.1} MiB, {events} generated Key Protect and HPCS events (seed 9, {:.0} bytes each); {} interleaved rounds, medians; one core",
        bytes as f64 / 1048576.0,
        bytes as f64 / events as f64,
        a.runs
    );

    // Warm up: buffers reach their size (and the batch heap is measured).
    let mut batch = Batch::new();
    let base_live = LIVE.load(Relaxed);
    PEAK.store(base_live, Relaxed);
    for c in &chunks {
        t.transform_batch(c, &mut batch);
    }
    let batch_heap = PEAK.load(Relaxed) - base_live;
    let mut out = Output::new();
    for l in &lines {
        t.transform(l, &mut out).unwrap();
    }
    // The same events as MessagePack items framed as Fluent Bit frames
    // them, back to back, and where each ends.
    let mut items = Vec::new();
    let mut item_ends = Vec::with_capacity(lines.len());
    for l in &lines {
        to_msgpack::framed_item(l, &mut items);
        item_ends.push(items.len());
    }
    let item_mb = items.len() as f64 / 1e6;
    // The items in chunks of about `chunk` bytes, cut between items.
    let mut item_chunks = Vec::new();
    let mut from = 0;
    for &end in &item_ends {
        if end - from >= a.chunk {
            item_chunks.push(&items[from..end]);
            from = end;
        }
    }
    if from < items.len() {
        item_chunks.push(&items[from..]);
    }
    let each_item = |f: &mut dyn FnMut(&[u8])| {
        let mut from = 0;
        for &end in &item_ends {
            f(&items[from..end]);
            from = end;
        }
    };
    each_item(&mut |item| t.transform_msgpack_item(item, &mut out).unwrap());
    if a.profile_msgpack {
        let start = Instant::now();
        for _ in 0..a.runs {
            each_item(&mut |item| t.transform_msgpack_item(item, &mut out).unwrap());
        }
        let secs = start.elapsed().as_secs_f64() / a.runs as f64;
        let before = ALLOCS.load(Relaxed);
        each_item(&mut |item| t.transform_msgpack_item(item, &mut out).unwrap());
        println!(
            "kpaudit MessagePack items only: {:.0} MB/s of MessagePack; {} heap allocations in one more pass",
            item_mb / secs,
            ALLOCS.load(Relaxed) - before
        );
        return;
    }
    if a.profile_batch {
        let start = Instant::now();
        for _ in 0..a.runs {
            let mut emitted = 0;
            for c in &chunks {
                t.transform_batch(c, &mut batch);
                emitted += batch.emitted();
            }
            assert_eq!(emitted as u64, events);
        }
        let secs = start.elapsed().as_secs_f64() / a.runs as f64;
        println!("kpaudit batch only: {:.0} MB/s", mb / secs);
        return;
    }
    // Rounds interleave the engines, so that the machine's speed drifting
    // during the run touches every engine alike; each engine's figure is
    // the median of its rounds.
    let mut batch_runs = Vec::with_capacity(a.runs);
    let mut event_runs = Vec::with_capacity(a.runs);
    let mut serde_runs = Vec::with_capacity(a.runs);
    let mut validate_runs = Vec::with_capacity(a.runs);
    let mut copy_runs = Vec::with_capacity(a.runs);
    let mut item_runs = Vec::with_capacity(a.runs);
    let mut item_batch_runs = Vec::with_capacity(a.runs);
    let mut walk_runs = Vec::with_capacity(a.runs);
    let mut copied = Vec::with_capacity(a.chunk + (1 << 20));
    let (mut batch_allocs, mut event_allocs) = (0, 0);
    for _ in 0..a.runs {
        let allocs_before = ALLOCS.load(Relaxed);
        let start = Instant::now();
        let mut emitted = 0;
        for c in &chunks {
            t.transform_batch(c, &mut batch);
            emitted += batch.emitted();
        }
        let secs = start.elapsed().as_secs_f64();
        batch_allocs += ALLOCS.load(Relaxed) - allocs_before;
        batch_runs.push(secs);
        assert_eq!(emitted as u64, events);

        let allocs_before = ALLOCS.load(Relaxed);
        let start = Instant::now();
        let mut n = 0;
        for l in &lines {
            t.transform(l, &mut out).unwrap();
            n += out.data().len();
        }
        let secs = start.elapsed().as_secs_f64();
        event_allocs += ALLOCS.load(Relaxed) - allocs_before;
        event_runs.push(secs);
        std::hint::black_box(n);

        let start = Instant::now();
        let mut n = 0;
        for l in &lines {
            let mut v: serde_json::Value = serde_json::from_slice(l).unwrap();
            let (_severity, route) = reference::apply(v.as_object_mut().unwrap());
            n += serde_json::to_vec(&v).unwrap().len() + route.len();
        }
        serde_runs.push(start.elapsed().as_secs_f64());
        std::hint::black_box(n);

        // Two floors that place this machine against others: serde_json
        // checking the bytes without building anything, and copying lines.
        let start = Instant::now();
        for l in &lines {
            serde_json::from_slice::<serde::de::IgnoredAny>(l).unwrap();
        }
        validate_runs.push(start.elapsed().as_secs_f64());

        let start = Instant::now();
        let mut n = 0;
        for c in &chunks {
            copied.clear();
            let mut from = 0;
            for end in memchr::memchr_iter(b'\n', c) {
                copied.extend_from_slice(&c[from..=end]);
                from = end + 1;
            }
            n += copied.len();
        }
        copy_runs.push(start.elapsed().as_secs_f64());
        std::hint::black_box(n);

        // MessagePack: the item API on framed items, and the floor of
        // walking the same items, reading every header, checking every
        // string as UTF-8, building nothing.
        let start = Instant::now();
        let mut n = 0;
        each_item(&mut |item| {
            t.transform_msgpack_item(item, &mut out).unwrap();
            n += out.data().len();
        });
        item_runs.push(start.elapsed().as_secs_f64());
        std::hint::black_box(n);

        let start = Instant::now();
        let mut emitted = 0;
        for c in &item_chunks {
            t.transform_msgpack_batch(c, &mut batch);
            emitted += batch.emitted();
        }
        item_batch_runs.push(start.elapsed().as_secs_f64());
        assert_eq!(emitted as u64, events);

        let start = Instant::now();
        let mut n = 0;
        each_item(&mut |item| n += to_msgpack::walk(item, 0));
        walk_runs.push(start.elapsed().as_secs_f64());
        std::hint::black_box(n);
    }

    let report = |name: &str, secs: f64, mb: f64, events: f64, reference: f64| {
        println!(
            "{name:<40} {:>9.0} {:>12.0} {:>9.2}x",
            mb / secs,
            events / secs,
            (mb / secs) / reference
        );
    };
    let serde_mbs = mb / median(serde_runs.clone());
    println!(
        "\n{:<40} {:>9} {:>12} {:>10}",
        "engine", "MB/s", "events/s", "vs serde"
    );
    report(
        &format!("kpaudit batch ({} chunks)", size_label(a.chunk)),
        median(batch_runs.clone()),
        mb,
        events as f64,
        serde_mbs,
    );
    report(
        "kpaudit per event",
        median(event_runs.clone()),
        mb,
        events as f64,
        serde_mbs,
    );
    report(
        "serde_json Value (reference impl)",
        median(serde_runs),
        mb,
        events as f64,
        serde_mbs,
    );
    report(
        "serde_json validating only (IgnoredAny)",
        median(validate_runs),
        mb,
        events as f64,
        serde_mbs,
    );
    report(
        "copying lines (memchr + memcpy)",
        median(copy_runs),
        mb,
        events as f64,
        serde_mbs,
    );
    match jq(&corpus, a.jq_mb, a.runs.min(3)) {
        Some((secs, jq_mb, jq_events)) => report(
            &format!("jq ({:.1} MiB slice)", jq_mb * 1e6 / 1048576.0),
            secs,
            jq_mb,
            jq_events,
            serde_mbs,
        ),
        None => println!("{:<40} not installed", "jq"),
    }
    println!(
        "\n{:<40} {:>9} {:>12} {:>10}",
        "MessagePack items (Fluent Bit framing)", "MB/s", "events/s", "vs walk"
    );
    let walk_mbs = item_mb / median(walk_runs.clone());
    report(
        &format!(
            "kpaudit item API ({:.1} MiB as items)",
            items.len() as f64 / 1048576.0
        ),
        median(item_runs),
        item_mb,
        events as f64,
        walk_mbs,
    );
    report(
        &format!("kpaudit MessagePack batch ({} chunks)", size_label(a.chunk)),
        median(item_batch_runs),
        item_mb,
        events as f64,
        walk_mbs,
    );
    report(
        "walking the items (headers, UTF-8)",
        median(walk_runs),
        item_mb,
        events as f64,
        walk_mbs,
    );
    let per_event_batch = median(batch_runs) / events as f64;
    let per_event_single = median(event_runs) / events as f64;
    println!(
        "\nper-event API cost vs batch: {:+.1}% ({:.0} ns vs {:.0} ns per event)",
        (per_event_single / per_event_batch - 1.0) * 100.0,
        per_event_single * 1e9,
        per_event_batch * 1e9
    );
    println!(
        "heap allocations in steady state: batch {batch_allocs} over {} events, per event {event_allocs} over {} events",
        events * a.runs as u64,
        events * a.runs as u64
    );
    println!(
        "batch heap at its peak: {:.1} MiB for {} chunks",
        batch_heap as f64 / 1048576.0,
        size_label(a.chunk)
    );
}

fn size_label(bytes: usize) -> String {
    if bytes % (1 << 20) == 0 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// jq running the same transform: severity from the same tables, key
/// material stripped at any depth, the route computed into `_route`.
fn jq(corpus: &[u8], slice_mb: f64, runs: usize) -> Option<(f64, f64, f64)> {
    Command::new("jq").arg("--version").output().ok()?;
    let limit = ((slice_mb * 1048576.0) as usize).min(corpus.len());
    let end = corpus[..limit]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(limit, |i| i + 1);
    let slice = &corpus[..end];
    let dir = std::env::temp_dir().join(format!("kpaudit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let input = dir.join("events.ndjson");
    std::fs::write(&input, slice).ok()?;
    let program = dir.join("transform.jq");
    std::fs::write(&program, jq_program()).ok()?;
    let mut times = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new("jq")
            .arg("-c")
            .arg("-f")
            .arg(&program)
            .arg(&input)
            .stdout(Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        times.push(start.elapsed().as_secs_f64());
    }
    std::fs::remove_dir_all(&dir).ok();
    let events = slice.iter().filter(|&&b| b == b'\n').count() as f64;
    Some((median(times), slice.len() as f64 / 1e6, events))
}

pub fn jq_program() -> String {
    // Key Protect's documented table only: the jq program is a peer for
    // speed, not a second implementation of every rule.
    let mut actions = serde_json::Map::new();
    for &(name, sev) in kpaudit::severity::ACTION_TABLE {
        actions.insert(name.into(), (sev as u8).into());
        for other in kpaudit::severity::other_spellings(name) {
            actions.insert(other, (sev as u8).into());
        }
    }
    let status: serde_json::Map<_, _> = kpaudit::severity::STATUS_TABLE
        .iter()
        .map(|&(code, sev)| (code.to_string(), (sev as u8).into()))
        .collect();
    let regions: serde_json::Map<_, _> = kpaudit::route::REGION_TABLE
        .iter()
        .map(|&(kp, at)| (kp.to_string(), at.into()))
        .collect();
    let names: Vec<String> = kpaudit::redact::KEY_MATERIAL
        .iter()
        .map(|n| n.to_ascii_lowercase())
        .collect();
    let mut p = Vec::new();
    writeln!(p, "def actions: {};", serde_json::Value::Object(actions)).unwrap();
    writeln!(p, "def statuses: {};", serde_json::Value::Object(status)).unwrap();
    writeln!(p, "def regions: {};", serde_json::Value::Object(regions)).unwrap();
    writeln!(p, "def names: {};", serde_json::to_string(&names).unwrap()).unwrap();
    p.extend_from_slice(
        br#"def crnloc: if type == "string" then (ltrimstr("crn:") | split(":")) as $p
    | if $p[0] == "v1" and ($p | length) > 5 then $p[4] else null end else null end;
def region($l): if $l == null then null else (regions[$l] // regions[$l | sub("-[0-9]+$"; "")]) end;
def code: (.reason.reasonCode? // null) | if type == "number" then tostring
    elif type == "string" and test("^[0-9]+$") then (tonumber | tostring) else null end;
(actions[.action? // ""] // 0) as $a
| ((code) as $c | if $c == null then 0 else (statuses[$c] // 0) end) as $s
| (if .logSourceCRN != null then (.logSourceCRN | crnloc)
   elif (.target.id? // null) != null then (.target.id | crnloc)
   else ((.requestData.requestURI? // "") | capture("://(private\\.)?(?<r>[a-z0-9-]+)\\.kms\\.cloud\\.ibm\\.com")? | .r) end) as $loc
| walk(if type == "object" then with_entries(select((.key | ascii_downcase) as $k | names | index([$k]) | not)) else . end)
| .severity = (["normal", "warning", "critical"][[$a, $s] | max])
| ._route = (region($loc) // "unmatched")
"#,
    );
    String::from_utf8(p).unwrap()
}
