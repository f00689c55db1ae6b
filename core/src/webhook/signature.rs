//! Standard Webhooks v1 signatures: `webhook-signature: v1,<base64 HMAC-SHA256>` over
//! `"{webhook-id}.{webhook-timestamp}.{body}"`, several space-separated signatures allowed
//! (key rotation), timestamps checked against a tolerance around `now`.
//!
//! The pure entry point is [`Verifier::verify_with_timestamp`], which takes `now`; the
//! clock-reading [`Verifier::verify`] is a two-line wrapper for native callers. The check is
//! also split in two ([`Verifier::precheck`] then [`Prechecked::check_mac`]) so a shell can
//! compute the HMAC elsewhere (Web Crypto) and still compare it here in constant time.

use super::ct::ct_eq;
use super::{WebhookError, WebhookSecret};
use crate::text::{concat, signed_decimal};

/// Header carrying the unique message id.
pub const HEADER_ID: &str = "webhook-id";
/// Header carrying the send time in whole seconds since the Unix epoch.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Header carrying the space-separated `v1,<base64>` signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// The default tolerance for `webhook-timestamp`, in seconds (five minutes).
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// The longest `webhook-signature` header we parse; longer ones are refused as malformed
/// so a hostile header cannot make verification do unbounded work.
pub const MAX_SIGNATURE_HEADER_LEN: usize = 8 * 1024;
/// The most signatures one header may carry (a handful during key rotation is normal).
pub const MAX_SIGNATURES: usize = 32;

/// Length of an HMAC-SHA256 tag.
pub const MAC_LEN: usize = 32;

