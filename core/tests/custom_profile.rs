//! A fifth provider described as a profile object (JSON with camelCase keys, as a user
//! writes it in JavaScript) works without changing the library; the built-in profiles
//! survive a JSON round trip (so `profiles.mirako` can be passed back in).

use serde_json::json;
use tasklane_core::engine::Output;
use tasklane_core::profile_reader::read_profile;
use tasklane_core::{
    ClientConfig, Engine, HttpResponse, OpResult, ProviderProfile, ProviderSpec, SubmitRequest,
    TaskRef, TaskState, WaitOptions,
};

/// A serde_json literal as the core's JSON value.
fn cj(v: &serde_json::Value) -> tasklane_core::json::Value {
    tasklane_core::json::parse(&v.to_string()).expect("valid JSON")
}

fn replicate_like() -> serde_json::Value {
    json!({
        "name": "predictions",
        "submit": {
            "route": {"method": "POST", "path": "/v1/models/{model}/predictions"},
            "body": [
                {"to": "input", "from": "input"},
                {"to": "webhook", "from": "webhookUrl"},
                {"to": "webhook_events_filter", "from": "const", "value": null, "valueWithWebhook": ["completed"]}
            ],
            "idPath": "id",
            "urls": {"status": "urls.get", "cancel": "urls.cancel"}
        },
        "status": {
            "route": {"method": "GET", "path": "/v1/predictions/{id}", "urlFrom": "status"},
            "idPath": "id",
            "statePath": "status",
            "states": {"starting": "queued", "processing": "running", "succeeded": "succeeded",
                       "failed": "failed", "canceled": "canceled"},
            "errorMessagePath": "error",
            "outputs": [{"path": "output[]"}, {"path": "output"}],
            "costPath": "metrics.predict_time",
            "costScale": 1000
        },
        "cancel": {"route": {"method": "POST", "path": "/v1/predictions/{id}/cancel", "urlFrom": "cancel"}}
    })
}

#[test]
fn a_fifth_provider_from_a_profile_object() {
    let profile = read_profile(&cj(&replicate_like())).expect("a valid profile");
    let mut cfg = ClientConfig::new("x", "http://127.0.0.1:9/r8");
    cfg.provider = ProviderSpec::Profile(Box::new(profile));
    cfg.api_key = Some("k".into());
    let mut e = Engine::new(cfg, 1).expect("valid");
    let now = 1_000;
    let mut req = SubmitRequest::new(cj(&json!({"prompt": "a cat"})));
    req.model = Some("black-forest-labs/flux-schnell".into());
    let op = e.submit(now, req).expect("ok");
    let (rid, sent) = match e.poll_output(now) {
        Some(Output::Send { req, request }) => (req, request),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        sent.url,
        "http://127.0.0.1:9/r8/v1/models/black-forest-labs/flux-schnell/predictions"
    );
    assert_eq!(
        sent.body.as_deref(),
        Some(r#"{"input":{"prompt":"a cat"}}"#)
    );
    let answer = json!({"id": "p1", "status": "starting",
        "urls": {"get": "http://127.0.0.1:9/r8/v1/predictions/p1", "cancel": "http://127.0.0.1:9/r8/v1/predictions/p1/cancel"}});
    e.handle_response(
        now + 10,
        rid,
        Ok(HttpResponse::new(201, answer.to_string())),
    );
    let mut done = None;
    while let Some(o) = e.poll_output(now + 10) {
        if let Output::Done { op: o2, result } = o {
            assert_eq!(o2, op);
            done = Some(result);
        }
    }
    match done.expect("submit ended") {
        Ok(OpResult::Update(u)) => assert_eq!((u.id.as_str(), u.state), ("p1", TaskState::Queued)),
        other => panic!("{other:?}"),
    }
    // wait: the remembered status URL is used; a finished body gives outputs and cost
    let w = e
        .wait(now + 10, &TaskRef::new("p1"), WaitOptions::default())
        .expect("ok");
    let t = e.next_wakeup().expect("a timer");
    let (rid, sent) = match e.poll_output(t) {
        Some(Output::Send { req, request }) => (req, request),
        other => panic!("{other:?}"),
    };
    assert_eq!(sent.url, "http://127.0.0.1:9/r8/v1/predictions/p1");
    let body = json!({"id": "p1", "status": "succeeded", "output": ["https://x/out-0.webp"], "metrics": {"predict_time": 1.5}});
    e.handle_response(t + 5, rid, Ok(HttpResponse::new(200, body.to_string())));
    let mut result = None;
    while let Some(o) = e.poll_output(t + 5) {
        if let Output::Done { op, result: r } = o {
            assert_eq!(op, w);
            result = Some(r);
        }
    }
    match result.expect("wait ended") {
        Ok(OpResult::Update(u)) => {
            assert_eq!(u.cost_ms, Some(1500));
            let o = u.outputs.expect("outputs");
            assert_eq!(o.len(), 1);
            assert_eq!(o[0].kind, tasklane_core::OutputKind::Image);
        }
        other => panic!("{other:?}"),
    }
    // cancel uses the remembered cancel URL
    e.cancel(t + 5, &TaskRef::new("p1"), None)
        .expect("profile can cancel");
}

#[test]
fn builtin_profiles_are_profile_objects() {
    for (name, text) in tasklane_core::dialects::PROFILES {
        let v = tasklane_core::json::parse(text).expect("valid JSON");
        assert!(v["submit"].get("idPath").is_some(), "camelCase keys");
        let p = read_profile(&v).expect("reads");
        assert_eq!(Some(&p), ProviderProfile::builtin(name).as_ref(), "{name}");
        // and an engine takes it as a profile object
        let mut cfg = ClientConfig::new(name, "http://127.0.0.1:9");
        cfg.provider = ProviderSpec::Profile(Box::new(p));
        Engine::new(cfg, 0).expect("valid");
    }
}

#[test]
fn a_bad_profile_is_refused_by_the_reader() {
    let mut p = replicate_like();
    p["status"]["states"]["starting"] = json!("warming");
    assert_eq!(
        read_profile(&cj(&p)).unwrap_err(),
        "status.states.starting: must be a state"
    );
}

#[test]
fn a_status_route_that_cannot_be_built_refuses_the_submit_before_sending() {
    let mut p = replicate_like();
    p["status"]["route"]["path"] = json!("/v1/predictions/{prediction_id}");
    let mut cfg = ClientConfig::new("x", "http://127.0.0.1:9/r8");
    cfg.provider = ProviderSpec::Profile(Box::new(read_profile(&cj(&p)).expect("reads")));
    let mut e = Engine::new(cfg, 1).expect("valid");
    let mut req = SubmitRequest::new(cj(&json!({"prompt": "a cat"})));
    req.model = Some("m".into());
    let err = e.submit(0, req.clone()).expect_err("refused");
    assert_eq!(err.code().as_str(), "invalid_argument");
    assert!(err.to_string().contains("prediction_id"), "{err}");
    assert!(e.poll_output(0).is_none(), "nothing is sent");
    // Without a path, the status route waits for the submit answer's URL: accepted.
    p["status"]["route"]["path"] = json!("");
    let mut cfg = ClientConfig::new("x", "http://127.0.0.1:9/r8");
    cfg.provider = ProviderSpec::Profile(Box::new(read_profile(&cj(&p)).expect("reads")));
    let mut e = Engine::new(cfg, 1).expect("valid");
    e.submit(0, req).expect("accepted");
}
