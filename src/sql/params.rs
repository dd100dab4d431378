//! Bind parameters: wire bytes (text or binary format) of a declared or inferred SQL type, into
//! the `ScalarValue` that replaces `$n` in a plan.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, BinaryArray, BooleanArray, Date32Array, Float32Array, Float64Array, Int16Array,
    Int32Array, Int64Array, StringArray, TimestampMicrosecondArray, UInt32Array,
};
use arrow::datatypes::DataType;
use datafusion::common::ScalarValue;

use crate::error::{QuiverError, Result};
use crate::sql::cast::cast_array;
use crate::sql::pgvector;
use crate::sql::vector_array::{build_halfvecs, build_sparsevecs, build_vectors};
use crate::types::SqlType;

const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;
const PG_EPOCH_OFFSET_DAYS: i32 = 10_957;

fn bad(ty: &SqlType) -> QuiverError {
    QuiverError::InvalidBinaryRepresentation(format!(
        "incorrect binary data format in bind parameter of type {}",
        ty.display_name()
    ))
}

fn fixed<const N: usize>(b: &[u8], ty: &SqlType) -> Result<[u8; N]> {
    b.try_into().map_err(|_| bad(ty))
}

/// Decodes one parameter. `target` is the Arrow type the plan expects for this placeholder, when
/// the planner inferred one; the value is shaped to it exactly.
pub fn decode(
    value: Option<&[u8]>,
    binary: bool,
    ty: &SqlType,
    target: Option<&DataType>,
) -> Result<ScalarValue> {
    let want = target.cloned().unwrap_or_else(|| {
        if binary {
            ty.arrow_type()
        } else {
            DataType::Utf8
        }
    });
    let Some(b) = value else {
        return Ok(ScalarValue::try_from(&want)?);
    };
    let array: ArrayRef = if !binary {
        let s = std::str::from_utf8(b).map_err(|_| {
            QuiverError::InvalidTextValue("invalid byte sequence for encoding \"UTF8\"".into())
        })?;
        let text: ArrayRef = Arc::new(StringArray::from(vec![s]));
        if target.is_none() {
            text
        } else {
            cast_array(&text, &SqlType::Text, ty)?
        }
    } else {
        match ty {
            SqlType::Bool => Arc::new(BooleanArray::from(vec![fixed::<1>(b, ty)?[0] != 0])),
            SqlType::Int2 => Arc::new(Int16Array::from(vec![i16::from_be_bytes(fixed(b, ty)?)])),
            SqlType::Int4 => Arc::new(Int32Array::from(vec![i32::from_be_bytes(fixed(b, ty)?)])),
            SqlType::Int8 => Arc::new(Int64Array::from(vec![i64::from_be_bytes(fixed(b, ty)?)])),
            SqlType::Oid => Arc::new(UInt32Array::from(vec![u32::from_be_bytes(fixed(b, ty)?)])),
            SqlType::Float4 => {
                Arc::new(Float32Array::from(vec![f32::from_be_bytes(fixed(b, ty)?)]))
            }
            SqlType::Float8 => {
                Arc::new(Float64Array::from(vec![f64::from_be_bytes(fixed(b, ty)?)]))
            }
            SqlType::Text
            | SqlType::Varchar(_)
            | SqlType::Char(_)
            | SqlType::Json
            | SqlType::Jsonb
            | SqlType::Uuid
            | SqlType::InternalChar
            | SqlType::Bit(_)
            | SqlType::Varbit(_)
            | SqlType::TsVector
            | SqlType::TsQuery
            | SqlType::Regconfig => {
                let s = match ty {
                    SqlType::Jsonb => {
                        let rest = b.strip_prefix(&[1u8]).ok_or_else(|| bad(ty))?;
                        String::from_utf8(rest.to_vec()).map_err(|_| bad(ty))?
                    }
                    SqlType::Uuid => {
                        let raw: [u8; 16] = fixed(b, ty)?;
                        let h: String = raw.iter().map(|x| format!("{x:02x}")).collect();
                        format!(
                            "{}-{}-{}-{}-{}",
                            &h[0..8],
                            &h[8..12],
                            &h[12..16],
                            &h[16..20],
                            &h[20..]
                        )
                    }
                    SqlType::Bit(_) | SqlType::Varbit(_) => pgvector::bit_from_binary(b)?,
                    SqlType::TsVector => {
                        crate::text::tsearch::TsVector::from_binary(b)?.to_string()
                    }
                    SqlType::TsQuery => crate::text::tsearch::TsQuery::from_binary(b)?.to_string(),
                    _ => String::from_utf8(b.to_vec()).map_err(|_| bad(ty))?,
                };
                let text: ArrayRef = Arc::new(StringArray::from(vec![s]));
                cast_array(&text, &SqlType::Text, ty)?
            }
            SqlType::Bytea => Arc::new(BinaryArray::from(vec![b])),
            SqlType::Date => Arc::new(Date32Array::from(vec![
                i32::from_be_bytes(fixed(b, ty)?) + PG_EPOCH_OFFSET_DAYS,
            ])),
            SqlType::Timestamp => Arc::new(TimestampMicrosecondArray::from(vec![
                i64::from_be_bytes(fixed(b, ty)?) + PG_EPOCH_OFFSET_US,
            ])),
            SqlType::Timestamptz => Arc::new(
                TimestampMicrosecondArray::from(vec![
                    i64::from_be_bytes(fixed(b, ty)?) + PG_EPOCH_OFFSET_US,
                ])
                .with_timezone("+00:00"),
            ),
            SqlType::Vector(d) => build_vectors(&[Some(pgvector::vector_from_binary(b)?)], *d)?,
            SqlType::Halfvec(d) => build_halfvecs(&[Some(pgvector::halfvec_from_binary(b)?)], *d)?,
            SqlType::Sparsevec(_) => {
                build_sparsevecs(&[Some(pgvector::sparsevec_from_binary(b)?)])?
            }
            SqlType::Numeric { .. } => {
                let text: ArrayRef = Arc::new(StringArray::from(vec![numeric_from_binary(b)?]));
                cast_array(&text, &SqlType::Text, ty)?
            }
            SqlType::Time | SqlType::Interval | SqlType::Array(_) => {
                return Err(QuiverError::FeatureNotSupported(format!(
                    "binary format for parameters of type {} is not supported; send it as text",
                    ty.display_name()
                )))
            }
        }
    };
    let array = if array.data_type() != &want && target.is_some() {
        match (&want, array.data_type()) {
            // A vector of the right length arrives as List; the plan wants FixedSizeList(n).
            (DataType::FixedSizeList(_, n), DataType::List(_) | DataType::FixedSizeList(_, _)) => {
                let rows = crate::sql::vector_array::vectors_of(array.as_ref())?;
                if let Some(Some(v)) = rows.first() {
                    if v.len() != *n as usize {
                        return Err(QuiverError::DifferentDimensions {
                            type_name: "vector",
                            left: *n as usize,
                            right: v.len(),
                        });
                    }
                }
                arrow::compute::cast(&array, &want)?
            }
            _ => arrow::compute::cast(&array, &want)?,
        }
    } else {
        array
    };
    Ok(ScalarValue::try_from_array(&array, 0)?)
}

