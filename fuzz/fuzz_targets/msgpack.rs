//! Any bytes as one MessagePack record, and as a MessagePack chunk:
//! valid, redacted output or a clean rejection; every item accounted for.
#![no_main]

use kpaudit::Batch;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    kpaudit_fuzz::check_msgpack(data);
    let mut batch = Batch::new();
    kpaudit_fuzz::defaults().transform_msgpack_batch(data, &mut batch);
    assert_eq!(batch.emitted() + batch.rejected().len(), batch.lines());
    assert_eq!(batch.lines() == 0, data.is_empty());
    for i in 0..batch.rejected().len() {
        kpaudit_fuzz::check_message(batch.rejected_message(i).unwrap());
    }
});
