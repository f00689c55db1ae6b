//! The mindproxy dialect: `POST /v1/tasks` answering **202** `{task_id, status: 1}`, with
//! `idempotency_key` dedupe; `GET /v1/tasks/{id}` with numeric statuses 1–8 and
//! `result_assets_json` as a JSON **string**; `GET /v1/tasks/{id}/events`; and
//! `POST /v1/tasks/{id}/cancel` (409 once the task is terminal).

use hyper::Method;
use serde_json::{json, Value};

use super::{Op, Parsed, RouteError};
use crate::http::{query_pairs, Reply};
use crate::task::{Outcome, OutputKind, Phase, Task};
use crate::time::rfc3339;

/// Matches a path below `/mindproxy`.
pub fn route(method: &Method, rest: &str) -> Result<Op, RouteError> {
    let Some(tail) = rest.strip_prefix("/v1/tasks") else {
        return Err(RouteError::NotFound);
    };
    let segs: Vec<&str> = tail
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let want = |m: Method, allow: &'static str| {
        if *method == m {
            Ok(())
        } else {
            Err(RouteError::MethodNotAllowed(allow))
        }
    };
    match segs.as_slice() {
        [] => want(Method::POST, "POST").map(|_| Op::Submit {
            model: String::new(),
        }),
        [id] => want(Method::GET, "GET").map(|_| Op::Status { id: id.to_string() }),
        [id, "cancel"] => want(Method::POST, "POST").map(|_| Op::Cancel { id: id.to_string() }),
        [id, "events"] => want(Method::GET, "GET").map(|_| Op::Events { id: id.to_string() }),
        _ => Err(RouteError::NotFound),
    }
}

/// The error body: `{error: {code, message}}`.
pub fn error_body(_status: u16, code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// Reads an object-or-stringified-object field.
fn json_field(obj: &serde_json::Map<String, Value>, k: &str) -> Result<Option<Value>, String> {
    match obj.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(_)) => Ok(obj.get(k).cloned()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(v @ Value::Object(_)) => Ok(Some(v)),
            _ => Err(format!(
                "{k} must be a JSON object (or a string holding one)"
            )),
        },
        Some(_) => Err(format!("{k} must be a JSON object")),
    }
}

/// Reads a submit body; `_sim` sits in `input_assets_json` or `metadata_json`.
pub fn parse_submit(_model: &str, body: &Value) -> Result<Parsed, String> {
    let obj = body.as_object().ok_or("the body must be a JSON object")?;
    let task_type = match obj.get("task_type") {
        Some(Value::String(s)) if matches!(s.as_str(), "video" | "midjourney" | "async_image") => {
            s.clone()
        }
        Some(_) => return Err("task_type must be one of video, midjourney, async_image".into()),
        None => return Err("task_type is required (video, midjourney or async_image)".into()),
    };
    let string = |k: &str| -> Result<Option<String>, String> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("{k} must be a string")),
        }
    };
    let model = string("public_model")?.unwrap_or_else(|| "default".into());
    let prompt = string("prompt")?;
    let key = string("idempotency_key")?;
    if key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 256) {
        return Err("idempotency_key must be 1–256 characters".into());
    }
    let mut assets = json_field(obj, "input_assets_json")?;
    let mut meta = json_field(obj, "metadata_json")?;
    let sim = assets
        .as_mut()
        .and_then(|a| a.as_object_mut())
        .and_then(|a| a.remove("_sim"))
        .or_else(|| {
            meta.as_mut()
                .and_then(|m| m.as_object_mut())
                .and_then(|m| m.remove("_sim"))
        });
    Ok(Parsed {
        model,
        task_type: Some(task_type),
        idempotency_key: key,
        webhooks: Vec::new(),
        sim,
        input: json!({"prompt": prompt, "input_assets_json": assets, "metadata_json": meta}),
    })
}

fn status_num(phase: Phase) -> u8 {
    match phase {
        Phase::Queued { early: true, .. } => 1,
        Phase::Queued { .. } => 2,
        Phase::Running => 3,
        Phase::Done(Outcome::Succeeded) => 4,
        Phase::Done(Outcome::Canceled) => 6,
        Phase::Done(Outcome::TimedOut | Outcome::Expired) => 7,
        Phase::Done(Outcome::Refunded) => 8,
        Phase::Done(_) => 5,
    }
}

fn error_code(o: Outcome) -> &'static str {
    match o {
        Outcome::Succeeded => "",
        Outcome::Failed => "GENERATION_FAILED",
        Outcome::Canceled => "CANCELLED",
        Outcome::TimedOut => "TIMEOUT",
        Outcome::Expired => "EXPIRED",
        Outcome::Refunded => "REFUNDED",
        Outcome::RequestInvalid => "REQUEST_INVALID",
        Outcome::ContentBlocked => "CONTENT_BLOCKED",
        Outcome::InternalServerError => "INTERNAL_ERROR",
    }
}

