//! Planning and execution of statements on DataFusion: the per-connection session and its
//! transaction, the operator planner for pgvector's operators, DML/DDL/COPY, settings and the
//! `pg_catalog` tables, and the ANN rewrite (`ann_rule`) with its operator (`ann_exec`).

pub mod ann_exec;
pub mod ann_rule;
pub mod bm25_order;
pub mod const_row;
pub mod copy;
pub mod ddl;
pub mod dml;
pub mod explain;
pub mod hybrid;
pub mod index_expr;
pub mod names;
pub mod operators;
pub mod pg_catalog;
pub mod session;
pub mod session_functions;
pub mod settings;
pub mod utility;
