//! Errors of the core. Messages say what went wrong and where (a byte offset
//! or a config path); an event error never quotes the event's bytes, since
//! they may hold key material.

use std::fmt;

/// The class of an error; each maps to one C result code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidConfig,
    InvalidEvent,
    EventTooLarge,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// An event error's description without its offset, so that a caller
    /// that scanned a part of an item can say where the part is.
    what: String,
    offset: Option<usize>,
}

impl Error {
    pub fn config(message: impl fmt::Display) -> Error {
        Error {
            kind: ErrorKind::InvalidConfig,
            message: format!("invalid config: {message}"),
            what: String::new(),
            offset: None,
        }
    }

    /// `what` describes the fault in the project's words, never the input's.
    pub fn event(what: &str, offset: usize) -> Error {
        Error {
            kind: ErrorKind::InvalidEvent,
            message: format!("invalid event: {what} at byte {offset}"),
            what: what.to_owned(),
            offset: Some(offset),
        }
    }

    /// This event error, found in a part of an item that starts at `base`:
    /// the offset counts from the item's start, and the message names the
    /// part (`the event header`) unless `part` is empty.
    pub(crate) fn within(self, part: &str, base: usize) -> Error {
        match (self.kind, self.offset) {
            (ErrorKind::InvalidEvent, Some(offset)) if part.is_empty() => {
                Error::event(&self.what, base + offset)
            }
            (ErrorKind::InvalidEvent, Some(offset)) => {
                Error::event(&format!("{} in {part}", self.what), base + offset)
            }
            _ => self,
        }
    }

    /// This event error with its offset moved by `to`.
    pub(crate) fn moved(self, to: impl FnOnce(usize) -> usize) -> Error {
        match (self.kind, self.offset) {
            (ErrorKind::InvalidEvent, Some(offset)) => Error::event(&self.what, to(offset)),
            _ => self,
        }
    }

    pub fn too_large(len: usize, limit: usize) -> Error {
        Error {
            kind: ErrorKind::EventTooLarge,
            message: format!("event too large: {len} bytes, over the limit of {limit}"),
            what: String::new(),
            offset: Some(limit),
        }
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// The byte offset of an event error.
    pub fn offset(&self) -> Option<usize> {
        self.offset
    }
}
