//! The MessagePack record scanner: the JSON scanner's twin for records that
//! arrive as a MessagePack map (a log shipper's decoded body). One pass that
//! validates the record, copies untouched spans as they are, drops or masks
//! key-material members at any depth (rewriting the count of each map that
//! lost members), and notes where the values that decide severity and
//! route are. Member names are compared as the JSON path compares them.

use crate::error::Error;
use crate::msgpack::{self, Head, HeadError, MapWidth};
use crate::name_filter::READ;
use crate::redact::RedactMode;
use crate::scan::{
    edit_of_kinds, envelope_refused, folded_edit, is_envelope_event, may_be_envelope, read_of,
    Capture, Captures, Context, Edit, Plan, Read, INNER_FIELDS,
};
use crate::swar;

/// What is wrong with the input, and where: what the scanner's steps
/// return. Small and `Copy` (a `Result` of it fits in two registers), so
/// that the hot path does not carry an `Error` around; it becomes one
/// once, when the scan fails.
#[derive(Clone, Copy, Debug)]
struct Fault {
    what: FaultKind,
    offset: usize,
}

#[derive(Clone, Copy, Debug)]
enum FaultKind {
    End,
    Reserved,
    Utf8,
    KeyIsContainer,
    TooDeep,
    AfterValue,
    AfterRecord,
}

impl Fault {
    fn at(what: FaultKind, offset: usize) -> Fault {
        Fault { what, offset }
    }

    #[cold]
    fn into_error(self, max_depth: usize) -> Error {
        let what = match self.what {
            FaultKind::End => "unexpected end of input",
            FaultKind::Reserved => "invalid MessagePack type byte 0xc1",
            FaultKind::Utf8 => "invalid UTF-8",
            FaultKind::KeyIsContainer => "a map key is an array or a map",
            FaultKind::TooDeep => {
                return Error::event(
                    &format!("nesting deeper than {max_depth} levels"),
                    self.offset,
                )
            }
            FaultKind::AfterValue => "unexpected data after the value",
            FaultKind::AfterRecord => "unexpected data after the record",
        };
        Error::event(what, self.offset)
    }
}

/// What the scan found, for the transform to decide on and assemble.
#[derive(Debug)]
pub struct Scanned {
    pub captures: Captures,
    /// Output offsets where the value of the first top-level `severity`
    /// (and route field) member goes.
    pub severity_hole: Option<usize>,
    pub route_hole: Option<usize>,
    /// Members of the top-level map left in the output.
    pub top_members: u64,
    pub top_width: MapWidth,
    pub redacted: u32,
    /// Set when the record is an ingestion envelope: where its event (the
    /// `payload` map) takes the members it lacks, and its holes.
    pub envelope: Option<EnvelopeEvent>,
    /// Where the value ended in the input (its length).
    pub end: usize,
    /// The most containers open at once (the record's map counts 1, as
    /// does a value's outermost container).
    pub deepest: usize,
    /// Whether the record has a top-level member named `Plan::watch`.
    pub watched: bool,
}

/// Whether the input must end with the value, or may go on after it (a
/// stream of items, where the scan tells where the first one ends).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rest {
    Refused,
    Allowed,
}

/// The event inside an envelope, as the caller completes it.
#[derive(Clone, Copy, Debug)]
pub struct EnvelopeEvent {
    /// Output offset of the event map's header, its width, and its count
    /// once the members below are added.
    pub header_out: usize,
    pub width: MapWidth,
    pub count: u64,
    /// Output offset just past its last member, where missing members go.
    pub end: usize,
    pub severity_hole: Option<usize>,
    pub route_hole: Option<usize>,
    /// Whether `severity` (and the route field) must be added at `end`.
    pub add_severity: bool,
    pub add_route: bool,
}

/// Whether the record is an ingestion envelope (see the JSON scanner).
#[derive(Clone, Copy, Debug)]
enum Envelope {
    No,
    Pending(Undo),
    Yes(EnvelopeEvent),
}

