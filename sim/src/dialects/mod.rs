//! The four dialects and the request pipeline they share: route matching, Bearer auth,
//! body reading under the cap, `_sim` parsing, fault injection before and after the work,
//! task creation with idempotency dedupe, and per-task request logging. Each dialect's
//! own file holds only its paths and body shapes.

pub mod apixo;
pub mod mindproxy;
pub mod mirako;
pub mod queue;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::{HeaderMap, Method, Request};
use serde_json::{json, Value};

use crate::faults::{Fault, FaultKind, Route};
use crate::http::{read_body, Payload, Reply};
use crate::sim_control::SimControl;
use crate::state::{AppState, NewTask};
use crate::task::{Phase, Task};
use crate::time::{http_date, now_ms};
use crate::webhooks::WebhookTarget;

/// One of the four built-in dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// mirako (`/mirako`).
    Mirako,
    /// apixo (`/apixo`).
    Apixo,
    /// mindproxy (`/mindproxy`).
    Mindproxy,
    /// queue (`/queue`).
    Queue,
}

impl Dialect {
    /// All four, in the order of API.md.
    pub const ALL: [Dialect; 4] = [
        Dialect::Mirako,
        Dialect::Apixo,
        Dialect::Mindproxy,
        Dialect::Queue,
    ];

    /// Parses a dialect name.
    pub fn parse(s: &str) -> Option<Dialect> {
        Dialect::ALL.into_iter().find(|d| d.name() == s)
    }

    /// The dialect's name (also its path prefix without the slash).
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Mirako => "mirako",
            Dialect::Apixo => "apixo",
            Dialect::Mindproxy => "mindproxy",
            Dialect::Queue => "queue",
        }
    }

    /// This dialect's error body.
    pub fn error_body(self, status: u16, code: &str, message: &str) -> Value {
        match self {
            Dialect::Mirako => mirako::error_body(status, code, message),
            Dialect::Apixo => apixo::error_body(status, code, message),
            Dialect::Mindproxy => mindproxy::error_body(status, code, message),
            Dialect::Queue => queue::error_body(status, code, message),
        }
    }

    /// An error reply in this dialect's shape.
    pub fn error(self, status: u16, code: &str, message: &str) -> Reply {
        Reply::json(status, self.error_body(status, code, message))
    }

    /// The status body of `task` in `phase`.
    pub fn status_body(self, task: &Task, phase: Phase) -> Value {
        match self {
            Dialect::Mirako => mirako::status_body(task, phase),
            Dialect::Apixo => apixo::status_body(task, phase),
            Dialect::Mindproxy => mindproxy::status_body(task, phase),
            Dialect::Queue => queue::status_body(task, phase),
        }
    }

    /// The webhook body of `task` in `phase` (the status body; queue adds `payload`).
    pub fn webhook_body(self, task: &Task, phase: Phase) -> Value {
        match self {
            Dialect::Queue => queue::webhook_body(task, phase),
            d => d.status_body(task, phase),
        }
    }

    fn route(self, method: &Method, rest: &str, query: &str) -> Result<Op, RouteError> {
        match self {
            Dialect::Mirako => mirako::route(method, rest),
            Dialect::Apixo => apixo::route(method, rest, query),
            Dialect::Mindproxy => mindproxy::route(method, rest),
            Dialect::Queue => queue::route(method, rest),
        }
    }

    fn parse_submit(self, model: &str, body: &Value) -> Result<Parsed, String> {
        match self {
            Dialect::Mirako => mirako::parse_submit(model, body),
            Dialect::Apixo => apixo::parse_submit(model, body),
            Dialect::Mindproxy => mindproxy::parse_submit(model, body),
            Dialect::Queue => queue::parse_submit(model, body),
        }
    }

    fn submit_reply(self, task: &Task, phase: Phase) -> Reply {
        match self {
            Dialect::Mirako => mirako::submit_reply(task, phase),
            Dialect::Apixo => apixo::submit_reply(task, phase),
            Dialect::Mindproxy => mindproxy::submit_reply(task, phase),
            Dialect::Queue => queue::submit_reply(task, phase),
        }
    }

    fn set_unknown_status(self, v: &mut Value) {
        match self {
            Dialect::Mirako => mirako::set_unknown_status(v),
            Dialect::Apixo => apixo::set_unknown_status(v),
            Dialect::Mindproxy => mindproxy::set_unknown_status(v),
            Dialect::Queue => queue::set_unknown_status(v),
        }
    }
}

