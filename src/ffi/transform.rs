//! The transform handle: compiled once from configuration, then shared.

use std::ffi::c_char;

use super::error::{report, report_or_empty, Failure};
use super::output::kpaudit_output;
use super::panic::{ffi_panic_boundary, EMPTY};
use super::result::kpaudit_result;
use super::{kpaudit_error, slice};
use crate::batch::with_nul;
use crate::{Output, Transform};

/// A compiled transform.
///
/// Ownership: created by `kpaudit_transform_new`, released with
/// `kpaudit_transform_free`. Thread-safety: immutable once created; any
/// number of threads may use one transform at the same time, each with its
/// own `kpaudit_output` and `kpaudit_error`.
#[allow(non_camel_case_types)]
pub struct kpaudit_transform {
    pub(crate) inner: Transform,
    /// Route names with a trailing NUL, for `kpaudit_transform_route_name`.
    route_names: Vec<Vec<u8>>,
    /// For `kpaudit_transform_key_material_name`.
    key_material: Vec<Vec<u8>>,
    /// For `kpaudit_transform_mask`.
    mask: Option<Vec<u8>>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<kpaudit_transform>();
};

/// Builds a transform from JSON configuration (`config`, `config_len`
/// bytes; not NUL-terminated). `config_len` 0 means the built-in Key
/// Protect defaults, and `config` may then be NULL.
///
/// On success writes the new handle to `*out`; on failure leaves `*out`
/// untouched and, if `err` is not NULL, puts the reason there (the config
/// key's path and what was expected).
///
/// # Safety
///
/// `config` points to `config_len` readable bytes (or is NULL with
/// `config_len` 0); `out` is NULL or writable; `err` is NULL or a live
/// error object.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_new(
    config: *const u8,
    config_len: usize,
    out: *mut *mut kpaudit_transform,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    report(err, || {
        if out.is_null() {
            return Err(Failure::null("out"));
        }
        // SAFETY: per the contract above.
        let config = unsafe { slice(config, config_len) }.ok_or_else(|| Failure::null("config"))?;
        let inner = Transform::from_json(config)?;
        let route_names = inner.route_names().iter().map(|n| with_nul(n)).collect();
        let key_material = inner.key_material_names().map(<[u8]>::to_vec).collect();
        let mask = inner.mask();
        let handle = Box::new(kpaudit_transform {
            inner,
            route_names,
            key_material,
            mask,
        });
        // SAFETY: `out` is writable per the contract; written only on success.
        unsafe { *out = Box::into_raw(handle) };
        Ok(())
    })
}

/// Releases a transform. NULL is fine. No other thread may be using it.
///
/// # Safety
///
/// `t` is NULL or a pointer from `kpaudit_transform_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_free(t: *mut kpaudit_transform) {
    ffi_panic_boundary! {
        if !t.is_null() {
            // SAFETY: per the contract above, it came from Box::into_raw.
            drop(unsafe { Box::from_raw(t) });
        }
    }
}

/// Transforms one event (`event`, `event_len` bytes: one JSON object, not
/// NUL-terminated) into `out`: severity set, key material stripped, route
/// named.
///
/// On failure the output holds nothing of the event (data NULL and length
/// 0, severity normal, route "", redacted 0), no byte of the event is
/// copied anywhere, and `err` (if not NULL) says what was wrong and at
/// which byte offset, without quoting the event. On success `err`'s message
/// is reset to "".
///
/// # Safety
///
/// `t` is NULL or a live transform; `event` points to `event_len` readable
/// bytes (or is NULL with `event_len` 0); `out` and `err` are NULL or live
/// objects that no other thread is using during the call.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_event(
    t: *const kpaudit_transform,
    event: *const u8,
    event_len: usize,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
) -> kpaudit_result {
    // SAFETY: the contract above is `run_event`'s.
    unsafe { run_event(t, event, event_len, out, err, Transform::transform) }
}

