//! The engine: many operations (submit, status, wait, cancel, events) for one client, on
//! one timer queue, with a per-host budget for status requests. It never performs I/O: the
//! shell starts operations, feeds back HTTP outcomes with [`Engine::handle_response`],
//! drains [`Output`]s with [`Engine::poll_output`] and sets one timer at
//! [`Engine::next_wakeup`]. The time is always an argument (`now`, epoch ms).
//!
//! Every operation has one deadline (`timeoutMs`) that bounds its sleeps, its requests
//! (each request's timeout is `min(requestTimeoutMs, time left)`) and its retries.

mod hosts;
mod timers;
mod types;
pub(crate) mod vecmap;

pub use types::*;

use crate::backoff::{Backoff, BackoffIter};
use crate::config::{
    ClientConfig, Limits, PollConfig, SubmitRequest, TaskRecord, TaskRef, WaitOptions,
};
use crate::error::{CoreError, ErrorCode, TaskFailure};
use crate::estimate::{EstimateEntry, Estimates};
use crate::http::{HttpRequest, HttpResponse, TransportError, TransportErrorKind};
use crate::normalize::{self, NormalizeError};
use crate::request::Requests;
use crate::retry_after::retry_after_ms;
use crate::rng::SplitMix64;
use crate::state::{TaskState, TaskUpdate};
use crate::url::origin_of;
use hosts::Host;
use std::collections::VecDeque;
use timers::Timers;
use vecmap::VecMap;

/// Timers due within this many ms of a wake-up fire together with it.
const COALESCE_MS: u64 = 10;
/// Unknown status values / unparsable bodies tolerated in a row before `bad_response`.
const STRIKES: u32 = 3;
/// Task ids remembered (terminal ids seen, tasks submitted).
const MEMORY: usize = 4096;
/// With `poll.adaptive`, a running task's poll delay is at most its running time over this.
const RUNNING_DELAY_DIVISOR: u64 = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Submit,
    Status,
    Wait,
    Cancel,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Submit,
    Status,
    Result,
    Cancel,
    Events,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for its timer (or for nothing yet).
    Idle,
    /// Waiting in a host's queue for a status slot.
    Blocked,
    /// A request is in flight.
    InFlight(ReqId),
}

#[derive(Debug)]
struct Op {
    kind: Kind,
    task: TaskRef,
    submit: Option<Box<SubmitRequest>>,
    idempotency_key: Option<String>,
    reason: Option<String>,
    limit: Option<u64>,
    offset: Option<u64>,
    poll: PollConfig,
    deadline: u64,
    backoff: BackoffIter,
    /// What the next wake-up sends.
    next: Purpose,
    phase: Phase,
    last: Option<TaskUpdate>,
    /// A `succeeded` update waiting for its result fetch.
    pending: Option<TaskUpdate>,
    strikes: u32,
    failures: u32,
    last_error: Option<String>,
    expect_webhook: bool,
    /// The adaptive schedule already restarted its backoff near the expected end.
    near_end: bool,
    /// When and at which queue position the task was first seen queued (adaptive hint).
    queue_first: Option<(u64, u64)>,
    /// When this op last saw the task live (the end lies between this and the terminal answer).
    live_at: Option<u64>,
    /// When the task started running, as far as this op knows (adaptive cap on the delay).
    running_from: Option<u64>,
    /// A `Retry-After` the last successful status answer carried (adaptive hint).
    hint_ms: Option<u64>,
}

#[derive(Debug, Clone)]
struct ReqMeta {
    op: OpId,
    purpose: Purpose,
    /// The host whose status budget this request counts against.
    host: Option<String>,
}

/// Counters for tests and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Requests sent, by any operation.
    pub requests: u64,
    /// Status requests sent.
    pub status_requests: u64,
    /// The most status requests in flight to one host at once.
    pub peak_in_flight_per_host: u32,
}

