//! SQL functions, one file per family, and the small framework they share.
//!
//! Most of pgvector's functions take "any" argument types and decide by the arguments' SQL types
//! (read from field metadata), because Arrow alone cannot tell `vector` from `real[]`. [`SqlFn`]
//! wraps a plain Rust function over arrays into a DataFusion `ScalarUDFImpl`.

pub mod aggregates;
pub mod catalog;
pub mod distance;
pub mod fulltext;
pub mod hybrid;
pub mod json;
pub mod vector;

use std::fmt;
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    TypeSignature, Volatility,
};

use crate::error::{QuiverError, Result};
use crate::sql::errors::to_df;
use crate::types::SqlType;

/// Decides the return field from the argument fields and the constant arguments.
pub type ReturnFn =
    Arc<dyn Fn(&[FieldRef], &[Option<&ScalarValue>]) -> Result<Field> + Send + Sync>;
/// Evaluates over arrays of `rows` rows; constant arguments arrive as one-row arrays.
pub type EvalFn =
    Arc<dyn Fn(&[ArrayRef], &[FieldRef], &Field, usize) -> Result<ArrayRef> + Send + Sync>;

pub struct SqlFn {
    name: String,
    signature: Signature,
    ret: ReturnFn,
    eval: EvalFn,
}

impl SqlFn {
    pub fn new(name: &str, volatility: Volatility, ret: ReturnFn, eval: EvalFn) -> Self {
        SqlFn {
            name: name.to_string(),
            // Any arguments, including none (`version()`); each function checks its own.
            signature: Signature::one_of(
                vec![TypeSignature::Nullary, TypeSignature::VariadicAny],
                volatility,
            ),
            ret,
            eval,
        }
    }

    pub fn udf(self) -> ScalarUDF {
        ScalarUDF::new_from_impl(self)
    }
}

impl fmt::Debug for SqlFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SqlFn({})", self.name)
    }
}

impl PartialEq for SqlFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for SqlFn {}
impl std::hash::Hash for SqlFn {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state)
    }
}

impl ScalarUDFImpl for SqlFn {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, arg_types: &[DataType]) -> DfResult<DataType> {
        let fields: Vec<FieldRef> = arg_types
            .iter()
            .map(|t| Arc::new(Field::new("a", t.clone(), true)))
            .collect();
        let none: Vec<Option<&ScalarValue>> = vec![None; fields.len()];
        Ok((self.ret)(&fields, &none)
            .map_err(to_df)?
            .data_type()
            .clone())
    }
    fn return_field_from_args(&self, args: ReturnFieldArgs) -> DfResult<FieldRef> {
        let f = (self.ret)(args.arg_fields, args.scalar_arguments).map_err(to_df)?;
        Ok(Arc::new(f.with_name(self.name.clone())))
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let all_scalar = args
            .args
            .iter()
            .all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { args.number_rows };
        // Constants stay one-row arrays; `eval` broadcasts them (see `bidx`).
        let arrays: Vec<ArrayRef> = args
            .args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(s) => s.to_array(),
                ColumnarValue::Array(arr) => Ok(arr.clone()),
            })
            .collect::<DfResult<_>>()?;
        let out =
            (self.eval)(&arrays, &args.arg_fields, &args.return_field, rows).map_err(to_df)?;
        if all_scalar {
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        } else {
            Ok(ColumnarValue::Array(out))
        }
    }
}

/// Row `i` of an argument that is either a full column or a broadcast one-row constant.
#[inline]
pub fn bidx(len: usize, i: usize) -> usize {
    if len == 1 {
        0
    } else {
        i
    }
}

/// The SQL type of an argument field; NULL and unknown literals read as text.
pub fn arg_type(f: &FieldRef) -> SqlType {
    if f.data_type() == &DataType::Null {
        return SqlType::Text;
    }
    SqlType::of_field(f)
}

pub fn arg_types(fields: &[FieldRef]) -> Vec<SqlType> {
    fields.iter().map(arg_type).collect()
}

/// PostgreSQL's "function f(a, b) does not exist" (42883).
pub fn no_such_function(name: &str, fields: &[FieldRef]) -> QuiverError {
    // PostgreSQL names the argument types without their modifiers: `sum(bit)`, not `bit(3)`.
    let types: Vec<String> = fields
        .iter()
        .map(|f| {
            let t = arg_type(f).display_name();
            match (t.find('('), t.find(')')) {
                (Some(a), Some(b)) if a < b => format!("{}{}", &t[..a], &t[b + 1..]),
                _ => t,
            }
        })
        .collect();
    QuiverError::UndefinedFunction(format!(
        "function {name}({}) does not exist",
        types.join(", ")
    ))
}

pub fn expect_args(name: &str, fields: &[FieldRef], n: usize) -> Result<()> {
    if fields.len() != n {
        return Err(no_such_function(name, fields));
    }
    Ok(())
}

/// All scalar functions that do not need a session.
pub fn builtin_udfs() -> Vec<ScalarUDF> {
    let mut v = Vec::new();
    v.extend(distance::udfs());
    v.extend(vector::udfs());
    v.extend(json::udfs());
    v.extend(fulltext::udfs());
    v.extend(hybrid::udfs());
    v
}
