//! `json`/`jsonb` operators: the `->` / `->>` / `#>` / `#>>` accessors, `||`, `-`, `?`, `?|`,
//! `?&`, `@>` and `<@`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::{bidx, expect_args, SqlFn};
use crate::error::{QuiverError, Result};
use crate::sql::json::{self as j, format_jsonb, get, get_text, JsonKey};
use crate::types::SqlType;

pub const JSON_GET: &str = "__quiver_json_get";
pub const JSON_GET_TEXT: &str = "__quiver_json_get_text";

pub const JSONB_CONCAT: &str = "__quiver_jsonb_concat";
pub const JSONB_DELETE: &str = "__quiver_jsonb_delete";
pub const JSONB_EXISTS: &str = "__quiver_jsonb_exists";
pub const JSONB_EXISTS_ANY: &str = "__quiver_jsonb_exists_any";
pub const JSONB_EXISTS_ALL: &str = "__quiver_jsonb_exists_all";
pub const JSONB_CONTAINS: &str = "__quiver_jsonb_contains";
pub const JSONB_CONTAINED: &str = "__quiver_jsonb_contained";
pub const JSONB_PATH_GET: &str = "__quiver_jsonb_path_get";
pub const JSONB_PATH_GET_TEXT: &str = "__quiver_jsonb_path_get_text";

pub fn udfs() -> Vec<ScalarUDF> {
    vec![
        accessor(JSON_GET, false),
        accessor(JSON_GET_TEXT, true),
        operator(JSONB_CONCAT, Op::Concat),
        operator(JSONB_DELETE, Op::Delete),
        operator(JSONB_EXISTS, Op::Exists),
        operator(JSONB_EXISTS_ANY, Op::ExistsAny),
        operator(JSONB_EXISTS_ALL, Op::ExistsAll),
        operator(JSONB_CONTAINS, Op::Contains),
        operator(JSONB_CONTAINED, Op::Contained),
        operator(JSONB_PATH_GET, Op::PathGet),
        operator(JSONB_PATH_GET_TEXT, Op::PathGetText),
        operator("jsonb_exists", Op::Exists),
        jsonb_path_match(),
    ]
}

/// `jsonb_path_match(doc, path [, vars])` for comparison predicates (`$.key == $value`), the
/// form LangChain's PGVector store filters metadata with.
fn jsonb_path_match() -> ScalarUDF {
    const NAME: &str = "jsonb_path_match";
    SqlFn::new(
        NAME,
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            if !(2..=4).contains(&fields.len()) {
                return Err(super::no_such_function(NAME, fields));
            }
            Ok(Field::new(NAME, DataType::Boolean, true))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                let text = |a: &ArrayRef| -> Result<ArrayRef> {
                    Ok(arrow::compute::cast(a, &DataType::Utf8)?)
                };
                let docs = text(&args[0])?;
                let paths = text(&args[1])?;
                let vars = args.get(2).map(text).transpose()?;
                let (docs, paths) = (docs.as_string::<i32>(), paths.as_string::<i32>());
                let vars = vars.as_ref().map(|v| v.as_string::<i32>());
                let mut out: Vec<Option<bool>> = Vec::with_capacity(rows);
                for i in 0..rows {
                    let (d, p) = (bidx(docs.len(), i), bidx(paths.len(), i));
                    if docs.is_null(d) || paths.is_null(p) {
                        out.push(None);
                        continue;
                    }
                    let doc = parse_json(docs.value(d))?;
                    let var = match vars {
                        Some(v) if !v.is_null(bidx(v.len(), i)) => {
                            Some(parse_json(v.value(bidx(v.len(), i)))?)
                        }
                        _ => None,
                    };
                    let r = j::path_predicate(&doc, paths.value(p), var.as_ref()).map_err(|m| {
                        if m.starts_with("could not find") {
                            QuiverError::UndefinedObject(m)
                        } else {
                            QuiverError::FeatureNotSupported(m)
                        }
                    })?;
                    out.push(r);
                }
                Ok(Arc::new(BooleanArray::from(out)))
            },
        ),
    )
    .udf()
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Concat,
    Delete,
    Exists,
    ExistsAny,
    ExistsAll,
    Contains,
    Contained,
    PathGet,
    PathGetText,
}

fn operator(name: &'static str, op: Op) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            expect_args(name, fields, 2)?;
            Ok(match op {
                Op::Concat | Op::Delete | Op::PathGet => SqlType::Jsonb.field(name, true),
                Op::PathGetText => Field::new(name, DataType::Utf8, true),
                _ => Field::new(name, DataType::Boolean, true),
            })
        }),
        Arc::new(
            move |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                eval_operator(op, args, rows)
            },
        ),
    )
    .udf()
}

/// A jsonb operand: stored values are valid; a literal that is not JSON is 22P02.
fn parse_json(s: &str) -> Result<serde_json::Value> {
    serde_json::from_str(s).map_err(|_| QuiverError::InvalidTextRepresentation {
        type_name: "json".into(),
        input: s.to_string(),
    })
}

