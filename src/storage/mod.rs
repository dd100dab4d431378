//! Storage: the RocksDB catalog, each table's growing segment and delete markers, sealed Parquet
//! segments, transactions, and the DataFusion `TableProvider` that unions them for scans.
//!
//! Concurrency: each table's state sits behind its own `RwLock`; commits are serialised by one
//! mutex so that unique checks and the RocksDB write happen atomically with respect to each other.
//! Readers take a [`TableSnapshot`] (cheap `Arc` clones) and never block writers for long.

pub mod catalog;
pub mod gin;
pub mod kv;
pub mod migrate;
pub mod provider;
pub mod scan;
pub mod segment;
pub mod tindex;
pub mod txn;
pub mod unique;
pub mod vindex;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch, UInt64Array};
use arrow::datatypes::SchemaRef;
use parking_lot::{Mutex, RwLock};

use crate::error::{QuiverError, Result};
use catalog::{ExtensionDef, IndexDef, SegmentMeta, SequenceDef, TableDef, ROW_ID};
use kv::{Kv, KvBatch, CF_DELETES, CF_ROWS};
use segment::{SealedSegment, SegmentRef};
use txn::TxnWrites;
use unique::UniqueIndex;
use vindex::IndexStore;

/// Storage-level options.
#[derive(Debug, Clone)]
pub struct StorageOptions {
    /// Seal the growing segment into Parquet once it holds this many rows.
    pub segment_max_rows: usize,
    /// Sync the RocksDB WAL at every commit.
    pub sync_commit: bool,
}

/// The mutable state of one table.
pub struct TableState {
    pub def: Arc<TableDef>,
    pub sealed: Vec<SegmentRef>,
    /// Committed batches of the growing segment, keyed by their first row id.
    pub growing: BTreeMap<u64, RecordBatch>,
    pub growing_rows: usize,
    pub deleted: Arc<HashSet<u64>>,
    /// Unique constraints' key → row id maps, built on first use.
    pub unique: Option<Vec<UniqueIndex>>,
}

/// What a scan sees of a table at one moment.
#[derive(Clone)]
pub struct TableSnapshot {
    pub def: Arc<TableDef>,
    pub sealed: Vec<SegmentRef>,
    pub growing: Vec<RecordBatch>,
    pub deleted: Arc<HashSet<u64>>,
}

impl TableSnapshot {
    /// All live rows as batches of the storage schema (user columns + `__row_id`), with committed
    /// deletes and `extra_deleted` filtered out and `extra_batches` (a transaction's own inserts)
    /// appended.
    pub fn live_batches(
        &self,
        extra_batches: &[RecordBatch],
        extra_deleted: Option<&HashSet<u64>>,
    ) -> Result<Vec<RecordBatch>> {
        let schema = self.def.storage_schema();
        let mut out = Vec::new();
        for seg in &self.sealed {
            for b in seg.batches(&schema)? {
                push_filtered(&mut out, b, &self.deleted, extra_deleted)?;
            }
        }
        for b in self.growing.iter().chain(extra_batches.iter()) {
            let b = segment::adapt_batch(b, &schema)?;
            push_filtered(&mut out, b, &self.deleted, extra_deleted)?;
        }
        Ok(out)
    }
}

/// Appends `batch` without the rows deleted (committed: `deleted`, or by the transaction:
/// `extra`).
pub fn push_filtered(
    out: &mut Vec<RecordBatch>,
    batch: RecordBatch,
    deleted: &HashSet<u64>,
    extra: Option<&HashSet<u64>>,
) -> Result<()> {
    if batch.num_rows() == 0 {
        return Ok(());
    }
    let extra_empty = extra.is_none_or(|e| e.is_empty());
    if deleted.is_empty() && extra_empty {
        out.push(batch);
        return Ok(());
    }
    let ids = row_ids(&batch)?;
    let mask: BooleanArray = ids
        .values()
        .iter()
        .map(|id| Some(!deleted.contains(id) && !extra.is_some_and(|e| e.contains(id))))
        .collect();
    let filtered = arrow::compute::filter_record_batch(&batch, &mask)?;
    if filtered.num_rows() > 0 {
        out.push(filtered);
    }
    Ok(())
}

