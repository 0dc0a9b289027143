//! The batch: a chunk of NDJSON in, one NDJSON buffer per route out, with
//! every input line accounted for (emitted, or rejected with its reason).

use crate::error::Error;
use crate::msgpack::{self, Head};
use crate::rejects::{RejectLog, Rejected};
use crate::severity::Severity;
use crate::transform::{Output, Transform};

/// The events of one route in a batch.
#[derive(Debug, Default)]
struct RouteBuffer {
    /// NDJSON lines, or MessagePack items from a MessagePack chunk.
    data: Vec<u8>,
    events: usize,
}

/// Results of one chunk, reused from chunk to chunk so that steady state
/// allocates nothing beyond the largest chunk seen. Use it from one thread
/// at a time; one transform can serve many batches at once.
#[derive(Debug, Default)]
pub struct Batch {
    routes: Vec<RouteBuffer>,
    /// Route names with a trailing NUL, as the transform that filled it has them.
    names: Vec<Vec<u8>>,
    severities: [usize; 3],
    lines: usize,
    emitted: usize,
    redacted: u64,
    rejected: RejectLog,
    event: Output,
}

/// The rejected lines of a batch, in input order.
#[derive(Clone, Copy, Debug)]
pub struct Rejections<'a> {
    log: &'a RejectLog,
}

impl<'a> Rejections<'a> {
    pub fn len(&self) -> usize {
        self.log.len()
    }

    pub fn is_empty(&self) -> bool {
        self.log.len() == 0
    }

    /// Rejection `i`; reading them in order costs O(1) each.
    pub fn get(&self, i: usize) -> Option<Rejected<'a>> {
        self.log.get(i)
    }

    pub fn iter(&self) -> impl Iterator<Item = Rejected<'a>> + 'a {
        let log = self.log;
        (0..log.len()).filter_map(move |i| log.get(i))
    }
}

impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }

    /// Empties the batch, keeping its buffers.
    pub fn clear(&mut self) {
        for route in &mut self.routes {
            route.data.clear();
            route.events = 0;
        }
        self.severities = [0; 3];
        self.lines = 0;
        self.emitted = 0;
        self.redacted = 0;
        self.rejected.clear();
    }

    /// Input lines of the last chunk: `emitted() + rejected().len()`.
    pub fn lines(&self) -> usize {
        self.lines
    }

    pub fn emitted(&self) -> usize {
        self.emitted
    }

    /// Key-material members removed (or masked) over the chunk.
    pub fn redacted(&self) -> u64 {
        self.redacted
    }

    pub fn severity_count(&self, severity: Severity) -> usize {
        self.severities[severity as usize]
    }

    /// The number of routes: those of the transform that filled the batch,
    /// in its order (the unmatched route first), with or without events.
    pub fn route_count(&self) -> usize {
        self.routes.len()
    }

    /// The route name with a trailing NUL.
    pub fn route_name_with_nul(&self, route: usize) -> Option<&[u8]> {
        self.names.get(route).map(Vec::as_slice)
    }

    pub fn route_name(&self, route: usize) -> Option<&str> {
        let name = self.route_name_with_nul(route)?;
        std::str::from_utf8(&name[..name.len() - 1]).ok()
    }

    /// The route's events, one transformed event per line.
    pub fn route_ndjson(&self, route: usize) -> &[u8] {
        self.route_data(route)
    }

    /// The events of a route as they were written: NDJSON after
    /// `transform_batch`, MessagePack items after `transform_msgpack_batch`.
    pub fn route_data(&self, route: usize) -> &[u8] {
        self.routes.get(route).map_or(&[], |r| &r.data)
    }

    pub fn route_events(&self, route: usize) -> usize {
        self.routes.get(route).map_or(0, |r| r.events)
    }

    /// The rejected lines. Each distinct message is kept once and the
    /// lines as a compact run-length code, so that a chunk of empty or
    /// broken lines costs little memory.
    pub fn rejected(&self) -> Rejections<'_> {
        Rejections {
            log: &self.rejected,
        }
    }

    /// The message of a rejected line, with its trailing NUL.
    pub fn rejected_message_with_nul(&self, index: usize) -> Option<&[u8]> {
        self.rejected.message_with_nul(index)
    }

    pub fn rejected_message(&self, index: usize) -> Option<&str> {
        self.rejected.get(index).map(|r| r.message)
    }

    fn bind(&mut self, t: &Transform) {
        let names = t.route_names();
        let same = self.names.len() == names.len()
            && self
                .names
                .iter()
                .zip(names)
                .all(|(have, name)| &have[..have.len() - 1] == name.as_bytes());
        if !same {
            self.names = names.iter().map(|n| with_nul(n)).collect();
            self.routes.resize_with(names.len(), RouteBuffer::default);
            self.routes.truncate(names.len());
        }
    }

    /// Adds the item just transformed to its route.
    fn emit(&mut self) {
        let event = &self.event;
        let route = &mut self.routes[event.route_index()];
        route.data.extend_from_slice(event.data());
        route.events += 1;
        self.severities[event.severity() as usize] += 1;
        self.redacted += u64::from(event.redacted());
        self.emitted += 1;
    }

    fn reject(&mut self, line: usize, error: &Error) {
        self.rejected.push(line, error);
    }
}

