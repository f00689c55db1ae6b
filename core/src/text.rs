//! Cutting text at ASCII bytes: dotted paths at `.`, URLs at `/`, `?` and `#`, header
//! values at `,` and ` `. These replace `str::split(char)`, `rsplit`, `split_once` and
//! `contains(&str)`, whose generic searchers (forward, reverse, multi-char and two-way)
//! cost the wasm ≈ 2.8 KB for work a byte scan does (issue 7). A cut at an ASCII byte of
//! UTF-8 text always falls on a char boundary, so every piece is itself valid text.
//!
//! And joining text ([`concat`], [`decimal`], [`signed_decimal`], [`hex16`]): messages,
//! keys and ids are built with these, not `format!` or `to_string()`, so the wasm has none
//! of `core::fmt`'s machinery (`fmt::write`, padding, integer formatting and each call
//! site's argument tables: ≈ 1.3 KB gzip in the client build, 1.6 KB in the webhook and
//! proxy builds, issue 7).

/// The pieces of `s` between occurrences of the ASCII byte `sep`, as `s.split(sep)` gives
/// them (`""` gives one empty piece; a trailing `sep` gives a trailing empty piece).
pub fn split(s: &str, sep: u8) -> Split<'_> {
    Split { rest: Some(s), sep }
}

/// The iterator of [`split`].
#[derive(Debug, Clone)]
pub struct Split<'a> {
    rest: Option<&'a str>,
    sep: u8,
}

impl<'a> Iterator for Split<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let s = self.rest?;
        match cut(s, self.sep) {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => {
                self.rest = None;
                Some(s)
            }
        }
    }
}

/// `s` split at the first `sep`, which belongs to neither part (as `split_once`).
pub fn cut(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().position(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `s` split at the last `sep`, which belongs to neither part (as `rsplit_once`).
pub fn cut_last(s: &str, sep: u8) -> Option<(&str, &str)> {
    let i = s.bytes().rposition(|b| b == sep)?;
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// The part of `s` before the first of the ASCII bytes `any` (all of `s` without one).
pub fn before_any<'a>(s: &'a str, any: &[u8]) -> &'a str {
    let end = s.bytes().position(|b| one_of(b, any)).unwrap_or(s.len());
    s.get(..end).unwrap_or(s)
}

/// Whether `s` contains any of the ASCII bytes `any` (as `s.contains([chars])`).
pub fn has_any(s: &str, any: &[u8]) -> bool {
    s.bytes().any(|b| one_of(b, any))
}

/// Whether `b` is in `any`, by `iter().any`: `<[u8]>::contains` brings core's `memchr`
/// (≈ 0.4 KB of wasm) to search a list of two bytes.
#[allow(clippy::manual_contains)]
fn one_of(b: u8, any: &[u8]) -> bool {
    any.iter().any(|&a| a == b)
}

/// The part of `s` after its last `sep` (all of `s` without one).
pub fn after_last(s: &str, sep: u8) -> &str {
    cut_last(s, sep).map_or(s, |(_, tail)| tail)
}

/// `s` without any run of `sep` at its end (as `trim_end_matches(sep)`).
pub fn trim_end(s: &str, sep: u8) -> &str {
    let end = s.bytes().rposition(|b| b != sep).map_or(0, |i| i + 1);
    s.get(..end).unwrap_or(s)
}

/// `parts` joined, as `parts.concat()` gives them.
pub fn concat(parts: &[&str]) -> String {
    let mut s = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        s.push_str(p);
    }
    s
}

/// `n` in decimal, as `n.to_string()` writes it.
pub fn decimal(n: u64) -> String {
    let mut s = String::with_capacity(20);
    push_decimal(&mut s, n);
    s
}

fn push_decimal(s: &mut String, n: u64) {
    if n >= 10 {
        push_decimal(s, n / 10);
    }
    // `n % 10` is a digit: the cast keeps it whole.
    s.push(char::from(b'0' + (n % 10) as u8));
}

/// `n` in decimal with a `-` when negative, as `n.to_string()` writes it.
pub fn signed_decimal(n: i64) -> String {
    let digits = decimal(n.unsigned_abs());
    if n < 0 {
        concat(&["-", &digits])
    } else {
        digits
    }
}

/// `n` as 16 lowercase hex digits, zero-padded (as `format!("{n:016x}")`).
pub fn hex16(n: u64) -> String {
    let mut s = String::with_capacity(16);
    for i in (0..16).rev() {
        // A nibble is below 16, so it indexes the table.
        s.push(char::from(
            b"0123456789abcdef"[((n >> (i * 4)) & 0xf) as usize],
        ));
    }
    s
}

