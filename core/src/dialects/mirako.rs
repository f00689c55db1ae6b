//! mirako: `POST /v1/{operation}` (default `avatar/async_generate`) with the input's
//! fields and `webhook: {url, auth_token}`; `GET /v1/{operation}/{task_id}/status` →
//! `{data: {task_id, status, image?, error?}}`, the image as base64.

// The profile itself is data: `mirako.json`, read by `crate::profile_reader` like a
// user's profile object (see `super::builtin`).

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::normalize::status_update;
    use crate::state::{OutputKind, TaskState};

    #[test]
    fn vendor_bodies() {
        let p = super::super::builtin("mirako").expect("built in");
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
        assert_eq!(u.raw.value(), done);
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
        let p = super::super::builtin("mirako").expect("built in");
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
