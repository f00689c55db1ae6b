//! Where a client remembers the tasks it is following, so `pending()` and `resume()` can
//! pick them up after a reload: in memory (the default), in `localStorage`, or in a
//! user's `TaskStore` object (`{put, delete, list}`, each may return a promise), of which
//! `"indexedDB"` is one (the package's `indexedDBStore()`). The learned duration
//! estimates are kept there too, one record per provider (see [`estimates_id`]).

use crate::errors::invalid_argument;
use crate::js;
use std::cell::RefCell;
use std::rc::Rc;
use tasklane_core::text::concat;
use tasklane_core::vecmap::VecMap;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The `localStorage` key prefix of task records.
const LS_PREFIX: &str = "tasklane:task:";

/// The reserved id prefix of the records holding learned duration estimates (never tasks:
/// `pending()` leaves them out).
const ESTIMATES_PREFIX: &str = "tasklane:estimates:";

/// The id of `provider`'s estimates record. One per provider, so clients of two providers
/// sharing a store (one `localStorage` per page) do not overwrite each other's.
fn estimates_id(provider: &str) -> String {
    concat(&[ESTIMATES_PREFIX, provider])
}

/// The `localStorage` key of task `id`'s record.
fn ls_key(id: &str) -> JsValue {
    JsValue::from_str(&concat(&[LS_PREFIX, id]))
}

