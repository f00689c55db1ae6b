//! The control routes under `/__sim/` (no auth): `GET stats[?summary=1]`, `POST reset`,
//! `POST faults {rules}` (and `GET faults`), `POST config {webhook_secret?, api_key?,
//! seed?}` (and `GET config`). Bodies are strict JSON; mistakes get 400 naming the field.

use std::sync::Arc;

use bytes::Bytes;
use hyper::Method;
use serde_json::{json, Value};

use crate::faults::FaultRule;
use crate::http::{query_pairs, Reply};
use crate::state::AppState;
use crate::time::now_ms;
use crate::webhooks::WebhookSecret;

fn bad(msg: impl Into<String>) -> Reply {
    Reply::json(
        400,
        json!({"error": {"code": "invalid_request", "message": msg.into()}}),
    )
}

fn body_json(body: &Bytes) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| bad(format!("malformed JSON body: {e}")))
}

fn wrong_method(allow: &'static str) -> Reply {
    Reply::json(
        405,
        json!({"error": {"code": "method_not_allowed", "message": format!("use {allow}")}}),
    )
    .with_header("allow", format!("{allow}, OPTIONS"))
}

/// Answers a request for `/__sim/{name}`.
pub fn handle(
    state: &Arc<AppState>,
    method: &Method,
    name: &str,
    query: &str,
    body: Bytes,
) -> Reply {
    match (name, method) {
        ("stats", &Method::GET) => {
            let summary = query_pairs(query)
                .iter()
                .any(|(k, v)| k == "summary" && v != "0" && v != "false");
            Reply::json(200, crate::stats::render(&state.lock(), now_ms(), summary))
        }
        ("stats", _) => wrong_method("GET"),
        ("reset", &Method::POST) => {
            state.lock().reset();
            Reply::json(200, json!({"ok": true}))
        }
        ("reset", _) => wrong_method("POST"),
        ("faults", &Method::POST) => {
            let v = match body_json(&body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            if let Some(k) = v.as_object().and_then(|o| o.keys().find(|k| *k != "rules")) {
                return bad(format!(
                    "{k} is not a field of the body {{\"rules\": [...]}}"
                ));
            }
            let rules = match v.get("rules") {
                Some(Value::Array(a)) => a,
                _ => return bad("the body must be {\"rules\": [...]}"),
            };
            match rules
                .iter()
                .map(FaultRule::from_json)
                .collect::<Result<Vec<_>, _>>()
            {
                Ok(r) => {
                    let n = r.len();
                    state.lock().fault_rules = r;
                    Reply::json(200, json!({"ok": true, "rules": n}))
                }
                Err(e) => bad(e.to_string()),
            }
        }
        ("faults", &Method::GET) => {
            let s = state.lock();
            let rules: Vec<Value> = s
                .fault_rules
                .iter()
                .map(|r| {
                    json!({
                        "dialect": r.dialect.map(|d| d.name()),
                        "on": match &r.on { crate::faults::OnRoute::Any => "*".to_string(),
                                            crate::faults::OnRoute::Only(v) => v.iter().map(|x| x.name()).collect::<Vec<_>>().join(",") },
                        "kinds": r.kinds.iter().map(|k| k.name()).collect::<Vec<_>>(),
                        "rate": r.rate, "times": r.times,
                    })
                })
                .collect();
            Reply::json(200, json!({"rules": rules}))
        }
        ("faults", _) => wrong_method("GET, POST"),
        ("config", &Method::POST) => {
            let v = match body_json(&body) {
                Ok(v) => v,
                Err(r) => return r,
            };
            let Some(obj) = v.as_object() else {
                return bad("the body must be a JSON object");
            };
            if let Some(k) = obj
                .keys()
                .find(|k| !["webhook_secret", "api_key", "seed"].contains(&k.as_str()))
            {
                return bad(format!(
                    "{k} is not a config field (webhook_secret, api_key, seed)"
                ));
            }
            let secret = match obj.get("webhook_secret") {
                None => None,
                Some(Value::Null) => Some(None),
                Some(Value::String(s)) => match WebhookSecret::parse(s) {
                    Ok(s) => Some(Some(s)),
                    Err(e) => return bad(e.to_string()),
                },
                Some(_) => return bad("webhook_secret must be a string or null"),
            };
            let key = match obj.get("api_key") {
                None => None,
                Some(Value::String(k)) if !k.is_empty() && !k.chars().any(char::is_whitespace) => {
                    Some(k.clone())
                }
                Some(_) => return bad("api_key must be a non-empty string without spaces"),
            };
            let seed = match obj.get("seed") {
                None => None,
                Some(v) => match v.as_u64() {
                    Some(n) => Some(n),
                    None => return bad("seed must be a whole number"),
                },
            };
            let mut s = state.lock();
            if let Some(sec) = secret {
                s.webhook_secret = sec;
            }
            if let Some(k) = key {
                s.api_key = k;
            }
            if let Some(n) = seed {
                s.set_seed(n);
            }
            Reply::json(200, config_view(&s))
        }
        ("config", &Method::GET) => Reply::json(200, config_view(&state.lock())),
        ("config", _) => wrong_method("GET, POST"),
        _ => Reply::json(
            404,
            json!({"error": {"code": "not_found", "message": format!("no control route {name:?}")}}),
        ),
    }
}

fn config_view(s: &crate::state::Store) -> Value {
    json!({
        "ok": true,
        "api_key": s.api_key,
        "seed": s.seed,
        "webhook_secret": s.webhook_secret.as_ref().map(|w| w.as_str()),
        "webhook_attempts": s.base.webhook_attempts,
        "allow_remote_webhooks": s.base.allow_remote_webhooks,
    })
}
