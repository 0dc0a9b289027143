//! A compiled transform: configuration turned into lookup tables once, then
//! run on each event.

use crate::config::Config;
use crate::error::Error;
use crate::json;
use crate::name_filter::{self, NameFilter};
use crate::redact::{KeyMaterial, RedactMode};
use crate::route::{crn_location, uri_location, RouteRules};
use crate::scan::{self, Capture, Captures, Field, Piece, Plan, Scratch};
use crate::severity::{Severity, SeverityRules};

mod line;
mod msgpack;
#[cfg(test)]
mod short_paths;

pub use msgpack::ItemFacts;

/// What was decided about a scanned event.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Decided {
    pub severity: Severity,
    pub route: usize,
    pub redacted: u32,
    has_members: bool,
    has_severity: bool,
    has_route: bool,
    /// The event is an ingestion envelope: severity and route field went
    /// inside its `payload`.
    envelope: bool,
}

/// The compiled transform. Immutable once built; share it between threads.
#[derive(Debug)]
pub struct Transform {
    severity: SeverityRules,
    routes: RouteRules,
    /// Each route name as a JSON string literal, by route index.
    route_literals: Vec<Vec<u8>>,
    key_material: KeyMaterial,
    /// Says which member names the scanner may act on, and how.
    names: NameFilter,
    /// The top-level member the route is written to: its name, and the
    /// `"name":` text appended when the event lacks it.
    route_field: Option<(Vec<u8>, Vec<u8>)>,
    max_event_bytes: usize,
    max_depth: usize,
    envelope: bool,
    /// The values MessagePack records get, encoded once.
    msgpack: msgpack::Literals,
    /// The member of a MessagePack record that holds its event as JSON
    /// text (`msgpack.line_member`).
    line_member: Option<Vec<u8>>,
}

/// The result of one event, reused from event to event so that steady state
/// allocates nothing. Use it from one thread at a time.
#[derive(Debug, Default)]
pub struct Output {
    data: Vec<u8>,
    severity: Severity,
    route_index: usize,
    /// The route name with a trailing NUL, so a C host can borrow it.
    route: Vec<u8>,
    redacted: u32,
    pub(crate) scratch: Scratch,
    msgpack_stack: Vec<crate::mpscan::Frame>,
    /// Unescaped copies of the values read, when they held escapes.
    unescaped: [Vec<u8>; 3],
    line: line::LineScratch,
}

impl Output {
    pub fn new() -> Output {
        Output::default()
    }

    /// The transformed event; empty after a failure.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    pub fn severity(&self) -> Severity {
        self.severity
    }

    /// The route name; empty after a failure.
    pub fn route(&self) -> &str {
        let name = self.route.strip_suffix(b"\0").unwrap_or(&self.route);
        std::str::from_utf8(name).unwrap_or("")
    }

    /// The route name followed by a NUL byte (just the NUL after a failure).
    pub fn route_with_nul(&self) -> &[u8] {
        if self.route.is_empty() {
            b"\0"
        } else {
            &self.route
        }
    }

    /// The index of the route in `Transform::route_names`.
    pub fn route_index(&self) -> usize {
        self.route_index
    }

    /// Members removed or masked.
    pub fn redacted(&self) -> u32 {
        self.redacted
    }

    /// Forgets the last result, as after a failed call.
    pub fn reset(&mut self) {
        self.data.clear();
        self.severity = Severity::Normal;
        self.route_index = 0;
        self.route.clear();
        self.redacted = 0;
    }
}

impl Transform {
    /// Builds a transform from JSON configuration text; empty text means
    /// the built-in Key Protect defaults.
    pub fn from_json(config: &[u8]) -> Result<Transform, Error> {
        #[cfg(feature = "panic-injection")]
        crate::fault::on_input(config);
        let config = if config.is_empty() {
            Config::default()
        } else {
            Config::from_json(config)?
        };
        Transform::new(&config)
    }

