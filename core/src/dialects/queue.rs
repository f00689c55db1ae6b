//! queue: `POST /v1/queue/{endpoint}` with the input as the body → `{request_id,
//! status_url, response_url, cancel_url?}`; `GET status_url` → `IN_QUEUE`
//! (`queue_position`), `IN_PROGRESS`, `COMPLETED` (check `error` / `error_type`); the
//! result from `GET response_url`; cancel with `PUT cancel_url` when one was given.

use crate::profile::*;
use crate::state::{OutputKind, TaskState::*};
use std::collections::BTreeMap;

fn media_rules(prefix: &str) -> Vec<OutputRule> {
    let p = |s: &str| format!("{prefix}{s}");
    vec![
        OutputRule::new(&p("images[]"), Some(OutputKind::Image)),
        OutputRule::new(&p("image"), Some(OutputKind::Image)),
        OutputRule::new(&p("video"), Some(OutputKind::Video)),
        OutputRule::new(&p("videos[]"), Some(OutputKind::Video)),
        OutputRule::new(&p("audio"), Some(OutputKind::Audio)),
        OutputRule::new(&p("audio_file"), Some(OutputKind::Audio)),
        OutputRule::new(&p("file"), None),
    ]
}

/// The queue profile.
pub fn profile() -> ProviderProfile {
    ProviderProfile {
        name: "queue".into(),
        defaults: BTreeMap::new(),
        submit: SubmitSpec {
            route: Route::new("POST", "/v1/queue/{endpoint}"),
            body: vec![BodyField::new("", Source::Input)],
            required: vec![],
            id_path: "request_id".into(),
            urls: map_of([
                (UrlKind::Status, "status_url".to_owned()),
                (UrlKind::Response, "response_url".to_owned()),
                (UrlKind::Cancel, "cancel_url".to_owned()),
            ]),
            idempotent: false,
        },
        status: StatusSpec {
            route: Route::new("GET", "/v1/queue/{endpoint}/requests/{id}/status")
                .or_remembered(UrlKind::Status),
            json_string_fields: vec![],
            id_path: "request_id".into(),
            state_path: "status".into(),
            states: state_map(&[
                ("IN_QUEUE", Queued),
                ("IN_PROGRESS", Running),
                ("COMPLETED", Succeeded),
            ]),
            state_error_codes: BTreeMap::new(),
            queue_position_path: Some("queue_position".into()),
            error_message_path: Some("error".into()),
            error_code_path: Some("error_type".into()),
            error_means_failure: true,
            error_code_states: map_of([
                ("CANCELED".to_owned(), Canceled),
                ("INFERENCE_TIMEOUT".to_owned(), TimedOut),
            ]),
            // a webhook body carries the result as `payload`; a polled status does not.
            outputs: media_rules("payload."),
            cost_path: Some("metrics.inference_time".into()),
            cost_scale: 1000.0,
        },
        result: Some(ResultSpec {
            route: Route::new("GET", "/v1/queue/{endpoint}/requests/{id}")
                .or_remembered(UrlKind::Response),
            json_string_fields: vec![],
            outputs: media_rules(""),
        }),
        cancel: Some(CancelSpec {
            route: Route::new("PUT", "").or_remembered(UrlKind::Cancel),
            body: vec![],
        }),
        events: None,
        envelope: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::normalize::{result_outputs, status_update};
    use crate::state::{OutputKind, TaskState};
    use serde_json::json;

    #[test]
    fn vendor_bodies() {
        let p = super::profile();
        let u = status_update(
            &p,
            &json!({"status": "IN_QUEUE", "request_id": "mmsu_01hxyz", "queue_position": 0,
            "response_url": "https://x/response"}),
            None,
        )
        .expect("documented body");
        assert_eq!((u.state, u.queue_position), (TaskState::Queued, Some(0)));
        let u = status_update(
            &p,
            &json!({"status": "IN_PROGRESS", "request_id": "mmsu_01hxyz"}),
            None,
        )
        .expect("documented");
        assert_eq!(u.state, TaskState::Running);
        let u = status_update(
            &p,
            &json!({"status": "COMPLETED", "request_id": "mmsu_01hxyz",
            "response_url": "https://x/response", "metrics": {"inference_time": 12.34}}),
            None,
        )
        .expect("documented");
        assert_eq!((u.state, u.cost_ms), (TaskState::Succeeded, Some(12340)));
        assert!(u.error.is_none());
        let u = status_update(
            &p,
            &json!({"status": "COMPLETED", "request_id": "mmsu_01hxyz",
            "error": "Task execution failed", "error_type": "INFERENCE_FAILURE"}),
            None,
        )
        .expect("documented");
        assert_eq!(u.state, TaskState::Failed);
        assert_eq!(u.error.expect("error").code, "INFERENCE_FAILURE");
        for (t, st) in [
            ("CANCELED", TaskState::Canceled),
            ("INFERENCE_TIMEOUT", TaskState::TimedOut),
            ("REQUEST_INVALID", TaskState::Failed),
            ("CONTENT_BLOCKED", TaskState::Failed),
            ("INTERNAL_SERVER_ERROR", TaskState::Failed),
        ] {
            let u = status_update(
                &p,
                &json!({"status": "COMPLETED", "request_id": "r", "error": "x", "error_type": t}),
                None,
            )
            .expect(t);
            assert_eq!(u.state, st, "{t}");
            assert_eq!(u.error.expect("error").code, t);
        }
    }

    #[test]
    fn results_and_webhook_payload() {
        let p = super::profile();
        let o = result_outputs(
            &p,
            &json!({"images": [{"url": "https://x/1.png", "content_type": "image/png"}, {"url": "https://x/2.png"}], "seed": 1}),
        );
        assert_eq!(o.len(), 2);
        let o = result_outputs(&p, &json!({"video": {"url": "https://x/v.mp4"}}));
        assert_eq!(o[0].kind, OutputKind::Video);
        let o = result_outputs(&p, &json!({"audio": {"url": "https://x/a"}}));
        assert_eq!(o[0].kind, OutputKind::Audio);
        let u = status_update(&p, &json!({"status": "COMPLETED", "request_id": "r", "payload": {"image": {"url": "https://x/i"}}}), None)
            .expect("webhook body");
        assert_eq!(
            u.outputs.expect("payload outputs")[0].kind,
            OutputKind::Image
        );
    }
}
