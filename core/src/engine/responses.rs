//! Handling a successful answer: [`Engine::handle_response`] routes each outcome, then
//! submit answers become task refs, status bodies become updates (with strikes for
//! unparsable ones), and terminal updates end the waits and are shared with the other
//! operations on the same task.

use super::{
    polling, Engine, Kind, OpId, OpResult, Output, Phase, Purpose, ReqId, StoreOp, STRIKES,
};
use crate::config::TaskRecord;
use crate::error::{ErrorCode, TaskFailure};
use crate::http::{HttpResponse, TransportError};
use crate::json::{RawJson, Value};
use crate::normalize::{self, NormalizeError};
use crate::retry_after::retry_after_ms;
use crate::state::{TaskState, TaskUpdate};
use crate::text::{concat, decimal};

impl Engine {
    /// Feeds the outcome of a request from [`Output::Send`]. Outcomes of requests the
    /// engine no longer wants (aborted, timed out) are ignored.
    pub fn handle_response(
        &mut self,
        now: u64,
        req: ReqId,
        outcome: Result<HttpResponse, TransportError>,
    ) {
        let Some(meta) = self.reqs.remove(&req) else {
            return;
        };
        if let Some(host) = &meta.host {
            if let Some(h) = self.hosts.get_mut(host) {
                h.ended();
            }
            self.pump(now, host);
        }
        let op_id = meta.op;
        match self.ops.get_mut(&op_id) {
            Some(o) if o.phase == Phase::InFlight(req) => o.phase = Phase::Idle,
            _ => return,
        }
        let mut resp = match outcome {
            Ok(resp) => resp,
            Err(e) => return self.on_transport_error(now, op_id, meta.purpose, e),
        };
        // A 2xx body is parsed once, here: its envelope may say it is an error, and
        // otherwise every kind of answer reads its fields from this tree.
        let ok = |status: u16| (200..300).contains(&status);
        let parsed = if ok(resp.status) {
            normalize::parse_json(&resp.body)
        } else {
            Err(NormalizeError::NotJson)
        };
        if let Ok(raw) = &parsed {
            if let Some(s) = normalize::envelope_code(&self.rq.profile, raw) {
                resp.status = s;
            }
        }
        if ok(resp.status) {
            self.on_success(now, op_id, meta.purpose, resp, parsed)
        } else {
            self.on_http_error(now, op_id, meta.purpose, &meta.host, resp)
        }
    }

    /// A 2xx answer, its body already parsed (`NotJson` when it is not JSON).
    pub(super) fn on_success(
        &mut self,
        now: u64,
        id: OpId,
        purpose: Purpose,
        resp: HttpResponse,
        parsed: Result<Value, NormalizeError>,
    ) {
        let profile = &self.rq.profile;
        match purpose {
            Purpose::Submit => self.on_submit_answer(now, id, resp, parsed),
            Purpose::Status | Purpose::Cancel => {
                let Some(op) = self.ops.get(&id) else { return };
                let read = parsed
                    .and_then(|raw| normalize::status_fields(profile, &raw, Some(&op.task.id)));
                match read {
                    Ok(mut u) => {
                        if purpose == Purpose::Status {
                            let hint = resp
                                .header("retry-after")
                                .and_then(|v| retry_after_ms(v, now));
                            if let Some(o) = self.ops.get_mut(&id) {
                                o.hint_ms = hint;
                                o.strikes = 0;
                                o.failures = 0;
                                // we asked about this id (bodies may echo another form of it)
                                u.id.clone_from(&o.task.id);
                            }
                        }
                        // The body is kept as its text (`RawJson`): no copy of the tree.
                        u.raw = RawJson::parsed_text(resp.body);
                        self.apply_update(now, id, u, true)
                    }
                    Err(_) if purpose == Purpose::Cancel => {
                        // the answer is no status: read one
                        if let Some(o) = self.ops.get_mut(&id) {
                            o.next = Purpose::Status;
                        }
                        self.act(now, id);
                    }
                    // Damaged or unexpected answers are retried (a later one may read).
                    Err(
                        e @ (NormalizeError::NotJson
                        | NormalizeError::UnknownStatus(_)
                        | NormalizeError::FieldNotJson(_)),
                    ) => self.strike(now, id, e),
                    Err(e) => self.fail_bad(now, id, e.message()),
                }
            }
            Purpose::Result => {
                match parsed.and_then(|raw| normalize::result_outputs(profile, &raw)) {
                    Ok(outputs) => {
                        let Some(mut u) = self.ops.get_mut(&id).and_then(|o| o.pending.take())
                        else {
                            return;
                        };
                        if !outputs.is_empty() {
                            u.outputs = Some(outputs);
                        }
                        u.raw = RawJson::parsed_text(resp.body);
                        self.finish_terminal(now, id, u);
                    }
                    Err(e) => self.strike(now, id, e),
                }
            }
            Purpose::Events => match parsed.and_then(|raw| normalize::events(profile, &raw)) {
                Ok(ev) => self.finish(now, id, Ok(OpResult::Events(ev))),
                Err(e @ NormalizeError::NotJson) => self.strike(now, id, e),
                Err(e) => self.fail_bad(now, id, e.message()),
            },
        }
    }