pub fn row_ids(batch: &RecordBatch) -> Result<&UInt64Array> {
    batch
        .column_by_name(ROW_ID)
        .and_then(|c| c.as_any().downcast_ref::<UInt64Array>())
        .ok_or_else(|| QuiverError::Internal("batch without __row_id".into()))
}

pub struct Storage {
    kv: Kv,
    dir: PathBuf,
    opts: StorageOptions,
    tables: RwLock<HashMap<u64, Arc<RwLock<TableState>>>>,
    /// (schema, name) → table id.
    names: RwLock<HashMap<(String, String), u64>>,
    sequences: Mutex<HashMap<String, SequenceDef>>,
    extensions: RwLock<Vec<ExtensionDef>>,
    next_table_id: AtomicU64,
    next_row_id: AtomicU64,
    commit_lock: Mutex<()>,
    /// Bumped by every DDL so that prepared plans know to plan again.
    catalog_version: AtomicU64,
    /// Per-segment vector indexes.
    pub indexes: Arc<IndexStore>,
    /// Per-segment BM25 and sparse-vector postings.
    pub text_indexes: tindex::TextIndexStore,
}

impl Storage {
    pub fn open(dir: &Path, opts: StorageOptions) -> Result<Storage> {
        std::fs::create_dir_all(dir)?;
        let kv = Kv::open(&dir.join("catalog"), opts.sync_commit)?;
        let mut tables = HashMap::new();
        let mut names = HashMap::new();
        let mut max_table_id = 0;
        let mut max_row_id = 0;
        for (_, v) in kv.scan_meta("table/")? {
            let def: TableDef = serde_json::from_slice(&v)
                .map_err(|e| QuiverError::DataCorrupted(format!("table definition: {e}")))?;
            max_table_id = max_table_id.max(def.id);
            let seg_dir = dir.join("segments").join(format!("t{}", def.id));
            let sealed: Vec<SegmentRef> = def
                .segments
                .iter()
                .map(|m| {
                    max_row_id = max_row_id.max(m.max_row_id);
                    Arc::new(SealedSegment::new(m.clone(), &seg_dir))
                })
                .collect();
            let mut growing = BTreeMap::new();
            let mut growing_rows = 0;
            for (first, bytes) in kv.scan_table(CF_ROWS, def.id)? {
                for b in segment::decode_ipc(&bytes)? {
                    let ids = row_ids(&b)?;
                    if let Some(m) = ids.values().iter().max() {
                        max_row_id = max_row_id.max(*m);
                    }
                    growing_rows += b.num_rows();
                    growing.insert(first, b);
                }
            }
            let deleted: HashSet<u64> = kv
                .scan_table(CF_DELETES, def.id)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            names.insert((def.schema.clone(), def.name.clone()), def.id);
            tables.insert(
                def.id,
                Arc::new(RwLock::new(TableState {
                    def: Arc::new(def),
                    sealed,
                    growing,
                    growing_rows,
                    deleted: Arc::new(deleted),
                    unique: None,
                })),
            );
        }
        let mut sequences = HashMap::new();
        for (_, v) in kv.scan_meta("seq/")? {
            let s: SequenceDef = serde_json::from_slice(&v)
                .map_err(|e| QuiverError::DataCorrupted(format!("sequence: {e}")))?;
            sequences.insert(s.name.clone(), s);
        }
        let mut extensions = Vec::new();
        for (_, v) in kv.scan_meta("ext/")? {
            extensions.push(
                serde_json::from_slice(&v)
                    .map_err(|e| QuiverError::DataCorrupted(format!("extension: {e}")))?,
            );
        }
        let stored_next = kv
            .get_meta("next_table_id")?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(1);
        tracing::info!(tables = tables.len(), dir = %dir.display(), "storage opened");
        Ok(Storage {
            kv,
            dir: dir.to_path_buf(),
            opts,
            tables: RwLock::new(tables),
            names: RwLock::new(names),
            sequences: Mutex::new(sequences),
            extensions: RwLock::new(extensions),
            next_table_id: AtomicU64::new(stored_next.max(max_table_id + 1)),
            next_row_id: AtomicU64::new(max_row_id + 1),
            commit_lock: Mutex::new(()),
            catalog_version: AtomicU64::new(1),
            indexes: Arc::new(IndexStore::default()),
            text_indexes: tindex::TextIndexStore::default(),
        })
    }

