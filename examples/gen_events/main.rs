//! Writes synthetic Key Protect activity-tracking events as NDJSON to stdout.
//!
//!     cargo run --release --example gen_events -- --count 100000 --seed 7 > events.ndjson
//!     cargo run --release --example gen_events -- --size-mb 256 > big.ndjson

mod corpus;

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;

use corpus::Rng;

const USAGE: &str = "\
Usage: gen_events [--count N] [--size-mb F] [--seed S] [--corrupt-percent P]
                  [--hpcs-percent P] [--envelope-percent P]

Writes synthetic IBM Key Protect activity-tracking events as NDJSON to stdout,
with Hyper Protect Crypto Services events mixed in as they arrive in the same
stream. The same seed and options always yield the same events.

Options:
  --count N              number of events (default 1000)
  --size-mb F            write until F MiB instead of --count events
  --seed S               PRNG seed, an unsigned integer (default 1)
  --corrupt-percent P    replace about P% of lines with invalid JSON, to show
                         how rejected events are accounted (default 0)
  --hpcs-percent P       about P% Hyper Protect Crypto Services events
                         (default 10)
  --envelope-percent P   about P% of events wrapped in Activity Tracker's
                         ingestion envelope {\"payload\": {...}} (default 2)
  -h, --help             print this help
";

struct Args {
    count: u64,
    size_mb: Option<f64>,
    seed: u64,
    corrupt_percent: f64,
    mix: corpus::Mix,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
    let mut args = Args {
        count: 1000,
        size_mb: None,
        seed: 1,
        corrupt_percent: 0.0,
        mix: corpus::DEFAULT_MIX,
    };
    while let Some(arg) = argv.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg, None),
        };
        if !matches!(
            name.as_str(),
            "--count"
                | "--size-mb"
                | "--seed"
                | "--corrupt-percent"
                | "--hpcs-percent"
                | "--envelope-percent"
        ) {
            return Err(format!("unknown argument '{name}'"));
        }
        let value = match inline.or_else(|| argv.next()) {
            Some(v) => v,
            None => return Err(format!("{name} needs a value")),
        };
        let bad = || format!("invalid value '{value}' for {name}");
        match name.as_str() {
            "--count" => args.count = value.parse().map_err(|_| bad())?,
            "--seed" => args.seed = value.parse().map_err(|_| bad())?,
            "--size-mb" => {
                let mb: f64 = value.parse().map_err(|_| bad())?;
                if !(mb.is_finite() && mb > 0.0) {
                    return Err(format!("{} (must be a positive number)", bad()));
                }
                args.size_mb = Some(mb);
            }
            percent => {
                let p: f64 = value.parse().map_err(|_| bad())?;
                if !(0.0..=100.0).contains(&p) {
                    return Err(format!("{} (must be between 0 and 100)", bad()));
                }
                match percent {
                    "--hpcs-percent" => args.mix.hpcs = p / 100.0,
                    "--envelope-percent" => args.mix.envelope = p / 100.0,
                    _ => args.corrupt_percent = p,
                }
            }
        }
    }
    Ok(Some(args))
}

fn generate(args: &Args, out: &mut impl Write) -> io::Result<()> {
    let mut rng = Rng::new(args.seed);
    // As in the reference generator, a size limit replaces the count.
    let (count, max_bytes) = match args.size_mb {
        Some(mb) => (None, Some((mb * 1024.0 * 1024.0).ceil() as u64)),
        None => (Some(args.count), None),
    };
    if args.corrupt_percent == 0.0 {
        corpus::write_corpus(&mut rng, &args.mix, out, count, max_bytes)?;
        return out.flush();
    }
    // A separate stream, so a seed yields the same events at any corruption
    // rate and only the chosen lines differ.
    let mut corrupt_rng = Rng::new(args.seed ^ 0x636f_7272_7570_7421);
    let p = args.corrupt_percent / 100.0;
    let mut line = String::with_capacity(4096);
    let (mut events, mut bytes) = (0u64, 0u64);
    while corpus::under_limits(events, bytes, count, max_bytes) {
        line.clear();
        corpus::write_event_of(&mut rng, &args.mix, &mut line);
        line.push('\n');
        if corrupt_rng.chance(p) {
            let bad = corpus::corrupt_line(&mut corrupt_rng, line.as_bytes());
            out.write_all(&bad)?;
            bytes += bad.len() as u64;
        } else {
            out.write_all(line.as_bytes())?;
            bytes += line.len() as u64;
        }
        events += 1;
    }
    out.flush()
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            // Not print!: it panics when stdout is a closed pipe.
            let _ = io::stdout().write_all(USAGE.as_bytes());
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("gen_events: error: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 20, stdout.lock());
    match generate(&args, &mut out) {
        Ok(()) => ExitCode::SUCCESS,
        // `gen_events | head` is normal use, not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen_events: error writing output: {e}");
            ExitCode::FAILURE
        }
    }
}
