//! The FFI panic boundary, proved export by export. With the test-only
//! `panic-injection` feature, any export panics on demand (at its entry)
//! and the core panics on a chosen input (after doing part of its work).
//! Every export must return its panic value (`KPAUDIT_PANIC` for fallible
//! calls, NULL/0/"" for the others), leave no partial result behind, and
//! the handles it was given must stay usable.
//!
//! Run with: cargo test --features panic-injection --test panic_boundary

use std::collections::BTreeSet;
use std::ffi::{c_char, CStr};
use std::ptr::{null, null_mut};

use kpaudit::fault;
use kpaudit::ffi::*;

const EVENT: &[u8] = br#"{"action":"kms.secrets.delete","payload":"c2VjcmV0","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:i::"}"#;

/// Calls an export with the boundary armed, noting that it was covered.
macro_rules! armed {
    ($covered:ident, $f:ident ( $($arg:expr),* )) => {{
        $covered.insert(stringify!($f));
        fault::panic_at_boundary(true);
        #[allow(unused_unsafe)]
        // SAFETY: every argument is NULL, in range or a live handle.
        let value = unsafe { $f($($arg),*) };
        fault::panic_at_boundary(false);
        value
    }};
}

/// The default hook would print every injected panic; a test's own
/// failures are still reported.
fn quiet_injected_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info.payload().downcast_ref::<&str>().copied().unwrap_or("");
        if !message.starts_with("injected panic") {
            default(info);
        }
    }));
}

fn text(s: *const c_char) -> String {
    assert!(!s.is_null(), "a string accessor returned NULL");
    // SAFETY: non-NULL strings from kpaudit are NUL-terminated and live.
    unsafe { CStr::from_ptr(s) }.to_str().unwrap().to_owned()
}