    pub fn catalog_version(&self) -> u64 {
        self.catalog_version.load(Ordering::SeqCst)
    }

    fn bump_catalog(&self) {
        self.catalog_version.fetch_add(1, Ordering::SeqCst);
    }

    pub fn options(&self) -> &StorageOptions {
        &self.opts
    }

    fn segment_dir(&self, table_id: u64) -> PathBuf {
        self.dir.join("segments").join(format!("t{table_id}"))
    }

    // ---- catalog reads ----------------------------------------------------------------------

    pub fn table_id(&self, schema: &str, name: &str) -> Option<u64> {
        self.names
            .read()
            .get(&(schema.to_string(), name.to_string()))
            .copied()
    }

    pub fn table(&self, id: u64) -> Option<Arc<RwLock<TableState>>> {
        self.tables.read().get(&id).cloned()
    }

    pub fn table_def(&self, schema: &str, name: &str) -> Option<Arc<TableDef>> {
        let id = self.table_id(schema, name)?;
        Some(self.table(id)?.read().def.clone())
    }

    pub fn table_defs(&self) -> Vec<Arc<TableDef>> {
        let mut v: Vec<_> = self
            .tables
            .read()
            .values()
            .map(|t| t.read().def.clone())
            .collect();
        v.sort_by_key(|d| d.id);
        v
    }

    pub fn snapshot(&self, id: u64) -> Option<TableSnapshot> {
        let t = self.table(id)?;
        let t = t.read();
        Some(TableSnapshot {
            def: t.def.clone(),
            sealed: t.sealed.clone(),
            growing: t.growing.values().cloned().collect(),
            deleted: t.deleted.clone(),
        })
    }

    /// Bytes a table's rows take (`pg_table_size`): its sealed segment files plus the in-memory
    /// size of its growing rows.
    pub fn table_bytes(&self, id: u64) -> Option<u64> {
        let snap = self.snapshot(id)?;
        let sealed: u64 = snap.sealed.iter().map(|s| s.meta.bytes).sum();
        let growing: usize = snap.growing.iter().map(|b| b.get_array_memory_size()).sum();
        Some(sealed + growing as u64)
    }

    /// Bytes of an index's files across the table's segments (`pg_relation_size` of an index);
    /// 0 for an index quiver keeps no files for (scalar indexes).
    pub fn index_bytes(&self, table_id: u64, index: &IndexDef) -> u64 {
        let Some(snap) = self.snapshot(table_id) else {
            return 0;
        };
        let Some(spec) = vindex::vector_spec(index, &snap.def) else {
            return 0;
        };
        snap.sealed
            .iter()
            .filter_map(|seg| std::fs::metadata(vindex::index_path(seg, &spec)).ok())
            .map(|m| m.len())
            .sum()
    }

    pub fn extensions(&self) -> Vec<ExtensionDef> {
        self.extensions.read().clone()
    }

