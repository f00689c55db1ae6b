//! CORS on every route, so a test page served from another loopback port (or the demo)
//! can call the simulator: the request's `Origin` (or `*`) is allowed, preflights echo
//! the requested headers and always name `authorization` (the Fetch spec's `*` does not
//! cover it), and `retry-after` is exposed so a browser client can honour it.

use hyper::header::{HeaderMap, HeaderValue};

use crate::http::{full, Body};

const EXPOSE: &str =
    "retry-after, content-type, content-length, location, webhook-id, x-request-id";
const METHODS: &str = "GET, POST, PUT, DELETE, HEAD, OPTIONS";

/// Adds the CORS answer headers for a request that carried `origin`.
pub fn apply(headers: &mut HeaderMap, origin: Option<&HeaderValue>) {
    let allow = origin
        .cloned()
        .unwrap_or_else(|| HeaderValue::from_static("*"));
    headers.insert("access-control-allow-origin", allow);
    headers.insert(
        "access-control-expose-headers",
        HeaderValue::from_static(EXPOSE),
    );
    if origin.is_some() {
        headers.append("vary", HeaderValue::from_static("Origin"));
    }
}

/// The answer to a preflight (`OPTIONS`) request.
pub fn preflight(req_headers: &HeaderMap) -> hyper::Response<Body> {
    let requested = req_headers
        .get("access-control-request-headers")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut names: Vec<String> = requested
        .split(',')
        .map(|s| s.trim().to_ascii_lowercase())
        .filter(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .collect();
    for must in ["authorization", "content-type", "idempotency-key"] {
        if !names.iter().any(|n| n == must) {
            names.push(must.to_string());
        }
    }
    let mut resp = hyper::Response::new(full(bytes::Bytes::new()));
    *resp.status_mut() = hyper::StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    apply(h, req_headers.get("origin"));
    h.insert(
        "access-control-allow-methods",
        HeaderValue::from_static(METHODS),
    );
    if let Ok(v) = HeaderValue::from_str(&names.join(", ")) {
        h.insert("access-control-allow-headers", v);
    }
    h.insert("access-control-max-age", HeaderValue::from_static("600"));
    h.append(
        "vary",
        HeaderValue::from_static("Access-Control-Request-Headers"),
    );
    resp
}
