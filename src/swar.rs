//! A word-at-a-time newline search in safe Rust, eight bytes per step,
//! for the part of an over-long line the first stage does not index.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `w` that is zero. A borrow can only mark
/// bytes above the first true one, so the lowest mark is always right.
#[inline]
fn zero_bytes(w: u64) -> u64 {
    w.wrapping_sub(ONES) & !w & HIGHS
}

#[inline]
fn word(chunk: &[u8]) -> u64 {
    u64::from_le_bytes(chunk.try_into().expect("8 bytes"))
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
