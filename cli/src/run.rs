//! `kpaudit run`: files (or stdin) through the batch API into one file per
//! route, the rejected lines into dead-letter.ndjson, then a summary.
//!
//! The output layout is the project's one layout, shared with the C
//! example host and the Benthos pipeline: `<route>.ndjson` in DIR,
//! `dead-letter.ndjson` always present (input, line, error, message; never
//! the line's bytes), and a summary; a DIR that is not empty is refused
//! unless `--append` says to add to its files.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kpaudit::batch::{ItemSkipper, ItemStart, Skipped};
use kpaudit::{Batch, ErrorKind, Severity, Transform};

use crate::{fail, load_transform, Format, EXIT_IO, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};

/// The batch's chunk: large enough to amortise the call, small enough to
/// stay in cache-friendly territory (the library's benchmark default).
const CHUNK: usize = 4 << 20;
/// Inputs smaller than this finish before a progress bar would be read.
const PROGRESS_FROM: u64 = 8 << 20;

/// `kpaudit run`'s arguments (see `cli()` in main.rs for their help).
pub struct RunArgs {
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    pub config: Option<PathBuf>,
    pub format: Format,
    pub append: bool,
    pub fail_on_reject: bool,
}

/// Counts over the whole run.
#[derive(Default)]
struct Totals {
    lines: u64,
    emitted: u64,
    redacted: u64,
    severities: [u64; 3],
    per_route: Vec<u64>,
    rejected: BTreeMap<&'static str, u64>,
    bytes: u64,
}

