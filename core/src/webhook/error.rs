//! The one error type of webhook verification. Every way a delivery can be refused is a
//! variant here, with a stable `code()` for programs and the HTTP `status()` the receiver
//! should answer with, so the shell never has to invent either.

use thiserror::Error;

/// Why a webhook delivery (or the configuration used to check it) was refused.
///
/// `code()` is stable and is what JavaScript sees as `WebhookError.code`; `status()` is the
/// HTTP status a receiver answers with (400 malformed, 401 unauthenticated, 405 wrong
/// method, 413 too large; 500 for a configuration mistake on the receiving side).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request method was not `POST`.
    #[error("webhooks must be delivered with POST, not {0}")]
    MethodNotAllowed(String),
    /// A header the chosen authentication needs is absent (the header name is given).
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// The `Authorization` header is not `Bearer <token>` with the configured token.
    #[error("the Authorization bearer token does not match")]
    BadAuthToken,
    /// The `webhook-signature` header holds no well-formed `v1,<base64>` entry.
    #[error("malformed webhook-signature header: {0}")]
    MalformedSignatureHeader(&'static str),
    /// No signature in `webhook-signature` matches the body, id and timestamp.
    #[error("no signature in webhook-signature matches the payload")]
    BadSignature,
    /// `webhook-timestamp` is not a whole number of seconds since the Unix epoch.
    #[error("webhook-timestamp is not an integer number of seconds")]
    MalformedTimestamp,
    /// `webhook-timestamp` is older than the tolerance allows (replay protection).
    #[error("webhook-timestamp is {age_secs} s old, more than the {tolerance_secs} s tolerated")]
    TimestampTooOld {
        /// How many seconds before `now` the timestamp lies.
        age_secs: i64,
        /// The configured tolerance in seconds.
        tolerance_secs: u64,
    },
    /// `webhook-timestamp` lies further in the future than the tolerance allows.
    #[error("webhook-timestamp is {ahead_secs} s in the future, more than the {tolerance_secs} s tolerated")]
    TimestampInFuture {
        /// How many seconds after `now` the timestamp lies.
        ahead_secs: i64,
        /// The configured tolerance in seconds.
        tolerance_secs: u64,
    },
    /// The body is larger than the configured limit.
    #[error("body exceeds the limit of {limit} bytes")]
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// `Content-Length` is present but not a non-negative integer.
    #[error("Content-Length is not a non-negative integer")]
    MalformedContentLength,
    /// Reading the body failed (the sender went away, or the stream errored).
    #[error("the webhook body could not be read: {0}")]
    UnreadableBody(String),
    /// The body is empty.
    #[error("the webhook body is empty")]
    EmptyBody,
    /// The body is not valid JSON (or not UTF-8).
    #[error("the webhook body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is JSON but not the shape of the dialect's status body.
    #[error("the webhook body is not a {dialect} status body: {reason}")]
    UnrecognizedBody {
        /// The dialect that was expected.
        dialect: String,
        /// What was missing or wrong.
        reason: String,
    },
    /// The receiver's own configuration is wrong (e.g. a secret that is not base64).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl WebhookError {
    /// The stable machine-readable code of this error (`WebhookError.code` in JavaScript).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::MissingHeader(_) => "missing_header",
            Self::BadAuthToken => "bad_auth_token",
            Self::MalformedSignatureHeader(_) => "malformed_signature_header",
            Self::BadSignature => "bad_signature",
            Self::MalformedTimestamp => "malformed_timestamp",
            Self::TimestampTooOld { .. } => "timestamp_too_old",
            Self::TimestampInFuture { .. } => "timestamp_in_future",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::MalformedContentLength => "malformed_content_length",
            Self::UnreadableBody(_) => "unreadable_body",
            Self::EmptyBody => "empty_body",
            Self::MalformedJson(_) => "malformed_json",
            Self::UnrecognizedBody { .. } => "unrecognized_body",
            Self::InvalidArgument(_) => "invalid_argument",
        }
    }

    /// The HTTP status a webhook receiver answers with for this error.
    ///
    /// Anything wrong with the authentication material (headers, signature, timestamp,
    /// token) is 401, so a sender cannot tell which check failed; anything wrong with the
    /// body itself is 400; configuration mistakes are the receiver's fault (500).
    pub fn status(&self) -> u16 {
        match self {
            Self::MethodNotAllowed(_) => 405,
            Self::MissingHeader(_)
            | Self::BadAuthToken
            | Self::MalformedSignatureHeader(_)
            | Self::BadSignature
            | Self::MalformedTimestamp
            | Self::TimestampTooOld { .. }
            | Self::TimestampInFuture { .. } => 401,
            Self::BodyTooLarge { .. } => 413,
            Self::MalformedContentLength
            | Self::UnreadableBody(_)
            | Self::EmptyBody
            | Self::MalformedJson(_)
            | Self::UnrecognizedBody { .. } => 400,
            Self::InvalidArgument(_) => 500,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_statuses_are_stable() {
        let cases: Vec<(WebhookError, &str, u16)> = vec![
            (
                WebhookError::MethodNotAllowed("GET".into()),
                "method_not_allowed",
                405,
            ),
            (
                WebhookError::MissingHeader("webhook-id"),
                "missing_header",
                401,
            ),
            (WebhookError::BadAuthToken, "bad_auth_token", 401),
            (WebhookError::BadSignature, "bad_signature", 401),
            (
                WebhookError::BodyTooLarge { limit: 1 },
                "body_too_large",
                413,
            ),
            (WebhookError::EmptyBody, "empty_body", 400),
            (
                WebhookError::MalformedJson("x".into()),
                "malformed_json",
                400,
            ),
            (
                WebhookError::InvalidArgument("x".into()),
                "invalid_argument",
                500,
            ),
        ];
        for (err, code, status) in cases {
            assert_eq!(err.code(), code, "{err}");
            assert_eq!(err.status(), status, "{err}");
        }
    }

    #[test]
    fn missing_header_message_names_the_header() {
        assert!(WebhookError::MissingHeader("webhook-timestamp")
            .to_string()
            .contains("webhook-timestamp"));
    }
}
