//! pgvector's utility functions and arithmetic: `vector_dims`, `vector_norm`, `l2_norm`,
//! `l2_normalize`, `binary_quantize`, `subvector`, the `+ - * ||` operators (`vector_add`,
//! `vector_sub`, `vector_mul`, `vector_concat`) and casts between types (`__quiver_cast`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int32Array, StringArray};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::ScalarValue;
use datafusion::logical_expr::{ScalarUDF, Volatility};
use half::f16;

use super::{arg_type, arg_types, bidx, expect_args, no_such_function, SqlFn};
use crate::error::{QuiverError, Result};
use crate::sql::cast::cast_array;
use crate::sql::parse::CAST_FN;
use crate::sql::pgvector::{self, SparseVec};
use crate::sql::vector_array::{
    build_halfvecs, build_sparsevecs, build_vectors, sparse_of, vectors_of,
};
use crate::types::SqlType;

pub fn udfs() -> Vec<ScalarUDF> {
    vec![
        cast_udf(),
        vector_dims(),
        norm("vector_norm"),
        norm("l2_norm"),
        l2_normalize(),
        binary_quantize(),
        subvector(),
        arith("vector_add", Arith::Add),
        arith("vector_sub", Arith::Sub),
        arith("vector_mul", Arith::Mul),
        arith("vector_concat", Arith::Concat),
        array_fill(),
        compare("vector_cmp", SqlType::Vector(None)),
        compare("halfvec_cmp", SqlType::Halfvec(None)),
    ]
}

/// pgvector's `vector_cmp` / `halfvec_cmp` (the btree support function): -1, 0 or 1, element by
/// element, then the shorter vector first.
fn compare(name: &'static str, ty: SqlType) -> ScalarUDF {
    let ret_ty = ty.clone();
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            expect_args(name, fields, 2)?;
            for f in fields {
                match (arg_type(f), &ret_ty) {
                    (SqlType::Text, _)
                    | (SqlType::Vector(_), SqlType::Vector(_))
                    | (SqlType::Halfvec(_), SqlType::Halfvec(_)) => {}
                    _ => return Err(no_such_function(name, fields)),
                }
            }
            Ok(Field::new(name, DataType::Int32, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows| {
                let a = vectors_of(cast_array(&args[0], &arg_type(&fields[0]), &ty)?.as_ref())?;
                let b = vectors_of(cast_array(&args[1], &arg_type(&fields[1]), &ty)?.as_ref())?;
                let out: Int32Array = (0..rows)
                    .map(|i| {
                        let (x, y) = (&a[bidx(a.len(), i)], &b[bidx(b.len(), i)]);
                        Some(x.as_ref()?).zip(y.as_ref()).map(|(x, y)| {
                            let by_elem = x
                                .iter()
                                .zip(y)
                                .map(|(p, q)| p.partial_cmp(q).unwrap_or(std::cmp::Ordering::Equal))
                                .find(|o| o.is_ne());
                            by_elem.unwrap_or_else(|| x.len().cmp(&y.len())) as i32
                        })
                    })
                    .collect();
                Ok(Arc::new(out))
            },
        ),
    )
    .udf()
}

/// PostgreSQL's `array_fill(value, dims)` for one-dimensional arrays.
fn array_fill() -> ScalarUDF {
    SqlFn::new(
        "array_fill",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            if fields.len() != 2 {
                return Err(no_such_function("array_fill", fields));
            }
            Ok(Field::new(
                "array_fill",
                DataType::List(Arc::new(Field::new_list_field(
                    fields[0].data_type().clone(),
                    true,
                ))),
                true,
            ))
        }),
        Arc::new(
            |args: &[ArrayRef], _fields: &[FieldRef], ret: &Field, rows| {
                let dims = vectors_of(args[1].as_ref())?;
                let DataType::List(item) = ret.data_type() else {
                    return Err(QuiverError::Internal("array_fill return type".into()));
                };
                let mut scalars = Vec::with_capacity(rows);
                for i in 0..rows {
                    let d = match &dims[bidx(dims.len(), i)] {
                        Some(d) if d.len() == 1 => d[0] as i64,
                        Some(_) => {
                            return Err(QuiverError::FeatureNotSupported(
                                "array_fill supports one-dimensional arrays".into(),
                            ))
                        }
                        None => {
                            return Err(QuiverError::DataException(
                                "dimension array or low bound array cannot be null".into(),
                            ))
                        }
                    };
                    if !(0..=100_000_000).contains(&d) {
                        return Err(QuiverError::ProgramLimitExceeded(
                            "array size exceeds the maximum allowed".into(),
                        ));
                    }
                    let v = ScalarValue::try_from_array(&args[0], bidx(args[0].len(), i))?;
                    let values = v.to_array_of_size(d as usize)?;
                    scalars.push(ScalarValue::List(Arc::new(arrow::array::ListArray::new(
                        item.clone(),
                        arrow::buffer::OffsetBuffer::from_lengths([d as usize]),
                        values,
                        None,
                    ))));
                }
                Ok(ScalarValue::iter_to_array(scalars)?)
            },
        ),
    )
    .udf()
}

