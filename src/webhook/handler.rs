//! `createWebhookHandler`: a Workers-style fetch handler that verifies each delivery,
//! drops duplicates (an in-memory window, an optional shared `store`, and deliveries
//! still in flight), calls `onUpdate` and answers with a JSON `Response`.

use std::cell::RefCell;
use std::rc::Rc;
use tasklane_core::vecmap::VecMap;

use js_sys::{Array, Function, Object, Promise};
use tasklane_core::state::TaskUpdate;
use tasklane_core::text::concat;
use tasklane_core::webhook::answer::{
    error_body, record_body, refusal_body, DUPLICATE_BODY, OK_BODY,
};
use tasklane_core::webhook::{dedupe_key, DedupeWindow, Seen};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::options::Config;
use super::verify::{verify_request, Verified};
use super::{get, number_field, set, JsResponse};
use crate::errors::invalid_argument;
use crate::js;
use crate::request::Refusal;

/// How long a handled delivery's key is remembered (in memory and in the `store`).
const DEFAULT_DEDUPE_TTL_SECS: u64 = 24 * 3600;
/// How many handled keys the in-memory window holds.
const DEDUPE_WINDOW_KEYS: usize = 10_000;

thread_local! {
    /// `{status, headers}` init objects by status (the Response constructor copies them).
    static INITS: RefCell<VecMap<u16, JsValue>> = const { RefCell::new(VecMap::new()) };
}

/// A JSON response with `status`.
fn json_response(status: u16, body: &str) -> Result<JsValue, JsValue> {
    let init = INITS.with(|m| {
        m.borrow_mut()
            .get_or_insert_with(status, || {
                let init = Object::new();
                set(&init, "status", &JsValue::from(status));
                let headers = Object::new();
                set(&headers, "content-type", &"application/json".into());
                if status == 405 {
                    // RFC 9110: a 405 names the methods the resource takes.
                    set(&headers, "allow", &"POST".into());
                }
                set(&init, "headers", &headers);
                init.into()
            })
            .clone()
    });
    JsResponse::new(body, &init).map(Into::into)
}

fn refusal_response(r: Refusal) -> Result<JsValue, JsValue> {
    match r {
        Refusal::Webhook(e) => json_response(e.status(), &refusal_body(&e)),
        // The request object itself threw (e.g. it is not a Request): a bad request.
        Refusal::Js(v) => {
            let message = get(&v, "message").as_string().unwrap_or_default();
            json_response(400, &error_body("bad_request", &message))
        }
    }
}

/// One `createWebhookHandler` instance.
struct Handler {
    cfg: Config,
    on_update: Function,
    store: Option<JsValue>,
    ttl_secs: u64,
    window: RefCell<DedupeWindow>,
    /// Deliveries being handled now, by dedupe key: a duplicate arriving meanwhile waits
    /// for the first one's outcome (a promise of `true` when it succeeded).
    in_flight: RefCell<VecMap<String, Promise>>,
}

