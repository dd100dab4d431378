//! Value conversion between SQL types, array at a time, with PostgreSQL's errors. One code path
//! serves explicit casts (`::vector(3)`), INSERT/UPDATE assignment to a column, and COPY (which
//! converts text columns to the table's types).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::DataType;
use arrow::util::display::FormatOptions;

use crate::error::{QuiverError, Result};
use crate::sql::pgvector;
use crate::sql::vector_array::{
    build_halfvecs, build_sparsevecs, build_vectors, dense_to_sparse, halfvecs_of, sparse_of,
    sparse_to_dense, vectors_of,
};
use crate::types::SqlType;

fn strings(array: &dyn Array) -> Result<Vec<Option<String>>> {
    let a = cast_with_options(
        &array.slice(0, array.len()),
        &DataType::Utf8,
        &CastOptions::default(),
    )?;
    let a = a.as_string::<i32>();
    Ok(a.iter().map(|s| s.map(str::to_string)).collect())
}

fn is_stringy(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

fn is_listy(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(_, _)
    )
}

fn check_finite(v: &[f32], type_name: &'static str) -> Result<()> {
    for x in v {
        if x.is_nan() {
            return Err(QuiverError::NanNotAllowed(type_name));
        }
        if x.is_infinite() {
            return Err(QuiverError::InfiniteNotAllowed(type_name));
        }
    }
    Ok(())
}

fn check_dims(len: usize, dim: Option<u32>, type_name: &'static str, max: usize) -> Result<()> {
    if len < 1 {
        return Err(QuiverError::TooFewDimensions { type_name });
    }
    if len > max {
        return Err(QuiverError::TooManyDimensions { type_name, max });
    }
    if let Some(d) = dim {
        if d as usize != len {
            return Err(QuiverError::DimensionMismatch {
                expected: d as usize,
                actual: len,
            });
        }
    }
    Ok(())
}

