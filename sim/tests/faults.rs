//! Fault injection over real loopback HTTP: scripted (`_sim.faults` with `times`), global
//! (`POST /__sim/faults`, `--fault-rate`), every kind — 429 with `Retry-After` in seconds
//! and as an HTTP-date, 5xx, slow, reset mid-body, truncated, non-JSON, unknown status,
//! and drop (the submit landed but no answer came; a retry with the same key dedupes).

mod common;

use common::*;
use serde_json::{json, Value};

async fn queue_task(u: &str, faults: Value) -> Value {
    let r = post(
        &format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
        &json!({"_sim": {"queue_ms": 0, "run_ms": 0, "faults": faults}}),
    )
    .await;
    assert_eq!(r.status, 200);
    r.json()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_in_seconds_and_as_http_date() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let t = queue_task(
        &u,
        json!([{"on": "status", "kind": "429", "times": 1, "retry_after_s": 2}]),
    )
    .await;
    let status_url = t["status_url"].as_str().unwrap();
    let r = get(status_url).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after").as_deref(), Some("2"));
    assert!(
        r.json()["detail"].is_string(),
        "the queue dialect's error shape"
    );
    assert_eq!(get(status_url).await.status, 200, "times: 1 means once");

    let t = queue_task(
        &u,
        json!([{"on": "status", "kind": "429-date", "times": 1, "retry_after_s": 3}]),
    )
    .await;
    let r = get(t["status_url"].as_str().unwrap()).await;
    assert_eq!(r.status, 429);
    let date = httpdate::parse_http_date(&r.header("retry-after").unwrap()).expect("an HTTP-date");
    assert!(date > std::time::SystemTime::now(), "a date in the future");
    let s = stats(&sim).await;
    let id = t["request_id"].as_str().unwrap();
    assert_eq!(s["tasks"][id]["requests"][1]["status"], 429);
    assert_eq!(s["tasks"][id]["requests"][1]["fault"], "429-date");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_slow_and_rewritten_bodies() {
    let sim = sim(&[]).await;
    let u = sim.url();
    for code in [500u16, 502, 503, 504] {
        let t = queue_task(&u, json!([{"on": "status", "kind": code.to_string()}])).await;
        let r = get(t["status_url"].as_str().unwrap()).await;
        assert_eq!(r.status, code);
        assert_eq!(get(t["status_url"].as_str().unwrap()).await.status, 200);
    }
    let t = queue_task(
        &u,
        json!([{"on": "status", "kind": "slow", "delay_ms": 150}]),
    )
    .await;
    let r = get(t["status_url"].as_str().unwrap()).await;
    assert_eq!(
        (r.status, r.json()["status"].clone()),
        (200, json!("COMPLETED"))
    );
    let s = stats(&sim).await;
    assert_eq!(
        s["tasks"][t["request_id"].as_str().unwrap()]["requests"][1]["fault"],
        "slow"
    );

    let t = queue_task(&u, json!([{"on": "status", "kind": "truncated"}])).await;
    let r = get(t["status_url"].as_str().unwrap()).await;
    assert_eq!(r.status, 200);
    assert!(
        serde_json::from_slice::<Value>(&r.body).is_err(),
        "a truncated document"
    );
    assert!(!r.body.is_empty());

    let t = queue_task(&u, json!([{"on": "result", "kind": "non_json"}])).await;
    let r = get(t["response_url"].as_str().unwrap()).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(serde_json::from_slice::<Value>(&r.body).is_err());
    assert_eq!(
        get(t["response_url"].as_str().unwrap()).await.json()["images"][0]["content_type"],
        "image/png"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_status_in_every_dialect() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let f =
        json!({"queue_ms": 0, "run_ms": 0, "faults": [{"on": "status", "kind": "unknown_status"}]});
    let m = post(&format!("{u}/mirako/v1/op"), &json!({"_sim": f}))
        .await
        .json();
    let id = m["data"]["task_id"].as_str().unwrap();
    assert_eq!(
        get(&format!("{u}/mirako/v1/op/{id}/status")).await.json()["data"]["status"],
        "SIM_UNKNOWN_STATUS"
    );
    let a = post(
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &json!({"input": {"_sim": f}}),
    )
    .await
    .json();
    let id = a["data"]["taskId"].as_str().unwrap();
    assert_eq!(
        get(&format!("{u}/apixo/api/v1/statusTask/m?taskId={id}"))
            .await
            .json()["data"]["state"],
        "sim_unknown_state"
    );
    let p = post(
        &format!("{u}/mindproxy/v1/tasks"),
        &json!({"task_type": "video", "input_assets_json": {"_sim": f}}),
    )
    .await
    .json();
    let id = p["task_id"].as_str().unwrap();
    assert_eq!(
        get(&format!("{u}/mindproxy/v1/tasks/{id}")).await.json()["status"],
        42
    );
    let q = post(&format!("{u}/queue/v1/queue/e"), &json!({"_sim": f}))
        .await
        .json();
    assert_eq!(
        get(q["status_url"].as_str().unwrap()).await.json()["status"],
        "SIM_UNKNOWN_STATUS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_mid_response_sends_headers_and_part_of_the_body() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let t = queue_task(&u, json!([{"on": "status", "kind": "reset", "times": 2}])).await;
    let status_url = t["status_url"].as_str().unwrap();
    let err = send(
        "GET",
        status_url,
        &[("authorization", "Bearer sim-key")],
        None,
    )
    .await
    .unwrap_err();
    assert!(
        err.starts_with("body"),
        "headers arrived, the body failed: {err}"
    );
    // On the wire: a 200 head and a partial chunk, never the terminating chunk.
    let path = status_url.trim_start_matches(&u);
    let req = format!("GET {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sim-key\r\n\r\n");
    let (bytes, _) = raw(&sim, req.as_bytes()).await;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(
        text.contains("\"request_id"),
        "part of the body arrived: {text}"
    );
    assert!(
        !text.ends_with("0\r\n\r\n"),
        "the body never completed: {text}"
    );
    assert_eq!(get(status_url).await.status, 200, "then it serves normally");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_on_submit_creates_the_task_and_a_keyed_retry_finds_it() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let body = json!({
        "task_type": "async_image", "idempotency_key": "k-drop",
        "input_assets_json": {"_sim": {"queue_ms": 0, "run_ms": 100, "ref": "drop-1", "faults": [{"on": "submit", "kind": "drop"}]}}
    })
    .to_string();
    let req = format!(
        "POST /mindproxy/v1/tasks HTTP/1.1\r\nhost: x\r\nauthorization: Bearer sim-key\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let (bytes, _) = raw(&sim, req.as_bytes()).await;
    assert!(
        bytes.is_empty(),
        "no answer at all: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    let s = stats(&sim).await;
    assert_eq!(s["tasks_created"], 1, "the submit landed");
    let first = s["tasks"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(s["tasks"][&first]["requests"][0]["status"], 0);
    assert_eq!(s["tasks"][&first]["requests"][0]["fault"], "drop");
    // The client retries with the same key: same task, counted as a duplicate.
    let r = send(
        "POST",
        &format!("{u}/mindproxy/v1/tasks"),
        &[("authorization", "Bearer sim-key")],
        Some(body.as_bytes()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, 202);
    assert_eq!(r.json()["task_id"], json!(first));
    let s = stats(&sim).await;
    assert_eq!(
        (
            s["tasks_created"].clone(),
            s["duplicate_submits"].clone(),
            s["refs"]["drop-1"].clone()
        ),
        (json!(1), json!(1), json!(1))
    );
    // A dropped status request on an existing task.
    let t = queue_task(&u, json!([{"on": "status", "kind": "drop"}])).await;
    assert!(send(
        "GET",
        t["status_url"].as_str().unwrap(),
        &[("authorization", "Bearer sim-key")],
        None
    )
    .await
    .is_err());
    assert_eq!(get(t["status_url"].as_str().unwrap()).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_rules_by_route_dialect_and_times_and_cli_rate() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/__sim/faults"),
        &json!({"rules": [{"dialect": "apixo", "on": "submit", "kind": "503", "times": 2}]}),
    )
    .await;
    assert_eq!(r.status, 200);
    let submit = format!("{u}/apixo/api/v1/generateTask/m");
    assert_eq!(post(&submit, &json!({"input": {}})).await.status, 503);
    assert_eq!(
        post(&format!("{u}/queue/v1/queue/e"), &json!({}))
            .await
            .status,
        200,
        "other dialects untouched"
    );
    assert_eq!(post(&submit, &json!({"input": {}})).await.status, 503);
    assert_eq!(
        post(&submit, &json!({"input": {}})).await.status,
        200,
        "times exhausted"
    );
    assert_eq!(
        post(
            &format!("{u}/__sim/faults"),
            &json!({"rules": [{"kind": "teapot"}]})
        )
        .await
        .status,
        400
    );
    assert_eq!(
        post(
            &format!("{u}/__sim/faults"),
            &json!({"rules": [{"on": "files", "kind": "500", "times": 1}]})
        )
        .await
        .status,
        200
    );
    assert_eq!(
        send("GET", &format!("{u}/files/abc.png"), &[], None)
            .await
            .unwrap()
            .status,
        500
    );
    assert_eq!(
        send("GET", &format!("{u}/files/abc.png"), &[], None)
            .await
            .unwrap()
            .status,
        200
    );
    // Files fault like any route: a reset cuts the picture, a truncation halves it.
    let file = format!("{u}/files/abc.png");
    let whole = send("GET", &file, &[], None).await.unwrap().body;
    let rules = json!({"rules": [{"on": "files", "kinds": ["reset"], "times": 1}]});
    assert_eq!(post(&format!("{u}/__sim/faults"), &rules).await.status, 200);
    assert!(send("GET", &file, &[], None).await.is_err());
    let rules = json!({"rules": [{"on": "files", "kind": "truncated", "times": 1}]});
    assert_eq!(post(&format!("{u}/__sim/faults"), &rules).await.status, 200);
    assert_eq!(
        send("GET", &file, &[], None).await.unwrap().body.len(),
        whole.len() / 2
    );

    // The CLI's rate: every request with rate 1.
    let always = common::sim(&[
        "--fault-rate",
        "1",
        "--faults",
        "502",
        "--fault-on",
        "submit",
    ])
    .await;
    let au = always.url();
    for _ in 0..3 {
        assert_eq!(
            post(&format!("{au}/queue/v1/queue/e"), &json!({}))
                .await
                .status,
            502
        );
    }
    // A model with a built-in status fault rate faults some status polls and not others.
    let flaky = common::sim(&["--model", "flaky=fixed:0,queue=0,faults=0.5"]).await;
    let fu = flaky.url();
    let t = post(&format!("{fu}/queue/v1/queue/flaky"), &json!({}))
        .await
        .json();
    let mut codes = std::collections::BTreeSet::new();
    for _ in 0..40 {
        codes.insert(get(t["status_url"].as_str().unwrap()).await.status);
    }
    assert!(codes.contains(&200) && codes.len() > 1, "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn misspelt_fault_fields_are_refused_not_ignored() {
    let sim = sim(&[]).await;
    let u = sim.url();
    // A typo in `rate` or `dialect` must not turn into "every request of every dialect fails".
    let r = post(
        &format!("{u}/__sim/faults"),
        &json!({"rules": [{"kind": "500", "rte": 0.1, "dialect": "apixo"}]}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rte"));
    let r = post(
        &format!("{u}/__sim/faults"),
        &json!({"rules": [{"kind": "500", "kinds": ["503"]}]}),
    )
    .await;
    assert_eq!(r.status, 400, "kind and kinds together");
    let r = post(
        &format!("{u}/__sim/faults"),
        &json!({"rules": [], "rule": [{"kind": "500"}]}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("rule"));
    let rules = get(&format!("{u}/__sim/faults")).await.json();
    assert_eq!(rules["rules"], json!([]), "a refused body changes nothing");

    // `_sim.faults` entries: an unknown field, or several kinds for one script entry.
    let submit = format!("{u}/queue/v1/queue/fal-ai/flux/dev");
    for (faults, field) in [
        (
            json!([{"on": "status", "kind": "429", "retry_after": 5}]),
            "retry_after",
        ),
        (json!([{"on": "status", "kind": "500", "time": 3}]), "time"),
        (json!([{"on": "status", "kinds": ["429", "500"]}]), "kinds"),
    ] {
        let r = post(&submit, &json!({"_sim": {"faults": faults}})).await;
        assert_eq!(r.status, 400, "{faults}");
        let m = r.json()["detail"].as_str().unwrap().to_string();
        assert!(m.contains(field), "{m}");
    }
    assert_eq!(stats(&sim).await["tasks_created"], 0);
}
