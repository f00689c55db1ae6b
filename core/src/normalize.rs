//! Turning a dialect's bodies into normalized data, by reading its [`ProviderProfile`]:
//! a status (or webhook) body into a [`TaskUpdate`], a result body into [`Output`]s, an
//! events body into [`TaskEvent`]s. No per-dialect code lives here; everything comes from
//! the profile. The webhook verifier calls [`status_update`] with the verified body.

use crate::base64::decode_prefix;
use crate::json::Value;
use crate::json_path::{self, scalar_text};
use crate::profile::{EventsSpec, OutputRule, ProviderProfile, StatusSpec};
use crate::state::{Output, OutputKind, TaskEvent, TaskState, TaskUpdate, UpdateError};
use crate::text::concat;
use std::borrow::Cow;

/// Why a body could not be normalized.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NormalizeError {
    /// The body is not JSON.
    NotJson,
    /// The body has no status value where the profile says.
    NoStatus(String),
    /// The status value is not in the profile's state map.
    UnknownStatus(String),
    /// The body has no task id where the profile says (and none was known).
    NoId(String),
    /// The body is not shaped as the profile says (e.g. no event list).
    Shape(String),
    /// A field the dialect carries as JSON text (apixo `resultJson`) holds other text.
    FieldNotJson(String),
}

// Display by hand over `message`, not thiserror's derive: the engine builds its messages
// with `message`, so the wasm needs no `core::fmt` (issue 7).
impl std::fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for NormalizeError {}

impl NormalizeError {
    /// The message (what `Display` writes).
    pub fn message(&self) -> String {
        let (before, x, after) = match self {
            NormalizeError::NotJson => ("body is not JSON", "", ""),
            NormalizeError::NoStatus(p) => ("body has no status at `", p.as_str(), "`"),
            NormalizeError::UnknownStatus(v) => ("unknown status value \"", v.as_str(), "\""),
            NormalizeError::NoId(p) => ("body has no task id at `", p.as_str(), "`"),
            NormalizeError::Shape(w) => ("body does not match the dialect: ", w.as_str(), ""),
            NormalizeError::FieldNotJson(p) => ("`", p.as_str(), "` is not JSON text"),
        };
        concat(&[before, x, after])
    }

    /// Always `bad_response`: the body does not match the dialect.
    pub const fn code(&self) -> crate::error::ErrorCode {
        crate::error::ErrorCode::BadResponse
    }
}

/// The HTTP status a 2xx body's envelope code stands for, when the profile has an envelope
/// and the body's code is not a success code.
pub fn envelope_status(profile: &ProviderProfile, body: &str) -> Option<u16> {
    envelope_code(profile, &parse_json(body).ok()?)
}

/// [`envelope_status`] of a body already parsed.
pub fn envelope_code(profile: &ProviderProfile, raw: &Value) -> Option<u16> {
    let env = profile.envelope.as_ref()?;
    let code = json_path::get(raw, &env.code_path)?.as_i64()?;
    // A body that still carries a task id or a status is read as such: the code may
    // describe the task (a failed generation) rather than the request.
    let readable = |p: &str| !p.is_empty() && json_path::get(raw, p).is_some_and(|v| !v.is_null());
    if env.ok.contains(&code)
        || readable(&profile.status.state_path)
        || readable(&profile.submit.id_path)
    {
        return None;
    }
    Some(
        u16::try_from(code)
            .ok()
            .filter(|c| matches!(c, 100..=599))
            .unwrap_or(502),
    )
}

/// Parses JSON text; [`NormalizeError::NotJson`] otherwise.
pub fn parse_json(body: &str) -> Result<Value, NormalizeError> {
    crate::json::parse(body).map_err(|_| NormalizeError::NotJson)
}

/// `raw` with the listed JSON-text fields parsed in place. An empty (or blank) text stays
/// as it is (nothing was sent); other text that is not JSON is
/// [`NormalizeError::FieldNotJson`]: its results cannot be read, and reporting the task
/// without them would hide that. Borrowed when no listed field holds text: then there is
/// nothing to parse, and a status or webhook body (a mirako image is its base64 inline) is
/// not copied for nothing.
pub fn expand<'a>(
    raw: &'a Value,
    json_string_fields: &[String],
) -> Result<Cow<'a, Value>, NormalizeError> {
    let has_text = |p: &String| matches!(json_path::get(raw, p), Some(Value::String(s)) if !crate::text::trim(s).is_empty());
    if !json_string_fields.iter().any(has_text) {
        return Ok(Cow::Borrowed(raw));
    }
    let mut v = raw.clone();
    for path in json_string_fields {
        if let Some(slot) = json_path::get_mut(&mut v, path) {
            if let Value::String(s) = slot {
                if crate::text::trim(s).is_empty() {
                    continue;
                }
                *slot = crate::json::parse(s)
                    .map_err(|_| NormalizeError::FieldNotJson(path.clone()))?;
            }
        }
    }
    Ok(Cow::Owned(v))
}

