//! `signWebhook`: signs a body as a Standard Webhooks message and returns its three
//! headers, for tests and for senders written in JavaScript.

use js_sys::{Object, Uint8Array};
use tasklane_core::text::{concat, hex16, signed_decimal};
use tasklane_core::webhook::signature::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use tasklane_core::webhook::{sign, WebhookSecret};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::options::secret_invalid;
use super::{get, set};
use crate::errors::invalid_argument;
use crate::js;

/// The last second of the year 9999 (UTC): later `timestamp`s are refused.
const LAST_SECOND: f64 = 253_402_300_799.0;

/// Signs `body` (a string or bytes) for delivery as a Standard Webhooks message and
/// returns the headers `{"webhook-id", "webhook-timestamp", "webhook-signature"}`.
/// `options`: `{secret: "whsec_…", id?, timestamp?}` with `timestamp` in seconds (or a
/// `Date`; default now) and `id` default a random `msg_…`.
#[wasm_bindgen(js_name = signWebhook, skip_typescript)]
pub fn sign_webhook(body: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    if !options.is_object() {
        return Err(invalid_argument(
            "invalid argument `options`: must be an object with `secret`",
        ));
    }
    let secret = crate::convert::string_field(&options, "secret", "options.secret")?
        .ok_or_else(|| invalid_argument("invalid argument `options.secret`: required"))?;
    let secret = WebhookSecret::parse(&secret).map_err(|e| secret_invalid(&e))?;
    let bytes: Vec<u8> = if let Some(s) = body.as_string() {
        s.into_bytes()
    } else if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        Uint8Array::new(&body).to_vec()
    } else {
        return Err(invalid_argument(
            "invalid argument `body`: must be a string or a Uint8Array",
        ));
    };
    let id = match crate::convert::string_field(&options, "id", "options.id")? {
        Some(id) if id.is_empty() => {
            return Err(invalid_argument("invalid argument `options.id`: empty"))
        }
        // It travels as the `webhook-id` header: a line break or other control character
        // makes `new Headers(...)` / fetch throw later, and surrounding spaces are trimmed
        // in transit, so the receiver would check another id than the one signed.
        Some(id) if !id.bytes().all(|b| b.is_ascii_graphic()) => {
            return Err(invalid_argument(
                "invalid argument `options.id`: must be printable ASCII without spaces (it is sent as the `webhook-id` header)",
            ))
        }
        Some(id) => id,
        None => concat(&["msg_", &hex16(js::seed()), &hex16(js::seed())]),
    };
    let ts_value = get(&options, "timestamp");
    let timestamp = if ts_value.is_undefined() || ts_value.is_null() {
        (js::now() / 1000) as i64
    } else {
        let secs = match ts_value.dyn_ref::<js_sys::Date>() {
            Some(d) => Some(d.get_time() / 1000.0),
            None => ts_value.as_f64(),
        };
        match secs {
            // NaN (an invalid Date) and infinities fail `contains`.
            Some(n) if (0.0..=LAST_SECOND).contains(&n) => n.floor() as i64,
            // `Date.now()` is milliseconds: signed as seconds it lies ~56,000 years ahead
            // and every verifier refuses the delivery, so name the mistake here.
            Some(n) if n > LAST_SECOND && n.is_finite() => {
                return Err(invalid_argument(
                    "invalid argument `options.timestamp`: past the year 9999, so probably milliseconds (Date.now()); give seconds (Math.floor(Date.now() / 1000)) or a Date",
                ))
            }
            _ => {
                return Err(invalid_argument(
                    "invalid argument `options.timestamp`: seconds since the epoch, or a Date",
                ))
            }
        }
    };
    let headers = Object::new();
    set(&headers, HEADER_ID, &id.as_str().into());
    set(
        &headers,
        HEADER_TIMESTAMP,
        &signed_decimal(timestamp).into(),
    );
    js::set(
        &headers,
        HEADER_SIGNATURE,
        &sign(&secret, &id, timestamp, &bytes).into(),
    );
    Ok(headers.into())
}
