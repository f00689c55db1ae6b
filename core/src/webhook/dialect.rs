//! A verified webhook body → [`TaskUpdate`], read by the dialect's profile. Each dialect's
//! webhook body has the shape of its status body, so the core's status normalizer does the
//! work (the queue profile's output rules also look in the `payload` a queue webhook
//! carries); this module only tells empty, non-JSON and wrong-shape bodies apart.

use crate::json::{RawJson, Value, Wanted};

use super::body::{parse_json, parse_wanted_text};
use super::WebhookError;
use crate::normalize::status_fields;
#[cfg(doc)]
use crate::normalize::status_paths;
use crate::profile::ProviderProfile;
use crate::state::TaskUpdate;

/// Parses and normalizes the raw body of a webhook of the dialect `profile` describes.
///
/// Empty bodies are `empty_body`, non-JSON `malformed_json`, and JSON that is not the
/// dialect's status shape (no id, no status, an unknown status value) `unrecognized_body`;
/// all are 400.
pub fn parse_update(profile: &ProviderProfile, body: &[u8]) -> Result<TaskUpdate, WebhookError> {
    let mut u = update_from_value(profile, &parse_json(body)?)?;
    // `parse_json` accepted the bytes, so they are UTF-8 JSON text.
    u.raw = RawJson::parsed_text(String::from_utf8_lossy(body).into_owned());
    Ok(u)
}

/// [`parse_update`] of a body given as text, built only as far as the dialect reads it
/// (`wanted`: [`status_paths`] of the profile's status spec, kept by the caller across
/// deliveries); `raw` is left `null` (the caller has the body). Refuses what
/// [`parse_update`] refuses, with the same codes and messages.
pub fn update_from_text(
    profile: &ProviderProfile,
    wanted: &Wanted,
    text: &str,
) -> Result<TaskUpdate, WebhookError> {
    update_from_value(profile, &parse_wanted_text(text, wanted)?)
}

/// [`parse_update`] for a body already parsed as JSON; `raw` is left `null` (the caller has
/// the body: the wasm shell hands its text to the runtime's `JSON.parse`).
pub fn update_from_value(
    profile: &ProviderProfile,
    raw: &Value,
) -> Result<TaskUpdate, WebhookError> {
    if !raw.is_object() {
        return Err(unrecognized(
            profile,
            "the body is not a JSON object".into(),
        ));
    }
    status_fields(profile, raw, None).map_err(|e| unrecognized(profile, e.message()))
}

fn unrecognized(profile: &ProviderProfile, reason: String) -> WebhookError {
    WebhookError::UnrecognizedBody {
        dialect: profile.name.clone(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::TaskState;

    fn p(name: &str) -> ProviderProfile {
        ProviderProfile::builtin(name).unwrap()
    }

    #[test]
    fn each_dialect_body_normalizes() {
        let png_b64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
        let mirako =
            format!(r#"{{"data":{{"task_id":"m1","status":"COMPLETED","image":"{png_b64}"}}}}"#);
        let u = parse_update(&p("mirako"), mirako.as_bytes()).unwrap();
        assert_eq!((u.id.as_str(), u.state), ("m1", TaskState::Succeeded));
        let outs = u.outputs.unwrap();
        assert!(
            outs[0].url.starts_with("data:image/png;base64,"),
            "{}",
            outs[0].url
        );

        let apixo = r#"{"code":200,"msg":"success","data":{"taskId":"a1","state":"success","resultJson":"{\"resultUrls\":[\"https://cdn.example/a.png\"]}","costTime":1200}}"#;
        let u = parse_update(&p("apixo"), apixo.as_bytes()).unwrap();
        assert_eq!((u.id.as_str(), u.state), ("a1", TaskState::Succeeded));
        assert_eq!(u.outputs.unwrap()[0].url, "https://cdn.example/a.png");

        let mind = r#"{"task_id":"d1","status":5,"error_code":"NSFW","error_message":"blocked"}"#;
        let u = parse_update(&p("mindproxy"), mind.as_bytes()).unwrap();
        assert_eq!((u.id.as_str(), u.state), ("d1", TaskState::Failed));
        assert_eq!(u.error.unwrap().code, "NSFW");

        let queue = r#"{"status":"COMPLETED","request_id":"q1","payload":{"images":[{"url":"https://cdn.example/q.png"}]}}"#;
        let u = parse_update(&p("queue"), queue.as_bytes()).unwrap();
        assert_eq!((u.id.as_str(), u.state), ("q1", TaskState::Succeeded));
        assert_eq!(u.outputs.unwrap()[0].url, "https://cdn.example/q.png");

        let queue_failed =
            r#"{"status":"COMPLETED","request_id":"q2","error":"x","error_type":"CANCELED"}"#;
        let u = parse_update(&p("queue"), queue_failed.as_bytes()).unwrap();
        assert_eq!(u.state, TaskState::Canceled);
    }

    #[test]
    fn refuses_bodies_of_the_wrong_shape() {
        let cases: [(&str, &[u8], &str); 7] = [
            ("mirako", b"", "empty_body"),
            ("mirako", b"{", "malformed_json"),
            ("mirako", b"[1,2]", "unrecognized_body"),
            (
                "mirako",
                br#"{"data":{"task_id":"m1","status":"WHAT"}}"#,
                "unrecognized_body",
            ),
            (
                "apixo",
                br#"{"data":{"state":"success"}}"#,
                "unrecognized_body",
            ),
            ("mindproxy", br#"{"task_id":"x"}"#, "unrecognized_body"),
            (
                "queue",
                br#"{"data":{"task_id":"m1","status":"COMPLETED"}}"#,
                "unrecognized_body",
            ),
        ];
        for (dialect, body, code) in cases {
            let err = parse_update(&p(dialect), body).unwrap_err();
            assert_eq!(
                err.code(),
                code,
                "{dialect} {:?}: {err}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(err.status(), 400);
        }
    }
}
