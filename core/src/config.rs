//! What callers hand the core: the client's [`ClientConfig`] (dialect, base URL, key,
//! polling and limits), a [`SubmitRequest`], [`WaitOptions`], and a [`TaskRef`] naming a
//! task to follow (or a stored [`TaskRecord`]). Numbers arrive from JavaScript as floats;
//! [`PollOptions::resolve`] checks them and turns them into a [`PollConfig`].

use crate::error::CoreError;
use crate::json::{ObjectText, Value};
use crate::profile::ProviderSpec;
use crate::vecmap::VecMap;

/// The options of `new TaskClient({...})` that the core uses (the shell keeps `fetch` and `store`).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// A dialect name or a profile object.
    pub provider: ProviderSpec,
    /// Absolute http(s) URL; the dialect's paths are appended to it (a path prefix is kept).
    pub base_url: String,
    /// Sent as `Authorization: Bearer <apiKey>`.
    pub api_key: Option<String>,
    /// Extra headers sent with every request.
    pub headers: VecMap<String, String>,
    /// Polling defaults.
    pub poll: PollOptions,
    /// Limits on concurrent status requests.
    pub limits: Limits,
}

impl ClientConfig {
    /// A config for a built-in dialect with default options.
    pub fn new(provider: &str, base_url: &str) -> Self {
        ClientConfig {
            provider: ProviderSpec::Name(provider.to_owned()),
            base_url: base_url.to_owned(),
            api_key: None,
            headers: VecMap::new(),
            poll: PollOptions::default(),
            limits: Limits::default(),
        }
    }
}

/// Polling options as the user writes them; every field optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollOptions {
    /// The first wait after submit, in ms (default 500).
    pub initial_delay_ms: Option<f64>,
    /// The longest wait between polls, in ms (default 10 000).
    pub max_delay_ms: Option<f64>,
    /// Growth per poll, at least 1 (default 1.5).
    pub multiplier: Option<f64>,
    /// Random spread of each delay, 0..1 (default 0.2).
    pub jitter: Option<f64>,
    /// The whole wait, in ms (default 600 000; never infinite).
    pub timeout_ms: Option<f64>,
    /// One HTTP request, in ms (default 30 000).
    pub request_timeout_ms: Option<f64>,
    /// Consecutive transient failures tolerated before `network` (default 10).
    pub max_retries: Option<f64>,
    /// Poll interval while a webhook is expected to bring the result (default 30 000).
    pub safety_net_ms: Option<f64>,
    /// Use hints (queue position, learned durations) to poll near the expected end, and
    /// keep a running task's delay within a tenth of its running time (default true).
    pub adaptive: Option<bool>,
}

/// Checked polling settings in whole milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollConfig {
    /// First wait.
    pub initial_delay_ms: u64,
    /// Longest wait.
    pub max_delay_ms: u64,
    /// Growth per poll (≥ 1).
    pub multiplier: f64,
    /// Spread (0..=1).
    pub jitter: f64,
    /// Whole wait.
    pub timeout_ms: u64,
    /// One request.
    pub request_timeout_ms: u64,
    /// Consecutive transient failures tolerated.
    pub max_retries: u32,
    /// Slow rate while a webhook is expected.
    pub safety_net_ms: u64,
    /// Adaptive scheduling on.
    pub adaptive: bool,
}

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            initial_delay_ms: 500,
            max_delay_ms: 10_000,
            multiplier: 1.5,
            jitter: 0.2,
            timeout_ms: 600_000,
            request_timeout_ms: 30_000,
            max_retries: 10,
            safety_net_ms: 30_000,
            adaptive: true,
        }
    }
}

/// The longest any single duration option may be (one year): keeps arithmetic far from overflow.
const MAX_MS: f64 = 365.0 * 24.0 * 3600.0 * 1000.0;

/// `poll.<name>` is wrong: every refusal of [`PollOptions::resolve`] is built here, once.
fn invalid_poll(name: &str, message: &str) -> CoreError {
    CoreError::invalid(crate::text::concat(&["poll.", name]), message)
}

fn ms(name: &str, v: Option<f64>, default: u64, min: f64) -> Result<u64, CoreError> {
    let x = match v {
        None => return Ok(default),
        Some(x) => x,
    };
    let problem = if !x.is_finite() {
        "must be a finite number"
    } else if x < min {
        if min > 0.0 {
            "must be positive"
        } else {
            "must not be negative"
        }
    } else if x > MAX_MS {
        "must be at most one year"
    } else {
        // in range 0..=MAX_MS, so the cast is exact enough and cannot wrap.
        return Ok(x.round() as u64);
    };
    Err(invalid_poll(name, problem))
}

/// A wait's own `timeoutMs`, checked as [`PollOptions::resolve`] checks `poll.timeoutMs`.
pub(crate) fn timeout_ms(v: f64) -> Option<u64> {
    ms("timeoutMs", Some(v), 0, 1.0).ok()
}

