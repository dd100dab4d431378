//! `json`/`jsonb` values: PostgreSQL's jsonb text form and the `->` / `->>` accessors.
//!
//! jsonb prints objects with keys ordered by length, then bytes (PostgreSQL's storage order), with
//! `", "` and `": "` separators; duplicate keys keep the last value.

use serde_json::Value;

pub fn format_jsonb(v: &Value) -> String {
    let mut out = String::new();
    write_jsonb(v, &mut out);
    out
}

fn write_jsonb(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| {
                a.len()
                    .cmp(&b.len())
                    .then_with(|| a.as_bytes().cmp(b.as_bytes()))
            });
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push_str(": ");
                write_jsonb(&m[*k], out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(x, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The key or index an accessor takes.
pub enum JsonKey<'a> {
    Field(&'a str),
    Index(i64),
}

/// `json -> key`: the sub-value, or `None` when absent.
pub fn get<'a>(v: &'a Value, key: &JsonKey) -> Option<&'a Value> {
    match (v, key) {
        (Value::Object(m), JsonKey::Field(k)) => m.get(*k),
        (Value::Array(a), JsonKey::Index(i)) => {
            let i = if *i < 0 { a.len() as i64 + i } else { *i };
            if i < 0 {
                None
            } else {
                a.get(i as usize)
            }
        }
        _ => None,
    }
}

/// `json ->> key`: text of the sub-value (strings unquoted, JSON null as SQL NULL).
pub fn get_text(v: &Value, key: &JsonKey) -> Option<String> {
    match get(v, key)? {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(format_jsonb(other)),
    }
}

/// `a || b`: objects merge (the right side wins), arrays concatenate, and anything else is
/// wrapped into an array first.
pub fn concat(a: Value, b: Value) -> Value {
    match (a, b) {
        (Value::Object(mut l), Value::Object(r)) => {
            l.extend(r);
            Value::Object(l)
        }
        (Value::Array(mut l), Value::Array(r)) => {
            l.extend(r);
            Value::Array(l)
        }
        (Value::Array(mut l), r) => {
            l.push(r);
            Value::Array(l)
        }
        (l, Value::Array(r)) => {
            let mut out = vec![l];
            out.extend(r);
            Value::Array(out)
        }
        (l, r) => Value::Array(vec![l, r]),
    }
}

/// `v ? key`: an object has the key, an array holds the string, or the value is that string.
pub fn exists(v: &Value, key: &str) -> bool {
    match v {
        Value::Object(m) => m.contains_key(key),
        Value::Array(a) => a.iter().any(|x| x.as_str() == Some(key)),
        Value::String(s) => s == key,
        _ => false,
    }
}

/// `a @> b`, PostgreSQL's jsonb containment: every key of an object on the right is in the left
/// with a containing value; every element of an array on the right is contained in some element
/// of the left; and, at the top level only, an array contains a bare scalar it holds.
pub fn contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(l), r) if !r.is_array() && !r.is_object() => {
            l.iter().any(|lv| scalar_eq(lv, r))
        }
        _ => deep_contains(a, b),
    }
}

fn deep_contains(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(l), Value::Object(r)) => r
            .iter()
            .all(|(k, rv)| l.get(k).is_some_and(|lv| deep_contains(lv, rv))),
        (Value::Array(l), Value::Array(r)) => r.iter().all(|rv| {
            l.iter().any(|lv| match (lv, rv) {
                (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_)) => {
                    deep_contains(lv, rv)
                }
                _ => scalar_eq(lv, rv),
            })
        }),
        (l, r) => scalar_eq(l, r),
    }
}

/// Scalar equality as jsonb compares: numbers by value (`1` = `1.0`).
fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        (Value::Array(_) | Value::Object(_), _) | (_, Value::Array(_) | Value::Object(_)) => false,
        _ => a == b,
    }
}

/// `v - key`: an object without the key, an array without the string elements equal to it.
pub fn delete_key(v: Value, key: &str) -> Value {
    match v {
        Value::Object(mut m) => {
            m.remove(key);
            Value::Object(m)
        }
        Value::Array(a) => {
            Value::Array(a.into_iter().filter(|x| x.as_str() != Some(key)).collect())
        }
        other => other,
    }
}

/// `v - n`: an array without its element `n` (negative counts from the end).
pub fn delete_index(v: Value, n: i64) -> Value {
    match v {
        Value::Array(mut a) => {
            let i = if n < 0 { a.len() as i64 + n } else { n };
            if (0..a.len() as i64).contains(&i) {
                a.remove(i as usize);
            }
            Value::Array(a)
        }
        other => other,
    }
}

