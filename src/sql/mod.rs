//! The SQL layer: parsing and AST rewrites, pgvector's value formats, casts, the wire formats of
//! values and parameters, error translation, and the SQL functions. It never touches storage.

pub mod cast;
pub mod deparse;
pub mod errors;
pub mod format;
pub mod functions;
pub mod fusion;
pub mod json;
pub mod params;
pub mod parse;
pub mod pgvector;
pub mod vector_array;
