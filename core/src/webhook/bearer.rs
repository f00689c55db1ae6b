//! Bearer-token webhook authentication (mirako sends the `auth_token` it was given at
//! submit as `Authorization: Bearer <token>`), compared in constant time.

use super::ct::ct_eq_secret;
use super::WebhookError;

/// Checks an `Authorization` header value carries `Bearer <expected>`.
///
/// The scheme is matched case-insensitively (RFC 9110); the token is compared in constant
/// time (both sides hashed first, so the expected token's length does not leak either).
pub fn verify_bearer(authorization: Option<&str>, expected: &str) -> Result<(), WebhookError> {
    let value = authorization.ok_or(WebhookError::MissingHeader("authorization"))?;
    let value = crate::text::trim(value);
    let token = match crate::text::cut(value, b' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            crate::text::trim_start(token)
        }
        _ => return Err(WebhookError::BadAuthToken),
    };
    if ct_eq_secret(token.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(WebhookError::BadAuthToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_token() {
        verify_bearer(Some("Bearer s3cret"), "s3cret").unwrap();
        verify_bearer(Some("bearer   s3cret "), "s3cret").unwrap();
    }

    #[test]
    fn refuses_everything_else() {
        let cases = [
            (None, "missing_header"),
            (Some(""), "bad_auth_token"),
            (Some("s3cret"), "bad_auth_token"),
            (Some("Basic s3cret"), "bad_auth_token"),
            (Some("Bearer s3cre"), "bad_auth_token"),
            (Some("Bearer s3cret2"), "bad_auth_token"),
            (Some("Bearer "), "bad_auth_token"),
        ];
        for (header, code) in cases {
            let err = verify_bearer(header, "s3cret").unwrap_err();
            assert_eq!(err.code(), code, "{header:?}");
            assert_eq!(err.status(), 401);
        }
    }
}