/// The paths of a status (or webhook) body that [`status_fields`] reads, for
/// [`crate::json::parse_wanted`]: a body parsed with these normalizes exactly as one parsed
/// whole (tested for every dialect), without building the rest.
pub fn status_paths(spec: &StatusSpec) -> crate::json::Wanted {
    let mut w = crate::json::Wanted::new();
    w.add(&spec.id_path);
    w.add(&spec.state_path);
    for p in [
        &spec.queue_position_path,
        &spec.error_message_path,
        &spec.error_code_path,
        &spec.cost_path,
    ]
    .into_iter()
    .flatten()
    {
        w.add(p);
    }
    for p in &spec.json_string_fields {
        w.add(p);
    }
    // Of an output, [`outputs`] reads the value itself when it is text, and only its `url`
    // when it is an object: the rest of an output object (sizes, content types) is skipped.
    for rule in &spec.outputs {
        w.add(&concat(&[&rule.path, ".url"]));
    }
    w
}

/// Normalizes a status body (or a webhook body, which has the same shape) of the dialect
/// `profile` describes. `known_id` is used when the body carries no id.
///
/// ```
/// use tasklane_core::{normalize::status_update, ProviderProfile, TaskState};
/// let p = ProviderProfile::builtin("mindproxy").unwrap();
/// let body = r#"{"task_id":"t1","status":8}"#;
/// let u = status_update(&p, &tasklane_core::json::parse(body).unwrap(), None).unwrap();
/// assert_eq!(u.state, TaskState::Failed);
/// assert_eq!(u.error.unwrap().code, "REFUNDED");
/// ```
pub fn status_update(
    profile: &ProviderProfile,
    raw: &Value,
    known_id: Option<&str>,
) -> Result<TaskUpdate, NormalizeError> {
    let mut u = status_fields(profile, raw, known_id)?;
    u.raw = crate::json::RawJson::of(raw);
    Ok(u)
}

/// [`status_update`] without `raw` (left `null`), for a caller that owns the body and moves
/// it in rather than copying it (a webhook's body can be large).
pub fn status_fields(
    profile: &ProviderProfile,
    raw: &Value,
    known_id: Option<&str>,
) -> Result<TaskUpdate, NormalizeError> {
    let spec: &StatusSpec = &profile.status;
    let v = expand(raw, &spec.json_string_fields)?;
    let id = json_path::get(&v, &spec.id_path)
        .filter(|_| !spec.id_path.is_empty())
        .and_then(scalar_text)
        .filter(|s| !s.is_empty())
        .or_else(|| known_id.map(str::to_owned));
    let raw_status = json_path::get(&v, &spec.state_path).and_then(scalar_text);
    let state = raw_status
        .as_ref()
        .and_then(|r| spec.states.get(r))
        .copied();
    // One exit for the three ways the body can fail to say what it is (each `?` of its
    // own wrote out the drops of what was read before it, issue 7).
    let (id, raw_status, mut state) = match (id, raw_status, state) {
        (Some(id), Some(r), Some(state)) => (id, r, state),
        (None, ..) => return Err(NormalizeError::NoId(spec.id_path.clone())),
        (_, None, _) => return Err(NormalizeError::NoStatus(spec.state_path.clone())),
        (_, Some(r), None) => return Err(NormalizeError::UnknownStatus(r)),
    };

    let text_at = |p: &Option<String>| -> Option<String> {
        let x = json_path::get(&v, p.as_deref()?)?;
        match x {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::Object(_) | Value::Array(_) => Some(x.to_text()),
            other => scalar_text(other),
        }
    };
    let err_message = text_at(&spec.error_message_path);
    let err_code = text_at(&spec.error_code_path);
    if state == TaskState::Succeeded
        && spec.error_means_failure
        && (err_message.is_some() || err_code.is_some())
    {
        state = err_code
            .as_ref()
            .and_then(|c| spec.error_code_states.get(c).copied())
            .unwrap_or(TaskState::Failed);
    }

    let mut u = TaskUpdate::new(id, state, raw_status.clone());
    u.queue_position = spec
        .queue_position_path
        .as_deref()
        .and_then(|p| json_path::get(&v, p))
        .and_then(non_negative)
        .map(|x| x as u64);
    u.cost_ms = spec
        .cost_path
        .as_deref()
        .and_then(|p| json_path::get(&v, p))
        .and_then(non_negative)
        .map(|x| (x * spec.cost_scale).round())
        .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1e15)
        .map(|x| x as u64);
    if state.is_terminal() && state != TaskState::Succeeded {
        let code = spec
            .state_error_codes
            .get(&raw_status)
            .cloned()
            .or(err_code)
            .unwrap_or_else(|| state.as_str().to_owned());
        let message = err_message.unwrap_or_else(|| {
            let mut m = String::from("task ended ");
            m.push_str(state.as_str());
            m.push_str(" (status ");
            m.push_str(&raw_status);
            m.push(')');
            m
        });
        u.error = Some(UpdateError { code, message });
    }
    let outputs = outputs(&v, &spec.outputs);
    if !outputs.is_empty() {
        u.outputs = Some(outputs);
    }
    Ok(u)
}

