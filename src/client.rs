//! `TaskClient`, the class users construct: it checks its options (throwing
//! `TaskError{code: "invalid_argument"}` naming the bad one), owns one engine driver, and
//! turns each method call into an engine operation whose promise the driver settles.

use crate::convert::{field, finite_numbers, function, optional_object, string_field, FirstError};
use crate::driver::{self, Driver, Shared};
use crate::errors::{invalid_argument, task_error};
use crate::fetch::Fetcher;
use crate::js;
use crate::store::Store;
use js_sys::{Array, Function, Promise};
use tasklane_core::{
    ClientConfig, CoreError, Engine, SubmitRequest, TaskRecord, TaskRef, WaitOptions, WebhookTarget,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortSignal;

// The client build's JavaScript, in one snippet file (each `inline_js` block is a file the
// page loads: with a fourth one in the full build, wasm-bindgen-test's headless Chromium run
// under chromedriver never finished loading the page on this machine). The wasm never awaits:
// JavaScript does, and calls back into it synchronously. `exchange` is one request in one
// JavaScript call (src/fetch.rs: a timer, the fetch, the status check, the headers the core
// reads and the body text); `after` hands a settled promise to a Rust continuation (`then`
// below); `report` logs a store write's failure; `canceledEnd` and `settleResumed` are the
// ends of `cancelOnTimeout` and `resume()` (a few lines of `then` and `allSettled` where Rust
// needed a state machine each); `makeWatch` is `watch()`'s async iterator.
#[wasm_bindgen(inline_js = r#"
export function exchange(fetch, self, url, init, ms, controller, names) {
  return Promise.resolve().then(() => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; controller.abort(); }, ms);
    const end = (r) => { clearTimeout(timer); return r; };
    let pending;
    try { pending = fetch.call(self, url, init); } catch { return end(0); }
    return Promise.resolve(pending).then(async (res) => {
      const status = res?.status;
      if (typeof status !== "number" || !(status >= 100 && status <= 999)) return timedOut ? 2 : 1;
      const h = res.headers;
      const values = names.map((n) => { try { return h.get(n); } catch { return null; } });
      const body = await res.text();
      if (self !== undefined) controller.abort("tasklane: response read");
      return [status, values, typeof body === "string" ? body : ""];
    }).catch(() => timedOut ? 2 : 1).then(end);
  });
}
export function deferred() {
  const d = [];
  d[0] = new Promise((resolve, reject) => { d[1] = resolve; d[2] = reject; });
  return d;
}
export const after = (p, f) => Promise.resolve(p).then((v) => f(v, true), (e) => f(e, false));
export const report = (p) => Promise.resolve(p).catch((e) => console.warn("tasklane: TaskStore failed:", e));
const isObject = (v) => typeof v === "object" && v !== null;
const text = (v) => typeof v === "string" ? v : undefined;
export const afterPut = (put, value, TaskError) => Promise.resolve(put).then(() => value, (e) => {
  const id = text(value.id) ?? "";
  const why = text(e?.message) ?? text(e) ?? "unknown error";
  throw new TaskError("store", `task ${id} was submitted and exists at the vendor, but the store did not save it (${why}): wait on it by id, it will not be resumed`, id, undefined, value);
});
export function canceledEnd(canceled, timeout, TaskError) {
  const end = (u) => {
    const s = u?.state;
    if (s === "succeeded") return u;
    if (s !== "failed" && s !== "timed_out") throw timeout;
    throw new TaskError(s, text(u.error?.message) ?? `task ${s}`, text(u.id), undefined, u);
  };
  return canceled.then(end, () => end());
}
export function settleResumed(waits, TaskError) {
  return Promise.allSettled(waits).then((all) => {
    const updates = [], errors = [];
    for (const { value, reason } of all) {
      const u = isObject(value) ? value : reason?.update;
      if (isObject(u)) updates.push(u); else errors.push(reason);
    }
    if (!errors.length) return updates;
    const first = errors[0];
    const e = new TaskError(text(first?.code) ?? "network", `${errors.length} of ${all.length} resumed waits stopped before any update of their task (first: ${text(first?.message) ?? ""}); those tasks stay pending, the others' updates are in \`updates\``, text(first?.taskId));
    e.updates = updates; e.errors = errors;
    throw e;
  });
}

