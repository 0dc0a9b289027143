//! The C ABI, declared in `include/kpaudit.h` (generated from this module
//! by cbindgen). This is the only module with `extern "C"` and `unsafe`.
//!
//! Rules every export follows: its body runs inside a panic boundary; a
//! NULL where a pointer is required gives `KPAUDIT_NULL_ARGUMENT` (or an
//! empty value from accessors); an output parameter is written only on
//! success; memory allocated here is freed only by the matching
//! `kpaudit_*_free`, never by the host's `free()`.

mod batch;
mod error;
mod msgpack;
pub(crate) mod output;
pub(crate) mod panic;
mod result;
mod transform;

pub use batch::*;
pub use error::*;
pub use msgpack::*;
pub use output::*;
pub use result::*;
pub use transform::*;

/// A byte slice from a C pointer and length; `None` for NULL with a
/// nonzero length. NULL with length 0 is the empty slice.
///
/// # Safety
///
/// When not NULL, `ptr` points to `len` readable bytes that stay unchanged
/// for the lifetime the caller picks.
unsafe fn slice<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return (len == 0).then_some(&[]);
    }
    // SAFETY: per the contract above.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}
