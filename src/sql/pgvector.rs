//! pgvector's value formats, byte for byte: the text input and output of `vector`, `halfvec` and
//! `sparsevec` (pgvector 0.8 `vector.c`, `halfvec.c`, `sparsevec.c`), PostgreSQL's `bit(n)` text
//! input (`varbit.c`), PostgreSQL's shortest-round-trip `float4` / `float8` text output (Ryu, as in
//! `float_to_shortest_decimal_buf`), and the binary wire formats of all four types (`*_send` /
//! `*_recv`).
//!
//! Everything here is pure: strings and bytes in, values or a [`QuiverError`] out, never a panic.
//! Error wording and SQLSTATEs follow pgvector / PostgreSQL so clients see the messages they know.

use std::fmt::Write as _;

use half::f16;

use crate::error::{QuiverError, Result};

pub const VECTOR_MAX_DIM: usize = 16000;
pub const HALFVEC_MAX_DIM: usize = 16000;
pub const SPARSEVEC_MAX_DIM: usize = 1_000_000_000;
pub const SPARSEVEC_MAX_NNZ: usize = 16000;

/// PostgreSQL's `VARBITMAXLEN` (`INT_MAX - BITS_PER_BYTE + 1`).
const VARBIT_MAX_LEN: usize = i32::MAX as usize - 8 + 1;

/// A pgvector `sparsevec`: `dim` dimensions, of which those at `indices` (0-based, strictly
/// increasing) hold the non-zero `values`.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseVec {
    pub dim: i32,
    pub indices: Vec<i32>,
    pub values: Vec<f32>,
}

// ============================================================================================
// Text input: vector and halfvec
// ============================================================================================

/// Parses pgvector `vector` text input (`'[1,2,3]'`). `typmod` is the declared dimension count of
/// `vector(n)`, if any.
pub fn parse_vector(s: &str, typmod: Option<usize>) -> Result<Vec<f32>> {
    parse_dense(
        s,
        typmod,
        "vector",
        VECTOR_MAX_DIM,
        |val, overflow, token| {
            if overflow {
                return Err(out_of_range(token, "vector"));
            }
            check_element_f32(val, "vector")?;
            Ok(val)
        },
    )
}

/// Parses pgvector `halfvec` text input. Elements are read as `float4` (like pgvector's `strtof`)
/// and rounded to half precision; a finite value that rounds to infinity is out of range.
pub fn parse_halfvec(s: &str, typmod: Option<usize>) -> Result<Vec<f16>> {
    parse_dense(
        s,
        typmod,
        "halfvec",
        HALFVEC_MAX_DIM,
        |val, overflow, token| {
            let h = f16::from_f32(val);
            if overflow || (h.is_infinite() && !val.is_infinite()) {
                return Err(out_of_range(token, "halfvec"));
            }
            check_element_f16(h, "halfvec")?;
            Ok(h)
        },
    )
}

/// pgvector's `vector_in` / `halfvec_in` loop, shared. `convert` gets the `strtof` value, whether
/// it overflowed (`errno == ERANGE && isinf`), and the text of the number.
fn parse_dense<T>(
    s: &str,
    typmod: Option<usize>,
    type_name: &'static str,
    max_dim: usize,
    convert: impl Fn(f32, bool, &str) -> Result<T>,
) -> Result<Vec<T>> {
    let b = s.as_bytes();
    let syntax = || invalid_syntax(type_name, s);

    let mut pt = skip_space(b, 0);
    if b.get(pt) != Some(&b'[') {
        return Err(syntax());
    }
    pt = skip_space(b, pt + 1);
    if b.get(pt) == Some(&b']') {
        return Err(QuiverError::TooFewDimensions { type_name });
    }

    let mut out: Vec<T> = Vec::new();
    loop {
        if out.len() == max_dim {
            return Err(QuiverError::TooManyDimensions {
                type_name,
                max: max_dim,
            });
        }
        pt = skip_space(b, pt);
        if pt >= b.len() {
            return Err(syntax());
        }
        let (val, consumed, overflow) = strtof(&b[pt..]);
        if consumed == 0 {
            return Err(syntax());
        }
        let token = s.get(pt..pt + consumed).unwrap_or("");
        out.push(convert(val, overflow, token)?);
        pt = skip_space(b, pt + consumed);
        match b.get(pt) {
            Some(b',') => pt += 1,
            Some(b']') => {
                pt += 1;
                break;
            }
            _ => return Err(syntax()),
        }
    }

    // Only whitespace is allowed after the closing bracket.
    if skip_space(b, pt) != b.len() {
        return Err(syntax());
    }
    check_expected_dim(typmod, out.len())?;
    Ok(out)
}

/// `vector(n)` dimension check used by casts and assignments.
pub fn check_dims_vector(v: &[f32], typmod: Option<usize>) -> Result<()> {
    check_expected_dim(typmod, v.len())
}

fn check_expected_dim(typmod: Option<usize>, dim: usize) -> Result<()> {
    match typmod {
        Some(expected) if expected != dim => Err(QuiverError::DimensionMismatch {
            expected,
            actual: dim,
        }),
        _ => Ok(()),
    }
}

fn check_element_f32(v: f32, type_name: &'static str) -> Result<()> {
    if v.is_nan() {
        Err(QuiverError::NanNotAllowed(type_name))
    } else if v.is_infinite() {
        Err(QuiverError::InfiniteNotAllowed(type_name))
    } else {
        Ok(())
    }
}

fn check_element_f16(v: f16, type_name: &'static str) -> Result<()> {
    if v.is_nan() {
        Err(QuiverError::NanNotAllowed(type_name))
    } else if v.is_infinite() {
        Err(QuiverError::InfiniteNotAllowed(type_name))
    } else {
        Ok(())
    }
}

fn invalid_syntax(type_name: &str, input: &str) -> QuiverError {
    QuiverError::InvalidTextRepresentation {
        type_name: type_name.to_string(),
        input: input.to_string(),
    }
}

fn out_of_range(token: &str, type_name: &str) -> QuiverError {
    QuiverError::NumericOutOfRange(format!("\"{token}\" is out of range for type {type_name}"))
}

/// pgvector's `vector_isspace` (also C's `isspace` in the C locale).
fn is_pg_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn skip_space(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && is_pg_space(b[i]) {
        i += 1;
    }
    i
}

// ============================================================================================
// Text input: sparsevec
// ============================================================================================

