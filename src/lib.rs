//! quiver: a vector database that speaks PostgreSQL with pgvector's SQL surface.
//!
//! A query travels one way: wire → SQL → plan → scan → wire.
//! - [`server`]: the PostgreSQL wire protocol (pgwire): startup, simple and extended queries,
//!   COPY, cancel; encodes Arrow results as PostgreSQL text/binary values.
//! - [`sql`]: parsing (sqlparser, PostgreSQL dialect) and AST rewrites, pgvector's types and
//!   value formats, casts, SQL functions, error translation.
//! - [`planner`]: per-connection sessions on DataFusion: statements, transactions, settings,
//!   DML/DDL/COPY, pgvector's operators, `pg_catalog`.
//! - [`storage`]: RocksDB catalog, growing segments and delete markers; sealed Parquet segments;
//!   the DataFusion table provider.
//! - [`index`]: distance kernels and (next) ANN indexes; depends on neither DataFusion nor pgwire.
//! - [`text`]: full-text search (tsvector/tsquery as PostgreSQL has them) and BM25 analyzers;
//!   depends on nothing above it.
//! - [`engine`], [`config`], [`error`], [`types`]: what the layers share.
//! - [`bench`]: `quiver bench`, the client-side benchmark (any pgvector-speaking server).

pub mod bench;
pub mod config;
pub mod engine;
pub mod error;
pub mod index;
pub mod planner;
pub mod server;
pub mod sql;
pub mod storage;
pub mod text;
pub mod types;
