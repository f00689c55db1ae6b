//! Reading a [`ProviderProfile`] a user wrote as a JavaScript object (camelCase keys),
//! from its parsed JSON, by hand (the built-in dialects' JSON files go through it too).
//! Unknown keys are ignored, `null` is the same as absent, and a missing required field or
//! a value of the wrong type is an error naming the field (`submit.idPath: required, a
//! string`).
//!
//! A read that fails notes its error in the [`Reader`] and gives a placeholder, and reading
//! goes on: the first error noted is the one returned, so it names the first bad field in
//! reading order, as an early return would. Early returns (`?` after each field) made the
//! compiler write out, at each one, the drop of every field read so far: most of the
//! reader's 15 KB of wasm, now 7 KB (issue 7).

use crate::json::{Map, Value};
use crate::profile::{
    BodyField, CancelSpec, EnvelopeSpec, EventsSpec, OutputRule, ProviderProfile, ResultSpec,
    Route, Source, StatusSpec, SubmitSpec, UrlKind,
};
use crate::state::{OutputKind, TaskState};
use crate::vecmap::VecMap;

/// Why a profile object was refused: the dotted field and what is wrong with it.
pub type ReadError = String;

/// One JSON object being read (`None`: not an object, its error already noted), with its
/// dotted path for messages.
#[derive(Clone, Copy)]
struct Obj<'a> {
    map: Option<&'a Map>,
    path: &'a str,
}

impl<'a> Obj<'a> {
    /// The value at `key`, `None` when absent or `null`.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.map?.get(key).filter(|v| !v.is_null())
    }
}

/// The first error met while reading.
#[derive(Default)]
struct Reader {
    first: Option<ReadError>,
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

impl Reader {
    /// Notes an error (`path.key: what`) unless one came first.
    fn fail(&mut self, path: &str, key: &str, what: &str) {
        if self.first.is_none() {
            self.first = Some(err(path, key, what));
        }
    }

    fn object<'a>(&mut self, v: &'a Value, path: &'a str, key: &str) -> Obj<'a> {
        let map = v.as_object();
        if map.is_none() {
            self.fail(path, key, "must be an object");
        }
        Obj { map, path }
    }

    /// The object at `key` of `p` (a top-level section, so its path is `key`).
    fn section<'a>(&mut self, p: &Obj<'a>, key: &'a str) -> Option<Obj<'a>> {
        let v = p.get(key)?;
        Some(self.object(v, key, ""))
    }

    /// A section the profile must have.
    fn required_section<'a>(&mut self, p: &Obj<'a>, key: &'a str) -> Obj<'a> {
        self.section(p, key).unwrap_or_else(|| {
            self.fail("", key, "required, an object");
            Obj {
                map: None,
                path: key,
            }
        })
    }

    fn opt_str(&mut self, o: &Obj, key: &str) -> Option<String> {
        match o.get(key) {
            None => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.fail(o.path, key, "must be a string");
                None
            }
        }
    }

    fn str_or_empty(&mut self, o: &Obj, key: &str) -> String {
        self.opt_str(o, key).unwrap_or_default()
    }

    fn req_str(&mut self, o: &Obj, key: &str) -> String {
        if o.get(key).is_none() {
            self.fail(o.path, key, "required, a string");
        }
        self.str_or_empty(o, key)
    }

