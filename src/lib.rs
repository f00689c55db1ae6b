//! tasklane: one client for every asynchronous AI-generation API, as WebAssembly.
//!
//! This crate is the thin wasm-bindgen shell over `tasklane-core`: it does `fetch`,
//! timers and JavaScript conversions. On targets other than `wasm32` it is empty, so
//! `cargo test --workspace` runs the core natively.
#![cfg_attr(target_arch = "wasm32", deny(missing_docs))]
