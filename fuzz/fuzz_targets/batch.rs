//! Any bytes as a chunk of NDJSON: every line accounted for, each line's
//! result the same as through the per-event path, nothing leaked.
#![no_main]

use kpaudit::{Batch, Output};
use kpaudit_fuzz::{check_message, check_result, defaults, leak};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let t = defaults();
    let mut batch = Batch::new();
    t.transform_batch(data, &mut batch);

    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") || data.is_empty() {
        lines.pop();
    }
    assert_eq!(batch.lines(), lines.len());
    assert_eq!(batch.emitted() + batch.rejected().len(), lines.len());

    // Replay each line alone; its output must be the next line of its
    // route's buffer.
    let mut cursors = vec![0usize; batch.route_count()];
    let mut rejected = batch.rejected().iter().map(|r| r.line).peekable();
    let mut out = Output::new();
    for (i, line) in lines.iter().enumerate() {
        let result = t.transform(line, &mut out);
        check_result(
            line,
            result.as_ref().map(|()| &out).map_err(Clone::clone),
            out.data(),
        );
        if result.is_ok() {
            let route = out.route_index();
            let buffer = batch.route_ndjson(route);
            let end = cursors[route] + out.data().len();
            assert_eq!(&buffer[cursors[route]..end], out.data());
            assert_eq!(buffer[end], b'\n');
            cursors[route] = end + 1;
        } else {
            assert_eq!(rejected.next(), Some(i + 1));
        }
    }
    assert_eq!(rejected.next(), None);
    for (route, cursor) in cursors.iter().enumerate() {
        assert_eq!(*cursor, batch.route_ndjson(route).len());
        assert!(leak::findings(batch.route_ndjson(route), true).is_empty());
    }
    for i in 0..batch.rejected().len() {
        check_message(batch.rejected_message(i).unwrap());
    }
});
