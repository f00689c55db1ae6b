//! Verifying one delivery, in the order that reads the least: method, bearer token,
//! signature headers and timestamp, then the body, its HMAC and the dialect's shape.
//! `verifyWebhook` is this check alone, exported to JavaScript.
//!
//! A delivery given as `{headers, body}` with the body in hand, checked with `node:crypto`
//! or in wasm, needs nothing asynchronous: `verifyWebhook` then runs every step at once and
//! hands back a settled promise, without a Rust future and the microtasks that drive it
//! (a third of the time of a small delivery, measured in bench/results/webhook.md).

use js_sys::Promise;
use tasklane_core::state::TaskUpdate;
use tasklane_core::webhook::signature::{
    mac, Prechecked, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, MAC_LEN,
};
use tasklane_core::webhook::{parse_update, verify_bearer, WebhookError, WebhookHeaders};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::body::{header, plain_body, read_body, Refusal};
use super::get;
use super::hmac::{choose_hmac, node_mac, webcrypto_mac, Hmac};
use super::options::{cached_config, Config};
use crate::errors::invalid_argument;
use crate::js;

#[wasm_bindgen(inline_js = r#"
export function updateObject(text, raw) {
  const update = JSON.parse(text);
  try { update.raw = JSON.parse(raw); } catch { update.raw = null; }
  return update;
}
"#)]
extern "C" {
    /// The `TaskUpdate` object: the core's JSON text of it, with `raw` parsed from the body
    /// text (the same text the core's parser accepted, so JSON.parse accepts it too).
    #[wasm_bindgen(js_name = updateObject)]
    fn update_object(text: &str, raw: &JsValue) -> JsValue;
}

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

/// The MAC check when it needs no waiting (`node:crypto` or wasm); `None` for Web Crypto.
fn check_mac_now(
    cfg: &Config,
    hmac: &Hmac,
    pre: &Prechecked<'_>,
    body: &[u8],
) -> Option<Result<(), Refusal>> {
    let expected = match hmac {
        Hmac::Node(nc) => match node_mac(cfg, nc, pre, body) {
            Ok(m) => m,
            Err(e) => return Some(Err(Refusal::Js(e))),
        },
        Hmac::Wasm => match cfg.verifier.as_ref() {
            Some(verifier) => mac(verifier.secret(), pre.id, pre.timestamp, body),
            // There is a `Prechecked` only when a secret is configured; fail closed anyway.
            None => return Some(Err(WebhookError::BadSignature.into())),
        },
        Hmac::WebCrypto(_) => return None,
    };
    Some(pre.check_mac(&expected).map_err(Refusal::from))
}

/// The MAC check, with whichever HMAC suits the body.
async fn check_mac(cfg: &Config, front: &Front, body: &[u8]) -> Result<(), Refusal> {
    let Some(pre) = front.prechecked() else {
        return Ok(());
    };
    let hmac = choose_hmac(cfg.hmac, body.len());
    if let Some(done) = check_mac_now(cfg, &hmac, &pre, body) {
        return done;
    }
    let Hmac::WebCrypto(subtle) = hmac else {
        // check_mac_now answers every other kind.
        return Ok(());
    };
    let expected = webcrypto_mac(cfg, &subtle, &pre, body)
        .await
        .map_err(Refusal::Js)?;
    pre.check_mac(&expected).map_err(Refusal::from)
}

/// The dialect's shape, and the `TaskUpdate` object for JavaScript. `body_js` is the body
/// as the caller gave it (a string is parsed as `raw` without another copy).
fn finish(cfg: &Config, front: Front, body: &[u8], body_js: &JsValue) -> Result<Verified, Refusal> {
    let mut update = parse_update(&cfg.profile, body)?;
    // `raw` goes to JavaScript through the runtime's own JSON.parse of the body text (native
    // speed) rather than written back out by the core.
    update.raw = tasklane_core::json::Value::Null;
    let text = if body_js.is_string() {
        body_js.clone()
    } else {
        // parse_update accepted the bytes as JSON, so they are UTF-8.
        JsValue::from_str(std::str::from_utf8(body).unwrap_or_default())
    };
    let js = update_object(&update.to_json_text(), &text);
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
    let settle = |r: Result<Verified, Refusal>| match r {
        Ok(v) => Promise::resolve(&v.js),
        Err(e) => Promise::reject(&e.into_js()),
    };
    let cfg = match cached_config(&options) {
        Ok(cfg) => cfg,
        Err(e) => return Promise::reject(&e),
    };
    let front = match front(&cfg, &request) {
        Ok(f) => f,
        Err(e) => return settle(Err(e)),
    };
    let (body, body_js) = match plain_body(&request, cfg.max_body) {
        Some(Ok(read)) => read,
        Some(Err(e)) => return settle(Err(e)),
        // A web Request: its body arrives later.
        None => {
            return future_to_promise(async move {
                let (body, body_js) = read_body(&request, &front.headers, cfg.max_body)
                    .await
                    .map_err(Refusal::into_js)?;
                check_mac(&cfg, &front, &body)
                    .await
                    .map_err(Refusal::into_js)?;
                finish(&cfg, front, &body, &body_js)
                    .map(|v| v.js)
                    .map_err(Refusal::into_js)
            })
        }
    };
    let checked = front.prechecked().map(|pre| {
        let hmac = choose_hmac(cfg.hmac, body.len());
        check_mac_now(&cfg, &hmac, &pre, &body)
    });
    match checked {
        Some(Some(Err(e))) => settle(Err(e)),
        // Web Crypto answers in a promise.
        Some(None) => future_to_promise(async move {
            check_mac(&cfg, &front, &body)
                .await
                .map_err(Refusal::into_js)?;
            finish(&cfg, front, &body, &body_js)
                .map(|v| v.js)
                .map_err(Refusal::into_js)
        }),
        // Checked, or nothing to check (a bearer token only).
        Some(Some(Ok(()))) | None => settle(finish(&cfg, front, &body, &body_js)),
    }
}