const same = (a, b) => a !== undefined && a.state === b.state && a.rawStatus === b.rawStatus && a.queuePosition === b.queuePosition;
const TERMINAL = ["failed", "canceled", "timed_out"];
export function makeWatch(start, opts) {
  let it;
  return { [Symbol.asyncIterator]() { return it || (it = iterate(start, opts)); } };
}
function iterate(start, opts) {
  const items = []; const waiters = []; let finished = false; let last;
  const ctrl = new AbortController();
  const user = opts && opts.signal;
  // Not an AbortSignal: left to `start`, which refuses it as `wait` does.
  if (user && typeof user.addEventListener === "function") { if (user.aborted) ctrl.abort(user.reason); else user.addEventListener("abort", () => ctrl.abort(user.reason), { once: true }); }
  const push = (item) => { if (waiters.length) waiters.shift()(item); else items.push(item); };
  // Queued before the user's callback runs: a callback that throws (logged by the driver)
  // costs the iterator nothing.
  const onUpdate = (u) => { last = u; push({ value: u }); if (opts && opts.onUpdate) opts.onUpdate(u); };
  const end = (u) => { if (!same(last, u)) push({ value: u }); push({ done: true }); };
  start({ ...opts, signal: ctrl.signal, onUpdate }, true).then(end,
    (e) => { if (e && e.update && TERMINAL.includes(e.code)) end(e.update); else push({ error: e }); });
  const settle = (item) => {
    if (finished) return { done: true, value: undefined };
    if (item.error) { finished = true; throw item.error; }
    if (item.done) { finished = true; return { done: true, value: undefined }; }
    return { done: false, value: item.value };
  };
  return {
    next() {
      if (items.length) { const item = items.shift(); return Promise.resolve(item).then(settle); }
      if (finished) return Promise.resolve({ done: true, value: undefined });
      return new Promise((r) => waiters.push(r)).then(settle);
    },
    return() {
      finished = true; ctrl.abort();
      while (waiters.length) waiters.shift()({ done: true });
      return Promise.resolve({ done: true, value: undefined });
    },
    [Symbol.asyncIterator]() { return this; },
  };
}
"#)]
extern "C" {
    /// See the snippet: on the next microtask (as a spawned task ran: no fetch starts inside
    /// the engine's drain), calls `fetch` with a timer of `ms` that aborts `controller`;
    /// resolves to `[status, [header values], body]`, or to `NOT_SENT`, `SENT` or
    /// `TIMED_OUT` (src/fetch.rs); never rejects. Once the body is read, a request of
    /// the global fetch (the one called with a `this`) has its controller aborted: that
    /// changes nothing for it, but lets Node's fetch (undici) drop at once what it hangs on
    /// our signal (a listener, and a FinalizationRegistry entry holding the signal until its
    /// own controller is collected); otherwise every request's signal outlives it by a GC
    /// cycle or two, thousands of live objects at a high request rate. A truthy reason, so
    /// undici does not build a `DOMException` (with a stack) for it. Not for a user's fetch:
    /// it may watch the signal, and must not see an abort for a request that completed.
    pub(crate) fn exchange(
        fetch: &Function,
        this: &JsValue,
        url: &str,
        init: &js_sys::Object,
        ms: u32,
        controller: &web_sys::AbortController,
        names: &js_sys::Array,
    ) -> Promise;
    /// Calls `f(value, true)` or `f(reason, false)` once `p` settles: exactly once, so the
    /// closure `f` is always freed. The promise returned follows what `f` returns or throws.
    fn after(p: &JsValue, f: &JsValue) -> Promise;
    /// `[promise, resolve, reject]`: a new promise and the functions that settle it.
    pub(crate) fn deferred() -> Array;
    /// Reports a rejection of `p` (a store write whose failure must not fail a task) on the
    /// console, never as an unhandled rejection.
    pub(crate) fn report(p: &JsValue);
    /// A submit's `value` once the store's `put` of its task settled; when the put failed,
    /// a `TaskError{code: "store"}` naming the task, which exists at the vendor but will not
    /// be found by `pending()` / `resume()`.
    #[wasm_bindgen(js_name = afterPut)]
    pub(crate) fn after_put(put: &Promise, value: &JsValue, task_error: &JsValue) -> Promise;
    /// `cancelOnTimeout`'s end once the cancel it started settled: the task's end when the
    /// cancel found it ended (`succeeded` resolves; `failed` and `timed_out` reject with a
    /// `TaskError` of that code, the task's error message and the update), else the wait's
    /// own `timeout` rejection.
    #[wasm_bindgen(js_name = canceledEnd)]
    fn canceled_end(canceled: &Promise, timeout: &JsValue, task_error: &JsValue) -> Promise;
    /// `resume()`'s end once every wait in `waits` settled: each task's last update (a task
    /// that ended badly still has one, on its `TaskError`), or, when some wait stopped before
    /// any update of its task, a `TaskError` with the first such wait's code (`network` when
    /// it has none), `taskId` and message, every update in `updates` and every stopped
    /// wait's error in `errors`, so nothing the other waits saw is lost.
    #[wasm_bindgen(js_name = settleResumed)]
    fn settle_resumed(waits: &Array, task_error: &JsValue) -> Promise;
    #[wasm_bindgen(js_name = makeWatch)]
    fn make_watch(start: JsValue, opts: &JsValue) -> JsValue;
}

