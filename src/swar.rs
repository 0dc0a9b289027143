//! Word-at-a-time helpers in safe Rust: a newline search, eight bytes per
//! step, for the part of an over-long line the first stage does not index;
//! and an ASCII and JSON-mark check for the short strings MessagePack records
//! are made of (sixteen bytes at a time where SSE2 is there).

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

/// What a MessagePack string holds that the scanner must look at: bytes
/// that are not ASCII (to validate UTF-8), and a `"` or `\` (it may be JSON
/// text holding key material, see `KeyMaterial::in_text`). One pass finds
/// both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Text {
    pub ascii: bool,
    pub json_marks: bool,
}

/// What most strings are: all ASCII, no quote or backslash.
const PLAIN: Text = Text {
    ascii: true,
    json_marks: false,
};

/// Whether every byte is ASCII and whether one is a `"` or `\`. Member
/// names and most values are 4 to 40 bytes, which two overlapping loads
/// cover (the standard `is_ascii` goes byte by byte below a word and pays a
/// call). One test per word finds all three, loosely: only a string that
/// has one of them is looked at again, byte by byte.
#[inline(always)]
pub fn text(bytes: &[u8]) -> Text {
    if !may_be_special(bytes) {
        return PLAIN;
    }
    exact_text(bytes)
}

/// `text` of `input[start..end]`, sixteen bytes at a time with SSE2 (part
/// of every x86-64). A string shorter than sixteen bytes is tested through
/// the sixteen bytes of `input` that start (or else end) with it, its own
/// bits kept by a mask: one load and compare where the word test takes two
/// or three, for the 4 to 40-byte strings records are made of.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub fn text_within(input: &[u8], start: usize, end: usize) -> Text {
    let bytes = &input[start..end];
    let n = bytes.len();
    let loose = if n >= LANE {
        let mut lanes = bytes.chunks_exact(LANE);
        // The last lane overlaps the one before it when `n` is not a
        // multiple of sixteen: the bytes tested twice change nothing.
        let mut acc = marks(&bytes[n - LANE..]);
        for lane in &mut lanes {
            acc |= marks(lane);
        }
        acc
    } else if let Some(window) = input.get(start..start + LANE) {
        marks(window) & ((1 << n) - 1)
    } else if end >= LANE {
        marks(&input[end - LANE..end]) >> (LANE - n)
    } else {
        return text(bytes);
    };
    if loose == 0 {
        PLAIN
    } else {
        exact_text(bytes)
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub fn text_within(input: &[u8], start: usize, end: usize) -> Text {
    text(&input[start..end])
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const LANE: usize = 16;

/// Bit `i` set where byte `i` of the sixteen is `"`, `\` or not ASCII.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn marks(lane: &[u8]) -> u32 {
    use safe_arch::{
        cmp_eq_mask_i8_m128i as eq, load_unaligned_m128i as load, move_mask_i8_m128i as mask,
        set_splat_i8_m128i as splat,
    };
    let v = load(lane.try_into().expect("16 bytes"));
    // A byte's own high bit marks it as not ASCII.
    mask(eq(v, splat(b'"' as i8)) | eq(v, splat(b'\\' as i8)) | v) as u32
}

#[cold]
#[inline(never)]
fn exact_text(bytes: &[u8]) -> Text {
    Text {
        ascii: bytes.is_ascii(),
        json_marks: json_marks(bytes),
    }
}

/// Whether there is a `"` or `\`, byte by byte: for binary data, and for
/// strings the word test could not clear.
pub fn json_marks(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b == b'"' || b == b'\\')
}

/// High bit set in some byte of the result if a byte of `w` is `"`, `\`
/// or not ASCII, and only then. `(w ^ QUOTES) - ONES` sets a byte's high
/// bit where `w`'s byte is `"` (0 - 1; the borrow that passes up only marks
/// bytes above a true one) or has its own high bit set (it survives the
/// xor; the one exception, 0xA2, is caught by `| w`); the same for `\`.
#[inline(always)]
fn special(w: u64) -> u64 {
    unmasked(w) & HIGHS
}

/// `special` before its mask: the mask of an OR of these is the OR of
/// their masks, so a loop masks once, at the end.
#[inline(always)]
fn unmasked(w: u64) -> u64 {
    const QUOTES: u64 = ONES * b'"' as u64;
    const BACKSLASHES: u64 = ONES * b'\\' as u64;
    (w ^ QUOTES).wrapping_sub(ONES) | (w ^ BACKSLASHES).wrapping_sub(ONES) | w
}

#[inline(always)]
fn may_be_special(bytes: &[u8]) -> bool {
    let n = bytes.len();
    if n >= 8 {
        let mut acc = unmasked(word(&bytes[n - 8..]));
        let mut pairs = bytes.chunks_exact(16);
        for pair in &mut pairs {
            acc |= unmasked(word(&pair[..8])) | unmasked(word(&pair[8..]));
        }
        if pairs.remainder().len() >= 8 {
            acc |= unmasked(word(&pairs.remainder()[..8]));
        }
        // The rest lies inside the last eight bytes, already read.
        acc & HIGHS != 0
    } else if n >= 4 {
        let half = |b: &[u8]| u32::from_le_bytes(b.try_into().expect("4 bytes"));
        // The two halves overlap for n < 8: one word holds both.
        special(u64::from(half(&bytes[..4])) | u64::from(half(&bytes[n - 4..])) << 32) != 0
    } else {
        bytes.iter().any(|&b| b >= 0x80 || b == b'"' || b == b'\\')
    }
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

    /// Every string length and place in the input, so that each window
    /// (ahead, behind, none) is taken, with a mark inside the string, just
    /// before and just after it.
    #[test]
    fn text_within_agrees_with_std() {
        for total in 0..48 {
            let plain: Vec<u8> = (0..total).map(|i| b'a' + (i % 26) as u8).collect();
            for start in 0..=total {
                for end in start..=total {
                    let marked = (0..total).map(Some).chain([None]);
                    for (at, b) in marked.flat_map(|at| [b'"', b'\\', 0xc3].map(|b| (at, b))) {
                        let mut input = plain.clone();
                        if let Some(at) = at {
                            input[at] = b;
                        }
                        let bytes = &input[start..end];
                        let want = Text {
                            ascii: bytes.is_ascii(),
                            json_marks: json_marks(bytes),
                        };
                        let got = text_within(&input, start, end);
                        assert_eq!(got, want, "{total} bytes, {start}..{end}, {b:#x} at {at:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn text_agrees_with_std() {
        for len in 0..70 {
            let plain: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            assert_eq!(
                text(&plain),
                Text {
                    ascii: true,
                    json_marks: false
                },
                "len {len}"
            );
            for at in 0..len {
                for b in [
                    b'"',
                    b'\\',
                    0x80 | (at as u8),
                    b'"' ^ 0x80,
                    b'\\' ^ 0x80,
                    b'"' - 1,
                    b'"' + 1,
                    b'\\' + 1,
                    0,
                ] {
                    let mut bytes = plain.clone();
                    bytes[at] = b;
                    let want = Text {
                        ascii: bytes.is_ascii(),
                        json_marks: bytes.iter().any(|&b| b == b'"' || b == b'\\'),
                    };
                    assert_eq!(text(&bytes), want, "len {len}, {b:#x} at {at}");
                }
            }
        }
    }
}
