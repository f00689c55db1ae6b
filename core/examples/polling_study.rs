//! Polling-efficiency study (issue 7 item 3), on the virtual clock: how many status
//! requests each polling strategy sends per task, and how late it notices the end
//! (detection latency), for several workloads of task durations.
//!
//! tasklane's strategies run the real engine against the in-test fake provider (apixo
//! dialect, 40 ms one-way latency); the baselines are simulated with the same latency:
//! fixed 500 ms (fal, replicate), fixed 5 s (openai), and the AWS waiter formula
//! (attempt n waits uniform(2 s, min(120 s, 2·2^(n-1) s))).
//!
//! `cargo run --release -p tasklane-core --example polling_study` writes
//! `bench/results/polling-study.md` and `bench/polling-study.svg` (paths from the
//! workspace root; run it from there).

#[path = "../tests/support/mod.rs"]
mod support;

use serde_json::json;
use std::fmt::Write as _;
use support::{request, Dialect, World};
use tasklane_core::engine::StoreOp;
use tasklane_core::rng::SplitMix64;
use tasklane_core::{ClientConfig, Limits, OpId, PollOptions, TaskRef, TaskState, WaitOptions};

const LATENCY: u64 = 40;
const TASKS: usize = 200;
const WARMUP: usize = 50;
const COMMAND: &str = "cargo run --release -p tasklane-core --example polling_study";

/// One task of a workload: its model, queue and run time.
#[derive(Clone, Debug)]
struct Task {
    model: String,
    queue_ms: u64,
    run_ms: u64,
}