fn non_negative(v: &Value) -> Option<f64> {
    let x = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => number_text(crate::text::trim(s))?,
        _ => return None,
    };
    (0.0..1e15).contains(&x).then_some(x)
}

/// A number written as text (`"3"`, `"1.5"`, `"+2"`, `".5"`, `"2."`, `"1e3"`), read by
/// the JSON number parser rather than `str::parse::<f64>`, so the wasm carries one
/// decimal-to-float implementation instead of two (issue 7). `inf` and `NaN` are refused
/// (the callers refuse them anyway).
fn number_text(s: &str) -> Option<f64> {
    let s = s.strip_prefix("+").unwrap_or(s);
    let mut t = String::with_capacity(s.len() + 2);
    if s.starts_with(".") {
        t.push('0');
    }
    t.push_str(s);
    if s.ends_with(".") {
        t.push('0');
    }
    match crate::json::parse(&t).ok()? {
        Value::Number(n) => Some(n.as_f64()),
        _ => None,
    }
}

/// The output files the rules find in `v` (already expanded), without duplicates.
pub fn outputs(v: &Value, rules: &[OutputRule]) -> Vec<Output> {
    let mut out: Vec<Output> = Vec::new();
    for rule in rules {
        // The last segment that names something (a plain loop: a `filter`/`last` chain
        // cost the wasm an iterator instantiation, issue 7).
        let mut field = "";
        for seg in crate::text::split(&rule.path, b'.') {
            if !seg.is_empty() && seg != "url" && seg != "[]" {
                field = seg;
            }
        }
        for &x in &json_path::collect(v, &rule.path) {
            let s = match x {
                Value::String(s) if !crate::text::trim(s).is_empty() => crate::text::trim(s),
                Value::Object(m) => match m.get("url") {
                    Some(Value::String(s)) if !s.is_empty() => s.as_str(),
                    _ => continue,
                },
                _ => continue,
            };
            let url = if rule.base64 && !looks_like_url(s) {
                match data_url(s) {
                    Some(u) => u,
                    None => continue,
                }
            } else {
                s.to_owned()
            };
            let kind = rule
                .kind
                .or_else(|| OutputKind::from_extension(&url))
                .or_else(|| OutputKind::from_field_name(field))
                .unwrap_or(OutputKind::File);
            if !out.iter().any(|o| o.url == url) {
                out.push(Output { url, kind });
            }
        }
    }
    out
}

fn looks_like_url(s: &str) -> bool {
    let starts = |p: &str| {
        s.as_bytes()
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
    };
    starts("http://") || starts("https://") || starts("data:")
}