    /// Compiles a configuration, checking what the field types cannot.
    pub fn new(config: &Config) -> Result<Transform, Error> {
        let compiled = config.compile()?;
        let route_literals = compiled
            .routes
            .names()
            .iter()
            .map(|name| json::string_literal(name))
            .collect();
        let route_field = compiled.route_field.map(|name| {
            let mut prefix = json::string_literal(&name);
            prefix.push(b':');
            (name.into_bytes(), prefix)
        });
        let msgpack = msgpack::Literals::new(
            compiled.routes.names(),
            &compiled.key_material.mode,
            route_field.as_ref().map(|(name, _)| name.as_slice()),
        );
        let names = NameFilter::new(
            compiled
                .key_material
                .names()
                .map(|n| (n, name_filter::KEY_MATERIAL))
                .chain(
                    scan::READ_NAMES
                        .iter()
                        .map(|n| (n.as_bytes(), name_filter::READ)),
                )
                .chain([(&b"severity"[..], name_filter::SEVERITY)])
                .chain(
                    route_field
                        .as_ref()
                        .map(|(name, _)| (name.as_slice(), name_filter::ROUTE_FIELD)),
                ),
        );
        if let Some(name) = &compiled.line_member {
            // Its string would be read as an event, not stripped.
            if compiled.key_material.contains(name.as_bytes()) {
                return Err(Error::config(format!(
                    "msgpack.line_member: {name} names key material"
                )));
            }
        }
        Ok(Transform {
            line_member: compiled.line_member.map(String::into_bytes),
            names,
            msgpack,
            severity: compiled.severity,
            routes: compiled.routes,
            route_literals,
            key_material: compiled.key_material,
            route_field,
            max_event_bytes: compiled.max_event_bytes,
            max_depth: compiled.max_depth,
            envelope: compiled.envelope,
        })
    }

    /// What the scan of `event` captured, and whether it is an envelope
    /// (for `explain`; `event` already transformed without error).
    pub(crate) fn captures_of(
        &self,
        event: &[u8],
        out: &mut Output,
    ) -> Result<(Captures, bool), Error> {
        out.scratch.index.build(event);
        let scanned = scan::scan_indexed(event, &self.plan(), &mut out.scratch)?;
        Ok((scanned.captures, scanned.envelope))
    }

    pub(crate) fn severity_rules(&self) -> &SeverityRules {
        &self.severity
    }

    /// Whether text (a string's content) holds JSON text with a
    /// key-material member in it (`KeyMaterial::in_text`): such a string
    /// goes as a key-material member does.
    pub fn holds_key_material_text(&self, text: &[u8]) -> bool {
        self.key_material.in_text(text)
    }

    /// Whether a member of this (unescaped) name is stripped.
    pub fn is_key_material(&self, name: &[u8]) -> bool {
        self.key_material.contains(name)
    }

    /// The names of key-material members, lower-cased: a member is key
    /// material when its (unescaped) name equals one ignoring ASCII case.
    /// For hosts that strip the same members from what they carry beside
    /// the event (a log record's attributes).
    pub fn key_material_names(&self) -> impl Iterator<Item = &[u8]> {
        self.key_material.names()
    }

    /// In `mask` mode, the string that replaces a key-material value
    /// (unescaped); `None` in `remove` mode, where the member goes.
    pub fn mask(&self) -> Option<Vec<u8>> {
        match &self.key_material.mode {
            RedactMode::Remove => None,
            RedactMode::Mask(literal) => {
                let mut mask = Vec::new();
                json::unescape(&literal[1..literal.len() - 1], &mut mask);
                Some(mask)
            }
        }
    }

    /// Whether an event's member of this name goes as one that a reader
    /// ignoring case would take for `severity` or the route field.
    pub(crate) fn shadows(&self, name: &[u8]) -> bool {
        scan::shadows(&self.plan(), name)
    }

    pub(crate) fn is_route_field(&self, name: &[u8]) -> bool {
        self.route_field
            .as_ref()
            .is_some_and(|(field, _)| field.as_slice() == name)
    }

    /// Every route name this transform can produce, the unmatched route first.
    pub fn route_names(&self) -> &[String] {
        self.routes.names()
    }

    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// Transforms one event into `out`. On error `out` holds nothing of the
    /// event (see `Output::reset`) and the error quotes none of its bytes.
    pub fn transform(&self, event: &[u8], out: &mut Output) -> Result<(), Error> {
        let result = self.transform_into(event, out);
        if result.is_err() {
            out.reset();
        }
        result
    }

