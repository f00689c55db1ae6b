//! Writing JSON text: a [`Value`], or a type's fields one by one ([`ObjectText`]).

use super::Value;

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

    /// Adds `key` with JSON kept as text.
    pub fn raw(&mut self, key: &str, raw: &super::RawJson) -> &mut Self {
        self.text(key, raw.as_str())
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
            self.key(key).push_str(&crate::text::decimal(n));
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
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(s.get(start..i - 1).unwrap_or_default());
        if esc.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(esc);
        }
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}
