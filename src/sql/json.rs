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
    }
}