/// Runs `f` once `p` settles, with `Ok(value)` or `Err(reason)`; the promise returned
/// settles as `f` returns. The shell's one way of waiting: JavaScript awaits, Rust decides.
pub(crate) fn then(
    p: &JsValue,
    f: impl FnOnce(Result<JsValue, JsValue>) -> Result<JsValue, JsValue> + 'static,
) -> Promise {
    after(p, &continuation(f))
}

/// `f` as a JavaScript function to be called once, as `(value, true)` or `(reason, false)`:
/// it returns what `f` returns, or a promise rejected with `f`'s error. Every Rust closure
/// the client hands JavaScript to call once is one of these, so they share one signature's
/// glue; a rejected promise rather than a throw, since a closure returning a plain value
/// has the smaller glue.
fn continuation(
    f: impl FnOnce(Result<JsValue, JsValue>) -> Result<JsValue, JsValue> + 'static,
) -> JsValue {
    boxed_continuation(Box::new(f))
}

/// A continuation, boxed: one closure type (one invoke shim and its glue) for every call
/// site, which adds only its own body.
type Continuation = Box<dyn FnOnce(Result<JsValue, JsValue>) -> Result<JsValue, JsValue>>;

fn boxed_continuation(f: Continuation) -> JsValue {
    Closure::once_into_js(move |v: JsValue, ok: bool| -> JsValue {
        match f(if ok { Ok(v) } else { Err(v) }) {
            Ok(v) => v,
            Err(e) => Promise::reject(&e).into(),
        }
    })
}

/// One client for one provider: submit tasks, follow them to a result, cancel them.
#[wasm_bindgen(skip_typescript)]
pub struct TaskClient {
    shared: Shared,
}

/// A `TaskError` from a refused core call.
fn core_error(e: CoreError) -> JsValue {
    task_error(
        e.code().as_str(),
        &e.message(),
        None,
        None,
        &JsValue::UNDEFINED,
    )
}

/// A promise rejected with `e`.
fn rejected(e: JsValue) -> Promise {
    Promise::reject(&e)
}

