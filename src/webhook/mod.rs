//! The webhook receiver for JavaScript: `verifyWebhook`, `createWebhookHandler` and
//! `signWebhook`. The checks themselves are the core's (`tasklane_core::webhook`); this
//! module reads the web `Request` (headers, then the body under a size limit), computes the
//! HMAC (in wasm or with Web Crypto, whichever is faster for the size), answers with a
//! `Response`, and keeps the duplicate window. It works on any web `Request`: Node 18+,
//! Deno, browsers and workerd.

mod body;
mod handler;
mod hmac;
mod options;
mod sign;
mod verify;

pub(crate) use body::{header, read_body, Refusal};

use std::cell::RefCell;
use tasklane_core::vecmap::VecMap;

use js_sys::{Array, Promise, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::errors::invalid_argument;

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

/// The JavaScript side of the hot path, one snippet (one file in `pkg/dist/snippets/`):
/// each function does in one call what would otherwise be several crossings of the wasm
/// boundary (property reads, string copies, promise plumbing).
#[wasm_bindgen(inline_js = r#"
const read = (o, k) => { try { return o[k]; } catch {} };
const lower = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export function headerOf(headers, name) {
  const get = read(headers, "get");
  if (typeof get === "function") {
    try { return get.call(headers, name); } catch { return; }
  }
  const v = read(headers, name);
  if (typeof v === "string") return v;
  const key = Object.keys(headers).find((k) => k.length === name.length && lower(k) === name);
  return key === undefined ? undefined : read(headers, key);
}
const encoder = new TextEncoder();
export function encodeInto(text, memory, ptr, cap) {
  const r = encoder.encodeInto(text, new Uint8Array(memory.buffer, ptr, cap));
  return r.read === text.length ? r.written : -1;
}
export function nodeHmac(crypto, key, memory, prefix, prefixLen, body, bodyLen, out) {
  const m = new Uint8Array(memory.buffer);
  const h = crypto.createHmac("sha256", key);
  h.update(m.subarray(prefix, prefix + prefixLen));
  h.update(m.subarray(body, body + bodyLen));
  m.set(h.digest(), out);
}
export async function readBody(req, body, whole, limit) {
  if (whole) return new Uint8Array(await req.arrayBuffer());
  const reader = body.getReader();
  const chunks = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!(value instanceof Uint8Array)) throw new TypeError("a body chunk is not a Uint8Array");
    n += value.length;
    if (n > limit) {
      try { await reader.cancel(); } catch {}
      return n;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(n);
  n = 0;
  for (const c of chunks) { out.set(c, n); n += c.length; }
  return out;
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
"#)]
extern "C" {
    /// One header of a `Headers` object or a plain `{name: value}` object (any
    /// capitalization), in one call instead of a property read per step.
    #[wasm_bindgen(js_name = headerOf)]
    fn header_of(headers: &JsValue, name: &JsValue) -> JsValue;
    /// `TextEncoder.encodeInto` straight into wasm memory at `ptr` (room for `cap` bytes):
    /// the bytes written, or -1 when the text did not fit.
    #[wasm_bindgen(js_name = encodeInto)]
    fn encode_into(text: &JsValue, memory: &JsValue, ptr: u32, cap: u32) -> i32;
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
    /// A web `Request`'s body, read in JavaScript (one promise for the whole read rather
    /// than one per chunk): with `whole`, `arrayBuffer()` (the runtime bounds it by its
    /// `Content-Length`); otherwise `body`'s stream chunk by chunk, cancelled as soon as
    /// more than `limit` bytes came. Resolves to the bytes, or to the count read (more than
    /// `limit`) when it stopped there.
    #[wasm_bindgen(js_name = readBody)]
    fn read_body_js(req: &JsValue, body: &JsValue, whole: bool, limit: f64) -> Promise;
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
}

thread_local! {
    /// This module's `WebAssembly.Memory`, for the snippet functions that read or write it.
    static MEMORY: JsValue = wasm_bindgen::memory();
}

thread_local! {
    /// JS strings for the property, option and header names this module reads on every
    /// call, made once: turning a Rust `&str` into a JS string goes through `TextDecoder`,
    /// a fixed cost of about a microsecond per string in Node 20.
    static NAMES: RefCell<VecMap<&'static str, JsValue>> = const { RefCell::new(VecMap::new()) };
}

/// The JS string for `s`, made once.
fn name(s: &'static str) -> JsValue {
    NAMES.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(s, || JsValue::from_str(s))
            .clone()
    })
}

/// `obj[key]` with a cached key string; `undefined` when missing or `obj` is no object.
fn get(obj: &JsValue, key: &'static str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(obj, &name(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value` on an object this module created (cannot fail).
fn set(obj: &JsValue, key: &'static str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &name(key), value);
}

fn number_field(opts: &JsValue, key: &'static str) -> Result<Option<f64>, JsValue> {
    let v = get(opts, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(invalid_argument(&format!(
            "invalid argument `options.{key}`: must be a non-negative number"
        ))),
    }
}