/// What a dialect request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Create a task of this model / operation / endpoint.
    Submit {
        /// The model, operation or endpoint from the path (empty for mindproxy).
        model: String,
    },
    /// Read a task's status.
    Status {
        /// The task id.
        id: String,
    },
    /// Read a task's result (queue).
    Result {
        /// The task id.
        id: String,
    },
    /// Cancel a task.
    Cancel {
        /// The task id.
        id: String,
    },
    /// Read a task's events (mindproxy).
    Events {
        /// The task id.
        id: String,
    },
}

/// Why a path did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No such route.
    NotFound,
    /// The route exists for another method (the `Allow` value).
    MethodNotAllowed(&'static str),
    /// The route matched but a parameter is missing or bad.
    BadRequest(String),
}

/// A submit body as a dialect reads it.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Model / operation / endpoint.
    pub model: String,
    /// mindproxy `task_type`.
    pub task_type: Option<String>,
    /// The body's idempotency key.
    pub idempotency_key: Option<String>,
    /// Webhook targets from documented fields.
    pub webhooks: Vec<WebhookTarget>,
    /// The raw `_sim` value.
    pub sim: Option<Value>,
    /// The input without `_sim`.
    pub input: Value,
}

/// Whether `headers` carry `Authorization: Bearer <key>`.
pub fn authorized(headers: &HeaderMap, key: &str) -> bool {
    let Some(v) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut parts = v.trim().splitn(2, ' ');
    let scheme = parts.next().unwrap_or_default();
    let token = parts.next().unwrap_or_default().trim();
    scheme.eq_ignore_ascii_case("bearer") && token.as_bytes() == key.as_bytes()
}

/// Handles one request below a dialect's prefix; `rest` is the path after the prefix.
pub async fn handle(
    state: &Arc<AppState>,
    dialect: Dialect,
    req: Request<Incoming>,
    rest: &str,
    host: String,
) -> Reply {
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or("").to_string();
    let op = match dialect.route(&method, rest, &query) {
        Ok(op) => op,
        Err(RouteError::NotFound) => {
            return dialect.error(
                404,
                "not_found",
                &format!("no {} route {} {rest}", dialect.name(), method),
            )
        }
        Err(RouteError::MethodNotAllowed(allow)) => {
            return dialect
                .error(
                    405,
                    "method_not_allowed",
                    &format!("{method} is not allowed here; use {allow}"),
                )
                .with_header("allow", format!("{allow}, OPTIONS"))
        }
        Err(RouteError::BadRequest(m)) => return dialect.error(400, "invalid_request", &m),
    };
    let (api_key, max_body) = {
        let s = state.lock();
        (s.api_key.clone(), s.base.max_body_bytes)
    };
    if !authorized(req.headers(), &api_key) {
        return dialect
            .error(
                401,
                "unauthorized",
                "missing or wrong Authorization: Bearer <api key>",
            )
            .with_header("www-authenticate", "Bearer");
    }
    let header_key = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|k| !k.is_empty())
        .map(String::from);
    // A client that names itself (`x-sim-client`, e.g. one of several clients of a chaos
    // run) is recorded with each request it makes, so a test can tell its requests apart.
    let client = req
        .headers()
        .get("x-sim-client")
        .and_then(|v| v.to_str().ok())
        .filter(|c| !c.is_empty() && c.len() <= 64)
        .map(String::from);
    let declared = req
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = match read_body(req.into_body(), declared, max_body).await {
        Ok(b) => b,
        Err(e) => return dialect.error(e.status(), e.code(), &e.to_string()),
    };
    match op {
        Op::Submit { model } => {
            submit(state, dialect, &model, body, header_key, host, client).await
        }
        Op::Status { id } => task_op(state, dialect, Route::Status, id, body, &query, client).await,
        Op::Result { id } => task_op(state, dialect, Route::Result, id, body, &query, client).await,
        Op::Cancel { id } => task_op(state, dialect, Route::Cancel, id, body, &query, client).await,
        Op::Events { id } => task_op(state, dialect, Route::Events, id, body, &query, client).await,
    }
}