/// The scan's state where a top-level `payload` map started.
#[derive(Clone, Copy, Debug)]
struct Undo {
    out_len: usize,
    copy_from: usize,
    kept: u64,
    redacted: u32,
    key_start: usize,
    value_start: usize,
}

#[derive(Clone, Copy, Debug)]
pub struct Frame {
    is_map: bool,
    /// Items (array) or members (map) not yet scanned.
    left: u64,
    /// In a map: the next item is a member name.
    want_key: bool,
    /// Inside a value that is dropped or replaced: no more edits.
    inert: bool,
    /// The current member's value is not copied.
    skip_value: bool,
    context: Context,
    /// Where this map's header is in the output (once the span holding it
    /// is flushed: whatever patches it flushes first), its width, and how
    /// many members it declared and keeps.
    header_out: usize,
    width: MapWidth,
    declared: u64,
    kept: u64,
}

struct Scanner<'i, 'o> {
    input: &'i [u8],
    rest: Rest,
    pos: usize,
    out: &'o mut Vec<u8>,
    copy_from: usize,
    cur: Frame,
    depth: usize,
    stack: &'o mut Vec<Frame>,
    plan: &'o Plan<'o>,
    /// The mask as a MessagePack string, in mask mode.
    mask: &'o [u8],
    captures: Captures,
    capture_into: Option<crate::scan::Field>,
    child_context: Context,
    severity_hole: Option<usize>,
    route_hole: Option<usize>,
    redacted: u32,
    /// Maps at this depth or above have their count written by the caller.
    caller_counts: usize,
    inner_severity_hole: Option<usize>,
    inner_route_hole: Option<usize>,
    envelope: Envelope,
    deepest: usize,
    watched: bool,
}

/// What the value scanned is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Top {
    /// An event's record: a map, whose top-level count the caller writes
    /// once it has added members.
    Record,
    /// Any value (an event's header, a shipper's group marker): validated
    /// and stripped of key material at any depth, nothing read or added.
    Value,
}

/// Scans the record `input` (already checked for size) into `out`, leaving
/// out the values of the severity and route members, which the caller
/// inserts at the holes, and leaving the top-level count for the caller to
/// write. On error `out` holds partial output the caller must discard.
///
/// With `Top::Value` the input is any one value; its output is complete
/// (every map's count written) and appended to `out`.
pub fn scan(
    input: &[u8],
    top: Top,
    rest: Rest,
    plan: &Plan<'_>,
    mask: &[u8],
    stack: &mut Vec<Frame>,
    out: &mut Vec<u8>,
) -> Result<Scanned, Error> {
    let out_len = out.len();
    let pass = Pass {
        input,
        top,
        rest,
        mask,
    };
    let scanned = scan_once(pass, plan, stack, out)?;
    if scanned.envelope.is_some() && envelope_refused(&scanned.captures) {
        out.truncate(out_len);
        let plan = Plan {
            envelope: false,
            ..*plan
        };
        return scan_once(pass, &plan, stack, out);
    }
    Ok(scanned)
}

/// What one pass of `scan` reads: the same for a second pass.
#[derive(Clone, Copy)]
struct Pass<'a> {
    input: &'a [u8],
    top: Top,
    rest: Rest,
    mask: &'a [u8],
}

