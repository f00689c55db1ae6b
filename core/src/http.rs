//! Plain descriptions of HTTP exchanges: the [`HttpRequest`] the core asks the shell to
//! perform, the [`HttpResponse`] it gets back, and the [`TransportError`] when there was
//! no answer. The shell owns `fetch`; these types only carry data.

/// A request for the shell to perform with `fetch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST` or `PUT`.
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Headers in order; names as written.
    pub headers: Vec<(String, String)>,
    /// The body (JSON text), if any.
    pub body: Option<String>,
    /// Abort the request after this many milliseconds and report [`TransportErrorKind::Timeout`].
    pub timeout_ms: u64,
}

impl HttpRequest {
    /// The value of the first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The response headers the core reads (lower case). A shell need not pass any other:
/// the Node shell reads just these with `headers.get` rather than copying every header.
pub const RESPONSE_HEADERS: &[&str] = &["retry-after"];

/// An answer from the server, whatever its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers: at least those of [`RESPONSE_HEADERS`] that were present.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// A response with a status and a body and no headers.
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The value of the first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The value of the first header in `headers` named `name` (ASCII case-insensitive).
pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    for (k, v) in headers {
        if k.eq_ignore_ascii_case(name) {
            return Some(v);
        }
    }
    None
}

/// Why there was no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportErrorKind {
    /// `timeout_ms` passed without an answer.
    Timeout,
    /// DNS, connection refused or reset, TLS, CORS...
    Network,
    /// The shell aborted it (after [`crate::engine::Output::Abort`]).
    Aborted,
}

/// A request that got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("transport error ({kind:?}, sent: {sent})")]
pub struct TransportError {
    /// What happened.
    pub kind: TransportErrorKind,
    /// Whether the request may have reached the server. `false` only when it provably did
    /// not (e.g. connection refused); a non-idempotent submit with `sent: true` is never repeated.
    pub sent: bool,
}

impl TransportError {
    /// A timeout (the request may have arrived).
    pub const fn timeout() -> Self {
        TransportError {
            kind: TransportErrorKind::Timeout,
            sent: true,
        }
    }

    /// A network failure; `sent` says whether the request may have reached the server.
    pub const fn network(sent: bool) -> Self {
        TransportError {
            kind: TransportErrorKind::Network,
            sent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive() {
        let r = HttpResponse::new(429, "").with_header("Retry-After", "3");
        assert_eq!(r.header("retry-after"), Some("3"));
        assert_eq!(r.header("x"), None);
    }
}
