//! Values in PostgreSQL's text and binary wire formats, from Arrow arrays.
//!
//! `normalize` first brings a column to the one Arrow shape per SQL type that the per-value
//! functions expect (timestamps in microseconds, strings as Utf8), once per batch.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int16Type, Int32Type,
    Int64Type, IntervalMonthDayNanoType, IntervalUnit, Time64MicrosecondType, TimeUnit,
    TimestampMicrosecondType, UInt32Type,
};
use bytes::{BufMut, BytesMut};
use chrono::{DateTime, NaiveDate};

use crate::error::{QuiverError, Result};
use crate::sql::pgvector;
use crate::sql::vector_array::{halfvecs_of, sparse_of, vectors_of};
use crate::types::{SqlType, NUMERIC_DEFAULT_SCALE};

/// Microseconds between 1970-01-01 and PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;
const PG_EPOCH_OFFSET_DAYS: i32 = 10_957;

/// Casts a column to the canonical Arrow shape of its SQL type.
pub fn normalize(array: &ArrayRef, ty: &SqlType) -> Result<ArrayRef> {
    let dt = array.data_type();
    let target = match ty {
        SqlType::Bool => DataType::Boolean,
        SqlType::Int2 => DataType::Int16,
        SqlType::Int4 => DataType::Int32,
        SqlType::Int8 => DataType::Int64,
        SqlType::Float4 => DataType::Float32,
        SqlType::Float8 => DataType::Float64,
        SqlType::Oid => DataType::UInt32,
        SqlType::Date => DataType::Date32,
        SqlType::Time => DataType::Time64(TimeUnit::Microsecond),
        SqlType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        SqlType::Timestamptz => DataType::Timestamp(TimeUnit::Microsecond, Some("+00:00".into())),
        SqlType::Interval => DataType::Interval(IntervalUnit::MonthDayNano),
        SqlType::Numeric { .. } => match dt {
            DataType::Decimal128(_, _) => return Ok(array.clone()),
            _ => DataType::Decimal128(38, NUMERIC_DEFAULT_SCALE),
        },
        SqlType::Text
        | SqlType::Varchar(_)
        | SqlType::Char(_)
        | SqlType::Uuid
        | SqlType::InternalChar
        | SqlType::Json
        | SqlType::Jsonb
        | SqlType::Bit(_)
        | SqlType::Varbit(_)
        | SqlType::TsVector
        | SqlType::TsQuery
        | SqlType::Regconfig => DataType::Utf8,
        SqlType::Bytea => DataType::Binary,
        SqlType::Vector(_) | SqlType::Halfvec(_) | SqlType::Sparsevec(_) | SqlType::Array(_) => {
            return Ok(array.clone())
        }
    };
    if dt == &target {
        return Ok(array.clone());
    }
    if let (DataType::Timestamp(_, Some(_)), DataType::Timestamp(_, Some(_))) = (dt, &target) {
        return Ok(cast(array, &target)?);
    }
    Ok(cast(array, &target)?)
}

fn fmt_timestamp(us: i64, tz: bool) -> String {
    let secs = us.div_euclid(1_000_000);
    let micros = us.rem_euclid(1_000_000) as u32;
    let Some(dt) = DateTime::from_timestamp(secs, micros * 1000) else {
        return us.to_string();
    };
    let mut s = dt.format("%Y-%m-%d %H:%M:%S").to_string();
    if micros != 0 {
        let frac = format!("{micros:06}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    if tz {
        s.push_str("+00");
    }
    s
}

fn fmt_time(us: i64) -> String {
    let secs = us / 1_000_000;
    let micros = us % 1_000_000;
    let mut s = format!(
        "{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    if micros != 0 {
        s.push('.');
        s.push_str(format!("{micros:06}").trim_end_matches('0'));
    }
    s
}

fn fmt_decimal(v: i128, scale: i8, trim: bool) -> String {
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let scale = scale.max(0) as usize;
    let (int, frac) = if digits.len() > scale {
        (
            digits[..digits.len() - scale].to_string(),
            digits[digits.len() - scale..].to_string(),
        )
    } else {
        ("0".to_string(), format!("{digits:0>scale$}"))
    };
    let frac = if trim {
        frac.trim_end_matches('0').to_string()
    } else {
        frac
    };
    let mut s = String::new();
    if neg && (int != "0" || frac.chars().any(|c| c != '0')) {
        s.push('-');
    }
    s.push_str(&int);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(&frac);
    }
    s
}

