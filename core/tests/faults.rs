//! Faults on a virtual clock: 429 with both Retry-After forms, 5xx, timeouts, dropped
//! submits with and without idempotency, malformed and unknown bodies, deadline, abort,
//! cancel, an out-of-order live answer after terminal, a webhook racing a poll.

mod support;
use serde_json::json;
use support::*;
use tasklane_core::engine::{Output, StoreOp};
use tasklane_core::{
    ErrorCode, HttpResponse, OpResult, PollOptions, TaskRef, TaskState, TaskUpdate, TransportError,
    WaitOptions,
};

fn hdr(k: &str, v: &str) -> Vec<(String, String)> {
    vec![(k.to_owned(), v.to_owned())]
}

fn imf(ms: u64) -> String {
    // T0 is Wed, 25 Nov 2026 19:00:00 GMT; build "Wed, 25 Nov 2026 19:MM:SS GMT"
    let s = (ms - T0) / 1000;
    format!("Wed, 25 Nov 2026 19:{:02}:{:02} GMT", s / 60, s % 60)
}

fn wait(w: &mut World, id: &str) -> tasklane_core::OpId {
    w.engine
        .wait(w.now, &TaskRef::new(id), WaitOptions::default())
        .expect("valid wait")
}

#[test]
fn status_429_with_retry_after_seconds_and_date_is_honoured() {
    for (i, d) in ALL.into_iter().enumerate() {
        for date_form in [false, true] {
            let mut w = World::new(d);
            let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 3000}));
            let op = wait(&mut w, &id);
            // the first poll gets a 429 asking for 4 s, or until a date ~10 s ahead
            let until = (w.now + 10_000) / 1000 * 1000;
            let ra = if date_form {
                imf(until)
            } else {
                "4".to_owned()
            };
            w.fake.faults.push_back((
                Route::Status,
                Fault::Http(429, hdr("Retry-After", &ra), "slow down".into()),
            ));
            w.run_until(Some(op), 60_000);
            assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?} {i}");
            let polls = w.status_requests();
            assert!(polls.len() >= 2);
            let answered = polls[0] + 40;
            if date_form {
                assert!(
                    polls[1] >= until,
                    "{d:?}: polled at {} before the Retry-After date {until}",
                    polls[1]
                );
            }
            let gap = polls[1] - answered;
            assert!(
                gap >= 4000,
                "{d:?} date={date_form}: second poll only {gap} ms after the 429"
            );
        }
    }
}

#[test]
fn transient_status_errors_are_retried() {
    for d in ALL {
        for fault in [
            Fault::Http(500, vec![], "oops".into()),
            Fault::Http(502, vec![], "".into()),
            Fault::Http(503, vec![], "".into()),
            Fault::Http(504, vec![], "".into()),
            Fault::Http(408, vec![], "".into()),
            Fault::Transport(TransportError::network(true), false),
            Fault::Hang,
            Fault::Slow(40_000),
        ] {
            let mut w = World::new(d);
            let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 2000}));
            w.fake.faults.push_back((Route::Status, fault.clone()));
            w.fake.faults.push_back((Route::Status, fault.clone()));
            let op = wait(&mut w, &id);
            w.run_until(Some(op), 200_000);
            assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?} {fault:?}");
        }
    }
}

#[test]
fn non_retryable_status_answers_are_http_errors() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({}));
        w.fake.faults.push_back((
            Route::Status,
            Fault::Http(403, vec![], r#"{"error":"forbidden"}"#.into()),
        ));
        let op = wait(&mut w, &id);
        w.run_until(Some(op), 60_000);
        let f = w.failure(op);
        assert_eq!(
            (f.code, f.http_status),
            (ErrorCode::Http, Some(403)),
            "{d:?}"
        );
        assert!(f.message.contains("forbidden"));
        assert_eq!(w.status_requests().len(), 1, "not retried");
    }
}