impl PollOptions {
    /// Checks these options over `base` (unset fields keep `base`'s values). Errors name
    /// the field as `poll.<name>`.
    pub fn resolve(&self, base: &PollConfig) -> Result<PollConfig, CoreError> {
        let multiplier = match self.multiplier {
            None => base.multiplier,
            Some(m) if m.is_finite() && (1.0..=100.0).contains(&m) => m,
            Some(_) => return Err(invalid_poll("multiplier", "must be between 1 and 100")),
        };
        let jitter = match self.jitter {
            None => base.jitter,
            Some(j) if (0.0..=1.0).contains(&j) => j,
            Some(_) => return Err(invalid_poll("jitter", "must be between 0 and 1")),
        };
        let max_retries = match self.max_retries {
            None => base.max_retries,
            Some(r) if (0.0..=1000.0).contains(&r) && r.fract() == 0.0 => r as u32,
            Some(_) => {
                return Err(invalid_poll(
                    "maxRetries",
                    "must be a whole number between 0 and 1000",
                ))
            }
        };
        let initial_delay_ms = ms(
            "initialDelayMs",
            self.initial_delay_ms,
            base.initial_delay_ms,
            0.0,
        )?;
        let max_delay_ms = ms("maxDelayMs", self.max_delay_ms, base.max_delay_ms, 0.0)?;
        let timeout_ms = ms("timeoutMs", self.timeout_ms, base.timeout_ms, 1.0)?;
        let request_timeout_ms = ms(
            "requestTimeoutMs",
            self.request_timeout_ms,
            base.request_timeout_ms,
            1.0,
        )?;
        let safety_net_ms = ms("safetyNetMs", self.safety_net_ms, base.safety_net_ms, 1.0)?;
        if max_delay_ms < initial_delay_ms {
            return Err(invalid_poll(
                "maxDelayMs",
                "must not be smaller than initialDelayMs",
            ));
        }
        Ok(PollConfig {
            initial_delay_ms,
            max_delay_ms,
            multiplier,
            jitter,
            timeout_ms,
            request_timeout_ms,
            max_retries,
            safety_net_ms,
            adaptive: self.adaptive.unwrap_or(base.adaptive),
        })
    }
}

/// Limits on how hard the client hits one host.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Polling requests (status and result reads) in flight per host (default 16).
    pub max_in_flight_per_host: u32,
    /// Polling requests started per host in any one-second window; `None`: no cap.
    pub max_per_second: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_in_flight_per_host: 16,
            max_per_second: None,
        }
    }
}

/// Where a provider should post the task's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The URL.
    pub url: String,
    /// A token the provider sends back (mirako's `auth_token`).
    pub auth_token: Option<String>,
}

/// `submit(req)`.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitRequest {
    /// The model (apixo path, mindproxy `public_model`).
    pub model: Option<String>,
    /// The operation (mirako path; default `avatar/async_generate`).
    pub operation: Option<String>,
    /// The endpoint (queue path, e.g. `fal-ai/flux/dev`).
    pub endpoint: Option<String>,
    /// The task type (mindproxy `task_type`).
    pub task_type: Option<String>,
    /// The model's input; must be an object.
    pub input: Value,
    /// Where the provider should post the end.
    pub webhook: Option<WebhookTarget>,
    /// The idempotency key (generated when the dialect has one and this is absent).
    pub idempotency_key: Option<String>,
    /// Free metadata (mindproxy `metadata_json`).
    pub metadata: Option<Value>,
}

impl SubmitRequest {
    /// A request with just an input.
    pub fn new(input: Value) -> Self {
        SubmitRequest {
            model: None,
            operation: None,
            endpoint: None,
            task_type: None,
            input,
            webhook: None,
            idempotency_key: None,
            metadata: None,
        }
    }
}

/// `wait(id, opts)` options the core uses (the shell keeps `signal` and `onUpdate`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WaitOptions {
    /// The whole wait in ms (overrides `poll.timeoutMs`).
    pub timeout_ms: Option<f64>,
    /// Polling overrides for this wait.
    pub poll: Option<PollOptions>,
    /// A webhook is expected to bring the end (via `deliver`): poll only at the slow
    /// safety-net rate.
    pub expect_webhook: bool,
}

/// A task to follow: its id plus what the dialect needs to address it. A stored
/// [`TaskRecord`] converts into one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskRef {
    /// The provider's task id.
    pub id: String,
    /// The model.
    pub model: Option<String>,
    /// The operation.
    pub operation: Option<String>,
    /// The endpoint.
    pub endpoint: Option<String>,
    /// The task type.
    pub task_type: Option<String>,
    /// Status URL from the submit answer.
    pub status_url: Option<String>,
    /// Response (result) URL from the submit answer.
    pub response_url: Option<String>,
    /// Cancel URL from the submit answer.
    pub cancel_url: Option<String>,
    /// When the task was submitted (epoch ms), for duration estimates.
    pub submitted_at: Option<u64>,
}

