//! A simulated task: when it was created, how long it queues and runs (drawn at submit
//! from the model's distribution or set by `_sim`), how it ends, and what it produces.
//! Its live state is computed from the clock on every request, so a poll at any moment
//! sees exactly where the task stands without a background timer per task.

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::Notify;

use crate::dialects::Dialect;
use crate::faults::ScriptedFault;
use crate::webhooks::WebhookTarget;

/// How a task ends. The names are the control protocol's `_sim.outcome` values; each
/// dialect maps them to its own terminal states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Success, with an output.
    Succeeded,
    /// A generation failure (queue `INFERENCE_FAILURE`).
    Failed,
    /// Canceled (by `_sim` or by a cancel request).
    Canceled,
    /// Timed out (queue `INFERENCE_TIMEOUT`).
    TimedOut,
    /// Expired (mindproxy 7).
    Expired,
    /// Refunded (mindproxy 8).
    Refunded,
    /// Queue `REQUEST_INVALID`.
    RequestInvalid,
    /// Queue `CONTENT_BLOCKED`.
    ContentBlocked,
    /// Queue `INTERNAL_SERVER_ERROR`.
    InternalServerError,
}

impl Outcome {
    /// Parses a `_sim.outcome` value.
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "succeeded" => Outcome::Succeeded,
            "failed" | "INFERENCE_FAILURE" => Outcome::Failed,
            "canceled" | "cancelled" | "CANCELED" => Outcome::Canceled,
            "timed_out" | "INFERENCE_TIMEOUT" => Outcome::TimedOut,
            "expired" => Outcome::Expired,
            "refunded" => Outcome::Refunded,
            "REQUEST_INVALID" => Outcome::RequestInvalid,
            "CONTENT_BLOCKED" => Outcome::ContentBlocked,
            "INTERNAL_SERVER_ERROR" => Outcome::InternalServerError,
            _ => return None,
        })
    }

    /// The outcome's protocol name (as reported in `/__sim/stats`).
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Canceled => "canceled",
            Outcome::TimedOut => "timed_out",
            Outcome::Expired => "expired",
            Outcome::Refunded => "refunded",
            Outcome::RequestInvalid => "REQUEST_INVALID",
            Outcome::ContentBlocked => "CONTENT_BLOCKED",
            Outcome::InternalServerError => "INTERNAL_SERVER_ERROR",
        }
    }

    /// A human-readable error message for a non-success outcome.
    pub fn message(self) -> &'static str {
        match self {
            Outcome::Succeeded => "",
            Outcome::Failed => "Generation failed (simulated inference failure)",
            Outcome::Canceled => "The task was canceled",
            Outcome::TimedOut => "The task exceeded the maximum processing time",
            Outcome::Expired => "The task expired before it could run",
            Outcome::Refunded => "The task was refunded (hold released, not charged)",
            Outcome::RequestInvalid => "Request parameters are invalid (simulated)",
            Outcome::ContentBlocked => "Content was blocked by the safety policy (simulated)",
            Outcome::InternalServerError => "Internal server error (simulated)",
        }
    }

    /// The queue dialect's `error_type` for a non-success outcome.
    pub fn queue_error_type(self) -> Option<&'static str> {
        Some(match self {
            Outcome::Succeeded => return None,
            Outcome::Failed => "INFERENCE_FAILURE",
            Outcome::Canceled => "CANCELED",
            Outcome::TimedOut | Outcome::Expired => "INFERENCE_TIMEOUT",
            Outcome::Refunded | Outcome::InternalServerError => "INTERNAL_SERVER_ERROR",
            Outcome::RequestInvalid => "REQUEST_INVALID",
            Outcome::ContentBlocked => "CONTENT_BLOCKED",
        })
    }
}

/// What a successful task produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// A PNG.
    Image,
    /// An MP4.
    Video,
    /// A WAV.
    Audio,
}

impl OutputKind {
    /// Parses `_sim.output`.
    pub fn parse(s: &str) -> Option<OutputKind> {
        Some(match s {
            "image" => OutputKind::Image,
            "video" => OutputKind::Video,
            "audio" => OutputKind::Audio,
            _ => return None,
        })
    }

