//! Failures the chaos run (`bench/chaos/chaos.mjs`) found, each as a small deterministic
//! scenario on the virtual clock. A bug that made the engine spin is run on a thread with
//! a time limit, so a regression fails the test instead of hanging it.

mod support;
use serde_json::json;
use std::sync::mpsc;
use std::time::Duration;
use support::*;
use tasklane_core::{ClientConfig, Limits, TaskRef, TaskState, WaitOptions};

/// Runs `f` on its own thread; fails if it has not returned within 20 s (real time).
fn bounded(name: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    let h = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(()) => h.join().expect("scenario thread"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // the scenario panicked: re-raise its message
            if let Err(e) = h.join() {
                std::panic::resume_unwind(e);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{name}: the engine did not return within 20 s (it spins)")
        }
    }
}

fn world(d: Dialect, limits: Limits) -> World {
    let mut c = ClientConfig::new(d.name(), &d.base());
    c.api_key = Some("k".into());
    c.limits = limits;
    World::with_config(d, c)
}

/// Three waits on one host whose polls queue behind the host budget (answers take `latency`).
fn three_waits_finish(d: Dialect, limits: Limits, latency: u64, first_poll: Option<Fault>) {
    let mut w = world(d, limits);
    w.latency = latency;
    let ids: Vec<String> = (0..3)
        .map(|_| submit(&mut w, json!({"queue_ms": 0, "run_ms": 4000})).1)
        .collect();
    if let Some(f) = first_poll {
        w.fake.faults.push_back((Route::Status, f));
    }
    let waits: Vec<_> = ids
        .iter()
        .map(|id| {
            w.engine
                .wait(w.now, &TaskRef::new(id), WaitOptions::default())
                .expect("valid wait")
        })
        .collect();
    w.run_until(None, 120_000);
    for op in waits {
        assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?}");
    }
}

/// Chaos run, 429 with `Retry-After` on a status poll: while the host was paused, two or
/// more waits queued for it; when the pause ended, `pump` popped the first one and `act`
/// put it back at the end of the (non-empty) queue, forever — the whole JavaScript thread
/// hung at the first 429 of a client following several tasks.
#[test]
fn polls_queued_behind_a_429_pause_are_sent_when_it_ends() {
    for d in ALL {
        bounded("429 pause", move || {
            three_waits_finish(
                d,
                Limits::default(),
                40,
                Some(Fault::Http(
                    429,
                    vec![("Retry-After".into(), "3".into())],
                    "slow down".into(),
                )),
            )
        });
    }
}

/// The same spin without a 429: two waits queued behind the in-flight cap.
#[test]
fn polls_queued_behind_the_in_flight_cap_are_sent_one_by_one() {
    for d in ALL {
        bounded("in-flight cap", move || {
            three_waits_finish(
                d,
                Limits {
                    max_in_flight_per_host: 1,
                    max_per_second: None,
                },
                // slow answers, so the three polls overlap
                1500,
                None,
            )
        });
    }
}

/// Chaos run, `cancel()` while a `wait()` on the same task runs: the cancel read the task's
/// terminal state (and the client forgot the task in its store), yet the wait kept polling
/// a task its own client knew had ended, for up to a whole backoff step, before it saw
/// `canceled` itself. A terminal state one operation sees now ends every wait on the task.
#[test]
fn a_cancel_that_sees_the_end_ends_the_wait_without_another_poll() {
    for d in [Dialect::Mindproxy, Dialect::Queue] {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        let wop = w
            .engine
            .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
            .expect("valid wait");
        w.advance(20_000); // the wait's backoff has grown to seconds
        let cop = w.cancel_to_end(&id);
        assert_eq!(w.update(cop).state, TaskState::Canceled, "{d:?}");
        let seen = w.done[&cop].at;
        assert!(w.done.contains_key(&wop), "{d:?}: the wait still runs");
        assert_eq!(
            w.failure(wop).code,
            tasklane_core::ErrorCode::Canceled,
            "{d:?}"
        );
        assert_eq!(
            w.done[&wop].at, seen,
            "{d:?}: the wait ended with the cancel"
        );
        w.run_until(None, 60_000);
        let late = w
            .status_requests()
            .into_iter()
            .filter(|t| *t > seen)
            .count();
        assert_eq!(
            late, 0,
            "{d:?}: {late} status requests after the end was seen"
        );
    }
}

