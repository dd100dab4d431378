//! Translation of DataFusion and Arrow errors into `QuiverError`s with PostgreSQL wording and
//! SQLSTATEs. Our own errors travel through DataFusion wrapped as `External` and come back intact.

use arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;

use crate::error::QuiverError;

/// Finds a `QuiverError` anywhere in an error's source chain.
fn find_quiver<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a QuiverError> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(q) = err.downcast_ref::<QuiverError>() {
            return Some(q);
        }
        if let Some(DataFusionError::External(inner)) = err.downcast_ref::<DataFusionError>() {
            if let Some(q) = inner.downcast_ref::<QuiverError>() {
                return Some(q);
            }
        }
        if let Some(ArrowError::ExternalError(inner)) = err.downcast_ref::<ArrowError>() {
            if let Some(q) = inner.downcast_ref::<QuiverError>() {
                return Some(q);
            }
        }
        cur = err.source();
    }
    None
}

pub fn from_arrow(e: ArrowError) -> QuiverError {
    if let Some(q) = find_quiver(&e) {
        return q.clone();
    }
    match &e {
        ArrowError::DivideByZero => QuiverError::DivisionByZero,
        ArrowError::CastError(m) | ArrowError::ParseError(m) => classify_message(m),
        ArrowError::ComputeError(m) | ArrowError::InvalidArgumentError(m) => classify_message(m),
        ArrowError::ArithmeticOverflow(m) => QuiverError::NumericOutOfRange(m.clone()),
        ArrowError::MemoryError(m) => QuiverError::OutOfMemory(m.clone()),
        ArrowError::IoError(m, _) => QuiverError::Io(m.clone()),
        _ => QuiverError::Internal(e.to_string()),
    }
}

pub fn from_datafusion(e: DataFusionError) -> QuiverError {
    if let Some(q) = find_quiver(&e) {
        return q.clone();
    }
    let root = e.find_root();
    match root {
        DataFusionError::ArrowError(a, _) => {
            let a: &ArrowError = a;
            if let Some(q) = find_quiver(a) {
                return q.clone();
            }
            match a {
                ArrowError::DivideByZero => QuiverError::DivisionByZero,
                ArrowError::CastError(m) | ArrowError::ParseError(m) => classify_message(m),
                ArrowError::ArithmeticOverflow(m) => QuiverError::NumericOutOfRange(m.clone()),
                _ => classify_message(&a.to_string()),
            }
        }
        DataFusionError::SQL(p, _) => QuiverError::Syntax(p.to_string()),
        DataFusionError::SchemaError(s, _) => match s.as_ref() {
            SchemaError::FieldNotFound { field, .. } => {
                QuiverError::UndefinedColumn(field.name().to_string())
            }
            SchemaError::AmbiguousReference { field } => QuiverError::Syntax(format!(
                "column reference \"{}\" is ambiguous",
                field.name()
            )),
            other => QuiverError::Syntax(other.to_string()),
        },
        DataFusionError::NotImplemented(m) => QuiverError::FeatureNotSupported(clean(m)),
        DataFusionError::ResourcesExhausted(m) => QuiverError::OutOfMemory(m.clone()),
        DataFusionError::IoError(io) => QuiverError::Io(io.to_string()),
        DataFusionError::Plan(m) => classify_plan(m),
        DataFusionError::Execution(m) => classify_message(m),
        DataFusionError::Internal(m) => QuiverError::Internal(m.clone()),
        other => classify_message(&other.strip_backtrace()),
    }
}

fn clean(m: &str) -> String {
    m.split(DataFusionError::BACK_TRACE_SEP)
        .next()
        .unwrap_or(m)
        .trim()
        .to_string()
}

fn classify_plan(m: &str) -> QuiverError {
    let m = clean(m);
    if let Some(rest) = m
        .strip_prefix("table '")
        .or_else(|| m.strip_prefix("Table '"))
    {
        if let Some(end) = rest.find('\'') {
            let name = rest[..end].rsplit('.').next().unwrap_or(&rest[..end]);
            return QuiverError::UndefinedTable(name.to_string());
        }
    }
    if m.contains("Invalid function") || m.contains("No function matches") {
        return QuiverError::UndefinedFunction(m);
    }
    if m.contains("does not support") && m.contains("type") || m.contains("Cannot infer common") {
        return QuiverError::DatatypeMismatch(m);
    }
    if m.contains("Failed to coerce") || m.contains("coercion") || m.contains("Cannot coerce") {
        return QuiverError::UndefinedFunction(m);
    }
    if m.contains("must appear in the GROUP BY") || m.contains("GROUP BY") {
        return QuiverError::Syntax(m);
    }
    QuiverError::Syntax(m)
}

