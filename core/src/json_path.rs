//! Dotted paths into JSON values, as profiles write them: `data.task_id`, `images[].url`
//! (a `[]` suffix walks every element of an array), `items.0.url` (a number indexes an array).

use crate::json::{Map, Value};
use crate::text::split;

/// The value at `path` (the first one, if the path walks arrays); `None` when absent. An
/// empty path is the value itself.
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    // A plain path leads to at most one value: walked without a list (a webhook or status
    // body is read at a dozen paths, and a list per step was a fifth of its normalizing).
    // A path that walks arrays is handed to `collect` once it reaches a `[]` (the steps
    // before it are the same in both).
    let mut cur = v;
    for seg in split(path, b'.') {
        if seg.ends_with("[]") {
            return collect(v, path).first().copied();
        }
        cur = child(cur, seg)?;
    }
    Some(cur)
}

/// An array index as `name.parse::<usize>()` reads it.
fn index(name: &str) -> Option<usize> {
    crate::text::parse_u64(name).and_then(|n| usize::try_from(n).ok())
}

/// The child `name` of `c` (an object's field or an array's index); `c` itself for "".
fn child<'a>(c: &'a Value, name: &str) -> Option<&'a Value> {
    if name.is_empty() {
        return Some(c);
    }
    match c {
        Value::Object(m) => m.get(name),
        Value::Array(a) => index(name).and_then(|i| a.get(i)),
        _ => None,
    }
}

/// Every value `path` reaches (several when it walks arrays with `[]`).
pub fn collect<'a>(v: &'a Value, path: &str) -> Vec<&'a Value> {
    if path.is_empty() {
        return vec![v];
    }
    let mut segs = split(path, b'.');
    // The steps before the first `[]` lead to one value: walked without a list, so a path
    // that is absent costs no allocation.
    let mut one = v;
    let mut cur = loop {
        let Some(seg) = segs.next() else {
            return vec![one];
        };
        match seg.strip_suffix("[]") {
            None => match child(one, seg) {
                Some(x) => one = x,
                None => return Vec::new(),
            },
            Some(name) => match child(one, name) {
                Some(Value::Array(a)) => {
                    let mut all = Vec::with_capacity(a.len());
                    for x in a {
                        all.push(x);
                    }
                    break all;
                }
                _ => return Vec::new(),
            },
        }
    };
    for seg in segs {
        if cur.is_empty() {
            break;
        }
        let (name, each) = match seg.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for &c in &cur {
            match (child(c, name), each) {
                (Some(Value::Array(a)), true) => {
                    for x in a {
                        next.push(x);
                    }
                }
                (Some(_), true) | (None, _) => {}
                (Some(x), false) => next.push(x),
            }
        }
        cur = next;
    }
    cur
}

/// A mutable reference to the value at a plain dotted path (no `[]`), if present.
pub fn get_mut<'a>(v: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut cur = v;
    if path.is_empty() {
        return Some(cur);
    }
    for seg in split(path, b'.') {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg)?,
            Value::Array(a) => a.get_mut(index(seg)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets `value` at a plain dotted path of an object, creating objects on the way (and
/// replacing non-objects in the way).
pub fn set(root: &mut Map, path: &str, value: Value) {
    // Cut segment by segment (a `Peekable` split to spot the last one cost the wasm an
    // iterator instantiation, issue 7): what is left after the last `.` is the key.
    let mut cur = root;
    let mut rest = path;
    while let Some((seg, tail)) = crate::text::cut(rest, b'.') {
        let slot = cur.get_or_insert_with(seg, || Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        cur = match slot {
            Value::Object(m) => m,
            // made an object just above.
            _ => return,
        };
        rest = tail;
    }
    cur.insert(rest.to_owned(), value);
}

/// A scalar as text: strings as they are, numbers and booleans written out; `None` for
/// null, arrays and objects.
pub fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.as_text().to_owned()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn paths() {
        let v = json!({"data": {"id": "x", "n": 4}, "images": [{"url": "a"}, {"url": "b"}, 3], "l": ["p", "q"]});
        assert_eq!(get(&v, "data.id"), Some(&json!("x")));
        assert_eq!(get(&v, "data.missing"), None);
        assert_eq!(get(&v, "data.id.deeper"), None);
        assert_eq!(collect(&v, "images[].url"), vec![&json!("a"), &json!("b")]);
        assert_eq!(collect(&v, "l[]").len(), 2);
        assert_eq!(get(&v, "l.1"), Some(&json!("q")));
        assert_eq!(get(&v, "images[].url"), Some(&json!("a")));
        assert_eq!(get(&v, "l[]"), Some(&json!("p")));
        assert_eq!(get(&v, "missing.l[]"), None);
        assert_eq!(get(&v, "data.l[]"), None);
        let odd = json!({"a[]b": {"c": [1]}});
        assert_eq!(get(&odd, "a[]b.c[]"), Some(&json!(1)));
        assert_eq!(get(&odd, "a[]b"), Some(&json!({"c": [1]})));
        assert_eq!(collect(&v, "data.id"), vec![&json!("x")]);
        assert_eq!(collect(&v, "data.missing"), Vec::<&Value>::new());
        assert_eq!(collect(&v, "data[]"), Vec::<&Value>::new());
        assert_eq!(collect(&v, "images[].missing"), Vec::<&Value>::new());
        assert_eq!(collect(&v, ""), vec![&v]);
        assert_eq!(get(&v, ""), Some(&v));
        assert_eq!(scalar_text(&json!(4)).as_deref(), Some("4"));
        assert_eq!(scalar_text(&json!(null)), None);
    }

    #[test]
    fn set_creates_objects() {
        let mut m = Map::new();
        set(&mut m, "webhook.url", json!("u"));
        set(&mut m, "webhook.auth_token", json!("t"));
        set(&mut m, "a", json!(1));
        set(&mut m, "a.b", json!(2));
        assert_eq!(
            Value::Object(m),
            json!({"webhook": {"url": "u", "auth_token": "t"}, "a": {"b": 2}})
        );
        // Empty segments are keys like any other.
        let mut m = Map::new();
        set(&mut m, "", json!(1));
        set(&mut m, "x.", json!(2));
        set(&mut m, ".y", json!(3));
        assert_eq!(Value::Object(m).to_text(), r#"{"":{"y":3},"x":{"":2}}"#);
    }
}
