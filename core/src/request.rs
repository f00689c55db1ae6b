//! Building the HTTP requests a [`ProviderProfile`] describes (submit, status, result,
//! cancel, events) and reading the submit answer. Missing arguments are reported as
//! `invalid_argument` naming the field; every request to `baseUrl`'s origin carries
//! `Authorization: Bearer <apiKey>` when a key is set and the user's headers (a URL on
//! another origin gets neither), and `Content-Type: application/json` when it has a body.

use crate::config::{ClientConfig, SubmitRequest, TaskRef};
use crate::error::CoreError;
use crate::http::{find_header, HttpRequest};
use crate::json::{Map, Value};
use crate::json_path::{self, scalar_text};
use crate::normalize::{self, NormalizeError};
use crate::profile::{BodyField, ProviderProfile, Route, Source, UrlKind};
use crate::state::{TaskState, TaskUpdate};
use crate::text::{concat, decimal};
use crate::url::{encode, is_absolute_http, on_origin, BaseUrl};

/// A client's request builder: a profile, a base URL and the headers to send.
#[derive(Debug, Clone)]
pub struct Requests {
    /// The dialect.
    pub profile: ProviderProfile,
    base: BaseUrl,
    headers: Vec<(String, String)>,
}

/// `name` is missing: the request needs it (a path placeholder, a required field, a URL).
fn required(name: &str) -> CoreError {
    CoreError::invalid(name, concat(&["`", name, "` is required by this provider"]))
}

/// The values a request's placeholders and body read.
#[derive(Debug, Clone, Default)]
pub struct Args<'a> {
    /// The task (for everything but submit).
    pub task: Option<&'a TaskRef>,
    /// The submit request.
    pub submit: Option<&'a SubmitRequest>,
    /// The idempotency key.
    pub idempotency_key: Option<&'a str>,
    /// The cancel reason.
    pub reason: Option<&'a str>,
    /// Events paging.
    pub limit: Option<u64>,
    /// Events paging.
    pub offset: Option<u64>,
}

impl<'a> Args<'a> {
    fn text(&self, name: &str) -> Option<String> {
        let t = self.task;
        let s = self.submit;
        let pick =
            |a: Option<&String>, b: Option<&String>| a.or(b).filter(|x| !x.is_empty()).cloned();
        match name {
            "id" => t.map(|t| t.id.clone()).filter(|x| !x.is_empty()),
            "model" => pick(
                t.and_then(|t| t.model.as_ref()),
                s.and_then(|s| s.model.as_ref()),
            ),
            "operation" => pick(
                t.and_then(|t| t.operation.as_ref()),
                s.and_then(|s| s.operation.as_ref()),
            ),
            "endpoint" => pick(
                t.and_then(|t| t.endpoint.as_ref()),
                s.and_then(|s| s.endpoint.as_ref()),
            ),
            "taskType" => pick(
                t.and_then(|t| t.task_type.as_ref()),
                s.and_then(|s| s.task_type.as_ref()),
            ),
            "limit" => self.limit.map(decimal),
            "offset" => self.offset.map(decimal),
            _ => None,
        }
    }
}

impl Requests {
    /// Checks the config's provider, base URL and headers.
    pub fn new(cfg: &ClientConfig) -> Result<Requests, CoreError> {
        Requests::with_profile(cfg.provider.resolve()?, cfg)
    }

