//! `sim-load`: a bounded load generator for a separately started tasklane-sim. N
//! concurrent clients each submit one task (dialects in turn, run time a few seconds)
//! and poll its status every `--poll-ms` until terminal, the way `@fal-ai/client` and
//! `replicate` poll by default. It reports requests/s, p50/p99 latency and errors, and
//! writes a markdown section (with the exact command) for BENCHMARKS.md.
//!
//! `sim-load --url http://127.0.0.1:8787 [--clients 2000] [--run-ms 2000:4000]
//!  [--poll-ms 500] [--max-secs 120] [--sim-pid PID] [--out bench/results/sim-load.md]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::sync::Mutex;

#[derive(Debug, Clone)]
struct Opts {
    url: String,
    clients: usize,
    run_min: u64,
    run_max: u64,
    poll_ms: u64,
    max_secs: u64,
    sim_pid: Option<u32>,
    out: Option<String>,
}

fn parse() -> Result<Opts, String> {
    let mut o = Opts {
        url: String::new(),
        clients: 2000,
        run_min: 2000,
        run_max: 4000,
        poll_ms: 500,
        max_secs: 120,
        sim_pid: None,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or(format!("{flag} needs a value"));
        let num = |s: String| {
            s.parse::<u64>()
                .map_err(|_| format!("{s:?} is not a whole number"))
        };
        match flag.as_str() {
            "--url" => o.url = val()?.trim_end_matches('/').to_string(),
            "--clients" => o.clients = num(val()?)? as usize,
            "--run-ms" => {
                let v = val()?;
                let (a, b) = v.split_once(':').ok_or("--run-ms takes MIN:MAX")?;
                o.run_min = num(a.into())?;
                o.run_max = num(b.into())?;
            }
            "--poll-ms" => o.poll_ms = num(val()?)?.max(1),
            "--max-secs" => o.max_secs = num(val()?)?.max(1),
            "--sim-pid" => o.sim_pid = Some(num(val()?)? as u32),
            "--out" => o.out = Some(val()?),
            "-h" | "--help" => return Err("usage: sim-load --url URL [--clients N] [--run-ms MIN:MAX] [--poll-ms MS] [--max-secs S] [--sim-pid PID] [--out FILE]".into()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    if !o.url.starts_with("http://") {
        return Err("--url http://127.0.0.1:PORT is required".into());
    }
    if o.run_max < o.run_min || o.clients == 0 {
        return Err("--run-ms MAX below MIN, or --clients 0".into());
    }
    Ok(o)
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    error_kinds: std::collections::BTreeMap<String, u64>,
    completed: u64,
    unfinished: u64,
}

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// Finds the status URL in a submit answer.
type StatusUrlOf = fn(&str, &Value) -> Option<String>;

async fn call(
    client: &HttpClient,
    method: &str,
    url: &str,
    body: Option<String>,
) -> Result<Value, String> {
    let req = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("authorization", "Bearer sim-key")
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .map_err(|e| format!("build: {e}"))?;
    let fut = async {
        let resp = client
            .request(req)
            .await
            .map_err(|e| format!("connect/send: {e}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("body: {e}"))?
            .to_bytes();
        if !(200..300).contains(&status) {
            return Err(format!("HTTP {status}"));
        }
        serde_json::from_slice(&body).map_err(|_| "non-JSON body".to_string())
    };
    tokio::time::timeout(Duration::from_secs(30), fut)
        .await
        .map_err(|_| "timeout".to_string())?
}

/// One client: submit, then poll until terminal. Returns whether it saw the end.
async fn client_run(
    i: usize,
    o: Arc<Opts>,
    client: HttpClient,
    tally: Arc<Mutex<Tally>>,
    deadline: Instant,
) {
    // Spread the starts over one poll interval, as independent users would arrive.
    tokio::time::sleep(Duration::from_micros(
        (i as u64 * o.poll_ms * 1000) / o.clients as u64,
    ))
    .await;
    let span = o.run_max - o.run_min + 1;
    let run_ms = o.run_min + (i as u64 * 7919) % span;
    let sim =
        json!({"queue_ms": (i as u64 * 31) % 500, "run_ms": run_ms, "ref": format!("load-{i}")});
    let u = &o.url;
    let (submit_url, body, status_of): (String, Value, StatusUrlOf) = match i % 4 {
        0 => (
            format!("{u}/apixo/api/v1/generateTask/load"),
            json!({"request_type": "async", "input": {"prompt": "load", "_sim": sim}}),
            |u, v| {
                v["data"]["taskId"]
                    .as_str()
                    .map(|id| format!("{u}/apixo/api/v1/statusTask/load?taskId={id}"))
            },
        ),
        1 => (
            format!("{u}/mirako/v1/avatar/async_generate"),
            json!({"prompt": "load", "_sim": sim}),
            |u, v| {
                v["data"]["task_id"]
                    .as_str()
                    .map(|id| format!("{u}/mirako/v1/avatar/async_generate/{id}/status"))
            },
        ),
        2 => (
            format!("{u}/mindproxy/v1/tasks"),
            json!({"task_type": "async_image", "prompt": "load", "idempotency_key": format!("load-{i}"), "input_assets_json": {"_sim": sim}}),
            |u, v| {
                v["task_id"]
                    .as_str()
                    .map(|id| format!("{u}/mindproxy/v1/tasks/{id}"))
            },
        ),
        _ => (
            format!("{u}/queue/v1/queue/fal-ai/flux/dev"),
            json!({"prompt": "load", "_sim": sim}),
            |_, v| v["status_url"].as_str().map(String::from),
        ),
    };
    let terminal = |v: &Value| -> bool {
        let s = v
            .get("data")
            .map(|d| d.get("status").or(d.get("state")))
            .unwrap_or(v.get("status"));
        match s {
            Some(Value::String(s)) => matches!(
                s.as_str(),
                "COMPLETED" | "FAILED" | "CANCELED" | "TIMED_OUT" | "success" | "failed"
            ),
            Some(Value::Number(n)) => n.as_u64().is_some_and(|n| n >= 4),
            _ => false,
        }
    };
    let record = |lat: Duration, res: &Result<Value, String>, tally: &mut Tally| {
        tally.latencies_us.push(lat.as_micros() as u64);
        if let Err(e) = res {
            tally.errors += 1;
            *tally
                .error_kinds
                .entry(e.split(':').next().unwrap_or("?").to_string())
                .or_default() += 1;
        }
    };
    let t = Instant::now();
    let res = call(&client, "POST", &submit_url, Some(body.to_string())).await;
    record(t.elapsed(), &res, &mut *tally.lock().await);
    let Some(status_url) = res.ok().and_then(|v| status_of(u, &v)) else {
        tally.lock().await.unfinished += 1;
        return;
    };
    loop {
        tokio::time::sleep(Duration::from_millis(o.poll_ms)).await;
        if Instant::now() > deadline {
            tally.lock().await.unfinished += 1;
            return;
        }
        let t = Instant::now();
        let res = call(&client, "GET", &status_url, None).await;
        let done = res.as_ref().is_ok_and(terminal);
        let mut g = tally.lock().await;
        record(t.elapsed(), &res, &mut g);
        if done {
            g.completed += 1;
            return;
        }
    }
}

/// CPU seconds (user + system) and peak RSS (KiB) of a process, from /proc.
fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 (utime, stime) are at 11 and 12 after the ")".
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Some((ticks as f64 / 100.0, hwm))
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let o = match parse() {
        Ok(o) => Arc::new(o),
        Err(e) => {
            eprintln!("sim-load: {e}");
            std::process::exit(2);
        }
    };
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let cpu0 = o.sim_pid.and_then(proc_usage);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(o.max_secs);
    let handles: Vec<_> = (0..o.clients)
        .map(|i| {
            tokio::spawn(client_run(
                i,
                o.clone(),
                client.clone(),
                tally.clone(),
                deadline,
            ))
        })
        .collect();
    for h in handles {
        let _ = h.await;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu1 = o.sim_pid.and_then(proc_usage);
    let mut t = tally.lock().await;
    t.latencies_us.sort_unstable();
    let n = t.latencies_us.len();
    let command = std::env::args().collect::<Vec<_>>().join(" ");
    let sim_line = match (cpu0, cpu1) {
        (Some((c0, _)), Some((c1, hwm))) => format!(
            "| simulator CPU time | {:.2} s ({:.0} % of one core) |\n| simulator peak RSS | {:.1} MiB |\n",
            c1 - c0,
            100.0 * (c1 - c0) / wall,
            hwm as f64 / 1024.0
        ),
        _ => String::new(),
    };
    let errors: Vec<String> = t
        .error_kinds
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    let md = format!(
        "## Simulator under load (sim-load)\n\n\
         {clients} concurrent clients against one `tasklane-sim` (release build) on 127.0.0.1: each submits one \
         task (the four dialects in turn, queued 0–0.5 s, running {rmin}–{rmax} ms) and polls its status every \
         {poll} ms until terminal, like the default pollers of `@fal-ai/client` and `replicate`.\n\n\
         | measure | value |\n|---|---|\n\
         | requests | {n} |\n| wall time | {wall:.2} s |\n| requests/s | {rps:.0} |\n\
         | latency p50 | {p50:.2} ms |\n| latency p99 | {p99:.2} ms |\n| latency max | {pmax:.2} ms |\n\
         | errors | {err}{errk} |\n| tasks seen to the end | {done} of {clients} |\n{sim_line}\n\
         Command: `scripts/bench-sim.sh` (runs `{command}` against `tasklane-sim --addr 127.0.0.1:0 --seed 1`).\n\
         Machine: {cores} cores shared with other work; numbers vary between runs.\n",
        clients = o.clients,
        rmin = o.run_min,
        rmax = o.run_max,
        poll = o.poll_ms,
        rps = n as f64 / wall,
        p50 = pct(&t.latencies_us, 0.5),
        p99 = pct(&t.latencies_us, 0.99),
        pmax = pct(&t.latencies_us, 1.0),
        err = t.errors,
        errk = if errors.is_empty() { String::new() } else { format!(" ({})", errors.join(", ")) },
        done = t.completed,
        cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
    );
    print!("{md}");
    if let Some(path) = &o.out {
        if let Some(dir) = std::path::Path::new(path).parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        if let Err(e) = std::fs::write(path, &md) {
            eprintln!("sim-load: cannot write {path}: {e}");
            std::process::exit(1);
        }
    }
    if t.unfinished > 0 {
        eprintln!(
            "sim-load: {} clients did not see their task end",
            t.unfinished
        );
    }
}
