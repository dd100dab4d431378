//! `QuiverError`: every failure a statement can meet, each with its SQLSTATE.
//!
//! Errors get their SQLSTATE where they are born (the variant) and reach the wire in exactly one place
//! (`server::errors`). Messages follow PostgreSQL / pgvector wording (lowercase, no trailing period)
//! because people search for them. `Internal` means a bug.

use thiserror::Error;

pub type Result<T, E = QuiverError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Error)]
pub enum QuiverError {
    // ---- syntax and names -------------------------------------------------------------------
    #[error("{0}")]
    Syntax(String),
    #[error("relation \"{0}\" does not exist")]
    UndefinedTable(String),
    /// DROP TABLE's wording for a missing table.
    #[error("table \"{0}\" does not exist")]
    UndefinedTableToDrop(String),
    #[error("column \"{0}\" does not exist")]
    UndefinedColumn(String),
    #[error("{0}")]
    UndefinedObject(String),
    #[error("relation \"{0}\" already exists")]
    DuplicateTable(String),
    #[error("column \"{column}\" of relation \"{table}\" already exists")]
    DuplicateColumn { table: String, column: String },
    #[error("{0}")]
    DuplicateObject(String),
    #[error("{0}")]
    UndefinedFunction(String),
    /// 42725: an overloaded function called with arguments of unknown type only.
    #[error("function {0} is not unique")]
    AmbiguousFunction(String),
    #[error("{0}")]
    DatatypeMismatch(String),
    #[error("type \"{0}\" does not exist")]
    UndefinedType(String),
    #[error("{0}")]
    InvalidColumnDefinition(String),
    /// 42P10.
    #[error("{0}")]
    InvalidColumnReference(String),
    /// 428C9: a value for a generated column.
    #[error("{0}")]
    GeneratedAlways(String),
    #[error("{0}")]
    /// 42P17: an index or constraint definition PostgreSQL refuses (e.g. a mutable function in
    /// an index expression).
    InvalidObjectDefinition(String),

