//! Verifying one delivery, in the order that reads the least: method, bearer token,
//! signature headers and timestamp, then the body, its HMAC and the dialect's shape.
//! `verifyWebhook` is this check alone, exported to JavaScript.

use tasklane_core::state::TaskUpdate;
use tasklane_core::webhook::signature::{mac, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};
use tasklane_core::webhook::{parse_update, verify_bearer, WebhookError, WebhookHeaders};
use wasm_bindgen::prelude::*;

use super::body::{header, read_body, Refusal};
use super::hmac::{choose_hmac, node_mac, webcrypto_mac, Hmac};
use super::options::{cached_config, Config};
use super::{get, json_parse, set};
use crate::convert::to_js;
use crate::errors::invalid_argument;
use crate::js;

/// Checks one delivery: method, bearer token, Standard Webhooks headers and timestamp (all
/// before the body is read), the body under its limit, the signature, then the dialect's
/// shape.
pub(super) async fn verify_request(cfg: &Config, req: &JsValue) -> Result<Verified, Refusal> {
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
    let id = header(&headers, HEADER_ID);
    let mut signed = None;
    if let Some(verifier) = &cfg.verifier {
        let ts = header(&headers, HEADER_TIMESTAMP);
        let sig = header(&headers, HEADER_SIGNATURE);
        signed = Some((verifier, ts, sig));
    }
    let now_secs = (js::now() / 1000) as i64;
    // Parse the signature headers before reading the body: a request with stale or missing
    // headers is refused without reading a byte.
    let pre = match &signed {
        Some((verifier, ts, sig)) => {
            let h = WebhookHeaders {
                id: id.as_deref(),
                timestamp: ts.as_deref(),
                signature: sig.as_deref(),
            };
            Some((verifier, verifier.precheck(&h, now_secs)?))
        }
        None => None,
    };
    let (body, body_js) = read_body(req, &headers, cfg.max_body).await?;
    if let Some((verifier, pre)) = pre {
        let expected = match choose_hmac(cfg.hmac, body.len()) {
            Hmac::Node(nc) => node_mac(cfg, &nc, &pre, &body_js).map_err(Refusal::Js)?,
            Hmac::WebCrypto(subtle) => webcrypto_mac(cfg, &subtle, &pre, &body)
                .await
                .map_err(Refusal::Js)?,
            Hmac::Wasm => mac(verifier.secret(), pre.id, pre.timestamp, &body).to_vec(),
        };
        pre.check_mac(&expected)?;
    }
    let mut update = parse_update(&cfg.profile, &body)?;
    // `raw` goes to JavaScript through the runtime's own JSON.parse of the body text (native
    // speed) rather than written back out by the core.
    update.raw = tasklane_core::json::Value::Null;
    let js = to_js(&update.to_json_text());
    let text = if body_js.is_string() {
        body_js
    } else {
        // parse_update accepted the bytes as JSON, so they are UTF-8.
        JsValue::from_str(std::str::from_utf8(&body).unwrap_or_default())
    };
    // The same text the core's parser accepted, so JSON.parse accepts it too.
    let raw = json_parse(&text).unwrap_or(JsValue::NULL);
    set(&js, "raw", &raw);
    Ok(Verified {
        update,
        js,
        webhook_id: id,
    })
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
pub async fn verify_webhook(request: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let cfg = cached_config(&options)?;
    let verified = verify_request(&cfg, &request)
        .await
        .map_err(Refusal::into_js)?;
    Ok(verified.js)
}