#[test]
fn persistent_transient_errors_end_as_network() {
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({}));
    for _ in 0..100 {
        w.fake
            .faults
            .push_back((Route::Status, Fault::Http(502, vec![], "".into())));
    }
    let op = wait(&mut w, &id);
    w.run_until(Some(op), 700_000);
    let f = w.failure(op);
    assert_eq!((f.code, f.http_status), (ErrorCode::Network, Some(502)));
    assert_eq!(
        w.status_requests().len(),
        11,
        "1 + maxRetries (10) attempts"
    );
}

/// A wait whose tries keep failing until its `timeoutMs` runs out (before the retry
/// budget) ends `wait_timeout`, naming the last error; `network` is kept for a budget used
/// up first (above).
#[test]
fn failing_tries_at_the_deadline_end_as_wait_timeout() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({}));
        for _ in 0..100 {
            w.fake
                .faults
                .push_back((Route::Status, Fault::Http(502, vec![], "".into())));
        }
        let opts = WaitOptions {
            timeout_ms: Some(5_000.0),
            ..Default::default()
        };
        let op = w.engine.wait(w.now, &TaskRef::new(&id), opts).expect("ok");
        w.run_until(Some(op), 60_000);
        let f = w.failure(op);
        assert_eq!(f.code, ErrorCode::WaitTimeout, "{d:?}: {f:?}");
        assert!(f.message.contains("HTTP 502"), "{}", f.message);
        assert!(
            w.status_requests().len() < 11,
            "stopped by time, not by the budget"
        );
    }
}

#[test]
fn dropped_submit_without_idempotency_is_not_repeated() {
    for d in [Dialect::Mirako, Dialect::Apixo, Dialect::Queue] {
        for e in [TransportError::network(true), TransportError::timeout()] {
            let mut w = World::new(d);
            w.fake
                .faults
                .push_back((Route::Submit, Fault::Transport(e, true)));
            let (op, _) = submit(&mut w, json!({}));
            let f = w.failure(op);
            assert_eq!(f.code, ErrorCode::Network, "{d:?}");
            assert!(f.message.contains("may exist"), "{}", f.message);
            assert_eq!(w.submits_sent(), 1, "{d:?}: never re-POSTed");
            assert_eq!(w.fake.submits, 1);
        }
        // a hung submit times out the same way
        let mut w = World::new(d);
        w.fake.faults.push_back((Route::Submit, Fault::Hang));
        let (op, _) = submit(&mut w, json!({}));
        assert_eq!(w.failure(op).code, ErrorCode::Network);
        assert_eq!(w.submits_sent(), 1);
        // answered 500: not retried, the answer is reported
        let mut w = World::new(d);
        w.fake
            .faults
            .push_back((Route::Submit, Fault::Http(500, vec![], "".into())));
        let (op, _) = submit(&mut w, json!({}));
        assert_eq!(
            (w.failure(op).code, w.failure(op).http_status),
            (ErrorCode::Http, Some(500))
        );
        assert_eq!(w.submits_sent(), 1);
    }
}

#[test]
fn submit_that_provably_did_not_arrive_or_was_refused_is_retried() {
    for d in ALL {
        let mut w = World::new(d);
        w.fake.faults.push_back((
            Route::Submit,
            Fault::Transport(TransportError::network(false), false),
        ));
        w.fake.faults.push_back((
            Route::Submit,
            Fault::Http(429, hdr("retry-after", "2"), "".into()),
        ));
        w.fake
            .faults
            .push_back((Route::Submit, Fault::Http(503, vec![], "".into())));
        let t0 = w.now;
        let (op, id) = submit(&mut w, json!({}));
        assert_eq!(w.update(op).state, TaskState::Queued, "{d:?}");
        assert_eq!(w.submits_sent(), 4);
        assert_eq!(w.fake.submits, 1, "{d:?}: exactly one task created");
        let third = w
            .sent
            .iter()
            .filter(|(_, _, r)| r.method == "POST")
            .nth(2)
            .expect("third")
            .0;
        assert!(third >= t0 + 2000, "Retry-After honoured on submit");
        assert!(!id.is_empty());
    }
}