fn scan_once(
    pass: Pass<'_>,
    plan: &Plan<'_>,
    stack: &mut Vec<Frame>,
    out: &mut Vec<u8>,
) -> Result<Scanned, Error> {
    let Pass {
        input,
        top,
        rest,
        mask,
    } = pass;
    stack.clear();
    let (top, pos, depth) = match top {
        Top::Record => {
            let (members, header) = match msgpack::head(input, 0) {
                Ok((Head::Map { members }, header)) => (members, header),
                Err(HeadError::End) => return Err(Error::event("empty event", 0)),
                _ => return Err(Error::event("the record is not a map", 0)),
            };
            let frame = Frame {
                is_map: true,
                left: members,
                want_key: true,
                inert: false,
                skip_value: false,
                context: Context::Top,
                header_out: out.len(),
                width: msgpack::map_width(input[0]),
                declared: members,
                kept: 0,
            };
            (frame, header, 1)
        }
        // A one-item array around the value, at depth 0, so that the
        // value's own containers count from depth 1 as a record's do.
        Top::Value => {
            let frame = Frame {
                is_map: false,
                left: 1,
                want_key: false,
                inert: false,
                skip_value: false,
                context: Context::Plain,
                header_out: out.len(),
                width: MapWidth::Fix,
                declared: 1,
                kept: 0,
            };
            (frame, 0, 0)
        }
    };
    let caller_counts = depth;
    let copy_from = 0;
    let mut s = Scanner {
        input,
        rest,
        pos,
        out,
        copy_from,
        cur: top,
        depth,
        stack,
        plan,
        mask,
        captures: Captures::default(),
        capture_into: None,
        child_context: Context::Plain,
        severity_hole: None,
        route_hole: None,
        redacted: 0,
        caller_counts,
        inner_severity_hole: None,
        inner_route_hole: None,
        envelope: Envelope::No,
        deepest: depth,
        watched: false,
    };
    s.run().map_err(|f| f.into_error(plan.max_depth))?;
    Ok(Scanned {
        captures: s.captures,
        severity_hole: s.severity_hole,
        route_hole: s.route_hole,
        top_members: s.cur.kept,
        top_width: s.cur.width,
        redacted: s.redacted,
        envelope: match s.envelope {
            Envelope::Yes(event) => Some(event),
            _ => None,
        },
        end: s.pos,
        deepest: s.deepest,
        watched: s.watched,
    })
}

impl Scanner<'_, '_> {
    fn flush(&mut self, to: usize) {
        self.out.extend_from_slice(&self.input[self.copy_from..to]);
        self.copy_from = to;
    }

    #[inline(always)]
    fn head(&self) -> Result<(Head, usize), Fault> {
        msgpack::head(self.input, self.pos).map_err(|e| match e {
            HeadError::End => Fault::at(FaultKind::End, self.pos),
            HeadError::Reserved => Fault::at(FaultKind::Reserved, self.pos),
        })
    }

    /// The `len`-byte body after a header of `header` bytes.
    fn body(&self, header: usize, len: usize) -> Result<(usize, usize), Fault> {
        let start = self.pos + header;
        match start.checked_add(len) {
            Some(end) if end <= self.input.len() => Ok((start, end)),
            _ => Err(Fault::at(FaultKind::End, self.input.len())),
        }
    }

    /// A string's body, validated, and whether it holds a `"` or `\` (then
    /// it may hold JSON text, see `KeyMaterial::in_text`) and whether it is
    /// all ASCII.
    #[inline(always)]
    fn string(&self, header: usize, len: usize) -> Result<(usize, usize, swar::Text), Fault> {
        let (start, end) = self.body(header, len)?;
        // Most strings are ASCII, which a vector check confirms for less
        // than the full UTF-8 check costs; the same loads find quotes and
        // backslashes.
        let text = swar::text_within(self.input, start, end);
        if !text.ascii {
            let bytes = &self.input[start..end];
            if let Err(e) = std::str::from_utf8(bytes) {
                return Err(Fault::at(FaultKind::Utf8, start + e.valid_up_to()));
            }
        }
        Ok((start, end, text))
    }

    fn run(&mut self) -> Result<(), Fault> {
        loop {
            if self.cur.left == 0 {
                let closed = self.cur;
                self.close();
                match self.stack.pop() {
                    Some(parent) => {
                        self.cur = parent;
                        self.depth -= 1;
                        if closed.context == Context::Payload {
                            self.settle_envelope(closed);
                        }
                        self.value_done();
                        continue;
                    }
                    None => break,
                }
            }
            if self.cur.is_map && self.cur.want_key {
                self.member_name()?;
            } else {
                self.value()?;
            }
        }
        self.flush(self.pos);
        if self.pos != self.input.len() && self.rest == Rest::Refused {
            let what = if self.caller_counts == 0 {
                FaultKind::AfterValue
            } else {
                FaultKind::AfterRecord
            };
            return Err(Fault::at(what, self.pos));
        }
        Ok(())
    }

