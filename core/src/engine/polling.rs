//! How long to sleep before the next status request: the backoff schedule, the
//! adaptive delay from a task's running time and the learned per-model estimates,
//! clamped to the operation's deadline.

use super::{Engine, Op, RUNNING_DELAY_DIVISOR};
use crate::config::TaskRef;
use crate::estimate::Estimates;
use crate::state::TaskState;

impl Engine {
    pub(super) fn estimate_key(&self, t: &TaskRef) -> String {
        estimate_key(&self.rq.profile.name, t)
    }

    /// How long to sleep before the next poll of the live task of `op`, which may be one
    /// of `self.ops` (borrowed apart from the estimates, so it is not moved out and back).
    pub(super) fn poll_delay(&self, op: &mut Op, now: u64) -> u64 {
        poll_delay(&self.estimates, &self.rq.profile.name, op, now)
    }

    /// Whether `op`'s task has run as long as its model's tasks almost never end before
    /// (the estimate's 1.5-sigma-early quantile): its next poll may well find the end.
    /// False without an estimate.
    pub(super) fn reached_expected_end(&self, op: &Op, now: u64) -> bool {
        let (Some(e), Some(t0)) = (
            self.estimates.get(&self.estimate_key(&op.task)),
            op.task.submitted_at,
        ) else {
            return false;
        };
        now >= t0.saturating_add(e.quantile_ms(EARLY_Z))
    }

    pub(super) fn eta(&self, task: &TaskRef, now: u64) -> Option<u64> {
        let e = self.estimates.get(&self.estimate_key(task))?;
        let t0 = task.submitted_at?;
        Some(t0.saturating_add(e.median_ms()).saturating_sub(now))
    }
}

/// Where "almost surely still running" ends: this many standard deviations (of the log
/// duration) below the model's median.
const EARLY_Z: f64 = -1.5;

/// The key of a task's duration estimate: the dialect and the model (or endpoint,
/// operation, task type).
fn estimate_key(profile: &str, t: &TaskRef) -> String {
    let m = t
        .model
        .as_deref()
        .or(t.endpoint.as_deref())
        .or(t.operation.as_deref())
        .or(t.task_type.as_deref())
        .unwrap_or("");
    format!("{profile}:{m}")
}

/// How long to sleep before the next poll of a live task (see [`Engine::poll_delay`]).
pub(super) fn poll_delay(estimates: &Estimates, profile: &str, op: &mut Op, now: u64) -> u64 {
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
            estimates.get(&estimate_key(profile, &op.task)),
            op.task.submitted_at,
        ) {
            // Sleep through the time the task almost surely still runs, then poll
            // densely (backoff restarted) around the expected end.
            let early = t0.saturating_add(e.quantile_ms(EARLY_Z));
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
