//! Every dialect × every end state, on a virtual clock against the in-test fake provider.

mod support;
use serde_json::json;
use support::*;
use tasklane_core::engine::StoreOp;
use tasklane_core::{ErrorCode, OutputKind, TaskRef, TaskState, WaitOptions};

fn ends_for(d: Dialect) -> Vec<(&'static str, TaskState, Option<ErrorCode>)> {
    let mut v = vec![
        ("succeeded", TaskState::Succeeded, None),
        ("failed", TaskState::Failed, Some(ErrorCode::Failed)),
    ];
    match d {
        Dialect::Apixo => {}
        Dialect::Mindproxy => {
            v.push(("canceled", TaskState::Canceled, Some(ErrorCode::Canceled)));
            v.push(("timed_out", TaskState::TimedOut, Some(ErrorCode::TimedOut)));
            v.push(("refunded", TaskState::Failed, Some(ErrorCode::Failed)));
        }
        _ => {
            v.push(("canceled", TaskState::Canceled, Some(ErrorCode::Canceled)));
            v.push(("timed_out", TaskState::TimedOut, Some(ErrorCode::TimedOut)));
        }
    }
    v
}

#[test]
fn every_dialect_every_end_state() {
    for d in ALL {
        for (outcome, state, code) in ends_for(d) {
            let mut w = World::new(d);
            let (sop, id) = submit(
                &mut w,
                json!({"queue_ms": 2000, "run_ms": 5000, "outcome": outcome}),
            );
            let su = w.update(sop).clone();
            assert_eq!(su.state, TaskState::Queued, "{d:?}");
            assert!(
                matches!(w.store.last(), Some(StoreOp::Put(r)) if r.task.id == id && r.provider == d.name())
            );
            let op = w
                .engine
                .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
                .expect("known task");
            w.run_until(Some(op), 120_000);
            let ups = &w.updates[&op];
            let states: Vec<TaskState> = ups.iter().map(|u| u.state).collect();
            assert!(
                states.contains(&TaskState::Queued),
                "{d:?} {outcome}: {states:?}"
            );
            assert!(
                states.contains(&TaskState::Running),
                "{d:?} {outcome}: {states:?}"
            );
            assert_eq!(*states.last().expect("some"), state, "{d:?} {outcome}");
            // state changes only move forward
            assert!(states.windows(2).all(|p| !p[0].is_terminal()
                && (p[0] != TaskState::Running || p[1] != TaskState::Queued)));
            match code {
                None => {
                    let u = w.update(op);
                    assert_eq!(u.state, TaskState::Succeeded);
                    let o = u.outputs.as_ref().expect("outputs");
                    assert_eq!(o[0].kind, OutputKind::Image, "{d:?}");
                    if d == Dialect::Mirako {
                        assert!(o[0].url.starts_with("data:image/png;base64,"));
                    } else {
                        assert!(o[0].url.starts_with("https://cdn/"), "{}", o[0].url);
                    }
                    if matches!(d, Dialect::Apixo | Dialect::Queue) {
                        assert_eq!(u.cost_ms, Some(5000), "{d:?}");
                    }
                }
                Some(c) => {
                    let f = w.failure(op);
                    assert_eq!(f.code, c, "{d:?} {outcome}");
                    assert_eq!(f.task_id.as_deref(), Some(id.as_str()));
                    let u = f.update.as_ref().expect("update");
                    assert_eq!(u.state, state);
                    if outcome == "refunded" {
                        assert_eq!(u.error.as_ref().expect("error").code, "REFUNDED");
                    }
                }
            }
            assert!(
                matches!(w.store.last(), Some(StoreOp::Delete(x)) if *x == id),
                "{d:?} {:?}",
                w.store
            );
            // the wait ended within a few polls of the task's end
            let finished_at = w.done[&op].at;
            let task_end = T0 + 7000;
            assert!(
                finished_at >= task_end && finished_at < task_end + 6000,
                "{d:?} detection {}",
                finished_at - task_end
            );
        }
    }
}

#[test]
fn single_status_reads_any_state() {
    for d in ALL {
        let mut w = World::new(d);
        let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 100_000}));
        w.advance(1000);
        let op = w.engine.status(w.now, &TaskRef::new(&id)).expect("known");
        w.run_until(Some(op), 10_000);
        assert_eq!(w.update(op).state, TaskState::Running, "{d:?}");
        assert!(!w.updates.contains_key(&op), "status() emits no Update");
        w.advance(200_000);
        let op = w.engine.status(w.now, &TaskRef::new(&id)).expect("known");
        w.run_until(Some(op), 10_000);
        assert_eq!(w.update(op).state, TaskState::Succeeded, "{d:?}");
        assert!(w.update(op).outputs.is_some(), "{d:?}");
    }
}

#[test]
fn queue_position_changes_are_updates() {
    let mut w = World::new(Dialect::Queue);
    let (_, id) = submit(&mut w, json!({"queue_ms": 5000, "run_ms": 1000}));
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("ok");
    w.run_until(Some(op), 60_000);
    let positions: Vec<Option<u64>> = w.updates[&op]
        .iter()
        .filter(|u| u.state == TaskState::Queued)
        .map(|u| u.queue_position)
        .collect();
    assert!(positions.len() >= 3, "{positions:?}");
    assert!(
        positions.windows(2).all(|p| p[0] != p[1]),
        "an Update only on change: {positions:?}"
    );
}

#[test]
fn a_task_never_seen_before_needs_its_fields() {
    let mut w = World::new(Dialect::Apixo);
    let e = w
        .engine
        .wait(w.now, &TaskRef::new("elsewhere"), WaitOptions::default())
        .expect_err("model needed");
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.to_string().contains("model"));
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1000}));
    // a task reference with its model works from any engine
    let mut other = World::new(Dialect::Apixo);
    other.fake = std::mem::take(&mut w.fake);
    let mut r = TaskRef::new(&id);
    r.model = Some("flux".into());
    let op = other
        .engine
        .wait(other.now, &r, WaitOptions::default())
        .expect("ok");
    other.run_until(Some(op), 60_000);
    assert_eq!(other.update(op).state, TaskState::Succeeded);
}

#[test]
fn a_finished_task_can_still_be_read_by_id() {
    let mut w = World::new(Dialect::Queue);
    let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 1000}));
    let op = w
        .engine
        .wait(w.now, &TaskRef::new(&id), WaitOptions::default())
        .expect("ok");
    w.run_until(Some(op), 60_000);
    // the engine still knows the endpoint and URLs of a task it submitted
    let op = w
        .engine
        .status(w.now, &TaskRef::new(&id))
        .expect("address remembered");
    w.run_until(Some(op), 10_000);
    assert_eq!(w.update(op).state, TaskState::Succeeded);
    assert!(
        w.sent.last().expect("sent").2.url.ends_with("/response"),
        "status_url then response_url were used"
    );
}
