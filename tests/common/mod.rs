//! Shared by the wasm-bindgen-test files (one per mode: Node, browser): checks of the
//! shell's own glue — option checking, the error classes, conversions, and one real run
//! through fetch and timers against the simulator whose URL `scripts/test-wasm.sh` passes
//! at build time (`TASKLANE_SIM_URL`).
//!
//! These tests call the crate without the package's entries, so [`setup`] (run first by
//! every test) registers the package's error classes itself: the very `pkg/errors.js`,
//! which wasm-bindgen copies into the test build as a snippet.

use js_sys::{Object, Reflect};
use tasklane::TaskClient;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/pkg/errors.js")]
extern "C" {
    /// The package's `TaskError` class.
    #[wasm_bindgen(thread_local_v2, js_name = TaskError)]
    static TASK_ERROR: JsValue;
    /// The package's `WebhookError` class.
    #[wasm_bindgen(thread_local_v2, js_name = WebhookError)]
    static WEBHOOK_ERROR: JsValue;
}

/// What the package's entries do before any user code: hand the wasm the error classes.
pub fn setup() {
    let classes = Object::new();
    Reflect::set(
        &classes,
        &"TaskError".into(),
        &TASK_ERROR.with(JsValue::clone),
    )
    .expect("set");
    Reflect::set(
        &classes,
        &"WebhookError".into(),
        &WEBHOOK_ERROR.with(JsValue::clone),
    )
    .expect("set on a fresh object");
    tasklane::set_error_classes(&classes);
}

/// The simulator's URL, fixed at build time by the test script.
pub const SIM_URL: Option<&str> = option_env!("TASKLANE_SIM_URL");

/// `JSON.parse(text)` for building options.
pub fn json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).expect("test JSON is valid")
}

/// `obj[key]`.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).expect("property read on an object")
}

/// The error thrown by `new TaskClient(opts)`.
pub fn ctor_error(opts: JsValue) -> JsValue {
    match TaskClient::new(opts) {
        Ok(_) => panic!("the constructor accepted bad options"),
        Err(e) => e,
    }
}

