//! The rejected lines of a batch, kept in little memory whatever the input.
//!
//! A chunk of empty or broken lines is rejected line by line, and a record
//! of a few dozen bytes per rejection would make a 1-byte line cost 60
//! times its size. So each distinct message is stored once, and the
//! rejections are a byte stream of (lines since the previous rejection,
//! message id, repeat count), run-length coded: a run of identical
//! rejections (a chunk of empty lines) is one entry, and a rejection on
//! the line after the previous one with one of the first 128 messages is
//! one byte. Reading rejection `i` decodes from the nearest checkpoint (one
//! every `CHECKPOINT_EVERY` rejections) or from where the last read ended,
//! so reading them in order costs O(1) each.

use std::cell::Cell;
use std::collections::HashMap;

use crate::error::{Error, ErrorKind};

/// A rejected line (or MessagePack item) of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rejected<'a> {
    /// 1-based line (or item) number within the chunk.
    pub line: usize,
    pub kind: ErrorKind,
    /// What was wrong and where; never the line's bytes.
    pub message: &'a str,
}

const CHECKPOINT_EVERY: usize = 256;

/// Consecutive rejections with one message, each `delta` lines after the
/// one before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Run {
    delta: usize,
    id: u32,
    count: usize,
}

/// Where a decoded run starts: its first rejection's index, its bytes, and
/// the line of the rejection before it.
#[derive(Clone, Copy, Debug, Default)]
struct Place {
    index: usize,
    pos: usize,
    line_before: usize,
}

#[derive(Debug, Default)]
pub(crate) struct RejectLog {
    runs: Vec<u8>,
    /// The run still growing; written to `runs` by `finish`.
    pending: Option<Run>,
    count: usize,
    last_line: usize,
    /// A place at least every `CHECKPOINT_EVERY` rejections.
    checkpoints: Vec<Place>,
    next_checkpoint: usize,
    /// Where the last read ended, for reading in order.
    cursor: Cell<Place>,
    messages: Messages,
}

/// Each distinct message once, NUL-terminated (a C host borrows it).
#[derive(Debug, Default)]
struct Messages {
    text: Vec<u8>,
    /// By id: where the message starts in `text`, its length, its kind.
    entries: Vec<(usize, usize, ErrorKind)>,
    ids: HashMap<Box<str>, u32>,
}

impl Messages {
    fn id(&mut self, error: &Error) -> u32 {
        if let Some(&id) = self.ids.get(error.message()) {
            return id;
        }
        let id = self.entries.len() as u32;
        let start = self.text.len();
        self.text.extend_from_slice(error.message().as_bytes());
        self.text.push(0);
        self.entries
            .push((start, error.message().len(), error.kind()));
        self.ids.insert(error.message().into(), id);
        id
    }
}

impl RejectLog {
    pub fn clear(&mut self) {
        self.runs.clear();
        self.pending = None;
        self.count = 0;
        self.last_line = 0;
        self.checkpoints.clear();
        self.next_checkpoint = 0;
        self.cursor.set(Place::default());
        self.messages.text.clear();
        self.messages.entries.clear();
        self.messages.ids.clear();
    }

    /// Records that `line` (greater than any line recorded since `clear`)
    /// was rejected with `error`.
    pub fn push(&mut self, line: usize, error: &Error) {
        let id = self.messages.id(error);
        let delta = line - self.last_line;
        match &mut self.pending {
            Some(run) if run.delta == delta && run.id == id => run.count += 1,
            _ => {
                self.finish();
                self.pending = Some(Run {
                    delta,
                    id,
                    count: 1,
                });
            }
        }
        self.last_line = line;
        self.count += 1;
    }

    /// Writes the pending run; the log is then readable.
    pub fn finish(&mut self) {
        let Some(run) = self.pending.take() else {
            return;
        };
        let index = self.count - run.count;
        if index >= self.next_checkpoint {
            self.checkpoints.push(Place {
                index,
                pos: self.runs.len(),
                line_before: self.last_line - run.delta * run.count,
            });
            self.next_checkpoint = index + CHECKPOINT_EVERY;
        }
        grow_gently(&mut self.runs, 24);
        encode(&mut self.runs, run);
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Rejection `i`, in input order. Needs `finish` after the last `push`.
    pub fn get(&self, i: usize) -> Option<Rejected<'_>> {
        if i >= self.count || self.pending.is_some() {
            return None;
        }
        let mut place = self.cursor.get();
        if place.index > i || place.pos >= self.runs.len() {
            let k = self.checkpoints.partition_point(|c| c.index <= i) - 1;
            place = self.checkpoints[k];
        }
        loop {
            let (run, next) = decode(&self.runs, place.pos);
            if i < place.index + run.count {
                self.cursor.set(place);
                let line = place.line_before + run.delta * (i - place.index + 1);
                let (start, len, kind) = self.messages.entries[run.id as usize];
                let message = std::str::from_utf8(&self.messages.text[start..start + len])
                    .unwrap_or_default();
                return Some(Rejected {
                    line,
                    kind,
                    message,
                });
            }
            place = Place {
                index: place.index + run.count,
                pos: next,
                line_before: place.line_before + run.delta * run.count,
            };
        }
    }