impl Totals {
    fn rejected(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// The open output files.
struct Outputs {
    dir: PathBuf,
    append: bool,
    /// By route index: file name, and the writer once it has an event.
    routes: Vec<(String, Option<BufWriter<File>>)>,
    dead: BufWriter<File>,
}

impl Outputs {
    fn open(dir: &Path, t: &Transform, format: Format, append: bool) -> Result<Outputs, String> {
        match fs::read_dir(dir) {
            Ok(mut entries) => {
                if !append && entries.next().is_some() {
                    return Err(format!(
                        "{} is not empty: give an empty or new directory, or --append to add \
                         to its files",
                        dir.display()
                    ));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
        let ext = match format {
            Format::Ndjson => "ndjson",
            Format::Msgpack => "msgpack",
        };
        let mut names: Vec<String> = vec!["dead-letter.ndjson".into()];
        let mut routes = Vec::new();
        for route in t.route_names() {
            let file = format!("{}.{ext}", file_stem(route));
            if names.contains(&file) {
                return Err(format!(
                    "route {route:?} would write {file}, which another route or the dead \
                     letters already use: rename it in the configuration"
                ));
            }
            names.push(file.clone());
            routes.push((file, None));
        }
        let dead = open_file(&dir.join("dead-letter.ndjson"), append)?;
        Ok(Outputs {
            dir: dir.to_path_buf(),
            append,
            routes,
            dead,
        })
    }

    fn route(&mut self, index: usize) -> Result<&mut BufWriter<File>, String> {
        let (name, writer) = &mut self.routes[index];
        if writer.is_none() {
            *writer = Some(open_file(&self.dir.join(&*name), self.append)?);
        }
        Ok(writer.as_mut().expect("opened above"))
    }

    fn finish(&mut self) -> Result<(), String> {
        for (name, writer) in &mut self.routes {
            if let Some(w) = writer {
                w.flush().map_err(|e| format!("writing {name}: {e}"))?;
            }
        }
        self.dead
            .flush()
            .map_err(|e| format!("writing dead-letter.ndjson: {e}"))
    }
}

fn open_file(path: &Path, append: bool) -> Result<BufWriter<File>, String> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    options
        .open(path)
        .map(|f| BufWriter::with_capacity(1 << 20, f))
        .map_err(|e| format!("cannot open {}: {e}", path.display()))
}

/// Reads into `buf` until it holds `want` bytes or the input ends;
/// returns whether it ended.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    while buf.len() < want {
        let start = buf.len();
        buf.resize(want, 0);
        let n = read_some(reader, &mut buf[start..]);
        match n {
            Ok(n) => {
                buf.truncate(start + n);
                if n == 0 {
                    return Ok(true);
                }
            }
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    Ok(false)
}

/// `read`, retried when a signal interrupts it.
fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A route name as a file name: anything but `[A-Za-z0-9._-]` becomes `_`,
/// so that no name leaves DIR.
fn file_stem(route: &str) -> String {
    let stem: String = route
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if stem.starts_with('.') {
        format!("_{stem}")
    } else {
        stem
    }
}

fn error_name(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidEvent => "invalid_event",
        ErrorKind::EventTooLarge => "event_too_large",
        ErrorKind::InvalidConfig => "invalid_config",
    }
}

/// One run: the transform, the outputs, the counts.
struct Job<'a> {
    t: &'a Transform,
    batch: Batch,
    outputs: Outputs,
    totals: Totals,
    progress: Option<ProgressBar>,
}

impl Job<'_> {
    /// Transforms one chunk of whole lines (or items) of `input`, whose
    /// first is line `first_line`.
    fn chunk(
        &mut self,
        input: &str,
        chunk: &[u8],
        first_line: u64,
        format: Format,
    ) -> Result<(), String> {
        match format {
            Format::Ndjson => self.t.transform_batch(chunk, &mut self.batch),
            Format::Msgpack => self.t.transform_msgpack_batch(chunk, &mut self.batch),
        }
        let b = &self.batch;
        for route in 0..b.route_count() {
            let data = b.route_data(route);
            if data.is_empty() {
                continue;
            }
            self.totals.per_route[route] += b.route_events(route) as u64;
            let name = self.outputs.routes[route].0.clone();
            self.outputs
                .route(route)?
                .write_all(data)
                .map_err(|e| format!("writing {name}: {e}"))?;
        }
        for (i, sev) in [Severity::Normal, Severity::Warning, Severity::Critical]
            .into_iter()
            .enumerate()
        {
            self.totals.severities[i] += b.severity_count(sev) as u64;
        }
        self.totals.lines += b.lines() as u64;
        self.totals.emitted += b.emitted() as u64;
        self.totals.redacted += b.redacted();
        self.totals.bytes += chunk.len() as u64;
        let rejected: Vec<(u64, ErrorKind, String)> = b
            .rejected()
            .iter()
            .map(|r| (first_line + r.line as u64 - 1, r.kind, r.message.to_owned()))
            .collect();
        for (line, kind, message) in rejected {
            self.dead_letter(input, line, kind, &message, format)?;
        }
        if let Some(bar) = &self.progress {
            bar.inc(chunk.len() as u64);
        }
        Ok(())
    }

    /// Records a rejected line: its place and reason, never its bytes.
    fn dead_letter(
        &mut self,
        input: &str,
        line: u64,
        kind: ErrorKind,
        message: &str,
        format: Format,
    ) -> Result<(), String> {
        *self.totals.rejected.entry(error_name(kind)).or_default() += 1;
        let place = match format {
            Format::Ndjson => "line",
            Format::Msgpack => "item",
        };
        let record = serde_json::json!({
            "input": input,
            place: line,
            "error": error_name(kind),
            "message": message,
        });
        writeln!(self.outputs.dead, "{record}")
            .map_err(|e| format!("writing dead-letter.ndjson: {e}"))
    }

    /// Reads NDJSON in blocks and hands the batch every whole line of a
    /// block at once, copying nothing line by line. A line longer than
    /// `limits.max_event_bytes` that does not fit a block is counted out to
    /// its newline and rejected without being held.
    fn ndjson(&mut self, input: &str, mut reader: impl Read) -> Result<(), String> {
        let limit = self.t.max_event_bytes();
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK + (64 << 10));
        let mut next_line = 1u64;
        let mut eof = false;
        loop {
            let want = buf.len().max(CHUNK);
            eof = eof
                || fill(&mut reader, &mut buf, want)
                    .map_err(|e| format!("reading {input}: {e}"))?;
            if buf.is_empty() {
                return Ok(());
            }
            let end = match buf.iter().rposition(|&b| b == b'\n') {
                Some(i) => i + 1,
                None if eof => buf.len(),
                None => 0,
            };
            if end > 0 {
                self.chunk(input, &buf[..end], next_line, Format::Ndjson)?;
                next_line += self.batch.lines() as u64;
                buf.drain(..end);
                continue;
            }
            // A block without a newline: one line longer than a block.
            if buf.len() <= limit {
                // It may still be within the limit: read on.
                let more = buf.len() + CHUNK;
                eof = fill(&mut reader, &mut buf, more)
                    .map_err(|e| format!("reading {input}: {e}"))?;
                if eof {
                    continue;
                }
                if buf[buf.len() - CHUNK.min(buf.len())..].contains(&b'\n') {
                    continue;
                }
                if buf.len() <= limit {
                    continue;
                }
            }
            let len = self.skip_line(input, &mut reader, &mut buf, &mut eof)?;
            let e = kpaudit::Error::too_large(len, limit);
            self.totals.lines += 1;
            self.dead_letter(input, next_line, e.kind(), e.message(), Format::Ndjson)?;
            if let Some(bar) = &self.progress {
                bar.inc(len as u64 + 1);
            }
            next_line += 1;
        }
    }