#[test]
fn dropped_submit_with_idempotency_is_retried_under_the_same_key() {
    let mut w = World::new(Dialect::Mindproxy);
    w.fake.faults.push_back((
        Route::Submit,
        Fault::Transport(TransportError::network(true), true),
    ));
    w.fake.faults.push_back((Route::Submit, Fault::Hang));
    w.fake
        .faults
        .push_back((Route::Submit, Fault::Http(500, vec![], "".into())));
    let (op, id) = submit(&mut w, json!({}));
    assert_eq!(w.update(op).state, TaskState::Queued);
    assert_eq!(w.submits_sent(), 4);
    assert_eq!(w.fake.submits, 1, "the key deduplicated the repeats");
    let keys: Vec<String> = w
        .sent
        .iter()
        .filter_map(|(_, _, r)| r.body.as_deref())
        .map(|b| {
            serde_json::from_str::<serde_json::Value>(b).expect("json")["idempotency_key"]
                .as_str()
                .expect("key")
                .to_owned()
        })
        .collect();
    assert!(keys.windows(2).all(|k| k[0] == k[1]), "{keys:?}");
    assert!(keys[0].starts_with("tl-"));
    match w.store.last() {
        Some(StoreOp::Put(r)) => {
            assert_eq!(r.idempotency_key.as_deref(), Some(keys[0].as_str()));
            assert_eq!(r.task.id, id);
        }
        other => panic!("{other:?}"),
    }
    // a user's key is used as given
    let mut req = request(Dialect::Mindproxy, json!({}));
    req.idempotency_key = Some("mine".into());
    let op = w.engine.submit(w.now, req).expect("ok");
    w.run_until(Some(op), 10_000);
    assert!(w
        .sent
        .last()
        .expect("sent")
        .2
        .body
        .as_deref()
        .expect("body")
        .contains(r#""idempotency_key":"mine""#));
}

#[test]
fn malformed_and_unknown_bodies() {
    for d in ALL {
        // one truncated body and one unknown status are tolerated
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 2000}));
        let unknown = w
            .fake
            .status_body(d, &w.fake.tasks[&id].clone(), w.now)
            .to_string()
            .replace("IN_PROGRESS", "WARMING")
            .replace("processing", "warming")
            .replace("\"status\":3", "\"status\":42");
        w.fake
            .faults
            .push_back((Route::Status, Fault::Body(r#"{"data":{"task_"#.into())));
        w.fake
            .faults
            .push_back((Route::Status, Fault::Body(unknown.clone())));
        let op = wait(&mut w, &id);
        w.run_until(Some(op), 60_000);
        assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?}");
        // an unknown status that persists becomes bad_response after 3 sightings
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        for _ in 0..10 {
            w.fake
                .faults
                .push_back((Route::Status, Fault::Body(unknown.clone())));
        }
        let op = wait(&mut w, &id);
        w.run_until(Some(op), 60_000);
        let f = w.failure(op);
        assert_eq!(f.code, ErrorCode::BadResponse, "{d:?}");
        assert!(f.message.contains("unknown status"), "{}", f.message);
        assert_eq!(w.status_requests().len(), 3);
        // a JSON body that matches no dialect is bad_response at once
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({}));
        w.fake
            .faults
            .push_back((Route::Status, Fault::Body(r#"{"hello":"world"}"#.into())));
        let op = wait(&mut w, &id);
        w.run_until(Some(op), 60_000);
        assert_eq!(w.failure(op).code, ErrorCode::BadResponse, "{d:?}");
        // a submit answer without an id
        let mut w = World::new(d);
        w.fake
            .faults
            .push_back((Route::Submit, Fault::Body("[]".into())));
        let (op, _) = submit(&mut w, json!({}));
        assert_eq!(w.failure(op).code, ErrorCode::BadResponse, "{d:?}");
    }
}

#[test]
fn apixo_success_with_unreadable_result_json() {
    let broken = r#"{"code":200,"msg":"success","data":{"taskId":"ID","state":"success","resultJson":"{not json"}}"#;
    // Once is damage in transit: the next answer is read, with its outputs.
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100}));
    w.fake
        .faults
        .push_back((Route::Status, Fault::Body(broken.replace("ID", &id))));
    let op = wait(&mut w, &id);
    w.run_until(Some(op), 60_000);
    let u = w.update(op);
    assert_eq!(u.state, TaskState::Succeeded);
    assert!(u.outputs.as_ref().is_some_and(|o| !o.is_empty()));
    // Every time: bad_response naming the field, not a success without its results.
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100}));
    for _ in 0..10 {
        w.fake
            .faults
            .push_back((Route::Status, Fault::Body(broken.replace("ID", &id))));
    }
    let op = wait(&mut w, &id);
    w.run_until(Some(op), 60_000);
    let f = w.failure(op);
    assert_eq!(f.code, ErrorCode::BadResponse);
    assert!(
        f.message.contains("`data.resultJson` is not JSON text"),
        "{}",
        f.message
    );
    assert_eq!(w.status_requests().len(), 3);
}

