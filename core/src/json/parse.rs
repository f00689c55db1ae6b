//! Parsing JSON text into a [`Value`].

use super::number::text_to_f64;
use super::{Map, Number, Value};
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
    let mut p = Parser {
        text,
        s: text.as_bytes(),
        i: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.fail("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    text: &'a str,
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
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

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        self.ws();
        match self.peek() {
            None => Err(self.fail("unexpected end of input")),
            Some(b'n') => self.word(b"null", Value::Null),
            Some(b't') => self.word(b"true", Value::Bool(true)),
            Some(b'f') => self.word(b"false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::String),
            Some(b'[') | Some(b'{') if depth >= MAX_DEPTH => Err(self.fail("nested too deeply")),
            Some(b'[') => {
                self.i += 1;
                let mut a = Vec::new();
                self.ws();
                if self.eat(b']') {
                    return Ok(Value::Array(a));
                }
                loop {
                    a.push(self.value(depth + 1)?);
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
                    let v = self.value(depth + 1)?;
                    m.0.push((k, v));
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
            Some(b'-' | b'0'..=b'9') => self.number(),
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

    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.i;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.fail("invalid number")),
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.fail("invalid number"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.fail("invalid number"));
            }
        }
        // Only ASCII was consumed, so these are char boundaries.
        let text = self.text.get(start..self.i).unwrap_or_default().to_owned();
        if !text_to_f64(&text).is_finite() {
            return Err(ParseError {
                what: "number out of range",
                at: start,
            });
        }
        Ok(Value::Number(Number(text)))
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

    fn string(&mut self) -> Result<String, ParseError> {
        self.i += 1; // the opening quote
        let mut out = String::new();
        loop {
            // Copy the run of plain characters up to the next quote, backslash or control
            // character in one go. Those three are ASCII, so the run ends on a char boundary
            // of the `&str` the parser was given and is itself valid UTF-8.
            let start = self.i;
            self.i = plain_run_end(self.s, self.i);
            out.push_str(self.text.get(start..self.i).unwrap_or_default());
            let Some(b) = self.peek() else {
                return Err(self.fail("unterminated string"));
            };
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
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
        Ok(out)
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

/// The index of the first byte at or after `from` that ends a run of plain string
/// characters: a quote, a backslash or a control character (`s.len()` when none does).
///
/// Eight bytes per step (SWAR): a long string value (a prompt, a base64 image) is most of
/// a large body, and a byte-at-a-time loop at the package's `opt-level = "z"` made its scan
/// the largest single cost of a 64 KiB webhook. In each mask the lowest flagged byte is
/// exact (a borrow only carries upward from a byte that is itself flagged), so the lowest
/// flag of the three is the first byte that ends the run.
pub(super) fn plain_run_end(s: &[u8], from: usize) -> usize {
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
