//! JavaScript values ⇄ the core's serde types, through JSON text: `JSON.stringify` /
//! `JSON.parse` on the JavaScript side and the core's own `serde_json` on ours. The core
//! already links serde_json, so this adds no second serialization stack (serde-wasm-bindgen
//! would monomorphize every type a second time: measured +~100 KB of wasm). Values come in
//! field by field, so a bad one is reported by name as `TaskError{code: "invalid_argument"}`.

use crate::errors::invalid_argument;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tasklane_core::profile_reader::read_profile;
use tasklane_core::ProviderSpec;
use wasm_bindgen::prelude::*;

/// Serializes plain core data to a JavaScript value (plain objects, arrays, numbers).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // The core's types are plain data with string keys, which serde_json always
    // serializes, and its output always parses; `undefined` is only a theoretical fallback.
    serde_json::to_string(value)
        .ok()
        .and_then(|text| js_sys::JSON::parse(&text).ok())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Deserializes `value` (the argument called `name` in messages) into `T`.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, name: &str) -> Result<T, JsValue> {
    let bad = |why: &str| invalid_argument(&format!("invalid argument `{name}`: {why}"));
    // stringify throws on cycles and BigInt, and gives `undefined` for functions.
    let text = js_sys::JSON::stringify(&value)
        .map_err(|_| bad("must be plain JSON data (no cycles, BigInt or getters that throw)"))?
        .as_string()
        .unwrap_or_else(|| "null".to_owned());
    serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))
}

/// A `provider` option (called `name` in messages): a dialect name, or a profile object
/// read by `tasklane_core::profile_reader` rather than serde's derive, which would put the
/// visitors of every profile type into the wasm (issue 7).
pub(crate) fn provider_spec(value: JsValue, name: &str) -> Result<ProviderSpec, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(ProviderSpec::Name(s));
    }
    let v: serde_json::Value = from_js(value, name)?;
    read_profile(&v)
        .map(|p| ProviderSpec::Profile(Box::new(p)))
        .map_err(|why| invalid_argument(&format!("invalid argument `{name}`: {why}")))
}

/// Reads the optional field `key` of `obj` (called `path` in messages) as `T`;
/// `None` when it is `undefined` or `null`.
pub(crate) fn field<T: DeserializeOwned>(
    obj: &JsValue,
    key: &str,
    path: &str,
) -> Result<Option<T>, JsValue> {
    let v = crate::js::get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    from_js(v, path).map(Some)
}

/// Reads the optional string field `key` of `obj`.
pub(crate) fn string_field(
    obj: &JsValue,
    key: &str,
    path: &str,
) -> Result<Option<String>, JsValue> {
    let v = crate::js::get(obj, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    v.as_string()
        .map(Some)
        .ok_or_else(|| invalid_argument(&format!("invalid argument `{path}`: must be a string")))
}

/// Checks that `value` (called `path`) is `undefined`, `null` or a plain object.
pub(crate) fn optional_object(value: &JsValue, path: &str) -> Result<(), JsValue> {
    if value.is_undefined()
        || value.is_null()
        || (value.is_object() && !js_sys::Array::is_array(value))
    {
        Ok(())
    } else {
        Err(invalid_argument(&format!(
            "invalid argument `{path}`: must be an object"
        )))
    }
}

/// Checks that each of `keys` in `obj` is absent or a finite number (JSON would turn
/// `NaN` and `Infinity` into `null`, which reads as "not given").
pub(crate) fn finite_numbers(obj: &JsValue, prefix: &str, keys: &[&str]) -> Result<(), JsValue> {
    for key in keys {
        let v = crate::js::get(obj, key);
        if v.is_undefined() || v.is_null() {
            continue;
        }
        if !v.as_f64().is_some_and(f64::is_finite) {
            return Err(invalid_argument(&format!(
                "invalid argument `{prefix}{key}`: must be a finite number"
            )));
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
