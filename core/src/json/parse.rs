//! Parsing JSON text into a [`Value`].

use super::number::text_to_f64;
use super::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// Why text is not JSON: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset into the text.
    pub at: usize,
}

impl ParseError {
    /// `what at byte N`, what [`Display`](fmt::Display) writes (without `core::fmt`, for
    /// the wasm).
    pub fn message(&self) -> String {
        let at = crate::text::decimal(self.at as u64);
        crate::text::concat(&[self.what, " at byte ", &at])
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for ParseError {}

/// Nesting deeper than this is refused (as serde_json and browsers' limits do), so hostile
/// input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// Parses JSON text (RFC 8259: one value, surrounded by optional whitespace).
pub fn parse(text: &str) -> Result<Value, ParseError> {
    parse_as(text, Build::All)
}

/// Parses JSON text as strictly as [`parse`] (the same refusals at the same offsets), but
/// builds only the values on the `wanted` paths: a reader that needs a few fields of a large
/// body (a webhook's status fields) does not copy the rest (issue 4: building every value of
/// a 1 KiB delivery was a fifth of its time). Members off those paths are left out of their
/// objects. (Built without the core's `wanted` feature, the whole document is built.)
pub fn parse_wanted(text: &str, wanted: &Wanted) -> Result<Value, ParseError> {
    if cfg!(not(feature = "wanted")) {
        return parse(text);
    }
    parse_as(text, Build::Some(wanted).below(wanted))
}

fn parse_as(text: &str, build: Build<'_>) -> Result<Value, ParseError> {
    let mut p = Parser {
        text,
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0, build)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.fail("trailing characters"));
    }
    Ok(v)
}

/// The paths of a document a reader needs, as [`parse_wanted`] takes them: dotted paths as
/// `json_path` reads them (`data.task_id`, `images[].url`, `items.0`). Everything below a
/// wanted path is built; an array on the way is built element by element for the rest of
/// the path (whole, when the path indexes it).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Wanted {
    /// Everything below is wanted.
    all: bool,
    /// A path indexes an array here (`items.0`): arrays here are built whole.
    indexed: bool,
    children: Vec<(String, Wanted)>,
}

impl Wanted {
    /// Nothing wanted yet.
    pub const fn new() -> Wanted {
        Wanted {
            all: false,
            indexed: false,
            children: Vec::new(),
        }
    }

    /// The whole document.
    pub const fn everything() -> Wanted {
        Wanted {
            all: true,
            indexed: false,
            children: Vec::new(),
        }
    }

