//! How long to sleep before the next status request: the backoff schedule, the
//! adaptive delay from a task's running time and the learned per-model estimates,
//! clamped to the operation's deadline.

use super::{Engine, Kind, Op, Phase};
use crate::config::TaskRef;
use crate::estimate::Estimates;
use crate::state::TaskState;
use crate::vecmap::VecMap;

impl Engine {
    pub(super) fn estimate_key(&self, t: &TaskRef) -> String {
        estimate_key(&self.rq.profile.name, t)
    }

    /// How long to sleep before the next poll of the live task of `op`, which may be one
    /// of `self.ops` (borrowed apart from the estimates, so it is not moved out and back).
    pub(super) fn poll_delay(&self, op: &mut Op, now: u64) -> u64 {
        poll_delay(
            &self.estimates,
            &self.waits_by_model,
            &self.rq.profile.name,
            op,
            now,
        )
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

    /// A model just got its first estimate: its waits asleep on a crowd's sparse schedule
    /// (up to a third of their running time, seconds) plan their next poll again by it, so
    /// the siblings of the first task to end are not seen that late.
    pub(super) fn replan_model(&mut self, now: u64, key: &str) {
        if self.waits_by_model.get(key).is_none_or(|n| *n <= SIBLINGS) {
            return;
        }
        let profile = &self.rq.profile.name;
        let asleep = self.ops_where(&|o| {
            o.kind == Kind::Wait && o.phase == Phase::Idle && estimate_key(profile, &o.task) == key
        });
        for &id in &asleep {
            let Some(op) = self.ops.get_mut(&id) else {
                continue;
            };
            let delay = poll_delay(&self.estimates, &self.waits_by_model, profile, op, now);
            let at = now.saturating_add(delay).min(op.deadline);
            if self.timers.at(id).is_none_or(|t| at < t) {
                self.timers.set(id, at);
            }
        }
    }

    pub(super) fn eta(&self, task: &TaskRef, now: u64) -> Option<u64> {
        let e = self.estimates.get(&self.estimate_key(task))?;
        let t0 = task.submitted_at?;
        Some(t0.saturating_add(e.median_ms()).saturating_sub(now))
    }
}

/// With `poll.adaptive`, a running task's poll delay is at most its running time over this.
const RUNNING_DELAY_DIVISOR: u64 = 10;
/// The running-time divisor of the delay cap for a task whose model has an estimate (so
/// it is polled only from near its expected end).
const NEAR_END_DELAY_DIVISOR: u64 = 12;
/// Other running waits of the same model beyond which a task without an estimate polls
/// at [`SIBLING_DELAY_DIVISOR`].
const SIBLINGS: u32 = 8;
/// The running-time divisor of the delay cap for a task with many siblings and no estimate.
const SIBLING_DELAY_DIVISOR: u64 = 3;

/// Where "almost surely still running" ends: this many standard deviations (of the log
/// duration) below the model's median.
const EARLY_Z: f64 = -1.5;

/// The key of a task's duration estimate: the dialect and the model (or endpoint,
/// operation, task type).
pub(super) fn estimate_key(profile: &str, t: &TaskRef) -> String {
    let m = t
        .model
        .as_deref()
        .or(t.endpoint.as_deref())
        .or(t.operation.as_deref())
        .or(t.task_type.as_deref())
        .unwrap_or("");
    crate::text::concat(&[profile, ":", m])
}

/// `⌊a·b/c⌋` for `a`, `b` and `c` below 2^36, in `u64`: a `u128` product and quotient
/// cost the wasm its 128-bit shift and division routines (≈ 0.5 KB, issue 7). Delays stay
/// far below that bound: every duration option is at most a year (< 2^35 ms), and a
/// jittered delay is at most its base plus one.
fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    // a·b = a·hi·2^18 + a·lo, each product below 2^54; the remainder of the first
    // quotient, shifted back, stays below 2^54 too.
    let (hi, lo) = (b >> 18, b & 0x3_ffff);
    let x = a * hi;
    ((x / c) << 18) + (((x % c) << 18) + a * lo) / c
}

