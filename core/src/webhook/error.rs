//! The one error type of webhook verification. Every way a delivery can be refused is a
//! variant here, with a stable `code()` for programs and the HTTP `status()` the receiver
//! should answer with, so the shell never has to invent either.

use crate::text::{concat, decimal, signed_decimal};

/// Why a webhook delivery (or the configuration used to check it) was refused.
///
/// `code()` is stable and is what JavaScript sees as `WebhookError.code`; `status()` is the
/// HTTP status a receiver answers with (400 malformed, 401 unauthenticated, 405 wrong
/// method, 413 too large; 500 for a configuration mistake on the receiving side).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WebhookError {
    /// The request method was not `POST`.
    MethodNotAllowed(String),
    /// A header the chosen authentication needs is absent (the header name is given).
    MissingHeader(&'static str),
    /// The `Authorization` header is not `Bearer <token>` with the configured token.
    BadAuthToken,
    /// The `webhook-signature` header holds no well-formed `v1,<base64>` entry.
    MalformedSignatureHeader(&'static str),
    /// No signature in `webhook-signature` matches the body, id and timestamp.
    BadSignature,
    /// `webhook-timestamp` is not a whole number of seconds since the Unix epoch.
    MalformedTimestamp,
    /// `webhook-timestamp` is older than the tolerance allows (replay protection).
    TimestampTooOld {
        /// How many seconds before `now` the timestamp lies.
        age_secs: i64,
        /// The configured tolerance in seconds.
        tolerance_secs: u64,
    },
    /// `webhook-timestamp` lies further in the future than the tolerance allows.
    TimestampInFuture {
        /// How many seconds after `now` the timestamp lies.
        ahead_secs: i64,
        /// The configured tolerance in seconds.
        tolerance_secs: u64,
    },
    /// The body is larger than the configured limit.
    BodyTooLarge {
        /// The configured limit in bytes.
        limit: u64,
    },
    /// `Content-Length` is present but not a non-negative integer.
    MalformedContentLength,
    /// Reading the body failed (the sender went away, or the stream errored).
    UnreadableBody(String),
    /// The body is empty.
    EmptyBody,
    /// The body is not valid JSON (or not UTF-8).
    MalformedJson(String),
    /// The body is JSON but not the shape of the dialect's status body.
    UnrecognizedBody {
        /// The dialect that was expected.
        dialect: String,
        /// What was missing or wrong.
        reason: String,
    },
    /// The receiver's own configuration is wrong (e.g. a secret that is not base64).
    InvalidArgument(String),
}

// Display by hand over `message`, not thiserror's derive: the shell answers with
// `message`, so the wasm needs no `core::fmt` (issue 7).
impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for WebhookError {}

impl WebhookError {
    /// The human-readable message (what `Display` writes, and `WebhookError.message` in
    /// JavaScript).
    pub fn message(&self) -> String {
        match self {
            Self::MethodNotAllowed(m) => concat(&["webhooks must be delivered with POST, not ", m]),
            Self::MissingHeader(h) => concat(&["missing header `", h, "`"]),
            Self::BadAuthToken => "the Authorization bearer token does not match".into(),
            Self::MalformedSignatureHeader(why) => {
                concat(&["malformed webhook-signature header: ", why])
            }
            Self::BadSignature => "no signature in webhook-signature matches the payload".into(),
            Self::MalformedTimestamp => {
                "webhook-timestamp is not an integer number of seconds".into()
            }
            Self::TimestampTooOld {
                age_secs,
                tolerance_secs,
            } => concat(&[
                "webhook-timestamp is ",
                &signed_decimal(*age_secs),
                " s old, more than the ",
                &decimal(*tolerance_secs),
                " s tolerated",
            ]),
            Self::TimestampInFuture {
                ahead_secs,
                tolerance_secs,
            } => concat(&[
                "webhook-timestamp is ",
                &signed_decimal(*ahead_secs),
                " s in the future, more than the ",
                &decimal(*tolerance_secs),
                " s tolerated",
            ]),
            Self::BodyTooLarge { limit } => {
                concat(&["body exceeds the limit of ", &decimal(*limit), " bytes"])
            }
            Self::MalformedContentLength => "Content-Length is not a non-negative integer".into(),
            Self::UnreadableBody(why) => concat(&["the webhook body could not be read: ", why]),
            Self::EmptyBody => "the webhook body is empty".into(),
            Self::MalformedJson(why) => concat(&["the webhook body is not valid JSON: ", why]),
            Self::UnrecognizedBody { dialect, reason } => concat(&[
                "the webhook body is not a ",
                dialect,
                " status body: ",
                reason,
            ]),
            Self::InvalidArgument(why) => concat(&["invalid argument: ", why]),
        }
    }

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

    /// Every message, as the thiserror derive wrote them before `message` did.
    #[test]
    fn messages() {
        let cases = [
            (
                WebhookError::MethodNotAllowed("GET".into()),
                "webhooks must be delivered with POST, not GET",
            ),
            (
                WebhookError::MissingHeader("webhook-id"),
                "missing header `webhook-id`",
            ),
            (
                WebhookError::BadAuthToken,
                "the Authorization bearer token does not match",
            ),
            (
                WebhookError::MalformedSignatureHeader("no v1 signature"),
                "malformed webhook-signature header: no v1 signature",
            ),
            (
                WebhookError::BadSignature,
                "no signature in webhook-signature matches the payload",
            ),
            (
                WebhookError::MalformedTimestamp,
                "webhook-timestamp is not an integer number of seconds",
            ),
            (
                WebhookError::TimestampTooOld {
                    age_secs: 301,
                    tolerance_secs: 300,
                },
                "webhook-timestamp is 301 s old, more than the 300 s tolerated",
            ),
            (
                WebhookError::TimestampInFuture {
                    ahead_secs: -7,
                    tolerance_secs: 0,
                },
                "webhook-timestamp is -7 s in the future, more than the 0 s tolerated",
            ),
            (
                WebhookError::BodyTooLarge { limit: 1_048_576 },
                "body exceeds the limit of 1048576 bytes",
            ),
            (
                WebhookError::MalformedContentLength,
                "Content-Length is not a non-negative integer",
            ),
            (
                WebhookError::UnreadableBody("reset".into()),
                "the webhook body could not be read: reset",
            ),
            (WebhookError::EmptyBody, "the webhook body is empty"),
            (
                WebhookError::MalformedJson("bad".into()),
                "the webhook body is not valid JSON: bad",
            ),
            (
                WebhookError::UnrecognizedBody {
                    dialect: "queue".into(),
                    reason: "no status".into(),
                },
                "the webhook body is not a queue status body: no status",
            ),
            (
                WebhookError::InvalidArgument("secret: empty".into()),
                "invalid argument: secret: empty",
            ),
        ];
        for (e, m) in cases {
            assert_eq!(e.message(), m);
            assert_eq!(e.to_string(), m);
        }
    }

    #[test]
    fn missing_header_message_names_the_header() {
        assert!(WebhookError::MissingHeader("webhook-timestamp")
            .to_string()
            .contains("webhook-timestamp"));
    }
}