/// The keys of a `text[]` operand, from an array or from its text form (`'{a,"b c"}'`).
fn text_array(a: &ArrayRef, i: usize) -> Vec<String> {
    match a.data_type() {
        DataType::List(_) => {
            let items = a.as_list::<i32>().value(i);
            let items = arrow::compute::cast(&items, &DataType::Utf8).unwrap_or(items);
            let items = items.as_string_opt::<i32>();
            items
                .map(|s| s.iter().flatten().map(str::to_string).collect())
                .unwrap_or_default()
        }
        _ => {
            let s = arrow::compute::cast(a, &DataType::Utf8)
                .ok()
                .map(|c| c.as_string::<i32>().value(i).to_string())
                .unwrap_or_default();
            let inner = s.trim().trim_start_matches('{').trim_end_matches('}');
            if inner.trim().is_empty() {
                return vec![];
            }
            inner
                .split(',')
                .map(|p| p.trim().trim_matches('"').to_string())
                .collect()
        }
    }
}

fn eval_operator(op: Op, args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let left = arrow::compute::cast(&args[0], &DataType::Utf8)?;
    let left = left.as_string::<i32>();
    let right = &args[1];
    let right_text = match right.data_type() {
        DataType::List(_) => None,
        _ => Some(arrow::compute::cast(right, &DataType::Utf8)?),
    };
    let right_int = right.data_type().is_integer();
    let mut json_out: Vec<Option<String>> = Vec::new();
    let mut bool_out: Vec<Option<bool>> = Vec::new();
    for i in 0..rows {
        let (l, r) = (bidx(left.len(), i), bidx(right.len(), i));
        if left.is_null(l) || right.is_null(r) {
            json_out.push(None);
            bool_out.push(None);
            continue;
        }
        let doc = parse_json(left.value(l))?;
        let rtext = right_text.as_ref().map(|t| t.as_string::<i32>().value(r));
        match op {
            Op::Concat => {
                let other = parse_json(rtext.unwrap_or("null"))?;
                json_out.push(Some(format_jsonb(&j::concat(doc, other))));
            }
            Op::Delete => {
                let key = rtext.unwrap_or_default();
                let v = if right_int {
                    j::delete_index(doc, key.parse().unwrap_or(i64::MAX))
                } else {
                    j::delete_key(doc, key)
                };
                json_out.push(Some(format_jsonb(&v)));
            }
            Op::Exists => bool_out.push(Some(j::exists(&doc, rtext.unwrap_or_default()))),
            Op::ExistsAny | Op::ExistsAll => {
                let keys = text_array(right, r);
                let mut hits = keys.iter().map(|k| j::exists(&doc, k));
                bool_out.push(Some(if op == Op::ExistsAny {
                    hits.any(|h| h)
                } else {
                    hits.all(|h| h)
                }));
            }
            Op::Contains | Op::Contained => {
                let other = parse_json(rtext.unwrap_or("null"))?;
                bool_out.push(Some(if op == Op::Contains {
                    j::contains(&doc, &other)
                } else {
                    j::contains(&other, &doc)
                }));
            }
            Op::PathGet | Op::PathGetText => {
                let path = text_array(right, r);
                let steps: Vec<&str> = path.iter().map(String::as_str).collect();
                let found = j::get_path(&doc, &steps);
                json_out.push(match (found, op) {
                    (Some(serde_json::Value::String(s)), Op::PathGetText) => Some(s.clone()),
                    (Some(serde_json::Value::Null), Op::PathGetText) => None,
                    (Some(v), _) => Some(format_jsonb(v)),
                    (None, _) => None,
                });
            }
        }
    }
    Ok(match op {
        Op::Concat | Op::Delete | Op::PathGet | Op::PathGetText => {
            Arc::new(StringArray::from(json_out))
        }
        _ => Arc::new(BooleanArray::from(bool_out)),
    })
}

fn accessor(name: &'static str, as_text: bool) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            expect_args(name, fields, 2)?;
            Ok(if as_text {
                Field::new(name, DataType::Utf8, true)
            } else {
                SqlType::Jsonb.field(name, true)
            })
        }),
        Arc::new(
            move |args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, rows| {
                eval(args, rows, as_text)
            },
        ),
    )
    .udf()
}

fn eval(args: &[ArrayRef], rows: usize, as_text: bool) -> Result<ArrayRef> {
    let docs = arrow::compute::cast(&args[0], &DataType::Utf8)?;
    let docs = docs.as_string::<i32>();
    let key_is_int = args[1].data_type().is_integer();
    let keys = arrow::compute::cast(&args[1], &DataType::Utf8)?;
    let keys = keys.as_string::<i32>();
    let mut out: Vec<Option<String>> = Vec::with_capacity(rows);
    for i in 0..rows {
        let (d, k) = (bidx(docs.len(), i), bidx(keys.len(), i));
        if docs.is_null(d) || keys.is_null(k) {
            out.push(None);
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(docs.value(d)) else {
            out.push(None);
            continue;
        };
        let key = if key_is_int {
            JsonKey::Index(keys.value(k).parse().unwrap_or(i64::MAX))
        } else {
            JsonKey::Field(keys.value(k))
        };
        out.push(if as_text {
            get_text(&v, &key)
        } else {
            get(&v, &key).map(format_jsonb)
        });
    }
    Ok(Arc::new(StringArray::from(out)))
}
