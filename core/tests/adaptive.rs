//! Adaptive polling on the virtual clock: learned per-model durations cut the number of
//! status requests without losing the end; queue-position movement and a provider's
//! `Retry-After` on a live answer stretch the wait; estimates survive export/import.

mod support;
use serde_json::json;
use support::*;
use tasklane_core::{ClientConfig, PollOptions, TaskRef, TaskState, WaitOptions};

/// Runs one task of `run_ms` to its end; returns (status requests, detection latency ms).
fn one(w: &mut World, queue_ms: u64, run_ms: u64) -> (usize, u64) {
    let (_, id) = submit(w, json!({"queue_ms": queue_ms, "run_ms": run_ms}));
    let created = w.fake.tasks[&id].created;
    let before = w.status_requests().len();
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("ok");
    w.run_until(Some(op), 600_000);
    assert_eq!(w.update(op).state, TaskState::Succeeded);
    (
        w.status_requests().len() - before,
        w.done[&op].at - (created + queue_ms + run_ms),
    )
}

fn world(adaptive: bool) -> World {
    let mut c = ClientConfig::new("apixo", &Dialect::Apixo.base());
    c.api_key = Some("k".into());
    c.poll = PollOptions {
        adaptive: Some(adaptive),
        ..Default::default()
    };
    World::with_config(Dialect::Apixo, c)
}

#[test]
fn learned_durations_cut_requests() {
    let mut w = world(true);
    let (first, _) = one(&mut w, 0, 20_000);
    let mut late = Vec::new();
    for _ in 0..15 {
        late.push(one(&mut w, 0, 20_000));
    }
    let (n, latency) = *late.last().expect("ran");
    assert!(n * 2 <= first, "learned: {n} requests vs {first} at first");
    assert!(latency < 2_000, "latency {latency} ms");
    // the estimate fills etaMs on live updates
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 20_000}));
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("ok");
    w.run_until(Some(op), 600_000);
    // the first live answer comes at most maxDelayMs (10 s) in: about 10 s are left
    let eta = w.updates[&op]
        .iter()
        .find_map(|u| u.eta_ms)
        .expect("an eta");
    assert!((8_000..=12_000).contains(&eta), "eta {eta}");

    // without adaptation the same workload keeps its plain backoff
    let mut plain = world(false);
    let (p_first, _) = one(&mut plain, 0, 20_000);
    for _ in 0..15 {
        one(&mut plain, 0, 20_000);
    }
    let (p_last, _) = one(&mut plain, 0, 20_000);
    assert_eq!(p_first, p_last, "no learning when adaptive is off");

    // estimates move to another engine
    let mut fresh = world(true);
    fresh.engine.import_estimates(w.engine.export_estimates());
    let (n, _) = one(&mut fresh, 0, 20_000);
    assert!(n * 2 <= first, "imported: {n} vs {first}");
    assert_eq!(fresh.engine.export_estimates().len(), 1);
    assert_eq!(fresh.engine.export_estimates()[0].key, "apixo:flux");
}

#[test]
fn a_moving_queue_stretches_the_wait() {
    let run = |adaptive: bool| {
        let mut c = ClientConfig::new("queue", &Dialect::Queue.base());
        c.api_key = Some("k".into());
        c.poll = PollOptions {
            adaptive: Some(adaptive),
            max_delay_ms: Some(5000.0),
            ..Default::default()
        };
        let mut w = World::with_config(Dialect::Queue, c);
        one(&mut w, 60_000, 1000)
    };
    let (adaptive, a_lat) = run(true);
    let (plain, _) = run(false);
    assert!(
        adaptive < plain,
        "queue hint: {adaptive} vs {plain} requests"
    );
    assert!(a_lat < 6_000, "latency {a_lat}");
}

#[test]
fn retry_after_on_a_live_answer_is_a_hint() {
    let mut w = world(true);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 30_000}));
    let live = w
        .fake
        .status_body(Dialect::Apixo, &w.fake.tasks[&id].clone(), w.now + 1000)
        .to_string();
    w.fake.faults.push_back((
        Route::Status,
        Fault::Http(200, vec![("Retry-After".into(), "8".into())], live),
    ));
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("ok");
    w.run_until(Some(op), 600_000);
    let polls = w.status_requests();
    assert!(
        polls[1] - polls[0] >= 8000,
        "second poll {} ms after the first",
        polls[1] - polls[0]
    );
}

