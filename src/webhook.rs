//! The webhook receiver for JavaScript: `verifyWebhook`, `createWebhookHandler` and
//! `signWebhook`. The checks themselves are the core's (`tasklane_core::webhook`); this
//! file reads the web `Request` (headers, then the body under a size limit), computes the
//! HMAC (in wasm or with Web Crypto, whichever is faster for the size), answers with a
//! `Response`, and keeps the duplicate window. It works on any web `Request`: Node 18+,
//! Deno, browsers and workerd.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Uint8Array};
use tasklane_core::profile::{ProviderProfile, ProviderSpec};
use tasklane_core::state::TaskUpdate;
use tasklane_core::webhook::answer::{
    error_body, record_body, refusal_body, DUPLICATE_BODY, OK_BODY,
};
use tasklane_core::webhook::signature::{
    mac, Prechecked, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use tasklane_core::webhook::{
    check_content_length, dedupe_key, parse_update, sign, verify_bearer, BodyLimit, DedupeWindow,
    Seen, Verifier, WebhookError, WebhookHeaders, WebhookSecret, DEFAULT_MAX_BODY_BYTES,
    DEFAULT_TOLERANCE_SECS,
};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::convert::to_js;
use crate::errors::{invalid_argument, webhook_error};
use crate::js;

/// Outside Node and workerd, bodies at least this large are checked with Web Crypto,
/// smaller ones in wasm (see [`choose_hmac`] for why).
const WEBCRYPTO_MIN_BYTES: usize = 4 * 1024;

/// How long a handled delivery's key is remembered (in memory and in the `store`).
const DEFAULT_DEDUPE_TTL_SECS: u64 = 24 * 3600;
/// How many handled keys the in-memory window holds.
const DEDUPE_WINDOW_KEYS: usize = 10_000;

#[wasm_bindgen]
extern "C" {
    /// A web `Request` (or anything shaped like one), read structurally.
    type WebRequest;
    #[wasm_bindgen(method, catch, js_name = arrayBuffer)]
    fn array_buffer(this: &WebRequest) -> Result<Promise, JsValue>;

    /// A `ReadableStreamDefaultReader`.
    type StreamReader;
    #[wasm_bindgen(method, catch)]
    fn read(this: &StreamReader) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn cancel(this: &StreamReader) -> Result<Promise, JsValue>;

    /// `crypto.subtle`.
    type Subtle;
    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &Subtle,
        format: &str,
        key: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn sign(
        this: &Subtle,
        algorithm: &str,
        key: &JsValue,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;

    /// `JSON.parse` on a JavaScript string (no copy through wasm memory).
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &JsValue) -> Result<JsValue, JsValue>;

    /// The global `TextEncoder` class.
    type TextEncoder;
    #[wasm_bindgen(constructor, js_class = "TextEncoder")]
    fn new() -> TextEncoder;
    #[wasm_bindgen(method)]
    fn encode(this: &TextEncoder, text: &JsValue) -> Uint8Array;

    /// Node's `node:crypto` module.
    #[derive(Clone)]
    type NodeCrypto;
    #[wasm_bindgen(method, catch, js_name = createHmac)]
    fn create_hmac(
        this: &NodeCrypto,
        algorithm: &str,
        key: &Uint8Array,
    ) -> Result<NodeHmac, JsValue>;

    /// A `node:crypto` `Hmac`.
    type NodeHmac;
    #[wasm_bindgen(method, catch)]
    fn update(this: &NodeHmac, data: &JsValue) -> Result<NodeHmac, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn digest(this: &NodeHmac) -> Result<Uint8Array, JsValue>;

    /// The global `Response` class.
    #[wasm_bindgen(js_name = Response)]
    type JsResponse;
    #[wasm_bindgen(constructor, js_class = "Response", catch)]
    fn new(body: &str, init: &JsValue) -> Result<JsResponse, JsValue>;
}

/// Which HMAC implementation to use (the `hmac` option exists for the benchmark).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HmacMode {
    Auto,
    Wasm,
    WebCrypto,
    Node,
}

/// What `verifyWebhook` and `createWebhookHandler` were configured with, parsed once.
struct Config {
    profile: Rc<ProviderProfile>,
    auth_token: Option<String>,
    verifier: Option<Verifier>,
    max_body: u64,
    hmac: HmacMode,
    /// The imported Web Crypto key, once the first large body needed it.
    crypto_key: RefCell<Option<JsValue>>,
    /// The key bytes as a JS array, for `node:crypto`.
    node_key: RefCell<Option<Uint8Array>>,
}

thread_local! {
    /// JS strings for the property, option and header names this module reads on every
    /// call, made once: turning a Rust `&str` into a JS string goes through `TextDecoder`,
    /// a fixed cost of about a microsecond per string in Node 20.
    static NAMES: RefCell<HashMap<&'static str, JsValue>> = RefCell::new(HashMap::new());
    /// Built-in profiles by name, so `verifyWebhook(req, {provider: "apixo"})` does not
    /// rebuild the profile on every call.
    static PROFILES: RefCell<HashMap<String, Rc<ProviderProfile>>> = RefCell::new(HashMap::new());
    /// Web Crypto keys by secret text, for `verifyWebhook` (a handler keeps its own).
    static KEYS: RefCell<HashMap<String, JsValue>> = RefCell::new(HashMap::new());
}