/// Constructor errors are TaskErrors (real Errors) with code and a message naming the field.
pub fn bad_options_are_named() {
    for (opts, field) in [
        ("null", "options"),
        (
            r#"{"provider":"nope","baseUrl":"http://127.0.0.1:1"}"#,
            "provider",
        ),
        (r#"{"provider":"apixo"}"#, "baseUrl"),
        (r#"{"provider":"apixo","baseUrl":"ftp://x"}"#, "baseUrl"),
        (
            r#"{"provider":"apixo","baseUrl":"http://127.0.0.1:1","poll":{"jitter":3}}"#,
            "jitter",
        ),
        (
            r#"{"provider":"apixo","baseUrl":"http://127.0.0.1:1","store":"disk"}"#,
            "store",
        ),
    ] {
        let e = ctor_error(json(opts));
        assert!(e.is_instance_of::<js_sys::Error>(), "{opts}: not an Error");
        assert_eq!(
            get(&e, "name").as_string().as_deref(),
            Some("TaskError"),
            "{opts}"
        );
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("invalid_argument"),
            "{opts}"
        );
        let msg = get(&e, "message").as_string().unwrap_or_default();
        assert!(
            msg.contains(field),
            "{opts}: message {msg:?} does not name {field}"
        );
    }
}

/// The shell constructs the registered class, the one the package exports from
/// `pkg/errors.js` (so `instanceof` holds across the package's builds).
pub fn error_class_is_shared() {
    let e = ctor_error(JsValue::NULL);
    let class = TASK_ERROR.with(JsValue::clone);
    let class: js_sys::Function = class.dyn_into().expect("a class is a function");
    assert!(e
        .dyn_ref::<Object>()
        .expect("an object")
        .is_instance_of::<js_sys::Error>());
    assert!(js_sys::Reflect::get(&class, &"prototype".into()).is_ok());
    let proto = Object::get_prototype_of(&e);
    assert!(
        Object::is(&proto, &get(&class, "prototype")),
        "TaskError instance of another class"
    );
}

/// `profiles` holds the four dialects as plain objects that round-trip as providers.
pub fn profiles_are_plain_objects() {
    let p = tasklane::profiles();
    for name in ["mirako", "apixo", "mindproxy", "queue"] {
        let prof = get(&p, name);
        assert!(prof.is_object(), "{name}");
        assert_eq!(get(&prof, "name").as_string().as_deref(), Some(name));
        assert!(
            !prof.is_instance_of::<js_sys::Map>(),
            "{name} is a Map, not a plain object"
        );
        let opts = Object::new();
        Reflect::set(&opts, &"provider".into(), &prof).expect("set on a fresh object");
        Reflect::set(&opts, &"baseUrl".into(), &"http://127.0.0.1:1".into()).expect("set");
        assert!(
            TaskClient::new(opts.into()).is_ok(),
            "{name} profile rejected"
        );
    }
}

/// A submit with a bad request rejects (never throws, never panics) with invalid_argument.
pub async fn bad_submit_rejects() {
    let c = TaskClient::new(json(
        r#"{"provider":"apixo","baseUrl":"http://127.0.0.1:1"}"#,
    ))
    .expect("valid options");
    let e = JsFuture::from(c.submit(json(r#"{"model":"m"}"#)))
        .await
        .expect_err("no input");
    assert_eq!(
        get(&e, "code").as_string().as_deref(),
        Some("invalid_argument")
    );
}

/// A connection refused ends a wait as `network` (or keeps retrying until `timeoutMs`).
pub async fn unreachable_server_is_network() {
    let c = TaskClient::new(json(
        r#"{"provider":"apixo","baseUrl":"http://127.0.0.1:9","poll":{"initialDelayMs":10,"maxDelayMs":20,"timeoutMs":400,"requestTimeoutMs":200}}"#,
    ))
    .expect("valid options");
    let e = JsFuture::from(c.status("t1".into(), json(r#"{"model":"m"}"#)))
        .await
        .expect_err("port 9 refuses");
    let code = get(&e, "code").as_string().unwrap_or_default();
    assert!(code == "network" || code == "wait_timeout", "code {code}");
}

/// One real task through fetch and timers against the simulator.
pub async fn runs_against_the_simulator() {
    let Some(url) = SIM_URL else {
        panic!("TASKLANE_SIM_URL was not set at build time; run scripts/test-wasm.sh");
    };
    let opts = json(&format!(
        r#"{{"provider":"queue","baseUrl":"{url}/queue","apiKey":"sim-key","poll":{{"initialDelayMs":20,"maxDelayMs":100}}}}"#
    ));
    let c = TaskClient::new(opts).expect("valid options");
    let req = json(
        r#"{"endpoint":"fal-ai/sim-fast","input":{"prompt":"p","_sim":{"queue_ms":30,"run_ms":30}}}"#,
    );
    let done = JsFuture::from(c.run(req, JsValue::UNDEFINED))
        .await
        .expect("the task succeeds");
    assert_eq!(
        get(&done, "state").as_string().as_deref(),
        Some("succeeded")
    );
    let outputs = get(&done, "outputs");
    assert!(js_sys::Array::is_array(&outputs) && js_sys::Array::from(&outputs).length() >= 1);
}

/// An `AbortSignal` ends a wait with `aborted`, and the store forgets nothing it should keep.
pub async fn abort_ends_a_wait() {
    let Some(url) = SIM_URL else {
        panic!("TASKLANE_SIM_URL was not set at build time; run scripts/test-wasm.sh");
    };
    let opts = json(&format!(
        r#"{{"provider":"apixo","baseUrl":"{url}/apixo","apiKey":"sim-key","poll":{{"initialDelayMs":20,"maxDelayMs":50}}}}"#
    ));
    let c = TaskClient::new(opts).expect("valid options");
    let req = json(
        r#"{"model":"sim-fast","input":{"prompt":"p","_sim":{"queue_ms":5000,"run_ms":5000}}}"#,
    );
    let sub = JsFuture::from(c.submit(req))
        .await
        .expect("the submit succeeds");
    let id = get(&sub, "id");
    let pending = JsFuture::from(c.pending())
        .await
        .expect("pending() reads the memory store");
    assert_eq!(js_sys::Array::from(&pending).to_vec(), vec![id.clone()]);
    let ctrl =
        web_sys::AbortController::new().expect("AbortController exists in Node and browsers");
    let wait_opts = Object::new();
    Reflect::set(&wait_opts, &"signal".into(), &ctrl.signal()).expect("set on a fresh object");
    let waiting = c.wait(id, wait_opts.into());
    ctrl.abort();
    let e = JsFuture::from(waiting).await.expect_err("aborted");
    assert_eq!(get(&e, "code").as_string().as_deref(), Some("aborted"));
    // The task is still live, so the store still lists it for a later resume().
    let pending = JsFuture::from(c.pending())
        .await
        .expect("pending() reads the memory store");
    assert_eq!(js_sys::Array::from(&pending).length(), 1);
}

/// Declares every check above as a `#[wasm_bindgen_test]` in the calling test file, so each
/// mode's file (one binary per mode) is its configuration line and this one call.
#[macro_export]
macro_rules! shell_tests {
    (sync: $($s:ident),*; async: $($a:ident),* $(,)?) => {
        $(#[wasm_bindgen_test::wasm_bindgen_test] fn $s() { common::setup(); common::$s(); })*
        $(#[wasm_bindgen_test::wasm_bindgen_test] async fn $a() { common::setup(); common::$a().await; })*
    };
}