/// Parses pgvector `sparsevec` text input: `'{1:1.5,3:2}/5'` (1-based indices in text). Zero
/// values are dropped; elements are sorted by index; duplicates and out-of-range indices are
/// errors, as in pgvector.
pub fn parse_sparsevec(s: &str, typmod: Option<usize>) -> Result<SparseVec> {
    const TYPE: &str = "sparsevec";
    let b = s.as_bytes();
    let syntax = || invalid_syntax(TYPE, s);

    // pgvector sizes its element buffer by counting commas first.
    let max_nnz = 1 + b.iter().filter(|&&c| c == b',').count();
    if max_nnz > SPARSEVEC_MAX_NNZ {
        return Err(too_many_nnz());
    }

    let mut elements: Vec<(i32, f32)> = Vec::new();
    let mut pt = skip_space(b, 0);
    if b.get(pt) != Some(&b'{') {
        return Err(syntax());
    }
    pt = skip_space(b, pt + 1);

    if b.get(pt) == Some(&b'}') {
        pt += 1;
    } else {
        loop {
            pt = skip_space(b, pt);
            if pt >= b.len() {
                return Err(syntax());
            }
            let (index, consumed) = strtol(&b[pt..]);
            if consumed == 0 {
                return Err(syntax());
            }
            // Keep in int range (pgvector clamps so that `index - 1` cannot overflow).
            let index = index.clamp(i32::MIN as i64 + 1, i32::MAX as i64) as i32;
            pt = skip_space(b, pt + consumed);
            if b.get(pt) != Some(&b':') {
                return Err(syntax());
            }
            pt = skip_space(b, pt + 1);

            let (value, consumed, overflow) = strtof(b.get(pt..).unwrap_or(&[]));
            if consumed == 0 {
                return Err(syntax());
            }
            if overflow {
                return Err(out_of_range(s.get(pt..pt + consumed).unwrap_or(""), TYPE));
            }
            check_element_f32(value, TYPE)?;
            // Do not store zero values; 1-based (SQL) to 0-based.
            if value != 0.0 {
                elements.push((index - 1, value));
            }

            pt = skip_space(b, pt + consumed);
            match b.get(pt) {
                Some(b',') => pt += 1,
                Some(b'}') => {
                    pt += 1;
                    break;
                }
                _ => return Err(syntax()),
            }
        }
    }

    pt = skip_space(b, pt);
    if b.get(pt) != Some(&b'/') {
        return Err(syntax());
    }
    pt = skip_space(b, pt + 1);
    let (dim, consumed) = strtol(b.get(pt..).unwrap_or(&[]));
    if consumed == 0 {
        return Err(syntax());
    }
    let dim = dim.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
    pt += consumed;
    if skip_space(b, pt) != b.len() {
        return Err(syntax());
    }

    check_sparse_dim(dim)?;
    check_expected_dim(typmod, dim as usize)?;

    elements.sort_by_key(|&(index, _)| index);
    let mut indices = Vec::with_capacity(elements.len());
    let mut values = Vec::with_capacity(elements.len());
    for (index, value) in elements {
        check_sparse_index(&indices, index, dim)?;
        indices.push(index);
        values.push(value);
    }
    Ok(SparseVec {
        dim,
        indices,
        values,
    })
}

fn too_many_nnz() -> QuiverError {
    QuiverError::ProgramLimitExceeded(format!(
        "sparsevec cannot have more than {SPARSEVEC_MAX_NNZ} non-zero elements"
    ))
}

fn check_sparse_dim(dim: i32) -> Result<()> {
    if dim < 1 {
        return Err(QuiverError::TooFewDimensions {
            type_name: "sparsevec",
        });
    }
    if dim as usize > SPARSEVEC_MAX_DIM {
        return Err(QuiverError::TooManyDimensions {
            type_name: "sparsevec",
            max: SPARSEVEC_MAX_DIM,
        });
    }
    Ok(())
}

/// pgvector's `CheckIndex`: `previous` holds the indices accepted so far.
fn check_sparse_index(previous: &[i32], index: i32, dim: i32) -> Result<()> {
    if index < 0 || index >= dim {
        return Err(QuiverError::DataException(
            "sparsevec index out of bounds".into(),
        ));
    }
    if let Some(&last) = previous.last() {
        if index < last {
            return Err(QuiverError::DataException(
                "sparsevec indices must be in ascending order".into(),
            ));
        }
        if index == last {
            return Err(QuiverError::DataException(
                "sparsevec indices must not contain duplicates".into(),
            ));
        }
    }
    Ok(())
}

// ============================================================================================
// Text input: bit(n)
// ============================================================================================

/// Parses PostgreSQL `bit` text input (`'101'`, `B'101'`-style `b101`, hex `x1F`) into a string of
/// `'0'`/`'1'`. `typmod` is `n` of `bit(n)`; the length must match exactly.
pub fn parse_bit(s: &str, typmod: Option<usize>) -> Result<String> {
    let (hex, body) = match s.as_bytes().first() {
        Some(b'b' | b'B') => (false, &s[1..]),
        Some(b'x' | b'X') => (true, &s[1..]),
        _ => (false, s),
    };
    // PostgreSQL measures the length in bytes (`strlen`).
    let bitlen = if hex {
        if body.len() > VARBIT_MAX_LEN / 4 {
            return Err(QuiverError::ProgramLimitExceeded(format!(
                "bit string length exceeds the maximum allowed ({VARBIT_MAX_LEN})"
            )));
        }
        body.len() * 4
    } else {
        body.len()
    };
    if let Some(n) = typmod.filter(|&n| n > 0) {
        if bitlen != n {
            return Err(QuiverError::StringDataLengthMismatch(format!(
                "bit string length {bitlen} does not match type bit({n})"
            )));
        }
    }

    let mut out = String::with_capacity(bitlen);
    if hex {
        for c in body.chars() {
            let Some(d) = c.to_digit(16) else {
                return Err(QuiverError::InvalidTextValue(format!(
                    "\"{c}\" is not a valid hexadecimal digit"
                )));
            };
            for shift in (0..4).rev() {
                out.push(if (d >> shift) & 1 == 1 { '1' } else { '0' });
            }
        }
    } else {
        for c in body.chars() {
            if c != '0' && c != '1' {
                return Err(QuiverError::InvalidTextValue(format!(
                    "\"{c}\" is not a valid binary digit"
                )));
            }
            out.push(c);
        }
    }
    Ok(out)
}

// ============================================================================================
// C number scanning (strtof / strtol in the C locale)
// ============================================================================================

/// C `strtof` on `b` (which the caller has already stripped of leading whitespace): returns the
/// value, the number of bytes consumed (0: no conversion) and whether the result overflowed
/// (`errno == ERANGE` with an infinite result). Accepts decimal, hexadecimal (`0x1p-3`), `inf`,
/// `infinity` and `nan` / `nan(...)`, case-insensitively, with an optional sign.
fn strtof(b: &[u8]) -> (f32, usize, bool) {
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let signed = |v: f32| if neg { -v } else { v };
    let rest = &b[i..];

    if starts_with_ignore_case(rest, b"inf") {
        let n = if starts_with_ignore_case(rest, b"infinity") {
            8
        } else {
            3
        };
        return (signed(f32::INFINITY), i + n, false);
    }
    if starts_with_ignore_case(rest, b"nan") {
        let mut n = 3;
        if rest.get(3) == Some(&b'(') {
            let mut j = 4;
            while j < rest.len() && (rest[j].is_ascii_alphanumeric() || rest[j] == b'_') {
                j += 1;
            }
            if rest.get(j) == Some(&b')') {
                n = j + 1;
            }
        }
        return (signed(f32::NAN), i + n, false);
    }
    if rest.len() >= 2 && rest[0] == b'0' && (rest[1] | 0x20) == b'x' {
        if let Some((v, n)) = parse_hex_float(&rest[2..]) {
            return (signed(v), i + 2 + n, v.is_infinite());
        }
        // "0x" without hex digits: C consumes just the "0" (decimal path below).
    }

    // Decimal: digits [. digits] (at least one digit), then an exponent only if it has digits.
    let start = i;
    let mut j = i;
    let mut ndigits = 0usize;
    while j < b.len() && b[j].is_ascii_digit() {
        j += 1;
        ndigits += 1;
    }
    if j < b.len() && b[j] == b'.' {
        let mut k = j + 1;
        let mut frac = 0usize;
        while k < b.len() && b[k].is_ascii_digit() {
            k += 1;
            frac += 1;
        }
        if ndigits + frac > 0 {
            j = k;
            ndigits += frac;
        }
    }
    if ndigits == 0 {
        return (0.0, 0, false);
    }
    if j < b.len() && (b[j] | 0x20) == b'e' {
        let mut k = j + 1;
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        if k < b.len() && b[k].is_ascii_digit() {
            while k < b.len() && b[k].is_ascii_digit() {
                k += 1;
            }
            j = k;
        }
    }
    // The token is ASCII and matches Rust's float grammar, which rounds correctly like strtof.
    let v = std::str::from_utf8(&b[start..j])
        .ok()
        .and_then(|t| t.parse::<f32>().ok())
        .unwrap_or(0.0);
    (signed(v), j, v.is_infinite())
}

