//! JSON values: the one parser and writer of the core, for status, webhook, request and
//! profile bodies. Small on purpose (issue 7): serde_json with serde's visitors, its float
//! formatter and its `BTreeMap` cost ≈ 60 KB of wasm, and the core only ever needs a tree of
//! values. Numbers keep their text, so a vendor's number passes through unchanged and no
//! float formatting is linked; objects keep their key order (a repeated key keeps the last
//! value, as `JSON.parse` does).

use std::fmt;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// `null`.
    #[default]
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as its JSON text.
    Number(Number),
    /// A string.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object.
    Object(Map),
}

/// A JSON number, kept as its (valid JSON) text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

/// A JSON object: keys in insertion order. Two maps are equal when they hold the same keys
/// with equal values, in any order.
#[derive(Debug, Clone, Default)]
pub struct Map(Vec<(String, Value)>);

/// Why text is not JSON: what was wrong and the byte offset where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What was wrong.
    pub what: &'static str,
    /// Byte offset into the text.
    pub at: usize,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.what, self.at)
    }
}

impl std::error::Error for ParseError {}

/// Nesting deeper than this is refused (as serde_json and browsers' limits do), so hostile
/// input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

static NULL: Value = Value::Null;

impl Value {
    /// The member `key` of an object; `None` for other values or a missing key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(m) => m.get(key),
            _ => None,
        }
    }

    /// The member `key` of an object, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        match self {
            Value::Object(m) => m.get_mut(key),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number as `f64`, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(n) => Some(n.as_f64()),
            _ => None,
        }
    }

    /// The number as `i64`, if this is an integer in range (`3.0` is not).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    /// The number as `u64`, if this is a non-negative integer in range.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&Vec<Value>> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }

    /// The members, if this is an object.
    pub fn as_object(&self) -> Option<&Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// The members, mutably, if this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut Map> {
        match self {
            Value::Object(m) => Some(m),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    /// Whether this is a string.
    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    /// Whether this is an array.
    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    /// Whether this is a number.
    pub fn is_number(&self) -> bool {
        matches!(self, Value::Number(_))
    }

    /// Takes the value out, leaving `null`.
    pub fn take(&mut self) -> Value {
        std::mem::take(self)
    }

    /// This value as JSON text.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        write(self, &mut out);
        out
    }
}

impl std::ops::Index<&str> for Value {
    type Output = Value;

    /// The member `key`, or `null` when there is none (as serde_json's `v["key"]`).
    fn index(&self, key: &str) -> &Value {
        self.get(key).unwrap_or(&NULL)
    }
}

impl std::ops::Index<usize> for Value {
    type Output = Value;

    /// The element `i` of an array, or `null` when there is none.
    fn index(&self, i: usize) -> &Value {
        match self {
            Value::Array(a) => a.get(i).unwrap_or(&NULL),
            _ => &NULL,
        }
    }
}

impl PartialEq<&str> for Value {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

impl PartialEq<bool> for Value {
    fn eq(&self, other: &bool) -> bool {
        self.as_bool() == Some(*other)
    }
}

impl PartialEq<i64> for Value {
    fn eq(&self, other: &i64) -> bool {
        self.as_i64() == Some(*other)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Value {
        Value::Number(Number(n.to_string()))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Number(Number(n.to_string()))
    }
}

impl From<u32> for Value {
    fn from(n: u32) -> Value {
        Value::from(u64::from(n))
    }
}

impl From<Vec<Value>> for Value {
    fn from(a: Vec<Value>) -> Value {
        Value::Array(a)
    }
}

impl From<Map> for Value {
    fn from(m: Map) -> Value {
        Value::Object(m)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        o.map_or(Value::Null, Into::into)
    }
}

impl Number {
    /// The number as `f64` (the nearest double for up to 15 significant digits and
    /// exponents within ±22, within a few units in the last place otherwise).
    pub fn as_f64(&self) -> f64 {
        text_to_f64(&self.0)
    }

