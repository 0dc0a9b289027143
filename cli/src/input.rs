//! Reading events line by line without ever holding more of a line than
//! the transform accepts: a longer line is counted and skipped, so a
//! multi-gigabyte line costs no memory.

use std::io::{self, BufRead};

/// One line of input, without its newline.
pub enum Line<'a> {
    Bytes(&'a [u8]),
    /// A line over the size limit: its length, its bytes skipped.
    TooLong(usize),
}

pub struct Lines<R> {
    reader: R,
    limit: usize,
    line: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    pub fn new(reader: R, limit: usize) -> Lines<R> {
        Lines {
            reader,
            limit,
            line: Vec::new(),
        }
    }

    /// The next line (a final line without a newline too), or `None` at
    /// the end of the input.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.line.clear();
        let mut len = 0usize;
        let mut any = false;
        loop {
            let buf = match self.reader.fill_buf() {
                Ok(buf) => buf,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i, true),
                None => (buf.len(), false),
            };
            if len + take <= self.limit {
                self.line.extend_from_slice(&buf[..take]);
            }
            len += take;
            self.reader.consume(take + usize::from(done));
            if done {
                return Ok(Some(self.finish(len)));
            }
        }
        Ok(any.then(|| self.finish(len)))
    }

    fn finish(&self, len: usize) -> Line<'_> {
        if len > self.limit {
            Line::TooLong(len)
        } else {
            Line::Bytes(&self.line)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], limit: usize) -> Vec<Result<Vec<u8>, usize>> {
        let mut reader = Lines::new(io::BufReader::with_capacity(4, input), limit);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(match line {
                Line::Bytes(b) => Ok(b.to_vec()),
                Line::TooLong(n) => Err(n),
            });
        }
        out
    }

    #[test]
    fn splits_lines_and_skips_long_ones_across_buffer_refills() {
        let got = lines(b"ab\n\n0123456789\nxyz", 5);
        assert_eq!(
            got,
            vec![Ok(b"ab".to_vec()), Ok(vec![]), Err(10), Ok(b"xyz".to_vec())]
        );
        assert!(lines(b"", 5).is_empty());
        assert_eq!(lines(b"\n", 5), vec![Ok(vec![])]);
    }
}