    /// The rest of the common member, whose name (ending at `name_end`) is
    /// ASCII with no quote or backslash and that the name filter places
    /// among the names read at most, so nothing is done to it (`read`:
    /// what is read from it here): what the rest of `member_name` and, for
    /// a scalar value, `value` would make of it, in the same order (the
    /// same faults at the same offsets), without their bookkeeping; the
    /// member stays in the span that is copied as it is. A container,
    /// binary or extension value is left for `value`.
    #[inline(always)]
    fn plain_member(&mut self, name_end: usize, read: Option<Read>) -> Result<(), Fault> {
        // What `member_name` leaves for a name it does not act on:
        // `capture_into` and `child_context` are already unset here.
        debug_assert!(self.capture_into.is_none() && self.child_context == Context::Plain);
        if !self.cur.inert {
            self.cur.kept += 1;
        }
        self.pos = name_end;
        let field = match read {
            None => None,
            Some(Read::Value(field)) => Some(field),
            Some(Read::Object(context, field)) => {
                self.child_context = context;
                self.captures[field as usize] = Capture::Missing;
                self.cur.want_key = false;
                return Ok(());
            }
        };
        let (head, header) = self.head()?;
        let (capture, end) = match head {
            Head::Nil | Head::Bool | Head::Uint(_) | Head::OtherNumber | Head::Float(_) => {
                (header_capture(head), name_end + header)
            }
            Head::Str { len } => self.string_value(name_end, header, len)?,
            _ => {
                self.capture_into = field;
                self.cur.want_key = false;
                return Ok(());
            }
        };
        if let Some(field) = field {
            self.captures[field as usize] = capture;
        }
        self.pos = end;
        self.cur.left -= 1;
        Ok(())
    }

