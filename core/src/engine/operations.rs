//! Starting and ending operations: `submit`, `status`, `wait`, `cancel` and `events` each
//! build an [`Op`] and queue it; `abort` drops one, `deliver` hands a pushed update (a
//! webhook) to the waits on that task. Also the ids and the bounded memory of submitted
//! tasks that a later `wait(id)` finds.

use super::{tally, Engine, Kind, Op, OpId, Output, Phase, Purpose, StoreOp};
use crate::backoff::Backoff;
use crate::config::{PollConfig, SubmitRequest, TaskRef, WaitOptions};
use crate::error::{CoreError, ErrorCode};
use crate::state::{TaskState, TaskUpdate};

impl Engine {
    pub(super) fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    // Not inlined: five operations build one, and each inlined copy of this struct's
    // initialization cost ≈ 0.3 KB of wasm (issue 7).
    #[inline(never)]
    pub(super) fn new_op(
        &mut self,
        now: u64,
        kind: Kind,
        task: TaskRef,
        poll: PollConfig,
        next: Purpose,
    ) -> Op {
        let seed = self.rng.next_u64();
        Op {
            kind,
            task,
            submit: None,
            idempotency_key: None,
            reason: None,
            limit: None,
            offset: None,
            deadline: now.saturating_add(poll.timeout_ms),
            backoff: Backoff::new()
                .with_initial_delay(poll.initial_delay_ms)
                .with_multiplier(poll.multiplier)
                .with_max_delay(poll.max_delay_ms)
                .with_jitter(poll.jitter)
                .with_seed(seed)
                .iter(),
            poll,
            next,
            phase: Phase::Idle,
            last: None,
            pending: None,
            strikes: 0,
            failures: 0,
            last_error: None,
            expect_webhook: false,
            near_end: false,
            queue_first: None,
            live_at: None,
            running_from: None,
            hint_ms: None,
            refused: None,
        }
    }

    /// Fills what a reference leaves out from what this engine remembers of the task.
    pub(super) fn complete(&self, task: &TaskRef) -> TaskRef {
        let mut t = task.clone();
        if let Some(k) = self.known.get(&task.id) {
            macro_rules! fill {
                ($($f:ident),*) => { $( if t.$f.is_none() { t.$f = k.$f.clone(); } )* };
            }
            fill!(
                model,
                operation,
                endpoint,
                task_type,
                status_url,
                response_url,
                cancel_url,
                submitted_at
            );
        }
        t
    }

    pub(super) fn remember(&mut self, task: &TaskRef) {
        if self.known.insert(task.id.clone(), task.clone()).is_none() {
            if let Some(old) = self.known_order.push(task.id.clone()) {
                self.known.remove(&old);
            }
        }
    }

    /// Starts a submit. Bad requests are refused at once (`invalid_argument`).
    pub fn submit(&mut self, now: u64, req: SubmitRequest) -> Result<OpId, CoreError> {
        let key = if self.rq.profile.submit.idempotent {
            Some(
                match req.idempotency_key.clone().filter(|k| !k.is_empty()) {
                    Some(k) => k,
                    None => crate::text::concat(&["tl-", &self.rng.hex128()]),
                },
            )
        } else {
            None
        };
        // Built once now so bad arguments fail synchronously; the task's status and result
        // requests too: a profile whose routes cannot be built for it (a typo in a custom
        // profile's placeholder, a field it needs that the request left out) is refused
        // before the task is created (and billed), not at its first poll or, worse, after
        // it ran. One exit for both refusals.
        self.rq
            .submit(&req, key.as_deref(), 1)
            .and_then(|_| self.rq.check_followable(&req))?;
        let mut op = self.new_op(
            now,
            Kind::Submit,
            TaskRef::default(),
            self.poll,
            Purpose::Submit,
        );
        op.submit = Some(Box::new(req));
        op.idempotency_key = key;
        Ok(self.start(now, op))
    }

    pub(super) fn check_ref(&self, task: &TaskRef) -> Result<TaskRef, CoreError> {
        let t = self.complete(task);
        self.rq.check_task(&t)?;
        Ok(t)
    }

    /// Starts one status read (retried on transient errors within `timeoutMs`).
    pub fn status(&mut self, now: u64, task: &TaskRef) -> Result<OpId, CoreError> {
        let t = self.check_ref(task)?;
        let op = self.new_op(now, Kind::Status, t, self.poll, Purpose::Status);
        Ok(self.start(now, op))
    }

