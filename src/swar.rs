//! Word-at-a-time byte searches in safe Rust: eight bytes per step, with
//! the classic bit tricks, so the core needs no SIMD intrinsics (and no
//! `unsafe`).

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is zero. A borrow can only mark
/// bytes above the first true one, so the lowest mark is always right.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

/// High bit set in each byte of `w` below 0x20 (same caveat).
#[inline]
fn control_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES * 0x20) & !w & HIGHS
}

#[inline]
fn word(chunk: &[u8]) -> u64 {
    u64::from_le_bytes(chunk.try_into().expect("8 bytes"))
}

/// The index of the first byte that ends a run of plain string content: a
/// quote, a backslash or a control character. Sets `non_ascii` when a byte
/// scanned may be non-ASCII.
#[inline]
pub fn find_string_special(bytes: &[u8], non_ascii: &mut bool) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    let mut seen = 0;
    for chunk in &mut chunks {
        let w = word(chunk);
        seen |= w;
        let hits = zero_bytes(w ^ (ONES * u64::from(b'"')))
            | zero_bytes(w ^ (ONES * u64::from(b'\\')))
            | control_bytes(w);
        if hits != 0 {
            *non_ascii |= seen & HIGHS != 0;
            return Some(base + (hits.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    *non_ascii |= seen & HIGHS != 0;
    for (k, &b) in chunks.remainder().iter().enumerate() {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return Some(base + k);
        }
        *non_ascii |= b >= 0x80;
    }
    None
}

/// The index of the first `\n`.
pub fn find_newline(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let hits = zero_bytes(word(chunk) ^ (ONES * u64::from(b'\n')));
        if hits != 0 {
            return Some(base + (hits.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    let rest = chunks.remainder();
    rest.iter().position(|&b| b == b'\n').map(|k| base + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_string_special_agrees_with_a_byte_loop() {
        let mut samples: Vec<Vec<u8>> = Vec::new();
        for len in 0..40 {
            for special in [b'"', b'\\', 0x00, 0x1f, b'\n'] {
                for at in 0..=len {
                    let mut v = vec![b'a'; len];
                    v.extend_from_slice("\u{e9}\u{1F511}".as_bytes());
                    if at < v.len() {
                        v[at] = special;
                    }
                    samples.push(v);
                }
            }
        }
        samples.push(vec![0x20, 0x21, 0x7f, 0x80, 0xff, b'"']);
        for v in samples {
            let expected = v.iter().position(|&b| b == b'"' || b == b'\\' || b < 0x20);
            let mut non_ascii = false;
            assert_eq!(find_string_special(&v, &mut non_ascii), expected, "{v:?}");
            let scanned = &v[..expected.unwrap_or(v.len())];
            if scanned.iter().any(|&b| b >= 0x80) {
                assert!(non_ascii, "{v:?}");
            }
        }
    }

    #[test]
    fn find_newline_agrees_with_position() {
        for len in 0..30 {
            for at in 0..=len {
                let mut v = vec![b'x'; len];
                v.push(0x8a);
                if at < v.len() {
                    v[at] = b'\n';
                }
                assert_eq!(find_newline(&v), v.iter().position(|&b| b == b'\n'));
            }
        }
    }
}
