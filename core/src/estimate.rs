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
        exp(self.log_mean).round() as u64
    }

    /// The duration at `z` standard deviations (in log space) from the median, in ms.
    pub fn quantile_ms(&self, z: f64) -> u64 {
        let sd = self.log_var.max(0.0).sqrt();
        exp(self.log_mean + z * sd).round().min(1e12) as u64
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

/// ln 2 in two parts, the first with its low bits zero, so `k·LN2_HI` is exact for the
/// `k` of [`ln`] and [`exp`].
const LN2_HI: f64 = 6.931_471_803_691_238e-1;
const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;

/// `ln x` for a duration in ms (x ≥ 1 as used; 0 gives −∞, a negative number NaN, ∞ itself) to within a few
/// units in the last place of `f64::ln`: `x = 2^k·m` with √½ ≤ m < √2 from its bits, then
/// `ln m = 2·atanh(s)`, `s = (m − 1)/(m + 1)`, by its series to s^25 (|s| ≤ 0.172).
/// libm's `log` is larger, as its `exp` is (below).
fn ln(x: f64) -> f64 {
    if x.is_nan() || x < 0.0 {
        return f64::NAN;
    }
    if x == 0.0 || x.is_infinite() {
        return if x == 0.0 { f64::NEG_INFINITY } else { x };
    }
    let (mut k, mut bits) = (0i64, x.to_bits());
    if bits >> 52 == 0 {
        // subnormal: scale into the normal range first
        bits = (x * f64::from_bits(0x4350_0000_0000_0000)).to_bits(); // 2^54
        k = -54;
    }
    k += (bits >> 52) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1 << 52) - 1)) | (1023 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        k += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let (mut term, mut sum, mut n) = (s, 0.0, 1.0);
    while n < 26.0 {
        sum += term / n;
        term *= s2;
        n += 2.0;
    }
    let k = k as f64;
    (k * LN2_HI + 2.0 * sum) + k * LN2_LO
}

/// `e^x` to within a few units in the last place of `f64::exp`, for durations in ms and
/// recency weights: `x = k·ln 2 + r` with |r| ≤ ln 2 / 2, `e^r` by its Taylor series to
/// degree 13 (truncation under 1e-17), times `2^k` built from its bits. Below −708 it is 0
/// (`f64::exp` gives subnormals down to −745), above 709 infinity. libm's `exp`, which
/// `f64::exp` links on wasm, costs ≈ 460 B gzip of the client build.
fn exp(x: f64) -> f64 {
    if x.is_nan() || x > 709.0 {
        return x + f64::INFINITY;
    }
    if x < -708.0 {
        return 0.0;
    }
    let k = (x * std::f64::consts::LOG2_E + 0.5).floor();
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let (mut term, mut sum, mut i) = (1.0, 1.0, 1.0);
    while i < 14.0 {
        term *= r / i;
        sum += term;
        i += 1.0;
    }
    // -1021 <= k <= 1023 here, so 2^k is a normal f64.
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

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
        let x = ln(duration_ms as f64);
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
                (1.0 - exp(-(now.saturating_sub(last) as f64) / TAU_MS)).min(ALPHA)
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
    #[test]
    fn ln_is_std_ln_to_a_few_ulp() {
        let mut x = 1e-300_f64;
        while x < 1e300 {
            for y in [
                x,
                x * 1.000_000_1,
                x * (std::f64::consts::SQRT_2 - 1e-9),
                x * (std::f64::consts::SQRT_2 + 1e-9),
                1.0 + x.min(1.0) * 1e-3,
            ] {
                let (ours, std) = (super::ln(y), y.ln());
                assert!(
                    (ours - std).abs() <= 4.0 * f64::EPSILON * std.abs().max(1e-300),
                    "ln({y}) = {ours}, std {std}"
                );
            }
            x *= 1.37;
        }
        for d in [1u64, 2, 999, 1000, 6000, 20_000, 86_400_000] {
            let y = d as f64;
            assert!((super::ln(y) - y.ln()).abs() <= 4.0 * f64::EPSILON * y.ln().max(1.0));
        }
        assert_eq!(super::ln(1.0), 0.0);
        assert_eq!(super::ln(0.0), f64::NEG_INFINITY);
        assert!(super::ln(-1.0).is_nan());
        assert!(super::ln(5e-324) < -744.0);
        assert_eq!(super::ln(f64::INFINITY), f64::INFINITY);
        assert!(super::ln(f64::NAN).is_nan());
    }

    #[test]
    fn exp_is_std_exp_to_a_few_ulp() {
        let mut x = -708.0;
        while x < 709.0 {
            for y in [x, x + 1e-9, -x * 1e-3, x * 1e-7] {
                let (ours, std) = (super::exp(y), y.exp());
                assert!(
                    ((ours - std) / std).abs() <= 4.0 * f64::EPSILON,
                    "exp({y}) = {ours}, std {std}"
                );
            }
            x += 0.0137;
        }
        assert_eq!(super::exp(0.0), 1.0);
        assert_eq!(super::exp(-800.0), 0.0);
        assert_eq!(super::exp(800.0), f64::INFINITY);
        assert!(super::exp(f64::NAN).is_nan());
    }

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
