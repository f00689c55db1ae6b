//! The edge proxy's decisions, as pure functions: which of a dialect's routes a request
//! is (read from its [`ProviderProfile`], so a user's own profile works too), what the
//! `allow` lists say about it, and how vendor URLs in answers are rewritten to point back
//! at the proxy. The shell (`createProxyHandler`) does the HTTP around them.

use crate::text::{concat, decimal};
use crate::vecmap::VecMap;

use crate::json::Value;

use crate::json_path;
use crate::profile::{ProviderProfile, Route, Source};

/// Why the proxy refused a request, with a stable `code()` and the HTTP `status()`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProxyError {
    /// The path is not one of the dialect's routes.
    NotFound {
        /// The dialect.
        dialect: String,
        /// The path asked for (below the mount point).
        path: String,
    },
    /// The path is a route of the dialect, but not with this method.
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
        /// The methods the path takes, for the answer's `Allow` header (`"GET, POST"`).
        allow: String,
    },
    /// `authorize` said no.
    Unauthorized,
    /// An `allow` list does not contain the value asked for.
    Forbidden {
        /// Which list: `model`, `operation`, `endpoint` or `taskType`.
        what: &'static str,
        /// The value that was refused.
        value: String,
    },
    /// The request's `Origin` is not in `allowOrigins`.
    OriginNotAllowed(String),
    /// The body is larger than the limit.
    BodyTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A submit body that is not a JSON object (so the allow lists cannot be checked).
    BadBody(String),
    /// The request's body could not be read on this side (the app's own `authorize` or
    /// `rateLimit` read it first, or the request is no `Request`): the app's bug, a 500.
    BodyUnreadable(String),
    /// `rateLimit` refused the caller (see [`rate_limit`]).
    RateLimited {
        /// Seconds until the caller may try again, sent as `Retry-After`, when known.
        retry_after_s: Option<u64>,
    },
    /// The vendor did not answer within `upstreamTimeoutMs`.
    UpstreamTimeout {
        /// The timeout in milliseconds.
        ms: u64,
    },
    /// The vendor could not be reached (DNS, connection, TLS...).
    UpstreamUnreachable,
}

// Display by hand over `message`, not thiserror's derive: the shell answers with
// `body`, so the wasm needs no `core::fmt` (issue 7).
impl std::fmt::Display for ProxyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ProxyError {}

impl ProxyError {
    /// The human-readable message (what `Display` writes, and the answer's `message`).
    pub fn message(&self) -> String {
        match self {
            Self::NotFound { dialect, path } => concat(&["no ", dialect, " route at ", path]),
            Self::MethodNotAllowed { method, path, .. } => {
                concat(&[path, " does not take ", method])
            }
            Self::Unauthorized => "not authorized to use this proxy".into(),
            Self::Forbidden { what, value } => concat(&[what, " \"", value, "\" is not allowed"]),
            Self::OriginNotAllowed(origin) => concat(&["origin \"", origin, "\" is not allowed"]),
            Self::BodyTooLarge { limit } => {
                concat(&["body exceeds the limit of ", &decimal(*limit), " bytes"])
            }
            Self::BadBody(why) => concat(&["the request body is not a JSON object: ", why]),
            Self::BodyUnreadable(why) => {
                concat(&["the request body could not be read here: ", why])
            }
            Self::RateLimited { .. } => "too many requests".into(),
            Self::UpstreamTimeout { ms } => {
                concat(&["the vendor did not answer within ", &decimal(*ms), " ms"])
            }
            Self::UpstreamUnreachable => "the vendor could not be reached".into(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound { .. } => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden { .. } => "forbidden",
            Self::OriginNotAllowed(_) => "origin_not_allowed",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BadBody(_) => "bad_request",
            Self::BodyUnreadable(_) => "body_unreadable",
            Self::RateLimited { .. } => "rate_limited",
            Self::UpstreamTimeout { .. } => "upstream_timeout",
            Self::UpstreamUnreachable => "upstream_unreachable",
        }
    }

    /// The HTTP status the proxy answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::NotFound { .. } => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::Unauthorized => 401,
            Self::Forbidden { .. } | Self::OriginNotAllowed(_) => 403,
            Self::BodyTooLarge { .. } => 413,
            Self::BadBody(_) => 400,
            Self::BodyUnreadable(_) => 500,
            Self::RateLimited { .. } => 429,
            Self::UpstreamTimeout { .. } => 504,
            Self::UpstreamUnreachable => 502,
        }
    }

    /// `{"error":{"code":…,"message":…}}`.
    pub fn body(&self) -> String {
        crate::webhook::answer::error_body(self.code(), &self.message())
    }
}

