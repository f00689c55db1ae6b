//! Verifying one delivery, in the order that reads the least: method, bearer token,
//! signature headers and timestamp, then the body, its HMAC and the dialect's shape.
//! `verifyWebhook` is this check alone, exported to JavaScript.
//!
//! The check runs as far as it can within the call and continues ([`then`]) only where
//! something really waits (a web `Request`'s body, Web Crypto): a delivery given as
//! `{headers, body}`, checked with `node:crypto` or in wasm, never waits, so
//! `verifyWebhook` hands it back as an already settled promise, without a task on the
//! microtask queue (the promise plumbing was about a tenth of a small delivery's time).

use std::rc::Rc;

use js_sys::Promise;
use tasklane_core::state::TaskUpdate;
use tasklane_core::webhook::body::body_text;
use tasklane_core::webhook::signature::{
    self, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAC_LEN,
};
use tasklane_core::webhook::{
    update_from_text, verify_bearer, Verifier, WebhookError, WebhookHeaders,
};
use wasm_bindgen::prelude::*;

use super::hmac::{choose_hmac, node_mac, webcrypto_mac, Hmac, BLOCK};
use super::options::{cached_config, Config};
use super::{get, update_object};
use crate::errors::invalid_argument;
use crate::js;
use crate::request::{ascii_headers, header, read_body, Flow, Refusal};

/// What the checks before the body found.
pub(super) struct Front {
    /// The request's `headers` object (the body reader looks at `Content-Length`).
    headers: JsValue,
    /// What the delivery claims.
    claims: Claims,
}

/// What a delivery's headers claim, for [`check_mac`]: its id, and the MACs it offers.
struct Claims {
    /// The delivery's `webhook-id`, when it had one.
    id: Option<WebhookId>,
    /// When a secret is configured: the offered MACs (the checked timestamp is in `id`).
    macs: Option<Vec<[u8; MAC_LEN]>>,
}

/// A delivery's `webhook-id`. Of a signed delivery it is kept as the signed prefix
/// `"{id}.{timestamp}."`, which [`check_mac`] puts in front of the body.
pub(super) struct WebhookId {
    text: String,
    /// The id's length in `text`.
    len: usize,
}

impl WebhookId {
    /// The id.
    pub(super) fn as_str(&self) -> &str {
        self.text.get(..self.len).unwrap_or_default()
    }
}

impl Claims {
    /// The bytes [`check_mac`] wants in front of the body: the HMAC's 64-byte key block
    /// and the signed prefix `"{id}.{timestamp}."` (nothing for a delivery not signed).
    fn gap(&self) -> usize {
        match (&self.macs, &self.id) {
            (Some(_), Some(id)) => BLOCK + id.text.len(),
            _ => 0,
        }
    }
}

/// The signature headers checked against `verifier` at `now_secs`: the id with the signed
/// prefix, and the offered MACs. Read in one call when they are ASCII (as Standard Webhooks'
/// are), else one by one.
fn signature_front(
    verifier: &Verifier,
    headers: &JsValue,
    now_secs: i64,
) -> Result<(WebhookId, Vec<[u8; MAC_LEN]>), WebhookError> {
    let check = |h: &WebhookHeaders<'_>| {
        let pre = verifier.precheck(h, now_secs)?;
        let id = WebhookId {
            text: pre.signed_prefix(),
            len: pre.id.len(),
        };
        Ok((id, pre.macs))
    };
    // HEADER_ID, HEADER_TIMESTAMP and HEADER_SIGNATURE.
    const NAMES: &str = "webhook-id webhook-timestamp webhook-signature";
    let fast = ascii_headers(headers, NAMES, |[id, timestamp, signature]| {
        check(&WebhookHeaders {
            id,
            timestamp,
            signature,
        })
    });
    if let Some(front) = fast {
        return front;
    }
    let id = header(headers, HEADER_ID);
    let ts = header(headers, HEADER_TIMESTAMP);
    let sig = header(headers, HEADER_SIGNATURE);
    check(&WebhookHeaders {
        id: id.as_deref(),
        timestamp: ts.as_deref(),
        signature: sig.as_deref(),
    })
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
    let (id, macs) = match &cfg.verifier {
        Some(verifier) => {
            let now_secs = (js::now() / 1000) as i64;
            let (id, macs) = signature_front(verifier, &headers, now_secs)?;
            (Some(id), Some(macs))
        }
        None => {
            let id = header(&headers, HEADER_ID).map(|text| WebhookId {
                len: text.len(),
                text,
            });
            (id, None)
        }
    };
    Ok(Front {
        headers,
        claims: Claims { id, macs },
    })
}

/// What a verification continues with, given the verified delivery or the refusal. Boxed:
/// its two callers (`verifyWebhook` and the handler) share one copy of the checks and of
/// each continuation inside them (generic, they took two: +5 KB of wasm).
pub(super) type Then = Box<dyn FnOnce(Result<Verified, Refusal>) -> Flow>;