fn starts_with_ignore_case(b: &[u8], word: &[u8]) -> bool {
    b.len() >= word.len() && b[..word.len()].eq_ignore_ascii_case(word)
}

fn hex_value(c: u8) -> Option<u64> {
    (c as char).to_digit(16).map(u64::from)
}

/// The part of a C hexadecimal float after `0x`: `h* [. h*] [p [+-] d+]` with at least one hex
/// digit. Returns the correctly rounded (to nearest, ties to even) magnitude and bytes consumed.
fn parse_hex_float(b: &[u8]) -> Option<(f32, usize)> {
    let mut i = 0;
    let mut mant: u64 = 0;
    let mut exp2: i64 = 0;
    let mut sticky = false;
    let mut any = false;
    while i < b.len() {
        let Some(d) = hex_value(b[i]) else { break };
        any = true;
        if mant >> 60 == 0 {
            mant = (mant << 4) | d;
        } else {
            exp2 += 4;
            sticky |= d != 0;
        }
        i += 1;
    }
    if i < b.len() && b[i] == b'.' {
        let mut j = i + 1;
        let mut frac_any = false;
        while j < b.len() {
            let Some(d) = hex_value(b[j]) else { break };
            frac_any = true;
            if mant >> 60 == 0 {
                mant = (mant << 4) | d;
                exp2 -= 4;
            } else {
                sticky |= d != 0;
            }
            j += 1;
        }
        if any || frac_any {
            any = true;
            i = j;
        }
    }
    if !any {
        return None;
    }
    if i < b.len() && (b[i] | 0x20) == b'p' {
        let mut k = i + 1;
        let neg = b.get(k) == Some(&b'-');
        if k < b.len() && (b[k] == b'+' || b[k] == b'-') {
            k += 1;
        }
        if k < b.len() && b[k].is_ascii_digit() {
            let mut e: i64 = 0;
            while k < b.len() && b[k].is_ascii_digit() {
                e = (e * 10 + i64::from(b[k] - b'0')).min(1 << 40);
                k += 1;
            }
            exp2 += if neg { -e } else { e };
            i = k;
        }
    }
    Some((round_to_f32(mant, exp2, sticky), i))
}

/// `mant * 2^exp2` (plus a little more when `sticky`) rounded to the nearest `f32`, ties to even;
/// overflow gives infinity, underflow zero or a subnormal.
fn round_to_f32(mant: u64, exp2: i64, sticky: bool) -> f32 {
    if mant == 0 {
        return 0.0;
    }
    let msb = 63 - i64::from(mant.leading_zeros());
    let e = msb + exp2; // value in [2^e, 2^(e+1))
    if e > 128 {
        return f32::INFINITY;
    }
    if e < -151 {
        return 0.0;
    }
    // Exponent of the last bit kept: 24 significant bits, or fewer for subnormals.
    let lsb = (e - 23).max(-149);
    let shift = lsb - exp2;
    let m: u64 = if shift <= 0 {
        // Fits in 24 bits (and `sticky` is only ever set for 61+-bit mantissas, never here).
        mant << ((-shift) as u32)
    } else {
        let wide = u128::from(mant);
        let shift = shift as u32; // <= 64 by construction
        let kept = wide >> shift;
        let rem = wide & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        let round_up = rem > half || (rem == half && (sticky || kept & 1 == 1));
        (kept as u64) + u64::from(round_up)
    };
    let scale = f64::from_bits(((1023 + lsb) as u64) << 52);
    (m as f64 * scale) as f32
}

/// C `strtol(.., 10)` on `b` (leading whitespace already skipped): saturating value (as a 64-bit
/// `long`) and bytes consumed (0: no conversion).
fn strtol(b: &[u8]) -> (i64, usize) {
    let mut i = 0;
    let neg = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let digits_start = i;
    let mut v: i64 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        let d = i64::from(b[i] - b'0');
        v = if neg {
            v.saturating_mul(10).saturating_sub(d)
        } else {
            v.saturating_mul(10).saturating_add(d)
        };
        i += 1;
    }
    if i == digits_start {
        return (0, 0);
    }
    (v, i)
}

// ============================================================================================
// Text output
// ============================================================================================

/// pgvector `vector` text output: `[1,2.5,-3e-05]`.
pub fn format_vector(v: &[f32]) -> String {
    let mut out = String::with_capacity(2 + v.len() * 10);
    out.push('[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_float4(&mut out, x);
    }
    out.push(']');
    out
}

/// pgvector `halfvec` text output: each element widened to `float4` and printed as such.
pub fn format_halfvec(v: &[f16]) -> String {
    let mut out = String::with_capacity(2 + v.len() * 8);
    out.push('[');
    for (i, &x) in v.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_float4(&mut out, x.to_f32());
    }
    out.push(']');
    out
}

/// pgvector `sparsevec` text output: `{1:1.5,3:2}/5` (1-based indices).
pub fn format_sparsevec(v: &SparseVec) -> String {
    let mut out = String::with_capacity(8 + v.indices.len() * 14);
    out.push('{');
    for (i, (&index, &value)) in v.indices.iter().zip(&v.values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{}:", i64::from(index) + 1);
        push_float4(&mut out, value);
    }
    let _ = write!(out, "}}/{}", v.dim);
    out
}

/// PostgreSQL `float4` text output (`extra_float_digits = 1`, the default): the shortest decimal
/// that reads back as the same value, fixed-point for decimal exponents -4..=5, otherwise
/// `d.ddde+XX`. `NaN`, `Infinity`, `-Infinity`; negative zero prints as `-0`.
pub fn format_float4(v: f32) -> String {
    let mut out = String::with_capacity(16);
    push_float4(&mut out, v);
    out
}

/// PostgreSQL `float8` text output: as [`format_float4`] with fixed-point for exponents -4..=14.
pub fn format_float8(v: f64) -> String {
    let mut out = String::with_capacity(24);
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut b = ryu::Buffer::new();
        let sci = ryu_to_sci(b.format_finite(v.abs()));
        push_shortest(&mut out, v.is_sign_negative(), &sci, 15);
    }
    out
}

