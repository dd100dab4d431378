//! `json`/`jsonb` accessors behind the `->` and `->>` operators.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::{bidx, expect_args, SqlFn};
use crate::error::Result;
use crate::sql::json::{format_jsonb, get, get_text, JsonKey};
use crate::types::SqlType;

pub const JSON_GET: &str = "__quiver_json_get";
pub const JSON_GET_TEXT: &str = "__quiver_json_get_text";

pub fn udfs() -> Vec<ScalarUDF> {
    vec![accessor(JSON_GET, false), accessor(JSON_GET_TEXT, true)]
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
