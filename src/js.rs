//! What the shell takes from the JavaScript global scope: the clock, a seed, `fetch`,
//! `localStorage`. Everything is reached through `globalThis` (never `window`, which
//! Workers, Node and Deno lack), as workers-rs does.

use js_sys::{Function, Reflect};
use tasklane_core::text::concat;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// `globalThis.crypto`, when the runtime has one.
    type Crypto;
    #[wasm_bindgen(method, js_name = getRandomValues, catch)]
    fn get_random_values(this: &Crypto, buf: &js_sys::Uint32Array) -> Result<JsValue, JsValue>;
    /// `globalThis` itself: one import, where `js_sys::global()` probes four names
    /// (`globalThis`, `self`, `window`, `global`) for runtimes older than every one the
    /// package supports.
    #[wasm_bindgen(thread_local_v2, js_name = globalThis)]
    static GLOBAL_THIS: JsValue;
}

/// `globalThis`.
pub(crate) fn global() -> JsValue {
    GLOBAL_THIS.with(JsValue::clone)
}

/// Milliseconds since the Unix epoch (`Date.now()`), the core's clock.
#[cfg(any(feature = "client", feature = "webhook"))]
pub(crate) fn now() -> u64 {
    // Date.now() is a non-negative integer well inside f64's exact range.
    js_sys::Date::now() as u64
}

/// A 64-bit seed for the core's jitter and idempotency keys: `crypto.getRandomValues`
/// where the runtime has it, else `Math.random()`.
#[cfg(any(feature = "client", feature = "webhook"))]
pub(crate) fn seed() -> u64 {
    let buf = js_sys::Uint32Array::new_with_length(2);
    let crypto = Reflect::get(&global(), &"crypto".into()).unwrap_or(JsValue::UNDEFINED);
    if crypto.is_object()
        && crypto
            .unchecked_ref::<Crypto>()
            .get_random_values(&buf)
            .is_ok()
    {
        return (u64::from(buf.get_index(0)) << 32) | u64::from(buf.get_index(1));
    }
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

/// `globalThis.fetch`, with `globalThis` as the `this` to call it with (calling a bare
/// `fetch` reference throws "Illegal invocation" in browsers and workerd).
#[cfg(any(feature = "client", feature = "proxy"))]
pub(crate) fn global_fetch() -> Option<(Function, JsValue)> {
    let global = global();
    let f = Reflect::get(&global, &"fetch".into()).ok()?;
    f.dyn_into::<Function>().ok().map(|f| (f, global))
}

/// `globalThis.localStorage`, when the runtime has a working one (the client's store).
#[cfg(feature = "client")]
pub(crate) fn local_storage() -> Option<JsValue> {
    // Reading localStorage can throw (sandboxed iframes, Node's --localstorage-file), hence ok().
    let ls = Reflect::get(&global(), &"localStorage".into()).ok()?;
    ls.is_object().then_some(ls)
}

/// Reads `obj[key]`, `undefined` when missing or when `obj` is not an object.
pub(crate) fn get(obj: &JsValue, key: &str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `obj[key] = value` on an object the shell created itself.
pub(crate) fn set(obj: &JsValue, key: &str, value: &JsValue) {
    // Setting a property on a fresh plain object cannot fail.
    let _ = Reflect::set(obj, &key.into(), value);
}

/// Calls `obj[name](...args)` with `obj` as `this`; an error when it is not a function or throws.
pub(crate) fn call_method(
    obj: &JsValue,
    name: &str,
    args: &[&JsValue],
) -> Result<JsValue, JsValue> {
    let f = get(obj, name)
        .dyn_into::<Function>()
        .map_err(|_| JsValue::from_str(&concat(&["`", name, "` is not a function"])))?;
    apply(&f, obj, args)
}

/// `f.apply(this, args)`: every call of a JavaScript function from the shell goes through
/// `Reflect.apply`, one import where `Function.call0` / `call1` would add one each.
pub(crate) fn apply(f: &Function, this: &JsValue, args: &[&JsValue]) -> Result<JsValue, JsValue> {
    Reflect::apply(f, this, &array(args))
}

/// A new JavaScript array of `items`.
pub(crate) fn array(items: &[&JsValue]) -> js_sys::Array {
    let arr = js_sys::Array::new();
    for a in items {
        arr.push(a);
    }
    arr
}

/// A delay for `setTimeout`, which takes a signed 32-bit count of milliseconds (~24.8
/// days) and fires at once past it (gloo passes `ms as i32`): a longer one (`timeoutMs`,
/// `requestTimeoutMs` and poll delays may be up to a year, a proxy's `upstreamTimeoutMs`
/// anything) is cut to the longest that fits. (The driver's timer, woken early, finds
/// nothing due and re-arms for the rest.)
#[cfg(any(feature = "client", feature = "proxy"))]
pub(crate) fn timer_ms(ms: u64) -> u32 {
    // i32::MAX is positive, so the cast is exact.
    ms.min(i32::MAX as u64) as u32
}
