//! JSON values: the one parser and writer of the core, for status, webhook, request and
//! profile bodies. Small on purpose (issue 7): serde_json with serde's visitors, its float
//! formatter and its `BTreeMap` cost ≈ 60 KB of wasm, and the core only ever needs a tree of
//! values. Numbers keep their text, so a vendor's number passes through unchanged and no
//! float formatting is linked; objects keep their key order (a repeated key keeps the last
//! value, as `JSON.parse` does).

mod number;
mod parse;
mod write;

pub use parse::{parse, parse_wanted, ParseError, Wanted, MAX_DEPTH};
pub use write::{array_text, write, write_str, ObjectText};

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
pub struct Number(pub(super) String);

/// A JSON object: keys in insertion order. Two maps are equal when they hold the same keys
/// with equal values, in any order.
#[derive(Debug, Clone, Default)]
pub struct Map(pub(super) Vec<(String, Value)>);

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
        Value::Number(Number(crate::text::decimal(n)))
    }
}

impl From<i64> for Value {
    fn from(n: i64) -> Value {
        let digits = crate::text::decimal(n.unsigned_abs());
        Value::Number(Number(if n < 0 {
            crate::text::concat(&["-", &digits])
        } else {
            digits
        }))
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

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map(Vec::new())
    }

    /// Where `key` is, by a plain loop that every lookup shares (`find`/`position`
    /// adapters at each lookup cost the wasm more, issue 7).
    fn index(&self, key: &str) -> Option<usize> {
        let mut i = 0;
        while i < self.0.len() {
            if self.0[i].0 == key {
                return Some(i);
            }
            i += 1;
        }
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        Some(&self.0[self.index(key)?].1)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let i = self.index(key)?;
        Some(&mut self.0[i].1)
    }

    /// The value of `key`, inserting `make()` first when it is missing.
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> Value) -> &mut Value {
        let i = match self.index(key) {
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
        let i = self.index(key)?;
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

impl Map {
    /// Merges repeated keys as `JSON.parse` does: the first one's place, the last one's
    /// value. In O(n log n), so an object of many keys costs no quadratic search.
    pub(crate) fn merge_repeated_keys(&mut self) {
        let e = &mut self.0;
        // A small object (nearly every one) is checked pair by pair without allocating, and
        // left as it is when no key repeats (issue 4: two allocations and a sort for every
        // object were a tenth of a small webhook's parse). Only in builds with the `wanted`
        // feature (the webhook receiver's); the polling client's stays at its size budget.
        let n = e.len();
        if n < 2 {
            return;
        }
        if cfg!(feature = "wanted") && n <= 16 {
            let mut repeat = false;
            for i in 1..n {
                for j in 0..i {
                    repeat |= e[i].0 == e[j].0;
                }
            }
            if !repeat {
                return;
            }
        }
        // Indices sorted by key, then by position: repeats of a key are neighbours.
        let mut by_key = Vec::with_capacity(e.len());
        for i in 0..e.len() {
            by_key.push(i);
        }
        by_key.sort_unstable_by(|&a, &b| e[a].0.cmp(&e[b].0).then(a.cmp(&b)));
        let mut drop = vec![false; e.len()];
        let mut any = false;
        let mut first = by_key[0];
        for j in 1..by_key.len() {
            let (prev, next) = (by_key[j - 1], by_key[j]);
            if e[prev].0 == e[next].0 {
                // `next` repeats the key of `first`: its value moves to `first`'s place.
                let value = std::mem::take(&mut e[next].1);
                e[first].1 = value;
                drop[next] = true;
                any = true;
            } else {
                first = next;
            }
        }
        if any {
            let mut i = 0;
            e.retain(|_| {
                i += 1;
                !drop[i - 1]
            });
        }
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

/// JSON kept as its text: a provider's body passed through as it came, so a task's last
/// status is neither held as a tree of small allocations nor written out again. Always
/// valid JSON: made from text [`parse`] accepted, or from a [`Value`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawJson(String); // empty: `null`

impl RawJson {
    /// `null`.
    pub const fn null() -> RawJson {
        RawJson(String::new())
    }

    /// Text that [`parse`] has just accepted, kept as it is (no copy).
    pub(crate) fn parsed_text(text: String) -> RawJson {
        RawJson(text)
    }

    /// `text` when it is JSON.
    pub fn parse(text: String) -> Result<RawJson, ParseError> {
        parse(&text)?;
        Ok(RawJson(text))
    }

    /// A value's text.
    pub fn of(v: &Value) -> RawJson {
        if v.is_null() {
            RawJson::null()
        } else {
            RawJson(v.to_text())
        }
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        if self.0.is_empty() {
            "null"
        } else {
            &self.0
        }
    }

    /// Whether this is `null` (as made by [`RawJson::null`] or from a `null` value).
    pub fn is_null(&self) -> bool {
        self.0.is_empty()
    }

    /// The parsed value.
    pub fn value(&self) -> Value {
        parse(self.as_str()).unwrap_or_default()
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
mod tests;