/// A vector-family argument: its type, or the type a text literal takes by default.
fn vec_kind(t: &SqlType) -> Option<SqlType> {
    match t {
        SqlType::Vector(d) => Some(SqlType::Vector(*d)),
        SqlType::Halfvec(d) => Some(SqlType::Halfvec(*d)),
        SqlType::Sparsevec(d) => Some(SqlType::Sparsevec(*d)),
        SqlType::Text => Some(SqlType::Vector(None)),
        _ => None,
    }
}

fn undimensioned(t: &SqlType) -> SqlType {
    match t {
        SqlType::Vector(_) => SqlType::Vector(None),
        SqlType::Halfvec(_) => SqlType::Halfvec(None),
        SqlType::Sparsevec(_) => SqlType::Sparsevec(None),
        other => other.clone(),
    }
}

/// A vector or halfvec array (per `ty`, without a fixed dimension) from f32 rows.
fn build_dense(ty: &SqlType, rows: Vec<Option<Vec<f32>>>) -> Result<ArrayRef> {
    match ty {
        SqlType::Halfvec(_) => build_halfvecs(
            &rows
                .into_iter()
                .map(|o| o.map(|v| v.into_iter().map(f16::from_f32).collect()))
                .collect::<Vec<_>>(),
            None,
        ),
        _ => build_vectors(&rows, None),
    }
}

// ---- casts ----------------------------------------------------------------------------------

/// `CAST_FN(x, 'type')` is an assignment cast (INSERT into a `varchar(3)` column: too long is
/// an error); `CAST_FN(x, 'type', true)` an explicit one (`x::varchar(3)` truncates).
fn cast_target(fields: &[FieldRef], scalars: &[Option<&ScalarValue>]) -> Result<SqlType> {
    if !(2..=3).contains(&fields.len()) {
        return Err(no_such_function(CAST_FN, fields));
    }
    match scalars.get(1).copied().flatten() {
        Some(ScalarValue::Utf8(Some(t))) => SqlType::parse(t),
        // Planning without constants (return_type): the shape is unknown, use text.
        _ => Ok(SqlType::Text),
    }
}

fn cast_udf() -> ScalarUDF {
    SqlFn::new(
        CAST_FN,
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], scalars: &[Option<&ScalarValue>]| {
            let to = cast_target(fields, scalars)?;
            Ok(to.field(CAST_FN, true))
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], ret: &Field, _rows| {
                let to = SqlType::of_field(ret);
                let from = arg_type(&fields[0]);
                let explicit = args.len() == 3;
                let out = match to {
                    SqlType::Varchar(Some(n)) | SqlType::Char(Some(n)) if explicit => {
                        truncate_chars(&cast_array(&args[0], &from, &SqlType::Text)?, n as usize)?
                    }
                    _ => cast_array(&args[0], &from, &to)?,
                };
                // The declared return shape wins (FixedSizeList for vector(n), List otherwise).
                if out.data_type() != ret.data_type() {
                    return Ok(arrow::compute::cast(&out, ret.data_type())?);
                }
                Ok(out)
            },
        ),
    )
    .udf()
}

/// Text cut to `n` characters, as an explicit cast to `varchar(n)` does.
fn truncate_chars(array: &ArrayRef, n: usize) -> Result<ArrayRef> {
    let strings = array
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .ok_or_else(|| QuiverError::Internal("text cast did not give text".into()))?;
    let out: arrow::array::StringArray = strings
        .iter()
        .map(|s| {
            s.map(|s| match s.char_indices().nth(n) {
                Some((at, _)) => &s[..at],
                None => s,
            })
        })
        .collect();
    Ok(Arc::new(out))
}

// ---- utilities ------------------------------------------------------------------------------

fn vector_dims() -> ScalarUDF {
    SqlFn::new(
        "vector_dims",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            expect_args("vector_dims", fields, 1)?;
            match vec_kind(&arg_type(&fields[0])) {
                Some(SqlType::Vector(_)) | Some(SqlType::Halfvec(_)) => {
                    Ok(Field::new("vector_dims", DataType::Int32, true))
                }
                _ => Err(no_such_function("vector_dims", fields)),
            }
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, _rows| {
                let t = undimensioned(&vec_kind(&arg_type(&fields[0])).expect("checked"));
                let a = cast_array(&args[0], &arg_type(&fields[0]), &t)?;
                let out: Int32Array = vectors_of(a.as_ref())?
                    .iter()
                    .map(|v| v.as_ref().map(|v| v.len() as i32))
                    .collect();
                Ok(Arc::new(out))
            },
        ),
    )
    .udf()
}