impl TaskRef {
    /// A reference by id only.
    pub fn new(id: impl Into<String>) -> Self {
        TaskRef {
            id: id.into(),
            ..TaskRef::default()
        }
    }
}

/// What the store keeps for a live task: enough to follow it after a reload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    /// The profile's name.
    pub provider: String,
    /// The task id and everything needed to address the task (flattened into the record).
    pub task: TaskRef,
    /// When the submit's wait would end (epoch ms).
    pub deadline: Option<u64>,
    /// The idempotency key used for the submit.
    pub idempotency_key: Option<String>,
}

impl TaskRecord {
    /// The record as the store keeps it: one flat object, the task's fields at the top
    /// level, camelCase keys, absent fields left out (the shell reads it back field by
    /// field in `convert::record`).
    pub fn to_json_text(&self) -> String {
        let t = &self.task;
        let mut o = ObjectText::new();
        o.str("provider", &self.provider).str("id", &t.id);
        o.opt_str("model", &t.model)
            .opt_str("operation", &t.operation)
            .opt_str("endpoint", &t.endpoint)
            .opt_str("taskType", &t.task_type)
            .opt_str("statusUrl", &t.status_url)
            .opt_str("responseUrl", &t.response_url)
            .opt_str("cancelUrl", &t.cancel_url)
            .opt_num("submittedAt", t.submitted_at)
            .opt_num("deadline", self.deadline)
            .opt_str("idempotencyKey", &self.idempotency_key);
        o.finish()
    }
}

impl From<&TaskRecord> for TaskRef {
    fn from(r: &TaskRecord) -> TaskRef {
        r.task.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_waits_timeout_is_checked_as_poll_timeout_ms() {
        for v in [
            0.0,
            -1.0,
            0.4,
            0.5,
            1.0,
            1.4,
            2.5,
            f64::NAN,
            f64::INFINITY,
            MAX_MS,
            MAX_MS + 1.0,
            1e20,
        ] {
            let opts = PollOptions {
                timeout_ms: Some(v),
                ..Default::default()
            };
            let resolved = opts.resolve(&PollConfig::default());
            assert_eq!(timeout_ms(v), resolved.ok().map(|c| c.timeout_ms), "{v}");
        }
    }

    #[test]
    fn poll_options_are_checked_and_named() {
        let base = PollConfig::default();
        let ok = PollOptions {
            initial_delay_ms: Some(100.0),
            jitter: Some(0.0),
            ..Default::default()
        };
        let c = ok.resolve(&base).expect("valid");
        assert_eq!(c.initial_delay_ms, 100);
        assert_eq!(c.max_delay_ms, 10_000);
        for (opts, field) in [
            (
                PollOptions {
                    initial_delay_ms: Some(-1.0),
                    ..Default::default()
                },
                "poll.initialDelayMs",
            ),
            (
                PollOptions {
                    jitter: Some(1.5),
                    ..Default::default()
                },
                "poll.jitter",
            ),
            (
                PollOptions {
                    jitter: Some(f64::NAN),
                    ..Default::default()
                },
                "poll.jitter",
            ),
            (
                PollOptions {
                    multiplier: Some(0.5),
                    ..Default::default()
                },
                "poll.multiplier",
            ),
            (
                PollOptions {
                    timeout_ms: Some(0.0),
                    ..Default::default()
                },
                "poll.timeoutMs",
            ),
            (
                PollOptions {
                    timeout_ms: Some(f64::INFINITY),
                    ..Default::default()
                },
                "poll.timeoutMs",
            ),
            (
                PollOptions {
                    max_delay_ms: Some(10.0),
                    ..Default::default()
                },
                "poll.maxDelayMs",
            ),
        ] {
            let e = opts.resolve(&base).expect_err(field);
            match e {
                CoreError::InvalidArgument { field: f, .. } => assert_eq!(f, field),
                other => panic!("unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn record_written_flat() {
        let r = TaskRecord {
            provider: "queue".into(),
            task: TaskRef {
                id: "t".into(),
                endpoint: Some("a/b".into()),
                status_url: Some("http://h/s".into()),
                ..TaskRef::default()
            },
            deadline: Some(5),
            idempotency_key: None,
        };
        assert_eq!(
            r.to_json_text(),
            r#"{"provider":"queue","id":"t","endpoint":"a/b","statusUrl":"http://h/s","deadline":5}"#
        );
        let t = TaskRef::from(&r);
        assert_eq!(t.id, "t");
        assert_eq!(t.endpoint.as_deref(), Some("a/b"));
    }
}
