//! The small JSON bodies a webhook receiver answers with, so every runtime's handler
//! answers the same bytes.

use super::WebhookError;
use crate::json::object;
use crate::state::TaskUpdate;

/// The body of a 2xx answer for a delivery that was handled.
pub const OK_BODY: &str = r#"{"ok":true}"#;
/// The body of a 2xx answer for a duplicate delivery (acknowledged, not handled again).
pub const DUPLICATE_BODY: &str = r#"{"ok":true,"duplicate":true}"#;

/// `{"error":{"code":…,"message":…}}`.
pub fn error_body(code: &str, message: &str) -> String {
    let error = object([("code", code.into()), ("message", message.into())]);
    object([("error", error)]).to_text()
}

/// The error body of a refused delivery.
pub fn refusal_body(err: &WebhookError) -> String {
    error_body(err.code(), &err.message())
}

/// What a dedupe store keeps for a handled delivery: `{"id":…,"state":…}`.
pub fn record_body(update: &TaskUpdate) -> String {
    object([
        ("id", update.id.as_str().into()),
        ("state", update.state.as_str().into()),
    ])
    .to_text()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::TaskState;

    #[test]
    fn bodies_are_json() {
        let v: crate::json::Value =
            crate::json::parse(&refusal_body(&WebhookError::BadSignature)).unwrap();
        assert_eq!(v["error"]["code"], "bad_signature");
        let v: crate::json::Value =
            crate::json::parse(&error_body("x", "quote \" inside")).unwrap();
        assert_eq!(v["error"]["message"], "quote \" inside");
        let v: crate::json::Value = crate::json::parse(DUPLICATE_BODY).unwrap();
        assert_eq!(v["duplicate"], true);
        let u = TaskUpdate::new("t1", TaskState::Failed, "FAILED");
        assert_eq!(record_body(&u), r#"{"id":"t1","state":"failed"}"#);
    }
}