    /// The default for a model / endpoint / task type name.
    pub fn guess(name: &str) -> OutputKind {
        let n = name.to_ascii_lowercase();
        if n.contains("video") || n.contains("talking") {
            OutputKind::Video
        } else if n.contains("audio")
            || n.contains("tts")
            || n.contains("speech")
            || n.contains("voice")
        {
            OutputKind::Audio
        } else {
            OutputKind::Image
        }
    }

    /// The file extension the simulator serves it under.
    pub fn extension(self) -> &'static str {
        match self {
            OutputKind::Image => "png",
            OutputKind::Video => "mp4",
            OutputKind::Audio => "wav",
        }
    }

    /// Its MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            OutputKind::Image => "image/png",
            OutputKind::Video => "video/mp4",
            OutputKind::Audio => "audio/wav",
        }
    }
}

/// Where a task stands at some instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Waiting; `position` counts down to 0, `early` is the first half of the wait
    /// (mindproxy CREATED rather than SUBMITTED).
    Queued {
        /// Tasks ahead of this one (one per 250 ms of remaining queue time).
        position: u64,
        /// In the first half of the queued phase.
        early: bool,
    },
    /// Running.
    Running,
    /// Ended.
    Done(Outcome),
}

impl Phase {
    /// Whether the phase is terminal.
    pub fn is_terminal(self) -> bool {
        matches!(self, Phase::Done(_))
    }
}

/// One request made about a task, for `/__sim/stats`.
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// When it arrived (epoch ms).
    pub t_ms: u64,
    /// The route class (`submit`, `status`, ...).
    pub route: &'static str,
    /// The HTTP status answered (0 when the connection was dropped without one).
    pub status: u16,
    /// The fault injected, if any.
    pub fault: Option<String>,
    /// The `x-sim-client` header of the request, when it had one.
    pub client: Option<String>,
}

/// At most this many requests are kept per task, so a long offline session stays small.
pub const MAX_REQUEST_LOG: usize = 1000;

/// A simulated task.
#[derive(Debug, Clone)]
pub struct Task {
    /// The dialect's task id.
    pub id: String,
    /// The dialect it was submitted through.
    pub dialect: Dialect,
    /// The model (apixo model, mirako operation, mindproxy public_model, queue endpoint).
    pub model: String,
    /// mindproxy `task_type` as submitted.
    pub task_type: Option<String>,
    /// Creation order within this run (after the last reset).
    pub seq: u64,
    /// Creation time (epoch ms).
    pub created_at_ms: u64,
    /// Length of the queued phase.
    pub queue_ms: u64,
    /// Length of the running phase.
    pub run_ms: u64,
    /// How it ends unless canceled first.
    pub outcome: Outcome,
    /// What it produces.
    pub output: OutputKind,
    /// When a cancel request took effect.
    pub canceled_at: Option<u64>,
    /// The reason given with the cancel.
    pub cancel_reason: Option<String>,
    /// Its remaining `_sim.faults`.
    pub faults: Vec<ScriptedFault>,
    /// Where its webhooks go.
    pub webhooks: Vec<WebhookTarget>,
    /// Extra copies of each terminal webhook.
    pub webhook_duplicates: u32,
    /// Send a stale live-state update after the terminal one.
    pub webhook_out_of_order: bool,
    /// `_sim.ref`.
    pub reference: Option<String>,
    /// The idempotency key it was created under.
    pub idempotency_key: Option<String>,
    /// The Host the submit came to, for absolute URLs.
    pub host: String,
    /// A per-task number reported as the result `seed`.
    pub result_seed: u64,
    /// Requests about it, in order (the first [`MAX_REQUEST_LOG`] of them).
    pub requests: Vec<RequestLog>,
    /// How many requests were made about it (also those past the log's cap).
    pub request_count: u64,
    /// Wakes the webhook sender when a cancel ends the task early.
    pub ended: Arc<Notify>,
    /// The submit body's `input` (or body) echoed in some status answers.
    pub input: Value,
}

