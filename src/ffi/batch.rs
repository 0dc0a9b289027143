//! The batch handle: a chunk of events in, per-route buffers out.

use std::ffi::c_char;
use std::ptr::null;

use super::error::{report_or_empty, Failure};
use super::output::kpaudit_severity_value;
use super::panic::{ffi_panic_boundary, EMPTY};
use super::result::{kpaudit_result, result_of_kind};
use super::transform::kpaudit_transform;
use super::{kpaudit_error, slice};
use crate::{Batch, Severity, Transform};

/// The results of one chunk of NDJSON: per route, its name, its events as
/// NDJSON and their count; per severity, a count; and each rejected line
/// with its number, result code and message (never its bytes).
///
/// Ownership: created by `kpaudit_batch_new`, owned by the caller, released
/// with `kpaudit_batch_free`. Pointers from its accessors stay valid until
/// the next call that uses this batch, or its free. Thread-safety: use from
/// one thread at a time; one transform shared by many threads, one batch
/// per thread.
#[allow(non_camel_case_types)]
pub struct kpaudit_batch {
    inner: Batch,
}

/// A new, empty batch, or NULL if memory ran out.
#[no_mangle]
pub extern "C" fn kpaudit_batch_new() -> *mut kpaudit_batch {
    ffi_panic_boundary! {
        Box::into_raw(Box::new(kpaudit_batch { inner: Batch::new() }))
    }
}

/// Releases a batch. NULL is fine.
///
/// # Safety
///
/// `b` is NULL or a pointer from `kpaudit_batch_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_free(b: *mut kpaudit_batch) {
    ffi_panic_boundary! {
        if !b.is_null() {
            // SAFETY: per the contract above, it came from Box::into_raw.
            drop(unsafe { Box::from_raw(b) });
        }
    }
}

