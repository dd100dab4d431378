//! A transaction's private writes: inserted batches and deleted row ids per table, plus the
//! sequences it advanced. Scans inside the transaction overlay them on the committed snapshot
//! (read-your-writes); ROLLBACK drops them; COMMIT hands them to `Storage::commit`.

use std::collections::{HashMap, HashSet};

use arrow::array::RecordBatch;

use crate::storage::unique::OwnKeys;

#[derive(Debug, Default, Clone)]
pub struct TableWrites {
    /// Batches of the storage schema (user columns + `__row_id`).
    pub inserts: Vec<RecordBatch>,
    /// Row ids deleted: committed rows and this transaction's own inserts.
    pub deletes: HashSet<u64>,
    /// The unique keys `inserts` hold, for checking the next statement of the block.
    pub own_keys: OwnKeys,
}

#[derive(Debug, Default, Clone)]
pub struct TxnWrites {
    pub tables: HashMap<u64, TableWrites>,
    pub sequences: HashSet<String>,
}

impl TxnWrites {
    pub fn is_empty(&self) -> bool {
        self.tables
            .values()
            .all(|t| t.inserts.is_empty() && t.deletes.is_empty())
    }

    pub fn table(&mut self, id: u64) -> &mut TableWrites {
        self.tables.entry(id).or_default()
    }

    /// Folds a statement's writes into the transaction's.
    pub fn merge(&mut self, other: TxnWrites) {
        for (id, tw) in other.tables {
            let t = self.table(id);
            t.inserts.extend(tw.inserts);
            t.deletes.extend(tw.deletes);
        }
        self.sequences.extend(other.sequences);
    }

    /// Forgets writes to a table (it was dropped or truncated).
    pub fn forget_table(&mut self, id: u64) {
        self.tables.remove(&id);
    }
}