    /// [`Requests::new`] with the provider already resolved (`cfg.provider` is not read):
    /// an owner of the config moves its profile in rather than copying it.
    pub fn with_profile(
        profile: ProviderProfile,
        cfg: &ClientConfig,
    ) -> Result<Requests, CoreError> {
        let base = BaseUrl::parse(&cfg.base_url)?;
        let mut headers = Vec::new();
        for (k, v) in &cfg.headers {
            let bad_name = k.is_empty() || !k.bytes().all(|b| b.is_ascii_graphic() && b != b':');
            if bad_name || crate::text::has_any(v, b"\r\n") {
                return Err(CoreError::invalid(
                    concat(&["headers.", k]),
                    "is not a valid header",
                ));
            }
            headers.push((k.clone(), v.clone()));
        }
        if let Some(k) = cfg.api_key.as_deref().filter(|k| !k.is_empty()) {
            if crate::text::has_any(k, b"\r\n") {
                return Err(CoreError::invalid("apiKey", "must not contain line breaks"));
            }
            // Header names are case-insensitive: a user's `authorization` replaces the
            // key's rather than going beside it (fetch would join the two into one
            // "Bearer k, Key x" value that no vendor accepts).
            if find_header(&headers, "authorization").is_none() {
                headers.push(("Authorization".to_owned(), concat(&["Bearer ", k])));
            }
        }
        Ok(Requests {
            profile,
            base,
            headers,
        })
    }

    /// The base URL.
    pub fn base(&self) -> &BaseUrl {
        &self.base
    }

    fn placeholder(&self, args: &Args, name: &str) -> Option<String> {
        args.text(name)
            .or_else(|| self.profile.defaults.get(name).cloned())
    }

    /// Renders a path template: placeholders in the path are required (the error names
    /// them); query pairs whose placeholder has no value are left out.
    fn render(&self, template: &str, args: &Args) -> Result<String, CoreError> {
        let (path, query) = match crate::text::cut(template, b'?') {
            Some((p, q)) => (p, Some(q)),
            None => (template, None),
        };
        let mut out = String::new();
        self.render_part(path, args, &mut out, true)?
            .map_or(Ok(()), |missing| Err(required(&missing)))?;
        if let Some(q) = query {
            let mut first = true;
            for pair in crate::text::split(q, b'&') {
                let mut p = String::new();
                if self.render_part(pair, args, &mut p, false)?.is_none() {
                    out.push(if first { '?' } else { '&' });
                    out.push_str(&p);
                    first = false;
                }
            }
        }
        Ok(out)
    }

    /// Appends `part` with placeholders replaced; returns the first missing placeholder.
    fn render_part(
        &self,
        part: &str,
        args: &Args,
        out: &mut String,
        in_path: bool,
    ) -> Result<Option<String>, CoreError> {
        let mut rest = part;
        while let Some((before, after)) = crate::text::cut(rest, b'{') {
            out.push_str(before);
            let (name, tail) = crate::text::cut(after, b'}').ok_or_else(|| {
                CoreError::invalid(
                    "provider",
                    concat(&["unclosed placeholder in path template \"", part, "\""]),
                )
            })?;
            match self.placeholder(args, name) {
                Some(v) => {
                    // The id's `/` is encoded below, so only a whole `.` or `..` could step
                    // out of the route; other values keep theirs, so no segment may.
                    let dots = |seg: &str| seg == ".." || seg == ".";
                    let escapes = if name == "id" {
                        dots(&v)
                    } else {
                        crate::text::split(&v, b'/').any(dots)
                    };
                    if in_path && escapes {
                        return Err(CoreError::invalid(
                            name,
                            "must not contain `.` or `..` path segments",
                        ));
                    }
                    out.push_str(&encode(&v, in_path && name != "id"))
                }
                None => return Ok(Some(name.to_owned())),
            }
            rest = tail;
        }
        out.push_str(rest);
        Ok(None)
    }

