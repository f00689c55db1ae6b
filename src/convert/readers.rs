//! The typed readers of the client side: `TaskClient`'s options, store records and
//! delivered updates, taken straight from JavaScript values, each field checked and named
//! in its error; `from_js` is only for free-form JSON (inputs, profiles).

use super::from_js;
use crate::errors::invalid_argument;
use tasklane_core::json::{RawJson, Value};
use tasklane_core::state::{Output, OutputKind, UpdateError};
use tasklane_core::text::concat;
use tasklane_core::vecmap::VecMap;
use tasklane_core::{Limits, PollOptions, TaskRecord, TaskRef, TaskState, TaskUpdate};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Reads the optional JSON field `key` of `obj` (called `path` in messages); `None` when
/// it is `undefined` or `null`.
pub(crate) fn field(obj: &JsValue, key: &str, path: &str) -> Result<Option<Value>, JsValue> {
    let v = crate::js::get(obj, key);
    if v.is_null_or_undefined() {
        return Ok(None);
    }
    from_js(v, path).map(Some)
}

/// The first error of a run of reads that goes on after one fails, so that a reader of
/// several owned values has one way out: at each early `?` the compiler wrote out the drop
/// of every value read so far (as the core's profile reader found). Reads after a failed
/// one are only JavaScript property reads and checks: what the caller sees is the first
/// error, as with early returns.
#[derive(Default)]
pub(crate) struct FirstError(Option<JsValue>);

