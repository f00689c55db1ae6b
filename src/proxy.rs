//! `createProxyHandler`: an edge function that holds the vendor's API key and forwards a
//! browser's tasklane requests for one dialect. Which requests are that dialect's routes,
//! what the allow lists say and how vendor URLs are rewritten are the core's decisions
//! (`tasklane_core::proxy`); this file does the HTTP: CORS, `authorize`, `rateLimit`, the
//! body limit, the forwarded `fetch` with `Authorization: Bearer <apiKey>` (the browser's
//! own credentials are never passed on) bounded by `upstreamTimeoutMs`, and the answer.
//!
//! Bodies are copied as little as possible. A request body is read once, as one buffer:
//! it must be, for its size and (on a submit) the allow lists; that same JavaScript buffer
//! is what is forwarded (only a submit's is copied into the wasm, to be parsed). An answer
//! streams through (`Response.body` handed to the new `Response`, never entering the
//! wasm) unless `rewrites_answer` says its vendor URLs are rewritten: queue's submit and
//! status answers, small JSON, are read whole for that.

use std::rc::Rc;

use gloo_timers::callback::Timeout;
use js_sys::{Array, Function, Object, Promise};
use tasklane_core::profile::ProviderProfile;
use tasklane_core::proxy::{
    check_allow, match_route, rate_limit, rewrite_urls, rewrites_answer, split_mount, Allow,
    Matched, ProxyError, RouteKind,
};
use tasklane_core::text::{concat, decimal};
use tasklane_core::webhook::{WebhookError, DEFAULT_MAX_BODY_BYTES};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::AbortController;

use crate::errors::invalid_argument;
use crate::js;
use crate::request::{begin, header, read_body, then, Body, Flow, Refusal};

