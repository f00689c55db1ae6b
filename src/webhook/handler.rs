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

use super::options::Config;
use super::verify::{verify_request, Verified};
use super::{deferred, get, number_field, set, JsResponse};
use crate::errors::invalid_argument;
use crate::js;
use crate::request::{begin, then, Flow, Refusal};

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
    cfg: Rc<Config>,
    on_update: Function,
    store: Option<JsValue>,
    ttl_secs: u64,
    window: RefCell<DedupeWindow>,
    /// Deliveries being handled now, by dedupe key: a duplicate arriving meanwhile waits
    /// for the first one's outcome (a promise of `true` when it succeeded).
    in_flight: RefCell<VecMap<String, Promise>>,
}

/// A verified delivery on its way through the handler: what the steps after a wait need.
struct Delivery {
    update: TaskUpdate,
    /// `onUpdate`'s arguments: the `TaskUpdate` object, the request, `env` and `ctx`.
    args: Array,
}

/// How a new delivery went: `Ok(true)` handled, `Ok(false)` a duplicate per the store,
/// `Err(response)` the 500 to answer.
type Handled = Result<bool, JsValue>;

impl Handler {
    /// One request: verified (within the call when nothing waits), then deduplicated and
    /// handed to `onUpdate`, each wait on JavaScript continued with [`then`].
    fn handle(self: Rc<Self>, request: JsValue, env: JsValue, ctx: JsValue) -> Flow {
        let req = request.clone();
        let cfg = self.cfg.clone();
        verify_request(
            cfg,
            &req,
            Box::new(move |verified| {
                let Verified {
                    update,
                    js: update_js,
                    webhook_id,
                } = match verified {
                    Ok(v) => v,
                    Err(r) => return refusal_response(r),
                };
                let args = Array::of4(&update_js, &request, &env, &ctx);
                self.dedupe(
                    Delivery { update, args },
                    webhook_id.as_ref().map(|id| id.as_str()),
                )
            }),
        )
    }

    /// The duplicate checks: the in-memory window and the deliveries in flight.
    fn dedupe(self: Rc<Self>, d: Delivery, webhook_id: Option<&str>) -> Flow {
        let key = dedupe_key(
            &self.cfg.profile.name,
            webhook_id,
            &d.update.id,
            d.update.state.as_str(),
            d.update.state.is_terminal(),
        );
        let Some(key) = key else {
            // A live update without a webhook-id: nothing to deduplicate on. A failed
            // onUpdate's 500 is the answer, as `settle` answers it for keyed deliveries.
            return self.run_on_update(d.args, |outcome| Ok(outcome.unwrap_or_else(|e| e)));
        };
        let now = js::now();
        let seen = self.window.borrow_mut().begin(now, &key);
        match seen {
            Seen::Duplicate => return duplicate_response(),
            Seen::InFlight => {
                let first = self.in_flight.borrow().get(&key).cloned();
                let Some(first) = first else {
                    return busy_response();
                };
                return then(&first, |ok| {
                    if ok.ok().and_then(|v| v.as_bool()) == Some(true) {
                        duplicate_response()
                    } else {
                        busy_response()
                    }
                });
            }
            Seen::New => {}
        }
        let done = deferred();
        let resolve: Function = done.get(1).unchecked_into();
        self.in_flight
            .borrow_mut()
            .insert(key.clone(), done.get(0).unchecked_into());
        let h = self.clone();
        self.handle_new(key.clone(), d, move |result| {
            h.settle(&key, resolve, result)
        })
    }

