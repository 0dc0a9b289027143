//! The batch: a chunk of NDJSON in, one NDJSON buffer per route out, with
//! every input line accounted for (emitted, or rejected with its reason).

use crate::error::Error;
use crate::msgpack;
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
            // Most items are whole and valid: one read transforms the item
            // and finds its end. Any other goes the exact way below, which
            // gives its error (reading it again costs only failures).
            let within_limit = chunk.len().min(pos.saturating_add(self.max_event_bytes()));
            if let Ok(len) = self.first_item_into(&chunk[pos..within_limit], &mut batch.event) {
                pos += len;
                batch.emit();
                continue;
            }
            let Some(end) = msgpack::skip_value(chunk, pos) else {
                let e = Error::event("the rest of the chunk is not whole MessagePack items", pos);
                batch.reject(item_number, &e);
                break;
            };
            let item = &chunk[pos..end];
            pos = end;
            match self.transform_msgpack_item(item, &mut batch.event) {
                Ok(()) => batch.emit(),
                Err(e) => batch.reject(item_number, &e),
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

/// A name as a C host borrows it: its bytes and a NUL.
pub(crate) fn with_nul(name: &str) -> Vec<u8> {
    let mut c = Vec::with_capacity(name.len() + 1);
    c.extend_from_slice(name.as_bytes());
    c.push(0);
    c
}