#[test]
fn deadline_bounds_sleeps_and_requests() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1_000_000}));
        let start = w.now;
        let opts = WaitOptions {
            timeout_ms: Some(30_000.0),
            ..Default::default()
        };
        let op = w.engine.wait(w.now, &TaskRef::new(&id), opts).expect("ok");
        w.run_until(Some(op), 100_000);
        let f = w.failure(op);
        assert_eq!(f.code, ErrorCode::WaitTimeout, "{d:?}");
        assert_eq!(
            f.update.as_ref().expect("last seen").state,
            TaskState::Running
        );
        assert!(w.done[&op].at <= start + 30_000, "ended by the deadline");
        assert!(w.done[&op].at >= start + 29_000);
        // a request in flight at the deadline is aborted, and its timeout was cut to the time left
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1_000_000}));
        for _ in 0..100 {
            w.fake
                .faults
                .push_back((Route::Status, Fault::Slow(25_000)));
        }
        let start = w.now;
        let opts = WaitOptions {
            timeout_ms: Some(20_000.0),
            ..Default::default()
        };
        let op = w.engine.wait(w.now, &TaskRef::new(&id), opts).expect("ok");
        w.run_until(Some(op), 100_000);
        assert!(w.done[&op].at <= start + 20_000);
        let last = w.sent.last().expect("a poll");
        assert!(
            last.2.timeout_ms <= start + 20_000 - last.0,
            "request timeout {} > time left",
            last.2.timeout_ms
        );
        // Out of time with its last poll timed out: our timeoutMs, naming that error.
        let f = w.failure(op);
        assert_eq!(f.code, ErrorCode::WaitTimeout, "{d:?}: {f:?}");
        assert!(f.message.contains("timed out"), "{}", f.message);
    }
}

#[test]
fn abort_ends_at_once_and_sends_nothing_more() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        let op = wait(&mut w, &id);
        w.advance(5000);
        // stop exactly while a poll is in flight
        while w.pending.is_empty() {
            w.advance(10);
        }
        let in_flight = w.pending[0].1;
        assert!(w.engine.abort(w.now, op));
        w.drain();
        assert_eq!(w.failure(op).code, ErrorCode::Aborted);
        assert!(w.aborted.contains(&in_flight), "{d:?}");
        let n = w.sent.len();
        w.advance(200_000);
        assert_eq!(w.sent.len(), n, "nothing sent after abort");
        assert!(!w.engine.abort(w.now, op), "already ended");
        assert_eq!(w.engine.next_wakeup(), None);
    }
}

