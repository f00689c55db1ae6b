//! Reading an incoming web `Request` (or a plain `{headers, body}` object), for the webhook
//! receiver and the proxy alike: its headers (`headers`) and its body under a size limit
//! (`body`). A [`Refusal`] says why a request was not accepted. Here: the JavaScript side of
//! both (one snippet), the cached property names both handlers read on every call, and
//! [`then`], the handlers' one way of waiting: JavaScript awaits, Rust continues
//! synchronously (no futures runtime in the wasm, issue 7).

mod body;
mod headers;

pub(crate) use body::read_body;
#[cfg(feature = "proxy")]
pub(crate) use body::Body;
#[cfg(feature = "webhook")]
pub(crate) use headers::ascii_headers;
pub(crate) use headers::header;

use std::cell::RefCell;

use js_sys::Promise;
use tasklane_core::text::concat;
use tasklane_core::vecmap::VecMap;
use tasklane_core::webhook::WebhookError;
use wasm_bindgen::prelude::*;

use crate::errors::invalid_argument;

/// The JavaScript side of reading a request, one snippet (one file in `dist/snippets/`):
/// each function does in one call what would otherwise be several crossings of the wasm
/// boundary (property reads, string copies, promise plumbing).
#[wasm_bindgen(inline_js = r#"
export const read = (o, k) => {
  if (o === null || (typeof o !== "object" && typeof o !== "function")) return;
  try { return o[k]; } catch {}
};
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
let bytes = null;
const lists = new Map();
export function headersInto(headers, list, memory, at, cap) {
  let names = lists.get(list);
  if (names === undefined) lists.set(list, (names = list.split(" ")));
  // A view of this memory, made again when it grew (or is another instance's memory).
  const buffer = memory.buffer;
  if (bytes === null || bytes.buffer !== buffer) bytes = new Uint8Array(buffer);
  const end = at + cap;
  let i = at, packed = 0, scale = 1;
  for (let k = 0; k < names.length; k++, scale *= 2048) {
    const v = headerOf(headers, names[k]);
    if (typeof v !== "string") continue;
    if (i + v.length > end) return -1;
    for (let j = 0; j < v.length; j++) {
      const c = v.charCodeAt(j);
      if (c > 127) return -1;
      bytes[i++] = c;
    }
    packed += (v.length + 1) * scale;
  }
  return packed;
}
export function unknownKey(o, known) {
  const list = known.split(",");
  return Object.keys(o).find((k) => !list.includes(k));
}
const encoder = new TextEncoder();
export function encodeInto(text, memory, ptr, cap) {
  const r = encoder.encodeInto(text, new Uint8Array(memory.buffer, ptr, cap));
  return r.read === text.length ? r.written : -1;
}
export const after = (p, f) => Promise.resolve(p).then((v) => f(v, true), (e) => f(e, false));
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
"#)]
extern "C" {
    /// `o[k]`, or `undefined` when `o` is no object or reading it throws: one call.
    fn read(o: &JsValue, k: &JsValue) -> JsValue;
    /// One header of a `Headers` object or a plain `{name: value}` object (any
    /// capitalization), in one call instead of a property read per step.
    #[wasm_bindgen(js_name = headerOf)]
    pub(super) fn header_of(headers: &JsValue, name: &JsValue) -> JsValue;
    /// The values of the headers `list` names (at most three lowercase names separated by
    /// spaces), written one after the other from `at` in wasm memory; their lengths packed
    /// in the result (`len + 1` for each, 0 when absent, in base 2048, the first name
    /// lowest), or -1 when a value is not ASCII or they do not fit in `cap`.
    #[wasm_bindgen(js_name = headersInto)]
    pub(super) fn headers_into(
        headers: &JsValue,
        names: &JsValue,
        memory: &JsValue,
        at: u32,
        cap: u32,
    ) -> f64;
    /// The first own key of `options` not in `known` (names joined by commas), if any.
    #[wasm_bindgen(js_name = unknownKey)]
    fn unknown_key(options: &JsValue, known: &str) -> Option<String>;
    /// `TextEncoder.encodeInto` straight into wasm memory at `ptr` (room for `cap` bytes):
    /// the bytes written, or -1 when the text did not fit.
    #[wasm_bindgen(js_name = encodeInto)]
    pub(super) fn encode_into(text: &JsValue, memory: &JsValue, ptr: u32, cap: u32) -> i32;
    /// A web `Request`'s body, read in JavaScript (one promise for the whole read rather
    /// than one per chunk): with `whole`, `arrayBuffer()` (the runtime bounds it by its
    /// `Content-Length`); otherwise `body`'s stream chunk by chunk, cancelled as soon as
    /// more than `limit` bytes came. Resolves to the bytes, or to the count read (more than
    /// `limit`) when it stopped there.
    #[wasm_bindgen(js_name = readBody)]
    pub(super) fn read_body_js(req: &JsValue, body: &JsValue, whole: bool, limit: f64) -> Promise;
    /// Calls `f(value, true)` or `f(reason, false)` once `p` settles: exactly once, so the
    /// closure `f` is always freed. The promise returned follows what `f` returns or throws.
    fn after(p: &JsValue, f: &JsValue) -> Promise;
}

