//! The engine: many operations (submit, status, wait, cancel, events) on one timer queue.
mod types;
pub use types::*;

/// Placeholder while the engine is written.
#[derive(Debug)]
pub struct Engine;