/// Converts `array` (of SQL type `from`) to SQL type `to`.
pub fn cast_array(array: &ArrayRef, from: &SqlType, to: &SqlType) -> Result<ArrayRef> {
    let dt = array.data_type().clone();
    if dt == DataType::Null {
        return Ok(arrow::array::new_null_array(&to.arrow_type(), array.len()));
    }
    let nested = match &dt {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            is_listy(f.data_type())
        }
        _ => false,
    };
    if nested && to.is_vector_like() {
        return Err(QuiverError::DataException("array must be 1-D".into()));
    }
    match to {
        SqlType::Vector(dim) => {
            let rows: Vec<Option<Vec<f32>>> = if is_stringy(&dt) {
                strings(array)?
                    .into_iter()
                    .map(|s| {
                        s.map(|s| pgvector::parse_vector(&s, dim.map(|d| d as usize)))
                            .transpose()
                    })
                    .collect::<Result<_>>()?
            } else {
                let rows = vectors_of(array.as_ref())?;
                for v in rows.iter().flatten() {
                    check_dims(v.len(), *dim, "vector", pgvector::VECTOR_MAX_DIM)?;
                    check_finite(v, "vector")?;
                }
                rows
            };
            build_vectors(&rows, *dim)
        }
        SqlType::Halfvec(dim) => {
            let rows = if is_stringy(&dt) {
                strings(array)?
                    .into_iter()
                    .map(|s| {
                        s.map(|s| pgvector::parse_halfvec(&s, dim.map(|d| d as usize)))
                            .transpose()
                    })
                    .collect::<Result<Vec<_>>>()?
            } else {
                for v in vectors_of(array.as_ref())?.iter().flatten() {
                    check_dims(v.len(), *dim, "halfvec", pgvector::HALFVEC_MAX_DIM)?;
                    check_finite(v, "halfvec")?;
                    if let Some(x) = v.iter().find(|x| x.abs() > 65504.0) {
                        return Err(QuiverError::NumericOutOfRange(format!(
                            "\"{}\" is out of range for type halfvec",
                            pgvector::format_float4(*x)
                        )));
                    }
                }
                halfvecs_of(array.as_ref())?
            };
            build_halfvecs(&rows, *dim)
        }
        SqlType::Sparsevec(dim) => {
            let rows = if is_stringy(&dt) {
                strings(array)?
                    .into_iter()
                    .map(|s| {
                        s.map(|s| pgvector::parse_sparsevec(&s, dim.map(|d| d as usize)))
                            .transpose()
                    })
                    .collect::<Result<Vec<_>>>()?
            } else {
                let rows = if matches!(dt, DataType::Struct(_)) {
                    sparse_of(array.as_ref())?
                } else {
                    vectors_of(array.as_ref())?
                        .into_iter()
                        .map(|o| o.map(|v| dense_to_sparse(&v)))
                        .collect()
                };
                for s in rows.iter().flatten() {
                    if let Some(d) = dim {
                        if s.dim as u32 != *d {
                            return Err(QuiverError::DimensionMismatch {
                                expected: *d as usize,
                                actual: s.dim as usize,
                            });
                        }
                    }
                    if s.indices.len() > pgvector::SPARSEVEC_MAX_NNZ {
                        return Err(QuiverError::ProgramLimitExceeded(format!(
                            "sparsevec cannot have more than {} non-zero elements",
                            pgvector::SPARSEVEC_MAX_NNZ
                        )));
                    }
                }
                rows
            };
            build_sparsevecs(&rows)
        }
        SqlType::Bit(n) | SqlType::Varbit(n) => {
            let fixed = matches!(to, SqlType::Bit(_));
            let out: Vec<Option<String>> = strings(array)?
                .into_iter()
                .map(|s| {
                    s.map(|s| {
                        let bits = pgvector::parse_bit(&s, None)?;
                        match n {
                            Some(n) if fixed && bits.len() != *n as usize => {
                                Err(QuiverError::StringDataLengthMismatch(format!(
                                    "bit string length {} does not match type bit({n})",
                                    bits.len()
                                )))
                            }
                            Some(n) if !fixed && bits.len() > *n as usize => {
                                Err(QuiverError::StringTooLong(*n as usize))
                            }
                            _ => Ok(bits),
                        }
                    })
                    .transpose()
                })
                .collect::<Result<_>>()?;
            Ok(Arc::new(StringArray::from(out)))
        }
        SqlType::Jsonb | SqlType::Json => {
            let jsonb = matches!(to, SqlType::Jsonb);
            let out: Vec<Option<String>> = strings(array)?
                .into_iter()
                .map(|s| {
                    s.map(|s| {
                        let v: serde_json::Value = serde_json::from_str(&s).map_err(|_| {
                            QuiverError::InvalidTextRepresentation {
                                type_name: "json".into(),
                                input: s.clone(),
                            }
                        })?;
                        Ok(if jsonb {
                            crate::sql::json::format_jsonb(&v)
                        } else {
                            s
                        })
                    })
                    .transpose()
                })
                .collect::<Result<_>>()?;
            Ok(Arc::new(StringArray::from(out)))
        }
        SqlType::TsVector | SqlType::TsQuery | SqlType::Regconfig => {
            use crate::text::tsearch::{TsConfig, TsQuery, TsVector};
            let out: Vec<Option<String>> = strings(array)?
                .into_iter()
                .map(|s| {
                    s.map(|s| -> Result<String> {
                        Ok(match to {
                            SqlType::TsVector => s.parse::<TsVector>()?.to_string(),
                            SqlType::TsQuery => s.parse::<TsQuery>()?.to_string(),
                            _ => TsConfig::from_name(&s)?.name().to_string(),
                        })
                    })
                    .transpose()
                })
                .collect::<Result<_>>()?;
            Ok(Arc::new(StringArray::from(out)))
        }
        SqlType::Uuid => {
            let out: Vec<Option<String>> = strings(array)?
                .into_iter()
                .map(|s| s.map(|s| parse_uuid(&s)).transpose())
                .collect::<Result<_>>()?;
            Ok(Arc::new(StringArray::from(out)))
        }
        SqlType::Text | SqlType::Varchar(_) | SqlType::Char(_) | SqlType::InternalChar => {
            let out: Vec<Option<String>> = match from {
                SqlType::Vector(_) => vectors_of(array.as_ref())?
                    .into_iter()
                    .map(|o| o.map(|v| pgvector::format_vector(&v)))
                    .collect(),
                SqlType::Halfvec(_) => halfvecs_of(array.as_ref())?
                    .into_iter()
                    .map(|o| o.map(|v| pgvector::format_halfvec(&v)))
                    .collect(),
                SqlType::Sparsevec(_) => sparse_of(array.as_ref())?
                    .into_iter()
                    .map(|o| o.map(|v| pgvector::format_sparsevec(&v)))
                    .collect(),
                _ => {
                    let n = crate::sql::format::normalize(array, from)?;
                    (0..n.len())
                        .map(|i| crate::sql::format::text_value(n.as_ref(), from, i))
                        .collect::<Result<_>>()?
                }
            };
            if let SqlType::Varchar(Some(n)) | SqlType::Char(Some(n)) = to {
                for s in out.iter().flatten() {
                    if s.chars().count() > *n as usize {
                        return Err(QuiverError::StringTooLong(*n as usize));
                    }
                }
            }
            Ok(Arc::new(StringArray::from(out)))
        }
        SqlType::Array(elem) if is_listy(&dt) || matches!(dt, DataType::Struct(_)) => {
            let target = to.arrow_type();
            if matches!(from, SqlType::Sparsevec(_)) {
                let rows: Vec<Option<Vec<f32>>> = sparse_of(array.as_ref())?
                    .into_iter()
                    .map(|o| o.map(|s| sparse_to_dense(&s)))
                    .collect();
                let arr = build_vectors(&rows, None)?;
                return Ok(cast_with_options(&arr, &target, &CastOptions::default())?);
            }
            let _ = elem;
            Ok(cast_with_options(array, &target, &CastOptions::default())?)
        }
        _ => standard_cast(array, to),
    }
}