/// Chaos run, mindproxy submit answered 200 with a truncated or non-JSON body: the task
/// existed, but submit rejected `bad_response` ("the task may exist") although the
/// idempotency key made a second try safe — a paid task the user could not follow. A keyed
/// submit now tries again under the same key and gets the task's id.
#[test]
fn an_unreadable_answer_to_a_keyed_submit_is_retried_under_the_same_key() {
    for body in ["{\"task_id\": \"ab", "<html>502 Bad Gateway</html>"] {
        let mut w = World::new(Dialect::Mindproxy);
        w.fake
            .faults
            .push_back((Route::Submit, Fault::Body(body.into())));
        let (op, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1000}));
        assert!(!id.starts_with("<failed"), "{body}: {:?}", w.result(op));
        assert_eq!(w.submits_sent(), 2, "{body}");
        let keys: Vec<_> = w
            .sent
            .iter()
            .filter(|(_, _, r)| r.method == "POST")
            .map(|(_, _, r)| {
                let v: serde_json::Value =
                    serde_json::from_str(r.body.as_deref().unwrap_or("{}")).expect("json");
                v["idempotency_key"].clone()
            })
            .collect();
        assert_eq!(keys[0], keys[1], "{body}: the retry used the same key");
    }
}

/// Chaos run, a cancel whose answer was lost (reset, dropped connection): the retry found
/// the task already ended — by that first cancel — and `cancel()` rejected `http` 409
/// (mindproxy `task_terminal`, queue 400 `ALREADY_COMPLETED`) although the task was
/// canceled. After a lost try, "already ended" now reads the task's state and resolves
/// with it.
#[test]
fn a_retried_cancel_that_finds_the_task_ended_resolves_with_its_state() {
    for (d, status, body) in [
        (
            Dialect::Mindproxy,
            409,
            r#"{"error":{"code":"task_terminal","message":"cannot be cancelled"},"status":6}"#,
        ),
        (Dialect::Queue, 400, r#"{"status":"ALREADY_COMPLETED"}"#),
    ] {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        w.fake.faults.push_back((
            Route::Cancel,
            Fault::Transport(tasklane_core::TransportError::network(true), true),
        ));
        w.fake
            .faults
            .push_back((Route::Cancel, Fault::Http(status, vec![], body.into())));
        let cop = w.cancel_to_end(&id);
        assert_eq!(w.update(cop).state, TaskState::Canceled, "{d:?}");
    }
}

/// Chaos run, hybrid completion on the queue dialect: a wait saw `COMPLETED` and queued its
/// result read (behind a 429 pause of the host); the webhook then brought the same success
/// with its outputs (`payload`) through `deliver`, which ignored it because that wait was
/// "waiting for its result" — the wait still fetched the result a second later. A delivered
/// success that carries the outputs now ends such a wait, and the result read is dropped.
#[test]
fn a_delivered_success_with_outputs_ends_a_wait_fetching_its_result() {
    let mut w = World::new(Dialect::Queue);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1000}));
    w.fake
        .faults
        .push_back((Route::Result, Fault::Slow(20_000)));
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("valid wait");
    // until the wait has seen COMPLETED and its result read hangs
    while !w.sent.iter().any(|(_, _, r)| r.url.ends_with("/response")) {
        w.advance(10);
    }
    assert!(!w.done.contains_key(&op));
    let results_before = w
        .sent
        .iter()
        .filter(|(_, _, r)| r.url.ends_with("/response"))
        .count();
    let t = w.fake.tasks[&id].clone();
    let body = w.fake.status_body(w.dialect, &t, w.now);
    let mut u = tasklane_core::normalize::status_update(w.engine.profile(), &cj(&body), None)
        .expect("fake body");
    assert_eq!(u.state, TaskState::Succeeded);
    u.outputs = Some(vec![tasklane_core::Output {
        url: "https://cdn/x.png".into(),
        kind: tasklane_core::OutputKind::Image,
    }]);
    assert_eq!(w.engine.deliver(w.now, u), 1);
    w.drain();
    let done = w.update(op);
    assert_eq!(done.state, TaskState::Succeeded);
    assert_eq!(done.outputs.as_ref().map(Vec::len), Some(1));
    assert!(
        w.pending.is_empty(),
        "the result read in flight was aborted"
    );
    w.run_until(None, 60_000);
    let results = w
        .sent
        .iter()
        .filter(|(_, _, r)| r.url.ends_with("/response"))
        .count();
    assert_eq!(results, results_before, "no result read after the delivery");
}
