//! The JavaScript error classes `TaskError` and `WebhookError`, constructed from Rust. They
//! are real `Error` subclasses (stack, `instanceof`) with a stable `code`, as workers-rs does
//! for its errors. The classes are defined once, in the package's `pkg/errors.js`, and handed
//! to the wasm when an entry binds it (`__setErrorClasses`): the package has four builds of
//! this crate (`tasklane`, `tasklane/client`, `tasklane/webhook`, `tasklane/proxy`), and a
//! class defined in a wasm-bindgen snippet would be a different class in each, so
//! `err instanceof TaskError` would fail for a `TaskError` imported from one entry and
//! thrown by another.

use std::cell::RefCell;
use std::thread::LocalKey;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    /// `TaskError`, set by [`set_error_classes`].
    static TASK_ERROR: RefCell<Option<Function>> = const { RefCell::new(None) };
    /// `WebhookError`, set by [`set_error_classes`].
    #[cfg(feature = "webhook")]
    static WEBHOOK_ERROR: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Called by the package (`pkg/bind.js`) right after instantiating the wasm, and by the
/// wasm-bindgen tests' setup, with the module of `pkg/errors.js` (or any object holding
/// its `TaskError` and `WebhookError` classes).
#[wasm_bindgen(js_name = __setErrorClasses, skip_typescript)]
pub fn set_error_classes(classes: &JsValue) {
    let class = |name: &str| crate::js::get(classes, name).dyn_into::<Function>().ok();
    TASK_ERROR.with(|c| *c.borrow_mut() = class("TaskError"));
    #[cfg(feature = "webhook")]
    WEBHOOK_ERROR.with(|c| *c.borrow_mut() = class("WebhookError"));
}

/// `new Class(...args)` for a registered class.
fn construct(class: &'static LocalKey<RefCell<Option<Function>>>, args: &[&JsValue]) -> JsValue {
    let class = class.with(|c| c.borrow().clone());
    // The runtime entries register the classes before any user code can run, and the tests
    // do in their setup, so a missing class is a packaging bug: trap loudly rather than
    // hand back a plain Error without `code` that `instanceof` checks would miss.
    let class = class.expect("tasklane: the error classes were not registered (__setErrorClasses)");
    // The classes' constructors only assign fields, so they do not throw.
    Reflect::construct(&class, &crate::js::array(args)).unwrap_or(JsValue::UNDEFINED)
}

/// Builds a `TaskError` (`name: "TaskError"`, `code`, `message`, and `taskId`,
/// `httpStatus`, `update` when given). `update` is a `TaskUpdate` object or `undefined`.
pub(crate) fn task_error(
    code: &str,
    message: &str,
    task_id: Option<String>,
    http_status: Option<u16>,
    update: &JsValue,
) -> JsValue {
    let task_id = task_id.map_or(JsValue::UNDEFINED, JsValue::from);
    let http_status = http_status.map_or(JsValue::UNDEFINED, JsValue::from);
    construct(
        &TASK_ERROR,
        &[
            &code.into(),
            &message.into(),
            &task_id,
            &http_status,
            update,
        ],
    )
}

/// The `TaskError` class, for the errors the client snippet builds (`resume()`'s and
/// `cancelOnTimeout`'s ends).
#[cfg(feature = "client")]
pub(crate) fn task_error_class() -> JsValue {
    TASK_ERROR
        .with(|c| c.borrow().clone())
        .map_or(JsValue::UNDEFINED, JsValue::from)
}

/// A `TaskError{code: "invalid_argument"}` naming what was wrong.
pub(crate) fn invalid_argument(message: &str) -> JsValue {
    task_error("invalid_argument", message, None, None, &JsValue::UNDEFINED)
}

/// Builds a `WebhookError` (`name: "WebhookError"`, `status` 400/401/405/413, `code`).
/// Only the webhook receiver throws one (the proxy answers its refusals as responses), so
/// only the builds with it register and construct the class.
#[cfg(feature = "webhook")]
pub(crate) fn webhook_error(status: u16, code: &str, message: &str) -> JsValue {
    construct(
        &WEBHOOK_ERROR,
        &[&status.into(), &code.into(), &message.into()],
    )
}