impl Transform {
    /// Transforms a chunk of newline-delimited events into `batch`, which
    /// is emptied first. Each line is one event (a final line without its
    /// newline too); an empty line is rejected as an empty event.
    pub fn transform_batch(&self, ndjson: &[u8], batch: &mut Batch) {
        batch.clear();
        batch.bind(self);
        let mut rest = ndjson;
        while !rest.is_empty() {
            // One pass finds the line's end and indexes it for the scan.
            let len = batch
                .event
                .scratch
                .index
                .build_line(rest, self.max_event_bytes());
            let line = &rest[..len];
            rest = rest.get(len + 1..).unwrap_or_default();
            batch.lines += 1;
            match self.transform_line(line, batch) {
                Ok(()) => {}
                Err(e) => {
                    let line_number = batch.lines;
                    batch.reject(line_number, &e);
                }
            }
        }
        batch.rejected.finish();
    }

    /// Transforms one indexed line straight into its route's buffer.
    fn transform_line(&self, line: &[u8], batch: &mut Batch) -> Result<(), Error> {
        if line.len() > self.max_event_bytes() {
            return Err(Error::too_large(line.len(), self.max_event_bytes()));
        }
        let d = self.decide_indexed(line, &mut batch.event)?;
        let route = &mut batch.routes[d.route];
        self.assemble(line, &batch.event.scratch.pieces, &d, &mut route.data);
        route.data.push(b'\n');
        route.events += 1;
        batch.severities[d.severity as usize] += 1;
        batch.redacted += u64::from(d.redacted);
        batch.emitted += 1;
        Ok(())
    }

    /// Transforms a chunk of MessagePack items into `batch`, which is
    /// emptied first. An item is a record (a map), or a shipper's event
    /// `[header, record]` (see `transform_msgpack_item`: the header is
    /// validated and stripped like the record). Each route's buffer holds
    /// its items, framed as they came, one after another. Items are numbered from 1,
    /// as lines are; when the bytes cannot be split into items any more,
    /// the rest counts as one rejected item.
    pub fn transform_msgpack_batch(&self, chunk: &[u8], batch: &mut Batch) {
        batch.clear();
        batch.bind(self);
        let mut pos = 0;
        while pos < chunk.len() {
            batch.lines += 1;
            let item_number = batch.lines;
            // One read transforms the item and finds its end; only an
            // item it refuses is walked again, to step past it.
            match self.transform_msgpack_next(&chunk[pos..], b"", &mut batch.event) {
                Ok(facts) => {
                    pos += facts.len;
                    batch.emit();
                }
                Err(e) => {
                    let Some(end) = msgpack::skip_value(chunk, pos) else {
                        let e = Error::event(
                            "the rest of the chunk is not whole MessagePack items",
                            pos,
                        );
                        batch.reject(item_number, &e);
                        break;
                    };
                    pos = end;
                    batch.reject(item_number, &e);
                }
            }
        }
        batch.rejected.finish();
    }
}

/// The length of the whole MessagePack value at the start of `bytes`, or
/// `None` when the bytes end first (or hold the reserved byte 0xc1): how a
/// reader of a MessagePack stream cuts it into chunks of whole items.
pub fn msgpack_item_len(bytes: &[u8]) -> Option<usize> {
    msgpack::skip_value(bytes, 0)
}

/// What a reader of a MessagePack stream can tell of the item at the start
/// of what it holds so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemStart {
    /// The item is whole: its length.
    Whole(usize),
    /// More bytes may complete it.
    Partial,
    /// It holds the reserved byte 0xc1: no item can be cut from here on.
    Invalid,
}

pub fn msgpack_item_start(bytes: &[u8]) -> ItemStart {
    match msgpack::value_end(bytes, 0) {
        Ok(len) => ItemStart::Whole(len),
        Err(msgpack::HeadError::End) => ItemStart::Partial,
        Err(msgpack::HeadError::Reserved) => ItemStart::Invalid,
    }
}

/// Passes over one MessagePack item given in pieces, keeping none of it:
/// how a reader gets past an item too large to hold (its lengths are
/// followed, nothing else is checked).
#[derive(Clone, Debug)]
pub struct ItemSkipper {
    /// Values still to pass; containers add their items.
    pending: u64,
    /// Bytes of a string, binary or extension body still to pass.
    body_left: u64,
    /// A header cut between pieces, so far.
    header: [u8; 9],
    header_len: usize,
}

