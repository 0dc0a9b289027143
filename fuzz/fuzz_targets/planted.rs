//! A generated event with key material planted in it, then edited by the
//! fuzzer's bytes: the engine agrees with the reference and leaks nothing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kpaudit_fuzz::check_event(&kpaudit_fuzz::planted_event(data));
});
