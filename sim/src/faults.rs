//! Fault injection: the kinds of misbehaviour the simulator can put on any route
//! (429 with `Retry-After` in seconds or as an HTTP-date, 5xx, slow answers, a connection
//! reset mid-body, truncated or non-JSON 200s, unknown status strings, and `drop`: do the
//! work, then close the connection without an answer), and the rules that decide when:
//! global rules by rate (`--fault-rate`, `POST /__sim/faults`) and per-task scripts
//! (`_sim.faults` with `times`).

use serde_json::Value;

use crate::config::ConfigError;
use crate::dialects::Dialect;
use crate::rng::Rng;

/// The route classes a fault can be put on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// A submit (task creation).
    Submit,
    /// A status poll.
    Status,
    /// Fetching a result (queue `response_url`).
    Result,
    /// A cancel.
    Cancel,
    /// Reading events (mindproxy).
    Events,
    /// A file under `/files/`.
    Files,
}

impl Route {
    /// The route's name as the control protocol spells it.
    pub fn name(self) -> &'static str {
        match self {
            Route::Submit => "submit",
            Route::Status => "status",
            Route::Result => "result",
            Route::Cancel => "cancel",
            Route::Events => "events",
            Route::Files => "files",
        }
    }

    fn parse(s: &str) -> Option<Route> {
        Some(match s {
            "submit" => Route::Submit,
            "status" => Route::Status,
            "result" => Route::Result,
            "cancel" => Route::Cancel,
            "events" => Route::Events,
            "files" => Route::Files,
            _ => return None,
        })
    }
}

/// Which routes a rule applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnRoute {
    /// Every route (`"*"`).
    Any,
    /// Only these.
    Only(Vec<Route>),
}

