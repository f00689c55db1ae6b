//! JavaScript values ⇄ the core's serde types. Values go out as plain JSON-shaped objects
//! (`serde-wasm-bindgen` in JSON-compatible mode: objects, not `Map`s; numbers, not
//! `BigInt`s); values come in field by field, so a bad one is reported by name as a
//! `TaskError{code: "invalid_argument"}`.

use crate::errors::invalid_argument;
use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Serializes plain core data to a JavaScript value.
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    // The core's types are plain data (strings, numbers, maps with string keys), which
    // serde-wasm-bindgen always serializes; `undefined` is only a theoretical fallback.
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::UNDEFINED)
}

/// Deserializes `value` (the argument called `name` in messages) into `T`.
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue, name: &str) -> Result<T, JsValue> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| invalid_argument(&format!("invalid argument `{name}`: {e}")))
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
pub(crate) fn string_field(obj: &JsValue, key: &str, path: &str) -> Result<Option<String>, JsValue> {
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
    if value.is_undefined() || value.is_null() || (value.is_object() && !js_sys::Array::is_array(value)) {
        Ok(())
    } else {
        Err(invalid_argument(&format!("invalid argument `{path}`: must be an object")))
    }
}
