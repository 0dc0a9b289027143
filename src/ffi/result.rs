//! Result codes, version functions and names for codes.

use std::ffi::c_char;

use super::panic::{ffi_panic_boundary, EMPTY};
use crate::ErrorKind;

/// Bumped on any breaking change to the C ABI; compare it with
/// `kpaudit_abi_version()` at load time.
pub const KPAUDIT_ABI_VERSION: u32 = 1;

/// The result of a fallible call. Values are never reused for another
/// meaning; new codes are only ever added at the end.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum kpaudit_result {
    /// Success.
    KPAUDIT_OK = 0,
    /// A pointer that must not be NULL was NULL.
    KPAUDIT_NULL_ARGUMENT = 1,
    /// The configuration was rejected; the error message names the key.
    KPAUDIT_INVALID_CONFIG = 2,
    /// The event is not one valid JSON object (or, for the MessagePack
    /// calls, one valid record or item) within the depth limit; the error
    /// message says what and at which byte offset.
    KPAUDIT_INVALID_EVENT = 3,
    /// The event is longer than `limits.max_event_bytes`.
    KPAUDIT_EVENT_TOO_LARGE = 4,
    /// A bug inside kpaudit panicked; the call had no effect. The transform
    /// stays usable.
    KPAUDIT_PANIC = 5,
}

/// A result code as a C caller may pass it: any integer is accepted, so
/// it is received as an integer rather than trusted to be a valid variant.
/// The header declares it as `kpaudit_result` (see cbindgen.toml).
#[allow(non_camel_case_types)]
pub type kpaudit_result_value = u32;

impl From<ErrorKind> for kpaudit_result {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidConfig => kpaudit_result::KPAUDIT_INVALID_CONFIG,
            ErrorKind::InvalidEvent => kpaudit_result::KPAUDIT_INVALID_EVENT,
            ErrorKind::EventTooLarge => kpaudit_result::KPAUDIT_EVENT_TOO_LARGE,
        }
    }
}

pub(crate) fn result_of_kind(kind: ErrorKind) -> kpaudit_result {
    kind.into()
}

pub(crate) fn result_name(r: u32) -> &'static [u8] {
    match r {
        0 => b"KPAUDIT_OK: success\0",
        1 => b"KPAUDIT_NULL_ARGUMENT: a required pointer was NULL\0",
        2 => b"KPAUDIT_INVALID_CONFIG: the configuration was rejected\0",
        3 => b"KPAUDIT_INVALID_EVENT: the event is not valid JSON or MessagePack, or is nested too deep\0",
        4 => b"KPAUDIT_EVENT_TOO_LARGE: the event is over the size limit\0",
        5 => b"KPAUDIT_PANIC: an internal error was caught\0",
        _ => b"unknown kpaudit_result value\0",
    }
}

/// The library's version, "MAJOR.MINOR.PATCH". Static; never free it.
#[no_mangle]
pub extern "C" fn kpaudit_version() -> *const c_char {
    ffi_panic_boundary! {
        concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
    }
}

/// The C ABI version this library implements (`KPAUDIT_ABI_VERSION` of the
/// header it was built with).
#[no_mangle]
pub extern "C" fn kpaudit_abi_version() -> u32 {
    ffi_panic_boundary! { KPAUDIT_ABI_VERSION }
}

/// A static description of a result code. Any integer is accepted; values
/// that are not a `kpaudit_result` are named as unknown. Never free it.
#[no_mangle]
pub extern "C" fn kpaudit_result_str(r: kpaudit_result_value) -> *const c_char {
    let name: &'static [u8] = ffi_panic_boundary! { result_name(r) };
    if name.is_empty() {
        EMPTY.as_ptr().cast()
    } else {
        name.as_ptr().cast()
    }
}
