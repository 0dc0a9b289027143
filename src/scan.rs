//! The event scanner: one pass over an event's bytes that validates the JSON
//! in full, copies untouched spans to the output as they are, drops or masks
//! key-material members at any depth, and notes where the few values that
//! decide severity and route are. It never builds a tree of the event, so
//! numbers, escapes, member order and duplicates pass through as written.

use crate::blocks::Index;
use crate::error::Error;
use crate::json;
use crate::name_filter::{self, NameFilter};
use crate::redact::{KeyMaterial, RedactMode};

/// Where a value the transform reads was found (the last occurrence wins,
/// as in the JSON readers downstream).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Capture {
    #[default]
    Missing,
    Null,
    /// The body of a string literal, without its quotes.
    Str {
        start: usize,
        end: usize,
        escaped: bool,
    },
    Num {
        start: usize,
        end: usize,
    },
    /// A MessagePack non-negative integer.
    Uint(u64),
    /// A MessagePack float (float32 widened), as its bits: `Capture` is `Eq`.
    Float(u64),
    /// A boolean, object or array.
    Other,
}

/// The values the transform reads, by position in `Captures::0`: the
/// event's, and the same fields of the event inside an ingestion envelope
/// (`{"payload": {<event>}, "logSourceCRN": ...}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Action = 0,
    LogSourceCrn = 1,
    ReasonCode = 2,
    TargetId = 3,
    RequestUri = 4,
    InnerAction = 5,
    InnerLogSourceCrn = 6,
    InnerReasonCode = 7,
    InnerTargetId = 8,
    InnerRequestUri = 9,
    /// Read only to tell an envelope's event (see `is_envelope_event`).
    InnerEventTime = 10,
}

/// The first of the inner fields; they are cleared together.
pub const INNER_FIELDS: std::ops::Range<usize> = 5..11;

pub type Captures = [Capture; 11];

/// A piece of the output: the event is written as the pieces in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Input bytes, copied as they are.
    Input { start: usize, end: usize },
    /// The mask that replaces a key-material value.
    Mask,
    /// `null`, for a string value that held JSON text with key material.
    Null,
    /// The value of the first top-level `severity` member.
    Severity,
    /// The value of the first top-level route-field member.
    Route,
    /// A `"severity":<value>` member added at the end of an envelope's
    /// event, after a comma when `comma`.
    SeverityMember { comma: bool },
    /// The same for the route field.
    RouteMember { comma: bool },
}

/// What the scan found, for the transform to decide on and assemble.
#[derive(Debug)]
pub struct Scanned {
    pub captures: Captures,
    /// Whether the event had a top-level `severity` (and route field)
    /// member, whose value is a piece; else the member is to be appended.
    pub has_severity: bool,
    pub has_route: bool,
    /// Whether the output's top-level object has any member left.
    pub has_members: bool,
    pub redacted: u32,
    /// Whether the event is an ingestion envelope: its severity and route
    /// field are written inside `payload`, and the inner fields decide.
    pub envelope: bool,
}

/// The parts of a compiled transform the scanner needs.
pub struct Plan<'a> {
    pub key_material: &'a KeyMaterial,
    /// Places every name `read_of` or `edit_of_kinds` acts on.
    pub names: &'a NameFilter,
    /// The unescaped name of the top-level member the route is written to.
    pub route_field: Option<&'a [u8]>,
    pub max_depth: usize,
    /// Whether a top-level `payload` object holding a string `action` is
    /// an ingestion envelope rather than key material.
    pub envelope: bool,
    /// A top-level member name whose presence the MessagePack scan reports
    /// (a host's mark of a line its parser could not read); empty: none.
    /// `names` must let it by (`name_filter::WATCH`).
    pub watch: &'a [u8],
}

/// Buffers reused from event to event, so that steady state allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    stack: Vec<Frame>,
    key: Vec<u8>,
    /// The first stage's bitmaps of the event being scanned.
    pub index: Index,
    /// The output of the last scan, as pieces of the input and edits.
    pub pieces: Vec<Piece>,
}

