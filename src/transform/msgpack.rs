//! Records given as MessagePack maps (the body a log shipper such as Fluent
//! Bit has already decoded): the same decisions and bad-input rules as for
//! JSON, without a MessagePack -> JSON -> MessagePack round trip.

use super::{insert, Output, Transform};
use crate::error::Error;
use crate::json;
use crate::mpscan::{self, Rest, Scanned, Top};
use crate::msgpack::{
    self, fits, map_header, map_header_into, patch_map_count, str_value, Head, MapWidth,
};
use crate::name_filter::WATCH;
use crate::redact::RedactMode;
use crate::scan::Plan;
use crate::severity::Severity;
use crate::swar;

/// What a transform writes into MessagePack records, encoded once.
#[derive(Debug)]
pub(super) struct Literals {
    /// Each route name as a MessagePack string, by route index.
    routes: Vec<Vec<u8>>,
    /// The route field's name as a MessagePack string.
    route_field: Option<Vec<u8>>,
    /// The mask as a MessagePack string (empty in remove mode).
    mask: Vec<u8>,
}

impl Literals {
    pub(super) fn new(
        routes: &[String],
        mode: &RedactMode,
        route_field: Option<&[u8]>,
    ) -> Literals {
        let mask = match mode {
            RedactMode::Remove => Vec::new(),
            RedactMode::Mask(literal) => {
                // The mode holds the mask as a JSON literal; the text is
                // what MessagePack needs.
                let mut text = Vec::new();
                json::unescape(&literal[1..literal.len() - 1], &mut text);
                str_value(&String::from_utf8_lossy(&text))
            }
        };
        Literals {
            routes: routes.iter().map(|r| str_value(r)).collect(),
            route_field: route_field.map(|name| str_value(&String::from_utf8_lossy(name))),
            mask,
        }
    }
}

const SEVERITY_KEY: &[u8] = b"\xa8severity";

fn severity_value(severity: Severity) -> &'static [u8] {
    match severity {
        Severity::Normal => b"\xa6normal",
        Severity::Warning => b"\xa7warning",
        Severity::Critical => b"\xa8critical",
    }
}

fn header_len(width: MapWidth) -> usize {
    match width {
        MapWidth::Fix => 1,
        MapWidth::W16 => 3,
        MapWidth::W32 => 5,
    }
}

impl Transform {
    /// Transforms one record, a MessagePack map, into `out` (a MessagePack
    /// map): severity set, key material stripped, route named. On error
    /// `out` holds nothing of the record and the error quotes none of it.
    pub fn transform_msgpack(&self, record: &[u8], out: &mut Output) -> Result<(), Error> {
        let result = self.check_size(record).and_then(|()| {
            out.data.clear();
            self.record_into(record, Rest::Refused, b"", out)
                .map(|_| ())
        });
        if result.is_err() {
            out.reset();
        }
        result
    }

    /// Transforms one item of a shipper's stream into `out`, in the same
    /// framing: a record (a map), or an event framed as `[header, record]`
    /// (a 2-item array of any width, as Fluent Bit frames events: the
    /// header holds the timestamp and metadata). The header is untrusted
    /// input like the record: it is validated the same way, stripped of
    /// key material at any depth, and its bytes count towards the size
    /// limit; a header that fails rejects the item.
    pub fn transform_msgpack_item(&self, item: &[u8], out: &mut Output) -> Result<(), Error> {
        let result = self.item_into(item, out);
        if result.is_err() {
            out.reset();
        }
        result
    }

    /// Validates any one MessagePack value and strips key material from it
    /// at any depth, deciding nothing: for what travels beside events,
    /// such as a shipper's group markers. `out` holds the value, with
    /// severity normal and no route.
    pub fn redact_msgpack(&self, value: &[u8], out: &mut Output) -> Result<(), Error> {
        out.reset();
        let result = self.check_size(value).and_then(|()| {
            let plan = self.plan();
            self.scan_value(value, &plan, &mut out.msgpack_stack, &mut out.data)
        });
        match result {
            Ok(scanned) => {
                out.redacted = scanned.redacted;
                Ok(())
            }
            Err(e) => {
                out.reset();
                Err(e)
            }
        }
    }

    fn check_size(&self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.len() > self.max_event_bytes {
            return Err(Error::too_large(bytes.len(), self.max_event_bytes));
        }
        Ok(())
    }

    /// Transforms the first item of `items` (MessagePack items one after
    /// another, as a shipper's chunk holds them) into `out`, as
    /// `transform_msgpack_item` does, and tells what a host that classifies
    /// its items itself needs to know of it, from the same read: its
    /// length, its nesting, and whether its record has a top-level member
    /// named `member` (empty: not looked for). On error `out` holds nothing
    /// of the item and nothing is known of its length.
    pub fn transform_msgpack_next(
        &self,
        items: &[u8],
        member: &[u8],
        out: &mut Output,
    ) -> Result<ItemFacts, Error> {
        let within_limit = items.len().min(self.max_event_bytes);
        let mut result = self.item_into_with(&items[..within_limit], Rest::Allowed, member, out);
        if result.is_err() && within_limit < items.len() {
            // Cut at the size limit, the item may only be too large: a
            // walk finds its end (only failures pay for it). One that ends
            // within the limit failed for what the read said.
            if let Some(end) = msgpack::skip_value(items, 0) {
                if end > self.max_event_bytes {
                    result = Err(Error::too_large(end, self.max_event_bytes));
                }
            }
        }
        if result.is_err() {
            out.reset();
        }
        result
    }