/// What a `rateLimit` hook's answer means, given the answer as a number (when it is
/// one) and whether it is `true`: `true` or a number ≤ 0 lets the request through; a
/// positive number refuses it with `Retry-After` in whole seconds, rounded up; anything
/// else (`false`, `undefined`, `NaN`, a hook that threw) refuses it without one, so a hook
/// that forgets to answer fails closed.
pub fn rate_limit(number: Option<f64>, is_true: bool) -> Result<(), ProxyError> {
    match number {
        Some(n) if n <= 0.0 => Ok(()),
        // Finite and positive: at least 1 s, and the cast saturates for absurd values.
        Some(n) if n.is_finite() => Err(ProxyError::RateLimited {
            retry_after_s: Some(n.ceil() as u64),
        }),
        _ if is_true => Ok(()),
        _ => Err(ProxyError::RateLimited {
            retry_after_s: None,
        }),
    }
}

/// Whether the answers to `kind` are read whole (into the wasm) so the vendor URLs in them
/// can be rewritten to the proxy: only where the dialect hands out URLs for later
/// requests (queue's submit answer, whose `status_url`, `response_url` and `cancel_url`
/// its status answers repeat). Every other answer (results, events, cancels, and all of a
/// dialect that hands out no URLs) streams through untouched: it carries no URL the
/// client follows through the proxy (a file on the vendor's host would only 404 there),
/// and a large result must not be held in memory twice.
pub fn rewrites_answer(profile: &ProviderProfile, kind: RouteKind) -> bool {
    !profile.submit.urls.is_empty() && matches!(kind, RouteKind::Submit | RouteKind::Status)
}

/// Which kind of request a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    /// Creating a task (its body is checked against the allow lists).
    Submit,
    /// Reading a status.
    Status,
    /// Reading a result.
    Result,
    /// Canceling.
    Cancel,
    /// Listing events.
    Events,
}

/// The allow lists of `createProxyHandler` (`None`: anything).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    /// apixo / mindproxy models.
    pub models: Option<Vec<String>>,
    /// mirako operations.
    pub operations: Option<Vec<String>>,
    /// queue endpoints.
    pub endpoints: Option<Vec<String>>,
    /// mindproxy task types.
    pub task_types: Option<Vec<String>>,
}

/// A request matched to one of the dialect's routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Which route.
    pub kind: RouteKind,
    /// The placeholders the path filled (`model`, `operation`, `endpoint`, `id`...).
    pub params: VecMap<String, String>,
}

/// One piece of a path template.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Lit(&'a str),
    /// A placeholder; `multi` ones (`operation`, `endpoint`) may span `/`.
    Var {
        name: &'a str,
        multi: bool,
    },
    /// The tail of a remembered URL: nothing, or one more path segment (queue's
    /// `requests/{id}/cancel`), never a deeper path the key would reach.
    Rest,
}