    /// A map's member name, and what becomes of the member. Names are
    /// strings (or binary); a member with another scalar as its key is
    /// kept as it is, except an extension whose data spells key material.
    fn member_name(&mut self) -> Result<(), Fault> {
        let key_start = self.pos;
        let (head, header) = self.head()?;
        let mut other_edit = None;
        let mut ascii = true;
        // `kinds`: what the name filter says the name might be.
        let (name, end, marks, kinds) = match head {
            Head::Str { len } => {
                let (start, end, text) = self.string(header, len)?;
                let name = &self.input[start..end];
                let kinds = self.plan.names.kinds(name);
                // A name that may only be one the scan reads is never edited
                // (`edit_of_kinds`), wherever it is.
                if text.ascii && !text.json_marks && kinds & !READ == 0 {
                    let context = self.cur.context;
                    let read = if kinds == 0 || context == Context::Plain {
                        None
                    } else {
                        read_of(context, name)
                    };
                    return self.plain_member(end, read);
                }
                ascii = text.ascii;
                (Some(name), end, text.json_marks, kinds)
            }
            Head::Bin { len } => {
                let (start, end) = self.body(header, len)?;
                let name = &self.input[start..end];
                ascii = name.is_ascii();
                (
                    Some(name),
                    end,
                    swar::json_marks(name),
                    self.plan.names.kinds(name),
                )
            }
            Head::Ext { len } => {
                let (start, end) = self.body(header, len)?;
                other_edit = ext_name_edit(self.plan, &self.input[start + 1..end]);
                (None, end, false, 0)
            }
            Head::Nil | Head::Bool | Head::Uint(_) | Head::OtherNumber | Head::Float(_) => {
                (None, key_start + header, false, 0)
            }
            Head::Array { .. } | Head::Map { .. } => {
                return Err(Fault::at(FaultKind::KeyIsContainer, key_start));
            }
        };
        self.pos = end;
        // A name that holds JSON text with key material (only a name with a
        // quote or backslash can) goes whole, whatever the filter says of it.
        let drop = marks && name.is_some_and(|n| name_holds_text(self.plan, n));
        // A name outside ASCII may fold to a key-material name, which the
        // filter does not know by its bytes.
        if !ascii && !drop {
            other_edit = name
                .map(|n| folded_edit(self.plan, self.cur.context, n))
                .filter(|&e| e != Edit::Keep);
        }
        // A name the filter turns away is acted on as a non-string key is: kept.
        let name = name.filter(|_| kinds != 0);
        let frame = self.cur;
        self.cur.want_key = false;
        self.capture_into = None;
        self.child_context = Context::Plain;
        if let (Some(name), true) = (name, frame.context != Context::Plain) {
            // The filter lets the watched name by (Plan::watch), and this
            // is a path few names take.
            if frame.context == Context::Top
                && !self.plan.watch.is_empty()
                && name == self.plan.watch
            {
                self.watched = true;
            }
            match read_of(frame.context, name) {
                None => {}
                Some(Read::Value(field)) => self.capture_into = Some(field),
                Some(Read::Object(context, field)) => {
                    self.child_context = context;
                    self.captures[field as usize] = Capture::Missing;
                }
            }
        }
        if frame.inert {
            return Ok(());
        }
        let edit = match name {
            _ if drop => Edit::Drop,
            // The filter may let a name by for another of its kinds: one
            // that folds to key material is still key material.
            Some(name) => match edit_of_kinds(self.plan, frame.context, name, kinds) {
                Edit::Keep => other_edit.unwrap_or(Edit::Keep),
                edit => edit,
            },
            None => other_edit.unwrap_or(Edit::Keep),
        };
        let value_start = self.pos;
        if let (Edit::Redact, Envelope::No, Some(name)) = (edit, self.envelope, name) {
            let first = match msgpack::head(self.input, value_start) {
                Ok((Head::Map { .. }, _)) => Some(b'{'),
                _ => None,
            };
            if may_be_envelope(self.plan, frame.context, name, first) {
                // Kept for now as an envelope's event; undone at the map's
                // end unless it holds a string `action`.
                self.envelope = Envelope::Pending(Undo {
                    out_len: self.out.len(),
                    copy_from: self.copy_from,
                    kept: frame.kept,
                    redacted: self.redacted,
                    key_start,
                    value_start,
                });
                self.child_context = Context::Payload;
                self.cur.kept += 1;
                return Ok(());
            }
        }
        match edit {
            Edit::Keep => self.cur.kept += 1,
            Edit::Redact => {
                self.redacted = self.redacted.saturating_add(1);
                match self.plan.key_material.mode {
                    RedactMode::Remove => self.drop_member(key_start),
                    RedactMode::Mask(_) => {
                        self.flush(value_start);
                        self.out.extend_from_slice(self.mask);
                        self.cur.skip_value = true;
                        self.cur.kept += 1;
                    }
                }
            }
            Edit::Drop => {
                self.redacted = self.redacted.saturating_add(1);
                self.drop_member(key_start);
            }
            Edit::Shadow => self.drop_member(key_start),
            Edit::Severity | Edit::RouteField => {
                let inner = frame.context == Context::Payload;
                let hole = match (edit, inner) {
                    (Edit::Severity, false) => &mut self.severity_hole,
                    (Edit::Severity, true) => &mut self.inner_severity_hole,
                    (_, false) => &mut self.route_hole,
                    (_, true) => &mut self.inner_route_hole,
                };
                if hole.is_none() {
                    *hole = Some(self.out.len() + (value_start - self.copy_from));
                    self.flush(value_start);
                    self.cur.skip_value = true;
                    self.cur.kept += 1;
                } else {
                    // The output holds one such member: later ones go.
                    self.drop_member(key_start);
                }
            }
        }
        Ok(())
    }

