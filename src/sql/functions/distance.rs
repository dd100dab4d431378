//! Distance functions behind pgvector's operators: `l2_distance` (`<->`), `inner_product`,
//! `vector_negative_inner_product` (`<#>`), `cosine_distance` (`<=>`), `l1_distance` (`<+>`),
//! `hamming_distance` (`<~>`) and `jaccard_distance` (`<%>`), over vector, halfvec, sparsevec and
//! bit. An untyped literal argument takes the other argument's type, as in PostgreSQL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::logical_expr::{ScalarUDF, Volatility};

use super::{arg_types, bidx, expect_args, no_such_function, SqlFn};
use crate::error::{QuiverError, Result};
use crate::index::metric;
use crate::sql::cast::cast_array;
use crate::sql::pgvector::SparseVec;
use crate::sql::vector_array::{f32_rows, halfvecs_of, sparse_of, vectors_of};
use crate::types::SqlType;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DistanceFn {
    L2,
    InnerProduct,
    NegativeInnerProduct,
    Cosine,
    L1,
    Hamming,
    Jaccard,
}

impl DistanceFn {
    pub fn name(self) -> &'static str {
        match self {
            DistanceFn::L2 => "l2_distance",
            DistanceFn::InnerProduct => "inner_product",
            DistanceFn::NegativeInnerProduct => "vector_negative_inner_product",
            DistanceFn::Cosine => "cosine_distance",
            DistanceFn::L1 => "l1_distance",
            DistanceFn::Hamming => "hamming_distance",
            DistanceFn::Jaccard => "jaccard_distance",
        }
    }

    pub fn all() -> [DistanceFn; 7] {
        use DistanceFn::*;
        [
            L2,
            InnerProduct,
            NegativeInnerProduct,
            Cosine,
            L1,
            Hamming,
            Jaccard,
        ]
    }

    fn for_bits(self) -> bool {
        matches!(self, DistanceFn::Hamming | DistanceFn::Jaccard)
    }
}

pub fn udfs() -> Vec<ScalarUDF> {
    DistanceFn::all().into_iter().map(udf).collect()
}

fn udf(f: DistanceFn) -> ScalarUDF {
    let name = f.name();
    SqlFn::new(
        name,
        Volatility::Immutable,
        Arc::new(move |fields: &[FieldRef], _| {
            expect_args(name, fields, 2)?;
            resolve(f, fields)?;
            Ok(Field::new(name, DataType::Float64, true))
        }),
        Arc::new(
            move |args: &[ArrayRef], fields: &[FieldRef], _ret: &Field, rows: usize| {
                eval(f, args, fields, rows)
            },
        ),
    )
    .udf()
}

/// The common operand type, or 42883 when the pair is not supported.
fn resolve(f: DistanceFn, fields: &[FieldRef]) -> Result<SqlType> {
    let mut t = arg_types(fields);
    // A vector that lost its type on the way (a scalar subquery, a CTE column) reads as real[]:
    // it takes the other operand's vector type.
    for (i, j) in [(0, 1), (1, 0)] {
        if matches!(&t[i], SqlType::Array(e) if **e == SqlType::Float4) && t[j].is_vector_like() {
            t[i] = t[j].clone();
        }
    }
    let t = t;
    let pick = |x: &SqlType| -> Option<SqlType> {
        match x {
            SqlType::Vector(_) => Some(SqlType::Vector(None)),
            SqlType::Halfvec(_) => Some(SqlType::Halfvec(None)),
            SqlType::Sparsevec(_) => Some(SqlType::Sparsevec(None)),
            SqlType::Bit(_) | SqlType::Varbit(_) => Some(SqlType::Varbit(None)),
            _ => None,
        }
    };
    let is_text = |x: &SqlType| matches!(x, SqlType::Text);
    let ty = match (pick(&t[0]), pick(&t[1])) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(a), None) if is_text(&t[1]) => Some(a),
        (None, Some(b)) if is_text(&t[0]) => Some(b),
        (None, None) if is_text(&t[0]) && is_text(&t[1]) => Some(if f.for_bits() {
            SqlType::Varbit(None)
        } else {
            SqlType::Vector(None)
        }),
        _ => None,
    };
    match ty {
        Some(SqlType::Varbit(_)) if f.for_bits() => Ok(SqlType::Varbit(None)),
        Some(t) if !f.for_bits() && !matches!(t, SqlType::Varbit(_)) => Ok(t),
        _ => Err(no_such_function(f.name(), fields)),
    }
}

