//! The first stage of the scan: an index of an event, 64 bytes to a bit,
//! of the bytes that end a run of string content (a quote, a backslash or
//! a control character). The scanner finds the end of a string with one
//! lookup and a `trailing_zeros` instead of a byte loop whose exit the CPU
//! mispredicts on nearly every string. In the batch the same pass finds
//! the newline that ends the line.

/// Bytes per bitmap word.
pub(crate) const WIDTH: usize = 64;

/// One block's bitmaps, bit `i` for byte `i`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Classes {
    /// `"`, `\` and bytes below 0x20.
    pub specials: u64,
    pub newlines: u64,
    /// Some byte is 0x80 or above.
    pub high: bool,
}

/// Classifies 64 bytes, 16 at a time with SSE2 (part of every x86-64).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub fn classify(block: &[u8; WIDTH]) -> Classes {
    use safe_arch::{
        cmp_eq_mask_i8_m128i as eq, load_unaligned_m128i as load, min_u8_m128i,
        move_mask_i8_m128i as mask, set_splat_i8_m128i as splat,
    };
    let quote = splat(b'"' as i8);
    let backslash = splat(b'\\' as i8);
    let newline = splat(b'\n' as i8);
    let below_space = splat(0x1f);
    let lane = |k: usize| load(block[16 * k..16 * k + 16].try_into().expect("16 bytes"));
    let (v0, v1, v2, v3) = (lane(0), lane(1), lane(2), lane(3));
    // v <= 0x1f exactly when min(v, 0x1f) == v (unsigned).
    let special = |v| eq(v, quote) | eq(v, backslash) | eq(min_u8_m128i(v, below_space), v);
    let bits = |m0, m1, m2, m3| {
        let half = |m| u64::from(mask(m) as u16);
        half(m0) | half(m1) << 16 | half(m2) << 32 | half(m3) << 48
    };
    Classes {
        specials: bits(special(v0), special(v1), special(v2), special(v3)),
        newlines: bits(
            eq(v0, newline),
            eq(v1, newline),
            eq(v2, newline),
            eq(v3, newline),
        ),
        high: mask(v0 | v1 | v2 | v3) != 0,
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline]
pub fn classify(block: &[u8; WIDTH]) -> Classes {
    classify_words(block)
}