#[wasm_bindgen]
impl TaskClient {
    /// `new TaskClient({provider, baseUrl, apiKey?, headers?, fetch?, poll?, store?})`;
    /// throws `TaskError{code: "invalid_argument"}` naming the bad option.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<TaskClient, JsValue> {
        if !options.is_object() {
            return Err(invalid_argument(
                "invalid argument `options`: expected an object {provider, baseUrl, ...}",
            ));
        }
        let provider = js::get(&options, "provider");
        if !(provider.is_string() || provider.is_object()) {
            return Err(invalid_argument(
                "invalid argument `provider`: expected \"mirako\", \"apixo\", \"mindproxy\", \"queue\" or a profile object",
            ));
        }
        let provider = crate::convert::provider_spec(provider, "provider")?;
        let base_url = string_field(&options, "baseUrl", "baseUrl")?.ok_or_else(|| {
            invalid_argument("invalid argument `baseUrl`: required (the provider's base URL)")
        })?;
        let api_key = string_field(&options, "apiKey", "apiKey")?;
        let headers = crate::convert::headers(&options)?;
        let poll = crate::convert::poll_options(&options)?.unwrap_or_default();
        let limits = crate::convert::limits(&options)?;
        let user_fetch = function(&options, "fetch")?;
        let store = Store::from_option(&js::get(&options, "store"))?;
        let fetcher = Fetcher::new(user_fetch).ok_or_else(|| {
            invalid_argument("invalid argument `fetch`: this runtime has no global fetch; pass one")
        })?;
        let config = ClientConfig {
            provider,
            base_url,
            api_key,
            headers,
            poll,
            limits,
        };
        let engine = Engine::new(config, js::seed()).map_err(core_error)?;
        let shared = Driver::new(engine, store, fetcher);
        driver::load_estimates(&shared);
        Ok(TaskClient { shared })
    }

    /// Submits a task; resolves with `{id, state: "queued", ...}`.
    pub fn submit(&self, req: JsValue) -> Promise {
        match submit_request(&req) {
            Ok(r) => self.start(|e, now| e.submit(now, r), None, None),
            Err(e) => rejected(e),
        }
    }

    /// One status request, normalized.
    pub fn status(&self, id: JsValue, opts: JsValue) -> Promise {
        match self.task_ref(&id, &opts) {
            Ok(t) => self.start(|e, now| e.status(now, &t), None, None),
            Err(e) => rejected(e),
        }
    }

    /// Polls until terminal; resolves when `succeeded`, rejects with `TaskError` otherwise.
    pub fn wait(&self, id: JsValue, opts: JsValue) -> Promise {
        wait_on(&self.shared, &id, &opts)
    }

    /// `submit` then `wait`.
    pub fn run(&self, req: JsValue, opts: JsValue) -> Promise {
        let r = match submit_request(&req) {
            Ok(r) => r,
            Err(e) => return rejected(e),
        };
        // Bad wait options are refused before anything is submitted.
        let signal = match parse_wait(&opts) {
            Ok((_, signal, _, _)) => signal,
            Err(e) => return rejected(e),
        };
        let submitted = self.start(|e, now| e.submit(now, r), None, signal);
        let shared = self.shared.clone();
        let opts = expect_webhook_opts(&req, opts);
        then(&submitted, move |update| {
            Ok(wait_on(&shared, &js::get(&update?, "id"), &opts).into())
        })
    }

    /// Hands the client an update that came by webhook (e.g. from `verifyWebhook`): every
    /// `wait` on that task takes it as if it had polled it, so a task completes exactly
    /// once whichever path brings the end first. Returns how many waits took it.
    pub fn deliver(&self, update: JsValue) -> Result<u32, JsValue> {
        // A second terminal delivery is ignored by the engine. The update is already
        // normalized (a `TaskUpdate`), so nothing of the webhook verifier is needed here.
        if !update.is_object() || !js::get(&update, "id").is_string() {
            return Err(invalid_argument(
                "invalid argument `update`: expected a TaskUpdate {id, state, rawStatus, ...} (e.g. from verifyWebhook)",
            ));
        }
        let update = crate::convert::task_update(&update)?;
        let taken = self.shared.borrow_mut().engine.deliver(js::now(), update);
        driver::pump(&self.shared);
        Ok(u32::try_from(taken).unwrap_or(u32::MAX))
    }

    /// Every change of state or queue position as an `AsyncIterable`, ending after the
    /// terminal update (a failed task's last update is yielded, not thrown).
    pub fn watch(&self, id: JsValue, opts: JsValue) -> JsValue {
        let shared = self.shared.clone();
        // The iterator waits with its own `signal` and `onUpdate` wrapped around the user's,
        // so the user's options are checked here, as `wait` checks them: a bad one is the
        // first `next()`'s rejection, not an iterator that ends without a word.
        let refused = parse_wait(&opts).err();
        // Called by the snippet as `start(waitOpts, true)`.
        let start = continuation(move |wait_opts| match refused {
            Some(e) => Err(e),
            None => Ok(wait_on(&shared, &id, &wait_opts?).into()),
        });
        make_watch(start, &opts)
    }

    /// Cancels where the dialect can; otherwise rejects `TaskError{code: "unsupported"}`.
    pub fn cancel(&self, id: JsValue, reason: JsValue, opts: JsValue) -> Promise {
        let reason = match crate::convert::string(&reason, "reason") {
            Ok(r) => r,
            Err(e) => return rejected(e),
        };
        match self.task_ref(&id, &opts) {
            Ok(t) => self.start(|e, now| e.cancel(now, &t, reason), None, None),
            Err(e) => rejected(e),
        }
    }

    /// The task's event log, where the dialect has one.
    pub fn events(&self, id: JsValue, opts: JsValue) -> Promise {
        let parsed = self.task_ref(&id, &opts).and_then(|t| {
            finite_numbers(&opts, "", &["limit", "offset"])?;
            let limit = crate::convert::whole(&opts, "limit", "limit", 1e15)?;
            let offset = crate::convert::whole(&opts, "offset", "offset", 1e15)?;
            Ok((t, limit, offset))
        });
        match parsed {
            Ok((t, limit, offset)) => {
                self.start(|e, now| e.events(now, &t, limit, offset), None, None)
            }
            Err(e) => rejected(e),
        }
    }

    /// Ids in the store that have not reached a terminal state.
    pub fn pending(&self) -> Promise {
        with_records(&self.shared, |_, records| {
            let ids = Array::new();
            for r in records {
                ids.push(&r.task.id.as_str().into());
            }
            Ok(ids.into())
        })
    }

    /// Waits on every pending task in the store and settles once every wait has: resolves
    /// with each task's last update (the terminal one of a task that ended, failed ones
    /// included; the last live one of a task whose wait stopped first, e.g. `timeoutMs`,
    /// which stays pending). When a wait stopped before any update of its task was seen,
    /// rejects with a `TaskError` (the first such wait's code and `taskId`) that carries
    /// the other tasks' updates in `updates` and every such wait's error in `errors`.
    pub fn resume(&self, opts: JsValue) -> Promise {
        with_records(&self.shared, move |shared, records| {
            let waits = Array::new();
            for r in records {
                waits.push(&wait_ref(shared, r.task, &opts));
            }
            Ok(settle_resumed(&waits, &crate::errors::task_error_class()).into())
        })
    }

    /// Starts an operation on the engine and returns its promise.
    fn start(
        &self,
        f: impl FnOnce(&mut Engine, u64) -> Result<tasklane_core::OpId, CoreError>,
        on_update: Option<Function>,
        signal: Option<AbortSignal>,
    ) -> Promise {
        start(&self.shared, Box::new(f), on_update, signal)
    }

    /// The task `id` with the locator fields of `opts`, completed from the store's record.
    fn task_ref(&self, id: &JsValue, opts: &JsValue) -> Result<TaskRef, JsValue> {
        task_ref(&self.shared, id, opts)
    }
}

