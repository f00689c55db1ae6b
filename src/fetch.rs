//! Performs one [`HttpRequest`] the core asked for with `fetch` (the global one or the
//! user's), bounded by the request's `timeout_ms`, abortable through an
//! `AbortController`, and turns the outcome back into the core's types.

use crate::js;
use js_sys::{Function, Object};
use tasklane_core::http::{
    HttpRequest, HttpResponse, TransportError, TransportErrorKind, RESPONSE_HEADERS,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortController;

/// The `fetch` a client uses: the user's, or `globalThis.fetch` looked up at each request
/// (so a fetch mock installed after the client was built is still used).
#[derive(Clone)]
pub(crate) struct Fetcher {
    user: Option<Function>,
}

impl Fetcher {
    /// The user's `fetch` option, else `globalThis.fetch`; `None` when neither exists.
    pub(crate) fn new(user: Option<Function>) -> Option<Fetcher> {
        if user.is_none() && js::global_fetch().is_none() {
            return None;
        }
        Some(Fetcher { user })
    }

    /// The function to call and its `this`.
    fn target(&self) -> Option<(Function, JsValue)> {
        match &self.user {
            Some(f) => Some((f.clone(), JsValue::UNDEFINED)),
            None => js::global_fetch(),
        }
    }

    /// Sends `request`; `controller` aborts it (the engine's `Abort`, or the timeout).
    pub(crate) async fn send(
        &self,
        request: &HttpRequest,
        controller: &AbortController,
    ) -> Result<HttpResponse, TransportError> {
        let headers = Object::new();
        for (k, v) in &request.headers {
            js::set(&headers, k, &v.into());
        }
        let init = Object::new();
        js::set(&init, "method", &request.method.as_str().into());
        js::set(&init, "headers", &headers);
        if let Some(body) = &request.body {
            js::set(&init, "body", &body.as_str().into());
        }
        js::set(&init, "signal", &controller.signal());
        // No fetch (removed from globalThis since): nothing left this process.
        let Some((func, this)) = self.target() else {
            return Err(TransportError::network(false));
        };
        let ms = crate::js::timer_ms(request.timeout_ms);
        let names = RESPONSE_NAMES.with(Clone::clone);
        let pending =
            crate::client::exchange(&func, &this, &request.url, &init, ms, controller, &names);
        let outcome = JsFuture::from(pending).await.unwrap_or(JsValue::from(SENT));
        let Some(answer) = outcome.dyn_ref::<js_sys::Array>() else {
            let code = outcome.as_f64().unwrap_or(SENT);
            let sent = code != NOT_SENT;
            return Err(if code == TIMED_OUT {
                TransportError::timeout()
            } else if controller.signal().aborted() {
                TransportError {
                    kind: TransportErrorKind::Aborted,
                    sent,
                }
            } else {
                TransportError::network(sent)
            });
        };
        if self.user.is_none() {
            // The body is read, so aborting now changes nothing for this request, but it
            // lets Node's fetch (undici) drop at once what it hangs on our signal (a
            // listener, and a FinalizationRegistry entry holding the signal until its own
            // controller is collected): otherwise every request's signal outlives it by a
            // GC cycle or two, thousands of live objects at a high request rate. A truthy
            // reason, so undici does not build a `DOMException` (with a stack) for it.
            // Only for the global fetch: a user's fetch may watch the signal, and must not
            // see an abort for a request that completed.
            controller.abort_with_reason(&JsValue::from_str("tasklane: response read"));
        }
        let values = js_sys::Array::from(&answer.get(1));
        let headers = RESPONSE_HEADERS
            .iter()
            .zip(values.iter())
            .filter_map(|(name, v)| Some(((*name).to_owned(), v.as_string()?)))
            .collect();
        Ok(HttpResponse {
            // Checked to be in 100..=999 by `exchange`.
            status: answer.get(0).as_f64().unwrap_or(0.0) as u16,
            headers,
            body: answer.get(2).as_string().unwrap_or_default(),
        })
    }
}

/// `exchange`'s outcomes other than an answer: nothing left this process (fetch threw at
/// once: no fetch, a bad URL or header) ...
const NOT_SENT: f64 = 0.0;
/// ... the request may have reached the server but no complete answer came back (a
/// network error, an abort, not a `Response`) ...
const SENT: f64 = 1.0;
/// ... or the request's `timeout_ms` ran out first (its controller was aborted).
const TIMED_OUT: f64 = 2.0;

thread_local! {
    /// [`RESPONSE_HEADERS`] as a JavaScript array, made once.
    static RESPONSE_NAMES: js_sys::Array =
        RESPONSE_HEADERS.iter().map(|n| JsValue::from_str(n)).collect();
}

/// A new `AbortController`; `None` in a runtime without one (then requests cannot be aborted).
pub(crate) fn controller() -> Option<AbortController> {
    AbortController::new().ok()
}
