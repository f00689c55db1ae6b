//! Where a client remembers the tasks it is following, so `pending()` and `resume()` can
//! pick them up after a reload: in memory (the default), in `localStorage`, or in a
//! user's `TaskStore` object (`{put, delete, list}`, each may return a promise).

use crate::errors::invalid_argument;
use crate::js;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// The `localStorage` key prefix of task records.
const LS_PREFIX: &str = "tasklane:task:";

/// A task store, chosen by the `store` option. Cheap to clone (handles only), so an
/// async `list()` never holds the driver borrowed.
#[derive(Clone)]
pub(crate) enum Store {
    /// Records as JSON text, keyed by task id.
    Memory(Rc<RefCell<BTreeMap<String, String>>>),
    /// `globalThis.localStorage`, records as JSON text under `tasklane:task:<id>`.
    Local(JsValue),
    /// The user's object.
    Custom(JsValue),
}

impl Store {
    /// Builds the store the `store` option names; `invalid_argument` naming `store` otherwise.
    pub(crate) fn from_option(v: &JsValue) -> Result<Store, JsValue> {
        if v.is_undefined() || v.is_null() || v.as_string().as_deref() == Some("memory") {
            return Ok(Store::Memory(Rc::default()));
        }
        if v.as_string().as_deref() == Some("localStorage") {
            return js::local_storage().map(Store::Local).ok_or_else(|| {
                invalid_argument(
                    "invalid argument `store`: \"localStorage\" is not available in this runtime",
                )
            });
        }
        if v.is_object() {
            for m in ["put", "delete", "list"] {
                if !js::get(v, m).is_function() {
                    return Err(invalid_argument(&format!(
                        "invalid argument `store`: a TaskStore needs a `{m}` method"
                    )));
                }
            }
            return Ok(Store::Custom(v.clone()));
        }
        Err(invalid_argument(
            "invalid argument `store`: expected \"memory\", \"localStorage\" or a TaskStore object",
        ))
    }

    /// Remembers `record` (a plain object with at least `id`). A failing user store is
    /// reported on the console and otherwise ignored: it must not fail the task.
    pub(crate) fn put(&self, id: &str, record: &JsValue) {
        match self {
            Store::Memory(m) => {
                let text = js_sys::JSON::stringify(record)
                    .ok()
                    .and_then(|s| s.as_string());
                if let Some(text) = text {
                    m.borrow_mut().insert(id.to_owned(), text);
                }
            }
            Store::Local(ls) => {
                if let Some(text) = js_sys::JSON::stringify(record)
                    .ok()
                    .and_then(|s| s.as_string())
                {
                    let key = JsValue::from_str(&format!("{LS_PREFIX}{id}"));
                    // Quota errors are ignored: the task still runs, it just cannot be resumed.
                    let _ = js::call_method(ls, "setItem", &[&key, &text.into()]);
                }
            }
            Store::Custom(s) => report(js::call_method(s, "put", &[&id.into(), record])),
        }
    }

    /// Forgets a task.
    pub(crate) fn delete(&self, id: &str) {
        match self {
            Store::Memory(m) => {
                m.borrow_mut().remove(id);
            }
            Store::Local(ls) => {
                let key = JsValue::from_str(&format!("{LS_PREFIX}{id}"));
                let _ = js::call_method(ls, "removeItem", &[&key]);
            }
            Store::Custom(s) => report(js::call_method(s, "delete", &[&id.into()])),
        }
    }

    /// The record of `id`, when a synchronous store holds one (memory, localStorage).
    pub(crate) fn get_sync(&self, id: &str) -> Option<JsValue> {
        let text = match self {
            Store::Memory(m) => m.borrow().get(id).cloned(),
            Store::Local(ls) => {
                let key = JsValue::from_str(&format!("{LS_PREFIX}{id}"));
                js::call_method(ls, "getItem", &[&key]).ok()?.as_string()
            }
            Store::Custom(_) => None,
        }?;
        js_sys::JSON::parse(&text).ok().filter(JsValue::is_object)
    }

    /// Every record (plain objects with an `id`).
    pub(crate) async fn list(&self) -> Result<Vec<JsValue>, JsValue> {
        let parse = |t: &str| js_sys::JSON::parse(t).ok().filter(JsValue::is_object);
        match self {
            Store::Memory(m) => Ok(m.borrow().values().filter_map(|t| parse(t)).collect()),
            Store::Local(ls) => {
                let len = js::get(ls, "length").as_f64().unwrap_or(0.0) as u32;
                let mut out = Vec::new();
                for i in 0..len {
                    let key = js::call_method(ls, "key", &[&i.into()])?;
                    let Some(key) = key.as_string() else { continue };
                    if !key.starts_with(LS_PREFIX) {
                        continue;
                    }
                    let text = js::call_method(ls, "getItem", &[&key.into()])?;
                    if let Some(r) = text.as_string().as_deref().and_then(parse) {
                        out.push(r);
                    }
                }
                Ok(out)
            }
            Store::Custom(s) => {
                let v = js::call_method(s, "list", &[])?;
                let v = JsFuture::from(js_sys::Promise::resolve(&v)).await?;
                if !js_sys::Array::is_array(&v) {
                    return Err(invalid_argument(
                        "TaskStore.list() must return an array of records",
                    ));
                }
                Ok(js_sys::Array::from(&v)
                    .iter()
                    .filter(|r| js::get(r, "id").is_string())
                    .collect())
            }
        }
    }
}

/// Sends a user store's synchronous throw or rejected promise to the console.
fn report(r: Result<JsValue, JsValue>) {
    match r {
        Err(e) => web_sys::console::warn_2(&"tasklane: TaskStore failed:".into(), &e),
        Ok(v) => {
            // Await it so a rejection is reported here, never an unhandled rejection.
            let p = js_sys::Promise::resolve(&v);
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = JsFuture::from(p).await {
                    web_sys::console::warn_2(&"tasklane: TaskStore failed:".into(), &e);
                }
            });
        }
    }
}