    pub(super) fn on_submit_answer(
        &mut self,
        now: u64,
        id: OpId,
        resp: HttpResponse,
        parsed: Result<Value, NormalizeError>,
    ) {
        let Some(op) = self.ops.get(&id) else { return };
        let Some(req) = op.submit.as_deref() else {
            return;
        };
        let keyed = op.idempotency_key.is_some();
        let status = resp.status;
        match parsed.and_then(|raw| self.rq.read_submit(req, &raw, resp.body, now)) {
            Ok((mut update, task)) => {
                update.eta_ms = self.eta(&task, now);
                let record = TaskRecord {
                    provider: self.rq.profile.name.clone(),
                    task: task.clone(),
                    deadline: Some(op.deadline),
                    idempotency_key: op.idempotency_key.clone(),
                };
                self.remember(&task);
                self.out.push_back(Output::Store(StoreOp::Put(record)));
                self.finish(now, id, Ok(OpResult::Update(update)));
            }
            // A cut or non-JSON answer (a gateway's, a reset): the key makes another try
            // safe, and it finds the task this answer was about.
            Err(e @ NormalizeError::NotJson) if keyed => {
                let what = concat(&["unreadable submit answer (", &e.message(), ")"]);
                self.retry(now, id, None, what, Some(status));
            }
            Err(e) => {
                let f = TaskFailure::new(
                    ErrorCode::BadResponse,
                    concat(&[
                        "the submit answer does not match the dialect (",
                        &e.message(),
                        "); the task may exist",
                    ]),
                )
                .with_http_status(status);
                self.finish(now, id, Err(f));
            }
        }
    }

