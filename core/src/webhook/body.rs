//! Reading a webhook body as JSON: empty and malformed bodies are told apart (both 400),
//! and nothing here panics on any bytes.

use super::WebhookError;

/// Parses the raw body bytes as a JSON value. Empty (or whitespace-only) bodies are
/// `empty_body`; bytes that are not UTF-8 JSON are `malformed_json` with the parser's reason.
pub fn parse_json(body: &[u8]) -> Result<crate::json::Value, WebhookError> {
    parse_json_text(body_text(body)?)
}

/// The body's bytes as text (the core's JSON parser reads text); `malformed_json` when they
/// are not UTF-8.
pub fn body_text(body: &[u8]) -> Result<&str, WebhookError> {
    std::str::from_utf8(body)
        .map_err(|_| WebhookError::MalformedJson("the body is not UTF-8".to_owned()))
}

/// [`parse_json`] of a body that is text already (a caller that knows its bytes are UTF-8
/// saves a pass over them).
pub fn parse_json_text(text: &str) -> Result<crate::json::Value, WebhookError> {
    parse_wanted_text(text, &ALL)
}

/// Everything: the whole document.
static ALL: crate::json::Wanted = crate::json::Wanted::everything();

/// [`parse_json_text`] building only the `wanted` paths ([`crate::json::parse_wanted`]).
pub fn parse_wanted_text(
    text: &str,
    wanted: &crate::json::Wanted,
) -> Result<crate::json::Value, WebhookError> {
    if text.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(WebhookError::EmptyBody);
    }
    crate::json::parse_wanted(text, wanted).map_err(|e| WebhookError::MalformedJson(e.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses() {
        assert_eq!(parse_json(br#" {"a":1} "#).unwrap()["a"], 1);
        assert_eq!(parse_json(b"").unwrap_err().code(), "empty_body");
        assert_eq!(parse_json(b" \n").unwrap_err().code(), "empty_body");
        for bad in [&b"{"[..], b"{\"a\":}", b"\xff\xfe", b"{} {}", b"nul"] {
            let err = parse_json(bad).unwrap_err();
            assert_eq!(err.code(), "malformed_json");
            assert_eq!(err.status(), 400);
        }
    }

    #[test]
    fn text_reads_as_its_bytes_do() {
        for body in [" {\"a\":1} ", "", " \n", "{", "{\"a\":}", "{} {}", "\"é\""] {
            let (a, b) = (parse_json(body.as_bytes()), parse_json_text(body));
            assert_eq!(a.map_err(|e| e.code()), b.map_err(|e| e.code()), "{body:?}");
        }
    }
}
