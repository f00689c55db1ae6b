//! The queue dialect (fal-style): `POST /v1/queue/{endpoint}` (endpoints contain
//! slashes, e.g. `fal-ai/flux/dev`) answering `{request_id, status_url, response_url,
//! cancel_url}` as absolute URLs under `/queue`; status `IN_QUEUE` (with
//! `queue_position`) / `IN_PROGRESS` / `COMPLETED` where failure is `COMPLETED` plus
//! `error` and `error_type`; `GET response_url` for the result; `PUT cancel_url`.

use hyper::Method;
use serde_json::{json, Value};

use super::{Op, Parsed, RouteError};
use crate::http::Reply;
use crate::task::{Outcome, OutputKind, Phase, Task};

/// Matches a path below `/queue`.
pub fn route(method: &Method, rest: &str) -> Result<Op, RouteError> {
    let Some(tail) = rest.strip_prefix("/v1/queue/") else {
        return Err(RouteError::NotFound);
    };
    let tail = tail.trim_end_matches('/');
    let segs: Vec<&str> = tail.split('/').collect();
    if tail.is_empty() || segs.iter().any(|s| s.is_empty()) {
        return Err(RouteError::NotFound);
    }
    // The last `requests` segment with something after it splits endpoint from id.
    let Some(r) = segs
        .iter()
        .rposition(|s| *s == "requests")
        .filter(|r| *r >= 1 && r + 1 < segs.len())
    else {
        return match *method {
            Method::POST => Ok(Op::Submit {
                model: tail.to_string(),
            }),
            _ => Err(RouteError::MethodNotAllowed("POST")),
        };
    };
    let id = segs[r + 1].to_string();
    match (&segs[r + 2..], method) {
        // A POST to a request's own URL (a cancel sent with POST, say) is a wrong method,
        // not a submit to the endpoint "…/requests/{id}/cancel".
        (_, &Method::POST) if !matches!(&segs[r + 2..], [] | ["status"] | ["cancel"]) => {
            Ok(Op::Submit {
                model: tail.to_string(),
            })
        }
        ([], &Method::GET) => Ok(Op::Result { id }),
        (["status"], &Method::GET) => Ok(Op::Status { id }),
        (["cancel"], &Method::PUT) => Ok(Op::Cancel { id }),
        ([], _) | (["status"], _) => Err(RouteError::MethodNotAllowed("GET")),
        (["cancel"], _) => Err(RouteError::MethodNotAllowed("PUT")),
        _ => Err(RouteError::NotFound),
    }
}

/// The error body, fal-style: `{detail: message}` plus the code.
pub fn error_body(_status: u16, code: &str, message: &str) -> Value {
    json!({"detail": message, "error_type": code})
}

/// Reads a submit body: the input itself, `_sim` at top level.
pub fn parse_submit(model: &str, body: &Value) -> Result<Parsed, String> {
    let obj = body.as_object().ok_or("the body must be a JSON object")?;
    let mut input = obj.clone();
    let sim = input.remove("_sim");
    Ok(Parsed {
        model: model.to_string(),
        task_type: None,
        idempotency_key: None,
        webhooks: Vec::new(),
        sim,
        input: Value::Object(input),
    })
}

fn base(task: &Task) -> String {
    format!(
        "http://{}/queue/v1/queue/{}/requests/{}",
        task.host, task.model, task.id
    )
}

/// The submit answer.
pub fn submit_reply(task: &Task, phase: Phase) -> Reply {
    let b = base(task);
    let mut v = status_body(task, phase);
    v["request_id"] = json!(task.id);
    v["gateway_request_id"] = json!(task.id);
    v["status_url"] = json!(format!("{b}/status"));
    v["response_url"] = json!(b);
    v["cancel_url"] = json!(format!("{b}/cancel"));
    Reply::json(200, v)
}

/// The status object.
pub fn status_body(task: &Task, phase: Phase) -> Value {
    let b = base(task);
    let mut v = json!({
        "request_id": task.id,
        "response_url": b,
        "status_url": format!("{b}/status"),
        "cancel_url": format!("{b}/cancel"),
    });
    match phase {
        Phase::Queued { position, .. } => {
            v["status"] = json!("IN_QUEUE");
            v["queue_position"] = json!(position);
        }
        Phase::Running => {
            v["status"] = json!("IN_PROGRESS");
            v["logs"] = json!([]);
        }
        Phase::Done(o) => {
            v["status"] = json!("COMPLETED");
            v["metrics"] = json!({"inference_time": task.ran_ms() as f64 / 1000.0});
            if let Some(t) = o.queue_error_type() {
                v["error"] = json!(o.message());
                v["error_type"] = json!(t);
            }
        }
    }
    v
}

/// The result body for a terminal task: `(http status, body)`.
pub fn result_body(task: &Task, o: Outcome) -> (u16, Value) {
    let Some(t) = o.queue_error_type() else {
        let url = task.file_url();
        let ct = task.output.content_type();
        let body = match task.output {
            OutputKind::Image => json!({
                "images": [{"url": url, "content_type": ct, "width": 64, "height": 64}],
                "seed": task.result_seed,
                "has_nsfw_concepts": [false],
                "prompt": task.input.get("prompt").cloned().unwrap_or(Value::Null),
            }),
            OutputKind::Video => {
                json!({"video": {"url": url, "content_type": ct}, "seed": task.result_seed})
            }
            OutputKind::Audio => json!({"audio": {"url": url, "content_type": ct}}),
        };
        return (200, body);
    };
    let status = match t {
        "REQUEST_INVALID" | "CONTENT_BLOCKED" => 422,
        "INFERENCE_TIMEOUT" => 504,
        "CANCELED" => 400,
        _ => 500,
    };
    (
        status,
        json!({"detail": o.message(), "error": o.message(), "error_type": t, "request_id": task.id}),
    )
}

/// The answer of `GET response_url`.
pub fn result_reply(task: &Task, now: u64) -> Reply {
    match task.phase(now) {
        Phase::Done(o) => {
            let (s, b) = result_body(task, o);
            Reply::json(s, b)
        }
        p => Reply::json(
            400,
            json!({"detail": "Request is still in progress", "status": status_body(task, p)["status"]}),
        ),
    }
}

/// The webhook body: the status object plus `payload` (the result, or the error).
pub fn webhook_body(task: &Task, phase: Phase) -> Value {
    let mut v = status_body(task, phase);
    if let Phase::Done(o) = phase {
        v["payload"] = result_body(task, o).1;
    }
    v
}

/// Replaces the status with one the dialect does not define.
pub fn set_unknown_status(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), json!("SIM_UNKNOWN_STATUS"));
    }
}