/// Where an `ItemSkipper` is after a piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skipped {
    /// The item ended this many bytes into the piece.
    Done(usize),
    /// The piece was all of the item so far: feed the next one.
    More,
    /// The item holds the reserved byte 0xc1.
    Invalid,
}

impl Default for ItemSkipper {
    fn default() -> Self {
        ItemSkipper {
            pending: 1,
            body_left: 0,
            header: [0; 9],
            header_len: 0,
        }
    }
}

impl ItemSkipper {
    pub fn feed(&mut self, piece: &[u8]) -> Skipped {
        let mut pos = 0;
        loop {
            let take = self.body_left.min((piece.len() - pos) as u64);
            pos += take as usize;
            self.body_left -= take;
            if self.body_left > 0 {
                return Skipped::More;
            }
            if self.pending == 0 {
                return Skipped::Done(pos);
            }
            if pos == piece.len() {
                return Skipped::More;
            }
            // A header, perhaps begun in an earlier piece: at most 9 bytes.
            let had = self.header_len;
            let copy = (self.header.len() - had).min(piece.len() - pos);
            self.header[had..had + copy].copy_from_slice(&piece[pos..pos + copy]);
            let (head, header) = match msgpack::head(&self.header[..had + copy], 0) {
                Ok(h) => h,
                Err(msgpack::HeadError::End) => {
                    self.header_len = had + copy;
                    return Skipped::More;
                }
                Err(msgpack::HeadError::Reserved) => return Skipped::Invalid,
            };
            pos += header - had;
            self.header_len = 0;
            self.pending -= 1;
            match head {
                Head::Str { len } | Head::Bin { len } | Head::Ext { len } => {
                    self.body_left = len as u64;
                }
                Head::Array { items } => self.pending = self.pending.saturating_add(items),
                Head::Map { members } => {
                    self.pending = self.pending.saturating_add(members.saturating_mul(2));
                }
                Head::Nil | Head::Bool | Head::Uint(_) | Head::OtherNumber | Head::Float(_) => {}
            }
        }
    }
}

/// A name as a C host borrows it: its bytes and a NUL.
pub(crate) fn with_nul(name: &str) -> Vec<u8> {
    let mut c = Vec::with_capacity(name.len() + 1);
    c.extend_from_slice(name.as_bytes());
    c.push(0);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Items of every header width, with what follows them.
    fn items() -> Vec<Vec<u8>> {
        let mut str32 = vec![0xdb, 0, 0, 1, 0];
        str32.resize(5 + 256, b's');
        vec![
            vec![0x01],
            vec![0x81, 0xa1, b'k', 0xcf, 1, 2, 3, 4, 5, 6, 7, 8],
            vec![0x92, 0xd7, 0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x80],
            vec![0xdd, 0, 0, 0, 2, 0xc7, 2, 9, b'a', b'b', 0xc4, 1, b'x'],
            vec![0xde, 0, 1, 0xa0, 0x91, 0xc0],
            str32,
        ]
    }

    #[test]
    fn the_skipper_ends_where_the_item_does_at_any_cut() {
        for item in items() {
            let mut stream = item.clone();
            stream.extend_from_slice(&[0x93, 0xc2, 0xc3]);
            assert_eq!(msgpack_item_start(&stream), ItemStart::Whole(item.len()));
            assert_eq!(
                msgpack_item_start(&item[..item.len() - 1]),
                ItemStart::Partial
            );
            for a in 0..stream.len() {
                for b in a..stream.len() {
                    let mut s = ItemSkipper::default();
                    let mut at = 0;
                    let mut end = None;
                    for piece in [&stream[..a], &stream[a..b], &stream[b..]] {
                        match s.feed(piece) {
                            Skipped::Done(n) => {
                                end = Some(at + n);
                                break;
                            }
                            Skipped::More => at += piece.len(),
                            Skipped::Invalid => panic!("{item:x?}"),
                        }
                    }
                    assert_eq!(end, Some(item.len()), "{item:x?} cut at {a}, {b}");
                }
            }
        }
    }

    #[test]
    fn the_reserved_byte_is_invalid_however_it_arrives() {
        let stream = [0x92, 0x01, 0xc1, 0x02];
        assert_eq!(msgpack_item_start(&stream), ItemStart::Invalid);
        assert_eq!(msgpack_item_start(&stream[..2]), ItemStart::Partial);
        let mut s = ItemSkipper::default();
        assert_eq!(s.feed(&stream[..2]), Skipped::More);
        assert_eq!(s.feed(&stream[2..]), Skipped::Invalid);
    }
}
