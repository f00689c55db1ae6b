//! The simulator's shared state: every task, the idempotency index, counters for
//! `/__sim/stats`, the fault rules in force and the runtime configuration. One mutex
//! guards it; no lock is ever held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::config::Config;
use crate::dialects::Dialect;
use crate::faults::{take_scripted, Fault, FaultKind, FaultRule, Route, ScriptedFault};
use crate::rng::Rng;
use crate::sim_control::SimControl;
use crate::task::{OutputKind, RequestLog, Task};
use crate::webhooks::{WebhookLog, WebhookSecret, WebhookTarget};

/// Everything a submit needs to create a task, as each dialect extracts it.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// The dialect.
    pub dialect: Dialect,
    /// The model / operation / endpoint.
    pub model: String,
    /// mindproxy `task_type`.
    pub task_type: Option<String>,
    /// The idempotency key, if the dialect or a header gave one.
    pub idempotency_key: Option<String>,
    /// Webhook targets from the dialect's own fields.
    pub webhooks: Vec<WebhookTarget>,
    /// The parsed `_sim`.
    pub control: SimControl,
    /// The Host the request came to.
    pub host: String,
    /// The submitted input, kept for display.
    pub input: Value,
}

/// The mutable state behind the lock.
#[derive(Debug)]
pub struct Store {
    /// The configuration at start (what `/__sim/reset` returns the fault rules to).
    pub base: Config,
    /// The Bearer key in force.
    pub api_key: String,
    /// The run seed in force.
    pub seed: u64,
    /// The webhook signing secret in force.
    pub webhook_secret: Option<WebhookSecret>,
    /// The global fault rules in force.
    pub fault_rules: Vec<FaultRule>,
    /// Draws for global fault rates.
    pub fault_rng: Rng,
    /// Tasks by id.
    pub tasks: HashMap<String, Task>,
    /// `(dialect, idempotency key)` to task id.
    pub idempotency: HashMap<(Dialect, String), String>,
    /// Remaining `times` of submit-time scripted faults, keyed by dialect + `_sim` text,
    /// so a retried submit with the same body sees the script advance.
    pub submit_scripts: HashMap<String, Vec<ScriptedFault>>,
    /// Tasks created since the last reset.
    pub seq: u64,
    /// How many resets happened (part of every id, so ids never repeat in a process).
    pub generation: u64,
    /// Submits answered (new or deduplicated).
    pub submits: u64,
    /// Submits that found an existing task by idempotency key.
    pub duplicate_submits: u64,
    /// Tasks created per `_sim.ref`.
    pub refs: HashMap<String, u64>,
    /// Every webhook delivery attempt.
    pub webhooks: Vec<WebhookLog>,
    /// Requests of every kind (including control and files).
    pub requests_total: u64,
    /// Requests answered with an injected fault.
    pub faults_injected: u64,
}

impl Store {
    fn new(cfg: Config) -> Store {
        let seed = cfg.seed.unwrap_or_else(|| crate::time::now_ms() ^ 0x5EED);
        Store {
            api_key: cfg.api_key.clone(),
            seed,
            webhook_secret: cfg.webhook_secret.clone(),
            fault_rules: cfg.fault_rules.clone(),
            fault_rng: Rng::new(seed ^ 0xFA17),
            tasks: HashMap::new(),
            idempotency: HashMap::new(),
            submit_scripts: HashMap::new(),
            seq: 0,
            generation: 0,
            submits: 0,
            duplicate_submits: 0,
            refs: HashMap::new(),
            webhooks: Vec::new(),
            requests_total: 0,
            faults_injected: 0,
            base: cfg,
        }
    }

    /// Forgets every task and counter; fault rules return to the command line's.
    pub fn reset(&mut self) {
        self.tasks.clear();
        self.idempotency.clear();
        self.submit_scripts.clear();
        self.seq = 0;
        self.generation += 1;
        self.submits = 0;
        self.duplicate_submits = 0;
        self.refs.clear();
        self.webhooks.clear();
        self.requests_total = 0;
        self.faults_injected = 0;
        self.fault_rules = self.base.fault_rules.clone();
        self.fault_rng = Rng::new(self.seed ^ 0xFA17);
    }