fn push_float4(out: &mut String, v: f32) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let mut b = ryu::Buffer::new();
        let sci = ryu_to_sci(b.format_finite(v.abs()));
        push_shortest(out, v.is_sign_negative(), &sci, 6);
    }
}

/// Lays out Rust's shortest round-trip scientific form (`1.2345e-5`, `1e20`, `0e0`), whose digits
/// are those Ryu picks, the way PostgreSQL's `d2s.c` / `f2s.c` `to_chars` does: fixed-point when
/// `-4 <= exponent < fixed_max_exp`, else `d[.ddd]e±XX` with at least two exponent digits.
/// Ryu's shortest digits (the algorithm PostgreSQL uses, including its round-half-even choice
/// between equally short candidates), as `DIGITSeEXP` with the decimal point after the first digit.
fn ryu_to_sci(r: &str) -> String {
    let (m, e) = match r.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (r, 0),
    };
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let all: String = format!("{int}{frac}");
    let lead = all.len() - all.trim_start_matches('0').len();
    let digits = all.trim_start_matches('0').trim_end_matches('0');
    if digits.is_empty() {
        return "0e0".into();
    }
    let exp = e + int.len() as i32 - 1 - lead as i32;
    format!("{digits}e{exp}")
}

fn push_shortest(out: &mut String, negative: bool, sci: &str, fixed_max_exp: i32) {
    let (mantissa, exp) = match sci.split_once('e') {
        Some((m, e)) => (m, e.parse::<i32>().unwrap_or(0)),
        None => (sci, 0),
    };
    let mut buf = [b'0'; 40];
    let mut nd = 0;
    for c in mantissa.bytes() {
        if c.is_ascii_digit() && nd < buf.len() {
            buf[nd] = c;
            nd += 1;
        }
    }
    let nd = nd.max(1);
    let digits = &buf[..nd];
    let push_digits = |out: &mut String, d: &[u8]| {
        for &c in d {
            out.push(c as char);
        }
    };

    if negative {
        out.push('-');
    }
    if (-4..fixed_max_exp).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if nd <= int_len {
                push_digits(out, digits);
                for _ in nd..int_len {
                    out.push('0');
                }
            } else {
                push_digits(out, &digits[..int_len]);
                out.push('.');
                push_digits(out, &digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            for _ in 0..(-exp - 1) {
                out.push('0');
            }
            push_digits(out, digits);
        }
    } else {
        push_digits(out, &digits[..1]);
        if nd > 1 {
            out.push('.');
            push_digits(out, &digits[1..]);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        let a = exp.unsigned_abs();
        if a < 10 {
            out.push('0');
        }
        let _ = write!(out, "{a}");
    }
}

// ============================================================================================
// Binary wire formats
// ============================================================================================

/// Big-endian reader over a binary parameter, with PostgreSQL's `pq_getmsg*` failure modes.
struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(b: &'a [u8]) -> Self {
        Reader { b, pos: 0 }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.b.len())
            .ok_or_else(|| {
                QuiverError::InvalidBinaryRepresentation("insufficient data left in message".into())
            })?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u16(&mut self) -> Result<u16> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    fn i16(&mut self) -> Result<i16> {
        Ok(self.u16()? as i16)
    }

    fn i32(&mut self) -> Result<i32> {
        let s = self.take(4)?;
        Ok(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
    }

    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.i32()? as u32))
    }

    /// PostgreSQL rejects a binary parameter its receive function did not read to the end.
    fn finish(&self) -> Result<()> {
        if self.pos != self.b.len() {
            return Err(QuiverError::InvalidBinaryRepresentation(
                "incorrect binary data format".into(),
            ));
        }
        Ok(())
    }
}

fn unused_not_zero(unused: i32) -> QuiverError {
    QuiverError::DataException(format!("expected unused to be 0, not {unused}"))
}

fn check_dense_dim(dim: i32, type_name: &'static str, max: usize) -> Result<()> {
    if dim < 1 {
        return Err(QuiverError::TooFewDimensions { type_name });
    }
    if dim as usize > max {
        return Err(QuiverError::TooManyDimensions { type_name, max });
    }
    Ok(())
}

