//! The caller-owned error object. Error detail lives here rather than in a
//! thread-local, because hosts such as Go move a caller between threads.

use std::ffi::c_char;

use super::panic::{ffi_panic_boundary, EMPTY};
use super::result::kpaudit_result;

/// Error detail of the last failed call that was given this object.
///
/// Ownership: created by `kpaudit_error_new`, owned by the caller, released
/// with `kpaudit_error_free`. Thread-safety: use from one thread at a time;
/// give each thread its own.
#[allow(non_camel_case_types)]
pub struct kpaudit_error {
    /// The message with its trailing NUL; just the NUL when there is none.
    message: Vec<u8>,
}

impl kpaudit_error {
    pub(crate) fn set(&mut self, message: &str) {
        self.message.clear();
        // A NUL inside would cut the C string short; messages hold none,
        // but make sure.
        self.message
            .extend(message.bytes().map(|b| if b == 0 { b'?' } else { b }));
        self.message.push(0);
    }

    pub(crate) fn clear(&mut self) {
        self.message.clear();
        self.message.push(0);
    }
}

/// What a fallible export reports: a code and, for the error object, why.
pub(crate) struct Failure {
    pub code: kpaudit_result,
    pub message: String,
}

impl Failure {
    pub fn null(what: &str) -> Failure {
        Failure {
            code: kpaudit_result::KPAUDIT_NULL_ARGUMENT,
            message: format!("{what} is NULL"),
        }
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Failure {
        Failure {
            code: e.kind().into(),
            message: e.message().to_owned(),
        }
    }
}

/// Runs a fallible export's body inside the panic boundary and records the
/// outcome in the caller's error object, if it gave one.
pub(crate) fn report(
    err: *mut kpaudit_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> kpaudit_result {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        #[cfg(feature = "panic-injection")]
        crate::fault::at_boundary();
        body()
    }));
    // SAFETY: the caller passes NULL or a pointer from kpaudit_error_new that
    // no other thread is using (the documented contract).
    let err = unsafe { err.as_mut() };
    match outcome {
        Ok(Ok(())) => {
            if let Some(err) = err {
                err.clear();
            }
            kpaudit_result::KPAUDIT_OK
        }
        Ok(Err(failure)) => {
            if let Some(err) = err {
                err.set(&failure.message);
            }
            failure.code
        }
        Err(_) => {
            if let Some(err) = err {
                err.set("internal error: a panic was caught; the call had no effect");
            }
            kpaudit_result::KPAUDIT_PANIC
        }
    }
}

/// `report` for a call that fills a caller's result object: whatever fails
/// (a NULL argument, bad input, a panic), `empty` runs on that object, so it
/// never shows a previous result or a partial one.
pub(crate) fn report_or_empty<T>(
    err: *mut kpaudit_error,
    target: *mut T,
    empty: impl FnOnce(&mut T),
    body: impl FnOnce() -> Result<(), Failure>,
) -> kpaudit_result {
    let result = report(err, body);
    if result != kpaudit_result::KPAUDIT_OK {
        // SAFETY: the caller passes NULL or a live object that no other
        // thread is using (the documented contract of every such export).
        if let Some(target) = unsafe { target.as_mut() } {
            // Not the export's boundary: emptying must happen even when
            // the failure was a panic injected at that boundary.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| empty(target)));
        }
    }
    result
}

/// A new, empty error object, or NULL if memory ran out.
#[no_mangle]
pub extern "C" fn kpaudit_error_new() -> *mut kpaudit_error {
    ffi_panic_boundary! {
        Box::into_raw(Box::new(kpaudit_error { message: vec![0] }))
    }
}

/// The message of the last failed call given this error object; "" when
/// that call succeeded or there was none (and for NULL). Valid until the
/// object is next used or freed.
///
/// # Safety
///
/// `err` is NULL or a live pointer from `kpaudit_error_new`.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_error_message(err: *const kpaudit_error) -> *const c_char {
    ffi_panic_boundary! {
        // SAFETY: per the contract above.
        match unsafe { err.as_ref() } {
            Some(err) if !err.message.is_empty() => err.message.as_ptr().cast(),
            _ => EMPTY.as_ptr().cast(),
        }
    }
}

/// Releases an error object. NULL is fine.
///
/// # Safety
///
/// `err` is NULL or a pointer from `kpaudit_error_new` not yet freed.
#[no_mangle]
pub unsafe extern "C" fn kpaudit_error_free(err: *mut kpaudit_error) {
    ffi_panic_boundary! {
        if !err.is_null() {
            // SAFETY: per the contract above, it came from Box::into_raw.
            drop(unsafe { Box::from_raw(err) });
        }
    }
}
