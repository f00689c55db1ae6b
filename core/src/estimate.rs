//! Per-model duration estimates learned online from finished tasks, used to poll near the
//! expected end and to fill `etaMs`. Durations are modelled as log-normal: the estimate
//! keeps a running mean and variance of `ln(duration)`. A sample's weight is
//! `max(1/n, min(ALPHA, 1 - exp(-Δt/τ)))` with `Δt` the time since the model's previous
//! sample: tasks that finish close together (a batch, which ends in order of duration)
//! are averaged plainly, so the estimate does not follow only the last, longest
//! finishers; samples spread over minutes or sessions still follow drift. The shell can
//! persist them with [`Estimates::export`] / [`Estimates::import`].

use crate::vecmap::VecMap;

/// What is known about one model's durations.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// Finished tasks seen.
    pub count: u32,
    /// Mean of `ln(duration_ms)`.
    pub log_mean: f64,
    /// Variance of `ln(duration_ms)`.
    pub log_var: f64,
}

impl Estimate {
    /// The median duration in ms.
    pub fn median_ms(&self) -> u64 {
        self.log_mean.exp().round() as u64
    }

    /// The duration at `z` standard deviations (in log space) from the median, in ms.
    pub fn quantile_ms(&self, z: f64) -> u64 {
        let sd = self.log_var.max(0.0).sqrt();
        (self.log_mean + z * sd).exp().round().min(1e12) as u64
    }
}

/// One exported estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct EstimateEntry {
    /// The model / operation / endpoint key.
    pub key: String,
    /// The estimate.
    pub estimate: Estimate,
}

/// Estimates by model key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimates {
    map: VecMap<String, Slot>,
}

/// One model's estimate and when it last learned (not exported: after an import the
/// next sample counts as one after a long gap).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Slot {
    est: Estimate,
    last_ms: Option<u64>,
}

/// Samples averaged plainly whatever their spacing.
const WARMUP: u32 = 8;
/// Largest weight of a new sample after warm-up (a sample after a long gap).
const ALPHA: f64 = 0.15;
/// Time constant of the weighting: samples this far apart weigh about `ALPHA`'s worth,
/// samples a batch apart (milliseconds to seconds) almost nothing beyond `1/n`.
const TAU_MS: f64 = 300_000.0;
/// Models remembered at most (the least-seen is dropped beyond it).
const MAX_KEYS: usize = 256;

impl Estimates {
    /// No estimates.
    pub fn new() -> Self {
        Estimates::default()
    }

    /// The estimate for `key`, if any task of it finished.
    pub fn get(&self, key: &str) -> Option<&Estimate> {
        self.map.get(key).map(|s| &s.est)
    }

    /// Learns one finished task's duration (ignored when 0 or absurd), without a time:
    /// weighted as a sample after a long gap.
    pub fn observe(&mut self, key: &str, duration_ms: u64) {
        self.learn(key, duration_ms, None)
    }

    /// Learns one finished task's duration seen at `now` (epoch ms). Samples close in
    /// time are averaged plainly (see the module doc).
    pub fn observe_at(&mut self, key: &str, duration_ms: u64, now: u64) {
        self.learn(key, duration_ms, Some(now))
    }

    fn learn(&mut self, key: &str, duration_ms: u64, now: Option<u64>) {
        if duration_ms == 0 || duration_ms > 30 * 24 * 3600 * 1000 {
            return;
        }
        let x = (duration_ms as f64).ln();
        if !self.map.contains_key(key) && self.map.len() >= MAX_KEYS {
            // The first of the least-seen (plain loops here and in `export`: iterator
            // chains cost the wasm an instantiation each, issue 7).
            let mut least: Option<(&String, u32)> = None;
            for (k, s) in self.map.entries() {
                if least.is_none_or(|(_, n)| s.est.count < n) {
                    least = Some((k, s.est.count));
                }
            }
            if let Some(k) = least.map(|(k, _)| k.clone()) {
                self.map.remove(&k);
            }
        }
        let slot = self.map.get_or_insert_with(key.to_owned(), || Slot {
            est: Estimate {
                count: 0,
                log_mean: x,
                log_var: 0.0,
            },
            last_ms: None,
        });
        let recency = match (slot.last_ms, now) {
            (Some(last), Some(now)) => {
                (1.0 - (-(now.saturating_sub(last) as f64) / TAU_MS).exp()).min(ALPHA)
            }
            _ => ALPHA,
        };
        if now.is_some() {
            slot.last_ms = now;
        }
        let e = &mut slot.est;
        e.count = e.count.saturating_add(1);
        let a = if e.count <= WARMUP {
            1.0 / f64::from(e.count)
        } else {
            recency.max(1.0 / f64::from(e.count))
        };
        let d = x - e.log_mean;
        e.log_mean += a * d;
        e.log_var = (1.0 - a) * (e.log_var + a * d * d);
    }