thread_local! {
    /// The package's `indexedDBStore` factory, handed over by `pkg/shared.js` at start.
    static IDB_FACTORY: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

/// Called once by the package (`pkg/shared.js`) with its `indexedDBStore` function, so the
/// `store: "indexedDB"` option builds the same store without a second copy of its code.
#[wasm_bindgen(js_name = __setIndexedDBStore, skip_typescript)]
pub fn set_indexed_db_store(factory: js_sys::Function) {
    IDB_FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}

/// A task store, chosen by the `store` option. Cheap to clone (handles only), so an
/// async `list()` never holds the driver borrowed.
#[derive(Clone)]
pub(crate) enum Store {
    /// Records as JSON text, keyed by task id.
    Memory(Rc<RefCell<VecMap<String, String>>>),
    /// `globalThis.localStorage`, records as JSON text under `tasklane:task:<id>`.
    Local(JsValue),
    /// The user's object.
    Custom(JsValue),
}

impl Store {
    /// Builds the store the `store` option names; `invalid_argument` naming `store` otherwise.
    pub(crate) fn from_option(v: &JsValue) -> Result<Store, JsValue> {
        let name = v.as_string();
        let name = name.as_deref();
        if v.is_null_or_undefined() || name == Some("memory") {
            return Ok(Store::Memory(Rc::default()));
        }
        if name == Some("localStorage") {
            return js::local_storage().map(Store::Local).ok_or_else(|| {
                invalid_argument(
                    "invalid argument `store`: \"localStorage\" is not available in this runtime",
                )
            });
        }
        if name == Some("indexedDB") {
            let has_idb = js::get(&js::global(), "indexedDB").is_object();
            let factory = IDB_FACTORY.with(|f| f.borrow().clone());
            return match factory.filter(|_| has_idb) {
                Some(f) => js::apply(&f, &JsValue::UNDEFINED, &[]).map(Store::Custom),
                None => Err(invalid_argument(
                    "invalid argument `store`: \"indexedDB\" is not available in this runtime",
                )),
            };
        }
        if v.is_object() {
            for m in ["put", "delete", "list"] {
                if !js::get(v, m).is_function() {
                    return Err(invalid_argument(&concat(&[
                        "invalid argument `store`: a TaskStore needs a `",
                        m,
                        "` method",
                    ])));
                }
            }
            return Ok(Store::Custom(v.clone()));
        }
        Err(invalid_argument(
            "invalid argument `store`: expected \"memory\", \"localStorage\", \"indexedDB\" or a TaskStore object",
        ))
    }

    /// Remembers `record` (a plain object with at least `id`): `Ok(None)` when it is saved,
    /// `Ok(Some(promise))` when a user store's `put` returned one (saved once it
    /// resolves), `Err` when the store refused it at once (a throw, a full localStorage).
    pub(crate) fn put(
        &self,
        id: &str,
        record: &JsValue,
    ) -> Result<Option<js_sys::Promise>, JsValue> {
        match self {
            Store::Memory(m) => {
                let text = js_sys::JSON::stringify(record)?;
                if let Some(text) = text.as_string() {
                    m.borrow_mut().insert(id.to_owned(), text);
                }
                Ok(None)
            }
            Store::Local(ls) => {
                let text = js_sys::JSON::stringify(record)?;
                let key = ls_key(id);
                js::call_method(ls, "setItem", &[&key, &text]).map(|_| None)
            }
            Store::Custom(s) => js::call_method(s, "put", &[&id.into(), record])
                .map(|v| Some(js_sys::Promise::resolve(&v))),
        }
    }

    /// Saves `provider`'s learned estimates in its record; a failure is only reported.
    pub(crate) fn put_estimates(&self, provider: &str, entries: &JsValue) {
        let id = estimates_id(provider);
        let record = js_sys::Object::new();
        js::set(&record, "id", &id.as_str().into());
        js::set(&record, "estimates", entries);
        match self.put(&id, &record) {
            Ok(Some(p)) => report(Ok(p.into())),
            Ok(None) => {}
            Err(e) => report(Err(e)),
        }
    }

    /// Where `provider`'s saved estimates are: its record, at once from a synchronous
    /// store; the answer of the user store's `get` (when it has one) or `list`, maybe a
    /// promise, for [`Store::estimates_in`] to read once it has settled.
    pub(crate) fn estimates(&self, provider: &str) -> Option<JsValue> {
        let id = estimates_id(provider);
        match self {
            Store::Custom(s) => if js::get(s, "get").is_function() {
                js::call_method(s, "get", &[&id.as_str().into()])
            } else {
                js::call_method(s, "list", &[])
            }
            .ok(),
            _ => self.get_sync(&id),
        }
    }

    /// The `estimates` array of `provider`'s saved record in `found`, what
    /// [`Store::estimates`] gave (settled).
    pub(crate) fn estimates_in(&self, found: JsValue, provider: &str) -> Option<JsValue> {
        let id = estimates_id(provider);
        let record = match self {
            Store::Custom(_) if js_sys::Array::is_array(&found) => {
                let list: &js_sys::Array = found.unchecked_ref();
                let mut i = 0;
                loop {
                    // `None` past the end: no record of this provider's estimates.
                    let r = (i < list.length()).then(|| list.get(i))?;
                    if js::get(&r, "id").as_string().as_deref() == Some(&id) {
                        break r;
                    }
                    i += 1;
                }
            }
            _ => found,
        };
        let e = js::get(&record, "estimates");
        js_sys::Array::is_array(&e).then_some(e)
    }

    /// Forgets a task.
    pub(crate) fn delete(&self, id: &str) {
        match self {
            Store::Memory(m) => {
                m.borrow_mut().remove(id);
            }
            Store::Local(ls) => {
                let key = ls_key(id);
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
                let key = ls_key(id);
                js::call_method(ls, "getItem", &[&key]).ok()?.as_string()
            }
            Store::Custom(_) => None,
        }?;
        js_sys::JSON::parse(&text).ok().filter(JsValue::is_object)
    }

    /// Every record (plain objects with an `id`), as the array [`Store::tasks`] reads: a
    /// promise of it, since a user store's `list()` may answer with one.
    pub(crate) fn list(&self) -> js_sys::Promise {
        // An entry that is not a JSON object stays as its text, for `records` to report.
        let parse = |t: &str| {
            js_sys::JSON::parse(t)
                .ok()
                .filter(JsValue::is_object)
                .or_else(|| Some(t.into()))
        };
        let list = match self {
            Store::Memory(m) => {
                let out = js_sys::Array::new();
                for t in m.borrow().values() {
                    if let Some(r) = parse(t) {
                        out.push(&r);
                    }
                }
                Ok(out.into())
            }
            Store::Local(ls) => (|| {
                let len = js::get(ls, "length").as_f64().unwrap_or(0.0) as u32;
                let out = js_sys::Array::new();
                for i in 0..len {
                    let key = js::call_method(ls, "key", &[&i.into()])?;
                    let Some(key) = key.as_string() else { continue };
                    if !key.starts_with(LS_PREFIX) {
                        continue;
                    }
                    let text = js::call_method(ls, "getItem", &[&key.into()])?;
                    if let Some(r) = text.as_string().as_deref().and_then(parse) {
                        out.push(&r);
                    }
                }
                Ok(out.into())
            })(),
            Store::Custom(s) => js::call_method(s, "list", &[]),
        };
        match list {
            Ok(v) => js_sys::Promise::resolve(&v),
            Err(e) => js_sys::Promise::reject(&e),
        }
    }

    /// `list`, what [`Store::list`] gave (settled), checked to be an array; its entries
    /// that are tasks are those [`Store::is_task`] keeps.
    pub(crate) fn tasks(list: &JsValue) -> Result<&js_sys::Array, JsValue> {
        if !js_sys::Array::is_array(list) {
            return Err(invalid_argument(
                "TaskStore.list() must return an array of records",
            ));
        }
        Ok(list.unchecked_ref())
    }

    /// Whether an entry of a store's list may be a task: the estimates records are not.
    pub(crate) fn is_task(r: &JsValue) -> bool {
        !js::get(r, "id")
            .as_string()
            .is_some_and(|id| id.starts_with(ESTIMATES_PREFIX))
    }
}

/// Sends a store's synchronous throw or rejected promise to the console (one warning per
/// failure), for writes whose failure must not fail a task: a terminal `delete`, estimates.
pub(crate) fn report(r: Result<JsValue, JsValue>) {
    match r {
        Err(e) => web_sys::console::warn_2(&"tasklane: TaskStore failed:".into(), &e),
        Ok(v) => crate::client::report(&v),
    }
}