    /// At the end of a top-level `payload` map (`self.cur` is the top-level
    /// map again): an envelope's event if it held a string `action`; else
    /// the member is key material after all, and is redone as a redaction.
    #[cold]
    fn settle_envelope(&mut self, payload: Frame) {
        let Envelope::Pending(undo) = self.envelope else {
            return;
        };
        if is_envelope_event(&self.captures) {
            self.flush(self.pos);
            let add_severity = self.inner_severity_hole.is_none();
            let add_route = self.plan.route_field.is_some() && self.inner_route_hole.is_none();
            let event = EnvelopeEvent {
                header_out: payload.header_out,
                width: payload.width,
                count: payload.kept + u64::from(add_severity) + u64::from(add_route),
                end: self.out.len(),
                severity_hole: self.inner_severity_hole,
                route_hole: self.inner_route_hole,
                add_severity,
                add_route,
            };
            if msgpack::fits(event.width, event.count) {
                msgpack::patch_map_count(self.out, event.header_out, event.width, event.count);
            }
            self.envelope = Envelope::Yes(event);
            return;
        }
        self.envelope = Envelope::No;
        self.out.truncate(undo.out_len);
        self.copy_from = undo.copy_from;
        self.redacted = undo.redacted.saturating_add(1);
        self.cur.kept = undo.kept;
        self.captures[INNER_FIELDS].fill(Capture::Missing);
        self.inner_severity_hole = None;
        self.inner_route_hole = None;
        match self.plan.key_material.mode {
            RedactMode::Remove => self.drop_member(undo.key_start),
            RedactMode::Mask(_) => {
                self.flush(undo.value_start);
                self.out.extend_from_slice(self.mask);
                self.cur.skip_value = true;
                self.cur.kept += 1;
            }
        }
    }

    /// A string value (from `value_start`, its body from `start` to `end`)
    /// or binary value with a `"` or `\` in it: if it holds JSON text with key
    /// material (`KeyMaterial::in_text`), the value becomes nil, or the mask
    /// in mask mode. Out of line: the hot path only tests for the marks.
    #[cold]
    #[inline(never)]
    fn text_value(&mut self, value_start: usize, start: usize, end: usize) {
        if self.cur.inert
            || self.cur.skip_value
            || !self.plan.key_material.in_text(&self.input[start..end])
        {
            return;
        }
        self.redacted = self.redacted.saturating_add(1);
        self.flush(value_start);
        match self.plan.key_material.mode {
            RedactMode::Mask(_) => self.out.extend_from_slice(self.mask),
            RedactMode::Remove => self.out.push(msgpack::NIL),
        }
        self.copy_from = end;
    }

    fn drop_member(&mut self, key_start: usize) {
        self.flush(key_start);
        self.cur.skip_value = true;
    }

    /// A string value at `value_start` (its header `header` bytes, its body
    /// `len`), validated: what a read takes of it and where it ends. One
    /// holding JSON text with key material is redacted here.
    #[inline(always)]
    fn string_value(
        &mut self,
        value_start: usize,
        header: usize,
        len: usize,
    ) -> Result<(Capture, usize), Fault> {
        let (start, end, text) = self.string(header, len)?;
        if text.json_marks {
            self.text_value(value_start, start, end);
        }
        let text = Capture::Str {
            start,
            end,
            escaped: false,
        };
        Ok((text, end))
    }

    /// An array item or a member's value.
    fn value(&mut self) -> Result<(), Fault> {
        let value_start = self.pos;
        let (head, header) = self.head()?;
        let (capture, end) = match head {
            Head::Nil | Head::Bool | Head::Uint(_) | Head::OtherNumber | Head::Float(_) => {
                (header_capture(head), value_start + header)
            }
            Head::Str { len } => self.string_value(value_start, header, len)?,
            Head::Bin { len } => {
                let (start, end) = self.body(header, len)?;
                if swar::json_marks(&self.input[start..end]) {
                    self.text_value(value_start, start, end);
                }
                (Capture::Other, end)
            }
            Head::Ext { len } => {
                let (start, end) = self.body(header, len)?;
                // The data after the type byte, which a shipper may print.
                if swar::json_marks(&self.input[start + 1..end]) {
                    self.text_value(value_start, start + 1, end);
                }
                (Capture::Other, end)
            }
            Head::Array { items } => return self.open(false, items, value_start, header),
            Head::Map { members } => return self.open(true, members, value_start, header),
        };
        self.pos = end;
        if let Some(field) = self.capture_into {
            self.captures[field as usize] = capture;
        }
        self.value_done();
        Ok(())
    }