/// The body of the per-event exports: `run` on the event, the output
/// emptied on any failure.
///
/// # Safety
///
/// As for `kpaudit_transform_event`.
pub(super) unsafe fn run_event<E: Into<Failure>>(
    t: *const kpaudit_transform,
    event: *const u8,
    event_len: usize,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
    run: impl FnOnce(&Transform, &[u8], &mut Output) -> Result<(), E>,
) -> kpaudit_result {
    report_or_empty(
        err,
        out,
        |o| o.inner.reset(),
        || {
            // SAFETY: per the contract above.
            let (t, out) = unsafe { (t.as_ref(), out.as_mut()) };
            let t = t.ok_or_else(|| Failure::null("transform"))?;
            let out = out.ok_or_else(|| Failure::null("out"))?;
            // SAFETY: per the contract above.
            let event = unsafe { slice(event, event_len) }.ok_or_else(|| Failure::null("event"))?;
            run(&t.inner, event, &mut out.inner).map_err(Into::into)
        },
    )
}

/// How many route names the transform can produce (at least 1: the
/// unmatched route). 0 for NULL.
///
/// # Safety
///
/// `t` is NULL or a live transform.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_route_count(t: *const kpaudit_transform) -> usize {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        unsafe { t.as_ref() }.map_or(0, |t| t.route_names.len())
    }
}

/// The route name at `index` (0 is the unmatched route), NUL-terminated,
/// valid as long as the transform; "" for NULL or an index out of range.
/// Hosts use it to open every destination up front.
///
/// # Safety
///
/// `t` is NULL or a live transform.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_route_name(
    t: *const kpaudit_transform,
    index: usize,
) -> *const c_char {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        let name = unsafe { t.as_ref() }.and_then(|t| t.route_names.get(index));
        name.map_or(EMPTY, Vec::as_slice).as_ptr().cast()
    }
}

/// How many key-material names the transform strips (Key Protect's, and
/// those its configuration adds or its services bring). 0 for NULL.
///
/// With `kpaudit_transform_key_material_name` and `kpaudit_transform_mask`
/// a host strips the same members from what it carries beside the event,
/// such as a log record's attributes, which the transform never sees.
///
/// # Safety
///
/// `t` is NULL or a live transform.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_key_material_count(
    t: *const kpaudit_transform,
) -> usize {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        unsafe { t.as_ref() }.map_or(0, |t| t.key_material.len())
    }
}

/// The key-material name at `index`, lower-cased UTF-8 (not
/// NUL-terminated), its length written to `*len`; valid as long as the
/// transform. A member is key material when its name, unescaped, equals one
/// of these ignoring ASCII case, with KELVIN SIGN (U+212A) read as `k`,
/// LONG S (U+017F) as `s`, DOTLESS I (U+0131) and CAPITAL I WITH DOT ABOVE
/// (U+0130) as `i` (letters outside ASCII that readers ignoring case take
/// for ASCII ones), and no other folding. NULL, with `*len` untouched, for
/// NULL arguments or an index out of range.
///
/// # Safety
///
/// `t` is NULL or a live transform; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_key_material_name(
    t: *const kpaudit_transform,
    index: usize,
    len: *mut usize,
) -> *const u8 {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        let name = unsafe { t.as_ref() }.and_then(|t| t.key_material.get(index));
        // SAFETY: per the contract above.
        unsafe { bytes_with_len(name, len) }
    }
}

/// In `redact.mode` `mask`, the string that replaces a key-material value
/// (UTF-8, unescaped, not NUL-terminated), its length written to `*len`;
/// valid as long as the transform. NULL, with `*len` untouched, in `remove`
/// mode (the whole member goes) and for NULL arguments.
///
/// # Safety
///
/// `t` is NULL or a live transform; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_transform_mask(
    t: *const kpaudit_transform,
    len: *mut usize,
) -> *const u8 {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        let mask = unsafe { t.as_ref() }.and_then(|t| t.mask.as_ref());
        // SAFETY: per the contract above.
        unsafe { bytes_with_len(mask, len) }
    }
}

/// `bytes` for a C caller: its pointer, its length written to `*len`; NULL
/// with `*len` untouched when there are none or `len` is NULL.
///
/// # Safety
///
/// `len` is NULL or writable.
unsafe fn bytes_with_len(bytes: Option<&Vec<u8>>, len: *mut usize) -> *const u8 {
    // SAFETY: per the contract above.
    match (bytes, unsafe { len.as_mut() }) {
        (Some(bytes), Some(len)) => {
            *len = bytes.len();
            bytes.as_ptr()
        }
        _ => std::ptr::null(),
    }
}