/// A call that starts an engine operation, boxed: one `start` serves every caller.
type Call<'a> = Box<dyn FnOnce(&mut Engine, u64) -> Result<tasklane_core::OpId, CoreError> + 'a>;

/// Starts an operation on the engine and returns its promise.
fn start(
    shared: &Shared,
    f: Call<'_>,
    on_update: Option<Function>,
    signal: Option<AbortSignal>,
) -> Promise {
    let op = {
        let mut d = shared.borrow_mut();
        f(&mut d.engine, js::now())
    };
    match op {
        Ok(op) => driver::track(shared, op, on_update, signal),
        Err(e) => {
            // A refused call may still have queued outputs (none today); drain them.
            driver::pump(shared);
            rejected(core_error(e))
        }
    }
}

/// `wait(id, opts)` on a shared driver.
fn wait_on(shared: &Shared, id: &JsValue, opts: &JsValue) -> Promise {
    match task_ref(shared, id, opts) {
        Ok(t) => wait_ref(shared, t, opts),
        Err(e) => rejected(e),
    }
}

/// Waits on `task` with the `signal`, `onUpdate` and `timeoutMs` of `opts`.
fn wait_ref(shared: &Shared, task: TaskRef, opts: &JsValue) -> Promise {
    match parse_wait(opts) {
        Ok((on_update, signal, w, false)) => start(
            shared,
            Box::new(|e, now| e.wait(now, &task, w)),
            on_update,
            signal,
        ),
        Ok((on_update, signal, w, true)) => {
            let waited = start(
                shared,
                Box::new(|e, now| e.wait(now, &task, w)),
                on_update,
                signal,
            );
            cancel_on_timeout(shared.clone(), task, waited)
        }
        Err(e) => rejected(e),
    }
}

