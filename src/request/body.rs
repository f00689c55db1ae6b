//! A request's body as bytes under a size limit: `Content-Length` first, then the stream
//! chunk by chunk, cancelled at the limit.

use js_sys::{JsString, Promise, Uint8Array};
use tasklane_core::webhook::{check_content_length, BodyLimit, WebhookError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::{encode_into, get, header, read_body_js, then, Flow, Refusal, MEMORY};
use crate::errors::invalid_argument;

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