/// `a.saturating_mul(b)` from the operands' bit lengths: `u64::saturating_mul` of two
/// variables links the 128-bit multiplication routine `__multi3` (issue 7), and so does a
/// check by division, which LLVM turns back into the same overflowing multiplication.
fn saturating_mul(a: u64, b: u64) -> u64 {
    match a.leading_zeros() + b.leading_zeros() {
        // The bit lengths add up to at most 64: the product fits.
        64.. => a * b,
        // To 65: the product is below 2^65. Half of it fits; double that if it can be.
        63 => {
            let half = (a >> 1) * b;
            if half >> 63 != 0 {
                u64::MAX
            } else {
                let odd = if a & 1 == 1 { b } else { 0 };
                (half << 1).saturating_add(odd)
            }
        }
        // 66 or more: at least 2^64.
        _ => u64::MAX,
    }
}

/// How long to sleep before the next poll of a live task (see [`Engine::poll_delay`]).
pub(super) fn poll_delay(
    estimates: &Estimates,
    waits_by_model: &VecMap<String, u32>,
    profile: &str,
    op: &mut Op,
    now: u64,
) -> u64 {
    let base = op.backoff.peek_base();
    let mut d = op.backoff.next().unwrap_or(op.poll.initial_delay_ms);
    if op.poll.adaptive {
        let key = estimate_key(profile, &op.task);
        // A running task may end at any moment: ×1.5 growth lets the delay reach half
        // the time it has run, so its end is seen up to 50 % late. Capping the delay
        // at a tenth of the running time (at least the initial delay) keeps detection
        // within ~10 % of the duration for about 10 requests per e-fold of it. The
        // jitter drawn for this step is kept.
        //
        // A task of a model with no estimate yet but many running siblings is capped at
        // a third instead: the first of them to end is seen later, but it teaches the
        // estimate the others then poll by. In a batch of 1,000 that is about a third
        // fewer requests at the same p95 detection latency (core/examples/polling_study.rs,
        // "Concurrent batches"); a lone task keeps a tenth. With an estimate the polls
        // only start near the expected end, where a twelfth keeps the p95 detection latency
        // under 10 % of the duration with room to spare (a tenth put it at 9–10 %).
        if let (Some(TaskState::Running), Some(r0)) =
            (op.last.as_ref().map(|u| u.state), op.running_from)
        {
            let crowd = waits_by_model.get(&key).is_some_and(|n| *n > SIBLINGS);
            let divisor = match (estimates.get(&key).is_some(), crowd) {
                (true, _) => NEAR_END_DELAY_DIVISOR,
                (false, true) => SIBLING_DELAY_DIVISOR,
                (false, false) => RUNNING_DELAY_DIVISOR,
            };
            let cap = (now.saturating_sub(r0) / divisor).max(op.poll.initial_delay_ms);
            if base > cap {
                d = mul_div(d, cap, base);
            }
        }
        if let (Some(e), Some(t0)) = (estimates.get(&key), op.task.submitted_at) {
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
                    let ahead = saturating_mul(per_position, p) / 10 * 7;
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

#[cfg(test)]
mod tests {
    use super::{mul_div, saturating_mul};

    #[test]
    fn saturating_mul_is_std() {
        let mut r = crate::rng::SplitMix64::new(3);
        let edges = [
            0,
            1,
            2,
            3,
            7,
            1 << 32,
            (1 << 32) - 1,
            u64::MAX / 2,
            u64::MAX / 3,
            u64::MAX,
        ];
        for &a in &edges {
            for &b in &edges {
                assert_eq!(saturating_mul(a, b), a.saturating_mul(b), "{a} {b}");
            }
        }
        for _ in 0..100_000 {
            let (a, b) = (
                r.next_u64() >> (r.next_u64() % 64),
                r.next_u64() >> (r.next_u64() % 64),
            );
            assert_eq!(saturating_mul(a, b), a.saturating_mul(b), "{a} {b}");
        }
    }

    #[test]
    fn mul_div_is_exact() {
        let mut r = crate::rng::SplitMix64::new(9);
        let year = 365 * 24 * 3600 * 1000u64;
        for _ in 0..100_000 {
            let c = r.next_u64() % year + 1;
            let a = r.next_u64() % (c + 2);
            let b = r.next_u64() % c;
            let want = (u128::from(a) * u128::from(b) / u128::from(c)) as u64;
            assert_eq!(mul_div(a, b, c), want, "{a} {b} {c}");
        }
        assert_eq!(mul_div(year + 1, year - 1, year), year - 1);
    }
}
