//! The engine: many operations (submit, status, wait, cancel, events) for one client, on
//! one timer queue, with a per-host budget for status requests. It never performs I/O: the
//! shell starts operations, feeds back HTTP outcomes with [`Engine::handle_response`],
//! drains [`Output`]s with [`Engine::poll_output`] and sets one timer at
//! [`Engine::next_wakeup`]. The time is always an argument (`now`, epoch ms).
//!
//! Every operation has one deadline (`timeoutMs`) that bounds its sleeps, its requests
//! (each request's timeout is `min(requestTimeoutMs, time left)`) and its retries.

mod failures;
mod hosts;
mod operations;
mod polling;
mod responses;
mod schedule;
mod timers;
mod types;

pub use types::*;

use crate::backoff::BackoffIter;
use crate::config::{ClientConfig, Limits, PollConfig, SubmitRequest, TaskRef};
use crate::error::{CoreError, ErrorCode, TaskFailure};
use crate::estimate::{EstimateEntry, Estimates};
use crate::profile::ProviderSpec;
use crate::request::Requests;
use crate::rng::SplitMix64;
use crate::state::TaskUpdate;
use crate::vecmap::VecMap;
use hosts::Host;
use timers::Timers;

/// Timers due within this many ms of a wake-up fire together with it.
const COALESCE_MS: u64 = 10;
/// Unknown status values / unparsable bodies tolerated in a row before `bad_response`.
const STRIKES: u32 = 3;
/// Task ids remembered (terminal ids seen, tasks submitted).
const MEMORY: usize = 4096;

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
    /// A cancel refused at its first try (400/409): its error, should the status read that
    /// follows find the task live (then the refusal stands; an end is the cancel's answer).
    refused: Option<Box<TaskFailure>>,
}

impl Op {
    /// A failure of this operation, carrying its task id (once known) and its last update:
    /// every way an operation can end in error builds its `TaskError` here.
    fn failure(&self, code: ErrorCode, message: impl Into<String>) -> TaskFailure {
        TaskFailure::new(code, message)
            .with_task(Some(self.task.id.as_str()).filter(|s| !s.is_empty()))
            .with_update(self.last.clone())
    }
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
/// let input = tasklane_core::json::parse(r#"{"prompt": "a cat"}"#).unwrap();
/// let mut req = SubmitRequest::new(input);
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
    /// Boxed: an `Op` is several hundred bytes, and the sorted vector moves its tail on
    /// every insert and remove (10,000 waits would shift megabytes per poll, and the
    /// vector's capacity, which never shrinks, would hold 10,000 `Op`s inline).
    ops: VecMap<OpId, Box<Op>>,
    /// How many waits are running per task id, so a terminal update or a delivered webhook
    /// looks for the other waits on its task only when there are some (a scan of every op
    /// per terminal update was a tenth of the client's CPU at 10,000 waits).
    waits: VecMap<String, u32>,
    /// How many waits are running per duration-estimate key (model): a task with many
    /// siblings and no estimate yet polls more sparsely (see `polling`).
    waits_by_model: VecMap<String, u32>,
    reqs: VecMap<ReqId, ReqMeta>,
    timers: Timers,
    hosts: VecMap<String, Host>,
    out: Outbox,
    estimates: Estimates,
    /// Tasks this engine submitted, so a `wait(id)` finds their model and URLs.
    known: VecMap<String, TaskRef>,
    known_order: Recent,
    /// Ids seen in a terminal state (a later terminal delivery is a duplicate).
    terminal_seen: VecMap<String, ()>,
    terminal_order: Recent,
    next_id: u64,
    stats: Stats,
}

/// The outputs waiting to be drained, first in first out, in two `Vec`s: pushed onto
/// `back`; popped from `front`, which takes `back` reversed whenever it runs dry (a
/// `VecDeque<Output>` of its own cost the wasm more, issue 7).
#[derive(Debug, Default)]
struct Outbox {
    back: Vec<Output>,
    /// The oldest outputs, the oldest last.
    front: Vec<Output>,
}