    fn item_into(&self, item: &[u8], out: &mut Output) -> Result<(), Error> {
        self.check_size(item)?;
        self.item_into_with(item, Rest::Refused, b"", out)
            .map(|_| ())
    }

    fn item_into_with(
        &self,
        item: &[u8],
        rest: Rest,
        member: &[u8],
        out: &mut Output,
    ) -> Result<ItemFacts, Error> {
        out.data.clear();
        let Some((array_header, header_end, plain)) = framed(item) else {
            return self.record_into(item, rest, member, out);
        };
        let plan = self.plan();
        // The header: a plain one is copied as it is; any other is scanned.
        let (header_redacted, header_depth) = if plain && plan.max_depth >= PLAIN_HEADER_DEPTH {
            out.data.extend_from_slice(&item[..header_end]);
            (0, PLAIN_HEADER_DEPTH)
        } else {
            out.data.extend_from_slice(&item[..array_header]);
            let scanned = self
                .scan_value(
                    &item[array_header..header_end],
                    &plan,
                    &mut out.msgpack_stack,
                    &mut out.data,
                )
                .map_err(|e| e.within("the event header", array_header))?;
            (scanned.redacted, scanned.deepest)
        };
        let record = self
            .record_into(&item[header_end..], rest, member, out)
            .map_err(|e| e.within("", header_end))?;
        out.redacted = out.redacted.saturating_add(header_redacted);
        Ok(ItemFacts {
            len: header_end + record.len,
            // the item's own array holds the header's and the record's
            nesting: 1 + header_depth.max(record.nesting),
            has_member: record.has_member,
        })
    }

    /// Scans any one value (a header, a group marker, a line record's
    /// other members) into `dest`: validated and stripped of key material,
    /// nothing decided or added.
    pub(super) fn scan_value(
        &self,
        value: &[u8],
        plan: &Plan<'_>,
        stack: &mut Vec<mpscan::Frame>,
        dest: &mut Vec<u8>,
    ) -> Result<Scanned, Error> {
        mpscan::scan(
            value,
            Top::Value,
            Rest::Refused,
            plan,
            &self.msgpack.mask,
            stack,
            dest,
        )
    }

    /// Transforms `record` (its size already checked), appending it to
    /// `out.data`; returns the record's length, which with `Rest::Allowed`
    /// may be less than the input's.
    fn record_into(
        &self,
        record: &[u8],
        rest: Rest,
        member: &[u8],
        out: &mut Output,
    ) -> Result<ItemFacts, Error> {
        if let Some(name) = &self.line_member {
            if let Some(split) = super::line::split(record, rest, name, member) {
                return self.line_into(record, &split, out);
            }
        }
        let base = out.data.len();
        let watching;
        let mut plan = self.plan();
        if !member.is_empty() {
            watching = self.names.with(member, WATCH);
            plan.names = &watching;
            plan.watch = member;
        }
        out.data.reserve(record.len() + 32);
        let scanned = mpscan::scan(
            record,
            Top::Record,
            rest,
            &plan,
            &self.msgpack.mask,
            &mut out.msgpack_stack,
            &mut out.data,
        )?;
        #[cfg(feature = "panic-injection")]
        crate::fault::on_input(record);

        let (severity, route_index) = self.decisions(
            record,
            &scanned.captures,
            scanned.envelope.is_some(),
            &mut out.unescaped,
        );

        let data = &mut out.data;
        let mut members = scanned.top_members;
        let severity_bytes = severity_value(severity);
        let route_value = self.msgpack.routes[route_index].as_slice();
        let route_key = self.msgpack.route_field.as_deref();
        // Insertions and replacements, applied from the last offset back so
        // that each offset stays right; at one offset, in `order`.
        let mut edits = Edits::default();
        edits.insert(scanned.severity_hole, 0, severity_bytes);
        edits.insert(scanned.route_hole, 1, route_value);
        let mut header = [0u8; 5];
        match &scanned.envelope {
            None => {
                if scanned.severity_hole.is_none() {
                    data.extend_from_slice(SEVERITY_KEY);
                    data.extend_from_slice(severity_bytes);
                    members += 1;
                }
                if let Some(key) = route_key {
                    if scanned.route_hole.is_none() {
                        data.extend_from_slice(key);
                        data.extend_from_slice(route_value);
                        members += 1;
                    }
                }
            }
            // Severity and route field go inside the envelope's event.
            Some(event) => {
                edits.insert(event.severity_hole, 0, severity_bytes);
                edits.insert(event.route_hole, 1, route_value);
                if event.add_severity {
                    edits.insert(Some(event.end), 0, SEVERITY_KEY);
                    edits.insert(Some(event.end), 1, severity_bytes);
                }
                if let (true, Some(key)) = (event.add_route, route_key) {
                    edits.insert(Some(event.end), 2, key);
                    edits.insert(Some(event.end), 3, route_value);
                }
                if !fits(event.width, event.count) {
                    let len = map_header_into(event.count, &mut header);
                    edits.replace(event.header_out, header_len(event.width), &header[..len]);
                }
            }
        }
        edits.apply(data);
        // Last, as it may move everything after it: the top-level count.
        if fits(scanned.top_width, members) {
            patch_map_count(data, base, scanned.top_width, members);
        } else {
            data.splice(
                base..base + header_len(scanned.top_width),
                map_header(members),
            );
        }
        self.record_decisions(out, severity, route_index, scanned.redacted);
        Ok(ItemFacts {
            len: scanned.end,
            nesting: scanned.deepest,
            has_member: scanned.watched,
        })
    }
}

