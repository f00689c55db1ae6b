//! Reading a delivery: headers from a `Headers` or plain object, and the body as bytes
//! under the size limit (`Content-Length` first, then the stream chunk by chunk, cancelled
//! at the limit). A [`Refusal`] says why a delivery was not accepted. The proxy shell
//! reads its request bodies with the same code.

use js_sys::{JsString, Uint8Array};
use tasklane_core::webhook::{check_content_length, BodyLimit, WebhookError};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use super::{encode_into, get, header_of, name, read_body_js, MEMORY};
use crate::errors::{invalid_argument, webhook_error};

/// Why a delivery was not accepted: a refusal with a status, or an exception thrown by
/// the request object itself (passed through unchanged).
pub(crate) enum Refusal {
    Webhook(WebhookError),
    Js(JsValue),
}

impl From<WebhookError> for Refusal {
    fn from(e: WebhookError) -> Self {
        Refusal::Webhook(e)
    }
}

impl Refusal {
    pub(super) fn into_js(self) -> JsValue {
        match self {
            Refusal::Webhook(e) => webhook_error(e.status(), e.code(), &e.to_string()),
            Refusal::Js(v) => v,
        }
    }
}

/// Reads one header from a `Headers` object or a plain `{name: value}` object (a plain
/// object may spell the name with other capitalization, `Webhook-Id`).
pub(crate) fn header(headers: &JsValue, key: &'static str) -> Option<String> {
    header_of(headers, &name(key)).as_string()
}

/// The UTF-8 bytes of a JavaScript string, encoded by the runtime straight into a `Vec`
/// (one native call; no intermediate `Uint8Array`, no copy). A string of more UTF-16 units
/// than `counter` allows is refused unread: each unit is at least one byte.
fn utf8_of(text: &JsValue, counter: &mut BodyLimit) -> Result<Vec<u8>, WebhookError> {
    let units = text.unchecked_ref::<JsString>().length() as usize;
    // A copy of the counter: the bytes themselves are counted once encoded.
    let mut probe = *counter;
    probe.push(units)?;
    // ASCII fills exactly `units` bytes; otherwise three bytes per unit always suffice.
    for cap in [units, units.saturating_mul(3)] {
        let mut out = Vec::<u8>::with_capacity(cap);
        let written = MEMORY.with(|m| encode_into(text, m, out.as_mut_ptr() as u32, cap as u32));
        if let Ok(n) = usize::try_from(written) {
            // SAFETY: encodeInto wrote `n <= cap` initialized bytes into `out`'s spare
            // capacity, and nothing else touched wasm memory in between.
            unsafe { out.set_len(n.min(cap)) };
            counter.push(out.len())?;
            return Ok(out);
        }
    }
    // Unreachable (three bytes per UTF-16 unit is UTF-8's worst case); refuse rather than panic.
    Err(WebhookError::UnreadableBody(
        "the body text could not be encoded".into(),
    ))
}

/// Reads the body as bytes, never more than `limit` of them (413 beyond).
///
/// A body given directly (`string`, `Uint8Array`, `ArrayBuffer`: the plain-object form) is
/// checked by length. For a web `Request`, `Content-Length` is checked first (a declared
/// oversize body is refused unread); with one, the runtime's HTTP layer bounds the body by
/// it, so one `arrayBuffer()` is safe (and the length is checked again after). Without one
/// (chunked), the stream is read chunk by chunk and cancelled past the limit. The read
/// itself runs in JavaScript (`readBody`): one await instead of two per chunk.
///
/// Returns the bytes and the same body as a JavaScript value (`string` or `Uint8Array`),
/// which a native HMAC can read without another copy. When that value is a string, the
/// bytes are its `TextEncoder` encoding, so they are valid UTF-8 (`verify` relies on it).
pub(crate) async fn read_body(
    req: &JsValue,
    headers: &JsValue,
    limit: u64,
) -> Result<(Vec<u8>, JsValue), Refusal> {
    let body = get(req, "body");
    let mut counter = BodyLimit::new(limit);
    if body.is_string() {
        return Ok((utf8_of(&body, &mut counter)?, body));
    }
    if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        let bytes = Uint8Array::new(&body);
        counter.push(bytes.length() as usize)?;
        return Ok((bytes.to_vec(), bytes.into()));
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
    let read = read_body_js(req, &body, whole, limit as f64);
    let read = JsFuture::from(read).await.map_err(|e| unreadable(&e))?;
    if let Some(n) = read.as_f64() {
        // The stream went past the limit and was cancelled.
        counter.push(n as usize)?;
        return Err(WebhookError::UnreadableBody("the body stream was cut short".into()).into());
    }
    let bytes: Uint8Array = read.unchecked_into();
    counter.push(bytes.length() as usize)?;
    Ok((bytes.to_vec(), bytes.into()))
}

fn unreadable(e: &JsValue) -> Refusal {
    let msg = get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "reading it failed".into());
    Refusal::Webhook(WebhookError::UnreadableBody(msg))
}
