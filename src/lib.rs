//! kpaudit: a transform for IBM Cloud Key Protect activity-tracking events.
//!
//! For each raw event (one JSON object) it sets `severity` from the action
//! and the HTTP status, strips key material at any depth, and names the
//! route matched to the region of the Key Protect instance that produced it.
//!
//! The core (everything but [`ffi`]) is plain Rust: build a [`Transform`]
//! once from configuration, then run [`Transform::transform`] on each event
//! with a reused [`Output`]. The [`ffi`] module is the C ABI over it,
//! declared in `include/kpaudit.h`.

// Only the ffi module may hold `unsafe`; the core is kept free of it.
#[deny(unsafe_code)]
pub mod batch;
#[deny(unsafe_code)]
mod blocks;
#[deny(unsafe_code)]
pub mod config;
#[deny(unsafe_code)]
pub mod error;
#[deny(unsafe_code)]
pub mod explain;
#[deny(unsafe_code)]
mod fast_hash;
#[cfg(feature = "panic-injection")]
#[deny(unsafe_code)]
pub mod fault;
pub mod ffi;
#[deny(unsafe_code)]
mod json;
mod json_msgpack;
#[deny(unsafe_code)]
mod mpscan;
#[deny(unsafe_code)]
mod msgpack;
#[deny(unsafe_code)]
mod name_filter;
#[deny(unsafe_code)]
pub mod redact;
#[deny(unsafe_code)]
mod rejects;
#[deny(unsafe_code)]
pub mod route;
#[deny(unsafe_code)]
mod scan;
#[deny(unsafe_code)]
pub mod severity;
#[deny(unsafe_code)]
mod swar;
#[deny(unsafe_code)]
mod transform;

pub use batch::Batch;
pub use config::Config;
/// The library's version, `MAJOR.MINOR.PATCH`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use error::{Error, ErrorKind};
pub use explain::Explanation;
pub use rejects::Rejected;
pub use severity::Severity;
pub use transform::{ItemFacts, Output, Transform};
