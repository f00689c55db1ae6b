//! The apixo dialect: `POST /api/v1/generateTask/{model}` with
//! `{request_type, input, callback_url?}` answering `{code,message,data:{taskId}}`, and
//! `GET /api/v1/statusTask/{model}?taskId=` answering `data.state`
//! (`pending processing success failed`) with `resultJson` as a JSON **string**.

use hyper::Method;
use serde_json::{json, Value};

use super::{Op, Parsed, RouteError};
use crate::http::{query_pairs, Reply};
use crate::task::{Outcome, Phase, Task};
use crate::webhooks::WebhookTarget;

/// Matches a path below `/apixo`.
pub fn route(method: &Method, rest: &str, query: &str) -> Result<Op, RouteError> {
    if let Some(model) = rest.strip_prefix("/api/v1/generateTask/") {
        if model.is_empty() || model.split('/').any(str::is_empty) {
            return Err(RouteError::NotFound);
        }
        if method != Method::POST {
            return Err(RouteError::MethodNotAllowed("POST"));
        }
        return Ok(Op::Submit {
            model: model.to_string(),
        });
    }
    if let Some(model) = rest.strip_prefix("/api/v1/statusTask/") {
        if model.is_empty() {
            return Err(RouteError::NotFound);
        }
        if method != Method::GET {
            return Err(RouteError::MethodNotAllowed("GET"));
        }
        let id = query_pairs(query)
            .into_iter()
            .find(|(k, _)| k == "taskId")
            .map(|(_, v)| v);
        return match id {
            Some(id) if !id.is_empty() => Ok(Op::Status { id }),
            _ => Err(RouteError::BadRequest(
                "the taskId query parameter is required".into(),
            )),
        };
    }
    Err(RouteError::NotFound)
}

/// The error body: `{code, message, data: null}` (code = the HTTP status).
pub fn error_body(status: u16, _code: &str, message: &str) -> Value {
    json!({"code": status, "message": message, "msg": message, "data": null})
}

/// Reads a submit body: `{request_type, input, callback_url?}`, `_sim` in `input`.
pub fn parse_submit(model: &str, body: &Value) -> Result<Parsed, String> {
    let obj = body.as_object().ok_or("the body must be a JSON object")?;
    let input = match obj.get("input") {
        Some(Value::Object(i)) => i,
        _ => return Err("input must be a JSON object".into()),
    };
    let request_type = match obj.get("request_type") {
        None | Some(Value::Null) => "async",
        Some(Value::String(s)) if s == "async" || s == "callback" => s.as_str(),
        Some(_) => return Err("request_type must be \"async\" or \"callback\"".into()),
    };
    let callback = match obj.get("callback_url") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err("callback_url must be a non-empty string".into()),
    };
    if request_type == "callback" && callback.is_none() {
        return Err("request_type \"callback\" needs callback_url".into());
    }
    let mut clean = input.clone();
    let sim = clean.remove("_sim");
    Ok(Parsed {
        model: model.to_string(),
        task_type: None,
        idempotency_key: None,
        webhooks: callback
            .map(|url| WebhookTarget {
                url,
                auth_token: None,
            })
            .into_iter()
            .collect(),
        sim,
        input: Value::Object(clean),
    })
}

/// The submit answer: `{code: 200, message: "success", data: {taskId}}`.
pub fn submit_reply(task: &Task, _phase: Phase) -> Reply {
    Reply::json(
        200,
        json!({"code": 200, "message": "success", "data": {"taskId": task.id}}),
    )
}

fn state_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Queued { .. } => "pending",
        Phase::Running => "processing",
        Phase::Done(Outcome::Succeeded) => "success",
        Phase::Done(_) => "failed",
    }
}

/// The status body (also the callback body): `{code, msg, data: {taskId, state, ...}}`.
pub fn status_body(task: &Task, phase: Phase) -> Value {
    let mut data = json!({
        "taskId": task.id,
        "model": task.model,
        "state": state_name(phase),
        "createTime": task.created_at_ms,
    });
    match phase {
        Phase::Done(Outcome::Succeeded) => {
            let result = json!({"resultUrls": [task.file_url()]});
            data["resultJson"] = json!(result.to_string());
            data["costTime"] = json!(task.ran_ms());
            data["completeTime"] = json!(task.terminal_at());
        }
        Phase::Done(o) => {
            data["failMsg"] = json!(o.message());
            data["failCode"] = json!(o.queue_error_type().unwrap_or("FAILED"));
            data["completeTime"] = json!(task.terminal_at());
        }
        _ => {}
    }
    json!({"code": 200, "msg": "success", "data": data})
}

/// Replaces the state with one the dialect does not define.
pub fn set_unknown_status(v: &mut Value) {
    if let Some(d) = v.get_mut("data").and_then(Value::as_object_mut) {
        d.insert("state".into(), json!("sim_unknown_state"));
    }
}
