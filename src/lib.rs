//! tasklane: one client for every asynchronous AI-generation API, as WebAssembly.
//!
//! This crate is the thin wasm-bindgen shell over `tasklane-core`: it does `fetch`,
//! timers and JavaScript conversions. On targets other than `wasm32` it is empty, so
//! `cargo test --workspace` runs the core natively.
#![cfg_attr(target_arch = "wasm32", deny(missing_docs))]

#[cfg(target_arch = "wasm32")]
mod errors;

#[cfg(target_arch = "wasm32")]
pub use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// Runs once when the module is instantiated: panics (which would be bugs) reach the
    /// console with their message instead of an opaque `unreachable`.
    #[wasm_bindgen(start)]
    pub fn start() {
        console_error_panic_hook::set_once();
    }
}