    /// The number as `i64`, if it is an integer (no fraction or exponent) in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0.strip_prefix('-') {
            Some(d) => digits_u64(d).and_then(|n| 0i64.checked_sub_unsigned(n)),
            None => digits_u64(&self.0).and_then(|n| i64::try_from(n).ok()),
        }
    }

    /// The number as `u64`, if it is a non-negative integer (no fraction or exponent) in
    /// range.
    pub fn as_u64(&self) -> Option<u64> {
        digits_u64(&self.0)
    }

    /// The number's JSON text.
    pub fn as_text(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `s` as an unsigned integer when it is only ASCII digits.
fn digits_u64(s: &str) -> Option<u64> {
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

/// Valid JSON number text as `f64`, without core's `dec2flt` (its power-of-five table is
/// ≈10 KB of wasm that gzips badly): at most 19 significant digits scaled by a power of ten.
fn text_to_f64(s: &str) -> f64 {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (mant, exp) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    let mut m: u64 = 0;
    let mut scale: i32 = 0;
    let mut seen_dot = false;
    for b in mant.bytes() {
        match b {
            b'.' => seen_dot = true,
            d if m < 1_000_000_000_000_000_000 => {
                m = m * 10 + u64::from(d - b'0');
                if seen_dot {
                    scale -= 1;
                }
            }
            // Digits past the 19th only move the exponent.
            _ if !seen_dot => scale += 1,
            _ => {}
        }
    }
    let e: i32 = {
        let (eneg, digits) = match exp.as_bytes().first() {
            Some(b'-') => (true, &exp[1..]),
            Some(b'+') => (false, &exp[1..]),
            _ => (false, exp),
        };
        let mag = digits.bytes().fold(0i32, |acc, b| {
            acc.saturating_mul(10).saturating_add(i32::from(b - b'0'))
        });
        if eneg {
            -mag
        } else {
            mag
        }
    };
    let e = e.saturating_add(scale);
    let x = m as f64;
    let v = if m == 0 {
        0.0
    } else if e >= 0 {
        x * pow10(e)
    } else if e >= -22 {
        x / pow10(-e)
    } else {
        x / pow10(22) / pow10(-e - 22)
    };
    if neg {
        -v
    } else {
        v
    }
}

/// 10^e for e ≥ 0 (exact up to 10^22), by squaring.
fn pow10(e: i32) -> f64 {
    let (mut base, mut e, mut acc) = (10.0f64, e.min(400), 1.0f64);
    while e > 0 {
        if e & 1 == 1 {
            acc *= base;
        }
        base *= base;
        e >>= 1;
    }
    acc
}

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// The value of `key`, inserting `make()` first when it is missing.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => i,
            None => {
                self.0.push((key.to_owned(), make()));
                self.0.len() - 1
            }
        };
        &mut self.0[i].1
    }

