//! Unique and primary-key constraints: an in-memory map from encoded key to row id per
//! constraint, built from the table's live rows on first use and maintained at every commit.
//!
//! Keys are encoded with Arrow's row format, which gives equal bytes for equal values of any
//! column type. Rows with a NULL in any key column are exempt, as in PostgreSQL.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::row::{RowConverter, SortField};

use crate::error::{QuiverError, Result};
use crate::storage::catalog::{TableDef, UniqueConstraint};
use crate::storage::row_ids;

pub struct UniqueIndex {
    pub constraint: UniqueConstraint,
    keys: HashMap<Vec<u8>, u64>,
    by_row: HashMap<u64, Vec<u8>>,
}

impl UniqueIndex {
    pub fn build(def: &TableDef, c: &UniqueConstraint, batches: &[RecordBatch]) -> Result<Self> {
        let mut u = UniqueIndex {
            constraint: c.clone(),
            keys: HashMap::new(),
            by_row: HashMap::new(),
        };
        for b in batches {
            let ids = row_ids(b)?.clone();
            for (i, key) in u.encode(def, b)?.into_iter().enumerate() {
                if let Some(k) = key {
                    u.keys.insert(k.clone(), ids.value(i));
                    u.by_row.insert(ids.value(i), k);
                }
            }
        }
        Ok(u)
    }

    /// Encodes each row's key; `None` where a key column is NULL.
    pub fn encode(&self, def: &TableDef, batch: &RecordBatch) -> Result<Vec<Option<Vec<u8>>>> {
        let cols: Vec<ArrayRef> = self
            .constraint
            .columns
            .iter()
            .map(|i| {
                batch
                    .column_by_name(&def.columns[*i].name)
                    .cloned()
                    .ok_or_else(|| {
                        QuiverError::Internal(format!(
                            "key column {} missing",
                            def.columns[*i].name
                        ))
                    })
            })
            .collect::<Result<_>>()?;
        let conv = RowConverter::new(
            cols.iter()
                .map(|c| SortField::new(c.data_type().clone()))
                .collect(),
        )?;
        let rows = conv.convert_columns(&cols)?;
        Ok((0..batch.num_rows())
            .map(|i| {
                if cols.iter().any(|c| c.is_null(i)) {
                    None
                } else {
                    Some(rows.row(i).as_ref().to_vec())
                }
            })
            .collect())
    }

    pub fn lookup(&self, key: &[u8]) -> Option<u64> {
        self.keys.get(key).copied()
    }

    /// Errors with 23505 if `inserts` collide with each other or with committed rows that are not
    /// in `deletes`.
    pub fn check_batches(
        &self,
        def: &TableDef,
        inserts: &[RecordBatch],
        deletes: &HashSet<u64>,
    ) -> Result<()> {
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for b in inserts {
            let ids = row_ids(b)?.clone();
            for (i, key) in self.encode(def, b)?.into_iter().enumerate() {
                let Some(k) = key else { continue };
                if deletes.contains(&ids.value(i)) {
                    continue;
                }
                let taken = self.keys.get(&k).is_some_and(|rid| !deletes.contains(rid));
                if taken || !seen.insert(k) {
                    return Err(self.violation(def, b, i));
                }
            }
        }
        Ok(())
    }

    fn violation(&self, def: &TableDef, b: &RecordBatch, row: usize) -> QuiverError {
        let names: Vec<&str> = self
            .constraint
            .columns
            .iter()
            .map(|i| def.columns[*i].name.as_str())
            .collect();
        let values: Vec<String> = self
            .constraint
            .columns
            .iter()
            .map(|i| {
                b.column_by_name(&def.columns[*i].name)
                    .and_then(|c| arrow::util::display::array_value_to_string(c, row).ok())
                    .unwrap_or_default()
            })
            .collect();
        QuiverError::UniqueViolation {
            constraint: self.constraint.name.clone(),
            detail: format!(
                "Key ({})=({}) already exists.",
                names.join(", "),
                values.join(", ")
            ),
        }
    }

    pub fn apply(
        &mut self,
        def: &TableDef,
        inserted: &[(u64, RecordBatch)],
        deletes: &HashSet<u64>,
    ) -> Result<()> {
        for id in deletes {
            if let Some(k) = self.by_row.remove(id) {
                if self.keys.get(&k) == Some(id) {
                    self.keys.remove(&k);
                }
            }
        }
        for (_, b) in inserted {
            let ids = row_ids(b)?.clone();
            for (i, key) in self.encode(def, b)?.into_iter().enumerate() {
                if let Some(k) = key {
                    self.keys.insert(k.clone(), ids.value(i));
                    self.by_row.insert(ids.value(i), k);
                }
            }
        }
        Ok(())
    }
}
