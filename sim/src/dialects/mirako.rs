//! The mirako dialect: `POST /v1/{operation}` (operations contain slashes, e.g.
//! `avatar/async_generate`), `GET /v1/{operation}/{task_id}/status` answering
//! `{data:{task_id,status,image?,error?}}` with the image inline as base64, and a
//! `webhook: {url, auth_token}` submit field whose token comes back as a Bearer header.

use base64::Engine as _;
use hyper::Method;
use serde_json::{json, Map, Value};

use super::{Op, Parsed, RouteError};
use crate::http::Reply;
use crate::task::{Outcome, OutputKind, Phase, Task};
use crate::webhooks::WebhookTarget;

/// Matches a path below `/mirako`.
pub fn route(method: &Method, rest: &str) -> Result<Op, RouteError> {
    let Some(tail) = rest.strip_prefix("/v1/") else {
        return Err(RouteError::NotFound);
    };
    let tail = tail.trim_end_matches('/');
    let segs: Vec<&str> = tail.split('/').collect();
    if segs.len() >= 3 && segs[segs.len() - 1] == "status" {
        if method != Method::GET {
            return Err(RouteError::MethodNotAllowed("GET"));
        }
        return Ok(Op::Status {
            id: segs[segs.len() - 2].to_string(),
        });
    }
    if tail.is_empty() || segs.iter().any(|s| s.is_empty()) {
        return Err(RouteError::NotFound);
    }
    if method != Method::POST {
        return Err(RouteError::MethodNotAllowed("POST"));
    }
    Ok(Op::Submit {
        model: tail.to_string(),
    })
}

/// The error body: `{error: {code, message}}`.
pub fn error_body(_status: u16, code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// Reads a submit body: the input fields at top level, `webhook`, `_sim`.
pub fn parse_submit(model: &str, body: &Value) -> Result<Parsed, String> {
    let obj = body.as_object().ok_or("the body must be a JSON object")?;
    let mut webhooks = Vec::new();
    match obj.get("webhook") {
        None | Some(Value::Null) => {}
        Some(Value::Object(w)) => {
            let url = w
                .get("url")
                .and_then(Value::as_str)
                .ok_or("webhook.url must be a string")?;
            let auth_token = match w.get("auth_token") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(_) => return Err("webhook.auth_token must be a string".into()),
            };
            webhooks.push(WebhookTarget {
                url: url.to_string(),
                auth_token,
            });
        }
        Some(_) => return Err("webhook must be an object {url, auth_token}".into()),
    }
    let input: Map<String, Value> = obj
        .iter()
        .filter(|(k, _)| *k != "webhook" && *k != "_sim")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Ok(Parsed {
        model: model.to_string(),
        task_type: None,
        idempotency_key: None,
        webhooks,
        sim: obj.get("_sim").cloned(),
        input: Value::Object(input),
    })
}

fn status_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued { .. } => "IN_QUEUE",
        Phase::Running => "IN_PROGRESS",
        Phase::Done(Outcome::Succeeded) => "COMPLETED",
        Phase::Done(Outcome::Canceled) => "CANCELED",
        Phase::Done(Outcome::TimedOut | Outcome::Expired) => "TIMED_OUT",
        Phase::Done(_) => "FAILED",
    }
}

/// The submit answer: `{data: {task_id, status}}`.
pub fn submit_reply(task: &Task, phase: Phase) -> Reply {
    Reply::json(
        200,
        json!({"data": {"task_id": task.id, "status": status_name(phase)}}),
    )
}

/// The status body (also the webhook body).
pub fn status_body(task: &Task, phase: Phase) -> Value {
    let mut data = json!({"task_id": task.id, "status": status_name(phase)});
    match phase {
        Phase::Done(Outcome::Succeeded) => {
            let png = crate::files::png_for(&task.id);
            data["image"] = json!(base64::engine::general_purpose::STANDARD.encode(png));
            match task.output {
                OutputKind::Video => data["video_url"] = json!(task.file_url()),
                OutputKind::Audio => data["audio_url"] = json!(task.file_url()),
                OutputKind::Image => {}
            }
        }
        Phase::Done(o) => data["error"] = json!(o.message()),
        _ => {}
    }
    json!({ "data": data })
}

/// Replaces the status with one the dialect does not define.
pub fn set_unknown_status(v: &mut Value) {
    if let Some(d) = v.get_mut("data").and_then(Value::as_object_mut) {
        d.insert("status".into(), json!("SIM_UNKNOWN_STATUS"));
    }
}