#[test]
fn cancel_where_the_dialect_can() {
    for d in [Dialect::Mindproxy, Dialect::Queue] {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        let wop = wait(&mut w, &id);
        w.advance(3000);
        let cop = w
            .engine
            .cancel(w.now, &TaskRef::new(&id), Some("user cancelled".into()))
            .expect("can cancel");
        w.run_until(Some(wop), 60_000);
        assert!(w.done.contains_key(&cop));
        let f = w.failure(wop);
        assert_eq!(f.code, ErrorCode::Canceled, "{d:?}");
        let cu = w.update(cop);
        assert_eq!(
            cu.state,
            TaskState::Canceled,
            "{d:?}: cancel answers with the task's state"
        );
        let c = w
            .sent
            .iter()
            .find(|(_, _, r)| r.method == "PUT" || r.url.ends_with("/cancel"))
            .expect("cancel sent");
        if d == Dialect::Mindproxy {
            assert_eq!(c.2.body.as_deref(), Some(r#"{"reason":"user cancelled"}"#));
        } else {
            assert_eq!(c.2.method, "PUT");
        }
    }
    for d in [Dialect::Mirako, Dialect::Apixo] {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({}));
        let e = w
            .engine
            .cancel(w.now, &TaskRef::new(&id), None)
            .expect_err("no cancel");
        assert_eq!(e.code(), ErrorCode::Unsupported);
        let e = w
            .engine
            .events(w.now, &TaskRef::new(&id), None, None)
            .expect_err("no events");
        assert_eq!(e.code(), ErrorCode::Unsupported);
    }
}

#[test]
fn cancel_refused_at_its_first_try() {
    // A cancel of a task that runs `run_ms`, sent at 1 s and refused with `status`.
    let refused = |d, status, body: &str, run_ms: u64| {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": run_ms}));
        w.advance(1000);
        w.fake
            .faults
            .push_back((Route::Cancel, Fault::Http(status, vec![], body.into())));
        let cop = w.cancel_to_end(&id);
        (w, cop)
    };
    for (d, status, body) in [
        (Dialect::Queue, 400, r#"{"detail":"ALREADY_COMPLETED"}"#),
        (Dialect::Mindproxy, 409, r#"{"error":"task_terminal"}"#),
    ] {
        // The task had ended: its state is read and the cancel answers with that end.
        let (w, cop) = refused(d, status, body, 100);
        let u = w.update(cop);
        assert_eq!(u.state, TaskState::Succeeded, "{d:?}: the end it found");
        assert!(u.outputs.is_some(), "{d:?}: with its outputs");
        // The task is live, so the refusal was not about an end: it stands.
        let (w, cop) = refused(d, status, body, 100_000);
        let f = w.failure(cop);
        assert_eq!(f.code, ErrorCode::Http, "{d:?}");
        assert_eq!(f.http_status, Some(status));
        assert_eq!(
            f.update.as_ref().map(|u| u.state),
            Some(TaskState::Running),
            "{d:?}: with the state the read found"
        );
    }
}

#[test]
fn events_where_the_dialect_has_them() {
    let mut w = World::new(Dialect::Mindproxy);
    let (_, id) = submit(&mut w, json!({}));
    let op = w
        .engine
        .events(w.now, &TaskRef::new(&id), Some(50), Some(0))
        .expect("ok");
    w.run_until(Some(op), 10_000);
    match w.result(op) {
        Ok(OpResult::Events(ev)) => {
            assert_eq!(ev.len(), 2);
            assert_eq!(ev[1].state, Some(TaskState::Running));
        }
        other => panic!("{other:?}"),
    }
    assert!(w
        .sent
        .last()
        .expect("sent")
        .2
        .url
        .ends_with("/events?limit=50&offset=0"));
}

fn terminal_body(w: &World, id: &str) -> TaskUpdate {
    let mut t = w.fake.tasks[id].clone();
    t.queue_ms = 0;
    t.run_ms = 0;
    t.created = 0;
    let body = w.fake.status_body(w.dialect, &t, w.now);
    tasklane_core::normalize::status_update(w.engine.profile(), &cj(&body), None)
        .expect("fake body")
}

#[test]
fn webhook_delivery_racing_a_poll_ends_the_wait_once() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 5000}));
        let op = wait(&mut w, &id);
        w.advance(2000);
        while w.pending.is_empty() {
            w.advance(10);
        }
        // the webhook says terminal while a poll (that will say running) is in flight
        let mut u = terminal_body(&w, &id);
        if d == Dialect::Queue {
            // a queue webhook carries the result as payload
            u.outputs = Some(vec![tasklane_core::Output {
                url: "https://cdn/x.png".into(),
                kind: tasklane_core::OutputKind::Image,
            }]);
        }
        let polls_before = w.pending.len();
        assert_eq!(w.engine.deliver(w.now, u.clone()), 1);
        w.drain();
        assert_eq!(polls_before, 1);
        assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?}");
        assert!(w.pending.is_empty(), "the racing poll was aborted");
        // a duplicate delivery and a late live answer change nothing
        assert_eq!(w.engine.deliver(w.now, u.clone()), 0);
        let mut live = u.clone();
        live.state = TaskState::Running;
        assert_eq!(w.engine.deliver(w.now, live), 0);
        w.advance(60_000);
        assert_eq!(w.dones_total, 2, "submit + wait, each once");
    }
}