    /// Whether `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` (in place when present, last otherwise); the previous value, if any.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Option<Value> {
        let key = key.into();
        match self.get_mut(&key) {
            Some(slot) => Some(std::mem::replace(slot, value)),
            None => {
                self.0.push((key, value));
                None
            }
        }
    }

    /// Removes `key`; its value, if it was present.
    pub fn remove(&mut self, key: &str) -> Option<Value> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.remove(i).1)
    }

    /// The members in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    /// The values in order.
    pub fn values(&self) -> impl Iterator<Item = &Value> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The values in order, mutably.
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut Value> {
        self.0.iter_mut().map(|(_, v)| v)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl PartialEq for Map {
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl Extend<(String, Value)> for Map {
    /// Inserts each member in turn (a key already present takes the new value).
    fn extend<I: IntoIterator<Item = (String, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Value)>,
        fn(&'a (String, Value)) -> (&'a String, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Map {
    type Item = (String, Value);
    type IntoIter = std::vec::IntoIter<(String, Value)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// An object of these members, in this order: `object([("id", id.into()), ...])`.
pub fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut m = Map(Vec::with_capacity(N));
    for (k, v) in members {
        m.insert(k, v);
    }
    Value::Object(m)
}

/// Writes one JSON object member by member, straight to text (no [`Value`] built first, so
/// a large `raw` body is not copied to be written).
#[derive(Debug)]
pub struct ObjectText {
    out: String,
}

impl Default for ObjectText {
    fn default() -> Self {
        ObjectText::new()
    }
}

impl ObjectText {
    /// An object with no members yet.
    pub fn new() -> ObjectText {
        ObjectText {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) -> &mut String {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_str(key, &mut self.out);
        self.out.push(':');
        &mut self.out
    }

    /// Adds `key` with a value.
    pub fn value(&mut self, key: &str, v: &Value) -> &mut Self {
        write(v, self.key(key));
        self
    }

    /// Adds `key` with JSON text already written (an object or list written by its own
    /// writer).
    pub fn text(&mut self, key: &str, json_text: &str) -> &mut Self {
        self.key(key).push_str(json_text);
        self
    }

    /// Adds `key` with a string.
    pub fn str(&mut self, key: &str, s: &str) -> &mut Self {
        write_str(s, self.key(key));
        self
    }

    /// Adds `key` with a string when there is one.
    pub fn opt_str(&mut self, key: &str, s: &Option<String>) -> &mut Self {
        if let Some(s) = s {
            self.str(key, s);
        }
        self
    }

    /// Adds `key` with a whole number when there is one.
    pub fn opt_num(&mut self, key: &str, n: Option<u64>) -> &mut Self {
        if let Some(n) = n {
            self.key(key).push_str(&n.to_string());
        }
        self
    }

    /// The object's text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON array of items each written by `each` (as text).
pub fn array_text<T>(items: &[T], each: impl Fn(&T) -> String) -> String {
    let mut out = String::from("[");
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&each(x));
    }
    out.push(']');
    out
}

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
                    m.insert(k, v);
                    self.ws();
                    if self.eat(b'}') {
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
            while self
                .s
                .get(self.i)
                .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.i += 1;
            }
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

/// Appends `v` as compact JSON text to `out`.
pub fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => out.push_str(&n.0),
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(x, out);
            }
            out.push('}');
        }
    }
}