    /// Where `route` goes, and whether the key and the user's headers go with it: they do
    /// only to `baseUrl`'s origin. A URL the vendor handed out (or a store kept) on another
    /// origin gives way to the route's path below `baseUrl`; without a path it is used as
    /// it is, but bare, so the key never reaches a host the user did not name.
    fn url_for(&self, route: &Route, args: &Args) -> Result<(String, bool), CoreError> {
        let mut foreign = None;
        if let (Some(kind), Some(t)) = (route.url_from, args.task) {
            let remembered = match kind {
                UrlKind::Status => t.status_url.as_ref(),
                UrlKind::Response => t.response_url.as_ref(),
                UrlKind::Cancel => t.cancel_url.as_ref(),
            };
            if let Some(u) = remembered.filter(|u| is_absolute_http(u)) {
                if on_origin(u, self.base.origin()) {
                    return Ok((u.clone(), true));
                }
                foreign = Some(u);
            }
        }
        if let (Some(u), true) = (foreign, route.path.is_empty()) {
            return Ok((u.clone(), false));
        }
        if route.path.is_empty() {
            let what = match route.url_from {
                Some(UrlKind::Cancel) => "cancelUrl",
                Some(UrlKind::Response) => "responseUrl",
                _ => "statusUrl",
            };
            return Err(required(what));
        }
        Ok((self.base.join(&self.render(&route.path, args)?), true))
    }

    fn request(
        &self,
        route: &Route,
        args: &Args,
        body: Option<Value>,
        timeout_ms: u64,
    ) -> Result<HttpRequest, CoreError> {
        let (url, own) = self.url_for(route, args)?;
        let mut headers = if own {
            self.headers.clone()
        } else {
            Vec::new()
        };
        let body = body.map(|b| b.to_text());
        if body.is_some() && find_header(&headers, "content-type").is_none() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        Ok(HttpRequest {
            method: route.method.clone(),
            url,
            headers,
            body,
            timeout_ms,
        })
    }

    fn body(&self, fields: &[BodyField], args: &Args) -> Result<Map, CoreError> {
        let mut m = Map::new();
        let s = args.submit;
        let input = s.map(|s| &s.input);
        for f in fields {
            let v: Option<Value> = match f.from {
                Source::Input => input.cloned(),
                Source::InputField => input
                    .and_then(|i| i.get(f.field.as_deref().unwrap_or("")))
                    .cloned(),
                Source::InputExcept => input.and_then(Value::as_object).and_then(|o| {
                    // Inserted one by one: `collect` into a map sorts first, which links a
                    // stable sort into the wasm for this one call (issue 7).
                    let mut rest = Map::new();
                    for (k, v) in o {
                        if !f.except.iter().any(|e| e == k) {
                            rest.insert(k.clone(), v.clone());
                        }
                    }
                    (!rest.is_empty()).then_some(Value::Object(rest))
                }),
                Source::Model => args.text("model").map(Value::String),
                Source::Operation => args.text("operation").map(Value::String),
                Source::Endpoint => args.text("endpoint").map(Value::String),
                Source::TaskType => args.text("taskType").map(Value::String),
                Source::Metadata => s.and_then(|s| s.metadata.clone()),
                Source::IdempotencyKey => args.idempotency_key.map(|k| Value::String(k.to_owned())),
                Source::WebhookUrl => s
                    .and_then(|s| s.webhook.as_ref())
                    .map(|w| Value::String(w.url.clone())),
                Source::WebhookAuthToken => s
                    .and_then(|s| s.webhook.as_ref())
                    .and_then(|w| w.auth_token.clone())
                    .map(Value::String),
                Source::Reason => args.reason.map(|r| Value::String(r.to_owned())),
                Source::Const => {
                    let hook = s.is_some_and(|s| s.webhook.is_some());
                    if hook && f.value_with_webhook.is_some() {
                        f.value_with_webhook.clone()
                    } else {
                        f.value.clone()
                    }
                }
            };
            match v {
                None | Some(Value::Null) => {}
                Some(Value::Object(o)) if f.to.is_empty() => m.extend(o),
                Some(_) if f.to.is_empty() => {
                    return Err(CoreError::invalid(
                        "provider",
                        "a body field with `to: \"\"` must come from an object",
                    ))
                }
                Some(v) => json_path::set(&mut m, &f.to, v),
            }
        }
        Ok(m)
    }