/// Which values the members of an object hold for the transform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Context {
    #[default]
    Plain,
    Top,
    Reason,
    Target,
    Request,
    /// A top-level `payload` object that may be an envelope's event, and
    /// the objects inside it that hold values the transform reads.
    Payload,
    PayloadReason,
    PayloadTarget,
    PayloadRequest,
}

#[derive(Clone, Copy, Debug, Default)]
struct Frame {
    is_object: bool,
    /// Inside a value that is being dropped or replaced: no more edits.
    inert: bool,
    /// Some member of this object is (so far) in the output.
    kept: bool,
    /// The value of the current member is not copied: at its end, copying
    /// resumes after it.
    skip_value: bool,
    context: Context,
    /// Input offset of the last comma between members of this object.
    last_comma: usize,
}

/// What the transform reads from a member.
pub(crate) enum Read {
    Value(Field),
    /// An object holding a value the transform reads.
    Object(Context, Field),
}

/// Every name `read_of` answers for, in some context.
pub(crate) const READ_NAMES: [&str; 9] = [
    "action",
    "eventTime",
    "logSourceCRN",
    "reason",
    "target",
    "requestData",
    "reasonCode",
    "id",
    "requestURI",
];

pub(crate) fn read_of(context: Context, name: &[u8]) -> Option<Read> {
    match (context, name) {
        (Context::Top, b"action") => Some(Read::Value(Field::Action)),
        (Context::Top, b"logSourceCRN") => Some(Read::Value(Field::LogSourceCrn)),
        (Context::Top, b"reason") => Some(Read::Object(Context::Reason, Field::ReasonCode)),
        (Context::Top, b"target") => Some(Read::Object(Context::Target, Field::TargetId)),
        (Context::Top, b"requestData") => Some(Read::Object(Context::Request, Field::RequestUri)),
        (Context::Reason, b"reasonCode") => Some(Read::Value(Field::ReasonCode)),
        (Context::Target, b"id") => Some(Read::Value(Field::TargetId)),
        (Context::Request, b"requestURI") => Some(Read::Value(Field::RequestUri)),
        (Context::Payload, b"action") => Some(Read::Value(Field::InnerAction)),
        (Context::Payload, b"logSourceCRN") => Some(Read::Value(Field::InnerLogSourceCrn)),
        (Context::Payload, b"eventTime") => Some(Read::Value(Field::InnerEventTime)),
        (Context::Payload, b"reason") => {
            Some(Read::Object(Context::PayloadReason, Field::InnerReasonCode))
        }
        (Context::Payload, b"target") => {
            Some(Read::Object(Context::PayloadTarget, Field::InnerTargetId))
        }
        (Context::Payload, b"requestData") => Some(Read::Object(
            Context::PayloadRequest,
            Field::InnerRequestUri,
        )),
        (Context::PayloadReason, b"reasonCode") => Some(Read::Value(Field::InnerReasonCode)),
        (Context::PayloadTarget, b"id") => Some(Read::Value(Field::InnerTargetId)),
        (Context::PayloadRequest, b"requestURI") => Some(Read::Value(Field::InnerRequestUri)),
        _ => None,
    }
}

/// What becomes of a member named `name` of an object in `context`, a
/// name the filter placed among `kinds`: comparisons the filter rules out
/// are skipped.
#[inline(always)]
pub(crate) fn edit_of_kinds(plan: &Plan<'_>, context: Context, name: &[u8], kinds: u8) -> Edit {
    if kinds & name_filter::KEY_MATERIAL != 0 && plan.key_material.contains(name) {
        Edit::Redact
    } else if context != Context::Top && context != Context::Payload {
        Edit::Keep
    } else if kinds & name_filter::SEVERITY != 0 && name == b"severity" {
        Edit::Severity
    } else if kinds & name_filter::ROUTE_FIELD != 0 && Some(name) == plan.route_field {
        Edit::RouteField
    } else if kinds & (name_filter::SEVERITY | name_filter::ROUTE_FIELD) != 0 && shadows(plan, name)
    {
        Edit::Shadow
    } else {
        Edit::Keep
    }
}

