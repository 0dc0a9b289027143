//! Records given as MessagePack maps (the body a log shipper such as Fluent
//! Bit has already decoded): the same decisions and bad-input rules as for
//! JSON, without a MessagePack -> JSON -> MessagePack round trip.

use super::{fill_holes, Output, Transform};
use crate::error::Error;
use crate::json;
use crate::mpscan;
use crate::msgpack::{fits, map_header, patch_map_count, str_value, MapWidth};
use crate::redact::RedactMode;
use crate::severity::Severity;

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
        let result = self.transform_msgpack_into(record, out);
        if result.is_err() {
            out.reset();
        }
        result
    }

    fn transform_msgpack_into(&self, record: &[u8], out: &mut Output) -> Result<(), Error> {
        if record.len() > self.max_event_bytes {
            return Err(Error::too_large(record.len(), self.max_event_bytes));
        }
        let plan = self.plan();
        out.data.clear();
        out.data.reserve(record.len() + 32);
        let scanned = mpscan::scan(
            record,
            &plan,
            &self.msgpack.mask,
            &mut out.msgpack_stack,
            &mut out.data,
        )?;
        #[cfg(feature = "panic-injection")]
        crate::fault::on_input(record);

        let (severity, route_index) = self.decisions(record, &scanned.captures, &mut out.unescaped);

        let data = &mut out.data;
        let mut members = scanned.top_members;
        let route_value = self.msgpack.routes[route_index].as_slice();
        if scanned.severity_hole.is_none() {
            data.extend_from_slice(SEVERITY_KEY);
            data.extend_from_slice(severity_value(severity));
            members += 1;
        }
        if let Some(key) = &self.msgpack.route_field {
            if scanned.route_hole.is_none() {
                data.extend_from_slice(key);
                data.extend_from_slice(route_value);
                members += 1;
            }
        }
        fill_holes(
            data,
            [
                (scanned.severity_hole, severity_value(severity)),
                (scanned.route_hole, route_value),
            ],
        );
        // Last, as it may move everything: the top-level count.
        if fits(scanned.top_width, members) {
            patch_map_count(data, 0, scanned.top_width, members);
        } else {
            data.splice(0..header_len(scanned.top_width), map_header(members));
        }
        self.record_decisions(out, severity, route_index, scanned.redacted);
        Ok(())
    }
}