/// PostgreSQL's binary numeric to its text form.
fn numeric_from_binary(b: &[u8]) -> Result<String> {
    let err = || QuiverError::InvalidBinaryRepresentation("invalid numeric binary data".into());
    if b.len() < 8 {
        return Err(err());
    }
    let rd = |i: usize| i16::from_be_bytes([b[i], b[i + 1]]);
    let (ndigits, weight, sign, dscale) =
        (rd(0) as usize, rd(2) as i32, rd(4) as u16, rd(6) as usize);
    if b.len() != 8 + 2 * ndigits {
        return Err(err());
    }
    if sign == 0xC000 {
        return Ok("NaN".into());
    }
    let digits: Vec<i32> = (0..ndigits).map(|i| rd(8 + 2 * i) as i32).collect();
    let mut int = String::new();
    for w in 0..=weight.max(-1) {
        let d = digits.get(w as usize).copied().unwrap_or(0);
        if int.is_empty() {
            int = d.to_string();
        } else {
            int.push_str(&format!("{d:04}"));
        }
    }
    if int.is_empty() {
        int = "0".into();
    }
    let mut frac = String::new();
    let mut pos = weight + 1;
    while frac.len() < dscale {
        let d = if pos < 0 {
            0
        } else {
            digits.get(pos as usize).copied().unwrap_or(0)
        };
        frac.push_str(&format!("{d:04}"));
        pos += 1;
    }
    frac.truncate(dscale);
    let mut s = String::new();
    if sign == 0x4000 {
        s.push('-');
    }
    s.push_str(&int);
    if dscale > 0 {
        s.push('.');
        s.push_str(&frac);
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_binary_round_trip() {
        // 12345.678: ndigits 3, weight 1, dscale 3, digits 1 2345 6780
        let b = [0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c];
        assert_eq!(numeric_from_binary(&b).unwrap(), "12345.678");
    }

    #[test]
    fn binary_vector_param_matches_fixed_size_target() {
        let mut b = Vec::new();
        pgvector::vector_to_binary(&[1.0, 2.0, 3.0], &mut b);
        let want = SqlType::Vector(Some(3)).arrow_type();
        let v = decode(Some(&b), true, &SqlType::Vector(None), Some(&want)).unwrap();
        assert_eq!(v.data_type(), want);
        let e = decode(
            Some(&b),
            true,
            &SqlType::Vector(None),
            Some(&SqlType::Vector(Some(2)).arrow_type()),
        )
        .unwrap_err();
        assert_eq!(e.sqlstate(), "22000");
    }
}