/// What `Transform::transform_msgpack_next` tells of the item it read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ItemFacts {
    /// The item's length in bytes.
    pub len: usize,
    /// The most containers open at once in the item, counted as a
    /// MessagePack reader counts them: its own array and a record's map
    /// each count 1 (`[[t, {}], {}]` is 3: the item, its header and the
    /// metadata map).
    pub nesting: usize,
    /// Whether the record has a top-level member with the name asked for
    /// (compared byte for byte, a string or binary name).
    pub has_member: bool,
}

/// Edits to a record's output: at most a hole and an insertion per member
/// the transform writes, and one header rewrite.
#[derive(Default)]
struct Edits<'a> {
    /// (offset, order at that offset, bytes replaced, new bytes)
    list: [(usize, u8, usize, &'a [u8]); 9],
    len: usize,
}

impl<'a> Edits<'a> {
    fn insert(&mut self, at: Option<usize>, order: u8, bytes: &'a [u8]) {
        if let Some(at) = at {
            self.list[self.len] = (at, order, 0, bytes);
            self.len += 1;
        }
    }

    fn replace(&mut self, at: usize, old_len: usize, bytes: &'a [u8]) {
        self.list[self.len] = (at, 0, old_len, bytes);
        self.len += 1;
    }

    /// Applies the edits from the last offset back (and at one offset,
    /// the last in order first), each moving the tail once.
    fn apply(mut self, data: &mut Vec<u8>) {
        let edits = &mut self.list[..self.len];
        edits.sort_unstable_by_key(|&(at, order, _, _)| std::cmp::Reverse((at, order)));
        for &(at, _, old_len, bytes) in edits.iter() {
            if old_len == 0 {
                insert(data, at, bytes);
            } else {
                data.splice(at..at + old_len, bytes.iter().copied());
            }
        }
    }
}

/// How deep a plain header nests: its array, and the empty map in it.
const PLAIN_HEADER_DEPTH: usize = 2;

/// The length of the header `bytes` starts with, if it is the one nearly
/// every event has: `[time, {}]`, the time an EventTime or a non-negative
/// integer, the metadata map empty, the array and the map in any width, and
/// no `"` or `\` among the EventTime's bytes (a shipper may print an
/// extension's data, so the scan looks there for JSON text). It holds no
/// string, no name and nothing to strip, and its shape is the whole check a
/// scan would make; the scan's fixed cost, several times what these few
/// bytes need, is spared, and so is finding its end. Any other header is
/// scanned.
fn plain_header_len(bytes: &[u8]) -> Option<usize> {
    // A 2-item array in any width (Fluent Bit 4 writes an array32).
    let array = match bytes {
        [0x92, ..] => 1,
        [0xdc, 0, 2, ..] => 3,
        [0xdd, 0, 0, 0, 2, ..] => 5,
        _ => return None,
    };
    let time = match bytes.get(array..)? {
        [0xd7, 0x00, rest @ ..] if rest.len() >= 8 && !swar::json_marks(&rest[..8]) => 10,
        [0x00..=0x7f, ..] => 1,
        [0xce, rest @ ..] if rest.len() >= 4 => 5,
        [0xcf, rest @ ..] if rest.len() >= 8 => 9,
        _ => return None,
    };
    // Empty, in any width (Fluent Bit 5 writes a map32).
    let metadata = match bytes.get(array + time..)? {
        [0x80, ..] => 1,
        [0xde, 0, 0, ..] => 3,
        [0xdf, 0, 0, 0, 0, ..] => 5,
        _ => return None,
    };
    Some(array + time + metadata)
}

/// Where a framed event's header starts and ends, and whether it is plain
/// (`plain_header_len`, which then finds its end): the item is a 2-item
/// array (of any header width) whose first item is whole. `None` for
/// anything else, which is then read as a record.
fn framed(item: &[u8]) -> Option<(usize, usize, bool)> {
    match msgpack::head(item, 0) {
        Ok((Head::Array { items: 2 }, array_header)) => {
            if let Some(len) = plain_header_len(&item[array_header..]) {
                return Some((array_header, array_header + len, true));
            }
            let header_end = msgpack::skip_value(item, array_header)?;
            Some((array_header, header_end, false))
        }
        _ => None,
    }
}
