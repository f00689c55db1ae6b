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
//!
//! And trimming whitespace ([`trim`], [`trim_start`], [`has_space_or_control`]) exactly
//! as `str::trim` and `char::is_whitespace` do, from the bytes of the few Unicode
//! whitespace characters: core's versions bring its Unicode table and char decoding.

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
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == sep {
            return around(s, i);
        }
        i += 1;
    }
    None
}

/// `s` without its byte `i`, split there (an ASCII byte, so at char boundaries). Plain
/// index loops and this one split serve every cut: `position`/`rposition` and two
/// `str::get`s at each cut cost the wasm ≈ 0.3 KB a function (issue 7).
fn around(s: &str, i: usize) -> Option<(&str, &str)> {
    Some((s.get(..i)?, s.get(i + 1..)?))
}

/// `s` split at the last `sep`, which belongs to neither part (as `rsplit_once`).
pub fn cut_last(s: &str, sep: u8) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let mut i = b.len();
    while i > 0 {
        i -= 1;
        if b[i] == sep {
            return around(s, i);
        }
    }
    None
}

/// The part of `s` before the first of the ASCII bytes `any` (all of `s` without one).
pub fn before_any<'a>(s: &'a str, any: &[u8]) -> &'a str {
    let b = s.as_bytes();
    let mut end = 0;
    while end < b.len() && !one_of(b[end], any) {
        end += 1;
    }
    s.get(..end).unwrap_or(s)
}

/// Whether `s` contains any of the ASCII bytes `any` (as `s.contains([chars])`).
pub fn has_any(s: &str, any: &[u8]) -> bool {
    before_any(s, any).len() < s.len()
}

/// Whether `b` is in `any`, by a plain loop: `<[u8]>::contains` brings core's `memchr`
/// (≈ 0.4 KB of wasm) to search a list of two bytes, and `iter().any` an adapter.
fn one_of(b: u8, any: &[u8]) -> bool {
    let mut i = 0;
    while i < any.len() && any[i] != b {
        i += 1;
    }
    i < any.len()
}

/// The part of `s` after its last `sep` (all of `s` without one).
pub fn after_last(s: &str, sep: u8) -> &str {
    cut_last(s, sep).map_or(s, |(_, tail)| tail)
}

/// `s` without any run of `sep` at its end (as `trim_end_matches(sep)`).
pub fn trim_end(s: &str, sep: u8) -> &str {
    let b = s.as_bytes();
    let mut end = b.len();
    while end > 0 && b[end - 1] == sep {
        end -= 1;
    }
    s.get(..end).unwrap_or(s)
}