/// The JS string for `s`, made once.
fn name(s: &'static str) -> JsValue {
    NAMES.with(|m| {
        m.borrow_mut()
            .entry(s)
            .or_insert_with(|| JsValue::from_str(s))
            .clone()
    })
}

/// `obj[key]` with a cached key string; `undefined` when missing or `obj` is no object.
fn get(obj: &JsValue, key: &'static str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    js_sys::Reflect::get(obj, &name(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value` on an object this module created (cannot fail).
fn set(obj: &JsValue, key: &'static str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &name(key), value);
}

fn number_field(opts: &JsValue, key: &'static str) -> Result<Option<f64>, JsValue> {
    let v = get(opts, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 0.0 => Ok(Some(n)),
        _ => Err(invalid_argument(&format!(
            "invalid argument `options.{key}`: must be a non-negative number"
        ))),
    }
}

fn profile_of(provider: JsValue) -> Result<Rc<ProviderProfile>, JsValue> {
    if provider.is_undefined() || provider.is_null() {
        return Err(invalid_argument(
            "invalid argument `options.provider`: required (mirako, apixo, mindproxy, queue or a profile object)",
        ));
    }
    if let Some(name) = provider.as_string() {
        if let Some(p) = PROFILES.with(|m| m.borrow().get(&name).cloned()) {
            return Ok(p);
        }
        let p = Rc::new(
            ProviderSpec::Name(name.clone())
                .resolve()
                .map_err(|e| core_invalid(&e))?,
        );
        PROFILES.with(|m| m.borrow_mut().insert(name, p.clone()));
        return Ok(p);
    }
    let spec = crate::convert::provider_spec(provider, "options.provider")?;
    spec.resolve().map(Rc::new).map_err(|e| core_invalid(&e))
}

/// A core `invalid_argument` about `provider`, named as the option it came from.
fn core_invalid(e: &tasklane_core::CoreError) -> JsValue {
    match e {
        tasklane_core::CoreError::InvalidArgument { field, message } => {
            invalid_argument(&format!("invalid argument `options.{field}`: {message}"))
        }
        other => invalid_argument(&other.to_string()),
    }
}

impl Config {
    fn parse(opts: &JsValue) -> Result<Config, JsValue> {
        if !opts.is_object() {
            return Err(invalid_argument(
                "invalid argument `options`: must be an object with `provider` and `authToken` or `secret`",
            ));
        }
        let profile = profile_of(get(opts, "provider"))?;
        let auth_token = crate::convert::string_field(opts, "authToken", "options.authToken")?;
        let secret = crate::convert::string_field(opts, "secret", "options.secret")?;
        if auth_token.as_deref() == Some("") {
            return Err(invalid_argument(
                "invalid argument `options.authToken`: empty",
            ));
        }
        if auth_token.is_none() && secret.is_none() {
            return Err(invalid_argument(
                "invalid argument `options`: give `authToken` or `secret` (or both); unauthenticated webhooks are never accepted",
            ));
        }
        let tolerance =
            number_field(opts, "toleranceSec")?.map_or(DEFAULT_TOLERANCE_SECS, |n| n as u64);
        let verifier = match secret {
            Some(s) => Some(
                Verifier::new(WebhookSecret::parse(&s).map_err(|e| secret_invalid(&e))?)
                    .with_tolerance(tolerance),
            ),
            None => None,
        };
        let max_body =
            number_field(opts, "maxBodyBytes")?.map_or(DEFAULT_MAX_BODY_BYTES, |n| n as u64);
        let hmac = match get(opts, "hmac").as_string().as_deref() {
            None | Some("auto") => HmacMode::Auto,
            Some("wasm") => HmacMode::Wasm,
            Some("webcrypto") => HmacMode::WebCrypto,
            Some("node") => HmacMode::Node,
            Some(other) => {
                return Err(invalid_argument(&format!(
                    "invalid argument `options.hmac`: \"{other}\"; expected auto, wasm, webcrypto or node"
                )))
            }
        };
        Ok(Config {
            profile,
            auth_token,
            verifier,
            max_body,
            hmac,
            crypto_key: RefCell::new(None),
            node_key: RefCell::new(None),
        })
    }
}

/// A core `InvalidArgument("secret: why")` → `TaskError{code: "invalid_argument"}` naming
/// `options.secret`.
fn secret_invalid(e: &WebhookError) -> JsValue {
    let message = match e {
        WebhookError::InvalidArgument(m) => m.clone(),
        other => other.to_string(),
    };
    let why = message.strip_prefix("secret: ").unwrap_or(&message);
    invalid_argument(&format!("invalid argument `options.secret`: {why}"))
}

/// Why a delivery was not accepted: a refusal with a status, or an exception thrown by
/// the request object itself (passed through unchanged).
pub(crate) enum Refusal {
    Webhook(WebhookError),
    Js(JsValue),
}

impl From<WebhookError> for Refusal {
    fn from(e: WebhookError) -> Self {
        Refusal::Webhook(e)
    }
}

impl Refusal {
    fn into_js(self) -> JsValue {
        match self {
            Refusal::Webhook(e) => webhook_error(e.status(), e.code(), &e.to_string()),
            Refusal::Js(v) => v,
        }
    }
}

/// Reads one header from a `Headers` object or a plain `{name: value}` object.
pub(crate) fn header(headers: &JsValue, key: &'static str) -> Option<String> {
    if let Ok(getter) = get(headers, "get").dyn_into::<Function>() {
        return getter.call1(headers, &name(key)).ok()?.as_string();
    }
    if let Some(v) = get(headers, key).as_string() {
        return Some(v);
    }
    // A plain object written with other capitalization (`Webhook-Id`).
    let obj: &Object = headers.dyn_ref()?;
    Object::keys(obj)
        .iter()
        .filter_map(|k| k.as_string())
        .find(|k| k.eq_ignore_ascii_case(key))
        .and_then(|k| js::get(headers, &k).as_string())
}

/// Reads the body as bytes, never more than `limit` of them (413 beyond).
///
/// A body given directly (`string`, `Uint8Array`, `ArrayBuffer`: the plain-object form) is
/// checked by length. For a web `Request`, `Content-Length` is checked first (a declared
/// oversize body is refused unread); with one, the runtime's HTTP layer bounds the body by
/// it, so one `arrayBuffer()` is safe (and the length is checked again after). Without one
/// (chunked), the stream is read chunk by chunk and cancelled at the limit.
///
/// Returns the bytes and the same body as a JavaScript value (`string` or `Uint8Array`),
/// which a native HMAC can read without another copy.
pub(crate) async fn read_body(
    req: &JsValue,
    headers: &JsValue,
    limit: u64,
) -> Result<(Vec<u8>, JsValue), Refusal> {
    let body = get(req, "body");
    let mut counter = BodyLimit::new(limit);
    if body.is_string() {
        // The runtime's TextEncoder makes the UTF-8 bytes natively; copying those in is a
        // memcpy (wasm-bindgen's string passing walks large strings char by char in JS).
        let bytes = ENCODER.with(|e| e.encode(&body));
        counter.push(bytes.length() as usize)?;
        return Ok((bytes.to_vec(), body));
    }
    if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        let bytes = Uint8Array::new(&body);
        counter.push(bytes.length() as usize)?;
        return Ok((bytes.to_vec(), bytes.into()));
    }
    if !get(req, "arrayBuffer").is_function() {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: expected a web Request or {headers, body}",
        )));
    }
    if get(req, "bodyUsed").as_bool() == Some(true) {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: its body was already read; pass the request before reading it",
        )));
    }
    let content_length = header(headers, "content-length");
    check_content_length(content_length.as_deref(), limit)?;
    if content_length.is_some() || body.is_null() || body.is_undefined() {
        let request: &WebRequest = req.unchecked_ref();
        let buf = JsFuture::from(request.array_buffer().map_err(Refusal::Js)?)
            .await
            .map_err(|e| unreadable(&e))?;
        let bytes = Uint8Array::new(&buf);
        counter.push(bytes.length() as usize)?;
        return Ok((bytes.to_vec(), bytes.into()));
    }
    let reader: StreamReader = js::call_method(&body, "getReader", &[])
        .map_err(|e| unreadable(&e))?
        .unchecked_into();
    let mut out = Vec::new();
    loop {
        let step = JsFuture::from(reader.read().map_err(|e| unreadable(&e))?)
            .await
            .map_err(|e| unreadable(&e))?;
        if get(&step, "done").as_bool() == Some(true) {
            break;
        }
        let chunk = get(&step, "value");
        if !chunk.is_instance_of::<Uint8Array>() {
            return Err(
                WebhookError::UnreadableBody("a body chunk is not a Uint8Array".into()).into(),
            );
        }
        let chunk: Uint8Array = chunk.unchecked_into();
        if let Err(e) = counter.push(chunk.length() as usize) {
            // Stop the sender's stream: nothing more of it will be read.
            if let Ok(p) = reader.cancel() {
                let _ = JsFuture::from(p).await;
            }
            return Err(e.into());
        }
        let at = out.len();
        out.resize(at + chunk.length() as usize, 0);
        chunk.copy_to(&mut out[at..]);
    }
    let js = Uint8Array::from(out.as_slice()).into();
    Ok((out, js))
}

