//! One timer queue for every operation: each operation has at most one pending wake-up,
//! and the engine asks the shell for a single timer at the earliest of them.

use super::OpId;
use crate::vecmap::VecMap;

/// Wake-ups by time, at most one per operation.
#[derive(Debug, Default)]
pub(crate) struct Timers {
    by_time: VecMap<(u64, OpId), ()>,
    by_op: VecMap<OpId, u64>,
}

impl Timers {
    /// Sets (or moves) `op`'s wake-up to `at`.
    pub(crate) fn set(&mut self, op: OpId, at: u64) {
        self.cancel(op);
        self.by_time.insert((at, op), ());
        self.by_op.insert(op, at);
    }

    /// Removes `op`'s wake-up, if any.
    pub(crate) fn cancel(&mut self, op: OpId) {
        if let Some(at) = self.by_op.remove(&op) {
            self.by_time.remove(&(at, op));
        }
    }

    /// When `op` wakes, if it has a wake-up.
    pub(crate) fn at(&self, op: OpId) -> Option<u64> {
        self.by_op.get(&op).copied()
    }

    /// The earliest wake-up.
    pub(crate) fn next(&self) -> Option<u64> {
        self.by_time.first().map(|((t, _), _)| *t)
    }

    /// Removes and returns the earliest operation due at or before `t`.
    pub(crate) fn pop_due(&mut self, t: u64) -> Option<OpId> {
        let &((at, op), ()) = self.by_time.first()?;
        if at > t {
            return None;
        }
        self.by_time.remove(&(at, op));
        self.by_op.remove(&op);
        Some(op)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_per_op_earliest_first() {
        let mut t = Timers::default();
        t.set(OpId(1), 50);
        t.set(OpId(2), 10);
        t.set(OpId(1), 5);
        assert_eq!(t.next(), Some(5));
        assert_eq!(t.pop_due(4), None);
        assert_eq!(t.pop_due(20), Some(OpId(1)));
        assert_eq!(t.pop_due(20), Some(OpId(2)));
        assert_eq!(t.pop_due(100), None);
        t.set(OpId(3), 1);
        t.cancel(OpId(3));
        assert_eq!(t.next(), None);
    }
}