/// Parses a JSON body, naming what was wrong.
fn parse_json(body: &Bytes) -> Result<Value, String> {
    if body.is_empty() {
        return Err("a JSON body is required".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("malformed JSON body: {e}"))
}

/// An error reply in `dialect`'s shape, or `{error:{code,message}}` outside the dialects.
fn error_in(dialect: Option<Dialect>, status: u16, code: &str, message: &str) -> Reply {
    match dialect {
        Some(d) => d.error(status, code, message),
        None => Reply::json(status, json!({"error": {"code": code, "message": message}})),
    }
}

/// The reply of a fault that answers instead of the work (429, 5xx), if `f` is one.
pub(crate) fn pre_fault(dialect: Option<Dialect>, f: Fault, now: u64) -> Option<Reply> {
    match f.kind {
        FaultKind::Status(429) => Some(
            error_in(
                dialect,
                429,
                "rate_limited",
                "too many requests (simulated)",
            )
            .with_header("retry-after", f.retry_after_s.to_string()),
        ),
        FaultKind::TooManyDate => {
            // An HTTP-date has whole seconds: round up so the wait is never shorter.
            let at = (now + f.retry_after_s * 1000).div_ceil(1000) * 1000;
            Some(
                error_in(
                    dialect,
                    429,
                    "rate_limited",
                    "too many requests (simulated)",
                )
                .with_header("retry-after", http_date(at)),
            )
        }
        FaultKind::Status(s) => Some(error_in(
            dialect,
            s,
            "server_error",
            &format!("simulated {s}"),
        )),
        _ => None,
    }
}

/// Rewrites a reply for a fault that strikes after the work.
pub(crate) fn post_fault(dialect: Option<Dialect>, f: Option<Fault>, mut reply: Reply) -> Reply {
    let Some(f) = f else { return reply };
    match f.kind {
        FaultKind::Reset => {
            let b = reply.body_bytes();
            reply.payload = Payload::Reset(b.slice(..b.len() / 2));
            reply
        }
        FaultKind::Truncated => {
            let b = reply.body_bytes();
            Reply::bytes(200, "application/json", b.slice(..b.len() / 2))
        }
        FaultKind::NonJson => Reply::bytes(
            200,
            "text/html; charset=utf-8",
            Bytes::from_static(
                b"<html><body><h1>502 Bad Gateway</h1><p>simulated non-JSON answer</p></body></html>",
            ),
        ),
        FaultKind::UnknownStatus => {
            if let (Some(d), Payload::Json(v)) = (dialect, &mut reply.payload) {
                d.set_unknown_status(v);
            }
            reply
        }
        FaultKind::Drop => {
            reply.payload = Payload::Drop;
            reply
        }
        _ => reply,
    }
}

fn logged_status(r: &Reply) -> u16 {
    match r.payload {
        Payload::Drop => 0,
        _ => r.status,
    }
}

async fn submit(
    state: &Arc<AppState>,
    dialect: Dialect,
    model: &str,
    body: Bytes,
    header_key: Option<String>,
    host: String,
    client: Option<String>,
) -> Reply {
    let value = match parse_json(&body) {
        Ok(v) => v,
        Err(m) => return dialect.error(400, "invalid_json", &m),
    };
    let parsed = match dialect.parse_submit(model, &value) {
        Ok(p) => p,
        Err(m) => return dialect.error(400, "invalid_request", &m),
    };
    let control = match SimControl::parse(parsed.sim.as_ref()) {
        Ok(c) => c,
        Err(m) => return dialect.error(400, "invalid_sim", &m),
    };
    // The vendors' own webhook fields are taken as given (a refused target shows in the
    // stats), but `_sim.webhook_url` is the simulator's control: one it would never deliver
    // to is a bad value, refused here rather than a webhook that silently never comes.
    if let Some(url) = &control.webhook_url {
        let allow_remote = state.lock().base.allow_remote_webhooks;
        if let Err(m) = crate::webhooks::check_target(url, allow_remote) {
            return dialect.error(400, "invalid_sim", &format!("_sim.webhook_url: {m}"));
        }
    }
    let fault = state.lock().fault_for_submit(dialect, &control);
    if let Some(f) = fault {
        if let Some(r) = pre_fault(Some(dialect), f, now_ms()) {
            state.lock().faults_injected += 1;
            return r;
        }
        if f.kind == FaultKind::Slow {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        }
    }
    let now = now_ms();
    let new = NewTask {
        dialect,
        model: parsed.model,
        task_type: parsed.task_type,
        idempotency_key: parsed.idempotency_key.or(header_key),
        webhooks: parsed.webhooks,
        control,
        host,
        input: parsed.input,
    };
    let (id, reply, schedule) = {
        let mut s = state.lock();
        let (id, dup) = s.create_or_dedupe(new, now);
        let Some(task) = s.tasks.get(&id) else {
            return dialect.error(500, "server_error", "task vanished");
        };
        // A new task is always reported queued, as the vendors do at submit (a zero-length
        // queue phase ends right after); a deduplicated submit reports where the task is.
        let phase = if dup {
            task.phase(now)
        } else {
            Phase::Queued {
                position: task.queue_ms.saturating_sub(1) / 250,
                early: true,
            }
        };
        let reply = dialect.submit_reply(task, phase);
        (id, reply, !dup && !task.webhooks.is_empty())
    };
    if schedule {
        crate::webhooks::schedule(state.clone(), id.clone());
    }
    let reply = post_fault(Some(dialect), fault, reply);
    let mut s = state.lock();
    if fault.is_some() {
        s.faults_injected += 1;
    }
    s.log_request(
        &id,
        now,
        Route::Submit,
        logged_status(&reply),
        fault.map(|f| f.kind.name()),
        client,
    );
    reply
}

async fn task_op(
    state: &Arc<AppState>,
    dialect: Dialect,
    route: Route,
    id: String,
    body: Bytes,
    query: &str,
    client: Option<String>,
) -> Reply {
    let t0 = now_ms();
    let fault = {
        let mut s = state.lock();
        if s.tasks.get(&id).map(|t| t.dialect) != Some(dialect) {
            let what = if dialect == Dialect::Queue {
                "Request"
            } else {
                "Task"
            };
            return dialect.error(404, "not_found", &format!("{what} {id} not found"));
        }
        s.fault_for_task(&id, route)
    };
    if let Some(f) = fault {
        if let Some(r) = pre_fault(Some(dialect), f, t0) {
            let mut s = state.lock();
            s.faults_injected += 1;
            s.log_request(&id, t0, route, r.status, Some(f.kind.name()), client);
            return r;
        }
        if f.kind == FaultKind::Slow {
            tokio::time::sleep(Duration::from_millis(f.delay_ms)).await;
        }
    }
    // A cancel body (mindproxy `{reason}`) is optional but must be JSON when present.
    let reason = if route == Route::Cancel && !body.iter().all(u8::is_ascii_whitespace) {
        match parse_json(&body) {
            Ok(Value::Object(o)) => match o.get("reason") {
                None | Some(Value::Null) => None,
                Some(Value::String(r)) => Some(r.clone()),
                Some(_) => return dialect.error(400, "invalid_request", "reason must be a string"),
            },
            Ok(_) => {
                return dialect.error(400, "invalid_request", "the body must be a JSON object")
            }
            Err(m) => return dialect.error(400, "invalid_json", &m),
        }
    } else {
        None
    };
    let now = now_ms();
    let mut s = state.lock();
    let Some(task) = s.tasks.get_mut(&id) else {
        // Reset while this request slept.
        return dialect.error(404, "not_found", &format!("{id} not found"));
    };
    let phase = task.phase(now);
    let reply = match route {
        Route::Status => Reply::json(200, dialect.status_body(task, phase)),
        Route::Result => queue::result_reply(task, now),
        Route::Events => match mindproxy::events_reply(task, now, query) {
            Ok(r) => r,
            Err(m) => dialect.error(400, "invalid_request", &m),
        },
        Route::Cancel => cancel(dialect, task, phase, now, reason),
        Route::Submit | Route::Files => dialect.error(404, "not_found", "no such route"),
    };
    let reply = post_fault(Some(dialect), fault, reply);
    if fault.is_some() {
        s.faults_injected += 1;
    }
    s.log_request(
        &id,
        now,
        route,
        logged_status(&reply),
        fault.map(|f| f.kind.name()),
        client,
    );
    reply
}

fn cancel(
    dialect: Dialect,
    task: &mut Task,
    phase: Phase,
    now: u64,
    reason: Option<String>,
) -> Reply {
    if phase.is_terminal() {
        return match dialect {
            Dialect::Queue => Reply::json(400, json!({"status": "ALREADY_COMPLETED"})),
            _ => {
                let mut body = dialect.error_body(
                    409,
                    "task_terminal",
                    "the task already reached a terminal state and cannot be cancelled",
                );
                body["status"] = dialect.status_body(task, phase)["status"].clone();
                Reply::json(409, body)
            }
        };
    }
    task.canceled_at = Some(now);
    task.cancel_reason = reason;
    task.ended.notify_one();
    match dialect {
        Dialect::Queue => Reply::json(202, json!({"status": "CANCELLATION_REQUESTED"})),
        _ => Reply::json(200, dialect.status_body(task, task.phase(now))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_documented_paths() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            mirako::route(&post, "/v1/avatar/async_generate"),
            Ok(Op::Submit {
                model: "avatar/async_generate".into()
            })
        );
        assert_eq!(
            mirako::route(&get, "/v1/avatar/async_generate/abc/status"),
            Ok(Op::Status { id: "abc".into() })
        );
        assert_eq!(
            apixo::route(&get, "/api/v1/statusTask/m", "taskId=x"),
            Ok(Op::Status { id: "x".into() })
        );
        assert!(matches!(
            apixo::route(&get, "/api/v1/statusTask/m", ""),
            Err(RouteError::BadRequest(_))
        ));
        assert_eq!(
            mindproxy::route(&post, "/v1/tasks/x/cancel"),
            Ok(Op::Cancel { id: "x".into() })
        );
        assert_eq!(
            mindproxy::route(&get, "/v1/tasks/x/events"),
            Ok(Op::Events { id: "x".into() })
        );
        assert_eq!(
            mindproxy::route(&get, "/v1/tasks"),
            Err(RouteError::MethodNotAllowed("POST"))
        );
        assert_eq!(
            queue::route(&post, "/v1/queue/fal-ai/flux/dev"),
            Ok(Op::Submit {
                model: "fal-ai/flux/dev".into()
            })
        );
        assert_eq!(
            queue::route(&get, "/v1/queue/fal-ai/flux/dev/requests/r1/status"),
            Ok(Op::Status { id: "r1".into() })
        );
        assert_eq!(
            queue::route(&get, "/v1/queue/fal-ai/flux/dev/requests/r1"),
            Ok(Op::Result { id: "r1".into() })
        );
        assert_eq!(
            queue::route(&Method::PUT, "/v1/queue/fal-ai/flux/dev/requests/r1/cancel"),
            Ok(Op::Cancel { id: "r1".into() })
        );
        assert_eq!(
            queue::route(&get, "/v1/queue/x/requests/r1/cancel"),
            Err(RouteError::MethodNotAllowed("PUT"))
        );
        assert_eq!(
            queue::route(&post, "/v1/queue/x/requests/r1/cancel"),
            Err(RouteError::MethodNotAllowed("PUT"))
        );
    }

    #[test]
    fn bearer_auth_is_exact() {
        let mut h = HeaderMap::new();
        assert!(!authorized(&h, "k"));
        h.insert("authorization", "Bearer k".parse().unwrap());
        assert!(authorized(&h, "k"));
        h.insert("authorization", "bearer  k ".parse().unwrap());
        assert!(authorized(&h, "k"));
        h.insert("authorization", "Bearer kk".parse().unwrap());
        assert!(!authorized(&h, "k"));
        h.insert("authorization", "Basic k".parse().unwrap());
        assert!(!authorized(&h, "k"));
    }
}
