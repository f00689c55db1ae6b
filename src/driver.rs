//! The one driver per client that runs the sans-IO engine on JavaScript's event loop:
//! after every input it drains `poll_output(now)` and performs each output — `Send` →
//! `fetch` with an `AbortController`, `Abort` → abort it, `Update` → the operation's
//! `onUpdate`, `Done` → settle the operation's promise, `Store` → the task store — then
//! arms one timer for `next_wakeup()`.

use crate::client::then;
use crate::convert::to_js;
use crate::errors::task_error;
use crate::fetch::{controller, Fetcher};
use crate::js;
use crate::store::Store;
use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use std::cell::RefCell;
use std::rc::Rc;
use tasklane_core::engine::Output;
use tasklane_core::estimate::{Estimate, EstimateEntry};
use tasklane_core::vecmap::VecMap;
use tasklane_core::{
    Engine, OpId, OpResult, ReqId, StoreOp, TaskEvent, TaskFailure, TransportError,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, AbortSignal};

/// The driver shared by a client, its timer and its in-flight fetches.
pub(crate) type Shared = Rc<RefCell<Driver>>;

/// One running operation: how to settle its promise and whom to tell about updates.
struct Op {
    resolve: Function,
    reject: Function,
    on_update: Option<Function>,
    /// The user's `signal` and our listener on it, removed when the operation ends.
    abort: Option<(AbortSignal, Closure<dyn FnMut()>)>,
}

/// The engine plus everything the shell holds for it.
pub(crate) struct Driver {
    pub(crate) engine: Engine,
    pub(crate) store: Store,
    fetcher: Fetcher,
    ops: VecMap<OpId, Op>,
    in_flight: VecMap<ReqId, AbortController>,
    /// The armed timer and the time it fires at.
    timer: Option<(u64, Timeout)>,
    /// Holds the driver alive while operations run, even when JavaScript dropped the
    /// client (`new TaskClient(o).run(r)`); cleared when the last operation ends.
    keep_alive: Option<Shared>,
    /// The store's answer to a submitted task's `put` that its submit's `Done` waits on:
    /// a pending promise, or the error it threw at once.
    puts: VecMap<String, Result<Promise, JsValue>>,
}

impl Driver {
    /// A driver for `engine`.
    pub(crate) fn new(engine: Engine, store: Store, fetcher: Fetcher) -> Shared {
        Rc::new(RefCell::new(Driver {
            engine,
            store,
            fetcher,
            ops: VecMap::new(),
            in_flight: VecMap::new(),
            timer: None,
            keep_alive: None,
            puts: VecMap::new(),
        }))
    }
}

/// Registers operation `op` and returns the promise it settles; `signal` aborts it.
pub(crate) fn track(
    shared: &Shared,
    op: OpId,
    on_update: Option<Function>,
    signal: Option<AbortSignal>,
) -> Promise {
    // From the snippet, not `Promise::new`: no executor closure to pass across.
    let d = crate::client::deferred();
    let (promise, resolve, reject) = (d.get(0), d.get(1), d.get(2));
    let (resolve, reject) = (resolve.unchecked_into(), reject.unchecked_into());
    let abort = signal.map(|signal| {
        let weak = Rc::downgrade(shared);
        let listener = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = weak.upgrade() {
                let now = js::now();
                shared.borrow_mut().engine.abort(now, op);
                pump(&shared);
            }
        });
        let _ = signal.add_event_listener_with_callback("abort", listener.as_ref().unchecked_ref());
        (signal, listener)
    });
    let already_aborted = abort.as_ref().is_some_and(|(s, _)| s.aborted());
    {
        let mut d = shared.borrow_mut();
        d.ops.insert(
            op,
            Op {
                resolve,
                reject,
                on_update,
                abort,
            },
        );
        d.keep_alive = Some(shared.clone());
        if already_aborted {
            d.engine.abort(js::now(), op);
        }
    }
    pump(shared);
    promise.unchecked_into()
}