fn fmt_interval(months: i32, days: i32, nanos: i64) -> String {
    let mut parts = Vec::new();
    let (y, m) = (months / 12, months % 12);
    if y != 0 {
        parts.push(format!("{y} year{}", if y.abs() == 1 { "" } else { "s" }));
    }
    if m != 0 {
        parts.push(format!("{m} mon{}", if m.abs() == 1 { "" } else { "s" }));
    }
    if days != 0 {
        parts.push(format!(
            "{days} day{}",
            if days.abs() == 1 { "" } else { "s" }
        ));
    }
    if nanos != 0 || parts.is_empty() {
        let us = nanos / 1000;
        let neg = us < 0;
        let t = fmt_time(us.abs());
        parts.push(if neg { format!("-{t}") } else { t });
    }
    parts.join(" ")
}

/// PostgreSQL array text: `{1,2,"a b",NULL}`.
fn fmt_array(list: &ArrayRef, elem: &SqlType) -> Result<String> {
    let list = normalize(list, elem)?;
    let mut s = String::from("{");
    for i in 0..list.len() {
        if i > 0 {
            s.push(',');
        }
        match text_value(list.as_ref(), elem, i)? {
            None => s.push_str("NULL"),
            Some(v) => {
                let needs_quote = v.is_empty()
                    || v.eq_ignore_ascii_case("null")
                    || v.chars()
                        .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
                if needs_quote {
                    s.push('"');
                    for c in v.chars() {
                        if c == '"' || c == '\\' {
                            s.push('\\');
                        }
                        s.push(c);
                    }
                    s.push('"');
                } else {
                    s.push_str(&v);
                }
            }
        }
    }
    s.push('}');
    Ok(s)
}

/// The PostgreSQL text form of row `i` (None for NULL). `array` must be normalized for `ty`.
pub fn text_value(array: &dyn Array, ty: &SqlType, i: usize) -> Result<Option<String>> {
    if array.is_null(i) {
        return Ok(None);
    }
    let s = match ty {
        SqlType::Bool => if array.as_boolean().value(i) {
            "t"
        } else {
            "f"
        }
        .to_string(),
        SqlType::Int2 => array.as_primitive::<Int16Type>().value(i).to_string(),
        SqlType::Int4 => array.as_primitive::<Int32Type>().value(i).to_string(),
        SqlType::Int8 => array.as_primitive::<Int64Type>().value(i).to_string(),
        SqlType::Oid => array.as_primitive::<UInt32Type>().value(i).to_string(),
        SqlType::Float4 => pgvector::format_float4(array.as_primitive::<Float32Type>().value(i)),
        SqlType::Float8 => pgvector::format_float8(array.as_primitive::<Float64Type>().value(i)),
        SqlType::Numeric { precision, .. } => {
            let DataType::Decimal128(_, scale) = array.data_type() else {
                return Err(QuiverError::Internal("numeric not normalized".into()));
            };
            let trim = precision.is_none();
            fmt_decimal(
                array.as_primitive::<Decimal128Type>().value(i),
                *scale,
                trim,
            )
        }
        SqlType::Text
        | SqlType::Varchar(_)
        | SqlType::Char(_)
        | SqlType::Uuid
        | SqlType::InternalChar
        | SqlType::Json
        | SqlType::Jsonb
        | SqlType::Bit(_)
        | SqlType::Varbit(_)
        | SqlType::TsVector
        | SqlType::TsQuery
        | SqlType::Regconfig => array.as_string::<i32>().value(i).to_string(),
        SqlType::Bytea => {
            let b = array.as_binary::<i32>().value(i);
            let mut s = String::with_capacity(2 + b.len() * 2);
            s.push_str("\\x");
            for x in b {
                s.push_str(&format!("{x:02x}"));
            }
            s
        }
        SqlType::Date => {
            let d = array.as_primitive::<Date32Type>().value(i);
            NaiveDate::from_num_days_from_ce_opt(d + 719_163)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| d.to_string())
        }
        SqlType::Time => fmt_time(array.as_primitive::<Time64MicrosecondType>().value(i)),
        SqlType::Timestamp => fmt_timestamp(
            array.as_primitive::<TimestampMicrosecondType>().value(i),
            false,
        ),
        SqlType::Timestamptz => fmt_timestamp(
            array.as_primitive::<TimestampMicrosecondType>().value(i),
            true,
        ),
        SqlType::Interval => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(i);
            fmt_interval(v.months, v.days, v.nanoseconds)
        }
        SqlType::Vector(_) => {
            let one = array.slice(i, 1);
            let v = vectors_of(one.as_ref())?
                .pop()
                .flatten()
                .unwrap_or_default();
            pgvector::format_vector(&v)
        }
        SqlType::Halfvec(_) => {
            let one = array.slice(i, 1);
            let v = halfvecs_of(one.as_ref())?
                .pop()
                .flatten()
                .unwrap_or_default();
            pgvector::format_halfvec(&v)
        }
        SqlType::Sparsevec(_) => {
            let one = array.slice(i, 1);
            match sparse_of(one.as_ref())?.pop().flatten() {
                Some(s) => pgvector::format_sparsevec(&s),
                None => return Ok(None),
            }
        }
        SqlType::Array(elem) => {
            let values: ArrayRef = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(i),
                DataType::LargeList(_) => array.as_list::<i64>().value(i),
                DataType::FixedSizeList(_, _) => array.as_fixed_size_list().value(i),
                _ => return Err(QuiverError::Internal("array not a list".into())),
            };
            fmt_array(&values, elem)?
        }
    };
    Ok(Some(s))
}