/// The sans-IO task engine of one client.
///
/// The shell's loop, with the network played by hand:
///
/// ```
/// use tasklane_core::engine::Output;
/// use tasklane_core::{ClientConfig, Engine, HttpResponse, OpResult, SubmitRequest};
///
/// let mut cfg = ClientConfig::new("apixo", "http://127.0.0.1:8787/apixo");
/// cfg.api_key = Some("sim-key".into());
/// let mut engine = Engine::new(cfg, 42).unwrap();
/// let now = 1_700_000_000_000;
/// let mut req = SubmitRequest::new(serde_json::json!({"prompt": "a cat"}));
/// req.model = Some("flux".into());
/// let op = engine.submit(now, req).unwrap();
/// // drain: the engine asks for one request
/// let Some(Output::Send { req, request }) = engine.poll_output(now) else { panic!() };
/// assert_eq!(request.url, "http://127.0.0.1:8787/apixo/api/v1/generateTask/flux");
/// assert!(engine.poll_output(now).is_none());
/// // the shell performs it and feeds the answer back
/// let answer = r#"{"code":200,"message":"success","data":{"taskId":"t1"}}"#;
/// engine.handle_response(now + 80, req, Ok(HttpResponse::new(200, answer)));
/// let mut ended = None;
/// while let Some(out) = engine.poll_output(now + 80) {
///     if let Output::Done { op: done, result } = out {
///         assert_eq!(done, op);
///         ended = Some(result);
///     }
/// }
/// let Some(Ok(OpResult::Update(task))) = ended else { panic!() };
/// assert_eq!(task.id, "t1");
/// // nothing left to do until a new operation starts
/// assert_eq!(engine.next_wakeup(), None);
/// ```
#[derive(Debug)]
pub struct Engine {
    rq: Requests,
    poll: PollConfig,
    limits: Limits,
    rng: SplitMix64,
    ops: VecMap<OpId, Op>,
    reqs: VecMap<ReqId, ReqMeta>,
    timers: Timers,
    hosts: VecMap<String, Host>,
    out: VecDeque<Output>,
    estimates: Estimates,
    /// Tasks this engine submitted, so a `wait(id)` finds their model and URLs.
    known: VecMap<String, TaskRef>,
    known_order: VecDeque<String>,
    /// Ids seen in a terminal state (a later terminal delivery is a duplicate).
    terminal_seen: VecMap<String, ()>,
    terminal_order: VecDeque<String>,
    next_id: u64,
    stats: Stats,
}

fn is_transient_status(s: u16) -> bool {
    s == 408 || s == 425 || s == 429 || (500..=599).contains(&s)
}

fn snippet(body: &str) -> String {
    let mut end = body.len().min(200);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    body[..end].to_owned()
}

impl Engine {
    /// A client engine. Checks the provider, `baseUrl`, headers and poll options
    /// (`invalid_argument` naming the field). `seed` drives jitter and generated
    /// idempotency keys.
    pub fn new(cfg: ClientConfig, seed: u64) -> Result<Engine, CoreError> {
        let rq = Requests::new(&cfg)?;
        let poll = cfg.poll.resolve(&PollConfig::default())?;
        if cfg.limits.max_in_flight_per_host == 0 {
            return Err(CoreError::invalid(
                "limits.maxInFlightPerHost",
                "must be at least 1",
            ));
        }
        if cfg.limits.max_per_second == Some(0) {
            return Err(CoreError::invalid(
                "limits.maxPerSecond",
                "must be at least 1",
            ));
        }
        Ok(Engine {
            rq,
            poll,
            limits: cfg.limits,
            rng: SplitMix64::new(seed),
            ops: VecMap::default(),
            reqs: VecMap::default(),
            timers: Timers::default(),
            hosts: VecMap::default(),
            out: VecDeque::new(),
            estimates: Estimates::new(),
            known: VecMap::default(),
            known_order: VecDeque::new(),
            terminal_seen: VecMap::default(),
            terminal_order: VecDeque::new(),
            next_id: 1,
            stats: Stats::default(),
        })
    }

