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

/// The keys a transaction block's own inserts hold, per unique key of one table, kept up to date
/// statement by statement: checking a statement then costs its own rows, not the whole block's
/// (a block of 100k single-row INSERTs would otherwise re-encode 100k rows per statement).
#[derive(Debug, Default, Clone)]
pub struct OwnKeys {
    /// The unique keys (by name) the maps were built for; another set rebuilds them.
    names: Vec<String>,
    /// How many of the block's insert batches are folded in.
    absorbed: usize,
    maps: Vec<HashMap<Vec<u8>, u64>>,
}

impl OwnKeys {
    /// Folds in the insert batches added since the last call; `inserts` only ever grows.
    pub fn refresh(
        &mut self,
        def: &TableDef,
        keys: &[UniqueConstraint],
        inserts: &[RecordBatch],
    ) -> Result<()> {
        let names: Vec<String> = keys.iter().map(|k| k.name.clone()).collect();
        if names != self.names || inserts.len() < self.absorbed {
            *self = OwnKeys {
                names,
                absorbed: 0,
                maps: vec![HashMap::new(); keys.len()],
            };
        }
        for b in &inserts[self.absorbed..] {
            let ids = row_ids(b)?.clone();
            for (k, map) in keys.iter().zip(self.maps.iter_mut()) {
                for (i, key) in encode_key(def, k, b)?.into_iter().enumerate() {
                    if let Some(key) = key {
                        map.insert(key, ids.value(i));
                    }
                }
            }
        }
        self.absorbed = inserts.len();
        Ok(())
    }

    /// The row of the block holding `key` under unique key number `k` (maybe deleted since).
    pub fn lookup(&self, k: usize, key: &[u8]) -> Option<u64> {
        self.maps.get(k)?.get(key).copied()
    }
}

/// Encodes each row's key; `None` where a key column is NULL.
pub fn encode_key(
    def: &TableDef,
    c: &UniqueConstraint,
    batch: &RecordBatch,
) -> Result<Vec<Option<Vec<u8>>>> {
    let cols: Vec<ArrayRef> = c
        .columns
        .iter()
        .map(|i| {
            batch
                .column_by_name(&def.columns[*i].name)
                .cloned()
                .ok_or_else(|| {
                    QuiverError::Internal(format!("key column {} missing", def.columns[*i].name))
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
        encode_key(def, &self.constraint, batch)
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
        self.check_statement(def, inserts, &OwnKeys::default(), 0, |r| {
            deletes.contains(&r)
        })
    }

    /// `(a, b)` and `(1, x)`: the key's column names and a row's values, as DETAIL prints them.
    fn key_text(&self, def: &TableDef, b: &RecordBatch, row: usize) -> (String, String) {
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
        (names.join(", "), values.join(", "))
    }

    /// Checks one statement of a transaction block: its inserts must not repeat each other, a
    /// live committed row, or a live row the block inserted before (`own`, unique key `k`).
    pub fn check_statement(
        &self,
        def: &TableDef,
        inserts: &[RecordBatch],
        own: &OwnKeys,
        k: usize,
        deleted: impl Fn(u64) -> bool,
    ) -> Result<()> {
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        for b in inserts {
            let ids = row_ids(b)?.clone();
            for (i, key) in self.encode(def, b)?.into_iter().enumerate() {
                let Some(key) = key else { continue };
                if deleted(ids.value(i)) {
                    continue;
                }
                let live = |r: Option<u64>| r.is_some_and(|r| !deleted(r));
                if live(self.keys.get(&key).copied()) || live(own.lookup(k, &key)) {
                    return Err(self.violation(def, b, i));
                }
                if !seen.insert(key) {
                    return Err(self.violation(def, b, i));
                }
            }
        }
        Ok(())
    }

    fn violation(&self, def: &TableDef, b: &RecordBatch, row: usize) -> QuiverError {
        let (names, values) = self.key_text(def, b, row);
        QuiverError::UniqueViolation {
            constraint: self.constraint.name.clone(),
            detail: format!("Key ({names})=({values}) already exists."),
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

/// The DETAIL for the first key that `batches` repeat (`Key (a)=(1) is duplicated.`), if any.
pub fn first_duplicate(
    def: &TableDef,
    c: &UniqueConstraint,
    batches: &[RecordBatch],
) -> Result<Option<String>> {
    let u = UniqueIndex {
        constraint: c.clone(),
        keys: HashMap::new(),
        by_row: HashMap::new(),
    };
    let mut seen: HashSet<Vec<u8>> = HashSet::new();
    for b in batches {
        for (i, key) in u.encode(def, b)?.into_iter().enumerate() {
            if let Some(k) = key {
                if !seen.insert(k) {
                    let (names, values) = u.key_text(def, b, i);
                    return Ok(Some(format!("Key ({names})=({values}) is duplicated.")));
                }
            }
        }
    }
    Ok(None)
}