    /// The submit request. `idempotency_key` is used when the profile's body has one.
    pub fn submit(
        &self,
        req: &SubmitRequest,
        idempotency_key: Option<&str>,
        timeout_ms: u64,
    ) -> Result<HttpRequest, CoreError> {
        if !req.input.is_object() {
            return Err(CoreError::invalid("input", "must be an object"));
        }
        if let Some(w) = &req.webhook {
            if !is_absolute_http(&w.url) {
                return Err(CoreError::invalid(
                    "webhook.url",
                    "must be an absolute http(s) URL",
                ));
            }
        }
        let args = Args {
            submit: Some(req),
            idempotency_key,
            ..Args::default()
        };
        for name in &self.profile.submit.required {
            if self.placeholder(&args, name).is_none() {
                return Err(required(name));
            }
        }
        let body = self.body(&self.profile.submit.body, &args)?;
        self.request(
            &self.profile.submit.route,
            &args,
            Some(Value::Object(body)),
            timeout_ms,
        )
    }

    /// Checks that a status request can be built for `task` (what `wait` needs).
    pub fn check_task(&self, task: &TaskRef) -> Result<(), CoreError> {
        if task.id.is_empty() {
            return Err(CoreError::invalid("id", "must not be empty"));
        }
        self.status(task, 1).map(|_| ())
    }

    /// Checks that the status and result requests of the task `req` would create can be
    /// built, as far as they do not wait for a URL the submit answer will hand out (a route
    /// without a path): its id stands in as `x`, its model and the like come from `req`.
    pub fn check_followable(&self, req: &SubmitRequest) -> Result<(), CoreError> {
        let task = TaskRef::new("x");
        let args = Args {
            task: Some(&task),
            submit: Some(req),
            ..Args::default()
        };
        let p = &self.profile;
        for route in [
            &p.status.route,
            p.result.as_ref().map_or(&p.status.route, |r| &r.route),
        ] {
            if !route.path.is_empty() || route.url_from.is_none() {
                self.url_for(route, &args)?;
            }
        }
        Ok(())
    }

    /// The status request.
    pub fn status(&self, task: &TaskRef, timeout_ms: u64) -> Result<HttpRequest, CoreError> {
        let args = Args {
            task: Some(task),
            ..Args::default()
        };
        self.request(&self.profile.status.route, &args, None, timeout_ms)
    }

    /// The result request, for dialects that fetch results separately.
    pub fn result(
        &self,
        task: &TaskRef,
        timeout_ms: u64,
    ) -> Option<Result<HttpRequest, CoreError>> {
        let spec = self.profile.result.as_ref()?;
        let args = Args {
            task: Some(task),
            ..Args::default()
        };
        Some(self.request(&spec.route, &args, None, timeout_ms))
    }

    /// The cancel request; `unsupported` when the dialect cannot cancel (or, for queue,
    /// when no `cancel_url` is known).
    pub fn cancel(
        &self,
        task: &TaskRef,
        reason: Option<&str>,
        timeout_ms: u64,
    ) -> Result<HttpRequest, CoreError> {
        let spec = self.profile.cancel.as_ref().ok_or_else(|| {
            CoreError::Unsupported(concat(&[&self.profile.name, " cannot cancel tasks"]))
        })?;
        let args = Args {
            task: Some(task),
            reason,
            ..Args::default()
        };
        let body = if spec.body.is_empty() {
            None
        } else {
            Some(Value::Object(self.body(&spec.body, &args)?))
        };
        self.request(&spec.route, &args, body, timeout_ms)
            .map_err(|e| match e {
                CoreError::InvalidArgument { ref field, .. } if field == "cancelUrl" => {
                    CoreError::Unsupported(concat(&[
                        &self.profile.name,
                        ": this task has no cancel URL",
                    ]))
                }
                other => other,
            })
    }

