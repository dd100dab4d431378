//! The one place where a `QuiverError` becomes a PostgreSQL ErrorResponse.

use pgwire::error::{ErrorInfo, PgWireError};

use crate::error::QuiverError;

pub fn error_info(e: &QuiverError) -> ErrorInfo {
    let mut info = ErrorInfo::new("ERROR".to_owned(), e.sqlstate().to_owned(), e.to_string());
    info.detail = e.detail();
    if let QuiverError::Internal(_) = e {
        tracing::error!(error = %e, "internal error");
    }
    info
}

pub fn to_pgwire(e: QuiverError) -> PgWireError {
    PgWireError::UserError(Box::new(error_info(&e)))
}
