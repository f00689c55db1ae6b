//! Models and their duration distributions: how long a task of a given model runs, how
//! long it waits in the queue first, and which share of its status requests fail. Parsed
//! from `--model NAME=SPEC` and seeded with the built-in `sim-fast`, `sim-slow` and
//! `sim-flaky`; any other model name gets the default distribution.

use crate::config::ConfigError;
use crate::rng::Rng;

/// How a model's run time is drawn.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always this many milliseconds.
    Fixed(u64),
    /// Uniform between the two bounds (milliseconds, inclusive).
    Uniform(u64, u64),
    /// Log-normal with this median (milliseconds) and sigma (of the underlying normal).
    Lognormal {
        /// The median run time in milliseconds.
        median_ms: f64,
        /// The standard deviation of `ln(duration)`.
        sigma: f64,
    },
}

impl Distribution {
    /// One draw, in milliseconds (capped at one day so a wild sigma stays usable).
    pub fn sample(&self, rng: &mut Rng) -> u64 {
        match *self {
            Distribution::Fixed(ms) => ms,
            Distribution::Uniform(lo, hi) => rng.range(lo, hi),
            Distribution::Lognormal { median_ms, sigma } => {
                let v = median_ms * (sigma * rng.normal()).exp();
                v.clamp(0.0, 86_400_000.0) as u64
            }
        }
    }
}

/// A model: its run-time distribution, its queue phase and its built-in status fault rate.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    /// The run-time distribution.
    pub run: Distribution,
    /// The queued phase in milliseconds; `None` draws 0–20 % of the run time.
    pub queue_ms: Option<u64>,
    /// The share (0..1) of status requests answered with a transient fault.
    pub status_fault_rate: f64,
}

impl ModelSpec {
    /// The default for a model name nobody configured: uniform 1–3 s.
    pub fn default_model() -> Self {
        ModelSpec {
            run: Distribution::Uniform(1000, 3000),
            queue_ms: None,
            status_fault_rate: 0.0,
        }
    }

    /// Draws `(queue_ms, run_ms)` for one task.
    pub fn draw(&self, rng: &mut Rng) -> (u64, u64) {
        let run = self.run.sample(rng);
        let queue = match self.queue_ms {
            Some(q) => q,
            None => rng.range(0, run / 5),
        };
        (queue, run)
    }

    /// Parses `fixed:MS | uniform:MIN:MAX | lognormal:MEDIAN_MS:SIGMA`, optionally followed
    /// by `,queue=MS` and `,faults=RATE`.
    pub fn parse(spec: &str) -> Result<Self, ConfigError> {
        let bad = |why: &str| ConfigError::BadModel(format!("{spec:?}: {why}"));
        let mut parts = spec.split(',');
        let dist = parts.next().unwrap_or_default();
        let fields: Vec<&str> = dist.split(':').collect();
        let num = |s: &str| {
            s.trim()
                .parse::<u64>()
                .map_err(|_| bad("expected a whole number of ms"))
        };
        let run = match fields.as_slice() {
            ["fixed", ms] => Distribution::Fixed(num(ms)?),
            ["uniform", lo, hi] => {
                let (lo, hi) = (num(lo)?, num(hi)?);
                if hi < lo {
                    return Err(bad("uniform MAX is below MIN"));
                }
                Distribution::Uniform(lo, hi)
            }
            ["lognormal", median, sigma] => {
                let median_ms = num(median)? as f64;
                let sigma: f64 = sigma
                    .trim()
                    .parse()
                    .map_err(|_| bad("SIGMA is not a number"))?;
                if !sigma.is_finite() || sigma < 0.0 {
                    return Err(bad("SIGMA must be a non-negative number"));
                }
                Distribution::Lognormal { median_ms, sigma }
            }
            _ => {
                return Err(bad(
                    "expected fixed:MS, uniform:MIN:MAX or lognormal:MEDIAN_MS:SIGMA",
                ))
            }
        };
        let mut model = ModelSpec {
            run,
            queue_ms: None,
            status_fault_rate: 0.0,
        };
        for opt in parts {
            match opt.split_once('=') {
                Some(("queue", v)) => model.queue_ms = Some(num(v)?),
                Some(("faults", v)) => {
                    let rate: f64 = v
                        .trim()
                        .parse()
                        .map_err(|_| bad("faults= is not a number"))?;
                    if !(0.0..=1.0).contains(&rate) {
                        return Err(bad("faults= must be between 0 and 1"));
                    }
                    model.status_fault_rate = rate;
                }
                _ => {
                    return Err(bad(
                        "options after the distribution are queue=MS or faults=RATE",
                    ))
                }
            }
        }
        Ok(model)
    }
}

/// The built-in models: `sim-fast` (fixed 1500 ms), `sim-slow` (uniform 8–20 s) and
/// `sim-flaky` (uniform 2–5 s, 20 % of status requests fault).
pub fn builtin_models() -> Vec<(String, ModelSpec)> {
    vec![
        (
            "sim-fast".into(),
            ModelSpec {
                run: Distribution::Fixed(1500),
                queue_ms: Some(0),
                status_fault_rate: 0.0,
            },
        ),
        (
            "sim-slow".into(),
            ModelSpec {
                run: Distribution::Uniform(8000, 20_000),
                queue_ms: None,
                status_fault_rate: 0.0,
            },
        ),
        (
            "sim-flaky".into(),
            ModelSpec {
                run: Distribution::Uniform(2000, 5000),
                queue_ms: None,
                status_fault_rate: 0.2,
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_form() {
        assert_eq!(
            ModelSpec::parse("fixed:200").unwrap().run,
            Distribution::Fixed(200)
        );
        let m = ModelSpec::parse("uniform:100:300,queue=50,faults=0.5").unwrap();
        assert_eq!(m.run, Distribution::Uniform(100, 300));
        assert_eq!(m.queue_ms, Some(50));
        assert_eq!(m.status_fault_rate, 0.5);
        assert!(matches!(
            ModelSpec::parse("lognormal:1000:0.5").unwrap().run,
            Distribution::Lognormal { .. }
        ));
        for bad in [
            "",
            "fixed",
            "fixed:x",
            "uniform:5:1",
            "lognormal:1:-1",
            "fixed:1,queue",
            "fixed:1,faults=2",
        ] {
            let err = ModelSpec::parse(bad).unwrap_err();
            assert_eq!(err.code(), "bad_model", "{bad}");
        }
    }

    #[test]
    fn draws_stay_in_range_and_lognormal_centres_on_median() {
        let mut rng = Rng::new(3);
        let u = ModelSpec::parse("uniform:100:200,queue=7").unwrap();
        for _ in 0..1000 {
            let (q, r) = u.draw(&mut rng);
            assert_eq!(q, 7);
            assert!((100..=200).contains(&r));
        }
        let l = ModelSpec::parse("lognormal:1000:0.5").unwrap();
        let mut v: Vec<u64> = (0..2001).map(|_| l.run.sample(&mut rng)).collect();
        v.sort_unstable();
        assert!((800..1250).contains(&v[1000]), "median {}", v[1000]);
    }
}