/// Drains the engine's outputs and performs them, then re-arms the timer. Never holds
/// the borrow while calling user code (`onUpdate` may call the client again).
pub(crate) fn pump(shared: &Shared) {
    // A task ended: its success may have taught the estimates something worth keeping.
    let mut ended = false;
    loop {
        let out = {
            let mut d = shared.borrow_mut();
            let now = js::now();
            d.engine.poll_output(now)
        };
        let Some(out) = out else { break };
        match out {
            Output::Send { req, request } => send(shared, req, request),
            Output::Abort { req } => {
                let c = shared.borrow_mut().in_flight.remove(&req);
                if let Some(c) = c {
                    c.abort();
                }
            }
            Output::Update { op, update } => {
                let cb = shared
                    .borrow()
                    .ops
                    .get(&op)
                    .and_then(|o| o.on_update.clone());
                if let Some(cb) = cb {
                    // A throwing onUpdate is the user's bug; it must not stop the wait.
                    let update = to_js(&update.to_json_text());
                    if let Err(e) = js::apply(&cb, &JsValue::UNDEFINED, &[&update]) {
                        web_sys::console::error_2(&"tasklane: onUpdate threw:".into(), &e);
                    }
                }
            }
            Output::Done { op, result } => {
                let entry = shared.borrow_mut().ops.remove(&op);
                if let Some(entry) = entry {
                    if let Some((signal, listener)) = &entry.abort {
                        let _ = signal.remove_event_listener_with_callback(
                            "abort",
                            listener.as_ref().unchecked_ref(),
                        );
                    }
                    let put = match &result {
                        Ok(OpResult::Update(u)) => shared.borrow_mut().puts.remove(&u.id),
                        _ => None,
                    };
                    let (settle, value) = match (result, put) {
                        (Ok(r), None) => (&entry.resolve, op_result(&r)),
                        (Ok(r), Some(put)) => {
                            // The store's put threw at once: the same rejection, later.
                            let put = put.unwrap_or_else(|e| Promise::reject(&e));
                            let saved = crate::client::after_put(
                                &put,
                                &op_result(&r),
                                &crate::errors::task_error_class(),
                            );
                            (&entry.resolve, saved.into())
                        }
                        (Err(f), _) => (&entry.reject, failure(&f)),
                    };
                    let _ = js::apply(settle, &JsValue::UNDEFINED, &[&value]);
                }
            }
            Output::Store(op) => {
                // The engine itself remembers the addresses of the tasks it submitted
                // (its bounded `known`), so `wait(id)` works after the store forgot one.
                let store = shared.borrow().store.clone();
                // Not borrowed here: a user store's methods are user code.
                match op {
                    StoreOp::Put(record) => {
                        let id = record.task.id.clone();
                        // The submit's `Done` (next) settles only once this put has.
                        let put = match store.put(&id, &to_js(&record.to_json_text())) {
                            Ok(None) => None,
                            Ok(Some(p)) => Some(Ok(p)),
                            Err(e) => Some(Err(e)),
                        };
                        if let Some(put) = put {
                            shared.borrow_mut().puts.insert(id, put);
                        }
                    }
                    StoreOp::Delete(id) => {
                        store.delete(&id);
                        ended = true;
                    }
                }
            }
        }
    }
    if ended {
        save_estimates(shared);
    }
    arm_timer(shared);
}

/// Saves the engine's learned estimates in the store (once per drain, however many tasks
/// ended in it), so a client built later over the same store starts with them.
fn save_estimates(shared: &Shared) {
    let (entries, store, provider) = {
        let d = shared.borrow();
        let provider = d.engine.profile().name.clone();
        (d.engine.export_estimates(), d.store.clone(), provider)
    };
    if !entries.is_empty() {
        let list = js_sys::Array::new();
        for en in &entries {
            let o: JsValue = js_sys::Object::new().into();
            js::set(&o, "key", &en.key.as_str().into());
            js::set(&o, "count", &en.estimate.count.into());
            js::set(&o, "logMean", &en.estimate.log_mean.into());
            js::set(&o, "logVar", &en.estimate.log_var.into());
            list.push(&o);
        }
        store.put_estimates(&provider, &list);
    }
}