fn unreadable(e: &JsValue) -> Refusal {
    let msg = get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "reading it failed".into());
    Refusal::Webhook(WebhookError::UnreadableBody(msg))
}

/// The HMAC implementation one verification uses.
enum Hmac {
    Node(NodeCrypto),
    WebCrypto(Subtle),
    Wasm,
}

thread_local! {
    /// One `TextEncoder` for every string body.
    static ENCODER: TextEncoder = TextEncoder::new();
    /// `node:crypto` through `process.getBuiltinModule` (Node ≥ 20.16), looked up once.
    static NODE_CRYPTO: Option<NodeCrypto> = {
        let process = js::get(&js_sys::global().into(), "process");
        js::call_method(&process, "getBuiltinModule", &[&"node:crypto".into()])
            .ok()
            .filter(|m| get(m, "createHmac").is_function())
            .map(JsCast::unchecked_into)
    };
    /// Whether this is workerd (Cloudflare Workers), whose Web Crypto answers in the same
    /// turn of the event loop.
    static WORKERD: bool = {
        let nav = js::get(&js_sys::global().into(), "navigator");
        get(&nav, "userAgent").as_string().as_deref() == Some("Cloudflare-Workers")
    };
}

/// Picks the HMAC for a body of `len` bytes.
///
/// Measured with `scripts/bench-webhook.sh` (bench/results/webhook.md): RustCrypto's
/// SHA-256 compiled to wasm (at the package's `opt-level = "z"`) runs at about 100 MB/s,
/// several times slower than the runtime's native code, but costs nothing to call. Node's
/// Web Crypto hops to the libuv thread pool for every `sign` (tens of microseconds), so in
/// Node the synchronous native `node:crypto` HMAC is fastest at every size. workerd's Web
/// Crypto is native and resolves at once: fastest at every size there. Elsewhere (browsers,
/// Deno) Web Crypto's fixed cost loses to wasm for small bodies and wins from a few KiB.
fn choose_hmac(mode: HmacMode, len: usize) -> Hmac {
    let node = || NODE_CRYPTO.with(Clone::clone).map(Hmac::Node);
    let web = || subtle().map(Hmac::WebCrypto);
    let picked = match mode {
        HmacMode::Wasm => None,
        HmacMode::Node => node(),
        HmacMode::WebCrypto => web(),
        HmacMode::Auto => node().or_else(|| {
            if WORKERD.with(|w| *w) || len >= WEBCRYPTO_MIN_BYTES {
                web()
            } else {
                None
            }
        }),
    };
    // Whatever is missing in this runtime falls back to wasm, which is always there.
    picked.unwrap_or(Hmac::Wasm)
}

