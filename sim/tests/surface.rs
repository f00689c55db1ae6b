//! The HTTP surface every route shares: Bearer auth (401 in each dialect's shape), CORS
//! (preflight echoing requested headers and naming `authorization`, exposed
//! `retry-after`), and garbage — random bytes, malformed JSON, wrong methods, huge
//! bodies (413), bad `_sim`, non-HTTP bytes on the socket — after which it keeps serving.

mod common;

use common::*;
use serde_json::{json, Value};

fn submit_urls(u: &str) -> Vec<(&'static str, String)> {
    vec![
        ("mirako", format!("{u}/mirako/v1/avatar/async_generate")),
        ("apixo", format!("{u}/apixo/api/v1/generateTask/m")),
        ("mindproxy", format!("{u}/mindproxy/v1/tasks")),
        ("queue", format!("{u}/queue/v1/queue/fal-ai/flux/dev")),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dialect_requires_the_bearer_key() {
    let sim = sim(&["--api-key", "k-1"]).await;
    let u = sim.url();
    for (d, url) in submit_urls(&u) {
        for auth in [None, Some("Bearer wrong"), Some("k-1"), Some("Basic k-1")] {
            let mut h = vec![("content-type", "application/json")];
            if let Some(a) = auth {
                h.push(("authorization", a));
            }
            let r = send("POST", &url, &h, Some(b"{}")).await.unwrap();
            assert_eq!(r.status, 401, "{d} {auth:?}");
            let b = r.json();
            let shaped = match d {
                "apixo" => b["code"] == 401,
                "queue" => b["detail"].is_string(),
                _ => b["error"]["code"] == "unauthorized",
            };
            assert!(shaped, "{d}: {b}");
        }
    }
    let ok = send(
        "POST",
        &format!("{u}/queue/v1/queue/e"),
        &[("authorization", "Bearer k-1")],
        Some(b"{}"),
    )
    .await
    .unwrap();
    assert_eq!(ok.status, 200);
    // Files and control routes need no key; the key can be changed at run time.
    assert_eq!(
        send("GET", &format!("{u}/files/x.png"), &[], None)
            .await
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        post(&format!("{u}/__sim/config"), &json!({"api_key": "sim-key"}))
            .await
            .status,
        200
    );
    assert_eq!(
        post(&format!("{u}/queue/v1/queue/e"), &json!({}))
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_preflight_and_exposed_headers() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let r = send(
        "OPTIONS",
        &format!("{u}/apixo/api/v1/generateTask/m"),
        &[
            ("origin", "http://127.0.0.1:9999"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "Authorization, Content-Type, X-Trace",
            ),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 204);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("http://127.0.0.1:9999")
    );
    let allow = r.header("access-control-allow-headers").unwrap();
    for h in ["authorization", "content-type", "x-trace"] {
        assert!(allow.split(", ").any(|x| x == h), "{allow}");
    }
    let methods = r.header("access-control-allow-methods").unwrap();
    assert!(
        methods.contains("PUT") && methods.contains("POST"),
        "{methods}"
    );
    // A preflight without requested headers still names authorization.
    let r = send("OPTIONS", &format!("{u}/queue/v1/queue/e"), &[], None)
        .await
        .unwrap();
    assert!(r
        .header("access-control-allow-headers")
        .unwrap()
        .contains("authorization"));
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
    // Error answers carry CORS too, so a browser can read Retry-After.
    let t = post(
        &format!("{u}/queue/v1/queue/e"),
        &json!({"_sim": {"faults": [{"on": "status", "kind": "429"}]}}),
    )
    .await
    .json();
    let r = send(
        "GET",
        t["status_url"].as_str().unwrap(),
        &[("authorization", "Bearer sim-key"), ("origin", "http://a")],
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.status, 429);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("http://a")
    );
    assert!(r
        .header("access-control-expose-headers")
        .unwrap()
        .contains("retry-after"));
    let r = send("GET", &format!("{u}/nowhere"), &[], None)
        .await
        .unwrap();
    assert_eq!(r.status, 404);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("*")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets_clear_errors_and_the_server_keeps_serving() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let auth = [("authorization", "Bearer sim-key")];
    // Deterministic pseudo-random bytes.
    let mut x = 0x1234_5678u32;
    let noise: Vec<u8> = (0..2048)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    for (d, url) in submit_urls(&u) {
        for body in [&noise[..], b"{\"prompt\": ", b"", b"[1,2]", b"null"] {
            let r = send("POST", &url, &auth, Some(body)).await.unwrap();
            assert_eq!(
                r.status,
                400,
                "{d} {:?}",
                String::from_utf8_lossy(&body[..body.len().min(20)])
            );
            let _: Value = r.json();
        }
        let bad_sim = match d {
            "apixo" => json!({"input": {"_sim": {"outcome": "exploded"}}}),
            "mindproxy" => {
                json!({"task_type": "video", "input_assets_json": {"_sim": {"outcome": "exploded"}}})
            }
            _ => json!({"_sim": {"outcome": "exploded"}}),
        };
        let r = post(&url, &bad_sim).await;
        assert_eq!(r.status, 400);
        assert!(
            r.body.windows(7).any(|w| w == b"outcome"),
            "names the field"
        );
        let huge = vec![b'a'; (1 << 20) + 10];
        let r = send("POST", &url, &auth, Some(&huge)).await.unwrap();
        assert_eq!(r.status, 413, "{d}");
        let _: Value = r.json();
        for m in ["DELETE", "PATCH", "GET"] {
            let r = send(m, &url, &auth, None).await.unwrap();
            assert!([405, 404].contains(&r.status), "{d} {m}: {}", r.status);
            let _: Value = r.json();
        }
    }
    for path in [
        "/__sim/stats",
        "/__sim/reset",
        "/__sim/faults",
        "/__sim/config",
        "/files/a.png",
        "/mindproxy/v1/tasks/x/cancel",
    ] {
        for m in ["POST", "PUT", "DELETE", "GET"] {
            let r = send(m, &format!("{u}{path}"), &auth, Some(&noise))
                .await
                .unwrap();
            assert!(r.status < 500, "{m} {path}: {}", r.status);
        }
    }
    assert_eq!(
        post(&format!("{u}/__sim/config"), &json!({"bogus": 1}))
            .await
            .status,
        400
    );
    assert_eq!(
        send("POST", &format!("{u}/__sim/faults"), &[], Some(b"{oops"))
            .await
            .unwrap()
            .status,
        400
    );
    // Not HTTP at all, then a request line with a monstrous header.
    let (bytes, _) = raw_with(&sim, &noise, true).await;
    assert!(
        bytes.is_empty() || bytes.starts_with(b"HTTP/1.1 400"),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    let long = format!(
        "GET /__sim/stats HTTP/1.1\r\nhost: x\r\nx-big: {}\r\n\r\n",
        "b".repeat(200_000)
    );
    let _ = raw_with(&sim, long.as_bytes(), true).await;
    let s = stats(&sim).await;
    assert_eq!(s["tasks_created"], 0, "no garbage created a task");
    assert_eq!(
        post(&format!("{u}/queue/v1/queue/e"), &json!({}))
            .await
            .status,
        200,
        "still serving"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_paths_and_methods_never_get_a_5xx() {
    let sim = sim(&[]).await;
    let u = sim.url();
    let segs = [
        "v1",
        "api",
        "queue",
        "requests",
        "status",
        "cancel",
        "events",
        "tasks",
        "generateTask",
        "statusTask",
        "x",
        "",
        "%00",
        "..",
        "fal-ai",
        "files",
        "__sim",
        "a.png",
        "?taskId=",
        "~",
    ];
    let prefixes = [
        "/mirako",
        "/apixo",
        "/mindproxy",
        "/queue",
        "/files",
        "/__sim",
        "",
    ];
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
    let mut x = 0x9E37_79B9u32;
    let mut next = |n: usize| {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        x as usize % n
    };
    for _ in 0..300 {
        let mut path = prefixes[next(prefixes.len())].to_string();
        for _ in 0..next(6) {
            path.push('/');
            path.push_str(segs[next(segs.len())]);
        }
        if path.is_empty() {
            path.push('/');
        }
        let m = methods[next(methods.len())];
        let body: &[u8] = if next(2) == 0 {
            b"{\"input\": {}}"
        } else {
            b"\x00\xff"
        };
        let r = send(
            m,
            &format!("{u}{path}"),
            &[("authorization", "Bearer sim-key")],
            Some(body),
        )
        .await;
        let r = r.unwrap_or_else(|e| panic!("{m} {path}: {e}"));
        assert!(r.status < 500, "{m} {path}: {}", r.status);
        if m != "HEAD" && r.status >= 400 {
            let _: Value = r.json();
        }
    }
    assert_eq!(get(&format!("{u}/__sim/stats")).await.status, 200);
}