/// Keeps exactly one timer, at `next_wakeup()`.
fn arm_timer(shared: &Shared) {
    let mut d = shared.borrow_mut();
    if d.ops.is_empty() && d.in_flight.is_empty() {
        d.keep_alive = None;
    }
    let next = d.engine.next_wakeup();
    match (next, &d.timer) {
        (None, _) => d.timer = None,
        (Some(at), Some((armed, _))) if *armed == at => {}
        (Some(at), _) => {
            let delay = at.saturating_sub(js::now());
            let weak = Rc::downgrade(shared);
            let timeout = Timeout::new(crate::js::timer_ms(delay), move || {
                if let Some(shared) = weak.upgrade() {
                    // Dropping our own (fired) Timeout here is safe: wasm-bindgen defers
                    // freeing a closure that is running.
                    shared.borrow_mut().timer = None;
                    pump(&shared);
                }
            });
            d.timer = Some((at, timeout));
        }
    }
}

/// Starts one fetch; its outcome goes back to the engine unless the engine aborted it.
fn send(shared: &Shared, req: ReqId, request: tasklane_core::HttpRequest) {
    let fetcher = shared.borrow().fetcher.clone();
    let sent = match controller() {
        Some(ctrl) => fetcher.send(&request, &ctrl).map(|p| (p, ctrl)),
        None => Err(TransportError::network(false)),
    };
    let (answer, ctrl) = match sent {
        Ok(sent) => sent,
        Err(e) => {
            let now = js::now();
            shared.borrow_mut().engine.handle_response(now, req, Err(e));
            return;
        }
    };
    shared.borrow_mut().in_flight.insert(req, ctrl);
    let shared = shared.clone();
    let _ = then(&answer, move |answer| {
        // `None` when the engine aborted it: it is told so (it ignores what it no longer
        // waits for).
        let ctrl = shared.borrow_mut().in_flight.remove(&req);
        let outcome = crate::fetch::outcome(&answer.unwrap_or_default(), ctrl.as_ref());
        let now = js::now();
        shared
            .borrow_mut()
            .engine
            .handle_response(now, req, outcome);
        pump(&shared);
        Ok(JsValue::UNDEFINED)
    });
}

/// An operation's success value as JavaScript: a `TaskUpdate` or an array of `TaskEvent`s.
fn op_result(r: &OpResult) -> JsValue {
    match r {
        OpResult::Update(u) => to_js(&u.to_json_text()),
        OpResult::Events(e) => to_js(&TaskEvent::list_json_text(e)),
    }
}

/// A `TaskError` from the core's failure.
pub(crate) fn failure(f: &TaskFailure) -> JsValue {
    let update = f
        .update
        .as_ref()
        .map(|u| to_js(&u.to_json_text()))
        .unwrap_or(JsValue::UNDEFINED);
    task_error(
        f.code.as_str(),
        &f.message,
        f.task_id.clone(),
        f.http_status,
        &update,
    )
}

/// Imports the estimates a previous client saved in the store: at once from a synchronous
/// store, else as soon as the user store answers (a task updated before that has no
/// `etaMs` yet). Unreadable entries are skipped.
pub(crate) fn load_estimates(shared: &Shared) {
    let (store, provider) = {
        let d = shared.borrow();
        (d.store.clone(), d.engine.profile().name.clone())
    };
    let Some(found) = store.estimates(&provider) else {
        return;
    };
    let weak = Rc::downgrade(shared);
    let _ = then(&found, move |found| {
        let Some(list) = found.ok().and_then(|f| store.estimates_in(f, &provider)) else {
            return Ok(JsValue::UNDEFINED);
        };
        let num = |v: &JsValue, k: &str| js::get(v, k).as_f64().filter(|x| x.is_finite());
        // `estimates_in` checked that it is an array.
        let list: &js_sys::Array = list.unchecked_ref();
        let mut entries = Vec::new();
        for i in 0..list.length() {
            let v = list.get(i);
            // Every number is read before the key, the one owned value.
            let (Some(count), Some(log_mean), Some(log_var)) = (
                num(&v, "count").filter(|c| *c >= 1.0),
                num(&v, "logMean"),
                num(&v, "logVar"),
            ) else {
                continue;
            };
            if let Some(key) = js::get(&v, "key").as_string() {
                entries.push(EstimateEntry {
                    key,
                    estimate: Estimate {
                        count: count as u32,
                        log_mean,
                        log_var,
                    },
                });
            }
        }
        if let Some(shared) = weak.upgrade() {
            shared.borrow_mut().engine.import_estimates(entries);
        }
        Ok(JsValue::UNDEFINED)
    });
}
