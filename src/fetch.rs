//! Performs one [`HttpRequest`] the core asked for with `fetch` (the global one or the
//! user's), bounded by the request's `timeout_ms`, abortable through an
//! `AbortController`, and turns the outcome back into the core's types.

use crate::js;
use gloo_timers::callback::Timeout;
use js_sys::{Function, Object, Promise};
use std::cell::Cell;
use std::rc::Rc;
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

    /// Sends `request`; `controller` aborts it (the engine's `Abort`, or our timeout).
    pub(crate) async fn send(
        &self,
        request: &HttpRequest,
        controller: &AbortController,
    ) -> Result<HttpResponse, TransportError> {
        let timed_out = Rc::new(Cell::new(false));
        // Dropping the Timeout (when this function returns) clears it.
        let _timer = {
            let timed_out = timed_out.clone();
            let controller = controller.clone();
            let ms = u32::try_from(request.timeout_ms).unwrap_or(u32::MAX);
            Timeout::new(ms, move || {
                timed_out.set(true);
                controller.abort();
            })
        };
        let outcome = self.exchange(request, controller).await;
        if outcome.is_ok() && self.user.is_none() {
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
        outcome.map_err(|sent| {
            if timed_out.get() {
                TransportError::timeout()
            } else if controller.signal().aborted() {
                TransportError {
                    kind: TransportErrorKind::Aborted,
                    sent,
                }
            } else {
                TransportError::network(sent)
            }
        })
    }

    /// The fetch itself; `Err(sent)` when there was no complete answer.
    async fn exchange(
        &self,
        request: &HttpRequest,
        controller: &AbortController,
    ) -> Result<HttpResponse, bool> {
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
        // No fetch (removed from globalThis since), or a synchronous throw (bad URL, bad
        // header): nothing left this process.
        let (func, this) = self.target().ok_or(false)?;
        let pending = func
            .call2(&this, &request.url.as_str().into(), &init)
            .map_err(|_| false)?;
        // Whether the request reached the server is unknown once fetch has started.
        let response = JsFuture::from(Promise::resolve(&pending))
            .await
            .map_err(|_| true)?;
        let status = js::get(&response, "status").as_f64().unwrap_or(0.0);
        if !(100.0..=999.0).contains(&status) {
            return Err(true); // not a Response (a user's fetch gone wrong), or a network error object
        }
        // Only the headers the core reads, one `get` each: copying every header out of a
        // `Headers` (an iterator, a pair array and two strings per header) was a fifth of a
        // status answer's garbage at 10,000 waits.
        let hdrs = js::get(&response, "headers");
        let mut out = Vec::new();
        for name in RESPONSE_HEADERS {
            if let Ok(v) = js::call_method(&hdrs, "get", &[&JsValue::from_str(name)]) {
                if let Some(v) = v.as_string() {
                    out.push(((*name).to_owned(), v));
                }
            }
        }
        let text = js::call_method(&response, "text", &[]).map_err(|_| true)?;
        let body = JsFuture::from(Promise::resolve(&text))
            .await
            .map_err(|_| true)?;
        Ok(HttpResponse {
            // Checked to be in 100..=999 above.
            status: status as u16,
            headers: out,
            body: body.as_string().unwrap_or_default(),
        })
    }
}

/// A new `AbortController`; `None` in a runtime without one (then requests cannot be aborted).
pub(crate) fn controller() -> Option<AbortController> {
    AbortController::new().ok()
}