fn norm(name: &'static str) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            expect_args(name, fields, 1)?;
            let ok = match vec_kind(&arg_type(&fields[0])) {
                Some(SqlType::Vector(_)) => name == "vector_norm",
                Some(SqlType::Halfvec(_)) | Some(SqlType::Sparsevec(_)) => name == "l2_norm",
                _ => false,
            };
            if !ok {
                return Err(no_such_function(name, fields));
            }
            Ok(Field::new(name, DataType::Float64, true))
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, _rows| {
                let from = arg_type(&fields[0]);
                let t = undimensioned(&vec_kind(&from).expect("checked"));
                let a = cast_array(&args[0], &from, &t)?;
                let out: Float64Array = match t {
                    SqlType::Sparsevec(_) => sparse_of(a.as_ref())?
                        .iter()
                        .map(|s| s.as_ref().map(|s| crate::index::metric::norm(&s.values)))
                        .collect(),
                    _ => vectors_of(a.as_ref())?
                        .iter()
                        .map(|v| v.as_ref().map(|v| crate::index::metric::norm(v)))
                        .collect(),
                };
                Ok(Arc::new(out))
            },
        ),
    )
    .udf()
}

fn normalize_f32(v: &[f32]) -> Vec<f32> {
    let n = crate::index::metric::norm(v);
    if n > 0.0 {
        v.iter().map(|x| (*x as f64 / n) as f32).collect()
    } else {
        v.to_vec()
    }
}

fn l2_normalize() -> ScalarUDF {
    SqlFn::new(
        "l2_normalize",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            expect_args("l2_normalize", fields, 1)?;
            let t = vec_kind(&arg_type(&fields[0]))
                .ok_or_else(|| no_such_function("l2_normalize", fields))?;
            Ok(t.field("l2_normalize", true))
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], ret: &Field, _rows| {
                let from = arg_type(&fields[0]);
                let to = SqlType::of_field(ret);
                let a = cast_array(&args[0], &from, &undimensioned(&to))?;
                match &to {
                    SqlType::Sparsevec(_) => {
                        let rows: Vec<Option<SparseVec>> = sparse_of(a.as_ref())?
                            .into_iter()
                            .map(|o| {
                                o.map(|s| {
                                    let values = normalize_f32(&s.values);
                                    SparseVec { values, ..s }
                                })
                            })
                            .collect();
                        build_sparsevecs(&rows)
                    }
                    SqlType::Halfvec(d) => {
                        let rows: Vec<Option<Vec<f16>>> = vectors_of(a.as_ref())?
                            .into_iter()
                            .map(|o| {
                                o.map(|v| {
                                    normalize_f32(&v).into_iter().map(f16::from_f32).collect()
                                })
                            })
                            .collect();
                        build_halfvecs(&rows, *d)
                    }
                    SqlType::Vector(d) => {
                        let rows: Vec<Option<Vec<f32>>> = vectors_of(a.as_ref())?
                            .into_iter()
                            .map(|o| o.map(|v| normalize_f32(&v)))
                            .collect();
                        build_vectors(&rows, *d)
                    }
                    _ => Err(no_such_function("l2_normalize", fields)),
                }
            },
        ),
    )
    .udf()
}

fn binary_quantize() -> ScalarUDF {
    SqlFn::new(
        "binary_quantize",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            expect_args("binary_quantize", fields, 1)?;
            match vec_kind(&arg_type(&fields[0])) {
                Some(SqlType::Vector(d)) | Some(SqlType::Halfvec(d)) => {
                    Ok(SqlType::Bit(d).field("binary_quantize", true))
                }
                _ => Err(no_such_function("binary_quantize", fields)),
            }
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, _rows| {
                let from = arg_type(&fields[0]);
                let a = cast_array(
                    &args[0],
                    &from,
                    &undimensioned(&vec_kind(&from).expect("checked")),
                )?;
                let out: StringArray = vectors_of(a.as_ref())?
                    .iter()
                    .map(|o| {
                        o.as_ref().map(|v| {
                            v.iter()
                                .map(|x| if *x > 0.0 { '1' } else { '0' })
                                .collect::<String>()
                        })
                    })
                    .collect();
                Ok(Arc::new(out))
            },
        ),
    )
    .udf()
}