/// `data:<mime>;base64,<b64>` for base64 file content, with the MIME type its first bytes
/// show (PNG, JPEG, GIF, WebP; else `application/octet-stream`). `None` if `b64` is not base64.
pub fn data_url(b64: &str) -> Option<String> {
    // Byte by byte rather than by `char` (issue 7: decoding and re-encoding chars cost the
    // wasm ≈ 0.5 KB): whitespace is dropped, any other byte outside the alphabet refuses
    // the text (a non-ASCII character's bytes are neither).
    let mut clean = String::with_capacity(b64.len());
    for &b in b64.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_') {
            clean.push(char::from(b));
        } else if !b.is_ascii_whitespace() {
            return None;
        }
    }
    if clean.is_empty() {
        return None;
    }
    let mime = sniff_mime(&decode_prefix(&clean, 12));
    Some(concat(&["data:", mime, ";base64,", &clean]))
}

/// The MIME type the first bytes of a file show.
pub fn sniff_mime(head: &[u8]) -> &'static str {
    if head.starts_with(&[0x89, b'P', b'N', b'G']) {
        "image/png"
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        "image/jpeg"
    } else if head.starts_with(b"GIF8") {
        "image/gif"
    } else if head.len() >= 12 && head.starts_with(b"RIFF") && &head[8..12] == b"WEBP" {
        "image/webp"
    } else {
        "application/octet-stream"
    }
}

/// The outputs in a result body (queue's `response_url` answer).
pub fn result_outputs(
    profile: &ProviderProfile,
    raw: &Value,
) -> Result<Vec<Output>, NormalizeError> {
    match &profile.result {
        Some(r) => Ok(outputs(&*expand(raw, &r.json_string_fields)?, &r.outputs)),
        None => Ok(Vec::new()),
    }
}