/// The three Standard Webhooks headers of one delivery, as found (each may be absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookHeaders<'a> {
    /// `webhook-id`.
    pub id: Option<&'a str>,
    /// `webhook-timestamp`.
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`.
    pub signature: Option<&'a str>,
}

impl<'a> WebhookHeaders<'a> {
    /// Collects the three headers from a case-insensitive list of `(name, value)` pairs.
    pub fn from_pairs<I>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut h = Self::default();
        for (name, value) in pairs {
            if name.eq_ignore_ascii_case(HEADER_ID) {
                h.id = Some(value);
            } else if name.eq_ignore_ascii_case(HEADER_TIMESTAMP) {
                h.timestamp = Some(value);
            } else if name.eq_ignore_ascii_case(HEADER_SIGNATURE) {
                h.signature = Some(value);
            }
        }
        h
    }
}

/// Parses a `webhook-signature` header into the v1 MACs it carries.
///
/// Entries are separated by ASCII whitespace and look like `v1,<base64>`. Entries of other
/// versions (`v1a,` asymmetric signatures) are skipped, as the reference libraries do; a v1
/// entry whose base64 is invalid or not 32 bytes can never match and is skipped too. A
/// header with no usable v1 entry at all is malformed.
pub fn parse_signature_header(header: &str) -> Result<Vec<[u8; MAC_LEN]>, WebhookError> {
    if header.len() > MAX_SIGNATURE_HEADER_LEN {
        return Err(WebhookError::MalformedSignatureHeader("header too long"));
    }
    let mut macs = Vec::new();
    let mut entries = 0usize;
    for entry in header.split_ascii_whitespace() {
        entries += 1;
        if entries > MAX_SIGNATURES {
            return Err(WebhookError::MalformedSignatureHeader(
                "too many signatures",
            ));
        }
        let Some((version, b64)) = crate::text::cut(entry, b',') else {
            continue;
        };
        // Signatures sent as several header lines reach us joined with ", " (RFC 9110, as
        // `Headers.get` and Node, Deno and workerd join them): drop that line separator.
        let b64 = crate::text::cut(b64, b',').map_or(b64, |(b64, _)| b64);
        if version != "v1" {
            continue;
        }
        let mut mac = [0; MAC_LEN];
        if crate::base64::decode_into(b64, &mut mac) == Some(MAC_LEN) {
            macs.push(mac);
        }
    }
    if entries == 0 {
        return Err(WebhookError::MalformedSignatureHeader("empty"));
    }
    if macs.is_empty() {
        return Err(WebhookError::MalformedSignatureHeader(
            "no v1,<base64 HMAC-SHA256> entry",
        ));
    }
    Ok(macs)
}

/// Parses `webhook-timestamp`: ASCII digits only (no sign, no spaces), at most 18 of them.
pub fn parse_timestamp(value: &str) -> Result<i64, WebhookError> {
    if value.len() > 18 || !crate::text::all_digits(value) {
        return Err(WebhookError::MalformedTimestamp);
    }
    // At most 18 digits always fit an i64; the error arm is unreachable but kept typed.
    crate::text::digits(value)
        .and_then(|n| i64::try_from(n).ok())
        .ok_or(WebhookError::MalformedTimestamp)
}

/// Checks `timestamp` lies within `tolerance_secs` of `now_secs`, either way.
pub fn check_timestamp(
    timestamp: i64,
    now_secs: i64,
    tolerance_secs: u64,
) -> Result<(), WebhookError> {
    let tol = i64::try_from(tolerance_secs).unwrap_or(i64::MAX);
    let delta = now_secs.saturating_sub(timestamp);
    if delta > tol {
        return Err(WebhookError::TimestampTooOld {
            age_secs: delta,
            tolerance_secs,
        });
    }
    if delta < tol.saturating_neg() {
        return Err(WebhookError::TimestampInFuture {
            ahead_secs: delta.saturating_neg(),
            tolerance_secs,
        });
    }
    Ok(())
}

/// Computes the raw HMAC-SHA256 of `"{id}.{timestamp}.{payload}"` without concatenating.
pub fn mac(secret: &WebhookSecret, id: &str, timestamp: &str, payload: &[u8]) -> [u8; MAC_LEN] {
    secret
        .hmac_halves()
        .mac(&[id.as_bytes(), b".", timestamp.as_bytes(), b".", payload])
}

/// The `webhook-signature` value (`v1,<base64>`) for one message.
pub fn sign(secret: &WebhookSecret, id: &str, timestamp: i64, payload: &[u8]) -> String {
    let tag = mac(secret, id, &signed_decimal(timestamp), payload);
    concat(&["v1,", &crate::base64::encode(&tag)])
}

/// The headers of a delivery whose id and timestamp passed, waiting for the MAC check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prechecked<'a> {
    /// `webhook-id` as sent.
    pub id: &'a str,
    /// `webhook-timestamp` as sent (the signed text).
    pub timestamp: &'a str,
    /// The v1 MACs the sender offered.
    pub macs: Vec<[u8; MAC_LEN]>,
}

impl Prechecked<'_> {
    /// The bytes signed before the body: `"{id}.{timestamp}."`.
    pub fn signed_prefix(&self) -> String {
        concat(&[self.id, ".", self.timestamp, "."])
    }

    /// Accepts when `expected` (the MAC we computed) equals any offered MAC: [`check_mac`].
    pub fn check_mac(&self, expected: &[u8]) -> Result<(), WebhookError> {
        check_mac(&self.macs, expected)
    }
}

/// Accepts when `expected` (the MAC we computed) equals any of the `offered` MACs. Every
/// offered MAC is compared in constant time, and all of them are compared.
pub fn check_mac(offered: &[[u8; MAC_LEN]], expected: &[u8]) -> Result<(), WebhookError> {
    let mut ok = false;
    for mac in offered {
        ok |= ct_eq(mac, expected);
    }
    if ok {
        Ok(())
    } else {
        Err(WebhookError::BadSignature)
    }
}

/// Verifies Standard Webhooks deliveries with one secret.
#[derive(Debug, Clone)]
pub struct Verifier {
    secret: WebhookSecret,
    tolerance_secs: u64,
}

impl Verifier {
    /// A verifier with the default five-minute tolerance.
    pub fn new(secret: WebhookSecret) -> Self {
        Self {
            secret,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// Sets the timestamp tolerance in seconds.
    #[must_use = "with_tolerance returns the changed verifier"]
    pub const fn with_tolerance(mut self, tolerance_secs: u64) -> Self {
        self.tolerance_secs = tolerance_secs;
        self
    }

    /// The secret this verifier checks with.
    pub fn secret(&self) -> &WebhookSecret {
        &self.secret
    }

    /// Checks the headers are present and well formed and the timestamp is within the
    /// tolerance of `now_secs`; returns what the MAC check needs.
    pub fn precheck<'a>(
        &self,
        headers: &WebhookHeaders<'a>,
        now_secs: i64,
    ) -> Result<Prechecked<'a>, WebhookError> {
        let id = headers
            .id
            .filter(|s| !s.is_empty())
            .ok_or(WebhookError::MissingHeader(HEADER_ID))?;
        let timestamp = headers
            .timestamp
            .ok_or(WebhookError::MissingHeader(HEADER_TIMESTAMP))?;
        let signature = headers
            .signature
            .ok_or(WebhookError::MissingHeader(HEADER_SIGNATURE))?;
        let ts = parse_timestamp(timestamp)?;
        check_timestamp(ts, now_secs, self.tolerance_secs)?;
        let macs = parse_signature_header(signature)?;
        Ok(Prechecked {
            id,
            timestamp,
            macs,
        })
    }

    /// Verifies one delivery: `payload` is the raw body bytes exactly as received, `now_secs`
    /// the current time in seconds since the Unix epoch. This is the pure function; tests
    /// drive it with any `now`.
    pub fn verify_with_timestamp(
        &self,
        payload: &[u8],
        headers: &WebhookHeaders<'_>,
        now_secs: i64,
    ) -> Result<(), WebhookError> {
        let pre = self.precheck(headers, now_secs)?;
        let expected = mac(&self.secret, pre.id, pre.timestamp, payload);
        pre.check_mac(&expected)
    }

    /// [`Self::verify_with_timestamp`] at the system clock's `now`. Native only: on
    /// `wasm32-unknown-unknown` there is no system clock, and the shell passes `Date.now()`.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn verify(&self, payload: &[u8], headers: &WebhookHeaders<'_>) -> Result<(), WebhookError> {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        self.verify_with_timestamp(payload, headers, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of the Standard Webhooks specification's reference test suite.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TS: i64 = 1614265330;
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn verifier() -> Verifier {
        Verifier::new(WebhookSecret::parse(SECRET).unwrap())
    }

    fn headers<'a>(sig: &'a str, ts: &'a str) -> WebhookHeaders<'a> {
        WebhookHeaders {
            id: Some(ID),
            timestamp: Some(ts),
            signature: Some(sig),
        }
    }

    #[test]
    fn matches_the_reference_signature() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        assert_eq!(sign(&secret, ID, TS, BODY), SIG);
        let ts = TS.to_string();
        verifier()
            .verify_with_timestamp(BODY, &headers(SIG, &ts), TS)
            .unwrap();
    }

    #[test]
    fn accepts_any_of_several_signatures() {
        let ts = TS.to_string();
        let multi = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,abc {SIG}");
        verifier()
            .verify_with_timestamp(BODY, &headers(&multi, &ts), TS + 10)
            .unwrap();
    }

    #[test]
    fn accepts_signatures_from_several_header_lines() {
        let ts = TS.to_string();
        let other = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
        for joined in [format!("{SIG}, {other}"), format!("{other}, {SIG}")] {
            verifier()
                .verify_with_timestamp(BODY, &headers(&joined, &ts), TS)
                .unwrap();
        }
        let e = verifier()
            .verify_with_timestamp(BODY, &headers(&format!("{other}, {other}"), &ts), TS)
            .unwrap_err();
        assert_eq!(e, WebhookError::BadSignature);
    }

    #[test]
    fn bad_input_corpus() {
        let ts = TS.to_string();
        let v = verifier();
        let other = Verifier::new(WebhookSecret::parse("whsec_c2VjcmV0").unwrap());
        let stale = (TS - 301).to_string();
        let future = (TS + 301).to_string();
        let cases: Vec<(&str, Result<(), WebhookError>)> = vec![
            (
                "tampered body",
                v.verify_with_timestamp(br#"{"test": 2432232315}"#, &headers(SIG, &ts), TS),
            ),
            (
                "wrong secret",
                other.verify_with_timestamp(BODY, &headers(SIG, &ts), TS),
            ),
            (
                "stale timestamp",
                v.verify_with_timestamp(BODY, &headers(SIG, &stale), TS),
            ),
            (
                "future timestamp",
                v.verify_with_timestamp(BODY, &headers(SIG, &future), TS),
            ),
            (
                "missing id",
                v.verify_with_timestamp(
                    BODY,
                    &WebhookHeaders {
                        id: None,
                        ..headers(SIG, &ts)
                    },
                    TS,
                ),
            ),
            (
                "missing signature",
                v.verify_with_timestamp(
                    BODY,
                    &WebhookHeaders {
                        signature: None,
                        ..headers(SIG, &ts)
                    },
                    TS,
                ),
            ),
            (
                "missing timestamp",
                v.verify_with_timestamp(
                    BODY,
                    &WebhookHeaders {
                        timestamp: None,
                        ..headers(SIG, &ts)
                    },
                    TS,
                ),
            ),
            (
                "malformed signature header",
                v.verify_with_timestamp(BODY, &headers("g0hM9SsE", &ts), TS),
            ),
            (
                "signature of another version only",
                v.verify_with_timestamp(BODY, &headers("v2,g0hM9SsE", &ts), TS),
            ),
            (
                "non-numeric timestamp",
                v.verify_with_timestamp(BODY, &headers(SIG, "16142653x0"), TS),
            ),
            (
                "signed timestamp differs from header",
                v.verify_with_timestamp(BODY, &headers(SIG, &(TS + 1).to_string()), TS),
            ),
            (
                "truncated signature",
                v.verify_with_timestamp(BODY, &headers("v1,g0hM9SsE+OTPJTGt", &ts), TS),
            ),
        ];
        let expected = [
            "bad_signature",
            "bad_signature",
            "timestamp_too_old",
            "timestamp_in_future",
            "missing_header",
            "missing_header",
            "missing_header",
            "malformed_signature_header",
            "malformed_signature_header",
            "malformed_timestamp",
            "bad_signature",
            "malformed_signature_header",
        ];
        for ((name, result), code) in cases.into_iter().zip(expected) {
            let err = result.expect_err(name);
            assert_eq!(err.code(), code, "{name}: {err}");
            assert_eq!(err.status(), 401, "{name}");
        }
    }

    #[test]
    fn tolerance_edges_are_inclusive() {
        let v = verifier().with_tolerance(5);
        let ts = TS.to_string();
        assert!(v
            .verify_with_timestamp(BODY, &headers(SIG, &ts), TS + 5)
            .is_ok());
        assert!(v
            .verify_with_timestamp(BODY, &headers(SIG, &ts), TS - 5)
            .is_ok());
        assert!(v
            .verify_with_timestamp(BODY, &headers(SIG, &ts), TS + 6)
            .is_err());
        assert!(v
            .verify_with_timestamp(BODY, &headers(SIG, &ts), TS - 6)
            .is_err());
    }

    #[test]
    fn extreme_timestamps_do_not_overflow() {
        assert!(check_timestamp(0, i64::MAX, u64::MAX).is_ok());
        assert!(check_timestamp(999_999_999_999_999_999, i64::MIN, 300).is_err());
        assert!(check_timestamp(0, i64::MAX, 300).is_err());
    }

    #[test]
    fn header_parser_limits() {
        let long = "v1,".to_string() + &"A".repeat(MAX_SIGNATURE_HEADER_LEN);
        assert!(parse_signature_header(&long).is_err());
        let many = vec![SIG; MAX_SIGNATURES + 1].join(" ");
        assert!(parse_signature_header(&many).is_err());
        assert!(parse_signature_header("   ").is_err());
        assert_eq!(
            parse_signature_header(&format!("  {SIG}  ")).unwrap().len(),
            1
        );
    }

    #[test]
    fn headers_from_pairs_ignore_case() {
        let h = WebhookHeaders::from_pairs([
            ("Webhook-Id", "a"),
            ("WEBHOOK-TIMESTAMP", "1"),
            ("webhook-signature", "v1,x"),
            ("other", "y"),
        ]);
        assert_eq!(h.id, Some("a"));
        assert_eq!(h.timestamp, Some("1"));
        assert_eq!(h.signature, Some("v1,x"));
    }

    #[test]
    fn native_verify_uses_the_clock() {
        let secret = WebhookSecret::parse(SECRET).unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let sig = sign(&secret, ID, now, BODY);
        let ts = now.to_string();
        verifier().verify(BODY, &headers(&sig, &ts)).unwrap();
        let old = TS.to_string();
        assert_eq!(
            verifier()
                .verify(BODY, &headers(SIG, &old))
                .unwrap_err()
                .code(),
            "timestamp_too_old"
        );
    }
}