    /// The events request; `unsupported` when the dialect has no events.
    pub fn events(
        &self,
        task: &TaskRef,
        limit: Option<u64>,
        offset: Option<u64>,
        timeout_ms: u64,
    ) -> Result<HttpRequest, CoreError> {
        let spec = self.profile.events.as_ref().ok_or_else(|| {
            CoreError::Unsupported(concat(&[&self.profile.name, " has no task events"]))
        })?;
        let args = Args {
            task: Some(task),
            limit,
            offset,
            ..Args::default()
        };
        self.request(&spec.route, &args, None, timeout_ms)
    }

    /// Reads a submit answer: the task (state from the answer's status if it has one,
    /// else `queued`) and the task reference to follow it with (remembered URLs included).
    pub fn parse_submit(
        &self,
        req: &SubmitRequest,
        body: &str,
        now: u64,
    ) -> Result<(TaskUpdate, TaskRef), NormalizeError> {
        let raw = normalize::parse_json(body)?;
        self.read_submit(req, &raw, body.to_owned(), now)
    }

    /// [`Requests::parse_submit`] of a body already parsed (`raw`, from `body`), which
    /// the update keeps as its `raw` text.
    pub(crate) fn read_submit(
        &self,
        req: &SubmitRequest,
        raw: &Value,
        body: String,
        now: u64,
    ) -> Result<(TaskUpdate, TaskRef), NormalizeError> {
        let spec = &self.profile.submit;
        let id = json_path::get(raw, &spec.id_path)
            .and_then(scalar_text)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| NormalizeError::NoId(spec.id_path.clone()))?;
        let url = |k: UrlKind| {
            spec.urls
                .get(&k)
                .and_then(|p| json_path::get(raw, p))
                .and_then(Value::as_str)
                .filter(|u| is_absolute_http(u))
                .map(str::to_owned)
        };
        let task = TaskRef {
            id: id.clone(),
            model: req.model.clone(),
            operation: req
                .operation
                .clone()
                .or_else(|| self.profile.defaults.get("operation").cloned()),
            endpoint: req.endpoint.clone(),
            task_type: req.task_type.clone(),
            status_url: url(UrlKind::Status),
            response_url: url(UrlKind::Response),
            cancel_url: url(UrlKind::Cancel),
            submitted_at: Some(now),
        };
        // The answer may already carry a status (mirako, mindproxy, queue); a live one is
        // taken as is, anything else (absent, unknown, even terminal) reads as `queued`.
        let mut update = match normalize::status_fields(&self.profile, raw, Some(&id)) {
            Ok(u) if !u.state.is_terminal() => u,
            _ => TaskUpdate::new(id.clone(), TaskState::Queued, ""),
        };
        update.id = id;
        update.raw = crate::json::RawJson::parsed_text(body);
        Ok((update, task))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookTarget;
    use crate::json;

    fn rq(provider: &str, base: &str) -> Requests {
        let mut c = ClientConfig::new(provider, base);
        c.api_key = Some("sim-key".into());
        c.headers.insert("x-extra".into(), "1".into());
        Requests::new(&c).expect("valid config")
    }

    fn body(r: &HttpRequest) -> Value {
        crate::json::parse(r.body.as_deref().expect("has a body")).expect("json body")
    }