impl Handler {
    async fn handle(
        self: Rc<Self>,
        request: JsValue,
        env: JsValue,
        ctx: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Verified {
            update,
            js: update_js,
            webhook_id,
        } = match verify_request(&self.cfg, &request).await {
            Ok(v) => v,
            Err(r) => return refusal_response(r),
        };
        let key = dedupe_key(
            &self.cfg.profile.name,
            webhook_id.as_deref(),
            &update.id,
            update.state.as_str(),
            update.state.is_terminal(),
        );
        let Some(key) = key else {
            // A live update without a webhook-id: nothing to deduplicate on.
            return self.run_on_update(&update_js, &request, &env, &ctx).await;
        };
        let now = js::now();
        let seen = self.window.borrow_mut().begin(now, &key);
        match seen {
            Seen::Duplicate => return duplicate_response(),
            Seen::InFlight => {
                let first = self.in_flight.borrow().get(&key).cloned();
                let ok = match first {
                    Some(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()) == Some(true),
                    None => false,
                };
                return if ok {
                    duplicate_response()
                } else {
                    json_response(
                        503,
                        &error_body("retry", "the same delivery is being handled; try again"),
                    )
                };
            }
            Seen::New => {}
        }
        let mut resolve: Option<Function> = None;
        let done = Promise::new(&mut |res, _rej| resolve = Some(res));
        self.in_flight.borrow_mut().insert(key.clone(), done);
        let result = self
            .handle_new(&key, &update, &update_js, &request, &env, &ctx)
            .await;
        self.in_flight.borrow_mut().remove(&key);
        // Handled here, or found handled in the store: either way later copies are duplicates.
        let ok = result.is_ok();
        if ok {
            self.window.borrow_mut().commit(js::now(), &key);
        } else {
            self.window.borrow_mut().abandon(&key);
        }
        if let Some(resolve) = resolve {
            let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::from_bool(ok));
        }
        match result {
            Ok(true) => json_response(200, OK_BODY),
            Ok(false) => duplicate_response(),
            Err(e) => Ok(e),
        }
    }

    /// Handles a delivery the in-memory window has not seen: checks the shared store,
    /// calls `onUpdate`, records the key. `Ok(true)` handled, `Ok(false)` a duplicate per
    /// the store, `Err(response)` the 500 to answer.
    async fn handle_new(
        &self,
        key: &str,
        update: &TaskUpdate,
        update_js: &JsValue,
        request: &JsValue,
        env: &JsValue,
        ctx: &JsValue,
    ) -> Result<bool, JsValue> {
        if let Some(store) = &self.store {
            let got = match js::call_method(store, "get", &[&key.into()]) {
                Ok(p) => JsFuture::from(Promise::resolve(&p)).await,
                Err(e) => Err(e),
            };
            match got {
                Ok(v) if !v.is_null() && !v.is_undefined() => {
                    // Seen by another instance: remember it here too.
                    return Ok(false);
                }
                Ok(_) => {}
                Err(e) => return Err(failure_response("store_failed", "store.get failed", &e)),
            }
        }
        let answer = self.run_on_update(update_js, request, env, ctx).await?;
        let status = get(&answer, "status").as_f64().unwrap_or(0.0);
        if status >= 300.0 {
            return Err(answer);
        }
        if let Some(store) = &self.store {
            let opts = Object::new();
            set(&opts, "expirationTtl", &JsValue::from(self.ttl_secs as f64));
            let value = JsValue::from_str(&record_body(update));
            let put = js::call_method(store, "put", &[&key.into(), &value, &opts]);
            let put = match put {
                Ok(p) => JsFuture::from(Promise::resolve(&p)).await,
                Err(e) => Err(e),
            };
            if let Err(e) = put {
                // The update was handled; only cross-instance dedupe of a later duplicate
                // is lost. Say so, but acknowledge.
                web_sys::console::warn_2(&"tasklane: webhook store.put failed".into(), &e);
            }
        }
        Ok(true)
    }

    /// Calls `onUpdate(update, request, env, ctx)` and awaits it: 200 when it resolved,
    /// 500 when it threw or rejected (so the sender retries).
    async fn run_on_update(
        &self,
        update: &JsValue,
        request: &JsValue,
        env: &JsValue,
        ctx: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let args = Array::of4(update, request, env, ctx);
        let called = self.on_update.apply(&JsValue::UNDEFINED, &args);
        let outcome = match called {
            Ok(v) => JsFuture::from(Promise::resolve(&v)).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => json_response(200, OK_BODY),
            Err(e) => Err(failure_response("handler_failed", "onUpdate threw", &e)),
        }
    }
}

fn duplicate_response() -> Result<JsValue, JsValue> {
    json_response(200, DUPLICATE_BODY)
}

/// The 500 answered when the user's code (or store) failed; the error goes to the
/// console for the operator, not to the sender.
fn failure_response(code: &str, what: &str, err: &JsValue) -> JsValue {
    web_sys::console::error_2(&concat(&["tasklane: ", what]).into(), err);
    json_response(500, &error_body(code, what)).unwrap_or_else(|e| e)
}

/// Builds a Workers-style fetch handler `(request, env?, ctx?) => Promise<Response>` that
/// verifies each delivery, passes its `TaskUpdate` to `onUpdate(update, request, env, ctx)`
/// and answers 200 once that resolved (500 when it threw, so the sender retries).
/// Refusals answer 405/401/400/413 with a JSON error and never reach `onUpdate`.
/// Duplicates (the same task id and terminal state under any `webhook-id`, or a live
/// update's same `webhook-id`) are acknowledged with 200 and not passed on again; `store: {get, put}` (e.g. a Workers KV namespace)
/// shares that across instances, `dedupeTtlSec` (default one day) bounds how long.
#[wasm_bindgen(js_name = createWebhookHandler, skip_typescript)]
pub fn create_webhook_handler(options: JsValue) -> Result<Function, JsValue> {
    let cfg = Config::parse(&options)?;
    let on_update = get(&options, "onUpdate")
        .dyn_into::<Function>()
        .map_err(|_| invalid_argument("invalid argument `options.onUpdate`: must be a function"))?;
    let store = get(&options, "store");
    let store = if store.is_undefined() || store.is_null() {
        None
    } else if get(&store, "get").is_function() && get(&store, "put").is_function() {
        Some(store)
    } else {
        return Err(invalid_argument(
            "invalid argument `options.store`: must have get(key) and put(key, value, {expirationTtl})",
        ));
    };
    // Workers KV refuses an expirationTtl under 60 seconds.
    let ttl_secs = number_field(&options, "dedupeTtlSec")?
        .map_or(DEFAULT_DEDUPE_TTL_SECS, |n| (n as u64).max(60));
    let handler = Rc::new(Handler {
        cfg,
        on_update,
        store,
        ttl_secs,
        window: RefCell::new(DedupeWindow::new(ttl_secs * 1000, DEDUPE_WINDOW_KEYS)),
        in_flight: RefCell::new(VecMap::new()),
    });
    let closure = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
        move |request: JsValue, env: JsValue, ctx: JsValue| {
            let h = handler.clone();
            future_to_promise(async move { h.handle(request, env, ctx).await })
        },
    );
    // The handler lives as long as the JavaScript function that holds it: hand ownership
    // of the closure to the JS garbage collector.
    Ok(closure.into_js_value().unchecked_into())
}
