//! Webhook delivery over real loopback HTTP: mirako's Bearer token, apixo's callback_url,
//! `_sim.webhook_url` for mindproxy and queue (with `payload`), Standard Webhooks
//! signatures checked by a verifier written here (independent of the simulator's signer),
//! retries with backoff after 5xx, duplicates with one webhook-id, a stale update after
//! the terminal one, cancel-triggered delivery and refusal of non-loopback hosts.

mod common;

use base64::Engine as _;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Verifies a Standard Webhooks delivery the way a receiver would.
fn verify(d: &Delivery, secret: &str) -> bool {
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .unwrap();
    let (Some(id), Some(ts), Some(sigs)) = (
        d.header("webhook-id"),
        d.header("webhook-timestamp"),
        d.header("webhook-signature"),
    ) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let Ok(t) = ts.parse::<u64>() else {
        return false;
    };
    if t.abs_diff(now) > 300 {
        return false;
    }
    let mut signed = format!("{id}.{ts}.").into_bytes();
    signed.extend_from_slice(&d.body);
    sigs.split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .any(|b64| {
            let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(b64) else {
                return false;
            };
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(&signed);
            mac.verify_slice(&sig).is_ok()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mirako_webhook_carries_the_token_and_the_status_body() {
    let sim = sim(&[]).await;
    let rx = Receiver::start(0).await;
    let r = post(
        &format!("{}/mirako/v1/avatar/async_generate", sim.url()),
        &json!({"prompt": "x", "webhook": {"url": rx.url, "auth_token": "tok-123"}, "_sim": {"queue_ms": 0, "run_ms": 80}}),
    )
    .await;
    let id = r.json()["data"]["task_id"].as_str().unwrap().to_string();
    let got = rx.wait_for(1).await;
    assert_eq!(
        got[0].header("authorization").as_deref(),
        Some("Bearer tok-123")
    );
    assert!(
        got[0].header("webhook-signature").is_none(),
        "no secret configured, no signature"
    );
    let b = got[0].json();
    assert_eq!(b["data"]["task_id"], json!(id));
    assert_eq!(b["data"]["status"], "COMPLETED");
    assert!(
        b["data"]["image"]
            .as_str()
            .unwrap()
            .starts_with("iVBORw0KGgo"),
        "a base64 PNG"
    );
    let s = stats(&sim).await;
    assert_eq!(s["webhooks"][0]["status"], 200);
    assert_eq!(s["webhooks"][0]["attempt"], 1);
    assert_eq!(s["tasks"][&id]["outcome"], "succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_verify_and_tampering_does_not() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = post(
        &format!("{u}/__sim/config"),
        &json!({"webhook_secret": SECRET}),
    )
    .await;
    assert_eq!(r.status, 200);
    let rx = Receiver::start(0).await;
    post(
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &json!({"request_type": "callback", "callback_url": rx.url, "input": {"_sim": {"queue_ms": 0, "run_ms": 50, "outcome": "failed"}}}),
    )
    .await;
    let got = rx.wait_for(1).await;
    assert!(verify(&got[0], SECRET), "signature verifies");
    let b = got[0].json();
    assert_eq!(
        (b["code"].clone(), b["data"]["state"].clone()),
        (json!(200), json!("failed"))
    );
    assert!(b["data"]["failMsg"].is_string());
    let mut tampered = got[0].clone();
    tampered.body =
        bytes::Bytes::from(String::from_utf8_lossy(&got[0].body).replace("failed", "success"));
    assert!(!verify(&tampered, SECRET));
    assert!(!verify(&got[0], "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        post(
            &format!("{u}/__sim/config"),
            &json!({"webhook_secret": "nope"})
        )
        .await
        .status,
        400
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_deliveries_are_retried_with_backoff() {
    let sim = sim(&["--webhook-secret", SECRET]).await;
    let rx = Receiver::start(2).await;
    let q = post(
        &format!("{}/queue/v1/queue/fal-ai/flux/dev", sim.url()),
        &json!({"prompt": "p", "_sim": {"queue_ms": 0, "run_ms": 30, "webhook_url": rx.url}}),
    )
    .await
    .json();
    let got = rx.wait_for(1).await;
    assert!(verify(&got[0], SECRET));
    let b = got[0].json();
    assert_eq!(b["status"], "COMPLETED");
    assert_eq!(b["request_id"], q["request_id"]);
    assert_eq!(
        b["payload"]["images"][0]["content_type"], "image/png",
        "queue adds the result as payload"
    );
    let s = stats(&sim).await;
    let attempts: Vec<(u64, u64)> = s["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["attempt"].as_u64().unwrap(),
                w["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(attempts, vec![(1, 500), (2, 500), (3, 200)]);
    let ids: Vec<&str> = s["webhooks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["webhook_id"].as_str().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1]),
        "a retry keeps its webhook-id"
    );

    // A receiver that is not there: bounded attempts, each logged with an error.
    let gone = common::sim(&["--webhook-attempts", "2"]).await;
    let port = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    post(&format!("{}/queue/v1/queue/e", gone.url()), &json!({"_sim": {"queue_ms": 0, "run_ms": 0, "webhook_url": format!("http://127.0.0.1:{port}/x")}})).await;
    let g = gone.url();
    let logs = eventually(|| {
        let g = g.clone();
        async move {
            let s = get(&format!("{g}/__sim/stats")).await.json();
            let w = s["webhooks"].as_array().unwrap().clone();
            (w.len() == 2).then_some(w)
        }
    })
    .await;
    assert!(logs
        .iter()
        .all(|w| w["status"].is_null() && w["error"].is_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_share_an_id_and_a_stale_update_follows() {
    let sim = sim(&["--webhook-secret", SECRET]).await;
    let rx = Receiver::start(0).await;
    post(
        &format!("{}/mindproxy/v1/tasks", sim.url()),
        &json!({"task_type": "video", "metadata_json": {"_sim": {"queue_ms": 0, "run_ms": 40, "webhook_url": rx.url, "webhook_duplicates": 2, "webhook_out_of_order": true}}}),
    )
    .await;
    let got = rx.wait_for(4).await;
    assert!(got.iter().all(|d| verify(d, SECRET)));
    let ids: Vec<String> = got
        .iter()
        .map(|d| d.header("webhook-id").unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert_eq!(ids[1], ids[2]);
    assert_ne!(ids[2], ids[3], "the stale update is its own message");
    for d in &got[..3] {
        let b = d.json();
        assert_eq!(b["status"], 4);
        let assets: serde_json::Value =
            serde_json::from_str(b["result_assets_json"].as_str().unwrap()).unwrap();
        assert!(assets["video_url"].as_str().unwrap().ends_with(".mp4"));
    }
    assert_eq!(
        got[3].json()["status"],
        3,
        "a live state after the terminal one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_triggers_delivery_and_remote_hosts_are_refused() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let rx = Receiver::start(0).await;
    let q = post(
        &format!("{u}/queue/v1/queue/e"),
        &json!({"_sim": {"queue_ms": 60_000, "run_ms": 1, "webhook_url": rx.url}}),
    )
    .await
    .json();
    assert_eq!(put(q["cancel_url"].as_str().unwrap()).await.status, 202);
    let got = rx.wait_for(1).await;
    let b = got[0].json();
    assert_eq!(
        (b["status"].clone(), b["error_type"].clone()),
        (json!("COMPLETED"), json!("CANCELED"))
    );

    let r = post(
        &format!("{u}/mirako/v1/op"),
        &json!({"webhook": {"url": "http://192.0.2.1/hook"}, "_sim": {"queue_ms": 0, "run_ms": 0}}),
    )
    .await;
    let id = r.json()["data"]["task_id"].as_str().unwrap().to_string();
    let w = eventually(|| {
        let u = u.clone();
        let id = id.clone();
        async move {
            let s = get(&format!("{u}/__sim/stats")).await.json();
            s["webhooks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|w| w["task_id"] == json!(id))
                .cloned()
        }
    })
    .await;
    assert!(w["error"].as_str().unwrap().contains("non-loopback"), "{w}");
    assert!(w["status"].is_null());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sim_webhook_url_that_cannot_be_delivered_to_is_refused_at_submit() {
    // `_sim.webhook_url` is the simulator's own control: a bad value is a 400 naming it,
    // not a task whose webhook silently never comes.
    let sim = sim(&[]).await;
    let u = sim.url();
    for (url, why) in [
        ("https://127.0.0.1:9/hook", "http://"),
        ("http://192.0.2.1/hook", "non-loopback"),
        ("127.0.0.1:9/hook", "webhook_url"),
    ] {
        let r = post(
            &format!("{u}/queue/v1/queue/e"),
            &json!({"_sim": {"webhook_url": url}}),
        )
        .await;
        assert_eq!(r.status, 400, "{url}");
        let m = r.json()["detail"].as_str().unwrap().to_string();
        assert!(m.contains("_sim.webhook_url") && m.contains(why), "{m}");
    }
    assert_eq!(stats(&sim).await["tasks_created"], 0);
    let ok = post(
        &format!("{u}/queue/v1/queue/e"),
        &json!({"_sim": {"webhook_url": "http://localhost:9/hook"}}),
    )
    .await;
    assert_eq!(ok.status, 200);
    let remote = common::sim(&["--allow-remote-webhooks"]).await;
    let r = post(
        &format!("{}/queue/v1/queue/e", remote.url()),
        &json!({"_sim": {"webhook_url": "http://192.0.2.1/hook"}}),
    )
    .await;
    assert_eq!(r.status, 200, "allowed with --allow-remote-webhooks");
}
