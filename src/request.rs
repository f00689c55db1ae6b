//! Reading an incoming web `Request` (or a plain `{headers, body}` object), for the webhook
//! receiver and the proxy alike: one header from a `Headers` or plain object, and the body
//! as bytes under a size limit (`Content-Length` first, then the stream chunk by chunk,
//! cancelled at the limit). A [`Refusal`] says why a request was not accepted. Also the
//! cached property names both modules read on every call, and [`then`], the handlers' one
//! way of waiting: JavaScript awaits, Rust continues synchronously (no futures runtime in
//! the wasm, issue 7).

use std::cell::RefCell;

use js_sys::{JsString, Promise, Uint8Array};
use tasklane_core::text::concat;
use tasklane_core::vecmap::VecMap;
use tasklane_core::webhook::{check_content_length, BodyLimit, WebhookError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

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
  if (bytes === null || bytes.byteLength === 0) bytes = new Uint8Array(memory.buffer);
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
    fn header_of(headers: &JsValue, name: &JsValue) -> JsValue;
    /// The values of the headers `list` names (at most three lowercase names separated by
    /// spaces), written one after the other from `at` in wasm memory; their lengths packed in the result (`len + 1` for each, 0 when absent, in base 2048,
    /// the first name lowest), or -1 when a value is not ASCII or they do not fit in `cap`.
    #[wasm_bindgen(js_name = headersInto)]
    fn headers_into(headers: &JsValue, names: &JsValue, memory: &JsValue, at: u32, cap: u32)
        -> f64;
    /// The first own key of `options` not in `known` (names joined by commas), if any.
    #[wasm_bindgen(js_name = unknownKey)]
    fn unknown_key(options: &JsValue, known: &str) -> Option<String>;
    /// `TextEncoder.encodeInto` straight into wasm memory at `ptr` (room for `cap` bytes):
    /// the bytes written, or -1 when the text did not fit.
    #[wasm_bindgen(js_name = encodeInto)]
    fn encode_into(text: &JsValue, memory: &JsValue, ptr: u32, cap: u32) -> i32;
    /// A web `Request`'s body, read in JavaScript (one promise for the whole read rather
    /// than one per chunk): with `whole`, `arrayBuffer()` (the runtime bounds it by its
    /// `Content-Length`); otherwise `body`'s stream chunk by chunk, cancelled as soon as
    /// more than `limit` bytes came. Resolves to the bytes, or to the count read (more than
    /// `limit`) when it stopped there.
    #[wasm_bindgen(js_name = readBody)]
    fn read_body_js(req: &JsValue, body: &JsValue, whole: bool, limit: f64) -> Promise;
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

/// Reads one header from a `Headers` object or a plain `{name: value}` object (a plain
/// object may spell the name with other capitalization, `Webhook-Id`).
pub(crate) fn header(headers: &JsValue, key: &'static str) -> Option<String> {
    with_name(key, |k| header_of(headers, k)).as_string()
}

#[cfg(feature = "webhook")]
/// Room for [`ascii_headers`]' values: Standard Webhooks' three headers take about 120
/// bytes; longer ones go the slower way.
const SCRATCH_LEN: usize = 1024;

#[cfg(feature = "webhook")]
thread_local! {
    /// Where JavaScript writes the values [`ascii_headers`] reads: one spot, reused.
    static SCRATCH: RefCell<[u8; SCRATCH_LEN]> = const { RefCell::new([0; SCRATCH_LEN]) };
}

/// `f` of three headers' values (`names`: their lowercase names, separated by spaces), read
/// in one call into JavaScript and written straight into wasm memory (`None` where a value
/// is absent). `None` when a value is not ASCII or they are longer in all than 1 KiB: read
/// them with [`header`] then. Reading them one by one is a call, a `String` and a copy
/// each: a tenth of a small webhook delivery's time.
#[cfg(feature = "webhook")]
pub(crate) fn ascii_headers<R>(
    headers: &JsValue,
    names: &'static str,
    f: impl FnOnce([Option<&str>; 3]) -> R,
) -> Option<R> {
    SCRATCH.with(|cell| {
        let mut buf = cell.try_borrow_mut().ok()?;
        let at = buf.as_mut_ptr() as u32;
        let packed = with_name(names, |names| {
            MEMORY.with(|m| headers_into(headers, names, m, at, SCRATCH_LEN as u32))
        });
        if !(packed >= 0.0 && packed < (1u64 << 33) as f64) {
            return None;
        }
        let mut packed = packed as u64;
        let mut start = 0;
        let mut values = [None; 3];
        for value in &mut values {
            let n = (packed % 2048) as usize;
            packed /= 2048;
            if n > 0 {
                // JavaScript wrote ASCII within the scratch; anything else is refused here
                // (and read the slow way) rather than trusted.
                let bytes = buf.get(start..start + n - 1)?;
                *value = Some(std::str::from_utf8(bytes).ok()?);
                start += n - 1;
            }
        }
        Some(f(values))
    })
}

/// The UTF-8 bytes of a JavaScript string, encoded by the runtime straight into a `Vec`
/// (one native call; no intermediate `Uint8Array`, no copy). A string of more UTF-16 units
/// than `counter` allows is refused unread: each unit is at least one byte.
fn utf8_of(text: &JsValue, counter: &mut BodyLimit, front: usize) -> Result<Vec<u8>, WebhookError> {
    let units = text.unchecked_ref::<JsString>().length() as usize;
    // A copy of the counter: the bytes themselves are counted once encoded.
    let mut probe = *counter;
    probe.push(units)?;
    // ASCII fills exactly `units` bytes; otherwise three bytes per unit always suffice.
    for cap in [units, units.saturating_mul(3)] {
        let mut out = Vec::<u8>::with_capacity(front.saturating_add(cap));
        out.resize(front, 0);
        let at = out.as_mut_ptr() as usize + front;
        let written = MEMORY.with(|m| encode_into(text, m, at as u32, cap as u32));
        if let Ok(n) = usize::try_from(written) {
            // SAFETY: encodeInto wrote `n <= cap` initialized bytes into `out`'s spare
            // capacity after its `front` zeros, and nothing else touched wasm memory in
            // between.
            unsafe { out.set_len(front + n.min(cap)) };
            counter.push(n.min(cap))?;
            return Ok(out);
        }
    }
    // Unreachable (three bytes per UTF-16 unit is UTF-8's worst case); refuse rather than panic.
    Err(WebhookError::UnreadableBody(
        "the body text could not be encoded".into(),
    ))
}

/// A body read: its bytes (after the `front` bytes [`read_body`] was asked to leave before
/// them) and the same body as a JavaScript value.
pub(crate) type Body = (Vec<u8>, JsValue);

/// `bytes` copied into wasm memory after `front` zero bytes.
fn bytes_after(front: usize, bytes: &Uint8Array) -> Vec<u8> {
    let mut out = vec![0; front + bytes.length() as usize];
    bytes.copy_to(&mut out[front..]);
    out
}

/// Reads the body as bytes, never more than `limit` of them (413 beyond), and continues
/// with `k`: at once when the body is at hand, once read when it streams.
///
/// A body given directly (`string`, `Uint8Array`, `ArrayBuffer`: the plain-object form) is
/// checked by length. For a web `Request`, `Content-Length` is checked first (a declared
/// oversize body is refused unread); with one, the runtime's HTTP layer bounds the body by
/// it, so one `arrayBuffer()` is safe (and the length is checked again after). Without one
/// (chunked), the stream is read chunk by chunk and cancelled past the limit. The read
/// itself runs in JavaScript (`readBody`): one await instead of two per chunk.
///
/// `k` gets the bytes and the same body as a JavaScript value (`string` or `Uint8Array`).
/// When that value is a string, the bytes are its `TextEncoder` encoding, so they are
/// valid UTF-8 (`verify` relies on it). The bytes start `front` bytes into the `Vec` (zeros
/// there, for the caller to fill: the webhook verifier puts the HMAC's key block and the
/// signed prefix in front of the body, so one hash call covers the whole message).
pub(crate) fn read_body(
    req: &JsValue,
    headers: &JsValue,
    limit: u64,
    front: usize,
    k: impl FnOnce(Result<Body, Refusal>) -> Flow + 'static,
) -> Flow {
    let mut counter = BodyLimit::new(limit);
    match start_body(req, headers, limit, front, &mut counter) {
        Ok(Started::Read(body)) => k(Ok(body)),
        Ok(Started::Reading(read)) => then(&read, move |read| k(end_body(read, front, counter))),
        Err(r) => k(Err(r)),
    }
}

/// How [`start_body`] left the read.
enum Started {
    /// The body, already at hand.
    Read(Body),
    /// JavaScript is reading it (`readBody`'s promise).
    Reading(Promise),
}

/// Everything of [`read_body`] up to the JavaScript read.
fn start_body(
    req: &JsValue,
    headers: &JsValue,
    limit: u64,
    front: usize,
    counter: &mut BodyLimit,
) -> Result<Started, Refusal> {
    let body = get(req, "body");
    if body.is_string() {
        return Ok(Started::Read((utf8_of(&body, counter, front)?, body)));
    }
    if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        let bytes = Uint8Array::new(&body);
        counter.push(bytes.length() as usize)?;
        return Ok(Started::Read((bytes_after(front, &bytes), bytes.into())));
    }
    if !get(req, "arrayBuffer").is_function() {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: expected a web Request or {headers, body}",
        )));
    }
    if get(req, "bodyUsed").as_bool() == Some(true) {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: its body was already read; pass the request before reading it",
        )));
    }
    let content_length = header(headers, "content-length");
    check_content_length(content_length.as_deref(), limit)?;
    let whole = content_length.is_some() || body.is_null() || body.is_undefined();
    // A limit past 2^53 bytes reads as "no limit" to JavaScript, which is what it is.
    Ok(Started::Reading(read_body_js(
        req,
        &body,
        whole,
        limit as f64,
    )))
}

/// The end of [`read_body`] once JavaScript's read settled.
fn end_body(
    read: Result<JsValue, JsValue>,
    front: usize,
    mut counter: BodyLimit,
) -> Result<Body, Refusal> {
    let read = read.map_err(|e| unreadable(&e))?;
    if let Some(n) = read.as_f64() {
        // The stream went past the limit and was cancelled.
        counter.push(n as usize)?;
        return Err(WebhookError::UnreadableBody("the body stream was cut short".into()).into());
    }
    let bytes: Uint8Array = read.unchecked_into();
    counter.push(bytes.length() as usize)?;
    Ok((bytes_after(front, &bytes), bytes.into()))
}

fn unreadable(e: &JsValue) -> Refusal {
    let msg = get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "reading it failed".into());
    Refusal::Webhook(WebhookError::UnreadableBody(msg))
}
