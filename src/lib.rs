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

#[cfg(target_arch = "wasm32")]
mod wasm {
    use wasm_bindgen::prelude::*;

    /// Runs once when the module is instantiated: panics (which would be bugs) reach the
    /// console with their message instead of an opaque `unreachable`.
    #[wasm_bindgen(start)]
    pub fn start() {
        console_error_panic_hook::set_once();
    }

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