/// Appends the binary form of row `i` (without the length word); returns false for NULL.
pub fn binary_value(array: &dyn Array, ty: &SqlType, i: usize, out: &mut BytesMut) -> Result<bool> {
    if array.is_null(i) {
        return Ok(false);
    }
    match ty {
        SqlType::Bool => out.put_u8(array.as_boolean().value(i) as u8),
        SqlType::Int2 => out.put_i16(array.as_primitive::<Int16Type>().value(i)),
        SqlType::Int4 => out.put_i32(array.as_primitive::<Int32Type>().value(i)),
        SqlType::Int8 => out.put_i64(array.as_primitive::<Int64Type>().value(i)),
        SqlType::Oid => out.put_u32(array.as_primitive::<UInt32Type>().value(i)),
        SqlType::Float4 => out.put_f32(array.as_primitive::<Float32Type>().value(i)),
        SqlType::Float8 => out.put_f64(array.as_primitive::<Float64Type>().value(i)),
        // tsvector and tsquery in PostgreSQL's binary forms (stored as their text). regconfig's
        // binary form is the configuration's OID, which differs between installations; clients
        // read it as text, so binary results carry the text form.
        SqlType::TsVector => {
            let v: crate::text::tsearch::TsVector = array.as_string::<i32>().value(i).parse()?;
            let mut b = Vec::new();
            v.to_binary(&mut b);
            out.put_slice(&b)
        }
        SqlType::TsQuery => {
            let q: crate::text::tsearch::TsQuery = array.as_string::<i32>().value(i).parse()?;
            let mut b = Vec::new();
            q.to_binary(&mut b);
            out.put_slice(&b)
        }
        SqlType::Text
        | SqlType::Varchar(_)
        | SqlType::Char(_)
        | SqlType::Json
        | SqlType::Regconfig => out.put_slice(array.as_string::<i32>().value(i).as_bytes()),
        SqlType::Jsonb => {
            out.put_u8(1);
            out.put_slice(array.as_string::<i32>().value(i).as_bytes())
        }
        SqlType::InternalChar => out.put_u8(
            array
                .as_string::<i32>()
                .value(i)
                .bytes()
                .next()
                .unwrap_or(0),
        ),
        SqlType::Uuid => {
            let s = array.as_string::<i32>().value(i);
            let hex: String = s.chars().filter(|c| *c != '-').collect();
            for k in 0..16 {
                let b = u8::from_str_radix(hex.get(2 * k..2 * k + 2).unwrap_or("00"), 16)
                    .map_err(|_| QuiverError::DataCorrupted(format!("bad uuid {s}")))?;
                out.put_u8(b);
            }
        }
        SqlType::Bit(_) | SqlType::Varbit(_) => {
            let mut v = Vec::new();
            pgvector::bit_to_binary(array.as_string::<i32>().value(i), &mut v);
            out.put_slice(&v);
        }
        SqlType::Bytea => out.put_slice(array.as_binary::<i32>().value(i)),
        SqlType::Date => {
            out.put_i32(array.as_primitive::<Date32Type>().value(i) - PG_EPOCH_OFFSET_DAYS)
        }
        SqlType::Time => out.put_i64(array.as_primitive::<Time64MicrosecondType>().value(i)),
        SqlType::Timestamp | SqlType::Timestamptz => out.put_i64(
            array.as_primitive::<TimestampMicrosecondType>().value(i) - PG_EPOCH_OFFSET_US,
        ),
        SqlType::Interval => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(i);
            out.put_i64(v.nanoseconds / 1000);
            out.put_i32(v.days);
            out.put_i32(v.months);
        }
        SqlType::Numeric { .. } => {
            let text = text_value(array, ty, i)?.unwrap_or_default();
            numeric_to_binary(&text, out);
        }
        SqlType::Vector(_) => {
            let one = array.slice(i, 1);
            let v = vectors_of(one.as_ref())?
                .pop()
                .flatten()
                .unwrap_or_default();
            let mut b = Vec::with_capacity(4 + 4 * v.len());
            pgvector::vector_to_binary(&v, &mut b);
            out.put_slice(&b);
        }
        SqlType::Halfvec(_) => {
            let one = array.slice(i, 1);
            let v = halfvecs_of(one.as_ref())?
                .pop()
                .flatten()
                .unwrap_or_default();
            let mut b = Vec::new();
            pgvector::halfvec_to_binary(&v, &mut b);
            out.put_slice(&b);
        }
        SqlType::Sparsevec(_) => {
            let one = array.slice(i, 1);
            let Some(s) = sparse_of(one.as_ref())?.pop().flatten() else {
                return Ok(false);
            };
            let mut b = Vec::new();
            pgvector::sparsevec_to_binary(&s, &mut b);
            out.put_slice(&b);
        }
        SqlType::Array(elem) => {
            let values: ArrayRef = match array.data_type() {
                DataType::List(_) => array.as_list::<i32>().value(i),
                DataType::LargeList(_) => array.as_list::<i64>().value(i),
                DataType::FixedSizeList(_, _) => array.as_fixed_size_list().value(i),
                _ => return Err(QuiverError::Internal("array not a list".into())),
            };
            let values = normalize(&values, elem)?;
            out.put_i32(1); // ndim
            out.put_i32((values.null_count() > 0) as i32);
            out.put_u32(elem.oid());
            out.put_i32(values.len() as i32);
            out.put_i32(1); // lower bound
            for k in 0..values.len() {
                let at = out.len();
                out.put_i32(-1);
                if binary_value(values.as_ref(), elem, k, out)? {
                    let n = (out.len() - at - 4) as i32;
                    out[at..at + 4].copy_from_slice(&n.to_be_bytes());
                }
            }
        }
    }
    Ok(true)
}

