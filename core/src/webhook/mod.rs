//! Webhook verification: everything a receiver checks before believing a delivery, as
//! pure functions of the request's parts and `now`.
//!
//! - [`signature`]: Standard Webhooks v1 (`webhook-id` / `-timestamp` / `-signature`,
//!   `whsec_` secrets, several signatures, timestamp tolerance).
//! - [`bearer`]: `Authorization: Bearer <token>` (mirako's `auth_token`).
//! - [`limit`]: the body size limit (`Content-Length`, then counted while reading).
//! - [`body`] and [`dialect`]: the body as JSON, normalized by the dialect's profile like
//!   a status response.
//! - [`dedupe`]: duplicate deliveries.
//! - [`sha256`]: SHA-256 over a message in parts, on sha2's compression function (the
//!   HMAC's halves, [`HmacHalves`], and the constant-time comparison of secrets).
//!
//! [`answer`] holds the JSON bodies a receiver answers with. Every refusal is a [`WebhookError`] with a stable `code()` and the HTTP `status()` to
//! answer with. Comparisons of secrets are constant-time ([`ct`]).

pub mod answer;
pub mod bearer;
pub mod body;
pub mod ct;
pub mod dedupe;
pub mod dialect;
mod error;
pub mod limit;
mod secret;
pub mod sha256;
pub mod signature;

#[cfg(test)]
mod robustness;

pub use bearer::verify_bearer;
pub use dedupe::{dedupe_key, DedupeWindow, Seen};
pub use dialect::{parse_update, update_from_text, update_from_value};
pub use error::WebhookError;
pub use limit::{check_content_length, BodyLimit, DEFAULT_MAX_BODY_BYTES};
pub use secret::{HmacHalves, WebhookSecret, SECRET_PREFIX};
pub use signature::{
    parse_signature_header, sign, Prechecked, Verifier, WebhookHeaders, DEFAULT_TOLERANCE_SECS,
};
