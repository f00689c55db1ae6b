//! Performs one [`HttpRequest`] the core asked for with `fetch` (the global one or the
//! user's), bounded by the request's `timeout_ms`, abortable through an
//! `AbortController`, and turns the outcome back into the core's types.

use crate::js;
use js_sys::{Function, Object};
use tasklane_core::http::{
    HttpRequest, HttpResponse, TransportError, TransportErrorKind, RESPONSE_HEADERS,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
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

    /// Starts `request`; `controller` aborts it (the engine's `Abort`, or the timeout).
    /// The promise resolves with its outcome, which [`outcome`] reads; `Err` when nothing
    /// could be sent.
    pub(crate) fn send(
        &self,
        request: &HttpRequest,
        controller: &AbortController,
    ) -> Result<js_sys::Promise, TransportError> {
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
        let (func, this) = self.target().ok_or(TransportError::network(false))?;
        let ms = crate::js::timer_ms(request.timeout_ms);
        // Made at each request: a thread-local of them cost more code than the few strings.
        let names = js_sys::Array::new();
        for n in RESPONSE_HEADERS {
            names.push(&JsValue::from_str(n));
        }
        Ok(crate::client::exchange(
            &func,
            &this,
            &request.url,
            &init,
            ms,
            controller,
            &names,
        ))
    }
}

/// What a request's `exchange` answered, as the core's outcome. `controller` is the
/// request's while the engine still waits for the answer, `None` once it aborted it.
pub(crate) fn outcome(
    answer: &JsValue,
    controller: Option<&AbortController>,
) -> Result<HttpResponse, TransportError> {
    let Some(answer) = answer.dyn_ref::<js_sys::Array>() else {
        let code = answer.as_f64().unwrap_or(SENT);
        let sent = code != NOT_SENT;
        return Err(match controller {
            // The engine aborted it: tell it so (it ignores what it no longer waits for).
            None => TransportError {
                kind: TransportErrorKind::Aborted,
                sent: true,
            },
            Some(_) if code == TIMED_OUT => TransportError::timeout(),
            Some(c) if c.signal().aborted() => TransportError {
                kind: TransportErrorKind::Aborted,
                sent,
            },
            Some(_) => TransportError::network(sent),
        });
    };
    // `exchange` answers one value per name of `RESPONSE_HEADERS`.
    let values: js_sys::Array = answer.get(1).unchecked_into();
    let mut headers = Vec::new();
    for (i, name) in (0u32..).zip(RESPONSE_HEADERS) {
        if let Some(v) = values.get(i).as_string() {
            headers.push(((*name).to_owned(), v));
        }
    }
    Ok(HttpResponse {
        // Checked to be in 100..=999 by `exchange`.
        status: answer.get(0).as_f64().unwrap_or(0.0) as u16,
        headers,
        body: answer.get(2).as_string().unwrap_or_default(),
    })
}

/// `exchange`'s outcomes other than an answer: nothing left this process (fetch threw at
/// once: no fetch, a bad URL or header) ...
const NOT_SENT: f64 = 0.0;
/// ... the request may have reached the server but no complete answer came back (a
/// network error, an abort, not a `Response`) ...
const SENT: f64 = 1.0;
/// ... or the request's `timeout_ms` ran out first (its controller was aborted).
const TIMED_OUT: f64 = 2.0;

/// A new `AbortController`; `None` in a runtime without one (then requests cannot be aborted).
pub(crate) fn controller() -> Option<AbortController> {
    AbortController::new().ok()
}
