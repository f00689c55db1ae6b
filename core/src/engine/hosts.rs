//! The per-host budget for status requests: at most N in flight, optionally at most M
//! started per second, and a pause for every task on the host after a 429 with
//! `Retry-After`. Operations that cannot send wait in the host's [`Lanes`]: result reads
//! first, then polls of tasks near their expected end, then the other polls.

use super::OpId;
use crate::config::Limits;

/// One host's budget.
#[derive(Debug, Default)]
pub(crate) struct Host {
    /// Status requests in flight.
    pub(crate) in_flight: u32,
    /// No status requests before this time (a 429's Retry-After).
    pub(crate) paused_until: u64,
    /// Start times of the status requests of the last second (sliding window).
    recent: Fifo<u64>,
    /// Operations waiting for a slot.
    pub(crate) queue: Lanes,
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

/// A first-in, first-out queue of small `Copy` values: a `Vec` and the place of its front,
/// moved back to the start once the front is past the middle (so each value is copied
/// once more at most, on average). `VecDeque`'s ring costs the wasm more (issue 7).
#[derive(Debug)]
pub(crate) struct Fifo<T> {
    items: Vec<T>,
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Fifo {
            items: Vec::new(),
            head: 0,
        }
    }
}

impl<T: Copy> Fifo<T> {
    /// Queues `x` last.
    pub(crate) fn push_back(&mut self, x: T) {
        self.items.push(x);
    }

    /// The first value.
    pub(crate) fn front(&self) -> Option<T> {
        self.items.get(self.head).copied()
    }

    /// Takes the first value.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        let x = self.front()?;
        self.head += 1;
        if self.head * 2 >= self.items.len() {
            self.items.copy_within(self.head.., 0);
            self.items.truncate(self.items.len() - self.head);
            self.head = 0;
        }
        Some(x)
    }

    /// How many values wait.
    pub(crate) fn len(&self) -> usize {
        self.items.len() - self.head
    }

    /// Whether none waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which lane a waiting operation goes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lane {
    /// A result read: it finishes a task already seen done.
    Result,
    /// A poll of a task that has run at least as long as its model's duration estimate
    /// says tasks almost never end before: it is likely to find the end.
    Likely,
    /// Any other poll (no estimate yet, or the task is almost surely still running).
    Other,
}

/// Operations waiting for a status slot, in three lanes, each oldest first. Result reads
/// go first; then polls likely to find the end, except that every [`OTHER_SHARE`]-th slot
/// goes to the other polls while both wait, so none of them starves.
///
/// Why: when a batch asks for more polls than the host's budget serves (10,000 waits with
/// 16 in flight), one queue in arrival order made the polls of tasks about to end wait
/// behind thousands that could not find anything yet; their detection latency was the
/// length of that queue (seconds), not the schedule's.
#[derive(Debug, Default)]
pub(crate) struct Lanes {
    results: Fifo<OpId>,
    likely: Fifo<OpId>,
    other: Fifo<OpId>,
    /// `Likely` slots given in a row while `other` waited.
    likely_run: u32,
}

/// While both poll lanes wait, one slot in this many goes to [`Lane::Other`].
pub(crate) const OTHER_SHARE: u32 = 4;

impl Lanes {
    /// Queues `id` at the back of its lane.
    pub(crate) fn push(&mut self, id: OpId, lane: Lane) {
        match lane {
            Lane::Result => self.results.push_back(id),
            Lane::Likely => self.likely.push_back(id),
            Lane::Other => self.other.push_back(id),
        }
    }

    /// Whether nothing waits.
    pub(crate) fn is_empty(&self) -> bool {
        self.results.is_empty() && self.likely.is_empty() && self.other.is_empty()
    }

    /// The lane the next slot goes to, if anything waits.
    fn next(&self) -> Option<Lane> {
        if !self.results.is_empty() {
            return Some(Lane::Result);
        }
        match (self.likely.is_empty(), self.other.is_empty()) {
            (true, true) => None,
            (false, true) => Some(Lane::Likely),
            (true, false) => Some(Lane::Other),
            (false, false) if self.likely_run + 1 >= OTHER_SHARE => Some(Lane::Other),
            (false, false) => Some(Lane::Likely),
        }
    }

    fn lane(&self, lane: Lane) -> &Fifo<OpId> {
        match lane {
            Lane::Result => &self.results,
            Lane::Likely => &self.likely,
            Lane::Other => &self.other,
        }
    }

    /// The operation the next slot goes to.
    pub(crate) fn front(&self) -> Option<OpId> {
        self.lane(self.next()?).front()
    }

    /// Takes the operation [`Lanes::front`] named.
    pub(crate) fn pop_front(&mut self) -> Option<OpId> {
        let lane = self.next()?;
        match lane {
            Lane::Likely if !self.other.is_empty() => self.likely_run += 1,
            Lane::Other => self.likely_run = 0,
            _ => {}
        }
        match lane {
            Lane::Result => self.results.pop_front(),
            Lane::Likely => self.likely.pop_front(),
            Lane::Other => self.other.pop_front(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fifo_keeps_order_across_compactions() {
        let mut q = Fifo::default();
        let (mut next, mut want) = (0u64, 0u64);
        for round in 0..200 {
            for _ in 0..round % 7 {
                q.push_back(next);
                next += 1;
            }
            for _ in 0..round % 5 {
                if let Some(x) = q.pop_front() {
                    assert_eq!(x, want);
                    want += 1;
                }
            }
            assert_eq!(q.len() as u64, next - want);
            assert_eq!(q.front(), (want < next).then_some(want));
        }
        while let Some(x) = q.pop_front() {
            assert_eq!(x, want);
            want += 1;
        }
        assert!(q.is_empty() && want == next);
    }

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

    #[test]
    fn lanes_results_first_then_likely_with_a_share_for_the_rest() {
        let mut q = Lanes::default();
        for i in 0..6 {
            q.push(OpId(100 + i), Lane::Other);
            q.push(OpId(200 + i), Lane::Likely);
        }
        q.push(OpId(1), Lane::Result);
        let mut order = Vec::new();
        while let Some(front) = q.front() {
            assert_eq!(q.pop_front(), Some(front));
            order.push(front.0);
        }
        // the result read, then 3 likely polls per other one while both wait, oldest first
        assert_eq!(
            order,
            [1, 200, 201, 202, 100, 203, 204, 205, 101, 102, 103, 104, 105]
        );
        assert!(q.is_empty());
    }
}
