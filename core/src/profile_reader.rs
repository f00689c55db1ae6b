//! Reading a [`ProviderProfile`] a user wrote as a JavaScript object (camelCase keys),
//! from its parsed JSON, by hand. The types also derive `Deserialize`, which native users
//! and the tests use; the wasm shell reads profiles here instead because the derived
//! visitors of the dozen profile types cost tens of KB of wasm (issue 7), while these
//! field readers share one small set of helpers. Same rules as the derive: unknown keys are
//! ignored, `null` is the same as absent, and a missing required field or a value of the
//! wrong type is an error naming the field (`submit.idPath: required, a string`).
//! `tests::builtins_read_back` checks both readers agree on every built-in dialect.

use crate::json::{Map, Value};
use crate::profile::{
    BodyField, CancelSpec, EnvelopeSpec, EventsSpec, OutputRule, ProviderProfile, ResultSpec,
    Route, Source, StatusSpec, SubmitSpec, UrlKind,
};
use crate::state::{OutputKind, TaskState};
use crate::vecmap::VecMap;

/// Why a profile object was refused: the dotted field and what is wrong with it.
pub type ReadError = String;

/// One JSON object being read, with its dotted path for messages.
struct Obj<'a> {
    map: &'a Map,
    path: &'a str,
}

fn err(path: &str, key: &str, what: &str) -> ReadError {
    let mut s = String::with_capacity(path.len() + key.len() + what.len() + 3);
    if !path.is_empty() {
        s.push_str(path);
        s.push('.');
    }
    s.push_str(key);
    s.push_str(": ");
    s.push_str(what);
    s
}

fn sub(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        let mut s = String::from(path);
        s.push('.');
        s.push_str(key);
        s
    }
}