/// Whether a member of an event, not itself `severity` (or the route
/// field), has a name a reader ignoring case would take for it
/// (`SEVERITY`, or with a letter of `redact::fold_to_ascii`): such a
/// member would stand beside the one the transform writes, and a reader
/// that keeps the last of its duplicates (Go's encoding/json does) would
/// read its value instead.
pub(crate) fn shadows(plan: &Plan<'_>, name: &[u8]) -> bool {
    let mut folded = Vec::new();
    let name = if !name.is_ascii() && crate::redact::fold_to_ascii(name, &mut folded) {
        &folded[..]
    } else {
        name
    };
    name.eq_ignore_ascii_case(b"severity")
        || plan
            .route_field
            .is_some_and(|field| name.eq_ignore_ascii_case(field))
}

/// Whether a member named `name` with a value starting `first` may open an
/// ingestion envelope: a top-level `payload` object.
#[inline]
pub(crate) fn may_be_envelope(
    plan: &Plan<'_>,
    context: Context,
    name: &[u8],
    first: Option<u8>,
) -> bool {
    plan.envelope
        && context == Context::Top
        && first == Some(b'{')
        && name.eq_ignore_ascii_case(b"payload")
}

/// Whether a top-level `payload` object, now scanned, is an envelope's
/// event: it holds a string `action` or `eventTime` (the last of each, as
/// for every field read).
pub(crate) fn is_envelope_event(captures: &Captures) -> bool {
    [Field::InnerAction, Field::InnerEventTime]
        .iter()
        .any(|&f| matches!(captures[f as usize], Capture::Str { .. }))
}

/// Whether a scan that took a `payload` for an envelope's event must be
/// redone with every `payload` as key material: an envelope has no
/// top-level `action` (an event's own `payload` object is key material
/// whatever it holds), and that member may come after `payload`.
pub(crate) fn envelope_refused(captures: &Captures) -> bool {
    captures[Field::Action as usize] != Capture::Missing
}

/// What becomes of a member that the name filter let by: a name outside
/// ASCII that folds to a key-material name (`KeyMaterial::contains`) is
/// one, though its bytes are not those the filter knows; in an event's own
/// map, one that folds to `severity` or the route field shadows it.
#[cold]
pub(crate) fn folded_edit(plan: &Plan<'_>, context: Context, name: &[u8]) -> Edit {
    if name.is_ascii() {
        Edit::Keep
    } else if plan.key_material.contains(name) {
        Edit::Redact
    } else if matches!(context, Context::Top | Context::Payload) && shadows(plan, name) {
        Edit::Shadow
    } else {
        Edit::Keep
    }
}

/// What becomes of a member in the output.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Edit {
    Keep,
    Redact,
    /// Out whole in either mode: a name that holds JSON text with key
    /// material (a mask would leave the name).
    Drop,
    Severity,
    RouteField,
    /// Out, not counted as redacted: a name a reader ignoring case takes
    /// for `severity` or the route field (`shadows`).
    Shadow,
}

struct Scanner<'i, 'o> {
    input: &'i [u8],
    pos: usize,
    index: &'o Index,
    out: &'o mut Vec<Piece>,
    /// Input bytes from here on are not yet in the output.
    copy_from: usize,
    /// The innermost open container; `stack` holds the ones around it.
    cur: Frame,
    depth: usize,
    stack: &'o mut Vec<Frame>,
    key: &'o mut Vec<u8>,
    plan: &'o Plan<'o>,
    captures: Captures,
    /// Where the value about to be scanned is recorded, if anywhere.
    capture_into: Option<Field>,
    /// The context of the object about to be scanned, if it is one.
    child_context: Context,
    has_severity: bool,
    has_route: bool,
    redacted: u32,
    /// The same inside an envelope's event.
    has_inner_severity: bool,
    has_inner_route: bool,
    envelope: Envelope,
}

/// Whether the event is an ingestion envelope. A top-level `payload`
/// object is scanned as the event inside one; whether it is one shows at
/// its end (a string `action`), so the scan keeps what it needs to undo
/// the difference and strip the member as key material after all.
#[derive(Clone, Copy, Debug)]
enum Envelope {
    No,
    Pending(Undo),
    Yes,
}