    /// Wants `path` (an empty path: the whole document).
    pub fn add(&mut self, path: &str) {
        let mut node = self;
        for seg in crate::text::split(path, b'.') {
            if node.all {
                return;
            }
            let name = seg.strip_suffix("[]").unwrap_or(seg);
            // An empty segment stays where it is, as `json_path` reads it.
            if name.is_empty() {
                continue;
            }
            node.indexed |= crate::text::all_digits(name);
            let i = match node.children.iter().position(|(k, _)| k == name) {
                Some(i) => i,
                None => {
                    node.children.push((name.to_owned(), Wanted::new()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i].1;
        }
        node.all = true;
        node.children = Vec::new();
    }
}

/// What to build of the value being read.
#[derive(Clone, Copy)]
enum Build<'w> {
    /// All of it.
    All,
    /// Only what lies on these paths.
    Some(&'w Wanted),
    /// Nothing: the value is checked and skipped.
    Nothing,
}

impl<'w> Build<'w> {
    /// `All` for a node that wants everything below it, else `self`.
    fn below(self, w: &'w Wanted) -> Build<'w> {
        if w.all {
            Build::All
        } else {
            self
        }
    }

    /// What to build of an object's member `key`.
    fn member(self, key: &str) -> Build<'w> {
        // Without the feature every parse builds `All` (and the compiler drops the rest).
        if cfg!(not(feature = "wanted")) {
            return Build::All;
        }
        let Build::Some(w) = self else {
            return self;
        };
        match w.children.iter().find(|(k, _)| k == key) {
            Some((_, c)) => Build::Some(c).below(c),
            None => Build::Nothing,
        }
    }

    /// What to build of an array's elements.
    fn element(self) -> Build<'w> {
        if cfg!(not(feature = "wanted")) {
            return Build::All;
        }
        match self {
            Build::Some(w) if w.indexed => Build::All,
            other => other,
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn fail(&self, what: &'static str) -> ParseError {
        ParseError { what, at: self.i }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn word(&mut self, w: &[u8], v: Value) -> Result<Value, ParseError> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.fail("expected a value"))
        }
    }

    fn value(&mut self, depth: usize, build: Build<'_>) -> Result<Value, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.fail("unexpected end of input")),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'"') => {
                let s = self.string()?;
                Ok(match build {
                    Build::Nothing => Value::Null,
                    _ => Value::String(s.into_owned()),
                })
            }
            Some(b'[') | Some(b'{') if depth >= MAX_DEPTH => Err(self.fail("nested too deeply")),
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Ok(Value::Array(a));
                }
                let inner = build.element();
                loop {
                    let v = self.value(depth + 1, inner)?;
                    if !matches!(inner, Build::Nothing) {
                        a.push(v);
                    }
                    self.ws();
                    if self.eat(b']') {
                        return Ok(Value::Array(a));
                    }
                    if !self.eat(b',') {
                        return Err(self.fail("expected `,` or `]`"));
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut m = Map::new();
                self.ws();
                if self.eat(b'}') {
                    return Ok(Value::Object(m));
                }
                loop {
                    self.ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.fail("expected a string key"));
                    }
                    let k = self.string()?;
                    self.ws();
                    if !self.eat(b':') {
                        return Err(self.fail("expected `:`"));
                    }
                    let inner = build.member(&k);
                    let v = self.value(depth + 1, inner)?;
                    if !matches!(inner, Build::Nothing) {
                        m.0.push((k.into_owned(), v));
                    }
                    self.ws();
                    if self.eat(b'}') {
                        m.merge_repeated_keys();
                        return Ok(Value::Object(m));
                    }
                    if !self.eat(b',') {
                        return Err(self.fail("expected `,` or `}`"));
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let n = self.number()?;
                Ok(match build {
                    Build::Nothing => Value::Null,
                    _ => Value::Number(Number(n.to_owned())),
                })
            }
            Some(_) => Err(self.fail("expected a value")),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// A number's text (checked: JSON's grammar, and finite as an `f64`).
    fn number(&mut self) -> Result<&'a str, ParseError> {
        let start = self.i;
        self.eat(b'-');
        let whole = match self.peek() {
            Some(b'0') => {
                self.i += 1;
                1
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.fail("invalid number")),
        };
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.fail("invalid number"));
        }
        let exponent = self.eat(b'e') || self.eat(b'E');
        if exponent {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        // Only ASCII was consumed, so these are char boundaries.
        let text = self.text.get(start..self.i).unwrap_or_default();
        // Without an exponent, fewer than 309 integer digits stay below 1e308, under f64's
        // largest finite value: no need to convert it (a third of a small webhook body's
        // parse was converting numbers only to check this). Builds without the `wanted`
        // feature (the polling client's, at its size budget) convert every number.
        if (exponent || whole > 308 || cfg!(not(feature = "wanted")))
            && !text_to_f64(text).is_finite()
        {
            return Err(ParseError {
                what: "number out of range",
                at: start,
            });
        }
        Ok(text)
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let mut n = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.fail("invalid \\u escape"))?;
            n = n * 16 + d;
            self.i += 1;
        }
        Ok(n)
    }

    /// A string's text: borrowed from the input when it has no escapes (nearly every key
    /// and value), so a string that is only compared or skipped is never copied.
    fn string(&mut self) -> Result<Cow<'a, str>, ParseError> {
        self.i += 1; // the opening quote
                     // The text before the current run, once an escape was met (until then it is empty:
                     // every escape adds a character).
        let mut out = String::new();
        loop {
            // The run of plain characters up to the next quote, backslash or control
            // character. Those three are ASCII, so each run ends on a char boundary of the
            // `&str` the parser was given and is itself valid UTF-8.
            let start = self.i;
            self.i = plain_run_end(self.s, self.i);
            let run = self.text.get(start..self.i).unwrap_or_default();
            let Some(b) = self.peek() else {
                return Err(self.fail("unterminated string"));
            };
            self.i += 1;
            match b {
                b'"' => {
                    // No escape: the string is the run itself, borrowed (only in builds
                    // with the `wanted` feature, which skip strings; the others keep the
                    // smaller code that always copies).
                    if cfg!(feature = "wanted") && out.is_empty() {
                        return Ok(Cow::Borrowed(run));
                    }
                    out.push_str(run);
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    out.push_str(run);
                    let Some(e) = self.peek() else {
                        return Err(self.fail("unterminated string"));
                    };
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode()?,
                        _ => return Err(self.fail("invalid escape")),
                    };
                    out.push(c);
                }
                _ => return Err(self.fail("control character in string")),
            }
        }
    }

    /// The character of a `\uXXXX` escape (a surrogate pair is two escapes).
    fn unicode(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.fail("unpaired surrogate"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.fail("unpaired surrogate"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.fail("unpaired surrogate"))
    }
}

