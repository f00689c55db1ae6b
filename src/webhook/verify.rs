//! Verifying one delivery, in the order that reads the least: method, bearer token,
//! signature headers and timestamp, then the body, its HMAC and the dialect's shape.
//! `verifyWebhook` is this check alone, exported to JavaScript.
//!
//! `verifyWebhook` polls the check once before handing out a promise: a delivery given as
//! `{headers, body}`, checked with `node:crypto` or in wasm, never waits, so it comes back
//! as an already settled promise without a task on the microtask queue (the promise and
//! future plumbing were about a tenth of a small delivery's time). Only what really waits (a
//! web `Request`'s body, Web Crypto) goes on as a future.

use std::future::Future;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use js_sys::Promise;
use tasklane_core::state::TaskUpdate;
use tasklane_core::webhook::body::{body_text, parse_json_text};
use tasklane_core::webhook::signature::{
    mac, Prechecked, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAC_LEN,
};
use tasklane_core::webhook::{update_from_value, verify_bearer, WebhookError, WebhookHeaders};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::hmac::{choose_hmac, node_mac, webcrypto_mac, Hmac};
use super::options::{cached_config, Config};
use super::{get, update_object};
use crate::errors::invalid_argument;
use crate::js;
use crate::request::{header, read_body, Refusal};

/// What the checks before the body found.
pub(super) struct Front {
    /// The request's `headers` object (the body reader looks at `Content-Length`).
    headers: JsValue,
    /// The delivery's `webhook-id`, when it had one.
    webhook_id: Option<String>,
    /// When a secret is configured: the checked `webhook-timestamp` and the offered MACs.
    signed: Option<(String, Vec<[u8; MAC_LEN]>)>,
}

impl Front {
    /// What the MAC check needs, when a secret is configured.
    fn prechecked(&self) -> Option<Prechecked<'_>> {
        let (timestamp, macs) = self.signed.as_ref()?;
        Some(Prechecked {
            // `signed` is only set once the id was found (precheck refuses a missing one).
            id: self.webhook_id.as_deref().unwrap_or_default(),
            timestamp,
            macs: macs.clone(),
        })
    }
}

/// Method, bearer token, Standard Webhooks headers and timestamp: everything checked before
/// a byte of the body is read.
fn front(cfg: &Config, req: &JsValue) -> Result<Front, Refusal> {
    let method = get(req, "method").as_string();
    if let Some(m) = method.filter(|m| !m.eq_ignore_ascii_case("POST")) {
        return Err(WebhookError::MethodNotAllowed(m).into());
    }
    let headers = get(req, "headers");
    if !headers.is_object() {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: it has no headers",
        )));
    }
    if let Some(token) = &cfg.auth_token {
        verify_bearer(header(&headers, "authorization").as_deref(), token)?;
    }
    let webhook_id = header(&headers, HEADER_ID);
    let mut signed = None;
    if let Some(verifier) = &cfg.verifier {
        let ts = header(&headers, HEADER_TIMESTAMP);
        let sig = header(&headers, HEADER_SIGNATURE);
        let h = WebhookHeaders {
            id: webhook_id.as_deref(),
            timestamp: ts.as_deref(),
            signature: sig.as_deref(),
        };
        let now_secs = (js::now() / 1000) as i64;
        let macs = verifier.precheck(&h, now_secs)?.macs;
        // precheck refused a missing timestamp, so `ts` is Some here.
        signed = Some((ts.unwrap_or_default(), macs));
    }
    Ok(Front {
        headers,
        webhook_id,
        signed,
    })
}

/// The MAC check, with whichever HMAC suits the body (only Web Crypto waits).
async fn check_mac(cfg: &Config, front: &Front, body: &[u8]) -> Result<(), Refusal> {
    let Some(pre) = front.prechecked() else {
        return Ok(());
    };
    // There is a `Prechecked` only when a secret is configured; fail closed anyway.
    let Some(verifier) = cfg.verifier.as_ref() else {
        return Err(WebhookError::BadSignature.into());
    };
    let expected = match choose_hmac(cfg.hmac, body.len()) {
        Hmac::Node(nc) => node_mac(cfg, &nc, &pre, body).map_err(Refusal::Js)?,
        Hmac::Wasm => mac(verifier.secret(), pre.id, pre.timestamp, body),
        Hmac::WebCrypto(subtle) => webcrypto_mac(cfg, &subtle, &pre, body)
            .await
            .map_err(Refusal::Js)?,
    };
    pre.check_mac(&expected).map_err(Refusal::from)
}

