//! Just enough URL handling for the core, written by hand to keep the wasm small: checking
//! that a `baseUrl` is absolute http(s), finding the origin a request goes to (per-host
//! limits are keyed by it), joining paths and percent-encoding placeholder values.

use crate::error::CoreError;

/// A checked absolute http(s) base URL, without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    full: String,
    origin_len: usize,
}

impl BaseUrl {
    /// Checks `s`: scheme `http` or `https`, a non-empty host, no query or fragment.
    /// The error names the field `baseUrl`.
    pub fn parse(s: &str) -> Result<BaseUrl, CoreError> {
        let bad = |why: &str| {
            CoreError::invalid("baseUrl", crate::text::concat(&[why, " (got \"", s, "\")"]))
        };
        let s = crate::text::trim(s);
        let origin_len = origin_len(s).ok_or_else(|| bad("must be an absolute http(s) URL"))?;
        if crate::text::has_any(s, b"?#") {
            return Err(bad("must not have a query or fragment"));
        }
        if crate::text::has_space_or_control(s) {
            return Err(bad("must not contain spaces"));
        }
        Ok(BaseUrl {
            full: crate::text::trim_end(s, b'/').to_owned(),
            origin_len,
        })
    }

    /// The URL as given, without a trailing slash.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        self.full.get(..self.origin_len).unwrap_or(&self.full)
    }

    /// Appends a path (which starts with `/`, possibly with a query) to the base, keeping
    /// the base's own path prefix.
    pub fn join(&self, path: &str) -> String {
        let mut s = String::with_capacity(self.full.len() + path.len() + 1);
        s.push_str(&self.full);
        if !path.starts_with("/") {
            s.push('/');
        }
        s.push_str(path);
        s
    }
}

/// The length of `scheme://host[:port]` at the start of an absolute http(s) URL, or `None`
/// if `s` is not one.
fn origin_len(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let scheme_len = if b
        .get(..8)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"https://"))
    {
        8
    } else if b
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case(b"http://"))
    {
        7
    } else {
        return None;
    };
    let host = crate::text::before_any(s.get(scheme_len..)?, b"/?#");
    // userinfo is refused: it would leak credentials into logs and is never needed here.
    if host.is_empty() || crate::text::has_byte(host, b'@') || host.starts_with(":") {
        return None;
    }
    if let Some((_, port)) = crate::text::cut_last(host, b':') {
        if !host.ends_with("]") && !crate::text::all_digits(port) {
            return None;
        }
    }
    Some(scheme_len + host.len())
}

/// The origin (`scheme://host[:port]`, lowercased) of an absolute URL, or `None`.
pub fn origin_of(url: &str) -> Option<String> {
    origin_len(url).map(|n| url.get(..n).unwrap_or_default().to_ascii_lowercase())
}

/// True when `url` is an absolute http(s) URL on `origin` (`scheme://host[:port]`, any case).
pub fn on_origin(url: &str, origin: &str) -> bool {
    origin_len(url).is_some_and(|n| {
        url.get(..n)
            .unwrap_or_default()
            .eq_ignore_ascii_case(origin)
    })
}

/// True when `url` is an absolute http(s) URL.
pub fn is_absolute_http(url: &str) -> bool {
    origin_len(url).is_some()
}

/// Percent-encodes everything but RFC 3986 unreserved characters; `/` is kept when
/// `keep_slash` (for values such as `fal-ai/flux/dev` that are paths themselves).
pub fn encode(value: &str, keep_slash: bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len());
    for &b in value.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~')
            || (keep_slash && b == b'/');
        if keep {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let b = BaseUrl::parse("http://127.0.0.1:8787/apixo/").expect("valid");
        assert_eq!(b.as_str(), "http://127.0.0.1:8787/apixo");
        assert_eq!(b.origin(), "http://127.0.0.1:8787");
        assert_eq!(
            b.join("/api/v1/generateTask/m"),
            "http://127.0.0.1:8787/apixo/api/v1/generateTask/m"
        );
        let b = BaseUrl::parse("HTTPS://api.example.com").expect("valid");
        assert_eq!(b.origin(), "HTTPS://api.example.com");
        for bad in [
            "",
            "api.example.com",
            "ftp://x",
            "http://",
            "http:///x",
            "http://u:p@x",
            "http://x:port",
            "http://x/?q",
            "http://x y",
            "/relative",
        ] {
            let e = BaseUrl::parse(bad).expect_err(bad);
            assert!(e.to_string().contains("baseUrl"), "{e}");
        }
    }

    #[test]
    fn origins_and_encoding() {
        assert_eq!(
            origin_of("http://127.0.0.1:9/queue/x?y").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(origin_of("nope"), None);
        assert_eq!(
            origin_of("HTTPS://Api.X:8/p").as_deref(),
            Some("https://api.x:8")
        );
        assert!(on_origin("HTTP://API.x:8/p?q", "http://api.X:8"));
        for other in [
            "http://api.x:9/p",
            "https://api.x:8/p",
            "http://api.x:8@evil/p",
            "/p",
        ] {
            assert!(!on_origin(other, "http://api.x:8"), "{other}");
        }
        assert_eq!(encode("a b/c?é", false), "a%20b%2Fc%3F%C3%A9");
        assert_eq!(encode("fal-ai/flux/dev", true), "fal-ai/flux/dev");
    }
}
