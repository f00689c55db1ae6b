//! The simulator's configuration: the command line (`tasklane-sim --help`) and its
//! defaults. Runtime changes arrive later through `POST /__sim/config` and
//! `POST /__sim/faults`; this module only builds the starting point.

use std::net::SocketAddr;

use crate::faults::{FaultKind, FaultRule, OnRoute};
use crate::models::{builtin_models, ModelSpec};
use crate::webhooks::WebhookSecret;

/// The usage text printed by `--help`.
pub const USAGE: &str = "\
tasklane-sim: a local simulator of the mirako, apixo, mindproxy and queue dialects

USAGE: tasklane-sim [OPTIONS]

  --addr HOST:PORT           listen address (default 127.0.0.1:8787; port 0 picks a free one);
                             a non-loopback HOST needs --public
  --public                   allow a non-loopback --addr (the /__sim control routes have no
                             auth: anyone who reaches the port can reconfigure the simulator)
  --api-key KEY              the Bearer key every dialect route requires (default sim-key)
  --seed N                   seed of every random draw (durations, faults, ids); default: from the clock
  --webhook-secret whsec_..  sign every webhook delivery (Standard Webhooks)
  --model NAME=SPEC          SPEC = fixed:MS | uniform:MIN:MAX | lognormal:MEDIAN_MS:SIGMA
                             [,queue=MS][,faults=RATE]  (repeatable)
  --fault-rate P             share (0..1) of requests that get one of --faults
  --faults K1,K2,..          429 429-date 500 502 503 504 slow reset truncated non_json
                             unknown_status drop (default 429,500,503 when --fault-rate is set)
  --fault-on ROUTES          routes the rate applies to: submit,status,result,cancel,events,files or * (default *)
  --allow-remote-webhooks    deliver webhooks to non-loopback hosts too
  --webhook-attempts N       delivery attempts per webhook message (default 4)
  --max-body-bytes N         request body cap, larger bodies get 413 (default 1048576)
  -h, --help                 this text
";

/// Why the command line (or a `/__sim/config` body) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A flag the simulator does not know.
    #[error("unknown option {0:?} (see --help)")]
    UnknownFlag(String),
    /// A flag given without its value.
    #[error("option {0} needs a value")]
    MissingValue(String),
    /// A value that does not parse.
    #[error("bad value for {flag}: {why}")]
    BadValue {
        /// The flag.
        flag: String,
        /// What was wrong.
        why: String,
    },
    /// A `--model` spec that does not parse.
    #[error("bad --model {0}")]
    BadModel(String),
    /// A fault kind or rule that does not parse.
    #[error("bad fault: {0}")]
    BadFault(String),
    /// A webhook secret that is not `whsec_<base64>`.
    #[error("bad webhook secret: {0}")]
    BadSecret(String),
    /// `--help` was asked for.
    #[error("help requested")]
    Help,
}

impl ConfigError {
    /// A stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::UnknownFlag(_) => "unknown_flag",
            ConfigError::MissingValue(_) => "missing_value",
            ConfigError::BadValue { .. } => "bad_value",
            ConfigError::BadModel(_) => "bad_model",
            ConfigError::BadFault(_) => "bad_fault",
            ConfigError::BadSecret(_) => "bad_secret",
            ConfigError::Help => "help",
        }
    }
}

/// Everything the simulator starts with.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The Bearer key every dialect route requires.
    pub api_key: String,
    /// The run seed; `None` takes one from the clock at start.
    pub seed: Option<u64>,
    /// The Standard Webhooks signing secret, if any.
    pub webhook_secret: Option<WebhookSecret>,
    /// Named models (later entries override earlier ones and the built-ins).
    pub models: Vec<(String, ModelSpec)>,
    /// Global fault rules in force at start and after `/__sim/reset`.
    pub fault_rules: Vec<FaultRule>,
    /// Deliver webhooks to non-loopback hosts too.
    pub allow_remote_webhooks: bool,
    /// Delivery attempts per webhook message (at least 1).
    pub webhook_attempts: u32,
    /// The first retry delay of a webhook delivery; it doubles on each further attempt.
    pub webhook_backoff_ms: u64,
    /// Request bodies larger than this get 413.
    pub max_body_bytes: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8787)),
            api_key: "sim-key".into(),
            seed: None,
            webhook_secret: None,
            models: builtin_models(),
            fault_rules: Vec::new(),
            allow_remote_webhooks: false,
            webhook_attempts: 4,
            webhook_backoff_ms: 100,
            max_body_bytes: 1 << 20,
        }
    }
}