/// What a wait needs from its options: `onUpdate`, `signal`, the core's `WaitOptions`, and
/// whether to cancel the task when the wait times out.
type ParsedWait = (Option<Function>, Option<AbortSignal>, WaitOptions, bool);

/// Reads and checks the options of `wait` / `run` / `watch` / `resume`.
fn parse_wait(opts: &JsValue) -> Result<ParsedWait, JsValue> {
    optional_object(opts, "opts")?;
    let on_update = function(opts, "onUpdate")?;
    let signal = wait_signal(opts)?;
    finite_numbers(opts, "", &["timeoutMs"])?;
    let timeout_ms = crate::convert::number(opts, "timeoutMs", "timeoutMs")?;
    let poll = crate::convert::poll_options(opts)?;
    // Hybrid completion (webhook module): the end comes through `deliver`, polling
    // is only the slow safety net.
    let expect_webhook = crate::convert::boolean(opts, "expectWebhook", "expectWebhook")?;
    let w = WaitOptions {
        timeout_ms,
        poll,
        expect_webhook: expect_webhook.unwrap_or(false),
    };
    let cancel_on_timeout = crate::convert::boolean(opts, "cancelOnTimeout", "cancelOnTimeout")?;
    Ok((on_update, signal, w, cancel_on_timeout.unwrap_or(false)))
}

/// `cancelOnTimeout`: when `waited` rejects with `wait_timeout`, cancels the task at the
/// vendor (so it stops billing) before passing the same rejection on. A dialect that
/// cannot cancel, or a cancel that fails, leaves the `wait_timeout` as it is; a cancel that
/// finds the task ended on its own settles as that end (`succeeded`, `failed`, `timed_out`).
fn cancel_on_timeout(shared: Shared, task: TaskRef, waited: Promise) -> Promise {
    then(&waited, move |waited| match waited {
        Err(e) if js::get(&e, "code").as_string().as_deref() == Some("wait_timeout") => {
            let reason = Some("tasklane: wait timed out (cancelOnTimeout)".to_owned());
            let canceled = start(
                &shared,
                Box::new(|en, now| en.cancel(now, &task, reason)),
                None,
                None,
            );
            // The cancel may find the task already ended (it finished as the wait ran
            // out). The client forgot the task when it saw that end, so the end is
            // returned here rather than lost behind the `wait_timeout`.
            // (A cancel refused because the task had just ended reads its state and
            // resolves with that end: the core's cancel does that for every caller.)
            Ok(canceled_end(&canceled, &e, &crate::errors::task_error_class()).into())
        }
        other => other,
    })
}

/// The `signal` option, checked to be an `AbortSignal`.
fn wait_signal(opts: &JsValue) -> Result<Option<AbortSignal>, JsValue> {
    let s = js::get(opts, "signal");
    if s.is_null_or_undefined() {
        return Ok(None);
    }
    if js::get(&s, "aborted").as_bool().is_none() || !js::get(&s, "addEventListener").is_function()
    {
        return Err(invalid_argument(
            "invalid argument `signal`: must be an AbortSignal",
        ));
    }
    Ok(Some(s.unchecked_into()))
}

/// A task reference from an id and locator options, completed from the store.
fn task_ref(shared: &Shared, id: &JsValue, opts: &JsValue) -> Result<TaskRef, JsValue> {
    let id = id
        .as_string()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| invalid_argument("invalid argument `id`: must be a non-empty string"))?;
    optional_object(opts, "opts")?;
    // What the store has; the engine completes the rest from the tasks it submitted.
    let stored = shared
        .borrow()
        .store
        .get_sync(&id)
        .and_then(|r| record_from_js(&r));
    let mut t = stored.map(|r| r.task).unwrap_or_default();
    t.id = id;
    if let Some(v) = string_field(opts, "model", "model")? {
        t.model = Some(v);
    }
    if let Some(v) = string_field(opts, "operation", "operation")? {
        t.operation = Some(v);
    }
    if let Some(v) = string_field(opts, "endpoint", "endpoint")? {
        t.endpoint = Some(v);
    }
    if let Some(v) = string_field(opts, "taskType", "taskType")? {
        t.task_type = Some(v);
    }
    Ok(t)
}

/// A stored record (a plain object) as the core's `TaskRecord`; `None` when it is not one.
fn record_from_js(r: &JsValue) -> Option<TaskRecord> {
    crate::convert::record(r)
}