    /// The end of a new delivery: out of the in-flight list, its key kept or let go, the
    /// duplicates waiting on it told, and the answer.
    fn settle(&self, key: &str, resolve: Function, result: Handled) -> Flow {
        self.in_flight.borrow_mut().remove(key);
        // Handled here, or found handled in the store: either way later copies are duplicates.
        let ok = result.is_ok();
        if ok {
            self.window.borrow_mut().commit(js::now(), key);
        } else {
            self.window.borrow_mut().abandon(key);
        }
        let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::from_bool(ok));
        match result {
            Ok(true) => json_response(200, OK_BODY),
            Ok(false) => duplicate_response(),
            Err(e) => Ok(e),
        }
    }

    /// Handles a delivery the in-memory window has not seen: checks the shared store,
    /// calls `onUpdate`, records the key; `k` gets how it went.
    fn handle_new(
        self: Rc<Self>,
        key: String,
        d: Delivery,
        k: impl FnOnce(Handled) -> Flow + 'static,
    ) -> Flow {
        let Some(store) = &self.store else {
            return self.call_update(key, d, k);
        };
        let got = match js::call_method(store, "get", &[&key.as_str().into()]) {
            Ok(p) => p,
            Err(e) => {
                return k(Err(failure_response(
                    "store_failed",
                    "store.get failed",
                    &e,
                )))
            }
        };
        then(&got, move |got| match got {
            // Seen by another instance: remember it here too.
            Ok(v) if !v.is_null() && !v.is_undefined() => k(Ok(false)),
            Ok(_) => self.call_update(key, d, k),
            Err(e) => k(Err(failure_response(
                "store_failed",
                "store.get failed",
                &e,
            ))),
        })
    }

    /// `onUpdate`, then the key into the shared store.
    fn call_update(
        self: Rc<Self>,
        key: String,
        d: Delivery,
        k: impl FnOnce(Handled) -> Flow + 'static,
    ) -> Flow {
        let args = d.args.clone();
        self.clone().run_on_update(args, move |answer| {
            let answer = match answer {
                Ok(a) => a,
                Err(e) => return k(Err(e)),
            };
            let status = get(&answer, "status").as_f64().unwrap_or(0.0);
            if status >= 300.0 {
                return k(Err(answer));
            }
            let Some(store) = &self.store else {
                return k(Ok(true));
            };
            let opts = Object::new();
            set(&opts, "expirationTtl", &JsValue::from(self.ttl_secs as f64));
            let value = JsValue::from_str(&record_body(&d.update));
            let put = js::call_method(store, "put", &[&key.as_str().into(), &value, &opts]);
            // The update was handled; a failed put only loses cross-instance dedupe of a
            // later duplicate. Say so, but acknowledge.
            match put {
                Ok(p) => then(&p, move |put| {
                    if let Err(e) = put {
                        put_failed(&e);
                    }
                    k(Ok(true))
                }),
                Err(e) => {
                    put_failed(&e);
                    k(Ok(true))
                }
            }
        })
    }

    /// Calls `onUpdate(update, request, env, ctx)` and continues with `k` once it settled:
    /// `Ok` a 200 when it resolved, `Err` a 500 when it threw or rejected (so the sender
    /// retries).
    fn run_on_update(
        self: Rc<Self>,
        args: Array,
        k: impl FnOnce(Result<JsValue, JsValue>) -> Flow + 'static,
    ) -> Flow {
        let outcome = |called: Result<JsValue, JsValue>| match called {
            Ok(_) => json_response(200, OK_BODY),
            Err(e) => Err(failure_response("handler_failed", "onUpdate threw", &e)),
        };
        match js_sys::Reflect::apply(&self.on_update, &JsValue::UNDEFINED, &args) {
            Ok(v) => then(&v, move |called| k(outcome(called))),
            Err(e) => k(outcome(Err(e))),
        }
    }
}

fn duplicate_response() -> Result<JsValue, JsValue> {
    json_response(200, DUPLICATE_BODY)
}

/// The 503 for a copy of a delivery that is being handled and did not end well (yet).
fn busy_response() -> Result<JsValue, JsValue> {
    json_response(
        503,
        &error_body("retry", "the same delivery is being handled; try again"),
    )
}

fn put_failed(e: &JsValue) {
    web_sys::console::warn_2(&"tasklane: webhook store.put failed".into(), e);
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
        cfg: Rc::new(cfg),
        on_update,
        store,
        ttl_secs,
        window: RefCell::new(DedupeWindow::new(ttl_secs * 1000, DEDUPE_WINDOW_KEYS)),
        in_flight: RefCell::new(VecMap::new()),
    });
    let closure = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
        move |request: JsValue, env: JsValue, ctx: JsValue| {
            let h = handler.clone();
            begin(move || h.handle(request, env, ctx))
        },
    );
    // The handler lives as long as the JavaScript function that holds it: hand ownership
    // of the closure to the JS garbage collector.
    Ok(closure.into_js_value().unchecked_into())
}