/// PostgreSQL's binary numeric: ndigits, weight, sign, dscale, then base-10000 digits.
fn numeric_to_binary(text: &str, out: &mut BytesMut) {
    let (neg, t) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let dscale = frac.len() as i16;
    let int = int.trim_start_matches('0');
    // Pad the integer part on the left and the fraction on the right to multiples of 4.
    let ipad = (4 - int.len() % 4) % 4;
    let fpad = (4 - frac.len() % 4) % 4;
    let digits_str = format!("{}{}{}{}", "0".repeat(ipad), int, frac, "0".repeat(fpad));
    let mut digits: Vec<i16> = digits_str
        .as_bytes()
        .chunks(4)
        .map(|c| {
            std::str::from_utf8(c)
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0)
        })
        .collect();
    let mut weight = ((int.len() + ipad) / 4) as i16 - 1;
    while digits.first() == Some(&0) {
        digits.remove(0);
        weight -= 1;
    }
    while digits.last() == Some(&0) {
        digits.pop();
    }
    if digits.is_empty() {
        weight = 0;
    }
    out.put_i16(digits.len() as i16);
    out.put_i16(weight);
    out.put_u16(if neg && !digits.is_empty() { 0x4000 } else { 0 });
    out.put_i16(dscale);
    for d in digits {
        out.put_i16(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_print_like_postgres() {
        assert_eq!(fmt_decimal(12345, 2, false), "123.45");
        assert_eq!(fmt_decimal(-5, 2, false), "-0.05");
        assert_eq!(fmt_decimal(1_000_000, 4, true), "100");
        assert_eq!(fmt_decimal(1_500_000, 6, true), "1.5");
    }

    #[test]
    fn timestamps_print_like_postgres() {
        assert_eq!(fmt_timestamp(0, false), "1970-01-01 00:00:00");
        assert_eq!(fmt_timestamp(1_500_000, true), "1970-01-01 00:00:01.5+00");
    }

    #[test]
    fn numeric_binary_layout() {
        let mut b = BytesMut::new();
        numeric_to_binary("12345.678", &mut b);
        // ndigits 3, weight 1, sign 0, dscale 3, digits 1 2345 6780
        assert_eq!(
            &b[..],
            &[0, 3, 0, 1, 0, 0, 0, 3, 0, 1, 0x09, 0x29, 0x1a, 0x7c]
        );
    }
}