/// Classifies 64 bytes eight at a time with exact word tricks (no byte can
/// borrow from its neighbour), for targets without SSE2.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
pub fn classify_words(block: &[u8; WIDTH]) -> Classes {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const LOW7: u64 = ONES * 0x7f;
    const HIGHS: u64 = ONES * 0x80;
    // High bit of each byte of `w` that is zero.
    let zero = |w: u64| !(((w & LOW7) + LOW7) | w) & HIGHS;
    // The high bits of a word's bytes, packed into its low 8 bits.
    let pack = |marks: u64| ((marks >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) & 0xff;
    let mut c = Classes::default();
    let mut high = 0;
    for (k, chunk) in block.chunks_exact(8).enumerate() {
        let w = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        let control = !(((w & LOW7) + ONES * 0x60) | w) & HIGHS;
        let special =
            zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\'))) | control;
        let at = 8 * k;
        c.specials |= pack(special) << at;
        c.newlines |= pack(zero(w ^ (ONES * u64::from(b'\n')))) << at;
        high |= w & HIGHS;
    }
    c.high = high != 0;
    c
}

/// The bitmaps of one event (or line), reused from event to event.
#[derive(Debug, Default)]
pub struct Index {
    /// A word per 64 bytes, then a zero word.
    specials: Vec<u64>,
    /// Some byte of the event is 0x80 or above.
    pub any_high: bool,
}

impl Index {
    /// Indexes all of `event`.
    pub fn build(&mut self, event: &[u8]) {
        self.specials.clear();
        let mut high = false;
        let mut blocks = event.chunks_exact(WIDTH);
        for block in &mut blocks {
            let c = classify(block.try_into().expect("64 bytes"));
            self.specials.push(c.specials);
            high |= c.high;
        }
        let tail = blocks.remainder();
        if !tail.is_empty() {
            let c = classify(&padded(tail));
            self.specials.push(c.specials);
            high |= c.high;
        }
        self.specials.push(0);
        self.any_high = high;
    }

    /// Finds the end of the first line of `chunk` (the index of its `\n`, or
    /// the chunk's length) and indexes the line when it is at most `max`
    /// bytes long; a longer line is not indexed, as it is not scanned.
    pub fn build_line(&mut self, chunk: &[u8], max: usize) -> usize {
        self.specials.clear();
        let mut high = false;
        let mut at = 0;
        let blocks = chunk.chunks_exact(WIDTH);
        let tail = blocks.remainder();
        let tail = (!tail.is_empty()).then_some(tail);
        for c in blocks
            .map(|block| classify(block.try_into().expect("64 bytes")))
            .chain(tail.into_iter().map(|tail| classify(&padded(tail))))
        {
            if c.newlines != 0 {
                let n = c.newlines.trailing_zeros();
                // Bits from the newline on belong to the next line; so do
                // its bytes, which may be what set `high`.
                let line = (1u64 << n) - 1;
                self.specials.push(c.specials & line);
                self.specials.push(0);
                let line_end = at + n as usize;
                self.any_high = high || (c.high && !chunk[at..line_end].is_ascii());
                return line_end;
            }
            self.specials.push(c.specials);
            high |= c.high;
            at += WIDTH;
            if at > max && at < chunk.len() {
                // Too long to scan: only the newline is wanted now.
                self.specials.clear();
                self.any_high = false;
                let rest = chunk.get(at..).unwrap_or_default();
                return crate::swar::find_newline(rest).map_or(chunk.len(), |i| at + i);
            }
        }
        self.specials.push(0);
        self.any_high = high;
        chunk.len()
    }

    /// The position of the first special byte at or after `from`.
    #[inline(always)]
    pub fn next_special(&self, from: usize) -> Option<usize> {
        let word = from / WIDTH;
        let shift = from % WIDTH;
        // One bounds check: the index ends with a zero word, which no
        // search needs to start in.
        let &[low, high] = self.specials.get(word..word + 2)? else {
            return None;
        };
        // The 64 bits from `from` on, across the word boundary, so that a
        // string shorter than 64 bytes ends without a loop wherever it sits.
        let bits = (low >> shift) | ((high << 1) << (WIDTH - 1 - shift));
        if bits != 0 {
            return Some(from + bits.trailing_zeros() as usize);
        }
        self.next_special_after(word + 1)
    }

    /// The first special byte in the words from `word` on.
    #[cold]
    fn next_special_after(&self, mut word: usize) -> Option<usize> {
        loop {
            let bits = *self.specials.get(word)?;
            if bits != 0 {
                return Some(word * WIDTH + bits.trailing_zeros() as usize);
            }
            word += 1;
        }
    }
}

/// The last, short block, padded with spaces (which no bitmap marks).
fn padded(tail: &[u8]) -> [u8; WIDTH] {
    let mut block = [b' '; WIDTH];
    block[..tail.len()].copy_from_slice(tail);
    block
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_bytes(block: &[u8; WIDTH]) -> Classes {
        let mut c = Classes::default();
        for (i, &b) in block.iter().enumerate() {
            c.specials |= u64::from(b == b'"' || b == b'\\' || b < 0x20) << i;
            c.newlines |= u64::from(b == b'\n') << i;
            c.high |= b >= 0x80;
        }
        c
    }

    #[test]
    fn both_classifiers_agree_with_a_byte_loop() {
        // Every byte value at every lane position, next to every neighbour
        // class that could disturb a word trick.
        let neighbours = [0x00, 0x01, 0x1f, 0x20, b'"', b'\\', 0x7f, 0x80, 0xff];
        for b in 0..=255u8 {
            for &n in &neighbours {
                for at in 0..WIDTH {
                    let mut block = [n; WIDTH];
                    block[at] = b;
                    let want = by_bytes(&block);
                    assert_eq!(classify(&block), want, "byte {b:#x} at {at} among {n:#x}");
                    assert_eq!(
                        classify_words(&block),
                        want,
                        "byte {b:#x} at {at} among {n:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn next_special_walks_across_words() {
        let mut event = vec![b'a'; 300];
        for at in [0, 63, 64, 65, 200, 299] {
            event[at] = b'"';
        }
        let mut index = Index::default();
        index.build(&event);
        let mut found = Vec::new();
        let mut from = 0;
        while let Some(k) = index.next_special(from) {
            found.push(k);
            from = k + 1;
        }
        assert_eq!(found, [0, 63, 64, 65, 200, 299]);
        assert_eq!(index.next_special(300), None);
    }

    #[test]
    fn build_line_stops_at_the_newline_and_masks_the_next_line() {
        let mut chunk = vec![b'x'; 130];
        chunk[100] = b'\n';
        chunk[101] = b'"';
        chunk[5] = b'"';
        let mut index = Index::default();
        assert_eq!(index.build_line(&chunk, 1000), 100);
        assert_eq!(index.next_special(0), Some(5));
        assert_eq!(index.next_special(6), None);
        assert!(!index.any_high);
        assert_eq!(index.build_line(&chunk[101..], 1000), 29);
        assert_eq!(index.next_special(0), Some(0));
        // Over the limit: the line's length, without an index.
        chunk[100] = b'y';
        chunk[120] = b'\n';
        chunk[110] = 0xc3;
        assert_eq!(index.build_line(&chunk, 10), 120);
        assert_eq!(index.build_line(&chunk, 1000), 120);
        assert!(index.any_high);
        assert_eq!(index.build_line(b"no newline", 1000), 10);
        // A short line under a limit below the block width is indexed.
        assert_eq!(index.build_line(br#"{"payload":1}"#, 40), 13);
        assert_eq!(index.next_special(0), Some(1));
        // Over the limit within a short last block, with and without a newline.
        for len in [1, 63, 64, 65, 100, 127, 128, 129] {
            let line = vec![b'z'; len];
            assert_eq!(index.build_line(&line, 0), len);
            let mut with_newline = line.clone();
            with_newline.extend_from_slice(b"\nnext");
            assert_eq!(index.build_line(&with_newline, 0), len);
        }
    }
}