    /// One more unknown status or unparsable body: retried a few times, then `bad_response`.
    pub(super) fn strike(&mut self, now: u64, id: OpId, e: NormalizeError) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.strikes += 1;
        if op.strikes >= STRIKES {
            let n = decimal(u64::from(op.strikes));
            let m = concat(&[&e.message(), " (", &n, " answers in a row)"]);
            self.fail_bad(now, id, m);
            return;
        }
        let delay = op.backoff.next().unwrap_or(op.poll.initial_delay_ms);
        self.sleep(now, id, delay);
    }

    pub(super) fn fail_bad(&mut self, now: u64, id: OpId, message: String) {
        let Some(op) = self.ops.get(&id) else { return };
        let f = op.failure(ErrorCode::BadResponse, message);
        self.finish(now, id, Err(f));
    }

    /// Sleeps `delay` then does `op.next` again (or expires at the deadline).
    pub(super) fn sleep(&mut self, now: u64, id: OpId, delay: u64) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.phase = Phase::Idle;
        let at = now.saturating_add(delay).min(op.deadline);
        self.timers.set(id, at);
    }

    /// Takes a new view of the task. `polled`: it answers this op's own request (so the
    /// op schedules its next step); otherwise it came by webhook and a live one only
    /// updates what the op has seen.
    pub(super) fn apply_update(&mut self, now: u64, id: OpId, mut u: TaskUpdate, polled: bool) {
        let Some(op) = self.ops.get(&id) else { return };
        if op.last.as_ref().is_some_and(|l| l.state.is_terminal()) || op.pending.is_some() {
            return; // never back from a terminal state
        }
        if !u.state.is_terminal() {
            u.eta_ms = self.eta(&op.task, now);
        }
        let changed = op
            .last
            .as_ref()
            .is_none_or(|l| l.state != u.state || l.queue_position != u.queue_position);
        let kind = op.kind;
        if u.state.is_terminal() {
            self.note_terminal(&u.id);
            let needs_result = u.state == TaskState::Succeeded
                && u.outputs.is_none()
                && self.rq.profile.result.is_some();
            if needs_result {
                if let Some(o) = self.ops.get_mut(&id) {
                    o.pending = Some(u);
                    o.next = Purpose::Result;
                    o.failures = 0;
                    o.strikes = 0;
                }
                self.act(now, id);
                return;
            }
            self.finish_terminal(now, id, u);
            return;
        }
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        if u.state == TaskState::Running && op.running_from.is_none() {
            // It started between the last queued answer and this one (or since submit).
            let since = match (op.last.as_ref().map(|l| l.state), op.live_at) {
                (Some(TaskState::Queued), Some(q)) if q < now => q + (now - q) / 2,
                _ => op.task.submitted_at.unwrap_or(now),
            };
            op.running_from = Some(since.min(now));
        }
        op.last = Some(u.clone());
        if polled {
            op.live_at = Some(now);
        }
        match kind {
            Kind::Wait => {
                if changed {
                    self.out.push_back(Output::Update { op: id, update: u });
                }
                if !polled {
                    return;
                }
                // Borrowed in place, apart from the estimates: at 10,000 waits, moving the
                // op out of the sorted map and back cost two shifts of its tail per answer.
                let Some(op) = self.ops.get_mut(&id) else {
                    return;
                };
                op.next = Purpose::Status;
                let delay = polling::poll_delay(
                    &self.estimates,
                    &self.waits_by_model,
                    &self.rq.profile.name,
                    op,
                    now,
                );
                self.sleep(now, id, delay);
            }
            _ => {
                // A refused cancel whose task is still live: the refusal is the answer.
                let refused = self.ops.get_mut(&id).and_then(|o| o.refused.take());
                let result = match refused {
                    Some(f) => Err((*f).with_update(Some(u))),
                    None => Ok(OpResult::Update(u)),
                };
                self.finish(now, id, result)
            }
        }
    }

    pub(super) fn finish_terminal(&mut self, now: u64, id: OpId, u: TaskUpdate) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.last = Some(u.clone());
        let kind = op.kind;
        let t0 = op.task.submitted_at;
        // The task ended between the last live answer and this one: learn the midpoint,
        // not `now`, or the estimate would grow by each detection delay.
        // Seen terminal at the first look, it ended at some unknown time before: learn a
        // little less than `now` so the next task is looked at earlier, until a live
        // answer brackets the end again.
        let ended = match (op.live_at, t0) {
            (Some(l), _) if l < now => l + (now - l) / 2,
            (None, Some(t0)) if t0 < now => t0 + (now - t0) / 100 * 85,
            _ => now,
        };
        if u.state == TaskState::Succeeded {
            // The key is read in place: the op's task is not copied for it.
            let key = polling::estimate_key(&self.rq.profile.name, &op.task);
            let first = self.estimates.get(&key).is_none();
            match (t0, u.cost_ms) {
                (Some(t0), _) if ended > t0 => self.estimates.observe_at(&key, ended - t0, now),
                (_, Some(c)) => self.estimates.observe_at(&key, c, now),
                _ => {}
            }
            if first && self.estimates.get(&key).is_some() {
                self.replan_model(now, &key);
            }
        }
        // `known` keeps the task's address (bounded by MEMORY) so a later status(id) or
        // wait(id) after the end still finds its model and URLs.
        self.out
            .push_back(Output::Store(StoreOp::Delete(u.id.clone())));
        let shared = u.clone();
        let result = if kind == Kind::Wait {
            self.out.push_back(Output::Update {
                op: id,
                update: u.clone(),
            });
            match u.state {
                TaskState::Succeeded => Ok(OpResult::Update(u)),
                s => {
                    let code = match s {
                        TaskState::Canceled => ErrorCode::Canceled,
                        TaskState::TimedOut => ErrorCode::TimedOut,
                        _ => ErrorCode::Failed,
                    };
                    let msg = u
                        .error
                        .as_ref()
                        .map_or_else(|| concat(&["task ", s.as_str()]), |e| e.message.clone());
                    Err(TaskFailure::new(code, msg)
                        .with_task(Some(&u.id))
                        .with_update(Some(u)))
                }
            }
        } else {
            Ok(OpResult::Update(u))
        };
        self.finish(now, id, result);
        self.share_terminal(now, &shared);
    }

    /// Hands a terminal update one operation saw (a cancel's answer, a status read, another
    /// wait) to every other wait on that task: none of them polls a task this client already
    /// knows has ended, and the store record they rely on is gone.
    pub(super) fn share_terminal(&mut self, now: u64, u: &TaskUpdate) {
        if !self.waits.contains_key(&u.id) {
            return;
        }
        let ids =
            self.ops_where(&|o| o.kind == Kind::Wait && o.task.id == u.id && o.pending.is_none());
        for &id in &ids {
            self.drop_request(now, id);
            if let Some(o) = self.ops.get_mut(&id) {
                o.phase = Phase::Idle;
            }
            self.apply_update(now, id, u.clone(), false);
        }
    }
}