/// HMAC-SHA256 of `"{id}.{timestamp}.{body}"` with `node:crypto`, reading the body where it
/// already is (a JS string or bytes).
fn node_mac(
    cfg: &Config,
    nc: &NodeCrypto,
    pre: &Prechecked<'_>,
    body: &JsValue,
) -> Result<Vec<u8>, JsValue> {
    let key = {
        let mut slot = cfg.node_key.borrow_mut();
        match slot.as_ref() {
            Some(k) => k.clone(),
            None => {
                let Some(verifier) = cfg.verifier.as_ref() else {
                    return Err(JsValue::from_str("no secret"));
                };
                let k = Uint8Array::from(verifier.secret().key());
                *slot = Some(k.clone());
                k
            }
        }
    };
    let h = nc.create_hmac("sha256", &key)?;
    h.update(&JsValue::from_str(&pre.signed_prefix()))?;
    h.update(body)?;
    Ok(h.digest()?.to_vec())
}

fn subtle() -> Option<Subtle> {
    let crypto = js::get(&js_sys::global().into(), "crypto");
    let subtle = get(&crypto, "subtle");
    subtle.is_object().then(|| subtle.unchecked_into())
}

/// The Web Crypto HMAC key for `secret`, imported once.
async fn crypto_key(cfg: &Config, subtle: &Subtle) -> Result<JsValue, JsValue> {
    if let Some(k) = cfg.crypto_key.borrow().as_ref() {
        return Ok(k.clone());
    }
    // `cfg.verifier` is Some whenever a MAC is computed at all.
    let Some(verifier) = cfg.verifier.as_ref() else {
        return Err(JsValue::from_str("no secret"));
    };
    let cache_key = verifier.secret().to_whsec();
    if let Some(k) = KEYS.with(|m| m.borrow().get(&cache_key).cloned()) {
        *cfg.crypto_key.borrow_mut() = Some(k.clone());
        return Ok(k);
    }
    let alg = Object::new();
    set(&alg, "name", &"HMAC".into());
    set(&alg, "hash", &"SHA-256".into());
    let usages = Array::of1(&"sign".into());
    let key_bytes = Uint8Array::from(verifier.secret().key());
    let key = JsFuture::from(subtle.import_key("raw", &key_bytes, &alg, false, &usages)?).await?;
    KEYS.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() >= 64 {
            m.clear();
        }
        m.insert(cache_key, key.clone());
    });
    *cfg.crypto_key.borrow_mut() = Some(key.clone());
    Ok(key)
}