    /// The message of rejection `i` with its trailing NUL.
    pub fn message_with_nul(&self, i: usize) -> Option<&[u8]> {
        let message = self.get(i)?.message;
        let start = message.as_ptr() as usize - self.messages.text.as_ptr() as usize;
        Some(&self.messages.text[start..start + message.len() + 1])
    }
}

/// Makes room for `more` bytes, growing by a quarter rather than doubling,
/// so that the log never holds much more than it has written.
fn grow_gently(bytes: &mut Vec<u8>, more: usize) {
    if bytes.capacity() - bytes.len() < more {
        bytes.reserve_exact(bytes.capacity() / 4 + more.max(256));
    }
}

// A run in one byte: `0iii_iiii` (delta 1, count 1, id < 128); in two:
// `10ii_iiii iiii_iiii` (delta 1, count 1, id < 16384); else `1100_00dc`
// and varints: the id, then the delta if d, then the count if c.
fn encode(out: &mut Vec<u8>, run: Run) {
    match run {
        Run {
            delta: 1,
            id,
            count: 1,
        } if id < 0x80 => out.push(id as u8),
        Run {
            delta: 1,
            id,
            count: 1,
        } if id < 0x4000 => out.extend_from_slice(&[0x80 | (id >> 8) as u8, id as u8]),
        Run { delta, id, count } => {
            let flags = u8::from(delta != 1) << 1 | u8::from(count != 1);
            out.push(0xc0 | flags);
            varint(out, id as usize);
            if delta != 1 {
                varint(out, delta);
            }
            if count != 1 {
                varint(out, count);
            }
        }
    }
}

fn decode(bytes: &[u8], pos: usize) -> (Run, usize) {
    let b = bytes[pos];
    match b {
        0x00..=0x7f => (
            Run {
                delta: 1,
                id: u32::from(b),
                count: 1,
            },
            pos + 1,
        ),
        0x80..=0xbf => {
            let id = u32::from(b & 0x3f) << 8 | u32::from(bytes[pos + 1]);
            (
                Run {
                    delta: 1,
                    id,
                    count: 1,
                },
                pos + 2,
            )
        }
        _ => {
            let mut at = pos + 1;
            let id = read_varint(bytes, &mut at) as u32;
            let delta = if b & 2 != 0 {
                read_varint(bytes, &mut at)
            } else {
                1
            };
            let count = if b & 1 != 0 {
                read_varint(bytes, &mut at)
            } else {
                1
            };
            (Run { delta, id, count }, at)
        }
    }
}

fn varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(bytes: &[u8], at: &mut usize) -> usize {
    let mut n = 0usize;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        n |= usize::from(b & 0x7f) << shift;
        if b < 0x80 {
            return n;
        }
        shift += 7;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(n: usize) -> Error {
        Error::event(&format!("fault {}", n % 300), n % 7)
    }

    #[test]
    fn reads_back_what_was_pushed_in_any_order() {
        let mut log = RejectLog::default();
        let mut expected = Vec::new();
        let mut line = 0;
        let mut state = 12345u64;
        for i in 0..5000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as usize;
            // Runs of one message, gaps of every size, ids past 128 and 16384.
            line += if i % 50 < 30 { 1 } else { 1 + r % 1000 };
            let e = if i % 50 < 20 { error(3) } else { error(r) };
            log.push(line, &e);
            expected.push((line, e.message().to_owned()));
        }
        log.finish();
        assert_eq!(log.len(), expected.len());
        let check = |i: usize| {
            let got = log.get(i).unwrap();
            assert_eq!(
                (got.line, got.message),
                (expected[i].0, &*expected[i].1),
                "{i}"
            );
            let with_nul = log.message_with_nul(i).unwrap();
            assert_eq!(with_nul.last(), Some(&0));
            assert_eq!(&with_nul[..with_nul.len() - 1], expected[i].1.as_bytes());
        };
        (0..expected.len()).for_each(check);
        (0..expected.len()).rev().step_by(7).for_each(check);
        for i in 0..expected.len() {
            check((i * 7919) % expected.len());
        }
        assert!(log.get(expected.len()).is_none());
    }

    #[test]
    fn a_run_of_one_message_costs_a_few_bytes() {
        let mut log = RejectLog::default();
        let e = Error::event("empty event", 0);
        for line in 1..=1_000_000 {
            log.push(line, &e);
        }
        log.finish();
        assert!(log.runs.len() < 8, "{}", log.runs.len());
        assert_eq!(log.get(999_999).unwrap().line, 1_000_000);
    }

    #[test]
    fn encoding_round_trips() {
        for run in [
            Run {
                delta: 1,
                id: 0,
                count: 1,
            },
            Run {
                delta: 1,
                id: 127,
                count: 1,
            },
            Run {
                delta: 1,
                id: 128,
                count: 1,
            },
            Run {
                delta: 1,
                id: 16383,
                count: 1,
            },
            Run {
                delta: 1,
                id: 16384,
                count: 1,
            },
            Run {
                delta: 2,
                id: 5,
                count: 1,
            },
            Run {
                delta: 1,
                id: 5,
                count: 2,
            },
            Run {
                delta: usize::MAX / 3,
                id: u32::MAX,
                count: usize::MAX / 5,
            },
        ] {
            let mut bytes = vec![0xee];
            encode(&mut bytes, run);
            assert_eq!(decode(&bytes, 1), (run, bytes.len()), "{run:?}");
        }
    }
}
