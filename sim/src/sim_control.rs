//! The per-task `_sim` control object a submit may carry (see ARCHITECTURE.md): phase
//! lengths, outcome, output kind, scripted faults, webhook quirks and a client reference.
//! Parsed strictly: a misspelt value is a 400 naming the field, never silently ignored.

use serde_json::Value;

use crate::faults::ScriptedFault;
use crate::task::{Outcome, OutputKind};

/// A parsed `_sim` object (all fields optional).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SimControl {
    /// Length of the queued phase.
    pub queue_ms: Option<u64>,
    /// Length of the running phase.
    pub run_ms: Option<u64>,
    /// How the task ends.
    pub outcome: Option<Outcome>,
    /// What it produces.
    pub output: Option<OutputKind>,
    /// Scripted faults.
    pub faults: Vec<ScriptedFault>,
    /// Extra copies of each terminal webhook (same `webhook-id`).
    pub webhook_duplicates: u32,
    /// Send a stale live update after the terminal one.
    pub webhook_out_of_order: bool,
    /// A webhook URL for dialects without a documented webhook field.
    pub webhook_url: Option<String>,
    /// A client-side reference counted in stats.
    pub reference: Option<String>,
    /// Use this model's distribution instead of the route's model.
    pub model: Option<String>,
    /// The canonical JSON text of the object (keys scripted submit faults across retries).
    pub raw: String,
}

const KNOWN: &[&str] = &[
    "queue_ms",
    "run_ms",
    "outcome",
    "output",
    "faults",
    "webhook_duplicates",
    "webhook_out_of_order",
    "webhook_url",
    "ref",
    "model",
];

impl SimControl {
    /// Parses `_sim` (absent or `null` gives the defaults). The error names the bad field.
    pub fn parse(v: Option<&Value>) -> Result<SimControl, String> {
        let obj = match v {
            None | Some(Value::Null) => return Ok(SimControl::default()),
            Some(Value::Object(o)) => o,
            Some(_) => return Err("_sim must be an object".into()),
        };
        if let Some(k) = obj.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "_sim.{k} is not a known field ({})",
                KNOWN.join(", ")
            ));
        }
        let ms = |k: &str| -> Result<Option<u64>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n <= 86_400_000)
                    .map(Some)
                    .ok_or_else(|| {
                        format!("_sim.{k} must be a whole number of ms (at most one day)")
                    }),
            }
        };
        let string = |k: &str| -> Result<Option<String>, String> {
            match obj.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(format!("_sim.{k} must be a string")),
            }
        };
        let outcome = match string("outcome")? {
            None => None,
            Some(s) => Some(Outcome::parse(&s).ok_or_else(|| {
                format!(
                    "_sim.outcome {s:?} is not one of succeeded failed canceled timed_out expired refunded \
                     INFERENCE_FAILURE INFERENCE_TIMEOUT REQUEST_INVALID CONTENT_BLOCKED CANCELED INTERNAL_SERVER_ERROR"
                )
            })?),
        };
        let output = match string("output")? {
            None => None,
            Some(s) => Some(
                OutputKind::parse(&s)
                    .ok_or_else(|| format!("_sim.output {s:?} is not image, video or audio"))?,
            ),
        };
        let faults = match obj.get("faults") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|f| ScriptedFault::from_json(f).map_err(|e| format!("_sim.faults: {e}")))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("_sim.faults must be an array".into()),
        };
        let webhook_duplicates = match obj.get("webhook_duplicates") {
            None | Some(Value::Null) => 0,
            Some(v) => v
                .as_u64()
                .filter(|n| *n <= 10)
                .ok_or("_sim.webhook_duplicates must be a whole number ≤ 10")?
                as u32,
        };
        let webhook_out_of_order = match obj.get("webhook_out_of_order") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("_sim.webhook_out_of_order must be a boolean".into()),
        };
        Ok(SimControl {
            queue_ms: ms("queue_ms")?,
            run_ms: ms("run_ms")?,
            outcome,
            output,
            faults,
            webhook_duplicates,
            webhook_out_of_order,
            webhook_url: string("webhook_url")?,
            reference: string("ref")?,
            model: string("model")?,
            raw: Value::Object(obj.clone()).to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_documented_object() {
        let c = SimControl::parse(Some(&json!({
            "queue_ms": 10, "run_ms": 20, "outcome": "CONTENT_BLOCKED", "output": "video",
            "faults": [{"on": "status", "kind": "500", "times": 2}],
            "webhook_duplicates": 2, "webhook_out_of_order": true, "ref": "r1"
        })))
        .unwrap();
        assert_eq!(c.queue_ms, Some(10));
        assert_eq!(c.outcome, Some(Outcome::ContentBlocked));
        assert_eq!(c.output, Some(OutputKind::Video));
        assert_eq!(c.faults[0].times_left, 2);
        assert_eq!(c.reference.as_deref(), Some("r1"));
        assert_eq!(SimControl::parse(None).unwrap(), SimControl::default());
    }

    #[test]
    fn names_the_bad_field() {
        for (v, field) in [
            (json!(3), "_sim"),
            (json!({"run_ms": -1}), "run_ms"),
            (json!({"outcome": "meh"}), "outcome"),
            (json!({"output": "gif"}), "output"),
            (json!({"faults": [{"kind": "teapot"}]}), "faults"),
            (json!({"webhook_out_of_order": 1}), "webhook_out_of_order"),
            (json!({"typo": 1}), "typo"),
        ] {
            let e = SimControl::parse(Some(&v)).unwrap_err();
            assert!(e.contains(field), "{e}");
        }
    }
}
