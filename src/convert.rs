//! JavaScript values ⇄ the core's types. Out: the core writes JSON text
//! (`to_json_text`) and the runtime's `JSON.parse` builds the objects. In: options, records
//! and updates are read field by field from the JavaScript values, so a bad one is reported
//! by name as `TaskError{code: "invalid_argument"}`; free-form data (inputs, profiles) goes
//! through `JSON.stringify` and the core's JSON parser. No serde: one small JSON module in
//! the core is the only serialization code in the wasm (issue 7).
//!
//! This file holds what both sides use (profiles, provider options, string fields); the
//! typed readers of `TaskClient`'s options, store records and delivered updates are in
//! `readers`, built with the `client` feature only.

#[cfg(feature = "client")]
mod readers;
#[cfg(feature = "client")]
pub(crate) use readers::{
    boolean, field, finite_numbers, function, headers, limits, number, poll_options, record,
    task_update, whole, FirstError,
};

use crate::errors::invalid_argument;
use tasklane_core::json::Value;
use tasklane_core::profile_reader::read_profile;
use tasklane_core::text::concat;
use tasklane_core::ProviderSpec;
use wasm_bindgen::prelude::*;

/// JSON text the core wrote, as a JavaScript value.
pub(crate) fn to_js(json_text: &str) -> JsValue {
    // The core's writers produce valid JSON, so `undefined` is only a theoretical fallback.
    js_sys::JSON::parse(json_text).unwrap_or(JsValue::UNDEFINED)
}

/// A JavaScript value (the argument called `name` in messages) as a JSON value.
pub(crate) fn from_js(value: JsValue, name: &str) -> Result<Value, JsValue> {
    let bad = |why: &str| invalid_argument(&concat(&["invalid argument `", name, "`: ", why]));
    // stringify throws on cycles and BigInt, and gives `undefined` for functions.
    let text = js_sys::JSON::stringify(&value)
        .map_err(|_| bad("must be plain JSON data (no cycles, BigInt or getters that throw)"))?
        .as_string()
        .unwrap_or_else(|| "null".to_owned());
    tasklane_core::json::parse(&text).map_err(|e| bad(&e.message()))
}

/// A `provider` option (called `name` in messages): a dialect name, or a profile object
/// read by `tasklane_core::profile_reader` (the reader the built-in dialects go through).
pub(crate) fn provider_spec(value: JsValue, name: &str) -> Result<ProviderSpec, JsValue> {
    if let Some(s) = value.as_string() {
        return Ok(ProviderSpec::Name(s));
    }
    let v = from_js(value, name)?;
    read_profile(&v)
        .map(|p| ProviderSpec::Profile(Box::new(p)))
        .map_err(|why| invalid_argument(&concat(&["invalid argument `", name, "`: ", &why])))
}

/// Reads the optional string field `key` of `obj`.
pub(crate) fn string_field(
    obj: &JsValue,
    key: &str,
    path: &str,
) -> Result<Option<String>, JsValue> {
    string(&crate::js::get(obj, key), path)
}

/// `v` (called `path` in messages) as an optional string.
pub(crate) fn string(v: &JsValue, path: &str) -> Result<Option<String>, JsValue> {
    if v.is_null_or_undefined() {
        return Ok(None);
    }
    v.as_string().map(Some).ok_or_else(|| {
        invalid_argument(&concat(&[
            "invalid argument `",
            path,
            "`: must be a string",
        ]))
    })
}

/// Checks that `value` (called `path`) is `undefined`, `null` or a plain object.
#[cfg(any(feature = "client", feature = "proxy"))]
pub(crate) fn optional_object(value: &JsValue, path: &str) -> Result<(), JsValue> {
    if value.is_null_or_undefined() || (value.is_object() && !js_sys::Array::is_array(value)) {
        Ok(())
    } else {
        Err(invalid_argument(&concat(&[
            "invalid argument `",
            path,
            "`: must be an object",
        ])))
    }
}