/// `v #> '{a,0,b}'`: the value at a path of keys and array indexes.
pub fn get_path<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, step| match cur {
        Value::Array(_) => get(cur, &JsonKey::Index(step.trim().parse().ok()?)),
        _ => get(cur, &JsonKey::Field(step)),
    })
}

/// A jsonpath predicate of the form drivers and LangChain's PGVector store send:
/// `$.a.b[0] <op> <operand>`, the operand a `$variable` or a JSON literal. Evaluated in lax
/// mode: arrays are unwrapped, missing keys give no item. `Ok(None)` is SQL/JSON's unknown
/// (values of different types compared).
pub fn path_predicate(
    doc: &Value,
    path: &str,
    vars: Option<&Value>,
) -> Result<Option<bool>, String> {
    let (lhs, op, rhs) = split_predicate(path)?;
    let left = path_items(doc, lhs)?;
    let right: Vec<Value> = if let Some(name) = rhs.strip_prefix('$') {
        if name.is_empty() || name.starts_with('.') || name.starts_with('[') {
            path_items(doc, rhs)?
        } else {
            let v = vars
                .and_then(|v| v.get(name))
                .ok_or_else(|| format!("could not find jsonpath variable \"{name}\""))?;
            vec![v.clone()]
        }
    } else {
        vec![serde_json::from_str(rhs).map_err(|_| format!("syntax error in jsonpath: {path}"))?]
    };
    let unwrap = |items: Vec<Value>| -> Vec<Value> {
        items
            .into_iter()
            .flat_map(|v| match v {
                Value::Array(a) => a,
                other => vec![other],
            })
            .collect()
    };
    let (left, right) = (unwrap(left), unwrap(right));
    let mut unknown = false;
    for l in &left {
        for r in &right {
            match compare(l, r, op) {
                Some(true) => return Ok(Some(true)),
                Some(false) => {}
                None => unknown = true,
            }
        }
    }
    Ok(if unknown { None } else { Some(false) })
}

fn split_predicate(path: &str) -> Result<(&str, &str, &str), String> {
    let path = path.trim();
    let path = path.strip_prefix("lax ").unwrap_or(path).trim();
    let mut in_string = false;
    let bytes = path.as_bytes();
    for (i, c) in path.char_indices() {
        if c == '"' && (i == 0 || bytes[i - 1] != b'\\') {
            in_string = !in_string;
        }
        if in_string {
            continue;
        }
        for op in ["==", "!=", "<>", "<=", ">=", "<", ">"] {
            if path[i..].starts_with(op) {
                return Ok((path[..i].trim(), op, path[i + op.len()..].trim()));
            }
        }
    }
    Err(format!(
        "jsonpath expression \"{path}\" is not a comparison quiver supports"
    ))
}

/// The items `$.a."b c"[1]` selects, unwrapping arrays before key steps (lax mode).
fn path_items(doc: &Value, path: &str) -> Result<Vec<Value>, String> {
    let bad = || format!("syntax error in jsonpath: {path}");
    let mut rest = path.trim().strip_prefix('$').ok_or_else(bad)?;
    let mut items = vec![doc.clone()];
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let (key, after) = if let Some(q) = r.strip_prefix('"') {
                let end = q.find('"').ok_or_else(bad)?;
                (q[..end].to_string(), &q[end + 1..])
            } else {
                let end = r
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(r.len());
                if end == 0 {
                    return Err(bad());
                }
                (r[..end].to_string(), &r[end..])
            };
            items = items
                .into_iter()
                .flat_map(|v| match v {
                    Value::Array(a) => a,
                    other => vec![other],
                })
                .filter_map(|v| v.get(&key).cloned())
                .collect();
            rest = after;
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').ok_or_else(bad)?;
            let idx = r[..end].trim();
            items = items
                .into_iter()
                .flat_map(|v| match (v, idx) {
                    (Value::Array(a), "*") => a,
                    (Value::Array(a), i) => i
                        .parse::<usize>()
                        .ok()
                        .and_then(|i| a.get(i).cloned())
                        .into_iter()
                        .collect(),
                    (other, "0") => vec![other],
                    _ => vec![],
                })
                .collect();
            rest = &r[end + 1..];
        } else {
            return Err(bad());
        }
    }
    Ok(items)
}

