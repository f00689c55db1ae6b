//! 1,000 concurrent waits on one host: the per-host cap on polling requests (status and
//! result reads) in flight holds, a 429 with
//! Retry-After pauses that host's polls for every task, and all tasks finish.

mod support;
use serde_json::json;
use support::*;
use tasklane_core::{ClientConfig, Limits, TaskRef, TaskState, WaitOptions};

fn world(limits: Limits) -> World {
    let mut c = ClientConfig::new("queue", &Dialect::Queue.base());
    c.api_key = Some("k".into());
    c.limits = limits;
    let mut w = World::with_config(Dialect::Queue, c);
    w.latency = 300;
    w
}

#[test]
fn a_thousand_waits_respect_the_host_cap() {
    let mut w = world(Limits {
        max_in_flight_per_host: 16,
        max_per_second: None,
    });
    let mut ids = Vec::new();
    for i in 0..1000u64 {
        let req = request(
            Dialect::Queue,
            json!({"queue_ms": 1000 + (i * 37) % 4000, "run_ms": 5000 + (i * 7919) % 10_000}),
        );
        ids.push(w.engine.submit(w.now, req).expect("ok"));
    }
    w.run_until(None, 60_000);
    let tasks: Vec<String> = w.fake.tasks.keys().cloned().collect();
    assert_eq!(tasks.len(), 1000);
    let sent_before = w.sent.len();
    let waits = wait_all(&mut w, &tasks);
    // track the status requests in flight at every step
    let mut peak = 0usize;
    let end = w.now + 600_000;
    while w.engine.running() > 0 {
        w.drain();
        let in_flight = w.pending.len();
        peak = peak.max(in_flight);
        assert!(in_flight <= 16, "{in_flight} status requests in flight");
        let next = [w.engine.next_wakeup(), w.pending.iter().map(|p| p.0).min()]
            .into_iter()
            .flatten()
            .min()
            .expect("progress");
        assert!(next <= end, "virtual time limit");
        w.now = w.now.max(next);
        w.deliver_due();
    }
    assert_eq!(peak, 16, "the cap was reached and held");
    assert_eq!(w.engine.stats().peak_in_flight_per_host, 16);
    for op in &waits {
        assert_eq!(w.update(*op).state, TaskState::Succeeded);
    }
    let requests = w.sent.len() - sent_before;
    assert!(requests < 40_000, "{requests} requests");
}

#[test]
fn a_429_pauses_the_host_for_every_task() {
    let mut w = world(Limits {
        max_in_flight_per_host: 16,
        max_per_second: Some(100),
    });
    for i in 0..1000u64 {
        let req = request(
            Dialect::Queue,
            json!({"queue_ms": 0, "run_ms": 20_000 + (i * 13) % 5000}),
        );
        w.engine.submit(w.now, req).expect("ok");
    }
    w.run_until(None, 60_000);
    let tasks: Vec<String> = w.fake.tasks.keys().cloned().collect();
    for id in &tasks {
        w.engine
            .wait(w.now, &TaskRef::new(id), WaitOptions::default())
            .expect("ok");
    }
    w.advance(3000);
    // the next status answer is a 429 asking for 5 s
    w.fake.faults.push_back((
        Route::Status,
        Fault::Http(429, vec![("Retry-After".into(), "5".into())], "".into()),
    ));
    let before = w.sent.len();
    let mut paused_at = None;
    while paused_at.is_none() {
        w.advance(10);
        // the 429 was delivered once a status request got it and 300 ms passed
        if w.sent.len() > before {
            let first_faulted = w.sent[before].0;
            if w.now >= first_faulted + 300 {
                paused_at = Some(first_faulted + 300);
            }
        }
    }
    let paused_at = paused_at.expect("set");
    w.advance(10_000);
    let during: Vec<u64> = w
        .status_requests()
        .into_iter()
        .filter(|t| *t > paused_at && *t < paused_at + 5000)
        .collect();
    assert!(
        during.is_empty(),
        "{} status requests during the pause",
        during.len()
    );
    let after = w
        .status_requests()
        .into_iter()
        .filter(|t| *t >= paused_at + 5000)
        .count();
    assert!(after > 0, "polling resumed after the pause");
    // the per-second cap held throughout
    let polls = w.status_requests();
    for win in polls.windows(101) {
        assert!(
            win[100] - win[0] >= 1000,
            "more than 100 status requests within one second"
        );
    }
    w.run_until(None, 600_000);
}

/// With the host saturated (4 reads in flight, 200 tasks polling), a task seen done has
/// its result read sent as soon as a slot frees, ahead of the status polls already
/// waiting: in arrival order it waited behind all of them (seconds).
#[test]
fn result_reads_go_ahead_of_waiting_polls() {
    let mut w = world(Limits {
        max_in_flight_per_host: 4,
        max_per_second: None,
    });
    w.latency = 100;
    for i in 0..200u64 {
        let req = request(
            Dialect::Queue,
            json!({"queue_ms": 0, "run_ms": 5000 + (i * 7919) % 10_000}),
        );
        w.engine.submit(w.now, req).expect("ok");
    }
    w.run_until(None, 600_000);
    let from = w.sent.len();
    let tasks: Vec<String> = w.fake.tasks.keys().cloned().collect();
    let waits = wait_all(&mut w, &tasks);
    w.run_until(None, 3_600_000);
    for op in &waits {
        assert_eq!(w.update(*op).state, TaskState::Succeeded);
    }
    // the last status poll of each task answered COMPLETED; its result read followed
    let mut last_poll: std::collections::BTreeMap<&str, u64> = Default::default();
    let mut worst = 0;
    let mut results = 0;
    for (t, _, r) in &w.sent[from..] {
        let Some(rest) = r.url.split("/requests/").nth(1) else {
            continue;
        };
        let id = rest.split('/').next().unwrap_or("");
        if r.url.ends_with("/response") {
            let seen = last_poll[id] + w.latency;
            worst = worst.max(t - seen);
            results += 1;
        } else {
            last_poll.insert(id, *t);
        }
    }
    assert_eq!(results, 200);
    // a slot frees at least every round trip (200 ms); the polls queued meanwhile wait
    assert!(worst <= 2 * w.latency, "a result read waited {worst} ms");
}
