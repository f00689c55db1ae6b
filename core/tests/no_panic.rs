//! Property: no answer body makes the engine panic or hang. Seeded random bytes, random
//! JSON and mutated dialect bodies are fed to every dialect's operations; every operation
//! must end (success or a typed failure) within its deadline.

mod support;
use serde_json::{json, Map, Value};
use support::*;
use tasklane_core::rng::SplitMix64;
use tasklane_core::{normalize, ProviderProfile, TaskRef, WaitOptions};

fn random_json(r: &mut SplitMix64, depth: u32) -> Value {
    let words = [
        "status",
        "data",
        "task_id",
        "taskId",
        "state",
        "IN_QUEUE",
        "COMPLETED",
        "success",
        "4",
        "8",
        "resultJson",
        "result_assets_json",
        "error",
        "error_type",
        "queue_position",
        "images",
        "url",
        "request_id",
        "image",
        "metrics",
        "inference_time",
        "costTime",
        "task_events",
        "payload",
        "\u{0}",
        "é",
        "{",
        "",
    ];
    let pick = |r: &mut SplitMix64| words[(r.next_u64() % words.len() as u64) as usize].to_owned();
    match r.next_u64() % if depth > 3 { 5 } else { 8 } {
        0 => Value::Null,
        1 => Value::Bool(r.next_u64() & 1 == 0),
        2 => json!((r.next_u64() % 20) as i64 - 5),
        3 => json!(r.next_f64() * 1e6 - 10.0),
        4 => Value::String(pick(r)),
        5 => Value::Array(
            (0..r.next_u64() % 4)
                .map(|_| random_json(r, depth + 1))
                .collect(),
        ),
        6 => Value::String(random_json(r, depth + 1).to_string()),
        _ => {
            let mut m = Map::new();
            for _ in 0..r.next_u64() % 5 {
                m.insert(pick(r), random_json(r, depth + 1));
            }
            Value::Object(m)
        }
    }
}

fn random_body(r: &mut SplitMix64) -> String {
    match r.next_u64() % 4 {
        0 => (0..r.next_u64() % 64)
            .map(|_| char::from((r.next_u64() % 256) as u8))
            .collect(),
        1 => {
            let s = random_json(r, 0).to_string();
            let cut = (r.next_u64() as usize) % (s.len() + 1);
            s.get(..cut).unwrap_or("").to_owned()
        }
        _ => random_json(r, 0).to_string(),
    }
}

#[test]
fn normalizer_takes_any_json() {
    let mut r = SplitMix64::new(1);
    for name in ProviderProfile::BUILTIN {
        let p = ProviderProfile::builtin(name).expect("built in");
        for _ in 0..5000 {
            let v = cj(&random_json(&mut r, 0));
            let _ = normalize::status_update(&p, &v, Some("x"));
            let _ = normalize::result_outputs(&p, &v);
            let _ = normalize::events(&p, &v);
        }
    }
    for _ in 0..5000 {
        let s = random_body(&mut r);
        let _ = normalize::data_url(&s);
        let _ = tasklane_core::retry_after::retry_after_ms(&s, 0);
        let _ = tasklane_core::url::BaseUrl::parse(&s);
    }
}

#[test]
fn engine_takes_any_answer() {
    let mut r = SplitMix64::new(7);
    for round in 0..60 {
        for d in ALL {
            let mut w = World::new(d);
            let (_, id) = submit(&mut w, json!({"queue_ms": 0, "run_ms": 3000}));
            for _ in 0..40 {
                let status =
                    [200u16, 200, 200, 202, 400, 404, 429, 500, 503][(r.next_u64() % 9) as usize];
                w.fake.garbage.push_back((status, random_body(&mut r)));
            }
            let mut ops = vec![
                w.engine
                    .wait(
                        w.now,
                        &TaskRef::new(&id),
                        WaitOptions {
                            timeout_ms: Some(120_000.0),
                            ..Default::default()
                        },
                    )
                    .expect("ok"),
                w.engine.status(w.now, &TaskRef::new(&id)).expect("ok"),
                w.engine.submit(w.now, request(d, json!({}))).expect("ok"),
            ];
            if let Ok(op) = w.engine.cancel(w.now, &TaskRef::new(&id), None) {
                ops.push(op);
            }
            if let Ok(op) = w.engine.events(w.now, &TaskRef::new(&id), None, None) {
                ops.push(op);
            }
            w.run_until(None, 1_000_000);
            for op in ops {
                assert!(
                    w.done.contains_key(&op),
                    "round {round} {d:?}: op did not end"
                );
            }
            assert_eq!(w.engine.next_wakeup(), None);
        }
    }
}

#[test]
fn extreme_clock_values_do_not_overflow() {
    for start in [0u64, u64::MAX / 2, u64::MAX - 1_000_000_000] {
        for d in ALL {
            let mut w = World::new(d);
            w.now = start;
            let (_, id) = submit(&mut w, json!({"queue_ms": 500, "run_ms": 2000}));
            let mut r = TaskRef::new(&id);
            r.submitted_at = Some(u64::MAX);
            let op = w
                .engine
                .wait(
                    w.now,
                    &r,
                    WaitOptions {
                        timeout_ms: Some(60_000.0),
                        ..Default::default()
                    },
                )
                .expect("ok");
            w.run_until(Some(op), 100_000);
            assert!(w.done.contains_key(&op), "{d:?} from {start}");
        }
    }
}
