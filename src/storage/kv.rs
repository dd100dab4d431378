//! The RocksDB store under a data directory: column families, key layout, format version and the
//! process lock.
//!
//! Key layout (all integers big-endian so that keys sort numerically):
//! - `meta`:    `version` → format version; `table/{id}` → JSON `TableDef`; `seq/{name}` → JSON
//!              `SequenceDef`; `ext/{name}` → JSON `ExtensionDef`; `next_table_id` → u64.
//! - `rows`:    `{table_id}{first_row_id}` → Arrow IPC stream of one committed batch of the table's
//!              growing segment (user columns + `__row_id`).
//! - `deletes`: `{table_id}{row_id}` → empty; a delete marker.
//!
//! RocksDB's own `LOCK` file keeps a second process off the directory.

use std::path::Path;

use rocksdb::{ColumnFamilyDescriptor, IteratorMode, Options, WriteBatch, WriteOptions, DB};

use crate::error::{QuiverError, Result};
use crate::storage::migrate;

pub const CF_META: &str = "meta";
pub const CF_ROWS: &str = "rows";
pub const CF_DELETES: &str = "deletes";

pub struct Kv {
    db: DB,
    sync: bool,
}

impl Kv {
    pub fn open(path: &Path, sync: bool) -> Result<Kv> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.set_max_background_jobs(2);
        let cfs = [CF_META, CF_ROWS, CF_DELETES]
            .into_iter()
            .map(|n| ColumnFamilyDescriptor::new(n, Options::default()));
        let db = DB::open_cf_descriptors(&opts, path, cfs).map_err(|e| {
            let msg = e.to_string();
            if msg.contains("lock") || msg.contains("LOCK") {
                QuiverError::Io(format!(
                    "data directory \"{}\" is in use by another quiver server (could not lock it: {msg})",
                    path.parent().unwrap_or(path).display()
                ))
            } else {
                QuiverError::Io(format!("could not open \"{}\": {msg}", path.display()))
            }
        })?;
        let kv = Kv { db, sync };
        migrate::check_and_stamp(&kv)?;
        Ok(kv)
    }

    fn cf(&self, name: &str) -> Result<&rocksdb::ColumnFamily> {
        self.db
            .cf_handle(name)
            .ok_or_else(|| QuiverError::DataCorrupted(format!("missing column family {name}")))
    }

    pub fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(CF_META)?, key.as_bytes())?)
    }

    /// All `meta` entries whose key starts with `prefix`, in key order.
    pub fn scan_meta(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>> {
        let mut out = Vec::new();
        for item in self
            .db
            .prefix_iterator_cf(self.cf(CF_META)?, prefix.as_bytes())
        {
            let (k, v) = item?;
            if !k.starts_with(prefix.as_bytes()) {
                break;
            }
            out.push((String::from_utf8_lossy(&k).into_owned(), v.to_vec()));
        }
        Ok(out)
    }

    /// All entries of `cf` for one table, in key order: (row id part of the key, value).
    pub fn scan_table(&self, cf: &str, table_id: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        let prefix = table_id.to_be_bytes();
        let mut out = Vec::new();
        let iter = self.db.iterator_cf(
            self.cf(cf)?,
            IteratorMode::From(&prefix, rocksdb::Direction::Forward),
        );
        for item in iter {
            let (k, v) = item?;
            if k.len() != 16 || k[..8] != prefix {
                break;
            }
            let id = u64::from_be_bytes(k[8..16].try_into().expect("16-byte key"));
            out.push((id, v.to_vec()));
        }
        Ok(out)
    }

    pub fn batch(&self) -> KvBatch<'_> {
        KvBatch {
            kv: self,
            batch: WriteBatch::default(),
        }
    }
}

pub fn table_key(table_id: u64, id: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&table_id.to_be_bytes());
    k[8..].copy_from_slice(&id.to_be_bytes());
    k
}

/// One atomic RocksDB write; committed with the WAL synced unless the server relaxed durability.
pub struct KvBatch<'a> {
    kv: &'a Kv,
    batch: WriteBatch,
}

impl KvBatch<'_> {
    pub fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<()> {
        self.batch
            .put_cf(self.kv.cf(CF_META)?, key.as_bytes(), value);
        Ok(())
    }
    pub fn delete_meta(&mut self, key: &str) -> Result<()> {
        self.batch.delete_cf(self.kv.cf(CF_META)?, key.as_bytes());
        Ok(())
    }
    pub fn put_rows(&mut self, table_id: u64, first_row_id: u64, ipc: &[u8]) -> Result<()> {
        self.batch
            .put_cf(self.kv.cf(CF_ROWS)?, table_key(table_id, first_row_id), ipc);
        Ok(())
    }
    pub fn delete_rows(&mut self, table_id: u64, first_row_id: u64) -> Result<()> {
        self.batch
            .delete_cf(self.kv.cf(CF_ROWS)?, table_key(table_id, first_row_id));
        Ok(())
    }
    pub fn put_delete_marker(&mut self, table_id: u64, row_id: u64) -> Result<()> {
        self.batch
            .put_cf(self.kv.cf(CF_DELETES)?, table_key(table_id, row_id), b"");
        Ok(())
    }
    pub fn remove_delete_marker(&mut self, table_id: u64, row_id: u64) -> Result<()> {
        self.batch
            .delete_cf(self.kv.cf(CF_DELETES)?, table_key(table_id, row_id));
        Ok(())
    }
    /// Removes every row batch and delete marker of a table.
    pub fn purge_table(&mut self, table_id: u64) -> Result<()> {
        for cf in [CF_ROWS, CF_DELETES] {
            self.batch.delete_range_cf(
                self.kv.cf(cf)?,
                table_key(table_id, 0),
                table_key(table_id, u64::MAX),
            );
            self.batch
                .delete_cf(self.kv.cf(cf)?, table_key(table_id, u64::MAX));
        }
        Ok(())
    }
    pub fn commit(self) -> Result<()> {
        let mut wo = WriteOptions::default();
        wo.set_sync(self.kv.sync);
        self.kv.db.write_opt(self.batch, &wo)?;
        Ok(())
    }
}