/// What a handler comes to from some step on: `Ok` its value, or a promise of its end when
/// it waits on JavaScript; `Err` a rejection. Only the outermost caller looks at it (a
/// continuation hands it back to `after`, which follows a promise).
pub(crate) type Flow = Result<JsValue, JsValue>;

/// Runs `f` once `p` settles, with `Ok(value)` or `Err(reason)`; the promise it gives
/// settles as `f`'s flow ends.
pub(crate) fn then(
    p: &JsValue,
    f: impl FnOnce(Result<JsValue, JsValue>) -> Flow + 'static,
) -> Flow {
    Ok(promise_after(p, Box::new(f)).into())
}

/// Runs `f` in a microtask, not within its caller's call: a handler's whole flow, which so
/// always ends as the promise returned (never as a synchronous throw).
pub(crate) fn begin(f: impl FnOnce() -> Flow + 'static) -> Promise {
    promise_after(&JsValue::UNDEFINED, Box::new(move |_| f()))
}

/// A continuation, boxed: every `then` shares one wasm-bindgen closure type (and its
/// glue), each call site adds only its own body.
type Continuation = Box<dyn FnOnce(Result<JsValue, JsValue>) -> Flow>;

fn promise_after(p: &JsValue, f: Continuation) -> Promise {
    let f = Closure::once_into_js(move |v: JsValue, ok: bool| -> JsValue {
        match f(if ok { Ok(v) } else { Err(v) }) {
            Ok(v) => v,
            Err(e) => Promise::reject(&e).into(),
        }
    });
    after(p, &f)
}

thread_local! {
    /// This module's `WebAssembly.Memory`, for the snippet functions that read or write it.
    pub(crate) static MEMORY: JsValue = wasm_bindgen::memory();
}

thread_local! {
    /// JS strings for the property, option and header names read on every call, made
    /// once: turning a Rust `&str` into a JS string goes through `TextDecoder`, a fixed
    /// cost of about a microsecond per string in Node 20. Keyed by the name's address and
    /// length (two equal literals at two addresses make two entries for the same text):
    /// comparing numbers instead of text made a small webhook delivery ≈ 3 % faster.
    static NAMES: RefCell<VecMap<(usize, usize), JsValue>> = const { RefCell::new(VecMap::new()) };
}

/// `f` of the JS string for `s` (made once), lent rather than cloned (a clone and its drop
/// are two calls into JavaScript each). `f` may call back into JavaScript, and that into
/// this module again: the table is only borrowed shared around `f`, and a name first asked
/// for while it is lent is made afresh instead of stored.
pub(crate) fn with_name<R>(s: &'static str, f: impl FnOnce(&JsValue) -> R) -> R {
    let key = (s.as_ptr() as usize, s.len());
    NAMES.with(|m| {
        if let Ok(mut table) = m.try_borrow_mut() {
            table.get_or_insert_with(key, || JsValue::from_str(s));
        }
        match m.borrow().get(&key) {
            Some(v) => f(v),
            None => f(&JsValue::from_str(s)),
        }
    })
}

/// `obj[key]` with a cached key string; `undefined` when missing or `obj` is no object (or
/// its getter throws).
pub(crate) fn get(obj: &JsValue, key: &'static str) -> JsValue {
    with_name(key, |k| read(obj, k))
}

/// Why a request was not accepted: a refusal with a status (the webhook receiver answers
/// it as a `WebhookError`, the proxy as its own error), or an exception thrown by the
/// request object itself (passed through unchanged).
pub(crate) enum Refusal {
    Webhook(WebhookError),
    Js(JsValue),
}

impl From<WebhookError> for Refusal {
    fn from(e: WebhookError) -> Self {
        Refusal::Webhook(e)
    }
}

/// Refuses an own key of `options` (called `path` in the message) that is not in `known`
/// (names joined by commas), naming it: a misspelled option (`authorise`, `toleranceSecs`,
/// an `allow.model` list) would otherwise be ignored without a word, which for an edge
/// handler can mean an open proxy or a looser check than the one written.
pub(crate) fn known_keys(options: &JsValue, path: &str, known: &str) -> Result<(), JsValue> {
    match unknown_key(options, known) {
        Some(key) => Err(invalid_argument(&concat(&[
            "invalid argument `",
            path,
            ".",
            &key,
            "`: unknown option (known: ",
            known,
            ")",
        ]))),
        None => Ok(()),
    }
}