#[wasm_bindgen]
extern "C" {
    /// The global `URL` class.
    #[wasm_bindgen(js_name = URL)]
    type JsUrl;
    #[wasm_bindgen(constructor, js_class = "URL", catch)]
    fn new(url: &str) -> Result<JsUrl, JsValue>;
    #[wasm_bindgen(method, getter)]
    fn pathname(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn search(this: &JsUrl) -> String;
    #[wasm_bindgen(method, getter)]
    fn origin(this: &JsUrl) -> String;

    /// The global `Response` class.
    #[wasm_bindgen(js_name = Response)]
    type ProxyResponse;
    #[wasm_bindgen(constructor, js_class = "Response", catch)]
    fn new(body: &JsValue, init: &JsValue) -> Result<ProxyResponse, JsValue>;
}

/// `upstreamTimeoutMs` when not given.
const DEFAULT_UPSTREAM_TIMEOUT_MS: u64 = 30_000;

/// Request headers passed on to the vendor (everything else, notably the browser's
/// `Authorization` and cookies, stays at the proxy).
const FORWARDED_REQUEST_HEADERS: &[&str] = &["content-type", "accept", "idempotency-key"];
/// Answer headers passed back to the browser.
const FORWARDED_RESPONSE_HEADERS: &[&str] = &["content-type", "retry-after", "location"];

/// One `createProxyHandler` instance.
struct Proxy {
    profile: ProviderProfile,
    base_url: String,
    api_key: String,
    authorize: Option<Function>,
    rate_limit: Option<Function>,
    allow: Allow,
    allow_origins: Option<Vec<String>>,
    max_body: u64,
    /// Milliseconds; 0: no limit.
    upstream_timeout: u64,
    base_path: Option<String>,
    fetch: Option<Function>,
}

/// The list `opts[key]`, called `{prefix}{key}` in errors.
fn string_list(opts: &JsValue, key: &str, prefix: &str) -> Result<Option<Vec<String>>, JsValue> {
    let v = js::get(opts, key);
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let bad = || {
        invalid_argument(&concat(&[
            "invalid argument `",
            prefix,
            key,
            "`: must be an array of strings",
        ]))
    };
    let arr: &Array = v.dyn_ref().ok_or_else(bad)?;
    arr.iter()
        .map(|x| x.as_string().ok_or_else(bad))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

impl Proxy {
    fn parse(opts: &JsValue) -> Result<Proxy, JsValue> {
        if !opts.is_object() {
            return Err(invalid_argument(
                "invalid argument `options`: expected {provider, baseUrl, apiKey, ...}",
            ));
        }
        crate::request::known_keys(
            opts,
            "options",
            "provider,baseUrl,apiKey,authorize,rateLimit,allow,allowOrigins,maxBodyBytes,upstreamTimeoutMs,basePath,fetch",
        )?;
        let provider = js::get(opts, "provider");
        if !(provider.is_string() || provider.is_object()) {
            return Err(invalid_argument(
                "invalid argument `provider`: expected \"mirako\", \"apixo\", \"mindproxy\", \"queue\" or a profile object",
            ));
        }
        let spec = crate::convert::provider_spec(provider, "provider")?;
        let profile = spec.resolve().map_err(|e| invalid_argument(&e.message()))?;
        let base_url = crate::convert::string_field(opts, "baseUrl", "baseUrl")?
            .filter(|s| s.starts_with("http://") || s.starts_with("https://"))
            .ok_or_else(|| {
                invalid_argument(
                    "invalid argument `baseUrl`: required, an http(s) URL of the vendor",
                )
            })
            .map(|s| tasklane_core::text::trim_end(&s, b'/').to_owned())?;
        let api_key = crate::convert::string_field(opts, "apiKey", "apiKey")?
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid_argument("invalid argument `apiKey`: required"))?;
        let func = |key: &str| -> Result<Option<Function>, JsValue> {
            let v = js::get(opts, key);
            if v.is_undefined() || v.is_null() {
                return Ok(None);
            }
            v.dyn_into::<Function>().map(Some).map_err(|_| {
                invalid_argument(&concat(&[
                    "invalid argument `",
                    key,
                    "`: must be a function",
                ]))
            })
        };
        let allow_opt = js::get(opts, "allow");
        crate::convert::optional_object(&allow_opt, "allow")?;
        // A list under any other key (`model`, `endpoint`) is refused, not ignored (which
        // allowed everything its author meant to restrict).
        if allow_opt.is_object() {
            crate::request::known_keys(
                &allow_opt,
                "allow",
                "models,operations,endpoints,taskTypes",
            )?;
        }
        let allow = Allow {
            models: string_list(&allow_opt, "models", "allow.")?,
            operations: string_list(&allow_opt, "operations", "allow.")?,
            endpoints: string_list(&allow_opt, "endpoints", "allow.")?,
            task_types: string_list(&allow_opt, "taskTypes", "allow.")?,
        };
        let count = |key: &str, default: u64| match js::get(opts, key) {
            v if v.is_undefined() || v.is_null() => Ok(default),
            v => match v.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 => Ok(n as u64),
                _ => Err(invalid_argument(&concat(&[
                    "invalid argument `",
                    key,
                    "`: must be a non-negative number",
                ]))),
            },
        };
        let base_path = crate::convert::string_field(opts, "basePath", "basePath")?
            .map(|p| tasklane_core::text::trim_end(&p, b'/').to_owned());
        Ok(Proxy {
            profile,
            base_url,
            api_key,
            authorize: func("authorize")?,
            rate_limit: func("rateLimit")?,
            allow,
            allow_origins: string_list(opts, "allowOrigins", "")?,
            max_body: count("maxBodyBytes", DEFAULT_MAX_BODY_BYTES)?,
            upstream_timeout: count("upstreamTimeoutMs", DEFAULT_UPSTREAM_TIMEOUT_MS)?,
            base_path,
            fetch: func("fetch")?,
        })
    }

    /// The CORS headers for `origin`, or the refusal when it is not allowed. A request
    /// without `Origin` (server to server) or from the proxy's own origin needs none.
    fn cors(
        &self,
        origin: Option<&str>,
        own_origin: &str,
    ) -> Result<Vec<(&'static str, String)>, ProxyError> {
        let Some(origin) = origin.filter(|o| *o != own_origin) else {
            return Ok(Vec::new());
        };
        let ok = self
            .allow_origins
            .as_ref()
            .is_some_and(|list| list.iter().any(|o| o == origin || o == "*"));
        if !ok {
            return Err(ProxyError::OriginNotAllowed(origin.to_owned()));
        }
        Ok(vec![
            ("access-control-allow-origin", origin.to_owned()),
            ("vary", "Origin".to_owned()),
            (
                "access-control-expose-headers",
                "retry-after, location".to_owned(),
            ),
        ])
    }

    /// One request: everything up to the first step that waits on JavaScript (the
    /// `authorize` and `rateLimit` hooks, the body, the vendor), each of which goes on
    /// in a continuation ([`then`]).
    fn handle(self: Rc<Self>, request: JsValue, env: JsValue, ctx: JsValue) -> Flow {
        let headers = js::get(&request, "headers");
        let origin = header(&headers, "origin");
        let url_text = js::get(&request, "url").as_string().unwrap_or_default();
        let url = JsUrl::new(&url_text)?;
        let cors = match self.cors(origin.as_deref(), &url.origin()) {
            Ok(c) => c,
            Err(e) => return error_response(&e, &[]),
        };
        let method = js::get(&request, "method")
            .as_string()
            .unwrap_or_else(|| "GET".into())
            .to_ascii_uppercase();
        if method == "OPTIONS" {
            let mut h = cors.clone();
            h.push((
                "access-control-allow-methods",
                "GET, POST, PUT, OPTIONS".into(),
            ));
            let asked = header(&headers, "access-control-request-headers")
                .unwrap_or_else(|| "content-type".into());
            h.push(("access-control-allow-headers", asked));
            h.push(("access-control-max-age", "600".into()));
            return respond(204, &JsValue::NULL, &h);
        }
        let pathname = url.pathname();
        let split = match &self.base_path {
            Some(bp) => pathname
                .strip_prefix(bp.as_str())
                .filter(|rest| rest.starts_with("/"))
                .map(|rest| (bp.as_str(), rest)),
            None => split_mount(&self.profile, &pathname),
        };
        let Some((mount, rest)) = split else {
            let e = ProxyError::NotFound {
                dialect: self.profile.name.clone(),
                path: pathname.clone(),
            };
            return error_response(&e, &cors);
        };
        let (mount, rest) = (mount.to_owned(), rest.to_owned());
        let matched = match match_route(&self.profile, &method, &rest) {
            Ok(m) => m,
            Err(e) => return error_response(&e, &cors),
        };
        let req = Req {
            request,
            env,
            ctx,
            headers,
            url,
            cors,
            method,
            mount,
            rest,
            matched,
        };
        let Some(authorize) = &self.authorize else {
            return self.limit_rate(req);
        };
        match authorize.call1(&JsValue::UNDEFINED, &req.request) {
            Ok(v) => then(&v, move |allowed| {
                // An authorize that rejects refuses, like one that says no.
                if allowed.is_ok_and(|v| v.is_truthy()) {
                    self.limit_rate(req)
                } else {
                    error_response(&ProxyError::Unauthorized, &req.cors)
                }
            }),
            // An authorize that throws refuses too.
            Err(_) => error_response(&ProxyError::Unauthorized, &req.cors),
        }
    }

    /// After authorize (an unknown caller spends nobody's quota), before the body is read
    /// (a refused flood costs no reading or parsing): the `rateLimit` hook.
    fn limit_rate(self: Rc<Self>, req: Req) -> Flow {
        let Some(hook) = &self.rate_limit else {
            return self.read(req);
        };
        match hook.call3(&JsValue::UNDEFINED, &req.request, &req.env, &req.ctx) {
            Ok(v) => then(&v, move |answer| self.rate_limited(req, answer)),
            Err(e) => self.rate_limited(req, Err(e)),
        }
    }

    /// What the `rateLimit` hook answered (or threw).
    fn rate_limited(self: Rc<Self>, req: Req, answer: Result<JsValue, JsValue>) -> Flow {
        // A hook that throws or rejects refuses (without Retry-After), like `false`.
        let answer = answer.unwrap_or(JsValue::FALSE);
        if let Err(e) = rate_limit(answer.as_f64(), answer.as_bool() == Some(true)) {
            return error_response(&e, &req.cors);
        }
        self.read(req)
    }

    /// Reads the body (none for GET and HEAD) and goes on with [`Proxy::check`].
    fn read(self: Rc<Self>, req: Req) -> Flow {
        if req.method == "GET" || req.method == "HEAD" {
            return self.check(req, None);
        }
        let (request, headers) = (req.request.clone(), req.headers.clone());
        read_body(
            &request,
            &headers,
            self.max_body,
            0,
            move |read| match read {
                Ok(read) => self.check(req, Some(read)),
                Err(Refusal::Webhook(WebhookError::BodyTooLarge { limit })) => {
                    error_response(&ProxyError::BodyTooLarge { limit }, &req.cors)
                }
                Err(Refusal::Webhook(e)) => {
                    error_response(&ProxyError::BadBody(e.message()), &req.cors)
                }
                // Answered, not thrown: a thrown error is the runtime's bare error page,
                // without the JSON body or the CORS headers the caller can read.
                Err(Refusal::Js(e)) => {
                    let why = js::get(&e, "message").as_string().unwrap_or_default();
                    error_response(&ProxyError::BodyUnreadable(why), &req.cors)
                }
            },
        )
    }

    /// The allow lists (a submit's against its body), then [`Proxy::forward`].
    fn check(self: Rc<Self>, req: Req, body: Option<Body>) -> Flow {
        let json_body = match (&body, req.matched.kind) {
            (Some((b, _)), RouteKind::Submit) if !b.is_empty() => {
                let parsed = std::str::from_utf8(b)
                    .map_err(|_| "the body is not UTF-8".to_owned())
                    .and_then(|t| tasklane_core::json::parse(t).map_err(|e| e.message()));
                match parsed {
                    Ok(v) if v.is_object() => Some(v),
                    Ok(_) => {
                        let e = ProxyError::BadBody("expected an object".into());
                        return error_response(&e, &req.cors);
                    }
                    Err(why) => return error_response(&ProxyError::BadBody(why), &req.cors),
                }
            }
            _ => None,
        };
        if let Err(e) = check_allow(&self.profile, &self.allow, &req.matched, json_body.as_ref()) {
            return error_response(&e, &req.cors);
        }
        // The JavaScript side of the one read (the wasm copy is dropped here).
        let body = body.map(|(_, js)| js);
        self.forward(req, body)
    }

    /// Sends the request on to the vendor and passes its answer back: streamed, or read
    /// whole with vendor URLs rewritten to the proxy when the dialect's answers to this
    /// route carry them (`rewrites_answer`).
    fn forward(self: Rc<Self>, req: Req, body: Option<JsValue>) -> Flow {
        let buffered = rewrites_answer(&self.profile, req.matched.kind);
        let target = concat(&[&self.base_url, &req.rest, &req.url.search()]);
        let out_headers = Object::new();
        for name in FORWARDED_REQUEST_HEADERS {
            if let Some(v) = header(&req.headers, name) {
                js::set(&out_headers, name, &v.into());
            }
        }
        js::set(
            &out_headers,
            "authorization",
            &concat(&["Bearer ", &self.api_key]).into(),
        );
        let init = Object::new();
        js::set(&init, "method", &req.method.as_str().into());
        js::set(&init, "headers", &out_headers);
        if let Some(b) = &body {
            js::set(&init, "body", b);
        }
        // The timeout aborts the fetch; it bounds the wait for the answer's headers, and
        // for a buffered answer its whole body. A streamed body is not cut off (its timer
        // is dropped, so cleared, once the headers are in).
        let controller = AbortController::new()?;
        js::set(&init, "signal", &controller.signal());
        let timer = (self.upstream_timeout > 0).then(|| {
            let c = controller.clone();
            let ms = crate::js::timer_ms(self.upstream_timeout);
            Timeout::new(ms, move || c.abort())
        });
        let fetched = match &self.fetch {
            Some(f) => f.call2(&JsValue::UNDEFINED, &target.as_str().into(), &init),
            None => match crate::js::global_fetch() {
                Some((f, this)) => f.call2(&this, &target.as_str().into(), &init),
                None => Err(JsValue::from_str("no fetch in this runtime")),
            },
        };
        let Ok(fetched) = fetched else {
            return self.failed(&controller, &req.cors);
        };
        then(&fetched, move |answer| {
            let Ok(answer) = answer else {
                return self.failed(&controller, &req.cors);
            };
            if !buffered {
                drop(timer);
                let body = js::get(&answer, "body");
                return answer_response(&req, &answer, body);
            }
            let Ok(read) = js::call_method(&answer, "text", &[]) else {
                return self.failed(&controller, &req.cors);
            };
            then(&read, move |text| {
                // The timer bounds the read too; it is cleared when this ends.
                let _timer = timer;
                let Ok(text) = text else {
                    return self.failed(&controller, &req.cors);
                };
                let text = text.as_string().unwrap_or_default();
                let public_base = concat(&[&req.url.origin(), &req.mount]);
                let body = match tasklane_core::json::parse(&text) {
                    Ok(mut v) => {
                        if rewrite_urls(&mut v, &self.base_url, &public_base) > 0 {
                            v.to_text().into()
                        } else {
                            text.into()
                        }
                    }
                    Err(_) => text.into(),
                };
                answer_response(&req, &answer, body)
            })
        })
    }

    /// The answer when the vendor could not be asked: 504 when the timeout aborted the
    /// fetch, else 502.
    fn failed(&self, controller: &AbortController, cors: &[(&'static str, String)]) -> Flow {
        let refusal = if controller.signal().aborted() {
            ProxyError::UpstreamTimeout {
                ms: self.upstream_timeout,
            }
        } else {
            ProxyError::UpstreamUnreachable
        };
        error_response(&refusal, cors)
    }
}

/// A request on its way through the proxy: what the steps after a wait need.
struct Req {
    request: JsValue,
    env: JsValue,
    ctx: JsValue,
    headers: JsValue,
    url: JsUrl,
    cors: Vec<(&'static str, String)>,
    method: String,
    mount: String,
    rest: String,
    matched: Matched,
}

/// The vendor's answer passed back: its status, the forwarded headers and `body` (none
/// for 204, 304 and HEAD).
fn answer_response(req: &Req, answer: &JsValue, body: JsValue) -> Flow {
    let status = js::get(answer, "status").as_f64().unwrap_or(502.0) as u16;
    let answer_headers = js::get(answer, "headers");
    let mut h: Vec<(&'static str, String)> = req.cors.clone();
    for name in FORWARDED_RESPONSE_HEADERS {
        if let Some(v) = header(&answer_headers, name) {
            h.push((name, v));
        }
    }
    let body = if matches!(status, 204 | 304) || req.method == "HEAD" {
        JsValue::NULL
    } else {
        body
    };
    respond(status, &body, &h)
}

fn json_headers(cors: &[(&'static str, String)]) -> Vec<(&'static str, String)> {
    let mut h = cors.to_vec();
    h.push(("content-type", "application/json".into()));
    h
}

fn respond(
    status: u16,
    body: &JsValue,
    headers: &[(&'static str, String)],
) -> Result<JsValue, JsValue> {
    let init = Object::new();
    js::set(&init, "status", &JsValue::from(status));
    let h = Object::new();
    for (k, v) in headers {
        js::set(&h, k, &v.as_str().into());
    }
    js::set(&init, "headers", &h);
    ProxyResponse::new(body, &init).map(Into::into)
}

fn error_response(e: &ProxyError, cors: &[(&'static str, String)]) -> Result<JsValue, JsValue> {
    let mut h = json_headers(cors);
    match e {
        ProxyError::RateLimited {
            retry_after_s: Some(s),
        } => h.push(("retry-after", decimal(*s))),
        // RFC 9110: a 405 names the methods the resource takes.
        ProxyError::MethodNotAllowed { allow, .. } => h.push(("allow", allow.clone())),
        _ => {}
    }
    respond(e.status(), &e.body().into(), &h)
}

/// Builds an edge-proxy fetch handler `(request, env?, ctx?) => Promise<Response>` for one
/// dialect: it forwards that dialect's routes to `baseUrl` with `Authorization: Bearer
/// <apiKey>` (never the browser's credentials), rewrites vendor URLs in answers to point
/// back at itself, and refuses everything else with a JSON error: 401 when `authorize`
/// says no, 403 for a value outside the `allow` lists or an `Origin` outside
/// `allowOrigins`, 404 for a path that is no route of the dialect, 405 for a wrong method,
/// 413 above `maxBodyBytes`, 429 when `rateLimit` refuses (with `Retry-After` when it
/// says when). A vendor that does not answer within `upstreamTimeoutMs` (default 30 s)
/// gets 504, one that cannot be reached 502. Options: `{provider, baseUrl, apiKey,
/// authorize?, rateLimit?, allow?: {models?, operations?, endpoints?, taskTypes?},
/// allowOrigins?, maxBodyBytes?, upstreamTimeoutMs?, basePath?, fetch?}`; the mount point
/// is found from the path when `basePath` is not given.
#[wasm_bindgen(js_name = createProxyHandler, skip_typescript)]
pub fn create_proxy_handler(options: JsValue) -> Result<Function, JsValue> {
    let proxy = Rc::new(Proxy::parse(&options)?);
    let closure = Closure::<dyn Fn(JsValue, JsValue, JsValue) -> Promise>::new(
        move |request: JsValue, env: JsValue, ctx: JsValue| {
            let p = proxy.clone();
            begin(move || p.handle(request, env, ctx))
        },
    );
    // The handler lives as long as the JavaScript function that holds it.
    Ok(closure.into_js_value().unchecked_into())
}
