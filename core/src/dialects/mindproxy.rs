//! mindproxy: `POST /v1/tasks` with `{task_type, public_model, prompt, idempotency_key,
//! input_assets_json?, metadata_json?}` → 202 `{task_id, status: 1}`; `GET /v1/tasks/{id}`
//! with a numeric status 1–8 and `result_assets_json`, a JSON **string**; cancel and events.
//! `rawStatus` is the number written as a string (`"4"`).

// The profile itself is data: `mindproxy.json`, read by `crate::profile_reader` like a
// user's profile object (see `super::builtin`).

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::normalize::{events, status_update};
    use crate::state::{OutputKind, TaskState};

    #[test]
    fn vendor_bodies() {
        let p = super::super::builtin("mindproxy").expect("built in");
        let done = json!({"task_id": "f47ac10b-58cc-4372-a567-0e02b2c3d479", "task_type": 3, "status": 4,
            "public_model": "flux-1-dev", "result_assets_json": "{\"image_url\":\"https://x/image.png\",\"seed\":12345}",
            "created_at": "2026-06-22T10:00:00Z", "completed_at": "2026-06-22T10:02:00Z"});
        let u = status_update(&p, &done, None).expect("documented body");
        assert_eq!(u.state, TaskState::Succeeded);
        assert_eq!(u.raw_status, "4");
        let o = u.outputs.expect("outputs");
        assert_eq!(o.len(), 1);
        assert_eq!(
            (o[0].url.as_str(), o[0].kind),
            ("https://x/image.png", OutputKind::Image)
        );
        let expected = [
            (1, TaskState::Queued),
            (2, TaskState::Queued),
            (3, TaskState::Running),
            (5, TaskState::Failed),
            (6, TaskState::Canceled),
            (7, TaskState::TimedOut),
            (8, TaskState::Failed),
        ];
        for (n, st) in expected {
            let u = status_update(&p, &json!({"task_id": "t", "status": n}), None).expect("valid");
            assert_eq!(u.state, st, "status {n}");
        }
        let u = status_update(
            &p,
            &json!({"task_id": "t", "status": 8, "error_code": "X"}),
            None,
        )
        .expect("valid");
        assert_eq!(u.error.expect("error").code, "REFUNDED");
        let u = status_update(
            &p,
            &json!({"task_id": "t", "status": 5, "error_code": "NSFW", "error_message": "blocked"}),
            None,
        )
        .expect("valid");
        let e = u.error.expect("error");
        assert_eq!((e.code.as_str(), e.message.as_str()), ("NSFW", "blocked"));
        let u = status_update(&p, &json!({"task_id": "t", "status": 4,
            "result_assets_json": "{\"video_url\":\"https://x/v\",\"thumbnail_url\":\"https://x/t.jpg\"}"}), None).expect("valid");
        assert_eq!(u.outputs.expect("video")[0].kind, OutputKind::Video);
    }

    #[test]
    fn vendor_events() {
        let p = super::super::builtin("mindproxy").expect("built in");
        let body = json!({"task_events": [{"task_event_id": "event-1", "event_type": "created", "status": 1,
            "message": "task created", "created_at": "2026-06-22T10:00:00Z"}]});
        let ev = events(&p, &body).expect("documented body");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].id.as_deref(), Some("event-1"));
        assert_eq!(ev[0].event_type.as_deref(), Some("created"));
        assert_eq!(ev[0].state, Some(TaskState::Queued));
        assert_eq!(ev[0].raw_status.as_deref(), Some("1"));
        assert!(events(&p, &json!({"nope": 1})).is_err());
    }
}
