//! The schedule: what the shell drains and when it wakes us ([`Engine::poll_output`],
//! [`Engine::next_wakeup`]), the timers that fire together within `COALESCE_MS`, deadlines,
//! acting on an operation when its sleep ends, and sending its request through the
//! per-host budget for status requests (queue, pause, rate). Ending an operation and
//! remembering terminal ids live here too.

use super::hosts::{Host, Lane};
use super::{
    tally, Engine, Kind, OpId, OpResult, Output, Phase, Purpose, ReqId, ReqMeta, COALESCE_MS,
};
use crate::error::{CoreError, ErrorCode, TaskFailure};
use crate::http::HttpRequest;
use crate::url::origin_of;

impl Engine {
    /// The next output for the shell, after running every timer due at `now`.
    pub fn poll_output(&mut self, now: u64) -> Option<Output> {
        self.run_timers(now);
        self.out.pop_front()
    }

    /// When the shell should call [`Engine::poll_output`] next if nothing else happens.
    pub fn next_wakeup(&self) -> Option<u64> {
        let mut t = self.timers.next();
        for (_, h) in self.hosts.entries() {
            // a queue blocked by time (pause or rate), not by requests in flight
            if let (false, Some(at)) = (h.queue.is_empty(), h.wake_at) {
                t = Some(t.map_or(at, |x| x.min(at)));
            }
        }
        t
    }

    pub(super) fn run_timers(&mut self, now: u64) {
        let mut busy = Vec::new();
        for (name, h) in self.hosts.entries() {
            if !h.queue.is_empty() {
                busy.push(name.clone());
            }
        }
        for h in &busy {
            self.pump(now, h);
        }
        while let Some(op) = self.timers.pop_due(now.saturating_add(COALESCE_MS)) {
            self.on_timer(now, op);
        }
    }

    pub(super) fn on_timer(&mut self, now: u64, id: OpId) {
        let Some(op) = self.ops.get(&id) else { return };
        if now.saturating_add(COALESCE_MS) >= op.deadline {
            self.expire(now, id);
            return;
        }
        match op.phase {
            Phase::Idle => self.act(now, id),
            // blocked or in flight: the timer was the deadline, set again below
            _ => {
                let d = op.deadline;
                self.timers.set(id, d);
            }
        }
    }

    pub(super) fn expire(&mut self, now: u64, id: OpId) {
        let Some(op) = self.ops.get(&id) else { return };
        // A wait that runs out of time is `wait_timeout` even when its last tries failed
        // (they are named): `network` means the retry budget ran out, which `retry` says.
        let f = if op.kind == Kind::Wait {
            let mut m = String::from("timeoutMs ran out before the task ended");
            if let (true, Some(e)) = (op.failures > 0, &op.last_error) {
                m.push_str("; last error: ");
                m.push_str(e);
            }
            op.failure(ErrorCode::WaitTimeout, m)
        } else {
            let mut m = String::from("gave up at the deadline (timeoutMs)");
            if let Some(e) = &op.last_error {
                m.push_str("; last error: ");
                m.push_str(e);
            }
            if op.kind == Kind::Submit && !self.rq.profile.submit.idempotent {
                m.push_str("; the task may exist");
            }
            op.failure(ErrorCode::Network, m)
        };
        self.finish(now, id, Err(f));
    }

    /// Sends what the operation does next (or queues it for a host slot).
    pub(super) fn act(&mut self, now: u64, id: OpId) {
        self.act_from(now, id, false)
    }

