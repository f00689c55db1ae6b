//! The JavaScript error classes `TaskError` and `WebhookError`, defined once in a small
//! JavaScript snippet and constructed from Rust. They are real `Error` subclasses (stack,
//! `instanceof`) with a stable `code`, as workers-rs does for its errors; the package
//! re-exports the very classes built here, so `err instanceof TaskError` holds.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
export class TaskError extends Error {
  constructor(code, message, taskId, httpStatus, update) {
    super(message);
    this.name = "TaskError";
    this.code = code;
    if (taskId != null) this.taskId = taskId;
    if (httpStatus != null) this.httpStatus = httpStatus;
    if (update != null) this.update = update;
  }
}
export class WebhookError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = "WebhookError";
    this.status = status;
    this.code = code;
  }
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = TaskError)]
    type JsTaskError;
    #[wasm_bindgen(constructor, js_class = "TaskError")]
    fn new(
        code: &str,
        message: &str,
        task_id: Option<String>,
        http_status: Option<u16>,
        update: &JsValue,
    ) -> JsTaskError;

    #[cfg(feature = "edge")]
    #[wasm_bindgen(js_name = WebhookError)]
    type JsWebhookError;
    #[cfg(feature = "edge")]
    #[wasm_bindgen(constructor, js_class = "WebhookError")]
    fn new(status: u16, code: &str, message: &str) -> JsWebhookError;
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
    JsTaskError::new(code, message, task_id, http_status, update).into()
}

/// A `TaskError{code: "invalid_argument"}` naming what was wrong.
pub(crate) fn invalid_argument(message: &str) -> JsValue {
    task_error("invalid_argument", message, None, None, &JsValue::UNDEFINED)
}

/// Builds a `WebhookError` (`name: "WebhookError"`, `status` 400/401/405/413, `code`).
/// Used by the webhook and proxy modules.
#[cfg(feature = "edge")]
pub(crate) fn webhook_error(status: u16, code: &str, message: &str) -> JsValue {
    JsWebhookError::new(status, code, message).into()
}

/// The `TaskError` class, so the package can export it for `instanceof` checks.
#[wasm_bindgen(js_name = __taskErrorClass, skip_typescript)]
pub fn task_error_class() -> JsValue {
    // The class is read off an instance: the snippet then exports classes only, which
    // wasm-bindgen imports once (a function export beside them made it import the snippet
    // twice, and bundlers warned about a duplicate key).
    constructor_of(&task_error("failed", "", None, None, &JsValue::UNDEFINED))
}

/// The `WebhookError` class, so the package can export it for `instanceof` checks.
#[cfg(feature = "edge")]
#[wasm_bindgen(js_name = __webhookErrorClass, skip_typescript)]
pub fn webhook_error_class() -> JsValue {
    constructor_of(&webhook_error(400, "", ""))
}

/// `value.constructor`.
fn constructor_of(value: &JsValue) -> JsValue {
    js_sys::Reflect::get(value, &"constructor".into()).unwrap_or(JsValue::UNDEFINED)
}
