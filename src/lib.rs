//! tasklane: one client for every asynchronous AI-generation API, as WebAssembly.
//!
//! This crate is the thin wasm-bindgen shell over `tasklane-core`: it does `fetch`,
//! timers and JavaScript conversions. On targets other than `wasm32` it is empty, so
//! `cargo test --workspace` runs the core natively.
//!
//! Modules: [`client`] (the `TaskClient` class), `driver` (runs the engine on the event
//! loop), `fetch`, `store`, `convert` (JS ⇄ core types), `errors` (`TaskError`,
//! `WebhookError`), `js` (what comes from `globalThis`), `request` (reading an incoming
//! `Request`), `webhook` and `proxy`.
//!
//! Features: `client` (`TaskClient` with its driver, fetch and stores), `webhook` (the
//! webhook verifier and handler, `signWebhook`) and `proxy` (`createProxyHandler`), all on
//! by default. The npm package is built four times: all three (the `tasklane` entry), and
//! each alone: `tasklane/client`, `tasklane/webhook`, `tasklane/proxy`.
#![cfg_attr(target_arch = "wasm32", deny(missing_docs))]

#[cfg(all(target_arch = "wasm32", feature = "client"))]
pub mod client;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(all(target_arch = "wasm32", feature = "client"))]
mod driver;
#[cfg(target_arch = "wasm32")]
mod errors;
#[cfg(all(target_arch = "wasm32", feature = "client"))]
mod fetch;
#[cfg(target_arch = "wasm32")]
mod js;
#[cfg(all(target_arch = "wasm32", feature = "client"))]
mod store;
// Other shell modules go here, one `#[cfg(...)] mod` line each: `feature = "client"` for
// what only `TaskClient` uses, `feature = "webhook"` or `feature = "proxy"` for one of the
// two request handlers, `any(...)` for what several features share.
#[cfg(all(target_arch = "wasm32", feature = "proxy"))]
mod proxy;
#[cfg(all(target_arch = "wasm32", any(feature = "webhook", feature = "proxy")))]
mod request;
#[cfg(all(target_arch = "wasm32", feature = "webhook"))]
mod webhook;

#[cfg(all(target_arch = "wasm32", feature = "client"))]
pub use client::TaskClient;
#[cfg(target_arch = "wasm32")]
pub use errors::set_error_classes;
#[cfg(target_arch = "wasm32")]
pub use wasm::*;

/// The allocator: talc instead of the standard library's dlmalloc, for size (issue 7).
#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "atomics"),
    not(feature = "fast-alloc")
))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

#[cfg(any(
    test,
    all(
        target_arch = "wasm32",
        not(target_feature = "atomics"),
        feature = "fast-alloc"
    )
))]
mod alloc;
/// The allocator of the builds compiled for speed: talc, with free lists for small blocks.
#[cfg(all(
    target_arch = "wasm32",
    not(target_feature = "atomics"),
    feature = "fast-alloc"
))]
#[global_allocator]
static ALLOCATOR: alloc::SizeClasses<talc::wasm::WasmDynamicTalc> =
    alloc::SizeClasses::new(talc::wasm::new_wasm_dynamic_allocator());

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