/// [`plain_run_end`] sixteen bytes per step with wasm's SIMD (builds compiled with the
/// `simd128` target feature: the webhook receiver's): the first 16-byte window from `from`
/// on that holds a byte ending the run gives its index; otherwise the start of the last
/// partial window, where the 8-byte loop takes over.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
fn simd_run_end(s: &[u8], from: usize) -> usize {
    use core::arch::wasm32::*;
    let (quote, backslash, space) = (u8x16_splat(b'"'), u8x16_splat(b'\\'), u8x16_splat(0x20));
    let mut i = from;
    while let Some(Ok(chunk)) = s.get(i..i + 16).map(<[u8; 16]>::try_from) {
        // Built lane by lane (safe code; the core forbids `unsafe`): one v128 load once
        // compiled.
        let c = chunk;
        let v = u8x16(
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13],
            c[14], c[15],
        );
        let hit = v128_or(
            v128_or(u8x16_eq(v, quote), u8x16_eq(v, backslash)),
            u8x16_lt(v, space),
        );
        let mask = u8x16_bitmask(hit);
        if mask != 0 {
            return i + mask.trailing_zeros() as usize;
        }
        i += 16;
    }
    i
}

/// The index of the first byte at or after `from` that ends a run of plain string
/// characters: a quote, a backslash or a control character (`s.len()` when none does).
///
/// Eight bytes per step (SWAR): a long string value (a prompt, a base64 image) is most of
/// a large body, and a byte-at-a-time loop at the package's `opt-level = "z"` made its scan
/// the largest single cost of a 64 KiB webhook. In each mask the lowest flagged byte is
/// exact (a borrow only carries upward from a byte that is itself flagged), so the lowest
/// flag of the three is the first byte that ends the run.
pub(super) fn plain_run_end(s: &[u8], from: usize) -> usize {
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let from = simd_run_end(s, from);
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte of `x` is below `n` (n <= 0x80): its flag is the high bit of that byte.
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    let mut i = from;
    while let Some(Ok(word)) = s.get(i..i + 8).map(<[u8; 8]>::try_from) {
        let w = u64::from_le_bytes(word);
        let m = below(w ^ (ONES * u64::from(b'"')), 1)
            | below(w ^ (ONES * u64::from(b'\\')), 1)
            | below(w, 0x20);
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while s
        .get(i)
        .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
    {
        i += 1;
    }
    i
}