/// Runs `f` with this client's records (see [`records`]) once its store has listed them.
fn with_records(
    shared: &Shared,
    f: impl FnOnce(&Shared, Vec<TaskRecord>) -> Result<JsValue, JsValue> + 'static,
) -> Promise {
    // Cloned out first: the user's `list()` is user code, and the driver must not stay borrowed.
    let store = shared.borrow().store.clone();
    let shared = shared.clone();
    then(&store.list(), move |list| {
        f(&shared, records(&shared, &list?)?)
    })
}

/// The records of this client's provider in `list`, what its store's `list()` gave. A store
/// can be shared (every client of a page with `store: "localStorage"` uses the same one), so
/// another provider's records are left to that provider's client; an entry that is no task
/// record is reported on the console (each time the store is listed) and skipped, not followed.
fn records(shared: &Shared, list: &JsValue) -> Result<Vec<TaskRecord>, JsValue> {
    let provider = shared.borrow().engine.profile().name.clone();
    let list = Store::tasks(list)?;
    let mut out = Vec::new();
    for i in 0..list.length() {
        let entry = list.get(i);
        if !Store::is_task(&entry) {
            continue;
        }
        match record_from_js(&entry) {
            Some(r) if r.provider == provider => out.push(r),
            Some(_) => {}
            None => web_sys::console::warn_2(
                &"tasklane: the task store holds an entry that is not a task record; pending() and resume() skip it:".into(),
                &entry,
            ),
        }
    }
    Ok(out)
}

/// For `TaskClient.run(req, opts)`: when `req.webhook` is given and `opts.expectWebhook`
/// is not, a copy of `opts` with `expectWebhook: true`, so the wait polls only at the
/// safety-net rate while the webhook is expected to bring the end.
fn expect_webhook_opts(req: &JsValue, opts: JsValue) -> JsValue {
    if !js::get(req, "webhook").is_object() {
        return opts;
    }
    if opts.is_object() && !js::get(&opts, "expectWebhook").is_undefined() {
        return opts;
    }
    let copy = js_sys::Object::new();
    if opts.is_object() {
        // A plain options object: its own fields are copied (signal, onUpdate, poll...).
        let _ = js_sys::Object::assign(&copy, opts.unchecked_ref());
    } else if !opts.is_null_or_undefined() {
        // Not an object: leave it for wait's own argument check to refuse.
        return opts;
    }
    js::set(&copy, "expectWebhook", &JsValue::TRUE);
    copy.into()
}

/// A `SubmitRequest` from the user's `req`, each field checked by name.
fn submit_request(req: &JsValue) -> Result<SubmitRequest, JsValue> {
    if !req.is_object() {
        return Err(invalid_argument(
            "invalid argument `req`: expected an object {input, model?, ...}",
        ));
    }
    let input = js::get(req, "input");
    if !input.is_object() || Array::is_array(&input) {
        return Err(invalid_argument(
            "invalid argument `input`: required, an object (e.g. {prompt})",
        ));
    }
    let mut first = FirstError::default();
    first.ok(optional_object(&js::get(req, "metadata"), "metadata"));
    let webhook = js::get(req, "webhook");
    first.ok(optional_object(&webhook, "webhook"));
    let webhook = if webhook.is_object() {
        let url = first.ok(string_field(&webhook, "url", "webhook.url").and_then(|v| {
            v.ok_or_else(|| invalid_argument("invalid argument `webhook.url`: required"))
        }));
        let auth_token = first.opt(string_field(&webhook, "authToken", "webhook.authToken"));
        url.map(|url| WebhookTarget { url, auth_token })
    } else {
        None
    };
    let out = SubmitRequest {
        model: first.opt(string_field(req, "model", "model")),
        operation: first.opt(string_field(req, "operation", "operation")),
        endpoint: first.opt(string_field(req, "endpoint", "endpoint")),
        task_type: first.opt(string_field(req, "taskType", "taskType")),
        input: first.opt(field(req, "input", "input")).unwrap_or_default(),
        webhook,
        idempotency_key: first.opt(string_field(req, "idempotencyKey", "idempotencyKey")),
        metadata: first.opt(field(req, "metadata", "metadata")),
    };
    first.check()?;
    Ok(out)
}