impl Outbox {
    fn push_back(&mut self, o: Output) {
        self.back.push(o);
    }

    fn pop_front(&mut self) -> Option<Output> {
        if self.front.is_empty() {
            std::mem::swap(&mut self.front, &mut self.back);
            self.front.reverse();
        }
        self.front.pop()
    }
}

/// The last [`MEMORY`] task ids remembered, so the oldest can be forgotten: a ring over a
/// `Vec` (a `VecDeque<String>` of its own cost the wasm ≈ 0.6 KB, issue 7).
#[derive(Debug, Default)]
struct Recent {
    ids: Vec<String>,
    /// Where the oldest id is once the ring is full.
    oldest: usize,
}

impl Recent {
    /// Adds `id`; the id it pushes out, once [`MEMORY`] are held.
    fn push(&mut self, id: String) -> Option<String> {
        if self.ids.len() < MEMORY {
            self.ids.push(id);
            return None;
        }
        let old = std::mem::replace(&mut self.ids[self.oldest], id);
        self.oldest = (self.oldest + 1) % MEMORY;
        Some(old)
    }
}

/// Counts one more (`up`) or one less of `key`, forgetting a count that reaches 0.
fn tally(counts: &mut VecMap<String, u32>, key: &str, up: bool) {
    if up {
        *counts.get_or_insert_with(key.to_owned(), || 0) += 1;
    } else if let Some(n) = counts.get_mut(key) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            counts.remove(key);
        }
    }
}

impl Engine {
    /// A client engine. Checks the provider, `baseUrl`, headers and poll options
    /// (`invalid_argument` naming the field). `seed` drives jitter and generated
    /// idempotency keys.
    pub fn new(mut cfg: ClientConfig, seed: u64) -> Result<Engine, CoreError> {
        // Moved out, not cloned: a profile is a dozen vectors of strings.
        let provider = std::mem::replace(&mut cfg.provider, ProviderSpec::Name(String::new()));
        let rq = Requests::with_profile(provider.into_profile()?, &cfg)?;
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
            waits: VecMap::default(),
            waits_by_model: VecMap::default(),
            reqs: VecMap::default(),
            timers: Timers::default(),
            hosts: VecMap::default(),
            out: Outbox::default(),
            estimates: Estimates::new(),
            known: VecMap::default(),
            known_order: Recent::default(),
            terminal_seen: VecMap::default(),
            terminal_order: Recent::default(),
            next_id: 1,
            stats: Stats::default(),
        })
    }

    /// The ids of the operations `keep` picks, in id order. Every scan of the operations
    /// goes through this one loop (a `filter`/`collect` chain per caller cost the wasm an
    /// iterator instantiation each, issue 7).
    fn ops_where(&self, keep: &dyn Fn(&Op) -> bool) -> Vec<OpId> {
        let mut ids = Vec::new();
        for (id, o) in self.ops.entries() {
            if keep(o) {
                ids.push(*id);
            }
        }
        ids
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
}

#[cfg(test)]
mod tests {
    use super::{Outbox, Output, Recent, ReqId, MEMORY};

    #[test]
    fn outbox_is_first_in_first_out() {
        let mut o = Outbox::default();
        let abort = |n| Output::Abort { req: ReqId(n) };
        let mut popped = Vec::new();
        let mut next = 0;
        for round in 0..20 {
            for _ in 0..round % 4 {
                o.push_back(abort(next));
                next += 1;
            }
            for _ in 0..round % 3 {
                if let Some(Output::Abort { req }) = o.pop_front() {
                    popped.push(req.0);
                }
            }
        }
        while let Some(Output::Abort { req }) = o.pop_front() {
            popped.push(req.0);
        }
        assert_eq!(popped, (0..next).collect::<Vec<_>>());
    }

    #[test]
    fn recent_forgets_the_oldest_first() {
        let mut r = Recent::default();
        for i in 0..MEMORY {
            assert_eq!(r.push(i.to_string()), None);
        }
        for i in MEMORY..3 * MEMORY + 5 {
            assert_eq!(r.push(i.to_string()), Some((i - MEMORY).to_string()));
        }
    }
}