fn subvector() -> ScalarUDF {
    SqlFn::new(
        "subvector",
        Volatility::Immutable,
        Arc::new(|fields: &[FieldRef], _| {
            expect_args("subvector", fields, 3)?;
            match vec_kind(&arg_type(&fields[0])) {
                Some(t @ (SqlType::Vector(_) | SqlType::Halfvec(_))) => {
                    Ok(undimensioned(&t).field("subvector", true))
                }
                _ => Err(no_such_function("subvector", fields)),
            }
        }),
        Arc::new(
            |args: &[ArrayRef], fields: &[FieldRef], ret: &Field, rows| {
                let from = arg_type(&fields[0]);
                let to = SqlType::of_field(ret);
                let a = cast_array(&args[0], &from, &to)?;
                let start = arrow::compute::cast(&args[1], &DataType::Int64)?;
                let count = arrow::compute::cast(&args[2], &DataType::Int64)?;
                let start = start
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .expect("int64");
                let count = count
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
                    .expect("int64");
                let vs = vectors_of(a.as_ref())?;
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    let (v, s, c) = (
                        &vs[bidx(vs.len(), i)],
                        bidx(start.len(), i),
                        bidx(count.len(), i),
                    );
                    if v.is_none() || start.is_null(s) || count.is_null(c) {
                        out.push(None);
                        continue;
                    }
                    let v = v.as_ref().expect("checked");
                    let (s, c) = (start.value(s), count.value(c));
                    // pgvector: the slice is [start, start + count) in 1-based positions, clipped.
                    let end = s.saturating_add(c);
                    let s = s.max(1);
                    let end = end.min(v.len() as i64 + 1);
                    if c < 1 || end <= s {
                        return Err(QuiverError::DataException(format!(
                            "{} must have at least 1 dimension",
                            to.type_name()
                        )));
                    }
                    out.push(Some(v[(s - 1) as usize..(end - 1) as usize].to_vec()));
                }
                build_dense(&to, out)
            },
        ),
    )
    .udf()
}

// ---- arithmetic -----------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Arith {
    Add,
    Sub,
    Mul,
    Concat,
}

/// The result type of `a op b` for vector operands (both vector or both halfvec; a text literal
/// takes the other side's type).
fn arith_type(name: &str, fields: &[FieldRef]) -> Result<SqlType> {
    expect_args(name, fields, 2)?;
    let t = arg_types(fields);
    let k = |x: &SqlType| match x {
        SqlType::Vector(_) => Some(SqlType::Vector(None)),
        SqlType::Halfvec(_) => Some(SqlType::Halfvec(None)),
        _ => None,
    };
    match (k(&t[0]), k(&t[1])) {
        (Some(a), Some(b)) if a == b => Ok(a),
        (Some(a), None) if t[1] == SqlType::Text => Ok(a),
        (None, Some(b)) if t[0] == SqlType::Text => Ok(b),
        _ => Err(no_such_function(name, fields)),
    }
}

fn arith(name: &'static str, op: Arith) -> ScalarUDF {
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| Ok(arith_type(name, fields)?.field(name, true))),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows| {
                let ty = arith_type(name, fields)?;
                let types = arg_types(fields);
                let a = vectors_of(cast_array(&args[0], &types[0], &ty)?.as_ref())?;
                let b = vectors_of(cast_array(&args[1], &types[1], &ty)?.as_ref())?;
                let type_name: &'static str = if matches!(ty, SqlType::Halfvec(_)) {
                    "halfvec"
                } else {
                    "vector"
                };
                let mut out = Vec::with_capacity(rows);
                for i in 0..rows {
                    let (x, y) = (&a[bidx(a.len(), i)], &b[bidx(b.len(), i)]);
                    let (Some(x), Some(y)) = (x, y) else {
                        out.push(None);
                        continue;
                    };
                    let v: Vec<f32> = if op == Arith::Concat {
                        let mut v = x.clone();
                        v.extend_from_slice(y);
                        let max = pgvector::VECTOR_MAX_DIM;
                        if v.len() > max {
                            return Err(QuiverError::TooManyDimensions { type_name, max });
                        }
                        v
                    } else {
                        if x.len() != y.len() {
                            return Err(QuiverError::DifferentDimensions {
                                type_name,
                                left: x.len(),
                                right: y.len(),
                            });
                        }
                        let v: Vec<f32> = x
                            .iter()
                            .zip(y)
                            .map(|(p, q)| match op {
                                Arith::Add => p + q,
                                Arith::Sub => p - q,
                                _ => p * q,
                            })
                            .collect();
                        if v.iter().any(|x| x.is_infinite()) {
                            return Err(QuiverError::NumericOutOfRange(format!(
                                "value out of range: {}",
                                if op == Arith::Mul {
                                    "overflow or underflow"
                                } else {
                                    "overflow"
                                }
                            )));
                        }
                        if op == Arith::Mul
                            && v.iter()
                                .zip(x.iter().zip(y))
                                .any(|(r, (p, q))| *r == 0.0 && *p != 0.0 && *q != 0.0)
                        {
                            return Err(QuiverError::NumericOutOfRange(
                                "value out of range: underflow".into(),
                            ));
                        }
                        v
                    };
                    out.push(Some(v));
                }
                build_dense(&ty, out)
            },
        ),
    )
    .udf()
}
