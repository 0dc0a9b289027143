//! `kpaudit`: Key Protect (and Hyper Protect Crypto Services) activity
//! events through kpaudit, from files and pipes.
//!
//!   kpaudit run events.ndjson --out out/     one file per route, dead letters, a summary
//!   kpaudit filter < in.ndjson > out.ndjson  a pipe stage: the route written into each event
//!   kpaudit explain '{"action":...}'         why an event came out as it did
//!   kpaudit check-config kpaudit.json        the configuration as it will run

mod explain;
mod input;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{value_parser, Arg, ArgAction, ArgMatches, Command};

/// Exit statuses, the same for every subcommand.
pub const EXIT_OK: u8 = 0;
/// An input could not be read or an output written.
pub const EXIT_IO: u8 = 1;
/// Bad usage, or the configuration was refused.
pub const EXIT_USAGE: u8 = 2;
/// Lines were rejected and `--fail-on-reject` was given.
pub const EXIT_REJECTED: u8 = 3;

/// The input format of `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// One JSON event per line.
    Ndjson,
    /// MessagePack items one after another: maps, or [header, record] events.
    Msgpack,
}

/// The command line. Clap's builder rather than its derive macros: the
/// macros would build `syn` with features the library's own macros do not
/// use, and cargo would then rebuild the library whenever it is built
/// without the command.
fn cli() -> Command {
    let config = || {
        Arg::new("config")
            .long("config")
            .value_name("FILE")
            .value_parser(value_parser!(PathBuf))
            .help("kpaudit configuration file (JSON); built-in defaults without it")
    };
    Command::new("kpaudit")
        .version(version())
        .about("Key Protect activity events through kpaudit: severity set, key material stripped, a route per region.")
        .after_help(
            "Exit status: 0 every input line accounted for (emitted or rejected), 1 an input \
             could not be read or an output written, 2 bad usage or configuration, 3 lines \
             rejected with --fail-on-reject.",
        )
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommand(
            Command::new("run")
                .about(
                    "Transform files (or stdin) into one file per route in DIR, with rejected \
                     lines in DIR/dead-letter.ndjson, then print a summary",
                )
                .arg(
                    Arg::new("inputs")
                        .value_name("FILE")
                        .num_args(0..)
                        .value_parser(value_parser!(PathBuf))
                        .help("Input files; - (or none) reads stdin"),
                )
                .arg(
                    Arg::new("out")
                        .long("out")
                        .short('o')
                        .value_name("DIR")
                        .required(true)
                        .value_parser(value_parser!(PathBuf))
                        .help(
                            "Output directory: <route>.ndjson per route (.msgpack with --format \
                             msgpack) and dead-letter.ndjson. Created if missing; refused if not \
                             empty, unless --append",
                        ),
                )
                .arg(config())
                .arg(
                    Arg::new("format")
                        .long("format")
                        .value_parser(["ndjson", "msgpack"])
                        .default_value("ndjson")
                        .help("How the inputs are framed"),
                )
                .arg(
                    Arg::new("append")
                        .long("append")
                        .action(ArgAction::SetTrue)
                        .help("Add to the files of a DIR that is not empty"),
                )
                .arg(
                    Arg::new("fail-on-reject")
                        .long("fail-on-reject")
                        .action(ArgAction::SetTrue)
                        .help(
                            "Exit with status 3 when any line was rejected (status 0 otherwise: \
                             rejected lines are accounted for, in the dead-letter file)",
                        ),
                ),
        )
        .subcommand(
            Command::new("filter")
                .about(
                    "NDJSON on stdin to NDJSON on stdout, in order, with the route written into \
                     each event; rejected lines are reported on stderr (line and reason) and not \
                     written",
                )
                .arg(config())
                .arg(
                    Arg::new("route-field")
                        .long("route-field")
                        .value_name("NAME")
                        .default_value("kpaudit_route")
                        .help(
                            "The member the route is written into, unless the configuration sets \
                             route.field itself",
                        ),
                ),
        )
        .subcommand(
            Command::new("explain")
                .about(
                    "Explain one event: which rule set its severity, which field gave its route, \
                     and the JSON path of each member removed",
                )
                .arg(config())
                .arg(
                    Arg::new("json")
                        .long("json")
                        .action(ArgAction::SetTrue)
                        .help("Print the explanation as one JSON object"),
                )
                .arg(
                    Arg::new("event")
                        .value_name("EVENT")
                        .help(
                            "The event (one JSON object); - or none reads it from stdin, where an \
                             event holding key material belongs: other users can read a command line",
                        ),
                ),
        )
        .subcommand(
            Command::new("check-config")
                .about("Check a configuration file and print it with every default filled in")
                .arg(
                    Arg::new("file")
                        .value_name("FILE")
                        .required(true)
                        .value_parser(value_parser!(PathBuf))
                        .help("The kpaudit configuration (JSON)"),
                ),
        )
}

/// The command's version and the C ABI version of the library inside it
/// (built once, for the life of the process, as clap wants it).
fn version() -> &'static str {
    let text = format!(
        "{} (libkpaudit {}, ABI {})",
        env!("CARGO_PKG_VERSION"),
        kpaudit::VERSION,
        kpaudit::ffi::KPAUDIT_ABI_VERSION
    );
    Box::leak(text.into_boxed_str())
}

fn path_of(m: &ArgMatches, name: &str) -> Option<PathBuf> {
    m.get_one::<PathBuf>(name).cloned()
}