/// Appends `s` as a JSON string literal.
pub fn write_str(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Builds a [`Value`] from JSON-like syntax in tests: `json!({"a": [1, "x", null]})`. It
/// writes the literal with serde_json (a dev-dependency) and parses the text with [`parse`],
/// so the tests also exercise the parser.
#[cfg(test)]
#[macro_export]
macro_rules! json {
    ($($t:tt)+) => {
        $crate::json::parse(&::serde_json::json!($($t)+).to_string()).expect("json! literal")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in [
            r#"{"a":[1,-2.5e3,true,false,null],"b":{"c":"x\"y\\z\n\u0001"},"d":""}"#,
            "[]",
            "{}",
            "0",
            "-0.0",
            r#""é ✓ 😀""#,
        ] {
            let v = parse(text).expect(text);
            assert_eq!(v.to_text(), text);
            assert_eq!(parse(&v.to_text()).expect("again"), v);
        }
    }

    #[test]
    fn escapes_decode() {
        let v = parse(r#""\u00e9\ud83d\ude00\/\b\f\t""#).expect("escapes");
        assert_eq!(v.as_str(), Some("é😀/\u{8}\u{c}\t"));
        assert_eq!(v.to_text(), "\"é😀/\\u0008\\u000c\\t\"");
    }

    #[test]
    fn refuses_invalid_text() {
        for bad in [
            "",
            " ",
            "nul",
            "tru",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "1e",
            "-",
            "+1",
            "\"\\x\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"abc",
            "[1 2]",
            "{\"a\" 1}",
            "\"\u{1}\"",
            "1 2",
            "NaN",
            "Infinity",
            "1e400",
            "[",
            "{\"a\":",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(parse(&deep).unwrap_err().what, "nested too deeply");
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn numbers() {
        let n = |t: &str| parse(t).expect(t);
        assert_eq!(n("42").as_u64(), Some(42));
        assert_eq!(n("42").as_i64(), Some(42));
        assert_eq!(n("-42").as_i64(), Some(-42));
        assert_eq!(n("-42").as_u64(), None);
        assert_eq!(n("4.0").as_u64(), None);
        assert_eq!(n("18446744073709551615").as_u64(), Some(u64::MAX));
        assert_eq!(n("18446744073709551616").as_u64(), None);
        assert_eq!(n("-9223372036854775808").as_i64(), Some(i64::MIN));
        assert_eq!(n("9223372036854775808").as_i64(), None);
        for (t, x) in [
            ("0", 0.0),
            ("-0", -0.0),
            ("1.5", 1.5),
            ("0.001", 0.001),
            ("12.34", 12.34),
            ("2.5e3", 2500.0),
            ("1E-3", 0.001),
            ("123456789012345678901234", 1.2345678901234568e23),
            ("0.1", 0.1),
            ("1e308", 1e308),
            ("5e-324", 5e-324),
            ("1e-400", 0.0),
        ] {
            let got = n(t).as_f64().expect(t);
            let rel = if x == 0.0 {
                got.abs()
            } else {
                ((got - x) / x).abs()
            };
            assert!(rel < 1e-15, "{t}: {got} vs {x}");
        }
        // Exactly rounded on the fast path.
        assert_eq!(n("0.3").as_f64(), Some(0.3));
        assert_eq!(n("1234.5678").as_f64(), Some(1234.5678));
        assert_eq!(n("3.5").to_text(), "3.5");
    }

    #[test]
    fn objects_keep_order_and_last_duplicate() {
        let v = parse(r#"{"b":1,"a":2,"b":3}"#).expect("object");
        assert_eq!(v.to_text(), r#"{"b":3,"a":2}"#);
        assert_eq!(v["b"], 3);
        assert!(v["zz"].is_null());
        assert_eq!(parse(r#"{"a":1,"b":2}"#), parse(r#"{"b":2,"a":1}"#));
        assert_ne!(parse(r#"{"a":1}"#), parse(r#"{"a":1,"b":2}"#));
    }

    #[test]
    fn agrees_with_serde_json_on_random_documents() {
        let mut rng = crate::rng::SplitMix64::new(7);
        for _ in 0..500 {
            let doc = random_doc(&mut rng, 0);
            let text = doc.to_string();
            let ours = parse(&text).expect("serde_json's output parses");
            let back: serde_json::Value =
                serde_json::from_str(&ours.to_text()).expect("our output parses");
            assert_eq!(back, doc);
        }
    }

    fn below(rng: &mut crate::rng::SplitMix64, n: u64) -> u64 {
        rng.next_u64() % n
    }

    fn random_doc(rng: &mut crate::rng::SplitMix64, depth: u32) -> serde_json::Value {
        let pick = below(rng, if depth > 3 { 5 } else { 7 });
        match pick {
            0 => serde_json::json!(null),
            1 => serde_json::json!(below(rng, 2) == 1),
            2 => serde_json::json!(below(rng, 1 << 40) as i64 - (1 << 39)),
            3 => serde_json::json!((below(rng, 1_000_000) as f64) / 1000.0),
            4 => {
                let chars = ['a', 'é', '"', '\\', '\n', '\u{1}', '😀', '/', ' '];
                let n = below(rng, 8) as usize;
                serde_json::json!((0..n)
                    .map(|_| chars[below(rng, chars.len() as u64) as usize])
                    .collect::<String>())
            }
            5 => serde_json::json!((0..below(rng, 4))
                .map(|_| random_doc(rng, depth + 1))
                .collect::<Vec<_>>()),
            _ => {
                let mut m = serde_json::Map::new();
                for i in 0..below(rng, 4) {
                    m.insert(format!("k{i}"), random_doc(rng, depth + 1));
                }
                serde_json::Value::Object(m)
            }
        }
    }
}
