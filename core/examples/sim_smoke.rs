//! Drives the engine, in real time, against a running tasklane-sim over plain HTTP/1.1 on
//! 127.0.0.1: every dialect × every end state, a cancel and events where the dialect has
//! them. A check that the profiles match the simulator, not a unit test.
//!
//! `target/debug/tasklane-sim --addr 127.0.0.1:8787 &` then
//! `cargo run -p tasklane-core --example sim_smoke -- http://127.0.0.1:8787`

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tasklane_core::engine::Output;
use tasklane_core::{
    ClientConfig, Engine, HttpRequest, HttpResponse, OpId, OpResult, SubmitRequest, TaskFailure,
    TaskRef, TaskState, TransportError, WaitOptions,
};

/// A serde_json literal as the core's JSON value.
fn cj(v: &serde_json::Value) -> tasklane_core::json::Value {
    tasklane_core::json::parse(&v.to_string()).expect("valid JSON")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// One blocking HTTP/1.1 exchange with `Connection: close`.
fn fetch(r: &HttpRequest) -> Result<HttpResponse, TransportError> {
    let rest = r
        .url
        .strip_prefix("http://")
        .ok_or(TransportError::network(false))?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let mut s = TcpStream::connect(host).map_err(|_| TransportError::network(false))?;
    let _ = s.set_read_timeout(Some(Duration::from_millis(r.timeout_ms.max(1))));
    let body = r.body.clone().unwrap_or_default();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        r.method,
        path,
        host,
        body.len()
    );
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())
        .and_then(|_| s.write_all(body.as_bytes()))
        .map_err(|_| TransportError::network(true))?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf)
        .map_err(|_| TransportError::timeout())?;
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or(TransportError::network(true))?;
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or(TransportError::network(true))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok(HttpResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Runs the engine until `op` ends; returns its result.
fn run(e: &mut Engine, op: OpId) -> Result<OpResult, TaskFailure> {
    let start = Instant::now();
    loop {
        while let Some(o) = e.poll_output(now()) {
            match o {
                Output::Send { req, request } => {
                    let r = fetch(&request);
                    e.handle_response(now(), req, r);
                }
                Output::Done { op: o, result } if o == op => return result,
                _ => {}
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "op took too long"
        );
        let wait = e
            .next_wakeup()
            .map_or(10, |t| t.saturating_sub(now()).min(200));
        std::thread::sleep(Duration::from_millis(wait.max(1)));
    }
}

fn main() {
    let base = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8787".into());
    let mut failures = 0;
    for d in ["mirako", "apixo", "mindproxy", "queue"] {
        let outcomes: &[(&str, TaskState)] = match d {
            "queue" => &[
                ("succeeded", TaskState::Succeeded),
                ("INFERENCE_FAILURE", TaskState::Failed),
                ("CANCELED", TaskState::Canceled),
                ("INFERENCE_TIMEOUT", TaskState::TimedOut),
            ],
            "apixo" => &[
                ("succeeded", TaskState::Succeeded),
                ("failed", TaskState::Failed),
            ],
            "mindproxy" => &[
                ("succeeded", TaskState::Succeeded),
                ("failed", TaskState::Failed),
                ("canceled", TaskState::Canceled),
                ("expired", TaskState::TimedOut),
                ("refunded", TaskState::Failed),
            ],
            _ => &[
                ("succeeded", TaskState::Succeeded),
                ("failed", TaskState::Failed),
                ("canceled", TaskState::Canceled),
                ("timed_out", TaskState::TimedOut),
            ],
        };
        let mut cfg = ClientConfig::new(d, &format!("{base}/{d}"));
        cfg.api_key = Some("sim-key".into());
        let mut e = Engine::new(cfg, 1).expect("valid config");
        for (outcome, want) in outcomes {
            let mut req = SubmitRequest::new(cj(
                &json!({"prompt": "a cat", "_sim": {"queue_ms": 200, "run_ms": 600, "outcome": outcome}}),
            ));
            req.model = Some("sim-fast".into());
            req.endpoint = Some("sim/fast".into());
            req.task_type = Some("async_image".into());
            let op = e.submit(now(), req).expect("valid submit");
            let id = match run(&mut e, op) {
                Ok(OpResult::Update(u)) => u.id,
                other => {
                    println!("FAIL {d} {outcome}: submit {other:?}");
                    failures += 1;
                    continue;
                }
            };
            let op = e
                .wait(now(), &TaskRef::new(&id), WaitOptions::default())
                .expect("valid wait");
            let got = match run(&mut e, op) {
                Ok(OpResult::Update(u)) => (u.state, u.outputs.map(|o| o.len()).unwrap_or(0), None),
                Err(f) => (
                    f.update.as_ref().map_or(TaskState::Queued, |u| u.state),
                    0,
                    Some(f.code),
                ),
                Ok(other) => panic!("{other:?}"),
            };
            let ok = got.0 == *want && (*want != TaskState::Succeeded || got.1 > 0);
            if !ok {
                failures += 1;
            }
            println!(
                "{} {d} {outcome}: {:?} outputs={} code={:?}",
                if ok { "ok  " } else { "FAIL" },
                got.0,
                got.1,
                got.2.map(|c| c.as_str())
            );
        }
        // transient faults on status and result reads are retried to success
        let faults = json!([
            {"on": "status", "kind": "429", "times": 1, "retry_after_s": 1},
            {"on": "status", "kind": "429-date", "times": 1, "retry_after_s": 1},
            {"on": "status", "kind": "500", "times": 1},
            {"on": "status", "kind": "truncated", "times": 1},
            {"on": "status", "kind": "unknown_status", "times": 1},
            {"on": "status", "kind": "503", "times": 1},
            {"on": "result", "kind": "502", "times": 1}
        ]);
        let mut req = SubmitRequest::new(cj(
            &json!({"prompt": "faulty", "_sim": {"queue_ms": 100, "run_ms": 500, "faults": faults}}),
        ));
        req.model = Some("sim-fast".into());
        req.endpoint = Some("sim/fast".into());
        req.task_type = Some("async_image".into());
        let op = e.submit(now(), req).expect("valid");
        if let Ok(OpResult::Update(u)) = run(&mut e, op) {
            let op = e
                .wait(now(), &TaskRef::new(&u.id), WaitOptions::default())
                .expect("valid");
            let r = run(&mut e, op);
            let ok = matches!(&r, Ok(OpResult::Update(u)) if u.state == TaskState::Succeeded);
            if !ok {
                failures += 1;
            }
            println!(
                "{} {d} status faults: {:?}",
                if ok { "ok  " } else { "FAIL" },
                r.map(|_| "succeeded")
                    .map_err(|f| (f.code.as_str(), f.message))
            );
        }
        // cancel and events where the dialect has them
        let mut req = SubmitRequest::new(cj(
            &json!({"prompt": "slow", "_sim": {"queue_ms": 0, "run_ms": 20_000}}),
        ));
        req.model = Some("sim-fast".into());
        req.endpoint = Some("sim/fast".into());
        req.task_type = Some("async_image".into());
        let op = e.submit(now(), req).expect("valid");
        let Ok(OpResult::Update(u)) = run(&mut e, op) else {
            continue;
        };
        match e.cancel(now(), &TaskRef::new(&u.id), Some("smoke".into())) {
            Ok(op) => {
                let r = run(&mut e, op);
                let op = e
                    .wait(now(), &TaskRef::new(&u.id), WaitOptions::default())
                    .expect("valid");
                let w = run(&mut e, op);
                let ok = matches!(&w, Err(f) if f.code.as_str() == "canceled");
                if !ok {
                    failures += 1;
                }
                println!(
                    "{} {d} cancel: {:?} then wait {:?}",
                    if ok { "ok  " } else { "FAIL" },
                    r.map(|x| match x {
                        OpResult::Update(u) => u.state,
                        _ => TaskState::Queued,
                    }),
                    w.map_err(|f| f.code.as_str()).map(|_| "succeeded")
                );
            }
            Err(err) => println!("ok   {d} cancel: {}", err.code().as_str()),
        }
        match e.events(now(), &TaskRef::new(&u.id), Some(10), None) {
            Ok(op) => {
                let r = run(&mut e, op);
                let ok = matches!(&r, Ok(OpResult::Events(v)) if !v.is_empty());
                if !ok {
                    failures += 1;
                }
                println!(
                    "{} {d} events: {:?}",
                    if ok { "ok  " } else { "FAIL" },
                    r.map(|x| match x {
                        OpResult::Events(v) => v.len(),
                        _ => 0,
                    })
                );
            }
            Err(err) => println!("ok   {d} events: {}", err.code().as_str()),
        }
    }
    println!("{failures} failures");
    std::process::exit(i32::from(failures > 0));
}
