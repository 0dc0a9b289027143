//! Fluent Bit's framed events, `[[timestamp, metadata], record]`, with key
//! material planted in the metadata and the record, every framing width,
//! marker-like timestamps, then edited: nothing leaks from the header.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (item, edited) = kpaudit_fuzz::framed_item(data);
    kpaudit_fuzz::check_framed(&item, edited);
});
