//! queue: `POST /v1/queue/{endpoint}` with the input as the body → `{request_id,
//! status_url, response_url, cancel_url?}`; `GET status_url` → `IN_QUEUE`
//! (`queue_position`), `IN_PROGRESS`, `COMPLETED` (check `error` / `error_type`); the
//! result from `GET response_url`; cancel with `PUT cancel_url` when one was given. A
//! webhook body carries the result as `payload` (its output rule); a polled status does not.

// The profile itself is data: `queue.json`, read by `crate::profile_reader` like a
// user's profile object (see `super::builtin`).

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::normalize::{result_outputs, status_update};
    use crate::state::{OutputKind, TaskState};

    #[test]
    fn vendor_bodies() {
        let p = super::super::builtin("queue").expect("built in");
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
        let p = super::super::builtin("queue").expect("built in");
        let o = result_outputs(
            &p,
            &json!({"images": [{"url": "https://x/1.png", "content_type": "image/png"}, {"url": "https://x/2.png"}], "seed": 1}),
        )
        .unwrap();
        assert_eq!(o.len(), 2);
        let o = result_outputs(&p, &json!({"video": {"url": "https://x/v.mp4"}})).unwrap();
        assert_eq!(o[0].kind, OutputKind::Video);
        let o = result_outputs(&p, &json!({"audio": {"url": "https://x/a"}})).unwrap();
        assert_eq!(o[0].kind, OutputKind::Audio);
        let u = status_update(&p, &json!({"status": "COMPLETED", "request_id": "r", "payload": {"image": {"url": "https://x/i"}}}), None)
            .expect("webhook body");
        assert_eq!(
            u.outputs.expect("payload outputs")[0].kind,
            OutputKind::Image
        );
    }
}