    // ---- data exceptions (pgvector wording) ----------------------------------------------------
    #[error("invalid input syntax for type {type_name}: \"{input}\"")]
    InvalidTextRepresentation { type_name: String, input: String },
    /// 22P02 with a message of its own (e.g. `"2" is not a valid binary digit`).
    #[error("{0}")]
    InvalidTextValue(String),
    /// 22007: text that is no date or time at all.
    #[error("invalid input syntax for type {type_name}: \"{input}\"")]
    InvalidDatetimeFormat { type_name: String, input: String },
    /// 22008: a well-formed date or time with a field out of range (`2024-02-30`).
    #[error("date/time field value out of range: \"{0}\"")]
    DatetimeFieldOverflow(String),
    #[error("expected {expected} dimensions, not {actual}")]
    DimensionMismatch { expected: usize, actual: usize },
    #[error("different {type_name} dimensions {left} and {right}")]
    DifferentDimensions {
        type_name: &'static str,
        left: usize,
        right: usize,
    },
    #[error("NaN not allowed in {0}")]
    NanNotAllowed(&'static str),
    #[error("infinite value not allowed in {0}")]
    InfiniteNotAllowed(&'static str),
    #[error("{type_name} must have at least 1 dimension")]
    TooFewDimensions { type_name: &'static str },
    #[error("{type_name} cannot have more than {max} dimensions")]
    TooManyDimensions { type_name: &'static str, max: usize },
    #[error("value too long for type character varying({0})")]
    StringTooLong(usize),
    /// 22026, e.g. `bit string length 4 does not match type bit(3)`.
    #[error("{0}")]
    StringDataLengthMismatch(String),
    #[error("{0}")]
    NumericOutOfRange(String),
    #[error("division by zero")]
    DivisionByZero,
    #[error("{0}")]
    DataException(String),
    #[error("{0}")]
    InvalidParameterValue(String),
    #[error("{0}")]
    InvalidBinaryRepresentation(String),
    #[error("{0}")]
    ProgramLimitExceeded(String),
    #[error("{0}")]
    BadCopyFormat(String),

    // ---- constraints --------------------------------------------------------------------------
    #[error("duplicate key value violates unique constraint \"{constraint}\"")]
    UniqueViolation { constraint: String, detail: String },
    /// 23505 from CREATE UNIQUE INDEX over rows that repeat the key.
    #[error("could not create unique index \"{index}\"")]
    UniqueIndexBuild { index: String, detail: String },
    #[error("{0}")]
    CardinalityViolation(String),
    #[error("{0}")]
    NullValueNotAllowed(String),
    #[error(
        "null value in column \"{column}\" of relation \"{table}\" violates not-null constraint"
    )]
    NotNullViolation { table: String, column: String },

    // ---- transactions and sessions ------------------------------------------------------------
    #[error("current transaction is aborted, commands ignored until end of transaction block")]
    InFailedTransaction,
    #[error("{0}")]
    ActiveSqlTransaction(String),
    #[error("{0}")]
    NoActiveSqlTransaction(String),
    #[error("unrecognized configuration parameter \"{0}\"")]
    UnrecognizedParameter(String),
    #[error("canceling statement due to user request")]
    QueryCanceled,
    #[error("{0}")]
    FeatureNotSupported(String),
    #[error("{0}")]
    ProtocolViolation(String),
    #[error("password authentication failed for user \"{0}\"")]
    InvalidPassword(String),

    // ---- resources and storage ----------------------------------------------------------------
    #[error("out of memory: {0}")]
    OutOfMemory(String),
    #[error("could not write to disk: {0}")]
    DiskFull(String),
    #[error("I/O error: {0}")]
    Io(String),
    #[error("data corrupted: {0}")]
    DataCorrupted(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl QuiverError {
    /// The five-character SQLSTATE for this error. Exhaustive on purpose: a new variant must decide.
    pub fn sqlstate(&self) -> &'static str {
        use QuiverError::*;
        match self {
            Syntax(_) => "42601",
            UndefinedTable(_) => "42P01",
            UndefinedColumn(_) => "42703",
            UndefinedTableToDrop(_) => "42P01",
            UndefinedObject(_) => "42704",
            DuplicateTable(_) => "42P07",
            DuplicateColumn { .. } => "42701",
            DuplicateObject(_) => "42710",
            UndefinedFunction(_) => "42883",
            AmbiguousFunction(_) => "42725",
            DatatypeMismatch(_) => "42804",
            UndefinedType(_) => "42704",
            InvalidColumnDefinition(_) => "42611",
            InvalidObjectDefinition(_) => "42P17",
            GeneratedAlways(_) => "428C9",
            InvalidColumnReference(_) => "42P10",
            InvalidTextRepresentation { .. } => "22P02",
            InvalidTextValue(_) => "22P02",
            InvalidDatetimeFormat { .. } => "22007",
            DatetimeFieldOverflow(_) => "22008",
            DimensionMismatch { .. } => "22000",
            DifferentDimensions { .. } => "22000",
            NanNotAllowed(_) => "22000",
            InfiniteNotAllowed(_) => "22000",
            TooFewDimensions { .. } => "22000",
            TooManyDimensions { .. } => "54000",
            StringTooLong(_) => "22001",
            StringDataLengthMismatch(_) => "22026",
            NumericOutOfRange(_) => "22003",
            DivisionByZero => "22012",
            DataException(_) => "22000",
            InvalidParameterValue(_) => "22023",
            InvalidBinaryRepresentation(_) => "22P03",
            ProgramLimitExceeded(_) => "54000",
            BadCopyFormat(_) => "22P04",
            UniqueViolation { .. } | UniqueIndexBuild { .. } => "23505",
            NotNullViolation { .. } => "23502",
            CardinalityViolation(_) => "21000",
            NullValueNotAllowed(_) => "22004",
            InFailedTransaction => "25P02",
            ActiveSqlTransaction(_) => "25001",
            NoActiveSqlTransaction(_) => "25P01",
            UnrecognizedParameter(_) => "42704",
            QueryCanceled => "57014",
            FeatureNotSupported(_) => "0A000",
            ProtocolViolation(_) => "08P01",
            InvalidPassword(_) => "28P01",
            OutOfMemory(_) => "53200",
            DiskFull(_) => "53100",
            Io(_) => "58030",
            DataCorrupted(_) => "XX001",
            Internal(_) => "XX000",
        }
    }

    /// PostgreSQL's DETAIL field, where the error has one.
    pub fn detail(&self) -> Option<String> {
        match self {
            QuiverError::UniqueViolation { detail, .. }
            | QuiverError::UniqueIndexBuild { detail, .. } => Some(detail.clone()),
            _ => None,
        }
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        QuiverError::Internal(e.to_string())
    }
}

impl From<std::io::Error> for QuiverError {
    fn from(e: std::io::Error) -> Self {
        if e.raw_os_error() == Some(28) {
            QuiverError::DiskFull(e.to_string())
        } else {
            QuiverError::Io(e.to_string())
        }
    }
}

impl From<rocksdb::Error> for QuiverError {
    fn from(e: rocksdb::Error) -> Self {
        QuiverError::Io(e.to_string())
    }
}

impl From<arrow::error::ArrowError> for QuiverError {
    fn from(e: arrow::error::ArrowError) -> Self {
        crate::sql::errors::from_arrow(e)
    }
}

impl From<datafusion::error::DataFusionError> for QuiverError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        crate::sql::errors::from_datafusion(e)
    }
}

impl From<parquet::errors::ParquetError> for QuiverError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        QuiverError::Io(e.to_string())
    }
}
