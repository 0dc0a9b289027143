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
use crate::mpscan::{self, Rest, Top};
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
/// with a string value. None when there is none, or the record is not a
/// well-formed map (the record scan then says what is wrong with it).
pub(super) fn split(record: &[u8], rest: Rest, name: &[u8]) -> Option<Split> {
    let (Head::Map { members }, header) = msgpack::head(record, 0).ok()? else {
        return None;
    };
    let mut pos = header;
    let mut found = None;
    for _ in 0..members {
        let key = pos;
        let value = msgpack::value_end(record, key).ok()?;
        pos = msgpack::value_end(record, value).ok()?;
        if found.is_some() {
            continue;
        }
        if let (Ok((Head::Str { len }, key_header)), Ok((Head::Str { .. }, value_header))) =
            (msgpack::head(record, key), msgpack::head(record, value))
        {
            if record.get(key + key_header..key + key_header + len) == Some(name) {
                found = Some((key, pos, (value + value_header, pos)));
            }
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
        member: &[u8],
        out: &mut Output,
    ) -> Result<ItemFacts, Error> {
        let mut work = std::mem::take(&mut out.line);
        let result = self.line_with(record, split, member, out, &mut work);
        out.line = work;
        result
    }

    fn line_with(
        &self,
        record: &[u8],
        split: &Split,
        member: &[u8],
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
        let others = mpscan::scan(
            &work.others,
            Top::Value,
            Rest::Refused,
            &plan,
            &self.msgpack.mask,
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
        let has_member = !member.is_empty() && holds_member(&work.others[len..], member);

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
            has_member,
        })
    }
}

/// Whether the members (names and values one after another, well formed)
/// hold one named `name`, a string or binary name.
fn holds_member(members: &[u8], name: &[u8]) -> bool {
    let mut pos = 0;
    while pos < members.len() {
        let Ok(value) = msgpack::value_end(members, pos) else {
            return false;
        };
        if let Ok((Head::Str { len } | Head::Bin { len }, header)) = msgpack::head(members, pos) {
            if members.get(pos + header..pos + header + len) == Some(name) {
                return true;
            }
        }
        match msgpack::value_end(members, value) {
            Ok(end) => pos = end,
            Err(_) => return false,
        }
    }
    false
}
