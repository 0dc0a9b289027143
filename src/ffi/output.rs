//! The output handle: the result of the last event, reused between events.

use std::ffi::c_char;
use std::ptr::null;

use super::panic::{ffi_panic_boundary, EMPTY};
use crate::{Output, Severity};

/// Severity of an event, in increasing order.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum kpaudit_severity {
    KPAUDIT_SEVERITY_NORMAL = 0,
    KPAUDIT_SEVERITY_WARNING = 1,
    KPAUDIT_SEVERITY_CRITICAL = 2,
}

/// A severity as a C caller may pass it: any integer is accepted. The
/// header declares it as `kpaudit_severity` (see cbindgen.toml).
#[allow(non_camel_case_types)]
pub type kpaudit_severity_value = u32;

impl From<Severity> for kpaudit_severity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Normal => kpaudit_severity::KPAUDIT_SEVERITY_NORMAL,
            Severity::Warning => kpaudit_severity::KPAUDIT_SEVERITY_WARNING,
            Severity::Critical => kpaudit_severity::KPAUDIT_SEVERITY_CRITICAL,
        }
    }
}

/// The result of the last event given to `kpaudit_transform_event`: the
/// transformed bytes, severity, route and redaction count. Reusing one
/// output for many events avoids allocating per event.
///
/// Ownership: created by `kpaudit_output_new`, owned by the caller,
/// released with `kpaudit_output_free`. Pointers from its accessors stay
/// valid until the next call that uses this output, or its free.
/// Thread-safety: use from one thread at a time; give each thread its own.
#[allow(non_camel_case_types)]
pub struct kpaudit_output {
    pub(crate) inner: Output,
}

/// A new, empty output, or NULL if memory ran out.
#[no_mangle]
pub extern "C" fn kpaudit_output_new() -> *mut kpaudit_output {
    ffi_panic_boundary! {
        Box::into_raw(Box::new(kpaudit_output { inner: Output::new() }))
    }
}

/// Releases an output. NULL is fine.
///
/// # Safety
///
/// `out` is NULL or a pointer from `kpaudit_output_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_free(out: *mut kpaudit_output) {
    ffi_panic_boundary! {
        if !out.is_null() {
            // SAFETY: per the contract above, it came from Box::into_raw.
            drop(unsafe { Box::from_raw(out) });
        }
    }
}

/// The transformed event (JSON, not NUL-terminated); its length goes to
/// `*len` when `len` is not NULL. NULL with length 0 after a failed call
/// or for a NULL output.
///
/// # Safety
///
/// `out` is NULL or a live output; `len` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_data(
    out: *const kpaudit_output,
    len: *mut usize,
) -> *const u8 {
    // Zeroed first, so that even after a panic `*len` matches the NULL.
    if !len.is_null() {
        // SAFETY: per the contract above.
        unsafe { *len = 0 };
    }
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        let data = unsafe { out.as_ref() }.map_or(&[][..], |o| o.inner.data());
        if !len.is_null() {
            // SAFETY: per the contract above.
            unsafe { *len = data.len() };
        }
        if data.is_empty() { null() } else { data.as_ptr() }
    }
}

/// The event's severity; normal after a failed call or for NULL.
///
/// # Safety
///
/// `out` is NULL or a live output.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_severity(out: *const kpaudit_output) -> kpaudit_severity {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        unsafe { out.as_ref() }.map_or(Severity::Normal, |o| o.inner.severity()).into()
    }
}

/// The event's route name, NUL-terminated; "" after a failed call or for
/// NULL.
///
/// # Safety
///
/// `out` is NULL or a live output.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_route(out: *const kpaudit_output) -> *const c_char {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        unsafe { out.as_ref() }.map_or(EMPTY, |o| o.inner.route_with_nul()).as_ptr().cast()
    }
}

/// The event's route as an index for `kpaudit_transform_route_name` of
/// the transform that made the output: a host keeping per-route state
/// (counters, output tags) finds it without comparing names. SIZE_MAX
/// after a failed call, after `kpaudit_redact_msgpack` (which routes
/// nothing), for NULL or after a panic.
///
/// # Safety
///
/// `out` is NULL or a live output.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_route_index(out: *const kpaudit_output) -> usize {
    ffi_panic_boundary! {
        panic_value: usize::MAX;
        // SAFETY: per the contract above.
        match unsafe { out.as_ref() } {
            Some(o) if !o.inner.route().is_empty() => o.inner.route_index(),
            _ => usize::MAX,
        }
    }
}

/// How many key-material members were removed (or masked); 0 after a
/// failed call or for NULL.
///
/// # Safety
///
/// `out` is NULL or a live output.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_output_redacted(out: *const kpaudit_output) -> u32 {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        unsafe { out.as_ref() }.map_or(0, |o| o.inner.redacted())
    }
}

/// The name written into events for a severity ("normal", "warning",
/// "critical"); any other integer gives "unknown". Static.
#[no_mangle]
pub extern "C" fn kpaudit_severity_str(s: kpaudit_severity_value) -> *const c_char {
    let name: &'static [u8] = ffi_panic_boundary! {
        match s {
            0 => &b"normal\0"[..],
            1 => b"warning\0",
            2 => b"critical\0",
            _ => b"unknown\0",
        }
    };
    if name.is_empty() { EMPTY } else { name }.as_ptr().cast()
}