impl Task {
    /// When the task reaches its terminal state.
    pub fn terminal_at(&self) -> u64 {
        self.canceled_at
            .unwrap_or(self.created_at_ms + self.queue_ms + self.run_ms)
    }

    /// When it started running.
    pub fn started_at(&self) -> u64 {
        self.created_at_ms + self.queue_ms
    }

    /// How long it ran: its planned run time, or less when a cancel ended it early (none
    /// when it was canceled while still queued).
    pub fn ran_ms(&self) -> u64 {
        self.terminal_at().saturating_sub(self.started_at())
    }

    /// Its phase at `now` (epoch ms).
    pub fn phase(&self, now: u64) -> Phase {
        if let Some(c) = self.canceled_at {
            if now >= c {
                return Phase::Done(Outcome::Canceled);
            }
        }
        let elapsed = now.saturating_sub(self.created_at_ms);
        if elapsed < self.queue_ms {
            let remaining = self.queue_ms - elapsed;
            Phase::Queued {
                position: (remaining - 1) / 250,
                early: elapsed * 2 < self.queue_ms,
            }
        } else if elapsed < self.queue_ms + self.run_ms {
            Phase::Running
        } else {
            Phase::Done(self.outcome)
        }
    }

    /// When it completed, if it has by `now`.
    pub fn completed_at(&self, now: u64) -> Option<u64> {
        let t = self.terminal_at();
        (now >= t).then_some(t)
    }

    /// The URL of its output file, served by this simulator.
    pub fn file_url(&self) -> String {
        format!(
            "http://{}/files/{}.{}",
            self.host,
            self.id,
            self.output.extension()
        )
    }

    /// The URL of its thumbnail (always a PNG).
    pub fn thumbnail_url(&self) -> String {
        format!("http://{}/files/{}.png", self.host, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn task(queue_ms: u64, run_ms: u64, outcome: Outcome) -> Task {
        Task {
            id: "t1".into(),
            dialect: Dialect::Queue,
            model: "m".into(),
            task_type: None,
            seq: 1,
            created_at_ms: 1000,
            queue_ms,
            run_ms,
            outcome,
            output: OutputKind::Image,
            canceled_at: None,
            cancel_reason: None,
            faults: vec![],
            webhooks: vec![],
            webhook_duplicates: 0,
            webhook_out_of_order: false,
            reference: None,
            idempotency_key: None,
            host: "h".into(),
            result_seed: 0,
            requests: vec![],
            request_count: 0,
            ended: Arc::new(Notify::new()),
            input: Value::Null,
        }
    }

    #[test]
    fn phases_follow_the_clock_and_position_decreases() {
        let mut t = task(1000, 500, Outcome::Failed);
        assert_eq!(
            t.phase(1000),
            Phase::Queued {
                position: 3,
                early: true
            }
        );
        assert_eq!(
            t.phase(1600),
            Phase::Queued {
                position: 1,
                early: false
            }
        );
        assert_eq!(
            t.phase(1999),
            Phase::Queued {
                position: 0,
                early: false
            }
        );
        assert_eq!(t.phase(2000), Phase::Running);
        assert_eq!(t.phase(2500), Phase::Done(Outcome::Failed));
        assert_eq!(t.completed_at(2499), None);
        t.canceled_at = Some(2100);
        assert_eq!(t.phase(2100), Phase::Done(Outcome::Canceled));
        assert_eq!(t.terminal_at(), 2100);
    }

    #[test]
    fn outcome_names_round_trip() {
        for o in [
            Outcome::Succeeded,
            Outcome::Failed,
            Outcome::Canceled,
            Outcome::TimedOut,
            Outcome::Expired,
            Outcome::Refunded,
            Outcome::RequestInvalid,
            Outcome::ContentBlocked,
            Outcome::InternalServerError,
        ] {
            assert_eq!(Outcome::parse(o.name()), Some(o));
        }
        assert_eq!(Outcome::parse("INFERENCE_TIMEOUT"), Some(Outcome::TimedOut));
        assert_eq!(Outcome::parse("nope"), None);
    }
}