fn main() -> ExitCode {
    let matches = cli().get_matches();
    let status = match matches.subcommand() {
        Some(("run", m)) => run::run(run::RunArgs {
            inputs: m
                .get_many::<PathBuf>("inputs")
                .map(|v| v.cloned().collect())
                .unwrap_or_default(),
            out: path_of(m, "out").expect("required"),
            config: path_of(m, "config"),
            format: match m.get_one::<String>("format").map(String::as_str) {
                Some("msgpack") => Format::Msgpack,
                _ => Format::Ndjson,
            },
            append: m.get_flag("append"),
            fail_on_reject: m.get_flag("fail-on-reject"),
        }),
        Some(("filter", m)) => filter(FilterArgs {
            config: path_of(m, "config"),
            route_field: m
                .get_one::<String>("route-field")
                .cloned()
                .unwrap_or_default(),
        }),
        Some(("explain", m)) => explain::explain(explain::ExplainArgs {
            config: path_of(m, "config"),
            json: m.get_flag("json"),
            event: m.get_one::<String>("event").cloned(),
        }),
        Some(("check-config", m)) => check_config(&path_of(m, "file").expect("required")),
        _ => fail(EXIT_USAGE, "no such command (see kpaudit --help)"),
    };
    ExitCode::from(status)
}

struct FilterArgs {
    config: Option<PathBuf>,
    route_field: String,
}

/// Prints `message` as the command's error and returns `status`.
pub fn fail(status: u8, message: impl std::fmt::Display) -> u8 {
    eprintln!("kpaudit: {message}");
    status
}

/// The configuration text of `--config`, or empty (the built-in defaults).
pub fn config_text(path: Option<&PathBuf>) -> Result<Vec<u8>, u8> {
    match path {
        None => Ok(Vec::new()),
        Some(path) => std::fs::read(path)
            .map_err(|e| fail(EXIT_USAGE, format!("cannot read {}: {e}", path.display()))),
    }
}

/// The transform of `--config` (or the built-in defaults); errors name
/// the file and give the exit status.
pub fn load_transform(path: Option<&PathBuf>) -> Result<kpaudit::Transform, u8> {
    let text = config_text(path)?;
    transform_of(&text, path)
}

/// A transform from configuration text; errors name the file.
pub fn transform_of(text: &[u8], path: Option<&PathBuf>) -> Result<kpaudit::Transform, u8> {
    kpaudit::Transform::from_json(text).map_err(|e| {
        let source = path.map_or("built-in configuration".into(), |p| p.display().to_string());
        fail(EXIT_USAGE, format!("{source}: {e}"))
    })
}

fn check_config(file: &PathBuf) -> u8 {
    let text = match config_text(Some(file)) {
        Ok(text) => text,
        Err(status) => return status,
    };
    let config = if text.is_empty() {
        kpaudit::Config::default()
    } else {
        match kpaudit::Config::from_json(&text) {
            Ok(c) => c,
            Err(e) => return fail(EXIT_USAGE, format!("{}: {e}", file.display())),
        }
    };
    // Compiling checks what the types cannot (names, limits, routes).
    if let Err(e) = kpaudit::Transform::new(&config) {
        return fail(EXIT_USAGE, format!("{}: {e}", file.display()));
    }
    println!("{}", config.effective_json());
    EXIT_OK
}

fn filter(args: FilterArgs) -> u8 {
    use std::io::Write;

    let text = match config_text(args.config.as_ref()) {
        Ok(text) => text,
        Err(status) => return status,
    };
    let text = match with_route_field(&text, &args.route_field) {
        Ok(text) => text,
        Err(e) => return fail(EXIT_USAGE, e),
    };
    let t = match transform_of(&text, args.config.as_ref()) {
        Ok(t) => t,
        Err(status) => return status,
    };
    let stdin = std::io::stdin();
    let mut lines = input::Lines::new(stdin.lock(), t.max_event_bytes());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut event = kpaudit::Output::new();
    let mut number = 0u64;
    loop {
        let line = match lines.next_line() {
            Ok(Some(line)) => line,
            Ok(None) => break,
            Err(e) => return fail(EXIT_IO, format!("reading stdin: {e}")),
        };
        number += 1;
        let result = match line {
            input::Line::Bytes(bytes) => t.transform(bytes, &mut event),
            input::Line::TooLong(len) => Err(kpaudit::Error::too_large(len, t.max_event_bytes())),
        };
        let written = match result {
            Ok(()) => out
                .write_all(event.data())
                .and_then(|()| out.write_all(b"\n")),
            Err(e) => {
                eprintln!("kpaudit: line {number}: {e}");
                Ok(())
            }
        };
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return EXIT_OK;
            }
            return fail(EXIT_IO, format!("writing stdout: {e}"));
        }
    }
    match out.flush() {
        Ok(()) => EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(e) => fail(EXIT_IO, format!("writing stdout: {e}")),
    }
}

/// The configuration text with `route.field` set to `field`, unless it
/// sets one itself.
fn with_route_field(text: &[u8], field: &str) -> Result<Vec<u8>, String> {
    let mut config: serde_json::Value = if text.is_empty() {
        serde_json::json!({})
    } else {
        // Not valid JSON: the library's own message says where.
        match serde_json::from_slice(text) {
            Ok(v) => v,
            Err(_) => return Ok(text.to_vec()),
        }
    };
    let Some(root) = config.as_object_mut() else {
        return Ok(text.to_vec());
    };
    let route = root.entry("route").or_insert_with(|| serde_json::json!({}));
    if let Some(route) = route.as_object_mut() {
        if route.get("field").is_none_or(serde_json::Value::is_null) {
            route.insert("field".into(), field.into());
        }
    }
    serde_json::to_vec(&config).map_err(|e| e.to_string())
}