fn task_type_num(t: Option<&str>) -> u8 {
    match t {
        Some("midjourney") => 1,
        Some("video") => 2,
        _ => 3,
    }
}

/// The submit answer: 202 `{task_id, status, request_id, hold_id}`.
pub fn submit_reply(task: &Task, phase: Phase) -> Reply {
    Reply::json(
        202,
        json!({
            "task_id": task.id,
            "status": status_num(phase),
            "request_id": format!("req_{}", task.id.replace('-', "")),
            "hold_id": format!("hold_{}", task.id.replace('-', "")),
        }),
    )
}

/// The task object (status body, cancel answer and webhook body).
pub fn status_body(task: &Task, phase: Phase) -> Value {
    let mut v = json!({
        "task_id": task.id,
        "task_type": task_type_num(task.task_type.as_deref()),
        "status": status_num(phase),
        "public_model": task.model,
        "idempotency_key": task.idempotency_key,
        "result_assets_json": null,
        "error_code": null,
        "error_message": null,
        "created_at": rfc3339(task.created_at_ms),
        "completed_at": null,
    });
    if let Phase::Done(o) = phase {
        v["completed_at"] = json!(rfc3339(task.terminal_at()));
        if o == Outcome::Succeeded {
            let mut assets = json!({"seed": task.result_seed});
            match task.output {
                OutputKind::Image => assets["image_url"] = json!(task.file_url()),
                OutputKind::Video => {
                    assets["video_url"] = json!(task.file_url());
                    assets["thumbnail_url"] = json!(task.thumbnail_url());
                }
                OutputKind::Audio => assets["audio_url"] = json!(task.file_url()),
            }
            v["result_assets_json"] = json!(assets.to_string());
        } else {
            v["error_code"] = json!(error_code(o));
            let msg = match (&task.cancel_reason, o) {
                (Some(r), Outcome::Canceled) => format!("cancelled: {r}"),
                _ => o.message().to_string(),
            };
            v["error_message"] = json!(msg);
        }
    }
    v
}

/// The events answer for `?limit&offset`, or a 400 message.
pub fn events_reply(task: &Task, now: u64, query: &str) -> Result<Reply, String> {
    let mut limit = 50usize;
    let mut offset = 0usize;
    for (k, v) in query_pairs(query) {
        match k.as_str() {
            "limit" => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|n| (1..=200).contains(n))
                    .ok_or("limit must be 1–200")?;
            }
            "offset" => offset = v.parse().map_err(|_| "offset must be a whole number")?,
            _ => {}
        }
    }
    let mut timeline: Vec<(u64, &str, u8, String)> =
        vec![(task.created_at_ms, "created", 1, "task created".into())];
    let half_queue = task.created_at_ms + task.queue_ms.div_ceil(2);
    let end = task.terminal_at();
    if half_queue < end || task.canceled_at.is_none() {
        timeline.push((
            half_queue.min(end),
            "submitted",
            2,
            "task submitted to the provider".into(),
        ));
    }
    if task.started_at() < end {
        timeline.push((task.started_at(), "processing", 3, "task processing".into()));
    }
    if let Phase::Done(o) = task.phase(end) {
        let (kind, msg) = match o {
            Outcome::Succeeded => ("succeeded", "task succeeded".to_string()),
            Outcome::Canceled => (
                "cancelled",
                task.cancel_reason
                    .clone()
                    .unwrap_or_else(|| "task cancelled".into()),
            ),
            Outcome::TimedOut | Outcome::Expired => ("expired", o.message().to_string()),
            Outcome::Refunded => ("refunded", o.message().to_string()),
            _ => ("failed", o.message().to_string()),
        };
        timeline.push((end, kind, status_num(Phase::Done(o)), msg));
    }
    let events: Vec<Value> = timeline
        .into_iter()
        .filter(|(t, ..)| *t <= now)
        .enumerate()
        .map(|(i, (t, kind, status, message))| {
            json!({
                "task_event_id": format!("event-{}-{}", task.id, i + 1),
                "event_type": kind,
                "status": status,
                "message": message,
                "created_at": rfc3339(t),
            })
        })
        .collect();
    let total = events.len();
    let page: Vec<Value> = events.into_iter().skip(offset).take(limit).collect();
    Ok(Reply::json(
        200,
        json!({"task_events": page, "total": total, "limit": limit, "offset": offset}),
    ))
}

/// Replaces the status with a number the dialect does not define.
pub fn set_unknown_status(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.insert("status".into(), json!(42));
    }
}