impl OnRoute {
    /// Parses `*` or a comma-separated list of route names.
    pub fn parse(s: &str) -> Result<OnRoute, ConfigError> {
        if s.trim() == "*" {
            return Ok(OnRoute::Any);
        }
        let routes = s
            .split(',')
            .map(|r| {
                Route::parse(r.trim()).ok_or_else(|| {
                    ConfigError::BadFault(format!(
                        "unknown route {r:?} (submit, status, result, cancel, events, files or *)"
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(OnRoute::Only(routes))
    }

    /// Whether `route` is covered.
    pub fn covers(&self, route: Route) -> bool {
        match self {
            OnRoute::Any => true,
            OnRoute::Only(r) => r.contains(&route),
        }
    }
}

/// One kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// An error status: 429 (with `Retry-After` in seconds), 500, 502, 503 or 504.
    Status(u16),
    /// 429 with `Retry-After` as an HTTP-date.
    TooManyDate,
    /// Answer normally after `delay_ms`.
    Slow,
    /// Send the headers and part of the body, then reset the connection.
    Reset,
    /// 200 with the JSON body cut in half.
    Truncated,
    /// 200 with an HTML body.
    NonJson,
    /// The normal body with a status value the dialect does not define.
    UnknownStatus,
    /// Do the work, then close the connection without any answer.
    Drop,
}

impl FaultKind {
    /// Parses a kind as the control protocol spells it.
    pub fn parse(s: &str) -> Result<FaultKind, ConfigError> {
        Ok(match s.trim() {
            "429" => FaultKind::Status(429),
            "500" => FaultKind::Status(500),
            "502" => FaultKind::Status(502),
            "503" => FaultKind::Status(503),
            "504" => FaultKind::Status(504),
            "429-date" => FaultKind::TooManyDate,
            "slow" => FaultKind::Slow,
            "reset" => FaultKind::Reset,
            "truncated" => FaultKind::Truncated,
            "non_json" => FaultKind::NonJson,
            "unknown_status" => FaultKind::UnknownStatus,
            "drop" => FaultKind::Drop,
            other => {
                return Err(ConfigError::BadFault(format!(
                    "unknown kind {other:?} (429 429-date 500 502 503 504 slow reset truncated non_json unknown_status drop)"
                )))
            }
        })
    }

    /// The kind's name as the control protocol spells it.
    pub fn name(self) -> String {
        match self {
            FaultKind::Status(s) => s.to_string(),
            FaultKind::TooManyDate => "429-date".into(),
            FaultKind::Slow => "slow".into(),
            FaultKind::Reset => "reset".into(),
            FaultKind::Truncated => "truncated".into(),
            FaultKind::NonJson => "non_json".into(),
            FaultKind::UnknownStatus => "unknown_status".into(),
            FaultKind::Drop => "drop".into(),
        }
    }
}

/// A fault chosen for one request, with its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// `Retry-After` for the 429 kinds, in seconds.
    pub retry_after_s: u64,
    /// The delay of `slow`, in milliseconds.
    pub delay_ms: u64,
}

/// Reads the optional `retry_after_s` / `delay_ms` of a rule object.
fn params(obj: &Value) -> Result<(u64, u64), ConfigError> {
    let num = |k: &str, d: u64| -> Result<u64, ConfigError> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(d),
            Some(v) => v.as_u64().filter(|n| *n <= 600_000).ok_or_else(|| {
                ConfigError::BadFault(format!("{k} must be a whole number ≤ 600000"))
            }),
        }
    };
    Ok((num("retry_after_s", 1)?, num("delay_ms", 3000)?))
}

/// Refuses a field outside `known`: a misspelt `rate` or `times` would otherwise be
/// dropped and the rule fire on every request, or a script fire once instead of three times.
fn only_known(obj: &Value, known: &[&str], what: &str) -> Result<(), ConfigError> {
    let unknown = obj
        .as_object()
        .and_then(|o| o.keys().find(|k| !known.contains(&k.as_str())));
    match unknown {
        Some(k) => Err(ConfigError::BadFault(format!(
            "{k:?} is not a field of {what} ({})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn kinds_of(obj: &Value) -> Result<Vec<FaultKind>, ConfigError> {
    match (obj.get("kind"), obj.get("kinds")) {
        (Some(_), Some(_)) => Err(ConfigError::BadFault(
            "give \"kind\" or \"kinds\", not both".into(),
        )),
        (Some(Value::String(k)), None) => Ok(vec![FaultKind::parse(k)?]),
        (None, Some(Value::Array(ks))) if !ks.is_empty() => ks
            .iter()
            .map(|k| {
                k.as_str()
                    .ok_or_else(|| ConfigError::BadFault("kinds must be strings".into()))
            })
            .map(|k| k.and_then(FaultKind::parse))
            .collect(),
        _ => Err(ConfigError::BadFault(
            "a fault needs \"kind\" (a string)".into(),
        )),
    }
}

fn on_of(obj: &Value) -> Result<OnRoute, ConfigError> {
    match obj.get("on") {
        None | Some(Value::Null) => Ok(OnRoute::Any),
        Some(Value::String(s)) => OnRoute::parse(s),
        Some(_) => Err(ConfigError::BadFault("\"on\" must be a string".into())),
    }
}

/// A global rule: on matching requests, with probability `rate`, one of `kinds`.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// Only this dialect; `None` for every dialect (and files).
    pub dialect: Option<Dialect>,
    /// Which routes.
    pub on: OnRoute,
    /// One of these is picked uniformly when the rule fires.
    pub kinds: Vec<FaultKind>,
    /// Probability (0..1) that a matching request is hit.
    pub rate: f64,
    /// How many more times the rule may fire; `None` for no limit.
    pub times: Option<u32>,
    /// `Retry-After` seconds for the 429 kinds.
    pub retry_after_s: u64,
    /// Delay of `slow`.
    pub delay_ms: u64,
}

impl FaultRule {
    /// A rule with default parameters (`Retry-After: 1`, slow = 3 s).
    pub fn new(
        dialect: Option<Dialect>,
        on: OnRoute,
        kinds: Vec<FaultKind>,
        rate: f64,
        times: Option<u32>,
    ) -> Self {
        FaultRule {
            dialect,
            on,
            kinds,
            rate,
            times,
            retry_after_s: 1,
            delay_ms: 3000,
        }
    }

    /// Parses one rule of a `POST /__sim/faults` body:
    /// `{dialect?, on?, kind | kinds, rate? = 1, times?, retry_after_s?, delay_ms?}`.
    pub fn from_json(obj: &Value) -> Result<FaultRule, ConfigError> {
        if !obj.is_object() {
            return Err(ConfigError::BadFault("each rule must be an object".into()));
        }
        only_known(
            obj,
            &[
                "dialect",
                "on",
                "kind",
                "kinds",
                "rate",
                "times",
                "retry_after_s",
                "delay_ms",
            ],
            "a fault rule",
        )?;
        let dialect = match obj.get("dialect") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(
                Dialect::parse(s)
                    .ok_or_else(|| ConfigError::BadFault(format!("unknown dialect {s:?}")))?,
            ),
            Some(_) => return Err(ConfigError::BadFault("\"dialect\" must be a string".into())),
        };
        let rate = match obj.get("rate") {
            None | Some(Value::Null) => 1.0,
            Some(v) => v
                .as_f64()
                .filter(|r| (0.0..=1.0).contains(r))
                .ok_or_else(|| {
                    ConfigError::BadFault("rate must be a number between 0 and 1".into())
                })?,
        };
        let times = match obj.get("times") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| ConfigError::BadFault("times must be a whole number".into()))?,
            ),
        };
        let (retry_after_s, delay_ms) = params(obj)?;
        Ok(FaultRule {
            dialect,
            on: on_of(obj)?,
            kinds: kinds_of(obj)?,
            rate,
            times,
            retry_after_s,
            delay_ms,
        })
    }

    /// Decides whether this rule hits a request on `dialect`/`route`, consuming a `times`.
    pub fn try_fire(
        &mut self,
        dialect: Option<Dialect>,
        route: Route,
        rng: &mut Rng,
    ) -> Option<Fault> {
        if self.dialect.is_some() && self.dialect != dialect {
            return None;
        }
        if !self.on.covers(route) || self.times == Some(0) || self.kinds.is_empty() {
            return None;
        }
        if self.rate < 1.0 && rng.next_f64() >= self.rate {
            return None;
        }
        if let Some(t) = self.times.as_mut() {
            *t -= 1;
        }
        let kind = self.kinds[(rng.next_u64() % self.kinds.len() as u64) as usize];
        Some(Fault {
            kind,
            retry_after_s: self.retry_after_s,
            delay_ms: self.delay_ms,
        })
    }
}

/// A fault from a task's `_sim.faults` script: fires on the next `times` matching requests.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedFault {
    /// Which routes.
    pub on: OnRoute,
    /// What happens.
    pub fault: Fault,
    /// How many more requests it hits.
    pub times_left: u32,
}