/// `parts` joined, as `parts.concat()` gives them.
pub fn concat(parts: &[&str]) -> String {
    let mut len = 0;
    for p in parts {
        len += p.len();
    }
    let mut s = String::with_capacity(len);
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

/// Whether `s` is one or more ASCII digits (as `!s.is_empty() &&
/// s.bytes().all(|b| b.is_ascii_digit())`, by a plain loop shared by its callers).
pub fn all_digits(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i == b.len() && i > 0
}

/// `s` as an unsigned integer when it is only ASCII digits (not empty, in range).
pub fn digits(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut n = 0u64;
    for &b in s.as_bytes() {
        let d = u64::from(b.wrapping_sub(b'0'));
        // In range exactly when `n * 10 + d` is: `checked_mul` would link the 128-bit
        // multiplication routine `__multi3` (issue 7).
        if d >= 10 || n > (u64::MAX - d) / 10 {
            return None;
        }
        n = n * 10 + d;
    }
    Some(n)
}

/// `s` as `s.parse::<u64>()` reads it: [`digits`] after an optional `+`. `str::parse`'s
/// generic integer reader is ≈ 310 B of wasm per integer type (issue 7).
pub fn parse_u64(s: &str) -> Option<u64> {
    digits(s.strip_prefix("+").unwrap_or(s))
}

/// Whether `s` contains the ASCII byte `b`.
pub fn has_byte(s: &str, b: u8) -> bool {
    cut(s, b).is_some()
}

/// The byte offset of the first occurrence of `needle` in `s` (as `find(&str)`).
pub fn find(s: &str, needle: &str) -> Option<usize> {
    let (s, n) = (s.as_bytes(), needle.as_bytes());
    let mut i = 0;
    while i + n.len() <= s.len() {
        if s[i..i + n.len()] == *n {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether `needle` occurs in `s` (as `contains(&str)`).
pub fn contains(s: &str, needle: &str) -> bool {
    find(s, needle).is_some()
}

/// The length in bytes of the whitespace char `b` starts with, as `char::is_whitespace`
/// counts them (Unicode `White_Space`), or 0. Written out so that trimming needs neither
/// core's Unicode whitespace table nor its char decoding (issue 7); every such char is in
/// this list (the test walks all chars).
fn space_len(b: &[u8]) -> usize {
    match *b {
        [9..=13 | b' ', ..] => 1,
        [0xC2, 0x85 | 0xA0, ..] => 2,
        // The code point of a three-byte char (its continuation bytes start `10`).
        [x @ 0xE1..=0xE3, y @ 0x80..=0xBF, z @ 0x80..=0xBF, ..]
            if matches!(
                u32::from(x & 0xF) << 12 | u32::from(y & 0x3F) << 6 | u32::from(z & 0x3F),
                0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F | 0x3000
            ) =>
        {
            3
        }
        _ => 0,
    }
}

/// `s` without leading whitespace (as `str::trim_start`).
pub fn trim_start(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    loop {
        let n = space_len(&b[start..]);
        if n == 0 {
            break;
        }
        start += n;
    }
    s.get(start..).unwrap_or(s)
}

/// `s` without leading and trailing whitespace (as `str::trim`).
pub fn trim(s: &str) -> &str {
    let s = trim_start(s);
    let b = s.as_bytes();
    let mut end = b.len();
    'chars: while end > 0 {
        // A whitespace char ends at `end` when the last 1, 2 or 3 bytes are exactly one.
        for n in 1..=end.min(3) {
            if space_len(&b[end - n..end]) == n {
                end -= n;
                continue 'chars;
            }
        }
        break;
    }
    s.get(..end).unwrap_or(s)
}

/// Whether `s` has a whitespace or control char (as
/// `s.contains(|c: char| c.is_whitespace() || c.is_control())`), byte by byte: a lead
/// byte that starts one is always at a char boundary in UTF-8.
pub fn has_space_or_control(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        // Controls are U+0000-U+001F, U+007F and U+0080-U+009F (`C2 80`-`C2 9F`).
        matches!(b[i..], [0..=0x1F | 0x7F, ..] | [0xC2, 0x80..=0x9F, ..]) || space_len(&b[i..]) > 0
    })
}

/// The length of `s` in UTF-16 code units (what a JavaScript string's `length` counts):
/// one per character, two for one outside the Basic Multilingual Plane.
pub fn utf16_len(s: &str) -> usize {
    let mut n = 0;
    for &b in s.as_bytes() {
        // A character's first byte starts it (continuation bytes are 0b10xxxxxx); a
        // four-byte one (0b11110xxx) is a surrogate pair.
        n += usize::from(b & 0xC0 != 0x80) + usize::from(b >= 0xF0);
    }
    n
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

    #[test]
    fn digits_is_parse() {
        let mut r = crate::rng::SplitMix64::new(5);
        let mut samples: Vec<String> = [
            "",
            "0",
            "9",
            "10",
            "007",
            "+1",
            "-1",
            "1a",
            " 1",
            "٣",
            "18446744073709551615",
            "18446744073709551616",
            "18446744073709551619",
            "18446744073709551610",
            "99999999999999999999",
            "1844674407370955161",
            "184467440737095516150",
        ]
        .map(String::from)
        .to_vec();
        for _ in 0..10_000 {
            let n = r.next_u64() >> (r.next_u64() % 64);
            samples.push(n.to_string());
            samples.push([n.to_string(), (r.next_u64() % 10).to_string()].concat());
        }
        for s in &samples {
            let std = if s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<u64>().ok()
            } else {
                None
            };
            assert_eq!(digits(s), std, "{s:?}");
            let only_digits = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            assert_eq!(all_digits(s), only_digits, "{s:?}");
        }
    }

    #[test]
    fn utf16_len_is_encode_utf16_count() {
        for s in [
            "",
            "abc",
            "é",
            "✓ ok",
            "😀",
            "a😀é✓\u{10FFFF}\u{7f}\u{80}\u{800}\u{FFFF}\u{10000}",
        ] {
            assert_eq!(utf16_len(s), s.encode_utf16().count(), "{s:?}");
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

    /// The whitespace helpers agree with `char` and `str` on every char.
    #[test]
    fn whitespace_as_char_and_str_methods() {
        let mut spaces = String::new();
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let e = c.encode_utf8(&mut buf);
            let want = if c.is_whitespace() { e.len() } else { 0 };
            assert_eq!(space_len(e.as_bytes()), want, "{c:?}");
            let inner = ["a", e, "b"].concat();
            assert_eq!(
                has_space_or_control(&inner),
                c.is_whitespace() || c.is_control(),
                "{c:?}"
            );
            if c.is_whitespace() {
                spaces.push(c);
            }
        }
        let samples = [
            "",
            "a",
            " a ",
            "\u{a0}x\u{a0}",
            "\u{3000}\u{85}ü \u{2029}",
            "\u{200b}x\u{200b}",
            "é",
            " é\u{a0}",
            "\u{202f}\u{205f}\u{1680}",
            "x\u{2000}\u{200a}y\t\n\x0b\x0c\r",
            "\u{e9}\u{e0}",
            "\u{1f600} ",
            "\u{2009}\u{2080}",
            "\u{c2}\u{a0}",
        ];
        for s in samples.iter().map(|s| s.to_string()).chain([
            spaces.clone(),
            [spaces.as_str(), "mid dle", spaces.as_str()].concat(),
        ]) {
            assert_eq!(trim(&s), s.trim(), "{s:?}");
            assert_eq!(trim_start(&s), s.trim_start(), "{s:?}");
            assert_eq!(
                has_space_or_control(&s),
                s.contains(|c: char| c.is_whitespace() || c.is_control()),
                "{s:?}"
            );
        }
    }
}