/// The MAC check, with whichever HMAC suits the body (only Web Crypto waits), then
/// [`finish`]. `buf` is the body after [`Claims::gap`] bytes, which this fills with the
/// HMAC's inner key block and the signed prefix: `buf[BLOCK..]` is the signed message.
fn check_mac(cfg: Rc<Config>, claims: Claims, mut buf: Vec<u8>, body_js: JsValue, k: Then) -> Flow {
    let gap = claims.gap();
    let Claims { id, macs } = claims;
    let Some(macs) = macs else {
        return k(finish(&cfg, id, &buf, &body_js));
    };
    // There are MACs only when a secret is configured, and an id (so a gap) whenever
    // there are; fail closed anyway, rather than index out of the buffer.
    let (Some(halves), Some(prefixed), true) = (cfg.halves.as_ref(), &id, gap > BLOCK) else {
        return k(Err(WebhookError::BadSignature.into()));
    };
    buf[..BLOCK].copy_from_slice(&halves.inner_block);
    buf[BLOCK..gap].copy_from_slice(prefixed.text.as_bytes());
    let expected = match choose_hmac(cfg.hmac, buf.len() - gap) {
        Hmac::Node => node_mac(halves, &buf),
        Hmac::Wasm => Ok(halves.mac(&[&buf[BLOCK..]])),
        Hmac::WebCrypto(subtle) => {
            let key_cfg = cfg.clone();
            return webcrypto_mac(&key_cfg, subtle, buf, BLOCK, move |expected, buf| {
                let checked = checked(&macs, expected);
                k(checked.and_then(|()| finish(&cfg, id, &buf[gap..], &body_js)))
            });
        }
    };
    let checked = checked(&macs, expected);
    k(checked.and_then(|()| finish(&cfg, id, &buf[gap..], &body_js)))
}

/// Whether the MAC computed (or the error computing it) matches one the sender offered.
fn checked(
    macs: &[[u8; MAC_LEN]],
    expected: Result<[u8; MAC_LEN], JsValue>,
) -> Result<(), Refusal> {
    let expected = expected.map_err(Refusal::Js)?;
    signature::check_mac(macs, &expected).map_err(Refusal::from)
}

/// The dialect's shape, and the `TaskUpdate` object for JavaScript. `body_js` is the body
/// as the caller gave it (a string is parsed as `raw` without another copy).
fn finish(
    cfg: &Config,
    webhook_id: Option<WebhookId>,
    body: &[u8],
    body_js: &JsValue,
) -> Result<Verified, Refusal> {
    // `raw` is left null: it goes to JavaScript through the runtime's own JSON.parse of the
    // body text (native speed) rather than copied and written back out by the core.
    // The body as text, once: a string body as given, bytes checked as UTF-8.
    let made;
    let (text, text_js) = if body_js.is_string() {
        // SAFETY: a string body's bytes are the runtime's `TextEncoder` encoding of that
        // string (`read_body`), which is always valid UTF-8 (a lone surrogate becomes
        // U+FFFD): no second pass to check it (~5 % of a 64 KiB delivery).
        (unsafe { std::str::from_utf8_unchecked(body) }, body_js)
    } else {
        let text = body_text(body)?;
        made = JsValue::from_str(text);
        (text, &made)
    };
    // Only the values the dialect reads are built; the rest is checked, not copied.
    let update = update_from_text(&cfg.profile, &cfg.wanted, text)?;
    let js = update_object(&update, text_js);
    Ok(Verified {
        update,
        js,
        webhook_id,
    })
}

/// Checks one delivery: method, bearer token, Standard Webhooks headers and timestamp (all
/// before the body is read), the body under its limit, the signature, then the dialect's
/// shape; and continues with `k`, within this call when nothing had to wait.
pub(super) fn verify_request(cfg: Rc<Config>, req: &JsValue, k: Then) -> Flow {
    let front = match front(&cfg, req) {
        Ok(f) => f,
        Err(r) => return k(Err(r)),
    };
    let Front { headers, claims } = front;
    read_body(
        req,
        &headers,
        cfg.max_body,
        claims.gap(),
        move |read| match read {
            Ok((body, body_js)) => check_mac(cfg, claims, body, body_js, k),
            Err(r) => k(Err(r)),
        },
    )
}

/// A delivery that passed every check.
pub(super) struct Verified {
    /// The normalized update (its `raw` left out: it lives in `js`).
    pub(super) update: TaskUpdate,
    /// The `TaskUpdate` object handed to JavaScript.
    pub(super) js: JsValue,
    /// The delivery's `webhook-id`, when it had one.
    pub(super) webhook_id: Option<WebhookId>,
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
    let flow = cached_config(&options).and_then(|cfg| {
        verify_request(
            cfg,
            &request,
            Box::new(|verified| verified.map(|v| v.js).map_err(Refusal::into_js)),
        )
    });
    // A check that did not have to wait is settled here; one that waits is a promise of
    // its end already, which `Promise.resolve` hands back as it is.
    match flow {
        Ok(end) => Promise::resolve(&end),
        Err(e) => Promise::reject(&e),
    }
}