    pub fn sequences(&self) -> Vec<SequenceDef> {
        let mut v: Vec<_> = self.sequences.lock().values().cloned().collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    // ---- DDL (auto-committed, durable on return) ----------------------------------------------

    pub fn create_table(
        &self,
        mut def: TableDef,
        sequences: Vec<SequenceDef>,
    ) -> Result<Arc<TableDef>> {
        let _g = self.commit_lock.lock();
        if self.table_id(&def.schema, &def.name).is_some() {
            return Err(QuiverError::DuplicateTable(def.name.clone()));
        }
        def.id = self.next_table_id.fetch_add(1, Ordering::SeqCst);
        let mut b = self.kv.batch();
        b.put_meta(&table_meta_key(def.id), &to_json(&def)?)?;
        b.put_meta("next_table_id", (def.id + 1).to_string().as_bytes())?;
        let mut seqs = self.sequences.lock();
        for mut s in sequences {
            if let Some((_, col)) = s.owner.take() {
                s.owner = Some((def.id, col));
            }
            if seqs.contains_key(&s.name) {
                return Err(QuiverError::DuplicateTable(s.name.clone()));
            }
            b.put_meta(&format!("seq/{}", s.name), &to_json(&s)?)?;
            seqs.insert(s.name.clone(), s);
        }
        b.commit()?;
        self.bump_catalog();
        let def = Arc::new(def);
        self.names
            .write()
            .insert((def.schema.clone(), def.name.clone()), def.id);
        self.tables.write().insert(
            def.id,
            Arc::new(RwLock::new(TableState {
                def: def.clone(),
                sealed: vec![],
                growing: BTreeMap::new(),
                growing_rows: 0,
                deleted: Arc::new(HashSet::new()),
                unique: None,
            })),
        );
        Ok(def)
    }

    pub fn drop_table(&self, id: u64) -> Result<()> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(id) else {
            return Ok(());
        };
        let def = t.read().def.clone();
        let mut b = self.kv.batch();
        b.delete_meta(&table_meta_key(id))?;
        b.purge_table(id)?;
        let mut seqs = self.sequences.lock();
        let owned: Vec<String> = seqs
            .values()
            .filter(|s| s.owner.as_ref().is_some_and(|(tid, _)| *tid == id))
            .map(|s| s.name.clone())
            .collect();
        for s in &owned {
            b.delete_meta(&format!("seq/{s}"))?;
        }
        b.commit()?;
        self.bump_catalog();
        for s in &owned {
            seqs.remove(s);
        }
        self.names
            .write()
            .remove(&(def.schema.clone(), def.name.clone()));
        self.tables.write().remove(&id);
        self.indexes.forget_table(id);
        self.text_indexes.forget_table(id);
        for i in &def.indexes {
            self.indexes.forget(i.id);
        }
        let _ = std::fs::remove_dir_all(self.segment_dir(id));
        Ok(())
    }