impl FirstError {
    /// `r`'s value, or `None` with its error noted when it is the first.
    pub(crate) fn ok<T>(&mut self, r: Result<T, JsValue>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                if self.0.is_none() {
                    self.0 = Some(e);
                }
                None
            }
        }
    }

    /// An optional field's value: `None` when absent or bad (the error noted).
    pub(crate) fn opt<T>(&mut self, r: Result<Option<T>, JsValue>) -> Option<T> {
        self.ok(r).flatten()
    }

    /// `Err` with the first error, if any read failed.
    pub(crate) fn check(self) -> Result<(), JsValue> {
        match self.0 {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

fn bad(path: &str, why: &str) -> JsValue {
    invalid_argument(&concat(&["invalid argument `", path, "`: ", why]))
}

fn absent(v: &JsValue) -> bool {
    v.is_null_or_undefined()
}

/// The optional number `key` of `obj`.
pub(crate) fn number(obj: &JsValue, key: &str, path: &str) -> Result<Option<f64>, JsValue> {
    let v = crate::js::get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_f64()
        .map(Some)
        .ok_or_else(|| bad(path, "must be a number"))
}

/// The optional function `key` of `obj`.
pub(crate) fn function(obj: &JsValue, key: &str) -> Result<Option<js_sys::Function>, JsValue> {
    let v = crate::js::get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.dyn_into()
        .map(Some)
        .map_err(|_| bad(key, "must be a function"))
}

/// The optional boolean `key` of `obj`.
pub(crate) fn boolean(obj: &JsValue, key: &str, path: &str) -> Result<Option<bool>, JsValue> {
    let v = crate::js::get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_bool()
        .map(Some)
        .ok_or_else(|| bad(path, "must be a boolean"))
}

/// The optional whole number `key` of `obj`, at most `max`.
pub(crate) fn whole(
    obj: &JsValue,
    key: &str,
    path: &str,
    max: f64,
) -> Result<Option<u64>, JsValue> {
    match number(obj, key, path)? {
        None => Ok(None),
        // In 0..=max and integral, so the cast is exact.
        Some(x) if (0.0..=max).contains(&x) && x.fract() == 0.0 => Ok(Some(x as u64)),
        Some(_) => Err(bad(path, "must be a non-negative integer")),
    }
}

/// The `poll` option (`poll.*` in messages), checked to be an object of finite numbers
/// (and a boolean `adaptive`); `None` when absent.
pub(crate) fn poll_options(obj: &JsValue) -> Result<Option<PollOptions>, JsValue> {
    let p = crate::js::get(obj, "poll");
    super::optional_object(&p, "poll")?;
    finite_numbers(&p, "poll.", POLL_NUMBERS)?;
    if absent(&p) {
        return Ok(None);
    }
    // Each is absent or a finite number, checked above.
    let n = |k: &str| crate::js::get(&p, k).as_f64();
    Ok(Some(PollOptions {
        initial_delay_ms: n("initialDelayMs"),
        max_delay_ms: n("maxDelayMs"),
        multiplier: n("multiplier"),
        jitter: n("jitter"),
        timeout_ms: n("timeoutMs"),
        request_timeout_ms: n("requestTimeoutMs"),
        max_retries: n("maxRetries"),
        safety_net_ms: n("safetyNetMs"),
        adaptive: boolean(&p, "adaptive", "poll.adaptive")?,
    }))
}

/// The `limits` option, checked to be an object (defaults when absent).
pub(crate) fn limits(obj: &JsValue) -> Result<Limits, JsValue> {
    let l = crate::js::get(obj, "limits");
    super::optional_object(&l, "limits")?;
    let mut out = Limits::default();
    if absent(&l) {
        return Ok(out);
    }
    let max = f64::from(u32::MAX);
    if let Some(n) = whole(&l, "maxInFlightPerHost", "limits.maxInFlightPerHost", max)? {
        out.max_in_flight_per_host = n as u32; // at most u32::MAX, checked by `whole`
    }
    out.max_per_second = whole(&l, "maxPerSecond", "limits.maxPerSecond", max)?.map(|n| n as u32);
    Ok(out)
}

/// The `headers` option: an object (checked) of strings (an `undefined` value leaves its key out,
/// as JSON would).
pub(crate) fn headers(obj: &JsValue) -> Result<VecMap<String, String>, JsValue> {
    let h = crate::js::get(obj, "headers");
    super::optional_object(&h, "headers")?;
    let mut out = VecMap::new();
    if absent(&h) {
        return Ok(out);
    }
    let pairs = js_sys::Object::entries(h.unchecked_ref());
    for i in 0..pairs.length() {
        let pair = pairs.get(i);
        let (k, v) = (crate::js::get(&pair, "0"), crate::js::get(&pair, "1"));
        if v.is_undefined() {
            continue;
        }
        let k = k.as_string().unwrap_or_default();
        let v = v
            .as_string()
            .ok_or_else(|| bad(&concat(&["headers.", &k]), "must be a string"))?;
        out.insert(k, v);
    }
    Ok(out)
}

/// An optional string field of a record; `Err(())` when it is there but not a string.
fn text(obj: &JsValue, key: &str) -> Result<Option<String>, ()> {
    let v = crate::js::get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or(())
}

/// An optional whole-number field of a record; `Err(())` when it is not one.
fn count(obj: &JsValue, key: &str) -> Result<Option<u64>, ()> {
    let v = crate::js::get(obj, key);
    if absent(&v) {
        return Ok(None);
    }
    match v.as_f64() {
        // Integral and in range, so the cast is exact.
        Some(x) if (0.0..1.8e19).contains(&x) && x.fract() == 0.0 => Ok(Some(x as u64)),
        _ => Err(()),
    }
}

/// A stored record (a plain object with its task fields at the top level); `None` when it
/// is not one.
pub(crate) fn record(r: &JsValue) -> Option<TaskRecord> {
    // Each field read once; a bad one is noted and reading goes on, so the fields read so
    // far are dropped in one place.
    let mut good = true;
    let mut t = |key: &str| {
        text(r, key).unwrap_or_else(|()| {
            good = false;
            None
        })
    };
    let provider = t("provider");
    let id = t("id");
    let model = t("model");
    let operation = t("operation");
    let endpoint = t("endpoint");
    let task_type = t("taskType");
    let status_url = t("statusUrl");
    let response_url = t("responseUrl");
    let cancel_url = t("cancelUrl");
    let idempotency_key = t("idempotencyKey");
    let mut c = |key: &str| {
        count(r, key).unwrap_or_else(|()| {
            good = false;
            None
        })
    };
    let submitted_at = c("submittedAt");
    let deadline = c("deadline");
    let (true, Some(provider), Some(id)) = (good, provider, id) else {
        return None;
    };
    Some(TaskRecord {
        provider,
        task: TaskRef {
            id,
            model,
            operation,
            endpoint,
            task_type,
            status_url,
            response_url,
            cancel_url,
            submitted_at,
        },
        deadline,
        idempotency_key,
    })
}

/// A `TaskUpdate` object (from `verifyWebhook`, or written by the user), called `update`
/// in messages.
pub(crate) fn task_update(u: &JsValue) -> Result<TaskUpdate, JsValue> {
    let no = |key: &str, why: &str| bad(&concat(&["update.", key]), why);
    let req = |key: &str| {
        text(u, key)
            .ok()
            .flatten()
            .ok_or_else(|| no(key, "required, a string"))
    };
    let num = |key: &str| count(u, key).map_err(|_| no(key, "must be a non-negative integer"));
    let state = req("state")?;
    let state = TaskState::parse(&state).ok_or_else(|| no("state", "unknown state"))?;
    let id = req("id")?;
    if id.is_empty() {
        return Err(no("id", "required, a non-empty string"));
    }
    let mut out = TaskUpdate::new(id, state, req("rawStatus")?);
    out.queue_position = num("queuePosition")?;
    out.eta_ms = num("etaMs")?;
    out.cost_ms = num("costMs")?;
    let e = crate::js::get(u, "error");
    if !absent(&e) {
        let part = |key: &str| {
            text(&e, key)
                .ok()
                .flatten()
                .ok_or_else(|| no("error", "must be {code, message} strings"))
        };
        out.error = Some(UpdateError {
            code: part("code")?,
            message: part("message")?,
        });
    }
    let outputs = crate::js::get(u, "outputs");
    if !absent(&outputs) {
        let list: &js_sys::Array = outputs
            .dyn_ref()
            .ok_or_else(|| no("outputs", "must be an array"))?;
        let mut v = Vec::new();
        for i in 0..list.length() {
            let o = list.get(i);
            let kind = text(&o, "kind").ok().flatten();
            let kind = kind
                .as_deref()
                .and_then(OutputKind::parse)
                .ok_or_else(|| no("outputs", "each must be {url, kind}"))?;
            let url = text(&o, "url").ok().flatten();
            let url = url.ok_or_else(|| no("outputs", "each must be {url, kind}"))?;
            v.push(Output { url, kind });
        }
        out.outputs = Some(v);
    }
    out.raw = field(u, "raw", "update.raw")?
        .map(|v| RawJson::of(&v))
        .unwrap_or_default();
    Ok(out)
}

/// Checks that each of `keys` in `obj` is absent or a finite number (JSON would turn
/// `NaN` and `Infinity` into `null`, which reads as "not given").
pub(crate) fn finite_numbers(obj: &JsValue, prefix: &str, keys: &[&str]) -> Result<(), JsValue> {
    for key in keys {
        let v = crate::js::get(obj, key);
        if v.is_null_or_undefined() {
            continue;
        }
        if !v.as_f64().is_some_and(f64::is_finite) {
            return Err(invalid_argument(&concat(&[
                "invalid argument `",
                prefix,
                key,
                "`: must be a finite number",
            ])));
        }
    }
    Ok(())
}

/// The number fields of the `poll` option.
pub(crate) const POLL_NUMBERS: &[&str] = &[
    "initialDelayMs",
    "maxDelayMs",
    "multiplier",
    "jitter",
    "timeoutMs",
    "requestTimeoutMs",
    "maxRetries",
    "safetyNetMs",
];