    /// Every estimate, for persisting.
    pub fn export(&self) -> Vec<EstimateEntry> {
        let mut all = Vec::with_capacity(self.map.len());
        for (k, s) in self.map.entries() {
            all.push(EstimateEntry {
                key: k.clone(),
                estimate: s.est,
            });
        }
        all
    }

    /// Loads persisted estimates (entries with non-finite numbers are skipped).
    pub fn import(&mut self, entries: Vec<EstimateEntry>) {
        for en in entries {
            let e = en.estimate;
            if e.log_mean.is_finite() && e.log_var.is_finite() && e.log_var >= 0.0 && e.count > 0 {
                if self.map.len() >= MAX_KEYS && !self.map.contains_key(&en.key) {
                    continue;
                }
                self.map.insert(
                    en.key,
                    Slot {
                        est: e,
                        last_ms: None,
                    },
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn learns_median_and_spread() {
        let mut es = Estimates::new();
        for d in [4000, 5000, 6000, 5000, 5000] {
            es.observe("m", d);
        }
        let e = es.get("m").expect("observed");
        assert!((4800..5200).contains(&e.median_ms()), "{}", e.median_ms());
        assert!(e.quantile_ms(2.0) > e.median_ms());
        es.observe("m", 0);
        assert_eq!(es.get("m").expect("still").count, 5);
        let mut other = Estimates::new();
        other.import(es.export());
        assert_eq!(other, es);
        other.import(vec![EstimateEntry {
            key: "bad".into(),
            estimate: Estimate {
                count: 1,
                log_mean: f64::NAN,
                log_var: 0.0,
            },
        }]);
        assert!(other.get("bad").is_none());
    }

    /// A batch of 250 tasks of a 20 s model (log-normal, σ 0.2) ends in order of
    /// duration within ~15 s: the estimate is their plain mean, not the last finishers'.
    #[test]
    fn a_batch_in_finishing_order_keeps_the_median() {
        let mut durations: Vec<u64> = (0..250)
            .map(|i| {
                // deterministic normal quantiles of a 250-task sample
                let p = (f64::from(i) + 0.5) / 250.0;
                (20_000.0 * (0.2 * probit(p)).exp()) as u64
            })
            .collect();
        durations.sort_unstable();
        let mut es = Estimates::new();
        let start = 1_700_000_000_000u64;
        for d in &durations {
            es.observe_at("m", *d, start + d);
        }
        let e = es.get("m").expect("observed");
        assert!(
            (19_000..21_000).contains(&e.median_ms()),
            "{}",
            e.median_ms()
        );
        let sd = e.log_var.sqrt();
        assert!((0.15..0.25).contains(&sd), "{sd}");
        // the same samples a minute apart each: drift-following weights, later ones count more
        let mut spread = Estimates::new();
        for (i, d) in durations.iter().enumerate() {
            spread.observe_at("m", *d, start + i as u64 * 60_000);
        }
        assert!(spread.get("m").expect("observed").median_ms() > 25_000);
    }

    /// The standard normal quantile, from the logistic approximation of its CDF
    /// (`Φ(x) ≈ 1 / (1 + exp(-1.702 x))`): close enough for a test sample.
    fn probit(p: f64) -> f64 {
        (p / (1.0 - p)).ln() / 1.702
    }

    #[test]
    fn forgets_the_first_least_seen_model() {
        let mut e = Estimates::new();
        let key = |i: usize| format!("m{i:03}");
        for i in 0..MAX_KEYS {
            for _ in 0..(if i % 7 == 3 { 1 } else { 2 }) {
                e.observe(&key(i), 1000);
            }
        }
        e.observe("new", 1000);
        assert!(e.get("new").is_some());
        assert!(
            e.get(&key(3)).is_none(),
            "the first model seen once is forgotten"
        );
        assert!(e.get(&key(10)).is_some());
        assert_eq!(e.export().len(), MAX_KEYS);
    }

    #[test]
    fn follows_drift() {
        let mut es = Estimates::new();
        for _ in 0..20 {
            es.observe("m", 2000);
        }
        for _ in 0..30 {
            es.observe("m", 20_000);
        }
        assert!(es.get("m").expect("observed").median_ms() > 15_000);
    }
}
