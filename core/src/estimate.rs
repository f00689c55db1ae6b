//! Per-model duration estimates learned online from finished tasks, used to poll near the
//! expected end and to fill `etaMs`. Durations are modelled as log-normal: the estimate
//! keeps a running mean and variance of `ln(duration)` (plain averages for the first
//! samples, then an exponentially weighted average so it follows drift). The shell can
//! persist them with [`Estimates::export`] / [`Estimates::import`].

use crate::engine::vecmap::VecMap;
use serde::{Deserialize, Serialize};

/// What is known about one model's durations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EstimateEntry {
    /// The model / operation / endpoint key.
    pub key: String,
    /// The estimate.
    #[serde(flatten)]
    pub estimate: Estimate,
}

/// Estimates by model key.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Estimates {
    map: VecMap<String, Estimate>,
}

/// Samples after which the average becomes exponentially weighted.
const WARMUP: u32 = 8;
/// Weight of a new sample after warm-up.
const ALPHA: f64 = 0.15;
/// Models remembered at most (the least-seen is dropped beyond it).
const MAX_KEYS: usize = 256;

impl Estimates {
    /// No estimates.
    pub fn new() -> Self {
        Estimates::default()
    }

    /// The estimate for `key`, if any task of it finished.
    pub fn get(&self, key: &str) -> Option<&Estimate> {
        self.map.get(key)
    }

    /// Learns one finished task's duration (ignored when 0 or absurd).
    pub fn observe(&mut self, key: &str, duration_ms: u64) {
        if duration_ms == 0 || duration_ms > 30 * 24 * 3600 * 1000 {
            return;
        }
        let x = (duration_ms as f64).ln();
        if !self.map.contains_key(key) && self.map.len() >= MAX_KEYS {
            if let Some(k) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.count)
                .map(|(k, _)| k.clone())
            {
                self.map.remove(&k);
            }
        }
        let e = self.map.get_or_insert_with(key.to_owned(), || Estimate {
            count: 0,
            log_mean: x,
            log_var: 0.0,
        });
        e.count = e.count.saturating_add(1);
        let a = if e.count <= WARMUP {
            1.0 / f64::from(e.count)
        } else {
            ALPHA
        };
        let d = x - e.log_mean;
        e.log_mean += a * d;
        e.log_var = (1.0 - a) * (e.log_var + a * d * d);
    }

    /// Every estimate, for persisting.
    pub fn export(&self) -> Vec<EstimateEntry> {
        self.map
            .iter()
            .map(|(k, e)| EstimateEntry {
                key: k.clone(),
                estimate: *e,
            })
            .collect()
    }

    /// Loads persisted estimates (entries with non-finite numbers are skipped).
    pub fn import(&mut self, entries: Vec<EstimateEntry>) {
        for en in entries {
            let e = en.estimate;
            if e.log_mean.is_finite() && e.log_var.is_finite() && e.log_var >= 0.0 && e.count > 0 {
                if self.map.len() >= MAX_KEYS && !self.map.contains_key(&en.key) {
                    continue;
                }
                self.map.insert(en.key, e);
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
