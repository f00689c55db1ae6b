//! The webhook receiver for JavaScript: `verifyWebhook`, `createWebhookHandler` and
//! `signWebhook`. The checks themselves are the core's (`tasklane_core::webhook`); this
//! module reads the web `Request` (headers, then the body under a size limit, with
//! `crate::request`, which the proxy shares), computes the HMAC (in wasm or with Web
//! Crypto, whichever is faster for the size), answers with a `Response`, and keeps the
//! duplicate window. It works on any web `Request`: Node 18+, Deno, browsers and workerd.

mod handler;
mod hmac;
mod options;
mod sign;
mod verify;

use js_sys::{Array, Promise, Uint8Array};
use tasklane_core::text::concat;
use wasm_bindgen::prelude::*;

use crate::errors::{invalid_argument, webhook_error};
use crate::request::{get, MEMORY};
use crate::request::{name, Refusal};

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle`.
    type Subtle;
    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Subtle,
        format: &str,
        key: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn sign(
        this: &Subtle,
        algorithm: &str,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    /// Node's `node:crypto` module.
    #[derive(Clone)]
    type NodeCrypto;

    /// The global `Response` class.
    #[wasm_bindgen(js_name = Response)]
    type JsResponse;
    #[wasm_bindgen(constructor, js_class = "Response", catch)]
    fn new(body: &str, init: &JsValue) -> Result<JsResponse, JsValue>;
}

/// The JavaScript side of the hot path, one snippet (one file in `dist/snippets/`; reading
/// the request is `crate::request`'s): each function does in one call what would otherwise
/// be several crossings of the wasm boundary (property reads, string copies, promise
/// plumbing).
#[wasm_bindgen(inline_js = r#"
const read = (o, k) => { try { return o[k]; } catch {} };
export function nodeHmac(crypto, key, memory, prefix, prefixLen, body, bodyLen, out) {
  const m = new Uint8Array(memory.buffer);
  const h = crypto.createHmac("sha256", key);
  h.update(m.subarray(prefix, prefix + prefixLen));
  h.update(m.subarray(body, body + bodyLen));
  m.set(h.digest(), out);
}
const settle = (o, value) =>
  Object.defineProperty(o, "raw", { value, writable: true, enumerable: true, configurable: true });
export function updateObject(text, raw) {
  const update = JSON.parse(text);
  // `raw` is parsed on first read (then an ordinary property): a handler that only needs
  // the normalized fields never pays a second parse of the body, the larger part of a
  // 64 KiB delivery's time. Assigning it first works too.
  return Object.defineProperty(update, "raw", {
    get() {
      let v = null;
      try { v = JSON.parse(raw); } catch {}
      settle(this, v);
      return v;
    },
    set(v) { settle(this, v); },
    enumerable: true,
    configurable: true,
  });
}
const FIELDS = ["provider", "authToken", "secret", "toleranceSec", "maxBodyBytes", "hmac"];
export function optionFields(o) {
  return FIELDS.map((k) => read(o, k));
}
export function sameOptions(o, seen) {
  return FIELDS.every((k, i) => Object.is(read(o, k), seen[i]));
}
export function deferred() {
  const d = [];
  d[0] = new Promise((resolve) => { d[1] = resolve; });
  return d;
}
"#)]
extern "C" {
    /// `createHmac("sha256", key).update(prefix).update(body).digest()` over bytes in wasm
    /// memory, the tag written back to `out`: one call, and `node:crypto` hashes the very
    /// bytes the core parses.
    #[wasm_bindgen(js_name = nodeHmac, catch)]
    #[allow(clippy::too_many_arguments)]
    fn node_hmac(
        crypto: &NodeCrypto,
        key: &Uint8Array,
        memory: &JsValue,
        prefix: u32,
        prefix_len: u32,
        body: u32,
        body_len: u32,
        out: u32,
    ) -> Result<(), JsValue>;
    /// The `TaskUpdate` object: the core's JSON text of it, with `raw` parsed from the body
    /// text on first read (the same text the core's parser accepted, so JSON.parse accepts
    /// it too).
    #[wasm_bindgen(js_name = updateObject)]
    fn update_object(text: &str, raw: &JsValue) -> JsValue;
    /// The option fields a config is built from, as an array.
    #[wasm_bindgen(js_name = optionFields)]
    fn option_fields(options: &JsValue) -> JsValue;
    /// Whether each of those fields is the same value (`Object.is`) as in `seen`.
    #[wasm_bindgen(js_name = sameOptions)]
    fn same_options(options: &JsValue, seen: &JsValue) -> bool;
    /// `[promise, resolve]`: a new promise and the function that resolves it (without a
    /// Rust executor closure and its glue).
    fn deferred() -> Array;
}

/// `obj[key] = value` with a cached key string, on an object this module created (cannot fail).
fn set(obj: &JsValue, key: &'static str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &name(key), value);
}

impl Refusal {
    /// The refusal as the promise's rejection: a `WebhookError` with its status and code,
    /// or what the request object threw.
    fn into_js(self) -> JsValue {
        match self {
            Refusal::Webhook(e) => webhook_error(e.status(), e.code(), &e.message()),
            Refusal::Js(v) => v,
        }
    }
}

fn number_field(opts: &JsValue, key: &'static str) -> Result<Option<f64>, JsValue> {
    let v = get(opts, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(invalid_argument(&concat(&[
            "invalid argument `options.",
            key,
            "`: must be a non-negative number",
        ]))),
    }
}
