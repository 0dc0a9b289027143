//! MessagePack records: the per-event and batch calls for hosts that hold
//! records as MessagePack maps (Fluent Bit's filters do), with the same
//! output objects as the JSON calls.

use super::batch::{kpaudit_batch, run_batch};
use super::error::{kpaudit_error, Failure};
use super::output::kpaudit_output;
use super::result::kpaudit_result;
use super::slice;
use super::transform::{kpaudit_transform, run_event};
use crate::{Output, Transform};

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

/// Transforms one item of a shipper's stream (`item`, `len` bytes) into
/// `out`, in the same framing: a record (a map, as for
/// `kpaudit_transform_msgpack`), or an event framed as `[header, record]`
/// (a 2-item array of any width, as Fluent Bit frames its events: the
/// header holds the timestamp and metadata).
///
/// The header is untrusted input like the record: it must be well-formed
/// MessagePack with UTF-8 strings and nesting within `limits.max_depth`,
/// its bytes count towards `limits.max_event_bytes` (the whole item is
/// measured), and key material is stripped from it at any depth by the
/// same rules (its members count in `kpaudit_output_redacted`). A header
/// that fails rejects the whole item. Error offsets count from the item's
/// first byte. Otherwise as `kpaudit_transform_msgpack`.
///
/// # Safety
///
/// As for `kpaudit_transform_event`.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_msgpack_item(
    t: *const kpaudit_transform,
    item: *const u8,
    len: usize,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_event`'s.
    unsafe { run_event(t, item, len, out, err, Transform::transform_msgpack_item) }
}

/// What `kpaudit_transform_msgpack_next` tells of the item it transformed.
/// A plain value the caller owns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct kpaudit_item_info {
    /// The item's length: where the next item starts.
    pub len: usize,
    /// The most containers open at once in the item, counted as a
    /// MessagePack reader counts them: the item's own array and the
    /// record's map each count 1 (`[[t, {}], {}]` is 3).
    pub nesting: usize,
    /// Whether the record has a top-level member named `member` (compared
    /// byte for byte; a string or binary name).
    pub has_member: bool,
}

/// Transforms the first item of `items` (`len` bytes of MessagePack items
/// one after another, as a shipper's chunk holds them) into `out`, as
/// `kpaudit_transform_msgpack_item` transforms one item, and writes to
/// `*info` what a host that classifies items itself needs to know of it,
/// found in the same read: where it ends, how deep it nests, and whether
/// its record has a top-level member named `member` (`member_len` bytes;
/// NULL with 0 looks for none), such as the member a parser puts a line
/// it could not read in. The host learns an item's end without walking
/// the item itself.
///
/// On failure `*info` is untouched, `out` holds nothing of the item and
/// nothing is told of its length: a host that needs the item's end finds
/// it itself (an item over `limits.max_event_bytes` is
/// `KPAUDIT_TOO_LARGE` when the bytes hold it whole). Otherwise as
/// `kpaudit_transform_msgpack_item`; error offsets count from `items`.
///
/// # Safety
///
/// As for `kpaudit_transform_event`, with `items` for `event`; `member`
/// points to `member_len` readable bytes (or is NULL with 0); `info` is
/// NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn kpaudit_transform_msgpack_next(
    t: *const kpaudit_transform,
    items: *const u8,
    len: usize,
    member: *const u8,
    member_len: usize,
    out: *mut kpaudit_output,
    info: *mut kpaudit_item_info,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    let next = |t: &Transform, items: &[u8], out: &mut Output| -> Result<(), Failure> {
        if info.is_null() {
            return Err(Failure::null("info"));
        }
        // SAFETY: per the contract above.
        let member = unsafe { slice(member, member_len) }.ok_or_else(|| Failure::null("member"))?;
        let facts = t.transform_msgpack_next(items, member, out)?;
        // SAFETY: `info` is writable per the contract; written only on success.
        unsafe {
            *info = kpaudit_item_info {
                len: facts.len,
                nesting: facts.nesting,
                has_member: facts.has_member,
            }
        };
        Ok(())
    };
    // SAFETY: the contract above is `run_event`'s, and `next`'s own.
    unsafe { run_event(t, items, len, out, err, next) }
}

/// Validates any one MessagePack value (`value`, `len` bytes) and strips
/// key material from it at any depth, deciding nothing else: for what a
/// shipper carries beside events, such as Fluent Bit's group markers
/// (group metadata and attributes). The same rules as for a record: UTF-8
/// strings, nesting within `limits.max_depth`, at most
/// `limits.max_event_bytes`, names compared as JSON names are. On success
/// `out` holds the value (maps that lost members keep their header's
/// width), `kpaudit_output_redacted` the members removed or masked,
/// severity normal and route "". Failures as for `kpaudit_transform_event`.
///
/// # Safety
///
/// As for `kpaudit_transform_event`.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_redact_msgpack(
    t: *const kpaudit_transform,
    value: *const u8,
    len: usize,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_event`'s.
    unsafe { run_event(t, value, len, out, err, Transform::redact_msgpack) }
}

/// Transforms a chunk of MessagePack items (`chunk`, `len` bytes) into `b`,
/// which is emptied first. Each item is transformed as by
/// `kpaudit_transform_msgpack_item`: a record (a map), or an event framed
/// as `[header, record]` whose header is validated and stripped of key
/// material like the record. Each route's buffer
/// (`kpaudit_batch_route_data`) holds its items, framed as they came, one
/// after another. Items are numbered from 1 like lines; when the bytes
/// cannot be split into whole items any more, the rest of the chunk is one
/// rejected item.
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