    /// [`Engine::act`]; `dequeued`: `pump` just took this op from the front of its host's
    /// queue, so it goes before the ops still queued (putting it back would spin forever).
    pub(super) fn act_from(&mut self, now: u64, id: OpId, dequeued: bool) {
        let Some(op) = self.ops.get(&id) else { return };
        let timeout = op
            .poll
            .request_timeout_ms
            .min(op.deadline.saturating_sub(now))
            .max(1);
        let built: Result<HttpRequest, CoreError> = match op.next {
            Purpose::Submit => match &op.submit {
                Some(s) => self.rq.submit(s, op.idempotency_key.as_deref(), timeout),
                None => Err(CoreError::invalid("input", "missing submit request")),
            },
            Purpose::Status => self.rq.status(&op.task, timeout),
            Purpose::Result => self
                .rq
                .result(&op.task, timeout)
                .unwrap_or_else(|| Err(CoreError::Unsupported("no result route".into()))),
            Purpose::Cancel => self.rq.cancel(&op.task, op.reason.as_deref(), timeout),
            Purpose::Events => self.rq.events(&op.task, op.limit, op.offset, timeout),
        };
        let request = match built {
            Ok(r) => r,
            Err(e) => {
                let tid = Some(op.task.id.clone()).filter(|s| !s.is_empty());
                self.finish(now, id, Err(TaskFailure::from(e).with_task(tid.as_deref())));
                return;
            }
        };
        let purpose = op.next;
        if matches!(purpose, Purpose::Status | Purpose::Result) {
            let host = origin_of(&request.url).unwrap_or_default();
            let h = self.hosts.get_or_insert_with(host.clone(), Host::default);
            let ready = h.ready_at(now, &self.limits);
            h.wake_at = ready.filter(|t| *t > now);
            if (!dequeued && !h.queue.is_empty()) || ready != Some(now) {
                // Only a request that must wait needs its lane. A result read finishes a
                // task already seen done: it goes ahead of every status poll, or at 10,000
                // tasks it waits seconds behind polls of tasks still running; so do,
                // mostly, polls likely to find their task's end.
                let lane = match self.ops.get(&id) {
                    _ if purpose == Purpose::Result => Lane::Result,
                    Some(o) if self.reached_expected_end(o, now) => Lane::Likely,
                    _ => Lane::Other,
                };
                if let Some(h) = self.hosts.get_mut(&host) {
                    h.queue.push(id, lane);
                }
                if let Some(o) = self.ops.get_mut(&id) {
                    o.phase = Phase::Blocked;
                    let d = o.deadline;
                    self.timers.set(id, d);
                }
                return;
            }
            h.started(now, &self.limits);
            self.stats.status_requests += 1;
            self.send(id, purpose, Some(host), request);
        } else {
            self.send(id, purpose, None, request);
        }
    }

    pub(super) fn send(
        &mut self,
        id: OpId,
        purpose: Purpose,
        host: Option<String>,
        request: HttpRequest,
    ) {
        let req = ReqId(self.fresh_id());
        self.reqs.insert(
            req,
            ReqMeta {
                op: id,
                purpose,
                host,
            },
        );
        self.stats.requests += 1;
        if let Some(o) = self.ops.get_mut(&id) {
            o.phase = Phase::InFlight(req);
            let d = o.deadline;
            self.timers.set(id, d);
        }
        self.out.push_back(Output::Send { req, request });
    }

    /// Starts queued status requests on `host` while its budget allows.
    pub(super) fn pump(&mut self, now: u64, host: &str) {
        loop {
            let Some(h) = self.hosts.get_mut(host) else {
                return;
            };
            let Some(id) = h.queue.front() else { return };
            let blocked = !matches!(self.ops.get(&id), Some(o) if o.phase == Phase::Blocked);
            if blocked {
                h.queue.pop_front();
                continue;
            }
            let ready = h.ready_at(now, &self.limits);
            h.wake_at = ready.filter(|t| *t > now);
            if ready != Some(now) {
                return;
            }
            h.queue.pop_front();
            if let Some(o) = self.ops.get_mut(&id) {
                o.phase = Phase::Idle;
            }
            if now.saturating_add(COALESCE_MS) >= self.ops.get(&id).map_or(0, |o| o.deadline) {
                self.expire(now, id);
            } else {
                self.act_from(now, id, true);
            }
        }
    }

    /// Forgets the operation's in-flight request, telling the shell to abort it.
    pub(super) fn drop_request(&mut self, now: u64, id: OpId) {
        let Some(op) = self.ops.get(&id) else { return };
        if let Phase::InFlight(req) = op.phase {
            if let Some(meta) = self.reqs.remove(&req) {
                self.out.push_back(Output::Abort { req });
                if let Some(host) = meta.host {
                    if let Some(h) = self.hosts.get_mut(&host) {
                        h.ended();
                    }
                    self.pump(now, &host);
                }
            }
        }
    }

    /// Ends an operation exactly once.
    pub(super) fn finish(&mut self, now: u64, id: OpId, result: Result<OpResult, TaskFailure>) {
        self.drop_request(now, id);
        self.timers.cancel(id);
        if let Some(op) = self.ops.remove(&id) {
            if op.kind == Kind::Wait {
                tally(&mut self.waits, &op.task.id, false);
                let model = self.estimate_key(&op.task);
                tally(&mut self.waits_by_model, &model, false);
            }
            self.out.push_back(Output::Done { op: id, result });
        }
    }

    pub(super) fn note_terminal(&mut self, task_id: &str) {
        if self.terminal_seen.insert(task_id.to_owned(), ()).is_none() {
            if let Some(old) = self.terminal_order.push(task_id.to_owned()) {
                self.terminal_seen.remove(&old);
            }
        }
    }
}
