//! Catalog records: tables, columns, constraints, segments, sequences and extensions, as persisted
//! (JSON values in RocksDB's `meta` column family) and as the rest of the engine sees them.
//!
//! JSON keeps the format easy to evolve: a new optional field deserialises from old records with
//! `#[serde(default)]`, and `migrations/` records every change of meaning.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use crate::types::SqlType;

/// Storage-schema field metadata: the text of the value older rows read for a column added later.
pub const MISSING_VALUE_KEY: &str = "quiver_missing";

/// Name of the hidden row-identity column carried by growing batches and segment files.
pub const ROW_ID: &str = "__row_id";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnDef {
    pub name: String,
    pub ty: SqlType,
    pub nullable: bool,
    /// The DEFAULT expression as SQL text (`nextval('t_id_seq')` for serial columns).
    #[serde(default)]
    pub default: Option<String>,
    /// For a column added by ALTER TABLE with a default: the value (as text) that rows stored
    /// before the column existed read as (PostgreSQL's "missing value").
    #[serde(default)]
    pub missing: Option<String>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression as SQL text, computed from the row's
    /// other columns on every insert and update.
    #[serde(default)]
    pub generated: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UniqueConstraint {
    pub name: String,
    /// Column positions.
    pub columns: Vec<usize>,
    pub primary: bool,
}

/// A secondary index. Vector indexes (hnsw, ivfflat) are built per sealed segment by the index
/// layer; the definition here is what DDL, the planner and `pg_indexes` read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexDef {
    /// Object id (shared with tables' id space; 0 in records from before indexes had one).
    #[serde(default)]
    pub id: u64,
    pub name: String,
    /// Access method: `btree`, `hash`, `hnsw`, `ivfflat`, ...
    pub method: String,
    /// Indexed expressions as SQL text (plain column names for column indexes).
    pub columns: Vec<String>,
    pub opclasses: Vec<Option<String>>,
    /// Validated `WITH (...)` options, with defaults filled in.
    #[serde(default)]
    pub options: Vec<(String, String)>,
    /// Partial index predicate as SQL text.
    #[serde(default)]
    pub predicate: Option<String>,
    #[serde(default)]
    pub unique: bool,
    /// SQL types of the expression keys of a vector index, by key position (`None` for a
    /// column; empty when every key is a column): what the index's vectors are (`halfvec(3)`
    /// for `embedding::halfvec(3)`), recorded at CREATE INDEX.
    #[serde(default)]
    pub key_types: Vec<Option<SqlType>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentMeta {
    pub id: u64,
    /// File name relative to the table's segment directory.
    pub file: String,
    pub rows: u64,
    pub min_row_id: u64,
    pub max_row_id: u64,
    pub bytes: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableDef {
    pub id: u64,
    pub schema: String,
    pub name: String,
    pub columns: Vec<ColumnDef>,
    #[serde(default)]
    pub constraints: Vec<UniqueConstraint>,
    #[serde(default)]
    pub segments: Vec<SegmentMeta>,
    #[serde(default)]
    pub next_segment_id: u64,
    #[serde(default)]
    pub indexes: Vec<IndexDef>,
}

impl TableDef {
    /// Every key that must be unique: the PRIMARY KEY / UNIQUE constraints, then the unique
    /// indexes on plain columns (`CREATE UNIQUE INDEX ... (a, b)`), under the index's name, as
    /// PostgreSQL reports a violation of either.
    pub fn unique_keys(&self) -> Vec<UniqueConstraint> {
        let mut keys = self.constraints.clone();
        for i in self
            .indexes
            .iter()
            .filter(|i| i.unique && i.predicate.is_none())
        {
            let columns: Option<Vec<usize>> =
                i.columns.iter().map(|c| self.column_index(c)).collect();
            if let Some(columns) = columns {
                keys.push(UniqueConstraint {
                    name: i.name.clone(),
                    columns,
                    primary: false,
                });
            }
        }
        keys
    }

    /// The user-visible Arrow schema (no hidden columns).
    pub fn arrow_schema(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.columns
                .iter()
                .map(|c| c.ty.field(&c.name, c.nullable))
                .collect::<Vec<Field>>(),
        ))
    }

    /// The stored schema: the user columns followed by [`ROW_ID`].
    pub fn storage_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| {
                let f = c.ty.field(&c.name, true);
                match &c.missing {
                    Some(v) => {
                        let mut md = f.metadata().clone();
                        md.insert(MISSING_VALUE_KEY.to_string(), v.clone());
                        f.with_metadata(md)
                    }
                    None => f,
                }
            })
            .collect();
        fields.push(Field::new(ROW_ID, DataType::UInt64, false));
        Arc::new(Schema::new(fields))
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    pub fn primary_key(&self) -> Option<&UniqueConstraint> {
        self.constraints.iter().find(|c| c.primary)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SequenceDef {
    pub name: String,
    /// The last value handed out (PostgreSQL's `last_value`); the next is `last + 1`.
    pub last: i64,
    /// Owning table and column (serial columns), dropped with the table.
    #[serde(default)]
    pub owner: Option<(u64, String)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDef {
    pub name: String,
    pub version: String,
}
