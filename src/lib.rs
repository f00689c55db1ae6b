//! tasklane: one client for every asynchronous AI-generation API, as WebAssembly.
//!
//! This crate is the thin wasm-bindgen shell over `tasklane-core`: it does `fetch`,
//! timers and JavaScript conversions. On targets other than `wasm32` it is empty, so
//! `cargo test --workspace` runs the core natively.
//!
//! Modules: [`client`] (the `TaskClient` class), `driver` (runs the engine on the event
//! loop), `fetch`, `store`, `convert` (JS ⇄ core types), `errors` (`TaskError`,
//! `WebhookError`), `js` (what comes from `globalThis`).
#![cfg_attr(target_arch = "wasm32", deny(missing_docs))]

#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod driver;
#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(target_arch = "wasm32")]
mod store;
// Other shell modules (webhook, proxy) go here, one `#[cfg(target_arch = "wasm32")] mod` line each.
#[cfg(target_arch = "wasm32")]
mod proxy;
#[cfg(target_arch = "wasm32")]
mod webhook;

#[cfg(target_arch = "wasm32")]
pub use client::TaskClient;
#[cfg(target_arch = "wasm32")]
pub use errors::{task_error_class, webhook_error_class};
#[cfg(target_arch = "wasm32")]
pub use wasm::*;

/// The allocator: talc instead of the standard library's dlmalloc, for size (issue 7).
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// The four built-in dialects as plain profile objects (`profiles.mirako` ...); the
    /// package exports the result as `profiles`.
    #[wasm_bindgen(js_name = __profiles, skip_typescript)]
    pub fn profiles() -> JsValue {
        let out = js_sys::Object::new();
        for (name, text) in tasklane_core::dialects::PROFILES {
            crate::js::set(&out, name, &crate::convert::to_js(text));
        }
        out.into()
    }
}