    fn flag(&mut self, o: &Obj, key: &str) -> bool {
        match o.get(key) {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(o.path, key, "must be a boolean");
                false
            }
        }
    }

    /// The array at `key` (`None` when absent, or not an array: that error is noted).
    fn array<'a>(&mut self, o: &Obj<'a>, key: &str) -> Option<&'a [Value]> {
        let v = o.get(key)?;
        let a = v.as_array().map(Vec::as_slice);
        if a.is_none() {
            self.fail(o.path, key, "must be an array");
        }
        a
    }

    fn strings(&mut self, o: &Obj, key: &str) -> Vec<String> {
        let a = self.array(o, key).unwrap_or_default();
        let mut out = Vec::with_capacity(a.len());
        for x in a {
            match x {
                Value::String(s) => out.push(s.clone()),
                _ => self.fail(o.path, key, "must be an array of strings"),
            }
        }
        out
    }

    /// The object at `key` (`None` when absent, or not an object: that error is noted),
    /// with its path.
    fn entries<'a>(&mut self, o: &Obj<'a>, key: &str) -> Option<(&'a Map, String)> {
        let v = o.get(key)?;
        let m = v.as_object();
        if m.is_none() {
            self.fail(o.path, key, "must be an object");
        }
        Some((m?, sub(o.path, key)))
    }

    /// An object of strings at `key` (empty when absent).
    fn str_map(&mut self, o: &Obj, key: &str) -> VecMap<String, String> {
        let mut out = VecMap::new();
        if let Some((m, path)) = self.entries(o, key) {
            for (name, x) in m {
                match x.as_str() {
                    Some(s) => {
                        out.insert(name.clone(), s.to_owned());
                    }
                    None => self.fail(&path, name, "must be a string"),
                }
            }
        }
        out
    }

    /// An object of task states at `key` (empty when absent).
    fn state_map(&mut self, o: &Obj, key: &str) -> VecMap<String, TaskState> {
        let mut out = VecMap::new();
        if let Some((m, path)) = self.entries(o, key) {
            for (name, x) in m {
                match x.as_str().and_then(TaskState::parse) {
                    Some(s) => {
                        out.insert(name.clone(), s);
                    }
                    None => self.fail(&path, name, "must be a state"),
                }
            }
        }
        out
    }

    fn route(&mut self, o: &Obj, key: &str) -> Route {
        let path = sub(o.path, key);
        let r = match o.get(key) {
            Some(v) => self.object(v, &path, ""),
            None => {
                self.fail(o.path, key, "required, an object");
                Obj {
                    map: None,
                    path: &path,
                }
            }
        };
        let url_from = match self.opt_str(&r, "urlFrom").as_deref() {
            None => None,
            Some("status") => Some(UrlKind::Status),
            Some("response") => Some(UrlKind::Response),
            Some("cancel") => Some(UrlKind::Cancel),
            Some(_) => {
                self.fail(&path, "urlFrom", "must be status, response or cancel");
                None
            }
        };
        // Sent as written by fetch, which upper-cases only the standard methods: one of
        // these, upper-cased here, or the profile is refused (`"GE T"` failed later as
        // `network`).
        let method = self.req_str(&r, "method").to_ascii_uppercase();
        if !matches!(&*method, "GET" | "POST" | "PUT" | "PATCH" | "DELETE") {
            self.fail(&path, "method", "must be GET, POST, PUT, PATCH or DELETE");
        }
        Route {
            method,
            path: self.str_or_empty(&r, "path"),
            url_from,
        }
    }

    fn body(&mut self, o: &Obj, key: &str) -> Option<Vec<BodyField>> {
        let a = self.array(o, key)?;
        let path = sub(o.path, key);
        let mut out = Vec::with_capacity(a.len());
        for v in a {
            let f = self.object(v, &path, "[]");
            let from = self.req_str(&f, "from");
            let to = self.str_or_empty(&f, "to");
            let from = source(&from).unwrap_or_else(|| {
                self.fail(&path, "from", "unknown source");
                Source::Const
            });
            out.push(BodyField {
                to,
                from,
                field: self.opt_str(&f, "field"),
                except: self.strings(&f, "except"),
                value: f.get("value").cloned(),
                value_with_webhook: f.get("valueWithWebhook").cloned(),
            });
        }
        Some(out)
    }

    fn outputs(&mut self, o: &Obj, key: &str) -> Option<Vec<OutputRule>> {
        let a = self.array(o, key)?;
        let path = sub(o.path, key);
        let mut out = Vec::with_capacity(a.len());
        for v in a {
            let r = self.object(v, &path, "[]");
            let kind = match self.opt_str(&r, "kind").as_deref() {
                None => None,
                Some("image") => Some(OutputKind::Image),
                Some("video") => Some(OutputKind::Video),
                Some("audio") => Some(OutputKind::Audio),
                Some("file") => Some(OutputKind::File),
                Some(_) => {
                    self.fail(&path, "kind", "must be image, video, audio or file");
                    None
                }
            };
            out.push(OutputRule {
                path: self.req_str(&r, "path"),
                kind,
                base64: self.flag(&r, "base64"),
            });
        }
        Some(out)
    }

    /// A list the profile must have: empty when absent, with the error noted.
    fn required<T>(&mut self, list: Option<Vec<T>>, path: &str, key: &str) -> Vec<T> {
        list.unwrap_or_else(|| {
            self.fail(path, key, "required, an array");
            Vec::new()
        })
    }
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

