//! A virtual clock, an in-test fake provider that speaks each dialect, and a driver that
//! runs the engine against it: every request the engine asks for is answered by the fake
//! after a simulated latency, unless a fault says otherwise.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::{BTreeMap, VecDeque};
use tasklane_core::engine::{Output, StoreOp};
use tasklane_core::{
    ClientConfig, Engine, HttpRequest, HttpResponse, OpId, OpResult, ReqId, TaskFailure, TaskRef,
    TaskUpdate, TransportError, WaitOptions,
};

pub const BASE: &str = "http://127.0.0.1:9/";
pub const T0: u64 = 1_795_633_200_000; // Wed, 25 Nov 2026 19:00:00 GMT

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Mirako,
    Apixo,
    Mindproxy,
    Queue,
}

pub const ALL: [Dialect; 4] = [
    Dialect::Mirako,
    Dialect::Apixo,
    Dialect::Mindproxy,
    Dialect::Queue,
];

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Mirako => "mirako",
            Dialect::Apixo => "apixo",
            Dialect::Mindproxy => "mindproxy",
            Dialect::Queue => "queue",
        }
    }
    pub fn base(self) -> String {
        format!("{BASE}{}", self.name())
    }
}

/// How a fake task ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Succeeded,
    Failed,
    Canceled,
    TimedOut,
    /// mindproxy 8
    Refunded,
}

#[derive(Debug, Clone)]
pub struct FakeTask {
    pub id: String,
    pub model: String,
    pub created: u64,
    pub queue_ms: u64,
    pub run_ms: u64,
    pub end: End,
    pub canceled_at: Option<u64>,
}

/// Which requests a fault applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Submit,
    Status,
    Result,
    Cancel,
    Events,
    Any,
}

/// What a fault does to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Answer this status with these headers and body instead.
    Http(u16, Vec<(String, String)>, String),
    /// No answer: the shell reports this transport error. When `processed`, the fake
    /// handled the request first (the answer was lost).
    Transport(TransportError, bool),
    /// Never answer: the shell times the request out after its `timeout_ms`.
    Hang,
    /// Answer 200 with this body instead.
    Body(String),
    /// Answer late by this many ms.
    Slow(u64),
}

#[derive(Debug, Default)]
pub struct Fake {
    pub tasks: BTreeMap<String, FakeTask>,
    pub by_key: BTreeMap<String, String>,
    pub faults: VecDeque<(Route, Fault)>,
    pub submits: u32,
    pub log: Vec<(u64, String, String)>,
    pub next: u64,
    /// Defaults for tasks without `_sim`.
    pub queue_ms: u64,
    pub run_ms: u64,
    /// Answers used instead of the real ones while any are left (property tests).
    pub garbage: VecDeque<(u16, String)>,
}

fn find_sim(v: &Value) -> Option<&Value> {
    if let Some(s) = v.get("_sim") {
        return Some(s);
    }
    v.as_object()?.values().find_map(|x| x.get("_sim"))
}

fn path_of(url: &str) -> (String, String) {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let p = &rest[rest.find('/').unwrap_or(rest.len())..];
    match p.split_once('?') {
        Some((a, b)) => (a.to_owned(), b.to_owned()),
        None => (p.to_owned(), String::new()),
    }
}

const PNG_B64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

impl Fake {
    pub fn new() -> Self {
        Fake {
            queue_ms: 1000,
            run_ms: 3000,
            ..Default::default()
        }
    }

    fn route_of(d: Dialect, method: &str, path: &str) -> Route {
        match (d, method) {
            (_, "POST") if path.ends_with("/cancel") => Route::Cancel,
            (_, "PUT") => Route::Cancel,
            (_, "POST") => Route::Submit,
            (_, _) if path.ends_with("/events") => Route::Events,
            (Dialect::Queue, _) if path.ends_with("/response") => Route::Result,
            _ => Route::Status,
        }
    }