    fn plan(&self) -> Plan<'_> {
        Plan {
            key_material: &self.key_material,
            names: &self.names,
            route_field: self.route_field.as_ref().map(|(name, _)| name.as_slice()),
            max_depth: self.max_depth,
            envelope: self.envelope,
            watch: b"",
        }
    }

    fn transform_into(&self, event: &[u8], out: &mut Output) -> Result<(), Error> {
        if event.len() > self.max_event_bytes {
            return Err(Error::too_large(event.len(), self.max_event_bytes));
        }
        out.scratch.index.build(event);
        let decided = self.decide_indexed(event, out)?;
        out.data.clear();
        self.assemble(event, &out.scratch.pieces, &decided, &mut out.data);
        self.record_decisions(out, decided.severity, decided.route, decided.redacted);
        Ok(())
    }

    /// Scans an event that `out.scratch.index` was built for (and checked
    /// for size) and decides its severity and route; the output is left in
    /// `out.scratch.pieces` for `assemble`.
    pub(crate) fn decide_indexed(&self, event: &[u8], out: &mut Output) -> Result<Decided, Error> {
        let scanned = scan::scan_indexed(event, &self.plan(), &mut out.scratch)?;
        // After the scan has made its output, so the test sees a partial
        // result discarded.
        #[cfg(feature = "panic-injection")]
        crate::fault::on_input(event);
        let (severity, route) = self.decisions(
            event,
            &scanned.captures,
            scanned.envelope,
            &mut out.unescaped,
        );
        Ok(Decided {
            severity,
            route,
            redacted: scanned.redacted,
            has_members: scanned.has_members,
            has_severity: scanned.has_severity,
            has_route: scanned.has_route,
            envelope: scanned.envelope,
        })
    }

    /// Appends the transformed event to `dest`: the scan's pieces, the
    /// members the event lacked, and the closing brace.
    pub(crate) fn assemble(&self, event: &[u8], pieces: &[Piece], d: &Decided, dest: &mut Vec<u8>) {
        let sev_literal = severity_literal(d.severity);
        let route_literal = self.route_literals[d.route].as_slice();
        dest.reserve(event.len() + 64);
        for &piece in pieces {
            let bytes: &[u8] = match piece {
                Piece::Input { start, end } => &event[start..end],
                Piece::Severity => sev_literal,
                Piece::Route => route_literal,
                Piece::Mask => match &self.key_material.mode {
                    RedactMode::Mask(mask) => mask,
                    RedactMode::Remove => &[],
                },
                Piece::Null => b"null",
                Piece::SeverityMember { comma } => {
                    if comma {
                        dest.push(b',');
                    }
                    dest.extend_from_slice(b"\"severity\":");
                    sev_literal
                }
                Piece::RouteMember { comma } => {
                    if comma {
                        dest.push(b',');
                    }
                    if let Some((_, prefix)) = &self.route_field {
                        dest.extend_from_slice(prefix);
                    }
                    route_literal
                }
            };
            dest.extend_from_slice(bytes);
        }
        if d.envelope {
            // Severity and route field went inside the envelope's event.
            dest.push(b'}');
            return;
        }
        let mut has_members = d.has_members;
        if !d.has_severity {
            if has_members {
                dest.push(b',');
            }
            dest.extend_from_slice(b"\"severity\":");
            dest.extend_from_slice(sev_literal);
            has_members = true;
        }
        if let Some((_, prefix)) = &self.route_field {
            if !d.has_route {
                if has_members {
                    dest.push(b',');
                }
                dest.extend_from_slice(prefix);
                dest.extend_from_slice(route_literal);
            }
        }
        dest.push(b'}');
    }

    fn record_decisions(&self, out: &mut Output, severity: Severity, route: usize, redacted: u32) {
        out.severity = severity;
        out.route_index = route;
        out.route.clear();
        out.route
            .extend_from_slice(self.routes.name(route).as_bytes());
        out.route.push(0);
        out.redacted = redacted;
    }

    /// Severity and route index from what a scan captured: the event's
    /// fields, or for an envelope its event's (the route from the
    /// envelope's `logSourceCRN` first).
    fn decisions(
        &self,
        event: &[u8],
        captures: &Captures,
        envelope: bool,
        unescaped: &mut [Vec<u8>; 3],
    ) -> (Severity, usize) {
        let [action_buf, code_buf, route_buf] = unescaped;
        let (action, code, uri) = if envelope {
            (
                Field::InnerAction,
                Field::InnerReasonCode,
                Field::InnerRequestUri,
            )
        } else {
            (Field::Action, Field::ReasonCode, Field::RequestUri)
        };
        let action = text(event, captures[action as usize], action_buf);
        let status = status_code(event, captures[code as usize], code_buf);
        // The URI is read (into the route's buffer, before the route needs
        // it) only for the one action whose severity depends on it.
        let severity = match action {
            Some(a) if SeverityRules::reads_request_uri(a) => {
                let uri = text(event, captures[uri as usize], route_buf);
                self.severity.decide(action, status, uri)
            }
            _ => self.severity.decide(action, status, None),
        };
        let route = route_of_captures(&self.routes, event, captures, envelope, route_buf);
        (severity, route)
    }
}