    #[test]
    fn mirako_submit_and_status() {
        let r = rq("mirako", "http://127.0.0.1:8787/mirako");
        let mut s = SubmitRequest::new(json!({"prompt": "p"}));
        s.webhook = Some(WebhookTarget {
            url: "https://app/hook".into(),
            auth_token: Some("tok".into()),
        });
        let h = r.submit(&s, None, 1000).expect("valid");
        assert_eq!(h.method, "POST");
        assert_eq!(
            h.url,
            "http://127.0.0.1:8787/mirako/v1/avatar/async_generate"
        );
        assert_eq!(h.header("authorization"), Some("Bearer sim-key"));
        assert_eq!(h.header("content-type"), Some("application/json"));
        assert_eq!(h.header("x-extra"), Some("1"));
        assert_eq!(
            body(&h),
            json!({"prompt": "p", "webhook": {"url": "https://app/hook", "auth_token": "tok"}})
        );
        let (u, t) = r
            .parse_submit(
                &s,
                r#"{"data":{"task_id":"xdac2o3c","status":"IN_QUEUE"}}"#,
                5,
            )
            .expect("valid");
        assert_eq!(
            (u.id.as_str(), u.state, u.raw_status.as_str()),
            ("xdac2o3c", TaskState::Queued, "IN_QUEUE")
        );
        let st = r.status(&t, 10).expect("valid");
        assert_eq!(
            st.url,
            "http://127.0.0.1:8787/mirako/v1/avatar/async_generate/xdac2o3c/status"
        );
        assert_eq!(st.body, None);
        assert_eq!(st.header("content-type"), None);
        let mut other = TaskRef::new("a/b c");
        other.operation = Some("voice/clone".into());
        assert_eq!(
            r.status(&other, 1).expect("valid").url,
            "http://127.0.0.1:8787/mirako/v1/voice/clone/a%2Fb%20c/status"
        );
        assert_eq!(
            r.cancel(&other, None, 1)
                .expect_err("no cancel")
                .code()
                .as_str(),
            "unsupported"
        );
        assert_eq!(
            r.events(&other, None, None, 1)
                .expect_err("no events")
                .code()
                .as_str(),
            "unsupported"
        );
    }

    #[test]
    fn apixo_submit_modes() {
        let r = rq("apixo", "http://127.0.0.1:8787/apixo/");
        let mut s = SubmitRequest::new(json!({"prompt": "p", "mode": "text-to-image"}));
        s.model = Some("flux".into());
        let h = r.submit(&s, None, 1000).expect("valid");
        assert_eq!(
            h.url,
            "http://127.0.0.1:8787/apixo/api/v1/generateTask/flux"
        );
        assert_eq!(
            body(&h),
            json!({"request_type": "async", "input": {"prompt": "p", "mode": "text-to-image"}})
        );
        s.webhook = Some(WebhookTarget {
            url: "https://app/cb".into(),
            auth_token: None,
        });
        assert_eq!(
            body(&r.submit(&s, None, 1000).expect("valid")),
            json!({"request_type": "callback", "callback_url": "https://app/cb", "input": {"prompt": "p", "mode": "text-to-image"}})
        );
        let (u, t) = r
            .parse_submit(
                &s,
                r#"{"code":200,"message":"success","data":{"taskId":"task_abc"}}"#,
                0,
            )
            .expect("valid");
        assert_eq!((u.state, u.raw_status.as_str()), (TaskState::Queued, ""));
        assert_eq!(
            r.status(&t, 1).expect("valid").url,
            "http://127.0.0.1:8787/apixo/api/v1/statusTask/flux?taskId=task_abc"
        );
        let e = r.status(&TaskRef::new("x"), 1).expect_err("model needed");
        assert!(
            matches!(e, CoreError::InvalidArgument { ref field, .. } if field == "model"),
            "{e}"
        );
        s.model = None;
        assert!(
            matches!(r.submit(&s, None, 1), Err(CoreError::InvalidArgument { field, .. }) if field == "model")
        );
    }