    /// The live or terminal phase of a task at `now`: 0 queued, 1 running, 2 ended.
    fn phase(t: &FakeTask, now: u64) -> u8 {
        if t.canceled_at.is_some_and(|c| now >= c) {
            return 2;
        }
        let e = now.saturating_sub(t.created);
        if e < t.queue_ms {
            0
        } else if e < t.queue_ms + t.run_ms {
            1
        } else {
            2
        }
    }

    fn end_of(t: &FakeTask, now: u64) -> End {
        if t.canceled_at.is_some_and(|c| now >= c) {
            End::Canceled
        } else {
            t.end
        }
    }

    pub fn status_body(&self, d: Dialect, t: &FakeTask, now: u64) -> Value {
        let ph = Self::phase(t, now);
        let end = Self::end_of(t, now);
        let cost = t.run_ms;
        match d {
            Dialect::Mirako => {
                let s = match (ph, end) {
                    (0, _) => "IN_QUEUE",
                    (1, _) => "IN_PROGRESS",
                    (_, End::Succeeded) => "COMPLETED",
                    (_, End::Canceled) => "CANCELED",
                    (_, End::TimedOut) => "TIMED_OUT",
                    _ => "FAILED",
                };
                let mut data = json!({"task_id": t.id, "status": s});
                if s == "COMPLETED" {
                    data["image"] = json!(PNG_B64);
                }
                if s == "FAILED" {
                    data["error"] = json!("Generation failed");
                }
                json!({ "data": data })
            }
            Dialect::Apixo => {
                let s = match (ph, end) {
                    (0, _) => "pending",
                    (1, _) => "processing",
                    (_, End::Succeeded) => "success",
                    _ => "failed",
                };
                let mut data = json!({"taskId": t.id, "state": s});
                if s == "success" {
                    data["resultJson"] =
                        json!(json!({"resultUrls": [format!("https://cdn/{}.png", t.id)]})
                            .to_string());
                    data["costTime"] = json!(cost);
                }
                if s == "failed" {
                    data["failMsg"] = json!("bad prompt");
                }
                json!({"code": 200, "msg": "success", "data": data})
            }
            Dialect::Mindproxy => {
                let n = match (ph, end) {
                    (0, _) => 2,
                    (1, _) => 3,
                    (_, End::Succeeded) => 4,
                    (_, End::Failed) => 5,
                    (_, End::Canceled) => 6,
                    (_, End::TimedOut) => 7,
                    (_, End::Refunded) => 8,
                };
                let mut v =
                    json!({"task_id": t.id, "task_type": 3, "status": n, "public_model": t.model});
                if n == 4 {
                    v["result_assets_json"] = json!(
                        json!({"image_url": format!("https://cdn/{}.png", t.id), "seed": 1})
                            .to_string()
                    );
                }
                if n == 5 {
                    v["error_code"] = json!("GEN_FAILED");
                    v["error_message"] = json!("generation failed");
                }
                v
            }
            Dialect::Queue => {
                let mut v = json!({"request_id": t.id, "response_url": format!("{BASE}queue/v1/queue/{}/requests/{}/response", t.model, t.id)});
                match (ph, end) {
                    (0, _) => {
                        v["status"] = json!("IN_QUEUE");
                        let left = t.queue_ms.saturating_sub(now.saturating_sub(t.created));
                        v["queue_position"] = json!(left / 500);
                    }
                    (1, _) => v["status"] = json!("IN_PROGRESS"),
                    (_, e) => {
                        v["status"] = json!("COMPLETED");
                        v["metrics"] = json!({"inference_time": cost as f64 / 1000.0});
                        let et = match e {
                            End::Succeeded => None,
                            End::Canceled => Some("CANCELED"),
                            End::TimedOut => Some("INFERENCE_TIMEOUT"),
                            _ => Some("INFERENCE_FAILURE"),
                        };
                        if let Some(et) = et {
                            v["error"] = json!("Task execution failed");
                            v["error_type"] = json!(et);
                        }
                    }
                }
                v
            }
        }
    }