/// The route of an event from what the scan captured. Fallback happens
/// only past a missing or null field, so at most one field needs its text.
fn route_of_captures(
    routes: &RouteRules,
    event: &[u8],
    captures: &Captures,
    envelope: bool,
    buf: &mut Vec<u8>,
) -> usize {
    // (field, whether it holds a URL rather than a CRN)
    const EVENT: &[(Field, bool)] = &[
        (Field::LogSourceCrn, false),
        (Field::TargetId, false),
        (Field::RequestUri, true),
    ];
    const ENVELOPE: &[(Field, bool)] = &[
        (Field::LogSourceCrn, false),
        (Field::InnerLogSourceCrn, false),
        (Field::InnerTargetId, false),
        (Field::InnerRequestUri, true),
    ];
    let order = if envelope { ENVELOPE } else { EVENT };
    for &(field, is_uri) in order {
        let capture = captures[field as usize];
        match capture {
            Capture::Missing | Capture::Null => continue,
            Capture::Str { .. } => {
                let value = text(event, capture, buf).unwrap_or_default();
                return if is_uri {
                    routes.route_host_location(uri_location(value))
                } else {
                    routes.route_location(crn_location(value))
                };
            }
            // Present but not a string: never a guess.
            Capture::Num { .. } | Capture::Uint(_) | Capture::Float(_) | Capture::Other => {
                return routes.unmatched()
            }
        }
    }
    routes.unmatched()
}

fn severity_literal(severity: Severity) -> &'static [u8] {
    match severity {
        Severity::Normal => b"\"normal\"",
        Severity::Warning => b"\"warning\"",
        Severity::Critical => b"\"critical\"",
    }
}

/// The text of a captured string, unescaped into `buf` when it must be.
fn text<'a>(event: &'a [u8], capture: Capture, buf: &'a mut Vec<u8>) -> Option<&'a [u8]> {
    match capture {
        Capture::Str {
            start,
            end,
            escaped: false,
        } => Some(&event[start..end]),
        Capture::Str {
            start,
            end,
            escaped: true,
        } => {
            json::unescape(&event[start..end], buf);
            Some(buf)
        }
        _ => None,
    }
}

/// `reasonCode` as a status: a number whose value is a whole number (`401`,
/// and `401.0` or `4.01e2` too, a MessagePack integer or float), or a string
/// of ASCII digits; anything else (a fraction, a negative number, a string
/// with a sign, a space or a point, other types) is none. A whole number
/// with a point is what tools that hold every JSON number as a double write
/// back (a Lua or JavaScript stage, OTTL's `ParseJSON`, an OTLP double), and
/// every JSON reader takes it for 401: read as no status, a refused request
/// would lose its severity.
pub(crate) fn status_code(event: &[u8], capture: Capture, buf: &mut Vec<u8>) -> Option<u64> {
    match capture {
        Capture::Num { start, end } => number_status(&event[start..end]),
        Capture::Uint(n) => Some(n),
        Capture::Float(bits) => whole_number(f64::from_bits(bits)),
        Capture::Str { .. } => digits_value(text(event, capture, buf)?),
        _ => None,
    }
}

fn digits_value(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A JSON number literal (the scanner has checked its grammar): digits alone
/// exactly; with a sign, fraction or exponent, the double a JSON reader
/// makes of it.
fn number_status(literal: &[u8]) -> Option<u64> {
    if literal.iter().all(u8::is_ascii_digit) {
        return digits_value(literal);
    }
    whole_number(std::str::from_utf8(literal).ok()?.parse().ok()?)
}

/// `v` when it is a whole number from 0 up to (not including) 2^53, where
/// doubles stop holding every whole number; not -0.0, which is written
/// with a minus sign.
fn whole_number(v: f64) -> Option<u64> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    // `as` is exact for the values kept (and saturates for the others).
    ((0.0..EXACT).contains(&v) && v.fract() == 0.0 && !v.is_sign_negative()).then_some(v as u64)
}

/// Inserts `bytes` at `at`, moving the tail once.
fn insert(data: &mut Vec<u8>, at: usize, bytes: &[u8]) {
    let old_len = data.len();
    data.resize(old_len + bytes.len(), 0);
    data.copy_within(at..old_len, at + bytes.len());
    data[at..at + bytes.len()].copy_from_slice(bytes);
}