    #[test]
    fn mindproxy_submit_cancel_events() {
        let r = rq("mindproxy", "http://127.0.0.1:8787/mindproxy");
        let mut s = SubmitRequest::new(
            json!({"prompt": "city", "ref_image": "https://x/r.png", "_sim": {"run_ms": 5}}),
        );
        s.model = Some("flux-1-dev".into());
        s.metadata = Some(json!({"user": 1}));
        assert!(
            matches!(r.submit(&s, Some("k"), 1), Err(CoreError::InvalidArgument { field, .. }) if field == "taskType")
        );
        s.task_type = Some("async_image".into());
        let h = r.submit(&s, Some("key-1"), 1000).expect("valid");
        assert_eq!(h.url, "http://127.0.0.1:8787/mindproxy/v1/tasks");
        assert_eq!(
            body(&h),
            json!({"task_type": "async_image", "public_model": "flux-1-dev", "prompt": "city", "idempotency_key": "key-1",
                   "input_assets_json": {"ref_image": "https://x/r.png", "_sim": {"run_ms": 5}}, "metadata_json": {"user": 1}})
        );
        let only_prompt = SubmitRequest {
            input: json!({"prompt": "x"}),
            ..s.clone()
        };
        assert!(body(&r.submit(&only_prompt, Some("k"), 1).expect("valid"))
            .get("input_assets_json")
            .is_none());
        let t = TaskRef::new("f47");
        let c = r.cancel(&t, Some("user cancelled"), 1).expect("can cancel");
        assert_eq!(
            (c.method.as_str(), c.url.as_str()),
            (
                "POST",
                "http://127.0.0.1:8787/mindproxy/v1/tasks/f47/cancel"
            )
        );
        assert_eq!(body(&c), json!({"reason": "user cancelled"}));
        assert_eq!(
            r.events(&t, Some(50), Some(0), 1).expect("ok").url,
            "http://127.0.0.1:8787/mindproxy/v1/tasks/f47/events?limit=50&offset=0"
        );
        assert_eq!(
            r.events(&t, None, Some(5), 1).expect("ok").url,
            "http://127.0.0.1:8787/mindproxy/v1/tasks/f47/events?offset=5"
        );
        assert_eq!(
            r.events(&t, None, None, 1).expect("ok").url,
            "http://127.0.0.1:8787/mindproxy/v1/tasks/f47/events"
        );
    }

