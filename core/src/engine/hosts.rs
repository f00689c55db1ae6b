//! The per-host budget for status requests: at most N in flight, optionally at most M
//! started per second, and a pause for every task on the host after a 429 with
//! `Retry-After`. Operations that cannot send wait in the host's queue: result reads
//! first, then status polls, each in arrival order.

use super::OpId;
use crate::config::Limits;
use std::collections::VecDeque;

/// One host's budget.
#[derive(Debug, Default)]
pub(crate) struct Host {
    /// Status requests in flight.
    pub(crate) in_flight: u32,
    /// No status requests before this time (a 429's Retry-After).
    pub(crate) paused_until: u64,
    /// Start times of the status requests of the last second (sliding window).
    recent: VecDeque<u64>,
    /// Operations waiting for a slot: result reads, then status polls, oldest first.
    pub(crate) queue: VecDeque<OpId>,
    /// When a queue blocked by time (pause or rate cap) may move again.
    pub(crate) wake_at: Option<u64>,
    /// Most status requests ever in flight at once (for tests and benchmarks).
    pub(crate) peak_in_flight: u32,
}

impl Host {
    /// When a status request could start: `Some(now)` if it can now, `Some(t)` if time
    /// must pass first, `None` if it waits for a request in flight to end.
    pub(crate) fn ready_at(&mut self, now: u64, limits: &Limits) -> Option<u64> {
        if self.paused_until > now {
            return Some(self.paused_until);
        }
        if self.in_flight >= limits.max_in_flight_per_host.max(1) {
            return None;
        }
        if let Some(cap) = limits.max_per_second {
            while self
                .recent
                .front()
                .is_some_and(|t| t.saturating_add(1000) <= now)
            {
                self.recent.pop_front();
            }
            if self.recent.len() >= cap.max(1) as usize {
                return self.recent.front().map(|t| t.saturating_add(1000));
            }
        }
        Some(now)
    }

    /// Counts a status request started at `now`.
    pub(crate) fn started(&mut self, now: u64, limits: &Limits) {
        self.in_flight += 1;
        if limits.max_per_second.is_some() {
            self.recent.push_back(now);
        }
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
    }

    /// Counts a status request ended.
    pub(crate) fn ended(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// Pauses the host until `until` (never shortens a pause).
    pub(crate) fn pause(&mut self, until: u64) {
        self.paused_until = self.paused_until.max(until);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_pauses() {
        let limits = Limits {
            max_in_flight_per_host: 2,
            max_per_second: Some(3),
        };
        let mut h = Host::default();
        assert_eq!(h.ready_at(0, &limits), Some(0));
        h.started(0, &limits);
        h.started(0, &limits);
        assert_eq!(h.ready_at(0, &limits), None);
        h.ended();
        assert_eq!(h.ready_at(10, &limits), Some(10));
        h.started(10, &limits);
        h.ended();
        h.ended();
        // three started in the last second: the next may start when the oldest is 1 s old
        assert_eq!(h.ready_at(20, &limits), Some(1000));
        assert_eq!(h.ready_at(1000, &limits), Some(1000));
        h.started(1000, &limits);
        assert_eq!(h.ready_at(1001, &limits), Some(1001));
        assert_eq!(h.ready_at(1010, &limits), Some(1010));
        h.pause(5000);
        h.pause(3000);
        assert_eq!(h.ready_at(1200, &limits), Some(5000));
        assert_eq!(h.peak_in_flight, 2);
    }
}