impl Config {
    /// Parses command-line arguments (without the program name).
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Config, ConfigError> {
        let mut cfg = Config::default();
        let mut fault_rate: Option<f64> = None;
        let mut fault_kinds: Option<Vec<FaultKind>> = None;
        let mut fault_on = OnRoute::Any;
        let mut public = false;
        let mut it = args.into_iter();
        while let Some(flag) = it.next() {
            // Accept both `--flag value` and `--flag=value`.
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
                _ => (flag.clone(), None),
            };
            let mut value = |name: &str| -> Result<String, ConfigError> {
                match inline.clone() {
                    Some(v) => Ok(v),
                    None => it
                        .next()
                        .ok_or_else(|| ConfigError::MissingValue(name.to_string())),
                }
            };
            let bad = |flag: &str, why: &str| ConfigError::BadValue {
                flag: flag.into(),
                why: why.into(),
            };
            match name.as_str() {
                "-h" | "--help" => return Err(ConfigError::Help),
                "--addr" => {
                    let v = value(&name)?;
                    cfg.addr = v
                        .parse()
                        .map_err(|_| bad(&name, "expected HOST:PORT, e.g. 127.0.0.1:8787"))?;
                }
                "--api-key" => {
                    let v = value(&name)?;
                    if v.is_empty() || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                        return Err(bad(&name, "the key must be non-empty and without spaces"));
                    }
                    cfg.api_key = v;
                }
                "--seed" => {
                    let v = value(&name)?;
                    cfg.seed = Some(
                        v.parse()
                            .map_err(|_| bad(&name, "expected a whole number"))?,
                    );
                }
                "--webhook-secret" => {
                    cfg.webhook_secret = Some(WebhookSecret::parse(&value(&name)?)?)
                }
                "--model" => {
                    let v = value(&name)?;
                    let (model, spec) = v.split_once('=').ok_or_else(|| {
                        ConfigError::BadModel(format!("{v:?}: expected NAME=SPEC"))
                    })?;
                    if model.is_empty() {
                        return Err(ConfigError::BadModel(format!("{v:?}: empty model name")));
                    }
                    cfg.models
                        .push((model.to_string(), ModelSpec::parse(spec)?));
                }
                "--fault-rate" => {
                    let v = value(&name)?;
                    let p: f64 = v
                        .parse()
                        .map_err(|_| bad(&name, "expected a number between 0 and 1"))?;
                    if !(0.0..=1.0).contains(&p) {
                        return Err(bad(&name, "expected a number between 0 and 1"));
                    }
                    fault_rate = Some(p);
                }
                "--faults" => {
                    let v = value(&name)?;
                    let kinds = v
                        .split(',')
                        .filter(|s| !s.is_empty())
                        .map(FaultKind::parse)
                        .collect::<Result<Vec<_>, _>>()?;
                    if kinds.is_empty() {
                        return Err(ConfigError::BadFault("--faults lists no kind".into()));
                    }
                    fault_kinds = Some(kinds);
                }
                "--fault-on" => fault_on = OnRoute::parse(&value(&name)?)?,
                "--allow-remote-webhooks" => cfg.allow_remote_webhooks = true,
                "--public" => public = true,
                "--webhook-attempts" => {
                    let v = value(&name)?;
                    let n: u32 = v
                        .parse()
                        .map_err(|_| bad(&name, "expected a whole number"))?;
                    if n == 0 || n > 20 {
                        return Err(bad(&name, "expected 1..=20"));
                    }
                    cfg.webhook_attempts = n;
                }
                "--max-body-bytes" => {
                    let v = value(&name)?;
                    cfg.max_body_bytes = v
                        .parse()
                        .map_err(|_| bad(&name, "expected a whole number"))?;
                }
                other => return Err(ConfigError::UnknownFlag(other.to_string())),
            }
        }
        if let Some(rate) = fault_rate {
            let kinds = fault_kinds.unwrap_or_else(|| {
                vec![
                    FaultKind::Status(429),
                    FaultKind::Status(500),
                    FaultKind::Status(503),
                ]
            });
            cfg.fault_rules
                .push(FaultRule::new(None, fault_on, kinds, rate, None));
        } else if fault_kinds.is_some() {
            return Err(ConfigError::BadFault("--faults needs --fault-rate".into()));
        }
        if !cfg.addr.ip().is_loopback() && !public {
            return Err(ConfigError::BadValue {
                flag: "--addr".into(),
                why: format!(
                    "{} is not a loopback address: the control routes (/__sim/*) have no auth, \
                     so add --public to listen there anyway",
                    cfg.addr.ip()
                ),
            });
        }
        Ok(cfg)
    }

    /// The model spec for `name`: the last configured entry, else the default.
    pub fn model(&self, name: &str) -> ModelSpec {
        self.models
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m.clone())
            .unwrap_or_else(ModelSpec::default_model)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_the_documented_flags() {
        let c = Config::from_args(args(
            "--addr 127.0.0.1:0 --api-key k --seed 42 --model m=fixed:5 --model=n=uniform:1:2,queue=3 \
             --fault-rate 0.5 --faults 429,reset --fault-on status --webhook-attempts 2",
        ))
        .unwrap();
        assert_eq!(c.addr.port(), 0);
        assert_eq!(c.api_key, "k");
        assert_eq!(c.seed, Some(42));
        assert_eq!(c.model("m").queue_ms, None);
        assert_eq!(c.model("n").queue_ms, Some(3));
        assert_eq!(
            c.model("sim-fast").run,
            crate::models::Distribution::Fixed(1500)
        );
        assert_eq!(c.fault_rules.len(), 1);
        assert_eq!(c.webhook_attempts, 2);
    }

    #[test]
    fn a_public_address_needs_its_flag() {
        let c = Config::from_args(args("--addr 0.0.0.0:0 --public")).expect("allowed");
        assert!(c.addr.ip().is_unspecified());
        let e = Config::from_args(args("--addr 0.0.0.0:0")).unwrap_err();
        assert!(e.to_string().contains("--public"), "{e}");
        Config::from_args(args("--addr [::1]:0")).expect("loopback");
    }

    #[test]
    fn refuses_bad_flags_with_codes() {
        for (line, code) in [
            ("--nope", "unknown_flag"),
            ("--addr", "missing_value"),
            ("--addr nowhere", "bad_value"),
            ("--addr 0.0.0.0:0", "bad_value"),
            ("--seed x", "bad_value"),
            ("--model fast", "bad_model"),
            ("--faults 418 --fault-rate 1", "bad_fault"),
            ("--faults 429", "bad_fault"),
            ("--fault-rate 2", "bad_value"),
            ("--webhook-secret nope", "bad_secret"),
            ("--help", "help"),
        ] {
            assert_eq!(
                Config::from_args(args(line)).unwrap_err().code(),
                code,
                "{line}"
            );
        }
    }
}