/// pgvector `vector_send`: int16 dim, int16 unused (0), float4[dim], big-endian.
pub fn vector_to_binary(v: &[f32], out: &mut Vec<u8>) {
    out.reserve(4 + 4 * v.len());
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for &x in v {
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
}

/// pgvector `vector_recv`.
pub fn vector_from_binary(b: &[u8]) -> Result<Vec<f32>> {
    let mut r = Reader::new(b);
    let dim = r.i16()?;
    let unused = r.i16()?;
    check_dense_dim(i32::from(dim), "vector", VECTOR_MAX_DIM)?;
    if unused != 0 {
        return Err(unused_not_zero(i32::from(unused)));
    }
    let mut v = Vec::with_capacity(dim as usize);
    for _ in 0..dim {
        let x = r.f32()?;
        check_element_f32(x, "vector")?;
        v.push(x);
    }
    r.finish()?;
    Ok(v)
}

/// pgvector `halfvec_send`: int16 dim, int16 unused (0), uint16 half bits[dim], big-endian.
pub fn halfvec_to_binary(v: &[f16], out: &mut Vec<u8>) {
    out.reserve(4 + 2 * v.len());
    out.extend_from_slice(&(v.len() as u16).to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes());
    for &x in v {
        out.extend_from_slice(&x.to_bits().to_be_bytes());
    }
}

/// pgvector `halfvec_recv`.
pub fn halfvec_from_binary(b: &[u8]) -> Result<Vec<f16>> {
    let mut r = Reader::new(b);
    let dim = r.i16()?;
    let unused = r.i16()?;
    check_dense_dim(i32::from(dim), "halfvec", HALFVEC_MAX_DIM)?;
    if unused != 0 {
        return Err(unused_not_zero(i32::from(unused)));
    }
    let mut v = Vec::with_capacity(dim as usize);
    for _ in 0..dim {
        let x = f16::from_bits(r.u16()?);
        check_element_f16(x, "halfvec")?;
        v.push(x);
    }
    r.finish()?;
    Ok(v)
}

/// pgvector `sparsevec_send`: int32 dim, int32 nnz, int32 unused (0), int32 indices[nnz]
/// (0-based), float4 values[nnz], big-endian.
pub fn sparsevec_to_binary(v: &SparseVec, out: &mut Vec<u8>) {
    let nnz = v.indices.len().min(v.values.len());
    out.reserve(12 + 8 * nnz);
    out.extend_from_slice(&v.dim.to_be_bytes());
    out.extend_from_slice(&(nnz as i32).to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes());
    for &index in &v.indices[..nnz] {
        out.extend_from_slice(&index.to_be_bytes());
    }
    for &value in &v.values[..nnz] {
        out.extend_from_slice(&value.to_bits().to_be_bytes());
    }
}

/// pgvector `sparsevec_recv`: indices must be in bounds, ascending and unique; values finite and
/// non-zero.
pub fn sparsevec_from_binary(b: &[u8]) -> Result<SparseVec> {
    let mut r = Reader::new(b);
    let dim = r.i32()?;
    let nnz = r.i32()?;
    let unused = r.i32()?;

    check_sparse_dim(dim)?;
    if nnz < 0 {
        return Err(QuiverError::DataException(
            "sparsevec cannot have negative number of elements".into(),
        ));
    }
    if nnz as usize > SPARSEVEC_MAX_NNZ {
        return Err(too_many_nnz());
    }
    if nnz > dim {
        return Err(QuiverError::DataException(
            "sparsevec cannot have more elements than dimensions".into(),
        ));
    }
    if unused != 0 {
        return Err(unused_not_zero(unused));
    }

    let nnz = nnz as usize;
    let mut indices = Vec::with_capacity(nnz);
    for _ in 0..nnz {
        let index = r.i32()?;
        check_sparse_index(&indices, index, dim)?;
        indices.push(index);
    }
    let mut values = Vec::with_capacity(nnz);
    for _ in 0..nnz {
        let value = r.f32()?;
        check_element_f32(value, "sparsevec")?;
        if value == 0.0 {
            return Err(QuiverError::DataException(
                "binary representation of sparsevec cannot contain zero values".into(),
            ));
        }
        values.push(value);
    }
    r.finish()?;
    Ok(SparseVec {
        dim,
        indices,
        values,
    })
}

/// PostgreSQL `varbit_send` / `bit_send`: int32 bit length, then the bits packed MSB first, the
/// last byte zero-padded. Any character other than `'1'` counts as a 0 bit.
pub fn bit_to_binary(bits: &str, out: &mut Vec<u8>) {
    let bitlen = bits.chars().count();
    out.reserve(4 + bitlen.div_ceil(8));
    out.extend_from_slice(&(bitlen as i32).to_be_bytes());
    let mut byte = 0u8;
    let mut n = 0;
    for c in bits.chars() {
        byte = (byte << 1) | u8::from(c == '1');
        n += 1;
        if n == 8 {
            out.push(byte);
            byte = 0;
            n = 0;
        }
    }
    if n > 0 {
        out.push(byte << (8 - n));
    }
}

/// PostgreSQL `bit_recv`: pad bits of the last byte are ignored (PostgreSQL zeroes them).
pub fn bit_from_binary(b: &[u8]) -> Result<String> {
    let mut r = Reader::new(b);
    let bitlen = r.i32()?;
    if bitlen < 0 || bitlen as usize > VARBIT_MAX_LEN {
        return Err(QuiverError::InvalidBinaryRepresentation(
            "invalid length in external bit string".into(),
        ));
    }
    let bitlen = bitlen as usize;
    let bytes = r.take(bitlen.div_ceil(8))?;
    r.finish()?;
    let mut out = String::with_capacity(bitlen);
    for i in 0..bitlen {
        let bit = (bytes[i / 8] >> (7 - (i % 8))) & 1;
        out.push(if bit == 1 { '1' } else { '0' });
    }
    Ok(out)
}

// ============================================================================================
// Tests
// ============================================================================================

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.to_string(),
        }
    }

    fn state(r: Result<impl std::fmt::Debug>) -> &'static str {
        match r {
            Ok(v) => panic!("expected an error, got {v:?}"),
            Err(e) => e.sqlstate(),
        }
    }

    /// Deterministic xorshift generator for the fuzz-style tests.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    // ---- float output ----------------------------------------------------------------------

    #[test]
    fn float4_output_matches_postgres() {
        let cases: &[(f32, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (2.5, "2.5"),
            (-3e-5, "-3e-05"),
            (0.0001, "0.0001"),
            (0.00012345, "0.00012345"),
            (0.1, "0.1"),
            (0.3, "0.3"),
            (100.0, "100"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (12345678.0, "1.2345678e+07"),
            (1e6, "1e+06"),
            (1.5e20, "1.5e+20"),
            (1.234_567_9, "1.2345679"),
            (16777216.0, "1.6777216e+07"),
            (f32::MAX, "3.4028235e+38"),
            (f32::MIN_POSITIVE, "1.1754944e-38"),
            (f32::from_bits(1), "1e-45"),
            (-1.5, "-1.5"),
            (f32::NAN, "NaN"),
            (f32::INFINITY, "Infinity"),
            (f32::NEG_INFINITY, "-Infinity"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_float4(v), want, "float4 {v:e}");
        }
    }

    #[test]
    fn float8_output_matches_postgres() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (std::f64::consts::SQRT_2, "1.4142135623730951"),
            (1e100, "1e+100"),
            (1e-5, "1e-05"),
            (1e-4, "0.0001"),
            (1e15, "1e+15"),
            (1e14, "100000000000000"),
            (123456789012345.6, "123456789012345.6"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1.5e300, "1.5e+300"),
            (-2.5, "-2.5"),
            (f64::NAN, "NaN"),
            (f64::NEG_INFINITY, "-Infinity"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_float8(v), want, "float8 {v:e}");
        }
    }

    #[test]
    fn float_output_round_trips() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20000 {
            let x = f32::from_bits(rng.next() as u32);
            if x.is_finite() {
                let s = format_float4(x);
                assert_eq!(s.parse::<f32>().unwrap().to_bits(), x.to_bits(), "{s}");
            }
            let y = f64::from_bits(rng.next());
            if y.is_finite() {
                let s = format_float8(y);
                assert_eq!(s.parse::<f64>().unwrap().to_bits(), y.to_bits(), "{s}");
            }
        }
    }

    // ---- vector text -----------------------------------------------------------------------

    #[test]
    fn vector_text_basics() {
        assert_eq!(parse_vector("[1,2,3]", None).unwrap(), vec![1.0, 2.0, 3.0]);
        assert_eq!(
            parse_vector(" \t[ 1 , 2.5 ,-3e-5 ]\n ", Some(3)).unwrap(),
            vec![1.0, 2.5, -3e-5]
        );
        assert_eq!(format_vector(&[1.0, 2.5, -3e-5]), "[1,2.5,-3e-05]");
        assert_eq!(
            format_vector(&parse_vector("[1.23456789]", None).unwrap()),
            "[1.2345679]"
        );
        assert_eq!(
            parse_vector("[1.,.5,+1,1E2]", None).unwrap(),
            vec![1.0, 0.5, 1.0, 100.0]
        );
        assert_eq!(parse_vector("[1e-50]", None).unwrap(), vec![0.0]);
        assert_eq!(
            parse_vector("[0x10,0x1p-2,0X.8]", None).unwrap(),
            vec![16.0, 0.25, 0.5]
        );
        assert_eq!(format_vector(&[-0.0]), "[-0]");
    }

    #[test]
    fn vector_text_errors() {
        assert_eq!(
            msg(parse_vector("[1,2", None)),
            "invalid input syntax for type vector: \"[1,2\""
        );
        assert_eq!(state(parse_vector("[1,2", None)), "22P02");
        for bad in [
            "", " ", "1,2", "[", "[1,]", "[,1]", "[1 2]", "[1]x", "[1]]", "[-]", "[.]", "[0x]",
            "[1e]", "[1,2]é", "é", "[１]", "[1;2]", "[[1]]", "[1,,2]", "{1}", "[1e+]", "[ ,]",
        ] {
            let e = parse_vector(bad, None).unwrap_err();
            assert!(
                matches!(e, QuiverError::InvalidTextRepresentation { .. }),
                "{bad:?} gave {e:?}"
            );
        }
        assert_eq!(
            msg(parse_vector("[]", None)),
            "vector must have at least 1 dimension"
        );
        assert_eq!(
            msg(parse_vector(" [ ] ", None)),
            "vector must have at least 1 dimension"
        );
        assert_eq!(
            msg(parse_vector("[nan]", None)),
            "NaN not allowed in vector"
        );
        assert_eq!(
            msg(parse_vector("[1,NaN(abc)]", None)),
            "NaN not allowed in vector"
        );
        assert_eq!(
            msg(parse_vector("[inf]", None)),
            "infinite value not allowed in vector"
        );
        assert_eq!(
            msg(parse_vector("[-Infinity]", None)),
            "infinite value not allowed in vector"
        );
        assert_eq!(
            msg(parse_vector("[1e50]", None)),
            "\"1e50\" is out of range for type vector"
        );
        assert_eq!(state(parse_vector("[1e50]", None)), "22003");
        assert_eq!(
            msg(parse_vector("[-1e39]", None)),
            "\"-1e39\" is out of range for type vector"
        );
        assert_eq!(
            msg(parse_vector("[0x1p200]", None)),
            "\"0x1p200\" is out of range for type vector"
        );
        assert_eq!(
            msg(parse_vector("[1,2,3]", Some(2))),
            "expected 2 dimensions, not 3"
        );
        assert_eq!(state(parse_vector("[1,2,3]", Some(2))), "22000");
        // Element errors come before later syntax errors, as in pgvector's single pass.
        assert_eq!(
            msg(parse_vector("[nan,", None)),
            "NaN not allowed in vector"
        );
    }

    #[test]
    fn vector_dimension_limit() {
        let ok = format!("[{}]", vec!["1"; VECTOR_MAX_DIM].join(","));
        assert_eq!(parse_vector(&ok, None).unwrap().len(), VECTOR_MAX_DIM);
        let too_many = format!("[{}]", vec!["1"; VECTOR_MAX_DIM + 1].join(","));
        assert_eq!(
            msg(parse_vector(&too_many, None)),
            "vector cannot have more than 16000 dimensions"
        );
        assert_eq!(state(parse_vector(&too_many, None)), "54000");
    }

    #[test]
    fn vector_text_round_trips() {
        let mut rng = Rng(12345);
        for _ in 0..500 {
            let n = 1 + rng.below(20);
            let v: Vec<f32> = (0..n)
                .map(|_| loop {
                    let x = f32::from_bits(rng.next() as u32);
                    if x.is_finite() {
                        break x;
                    }
                })
                .collect();
            let back = parse_vector(&format_vector(&v), Some(n)).unwrap();
            let bits: Vec<u32> = back.iter().map(|x| x.to_bits()).collect();
            let want: Vec<u32> = v.iter().map(|x| x.to_bits()).collect();
            assert_eq!(bits, want);
        }
    }

    #[test]
    fn check_dims() {
        assert!(check_dims_vector(&[1.0, 2.0], Some(2)).is_ok());
        assert!(check_dims_vector(&[1.0, 2.0], None).is_ok());
        assert_eq!(
            msg(check_dims_vector(&[1.0, 2.0], Some(3))),
            "expected 3 dimensions, not 2"
        );
    }

    #[test]
    fn hex_float_rounding() {
        // Ties to even, sticky bits, subnormals and overflow.
        let (v, n, o) = strtof(b"0x1.000001p0");
        assert_eq!((v, n, o), (1.0, 12, false)); // exactly half an ulp above 1: ties to even
        let (v, _, _) = strtof(b"0x1.0000010000000000000001p0");
        assert_eq!(v, 1.0 + f32::EPSILON); // just above the tie
        let (v, _, _) = strtof(b"0x1.000003p0");
        assert_eq!(v, 1.0 + 2.0 * f32::EPSILON); // tie, odd below: rounds up to even
        let (v, _, _) = strtof(b"0x1p-149");
        assert_eq!(v.to_bits(), 1);
        let (v, _, _) = strtof(b"0x1p-150");
        assert_eq!(v, 0.0); // tie with 0, rounds to even
        let (v, _, _) = strtof(b"0x1.8p-150");
        assert_eq!(v.to_bits(), 1);
        let (v, _, o) = strtof(b"0x1.fffffffp127");
        assert!(v.is_infinite() && o);
        let (v, _, o) = strtof(b"0x1.fffffep127");
        assert_eq!((v, o), (f32::MAX, false));
        let (v, n, _) = strtof(b"0x1p");
        assert_eq!((v, n), (1.0, 3));
        let (v, n, _) = strtof(b"-0xAp+1x");
        assert_eq!((v, n), (-20.0, 7));
    }

    // ---- halfvec text ----------------------------------------------------------------------

    #[test]
    fn halfvec_text() {
        let v = parse_halfvec("[1.5, 2,-0.25]", Some(3)).unwrap();
        assert_eq!(format_halfvec(&v), "[1.5,2,-0.25]");
        let v = parse_halfvec("[0.1]", None).unwrap();
        assert_eq!(
            format_halfvec(&v),
            format!("[{}]", format_float4(f16::from_f32(0.1).to_f32()))
        );
        assert_eq!(parse_halfvec("[65504]", None).unwrap()[0].to_f32(), 65504.0);
        assert_eq!(parse_halfvec("[65519]", None).unwrap()[0].to_f32(), 65504.0);
        assert_eq!(parse_halfvec("[1e-10]", None).unwrap()[0].to_f32(), 0.0);
        assert_eq!(
            msg(parse_halfvec("[70000]", None)),
            "\"70000\" is out of range for type halfvec"
        );
        assert_eq!(
            msg(parse_halfvec("[65520]", None)),
            "\"65520\" is out of range for type halfvec"
        );
        assert_eq!(
            msg(parse_halfvec("[1e50]", None)),
            "\"1e50\" is out of range for type halfvec"
        );
        assert_eq!(
            msg(parse_halfvec("[nan]", None)),
            "NaN not allowed in halfvec"
        );
        assert_eq!(
            msg(parse_halfvec("[inf]", None)),
            "infinite value not allowed in halfvec"
        );
        assert_eq!(
            msg(parse_halfvec("[]", None)),
            "halfvec must have at least 1 dimension"
        );
        assert_eq!(
            msg(parse_halfvec("[1", None)),
            "invalid input syntax for type halfvec: \"[1\""
        );
        assert_eq!(
            msg(parse_halfvec("[1,2]", Some(1))),
            "expected 1 dimensions, not 2"
        );
        let too_many = format!("[{}]", vec!["1"; HALFVEC_MAX_DIM + 1].join(","));
        assert_eq!(
            msg(parse_halfvec(&too_many, None)),
            "halfvec cannot have more than 16000 dimensions"
        );
    }

    // ---- sparsevec text --------------------------------------------------------------------

    #[test]
    fn sparsevec_text() {
        let v = parse_sparsevec("{1:1.5,3:2}/5", None).unwrap();
        assert_eq!(
            v,
            SparseVec {
                dim: 5,
                indices: vec![0, 2],
                values: vec![1.5, 2.0]
            }
        );
        assert_eq!(format_sparsevec(&v), "{1:1.5,3:2}/5");
        let v = parse_sparsevec(" { 3 : 2 , 1 : 1.5 } / 5 ", Some(5)).unwrap();
        assert_eq!(v.indices, vec![0, 2]);
        assert_eq!(v.values, vec![1.5, 2.0]);
        let v = parse_sparsevec("{}/3", None).unwrap();
        assert_eq!(
            v,
            SparseVec {
                dim: 3,
                indices: vec![],
                values: vec![]
            }
        );
        assert_eq!(format_sparsevec(&v), "{}/3");
        let v = parse_sparsevec("{1:0,2:3,4:-0}/5", None).unwrap();
        assert_eq!((v.indices, v.values), (vec![1], vec![3.0]));
        // A zero value is dropped before its index is checked, as in pgvector.
        assert!(parse_sparsevec("{0:0}/5", None).is_ok());
        assert_eq!(parse_sparsevec("{+1:1}/+5", None).unwrap().dim, 5);
    }

    #[test]
    fn sparsevec_text_errors() {
        assert_eq!(
            msg(parse_sparsevec("{1:1,1:2}/5", None)),
            "sparsevec indices must not contain duplicates"
        );
        assert_eq!(
            msg(parse_sparsevec("{0:1}/5", None)),
            "sparsevec index out of bounds"
        );
        assert_eq!(
            msg(parse_sparsevec("{6:1}/5", None)),
            "sparsevec index out of bounds"
        );
        assert_eq!(
            msg(parse_sparsevec("{-99999999999999999999:1}/5", None)),
            "sparsevec index out of bounds"
        );
        assert_eq!(
            msg(parse_sparsevec("{}/0", None)),
            "sparsevec must have at least 1 dimension"
        );
        assert_eq!(
            msg(parse_sparsevec("{}/-3", None)),
            "sparsevec must have at least 1 dimension"
        );
        assert_eq!(
            msg(parse_sparsevec("{}/1000000001", None)),
            "sparsevec cannot have more than 1000000000 dimensions"
        );
        assert_eq!(
            msg(parse_sparsevec("{}/99999999999999999999999", None)),
            "sparsevec cannot have more than 1000000000 dimensions"
        );
        assert_eq!(
            msg(parse_sparsevec("{1:1}/5", Some(4))),
            "expected 4 dimensions, not 5"
        );
        assert_eq!(
            msg(parse_sparsevec("{1:nan}/5", None)),
            "NaN not allowed in sparsevec"
        );
        assert_eq!(
            msg(parse_sparsevec("{1:inf}/5", None)),
            "infinite value not allowed in sparsevec"
        );
        assert_eq!(
            msg(parse_sparsevec("{1:1e50}/5", None)),
            "\"1e50\" is out of range for type sparsevec"
        );
        for bad in [
            "",
            "{1:1}",
            "{1:1}/",
            "{1:1}/5x",
            "1:1/5",
            "{1}/5",
            "{a:1}/5",
            "{1:}/5",
            "{1:1,}/5",
            "{1.5:1}/5",
            "{1:1 2}/5",
            "{/5",
            "{1:1}/5/",
            "{１:1}/5",
            "{1:1}/é",
        ] {
            let e = parse_sparsevec(bad, None).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("invalid input syntax for type sparsevec: \"{bad}\""),
                "{bad:?}"
            );
        }
        let many = format!("{{{}}}/20000", vec!["1:1"; SPARSEVEC_MAX_NNZ + 1].join(","));
        assert_eq!(
            msg(parse_sparsevec(&many, None)),
            "sparsevec cannot have more than 16000 non-zero elements"
        );
        assert_eq!(state(parse_sparsevec(&many, None)), "54000");
    }

    // ---- bit text --------------------------------------------------------------------------

    #[test]
    fn bit_text() {
        assert_eq!(parse_bit("101", None).unwrap(), "101");
        assert_eq!(parse_bit("101", Some(3)).unwrap(), "101");
        assert_eq!(parse_bit("B101", None).unwrap(), "101");
        assert_eq!(parse_bit("x1F", None).unwrap(), "00011111");
        assert_eq!(parse_bit("Xa", Some(4)).unwrap(), "1010");
        assert_eq!(parse_bit("", None).unwrap(), "");
        assert_eq!(
            parse_bit("102", None).unwrap_err().to_string(),
            "\"2\" is not a valid binary digit"
        );
        assert_eq!(state(parse_bit("102", None)), "22P02");
        assert_eq!(
            msg(parse_bit("1é", None)),
            "\"é\" is not a valid binary digit"
        );
        assert_eq!(
            msg(parse_bit("xg", None)),
            "\"g\" is not a valid hexadecimal digit"
        );
        assert_eq!(
            msg(parse_bit("1010", Some(3))),
            "bit string length 4 does not match type bit(3)"
        );
        assert_eq!(state(parse_bit("1010", Some(3))), "22026");
        // The length check comes before digit validation, and counts bytes.
        assert_eq!(
            msg(parse_bit("12", Some(3))),
            "bit string length 2 does not match type bit(3)"
        );
        assert_eq!(
            msg(parse_bit("é", Some(1))),
            "bit string length 2 does not match type bit(1)"
        );
    }

    // ---- binary ----------------------------------------------------------------------------

    #[test]
    fn vector_binary() {
        let mut out = Vec::new();
        vector_to_binary(&[1.0, -2.0], &mut out);
        assert_eq!(out, vec![0, 2, 0, 0, 0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0]);
        assert_eq!(vector_from_binary(&out).unwrap(), vec![1.0, -2.0]);

        assert_eq!(
            msg(vector_from_binary(&[])),
            "insufficient data left in message"
        );
        assert_eq!(state(vector_from_binary(&out[..7])), "22P03");
        let mut trailing = out.clone();
        trailing.push(0);
        assert_eq!(
            msg(vector_from_binary(&trailing)),
            "incorrect binary data format"
        );
        assert_eq!(
            msg(vector_from_binary(&[0, 0, 0, 0])),
            "vector must have at least 1 dimension"
        );
        assert_eq!(
            msg(vector_from_binary(&[0xff, 0xff, 0, 0])),
            "vector must have at least 1 dimension"
        );
        assert_eq!(
            msg(vector_from_binary(&[0x3e, 0x81, 0, 0])),
            "vector cannot have more than 16000 dimensions"
        );
        assert_eq!(
            msg(vector_from_binary(&[0, 1, 0, 1, 0, 0, 0, 0])),
            "expected unused to be 0, not 1"
        );
        assert_eq!(
            msg(vector_from_binary(&[0, 1, 0, 0, 0x7f, 0xc0, 0, 0])),
            "NaN not allowed in vector"
        );
        assert_eq!(
            msg(vector_from_binary(&[0, 1, 0, 0, 0xff, 0x80, 0, 0])),
            "infinite value not allowed in vector"
        );
    }

    #[test]
    fn halfvec_binary() {
        let v = vec![f16::from_f32(1.0), f16::from_f32(-2.5)];
        let mut out = Vec::new();
        halfvec_to_binary(&v, &mut out);
        assert_eq!(out, vec![0, 2, 0, 0, 0x3c, 0x00, 0xc1, 0x00]);
        assert_eq!(halfvec_from_binary(&out).unwrap(), v);
        assert_eq!(
            msg(halfvec_from_binary(&[0, 1, 0, 0, 0x7e, 0])),
            "NaN not allowed in halfvec"
        );
        assert_eq!(
            msg(halfvec_from_binary(&[0, 1, 0, 0, 0x7c, 0])),
            "infinite value not allowed in halfvec"
        );
        assert_eq!(
            msg(halfvec_from_binary(&[0, 0, 0, 0])),
            "halfvec must have at least 1 dimension"
        );
        assert_eq!(
            msg(halfvec_from_binary(&[0, 1, 0, 0, 0x3c])),
            "insufficient data left in message"
        );
    }

    #[test]
    fn sparsevec_binary() {
        let v = SparseVec {
            dim: 5,
            indices: vec![0, 2],
            values: vec![1.5, 2.0],
        };
        let mut out = Vec::new();
        sparsevec_to_binary(&v, &mut out);
        assert_eq!(out.len(), 12 + 16);
        assert_eq!(&out[..12], &[0, 0, 0, 5, 0, 0, 0, 2, 0, 0, 0, 0]);
        assert_eq!(sparsevec_from_binary(&out).unwrap(), v);

        fn build(dim: i32, nnz: i32, unused: i32, idx: &[i32], vals: &[f32]) -> Vec<u8> {
            let mut b = Vec::new();
            b.extend_from_slice(&dim.to_be_bytes());
            b.extend_from_slice(&nnz.to_be_bytes());
            b.extend_from_slice(&unused.to_be_bytes());
            for i in idx {
                b.extend_from_slice(&i.to_be_bytes());
            }
            for x in vals {
                b.extend_from_slice(&x.to_bits().to_be_bytes());
            }
            b
        }
        assert_eq!(
            msg(sparsevec_from_binary(&build(0, 0, 0, &[], &[]))),
            "sparsevec must have at least 1 dimension"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, -1, 0, &[], &[]))),
            "sparsevec cannot have negative number of elements"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 6, 0, &[], &[]))),
            "sparsevec cannot have more elements than dimensions"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(100000, 16001, 0, &[], &[]))),
            "sparsevec cannot have more than 16000 non-zero elements"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 0, 7, &[], &[]))),
            "expected unused to be 0, not 7"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 2, 0, &[2, 1], &[1.0, 1.0]))),
            "sparsevec indices must be in ascending order"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 2, 0, &[1, 1], &[1.0, 1.0]))),
            "sparsevec indices must not contain duplicates"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 1, 0, &[5], &[1.0]))),
            "sparsevec index out of bounds"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 1, 0, &[1], &[0.0]))),
            "binary representation of sparsevec cannot contain zero values"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 1, 0, &[1], &[f32::NAN]))),
            "NaN not allowed in sparsevec"
        );
        assert_eq!(
            msg(sparsevec_from_binary(&build(5, 2, 0, &[1], &[]))),
            "insufficient data left in message"
        );
    }

    #[test]
    fn bit_binary() {
        let mut out = Vec::new();
        bit_to_binary("10110", &mut out);
        assert_eq!(out, vec![0, 0, 0, 5, 0b1011_0000]);
        assert_eq!(bit_from_binary(&out).unwrap(), "10110");
        assert_eq!(
            bit_from_binary(&[0, 0, 0, 5, 0b1011_0111]).unwrap(),
            "10110"
        );
        let mut out = Vec::new();
        bit_to_binary("1111111100000001", &mut out);
        assert_eq!(out, vec![0, 0, 0, 16, 0xff, 0x01]);
        assert_eq!(bit_from_binary(&out).unwrap(), "1111111100000001");
        let mut out = Vec::new();
        bit_to_binary("", &mut out);
        assert_eq!(out, vec![0, 0, 0, 0]);
        assert_eq!(bit_from_binary(&out).unwrap(), "");
        assert_eq!(
            msg(bit_from_binary(&[0xff, 0xff, 0xff, 0xff])),
            "invalid length in external bit string"
        );
        assert_eq!(
            msg(bit_from_binary(&[0x7f, 0xff, 0xff, 0xff])),
            "invalid length in external bit string"
        );
        assert_eq!(
            msg(bit_from_binary(&[0, 0, 0, 9, 1])),
            "insufficient data left in message"
        );
        assert_eq!(
            msg(bit_from_binary(&[0, 0, 0, 1, 1, 2])),
            "incorrect binary data format"
        );
    }

    // ---- never panic -----------------------------------------------------------------------

    #[test]
    fn garbage_text_never_panics() {
        let alphabet: Vec<&str> = vec![
            "[",
            "]",
            "{",
            "}",
            ":",
            "/",
            ",",
            ".",
            "-",
            "+",
            "e",
            "E",
            "0",
            "1",
            "9",
            "5",
            " ",
            "\t",
            "\n",
            "nan",
            "inf",
            "infinity",
            "0x",
            "p",
            "x",
            "b",
            "é",
            "😀",
            "\u{0}",
            "1e99",
            "1e-99",
            "99999999999999999999",
            "(",
            ")",
            "_",
            "65520",
            "NaN(",
            "１",
        ];
        let mut rng = Rng(0xDEAD_BEEF);
        for _ in 0..20000 {
            let n = rng.below(14);
            let mut s = String::new();
            if rng.below(2) == 0 {
                s.push(if rng.below(2) == 0 { '[' } else { '{' });
            }
            for _ in 0..n {
                s.push_str(alphabet[rng.below(alphabet.len())]);
            }
            let typmod = if rng.below(3) == 0 {
                Some(rng.below(5))
            } else {
                None
            };
            let _ = parse_vector(&s, typmod);
            let _ = parse_halfvec(&s, typmod);
            let _ = parse_sparsevec(&s, typmod);
            let _ = parse_bit(&s, typmod);
            if let Ok(v) = parse_vector(&s, None) {
                assert_eq!(parse_vector(&format_vector(&v), None).unwrap(), v);
            }
            if let Ok(v) = parse_sparsevec(&s, None) {
                assert_eq!(parse_sparsevec(&format_sparsevec(&v), None).unwrap(), v);
            }
        }
        let huge = "9".repeat(100_000);
        assert!(parse_vector(&format!("[{huge}]"), None).is_err());
        assert!(parse_vector(&format!("[0.{huge}]"), None).is_ok());
        assert!(parse_vector(&format!("[1e{huge}]"), None).is_err());
        assert_eq!(
            parse_vector(&format!("[1e-{huge}]"), None).unwrap(),
            vec![0.0]
        );
        assert!(parse_vector(&format!("[0x{huge}]"), None).is_err());
        assert_eq!(
            parse_vector(&format!("[0x1p-{huge}]"), None).unwrap(),
            vec![0.0]
        );
        assert!(parse_sparsevec(&format!("{{{huge}:1}}/{huge}"), None).is_err());
    }

    #[test]
    fn garbage_binary_never_panics() {
        let mut rng = Rng(42);
        for _ in 0..20000 {
            let n = rng.below(40);
            let mut b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            // Plausible headers now and then, so the element loops run.
            if n >= 4 && rng.below(2) == 0 {
                b[0] = 0;
                b[1] = rng.below(6) as u8;
            }
            if n >= 12 && rng.below(2) == 0 {
                b[..12].copy_from_slice(&[0, 0, 0, 9, 0, 0, 0, rng.below(4) as u8, 0, 0, 0, 0]);
            }
            let _ = vector_from_binary(&b);
            let _ = halfvec_from_binary(&b);
            let _ = sparsevec_from_binary(&b);
            let _ = bit_from_binary(&b);
        }
    }
}
