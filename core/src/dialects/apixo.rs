//! apixo: `POST /api/v1/generateTask/{model}` with `{request_type, input, callback_url?}`
//! → `{code, message, data: {taskId}}`; `GET /api/v1/statusTask/{model}?taskId=` →
//! `data.state` and `data.resultJson`, a JSON **string** with `resultUrls`. apixo-style gateways answer
//! HTTP 200 with `{"code": 429, "msg": ...}`: the profile's `envelope` reads that code.

// The profile itself is data: `apixo.json`, read by `crate::profile_reader` like a
// user's profile object (see `super::builtin`).

#[cfg(test)]
mod tests {
    use crate::json;
    use crate::normalize::{status_update, NormalizeError};
    use crate::state::{OutputKind, TaskState};

    #[test]
    fn vendor_bodies() {
        let p = super::super::builtin("apixo").expect("built in");
        let u = status_update(
            &p,
            &json!({"data": {"taskId": "task_abc123xyz", "state": "processing"}}),
            None,
        )
        .expect("documented body");
        assert_eq!(
            (u.id.as_str(), u.state),
            ("task_abc123xyz", TaskState::Running)
        );
        let done = json!({"data": {"taskId": "task_abc123xyz", "state": "success",
            "resultJson": "{\"resultUrls\":[\"https://cdn.apixo.ai/a.png\",\"https://cdn.apixo.ai/b.mp4\"]}",
            "costTime": 12500}});
        let u = status_update(&p, &done, None).expect("documented body");
        assert_eq!(u.state, TaskState::Succeeded);
        assert_eq!(u.cost_ms, Some(12500));
        let o = u.outputs.expect("outputs");
        assert_eq!(o.len(), 2);
        assert_eq!(
            (o[0].url.as_str(), o[0].kind),
            ("https://cdn.apixo.ai/a.png", OutputKind::Image)
        );
        assert_eq!(o[1].kind, OutputKind::Video);
        // raw keeps the provider's body as it came, string and all
        assert!(u.raw.value()["data"]["resultJson"].is_string());
        let u = status_update(&p, &json!({"code": 200, "msg": "ok", "data": {"taskId": "t", "state": "failed", "failMsg": "nsfw"}}), None)
            .expect("webhook-shaped body");
        assert_eq!(u.state, TaskState::Failed);
        assert_eq!(u.error.expect("error").message, "nsfw");
        let u = status_update(
            &p,
            &json!({"data": {"taskId": "t", "state": "pending"}}),
            None,
        )
        .expect("valid");
        assert_eq!(u.state, TaskState::Queued);
    }

    #[test]
    fn broken_result_json_is_a_typed_error_not_a_silent_success() {
        let p = super::super::builtin("apixo").expect("built in");
        let body = |result: &str| json!({"data": {"taskId": "t", "state": "success", "resultJson": result}});
        // Its results cannot be read: a success without them would hide that.
        let e = status_update(&p, &body("{not json"), None).expect_err("unreadable results");
        assert_eq!(e, NormalizeError::FieldNotJson("data.resultJson".into()));
        assert_eq!(e.to_string(), "`data.resultJson` is not JSON text");
        // Nothing sent is not damage: a success without outputs.
        for blank in ["", "  "] {
            let u = status_update(&p, &body(blank), None).expect("blank is no result");
            assert_eq!(u.state, TaskState::Succeeded);
            assert!(u.outputs.is_none());
        }
    }
}