    /// Counts the line at the start of `buf` (no newline in it yet) out to
    /// its end, keeping none of it; `buf` is left holding what follows.
    /// Returns the line's length.
    fn skip_line(
        &mut self,
        input: &str,
        reader: &mut impl Read,
        buf: &mut Vec<u8>,
        eof: &mut bool,
    ) -> Result<usize, String> {
        let mut len = buf.len();
        buf.clear();
        let mut block = vec![0u8; 64 << 10];
        loop {
            let n = read_some(reader, &mut block).map_err(|e| format!("reading {input}: {e}"))?;
            if n == 0 {
                *eof = true;
                break;
            }
            if let Some(i) = block[..n].iter().position(|&b| b == b'\n') {
                len += i;
                buf.extend_from_slice(&block[i + 1..n]);
                self.totals.bytes += (len + 1) as u64;
                return Ok(len);
            }
            len += n;
        }
        self.totals.bytes += len as u64;
        Ok(len)
    }

    /// Reads MessagePack items in blocks and hands the batch every whole
    /// item of a block at once. An item over `limits.max_event_bytes` is
    /// followed to its end and rejected without being held; bytes that no
    /// item can be cut from (the reserved byte 0xc1) are rejected as one
    /// item with the rest of the input, which is read to its end and not
    /// held either.
    fn msgpack(&mut self, input: &str, mut reader: impl Read) -> Result<(), String> {
        let limit = self.t.max_event_bytes();
        let mut buf: Vec<u8> = Vec::with_capacity(CHUNK * 2);
        let mut items = 0u64;
        let mut eof = false;
        while !eof || !buf.is_empty() {
            // Fill to a chunk.
            if !eof && buf.len() < CHUNK {
                eof = fill(&mut reader, &mut buf, CHUNK)
                    .map_err(|e| format!("reading {input}: {e}"))?;
            }
            let mut end = 0;
            let mut count = 0u64;
            let mut first = ItemStart::Partial;
            while end < buf.len() && (end < CHUNK || eof) {
                match kpaudit::batch::msgpack_item_start(&buf[end..]) {
                    ItemStart::Whole(len) => {
                        end += len;
                        count += 1;
                    }
                    other => {
                        if end == 0 {
                            first = other;
                        }
                        break;
                    }
                }
            }
            if end == 0 && !eof {
                match first {
                    // One item larger than a chunk, within the limit so far
                    // (its framing aside): read on.
                    ItemStart::Partial if buf.len() <= limit + FRAMING => {
                        let more = buf.len() + CHUNK;
                        eof = fill(&mut reader, &mut buf, more)
                            .map_err(|e| format!("reading {input}: {e}"))?;
                        continue;
                    }
                    ItemStart::Partial => {
                        items += 1;
                        self.skip_item(input, items, &mut reader, &mut buf, &mut eof)?;
                        continue;
                    }
                    // No item can be cut from here on: what is held goes
                    // to the batch, which rejects it as one item, and the
                    // rest of the input is counted with it, not held.
                    _ => {
                        self.totals.bytes +=
                            drain(&mut reader).map_err(|e| format!("reading {input}: {e}"))?;
                        eof = true;
                    }
                }
            }
            if end == 0 {
                // What is left does not form an item: the batch rejects it
                // as one.
                end = buf.len();
            }
            self.chunk(input, &buf[..end], items + 1, Format::Msgpack)?;
            items += count.max(1);
            buf.drain(..end);
        }
        Ok(())
    }

    /// Follows the item `item` (at the start of `buf`, over the limit) to
    /// its end, keeping none of it, and rejects it; `buf` is left holding
    /// what follows. An item that breaks off or holds the reserved byte
    /// takes the rest of the input with it.
    fn skip_item(
        &mut self,
        input: &str,
        item: u64,
        reader: &mut impl Read,
        buf: &mut Vec<u8>,
        eof: &mut bool,
    ) -> Result<(), String> {
        let limit = self.t.max_event_bytes();
        let mut skipper = ItemSkipper::default();
        let mut len = 0usize;
        let mut piece = std::mem::take(buf);
        let error = loop {
            match skipper.feed(&piece) {
                Skipped::Done(n) => {
                    len += n;
                    buf.extend_from_slice(&piece[n..]);
                    break kpaudit::Error::too_large(len, limit);
                }
                Skipped::More => len += piece.len(),
                Skipped::Invalid => {
                    len += piece.len();
                    len += drain(reader).map_err(|e| format!("reading {input}: {e}"))? as usize;
                    *eof = true;
                    break kpaudit::Error::event(
                        "the reserved byte 0xc1 in an item over the limit; the rest of the input is not read as items",
                        0,
                    );
                }
            }
            piece.resize(64 << 10, 0);
            let n = read_some(reader, &mut piece).map_err(|e| format!("reading {input}: {e}"))?;
            if n == 0 {
                *eof = true;
                break kpaudit::Error::event(
                    "unexpected end of input in an item over the limit",
                    len,
                );
            }
            piece.truncate(n);
        };
        self.totals.lines += 1;
        self.totals.bytes += len as u64;
        self.dead_letter(input, item, error.kind(), error.message(), Format::Msgpack)?;
        if let Some(bar) = &self.progress {
            bar.inc(len as u64);
        }
        Ok(())
    }
}