/// The scan's state as it was where a `payload` member started.
#[derive(Clone, Copy, Debug)]
struct Undo {
    pieces: usize,
    copy_from: usize,
    frame: Frame,
    redacted: u32,
    key_start: usize,
    value_start: usize,
}

/// Scans `input` (already checked for size, and indexed in `scratch.index`),
/// leaving the edited event in `scratch.pieces`, up to and without the
/// top-level closing brace. On error the pieces are partial and must be
/// discarded.
/// What a scan step returns when the input is bad: the error, boxed, so
/// that the steps' results stay small on the hot path (an `Error` is some
/// seventy bytes, moved through every `?`).
type Fault = Box<Error>;

#[cold]
fn fault(what: &str, offset: usize) -> Fault {
    Box::new(Error::event(what, offset))
}

pub fn scan_indexed(
    input: &[u8],
    plan: &Plan<'_>,
    scratch: &mut Scratch,
) -> Result<Scanned, Error> {
    // One call site, so that the scan stays inlined here: it is hot.
    let mut envelope = plan.envelope;
    loop {
        let plan = Plan { envelope, ..*plan };
        let scanned = scan_once(input, &plan, scratch)?;
        if scanned.envelope && envelope_refused(&scanned.captures) {
            envelope = false;
            continue;
        }
        return Ok(scanned);
    }
}

fn scan_once(input: &[u8], plan: &Plan<'_>, scratch: &mut Scratch) -> Result<Scanned, Error> {
    scratch.stack.clear();
    scratch.pieces.clear();
    let mut s = Scanner {
        input,
        pos: 0,
        index: &scratch.index,
        out: &mut scratch.pieces,
        copy_from: 0,
        cur: Frame::default(),
        depth: 0,
        stack: &mut scratch.stack,
        key: &mut scratch.key,
        plan,
        captures: Captures::default(),
        capture_into: None,
        child_context: Context::Plain,
        has_severity: false,
        has_route: false,
        redacted: 0,
        has_inner_severity: false,
        has_inner_route: false,
        envelope: Envelope::No,
    };
    let has_members = s.run().map_err(|fault| *fault)?;
    Ok(Scanned {
        captures: s.captures,
        has_severity: s.has_severity,
        has_route: s.has_route,
        has_members,
        redacted: s.redacted,
        envelope: matches!(s.envelope, Envelope::Yes),
    })
}