    fn new_task(&mut self, body: &Value, model: &str, now: u64) -> String {
        self.next += 1;
        self.submits += 1;
        let id = format!("t{}", self.next);
        let sim = find_sim(body);
        let g = |k: &str, d: u64| {
            sim.and_then(|s| s.get(k))
                .and_then(Value::as_u64)
                .unwrap_or(d)
        };
        let end = match sim.and_then(|s| s.get("outcome")).and_then(Value::as_str) {
            Some("failed") => End::Failed,
            Some("canceled") => End::Canceled,
            Some("timed_out") => End::TimedOut,
            Some("refunded") => End::Refunded,
            _ => End::Succeeded,
        };
        self.tasks.insert(
            id.clone(),
            FakeTask {
                id: id.clone(),
                model: model.to_owned(),
                created: now,
                queue_ms: g("queue_ms", self.queue_ms),
                run_ms: g("run_ms", self.run_ms),
                end,
                canceled_at: None,
            },
        );
        id
    }

    /// Answers a request as the dialect's server would.
    pub fn answer(&mut self, d: Dialect, req: &HttpRequest, now: u64) -> HttpResponse {
        if let Some((s, b)) = self.garbage.pop_front() {
            return HttpResponse::new(s, b);
        }
        let (path, query) = path_of(&req.url);
        let prefix = format!("/{}", d.name());
        let path = path.strip_prefix(&prefix).unwrap_or(&path).to_owned();
        if req.header("authorization") != Some("Bearer k") {
            return HttpResponse::new(401, r#"{"error":"unauthorized"}"#);
        }
        let body: Value = req
            .body
            .as_deref()
            .and_then(|b| serde_json::from_str(b).ok())
            .unwrap_or(Value::Null);
        self.log.push((now, req.method.clone(), path.clone()));
        let not_found = || HttpResponse::new(404, r#"{"error":"not found"}"#);
        let ok = |v: Value| HttpResponse::new(200, v.to_string());
        match (d, req.method.as_str()) {
            (Dialect::Mirako, "POST") => {
                let id = self.new_task(&body, &path, now);
                ok(json!({"data": {"task_id": id, "status": "IN_QUEUE"}}))
            }
            (Dialect::Mirako, _) => {
                let id = path
                    .trim_end_matches("/status")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                match self.tasks.get(id) {
                    Some(t) => ok(self.status_body(d, t, now)),
                    None => not_found(),
                }
            }
            (Dialect::Apixo, "POST") => {
                let model = path.rsplit('/').next().unwrap_or("").to_owned();
                let id = self.new_task(&body, &model, now);
                ok(json!({"code": 200, "message": "success", "data": {"taskId": id}}))
            }
            (Dialect::Apixo, _) => {
                let id = query.strip_prefix("taskId=").unwrap_or("");
                match self.tasks.get(id) {
                    Some(t) => ok(self.status_body(d, t, now)),
                    None => not_found(),
                }
            }
            (Dialect::Mindproxy, "POST") if path.ends_with("/cancel") => {
                let id = path
                    .trim_end_matches("/cancel")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                match self.tasks.get_mut(&id) {
                    Some(t) => {
                        if Self::phase(t, now) < 2 {
                            t.canceled_at = Some(now);
                        }
                        let t = t.clone();
                        ok(self.status_body(d, &t, now))
                    }
                    None => not_found(),
                }
            }
            (Dialect::Mindproxy, "POST") => {
                let key = body
                    .get("idempotency_key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned();
                let id = match self.by_key.get(&key) {
                    Some(id) if !key.is_empty() => id.clone(),
                    _ => {
                        let model = body
                            .get("public_model")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_owned();
                        let id = self.new_task(&body, &model, now);
                        self.by_key.insert(key, id.clone());
                        id
                    }
                };
                HttpResponse::new(
                    202,
                    json!({"task_id": id, "status": 1, "request_id": "req_1"}).to_string(),
                )
            }
            (Dialect::Mindproxy, _) if path.ends_with("/events") => {
                let id = path
                    .trim_end_matches("/events")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                match self.tasks.get(id) {
                    Some(_) => ok(json!({"task_events": [
                        {"task_event_id": "e1", "event_type": "created", "status": 1, "message": "task created", "created_at": "2026-06-22T10:00:00Z"},
                        {"task_event_id": "e2", "event_type": "running", "status": 3, "message": "running", "created_at": "2026-06-22T10:00:01Z"}]})),
                    None => not_found(),
                }
            }
            (Dialect::Mindproxy, _) => {
                let id = path.rsplit('/').next().unwrap_or("");
                match self.tasks.get(id) {
                    Some(t) => ok(self.status_body(d, t, now)),
                    None => not_found(),
                }
            }
            (Dialect::Queue, "POST") => {
                let endpoint = path.strip_prefix("/v1/queue/").unwrap_or("").to_owned();
                let id = self.new_task(&body, &endpoint, now);
                let u = |s: &str| format!("{BASE}queue/v1/queue/{endpoint}/requests/{id}{s}");
                ok(
                    json!({"request_id": id, "status_url": u("/status"), "response_url": u("/response"), "cancel_url": u("/cancel"), "status": "IN_QUEUE"}),
                )
            }
            (Dialect::Queue, "PUT") => {
                let id = path
                    .trim_end_matches("/cancel")
                    .rsplit('/')
                    .next()
                    .unwrap_or("")
                    .to_owned();
                match self.tasks.get_mut(&id) {
                    Some(t) => {
                        if Self::phase(t, now) < 2 {
                            t.canceled_at = Some(now);
                        }
                        ok(json!({"status": "CANCELLATION_REQUESTED"}))
                    }
                    None => not_found(),
                }
            }
            (Dialect::Queue, _) if path.ends_with("/response") => {
                let id = path
                    .trim_end_matches("/response")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                match self.tasks.get(id) {
                    Some(t) if Self::phase(t, now) == 2 => ok(
                        json!({"images": [{"url": format!("https://cdn/{}.png", t.id), "content_type": "image/png"}], "seed": 7}),
                    ),
                    Some(_) => HttpResponse::new(400, r#"{"detail":"not ready"}"#),
                    None => not_found(),
                }
            }
            (Dialect::Queue, _) => {
                let id = path
                    .trim_end_matches("/status")
                    .rsplit('/')
                    .next()
                    .unwrap_or("");
                match self.tasks.get(id) {
                    Some(t) => ok(self.status_body(d, t, now)),
                    None => not_found(),
                }
            }
        }
    }
}

/// One finished operation.
#[derive(Debug, Clone)]
pub struct Finished {
    pub at: u64,
    pub result: Result<OpResult, TaskFailure>,
}

/// The engine, the fake and a virtual clock.
#[derive(Debug)]
pub struct World {
    pub dialect: Dialect,
    pub engine: Engine,
    pub fake: Fake,
    pub now: u64,
    pub latency: u64,
    /// Answers waiting to be delivered: (at, req, outcome).
    pub pending: Vec<(u64, ReqId, Result<HttpResponse, TransportError>)>,
    pub sent: Vec<(u64, ReqId, HttpRequest)>,
    pub aborted: Vec<ReqId>,
    pub updates: BTreeMap<OpId, Vec<TaskUpdate>>,
    pub done: BTreeMap<OpId, Finished>,
    pub store: Vec<StoreOp>,
    pub dones_total: usize,
    pub in_flight: usize,
    pub peak_in_flight: usize,
}

impl World {
    pub fn new(d: Dialect) -> World {
        let mut c = ClientConfig::new(d.name(), &d.base());
        c.api_key = Some("k".into());
        World::with_config(d, c)
    }

    pub fn with_config(d: Dialect, c: ClientConfig) -> World {
        World {
            dialect: d,
            engine: Engine::new(c, 42).expect("valid config"),
            fake: Fake::new(),
            now: T0,
            latency: 40,
            pending: Vec::new(),
            sent: Vec::new(),
            aborted: Vec::new(),
            updates: BTreeMap::new(),
            done: BTreeMap::new(),
            store: Vec::new(),
            dones_total: 0,
            in_flight: 0,
            peak_in_flight: 0,
        }
    }

    /// Drains the engine's outputs, performing sends against the fake.
    pub fn drain(&mut self) {
        while let Some(o) = self.engine.poll_output(self.now) {
            match o {
                Output::Send { req, request } => {
                    let route =
                        Fake::route_of(self.dialect, &request.method, &path_of(&request.url).0);
                    let fault = self
                        .fake
                        .faults
                        .iter()
                        .position(|(r, _)| *r == route || *r == Route::Any)
                        .and_then(|i| self.fake.faults.remove(i))
                        .map(|(_, f)| f);
                    let at = self.now + self.latency;
                    let outcome = match fault {
                        None => Some((at, Ok(self.fake.answer(self.dialect, &request, self.now)))),
                        Some(Fault::Http(s, h, b)) => Some((
                            at,
                            Ok(HttpResponse {
                                status: s,
                                headers: h,
                                body: b,
                            }),
                        )),
                        Some(Fault::Body(b)) => Some((at, Ok(HttpResponse::new(200, b)))),
                        Some(Fault::Slow(ms)) => {
                            let r = self.fake.answer(self.dialect, &request, self.now);
                            if ms >= request.timeout_ms {
                                Some((
                                    self.now + request.timeout_ms,
                                    Err(TransportError::timeout()),
                                ))
                            } else {
                                Some((self.now + ms, Ok(r)))
                            }
                        }
                        Some(Fault::Transport(e, processed)) => {
                            if processed {
                                self.fake.answer(self.dialect, &request, self.now);
                            }
                            Some((at, Err(e)))
                        }
                        Some(Fault::Hang) => Some((
                            self.now + request.timeout_ms,
                            Err(TransportError::timeout()),
                        )),
                    };
                    if let Some((at, r)) = outcome {
                        self.pending.push((at, req, r));
                    }
                    self.in_flight += 1;
                    self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
                    self.sent.push((self.now, req, request));
                }
                Output::Abort { req } => {
                    let before = self.pending.len();
                    self.pending.retain(|(_, r, _)| *r != req);
                    if self.pending.len() < before {
                        self.in_flight -= 1;
                    }
                    self.aborted.push(req);
                }
                Output::Update { op, update } => self.updates.entry(op).or_default().push(update),
                Output::Done { op, result } => {
                    self.dones_total += 1;
                    assert!(
                        self.done
                            .insert(
                                op,
                                Finished {
                                    at: self.now,
                                    result
                                }
                            )
                            .is_none(),
                        "op {op:?} ended twice"
                    );
                }
                Output::Store(s) => self.store.push(s),
            }
        }
    }

    /// Cancels the task `id` now (no reason) and runs until that cancel is done.
    pub fn cancel_to_end(&mut self, id: &str) -> OpId {
        let op = self
            .engine
            .cancel(self.now, &TaskRef::new(id), None)
            .expect("can cancel");
        self.run_until(Some(op), 60_000);
        op
    }

    /// Runs until `op` is done (or every op, with `None`), at most `limit_ms` of virtual time.
    pub fn run_until(&mut self, op: Option<OpId>, limit_ms: u64) {
        let end = self.now.saturating_add(limit_ms);
        for _ in 0..10_000_000 {
            self.drain();
            let finished = match op {
                Some(o) => self.done.contains_key(&o),
                None => self.engine.running() == 0,
            };
            if finished {
                return;
            }
            let next_answer = self.pending.iter().map(|(t, _, _)| *t).min();
            let next = match (self.engine.next_wakeup(), next_answer) {
                (Some(a), Some(b)) => a.min(b),
                (a, b) => a
                    .or(b)
                    .expect("engine stuck: no timer and no request in flight"),
            };
            assert!(next <= end, "virtual time limit reached");
            self.now = self.now.max(next);
            self.deliver_due();
        }
        panic!("too many steps");
    }

    /// Delivers every answer due now.
    pub fn deliver_due(&mut self) {
        loop {
            let Some(i) = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0 <= self.now)
                .min_by_key(|(_, p)| p.0)
                .map(|(i, _)| i)
            else {
                return;
            };
            let (_, req, outcome) = self.pending.remove(i);
            self.in_flight -= 1;
            self.engine.handle_response(self.now, req, outcome);
            self.drain();
        }
    }

    /// Advances the clock by `ms`, delivering answers and firing timers on the way.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now + ms;
        loop {
            self.drain();
            let next_answer = self.pending.iter().map(|(t, _, _)| *t).min();
            let next = [self.engine.next_wakeup(), next_answer]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    self.deliver_due();
                }
                _ => break,
            }
        }
        self.now = end;
        self.drain();
    }