/// HMAC-SHA256 of `"{id}.{timestamp}.{body}"` with Web Crypto.
async fn webcrypto_mac(
    cfg: &Config,
    subtle: &Subtle,
    pre: &Prechecked<'_>,
    body: &[u8],
) -> Result<Vec<u8>, JsValue> {
    let key = crypto_key(cfg, subtle).await?;
    let prefix = pre.signed_prefix();
    let data = Uint8Array::new_with_length((prefix.len() + body.len()) as u32);
    data.subarray(0, prefix.len() as u32)
        .copy_from(prefix.as_bytes());
    data.subarray(prefix.len() as u32, data.length())
        .copy_from(body);
    let sig = JsFuture::from(subtle.sign("HMAC", &key, &data)?).await?;
    Ok(Uint8Array::new(&sig).to_vec())
}

/// Checks one delivery: method, bearer token, Standard Webhooks headers and timestamp (all
/// before the body is read), the body under its limit, the signature, then the dialect's
/// shape.
async fn verify_request(cfg: &Config, req: &JsValue) -> Result<Verified, Refusal> {
    let method = get(req, "method").as_string();
    if let Some(m) = method.filter(|m| !m.eq_ignore_ascii_case("POST")) {
        return Err(WebhookError::MethodNotAllowed(m).into());
    }
    let headers = get(req, "headers");
    if !headers.is_object() {
        return Err(Refusal::Js(invalid_argument(
            "invalid argument `request`: it has no headers",
        )));
    }
    if let Some(token) = &cfg.auth_token {
        verify_bearer(header(&headers, "authorization").as_deref(), token)?;
    }
    let id = header(&headers, HEADER_ID);
    let mut signed = None;
    if let Some(verifier) = &cfg.verifier {
        let ts = header(&headers, HEADER_TIMESTAMP);
        let sig = header(&headers, HEADER_SIGNATURE);
        signed = Some((verifier, ts, sig));
    }
    let now_secs = (js::now() / 1000) as i64;
    // Parse the signature headers before reading the body: a request with stale or missing
    // headers is refused without reading a byte.
    let pre = match &signed {
        Some((verifier, ts, sig)) => {
            let h = WebhookHeaders {
                id: id.as_deref(),
                timestamp: ts.as_deref(),
                signature: sig.as_deref(),
            };
            Some((verifier, verifier.precheck(&h, now_secs)?))
        }
        None => None,
    };
    let (body, body_js) = read_body(req, &headers, cfg.max_body).await?;
    if let Some((verifier, pre)) = pre {
        let expected = match choose_hmac(cfg.hmac, body.len()) {
            Hmac::Node(nc) => node_mac(cfg, &nc, &pre, &body_js).map_err(Refusal::Js)?,
            Hmac::WebCrypto(subtle) => webcrypto_mac(cfg, &subtle, &pre, &body)
                .await
                .map_err(Refusal::Js)?,
            Hmac::Wasm => mac(verifier.secret(), pre.id, pre.timestamp, &body).to_vec(),
        };
        pre.check_mac(&expected)?;
    }
    let mut update = parse_update(&cfg.profile, &body)?;
    // `raw` goes to JavaScript through the runtime's own JSON.parse of the body text (native
    // speed, the provider's key order) rather than serde_json serializing it back out.
    update.raw = serde_json::Value::Null;
    let js = to_js(&update);
    let text = if body_js.is_string() {
        body_js
    } else {
        // parse_update accepted the bytes as JSON, so they are UTF-8.
        JsValue::from_str(std::str::from_utf8(&body).unwrap_or_default())
    };
    // The same text serde_json accepted, so JSON.parse accepts it too.
    let raw = json_parse(&text).unwrap_or(JsValue::NULL);
    set(&js, "raw", &raw);
    Ok(Verified {
        update,
        js,
        webhook_id: id,
    })
}

/// A delivery that passed every check.
struct Verified {
    /// The normalized update (its `raw` left out: it lives in `js`).
    update: TaskUpdate,
    /// The `TaskUpdate` object handed to JavaScript.
    js: JsValue,
    /// The delivery's `webhook-id`, when it had one.
    webhook_id: Option<String>,
}

/// Verifies a webhook delivery and returns its normalized `TaskUpdate`.
///
/// `request` is a web `Request` (Node 18+, Deno, browsers, workerd) whose body has not been
/// read, or a plain `{method?, headers, body}` with `body` a string or bytes. `options`:
/// `{provider, authToken?, secret?, toleranceSec = 300, maxBodyBytes = 1048576}`; at least
/// one of `authToken` and `secret` is required. Throws `WebhookError{status, code}` (400
/// malformed body, 401 bad or missing authentication, 405 not POST, 413 too large), or
/// `TaskError{code: "invalid_argument"}` for bad options.
#[wasm_bindgen(js_name = verifyWebhook, skip_typescript)]
pub async fn verify_webhook(request: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let cfg = cached_config(&options)?;
    let verified = verify_request(&cfg, &request)
        .await
        .map_err(Refusal::into_js)?;
    Ok(verified.js)
}