fn eval(f: DistanceFn, args: &[ArrayRef], fields: &[FieldRef], rows: usize) -> Result<ArrayRef> {
    let ty = resolve(f, fields)?;
    let types: Vec<SqlType> = arg_types(fields)
        .into_iter()
        .map(|t| {
            if matches!(&t, SqlType::Array(e) if **e == SqlType::Float4) {
                ty.clone()
            } else {
                t
            }
        })
        .collect();
    // A column of the operand type is used as it is: its values were validated on the way in,
    // and re-building 100k vectors per batch would cost more than the distances.
    let operand = |i: usize| -> Result<ArrayRef> {
        let same = matches!(
            (&types[i], &ty),
            (SqlType::Vector(_), SqlType::Vector(_))
                | (SqlType::Halfvec(_), SqlType::Halfvec(_))
                | (SqlType::Sparsevec(_), SqlType::Sparsevec(_))
        );
        if same {
            Ok(args[i].clone())
        } else {
            cast_array(&args[i], &types[i], &ty)
        }
    };
    let a = operand(0)?;
    let b = operand(1)?;
    let (la, lb) = (a.len(), b.len());
    let mut out: Vec<Option<f64>> = Vec::with_capacity(rows);
    match ty {
        SqlType::Vector(_) => {
            let (ra, rb) = (
                f32_rows(a.as_ref()).ok_or_else(|| QuiverError::Internal("vector rows".into()))?,
                f32_rows(b.as_ref()).ok_or_else(|| QuiverError::Internal("vector rows".into()))?,
            );
            for i in 0..rows {
                out.push(match (ra.row(bidx(la, i)), rb.row(bidx(lb, i))) {
                    (Some(x), Some(y)) => Some(dense(f, x, y, "vector")?),
                    _ => None,
                });
            }
        }
        SqlType::Halfvec(_) => {
            let (va, vb) = (halfvecs_of(a.as_ref())?, halfvecs_of(b.as_ref())?);
            for i in 0..rows {
                out.push(match (&va[bidx(la, i)], &vb[bidx(lb, i)]) {
                    (Some(x), Some(y)) => {
                        let x: Vec<f32> = x.iter().map(|h| h.to_f32()).collect();
                        let y: Vec<f32> = y.iter().map(|h| h.to_f32()).collect();
                        Some(dense(f, &x, &y, "halfvec")?)
                    }
                    _ => None,
                });
            }
        }
        SqlType::Sparsevec(_) => {
            let (va, vb) = (sparse_of(a.as_ref())?, sparse_of(b.as_ref())?);
            for i in 0..rows {
                out.push(match (&va[bidx(la, i)], &vb[bidx(lb, i)]) {
                    (Some(x), Some(y)) => Some(sparse(f, x, y)?),
                    _ => None,
                });
            }
        }
        SqlType::Varbit(_) => {
            let (sa, sb) = (a.as_string::<i32>(), b.as_string::<i32>());
            for i in 0..rows {
                let (ia, ib) = (bidx(la, i), bidx(lb, i));
                out.push(if sa.is_null(ia) || sb.is_null(ib) {
                    None
                } else {
                    Some(bits(f, sa.value(ia), sb.value(ib))?)
                });
            }
        }
        _ => return Err(no_such_function(f.name(), fields)),
    }
    Ok(Arc::new(Float64Array::from(out)))
}

fn dense(f: DistanceFn, x: &[f32], y: &[f32], type_name: &'static str) -> Result<f64> {
    if x.len() != y.len() {
        return Err(QuiverError::DifferentDimensions {
            type_name,
            left: x.len(),
            right: y.len(),
        });
    }
    if x.len() < SEQUENTIAL_BELOW {
        return Ok(sequential(f, x, y));
    }
    Ok(match f {
        DistanceFn::L2 => (metric::l2_squared(x, y) as f64).sqrt(),
        DistanceFn::InnerProduct => metric::dot(x, y) as f64,
        DistanceFn::NegativeInnerProduct => -(metric::dot(x, y) as f64),
        DistanceFn::Cosine => metric::cosine_distance(x, y),
        DistanceFn::L1 => metric::l1(x, y) as f64,
        DistanceFn::Hamming | DistanceFn::Jaccard => {
            return Err(QuiverError::Internal("bit distance on floats".into()))
        }
    })
}