    pub fn result(&self, op: OpId) -> &Result<OpResult, TaskFailure> {
        &self.done.get(&op).expect("op finished").result
    }

    pub fn update(&self, op: OpId) -> &TaskUpdate {
        match self.result(op) {
            Ok(OpResult::Update(u)) => u,
            other => panic!("expected an update, got {other:?}"),
        }
    }

    pub fn failure(&self, op: OpId) -> &TaskFailure {
        match self.result(op) {
            Err(f) => f,
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    /// Status-route requests sent so far.
    pub fn status_requests(&self) -> Vec<u64> {
        self.sent
            .iter()
            .filter(|(_, _, r)| {
                Fake::route_of(self.dialect, &r.method, &path_of(&r.url).0) == Route::Status
            })
            .map(|(t, _, _)| *t)
            .collect()
    }

    pub fn submits_sent(&self) -> usize {
        self.sent
            .iter()
            .filter(|(_, _, r)| r.method == "POST" && !r.url.ends_with("/cancel"))
            .count()
    }
}

/// A serde_json value (the fake provider's and the tests' literals) as the core's JSON value.
pub fn cj(v: &Value) -> tasklane_core::json::Value {
    tasklane_core::json::parse(&v.to_string()).expect("serde_json writes valid JSON")
}

/// A submit request for the dialect with a `_sim` plan.
pub fn request(d: Dialect, sim: Value) -> tasklane_core::SubmitRequest {
    let mut r = tasklane_core::SubmitRequest::new(cj(&json!({"prompt": "a cat", "_sim": sim})));
    match d {
        Dialect::Mirako => {}
        Dialect::Apixo => r.model = Some("flux".into()),
        Dialect::Mindproxy => {
            r.model = Some("flux-1-dev".into());
            r.task_type = Some("async_image".into());
        }
        Dialect::Queue => r.endpoint = Some("fal-ai/flux/dev".into()),
    }
    r
}

/// Submits and waits for the submit's answer; returns the task's id.
pub fn submit(w: &mut World, sim: Value) -> (OpId, String) {
    let req = request(w.dialect, sim);
    let op = w.engine.submit(w.now, req).expect("valid submit");
    w.run_until(Some(op), 600_000);
    let id = match w.result(op) {
        Ok(OpResult::Update(u)) => u.id.clone(),
        Err(f) => return (op, format!("<failed: {}>", f.code.as_str())),
        other => panic!("unexpected {other:?}"),
    };
    (op, id)
}

/// Starts a `wait` (default options) on each task id, in order.
pub fn wait_all(w: &mut World, ids: &[String]) -> Vec<OpId> {
    ids.iter()
        .map(|id| {
            w.engine
                .wait(w.now, &TaskRef::new(id), WaitOptions::default())
                .expect("valid wait")
        })
        .collect()
}