    /// The dialect's profile.
    pub fn profile(&self) -> &crate::ProviderProfile {
        &self.rq.profile
    }

    /// Counters (requests sent, peak in flight per host).
    pub fn stats(&self) -> Stats {
        let mut s = self.stats;
        s.peak_in_flight_per_host = self
            .hosts
            .values()
            .map(|h| h.peak_in_flight)
            .max()
            .unwrap_or(0);
        s
    }

    /// Operations still running.
    pub fn running(&self) -> usize {
        self.ops.len()
    }

    /// The learned per-model duration estimates, for the shell to persist.
    pub fn export_estimates(&self) -> Vec<EstimateEntry> {
        self.estimates.export()
    }

    /// Loads persisted estimates.
    pub fn import_estimates(&mut self, entries: Vec<EstimateEntry>) {
        self.estimates.import(entries)
    }

    fn fresh_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn new_op(
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
        }
    }

    /// Fills what a reference leaves out from what this engine remembers of the task.
    fn complete(&self, task: &TaskRef) -> TaskRef {
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

    fn remember(&mut self, task: &TaskRef) {
        if self.known.insert(task.id.clone(), task.clone()).is_none() {
            self.known_order.push_back(task.id.clone());
            while self.known_order.len() > MEMORY {
                if let Some(old) = self.known_order.pop_front() {
                    self.known.remove(&old);
                }
            }
        }
    }

    /// Starts a submit. Bad requests are refused at once (`invalid_argument`).
    pub fn submit(&mut self, now: u64, req: SubmitRequest) -> Result<OpId, CoreError> {
        let key = if self.rq.profile.submit.idempotent {
            Some(
                match req.idempotency_key.clone().filter(|k| !k.is_empty()) {
                    Some(k) => k,
                    None => format!("tl-{}", self.rng.hex128()),
                },
            )
        } else {
            None
        };
        // build once now so bad arguments fail synchronously
        self.rq.submit(&req, key.as_deref(), 1)?;
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

    fn check_ref(&self, task: &TaskRef) -> Result<TaskRef, CoreError> {
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
            poll = crate::config::PollOptions {
                timeout_ms: Some(ms),
                ..Default::default()
            }
            .resolve(&poll)
            .map_err(|_| CoreError::invalid("timeoutMs", "must be a positive number of ms"))?;
        }
        let mut op = self.new_op(now, Kind::Wait, t, poll, Purpose::Status);
        op.expect_webhook = opts.expect_webhook;
        let id = OpId(self.fresh_id());
        let delay = self.poll_delay(&mut op, now);
        let at = now.saturating_add(delay).min(op.deadline);
        self.ops.insert(id, op);
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

    fn start(&mut self, now: u64, op: Op) -> OpId {
        let id = OpId(self.fresh_id());
        self.ops.insert(id, op);
        self.act(now, id);
        id
    }

    /// Ends an operation with `aborted` at once; its in-flight request gets an
    /// [`Output::Abort`] and nothing more is sent for it. False if it is not running.
    pub fn abort(&mut self, now: u64, op: OpId) -> bool {
        if !self.ops.contains_key(&op) {
            return false;
        }
        let task_id = self
            .ops
            .get(&op)
            .map(|o| o.task.id.clone())
            .filter(|s| !s.is_empty());
        let update = self.ops.get(&op).and_then(|o| o.last.clone());
        self.finish(
            now,
            op,
            Err(
                TaskFailure::new(ErrorCode::Aborted, "the operation was aborted")
                    .with_task(task_id.as_deref())
                    .with_update(update),
            ),
        );
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
        let ids: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, o)| {
                o.kind == Kind::Wait
                    && o.task.id == update.id
                    && (o.pending.is_none() || carries_result)
            })
            .map(|(id, _)| *id)
            .collect();
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
        if let Some(h) = meta.host.as_ref().and_then(|h| self.hosts.get_mut(h)) {
            h.ended();
        }
        if let Some(host) = meta.host.clone() {
            self.pump(now, &host);
        }
        let op_id = meta.op;
        match self.ops.get_mut(&op_id) {
            Some(o) if o.phase == Phase::InFlight(req) => o.phase = Phase::Idle,
            _ => return,
        }
        let outcome = outcome.map(|mut resp| {
            if (200..300).contains(&resp.status) {
                if let Some(s) = normalize::envelope_status(&self.rq.profile, &resp.body) {
                    resp.status = s;
                }
            }
            resp
        });
        match outcome {
            Ok(resp) if (200..300).contains(&resp.status) => {
                self.on_success(now, op_id, meta.purpose, resp)
            }
            Ok(resp) => self.on_http_error(now, op_id, meta.purpose, &meta.host, resp),
            Err(e) => self.on_transport_error(now, op_id, meta.purpose, e),
        }
    }

    /// The next output for the shell, after running every timer due at `now`.
    pub fn poll_output(&mut self, now: u64) -> Option<Output> {
        self.run_timers(now);
        self.out.pop_front()
    }

    /// When the shell should call [`Engine::poll_output`] next if nothing else happens.
    pub fn next_wakeup(&self) -> Option<u64> {
        let mut t = self.timers.next();
        for h in self.hosts.values() {
            // a queue blocked by time (pause or rate), not by requests in flight
            if let (false, Some(at)) = (h.queue.is_empty(), h.wake_at) {
                t = Some(t.map_or(at, |x| x.min(at)));
            }
        }
        t
    }

    fn run_timers(&mut self, now: u64) {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .filter(|(_, h)| !h.queue.is_empty())
            .map(|(k, _)| k.clone())
            .collect();
        for h in hosts {
            self.pump(now, &h);
        }
        while let Some(op) = self.timers.pop_due(now.saturating_add(COALESCE_MS)) {
            self.on_timer(now, op);
        }
    }

    fn on_timer(&mut self, now: u64, id: OpId) {
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

    fn expire(&mut self, now: u64, id: OpId) {
        let Some(op) = self.ops.get(&id) else { return };
        let task_id = Some(op.task.id.clone()).filter(|s| !s.is_empty());
        // A wait that runs out of time is `wait_timeout` even when its last tries failed
        // (they are named): `network` means the retry budget ran out, which `retry` says.
        let f = if op.kind == Kind::Wait {
            let mut m = String::from("timeoutMs ran out before the task ended");
            if let (true, Some(e)) = (op.failures > 0, &op.last_error) {
                m.push_str("; last error: ");
                m.push_str(e);
            }
            TaskFailure::new(ErrorCode::WaitTimeout, m)
        } else {
            let mut m = String::from("gave up at the deadline (timeoutMs)");
            if let Some(e) = &op.last_error {
                m.push_str("; last error: ");
                m.push_str(e);
            }
            if op.kind == Kind::Submit && !self.rq.profile.submit.idempotent {
                m.push_str("; the task may exist");
            }
            TaskFailure::new(ErrorCode::Network, m)
        };
        let update = op.last.clone();
        self.finish(
            now,
            id,
            Err(f.with_task(task_id.as_deref()).with_update(update)),
        );
    }

    /// Sends what the operation does next (or queues it for a host slot).
    fn act(&mut self, now: u64, id: OpId) {
        self.act_from(now, id, false)
    }

    /// [`Engine::act`]; `dequeued`: `pump` just took this op from the front of its host's
    /// queue, so it goes before the ops still queued (putting it back would spin forever).
    fn act_from(&mut self, now: u64, id: OpId, dequeued: bool) {
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
                // A result read finishes a task already seen done: it goes ahead of every
                // status poll (after the result reads already waiting), or at 10,000 tasks
                // it waits seconds behind polls of tasks still running.
                let at = if purpose == Purpose::Result {
                    h.queue
                        .iter()
                        .position(|q| self.ops.get(q).is_none_or(|o| o.next != Purpose::Result))
                        .unwrap_or(h.queue.len())
                } else {
                    h.queue.len()
                };
                h.queue.insert(at, id);
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

    fn send(&mut self, id: OpId, purpose: Purpose, host: Option<String>, request: HttpRequest) {
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
    fn pump(&mut self, now: u64, host: &str) {
        loop {
            let Some(h) = self.hosts.get_mut(host) else {
                return;
            };
            let Some(&id) = h.queue.front() else { return };
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
    fn drop_request(&mut self, now: u64, id: OpId) {
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
    fn finish(&mut self, now: u64, id: OpId, result: Result<OpResult, TaskFailure>) {
        self.drop_request(now, id);
        self.timers.cancel(id);
        if self.ops.remove(&id).is_some() {
            self.out.push_back(Output::Done { op: id, result });
        }
    }

    fn note_terminal(&mut self, task_id: &str) {
        if self.terminal_seen.insert(task_id.to_owned(), ()).is_none() {
            self.terminal_order.push_back(task_id.to_owned());
            while self.terminal_order.len() > MEMORY {
                if let Some(old) = self.terminal_order.pop_front() {
                    self.terminal_seen.remove(&old);
                }
            }
        }
    }

    fn estimate_key(&self, t: &TaskRef) -> String {
        let m = t
            .model
            .as_deref()
            .or(t.endpoint.as_deref())
            .or(t.operation.as_deref())
            .or(t.task_type.as_deref())
            .unwrap_or("");
        format!("{}:{}", self.rq.profile.name, m)
    }

    /// How long to sleep before the next poll of a live task.
    fn poll_delay(&mut self, op: &mut Op, now: u64) -> u64 {
        let base = op.backoff.peek_base();
        let mut d = op.backoff.next().unwrap_or(op.poll.initial_delay_ms);
        if op.poll.adaptive {
            // A running task may end at any moment: ×1.5 growth lets the delay reach half
            // the time it has run, so its end is seen up to 50 % late. Capping the delay
            // at a tenth of the running time (at least the initial delay) keeps detection
            // within ~10 % of the duration for about 10 requests per e-fold of it. The
            // jitter drawn for this step is kept.
            if let (Some(TaskState::Running), Some(r0)) =
                (op.last.as_ref().map(|u| u.state), op.running_from)
            {
                let cap =
                    (now.saturating_sub(r0) / RUNNING_DELAY_DIVISOR).max(op.poll.initial_delay_ms);
                if base > cap {
                    d = (u128::from(d) * u128::from(cap) / u128::from(base)) as u64;
                }
            }
            if let (Some(e), Some(t0)) = (
                self.estimates.get(&self.estimate_key(&op.task)),
                op.task.submitted_at,
            ) {
                // Sleep through the time the task almost surely still runs, then poll
                // densely (backoff restarted) around the expected end.
                let early = t0.saturating_add(e.quantile_ms(-1.5));
                if now < early {
                    d = d.max((early - now).min(op.poll.max_delay_ms));
                } else if !op.near_end {
                    op.near_end = true;
                    op.backoff.reset();
                    d = op.backoff.next().unwrap_or(op.poll.initial_delay_ms);
                }
            }
            // Queue position: once it has moved, sleep through most of the time the
            // queue ahead needs at the rate it has been moving.
            let last = op.last.as_ref();
            match (last.map(|u| u.state), last.and_then(|u| u.queue_position)) {
                (Some(TaskState::Queued), Some(p)) => match op.queue_first {
                    None => op.queue_first = Some((now, p)),
                    Some((t0, p0)) if p < p0 && now > t0 => {
                        let per_position = (now - t0) / (p0 - p);
                        let ahead = per_position.saturating_mul(p) / 10 * 7;
                        d = d.max(ahead.min(op.poll.max_delay_ms));
                    }
                    _ => {}
                },
                _ => op.queue_first = None,
            }
            // The provider's own hint on a live answer.
            if let Some(h) = op.hint_ms.take() {
                d = d.max(h.min(op.poll.max_delay_ms));
            }
        }
        if op.expect_webhook {
            d = d.max(op.poll.safety_net_ms);
        }
        d
    }

    fn eta(&self, task: &TaskRef, now: u64) -> Option<u64> {
        let e = self.estimates.get(&self.estimate_key(task))?;
        let t0 = task.submitted_at?;
        Some(t0.saturating_add(e.median_ms()).saturating_sub(now))
    }

    fn on_success(&mut self, now: u64, id: OpId, purpose: Purpose, resp: HttpResponse) {
        match purpose {
            Purpose::Submit => self.on_submit_answer(now, id, resp),
            Purpose::Status => {
                let Some(op) = self.ops.get(&id) else { return };
                let parsed = normalize::parse_json(&resp.body).and_then(|raw| {
                    normalize::status_update(&self.rq.profile, &raw, Some(&op.task.id))
                });
                match parsed {
                    Ok(mut u) => {
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
                        self.apply_update(now, id, u, true)
                    }
                    Err(e @ (NormalizeError::NotJson | NormalizeError::UnknownStatus(_))) => {
                        self.strike(now, id, e)
                    }
                    Err(e) => self.fail_bad(now, id, e.to_string()),
                }
            }
            Purpose::Result => {
                let parsed = normalize::parse_json(&resp.body);
                match parsed {
                    Ok(raw) => {
                        let outputs = normalize::result_outputs(&self.rq.profile, &raw);
                        let Some(mut u) = self.ops.get_mut(&id).and_then(|o| o.pending.take())
                        else {
                            return;
                        };
                        if !outputs.is_empty() {
                            u.outputs = Some(outputs);
                        }
                        u.raw = raw;
                        self.finish_terminal(now, id, u);
                    }
                    Err(e) => self.strike(now, id, e),
                }
            }
            Purpose::Cancel => {
                let Some(op) = self.ops.get(&id) else { return };
                let parsed = normalize::parse_json(&resp.body).and_then(|raw| {
                    normalize::status_update(&self.rq.profile, &raw, Some(&op.task.id))
                });
                match parsed {
                    Ok(u) => self.apply_update(now, id, u, true),
                    Err(_) => {
                        // the answer is no status: read one
                        if let Some(o) = self.ops.get_mut(&id) {
                            o.next = Purpose::Status;
                        }
                        self.act(now, id);
                    }
                }
            }
            Purpose::Events => {
                let parsed = normalize::parse_json(&resp.body)
                    .and_then(|raw| normalize::events(&self.rq.profile, &raw));
                match parsed {
                    Ok(ev) => self.finish(now, id, Ok(OpResult::Events(ev))),
                    Err(e @ NormalizeError::NotJson) => self.strike(now, id, e),
                    Err(e) => self.fail_bad(now, id, e.to_string()),
                }
            }
        }
    }

    fn on_submit_answer(&mut self, now: u64, id: OpId, resp: HttpResponse) {
        let Some(op) = self.ops.get(&id) else { return };
        let Some(req) = op.submit.as_deref() else {
            return;
        };
        let keyed = op.idempotency_key.is_some();
        match self.rq.parse_submit(req, &resp.body, now) {
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
                let what = format!("unreadable submit answer ({e})");
                self.retry(now, id, None, what, Some(resp.status));
            }
            Err(e) => {
                let f = TaskFailure::new(
                    ErrorCode::BadResponse,
                    format!(
                        "the submit answer does not match the dialect ({e}); the task may exist"
                    ),
                )
                .with_http_status(resp.status);
                self.finish(now, id, Err(f));
            }
        }
    }

    /// One more unknown status or unparsable body: retried a few times, then `bad_response`.
    fn strike(&mut self, now: u64, id: OpId, e: NormalizeError) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.strikes += 1;
        if op.strikes >= STRIKES {
            let m = format!("{e} ({} answers in a row)", op.strikes);
            self.fail_bad(now, id, m);
            return;
        }
        let delay = op.backoff.next().unwrap_or(op.poll.initial_delay_ms);
        self.sleep(now, id, delay);
    }

    fn fail_bad(&mut self, now: u64, id: OpId, message: String) {
        let Some(op) = self.ops.get(&id) else { return };
        let f = TaskFailure::new(ErrorCode::BadResponse, message)
            .with_task(
                Some(&op.task.id)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str()),
            )
            .with_update(op.last.clone());
        self.finish(now, id, Err(f));
    }

    /// Sleeps `delay` then does `op.next` again (or expires at the deadline).
    fn sleep(&mut self, now: u64, id: OpId, delay: u64) {
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
    fn apply_update(&mut self, now: u64, id: OpId, mut u: TaskUpdate, polled: bool) {
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
                let Some(mut op) = self.ops.remove(&id) else {
                    return;
                };
                op.next = Purpose::Status;
                let delay = self.poll_delay(&mut op, now);
                self.ops.insert(id, op);
                self.sleep(now, id, delay);
            }
            _ => self.finish(now, id, Ok(OpResult::Update(u))),
        }
    }

    fn finish_terminal(&mut self, now: u64, id: OpId, u: TaskUpdate) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.last = Some(u.clone());
        let kind = op.kind;
        let task = op.task.clone();
        // The task ended between the last live answer and this one: learn the midpoint,
        // not `now`, or the estimate would grow by each detection delay.
        // Seen terminal at the first look, it ended at some unknown time before: learn a
        // little less than `now` so the next task is looked at earlier, until a live
        // answer brackets the end again.
        let ended = match (op.live_at, task.submitted_at) {
            (Some(l), _) if l < now => l + (now - l) / 2,
            (None, Some(t0)) if t0 < now => t0 + (now - t0) / 100 * 85,
            _ => now,
        };
        if u.state == TaskState::Succeeded {
            let key = self.estimate_key(&task);
            match (task.submitted_at, u.cost_ms) {
                (Some(t0), _) if ended > t0 => self.estimates.observe_at(&key, ended - t0, now),
                (_, Some(c)) => self.estimates.observe_at(&key, c, now),
                _ => {}
            }
        }
        // `known` keeps the task's address (bounded by MEMORY) so a later status(id) or
        // wait(id) after the end still finds its model and URLs.
        self.out
            .push_back(Output::Store(StoreOp::Delete(u.id.clone())));
        let shared = u.clone();
        if kind == Kind::Wait {
            self.out.push_back(Output::Update {
                op: id,
                update: u.clone(),
            });
            let result = match u.state {
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
                        .map_or_else(|| format!("task {}", s.as_str()), |e| e.message.clone());
                    Err(TaskFailure::new(code, msg)
                        .with_task(Some(&u.id))
                        .with_update(Some(u)))
                }
            };
            self.finish(now, id, result);
        } else {
            self.finish(now, id, Ok(OpResult::Update(u)));
        }
        self.share_terminal(now, &shared);
    }

    /// Hands a terminal update one operation saw (a cancel's answer, a status read, another
    /// wait) to every other wait on that task: none of them polls a task this client already
    /// knows has ended, and the store record they rely on is gone.
    fn share_terminal(&mut self, now: u64, u: &TaskUpdate) {
        let ids: Vec<OpId> = self
            .ops
            .iter()
            .filter(|(_, o)| o.kind == Kind::Wait && o.task.id == u.id && o.pending.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            self.drop_request(now, id);
            if let Some(o) = self.ops.get_mut(&id) {
                o.phase = Phase::Idle;
            }
            self.apply_update(now, id, u.clone(), false);
        }
    }

    fn on_http_error(
        &mut self,
        now: u64,
        id: OpId,
        purpose: Purpose,
        host: &Option<String>,
        resp: HttpResponse,
    ) {
        let Some(op) = self.ops.get(&id) else { return };
        let ra = resp
            .header("retry-after")
            .and_then(|v| retry_after_ms(v, now));
        let transient = is_transient_status(resp.status);
        let idempotent = self.rq.profile.submit.idempotent;
        let retry = transient
            && (purpose != Purpose::Submit
                || idempotent
                || resp.status == 429
                || resp.status == 503);
        let what = format!("HTTP {} {}", resp.status, snippet(&resp.body));
        if purpose == Purpose::Cancel && op.failures > 0 && matches!(resp.status, 400 | 409) {
            // "Already ended" after a try whose answer was lost: that try may have canceled
            // the task. Its state says what happened.
            if let Some(o) = self.ops.get_mut(&id) {
                o.next = Purpose::Status;
            }
            self.act(now, id);
            return;
        }
        if retry {
            if resp.status == 429 {
                if let (Some(h), Some(ms)) = (host.as_ref().and_then(|h| self.hosts.get_mut(h)), ra)
                {
                    h.pause(now.saturating_add(ms));
                }
            }
            self.retry(now, id, ra, what, Some(resp.status));
            return;
        }
        let mut m = what;
        if purpose == Purpose::Submit && transient {
            m.push_str(" (not retried: this dialect has no idempotency key; the task may exist)");
        }
        let f = TaskFailure::new(ErrorCode::Http, m)
            .with_http_status(resp.status)
            .with_task(
                Some(&op.task.id)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.as_str()),
            )
            .with_update(op.last.clone());
        self.finish(now, id, Err(f));
    }

    fn on_transport_error(&mut self, now: u64, id: OpId, purpose: Purpose, e: TransportError) {
        if e.kind == TransportErrorKind::Aborted {
            // not asked for by us (we forget requests we abort): the shell's own abort
            let f = TaskFailure::new(ErrorCode::Aborted, "the request was aborted");
            self.finish(now, id, Err(f));
            return;
        }
        let what = match e.kind {
            TransportErrorKind::Timeout => "request timed out",
            _ => "network error",
        };
        if purpose == Purpose::Submit && e.sent && !self.rq.profile.submit.idempotent {
            let f = TaskFailure::new(
                ErrorCode::Network,
                format!("submit: {what} after the request was sent; not retried because this dialect has no idempotency key, so the task may exist"),
            );
            self.finish(now, id, Err(f));
            return;
        }
        self.retry(now, id, None, what.to_owned(), None);
    }

    /// A transient failure: try again after the backoff (or Retry-After), within the
    /// deadline and the retry budget; else `network`.
    fn retry(
        &mut self,
        now: u64,
        id: OpId,
        retry_after: Option<u64>,
        what: String,
        status: Option<u16>,
    ) {
        let Some(op) = self.ops.get_mut(&id) else {
            return;
        };
        op.failures += 1;
        op.last_error = Some(what.clone());
        let delay = op
            .backoff
            .next()
            .unwrap_or(op.poll.initial_delay_ms)
            .max(retry_after.unwrap_or(0));
        let over_budget = op.failures > op.poll.max_retries;
        let past_deadline = now.saturating_add(delay) >= op.deadline;
        if over_budget || past_deadline {
            // Out of time before out of retries: for a wait that is our `timeoutMs`.
            let (code, why) = if over_budget {
                (ErrorCode::Network, "retries used up")
            } else if op.kind == Kind::Wait {
                (
                    ErrorCode::WaitTimeout,
                    "timeoutMs would run out before the next retry",
                )
            } else {
                (
                    ErrorCode::Network,
                    "the deadline would pass before the next retry",
                )
            };
            let mut f = TaskFailure::new(code, format!("{why}; last error: {what}"))
                .with_task(
                    Some(&op.task.id)
                        .filter(|s| !s.is_empty())
                        .map(|s| s.as_str()),
                )
                .with_update(op.last.clone());
            if let Some(s) = status {
                f = f.with_http_status(s);
            }
            self.finish(now, id, Err(f));
            return;
        }
        self.sleep(now, id, delay);
    }
}