fn pieces(template: &str) -> Vec<Piece<'_>> {
    let path = crate::text::before_any(template, b"?");
    let mut out = Vec::new();
    let mut rest = path;
    while let Some(open) = crate::text::find(rest, "{") {
        if open > 0 {
            out.push(Piece::Lit(&rest[..open]));
        }
        let Some(close) = crate::text::find(&rest[open..], "}") else {
            out.push(Piece::Lit(&rest[open..]));
            return out;
        };
        let name = &rest[open + 1..open + close];
        out.push(Piece::Var {
            name,
            multi: matches!(name, "operation" | "endpoint"),
        });
        rest = &rest[open + close + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    out
}

/// Matches `path` against `pieces`, filling `params`; backtracks over multi-segment
/// placeholders (a few pieces and short paths: the work is small and bounded).
fn match_pieces(pieces: &[Piece<'_>], path: &str, params: &mut VecMap<String, String>) -> bool {
    match pieces.split_first() {
        None => path.is_empty(),
        Some((Piece::Rest, _)) => {
            path.is_empty()
                || path
                    .strip_prefix("/")
                    .is_some_and(|seg| !crate::text::has_byte(seg, b'/'))
        }
        Some((Piece::Lit(l), more)) => path
            .strip_prefix(l)
            .is_some_and(|p| match_pieces(more, p, params)),
        Some((Piece::Var { name, multi }, more)) => {
            // The value ends at a '/' (or may span several segments when multi).
            let mut ends: Vec<usize> = slashes(path).collect();
            ends.push(path.len());
            if !multi {
                ends.truncate(1);
            }
            for end in ends.into_iter().rev() {
                let value = &path[..end];
                if value.is_empty() {
                    continue;
                }
                if match_pieces(more, &path[end..], params) {
                    params.insert((*name).to_owned(), value.to_owned());
                    return true;
                }
            }
            false
        }
    }
}

/// The byte offsets of the `/`s in `path` (a byte scan: a `char` pattern would bring
/// UTF-8 char decoding and encoding into the wasm, issue 7).
fn slashes(path: &str) -> impl Iterator<Item = usize> + '_ {
    path.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'/')
        .map(|(i, _)| i)
}

/// The dialect's routes, with the path each is matched by. A route known only by a URL
/// remembered from the submit answer (queue's cancel) is matched by the status path up to
/// `{id}`, followed by at most one more segment.
fn routes(profile: &ProviderProfile) -> Vec<(RouteKind, &Route, String)> {
    let status_prefix = {
        let p = crate::text::before_any(&profile.status.route.path, b"?");
        crate::text::find(p, "{id}").map(|i| concat(&[&p[..i], "{id}{*}"]))
    };
    let mut out = vec![
        (RouteKind::Submit, &profile.submit.route),
        (RouteKind::Status, &profile.status.route),
    ];
    if let Some(r) = &profile.result {
        out.push((RouteKind::Result, &r.route));
    }
    if let Some(c) = &profile.cancel {
        out.push((RouteKind::Cancel, &c.route));
    }
    if let Some(e) = &profile.events {
        out.push((RouteKind::Events, &e.route));
    }
    out.into_iter()
        .filter_map(|(kind, route)| {
            let path = if route.path.is_empty() {
                route.url_from.and(status_prefix.clone())?
            } else {
                route.path.clone()
            };
            Some((kind, route, path))
        })
        .collect()
}

fn pieces_of(path: &str) -> Vec<Piece<'_>> {
    match path.strip_suffix("{*}") {
        Some(p) => {
            let mut v = pieces(p);
            v.push(Piece::Rest);
            v
        }
        None => pieces(path),
    }
}