/// Reads a profile object (already parsed from JSON).
pub fn read_profile(v: &Value) -> Result<ProviderProfile, ReadError> {
    let r = &mut Reader::default();
    let p = r.object(v, "", "provider");
    let s = r.required_section(&p, "submit");
    let submit = SubmitSpec {
        route: r.route(&s, "route"),
        body: {
            let body = r.body(&s, "body");
            r.required(body, "submit", "body")
        },
        required: r.strings(&s, "required"),
        id_path: r.req_str(&s, "idPath"),
        urls: {
            let mut urls = VecMap::new();
            if let Some((m, path)) = r.entries(&s, "urls") {
                for (name, x) in m {
                    let kind = match name.as_str() {
                        "status" => Some(UrlKind::Status),
                        "response" => Some(UrlKind::Response),
                        "cancel" => Some(UrlKind::Cancel),
                        _ => None,
                    };
                    match kind.zip(x.as_str()) {
                        Some((k, u)) => {
                            urls.insert(k, u.to_owned());
                        }
                        None => r.fail(
                            &path,
                            name,
                            "must be a string under status, response or cancel",
                        ),
                    }
                }
            }
            urls
        },
        idempotent: r.flag(&s, "idempotent"),
    };
    // A submit retried as idempotent without a key in its body could create a second task.
    if submit.idempotent && !submit.body.iter().any(|f| f.from == Source::IdempotencyKey) {
        r.fail(
            "submit",
            "idempotent",
            "needs a body field from \"idempotencyKey\" (a retried submit must carry its key)",
        );
    }

    let st = r.required_section(&p, "status");
    let cost_scale = match st.get("costScale") {
        None => 1.0,
        Some(x) => x.as_f64().unwrap_or_else(|| {
            r.fail("status", "costScale", "must be a number");
            1.0
        }),
    };
    if st.get("states").is_none() {
        r.fail("status", "states", "required, an object");
    }
    let status = StatusSpec {
        route: r.route(&st, "route"),
        json_string_fields: r.strings(&st, "jsonStringFields"),
        id_path: r.str_or_empty(&st, "idPath"),
        state_path: r.req_str(&st, "statePath"),
        states: r.state_map(&st, "states"),
        state_error_codes: r.str_map(&st, "stateErrorCodes"),
        queue_position_path: r.opt_str(&st, "queuePositionPath"),
        error_message_path: r.opt_str(&st, "errorMessagePath"),
        error_code_path: r.opt_str(&st, "errorCodePath"),
        error_means_failure: r.flag(&st, "errorMeansFailure"),
        error_code_states: r.state_map(&st, "errorCodeStates"),
        outputs: r.outputs(&st, "outputs").unwrap_or_default(),
        cost_path: r.opt_str(&st, "costPath"),
        cost_scale,
    };

    let result = r.section(&p, "result").map(|o| ResultSpec {
        route: r.route(&o, "route"),
        json_string_fields: r.strings(&o, "jsonStringFields"),
        outputs: {
            let outputs = r.outputs(&o, "outputs");
            r.required(outputs, "result", "outputs")
        },
    });
    let cancel = r.section(&p, "cancel").map(|o| CancelSpec {
        route: r.route(&o, "route"),
        body: r.body(&o, "body").unwrap_or_default(),
    });
    let events = r.section(&p, "events").map(|o| EventsSpec {
        route: r.route(&o, "route"),
        list_path: r.req_str(&o, "listPath"),
        id_path: r.str_or_empty(&o, "idPath"),
        type_path: r.str_or_empty(&o, "typePath"),
        status_path: r.str_or_empty(&o, "statusPath"),
        message_path: r.str_or_empty(&o, "messagePath"),
        created_at_path: r.str_or_empty(&o, "createdAtPath"),
    });
    let envelope = r.section(&p, "envelope").map(|o| EnvelopeSpec {
        code_path: r.req_str(&o, "codePath"),
        ok: {
            let ok = r.array(&o, "ok").map(|a| {
                let mut ok = Vec::with_capacity(a.len());
                for x in a {
                    match x.as_i64() {
                        Some(n) => ok.push(n),
                        None => r.fail("envelope", "ok", "must be an array of integers"),
                    }
                }
                ok
            });
            r.required(ok, "envelope", "ok")
        },
    });
    let profile = ProviderProfile {
        name: r.req_str(&p, "name"),
        defaults: r.str_map(&p, "defaults"),
        submit,
        status,
        result,
        cancel,
        events,
        envelope,
    };
    match r.first.take() {
        Some(e) => Err(e),
        None => Ok(profile),
    }
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

    /// With several bad fields, the one named is the first in reading order (`submit`
    /// before `status`, a route before the fields after it, `name` last).
    #[test]
    fn the_first_bad_field_is_named() {
        let mut v = builtin_value("queue");
        *at(&mut v, "name") = json!(1);
        *at(&mut v, "status.statePath") = json!(2);
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "status.statePath: must be a string"
        );
        *at(&mut v, "status.route.method") = json!("GE T");
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "status.route.method: must be GET, POST, PUT, PATCH or DELETE"
        );
        *at(&mut v, "submit.urls") = json!([]);
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.urls: must be an object"
        );
        *at(&mut v, "submit") = json!(null);
        assert_eq!(read_profile(&v).unwrap_err(), "submit: required, an object");
        *at(&mut v, "submit") = json!({});
        assert_eq!(
            read_profile(&v).unwrap_err(),
            "submit.route: required, an object"
        );
        let mut v = builtin_value("queue");
        *at(&mut v, "name") = json!(1);
        assert_eq!(read_profile(&v).unwrap_err(), "name: must be a string");
    }
}
