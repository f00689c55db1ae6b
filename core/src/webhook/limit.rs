//! The body size limit, enforced before and while reading: `Content-Length` is checked
//! first (a too-large declared body is refused without reading a byte), then a
//! [`BodyLimit`] counts the bytes of a streaming read and stops it at the limit (for
//! bodies with no or a lying `Content-Length`). The shell does the reading.

use super::WebhookError;

/// The default body limit: 1 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 1_048_576;

/// Checks a `Content-Length` header value against `limit`. An absent header passes (the
/// streaming read enforces the limit); a malformed one is a 400.
pub fn check_content_length(value: Option<&str>, limit: u64) -> Result<(), WebhookError> {
    let Some(value) = value else { return Ok(()) };
    let value = crate::text::trim(value);
    if !crate::text::all_digits(value) {
        return Err(WebhookError::MalformedContentLength);
    }
    // All digits: a parse failure can only be overflow, which is certainly too large.
    match crate::text::digits(value) {
        Some(n) if n <= limit => Ok(()),
        _ => Err(WebhookError::BodyTooLarge { limit }),
    }
}

/// Counts the bytes of a body as its chunks arrive and refuses the chunk that crosses the
/// limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimit {
    limit: u64,
    seen: u64,
}

impl BodyLimit {
    /// A counter for a body of at most `limit` bytes.
    pub const fn new(limit: u64) -> Self {
        Self { limit, seen: 0 }
    }

    /// Adds a chunk of `len` bytes; errors (413) once the total exceeds the limit.
    pub fn push(&mut self, len: usize) -> Result<(), WebhookError> {
        self.seen = self.seen.saturating_add(len as u64);
        if self.seen > self.limit {
            Err(WebhookError::BodyTooLarge { limit: self.limit })
        } else {
            Ok(())
        }
    }

    /// Bytes counted so far.
    pub const fn seen(&self) -> u64 {
        self.seen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_length() {
        assert!(check_content_length(None, 10).is_ok());
        assert!(check_content_length(Some("10"), 10).is_ok());
        assert!(check_content_length(Some(" 0 "), 10).is_ok());
        assert_eq!(
            check_content_length(Some("11"), 10).unwrap_err().status(),
            413
        );
        assert_eq!(
            check_content_length(Some("99999999999999999999999"), 10)
                .unwrap_err()
                .status(),
            413
        );
        for bad in ["", "-1", "1e3", "ten", "1 2"] {
            let err = check_content_length(Some(bad), 10).unwrap_err();
            assert_eq!(err.code(), "malformed_content_length", "{bad:?}");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn streaming_limit() {
        let mut l = BodyLimit::new(10);
        l.push(4).unwrap();
        l.push(6).unwrap();
        assert_eq!(l.seen(), 10);
        assert_eq!(l.push(1).unwrap_err().code(), "body_too_large");
        let mut l = BodyLimit::new(10);
        assert!(l.push(usize::MAX).is_err());
        assert!(l.push(usize::MAX).is_err());
    }
}