thread_local! {
    /// `{status, headers}` init objects by status (the Response constructor copies them).
    static INITS: RefCell<HashMap<u16, JsValue>> = RefCell::new(HashMap::new());
}

/// The option fields a [`Config`] is built from.
const CONFIG_FIELDS: [&str; 6] = [
    "provider",
    "authToken",
    "secret",
    "toleranceSec",
    "maxBodyBytes",
    "hmac",
];

thread_local! {
    /// The last `verifyWebhook` options (field values) and the config built from them.
    static LAST_CONFIG: RefCell<Option<(Vec<JsValue>, Rc<Config>)>> = const { RefCell::new(None) };
}

/// `verifyWebhook` is usually called with the same options every time (often a fresh
/// object literal): when every field is the same value as last time (`Object.is`, so
/// strings by value and a profile object by identity), the parsed config (secret, profile,
/// imported keys) is reused instead of being parsed again.
fn cached_config(options: &JsValue) -> Result<Rc<Config>, JsValue> {
    if !options.is_object() {
        return Config::parse(options).map(Rc::new);
    }
    let fields: Vec<JsValue> = CONFIG_FIELDS.iter().map(|k| get(options, k)).collect();
    let hit = LAST_CONFIG.with(|last| {
        last.borrow().as_ref().and_then(|(seen, cfg)| {
            let same = seen.iter().zip(&fields).all(|(a, b)| Object::is(a, b));
            same.then(|| cfg.clone())
        })
    });
    if let Some(cfg) = hit {
        return Ok(cfg);
    }
    let cfg = Rc::new(Config::parse(options)?);
    LAST_CONFIG.with(|last| *last.borrow_mut() = Some((fields, cfg.clone())));
    Ok(cfg)
}

/// A JSON response with `status`.
fn json_response(status: u16, body: &str) -> Result<JsValue, JsValue> {
    let init = INITS.with(|m| {
        m.borrow_mut()
            .entry(status)
            .or_insert_with(|| {
                let init = Object::new();
                set(&init, "status", &JsValue::from(status));
                let headers = Object::new();
                set(&headers, "content-type", &"application/json".into());
                set(&init, "headers", &headers);
                init.into()
            })
            .clone()
    });
    JsResponse::new(body, &init).map(Into::into)
}

fn refusal_response(r: Refusal) -> Result<JsValue, JsValue> {
    match r {
        Refusal::Webhook(e) => json_response(e.status(), &refusal_body(&e)),
        // The request object itself threw (e.g. it is not a Request): a bad request.
        Refusal::Js(v) => {
            let message = get(&v, "message").as_string().unwrap_or_default();
            json_response(400, &error_body("bad_request", &message))
        }
    }
}

/// One `createWebhookHandler` instance.
struct Handler {
    cfg: Config,
    on_update: Function,
    store: Option<JsValue>,
    ttl_secs: u64,
    window: RefCell<DedupeWindow>,
    /// Deliveries being handled now, by dedupe key: a duplicate arriving meanwhile waits
    /// for the first one's outcome (a promise of `true` when it succeeded).
    in_flight: RefCell<HashMap<String, Promise>>,
}

impl Handler {
    async fn handle(
        self: Rc<Self>,
        request: JsValue,
        env: JsValue,
        ctx: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Verified {
            update,
            js: update_js,
            webhook_id,
        } = match verify_request(&self.cfg, &request).await {
            Ok(v) => v,
            Err(r) => return refusal_response(r),
        };
        let key = dedupe_key(
            &self.cfg.profile.name,
            webhook_id.as_deref(),
            &update.id,
            update.state.as_str(),
            update.state.is_terminal(),
        );
        let Some(key) = key else {
            // A live update without a webhook-id: nothing to deduplicate on.
            return self.run_on_update(&update_js, &request, &env, &ctx).await;
        };
        let now = js::now();
        let seen = self.window.borrow_mut().begin(now, &key);
        match seen {
            Seen::Duplicate => return duplicate_response(),
            Seen::InFlight => {
                let first = self.in_flight.borrow().get(&key).cloned();
                let ok = match first {
                    Some(p) => JsFuture::from(p).await.ok().and_then(|v| v.as_bool()) == Some(true),
                    None => false,
                };
                return if ok {
                    duplicate_response()
                } else {
                    json_response(
                        503,
                        &error_body("retry", "the same delivery is being handled; try again"),
                    )
                };
            }
            Seen::New => {}
        }
        let mut resolve: Option<Function> = None;
        let done = Promise::new(&mut |res, _rej| resolve = Some(res));
        self.in_flight.borrow_mut().insert(key.clone(), done);
        let result = self
            .handle_new(&key, &update, &update_js, &request, &env, &ctx)
            .await;
        self.in_flight.borrow_mut().remove(&key);
        // Handled here, or found handled in the store: either way later copies are duplicates.
        let ok = result.is_ok();
        if ok {
            self.window.borrow_mut().commit(js::now(), &key);
        } else {
            self.window.borrow_mut().abandon(&key);
        }
        if let Some(resolve) = resolve {
            let _ = resolve.call1(&JsValue::UNDEFINED, &JsValue::from_bool(ok));
        }
        match result {
            Ok(true) => json_response(200, OK_BODY),
            Ok(false) => duplicate_response(),
            Err(e) => Ok(e),
        }
    }