fn compare(l: &Value, r: &Value, op: &str) -> Option<bool> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (l, r) {
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => {
            return Some(matches!(op, "!=" | "<>"));
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => {
            if !matches!(op, "==" | "!=" | "<>") {
                return None;
            }
            Some(a.cmp(b))
        }
        _ => return None,
    };
    let o = ord?;
    Some(match op {
        "==" => o.is_eq(),
        "!=" | "<>" => o.is_ne(),
        "<" => o.is_lt(),
        "<=" => o.is_le(),
        ">" => o.is_gt(),
        ">=" => o.is_ge(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_orders_keys_like_postgres() {
        let v: Value = serde_json::from_str(r#"{"bb":1,"a":[1,2,{"z":null}],"c":"x"}"#).unwrap();
        assert_eq!(
            format_jsonb(&v),
            r#"{"a": [1, 2, {"z": null}], "c": "x", "bb": 1}"#
        );
    }

    #[test]
    fn accessors() {
        let v: Value = serde_json::from_str(r#"{"a":{"b":2},"s":"t","n":null,"l":[1,2]}"#).unwrap();
        assert_eq!(get_text(&v, &JsonKey::Field("s")).as_deref(), Some("t"));
        assert_eq!(get_text(&v, &JsonKey::Field("n")), None);
        assert_eq!(
            get(&v, &JsonKey::Field("a")).map(format_jsonb).as_deref(),
            Some(r#"{"b": 2}"#)
        );
        let l = get(&v, &JsonKey::Field("l")).unwrap();
        assert_eq!(get_text(l, &JsonKey::Index(-1)).as_deref(), Some("2"));
        assert_eq!(get_path(&v, &["a", "b"]), Some(&Value::from(2)));
        assert_eq!(get_path(&v, &["l", "1"]), Some(&Value::from(2)));
    }

    fn j(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn operators_follow_postgresql() {
        let cat = |a: &str, b: &str| format_jsonb(&concat(j(a), j(b)));
        assert_eq!(cat(r#"{"a":1,"b":1}"#, r#"{"b":2}"#), r#"{"a": 1, "b": 2}"#);
        assert_eq!(cat("[1]", "[2,3]"), "[1, 2, 3]");
        assert_eq!(cat("[1]", "2"), "[1, 2]");
        assert_eq!(cat(r#"{"a":1}"#, "[2]"), r#"[{"a": 1}, 2]"#);
        assert_eq!(cat("1", "2"), "[1, 2]");
        assert!(exists(&j(r#"{"a":null}"#), "a"));
        assert!(exists(&j(r#"["a","b"]"#), "b"));
        assert!(!exists(&j(r#"[["a"]]"#), "a"));
        let doc = j(r#"{"a":1,"tags":["x","y"],"n":{"k":"v","m":2}}"#);
        assert!(contains(&doc, &j(r#"{"tags":["y"]}"#)));
        assert!(contains(&doc, &j(r#"{"n":{"k":"v"},"a":1.0}"#)));
        assert!(!contains(&doc, &j(r#"{"tags":"x"}"#)));
        assert!(contains(&j("[1,2,[3]]"), &j("[[3],1]")));
        assert!(contains(&j(r#"["x",2]"#), &j(r#""x""#)));
        assert!(!contains(&j("[[1]]"), &j("[1]")));
        assert_eq!(
            format_jsonb(&delete_key(doc, "n")),
            r#"{"a": 1, "tags": ["x", "y"]}"#
        );
        assert_eq!(format_jsonb(&delete_index(j("[1,2,3]"), -1)), "[1, 2]");
    }

    #[test]
    fn path_predicates_as_langchain_sends_them() {
        let doc = j(r#"{"topic":"food","n":3,"tags":["x","y"],"o":{"k":1},"z":null}"#);
        let vars = j(r#"{"value":"food","three":3,"s":"3"}"#);
        let m = |p: &str| path_predicate(&doc, p, Some(&vars)).unwrap();
        assert_eq!(m("$.topic == $value"), Some(true));
        assert_eq!(m("$.topic != $value"), Some(false));
        assert_eq!(m("$.n >= $three"), Some(true));
        assert_eq!(m("$.n < 3"), Some(false));
        assert_eq!(m("$.n == $s"), None);
        assert_eq!(m("$.missing == $value"), Some(false));
        assert_eq!(m(r#"$.tags == "y""#), Some(true));
        assert_eq!(m("$.o.k == 1"), Some(true));
        assert_eq!(m(r#"$."o".k > 0.5"#), Some(true));
        assert_eq!(m("$.tags[1] == \"y\""), Some(true));
        assert_eq!(m("$.z == null"), Some(true));
        assert!(path_predicate(&doc, "$.n == $nope", Some(&vars)).is_err());
        assert!(path_predicate(&doc, "exists($.n)", None).is_err());
    }
}