/// 250 concurrent tasks of one model (log-normal, median 20 s, σ 0.2) end in order of
/// duration; the learned median stays near 20 s instead of following the last, longest
/// finishers (a fixed-weight moving average learned about 34 s here, and the next batch
/// slept until its 93rd percentile).
#[test]
fn a_batch_ending_in_duration_order_keeps_the_median() {
    let mut w = world(true);
    let mut r = tasklane_core::rng::SplitMix64::new(7);
    let mut waits = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..250 {
        // Box-Muller
        let u1 = r.next_f64().max(1e-12);
        let u2 = r.next_f64();
        let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        let run_ms = (20_000.0 * (0.2 * z).exp()) as u64;
        let req = request(Dialect::Apixo, json!({"queue_ms": 0, "run_ms": run_ms}));
        ids.push(w.engine.submit(w.now, req).expect("ok"));
    }
    w.run_until(None, 60_000);
    for op in &ids {
        let id = w.update(*op).id.clone();
        waits.push(
            w.engine
                .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
                .expect("ok"),
        );
    }
    w.run_until(None, 600_000);
    for op in &waits {
        assert_eq!(w.update(*op).state, TaskState::Succeeded);
    }
    let est = w.engine.export_estimates();
    assert_eq!(est.len(), 1);
    let median = est[0].estimate.median_ms();
    assert!(
        (18_000..=23_000).contains(&median),
        "learned median {median} ms"
    );
}

/// Without history, a running task's poll delay stays within a tenth of its running
/// time (at least the initial 500 ms): its end is seen within ~10 % of the run. That
/// costs about as many requests as a fixed 500 ms loop for a 6 s task (the floor), and
/// far fewer for longer ones. Plain backoff (adaptive off) lets the delay reach half the
/// elapsed time.
#[test]
fn a_running_task_is_seen_within_a_tenth_of_its_run() {
    for (queue_ms, run_ms) in [(0, 6_000), (0, 20_000), (0, 30_000), (15_000, 12_000)] {
        let (n, latency) = one(&mut world(true), queue_ms, run_ms);
        // a tenth of the run, plus the answer's way back and the 10 ms timer coalescing
        assert!(
            latency <= run_ms / 10 + 2 * 40 + 10,
            "{queue_ms}+{run_ms} ms: seen {latency} ms late"
        );
        let fixed_500 = ((queue_ms + run_ms) / 500) as usize;
        assert!(
            n <= fixed_500 + 1,
            "{queue_ms}+{run_ms} ms: {n} requests vs {fixed_500}"
        );
        if queue_ms + run_ms >= 20_000 {
            assert!(
                n * 3 <= fixed_500 * 2,
                "{queue_ms}+{run_ms} ms: {n} requests vs {fixed_500}"
            );
        }
    }
    // the plain backoff's delay outgrows a tenth of the run
    let late = [20_000, 30_000, 45_000]
        .map(|run_ms| one(&mut world(false), 0, run_ms).1 * 10 > run_ms)
        .contains(&true);
    assert!(late, "plain backoff kept within a tenth");
}

/// A batch: many waits on one model with no estimate poll at up to a third of their
/// running time until the first of them ends (it is seen later than a lone task's end
/// would be), then by the estimate it taught; a lone task keeps a tenth (above).
#[test]
fn siblings_without_an_estimate_poll_sparsely_until_the_first_ends() {
    let mut w = world(true);
    let ids: Vec<String> = (0..20)
        .map(|i| submit(&mut w, json!({"queue_ms": 0, "run_ms": 30_000 + i * 100})).1)
        .collect();
    let start = w.status_requests().len();
    let ops = wait_all(&mut w, &ids);
    // 25 s in, nothing has ended: a lone task would have polled ~10 + 10 ln(25/5) ≈ 26 times
    w.advance(25_000);
    let per_task = (w.status_requests().len() - start) as f64 / 20.0;
    assert!(per_task <= 17.0, "{per_task} polls per task in 25 s");
    for op in &ops {
        w.run_until(Some(*op), 600_000);
        assert_eq!(w.update(*op).state, TaskState::Succeeded);
    }
    // the first end taught the estimate: the later ones were seen within a tenth
    let late: Vec<u64> = ops
        .iter()
        .zip(&ids)
        .skip(4)
        .map(|(op, id)| {
            let t = &w.fake.tasks[id];
            w.done[op].at - (t.created + t.queue_ms + t.run_ms)
        })
        .collect();
    assert!(
        late.iter().all(|l| *l <= 3_000 + 2 * 40 + 10),
        "seen late: {late:?}"
    );
    // one task alone polls densely (the tenth rule): more than the siblings did
    let (lone, _) = one(&mut world(true), 0, 25_000);
    assert!(lone as f64 > per_task + 5.0, "lone {lone} vs {per_task}");
}