    pub fn truncate_table(&self, id: u64) -> Result<()> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(id) else {
            return Ok(());
        };
        let mut t = t.write();
        let mut def = (*t.def).clone();
        def.segments.clear();
        let mut b = self.kv.batch();
        b.put_meta(&table_meta_key(id), &to_json(&def)?)?;
        b.purge_table(id)?;
        b.commit()?;
        self.bump_catalog();
        let old: Vec<PathBuf> = t.sealed.iter().map(|s| s.path.clone()).collect();
        t.def = Arc::new(def);
        t.sealed.clear();
        t.growing.clear();
        t.growing_rows = 0;
        t.deleted = Arc::new(HashSet::new());
        t.unique = None;
        self.indexes.forget_table(id);
        self.text_indexes.forget_table(id);
        for p in old {
            remove_segment_files(&p);
        }
        Ok(())
    }

    /// Replaces a table's definition (ALTER TABLE); existing data is adapted on read.
    pub fn alter_table(&self, def: TableDef) -> Result<()> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(def.id) else {
            return Err(QuiverError::UndefinedTable(def.name.clone()));
        };
        let mut b = self.kv.batch();
        b.put_meta(&table_meta_key(def.id), &to_json(&def)?)?;
        b.commit()?;
        self.bump_catalog();
        let mut t = t.write();
        t.def = Arc::new(def);
        t.unique = None;
        Ok(())
    }

    /// Records a new index on a table, giving it an object id; returns the definition stored.
    pub fn add_index(&self, table_id: u64, mut idx: IndexDef) -> Result<IndexDef> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(table_id) else {
            return Err(QuiverError::UndefinedTable(idx.name.clone()));
        };
        idx.id = self.next_table_id.fetch_add(1, Ordering::SeqCst);
        let mut def = (*t.read().def).clone();
        def.indexes.push(idx.clone());
        let mut b = self.kv.batch();
        b.put_meta(&table_meta_key(def.id), &to_json(&def)?)?;
        b.put_meta("next_table_id", (idx.id + 1).to_string().as_bytes())?;
        b.commit()?;
        self.bump_catalog();
        let mut t = t.write();
        t.def = Arc::new(def);
        t.unique = None;
        Ok(idx)
    }

    /// Finds an index by name: (table id, definition).
    pub fn find_index(&self, schema: &str, name: &str) -> Option<(u64, IndexDef)> {
        self.table_defs()
            .into_iter()
            .filter(|t| t.schema == schema)
            .find_map(|t| {
                t.indexes
                    .iter()
                    .find(|i| i.name == name)
                    .map(|i| (t.id, i.clone()))
            })
    }

    /// Drops an index: the catalog entry, then its files (best effort).
    pub fn drop_index(&self, table_id: u64, index_name: &str) -> Result<()> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(table_id) else {
            return Ok(());
        };
        let mut def = (*t.read().def).clone();
        let Some(pos) = def.indexes.iter().position(|i| i.name == index_name) else {
            return Ok(());
        };
        let idx = def.indexes.remove(pos);
        let mut b = self.kv.batch();
        b.put_meta(&table_meta_key(def.id), &to_json(&def)?)?;
        b.commit()?;
        self.bump_catalog();
        let mut t = t.write();
        self.indexes.forget(idx.id);
        for seg in &t.sealed {
            remove_index_files(seg, idx.id);
        }
        t.def = Arc::new(def);
        t.unique = None;
        Ok(())
    }

    pub fn create_extension(&self, ext: ExtensionDef) -> Result<bool> {
        let _g = self.commit_lock.lock();
        if self.extensions.read().iter().any(|e| e.name == ext.name) {
            return Ok(false);
        }
        let mut b = self.kv.batch();
        b.put_meta(&format!("ext/{}", ext.name), &to_json(&ext)?)?;
        b.commit()?;
        self.extensions.write().push(ext);
        Ok(true)
    }

    pub fn drop_extension(&self, name: &str) -> Result<bool> {
        let _g = self.commit_lock.lock();
        if !self.extensions.read().iter().any(|e| e.name == name) {
            return Ok(false);
        }
        let mut b = self.kv.batch();
        b.delete_meta(&format!("ext/{name}"))?;
        b.commit()?;
        self.extensions.write().retain(|e| e.name != name);
        Ok(true)
    }

    // ---- sequences ----------------------------------------------------------------------------

    /// `nextval`: not transactional, as in PostgreSQL. The new value is persisted with the next
    /// commit of any transaction that used it (see `TxnWrites::sequences`), so a committed row never
    /// holds a value that a restart could hand out again.
    pub fn nextval(&self, name: &str) -> Result<i64> {
        let mut seqs = self.sequences.lock();
        let s = seqs
            .get_mut(name)
            .ok_or_else(|| QuiverError::UndefinedTable(name.to_string()))?;
        s.last = s.last.checked_add(1).ok_or_else(|| {
            QuiverError::DataException(format!(
                "nextval: reached maximum value of sequence \"{name}\""
            ))
        })?;
        Ok(s.last)
    }

    /// Gives back sequence values a failed statement drew but PostgreSQL would not have: sets
    /// `last` to `to` if it is still `expected` (no other session drew since).
    pub fn rewind_sequence(&self, name: &str, expected: i64, to: i64) {
        if let Some(s) = self.sequences.lock().get_mut(name) {
            if s.last == expected && to <= expected {
                s.last = to;
            }
        }
    }

    pub fn setval(&self, name: &str, value: i64) -> Result<i64> {
        let mut seqs = self.sequences.lock();
        let s = seqs
            .get_mut(name)
            .ok_or_else(|| QuiverError::UndefinedTable(name.to_string()))?;
        s.last = value;
        let mut b = self.kv.batch();
        b.put_meta(&format!("seq/{name}"), &to_json(s)?)?;
        b.commit()?;
        Ok(value)
    }

    pub fn alloc_row_ids(&self, n: usize) -> u64 {
        self.next_row_id.fetch_add(n as u64, Ordering::SeqCst)
    }

    // ---- unique constraints -------------------------------------------------------------------

    /// Checks `writes` against committed data; `Ok` means the keys it inserts are free.
    pub fn check_unique(&self, writes: &TxnWrites) -> Result<()> {
        for (table_id, tw) in &writes.tables {
            let Some(t) = self.table(*table_id) else {
                continue;
            };
            let mut t = t.write();
            if t.def.unique_keys().is_empty() {
                continue;
            }
            ensure_unique_built(&mut t)?;
            let def = t.def.clone();
            let idx = t.unique.as_ref().expect("built");
            for u in idx {
                u.check_batches(&def, &tw.inserts, &tw.deletes)?;
            }
        }
        Ok(())
    }

    /// Checks one statement's writes inside a transaction block, against committed rows and the
    /// block's earlier writes (`block`, whose per-table key caches it brings up to date).
    pub fn check_unique_in_block(&self, block: &mut TxnWrites, stmt: &TxnWrites) -> Result<()> {
        for (table_id, tw) in &stmt.tables {
            if tw.inserts.is_empty() {
                continue;
            }
            let Some(t) = self.table(*table_id) else {
                continue;
            };
            let mut t = t.write();
            let keys = t.def.unique_keys();
            if keys.is_empty() {
                continue;
            }
            ensure_unique_built(&mut t)?;
            let def = t.def.clone();
            let mine = block.table(*table_id);
            mine.own_keys.refresh(&def, &keys, &mine.inserts)?;
            let deleted = |r: u64| mine.deletes.contains(&r) || tw.deletes.contains(&r);
            for (k, u) in t.unique.as_ref().expect("built").iter().enumerate() {
                u.check_statement(&def, &tw.inserts, &mine.own_keys, k, deleted)?;
            }
        }
        Ok(())
    }

    /// Looks up the committed row id holding `key` (encoded by `UniqueIndex::encode_row`).
    pub fn with_unique<R>(
        &self,
        table_id: u64,
        f: impl FnOnce(&TableDef, &[UniqueIndex]) -> Result<R>,
    ) -> Result<R> {
        let t = self
            .table(table_id)
            .ok_or_else(|| QuiverError::Internal("no table".into()))?;
        let mut t = t.write();
        ensure_unique_built(&mut t)?;
        let def = t.def.clone();
        f(&def, t.unique.as_ref().expect("built"))
    }

    // ---- commit -------------------------------------------------------------------------------

    /// Makes a transaction's writes durable and visible, atomically.
    pub fn commit(&self, writes: TxnWrites) -> Result<()> {
        if writes.is_empty() {
            return self.persist_sequences(&writes.sequences);
        }
        let _g = self.commit_lock.lock();
        self.check_unique(&writes)?;
        let mut b = self.kv.batch();
        let mut applied: Vec<(
            Arc<RwLock<TableState>>,
            Vec<(u64, RecordBatch)>,
            HashSet<u64>,
            Option<(SegmentMeta, TableDef)>,
        )> = Vec::new();
        // Segment files written for this commit: removed again unless the commit goes through.
        let mut written = Written(Vec::new());
        for (table_id, tw) in writes.tables {
            let Some(t) = self.table(table_id) else {
                return Err(QuiverError::UndefinedTable(format!(
                    "(dropped table {table_id})"
                )));
            };
            let mut inserted = Vec::new();
            for batch in tw.inserts {
                // Rows inserted and deleted inside the same transaction never reach disk.
                let batch = if tw.deletes.is_empty() {
                    batch
                } else {
                    let mut out = Vec::new();
                    push_filtered(&mut out, batch, &HashSet::new(), Some(&tw.deletes))?;
                    match out.pop() {
                        Some(b) => b,
                        None => continue,
                    }
                };
                let first = row_ids(&batch)?.value(0);
                inserted.push((first, batch));
            }
            // A bulk insert (COPY, INSERT ... SELECT) of at least a segment's worth of rows becomes a
            // sealed segment at once: written once, to Parquet, rather than into RocksDB first and
            // again when the growing segment seals.
            let rows: usize = inserted.iter().map(|(_, b)| b.num_rows()).sum();
            let direct = if rows >= self.opts.segment_max_rows {
                Some(self.direct_segment(table_id, &t, &inserted, &mut b, &mut written)?)
            } else {
                for (first, batch) in &inserted {
                    b.put_rows(table_id, *first, &segment::encode_ipc(batch)?)?;
                }
                None
            };
            for id in &tw.deletes {
                b.put_delete_marker(table_id, *id)?;
            }
            applied.push((t, inserted, tw.deletes, direct));
        }
        for name in &writes.sequences {
            if let Some(s) = self.sequences.lock().get(name) {
                b.put_meta(&format!("seq/{name}"), &to_json(s)?)?;
            }
        }
        b.commit()?;
        written.0.clear();
        let mut to_seal = Vec::new();
        for (t, inserted, deletes, direct) in applied {
            let mut st = t.write();
            if let Some(mut idx) = st.unique.take() {
                let def = st.def.clone();
                let mut ok = true;
                for u in &mut idx {
                    if u.apply(&def, &inserted, &deletes).is_err() {
                        ok = false;
                    }
                }
                st.unique = if ok { Some(idx) } else { None };
            }
            match direct {
                Some((meta, def)) => {
                    self.attach_segment(&mut st, &def, meta);
                    st.def = Arc::new(def);
                }
                None => {
                    for (first, batch) in inserted {
                        st.growing_rows += batch.num_rows();
                        st.growing.insert(first, batch);
                    }
                }
            }
            if !deletes.is_empty() {
                Arc::make_mut(&mut st.deleted).extend(deletes);
            }
            if st.growing_rows >= self.opts.segment_max_rows {
                to_seal.push(st.def.id);
            }
        }
        drop(_g);
        for id in to_seal {
            self.seal(id)?;
        }
        Ok(())
    }

    /// Writes `rows` (a commit's inserts into one table) as a new segment file, fsynced (noted in
    /// `written`), and adds the table's catalog entry naming it to `b`, the commit's batch: the
    /// rows become visible exactly when the commit does. Returns the segment and the new entry.
    /// The caller holds the commit lock (segment ids, catalog).
    fn direct_segment(
        &self,
        table_id: u64,
        t: &Arc<RwLock<TableState>>,
        rows: &[(u64, RecordBatch)],
        b: &mut KvBatch,
        written: &mut Written,
    ) -> Result<(SegmentMeta, TableDef)> {
        let mut def = (*t.read().def).clone();
        let schema: SchemaRef = def.storage_schema();
        let live: Vec<RecordBatch> = rows
            .iter()
            .map(|(_, batch)| segment::adapt_batch(batch, &schema))
            .collect::<Result<_>>()?;
        let meta = self.write_segment(&mut def, &schema, &live, written)?;
        b.put_meta(&table_meta_key(table_id), &to_json(&def)?)?;
        Ok((meta, def))
    }

    /// Writes `live` as the table's next segment file (fsynced) and adds it to `def`; the caller
    /// registers `def` in the catalog.
    fn write_segment(
        &self,
        def: &mut TableDef,
        schema: &SchemaRef,
        live: &[RecordBatch],
        written: &mut Written,
    ) -> Result<SegmentMeta> {
        let id = def.next_segment_id;
        def.next_segment_id += 1;
        let file = format!("s{id}.parquet");
        let path = self.segment_dir(def.id).join(&file);
        written.0.push(path.clone());
        let bytes = segment::write_parquet(&path, schema, live)?;
        let (mut min, mut max, mut rows) = (u64::MAX, 0u64, 0u64);
        for lb in live {
            for id in row_ids(lb)?.values() {
                min = min.min(*id);
                max = max.max(*id);
            }
            rows += lb.num_rows() as u64;
        }
        let meta = SegmentMeta {
            id,
            file,
            rows,
            min_row_id: min,
            max_row_id: max,
            bytes,
        };
        def.segments.push(meta.clone());
        Ok(meta)
    }

    /// Makes a segment just registered in the catalog (as `def`) part of the table's state and
    /// schedules its vector index builds.
    fn attach_segment(&self, st: &mut TableState, def: &TableDef, meta: SegmentMeta) {
        let seg = Arc::new(SealedSegment::new(meta, &self.segment_dir(def.id)));
        st.sealed.push(seg.clone());
        tracing::info!(table = %def.name, segment = seg.meta.id, rows = seg.meta.rows, "sealed segment");
        let schema = def.storage_schema();
        for idx in &def.indexes {
            if let Some(spec) = vindex::vector_spec(idx, def) {
                self.indexes
                    .schedule(def.id, seg.clone(), spec, schema.clone());
            }
        }
    }

    fn persist_sequences(&self, names: &HashSet<String>) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let mut b = self.kv.batch();
        for name in names {
            if let Some(s) = self.sequences.lock().get(name) {
                b.put_meta(&format!("seq/{name}"), &to_json(s)?)?;
            }
        }
        b.commit()
    }

    /// Seals a table's growing segment into a Parquet file (CHECKPOINT, or when it grew past
    /// `segment_max_rows`). The file is written and fsynced first; one RocksDB write then registers
    /// it and removes the sealed batches and the delete markers they no longer need.
    pub fn seal(&self, table_id: u64) -> Result<Option<SegmentMeta>> {
        let _g = self.commit_lock.lock();
        let Some(t) = self.table(table_id) else {
            return Ok(None);
        };
        let mut st = t.write();
        if st.growing.is_empty() {
            return Ok(None);
        }
        let schema: SchemaRef = st.def.storage_schema();
        let mut live = Vec::new();
        let mut dead_markers = Vec::new();
        for b in st.growing.values() {
            let b = segment::adapt_batch(b, &schema)?;
            for id in row_ids(&b)?.values() {
                if st.deleted.contains(id) {
                    dead_markers.push(*id);
                }
            }
            push_filtered(&mut live, b, &st.deleted, None)?;
        }
        let keys: Vec<u64> = st.growing.keys().copied().collect();
        let mut def = (*st.def).clone();
        let mut b = self.kv.batch();
        let mut written = Written(Vec::new());
        let meta = if live.iter().map(|b| b.num_rows()).sum::<usize>() > 0 {
            Some(self.write_segment(&mut def, &schema, &live, &mut written)?)
        } else {
            None
        };
        b.put_meta(&table_meta_key(table_id), &to_json(&def)?)?;
        for k in &keys {
            b.delete_rows(table_id, *k)?;
        }
        for id in &dead_markers {
            b.remove_delete_marker(table_id, *id)?;
        }
        b.commit()?;
        written.0.clear();
        if let Some(m) = &meta {
            self.attach_segment(&mut st, &def, m.clone());
        }
        if !dead_markers.is_empty() {
            let d = Arc::make_mut(&mut st.deleted);
            for id in &dead_markers {
                d.remove(id);
            }
        }
        st.def = Arc::new(def);
        st.growing.clear();
        st.growing_rows = 0;
        Ok(meta)
    }

    /// Seals every table (CHECKPOINT and clean shutdown).
    pub fn checkpoint(&self) -> Result<()> {
        let ids: Vec<u64> = self.tables.read().keys().copied().collect();
        for id in ids {
            self.seal(id)?;
        }
        Ok(())
    }
}