/// The events in an events body.
pub fn events(profile: &ProviderProfile, raw: &Value) -> Result<Vec<TaskEvent>, NormalizeError> {
    let spec: &EventsSpec = profile
        .events
        .as_ref()
        .ok_or_else(|| NormalizeError::Shape("the dialect has no events".into()))?;
    let list = json_path::get(raw, &spec.list_path)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            NormalizeError::Shape(concat(&["no event list at `", &spec.list_path, "`"]))
        })?;
    let text = |e: &Value, p: &str| -> Option<String> {
        if p.is_empty() {
            return None;
        }
        json_path::get(e, p).and_then(scalar_text)
    };
    // A plain loop: a `map`/`collect` chain cost the wasm an iterator instantiation
    // (issue 7).
    let mut events = Vec::with_capacity(list.len());
    for e in list {
        let raw_status = text(e, &spec.status_path);
        events.push(TaskEvent {
            id: text(e, &spec.id_path),
            event_type: text(e, &spec.type_path),
            state: raw_status
                .as_ref()
                .and_then(|s| profile.status.states.get(s).copied()),
            raw_status,
            message: text(e, &spec.message_path),
            created_at: text(e, &spec.created_at_path),
            raw: e.clone(),
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages, as the derive that wrote them before `message` did.
    #[test]
    fn error_messages() {
        let s = |x: &str| x.to_owned();
        let cases = [
            (NormalizeError::NotJson, "body is not JSON"),
            (
                NormalizeError::NoStatus(s("a.b")),
                "body has no status at `a.b`",
            ),
            (
                NormalizeError::UnknownStatus(s("7")),
                "unknown status value \"7\"",
            ),
            (NormalizeError::NoId(s("id")), "body has no task id at `id`"),
            (
                NormalizeError::Shape(s("x")),
                "body does not match the dialect: x",
            ),
            (NormalizeError::FieldNotJson(s("r")), "`r` is not JSON text"),
        ];
        for (e, m) in cases {
            assert_eq!(e.message(), m);
            assert_eq!(e.to_string(), m);
        }
    }

    #[test]
    fn numbers_in_text() {
        for (text, want) in [
            ("3", Some(3.0)),
            (" 1.5 ", Some(1.5)),
            ("+2", Some(2.0)),
            (".5", Some(0.5)),
            ("2.", Some(2.0)),
            ("1e3", Some(1000.0)),
            ("-1", None),
            ("inf", None),
            ("NaN", None),
            ("", None),
            ("3 4", None),
        ] {
            assert_eq!(non_negative(&Value::String(text.into())), want, "{text:?}");
        }
    }

    #[test]
    fn base64_prefix_and_sniffing() {
        // "\x89PNG\r\n\x1a\n" + IHDR start
        assert_eq!(
            decode_prefix("iVBORw0KGgoAAAANSUhEUgAA", 8),
            vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10]
        );
        assert_eq!(
            sniff_mime(&decode_prefix("/9j/4AAQSkZJRg", 12)),
            "image/jpeg"
        );
        assert_eq!(
            sniff_mime(&decode_prefix("R0lGODlhAQABAAAAACw=", 12)),
            "image/gif"
        );
        assert_eq!(
            sniff_mime(&decode_prefix("UklGRiQAAABXRUJQVlA4", 12)),
            "image/webp"
        );
        assert_eq!(
            sniff_mime(&decode_prefix("AAAA", 12)),
            "application/octet-stream"
        );
        assert_eq!(data_url("not base64!"), None);
        assert_eq!(data_url(""), None);
        assert_eq!(
            data_url("iVBORw0K\nGgo=").as_deref(),
            Some("data:image/png;base64,iVBORw0KGgo=")
        );
    }

    /// The char-based `data_url` the byte-based one replaced.
    fn old_data_url(b64: &str) -> Option<String> {
        let clean: String = b64.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        if clean.is_empty()
            || !clean
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'-' | b'_'))
        {
            return None;
        }
        let mime = sniff_mime(&decode_prefix(&clean, 12));
        Some(format!("data:{mime};base64,{clean}"))
    }

    #[test]
    fn data_url_same_as_by_chars() {
        let pieces = [
            "iVBORw0KGgo",
            "/9j/4AAQ",
            "R0lGOD",
            "UklGRiQAAABXRUJQ",
            "AAAA",
            "=",
            "-_",
            "+/",
            " ",
            "\n",
            "\t",
            "\r",
            "\u{c}",
            "\u{b}",
            "\u{a0}",
            "\u{3000}",
            "é",
            "!",
            ".",
        ];
        let mut r = crate::rng::SplitMix64::new(11);
        for _ in 0..20_000 {
            let mut t = String::new();
            for _ in 0..r.next_u64() % 6 {
                t.push_str(pieces[(r.next_u64() % pieces.len() as u64) as usize]);
            }
            assert_eq!(data_url(&t), old_data_url(&t), "{t:?}");
        }
    }

    #[test]
    fn url_prefixes_any_case() {
        let old = |s: &str| {
            let l = s.get(..8).unwrap_or(s).to_ascii_lowercase();
            l.starts_with("http://") || l.starts_with("https://") || l.starts_with("data:")
        };
        for s in [
            "",
            "http:/",
            "http://",
            "HTTP://x",
            "hTtPs://x",
            "https:/x",
            "data:",
            "DATA:image",
            "dat",
            "ftp://x",
            "iVBORw0K",
            "httpsé://",
            "http://é",
            "éhttp://",
            "https:/é",
        ] {
            assert_eq!(looks_like_url(s), old(s), "{s:?}");
        }
    }

    #[test]
    fn envelope_codes() {
        let apixo = ProviderProfile::builtin("apixo").expect("built in");
        assert_eq!(envelope_status(&apixo, r#"{"code":200,"data":{}}"#), None);
        assert_eq!(envelope_status(&apixo, r#"{"code":429}"#), Some(429));
        assert_eq!(envelope_status(&apixo, r#"{"code":1001}"#), Some(502));
        assert_eq!(envelope_status(&apixo, r#"{"code":-1}"#), Some(502));
        assert_eq!(envelope_status(&apixo, r#"{"code":"429"}"#), None);
        assert_eq!(envelope_status(&apixo, "not json"), None);
        let failed_task = r#"{"code":501,"msg":"failed","data":{"taskId":"t","state":"failed"}}"#;
        assert_eq!(envelope_status(&apixo, failed_task), None);
        let queue = ProviderProfile::builtin("queue").expect("built in");
        assert_eq!(envelope_status(&queue, r#"{"code":429}"#), None);
    }

    #[test]
    fn outputs_dedupe_and_guess() {
        let v = crate::json!({"a": ["https://x/1.mp4", "https://x/1.mp4", "https://x/f"], "image_url": "https://x/i"});
        let rules = vec![
            OutputRule {
                path: "a[]".into(),
                kind: None,
                base64: false,
            },
            OutputRule {
                path: "image_url".into(),
                kind: None,
                base64: false,
            },
        ];
        let o = outputs(&v, &rules);
        assert_eq!(o.len(), 3);
        assert_eq!(o[0].kind, OutputKind::Video);
        assert_eq!(o[1].kind, OutputKind::File);
        assert_eq!(o[2].kind, OutputKind::Image);
    }
}
