//! Every state of every dialect over real loopback HTTP: submit shapes and status codes,
//! live states (with a decreasing queue position), every terminal kind, results, files,
//! idempotency dedupe, cancel, events, not-found shapes, stats and seeded reproducibility.

mod common;

use base64::Engine as _;
use common::*;
use serde_json::{json, Value};

fn sim_ctl(queue_ms: u64, run_ms: u64, outcome: &str) -> Value {
    json!({"queue_ms": queue_ms, "run_ms": run_ms, "outcome": outcome})
}

/// Polls `url` until `pick(body)` is one of `terminal`, collecting every value seen.
async fn follow(
    url: &str,
    pick: impl Fn(&Value) -> Value,
    terminal: &[Value],
) -> (Vec<Value>, Value) {
    let mut seen: Vec<Value> = Vec::new();
    for _ in 0..400 {
        let r = get(url).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        let v = pick(&body);
        if seen.last() != Some(&v) {
            seen.push(v.clone());
        }
        if terminal.contains(&v) {
            return (seen, body);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{url} never reached a terminal state; saw {seen:?}");
}

/// `seen` follows `order` (some states may be skipped between polls) and ends at its last.
fn assert_in_order(seen: &[Value], order: &[&str]) {
    let idx: Vec<usize> = seen
        .iter()
        .map(|v| {
            order
                .iter()
                .position(|o| v == o)
                .unwrap_or_else(|| panic!("{v} not in {order:?}"))
        })
        .collect();
    assert!(
        idx.windows(2).all(|w| w[0] < w[1]),
        "out of order: {seen:?}"
    );
    assert_eq!(idx.last(), Some(&(order.len() - 1)), "{seen:?}");
}

/// Each live state by construction (a phase far longer than the test), in every dialect,
/// so no assertion depends on when a poll happens to land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_live_state_by_construction_and_a_falling_queue_position() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let long = 600_000;
    for (queue_ms, run_ms, mirako, apixo, mindproxy, queue) in [
        (long, long, "IN_QUEUE", "pending", 1, "IN_QUEUE"),
        (0, long, "IN_PROGRESS", "processing", 3, "IN_PROGRESS"),
    ] {
        let ctl = json!({"queue_ms": queue_ms, "run_ms": run_ms});
        let r = post(&format!("{u}/mirako/v1/op"), &json!({"_sim": ctl}))
            .await
            .json();
        let id = r["data"]["task_id"].as_str().unwrap();
        assert_eq!(
            get(&format!("{u}/mirako/v1/op/{id}/status")).await.json()["data"]["status"],
            mirako
        );
        let r = post(
            &format!("{u}/apixo/api/v1/generateTask/m"),
            &json!({"input": {"_sim": ctl}}),
        )
        .await
        .json();
        let id = r["data"]["taskId"].as_str().unwrap();
        let st = get(&format!("{u}/apixo/api/v1/statusTask/m?taskId={id}"))
            .await
            .json();
        assert_eq!(st["data"]["state"], apixo);
        assert!(st["data"].get("resultJson").is_none());
        let r = post(
            &format!("{u}/mindproxy/v1/tasks"),
            &json!({"task_type": "video", "input_assets_json": {"_sim": ctl}}),
        )
        .await
        .json();
        let id = r["task_id"].as_str().unwrap();
        assert_eq!(
            get(&format!("{u}/mindproxy/v1/tasks/{id}")).await.json()["status"],
            mindproxy
        );
        let r = post(&format!("{u}/queue/v1/queue/e/f"), &json!({"_sim": ctl}))
            .await
            .json();
        let st = get(r["status_url"].as_str().unwrap()).await.json();
        assert_eq!(st["status"], queue);
        assert_eq!(st.get("queue_position").is_some(), queue == "IN_QUEUE");
        let early = get(r["response_url"].as_str().unwrap()).await;
        assert_eq!(early.status, 400, "no result before COMPLETED");
    }
    // mindproxy SUBMITTED (2): the second half of the queued phase.
    let r = post(&format!("{u}/mindproxy/v1/tasks"), &json!({"task_type": "video", "input_assets_json": {"_sim": {"queue_ms": 300, "run_ms": long}}})).await.json();
    let id = r["task_id"].as_str().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(160)).await;
    let s = get(&format!("{u}/mindproxy/v1/tasks/{id}")).await.json()["status"].clone();
    assert!(s == 2 || s == 3, "{s}");
    // The queue position falls as time passes: 300 ms later it is at least one lower.
    let r = post(
        &format!("{u}/queue/v1/queue/e/f"),
        &json!({"_sim": {"queue_ms": long, "run_ms": 1}}),
    )
    .await
    .json();
    let p0 = get(r["status_url"].as_str().unwrap()).await.json()["queue_position"]
        .as_u64()
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let p1 = get(r["status_url"].as_str().unwrap()).await.json()["queue_position"]
        .as_u64()
        .unwrap();
    assert!(p1 < p0, "{p0} then {p1}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirako_every_state_and_inline_image() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/mirako/v1/avatar/async_generate"),
        &json!({"prompt": "a cat", "_sim": sim_ctl(150, 150, "succeeded")}),
    )
    .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(b["data"]["status"], "IN_QUEUE");
    let id = b["data"]["task_id"].as_str().unwrap().to_string();
    let status_url = format!("{u}/mirako/v1/avatar/async_generate/{id}/status");
    let terminal = ["COMPLETED", "FAILED", "CANCELED", "TIMED_OUT"].map(|s| json!(s));
    let (seen, body) = follow(&status_url, |b| b["data"]["status"].clone(), &terminal).await;
    assert_in_order(&seen, &["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]);
    let png = base64::engine::general_purpose::STANDARD
        .decode(body["data"]["image"].as_str().unwrap())
        .unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
    let file = send("GET", &format!("{u}/files/{id}.png"), &[], None)
        .await
        .unwrap();
    assert_eq!(file.status, 200);
    assert_eq!(file.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(
        file.body.as_ref(),
        png.as_slice(),
        "the inline image is the served file"
    );

    for (outcome, status) in [
        ("failed", "FAILED"),
        ("canceled", "CANCELED"),
        ("timed_out", "TIMED_OUT"),
    ] {
        let r = post(
            &format!("{u}/mirako/v1/image/async_generate"),
            &json!({"prompt": "x", "_sim": sim_ctl(0, 0, outcome)}),
        )
        .await;
        let id = r.json()["data"]["task_id"].as_str().unwrap().to_string();
        let b = get(&format!("{u}/mirako/v1/image/async_generate/{id}/status"))
            .await
            .json();
        assert_eq!(b["data"]["status"], status);
        assert!(
            b["data"]["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{b}"
        );
        assert!(b["data"].get("image").is_none());
    }
    let nf = get(&format!("{u}/mirako/v1/avatar/async_generate/nope/status")).await;
    assert_eq!(nf.status, 404);
    assert_eq!(nf.json()["error"]["code"], "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apixo_states_result_json_string_and_fail_msg() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/apixo/api/v1/generateTask/flux-2"),
        &json!({"request_type": "async", "input": {"prompt": "x", "_sim": sim_ctl(150, 150, "succeeded")}}),
    )
    .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    assert_eq!(
        (b["code"].clone(), b["message"].clone()),
        (json!(200), json!("success"))
    );
    let id = b["data"]["taskId"].as_str().unwrap().to_string();
    let url = format!("{u}/apixo/api/v1/statusTask/flux-2?taskId={id}");
    let (seen, body) = follow(
        &url,
        |b| b["data"]["state"].clone(),
        &[json!("success"), json!("failed")],
    )
    .await;
    assert_in_order(&seen, &["pending", "processing", "success"]);
    let rj: Value = serde_json::from_str(
        body["data"]["resultJson"]
            .as_str()
            .expect("resultJson is a string"),
    )
    .unwrap();
    let file_url = rj["resultUrls"][0].as_str().unwrap();
    assert!(file_url.starts_with(&format!("{u}/files/")), "{file_url}");
    assert_eq!(
        send("GET", file_url, &[], None)
            .await
            .unwrap()
            .header("content-type")
            .as_deref(),
        Some("image/png")
    );
    assert_eq!(body["data"]["costTime"], 150);

    let r = post(
        &format!("{u}/apixo/api/v1/generateTask/flux-2"),
        &json!({"input": {"_sim": sim_ctl(0, 0, "failed")}}),
    )
    .await;
    let id = r.json()["data"]["taskId"].as_str().unwrap().to_string();
    let b = get(&format!("{u}/apixo/api/v1/statusTask/flux-2?taskId={id}"))
        .await
        .json();
    assert_eq!(b["data"]["state"], "failed");
    assert!(b["data"]["failMsg"].as_str().is_some_and(|m| !m.is_empty()));

    let nf = get(&format!(
        "{u}/apixo/api/v1/statusTask/flux-2?taskId=task_nope"
    ))
    .await;
    assert_eq!((nf.status, nf.json()["code"].clone()), (404, json!(404)));
    assert_eq!(
        get(&format!("{u}/apixo/api/v1/statusTask/flux-2"))
            .await
            .status,
        400
    );
    let bad = post(
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &json!({"request_type": "callback", "input": {}}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"]
        .as_str()
        .unwrap()
        .contains("callback_url"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mindproxy_numeric_states_idempotency_events_and_cancel() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let body = json!({
        "task_type": "async_image", "public_model": "flux-1-dev", "prompt": "city",
        "idempotency_key": "key-1", "input_assets_json": {"_sim": sim_ctl(200, 150, "succeeded")}
    });
    let r = post(&format!("{u}/mindproxy/v1/tasks"), &body).await;
    assert_eq!(r.status, 202);
    let b = r.json();
    assert_eq!(b["status"], 1);
    let id = b["task_id"].as_str().unwrap().to_string();
    let again = post(&format!("{u}/mindproxy/v1/tasks"), &body).await;
    assert_eq!(again.json()["task_id"], json!(id), "same key, same task");

    let terminal = [4, 5, 6, 7, 8].map(|n| json!(n));
    let (seen, done) = follow(
        &format!("{u}/mindproxy/v1/tasks/{id}"),
        |b| b["status"].clone(),
        &terminal,
    )
    .await;
    assert_eq!(seen.last(), Some(&json!(4)));
    assert!(
        seen.iter()
            .all(|s| [1, 2, 3, 4].map(|n| json!(n)).contains(s)),
        "{seen:?}"
    );
    let assets: Value =
        serde_json::from_str(done["result_assets_json"].as_str().expect("a JSON string")).unwrap();
    assert!(assets["image_url"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/files/{id}.png")));
    assert!(assets["seed"].is_u64());
    assert_eq!(done["task_type"], 3);
    assert!(done["completed_at"].as_str().unwrap().ends_with('Z'));

    let ev = get(&format!(
        "{u}/mindproxy/v1/tasks/{id}/events?limit=50&offset=0"
    ))
    .await
    .json();
    let kinds: Vec<&str> = ev["task_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "submitted", "processing", "succeeded"]);
    let page = get(&format!(
        "{u}/mindproxy/v1/tasks/{id}/events?limit=2&offset=1"
    ))
    .await
    .json();
    assert_eq!(page["task_events"].as_array().unwrap().len(), 2);
    assert_eq!(page["task_events"][0]["event_type"], "submitted");
    assert_eq!(
        get(&format!("{u}/mindproxy/v1/tasks/{id}/events?limit=abc"))
            .await
            .status,
        400
    );

    // Cancel on a terminal task: 409 with an error body.
    let c = post(
        &format!("{u}/mindproxy/v1/tasks/{id}/cancel"),
        &json!({"reason": "late"}),
    )
    .await;
    assert_eq!(c.status, 409);
    assert_eq!(c.json()["error"]["code"], "task_terminal");

    // Cancel a live one: 6 with the reason.
    let r = post(&format!("{u}/mindproxy/v1/tasks"), &json!({"task_type": "video", "input_assets_json": {"_sim": sim_ctl(5000, 5000, "succeeded")}})).await;
    let live = r.json()["task_id"].as_str().unwrap().to_string();
    let c = post(
        &format!("{u}/mindproxy/v1/tasks/{live}/cancel"),
        &json!({"reason": "user cancelled"}),
    )
    .await;
    assert_eq!(c.status, 200);
    assert_eq!(c.json()["status"], 6);
    let s = get(&format!("{u}/mindproxy/v1/tasks/{live}")).await.json();
    assert_eq!(
        (s["status"].clone(), s["error_code"].clone()),
        (json!(6), json!("CANCELLED"))
    );
    assert!(s["error_message"]
        .as_str()
        .unwrap()
        .contains("user cancelled"));

    for (outcome, num, code) in [
        ("failed", 5, "GENERATION_FAILED"),
        ("canceled", 6, "CANCELLED"),
        ("expired", 7, "EXPIRED"),
        ("refunded", 8, "REFUNDED"),
    ] {
        let r = post(
            &format!("{u}/mindproxy/v1/tasks"),
            &json!({"task_type": "video", "metadata_json": {"_sim": sim_ctl(0, 0, outcome)}}),
        )
        .await;
        let id = r.json()["task_id"].as_str().unwrap().to_string();
        let s = get(&format!("{u}/mindproxy/v1/tasks/{id}")).await.json();
        assert_eq!(s["status"], num, "{outcome}");
        assert_eq!(s["error_code"], code);
        assert!(s["error_message"].as_str().is_some_and(|m| !m.is_empty()));
        assert!(s["result_assets_json"].is_null());
    }
    let nf = get(&format!("{u}/mindproxy/v1/tasks/nope")).await;
    assert_eq!(
        (nf.status, nf.json()["error"]["code"].clone()),
        (404, json!("not_found"))
    );
    let bad = post(
        &format!("{u}/mindproxy/v1/tasks"),
        &json!({"task_type": "poem"}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("task_type"));
    let st = stats(&sim).await;
    assert_eq!(st["duplicate_submits"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_urls_position_results_errors_and_cancel() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
        &json!({"prompt": "x", "_sim": sim_ctl(900, 100, "succeeded")}),
    )
    .await;
    assert_eq!(r.status, 200);
    let b = r.json();
    let id = b["request_id"].as_str().unwrap().to_string();
    let base = format!("{u}/queue/v1/queue/fal-ai/flux/dev/requests/{id}");
    assert_eq!(b["status_url"], json!(format!("{base}/status")));
    assert_eq!(b["response_url"], json!(base));
    assert_eq!(b["cancel_url"], json!(format!("{base}/cancel")));
    let first_pos = b["queue_position"].as_u64().unwrap();
    assert!(first_pos >= 2, "{b}");
    let mut positions = vec![first_pos];
    loop {
        let s = get(&format!("{base}/status")).await.json();
        match s["status"].as_str().unwrap() {
            "IN_QUEUE" => positions.push(s["queue_position"].as_u64().unwrap()),
            "IN_PROGRESS" => assert!(s.get("queue_position").is_none()),
            "COMPLETED" => {
                assert!(s.get("error").is_none(), "{s}");
                break;
            }
            other => panic!("unexpected {other}"),
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(positions.windows(2).all(|w| w[1] <= w[0]), "{positions:?}");
    let res = get(&base).await;
    assert_eq!(res.status, 200);
    let img = &res.json()["images"][0];
    assert_eq!(img["content_type"], "image/png");
    assert!(img["url"].as_str().unwrap().ends_with(&format!("{id}.png")));

    // Video and audio outputs, fal-style.
    for (output, key, ct) in [
        ("video", "video", "video/mp4"),
        ("audio", "audio", "audio/wav"),
    ] {
        let r = post(
            &format!("{u}/queue/v1/queue/fal-ai/any"),
            &json!({"_sim": {"queue_ms": 0, "run_ms": 0, "output": output}}),
        )
        .await;
        assert_eq!(
            r.json()["status"],
            "IN_QUEUE",
            "a fresh submit is always queued"
        );
        assert_eq!(r.json()["queue_position"], 0);
        let res = get(r.json()["response_url"].as_str().unwrap()).await.json();
        let file = send("GET", res[key]["url"].as_str().unwrap(), &[], None)
            .await
            .unwrap();
        assert_eq!(file.header("content-type").as_deref(), Some(ct));
    }

    for (outcome, etype, http) in [
        ("INFERENCE_FAILURE", "INFERENCE_FAILURE", 500),
        ("INFERENCE_TIMEOUT", "INFERENCE_TIMEOUT", 504),
        ("REQUEST_INVALID", "REQUEST_INVALID", 422),
        ("CONTENT_BLOCKED", "CONTENT_BLOCKED", 422),
        ("CANCELED", "CANCELED", 400),
        ("INTERNAL_SERVER_ERROR", "INTERNAL_SERVER_ERROR", 500),
        ("failed", "INFERENCE_FAILURE", 500),
    ] {
        let r = post(
            &format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
            &json!({"_sim": sim_ctl(0, 0, outcome)}),
        )
        .await
        .json();
        let s = get(r["status_url"].as_str().unwrap()).await.json();
        assert_eq!(s["status"], "COMPLETED");
        assert_eq!(s["error_type"], etype);
        assert!(s["error"].as_str().is_some_and(|e| !e.is_empty()));
        let res = get(r["response_url"].as_str().unwrap()).await;
        assert_eq!(res.status, http, "{outcome}");
        assert_eq!(
            res.json()["error_type"],
            etype,
            "the result mirrors the error"
        );
    }

    // Cancel: live → 202 then COMPLETED+CANCELED; completed → 400 ALREADY_COMPLETED.
    let r = post(
        &format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
        &json!({"_sim": sim_ctl(5000, 100, "succeeded")}),
    )
    .await
    .json();
    let c = put(r["cancel_url"].as_str().unwrap()).await;
    assert_eq!(
        (c.status, c.json()["status"].clone()),
        (202, json!("CANCELLATION_REQUESTED"))
    );
    let s = get(r["status_url"].as_str().unwrap()).await.json();
    assert_eq!(
        (s["status"].clone(), s["error_type"].clone()),
        (json!("COMPLETED"), json!("CANCELED"))
    );
    // Canceled while queued: it never ran (the planned 100 ms were not spent).
    assert_eq!(s["metrics"]["inference_time"], json!(0.0));
    let c = put(r["cancel_url"].as_str().unwrap()).await;
    assert_eq!(
        (c.status, c.json()["status"].clone()),
        (400, json!("ALREADY_COMPLETED"))
    );

    let nf = get(&format!(
        "{u}/queue/v1/queue/fal-ai/flux/dev/requests/nope/status"
    ))
    .await;
    assert_eq!(nf.status, 404);
    assert!(nf.json()["detail"].as_str().is_some());
    // The URLs follow the request's Host.
    let r = send(
        "POST",
        &format!("{u}/queue/v1/queue/a/b"),
        &[
            ("authorization", "Bearer sim-key"),
            ("host", "sim.example:1234"),
        ],
        Some(b"{}"),
    )
    .await
    .unwrap();
    assert!(r.json()["status_url"]
        .as_str()
        .unwrap()
        .starts_with("http://sim.example:1234/queue/v1/queue/a/b/requests/"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_post_to_a_request_url_is_405_not_a_new_task() {
    // A client that cancels with POST (as mindproxy does) or posts to status_url must get
    // 405, not a fresh task whose endpoint is "fal-ai/flux/dev/requests/{id}/cancel".
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
        &json!({"_sim": sim_ctl(5000, 100, "succeeded")}),
    )
    .await
    .json();
    for (k, allow) in [
        ("cancel_url", "PUT"),
        ("status_url", "GET"),
        ("response_url", "GET"),
    ] {
        let c = post(r[k].as_str().unwrap(), &json!({})).await;
        assert_eq!(c.status, 405, "POST {k}: {:?}", c.json());
        assert_eq!(
            c.header("allow").as_deref(),
            Some(&*format!("{allow}, OPTIONS"))
        );
        assert!(c.json()["detail"].is_string(), "the queue error shape");
    }
    assert_eq!(stats(&sim).await["tasks_created"], 1);
    let s = get(r["status_url"].as_str().unwrap()).await.json();
    assert_eq!(
        s["status"], "IN_QUEUE",
        "the POSTs did not cancel it either"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_record_requests_refs_and_reset() {
    let sim = sim(&[]).await;
    let u = sim.url();
    for _ in 0..2 {
        post(
            &format!("{u}/queue/v1/queue/x/y"),
            &json!({"_sim": {"ref": "double", "queue_ms": 0, "run_ms": 50}}),
        )
        .await;
    }
    let r = post(
        &format!("{u}/mirako/v1/op"),
        &json!({"_sim": {"ref": "once", "queue_ms": 0, "run_ms": 0, "outcome": "failed"}}),
    )
    .await;
    let id = r.json()["data"]["task_id"].as_str().unwrap().to_string();
    get(&format!("{u}/mirako/v1/op/{id}/status")).await;
    let s = stats(&sim).await;
    assert_eq!(s["submits"], 3);
    assert_eq!(s["refs"]["double"], 2);
    assert_eq!(s["refs"]["once"], 1);
    assert_eq!(s["states"]["failed"], 1);
    assert_eq!(s["tasks_created"], 3);
    let t = &s["tasks"][&id];
    assert_eq!(t["dialect"], "mirako");
    assert_eq!(t["outcome"], "failed");
    assert!(t["created_at_ms"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(t["completed_at_ms"], t["created_at_ms"]);
    let routes: Vec<(String, u64)> = t["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["route"].as_str().unwrap().to_string(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        vec![("submit".to_string(), 200), ("status".to_string(), 200)]
    );
    assert!(
        t["requests"][1]["t_ms"].as_u64().unwrap() >= t["requests"][0]["t_ms"].as_u64().unwrap()
    );
    let summary = get(&format!("{u}/__sim/stats?summary=1")).await.json();
    assert!(summary["tasks"][&id].get("requests").is_none());
    assert_eq!(summary["tasks"][&id]["request_count"], 2);
    assert_eq!(
        post(&format!("{u}/__sim/reset"), &json!({})).await.status,
        200
    );
    let s = stats(&sim).await;
    assert_eq!(
        (s["submits"].clone(), s["tasks"].clone()),
        (json!(0), json!({}))
    );
    assert_eq!(
        get(&format!("{u}/mirako/v1/op/{id}/status")).await.status,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_makes_ids_and_durations_reproducible() {
    async fn run(seed: &str) -> Vec<(String, u64, u64)> {
        let sim = sim(&["--seed", seed, "--model", "m=lognormal:2000:0.6"]).await;
        let u = sim.url();
        let mut out = Vec::new();
        for _ in 0..3 {
            let r = post(
                &format!("{u}/apixo/api/v1/generateTask/m"),
                &json!({"input": {}}),
            )
            .await
            .json();
            let id = r["data"]["taskId"].as_str().unwrap().to_string();
            let s = stats(&sim).await;
            out.push((
                id.clone(),
                s["tasks"][&id]["queue_ms"].as_u64().unwrap(),
                s["tasks"][&id]["run_ms"].as_u64().unwrap(),
            ));
        }
        out
    }
    let a = run("11").await;
    assert_eq!(a, run("11").await);
    assert_ne!(a, run("12").await);
    let runs: Vec<u64> = a.iter().map(|t| t.2).collect();
    assert!(
        runs.windows(2).any(|w| w[0] != w[1]),
        "lognormal draws vary: {runs:?}"
    );
}
#[tokio::test]
async fn stats_name_the_client_that_made_each_request() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/mirako/v1/op"),
        &json!({"_sim": {"queue_ms": 0, "run_ms": 0}}),
    )
    .await;
    let id = r.json()["data"]["task_id"].as_str().unwrap().to_string();
    let status = format!("{u}/mirako/v1/op/{id}/status");
    let auth = ("authorization", "Bearer sim-key");
    send("GET", &status, &[auth, ("x-sim-client", "c1")], None)
        .await
        .unwrap();
    let too_long = "x".repeat(65);
    send("GET", &status, &[auth, ("x-sim-client", &too_long)], None)
        .await
        .unwrap();
    let s = stats(&sim).await;
    let reqs = &s["tasks"][&id]["requests"];
    assert!(reqs[0].get("client").is_none(), "submit without the header");
    assert_eq!(reqs[1]["client"], "c1");
    assert!(
        reqs[2].get("client").is_none(),
        "a name over 64 bytes is not recorded"
    );
}
