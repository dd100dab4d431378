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

/// Wraps a `QuiverError` so it can travel through DataFusion and come back out intact.
pub fn to_df(e: QuiverError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}