/// Transforms a chunk of newline-delimited events (`ndjson`, `len` bytes)
/// into `b`, which is emptied first. Each line is one event, a final line
/// without its newline too; an empty line is rejected as an empty event.
///
/// Returns `KPAUDIT_OK` once every line is accounted for: emitted into its
/// route's buffer, or rejected (see `kpaudit_batch_rejected`). A rejected
/// line produces no output byte anywhere. Any other result (a NULL
/// argument, a panic) leaves the batch empty.
///
/// # Safety
///
/// `t` is NULL or a live transform; `ndjson` points to `len` readable bytes
/// (or is NULL with `len` 0); `b` and `err` are NULL or live objects that no
/// other thread is using during the call.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_batch(
    t: *const kpaudit_transform,
    ndjson: *const u8,
    len: usize,
    b: *mut kpaudit_batch,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_batch`'s.
    unsafe { run_batch(t, ndjson, len, b, err, "ndjson", Transform::transform_batch) }
}

/// The body of the batch exports: `run` over the chunk, the batch emptied
/// on any failure.
///
/// # Safety
///
/// As for `kpaudit_transform_batch`, with `chunk` for `ndjson`.
pub(super) unsafe fn run_batch(
    t: *const kpaudit_transform,
    chunk: *const u8,
    len: usize,
    b: *mut kpaudit_batch,
    err: *mut kpaudit_error,
    chunk_name: &str,
    run: fn(&Transform, &[u8], &mut Batch),
) -> kpaudit_result {
    report_or_empty(
        err,
        b,
        |b| b.inner.clear(),
        || {
            // SAFETY: per the contract above.
            let (t, b) = unsafe { (t.as_ref(), b.as_mut()) };
            let t = t.ok_or_else(|| Failure::null("transform"))?;
            let b = b.ok_or_else(|| Failure::null("batch"))?;
            // SAFETY: per the contract above.
            let chunk = unsafe { slice(chunk, len) }.ok_or_else(|| Failure::null(chunk_name))?;
            run(&t.inner, chunk, &mut b.inner);
            Ok(())
        },
    )
}

/// Runs an accessor on a batch that may be NULL.
fn with_batch<'a, T>(b: *const kpaudit_batch, empty: T, f: impl FnOnce(&'a Batch) -> T) -> T {
    // SAFETY: every accessor's contract: `b` is NULL or a live batch.
    match unsafe { b.as_ref() } {
        Some(b) => f(&b.inner),
        None => empty,
    }
}

/// Input lines of the last chunk (emitted + rejected); 0 for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_lines(b: *const kpaudit_batch) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, Batch::lines) }
}

/// Events emitted from the last chunk; 0 for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_emitted(b: *const kpaudit_batch) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, Batch::emitted) }
}

/// Key-material members removed (or masked) over the last chunk.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_redacted(b: *const kpaudit_batch) -> u64 {
    ffi_panic_boundary! { with_batch(b, 0, Batch::redacted) }
}

/// Events of the last chunk with severity `s`; 0 for an unknown value.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_severity_count(
    b: *const kpaudit_batch,
    s: kpaudit_severity_value,
) -> usize {
    ffi_panic_boundary! {
        let severity = match s {
            0 => Severity::Normal,
            1 => Severity::Warning,
            2 => Severity::Critical,
            _ => return 0,
        };
        with_batch(b, 0, |b| b.severity_count(severity))
    }
}

/// The number of routes, in the order of `kpaudit_transform_route_name`
/// (index 0 is the unmatched route), with or without events. 0 before the
/// first chunk and for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_route_count(b: *const kpaudit_batch) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, Batch::route_count) }
}

/// The name of route `route`, NUL-terminated; "" out of range or for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_route_name(
    b: *const kpaudit_batch,
    route: usize,
) -> *const c_char {
    ffi_panic_boundary! {
        with_batch(b, EMPTY, |b| b.route_name_with_nul(route).unwrap_or(EMPTY))
            .as_ptr()
            .cast()
    }
}

/// The events of route `route`: after `kpaudit_transform_batch`, NDJSON,
/// one transformed event per line, each ending with `\n`; after
/// `kpaudit_transform_msgpack_batch`, MessagePack items one after another.
/// Not NUL-terminated. Its length goes to `*len`
/// when `len` is not NULL. NULL with length 0 when the route has no events,
/// out of range, or for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_route_data(
    b: *const kpaudit_batch,
    route: usize,
    len: *mut usize,
) -> *const u8 {
    // Zeroed first, so that even after a panic `*len` matches the NULL.
    if !len.is_null() {
        // SAFETY: per the contract above.
        unsafe { *len = 0 };
    }
    ffi_panic_boundary! {
        let data = with_batch(b, &[][..], |b| b.route_data(route));
        if !len.is_null() {
            // SAFETY: per the contract above.
            unsafe { *len = data.len() };
        }
        if data.is_empty() { null() } else { data.as_ptr() }
    }
}

/// The number of events of route `route` in the last chunk.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_route_events(
    b: *const kpaudit_batch,
    route: usize,
) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, |b| b.route_events(route)) }
}

/// How many lines of the last chunk were rejected.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_rejected(b: *const kpaudit_batch) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, |b| b.rejected().len()) }
}

/// The 1-based line number (within the chunk) of rejected line `i`, in
/// input order; 0 out of range or for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_rejected_line(b: *const kpaudit_batch, i: usize) -> usize {
    ffi_panic_boundary! { with_batch(b, 0, |b| b.rejected().get(i).map_or(0, |r| r.line)) }
}

/// Why rejected line `i` was rejected (`KPAUDIT_INVALID_EVENT` or
/// `KPAUDIT_EVENT_TOO_LARGE`); `KPAUDIT_NULL_ARGUMENT` out of range or for
/// NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_rejected_result(
    b: *const kpaudit_batch,
    i: usize,
) -> kpaudit_result {
    ffi_panic_boundary! {
        with_batch(b, kpaudit_result::KPAUDIT_NULL_ARGUMENT, |b| {
            b.rejected()
                .get(i)
                .map_or(kpaudit_result::KPAUDIT_NULL_ARGUMENT, |r| result_of_kind(r.kind))
        })
    }
}

/// The error message of rejected line `i` (what and at which byte offset
/// of the line; never the line's bytes); "" out of range or for NULL.
///
/// # Safety
///
/// `b` is NULL or a live batch.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_batch_rejected_message(
    b: *const kpaudit_batch,
    i: usize,
) -> *const c_char {
    ffi_panic_boundary! {
        with_batch(b, EMPTY, |b| b.rejected_message_with_nul(i).unwrap_or(EMPTY))
            .as_ptr()
            .cast()
    }
}
