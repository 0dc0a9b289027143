//! The panic boundary: no panic may unwind into a C caller (that is
//! undefined behaviour), so every export runs its body inside
//! `catch_unwind` and turns a panic into a value.

use std::ffi::c_char;
use std::ptr::{null, null_mut};

use super::result::kpaudit_result;

/// What an export returns when its body panicked.
pub(crate) trait PanicValue {
    fn panic_value() -> Self;
}

impl PanicValue for kpaudit_result {
    fn panic_value() -> Self {
        kpaudit_result::KPAUDIT_PANIC
    }
}

/// A C string accessor answers "" after a panic, as for NULL input, so a
/// host that prints it does not crash.
impl PanicValue for *const c_char {
    fn panic_value() -> Self {
        EMPTY.as_ptr().cast()
    }
}

/// Byte-buffer accessors answer NULL, as when there is nothing.
impl PanicValue for *const u8 {
    fn panic_value() -> Self {
        null()
    }
}

impl<T> PanicValue for *mut T {
    fn panic_value() -> Self {
        null_mut()
    }
}

impl PanicValue for () {
    fn panic_value() -> Self {}
}

impl PanicValue for u32 {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for u64 {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for usize {
    fn panic_value() -> Self {
        0
    }
}

impl PanicValue for super::output::kpaudit_severity {
    fn panic_value() -> Self {
        super::output::kpaudit_severity::KPAUDIT_SEVERITY_NORMAL
    }
}

/// Runs an export's body; a panic becomes the return type's panic value,
/// or the one given (`panic_value: EXPR;`) where the type's would be
/// misread as an answer.
macro_rules! ffi_panic_boundary {
    ( panic_value: $value:expr; $($body:tt)* ) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            #[cfg(feature = "panic-injection")]
            $crate::fault::at_boundary();
            $($body)*
        })) {
            Ok(value) => value,
            Err(_) => $value,
        }
    };
    ( $($body:tt)* ) => {
        match ::std::panic::catch_unwind(::std::panic::AssertUnwindSafe(|| {
            #[cfg(feature = "panic-injection")]
            $crate::fault::at_boundary();
            $($body)*
        })) {
            Ok(value) => value,
            Err(_) => $crate::ffi::panic::PanicValue::panic_value(),
        }
    };
}

pub(crate) use ffi_panic_boundary;

/// A static C string for accessors to return on NULL input or after a panic.
pub(crate) const EMPTY: &[u8] = b"\0";

impl PanicValue for &'static [u8] {
    fn panic_value() -> Self {
        b""
    }
}
