//! The sans-IO core of tasklane. Nothing in this crate touches the network, a clock or a
//! random source: callers pass `now` (milliseconds) and HTTP responses in, and take
//! request descriptions, wake-up times and normalized task updates out.
#![deny(missing_docs)]
pub mod webhook;