#[test]
fn live_answer_after_terminal_is_ignored() {
    // the poll answer arrives after the terminal webhook: it is for an op that ended
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 5000}));
    let op = wait(&mut w, &id);
    while w.pending.is_empty() {
        w.advance(10);
    }
    let (_, req, live) = w.pending.remove(0);
    w.in_flight -= 1;
    let u = terminal_body(&w, &id);
    w.engine.deliver(w.now, u);
    w.drain();
    w.engine.handle_response(w.now, req, live);
    w.drain();
    assert_eq!(w.update(op).state, TaskState::Succeeded);
    assert_eq!(
        w.updates[&op].last().expect("update").state,
        TaskState::Succeeded
    );
    // a second wait that sees a live answer after a delivered live one keeps moving forward
    let (_, id2) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 5000}));
    let op2 = wait(&mut w, &id2);
    let mut running = terminal_body(&w, &id2);
    running.state = TaskState::Running;
    running.outputs = None;
    w.engine.deliver(w.now, running);
    w.run_until(Some(op2), 60_000);
    assert_eq!(w.update(op2).state, TaskState::Succeeded);
}

#[test]
fn several_waits_on_one_task_end_together_and_a_later_delivery_finds_none() {
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 3000}));
    let (_, other) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 60_000}));
    let ops = [wait(&mut w, &id), wait(&mut w, &id), wait(&mut w, &id)];
    let keep = wait(&mut w, &other);
    w.run_until(Some(ops[0]), 60_000);
    w.drain();
    // the first terminal answer any of them saw ended all three, the other task's wait runs on
    for op in ops {
        assert_eq!(w.update(op).state, TaskState::Succeeded, "{op:?}");
    }
    assert!(!w.done.contains_key(&keep));
    // a terminal webhook for the ended task is a duplicate: no wait takes it
    assert_eq!(w.engine.deliver(w.now, terminal_body(&w, &id)), 0);
    // a new wait on it polls again and ends, and the other task's wait still takes its webhook
    let again = wait(&mut w, &id);
    w.run_until(Some(again), 60_000);
    assert_eq!(w.update(again).state, TaskState::Succeeded);
    assert_eq!(w.engine.deliver(w.now, terminal_body(&w, &other)), 1);
    w.drain();
    assert_eq!(w.update(keep).state, TaskState::Succeeded);
}

#[test]
fn expected_webhooks_slow_polling_to_the_safety_net() {
    let mut w = World::new(Dialect::Apixo);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
    let opts = WaitOptions {
        expect_webhook: true,
        ..Default::default()
    };
    let op = w.engine.wait(w.now, &TaskRef::new(&id), opts).expect("ok");
    w.advance(95_000);
    let n = w.status_requests().len();
    assert!(n <= 4, "{n} polls in 95 s with a webhook expected");
    let u = terminal_body(&w, &id);
    w.engine.deliver(w.now, u);
    w.drain();
    assert_eq!(w.update(op).state, TaskState::Succeeded);
}