fn classify_message(m: &str) -> QuiverError {
    let m = clean(m);
    if let Some(e) = cast_error(&m) {
        return e;
    }
    let lower = m.to_ascii_lowercase();
    if lower.contains("divide by zero") || lower.contains("division by zero") {
        QuiverError::DivisionByZero
    } else if lower.contains("overflow") || lower.contains("out of range") {
        QuiverError::NumericOutOfRange(m)
    } else if lower.contains("cannot cast") || lower.contains("parse") {
        QuiverError::InvalidTextValue(m)
    } else {
        QuiverError::DataException(m)
    }
}

/// PostgreSQL's name of the type an Arrow cast targeted (`Int32` → `integer`).
fn pg_type_name(arrow: &str) -> Option<&'static str> {
    let arrow = arrow.trim();
    Some(match arrow {
        "Int16" => "smallint",
        "Int32" => "integer",
        "Int64" => "bigint",
        "Float32" => "real",
        "Float64" => "double precision",
        "Boolean" => "boolean",
        "Date32" | "Date64" => "date",
        _ if arrow.starts_with("Decimal") => "numeric",
        _ if arrow.starts_with("Timestamp(") && arrow.contains("Some") => {
            "timestamp with time zone"
        }
        _ if arrow.starts_with("Timestamp(") => "timestamp without time zone",
        _ if arrow.starts_with("Time") => "time without time zone",
        _ if arrow.starts_with("Interval") => "interval",
        _ => return None,
    })
}

/// Whether `s` is shaped like a date (`2024-02-30`), optionally with a time (`... 25:00:00`),
/// so that a failed conversion means a field out of range rather than a malformed value.
fn looks_like_datetime(s: &str) -> bool {
    let s = s.trim();
    let (date, time) = match s.find([' ', 'T']) {
        Some(i) => (&s[..i], Some(s[i + 1..].trim())),
        None => (s, None),
    };
    let parts: Vec<&str> = date.split('-').collect();
    let date_ok = parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
    let time_ok = time.is_none_or(|t| {
        let t = t.trim_end_matches('Z');
        let t = t.split(['+', '-']).next().unwrap_or(t);
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
    });
    date_ok && time_ok
}

/// Arrow's cast failures in PostgreSQL's words: `Cannot cast string 'abc' to value of Int32
/// type` is `invalid input syntax for type integer: "abc"` (22P02), `Can't cast value 40000 to
/// type Int16` is `smallint out of range` (22003), a date with a day that does not exist is
/// 22008.
fn cast_error(m: &str) -> Option<QuiverError> {
    if let Some(rest) = m
        .strip_prefix("Cannot cast string '")
        .or_else(|| m.strip_prefix("Cannot cast value '"))
    {
        let (input, ty) = rest.rsplit_once("' to value of ")?;
        let ty = pg_type_name(ty.strip_suffix(" type").unwrap_or(ty))?;
        let input = input.to_string();
        if ty == "date" || ty.starts_with("time") {
            if looks_like_datetime(&input) {
                return Some(QuiverError::DatetimeFieldOverflow(input));
            }
            return Some(QuiverError::InvalidDatetimeFormat {
                type_name: ty.to_string(),
                input,
            });
        }
        return Some(QuiverError::InvalidTextRepresentation {
            type_name: ty.to_string(),
            input,
        });
    }
    if let Some(rest) = m.strip_prefix("Error parsing timestamp from '") {
        let (input, _) = rest.rsplit_once("': ")?;
        if looks_like_datetime(input) {
            return Some(QuiverError::DatetimeFieldOverflow(input.to_string()));
        }
        return Some(QuiverError::InvalidDatetimeFormat {
            type_name: "timestamp".into(),
            input: input.to_string(),
        });
    }
    if let Some(rest) = m.strip_prefix("Can't cast value ") {
        let (_, ty) = rest.rsplit_once(" to type ")?;
        let ty = pg_type_name(ty)?;
        return Some(QuiverError::NumericOutOfRange(format!("{ty} out of range")));
    }
    None
}

/// Wraps a `QuiverError` so it can travel through DataFusion and come back out intact.
pub fn to_df(e: QuiverError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrow_cast_errors_read_as_postgresql() {
        let e = cast_error("Cannot cast string 'abc' to value of Int32 type").unwrap();
        assert_eq!(e.sqlstate(), "22P02");
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type integer: \"abc\""
        );
        let e = cast_error("Can't cast value 40000 to type Int16").unwrap();
        assert_eq!(
            (e.sqlstate(), e.to_string().as_str()),
            ("22003", "smallint out of range")
        );
        let e = cast_error("Cannot cast string '2024-02-30' to value of Date32 type").unwrap();
        assert_eq!(e.sqlstate(), "22008");
        let e = cast_error("Cannot cast string 'soon' to value of Date32 type").unwrap();
        assert_eq!(
            e.to_string(),
            "invalid input syntax for type date: \"soon\""
        );
        assert_eq!(e.sqlstate(), "22007");
        assert!(cast_error("something else").is_none());
    }
}
