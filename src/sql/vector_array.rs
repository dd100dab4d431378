//! Reading and building Arrow arrays of pgvector values (see `types` for the representation).
//!
//! Readers accept every list shape a vector may arrive in (FixedSizeList from a column, List from a
//! function or an `ARRAY[...]` literal, any numeric element type); builders produce the canonical
//! shape for the declared type.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeListArray, Float16Array, Float32Array, Int32Array,
    ListArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::datatypes::{DataType, Field, Float16Type, Float32Type};
use half::f16;

use crate::error::{QuiverError, Result};
use crate::sql::pgvector::SparseVec;
use crate::types::sparsevec_fields;

/// A borrowed view of a vector column whose rows are contiguous f32 slices (the fast path for
/// distance computations over stored `vector(n)` columns).
pub struct F32Rows<'a> {
    pub values: &'a [f32],
    pub offsets: Vec<usize>,
    pub nulls: Option<&'a NullBuffer>,
}

impl<'a> F32Rows<'a> {
    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn row(&self, i: usize) -> Option<&'a [f32]> {
        if self.nulls.is_some_and(|n| n.is_null(i)) {
            None
        } else {
            Some(&self.values[self.offsets[i]..self.offsets[i + 1]])
        }
    }
}

/// Borrows f32 rows without copying when the array is a (FixedSize)List of Float32.
pub fn f32_rows(array: &dyn Array) -> Option<F32Rows<'_>> {
    match array.data_type() {
        DataType::FixedSizeList(f, d) if f.data_type() == &DataType::Float32 => {
            let a = array.as_fixed_size_list();
            let d = *d as usize;
            let vals = a.values().as_primitive::<Float32Type>();
            let base = a.offset() * d;
            let offsets = (0..=a.len()).map(|i| base + i * d).collect();
            Some(F32Rows {
                values: vals.values(),
                offsets,
                nulls: a.nulls(),
            })
        }
        DataType::List(f) if f.data_type() == &DataType::Float32 => {
            let a = array.as_list::<i32>();
            let vals = a.values().as_primitive::<Float32Type>();
            let offsets = a.value_offsets().iter().map(|o| *o as usize).collect();
            Some(F32Rows {
                values: vals.values(),
                offsets,
                nulls: a.nulls(),
            })
        }
        _ => None,
    }
}

/// Every row of a list-shaped array as f32 (halfvec, int and double lists are converted).
pub fn vectors_of(array: &dyn Array) -> Result<Vec<Option<Vec<f32>>>> {
    if let Some(r) = f32_rows(array) {
        return Ok((0..r.len()).map(|i| r.row(i).map(|s| s.to_vec())).collect());
    }
    let (values, offsets, nulls): (ArrayRef, Vec<usize>, Option<NullBuffer>) =
        match array.data_type() {
            DataType::FixedSizeList(_, d) => {
                let a = array.as_fixed_size_list();
                let d = *d as usize;
                (
                    a.values().clone(),
                    (0..=a.len()).map(|i| (a.offset() + i) * d).collect(),
                    a.nulls().cloned(),
                )
            }
            DataType::List(_) => {
                let a = array.as_list::<i32>();
                (
                    a.values().clone(),
                    a.value_offsets().iter().map(|o| *o as usize).collect(),
                    a.nulls().cloned(),
                )
            }
            DataType::LargeList(_) => {
                let a = array.as_list::<i64>();
                (
                    a.values().clone(),
                    a.value_offsets().iter().map(|o| *o as usize).collect(),
                    a.nulls().cloned(),
                )
            }
            DataType::Struct(_) => {
                return Ok(sparse_of(array)?
                    .into_iter()
                    .map(|o| o.map(|s| sparse_to_dense(&s)))
                    .collect())
            }
            DataType::Null => return Ok(vec![None; array.len()]),
            other => {
                return Err(QuiverError::DatatypeMismatch(format!(
                    "cannot use a value of type {other} as a vector"
                )))
            }
        };
    let floats: Vec<Option<f32>> = match values.data_type() {
        DataType::Float16 => values
            .as_primitive::<Float16Type>()
            .iter()
            .map(|v| v.map(f32::from))
            .collect(),
        DataType::Float32 => values.as_primitive::<Float32Type>().iter().collect(),
        DataType::Null => vec![None; values.len()],
        _ => {
            let c = arrow::compute::cast(&values, &DataType::Float64)?;
            c.as_primitive::<arrow::datatypes::Float64Type>()
                .iter()
                .map(|v| v.map(|x| x as f32))
                .collect()
        }
    };
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for i in 0..offsets.len().saturating_sub(1) {
        if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
            out.push(None);
            continue;
        }
        let mut v = Vec::with_capacity(offsets[i + 1] - offsets[i]);
        for x in &floats[offsets[i]..offsets[i + 1]] {
            match x {
                Some(x) => v.push(*x),
                None => {
                    return Err(QuiverError::NullValueNotAllowed(
                        "array must not contain nulls".into(),
                    ))
                }
            }
        }
        out.push(Some(v));
    }
    Ok(out)
}