    /// Sets a new seed (draws restart from it).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
        self.fault_rng = Rng::new(seed ^ 0xFA17);
    }

    /// The fault (if any) for a request on an existing task: its script first, then the
    /// global rules, then the model's own status fault rate.
    pub fn fault_for_task(&mut self, id: &str, route: Route) -> Option<Fault> {
        let task = self.tasks.get_mut(id)?;
        let dialect = task.dialect;
        if let Some(f) = take_scripted(&mut task.faults, route) {
            return Some(f);
        }
        let model = task.model.clone();
        if let Some(f) = self.global_fault(Some(dialect), route) {
            return Some(f);
        }
        if route == Route::Status {
            let rate = self.base.model(&model).status_fault_rate;
            if rate > 0.0 && self.fault_rng.next_f64() < rate {
                let kinds = [
                    FaultKind::Status(429),
                    FaultKind::Status(500),
                    FaultKind::Status(503),
                ];
                let kind = kinds[(self.fault_rng.next_u64() % 3) as usize];
                return Some(Fault {
                    kind,
                    retry_after_s: 1,
                    delay_ms: 0,
                });
            }
        }
        None
    }

    /// The fault (if any) from the global rules.
    pub fn global_fault(&mut self, dialect: Option<Dialect>, route: Route) -> Option<Fault> {
        let rng = &mut self.fault_rng;
        self.fault_rules
            .iter_mut()
            .find_map(|r| r.try_fire(dialect, route, rng))
    }

    /// The fault (if any) for a submit carrying `control`.
    pub fn fault_for_submit(&mut self, dialect: Dialect, control: &SimControl) -> Option<Fault> {
        if !control.faults.is_empty() {
            let key = format!("{}:{}", dialect.name(), control.raw);
            let script = self
                .submit_scripts
                .entry(key)
                .or_insert_with(|| control.faults.clone());
            if let Some(f) = take_scripted(script, Route::Submit) {
                return Some(f);
            }
        }
        self.global_fault(Some(dialect), Route::Submit)
    }

    /// Creates a task, or finds the one its idempotency key already made.
    /// Returns the task id and whether it was a duplicate.
    pub fn create_or_dedupe(&mut self, new: NewTask, now: u64) -> (String, bool) {
        self.submits += 1;
        if let Some(key) = &new.idempotency_key {
            if let Some(id) = self.idempotency.get(&(new.dialect, key.clone())) {
                if self.tasks.contains_key(id) {
                    self.duplicate_submits += 1;
                    return (id.clone(), true);
                }
            }
        }
        self.seq += 1;
        let mut rng = Rng::for_task(self.seed, self.seq);
        let model_name = new
            .control
            .model
            .clone()
            .unwrap_or_else(|| new.model.clone());
        let (mut queue_ms, mut run_ms) = self.base.model(&model_name).draw(&mut rng);
        if let Some(q) = new.control.queue_ms {
            queue_ms = q;
        }
        if let Some(r) = new.control.run_ms {
            run_ms = r;
        }
        let id = self.new_id(new.dialect, &mut rng);
        let guess_from = new.task_type.clone().unwrap_or_else(|| new.model.clone());
        // Scripted faults keep the counts a submit retry already used up.
        let faults = self
            .submit_scripts
            .get(&format!("{}:{}", new.dialect.name(), new.control.raw))
            .cloned()
            .unwrap_or_else(|| new.control.faults.clone());
        let mut webhooks = new.webhooks;
        if let Some(url) = &new.control.webhook_url {
            webhooks.push(WebhookTarget {
                url: url.clone(),
                auth_token: None,
            });
        }
        if let Some(r) = &new.control.reference {
            *self.refs.entry(r.clone()).or_insert(0) += 1;
        }
        if let Some(key) = &new.idempotency_key {
            self.idempotency
                .insert((new.dialect, key.clone()), id.clone());
        }
        let task = Task {
            id: id.clone(),
            dialect: new.dialect,
            model: new.model,
            task_type: new.task_type,
            seq: self.seq,
            created_at_ms: now,
            queue_ms,
            run_ms,
            outcome: new
                .control
                .outcome
                .unwrap_or(crate::task::Outcome::Succeeded),
            output: new
                .control
                .output
                .unwrap_or_else(|| OutputKind::guess(&guess_from)),
            canceled_at: None,
            cancel_reason: None,
            faults,
            webhooks,
            webhook_duplicates: new.control.webhook_duplicates,
            webhook_out_of_order: new.control.webhook_out_of_order,
            reference: new.control.reference,
            idempotency_key: new.idempotency_key,
            host: new.host,
            result_seed: rng.next_u64() % 1_000_000,
            requests: Vec::new(),
            request_count: 0,
            ended: Arc::new(tokio::sync::Notify::new()),
            input: new.input,
        };
        self.tasks.insert(id.clone(), task);
        (id, false)
    }

    fn new_id(&mut self, dialect: Dialect, rng: &mut Rng) -> String {
        // The generation keeps ids unique across resets while staying reproducible.
        let mut g = Rng::new(self.generation);
        let salt = if self.generation == 0 {
            String::new()
        } else {
            g.alnum(2)
        };
        loop {
            let id = match dialect {
                Dialect::Mirako => format!("{salt}{}", rng.alnum(8)),
                Dialect::Apixo => format!("task_{salt}{}", rng.alnum(12)),
                Dialect::Mindproxy | Dialect::Queue => {
                    let u = rng.uuid();
                    if salt.is_empty() {
                        u
                    } else {
                        format!("{}{salt}", &u[..u.len() - 2])
                    }
                }
            };
            if !self.tasks.contains_key(&id) {
                return id;
            }
        }
    }

    /// Logs a request against a task.
    pub fn log_request(
        &mut self,
        id: &str,
        now: u64,
        route: Route,
        status: u16,
        fault: Option<String>,
        client: Option<String>,
    ) {
        if let Some(t) = self.tasks.get_mut(id) {
            t.request_count += 1;
            if t.requests.len() < crate::task::MAX_REQUEST_LOG {
                t.requests.push(RequestLog {
                    t_ms: now,
                    route: route.name(),
                    status,
                    fault,
                    client,
                });
            }
        }
    }
}

/// The state shared by every connection.
#[derive(Debug)]
pub struct AppState {
    store: Mutex<Store>,
}

impl AppState {
    /// Fresh state from a configuration.
    pub fn new(cfg: Config) -> Arc<AppState> {
        Arc::new(AppState {
            store: Mutex::new(Store::new(cfg)),
        })
    }

    /// Locks the store. A panic while holding the lock poisons it; the data is still
    /// consistent field by field, so the simulator keeps serving with it.
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}