/// Below this many dimensions pgvector's compiled loops never reach their vector body: they add
/// in order — with fused multiply-adds in the inner-product and cosine loops (pgvector builds
/// those with an FMA target clone) and without in the L2 loop. Doing the same gives the same last
/// bits in SQL output.
const SEQUENTIAL_BELOW: usize = 16;

fn sequential(f: DistanceFn, x: &[f32], y: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb, mut l2, mut l1) = (0f32, 0f32, 0f32, 0f32, 0f32);
    for (p, q) in x.iter().zip(y) {
        ab = p.mul_add(*q, ab);
        aa = p.mul_add(*p, aa);
        bb = q.mul_add(*q, bb);
        let d = p - q;
        l2 += d * d;
        l1 += d.abs();
    }
    match f {
        DistanceFn::L2 => (l2 as f64).sqrt(),
        DistanceFn::InnerProduct => ab as f64,
        DistanceFn::NegativeInnerProduct => -(ab as f64),
        DistanceFn::Cosine => {
            let sim = ab as f64 / ((aa as f64) * (bb as f64)).sqrt();
            1.0 - sim.clamp(-1.0, 1.0)
        }
        DistanceFn::L1 => l1 as f64,
        DistanceFn::Hamming | DistanceFn::Jaccard => f64::NAN,
    }
}

fn sparse(f: DistanceFn, x: &SparseVec, y: &SparseVec) -> Result<f64> {
    if x.dim != y.dim {
        return Err(QuiverError::DifferentDimensions {
            type_name: "sparsevec",
            left: x.dim as usize,
            right: y.dim as usize,
        });
    }
    let (xi, xv, yi, yv) = (&x.indices[..], &x.values[..], &y.indices[..], &y.values[..]);
    Ok(match f {
        DistanceFn::L2 => (metric::sparse_l2_squared(xi, xv, yi, yv) as f64).sqrt(),
        DistanceFn::InnerProduct => metric::sparse_dot(xi, xv, yi, yv) as f64,
        DistanceFn::NegativeInnerProduct => -(metric::sparse_dot(xi, xv, yi, yv) as f64),
        DistanceFn::Cosine => metric::sparse_cosine_distance(xi, xv, yi, yv),
        DistanceFn::L1 => metric::sparse_l1(xi, xv, yi, yv) as f64,
        DistanceFn::Hamming | DistanceFn::Jaccard => {
            return Err(QuiverError::Internal("bit distance on sparsevec".into()))
        }
    })
}

/// Packs a '0'/'1' string MSB-first, as PostgreSQL stores bit strings.
pub fn pack_bits(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len().div_ceil(8)];
    for (i, c) in s.bytes().enumerate() {
        if c == b'1' {
            out[i / 8] |= 0x80 >> (i % 8);
        }
    }
    out
}

fn bits(f: DistanceFn, a: &str, b: &str) -> Result<f64> {
    if a.len() != b.len() {
        return Err(QuiverError::DataException(format!(
            "different bit lengths {} and {}",
            a.len(),
            b.len()
        )));
    }
    let (pa, pb) = (pack_bits(a), pack_bits(b));
    Ok(match f {
        DistanceFn::Hamming => metric::hamming(&pa, &pb) as f64,
        _ => metric::jaccard(&pa, &pb),
    })
}

/// Exact distances of every row of `column` to one query, for exact top-k scans.
pub fn distances_to(f: DistanceFn, column: &dyn Array, query: &[f32]) -> Result<Vec<Option<f64>>> {
    let rows = match f32_rows(column) {
        Some(r) => r,
        None => {
            let v = vectors_of(column)?;
            return v
                .iter()
                .map(|o| o.as_ref().map(|x| dense(f, x, query, "vector")).transpose())
                .collect();
        }
    };
    (0..rows.len())
        .map(|i| {
            rows.row(i)
                .map(|x| dense(f, x, query, "vector"))
                .transpose()
        })
        .collect()
}