    /// Starts a wait: polls until a terminal state (or a delivered webhook update), emitting
    /// [`Output::Update`] on each change of state or queue position.
    pub fn wait(&mut self, now: u64, task: &TaskRef, opts: WaitOptions) -> Result<OpId, CoreError> {
        let t = self.check_ref(task)?;
        let mut poll = match &opts.poll {
            Some(p) => p.resolve(&self.poll)?,
            None => self.poll,
        };
        if let Some(ms) = opts.timeout_ms {
            poll.timeout_ms = crate::config::timeout_ms(ms).ok_or_else(|| {
                CoreError::invalid("timeoutMs", "must be a positive number of ms")
            })?;
        }
        let mut op = self.new_op(now, Kind::Wait, t, poll, Purpose::Status);
        op.expect_webhook = opts.expect_webhook;
        let id = OpId(self.fresh_id());
        tally(&mut self.waits, &op.task.id, true);
        let model = self.estimate_key(&op.task);
        tally(&mut self.waits_by_model, &model, true);
        let delay = self.poll_delay(&mut op, now);
        let at = now.saturating_add(delay).min(op.deadline);
        self.ops.insert(id, Box::new(op));
        self.timers.set(id, at);
        Ok(id)
    }

    /// Starts a cancel; `unsupported` when the dialect (or this task) cannot be canceled.
    pub fn cancel(
        &mut self,
        now: u64,
        task: &TaskRef,
        reason: Option<String>,
    ) -> Result<OpId, CoreError> {
        let t = self.complete(task);
        self.rq.cancel(&t, reason.as_deref(), 1)?;
        let mut op = self.new_op(now, Kind::Cancel, t, self.poll, Purpose::Cancel);
        op.reason = reason;
        Ok(self.start(now, op))
    }

    /// Starts an events read; `unsupported` when the dialect has no events.
    pub fn events(
        &mut self,
        now: u64,
        task: &TaskRef,
        limit: Option<u64>,
        offset: Option<u64>,
    ) -> Result<OpId, CoreError> {
        let t = self.complete(task);
        self.rq.events(&t, limit, offset, 1)?;
        let mut op = self.new_op(now, Kind::Events, t, self.poll, Purpose::Events);
        op.limit = limit;
        op.offset = offset;
        Ok(self.start(now, op))
    }

    pub(super) fn start(&mut self, now: u64, op: Op) -> OpId {
        let id = OpId(self.fresh_id());
        self.ops.insert(id, Box::new(op));
        self.act(now, id);
        id
    }

    /// Ends an operation with `aborted` at once; its in-flight request gets an
    /// [`Output::Abort`] and nothing more is sent for it. False if it is not running.
    pub fn abort(&mut self, now: u64, op: OpId) -> bool {
        let Some(o) = self.ops.get(&op) else {
            return false;
        };
        let f = o.failure(ErrorCode::Aborted, "the operation was aborted");
        self.finish(now, op, Err(f));
        true
    }

    /// Feeds an update that arrived by webhook (verified by the caller). Every `wait` on
    /// that task takes it as if polled: a terminal update ends them (once; a terminal update
    /// seen before is ignored), a live one is ignored after a terminal one. Returns how many
    /// waits took it.
    pub fn deliver(&mut self, now: u64, update: TaskUpdate) -> usize {
        // A success that carries its outputs (a queue webhook's payload) also ends a wait
        // that saw the success itself and is still waiting to fetch the result.
        let carries_result = update.state == TaskState::Succeeded && update.outputs.is_some();
        let seen = update.state.is_terminal() && self.terminal_seen.contains_key(&update.id);
        if seen && !carries_result {
            return 0;
        }
        // No wait on this task: nothing to scan the ops for.
        let ids: Vec<OpId> = if self.waits.contains_key(&update.id) {
            self.ops_where(&|o| {
                o.kind == Kind::Wait
                    && o.task.id == update.id
                    && (o.pending.is_none() || carries_result)
            })
        } else {
            Vec::new()
        };
        if ids.is_empty() && update.state.is_terminal() && !seen {
            self.note_terminal(&update.id);
            self.out
                .push_back(Output::Store(StoreOp::Delete(update.id.clone())));
        }
        for id in &ids {
            if update.state.is_terminal() {
                // the poll in flight is no longer wanted
                self.drop_request(now, *id);
                if let Some(o) = self.ops.get_mut(id) {
                    o.phase = Phase::Idle;
                    o.pending = None;
                }
            }
            self.apply_update(now, *id, update.clone(), false);
        }
        ids.len()
    }
}
