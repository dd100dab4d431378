//! The argument constructors of `hybrid_search` (see `crate::planner::hybrid`): `dense_leg`,
//! `sparse_leg`, `bm25_leg`, `rrf` and `weighted`. They are ordinary functions to the SQL planner
//! so that their arguments are typed and parameters allowed, and `hybrid_search` reads their
//! arguments; evaluated anywhere else they raise an error saying where they belong.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::SqlFn;
use crate::error::QuiverError;

/// Names of the leg and fusion constructors.
pub const LEG_FUNCTIONS: [&str; 5] = ["dense_leg", "sparse_leg", "bm25_leg", "rrf", "weighted"];

pub fn udfs() -> Vec<ScalarUDF> {
    LEG_FUNCTIONS.iter().map(|n| constructor(n)).collect()
}

fn constructor(name: &'static str) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |_fields: &[FieldRef], _| Ok(Field::new(name, DataType::Utf8, true))),
        Arc::new(
            move |_args: &[ArrayRef], _fields: &[FieldRef], _ret: &Field, _rows| {
                Err(QuiverError::FeatureNotSupported(format!(
                    "{name}() can only be used as an argument of hybrid_search()"
                )))
            },
        ),
    )
    .udf()
}