/// `s` as an unsigned integer when it is only ASCII digits (not empty, in range).
pub fn digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u64, |acc, b| {
        if b.is_ascii_digit() {
            acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// `s` as `s.parse::<u64>()` reads it: [`digits`] after an optional `+`. `str::parse`'s
/// generic integer reader is ≈ 310 B of wasm per integer type (issue 7).
pub fn parse_u64(s: &str) -> Option<u64> {
    digits(s.strip_prefix("+").unwrap_or(s))
}

/// Whether `s` contains the ASCII byte `b`.
pub fn has_byte(s: &str, b: u8) -> bool {
    s.bytes().any(|x| x == b)
}

/// The byte offset of the first occurrence of `needle` in `s` (as `find(&str)`).
pub fn find(s: &str, needle: &str) -> Option<usize> {
    let (s, n) = (s.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return Some(0);
    }
    s.windows(n.len()).position(|w| w == n)
}

/// Whether `needle` occurs in `s` (as `contains(&str)`).
pub fn contains(s: &str, needle: &str) -> bool {
    find(s, needle).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_is_str_parse() {
        for s in [
            "",
            "+",
            "-",
            "0",
            "+0",
            "-0",
            "7",
            "+7",
            "++7",
            "007",
            "1 ",
            " 1",
            "1.0",
            "1e3",
            "١",
            "18446744073709551615",
            "+18446744073709551615",
            "18446744073709551616",
            "4294967296",
            "99999999999999999999",
        ] {
            assert_eq!(parse_u64(s), s.parse::<u64>().ok(), "{s:?}");
            assert_eq!(
                parse_u64(s).and_then(|n| u32::try_from(n).ok()),
                s.parse::<u32>().ok(),
                "{s:?}"
            );
            let all_digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            assert_eq!(
                digits(s),
                s.parse::<u64>().ok().filter(|_| all_digits),
                "{s:?}"
            );
        }
    }

    #[test]
    fn decimal_is_to_string() {
        for n in [
            0,
            1,
            9,
            10,
            99,
            100,
            429,
            65_535,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
        ] {
            assert_eq!(decimal(n), n.to_string());
        }
    }

    #[test]
    fn signed_and_hex_are_format() {
        for n in [0, 1, -1, 9, -10, 300, -301, i64::MIN, i64::MAX] {
            assert_eq!(signed_decimal(n), n.to_string());
        }
        for n in [0, 1, 0xf, 0x10, 0xdead_beef, 1 << 63, u64::MAX] {
            assert_eq!(hex16(n), format!("{n:016x}"));
        }
    }

    /// Each helper agrees with the `str` method it replaces, on text with multi-byte chars.
    #[test]
    fn same_as_str_methods() {
        let samples = [
            "",
            ".",
            "..",
            "a",
            "a.b",
            ".a.",
            "data.images[].url",
            "ünï.cödé..x",
            "https://cdn.example/o/ü.png?x=1#f",
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "a//",
            "///",
        ];
        for s in samples {
            for sep in [b'.', b'/', b',', b' ', b'?'] {
                let c = char::from(sep);
                assert_eq!(
                    split(s, sep).collect::<Vec<_>>(),
                    s.split(c).collect::<Vec<_>>(),
                    "{s:?} {c:?}"
                );
                assert_eq!(cut(s, sep), s.split_once(c), "{s:?} {c:?}");
                assert_eq!(cut_last(s, sep), s.rsplit_once(c), "{s:?} {c:?}");
                assert_eq!(
                    after_last(s, sep),
                    s.rsplit(c).next().unwrap(),
                    "{s:?} {c:?}"
                );
                assert_eq!(trim_end(s, sep), s.trim_end_matches(c), "{s:?} {c:?}");
                assert_eq!(has_byte(s, sep), s.contains(c), "{s:?} {c:?}");
            }
            assert_eq!(has_any(s, b"?#"), s.contains(['?', '#']), "{s:?}");
            assert_eq!(
                before_any(s, b"?#"),
                s.split(['?', '#']).next().unwrap(),
                "{s:?}"
            );
            for needle in ["", ".", "ü", "Nov", "GMT", "png?", "zz", ", "] {
                assert_eq!(find(s, needle), s.find(needle), "{s:?} {needle:?}");
                assert_eq!(contains(s, needle), s.contains(needle), "{s:?} {needle:?}");
            }
        }
    }
}