fn normal(r: &mut SplitMix64) -> f64 {
    // Box-Muller
    let u1 = r.next_f64().max(1e-12);
    let u2 = r.next_f64();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn workload(name: &str, n: usize, seed: u64) -> Vec<Task> {
    let mut r = SplitMix64::new(seed);
    (0..n)
        .map(|_| {
            let jitter = |r: &mut SplitMix64, d: f64| (d * (0.95 + 0.1 * r.next_f64())) as u64;
            match name {
                "fixed 2 s" => Task {
                    model: "m2".into(),
                    queue_ms: 0,
                    run_ms: jitter(&mut r, 2000.0),
                },
                "fixed 7 s" => Task {
                    model: "m7".into(),
                    queue_ms: 0,
                    run_ms: jitter(&mut r, 7000.0),
                },
                "fixed 20 s" => Task {
                    model: "m20".into(),
                    queue_ms: 0,
                    run_ms: jitter(&mut r, 20_000.0),
                },
                "fixed 60 s" => Task {
                    model: "m60".into(),
                    queue_ms: 0,
                    run_ms: jitter(&mut r, 60_000.0),
                },
                "lognormal per model" => {
                    let (model, median) = [("fast", 4000.0), ("mid", 12_000.0), ("slow", 40_000.0)]
                        [(r.next_u64() % 3) as usize];
                    let d = median * (0.4 * normal(&mut r)).exp();
                    Task {
                        model: model.into(),
                        queue_ms: 0,
                        run_ms: d.clamp(300.0, 300_000.0) as u64,
                    }
                }
                _ => {
                    // bimodal: most start at once, some wait 20-40 s in a queue first
                    let queue_ms = if r.next_f64() < 0.3 {
                        20_000 + r.next_u64() % 20_000
                    } else {
                        0
                    };
                    Task {
                        model: "bimodal".into(),
                        queue_ms,
                        run_ms: jitter(&mut r, 8000.0),
                    }
                }
            }
        })
        .collect()
}

/// Per-task outcomes of one strategy on one workload.
#[derive(Default, Clone)]
struct Outcome {
    requests: Vec<u64>,
    latency: Vec<u64>,
    /// Latency as a share of the task's duration (queue + run).
    share: Vec<f64>,
}

impl Outcome {
    fn push(&mut self, requests: u64, latency: u64, duration: u64) {
        self.requests.push(requests);
        self.latency.push(latency);
        self.share.push(latency as f64 / duration.max(1) as f64);
    }
    /// The p95 of latency / duration, in percent.
    fn share_p95(&self) -> f64 {
        let mut v = self.share.clone();
        v.sort_unstable_by(f64::total_cmp);
        let i = ((v.len() as f64 - 1.0) * 0.95).round() as usize;
        v.get(i.min(v.len().saturating_sub(1)))
            .map_or(0.0, |x| x * 100.0)
    }
    fn mean_requests(&self) -> f64 {
        self.requests.iter().sum::<u64>() as f64 / self.requests.len().max(1) as f64
    }
    fn pct(&self, p: f64) -> u64 {
        let mut v = self.latency.clone();
        v.sort_unstable();
        if v.is_empty() {
            return 0;
        }
        let i = ((v.len() as f64 - 1.0) * p).round() as usize;
        v[i.min(v.len() - 1)]
    }
}

/// A fixed-interval poller with its own latency and no cap on requests in flight.
fn baseline_at(tasks: &[Task], every: u64, latency: u64) -> Outcome {
    let mut out = Outcome::default();
    for t in tasks {
        let end = t.queue_ms + t.run_ms;
        let n = (end.saturating_sub(latency) / every) + 1;
        let at = latency + n * every;
        out.push(n, at + latency - end, end);
    }
    out
}

/// A baseline poller: the delays between polls, starting when the submit answer arrives.
fn baseline(
    tasks: &[Task],
    mut delay: impl FnMut(u32, &mut SplitMix64) -> u64,
    seed: u64,
) -> Outcome {
    let mut r = SplitMix64::new(seed);
    let mut out = Outcome::default();
    for t in tasks {
        let end = t.queue_ms + t.run_ms;
        let mut at = LATENCY; // the submit's answer
        let mut n = 0u32;
        loop {
            n += 1;
            at += delay(n, &mut r);
            if at >= end {
                out.push(u64::from(n), at + LATENCY - end, end);
                break;
            }
        }
    }
    out
}

fn engine_world(adaptive: bool) -> World {
    let mut c = ClientConfig::new("apixo", &Dialect::Apixo.base());
    c.api_key = Some("k".into());
    c.poll = PollOptions {
        adaptive: Some(adaptive),
        ..Default::default()
    };
    let mut w = World::with_config(Dialect::Apixo, c);
    w.latency = LATENCY;
    w
}

/// Runs `tasks` one after another through the engine of `w`.
fn run_engine(w: &mut World, tasks: &[Task]) -> Outcome {
    let mut out = Outcome::default();
    for t in tasks {
        let mut req = request(
            Dialect::Apixo,
            json!({"queue_ms": t.queue_ms, "run_ms": t.run_ms}),
        );
        req.model = Some(t.model.clone());
        let op = w.engine.submit(w.now, req).expect("valid submit");
        w.run_until(Some(op), 60_000);
        let id = w.update(op).id.clone();
        let created = w.fake.tasks[&id].created;
        let before = w.status_requests().len();
        let op = w
            .engine
            .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
            .expect("valid wait");
        w.run_until(Some(op), 900_000);
        assert_eq!(w.update(op).state, TaskState::Succeeded);
        let n = (w.status_requests().len() - before) as u64;
        out.push(
            n,
            w.done[&op].at - (created + t.queue_ms + t.run_ms),
            t.queue_ms + t.run_ms,
        );
        w.now += 1000; // idle between tasks
    }
    out
}

/// One-way latency in the concurrent batches: a fast local provider, so that 16 reads
/// in flight per host carry ~1,600 reads a second.
const BATCH_LATENCY: u64 = 5;

/// `n` tasks at once of four models (medians 6/12/20/30 s, log-normal σ 0.2), as
/// `scripts/bench-many.sh` runs them against the simulator.
fn batch_workload(n: usize, seed: u64) -> Vec<Task> {
    let mut r = SplitMix64::new(seed);
    (0..n)
        .map(|i| {
            let (model, median) = [
                ("b6", 6000.0),
                ("b12", 12_000.0),
                ("b20", 20_000.0),
                ("b30", 30_000.0),
            ][i % 4];
            Task {
                model: model.into(),
                queue_ms: 0,
                run_ms: (median * (0.2 * normal(&mut r)).exp()) as u64,
            }
        })
        .collect()
}

fn batch_world() -> World {
    let mut c = ClientConfig::new("queue", &Dialect::Queue.base());
    c.api_key = Some("k".into());
    c.limits = Limits {
        max_in_flight_per_host: 16,
        max_per_second: None,
    };
    let mut w = World::with_config(Dialect::Queue, c);
    w.latency = BATCH_LATENCY;
    w
}

/// Submits every task at once, then waits on all of them concurrently (queue dialect:
/// status polls and result reads share the host's budget). Requests = status and
/// result reads per task.
fn run_batch(w: &mut World, tasks: &[Task]) -> Outcome {
    let mut subs = Vec::new();
    for t in tasks {
        let mut req = request(
            Dialect::Queue,
            json!({"queue_ms": t.queue_ms, "run_ms": t.run_ms}),
        );
        req.endpoint = Some(t.model.clone());
        subs.push(w.engine.submit(w.now, req).expect("valid submit"));
    }
    w.run_until(None, 600_000);
    // the records the client stored (beyond 4,096 tasks the engine no longer remembers
    // the first ones, so a wait by id alone would lack their address)
    let records: std::collections::HashMap<String, TaskRef> = w
        .store
        .iter()
        .filter_map(|s| match s {
            StoreOp::Put(r) => Some((r.task.id.clone(), r.task.clone())),
            _ => None,
        })
        .collect();
    let from = w.sent.len();
    let waits: Vec<(OpId, String)> = subs
        .iter()
        .map(|s| {
            let id = w.update(*s).id.clone();
            let op = w
                .engine
                .wait(w.now, &records[&id], WaitOptions::default())
                .expect("valid wait");
            (op, id)
        })
        .collect();
    w.run_until(None, 3_600_000);
    let mut reads: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for (_, _, r) in &w.sent[from..] {
        if let Some(rest) = r.url.split("/requests/").nth(1) {
            let id = rest.split('/').next().unwrap_or("");
            *reads.entry(id).or_default() += 1;
        }
    }
    let mut out = Outcome::default();
    for ((op, id), t) in waits.iter().zip(tasks) {
        assert_eq!(w.update(*op).state, TaskState::Succeeded);
        let ended = w.fake.tasks[id].created + t.queue_ms + t.run_ms;
        out.push(
            reads.get(id.as_str()).copied().unwrap_or(0),
            w.done[op].at - ended,
            t.queue_ms + t.run_ms,
        );
    }
    w.now += 60_000;
    out
}

fn main() {
    let workloads = [
        "fixed 2 s",
        "fixed 7 s",
        "fixed 20 s",
        "fixed 60 s",
        "lognormal per model",
        "bimodal queued+running",
    ];
    let strategies = [
        "tasklane default backoff",
        "tasklane first sight (no history)",
        "tasklane adaptive (cold)",
        "tasklane learned",
        "fixed 500 ms (fal, replicate)",
        "fixed 5 s (openai)",
        "AWS waiter",
    ];
    let mut all: Vec<Outcome> = vec![Outcome::default(); strategies.len()];
    let mut md = String::new();
    let _ = writeln!(md, "## Polling efficiency (virtual clock)\n");
    let _ = writeln!(md, "Command: `{COMMAND}` (core/examples/polling_study.rs). {TASKS} tasks per workload, run one after another; 40 ms one-way latency; durations jittered ±5 %.");
    let _ = writeln!(md, "tasklane runs its real engine against the in-test fake provider (apixo dialect); \"learned\" imports estimates from a {WARMUP}-task warm-up of the same workload, \"adaptive (cold)\" learns during the run, \"first sight\" is a fresh client for every task (adaptive, nothing learned). Requests = status requests per task; latency = time from the task's end to the client seeing it.\n");
    for (wi, name) in workloads.iter().enumerate() {
        let tasks = workload(name, TASKS, 1000 + wi as u64);
        let warm = workload(name, WARMUP, 2000 + wi as u64);
        let mut results = Vec::new();
        results.push(run_engine(&mut engine_world(false), &tasks));
        let mut first = Outcome::default();
        for t in &tasks {
            let o = run_engine(&mut engine_world(true), std::slice::from_ref(t));
            first.requests.extend(&o.requests);
            first.latency.extend(&o.latency);
            first.share.extend(&o.share);
        }
        results.push(first);
        results.push(run_engine(&mut engine_world(true), &tasks));
        let mut learned = engine_world(true);
        let mut teacher = engine_world(true);
        run_engine(&mut teacher, &warm);
        learned
            .engine
            .import_estimates(teacher.engine.export_estimates());
        results.push(run_engine(&mut learned, &tasks));
        results.push(baseline(&tasks, |_, _| 500, 1));
        results.push(baseline(&tasks, |_, _| 5000, 2));
        results.push(baseline(
            &tasks,
            |n, r| {
                let hi = (2u64 << (n - 1).min(10)).min(120) * 1000;
                2000 + (r.next_f64() * (hi - 2000) as f64) as u64
            },
            3,
        ));
        let _ = writeln!(md, "### {name}\n");
        let _ = writeln!(
            md,
            "| strategy | requests / task | p50 latency ms | p95 latency ms | max latency ms | p95 latency / duration |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
        for (si, o) in results.iter().enumerate() {
            let _ = writeln!(
                md,
                "| {} | {:.1} | {} | {} | {} | {:.1} % |",
                strategies[si],
                o.mean_requests(),
                o.pct(0.5),
                o.pct(0.95),
                o.latency.iter().max().unwrap_or(&0),
                o.share_p95()
            );
            all[si].requests.extend(&o.requests);
            all[si].latency.extend(&o.latency);
            all[si].share.extend(&o.share);
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "### All workloads together\n");
    let _ = writeln!(
        md,
        "| strategy | requests / task | p50 latency ms | p95 latency ms | max latency ms | p95 latency / duration |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
    for (si, o) in all.iter().enumerate() {
        let _ = writeln!(
            md,
            "| {} | {:.1} | {} | {} | {} | {:.1} % |",
            strategies[si],
            o.mean_requests(),
            o.pct(0.5),
            o.pct(0.95),
            o.latency.iter().max().unwrap_or(&0),
            o.share_p95()
        );
    }
    let _ = writeln!(md, "\nScatter plot (requests per task vs p95 latency, all workloads): `bench/polling-study.svg`.");
    let _ = writeln!(
        md,
        "\n### Concurrent batches (queue dialect, 16 reads in flight per host)\n"
    );
    let _ = writeln!(md, "All tasks submitted at once, then waited on together, as `scripts/bench-many.sh` does: four models, medians 6/12/20/30 s, log-normal σ 0.2, {BATCH_LATENCY} ms one-way latency. Requests = status and result reads per task; latency = from the task's end to the wait's end (result read included). \"with history\" imports the estimates a first batch of the same size learned.\n");
    let _ = writeln!(
        md,
        "| tasks | client | requests / task | p50 latency ms | p95 latency ms | max latency ms | p95 latency / duration |"
    );
    let _ = writeln!(md, "|---:|---|---:|---:|---:|---:|---:|");
    for (n, seed) in [(1000, 7000), (10_000, 7100)] {
        let mut cold = batch_world();
        let first = run_batch(&mut cold, &batch_workload(n, seed));
        let mut warm = batch_world();
        warm.engine.import_estimates(cold.engine.export_estimates());
        let second = run_batch(&mut warm, &batch_workload(n, seed + 1));
        let fal = baseline_at(&batch_workload(n, seed + 1), 500, BATCH_LATENCY);
        for (name, o) in [
            ("tasklane without history", &first),
            ("tasklane with history", &second),
            ("fixed 500 ms (no host cap)", &fal),
        ] {
            let _ = writeln!(
                md,
                "| {n} | {name} | {:.1} | {} | {} | {} | {:.1} % |",
                o.mean_requests(),
                o.pct(0.5),
                o.pct(0.95),
                o.latency.iter().max().unwrap_or(&0),
                o.share_p95()
            );
        }
    }
    print!("{md}");
    let svg = scatter(&strategies, &all);
    let wrote = std::fs::create_dir_all("bench/results")
        .and_then(|_| std::fs::write("bench/results/polling-study.md", &md))
        .and_then(|_| std::fs::write("bench/polling-study.svg", svg));
    if let Err(e) = wrote {
        eprintln!("could not write the results (run from the workspace root): {e}");
        std::process::exit(1);
    }
}

/// An SVG scatter plot: x = requests per task (log scale), y = p95 latency (s).
fn scatter(names: &[&str], all: &[Outcome]) -> String {
    let (w, h, left, bottom, top, right) = (940.0, 440.0, 70.0, 50.0, 30.0, 400.0);
    let pts: Vec<(f64, f64)> = all
        .iter()
        .map(|o| (o.mean_requests().max(1.0), o.pct(0.95) as f64 / 1000.0))
        .collect();
    let xmax = pts.iter().map(|p| p.0).fold(1.0, f64::max) * 1.5;
    let ymax = pts.iter().map(|p| p.1).fold(1.0, f64::max) * 1.15;
    let x = |v: f64| left + (v.ln() / xmax.ln()) * (w - left - right);
    let y = |v: f64| h - bottom - (v / ymax) * (h - bottom - top);
    let colors = [
        "#1f77b4", "#17becf", "#2ca02c", "#d62728", "#ff7f0e", "#9467bd", "#8c564b",
    ];
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="18" font-size="14">Polling strategies: status requests per task vs p95 detection latency</text>"#,
        left
    );
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        h - bottom,
        w - right,
        h - bottom
    );
    let _ = writeln!(
        s,
        r#"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="black"/>"#,
        h - bottom
    );
    let mut tick = 1.0;
    while tick <= xmax {
        let _ = writeln!(
            s,
            r#"<line x1="{0:.1}" y1="{1}" x2="{0:.1}" y2="{2}" stroke="black"/><text x="{0:.1}" y="{3}" text-anchor="middle">{4}</text>"#,
            x(tick),
            h - bottom,
            h - bottom + 5.0,
            h - bottom + 18.0,
            tick
        );
        tick *= 10.0;
    }
    let ystep = if ymax > 40.0 {
        10.0
    } else if ymax > 8.0 {
        2.0
    } else {
        0.5
    };
    let mut t = 0.0;
    while t <= ymax {
        let _ = writeln!(
            s,
            r#"<line x1="{0}" y1="{1:.1}" x2="{2}" y2="{1:.1}" stroke="black"/><text x="{3}" y="{4:.1}" text-anchor="end">{5}</text>"#,
            left - 5.0,
            y(t),
            left,
            left - 8.0,
            y(t) + 4.0,
            t
        );
        t += ystep;
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">status requests per task (log scale)</text>"#,
        left + (w - left - right) / 2.0,
        h - 12.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" transform="rotate(-90 16 {})" text-anchor="middle">p95 detection latency (s)</text>"#,
        top + (h - bottom - top) / 2.0,
        top + (h - bottom - top) / 2.0
    );
    for (i, (px, py)) in pts.iter().enumerate() {
        let c = colors[i % colors.len()];
        let _ = writeln!(
            s,
            r#"<circle cx="{:.1}" cy="{:.1}" r="6" fill="{c}"/>"#,
            x(*px),
            y(*py)
        );
        let ly = top + 20.0 + i as f64 * 20.0;
        let _ = writeln!(
            s,
            r#"<circle cx="{}" cy="{ly}" r="5" fill="{c}"/><text x="{}" y="{}">{} ({:.1} req, {:.2} s)</text>"#,
            w - right + 15.0,
            w - right + 25.0,
            ly + 4.0,
            names[i],
            px,
            py
        );
    }
    s.push_str("</svg>\n");
    s
}