pub fn sparse_to_dense(s: &SparseVec) -> Vec<f32> {
    let mut v = vec![0f32; s.dim.max(0) as usize];
    for (i, x) in s.indices.iter().zip(&s.values) {
        if let Some(slot) = v.get_mut(*i as usize) {
            *slot = *x;
        }
    }
    v
}

pub fn dense_to_sparse(v: &[f32]) -> SparseVec {
    let mut indices = Vec::new();
    let mut values = Vec::new();
    for (i, x) in v.iter().enumerate() {
        if *x != 0.0 {
            indices.push(i as i32);
            values.push(*x);
        }
    }
    SparseVec {
        dim: v.len() as i32,
        indices,
        values,
    }
}

/// Rows of a sparsevec struct array.
pub fn sparse_of(array: &dyn Array) -> Result<Vec<Option<SparseVec>>> {
    let Some(s) = array.as_struct_opt() else {
        return Ok(vectors_of(array)?
            .into_iter()
            .map(|o| o.map(|v| dense_to_sparse(&v)))
            .collect());
    };
    let dims = s
        .column_by_name("dim")
        .and_then(|c| c.as_primitive_opt::<arrow::datatypes::Int32Type>())
        .ok_or_else(|| QuiverError::Internal("sparsevec without dim".into()))?;
    let idx = s
        .column_by_name("indices")
        .map(|c| c.as_list::<i32>())
        .ok_or_else(|| QuiverError::Internal("sparsevec without indices".into()))?;
    let vals = s
        .column_by_name("values")
        .map(|c| c.as_list::<i32>())
        .ok_or_else(|| QuiverError::Internal("sparsevec without values".into()))?;
    Ok((0..s.len())
        .map(|i| {
            if s.is_null(i) {
                return None;
            }
            let ii = idx.value(i);
            let vv = vals.value(i);
            Some(SparseVec {
                dim: dims.value(i),
                indices: ii
                    .as_primitive::<arrow::datatypes::Int32Type>()
                    .values()
                    .to_vec(),
                values: vv.as_primitive::<Float32Type>().values().to_vec(),
            })
        })
        .collect())
}

fn list_field(dt: DataType) -> Arc<Field> {
    Arc::new(Field::new_list_field(dt, true))
}

/// Builds a `vector` array: FixedSizeList when `dim` is known (every row must have it), else List.
pub fn build_vectors(rows: &[Option<Vec<f32>>], dim: Option<u32>) -> Result<ArrayRef> {
    let nulls: NullBuffer = rows.iter().map(|r| r.is_some()).collect();
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    match dim {
        Some(d) => {
            let d = d as usize;
            let mut values = Vec::with_capacity(rows.len() * d);
            for r in rows {
                match r {
                    Some(v) => {
                        if v.len() != d {
                            return Err(QuiverError::DimensionMismatch {
                                expected: d,
                                actual: v.len(),
                            });
                        }
                        values.extend_from_slice(v);
                    }
                    None => values.extend(std::iter::repeat_n(0f32, d)),
                }
            }
            Ok(Arc::new(FixedSizeListArray::try_new(
                list_field(DataType::Float32),
                d as i32,
                Arc::new(Float32Array::from(values)),
                nulls,
            )?))
        }
        None => {
            let mut values = Vec::new();
            let mut lens = Vec::with_capacity(rows.len());
            for r in rows {
                let v = r.as_deref().unwrap_or(&[]);
                values.extend_from_slice(v);
                lens.push(v.len());
            }
            Ok(Arc::new(ListArray::try_new(
                list_field(DataType::Float32),
                OffsetBuffer::from_lengths(lens),
                Arc::new(Float32Array::from(values)),
                nulls,
            )?))
        }
    }
}

