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
use tasklane_core::state::TaskUpdate;
use tasklane_core::text::concat;
use wasm_bindgen::prelude::*;

use crate::errors::{invalid_argument, webhook_error};
use crate::request::{get, MEMORY};
use crate::request::{with_name, Refusal};

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
        algorithm: &JsValue,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    /// Node's `node:crypto` module.
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
export function nodeHash(crypto, memory, data, len, out) {
  const m = new Uint8Array(memory.buffer);
  // As a latin1 string (one char per byte): a Buffer for the 32 bytes cost a third more.
  const h = crypto.hash("sha256", m.subarray(data, data + len), "latin1");
  for (let i = 0; i < 32; i++) m[out + i] = h.charCodeAt(i);
}
const settle = (o, value) =>
  Object.defineProperty(o, "raw", { value, writable: true, enumerable: true, configurable: true });
class Base { constructor(o) { return o; } }
// Gives a plain update object a private slot for its body text (the base constructor
// returns the object itself, so the field lands on it): the object keeps Object.prototype
// and its keys, and the slot is invisible to Object.keys, spread, structuredClone, JSON and
// deepEqual. `raw` is one accessor pair shared by every update: an object literal with its
// own `get raw()` made two closures and a slow define per update, a third of a 1 KiB
// delivery's JavaScript time.
class Raw extends Base {
  #text;
  constructor(o, text) { super(o); this.#text = text; }
  static #of(o) {
    // Also read through an object made with Object.create(update).
    for (; o !== null && typeof o === "object"; o = Object.getPrototypeOf(o)) if (#text in o) return o.#text;
  }
  static descriptor = {
    get() {
      let v = null;
      try { v = JSON.parse(Raw.#of(this)); } catch {}
      settle(this, v);
      return v;
    },
    set(v) { settle(this, v); },
    enumerable: true,
    configurable: true,
  };
}
const NONE = 0xffffffff;
export function updateObject(text, n, queue, eta, cost, raw) {
  let at = 0;
  const cut = (len) => text.slice(at, (at += len));
  const id = cut(n[0]), state = cut(n[1]), rawStatus = cut(n[2]);
  const error = n[3] === NONE ? undefined : { code: cut(n[3]), message: cut(n[4]) };
  let outputs;
  if (n[5] !== NONE) {
    outputs = [];
    for (let i = 6; i < 6 + 2 * n[5]; i += 2) outputs.push({ url: cut(n[i]), kind: cut(n[i + 1]) });
  }
  // Keys in TaskUpdate's order, a literal for each common shape of a webhook's update.
  let u;
  if (queue < 0 && eta < 0 && cost < 0 && (error === undefined || outputs === undefined)) {
    if (outputs !== undefined) u = { id, state, rawStatus, outputs };
    else if (error !== undefined) u = { id, state, rawStatus, error };
    else u = { id, state, rawStatus };
  } else {
    u = { id, state, rawStatus };
    if (queue >= 0) u.queuePosition = queue;
    if (eta >= 0) u.etaMs = eta;
    if (error !== undefined) u.error = error;
    if (outputs !== undefined) u.outputs = outputs;
    if (cost >= 0) u.costMs = cost;
  }
  // `raw` is parsed on first read (then an ordinary property): a handler that only needs
  // the normalized fields never pays a second parse of the body, the larger part of a
  // 64 KiB delivery's time. Assigning it first works too.
  new Raw(u, raw);
  return Object.defineProperty(u, "raw", Raw.descriptor);
}
const FIELDS = ["provider", "authToken", "secret", "toleranceSec", "maxBodyBytes", "hmac"];
export function optionFields(o) {
  return FIELDS.map((k) => read(o, k));
}
export function sameOptions(o, seen) {
  if (o === null || typeof o !== "object") return false;
  for (let i = 0; i < FIELDS.length; i++) if (!Object.is(read(o, FIELDS[i]), seen[i])) return false;
  return true;
}
export function deferred() {
  const d = [];
  d[0] = new Promise((resolve) => { d[1] = resolve; });
  return d;
}
"#)]
extern "C" {
    /// SHA-256 of `len` bytes of wasm memory at `data` with `node:crypto`'s `hash`, written
    /// to `out`: one call, and `node:crypto` hashes the very bytes the core parses.
    #[wasm_bindgen(js_name = nodeHash, catch)]
    fn node_hash(
        crypto: &NodeCrypto,
        memory: &JsValue,
        data: u32,
        len: u32,
        out: u32,
    ) -> Result<(), JsValue>;
    /// The `TaskUpdate` object from its text fields (one string, cut at the UTF-16 lengths
    /// in `lens`: see [`update_object`]) and numbers (-1: absent), with `raw` parsed from
    /// the body text on first read (the text the core's parser accepted, so JSON.parse
    /// accepts it too).
    #[wasm_bindgen(js_name = updateObject)]
    fn update_fields(
        text: &str,
        lens: &[u32],
        queue: f64,
        eta: f64,
        cost: f64,
        raw: &JsValue,
    ) -> JsValue;
    /// The option fields a config is built from, as an array.
    #[wasm_bindgen(js_name = optionFields)]
    fn option_fields(options: &JsValue) -> JsValue;
    /// Whether `options` is an object whose fields are each the same value (`Object.is`)
    /// as in `seen`.
    #[wasm_bindgen(js_name = sameOptions)]
    fn same_options(options: &JsValue, seen: &JsValue) -> bool;
    /// `[promise, resolve]`: a new promise and the function that resolves it (without a
    /// Rust executor closure and its glue).
    fn deferred() -> Array;
}

/// The `TaskUpdate` object for JavaScript, as `TaskUpdate::to_json_text` writes it (the
/// same keys in the same order, absent fields left out), with `raw` the body text parsed on
/// first read. Built in JavaScript from one string and a few numbers: the JSON text of it,
/// parsed again, and `raw` added with `defineProperty`, were a tenth of a 1 KiB delivery's
/// time (issue 4). `lens`: the UTF-16 lengths of id, state, rawStatus, then the error's
/// code and message (or NONE), then the number of outputs (or NONE) and each one's url and
/// kind.
fn update_object(u: &TaskUpdate, raw: &JsValue) -> JsValue {
    const NONE: u32 = u32::MAX;
    // The text's length, so it is allocated once: the state's name and each output's
    // kind are short words (at most 9 and 5 bytes).
    let mut len = u.id.len() + u.raw_status.len() + 16;
    if let Some(e) = &u.error {
        len += e.code.len() + e.message.len();
    }
    for o in u.outputs.iter().flatten() {
        len += o.url.len() + 8;
    }
    let mut text = String::with_capacity(len);
    let mut lens: Vec<u32> = Vec::with_capacity(12);
    // `lens` is passed in, not captured, so NONE can be pushed between two `put`s.
    let mut put = |s: &str, lens: &mut Vec<u32>| {
        text.push_str(s);
        lens.push(tasklane_core::text::utf16_len(s) as u32);
    };
    put(&u.id, &mut lens);
    put(u.state.as_str(), &mut lens);
    put(&u.raw_status, &mut lens);
    match &u.error {
        Some(e) => {
            put(&e.code, &mut lens);
            put(&e.message, &mut lens);
        }
        None => lens.extend([NONE, NONE]),
    }
    match &u.outputs {
        Some(list) => {
            lens.push(list.len() as u32);
            for o in list {
                put(&o.url, &mut lens);
                put(o.kind.as_str(), &mut lens);
            }
        }
        None => lens.push(NONE),
    }
    let num = |n: Option<u64>| n.map_or(-1.0, |n| n as f64);
    update_fields(
        &text,
        &lens,
        num(u.queue_position),
        num(u.eta_ms),
        num(u.cost_ms),
        raw,
    )
}

/// `obj[key] = value` with a cached key string, on an object this module created (cannot fail).
fn set(obj: &JsValue, key: &'static str, value: &JsValue) {
    let _ = with_name(key, |k| js_sys::Reflect::set(obj, k, value));
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
