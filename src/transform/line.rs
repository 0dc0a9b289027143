//! Records that carry their event as JSON text in a line member
//! (`msgpack.line_member`): what a shipper hands on when it leaves the
//! parsing to kpaudit, such as Fluent Bit's tail without a parser
//! (`{"log": "<line>"}`, with whatever members `Path_Key` or other filters
//! add). The line is read as a JSON event, transformed as one, and encoded
//! as the record; the other members are validated and stripped of key
//! material as any value is, and kept beside the event's. The line's own
//! bytes never reach the output except through the event's transform.

use super::{ItemFacts, Output, Transform};
use crate::error::Error;
use crate::json_msgpack;
use crate::mpscan::Rest;
use crate::msgpack::{self, Head};

/// A record holding its line member: where the member and the line are.
pub(super) struct Split {
    /// The members before the line member end here; the members after it
    /// start at `member_end`.
    member_start: usize,
    member_end: usize,
    /// The line's text.
    line: (usize, usize),
    /// The record's header length, members and end.
    header: usize,
    members: u64,
    end: usize,
    /// Whether another member is named as the caller asked (see
    /// `ItemFacts::has_member`).
    has_member: bool,
}

/// Where the work of a line record is kept between events.
#[derive(Debug, Default)]
pub(crate) struct LineScratch {
    /// The other members, as a map, before and after their scan.
    others: Vec<u8>,
    scanned: Vec<u8>,
    /// The event's transform, as JSON text.
    json: Vec<u8>,
    convert: json_msgpack::Scratch,
}

/// The first top-level member of the map `record` named `name` (a string)
/// with a string value, and whether another member is named `member` (a
/// string or binary name; empty: not looked for). None when there is no
/// such line, or the record is not a well-formed map (the record scan then
/// says what is wrong with it).
pub(super) fn split(record: &[u8], rest: Rest, name: &[u8], member: &[u8]) -> Option<Split> {
    let (Head::Map { members }, header) = msgpack::head(record, 0).ok()? else {
        return None;
    };
    let mut pos = header;
    let mut found = None;
    let mut has_member = false;
    for _ in 0..members {
        let key = pos;
        let value = msgpack::value_end(record, key).ok()?;
        pos = msgpack::value_end(record, value).ok()?;
        let (key_name, is_str) = match msgpack::head(record, key) {
            Ok((Head::Str { len }, h)) => (record.get(key + h..key + h + len), true),
            Ok((Head::Bin { len }, h)) => (record.get(key + h..key + h + len), false),
            _ => (None, false),
        };
        let Some(key_name) = key_name else {
            continue;
        };
        let line_header = match msgpack::head(record, value) {
            Ok((Head::Str { .. }, h)) if found.is_none() && is_str && key_name == name => Some(h),
            _ => None,
        };
        if let Some(h) = line_header {
            found = Some((key, pos, (value + h, pos)));
        } else if !member.is_empty() && key_name == member {
            has_member = true;
        }
    }
    if rest == Rest::Refused && pos != record.len() {
        return None;
    }
    let (member_start, member_end, line) = found?;
    Some(Split {
        member_start,
        member_end,
        line,
        header,
        members,
        end: pos,
        has_member,
    })
}

impl Transform {
    /// Transforms a record holding its line member (`split`, its size
    /// already checked) into `out.data`: the event read from the line, with
    /// the other members after its own.
    pub(super) fn line_into(
        &self,
        record: &[u8],
        split: &Split,
        out: &mut Output,
    ) -> Result<ItemFacts, Error> {
        let mut work = std::mem::take(&mut out.line);
        let result = self.line_with(record, split, out, &mut work);
        out.line = work;
        result
    }

    fn line_with(
        &self,
        record: &[u8],
        split: &Split,
        out: &mut Output,
        work: &mut LineScratch,
    ) -> Result<ItemFacts, Error> {
        // The other members, as one map scanned as any value is: errors
        // count from the record's first byte.
        work.others.clear();
        let mut header = [0u8; 5];
        let len = msgpack::map_header_into(split.members - 1, &mut header);
        work.others.extend_from_slice(&header[..len]);
        work.others
            .extend_from_slice(&record[split.header..split.member_start]);
        work.others
            .extend_from_slice(&record[split.member_end..split.end]);
        work.scanned.clear();
        let plan = self.plan();
        let others = self
            .scan_value(
                &work.others,
                &plan,
                &mut out.msgpack_stack,
                &mut work.scanned,
            )
            .map_err(|e| {
                // An offset past the new header is one in the record, shifted
                // by the line member where it came after it.
                let shift = |at: usize| {
                    let at = at.saturating_sub(len) + split.header;
                    if at >= split.member_start {
                        at + (split.member_end - split.member_start)
                    } else {
                        at
                    }
                };
                e.moved(shift)
            })?;
        let (kept, kept_header) = match msgpack::head(&work.scanned, 0) {
            Ok((Head::Map { members }, header)) => (members, header),
            _ => return Err(Error::event("the record is not a map", 0)),
        };

        // The event.
        let (start, end) = split.line;
        let line = &record[start..end];
        out.scratch.index.build(line);
        let decided = self
            .decide_indexed(line, out)
            .map_err(|e| e.within("the line member", start))?;
        work.json.clear();
        self.assemble(line, &out.scratch.pieces, &decided, &mut work.json);
        let deepest = json_msgpack::object_into(
            &work.json,
            (kept, &work.scanned[kept_header..]),
            &mut work.convert,
            &mut out.data,
        )
        .map_err(|e| e.within("the line member", start))?;
        self.record_decisions(
            out,
            decided.severity,
            decided.route,
            decided.redacted.saturating_add(others.redacted),
        );
        Ok(ItemFacts {
            len: split.end,
            nesting: deepest.max(others.deepest),
            has_member: split.has_member,
        })
    }
}
