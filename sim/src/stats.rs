//! `GET /__sim/stats`: what happened, as JSON — submits and duplicate submits, tasks with
//! their timings, decided outcome and every request (left out with `?summary=1`),
//! tasks created per `_sim.ref`, and every webhook delivery attempt.

use serde_json::{json, Map, Value};

use crate::state::Store;

/// The stats document at `now`.
pub fn render(s: &Store, now: u64, summary: bool) -> Value {
    let mut tasks = Map::new();
    let mut by_phase: std::collections::BTreeMap<String, u64> = Default::default();
    for t in s.tasks.values() {
        let phase = t.phase(now);
        let state = match phase {
            crate::task::Phase::Queued { .. } => "queued".to_string(),
            crate::task::Phase::Running => "running".to_string(),
            crate::task::Phase::Done(o) => o.name().to_string(),
        };
        *by_phase.entry(state.clone()).or_insert(0) += 1;
        let mut v = json!({
            "dialect": t.dialect.name(),
            "model": t.model,
            "ref": t.reference,
            "seq": t.seq,
            "idempotency_key": t.idempotency_key,
            "created_at_ms": t.created_at_ms,
            "queue_ms": t.queue_ms,
            "run_ms": t.run_ms,
            "terminal_at_ms": t.terminal_at(),
            "completed_at_ms": t.completed_at(now),
            "outcome": t.outcome.name(),
            "canceled_at_ms": t.canceled_at,
            "state": state,
            "request_count": t.request_count,
        });
        if !summary {
            v["requests"] = t
                .requests
                .iter()
                .map(|r| {
                    let mut e = json!({"t_ms": r.t_ms, "route": r.route, "status": r.status, "fault": r.fault});
                    if let Some(c) = &r.client {
                        e["client"] = json!(c);
                    }
                    e
                })
                .collect();
        }
        tasks.insert(t.id.clone(), v);
    }
    let webhooks: Vec<Value> = s
        .webhooks
        .iter()
        .map(|w| {
            json!({
                "task_id": w.task_id, "url": w.url, "webhook_id": w.webhook_id, "kind": w.kind,
                "attempt": w.attempt, "status": w.status, "error": w.error, "t_ms": w.t_ms,
            })
        })
        .collect();
    json!({
        "now_ms": now,
        "seed": s.seed,
        "submits": s.submits,
        "duplicate_submits": s.duplicate_submits,
        "tasks_created": s.tasks.len(),
        "requests_total": s.requests_total,
        "faults_injected": s.faults_injected,
        "states": by_phase,
        "refs": s.refs,
        "tasks": tasks,
        "webhooks": webhooks,
    })
}