    #[test]
    fn queue_remembers_urls() {
        let r = rq("queue", "http://127.0.0.1:8787/queue");
        let mut s = SubmitRequest::new(json!({"prompt": "p"}));
        s.endpoint = Some("fal-ai/flux/dev".into());
        let h = r.submit(&s, None, 1000).expect("valid");
        assert_eq!(
            h.url,
            "http://127.0.0.1:8787/queue/v1/queue/fal-ai/flux/dev"
        );
        assert_eq!(body(&h), json!({"prompt": "p"}));
        let (_, t) = r
            .parse_submit(&s, r#"{"request_id":"r1","status_url":"http://127.0.0.1:8787/s","response_url":"http://127.0.0.1:8787/r","cancel_url":"http://127.0.0.1:8787/c"}"#, 0)
            .expect("valid");
        assert_eq!(r.status(&t, 1).expect("ok").url, "http://127.0.0.1:8787/s");
        assert_eq!(
            r.result(&t, 1).expect("has result").expect("ok").url,
            "http://127.0.0.1:8787/r"
        );
        let c = r.cancel(&t, None, 1).expect("ok");
        assert_eq!(
            (c.method.as_str(), c.url.as_str(), c.body.as_deref()),
            ("PUT", "http://127.0.0.1:8787/c", None)
        );
        let mut bare = TaskRef::new("r2");
        bare.endpoint = Some("a/b".into());
        assert_eq!(
            r.status(&bare, 1).expect("ok").url,
            "http://127.0.0.1:8787/queue/v1/queue/a/b/requests/r2/status"
        );
        assert_eq!(
            r.cancel(&bare, None, 1)
                .expect_err("no url")
                .code()
                .as_str(),
            "unsupported"
        );
        let e = r
            .status(&TaskRef::new("r3"), 1)
            .expect_err("endpoint needed");
        assert!(matches!(e, CoreError::InvalidArgument { ref field, .. } if field == "endpoint"));
        bare.endpoint = Some("a/../admin".into());
        assert!(r.status(&bare, 1).is_err());
    }

    #[test]
    fn the_key_stays_on_the_base_origin() {
        let r = rq("queue", "https://api.vendor.test/q");
        let mut s = SubmitRequest::new(json!({"prompt": "p"}));
        s.endpoint = Some("fal-ai/flux".into());
        // Same origin (any case): the vendor's URLs are used, with the key.
        let (_, t) = r
            .parse_submit(
                &s,
                r#"{"request_id":"r1","status_url":"HTTPS://API.vendor.test/q/s/r1"}"#,
                0,
            )
            .expect("valid");
        let st = r.status(&t, 1).expect("ok");
        assert_eq!(st.url, "HTTPS://API.vendor.test/q/s/r1");
        assert_eq!(st.header("authorization"), Some("Bearer sim-key"));
        // Another origin (or scheme): the path below baseUrl, with the key; a route that
        // has no path (queue's cancel) goes to the URL bare.
        let (_, t) = r
            .parse_submit(&s, r#"{"request_id":"r1","status_url":"https://evil.test/s","response_url":"http://api.vendor.test/r","cancel_url":"https://evil.test/c"}"#, 0)
            .expect("valid");
        let st = r.status(&t, 1).expect("ok");
        assert_eq!(
            st.url,
            "https://api.vendor.test/q/v1/queue/fal-ai/flux/requests/r1/status"
        );
        assert_eq!(st.header("authorization"), Some("Bearer sim-key"));
        let res = r.result(&t, 1).expect("has result").expect("ok");
        assert_eq!(
            res.url,
            "https://api.vendor.test/q/v1/queue/fal-ai/flux/requests/r1"
        );
        let c = r.cancel(&t, None, 1).expect("ok");
        assert_eq!(c.url, "https://evil.test/c");
        assert_eq!(
            (c.header("authorization"), c.header("x-extra")),
            (None, None)
        );
    }

    #[test]
    fn a_user_header_replaces_ours_whatever_its_case() {
        let mut c = ClientConfig::new("apixo", "http://x");
        c.api_key = Some("k".into());
        c.headers.insert("authorization".into(), "Key other".into());
        c.headers.insert(
            "content-type".into(),
            "application/json; charset=utf-8".into(),
        );
        let r = Requests::new(&c).expect("valid config");
        let mut s = SubmitRequest::new(json!({"prompt": "p"}));
        s.model = Some("m".into());
        let h = r.submit(&s, None, 1).expect("valid");
        let named = |n: &str| {
            h.headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(named("authorization"), ["Key other"]);
        assert_eq!(named("content-type"), ["application/json; charset=utf-8"]);
    }

    #[test]
    fn bad_arguments_are_named() {
        let e = Requests::new(&ClientConfig::new("nope", "http://x")).expect_err("unknown");
        assert!(matches!(e, CoreError::InvalidArgument { ref field, .. } if field == "provider"));
        let e = Requests::new(&ClientConfig::new("queue", "x.com")).expect_err("relative");
        assert!(matches!(e, CoreError::InvalidArgument { ref field, .. } if field == "baseUrl"));
        let r = rq("queue", "http://x");
        let mut s = SubmitRequest::new(json!("text"));
        s.endpoint = Some("e".into());
        assert!(
            matches!(r.submit(&s, None, 1), Err(CoreError::InvalidArgument { field, .. }) if field == "input")
        );
        s.input = json!({});
        s.webhook = Some(WebhookTarget {
            url: "nope".into(),
            auth_token: None,
        });
        assert!(
            matches!(r.submit(&s, None, 1), Err(CoreError::InvalidArgument { field, .. }) if field == "webhook.url")
        );
        // An id of `.` or `..` would step out of the route (the URL parser resolves it);
        // one holding `/` is encoded, so `a/../b` stays one segment.
        let r = rq("mindproxy", "http://x");
        for id in [".", ".."] {
            assert!(
                matches!(r.status(&TaskRef::new(id), 1), Err(CoreError::InvalidArgument { ref field, .. }) if field == "id"),
                "{id}"
            );
        }
        assert_eq!(
            r.status(&TaskRef::new("a/../b"), 1).expect("encoded").url,
            "http://x/v1/tasks/a%2F..%2Fb"
        );
    }
}