impl Scanner<'_, '_> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    /// Skips whitespace and returns the byte after it.
    #[inline(always)]
    fn next_token(&mut self) -> Option<u8> {
        loop {
            let b = *self.input.get(self.pos)?;
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
            self.pos += 1;
        }
    }

    #[inline(always)]
    fn skip_ws(&mut self) {
        while let Some(&b) = self.input.get(self.pos) {
            // Most tokens follow the last with no whitespace: one compare.
            if b > b' ' || !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                break;
            }
            self.pos += 1;
        }
    }

    #[inline]
    fn flush(&mut self, to: usize) {
        debug_assert!(self.copy_from <= to);
        if to > self.copy_from {
            self.out.push(Piece::Input {
                start: self.copy_from,
                end: to,
            });
        }
        self.copy_from = to;
    }

    #[cold]
    fn unexpected(&self, expected: &str) -> Fault {
        match self.peek() {
            None => fault(
                &format!("unexpected end of input, expected {expected}"),
                self.pos,
            ),
            Some(_) => fault(&format!("expected {expected}"), self.pos),
        }
    }

    /// Runs to the end of the top-level object; returns whether any of its
    /// members is left in the output. Inlined into its one caller: out of
    /// line it keeps the scanner's state in memory (about 10% more
    /// instructions in the benchmark's profile).
    #[inline(always)]
    fn run(&mut self) -> Result<bool, Fault> {
        self.skip_ws();
        match self.peek() {
            Some(b'{') => {}
            None => return Err(fault("empty event", self.pos)),
            Some(b) => return Err(self.not_an_object(b)),
        }
        self.copy_from = self.pos;
        self.pos += 1;
        self.push(true, Context::Top)?;
        self.skip_ws();
        let mut value_next = self.peek() != Some(b'}');
        if value_next {
            self.member()?;
        }
        // Each turn scans one value and then what follows it, up to the
        // next value. Straight-line branches, not a state variable: the CPU
        // predicts them from the shape of the event.
        loop {
            if value_next && !self.value()? {
                continue;
            }
            value_next = true;
            loop {
                if self.cur.skip_value {
                    self.cur.skip_value = false;
                    self.copy_from = self.pos;
                }
                match (self.cur.is_object, self.next_token()) {
                    (true, Some(b',')) => {
                        let frame = &mut self.cur;
                        frame.last_comma = self.pos;
                        if !frame.kept && !frame.inert {
                            // Every member so far was dropped: so is this comma.
                            self.copy_from = self.pos + 1;
                        }
                        self.pos += 1;
                        self.skip_ws();
                        self.member()?;
                        break;
                    }
                    (false, Some(b',')) => {
                        self.pos += 1;
                        self.skip_ws();
                        break;
                    }
                    (true, Some(b'}')) | (false, Some(b']')) => {
                        if let Some(kept) = self.close()? {
                            return Ok(kept);
                        }
                    }
                    (true, _) => return Err(self.unexpected("',' or '}' after an object member")),
                    (false, _) => return Err(self.unexpected("',' or ']' after an array element")),
                }
            }
        }
    }

    /// Says what the event is instead of an object, once the token that
    /// starts it is known to be what its first byte suggests: `nope` is an
    /// invalid literal, not null.
    #[cold]
    fn not_an_object(&mut self, first: u8) -> Fault {
        let at = self.pos;
        let what = match first {
            b'[' => "the event is an array, not a JSON object",
            b'"' => "the event is a string, not a JSON object",
            b'-' | b'0'..=b'9' => match self.number() {
                Ok(()) => "the event is a number, not a JSON object",
                Err(e) => return e,
            },
            b't' | b'f' | b'n' => {
                let (word, what) = match first {
                    b't' => (&b"true"[..], "the event is a boolean, not a JSON object"),
                    b'f' => (&b"false"[..], "the event is a boolean, not a JSON object"),
                    _ => (&b"null"[..], "the event is null, not a JSON object"),
                };
                if let Err(e) = self.literal(word) {
                    return e;
                }
                what
            }
            _ => "unexpected character, expected a JSON object",
        };
        fault(what, at)
    }

    #[inline(always)]
    fn push(&mut self, is_object: bool, context: Context) -> Result<(), Fault> {
        if self.depth >= self.plan.max_depth {
            return Err(self.too_deep());
        }
        let parent = self.cur;
        self.stack.push(parent);
        self.depth += 1;
        self.cur = Frame {
            is_object,
            inert: self.depth > 1 && (parent.inert || parent.skip_value),
            kept: false,
            skip_value: false,
            context,
            last_comma: 0,
        };
        Ok(())
    }

    #[cold]
    fn too_deep(&self) -> Fault {
        fault(
            &format!("nesting deeper than {} levels", self.plan.max_depth),
            self.pos,
        )
    }

    /// Closes the container whose closing bracket is at `pos`. Returns
    /// `Some(kept)` when that was the top-level object.
    #[inline(always)]
    fn close(&mut self) -> Result<Option<bool>, Fault> {
        let frame = self.cur;
        self.cur = self.stack.pop().expect("closing an open container");
        self.depth -= 1;
        if frame.context == Context::Payload {
            self.settle_envelope(frame);
        }
        if self.depth == 0 {
            let end = self.pos;
            self.pos += 1;
            self.skip_ws();
            if self.pos != self.input.len() {
                return Err(fault("unexpected data after the event", self.pos));
            }
            // The caller appends what is missing before the closing brace.
            self.flush(end);
            return Ok(Some(frame.kept));
        }
        self.pos += 1;
        Ok(None)
    }

    /// Scans a member's name and colon and decides what becomes of it.
    #[inline(always)]
    fn member(&mut self) -> Result<(), Fault> {
        if self.peek() != Some(b'"') {
            return Err(self.unexpected("a member name"));
        }
        let key_start = self.pos;
        let escaped = self.string()?;
        let input = self.input;
        let key_body = &input[key_start + 1..self.pos - 1];
        if self.next_token() != Some(b':') {
            return Err(self.unexpected("':' after a member name"));
        }
        self.pos += 1;
        self.skip_ws();
        let value_start = self.pos;

        let frame = self.cur;
        // Names are compared as a JSON reader sees them, after unescaping.
        let (read, edit) = if escaped {
            let mut key = std::mem::take(self.key);
            json::unescape(key_body, &mut key);
            let mut decided = self.decide(frame, &key);
            // Only a name with an escape can hold a quote.
            if !frame.inert && self.plan.key_material.in_text(&key) {
                decided.1 = Edit::Drop;
            } else if decided.1 == Edit::Keep && !frame.inert {
                decided.1 = folded_edit(self.plan, frame.context, &key);
            }
            *self.key = key;
            decided
        } else {
            let mut decided = self.decide(frame, key_body);
            // A name outside ASCII (only in an event with such bytes) may
            // fold to a key-material name.
            if decided.1 == Edit::Keep && self.index.any_high && !frame.inert {
                decided.1 = folded_edit(self.plan, frame.context, key_body);
            }
            decided
        };

        self.capture_into = None;
        self.child_context = Context::Plain;
        match read {
            None => {}
            Some(Read::Value(field)) => self.capture_into = Some(field),
            Some(Read::Object(context, field)) => {
                // A later occurrence of the member replaces what an earlier one said.
                self.child_context = context;
                self.captures[field as usize] = Capture::Missing;
            }
        }
        if frame.inert {
            return Ok(());
        }
        if edit == Edit::Redact
            && matches!(self.envelope, Envelope::No)
            && may_be_envelope(
                self.plan,
                frame.context,
                self.key_name(key_body, escaped),
                self.peek(),
            )
        {
            // Kept for now, as the event of an envelope; undone at the
            // object's end unless it holds a string `action`.
            self.envelope = Envelope::Pending(Undo {
                pieces: self.out.len(),
                copy_from: self.copy_from,
                frame,
                redacted: self.redacted,
                key_start,
                value_start,
            });
            self.child_context = Context::Payload;
            self.cur.kept = true;
            return Ok(());
        }
        match edit {
            Edit::Keep => self.cur.kept = true,
            Edit::Redact => {
                self.redacted = self.redacted.saturating_add(1);
                match &self.plan.key_material.mode {
                    RedactMode::Remove => self.drop_member(frame, key_start),
                    RedactMode::Mask(_) => {
                        self.flush(value_start);
                        self.out.push(Piece::Mask);
                        self.keep_skipping_value();
                    }
                }
            }
            Edit::Drop => {
                self.redacted = self.redacted.saturating_add(1);
                self.drop_member(frame, key_start);
            }
            Edit::Shadow => self.drop_member(frame, key_start),
            Edit::Severity | Edit::RouteField => {
                let inner = frame.context == Context::Payload;
                let (seen, piece) = match (edit, inner) {
                    (Edit::Severity, false) => (&mut self.has_severity, Piece::Severity),
                    (Edit::Severity, true) => (&mut self.has_inner_severity, Piece::Severity),
                    (_, false) => (&mut self.has_route, Piece::Route),
                    (_, true) => (&mut self.has_inner_route, Piece::Route),
                };
                if !*seen {
                    *seen = true;
                    self.flush(value_start);
                    self.out.push(piece);
                    self.keep_skipping_value();
                } else {
                    // The output holds one such member: later ones go.
                    self.drop_member(frame, key_start);
                }
            }
        }
        Ok(())
    }

    /// A member name as compared: unescaped when it held escapes (then in
    /// `key`, where `member` left it).
    fn key_name<'k>(&'k self, body: &'k [u8], escaped: bool) -> &'k [u8] {
        if escaped {
            self.key
        } else {
            body
        }
    }

    /// At the end of a top-level `payload` object: an envelope if it held
    /// a string `action` (its severity, and route field, added where it
    /// lacks them); else the member is key material after all, and what
    /// the scan did with it is undone and redone as a redaction.
    #[cold]
    fn settle_envelope(&mut self, payload: Frame) {
        let Envelope::Pending(undo) = self.envelope else {
            return;
        };
        if is_envelope_event(&self.captures) {
            self.envelope = Envelope::Yes;
            self.flush(self.pos);
            let mut comma = payload.kept;
            if !self.has_inner_severity {
                self.out.push(Piece::SeverityMember { comma });
                comma = true;
            }
            if self.plan.route_field.is_some() && !self.has_inner_route {
                self.out.push(Piece::RouteMember { comma });
            }
            return;
        }
        self.envelope = Envelope::No;
        self.out.truncate(undo.pieces);
        self.copy_from = undo.copy_from;
        self.redacted = undo.redacted.saturating_add(1);
        self.cur.kept = undo.frame.kept;
        self.captures[INNER_FIELDS].fill(Capture::Missing);
        self.has_inner_severity = false;
        self.has_inner_route = false;
        match &self.plan.key_material.mode {
            RedactMode::Remove => self.drop_member(undo.frame, undo.key_start),
            RedactMode::Mask(_) => {
                self.flush(undo.value_start);
                self.out.push(Piece::Mask);
                self.keep_skipping_value();
            }
        }
    }

    #[inline(always)]
    fn decide(&self, frame: Frame, name: &[u8]) -> (Option<Read>, Edit) {
        let kinds = self.plan.names.kinds(name);
        if kinds == 0 {
            return (None, Edit::Keep);
        }
        let read = match frame.context {
            Context::Plain => None,
            _ if kinds & name_filter::READ == 0 => None,
            context => read_of(context, name),
        };
        let edit = if frame.inert {
            Edit::Keep
        } else {
            edit_of_kinds(self.plan, frame.context, name, kinds)
        };
        (read, edit)
    }

    /// Leaves the member out of the output: with the comma before it when a
    /// member before it stays, else with the comma after it (see `run`).
    fn drop_member(&mut self, frame: Frame, key_start: usize) {
        let to = if frame.kept {
            frame.last_comma
        } else {
            key_start
        };
        self.flush(to);
        self.cur.skip_value = true;
    }

    /// A string value (at `value_start`, scanned up to `pos`) with an
    /// escape in it: if it holds JSON text with key material
    /// (`KeyMaterial::in_text`), the value becomes null, or the mask in
    /// mask mode. Out of line: the hot path only tests for the escape.
    #[cold]
    #[inline(never)]
    fn text_value(&mut self, value_start: usize) {
        if self.cur.inert || self.cur.skip_value {
            return;
        }
        let mut text = std::mem::take(self.key);
        json::unescape(&self.input[value_start + 1..self.pos - 1], &mut text);
        let found = self.plan.key_material.in_text(&text);
        *self.key = text;
        if !found {
            return;
        }
        self.redacted = self.redacted.saturating_add(1);
        self.flush(value_start);
        self.out.push(match self.plan.key_material.mode {
            RedactMode::Mask(_) => Piece::Mask,
            RedactMode::Remove => Piece::Null,
        });
        self.copy_from = self.pos;
    }

    fn keep_skipping_value(&mut self) {
        self.cur.kept = true;
        self.cur.skip_value = true;
    }

    #[inline(always)]
    fn record(&mut self, capture: Capture) {
        if let Some(field) = self.capture_into.take() {
            self.captures[field as usize] = capture;
        }
    }

    /// Scans the value at `pos` (after whitespace). Returns true when the
    /// value is complete or is an empty container whose closing bracket is
    /// at `pos`; false when it opened a container whose first member or
    /// element is next (a member's name already scanned).
    #[inline(always)]
    fn value(&mut self) -> Result<bool, Fault> {
        let child_context = std::mem::replace(&mut self.child_context, Context::Plain);
        let first = self.next_token();
        // Strings first: most values are strings.
        if first == Some(b'"') {
            let start = self.pos + 1;
            let escaped = self.string()?;
            self.record(Capture::Str {
                start,
                end: self.pos - 1,
                escaped,
            });
            // Only a string with an escape can hold a quote, so only such a
            // string can hold JSON text.
            if escaped {
                self.text_value(start - 1);
            }
            return Ok(true);
        }
        match first {
            Some(b'{') => {
                self.record(Capture::Other);
                self.push(true, child_context)?;
                self.pos += 1;
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    return Ok(true);
                }
                self.member()?;
                return Ok(false);
            }
            Some(b'[') => {
                self.record(Capture::Other);
                self.push(false, Context::Plain)?;
                self.pos += 1;
                self.skip_ws();
                return Ok(self.peek() == Some(b']'));
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos;
                self.number()?;
                self.record(Capture::Num {
                    start,
                    end: self.pos,
                });
            }
            Some(b't') => {
                self.literal(b"true")?;
                self.record(Capture::Other);
            }
            Some(b'f') => {
                self.literal(b"false")?;
                self.record(Capture::Other);
            }
            Some(b'n') => {
                self.literal(b"null")?;
                self.record(Capture::Null);
            }
            _ => return Err(self.unexpected("a value")),
        }
        Ok(true)
    }

    fn literal(&mut self, word: &[u8]) -> Result<(), Fault> {
        if self.input[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(fault("invalid literal", self.pos))
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Result<(), Fault> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(fault("invalid number", start)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(fault("invalid number: no digit after '.'", start));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(fault("invalid number: no digit in the exponent", start));
            }
        }
        Ok(())
    }

    /// Scans a string literal starting at its opening quote; leaves `pos`
    /// after the closing quote. Returns whether it holds any escape.
    #[inline(always)]
    fn string(&mut self) -> Result<bool, Fault> {
        let start = self.pos;
        let mut i = start + 1;
        let mut escaped = false;
        loop {
            let Some(k) = self.index.next_special(i) else {
                return Err(fault("unterminated string", start));
            };
            i = k;
            match self.input[i] {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.pos = i;
                    self.escape()?;
                    i = self.pos;
                }
                _ => return Err(fault("control character in a string", i)),
            }
        }
        // Only strings may hold non-ASCII bytes (anywhere else they are a
        // syntax error), so UTF-8 is validated here and only when needed.
        if self.index.any_high && !self.input[start + 1..i].is_ascii() {
            if let Err(e) = std::str::from_utf8(&self.input[start + 1..i]) {
                return Err(fault("invalid UTF-8", start + 1 + e.valid_up_to()));
            }
        }
        self.pos = i + 1;
        Ok(escaped)
    }

    /// Validates one escape sequence at `pos` (the backslash).
    fn escape(&mut self) -> Result<(), Fault> {
        let at = self.pos;
        match self.input.get(at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.pos += 2;
                Ok(())
            }
            Some(b'u') => {
                let unit = self.hex_escape(at)?;
                match unit {
                    0xD800..=0xDBFF => {
                        if self.input.get(self.pos) == Some(&b'\\')
                            && self.input.get(self.pos + 1) == Some(&b'u')
                        {
                            let low_at = self.pos;
                            let low = self.hex_escape(low_at)?;
                            if (0xDC00..=0xDFFF).contains(&low) {
                                return Ok(());
                            }
                        }
                        Err(fault("unpaired surrogate escape", at))
                    }
                    0xDC00..=0xDFFF => Err(fault("unpaired surrogate escape", at)),
                    _ => Ok(()),
                }
            }
            _ => Err(fault("invalid escape in a string", at)),
        }
    }

    /// Reads `\uXXXX` at `at`; leaves `pos` after it.
    fn hex_escape(&mut self, at: usize) -> Result<u32, Fault> {
        let digits = self.input.get(at + 2..at + 6);
        match digits {
            Some(d) if d.iter().all(|&h| json::hex_value(h).is_some()) => {
                self.pos = at + 6;
                Ok(json::hex4(d))
            }
            _ => Err(fault("invalid \\u escape in a string", at)),
        }
    }
}
