//! The MessagePack format: reading one value's header, and writing the few
//! values the transform adds (strings, and map headers it rewrites).

/// What a value's first bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    Nil,
    Bool,
    Uint(u64),
    /// A negative integer: a number, but never a status code.
    OtherNumber,
    /// A float (a float32 widened), as the bits of an `f64`: a status code
    /// when its value is a whole number.
    Float(u64),
    /// A string's body is `len` bytes after the header.
    Str {
        len: usize,
    },
    Bin {
        len: usize,
    },
    /// An extension's body (its type byte included) is `len` bytes.
    Ext {
        len: usize,
    },
    Array {
        items: u64,
    },
    Map {
        members: u64,
    },
}

/// A map header's encoding, which a rewritten count keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapWidth {
    Fix,
    W16,
    W32,
}

/// Why a header cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeadError {
    End,
    /// 0xc1, which the format never uses.
    Reserved,
}

/// The nil value.
pub(crate) const NIL: u8 = 0xc0;

/// The header of the value at `input[pos..]` and its length in bytes.
#[inline(always)]
pub fn head(input: &[u8], pos: usize) -> Result<(Head, usize), HeadError> {
    let b = *input.get(pos).ok_or(HeadError::End)?;
    let be = |n: usize| -> Result<u64, HeadError> {
        let bytes = input.get(pos + 1..pos + 1 + n).ok_or(HeadError::End)?;
        Ok(bytes.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    };
    let sized = |n: usize| -> Result<usize, HeadError> { Ok(be(n)? as usize) };
    Ok(match b {
        0x00..=0x7f => (Head::Uint(u64::from(b)), 1),
        0x80..=0x8f => (
            Head::Map {
                members: u64::from(b & 0x0f),
            },
            1,
        ),
        0x90..=0x9f => (
            Head::Array {
                items: u64::from(b & 0x0f),
            },
            1,
        ),
        0xa0..=0xbf => (
            Head::Str {
                len: usize::from(b & 0x1f),
            },
            1,
        ),
        0xc0 => (Head::Nil, 1),
        0xc1 => return Err(HeadError::Reserved),
        0xc2 | 0xc3 => (Head::Bool, 1),
        0xc4 => (Head::Bin { len: sized(1)? }, 2),
        0xc5 => (Head::Bin { len: sized(2)? }, 3),
        0xc6 => (Head::Bin { len: sized(4)? }, 5),
        // Extensions: length, then a type byte counted in the body.
        0xc7 => (Head::Ext { len: sized(1)? + 1 }, 2),
        0xc8 => (Head::Ext { len: sized(2)? + 1 }, 3),
        0xc9 => (Head::Ext { len: sized(4)? + 1 }, 5),
        0xca => {
            // be(4) holds 4 bytes: the cast keeps them all.
            let bits = be(4)? as u32;
            (Head::Float(f64::from(f32::from_bits(bits)).to_bits()), 5)
        }
        0xcb => (Head::Float(be(8)?), 9),
        0xcc => (Head::Uint(be(1)?), 2),
        0xcd => (Head::Uint(be(2)?), 3),
        0xce => (Head::Uint(be(4)?), 5),
        0xcf => (Head::Uint(be(8)?), 9),
        0xd0..=0xd3 => {
            let n = 1 << (b - 0xd0);
            let v = be(n)?;
            // Signed: non-negative values are still integers a status can be.
            let negative = v >> (8 * n - 1) & 1 == 1;
            (
                if negative {
                    Head::OtherNumber
                } else {
                    Head::Uint(v)
                },
                1 + n,
            )
        }
        0xd4..=0xd8 => (
            Head::Ext {
                len: 1 + (1 << (b - 0xd4)),
            },
            1,
        ),
        0xd9 => (Head::Str { len: sized(1)? }, 2),
        0xda => (Head::Str { len: sized(2)? }, 3),
        0xdb => (Head::Str { len: sized(4)? }, 5),
        0xdc => (Head::Array { items: be(2)? }, 3),
        0xdd => (Head::Array { items: be(4)? }, 5),
        0xde => (Head::Map { members: be(2)? }, 3),
        0xdf => (Head::Map { members: be(4)? }, 5),
        0xe0..=0xff => (Head::OtherNumber, 1),
    })
}

/// The width of the map header starting with byte `b`.
pub fn map_width(b: u8) -> MapWidth {
    match b {
        0xde => MapWidth::W16,
        0xdf => MapWidth::W32,
        _ => MapWidth::Fix,
    }
}

/// Rewrites the count of the map header at `out[at..]`, keeping its width
/// (the count only ever shrinks there, so it fits).
pub fn patch_map_count(out: &mut [u8], at: usize, width: MapWidth, count: u64) {
    match width {
        MapWidth::Fix => out[at] = 0x80 | count as u8,
        MapWidth::W16 => out[at + 1..at + 3].copy_from_slice(&(count as u16).to_be_bytes()),
        MapWidth::W32 => out[at + 1..at + 5].copy_from_slice(&(count as u32).to_be_bytes()),
    }
}

/// Whether `count` fits a header of `width`.
pub fn fits(width: MapWidth, count: u64) -> bool {
    match width {
        MapWidth::Fix => count <= 15,
        MapWidth::W16 => count <= 0xffff,
        MapWidth::W32 => count <= 0xffff_ffff,
    }
}

/// The shortest map header for `count` members, written into `out`;
/// returns its length.
pub fn map_header_into(count: u64, out: &mut [u8; 5]) -> usize {
    container_header_into(count, [0x80, 0xde, 0xdf], out)
}

/// The shortest array header for `count` items, written into `out`; its
/// length.
pub fn array_header_into(count: u64, out: &mut [u8; 5]) -> usize {
    container_header_into(count, [0x90, 0xdc, 0xdd], out)
}

/// `types`: the fix, 16-bit and 32-bit forms' type bytes.
fn container_header_into(count: u64, types: [u8; 3], out: &mut [u8; 5]) -> usize {
    if count <= 15 {
        out[0] = types[0] | count as u8;
        1
    } else if count <= 0xffff {
        out[0] = types[1];
        out[1..3].copy_from_slice(&(count as u16).to_be_bytes());
        3
    } else {
        out[0] = types[2];
        out[1..5].copy_from_slice(&(count as u32).to_be_bytes());
        5
    }
}

/// The shortest map header for `count` members.
pub fn map_header(count: u64) -> Vec<u8> {
    if count <= 15 {
        vec![0x80 | count as u8]
    } else if count <= 0xffff {
        let mut h = vec![0xde];
        h.extend_from_slice(&(count as u16).to_be_bytes());
        h
    } else {
        let mut h = vec![0xdf];
        h.extend_from_slice(&(count as u32).to_be_bytes());
        h
    }
}

/// `text` as a MessagePack string, shortest header.
pub fn str_value(text: &str) -> Vec<u8> {
    let mut v = Vec::with_capacity(text.len() + 5);
    str_header(text.len(), &mut v);
    v.extend_from_slice(text.as_bytes());
    v
}

/// Appends the shortest header of a string of `len` bytes.
pub fn str_header(len: usize, out: &mut Vec<u8>) {
    if len <= 31 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
}

/// The end of the value starting at `pos`, checking lengths only (not
/// UTF-8 or depth): how a batch finds where one record ends. `None` when
/// the bytes end first or hold the reserved byte.
pub fn skip_value(input: &[u8], pos: usize) -> Option<usize> {
    value_end(input, pos).ok()
}

/// `skip_value`, telling the bytes ending first (`End`: more may complete
/// the value) from the reserved byte (`Reserved`: nothing can).
pub fn value_end(input: &[u8], mut pos: usize) -> Result<usize, HeadError> {
    // Values still to skip; containers add their items.
    let mut pending: u64 = 1;
    while pending > 0 {
        let (head, header) = head(input, pos)?;
        pos = pos.checked_add(header).ok_or(HeadError::End)?;
        pending -= 1;
        match head {
            Head::Str { len } | Head::Bin { len } | Head::Ext { len } => {
                pos = pos.checked_add(len).ok_or(HeadError::End)?;
                if pos > input.len() {
                    return Err(HeadError::End);
                }
            }
            Head::Array { items } => pending = pending.saturating_add(items),
            Head::Map { members } => pending = pending.saturating_add(members.saturating_mul(2)),
            Head::Nil | Head::Bool | Head::Uint(_) | Head::OtherNumber | Head::Float(_) => {}
        }
        // Every pending value needs at least one byte.
        if pending > (input.len() - pos) as u64 {
            return Err(HeadError::End);
        }
    }
    Ok(pos)
}