    #[inline(always)]
    fn open(&mut self, is_map: bool, left: u64, at: usize, header: usize) -> Result<(), Fault> {
        if self.depth >= self.plan.max_depth {
            return Err(Fault::at(FaultKind::TooDeep, at));
        }
        if let Some(field) = self.capture_into {
            self.captures[field as usize] = Capture::Other;
        }
        let context = if is_map {
            self.child_context
        } else {
            Context::Plain
        };
        let inert = self.cur.inert || self.cur.skip_value;
        // Where the header lands once the span it is in is copied: nothing
        // between `copy_from` and it is edited (an edit flushes first), so
        // the copy is left to the next flush rather than made now. An inert
        // container's output is never patched.
        let header_out = if inert {
            0
        } else {
            self.out.len() + (at - self.copy_from)
        };
        let child = Frame {
            is_map,
            left,
            want_key: true,
            inert,
            skip_value: false,
            context,
            header_out,
            width: msgpack::map_width(self.input[at]),
            declared: left,
            kept: 0,
        };
        self.stack.push(std::mem::replace(&mut self.cur, child));
        self.depth += 1;
        self.deepest = self.deepest.max(self.depth);
        self.capture_into = None;
        self.child_context = Context::Plain;
        self.pos = at + header;
        Ok(())
    }

    /// The end of a container: a map that lost members gets its count
    /// rewritten (the top-level one is the caller's).
    fn close(&mut self) {
        let frame = self.cur;
        if frame.is_map
            && !frame.inert
            && self.depth > self.caller_counts
            && frame.kept != frame.declared
        {
            self.flush(self.pos);
            msgpack::patch_map_count(self.out, frame.header_out, frame.width, frame.kept);
        }
    }

    fn value_done(&mut self) {
        self.capture_into = None;
        self.child_context = Context::Plain;
        if self.cur.is_map {
            self.cur.want_key = true;
            if self.cur.skip_value {
                self.copy_from = self.pos;
                self.cur.skip_value = false;
            }
        }
        self.cur.left -= 1;
    }
}

/// What a read takes of a value that is all header: nil, a boolean or a
/// number (a negative integer is a number, never a status).
#[inline(always)]
fn header_capture(head: Head) -> Capture {
    match head {
        Head::Nil => Capture::Null,
        Head::Uint(n) => Capture::Uint(n),
        Head::Float(bits) => Capture::Float(bits),
        _ => Capture::Other,
    }
}

/// Whether a member name with a quote or backslash in it holds JSON text with key
/// material (then the member goes whole, `Edit::Drop`); out of line, as
/// `text_value`.
#[cold]
#[inline(never)]
fn name_holds_text(plan: &Plan<'_>, name: &[u8]) -> bool {
    plan.key_material.in_text(name)
}

/// What becomes of a member whose name is an extension with `data` after
/// its type byte. A reader cannot take it for a name, but a shipper prints
/// it (Fluent Bit as escaped bytes) with the value in clear beside it, so
/// data that spells a key-material name, or holds JSON text with one,
/// takes the member out as such a name would. Nothing is read from it.
#[cold]
fn ext_name_edit(plan: &Plan<'_>, data: &[u8]) -> Option<Edit> {
    if swar::json_marks(data) && name_holds_text(plan, data) {
        Some(Edit::Drop)
    } else if plan.key_material.contains(data) {
        Some(Edit::Redact)
    } else {
        None
    }
}