/// Every function the header declares.
fn header_functions() -> BTreeSet<String> {
    let header = include_str!("../include/kpaudit.h");
    let mut names = BTreeSet::new();
    for line in header.lines() {
        let line = line.trim_start();
        if line.starts_with('*') || line.starts_with("/*") || line.starts_with("#") {
            continue;
        }
        for (start, _) in line.match_indices("kpaudit_") {
            let rest = &line[start..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if rest[end..].starts_with('(') {
                names.insert(rest[..end].to_owned());
            }
        }
    }
    names
}

struct Handles {
    t: *mut kpaudit_transform,
    out: *mut kpaudit_output,
    err: *mut kpaudit_error,
    batch: *mut kpaudit_batch,
}

impl Handles {
    fn new() -> Handles {
        let err = kpaudit_error_new();
        let mut t = null_mut();
        // SAFETY: valid arguments; defaults from an empty config.
        let r = unsafe { kpaudit_transform_new(null(), 0, &mut t, err) };
        assert_eq!(r, kpaudit_result::KPAUDIT_OK);
        Handles {
            t,
            out: kpaudit_output_new(),
            err,
            batch: kpaudit_batch_new(),
        }
    }

    /// The handles still work: one event and one chunk go through.
    fn still_usable(&self) {
        // SAFETY: live handles from `new`.
        unsafe {
            let r =
                kpaudit_transform_event(self.t, EVENT.as_ptr(), EVENT.len(), self.out, self.err);
            assert_eq!(r, kpaudit_result::KPAUDIT_OK);
            assert_eq!(text(kpaudit_output_route(self.out)), "us-south");
            let index = kpaudit_output_route_index(self.out);
            assert_eq!(
                text(kpaudit_transform_route_name(self.t, index)),
                "us-south"
            );
            assert_eq!(kpaudit_output_redacted(self.out), 1);
            assert_eq!(text(kpaudit_error_message(self.err)), "");
            let chunk = [EVENT, b"\n", EVENT].concat();
            let r =
                kpaudit_transform_batch(self.t, chunk.as_ptr(), chunk.len(), self.batch, self.err);
            assert_eq!(r, kpaudit_result::KPAUDIT_OK);
            assert_eq!(kpaudit_batch_lines(self.batch), 2);
            assert_eq!(kpaudit_batch_emitted(self.batch), 2);
        }
    }

    fn output_is_empty(&self) {
        let mut len = 99;
        // SAFETY: live handles from `new`.
        unsafe {
            assert!(kpaudit_output_data(self.out, &mut len).is_null());
            assert_eq!(len, 0);
            assert_eq!(text(kpaudit_output_route(self.out)), "");
            assert_eq!(kpaudit_output_route_index(self.out), usize::MAX);
            assert_eq!(kpaudit_output_redacted(self.out), 0);
        }
    }

    fn batch_is_empty(&self) {
        // SAFETY: live handles from `new`.
        unsafe {
            assert_eq!(kpaudit_batch_lines(self.batch), 0);
            assert_eq!(kpaudit_batch_emitted(self.batch), 0);
            assert_eq!(kpaudit_batch_rejected(self.batch), 0);
            for route in 0..kpaudit_batch_route_count(self.batch) {
                let mut len = 99;
                assert!(kpaudit_batch_route_data(self.batch, route, &mut len).is_null());
                assert_eq!(len, 0);
            }
        }
    }

    fn error_says_panic(&self) {
        // SAFETY: a live error object.
        let message = text(unsafe { kpaudit_error_message(self.err) });
        assert!(message.contains("panic"), "{message}");
    }
}

impl Drop for Handles {
    fn drop(&mut self) {
        // SAFETY: live handles from `new`, freed once.
        unsafe {
            kpaudit_batch_free(self.batch);
            kpaudit_output_free(self.out);
            kpaudit_transform_free(self.t);
            kpaudit_error_free(self.err);
        }
    }
}

#[test]
fn every_export_returns_its_panic_value_and_handles_stay_usable() {
    quiet_injected_panics();
    let mut covered = BTreeSet::new();
    let h = Handles::new();
    h.still_usable();
    let mut len: usize;

    // Constructors: NULL, nothing allocated.
    assert!(armed!(covered, kpaudit_error_new()).is_null());
    assert!(armed!(covered, kpaudit_output_new()).is_null());
    assert!(armed!(covered, kpaudit_batch_new()).is_null());
    // A sentinel no constructor returns: *out must keep it.
    let unwritten = std::ptr::dangling_mut::<kpaudit_transform>();
    let mut t2 = unwritten;
    let r = armed!(covered, kpaudit_transform_new(null(), 0, &mut t2, h.err));
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    assert_eq!(t2, unwritten, "*out written on a panic");
    h.error_says_panic();

    // Fallible calls: KPAUDIT_PANIC, result objects emptied.
    h.still_usable();
    let r = armed!(
        covered,
        kpaudit_transform_event(h.t, EVENT.as_ptr(), EVENT.len(), h.out, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.output_is_empty();
    h.error_says_panic();
    h.still_usable();
    let r = armed!(
        covered,
        kpaudit_transform_batch(h.t, EVENT.as_ptr(), EVENT.len(), h.batch, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.batch_is_empty();
    h.error_says_panic();
    h.still_usable();
    let record = b"\x81\xa1a\x01";
    let r = armed!(
        covered,
        kpaudit_transform_msgpack(h.t, record.as_ptr(), record.len(), h.out, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.output_is_empty();
    h.still_usable();
    let r = armed!(
        covered,
        kpaudit_transform_msgpack_item(h.t, record.as_ptr(), record.len(), h.out, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.output_is_empty();
    h.still_usable();
    let mut info = kpaudit_item_info {
        len: 7,
        nesting: 7,
        has_member: true,
    };
    let r = armed!(
        covered,
        kpaudit_transform_msgpack_next(
            h.t,
            record.as_ptr(),
            record.len(),
            b"a".as_ptr(),
            1,
            h.out,
            &mut info,
            h.err
        )
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    assert_eq!((info.len, info.nesting, info.has_member), (7, 7, true));
    h.output_is_empty();
    h.still_usable();
    let r = armed!(
        covered,
        kpaudit_redact_msgpack(h.t, record.as_ptr(), record.len(), h.out, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.output_is_empty();
    h.still_usable();
    let r = armed!(
        covered,
        kpaudit_transform_msgpack_batch(h.t, record.as_ptr(), record.len(), h.batch, h.err)
    );
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.batch_is_empty();
    h.still_usable();

    // Accessors on live, filled objects: 0, NULL or "".
    assert_eq!(armed!(covered, kpaudit_transform_route_count(h.t)), 0);
    assert_eq!(
        text(armed!(covered, kpaudit_transform_route_name(h.t, 0))),
        ""
    );
    assert_eq!(
        armed!(covered, kpaudit_transform_key_material_count(h.t)),
        0
    );
    len = 99;
    let name = armed!(
        covered,
        kpaudit_transform_key_material_name(h.t, 0, &mut len)
    );
    assert!(name.is_null());
    assert_eq!(len, 99, "the length is written only on success");
    assert!(armed!(covered, kpaudit_transform_mask(h.t, &mut len)).is_null());
    assert_eq!(len, 99, "the length is written only on success");
    assert!(armed!(covered, kpaudit_output_data(h.out, &mut len)).is_null());
    assert_eq!(len, 0);
    let severity = armed!(covered, kpaudit_output_severity(h.out));
    assert_eq!(severity, kpaudit_severity::KPAUDIT_SEVERITY_NORMAL);
    assert_eq!(text(armed!(covered, kpaudit_output_route(h.out))), "");
    assert_eq!(
        armed!(covered, kpaudit_output_route_index(h.out)),
        usize::MAX
    );
    assert_eq!(armed!(covered, kpaudit_output_redacted(h.out)), 0);
    assert_eq!(text(armed!(covered, kpaudit_error_message(h.err))), "");
    assert_eq!(armed!(covered, kpaudit_batch_lines(h.batch)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_emitted(h.batch)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_redacted(h.batch)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_severity_count(h.batch, 2)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_route_count(h.batch)), 0);
    assert_eq!(
        text(armed!(covered, kpaudit_batch_route_name(h.batch, 0))),
        ""
    );
    len = 99;
    assert!(armed!(covered, kpaudit_batch_route_data(h.batch, 0, &mut len)).is_null());
    assert_eq!(len, 0);
    assert_eq!(armed!(covered, kpaudit_batch_route_events(h.batch, 0)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_rejected(h.batch)), 0);
    assert_eq!(armed!(covered, kpaudit_batch_rejected_line(h.batch, 0)), 0);
    let r = armed!(covered, kpaudit_batch_rejected_result(h.batch, 0));
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    assert_eq!(
        text(armed!(covered, kpaudit_batch_rejected_message(h.batch, 0))),
        ""
    );
    assert_eq!(text(armed!(covered, kpaudit_version())), "");
    assert_eq!(armed!(covered, kpaudit_abi_version()), 0);
    assert_eq!(text(armed!(covered, kpaudit_result_str(0))), "");
    assert_eq!(text(armed!(covered, kpaudit_severity_str(0))), "");

    // Destructors: the panic leaves the object alive and usable.
    let (t, out, err, batch) = (h.t, h.out, h.err, h.batch);
    armed!(covered, kpaudit_transform_free(t));
    armed!(covered, kpaudit_output_free(out));
    armed!(covered, kpaudit_error_free(err));
    armed!(covered, kpaudit_batch_free(batch));
    h.still_usable();

    let declared = header_functions();
    let covered: BTreeSet<String> = covered.into_iter().map(str::to_owned).collect();
    assert_eq!(
        covered, declared,
        "every export in include/kpaudit.h is tested"
    );
}

#[test]
fn a_panic_in_the_core_mid_event_leaves_nothing_behind() {
    quiet_injected_panics();
    let h = Handles::new();
    h.still_usable();
    let event = br#"{"action":"kms.secrets.create","note":"kpaudit-injected-panic","payload":"x"}"#;
    // SAFETY: live handles and a valid buffer.
    let r = unsafe { kpaudit_transform_event(h.t, event.as_ptr(), event.len(), h.out, h.err) };
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.output_is_empty();
    h.error_says_panic();
    h.still_usable();
}

#[test]
fn a_panic_in_the_core_mid_batch_leaves_nothing_behind() {
    quiet_injected_panics();
    let h = Handles::new();
    h.still_usable();
    let bad = br#"{"note":"kpaudit-injected-panic"}"#;
    let chunk = [EVENT, b"\n", EVENT, b"\n", bad, b"\n", EVENT].concat();
    // SAFETY: live handles and a valid buffer.
    let r = unsafe { kpaudit_transform_batch(h.t, chunk.as_ptr(), chunk.len(), h.batch, h.err) };
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.batch_is_empty();
    h.error_says_panic();
    h.still_usable();
}

#[test]
fn a_panic_while_compiling_a_config_writes_no_handle() {
    quiet_injected_panics();
    let h = Handles::new();
    let config = br#"{"redact":{"fields":["kpaudit-injected-panic"]}}"#;
    let unwritten = std::ptr::dangling_mut::<kpaudit_transform>();
    let mut t = unwritten;
    // SAFETY: a valid buffer, a writable out and a live error object.
    let r = unsafe { kpaudit_transform_new(config.as_ptr(), config.len(), &mut t, h.err) };
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    assert_eq!(t, unwritten, "*out written on a panic");
    h.error_says_panic();
    // The same config without the trigger compiles.
    let config = br#"{"redact":{"fields":["secretMaterial"]}}"#;
    // SAFETY: as above.
    let r = unsafe { kpaudit_transform_new(config.as_ptr(), config.len(), &mut t, h.err) };
    assert_eq!(r, kpaudit_result::KPAUDIT_OK);
    // SAFETY: a handle just made.
    unsafe { kpaudit_transform_free(t) };
}

#[test]
fn a_panic_in_the_core_mid_msgpack_batch_leaves_nothing_behind() {
    quiet_injected_panics();
    let h = Handles::new();
    h.still_usable();
    // Two records, the second holding the trigger as a string.
    let mut chunk = b"\x81\xa1a\x01\x81\xa1b".to_vec();
    chunk.push(0xa0 | fault::TRIGGER.len() as u8);
    chunk.extend_from_slice(fault::TRIGGER);
    // SAFETY: live handles and a valid buffer.
    let r = unsafe {
        kpaudit_transform_msgpack_batch(h.t, chunk.as_ptr(), chunk.len(), h.batch, h.err)
    };
    assert_eq!(r, kpaudit_result::KPAUDIT_PANIC);
    h.batch_is_empty();
    h.error_says_panic();
    h.still_usable();
}
