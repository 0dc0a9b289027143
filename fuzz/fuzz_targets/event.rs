//! Any bytes as one event: the engine agrees with the reference and leaks
//! nothing.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| kpaudit_fuzz::check_event(data));