    /// Handles a delivery the in-memory window has not seen: checks the shared store,
    /// calls `onUpdate`, records the key. `Ok(true)` handled, `Ok(false)` a duplicate per
    /// the store, `Err(response)` the 500 to answer.
    async fn handle_new(
        &self,
        key: &str,
        update: &TaskUpdate,
        update_js: &JsValue,
        request: &JsValue,
        env: &JsValue,
        ctx: &JsValue,
    ) -> Result<bool, JsValue> {
        if let Some(store) = &self.store {
            let got = match js::call_method(store, "get", &[&key.into()]) {
                Ok(p) => JsFuture::from(Promise::resolve(&p)).await,
                Err(e) => Err(e),
            };
            match got {
                Ok(v) if !v.is_null() && !v.is_undefined() => {
                    // Seen by another instance: remember it here too.
                    return Ok(false);
                }
                Ok(_) => {}
                Err(e) => return Err(failure_response("store_failed", "store.get failed", &e)),
            }
        }
        let answer = self.run_on_update(update_js, request, env, ctx).await?;
        let status = get(&answer, "status").as_f64().unwrap_or(0.0);
        if status >= 300.0 {
            return Err(answer);
        }
        if let Some(store) = &self.store {
            let opts = Object::new();
            set(&opts, "expirationTtl", &JsValue::from(self.ttl_secs as f64));
            let value = JsValue::from_str(&record_body(update));
            let put = js::call_method(store, "put", &[&key.into(), &value, &opts]);
            let put = match put {
                Ok(p) => JsFuture::from(Promise::resolve(&p)).await,
                Err(e) => Err(e),
            };
            if let Err(e) = put {
                // The update was handled; only cross-instance dedupe of a later duplicate
                // is lost. Say so, but acknowledge.
                web_sys::console::warn_2(&"tasklane: webhook store.put failed".into(), &e);
            }
        }
        Ok(true)
    }

    /// Calls `onUpdate(update, request, env, ctx)` and awaits it: 200 when it resolved,
    /// 500 when it threw or rejected (so the sender retries).
    async fn run_on_update(
        &self,
        update: &JsValue,
        request: &JsValue,
        env: &JsValue,
        ctx: &JsValue,
    ) -> Result<JsValue, JsValue> {
        let args = Array::of4(update, request, env, ctx);
        let called = self.on_update.apply(&JsValue::UNDEFINED, &args);
        let outcome = match called {
            Ok(v) => JsFuture::from(Promise::resolve(&v)).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(_) => json_response(200, OK_BODY),
            Err(e) => Err(failure_response("handler_failed", "onUpdate threw", &e)),
        }
    }
}

fn duplicate_response() -> Result<JsValue, JsValue> {
    json_response(200, DUPLICATE_BODY)
}

/// The 500 answered when the user's code (or store) failed; the error goes to the
/// console for the operator, not to the sender.
fn failure_response(code: &str, what: &str, err: &JsValue) -> JsValue {
    web_sys::console::error_2(&format!("tasklane: {what}").into(), err);
    json_response(500, &error_body(code, what)).unwrap_or_else(|e| e)
}

/// Builds a Workers-style fetch handler `(request, env?, ctx?) => Promise<Response>` that
/// verifies each delivery, passes its `TaskUpdate` to `onUpdate(update, request, env, ctx)`
/// and answers 200 once that resolved (500 when it threw, so the sender retries).
/// Refusals answer 405/401/400/413 with a JSON error and never reach `onUpdate`.
/// Duplicates (same `webhook-id`, or same task id and terminal state) are acknowledged
/// with 200 and not passed on again; `store: {get, put}` (e.g. a Workers KV namespace)
/// shares that across instances, `dedupeTtlSec` (default one day) bounds how long.
#[wasm_bindgen(js_name = createWebhookHandler, skip_typescript)]
pub fn create_webhook_handler(options: JsValue) -> Result<Function, JsValue> {
    let cfg = Config::parse(&options)?;
    let on_update = get(&options, "onUpdate")
        .dyn_into::<Function>()
        .map_err(|_| invalid_argument("invalid argument `options.onUpdate`: must be a function"))?;
    let store = get(&options, "store");
    let store = if store.is_undefined() || store.is_null() {
        None
    } else if get(&store, "get").is_function() && get(&store, "put").is_function() {
        Some(store)
    } else {
        return Err(invalid_argument(
            "invalid argument `options.store`: must have get(key) and put(key, value, {expirationTtl})",
        ));
    };
    // Workers KV refuses an expirationTtl under 60 seconds.
    let ttl_secs = number_field(&options, "dedupeTtlSec")?
        .map_or(DEFAULT_DEDUPE_TTL_SECS, |n| (n as u64).max(60));
    let handler = Rc::new(Handler {
        cfg,
        on_update,
        store,
        ttl_secs,
        window: RefCell::new(DedupeWindow::new(ttl_secs * 1000, DEDUPE_WINDOW_KEYS)),
        in_flight: RefCell::new(HashMap::new()),
    });
    let closure = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
        move |request: JsValue, env: JsValue, ctx: JsValue| {
            let h = handler.clone();
            future_to_promise(async move { h.handle(request, env, ctx).await })
        },
    );
    // The handler lives as long as the JavaScript function that holds it: hand ownership
    // of the closure to the JS garbage collector.
    Ok(closure.into_js_value().unchecked_into())
}