/// The dialect's shape, and the `TaskUpdate` object for JavaScript. `body_js` is the body
/// as the caller gave it (a string is parsed as `raw` without another copy).
fn finish(cfg: &Config, front: Front, body: &[u8], body_js: &JsValue) -> Result<Verified, Refusal> {
    // `raw` is left null: it goes to JavaScript through the runtime's own JSON.parse of the
    // body text (native speed) rather than copied and written back out by the core.
    // The body as text, once: a string body as given, bytes checked as UTF-8.
    let (text, text_js) = if body_js.is_string() {
        // SAFETY: a string body's bytes are the runtime's `TextEncoder` encoding of that
        // string (`read_body`), which is always valid UTF-8 (a lone surrogate becomes
        // U+FFFD): no second pass to check it (~5 % of a 64 KiB delivery).
        (
            unsafe { std::str::from_utf8_unchecked(body) },
            body_js.clone(),
        )
    } else {
        let text = body_text(body)?;
        (text, JsValue::from_str(text))
    };
    let update = update_from_value(&cfg.profile, &parse_json_text(text)?)?;
    let js = update_object(&update.to_json_text(), &text_js);
    Ok(Verified {
        update,
        js,
        webhook_id: front.webhook_id,
    })
}

/// Checks one delivery: method, bearer token, Standard Webhooks headers and timestamp (all
/// before the body is read), the body under its limit, the signature, then the dialect's
/// shape.
pub(super) async fn verify_request(cfg: &Config, req: &JsValue) -> Result<Verified, Refusal> {
    let front = front(cfg, req)?;
    let (body, body_js) = read_body(req, &front.headers, cfg.max_body).await?;
    check_mac(cfg, &front, &body).await?;
    finish(cfg, front, &body, &body_js)
}

/// A delivery that passed every check.
pub(super) struct Verified {
    /// The normalized update (its `raw` left out: it lives in `js`).
    pub(super) update: TaskUpdate,
    /// The `TaskUpdate` object handed to JavaScript.
    pub(super) js: JsValue,
    /// The delivery's `webhook-id`, when it had one.
    pub(super) webhook_id: Option<String>,
}

/// Verifies a webhook delivery and returns its normalized `TaskUpdate`.
///
/// `request` is a web `Request` (Node 18+, Deno, browsers, workerd) whose body has not been
/// read, or a plain `{method?, headers, body}` with `body` a string or bytes. `options`:
/// `{provider, authToken?, secret?, toleranceSec = 300, maxBodyBytes = 1048576}`; at least
/// one of `authToken` and `secret` is required. Throws `WebhookError{status, code}` (400
/// malformed body, 401 bad or missing authentication, 405 not POST, 413 too large), or
/// `TaskError{code: "invalid_argument"}` for bad options.
#[wasm_bindgen(js_name = verifyWebhook, skip_typescript)]
pub fn verify_webhook(request: JsValue, options: JsValue) -> Promise {
    let mut verify = Box::pin(async move {
        let cfg = cached_config(&options)?;
        let verified = verify_request(&cfg, &request)
            .await
            .map_err(Refusal::into_js)?;
        Ok(verified.js)
    });
    // One poll now, with a waker that does nothing: a check that did not have to wait is
    // done. One that waits is polled again by future_to_promise (a JsFuture keeps the
    // waker of its latest poll, so the real one replaces this).
    // SAFETY: the vtable's functions ignore the (null) data pointer and never touch it.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &NOOP)) };
    match verify.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(Ok(update)) => Promise::resolve(&update),
        Poll::Ready(Err(e)) => Promise::reject(&e),
        Poll::Pending => future_to_promise(verify),
    }
}

/// The vtable of a waker that does nothing, for the first poll of [`verify_webhook`]
/// (`Waker::noop` is newer than the crate's minimum Rust).
const NOOP: RawWakerVTable = RawWakerVTable::new(
    |_| RawWaker::new(std::ptr::null(), &NOOP),
    |_| {},
    |_| {},
    |_| {},
);