/// Matches `method path` (path below the mount point, without the query) to one of the
/// dialect's routes. Submit routes are tried first, then the others in profile order.
pub fn match_route(
    profile: &ProviderProfile,
    method: &str,
    path: &str,
) -> Result<Matched, ProxyError> {
    // The URL parser resolved the path's `.` and `..` segments, but a `/` or `\` sent
    // percent-encoded is still inside one segment here: a vendor (or a server before it)
    // that decodes it before routing would resolve `{id}` = `..%2F..%2Fadmin` outside the
    // route, and past the allow lists, with the proxy's key. No id, model, endpoint or
    // operation holds one, so such a path is no route.
    if encoded_separator(path) {
        return Err(ProxyError::NotFound {
            dialect: profile.name.clone(),
            path: path.to_owned(),
        });
    }
    let mut allow = String::new();
    for (kind, route, template) in routes(profile) {
        let mut params = VecMap::new();
        if match_pieces(&pieces_of(&template), path, &mut params) {
            if route.method.eq_ignore_ascii_case(method) {
                return Ok(Matched { kind, params });
            }
            if !allow.is_empty() {
                allow.push_str(", ");
            }
            allow.push_str(&route.method.to_ascii_uppercase());
        }
    }
    if !allow.is_empty() {
        Err(ProxyError::MethodNotAllowed {
            method: method.to_owned(),
            path: path.to_owned(),
            allow,
        })
    } else {
        Err(ProxyError::NotFound {
            dialect: profile.name.clone(),
            path: path.to_owned(),
        })
    }
}

/// Whether `path` holds a percent-encoded `/` (`%2F`) or `\` (`%5C`), in either case.
fn encoded_separator(path: &str) -> bool {
    path.as_bytes().windows(3).any(|w| {
        w[0] == b'%' && (w[1..].eq_ignore_ascii_case(b"2f") || w[1..].eq_ignore_ascii_case(b"5c"))
    })
}

/// Splits a request path into the proxy's mount point and the dialect path below it: the
/// first `/`-boundary from the left where the rest is one of the dialect's routes (any
/// method). `None` when no suffix is a route.
pub fn split_mount<'a>(profile: &ProviderProfile, path: &'a str) -> Option<(&'a str, &'a str)> {
    let all = routes(profile);
    for i in slashes(path) {
        let rest = &path[i..];
        if all
            .iter()
            .any(|(_, _, t)| match_pieces(&pieces_of(t), rest, &mut VecMap::new()))
        {
            return Some((&path[..i], rest));
        }
    }
    None
}

fn check(
    list: &Option<Vec<String>>,
    what: &'static str,
    value: Option<&str>,
) -> Result<(), ProxyError> {
    let Some(list) = list else { return Ok(()) };
    match value {
        Some(v) if list.iter().any(|a| a == v) => Ok(()),
        other => Err(ProxyError::Forbidden {
            what,
            value: other.unwrap_or("").to_owned(),
        }),
    }
}

/// Checks a matched request against the allow lists: placeholders in the path, and for a
/// submit the body fields the profile fills from `model`, `operation`, `endpoint` and
/// `taskType` (mindproxy's `public_model` and `task_type`).
pub fn check_allow(
    profile: &ProviderProfile,
    allow: &Allow,
    m: &Matched,
    body: Option<&Value>,
) -> Result<(), ProxyError> {
    // One slot per name (`None`: not in the request; `Some(v)`: there, `v` may be empty).
    // A fixed array rather than a map: four known keys need no map type in the wasm.
    const NAMES: [&str; 4] = ["model", "operation", "endpoint", "taskType"];
    let mut values: [Option<Option<String>>; 4] = Default::default();
    for (slot, key) in values.iter_mut().zip(NAMES) {
        if let Some(v) = m.params.get(key) {
            *slot = Some(Some(v.clone()));
        }
    }
    if m.kind == RouteKind::Submit {
        for field in &profile.submit.body {
            let i = match field.from {
                Source::Model => 0,
                Source::Operation => 1,
                Source::Endpoint => 2,
                Source::TaskType => 3,
                _ => continue,
            };
            if field.to.is_empty() {
                continue;
            }
            let v = body
                .and_then(|b| json_path::get(b, &field.to))
                .and_then(json_path::scalar_text);
            values[i] = Some(v);
        }
    }
    let lists = [
        &allow.models,
        &allow.operations,
        &allow.endpoints,
        &allow.task_types,
    ];
    for ((name, list), value) in NAMES.into_iter().zip(lists).zip(&values) {
        if let Some(v) = value {
            check(list, name, v.as_deref())?;
        } else if m.kind == RouteKind::Submit && list.is_some() && uses(profile, name) {
            // The dialect takes this value but the request carries none: refuse.
            check(list, name, None)?;
        }
    }
    Ok(())
}

