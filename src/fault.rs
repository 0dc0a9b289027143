//! Test-only fault injection (cargo feature `panic-injection`): the core
//! panics on a chosen input, and any export panics on demand, so tests can
//! prove that the FFI panic boundary holds for every export and that a
//! handle stays usable after a panic. Never part of a release build.

use std::cell::Cell;

/// Input (event, batch line or configuration) holding these bytes makes
/// the core panic after it has done part of its work.
pub const TRIGGER: &[u8] = b"kpaudit-injected-panic";

thread_local! {
    // Per thread, so that arming one test's calls cannot hit another's.
    static AT_BOUNDARY: Cell<bool> = const { Cell::new(false) };
}

/// While on, every export called from this thread panics inside its panic
/// boundary before doing anything.
pub fn panic_at_boundary(on: bool) {
    AT_BOUNDARY.with(|armed| armed.set(on));
}

pub(crate) fn at_boundary() {
    if AT_BOUNDARY.with(Cell::get) {
        panic!("injected panic at the FFI boundary");
    }
}

pub(crate) fn on_input(input: &[u8]) {
    if input.windows(TRIGGER.len()).any(|w| w == TRIGGER) {
        panic!("injected panic on input");
    }
}
