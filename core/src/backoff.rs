//! The polling and retry schedule: an [`Iterator`] of delays in milliseconds, growing by a
//! multiplier from an initial delay up to a maximum, each shortened by a random fraction
//! (`jitter`) drawn from a seeded generator so runs replay exactly. Built with `const fn
//! with_*` methods, as backon does.

use crate::rng::SplitMix64;

/// A backoff schedule's settings. `Backoff::new().with_initial_delay(200).with_jitter(0.0)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backoff {
    initial_ms: u64,
    multiplier: f64,
    max_ms: u64,
    jitter: f64,
    seed: u64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new()
    }
}

impl Backoff {
    /// 500 ms, ×1.5, at most 10 s, jitter 0.2, seed 0.
    pub const fn new() -> Self {
        Backoff {
            initial_ms: 500,
            multiplier: 1.5,
            max_ms: 10_000,
            jitter: 0.2,
            seed: 0,
        }
    }

    /// The first delay.
    pub const fn with_initial_delay(mut self, ms: u64) -> Self {
        self.initial_ms = ms;
        self
    }

    /// Growth per step (values below 1 act as 1).
    pub const fn with_multiplier(mut self, m: f64) -> Self {
        self.multiplier = m;
        self
    }

    /// The largest delay.
    pub const fn with_max_delay(mut self, ms: u64) -> Self {
        self.max_ms = ms;
        self
    }

    /// Each delay is shortened by up to this fraction (clamped to 0..=1).
    pub const fn with_jitter(mut self, j: f64) -> Self {
        self.jitter = j;
        self
    }

    /// The seed of the jitter.
    pub const fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The schedule from its first step.
    pub fn iter(&self) -> BackoffIter {
        BackoffIter {
            cfg: *self,
            current: self.initial_ms.min(self.max_ms) as f64,
            rng: SplitMix64::new(self.seed),
        }
    }
}

impl IntoIterator for Backoff {
    type Item = u64;
    type IntoIter = BackoffIter;
    fn into_iter(self) -> BackoffIter {
        self.iter()
    }
}

/// The delays of a [`Backoff`], endless (the caller's deadline bounds it).
#[derive(Debug, Clone)]
pub struct BackoffIter {
    cfg: Backoff,
    current: f64,
    rng: SplitMix64,
}

impl BackoffIter {
    /// Starts over from the initial delay (after progress, e.g. a state change).
    pub fn reset(&mut self) {
        self.current = self.cfg.initial_ms.min(self.cfg.max_ms) as f64;
    }

    /// The delay the next step would have before jitter.
    pub fn peek_base(&self) -> u64 {
        self.current as u64
    }
}

impl Iterator for BackoffIter {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        let base = self.current;
        let m = if self.cfg.multiplier.is_finite() && self.cfg.multiplier > 1.0 {
            self.cfg.multiplier
        } else {
            1.0
        };
        self.current = (base * m).min(self.cfg.max_ms as f64);
        let j = if self.cfg.jitter.is_finite() {
            self.cfg.jitter.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let d = base * (1.0 - j * self.rng.next_f64());
        Some(d.max(0.0).round() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_max_without_jitter() {
        let d: Vec<u64> = Backoff::new()
            .with_initial_delay(100)
            .with_multiplier(2.0)
            .with_max_delay(1000)
            .with_jitter(0.0)
            .into_iter()
            .take(6)
            .collect();
        assert_eq!(d, vec![100, 200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn jitter_is_seeded_and_bounded() {
        let b = Backoff::new()
            .with_initial_delay(1000)
            .with_multiplier(1.0)
            .with_jitter(0.5);
        let a: Vec<u64> = b.with_seed(1).into_iter().take(50).collect();
        let again: Vec<u64> = b.with_seed(1).into_iter().take(50).collect();
        let other: Vec<u64> = b.with_seed(2).into_iter().take(50).collect();
        assert_eq!(a, again);
        assert_ne!(a, other);
        assert!(a.iter().all(|d| (500..=1000).contains(d)));
        assert!(a.iter().any(|d| *d < 900));
    }

    #[test]
    fn odd_settings_do_not_break() {
        let mut it = Backoff::new()
            .with_multiplier(f64::NAN)
            .with_jitter(7.0)
            .with_initial_delay(50)
            .into_iter();
        assert!(it.next().expect("endless") <= 50);
        let mut it = Backoff::new()
            .with_initial_delay(20_000)
            .with_max_delay(100)
            .iter();
        assert!(it.next().expect("endless") <= 100);
        it.reset();
        assert_eq!(it.peek_base(), 100);
    }
}