impl ScriptedFault {
    /// Parses one `_sim.faults` entry: `{on, kind, times? = 1, retry_after_s?, delay_ms?}`.
    pub fn from_json(obj: &Value) -> Result<ScriptedFault, ConfigError> {
        if !obj.is_object() {
            return Err(ConfigError::BadFault(
                "each _sim.faults entry must be an object".into(),
            ));
        }
        only_known(
            obj,
            &["on", "kind", "kinds", "times", "retry_after_s", "delay_ms"],
            "a _sim.faults entry",
        )?;
        let kinds = kinds_of(obj)?;
        if kinds.len() > 1 {
            return Err(ConfigError::BadFault(
                "kinds: a _sim.faults entry takes one kind (add one entry per kind)".into(),
            ));
        }
        let times = match obj.get("times") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| ConfigError::BadFault("times must be a whole number".into()))?,
        };
        let (retry_after_s, delay_ms) = params(obj)?;
        Ok(ScriptedFault {
            on: on_of(obj)?,
            fault: Fault {
                kind: kinds[0],
                retry_after_s,
                delay_ms,
            },
            times_left: times,
        })
    }
}

/// Takes the first scripted fault that covers `route` and still has `times` left.
pub fn take_scripted(script: &mut [ScriptedFault], route: Route) -> Option<Fault> {
    let f = script
        .iter_mut()
        .find(|f| f.times_left > 0 && f.on.covers(route))?;
    f.times_left -= 1;
    Some(f.fault)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rules_parse_and_fire_with_times() {
        let mut r =
            FaultRule::from_json(&json!({"dialect":"apixo","on":"status","kind":"503","times":2}))
                .unwrap();
        let mut rng = Rng::new(1);
        assert!(r
            .try_fire(Some(Dialect::Mirako), Route::Status, &mut rng)
            .is_none());
        assert!(r
            .try_fire(Some(Dialect::Apixo), Route::Submit, &mut rng)
            .is_none());
        assert_eq!(
            r.try_fire(Some(Dialect::Apixo), Route::Status, &mut rng)
                .unwrap()
                .kind,
            FaultKind::Status(503)
        );
        assert!(r
            .try_fire(Some(Dialect::Apixo), Route::Status, &mut rng)
            .is_some());
        assert!(r
            .try_fire(Some(Dialect::Apixo), Route::Status, &mut rng)
            .is_none());
    }

    #[test]
    fn rate_is_roughly_honoured() {
        let mut r = FaultRule::new(None, OnRoute::Any, vec![FaultKind::Status(500)], 0.25, None);
        let mut rng = Rng::new(9);
        let hits = (0..4000)
            .filter(|_| r.try_fire(None, Route::Status, &mut rng).is_some())
            .count();
        assert!((800..1200).contains(&hits), "{hits}");
    }

    #[test]
    fn bad_rules_are_refused() {
        for bad in [
            json!(1),
            json!({"kind":"418"}),
            json!({"kind":"500","on":"nowhere"}),
            json!({"kind":"500","rate":2}),
            json!({"kind":"500","dialect":"x"}),
            json!({"on":"status"}),
        ] {
            assert_eq!(
                FaultRule::from_json(&bad).unwrap_err().code(),
                "bad_fault",
                "{bad}"
            );
        }
    }

    #[test]
    fn scripts_count_down() {
        let mut s =
            vec![
                ScriptedFault::from_json(&json!({"on":"status","kind":"429-date","times":1}))
                    .unwrap(),
            ];
        assert!(take_scripted(&mut s, Route::Submit).is_none());
        assert_eq!(
            take_scripted(&mut s, Route::Status).unwrap().kind,
            FaultKind::TooManyDate
        );
        assert!(take_scripted(&mut s, Route::Status).is_none());
    }
}
