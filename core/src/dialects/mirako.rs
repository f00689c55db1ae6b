//! mirako: `POST /v1/{operation}` (default `avatar/async_generate`) with the input's
//! fields and `webhook: {url, auth_token}`; `GET /v1/{operation}/{task_id}/status` →
//! `{data: {task_id, status, image?, error?}}`, the image as base64.

use crate::profile::*;
use crate::state::{OutputKind, TaskState::*};
use std::collections::BTreeMap;

/// The mirako profile.
pub fn profile() -> ProviderProfile {
    ProviderProfile {
        name: "mirako".into(),
        defaults: map_of([("operation".to_owned(), "avatar/async_generate".to_owned())]),
        submit: SubmitSpec {
            route: Route::new("POST", "/v1/{operation}"),
            body: vec![
                BodyField::new("", Source::Input),
                BodyField::new("webhook.url", Source::WebhookUrl),
                BodyField::new("webhook.auth_token", Source::WebhookAuthToken),
            ],
            required: vec![],
            id_path: "data.task_id".into(),
            urls: BTreeMap::new(),
            idempotent: false,
        },
        status: StatusSpec {
            route: Route::new("GET", "/v1/{operation}/{id}/status"),
            json_string_fields: vec![],
            id_path: "data.task_id".into(),
            state_path: "data.status".into(),
            states: state_map(&[
                ("IN_QUEUE", Queued),
                ("IN_PROGRESS", Running),
                ("COMPLETED", Succeeded),
                ("FAILED", Failed),
                ("CANCELED", Canceled),
                ("TIMED_OUT", TimedOut),
            ]),
            state_error_codes: BTreeMap::new(),
            queue_position_path: None,
            error_message_path: Some("data.error".into()),
            error_code_path: None,
            error_means_failure: false,
            error_code_states: BTreeMap::new(),
            outputs: vec![
                OutputRule {
                    path: "data.image".into(),
                    kind: Some(OutputKind::Image),
                    base64: true,
                },
                OutputRule::new("data.video", Some(OutputKind::Video)),
                OutputRule::new("data.audio", Some(OutputKind::Audio)),
            ],
            cost_path: None,
            cost_scale: 1.0,
        },
        result: None,
        cancel: None,
        events: None,
        envelope: None,
    }
}

#[cfg(test)]
mod tests {
    use crate::normalize::status_update;
    use crate::state::{OutputKind, TaskState};
    use serde_json::json;

    #[test]
    fn vendor_bodies() {
        let p = super::profile();
        let u = status_update(
            &p,
            &json!({"data": {"task_id": "xdac2o3c", "status": "IN_QUEUE"}}),
            None,
        )
        .expect("documented body");
        assert_eq!(
            (u.id.as_str(), u.state, u.raw_status.as_str()),
            ("xdac2o3c", TaskState::Queued, "IN_QUEUE")
        );
        let done = json!({"data": {"task_id": "xdac2o3c", "status": "COMPLETED", "image": "iVBORw0KGgoAAAANSUhEUgAA"}});
        let u = status_update(&p, &done, None).expect("documented body");
        assert_eq!(u.state, TaskState::Succeeded);
        let o = u.outputs.expect("image output");
        assert_eq!(o[0].kind, OutputKind::Image);
        assert_eq!(o[0].url, "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAA");
        assert_eq!(u.raw, done);
        let u = status_update(
            &p,
            &json!({"data": {"task_id": "xdac2o3c", "status": "FAILED", "error": "Generation failed due to invalid prompt parameters"}}),
            None,
        )
        .expect("documented body");
        assert_eq!(u.state, TaskState::Failed);
        let e = u.error.expect("error");
        assert_eq!(e.code, "failed");
        assert!(e.message.contains("invalid prompt"));
        for (raw, st) in [
            ("IN_PROGRESS", TaskState::Running),
            ("CANCELED", TaskState::Canceled),
            ("TIMED_OUT", TaskState::TimedOut),
        ] {
            let u = status_update(&p, &json!({"data": {"task_id": "a", "status": raw}}), None)
                .expect(raw);
            assert_eq!(u.state, st);
        }
    }

    #[test]
    fn jpeg_and_url_images() {
        let p = super::profile();
        let u = status_update(&p, &json!({"data": {"task_id": "a", "status": "COMPLETED", "image": "/9j/4AAQSkZJRgABAQ"}}), None)
            .expect("valid");
        assert!(u.outputs.expect("output")[0]
            .url
            .starts_with("data:image/jpeg;base64,/9j/"));
        let u = status_update(
            &p,
            &json!({"data": {"task_id": "a", "status": "COMPLETED", "image": "https://cdn/x.png"}}),
            None,
        )
        .expect("valid");
        assert_eq!(u.outputs.expect("output")[0].url, "https://cdn/x.png");
    }
}
