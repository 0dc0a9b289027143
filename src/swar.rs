//! Word-at-a-time helpers in safe Rust: a newline search, eight bytes per
//! step, for the part of an over-long line the first stage does not index;
//! and an ASCII check for the short strings MessagePack records are made of.

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

/// Whether every byte is ASCII. The standard `is_ascii` goes byte by byte
/// below a word and pays a call; member names and most values are 4 to 40
/// bytes, which two overlapping loads cover.
#[inline]
pub fn is_ascii(bytes: &[u8]) -> bool {
    let n = bytes.len();
    let high = if n >= 8 {
        let mut acc = word(&bytes[n - 8..]);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            acc |= word(chunk);
        }
        // The remainder lies inside the last eight bytes, already read.
        acc & HIGHS
    } else if n >= 4 {
        let half = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        u64::from((half(&bytes[..4]) | half(&bytes[n - 4..])) & 0x8080_8080)
    } else {
        bytes.iter().fold(0u64, |acc, &b| acc | u64::from(b)) & 0x80
    };
    high == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_ascii_agrees_with_std() {
        for len in 0..70 {
            let ascii: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(is_ascii(&ascii), "len {len}");
            for at in 0..len {
                let mut bytes = ascii.clone();
                bytes[at] = 0x80 | (at as u8);
                assert_eq!(
                    is_ascii(&bytes),
                    bytes.is_ascii(),
                    "len {len}, high byte at {at}"
                );
                assert!(!is_ascii(&bytes), "len {len}, high byte at {at}");
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