/// Casts between built-in types through Arrow, reporting failures as PostgreSQL does.
fn standard_cast(array: &ArrayRef, to: &SqlType) -> Result<ArrayRef> {
    let target = to.arrow_type();
    if array.data_type() == &target {
        return Ok(array.clone());
    }
    let from_text = is_stringy(array.data_type());
    let input: ArrayRef = if from_text && matches!(to, SqlType::Bool) {
        // PostgreSQL accepts t/f/yes/no/on/off/1/0 (any case, surrounding spaces).
        let s = strings(array)?;
        let out: Vec<Option<bool>> = s
            .iter()
            .map(|v| {
                v.as_ref()
                    .map(|v| match v.trim().to_ascii_lowercase().as_str() {
                        "t" | "true" | "y" | "yes" | "on" | "1" => Ok(true),
                        "f" | "false" | "n" | "no" | "off" | "0" => Ok(false),
                        _ => Err(QuiverError::InvalidTextRepresentation {
                            type_name: "boolean".into(),
                            input: v.clone(),
                        }),
                    })
                    .transpose()
            })
            .collect::<Result<_>>()?;
        return Ok(Arc::new(arrow::array::BooleanArray::from(out)));
    } else if from_text {
        // Arrow does not trim; PostgreSQL ignores surrounding whitespace for numbers.
        let s = strings(array)?;
        Arc::new(StringArray::from(
            s.iter()
                .map(|v| v.as_ref().map(|v| v.trim().to_string()))
                .collect::<Vec<_>>(),
        ))
    } else {
        array.clone()
    };
    let safe = CastOptions {
        safe: true,
        format_options: FormatOptions::default(),
    };
    let out = cast_with_options(&input, &target, &safe)?;
    if out.null_count() != input.null_count() {
        for i in 0..input.len() {
            if out.is_null(i) && !input.is_null(i) {
                let shown =
                    arrow::util::display::array_value_to_string(&input, i).unwrap_or_default();
                return Err(if from_text {
                    QuiverError::InvalidTextRepresentation {
                        type_name: to.display_name(),
                        input: shown,
                    }
                } else {
                    QuiverError::NumericOutOfRange(format!("{} out of range", to.display_name()))
                });
            }
        }
    }
    Ok(out)
}

pub fn parse_uuid(s: &str) -> Result<String> {
    let t = s.trim();
    let t = t
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .unwrap_or(t);
    let hex: String = t.chars().filter(|c| *c != '-').collect();
    if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(QuiverError::InvalidTextRepresentation {
            type_name: "uuid".into(),
            input: s.to_string(),
        });
    }
    let h = hex.to_ascii_lowercase();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_to_vector_checks_dimensions() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![Some("[1,2,3]"), None]));
        let v = cast_array(&a, &SqlType::Text, &SqlType::Vector(Some(3))).unwrap();
        assert_eq!(v.len(), 2);
        assert!(v.is_null(1));
        let e = cast_array(&a, &SqlType::Text, &SqlType::Vector(Some(2))).unwrap_err();
        assert_eq!(e.to_string(), "expected 2 dimensions, not 3");
    }

    #[test]
    fn bad_integer_text_is_22p02() {
        let a: ArrayRef = Arc::new(StringArray::from(vec!["12", "x"]));
        let e = cast_array(&a, &SqlType::Text, &SqlType::Int4).unwrap_err();
        assert_eq!(e.sqlstate(), "22P02");
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type integer: \"x\""
        );
    }

    #[test]
    fn uuid_is_canonicalised() {
        assert_eq!(
            parse_uuid("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11").unwrap(),
            "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
        );
        assert!(parse_uuid("nope").is_err());
    }
}
