//! Text search below the SQL layer (no DataFusion, no storage): PostgreSQL's full-text search
//! (`tsearch`: `tsvector`, `tsquery`, the default parser, the `simple` and `english`
//! configurations, `@@`, `ts_rank`, `ts_rank_cd`) and the analyzers of the BM25 index
//! (`analyzer`: English, standard Unicode, Chinese).

pub mod analyzer;
pub mod tsearch;

use crate::error::QuiverError;

impl From<tsearch::TsError> for QuiverError {
    fn from(e: tsearch::TsError) -> Self {
        use tsearch::TsError;
        match e {
            TsError::Syntax(m) => QuiverError::Syntax(m),
            TsError::UndefinedConfig(m) => QuiverError::UndefinedObject(m),
            TsError::InvalidParameter(m) => QuiverError::InvalidParameterValue(m),
            TsError::TooLong(m) => QuiverError::ProgramLimitExceeded(m),
        }
    }
}