/// Segment files written for a catalog write that has not happened yet: removed when dropped,
/// unless cleared once the write went through (an error on the way leaves no orphan file).
struct Written(Vec<PathBuf>);

impl Drop for Written {
    fn drop(&mut self) {
        for p in &self.0 {
            remove_segment_files(p);
        }
    }
}

/// Removes a segment file and the index files built for it (`s<id>.*`).
fn remove_segment_files(segment: &Path) {
    let _ = std::fs::remove_file(segment);
    let (Some(dir), Some(stem)) = (segment.parent(), segment.file_stem()) else {
        return;
    };
    let prefix = format!("{}.", stem.to_string_lossy());
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// Removes the files of one index of a segment (`s<segment>.x<index>.*`).
fn remove_index_files(seg: &SegmentRef, index_id: u64) {
    let Some(dir) = seg.path.parent() else {
        return;
    };
    let prefix = format!("s{}.x{}.", seg.meta.id, index_id);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn ensure_unique_built(t: &mut TableState) -> Result<()> {
    let keys = t.def.unique_keys();
    if t.unique.is_some() || keys.is_empty() {
        if t.unique.is_none() {
            t.unique = Some(vec![]);
        }
        return Ok(());
    }
    let snap = TableSnapshot {
        def: t.def.clone(),
        sealed: t.sealed.clone(),
        growing: t.growing.values().cloned().collect(),
        deleted: t.deleted.clone(),
    };
    let batches = snap.live_batches(&[], None)?;
    let mut idx = Vec::new();
    for c in &keys {
        idx.push(UniqueIndex::build(&t.def, c, &batches)?);
    }
    t.unique = Some(idx);
    Ok(())
}

fn table_meta_key(id: u64) -> String {
    format!("table/{id:020}")
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(QuiverError::internal)
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("dir", &self.dir).finish()
    }
}