impl<'a> Obj<'a> {
    fn new(v: &'a Value, path: &'a str, key: &str) -> Result<Obj<'a>, ReadError> {
        match v {
            Value::Object(map) => Ok(Obj { map, path }),
            _ => Err(err(path, key, "must be an object")),
        }
    }

    /// The value at `key`, `None` when absent or `null`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    fn opt_str(&self, key: &str) -> Result<Option<String>, ReadError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(err(self.path, key, "must be a string")),
        }
    }

    fn str_or_empty(&self, key: &str) -> Result<String, ReadError> {
        Ok(self.opt_str(key)?.unwrap_or_default())
    }

    fn req_str(&self, key: &str) -> Result<String, ReadError> {
        self.opt_str(key)?
            .ok_or_else(|| err(self.path, key, "required, a string"))
    }

    fn flag(&self, key: &str) -> Result<bool, ReadError> {
        match self.get(key) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(err(self.path, key, "must be a boolean")),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, ReadError> {
        self.list(key, |v, _| match v {
            Value::String(s) => Ok(s.clone()),
            _ => Err("must be an array of strings".to_owned()),
        })
        .map(Option::unwrap_or_default)
    }

    /// An array at `key` read item by item (`None` when absent); `item` gets each value
    /// and its path.
    fn list<T>(
        &self,
        key: &str,
        mut item: impl FnMut(&'a Value, &str) -> Result<T, ReadError>,
    ) -> Result<Option<Vec<T>>, ReadError> {
        let Some(v) = self.get(key) else {
            return Ok(None);
        };
        let Value::Array(a) = v else {
            return Err(err(self.path, key, "must be an array"));
        };
        let path = sub(self.path, key);
        let mut out = Vec::with_capacity(a.len());
        for x in a {
            out.push(item(x, &path).map_err(|e| {
                if crate::text::contains(&e, ": ") {
                    e
                } else {
                    err(self.path, key, &e)
                }
            })?);
        }
        Ok(Some(out))
    }

    /// An object of string values at `key` (empty when absent), each value turned by `val`.
    fn map_of<K: Ord, V>(
        &self,
        key: &str,
        mut k: impl FnMut(&str) -> Option<K>,
        mut val: impl FnMut(&Value) -> Option<V>,
        what: &str,
    ) -> Result<VecMap<K, V>, ReadError> {
        let mut out = VecMap::new();
        let Some(v) = self.get(key) else {
            return Ok(out);
        };
        let Value::Object(m) = v else {
            return Err(err(self.path, key, "must be an object"));
        };
        for (name, x) in m {
            let pair = k(name).zip(val(x));
            let (kk, vv) = pair.ok_or_else(|| err(&sub(self.path, key), name, what))?;
            out.insert(kk, vv);
        }
        Ok(out)
    }
}

fn state(v: &Value) -> Option<TaskState> {
    v.as_str().and_then(TaskState::parse)
}

fn route(o: &Obj, key: &str) -> Result<Route, ReadError> {
    let v = o
        .get(key)
        .ok_or_else(|| err(o.path, key, "required, an object"))?;
    let path = sub(o.path, key);
    let r = Obj::new(v, &path, "")?;
    let url_from = match r.opt_str("urlFrom")?.as_deref() {
        None => None,
        Some("status") => Some(UrlKind::Status),
        Some("response") => Some(UrlKind::Response),
        Some("cancel") => Some(UrlKind::Cancel),
        Some(_) => return Err(err(&path, "urlFrom", "must be status, response or cancel")),
    };
    // Sent as written by fetch, which upper-cases only the standard methods: one of these,
    // upper-cased here, or the profile is refused (`"GE T"` failed later as `network`).
    let method = r.req_str("method")?.to_ascii_uppercase();
    if !matches!(&*method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
        return Err(err(
            &path,
            "method",
            "must be GET, POST, PUT, PATCH or DELETE",
        ));
    }
    Ok(Route {
        method,
        path: r.str_or_empty("path")?,
        url_from,
    })
}

fn source(s: &str) -> Option<Source> {
    Some(match s {
        "input" => Source::Input,
        "inputField" => Source::InputField,
        "inputExcept" => Source::InputExcept,
        "model" => Source::Model,
        "operation" => Source::Operation,
        "endpoint" => Source::Endpoint,
        "taskType" => Source::TaskType,
        "metadata" => Source::Metadata,
        "idempotencyKey" => Source::IdempotencyKey,
        "webhookUrl" => Source::WebhookUrl,
        "webhookAuthToken" => Source::WebhookAuthToken,
        "reason" => Source::Reason,
        "const" => Source::Const,
        _ => return None,
    })
}

fn body(o: &Obj, key: &str) -> Result<Option<Vec<BodyField>>, ReadError> {
    o.list(key, |v, path| {
        let f = Obj::new(v, path, "[]")?;
        let from = f.req_str("from")?;
        Ok(BodyField {
            to: f.str_or_empty("to")?,
            from: source(&from).ok_or_else(|| err(path, "from", "unknown source"))?,
            field: f.opt_str("field")?,
            except: f.strings("except")?,
            value: f.get("value").cloned(),
            value_with_webhook: f.get("valueWithWebhook").cloned(),
        })
    })
}

fn outputs(o: &Obj, key: &str) -> Result<Option<Vec<OutputRule>>, ReadError> {
    o.list(key, |v, path| {
        let r = Obj::new(v, path, "[]")?;
        let kind = match r.opt_str("kind")?.as_deref() {
            None => None,
            Some("image") => Some(OutputKind::Image),
            Some("video") => Some(OutputKind::Video),
            Some("audio") => Some(OutputKind::Audio),
            Some("file") => Some(OutputKind::File),
            Some(_) => return Err(err(path, "kind", "must be image, video, audio or file")),
        };
        Ok(OutputRule {
            path: r.req_str("path")?,
            kind,
            base64: r.flag("base64")?,
        })
    })
}

fn section<'a>(o: &Obj<'a>, key: &str, path: &'a str) -> Result<Option<Obj<'a>>, ReadError> {
    o.get(key).map(|v| Obj::new(v, path, "")).transpose()
}

/// Reads a profile object (already parsed from JSON).
pub fn read_profile(v: &Value) -> Result<ProviderProfile, ReadError> {
    let p = Obj::new(v, "", "provider")?;
    let s =
        section(&p, "submit", "submit")?.ok_or_else(|| err("", "submit", "required, an object"))?;
    let submit = SubmitSpec {
        route: route(&s, "route")?,
        body: body(&s, "body")?.ok_or_else(|| err("submit", "body", "required, an array"))?,
        required: s.strings("required")?,
        id_path: s.req_str("idPath")?,
        urls: s.map_of(
            "urls",
            |k| match k {
                "status" => Some(UrlKind::Status),
                "response" => Some(UrlKind::Response),
                "cancel" => Some(UrlKind::Cancel),
                _ => None,
            },
            |x| x.as_str().map(str::to_owned),
            "must be a string under status, response or cancel",
        )?,
        idempotent: s.flag("idempotent")?,
    };
    // A submit retried as idempotent without a key in its body could create a second task.
    if submit.idempotent && !submit.body.iter().any(|f| f.from == Source::IdempotencyKey) {
        return Err(err(
            "submit",
            "idempotent",
            "needs a body field from \"idempotencyKey\" (a retried submit must carry its key)",
        ));
    }

    let st =
        section(&p, "status", "status")?.ok_or_else(|| err("", "status", "required, an object"))?;
    let cost_scale = match st.get("costScale") {
        None => 1.0,
        Some(x) => x
            .as_f64()
            .ok_or_else(|| err("status", "costScale", "must be a number"))?,
    };
    if st.get("states").is_none() {
        return Err(err("status", "states", "required, an object"));
    }
    let status = StatusSpec {
        route: route(&st, "route")?,
        json_string_fields: st.strings("jsonStringFields")?,
        id_path: st.str_or_empty("idPath")?,
        state_path: st.req_str("statePath")?,
        states: st.map_of("states", |k| Some(k.to_owned()), state, "must be a state")?,
        state_error_codes: st.map_of(
            "stateErrorCodes",
            |k| Some(k.to_owned()),
            |x| x.as_str().map(str::to_owned),
            "must be a string",
        )?,
        queue_position_path: st.opt_str("queuePositionPath")?,
        error_message_path: st.opt_str("errorMessagePath")?,
        error_code_path: st.opt_str("errorCodePath")?,
        error_means_failure: st.flag("errorMeansFailure")?,
        error_code_states: st.map_of(
            "errorCodeStates",
            |k| Some(k.to_owned()),
            state,
            "must be a state",
        )?,
        outputs: outputs(&st, "outputs")?.unwrap_or_default(),
        cost_path: st.opt_str("costPath")?,
        cost_scale,
    };

    let result = match section(&p, "result", "result")? {
        None => None,
        Some(r) => Some(ResultSpec {
            route: route(&r, "route")?,
            json_string_fields: r.strings("jsonStringFields")?,
            outputs: outputs(&r, "outputs")?
                .ok_or_else(|| err("result", "outputs", "required, an array"))?,
        }),
    };
    let cancel = match section(&p, "cancel", "cancel")? {
        None => None,
        Some(c) => Some(CancelSpec {
            route: route(&c, "route")?,
            body: body(&c, "body")?.unwrap_or_default(),
        }),
    };
    let events = match section(&p, "events", "events")? {
        None => None,
        Some(e) => Some(EventsSpec {
            route: route(&e, "route")?,
            list_path: e.req_str("listPath")?,
            id_path: e.str_or_empty("idPath")?,
            type_path: e.str_or_empty("typePath")?,
            status_path: e.str_or_empty("statusPath")?,
            message_path: e.str_or_empty("messagePath")?,
            created_at_path: e.str_or_empty("createdAtPath")?,
        }),
    };
    let envelope = match section(&p, "envelope", "envelope")? {
        None => None,
        Some(e) => Some(EnvelopeSpec {
            code_path: e.req_str("codePath")?,
            ok: e
                .list("ok", |x, _| {
                    x.as_i64()
                        .ok_or_else(|| "must be an array of integers".to_owned())
                })?
                .ok_or_else(|| err("envelope", "ok", "required, an array"))?,
        }),
    };
    Ok(ProviderProfile {
        name: p.req_str("name")?,
        defaults: p.map_of(
            "defaults",
            |k| Some(k.to_owned()),
            |x| x.as_str().map(str::to_owned),
            "must be a string",
        )?,
        submit,
        status,
        result,
        cancel,
        events,
        envelope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    /// A built-in profile as a JSON value to tamper with.
    fn builtin_value(name: &str) -> Value {
        let (_, text) = crate::dialects::PROFILES
            .iter()
            .find(|(n, _)| *n == name)
            .expect("built in");
        crate::json::parse(text).expect("valid JSON")
    }

    fn at<'a>(v: &'a mut Value, path: &str) -> &'a mut Value {
        crate::json_path::get_mut(v, path).expect("present")
    }

    #[test]
    fn route_methods_are_http_methods() {
        let mut v = builtin_value("queue");
        *at(&mut v, "status.route.method") = json!("GE T");
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "status.route.method: must be GET, POST, PUT, PATCH or DELETE"
        );
        *at(&mut v, "status.route.method") = json!("get");
        assert_eq!(read_profile(&v).expect("valid").status.route.method, "GET");
    }

    #[test]
    fn idempotent_submits_need_a_key_in_their_body() {
        let mut v = builtin_value("queue");
        *at(&mut v, "submit.idempotent") = json!(true);
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.idempotent: needs a body field from \"idempotencyKey\" (a retried submit must carry its key)"
        );
        // mindproxy's carries one.
        read_profile(&builtin_value("mindproxy")).expect("valid");
    }

    #[test]
    fn bad_fields_are_named() {
        let mut v = builtin_value("queue");
        *at(&mut v, "submit.idPath") = json!(3);
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.idPath: must be a string"
        );
        at(&mut v, "submit")
            .as_object_mut()
            .unwrap()
            .remove("idPath");
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.idPath: required, a string"
        );
        let mut v = builtin_value("queue");
        at(&mut v, "status.states")
            .as_object_mut()
            .unwrap()
            .insert("X", json!("nope"));
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "status.states.X: must be a state"
        );
        *at(&mut v, "status") = json!(null);
        assert_eq!(read_profile(&v).unwrap_err(), "status: required, an object");
        assert_eq!(
            read_profile(&json!([])).unwrap_err(),
            "provider: must be an object"
        );
        let mut v = builtin_value("apixo");
        *at(&mut v, "submit.body.0.from") = json!("elsewhere");
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.body.from: unknown source"
        );
    }
}
