//! MessagePack records: the per-event and batch calls for hosts that hold
//! records as MessagePack maps (Fluent Bit's filters do), with the same
//! output objects as the JSON calls.

use super::batch::{kpaudit_batch, run_batch};
use super::error::kpaudit_error;
use super::output::kpaudit_output;
use super::result::kpaudit_result;
use super::transform::{kpaudit_transform, run_event};
use crate::Transform;

/// Transforms one record given as a MessagePack map (`record`, `len`
/// bytes) into `out`, which then holds a MessagePack map: severity set
/// (as a string member `severity`), key material stripped, route named
/// (and written as a string member when `route.field` is configured).
/// Semantics and failures are those of `kpaudit_transform_event`: member
/// names are strings (or binary) compared as JSON names are; string values
/// must be UTF-8; a record that is not exactly one map is
/// `KPAUDIT_INVALID_EVENT`. Maps that lost members keep their header's
/// width, so the output is valid but not always the shortest encoding.
///
/// # Safety
///
/// As for `kpaudit_transform_event`.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_msgpack(
    t: *const kpaudit_transform,
    record: *const u8,
    len: usize,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_event`'s.
    unsafe { run_event(t, record, len, out, err, Transform::transform_msgpack) }
}

/// Transforms a chunk of MessagePack items (`chunk`, `len` bytes) into `b`,
/// which is emptied first. An item is a record (a map), or an event framed
/// as `[header, record]` (a 2-item array, as Fluent Bit frames its events:
/// the header holds the timestamp and metadata), whose header is copied
/// unchanged. Each route's buffer (`kpaudit_batch_route_data`) holds its
/// items, framed as they came, one after another. Items are numbered from
/// 1 like lines; when the bytes cannot be split into whole items any more,
/// the rest of the chunk is one rejected item.
///
/// Results and failures are those of `kpaudit_transform_batch`.
///
/// # Safety
///
/// As for `kpaudit_transform_batch`, with `chunk` for `ndjson`.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_msgpack_batch(
    t: *const kpaudit_transform,
    chunk: *const u8,
    len: usize,
    b: *mut kpaudit_batch,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_batch`'s.
    unsafe {
        run_batch(
            t,
            chunk,
            len,
            b,
            err,
            "chunk",
            Transform::transform_msgpack_batch,
        )
    }
}