/// Whether the dialect's submit takes `name` (in its path or body).
fn uses(profile: &ProviderProfile, name: &str) -> bool {
    crate::text::contains(&profile.submit.route.path, &concat(&["{", name, "}"]))
        || profile.submit.body.iter().any(|f| {
            matches!(
                (name, f.from),
                ("model", Source::Model)
                    | ("operation", Source::Operation)
                    | ("endpoint", Source::Endpoint)
                    | ("taskType", Source::TaskType)
            )
        })
}

/// Rewrites every JSON string that starts with `from` (the vendor's base URL) to start
/// with `to` (the proxy's own base), so URLs handed out (queue's `status_url`...) come
/// back through the proxy. Returns how many were rewritten.
pub fn rewrite_urls(v: &mut Value, from: &str, to: &str) -> usize {
    match v {
        Value::String(s) => {
            let hit = s
                .strip_prefix(from)
                .filter(|rest| rest.is_empty() || rest.starts_with("/") || rest.starts_with("?"));
            match hit {
                Some(rest) => {
                    *s = concat(&[to, rest]);
                    1
                }
                None => 0,
            }
        }
        Value::Array(a) => a.iter_mut().map(|x| rewrite_urls(x, from, to)).sum(),
        Value::Object(o) => o.values_mut().map(|x| rewrite_urls(x, from, to)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    fn p(n: &str) -> ProviderProfile {
        ProviderProfile::builtin(n).unwrap()
    }

    #[test]
    fn routes_of_each_dialect() {
        let m = match_route(&p("mirako"), "POST", "/v1/avatar/async_generate").unwrap();
        assert_eq!(m.kind, RouteKind::Submit);
        assert_eq!(
            m.params.get("operation").expect("param"),
            "avatar/async_generate"
        );
        let m = match_route(&p("mirako"), "GET", "/v1/avatar/async_generate/t1/status").unwrap();
        assert_eq!(
            (m.kind, m.params.get("id").expect("param").as_str()),
            (RouteKind::Status, "t1")
        );
        let m = match_route(&p("apixo"), "GET", "/api/v1/statusTask/flux").unwrap();
        assert_eq!(m.params.get("model").expect("param"), "flux");
        let m = match_route(&p("mindproxy"), "POST", "/v1/tasks/t9/cancel").unwrap();
        assert_eq!(m.kind, RouteKind::Cancel);
        let m = match_route(&p("mindproxy"), "GET", "/v1/tasks/t9/events").unwrap();
        assert_eq!(m.kind, RouteKind::Events);
        let m = match_route(&p("queue"), "POST", "/v1/queue/fal-ai/flux/dev").unwrap();
        assert_eq!(m.params.get("endpoint").expect("param"), "fal-ai/flux/dev");
        let m = match_route(
            &p("queue"),
            "GET",
            "/v1/queue/fal-ai/flux/dev/requests/r1/status",
        )
        .unwrap();
        assert_eq!(
            (m.kind, m.params.get("endpoint").expect("param").as_str()),
            (RouteKind::Status, "fal-ai/flux/dev")
        );
        let m = match_route(&p("queue"), "GET", "/v1/queue/fal-ai/flux/dev/requests/r1").unwrap();
        assert_eq!(m.kind, RouteKind::Result);
        let m = match_route(
            &p("queue"),
            "PUT",
            "/v1/queue/fal-ai/flux/dev/requests/r1/cancel",
        )
        .unwrap();
        assert_eq!(m.kind, RouteKind::Cancel);
        // The remembered cancel URL's tail is one segment, not a way to any deeper path
        // (that path is only a submit route, with its multi-segment endpoint: POST).
        let e = match_route(
            &p("queue"),
            "PUT",
            "/v1/queue/fal-ai/flux/dev/requests/r1/anything/else/here",
        )
        .unwrap_err();
        assert!(
            matches!(e, ProxyError::MethodNotAllowed { ref allow, .. } if allow == "POST"),
            "{e:?}"
        );
    }

    #[test]
    fn refusals() {
        let e = match_route(&p("apixo"), "GET", "/api/v2/other").unwrap_err();
        assert_eq!((e.status(), e.code()), (404, "not_found"));
        let e = match_route(&p("apixo"), "DELETE", "/api/v1/generateTask/flux").unwrap_err();
        assert_eq!(e.status(), 405);
        assert!(matches!(e, ProxyError::MethodNotAllowed { ref allow, .. } if allow == "POST"));
        let e = match_route(&p("mindproxy"), "GET", "/v1/tasks/../../admin").unwrap_err();
        assert_eq!(e.status(), 404);
        // An encoded separator in a placeholder or a remembered URL's tail.
        for (d, m, path) in [
            ("mindproxy", "GET", "/v1/tasks/..%2F..%2Fadmin"),
            ("mindproxy", "POST", "/v1/tasks/..%2f..%2fx/cancel"),
            ("mindproxy", "GET", "/v1/tasks/..%5c..%5Cx"),
            ("queue", "PUT", "/v1/queue/a/requests/r1/cancel/..%2F..%2Fb"),
        ] {
            let e = match_route(&p(d), m, path).unwrap_err();
            assert_eq!((e.status(), e.code()), (404, "not_found"), "{path}");
        }
        match_route(&p("mindproxy"), "GET", "/v1/tasks/t%20%2").unwrap();
    }

    #[test]
    fn mount_points() {
        assert_eq!(
            split_mount(&p("apixo"), "/api/tasklane/api/v1/generateTask/flux"),
            Some(("/api/tasklane", "/api/v1/generateTask/flux"))
        );
        assert_eq!(
            split_mount(&p("mindproxy"), "/v1/tasks"),
            Some(("", "/v1/tasks"))
        );
        assert_eq!(split_mount(&p("mindproxy"), "/proxy/admin"), None);
    }

    #[test]
    fn allow_lists() {
        let allow = Allow {
            models: Some(vec!["sim-fast".into()]),
            task_types: Some(vec!["async_image".into()]),
            endpoints: Some(vec!["fal-ai/flux/dev".into()]),
            operations: Some(vec!["avatar/async_generate".into()]),
        };
        let mp = p("mindproxy");
        let m = match_route(&mp, "POST", "/v1/tasks").unwrap();
        let ok = json!({"task_type": "async_image", "public_model": "sim-fast", "prompt": "x"});
        check_allow(&mp, &allow, &m, Some(&ok)).unwrap();
        let bad = json!({"task_type": "video", "public_model": "sim-fast"});
        let e = check_allow(&mp, &allow, &m, Some(&bad)).unwrap_err();
        assert_eq!(e.status(), 403);
        assert!(e.to_string().contains("taskType \"video\""), "{e}");
        let missing = json!({"task_type": "async_image"});
        assert_eq!(
            check_allow(&mp, &allow, &m, Some(&missing))
                .unwrap_err()
                .code(),
            "forbidden"
        );
        let q = p("queue");
        let m = match_route(&q, "POST", "/v1/queue/fal-ai/other").unwrap();
        let e = check_allow(&q, &allow, &m, Some(&json!({}))).unwrap_err();
        assert!(e.to_string().contains("fal-ai/other"));
        let ap = p("apixo");
        let m = match_route(&ap, "POST", "/api/v1/generateTask/sim-fast").unwrap();
        check_allow(&ap, &allow, &m, Some(&json!({"input": {}}))).unwrap();
        check_allow(&ap, &Allow::default(), &m, None).unwrap();
    }

    /// Every message, as the thiserror derive wrote them before `message` did.
    #[test]
    fn messages() {
        let cases = [
            (
                ProxyError::NotFound {
                    dialect: "apixo".into(),
                    path: "/x".into(),
                },
                "no apixo route at /x",
            ),
            (
                ProxyError::MethodNotAllowed {
                    method: "DELETE".into(),
                    path: "/v1/tasks".into(),
                    allow: "GET, POST".into(),
                },
                "/v1/tasks does not take DELETE",
            ),
            (ProxyError::Unauthorized, "not authorized to use this proxy"),
            (
                ProxyError::Forbidden {
                    what: "model",
                    value: "big".into(),
                },
                "model \"big\" is not allowed",
            ),
            (
                ProxyError::OriginNotAllowed("https://evil.example".into()),
                "origin \"https://evil.example\" is not allowed",
            ),
            (
                ProxyError::BodyTooLarge { limit: 10 },
                "body exceeds the limit of 10 bytes",
            ),
            (
                ProxyError::BadBody("expected an object".into()),
                "the request body is not a JSON object: expected an object",
            ),
            (
                ProxyError::BodyUnreadable("used".into()),
                "the request body could not be read here: used",
            ),
            (
                ProxyError::RateLimited {
                    retry_after_s: Some(3),
                },
                "too many requests",
            ),
            (
                ProxyError::UpstreamTimeout { ms: 30_000 },
                "the vendor did not answer within 30000 ms",
            ),
            (
                ProxyError::UpstreamUnreachable,
                "the vendor could not be reached",
            ),
        ];
        for (e, m) in cases {
            assert_eq!(e.message(), m);
            assert_eq!(e.to_string(), m);
        }
    }

    #[test]
    fn rate_limit_answers() {
        assert_eq!(rate_limit(None, true), Ok(()));
        assert_eq!(rate_limit(Some(0.0), false), Ok(()));
        let refused = |s| Err(ProxyError::RateLimited { retry_after_s: s });
        assert_eq!(rate_limit(None, false), refused(None));
        assert_eq!(rate_limit(Some(0.2), false), refused(Some(1)));
        assert_eq!(rate_limit(Some(30.0), false), refused(Some(30)));
        assert_eq!(rate_limit(Some(f64::NAN), false), refused(None));
        let e = rate_limit(Some(2.5), false).unwrap_err();
        assert_eq!((e.status(), e.code()), (429, "rate_limited"));
    }

    #[test]
    fn buffered_answers() {
        let q = p("queue");
        assert!(rewrites_answer(&q, RouteKind::Submit) && rewrites_answer(&q, RouteKind::Status));
        assert!(!rewrites_answer(&q, RouteKind::Result) && !rewrites_answer(&q, RouteKind::Cancel));
        for d in ["mirako", "apixo", "mindproxy"] {
            assert!(!rewrites_answer(&p(d), RouteKind::Submit), "{d}");
        }
    }

    #[test]
    fn url_rewriting() {
        let mut v = json!({"status_url": "http://127.0.0.1:9/queue/v1/queue/x/requests/r/status",
            "list": ["http://127.0.0.1:9/queue", "http://127.0.0.1:9/queuex", "https://cdn/x.png"]});
        let n = rewrite_urls(
            &mut v,
            "http://127.0.0.1:9/queue",
            "https://app.example/api/tl",
        );
        assert_eq!(n, 2);
        assert_eq!(
            v["status_url"],
            "https://app.example/api/tl/v1/queue/x/requests/r/status"
        );
        assert_eq!(v["list"][1], "http://127.0.0.1:9/queuex");
    }
}