#[test]
fn invalid_arguments_name_the_field() {
    use tasklane_core::{ClientConfig, CoreError, Engine};
    let field = |e: CoreError| match e {
        CoreError::InvalidArgument { field, .. } => field,
        other => panic!("{other:?}"),
    };
    let e = Engine::new(ClientConfig::new("nope", "http://x"), 1).expect_err("bad provider");
    assert_eq!(field(e), "provider");
    let e = Engine::new(ClientConfig::new("queue", "ftp://x"), 1).expect_err("bad url");
    assert_eq!(field(e), "baseUrl");
    let mut c = ClientConfig::new("queue", "http://x");
    c.poll = PollOptions {
        jitter: Some(2.0),
        ..Default::default()
    };
    assert_eq!(
        field(Engine::new(c, 1).expect_err("bad jitter")),
        "poll.jitter"
    );
    let mut w = World::new(Dialect::Mindproxy);
    let mut r = request(Dialect::Mindproxy, json!({}));
    r.task_type = None;
    assert_eq!(
        field(w.engine.submit(w.now, r).expect_err("taskType")),
        "taskType"
    );
    let mut r = request(Dialect::Mindproxy, json!({}));
    r.input = cj(&json!([1]));
    assert_eq!(
        field(w.engine.submit(w.now, r).expect_err("input")),
        "input"
    );
    let opts = WaitOptions {
        poll: Some(PollOptions {
            multiplier: Some(0.5),
            ..Default::default()
        }),
        ..Default::default()
    };
    assert_eq!(
        field(
            w.engine
                .wait(w.now, &TaskRef::new("x"), opts)
                .expect_err("multiplier")
        ),
        "poll.multiplier"
    );
    let opts = WaitOptions {
        timeout_ms: Some(-5.0),
        ..Default::default()
    };
    assert_eq!(
        field(
            w.engine
                .wait(w.now, &TaskRef::new("x"), opts)
                .expect_err("timeout")
        ),
        "timeoutMs"
    );
    assert_eq!(
        field(w.engine.status(w.now, &TaskRef::new("")).expect_err("id")),
        "id"
    );
    let mut w = World::new(Dialect::Queue);
    assert_eq!(
        field(
            w.engine
                .status(w.now, &TaskRef::new("x"))
                .expect_err("endpoint")
        ),
        "endpoint"
    );
    let _ = HttpResponse::new(200, "");
    let _ = Output::Abort {
        req: tasklane_core::ReqId(0),
    };
}

#[test]
fn apixo_envelope_codes_inside_http_200() {
    // a 429 inside a 200 on submit: not accepted, retried after the backoff
    let mut w = World::new(Dialect::Apixo);
    w.fake.faults.push_back((
        Route::Submit,
        Fault::Body(r#"{"code":429,"msg":"rate limited","data":null}"#.into()),
    ));
    let (op, _) = submit(&mut w, json!({}));
    assert_eq!(w.update(op).state, TaskState::Queued);
    assert_eq!((w.submits_sent(), w.fake.submits), (2, 1));
    // a 500 inside a 200 on status: retried
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 2000}));
    w.fake.faults.push_back((
        Route::Status,
        Fault::Body(r#"{"code":500,"msg":"internal","data":null}"#.into()),
    ));
    let op = wait(&mut w, &id);
    w.run_until(Some(op), 60_000);
    assert_eq!(w.update(op).state, TaskState::Succeeded);
    // a 422 inside a 200 on submit: an http error carrying that status and message
    w.fake.faults.push_back((
        Route::Submit,
        Fault::Body(r#"{"code":422,"msg":"prompt is required","data":null}"#.into()),
    ));
    let (op, _) = submit(&mut w, json!({}));
    let f = w.failure(op);
    assert_eq!((f.code, f.http_status), (ErrorCode::Http, Some(422)));
    assert!(f.message.contains("prompt is required"));
}
