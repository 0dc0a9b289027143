//! The batch's heap stays within twice the chunk plus a constant whatever
//! the mix of rejected lines: a rejected line, even a 1-byte one, must not
//! cost tens of bytes. Measured with a counting allocator that counts the
//! allocations of the thread that asked it to (the modules shared with
//! other tests bring tests of their own, which run beside this one).

mod leak;
mod msgpack_codec;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

use kpaudit::{Batch, Transform};
use leak::corpus::{self, Rng};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MEASURED: Cell<bool> = const { Cell::new(false) };
}

fn measured() -> bool {
    MEASURED.try_with(Cell::get).unwrap_or(false)
}

fn grew(by: usize) {
    if measured() {
        let live = LIVE.fetch_add(by, Relaxed) + by;
        PEAK.fetch_max(live, Relaxed);
    }
}

fn shrank(by: usize) {
    if measured() {
        LIVE.fetch_sub(by, Relaxed);
    }
}

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grew(layout.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrank(layout.size());
        // SAFETY: the caller's contract is System's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            grew(new_size - layout.size());
        } else {
            shrank(layout.size() - new_size);
        }
        // SAFETY: the caller's contract is System's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CHUNK: usize = 4 << 20;
/// What a batch may hold beyond twice the chunk: its fixed buffers.
const CONSTANT: usize = 256 << 10;

/// Peak heap added while a new batch takes `chunk`, and what the batch
/// reports (lines, rejected).
fn peak_of(run: impl FnOnce(&mut Batch)) -> (usize, usize, usize) {
    // Counted from zero: what this thread frees that it allocated before
    // would otherwise count against it.
    LIVE.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    MEASURED.with(|m| m.set(true));
    let mut batch = Batch::new();
    run(&mut batch);
    // Read every rejection back: a host asks for them all.
    let mut read = 0;
    for r in batch.rejected().iter() {
        assert!(!r.message.is_empty());
        read += 1;
    }
    assert_eq!(read, batch.rejected().len());
    let peak = PEAK.load(Relaxed);
    let counts = (batch.lines(), batch.rejected().len());
    drop(batch);
    MEASURED.with(|m| m.set(false));
    (peak, counts.0, counts.1)
}

fn repeat_to(unit: &[u8], size: usize) -> Vec<u8> {
    unit.iter().copied().cycle().take(size).collect()
}

#[test]
fn the_batch_heap_is_within_twice_the_chunk_for_any_mix_of_rejected_lines() {
    let json = Transform::from_json(b"").unwrap();
    let mut rng = Rng::new(3);

    // Lines of growing length whose fault falls at a different byte each
    // time: as many distinct messages as a chunk can hold.
    let mut distinct = Vec::new();
    let mut n = 0;
    while distinct.len() < CHUNK {
        distinct.extend_from_slice(b"{\"a\":");
        distinct.extend(std::iter::repeat_n(b' ', n % 700));
        distinct.extend_from_slice(b"x\n");
        n += 1;
    }
    distinct.truncate(CHUNK);
    // Random bytes cut into random lines.
    let random: Vec<u8> = (0..CHUNK)
        .map(|_| {
            if rng.chance(0.1) {
                b'\n'
            } else {
                rng.range(0, 256) as u8
            }
        })
        .collect();
    // Half generated events, half empty and broken lines between them.
    let mut mixed = Vec::new();
    while mixed.len() < CHUNK {
        mixed.extend_from_slice(corpus::event(&mut rng).as_bytes());
        mixed.extend_from_slice(b"\n\n\nx\n[\n");
    }

    let json_cases: [(&str, Vec<u8>); 6] = [
        ("empty lines", vec![b'\n'; CHUNK]),
        ("one invalid literal per line", repeat_to(b"x\n", CHUNK)),
        (
            "short lines with other messages, alternating",
            repeat_to(b"\nx\n[\n1\n\"\nnul\n{\n}\n-\n", CHUNK),
        ),
        ("distinct offsets", distinct),
        ("random bytes", random),
        ("events among broken lines", mixed),
    ];
    for (what, chunk) in &json_cases {
        let (peak, lines, rejected) = peak_of(|b| json.transform_batch(chunk, b));
        assert!(rejected > 0 && lines > 0, "{what}");
        println!("ndjson {what}: {lines} lines, {rejected} rejected, peak {peak} bytes");
        assert!(
            peak <= 2 * chunk.len() + CONSTANT,
            "ndjson {what}: peak {peak} bytes for a chunk of {}",
            chunk.len()
        );
    }

    let nil = vec![0xc0; CHUNK];
    // Items that are not maps, each with another message.
    let others = repeat_to(&[0xc0, 0x01, 0xa0, 0x90, 0xc3, 0x92, 0x01, 0x01], CHUNK);
    // Framed items whose headers fail.
    let bad_headers = repeat_to(&[0x92, 0xa2, 0xc3, 0x28, 0x80], CHUNK);
    let mut mp_mixed = Vec::new();
    while mp_mixed.len() < CHUNK {
        let event: serde_json::Value = serde_json::from_str(&corpus::event(&mut rng)).unwrap();
        mp_mixed.extend(msgpack_codec::encode(&event));
        mp_mixed.extend_from_slice(&[0xc0, 0xc0, 0x01, 0x92, 0xa1, 0xff, 0x80]);
    }
    let msgpack_cases: [(&str, Vec<u8>); 4] = [
        ("nil items", nil),
        ("items of other types", others),
        ("framed items with bad headers", bad_headers),
        ("records among bad items", mp_mixed),
    ];
    for (what, chunk) in &msgpack_cases {
        let (peak, lines, rejected) = peak_of(|b| json.transform_msgpack_batch(chunk, b));
        assert!(rejected > 0 && lines > 0, "{what}");
        println!("msgpack {what}: {lines} items, {rejected} rejected, peak {peak} bytes");
        assert!(
            peak <= 2 * chunk.len() + CONSTANT,
            "msgpack {what}: peak {peak} bytes for a chunk of {}",
            chunk.len()
        );
    }
}