pub fn build_halfvecs(rows: &[Option<Vec<f16>>], dim: Option<u32>) -> Result<ArrayRef> {
    let nulls: NullBuffer = rows.iter().map(|r| r.is_some()).collect();
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    match dim {
        Some(d) => {
            let d = d as usize;
            let mut values = Vec::with_capacity(rows.len() * d);
            for r in rows {
                match r {
                    Some(v) => {
                        if v.len() != d {
                            return Err(QuiverError::DimensionMismatch {
                                expected: d,
                                actual: v.len(),
                            });
                        }
                        values.extend_from_slice(v);
                    }
                    None => values.extend(std::iter::repeat_n(f16::ZERO, d)),
                }
            }
            Ok(Arc::new(FixedSizeListArray::try_new(
                list_field(DataType::Float16),
                d as i32,
                Arc::new(Float16Array::from(values)),
                nulls,
            )?))
        }
        None => {
            let mut values = Vec::new();
            let mut lens = Vec::with_capacity(rows.len());
            for r in rows {
                let v = r.as_deref().unwrap_or(&[]);
                values.extend_from_slice(v);
                lens.push(v.len());
            }
            Ok(Arc::new(ListArray::try_new(
                list_field(DataType::Float16),
                OffsetBuffer::from_lengths(lens),
                Arc::new(Float16Array::from(values)),
                nulls,
            )?))
        }
    }
}

pub fn build_sparsevecs(rows: &[Option<SparseVec>]) -> Result<ArrayRef> {
    let nulls: NullBuffer = rows.iter().map(|r| r.is_some()).collect();
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let mut dims = Vec::with_capacity(rows.len());
    let (mut idx, mut vals, mut lens) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        match r {
            Some(s) => {
                dims.push(s.dim);
                idx.extend_from_slice(&s.indices);
                vals.extend_from_slice(&s.values);
                lens.push(s.indices.len());
            }
            None => {
                dims.push(0);
                lens.push(0);
            }
        }
    }
    let offsets = OffsetBuffer::from_lengths(lens);
    let indices = ListArray::try_new(
        list_field(DataType::Int32),
        offsets.clone(),
        Arc::new(Int32Array::from(idx)),
        None,
    )?;
    let values = ListArray::try_new(
        list_field(DataType::Float32),
        offsets,
        Arc::new(Float32Array::from(vals)),
        None,
    )?;
    Ok(Arc::new(StructArray::try_new(
        sparsevec_fields(),
        vec![
            Arc::new(Int32Array::from(dims)),
            Arc::new(indices),
            Arc::new(values),
        ],
        nulls,
    )?))
}

/// Every row of a halfvec (or any list) array as f16.
pub fn halfvecs_of(array: &dyn Array) -> Result<Vec<Option<Vec<f16>>>> {
    if let DataType::FixedSizeList(f, _) | DataType::List(f) = array.data_type() {
        if f.data_type() == &DataType::Float16 {
            let (values, offsets): (&Float16Array, Vec<usize>) = match array.data_type() {
                DataType::FixedSizeList(_, d) => {
                    let a = array.as_fixed_size_list();
                    let d = *d as usize;
                    (
                        a.values().as_primitive::<Float16Type>(),
                        (0..=a.len()).map(|i| (a.offset() + i) * d).collect(),
                    )
                }
                _ => {
                    let a = array.as_list::<i32>();
                    (
                        a.values().as_primitive::<Float16Type>(),
                        a.value_offsets().iter().map(|o| *o as usize).collect(),
                    )
                }
            };
            return Ok((0..array.len())
                .map(|i| {
                    (!array.is_null(i))
                        .then(|| values.values()[offsets[i]..offsets[i + 1]].to_vec())
                })
                .collect());
        }
    }
    Ok(vectors_of(array)?
        .into_iter()
        .map(|o| o.map(|v| v.into_iter().map(f16::from_f32).collect()))
        .collect())
}