/// Room allowed beyond `limits.max_event_bytes` for an item's framing
/// (Fluent Bit's `[[time, metadata], record]`) before it is over the limit.
const FRAMING: usize = 1 << 10;

/// Reads `reader` to its end, keeping nothing; returns the bytes read.
fn drain(reader: &mut impl Read) -> std::io::Result<u64> {
    std::io::copy(reader, &mut std::io::sink())
}

pub fn run(args: RunArgs) -> u8 {
    let t = match load_transform(args.config.as_ref()) {
        Ok(t) => t,
        Err(status) => return status,
    };
    let inputs: Vec<PathBuf> = if args.inputs.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        args.inputs.clone()
    };
    if inputs.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        return fail(EXIT_USAGE, "stdin (-) given more than once");
    }
    let outputs = match Outputs::open(&args.out, &t, args.format, args.append) {
        Ok(o) => o,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let total: u64 = inputs
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .filter_map(|p| fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    let progress = (io::stderr().is_terminal() && total >= PROGRESS_FROM).then(|| {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar
    });
    let mut job = Job {
        t: &t,
        batch: Batch::new(),
        outputs,
        totals: Totals {
            per_route: vec![0; t.route_names().len()],
            ..Totals::default()
        },
        progress,
    };
    let started = Instant::now();
    for path in &inputs {
        let name = if path.as_os_str() == "-" {
            "-".to_owned()
        } else {
            path.display().to_string()
        };
        let result = if path.as_os_str() == "-" {
            let stdin = io::stdin();
            match args.format {
                Format::Ndjson => job.ndjson(&name, stdin.lock()),
                Format::Msgpack => job.msgpack(&name, stdin.lock()),
            }
        } else {
            match File::open(path) {
                Ok(f) => match args.format {
                    Format::Ndjson => job.ndjson(&name, f),
                    Format::Msgpack => job.msgpack(&name, f),
                },
                Err(e) => Err(format!("cannot open {name}: {e}")),
            }
        };
        if let Err(e) = result.and_then(|()| job.outputs.finish()) {
            if let Some(bar) = &job.progress {
                bar.abandon();
            }
            return fail(EXIT_IO, e);
        }
    }
    if let Some(bar) = &job.progress {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    if let Err(e) = summary(&t, &job, seconds) {
        return fail(EXIT_IO, format!("writing the summary: {e}"));
    }
    let totals = &job.totals;
    if totals.lines != totals.emitted + totals.rejected() {
        return fail(EXIT_IO, "internal error: lines are not all accounted for");
    }
    if args.fail_on_reject && totals.rejected() > 0 {
        return EXIT_REJECTED;
    }
    EXIT_OK
}

/// The summary, in the layout the C example host prints too.
fn summary(t: &Transform, job: &Job<'_>, seconds: f64) -> io::Result<()> {
    let totals = &job.totals;
    let mut out = io::stdout().lock();
    writeln!(out, "kpaudit {} summary", kpaudit::VERSION)?;
    writeln!(out, "input lines: {}", totals.lines)?;
    writeln!(out, "emitted: {}", totals.emitted)?;
    writeln!(out, "rejected: {}", totals.rejected())?;
    writeln!(out, "members redacted: {}", totals.redacted)?;
    writeln!(out, "events per route:")?;
    let mut routes: Vec<(usize, u64)> = totals
        .per_route
        .iter()
        .copied()
        .enumerate()
        .filter(|&(_, n)| n > 0)
        .collect();
    routes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (route, n) in routes {
        writeln!(
            out,
            "  {:<20} {:>10}  -> {}",
            t.route_names()[route],
            n,
            job.outputs.routes[route].0
        )?;
    }
    writeln!(out, "events per severity:")?;
    for (i, name) in ["normal", "warning", "critical"].iter().enumerate() {
        writeln!(out, "  {:<20} {:>10}", name, totals.severities[i])?;
    }
    let none = if totals.rejected.is_empty() {
        " none"
    } else {
        ""
    };
    writeln!(out, "rejected by reason:{none}")?;
    for (reason, n) in &totals.rejected {
        writeln!(out, "  {reason}: {n}")?;
    }
    writeln!(
        out,
        "dead letters: {}  -> dead-letter.ndjson",
        totals.rejected()
    )?;
    let mb = totals.bytes as f64 / 1e6;
    writeln!(
        out,
        "read {mb:.1} MB in {seconds:.2} s ({:.0} MB/s)",
        if seconds > 0.0 { mb / seconds } else { 0.0 }
    )
}