/// Signs `body` (a string or bytes) for delivery as a Standard Webhooks message and
/// returns the headers `{"webhook-id", "webhook-timestamp", "webhook-signature"}`.
/// `options`: `{secret: "whsec_…", id?, timestamp?}` with `timestamp` in seconds (or a
/// `Date`; default now) and `id` default a random `msg_…`.
#[wasm_bindgen(js_name = signWebhook, skip_typescript)]
pub fn sign_webhook(body: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    if !options.is_object() {
        return Err(invalid_argument(
            "invalid argument `options`: must be an object with `secret`",
        ));
    }
    let secret = crate::convert::string_field(&options, "secret", "options.secret")?
        .ok_or_else(|| invalid_argument("invalid argument `options.secret`: required"))?;
    let secret = WebhookSecret::parse(&secret).map_err(|e| secret_invalid(&e))?;
    let bytes: Vec<u8> = if let Some(s) = body.as_string() {
        s.into_bytes()
    } else if body.is_instance_of::<Uint8Array>() || body.is_instance_of::<js_sys::ArrayBuffer>() {
        Uint8Array::new(&body).to_vec()
    } else {
        return Err(invalid_argument(
            "invalid argument `body`: must be a string or a Uint8Array",
        ));
    };
    let id = match crate::convert::string_field(&options, "id", "options.id")? {
        Some(id) if !id.is_empty() => id,
        Some(_) => return Err(invalid_argument("invalid argument `options.id`: empty")),
        None => format!("msg_{:016x}{:016x}", js::seed(), js::seed()),
    };
    let ts_value = get(&options, "timestamp");
    let timestamp = if ts_value.is_undefined() || ts_value.is_null() {
        (js::now() / 1000) as i64
    } else {
        let secs = match ts_value.dyn_ref::<js_sys::Date>() {
            Some(d) => Some(d.get_time() / 1000.0),
            None => ts_value.as_f64(),
        };
        match secs {
            // NaN (an invalid Date) and infinities fail `contains`.
            Some(n) if (0.0..1e17).contains(&n) => n.floor() as i64,
            _ => {
                return Err(invalid_argument(
                    "invalid argument `options.timestamp`: seconds since the epoch, or a Date",
                ))
            }
        }
    };
    let headers = Object::new();
    set(&headers, HEADER_ID, &id.as_str().into());
    set(&headers, HEADER_TIMESTAMP, &timestamp.to_string().into());
    js::set(
        &headers,
        HEADER_SIGNATURE,
        &sign(&secret, &id, timestamp, &bytes).into(),
    );
    Ok(headers.into())
}

/// For `TaskClient.run(req, opts)`: when `req.webhook` is given and `opts.expectWebhook`
/// is not, a copy of `opts` with `expectWebhook: true`, so the wait polls only at the
/// safety-net rate while the webhook is expected to bring the end.
pub(crate) fn expect_webhook_opts(req: &JsValue, opts: JsValue) -> JsValue {
    if !get(req, "webhook").is_object() {
        return opts;
    }
    if opts.is_object() && !get(&opts, "expectWebhook").is_undefined() {
        return opts;
    }
    let copy = Object::new();
    if opts.is_object() {
        // A plain options object: its own fields are copied (signal, onUpdate, poll...).
        let _ = Object::assign(&copy, opts.unchecked_ref());
    } else if !opts.is_undefined() && !opts.is_null() {
        // Not an object: leave it for wait's own argument check to refuse.
        return opts;
    }
    set(&copy, "expectWebhook", &JsValue::TRUE);
    copy.into()
}

/// `TaskClient.deliver(update)`: feeds a `TaskUpdate` that came by webhook to the engine
/// (every wait on that task takes it; a second terminal delivery is ignored) and runs the
/// driver. Returns how many waits took it.
pub(crate) fn deliver(shared: &crate::driver::Shared, update: JsValue) -> Result<u32, JsValue> {
    if !update.is_object() || !get(&update, "id").is_string() {
        return Err(invalid_argument(
            "invalid argument `update`: expected a TaskUpdate {id, state, rawStatus, ...} (e.g. from verifyWebhook)",
        ));
    }
    let update = crate::convert::task_update(&update)?;
    let taken = shared.borrow_mut().engine.deliver(js::now(), update);
    crate::driver::pump(shared);
    Ok(u32::try_from(taken).unwrap_or(u32::MAX))
}
