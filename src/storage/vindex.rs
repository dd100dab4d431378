//! Vector index lifecycle: which index definitions become per-segment ANN indexes, building them
//! (synchronously for CREATE INDEX / REINDEX, in the background when a segment seals), persisting
//! them next to their segment file (`s<segment>.x<index id>.<kind>`), and loading them on demand.
//!
//! An index file is written once, fsynced and renamed into place, so a file that exists is whole;
//! one that fails validation (checksum, shape) is removed and rebuilt in the background, and its
//! segment is searched exactly until then. Nothing is rebuilt at startup: files are opened on the
//! first query that needs them.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, FixedSizeListArray, Float16Array, Float32Array,
    ListArray, RecordBatch,
};
use arrow::datatypes::{DataType, SchemaRef};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::PhysicalExpr;
use parking_lot::Mutex;

use crate::error::{QuiverError, Result};
use crate::index::{
    self, BitSet, BuildParams, IndexError, IndexKind, Metric, VectorIndex, VectorSet, Vectors,
};
use crate::storage::catalog::{IndexDef, TableDef};
use crate::storage::segment::SegmentRef;
use crate::types::SqlType;

/// What an index orders by: a column of the table, or an expression over its columns (SQL text
/// as the catalog keeps it, such as `__quiver_cast(embedding, 'halfvec(3)')`).
#[derive(Debug, Clone, PartialEq)]
pub enum IndexKey {
    Column(usize),
    Expr(String),
}

/// A vector index definition as the index layer and the ANN operator use it.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorIndexSpec {
    pub index_id: u64,
    pub name: String,
    pub key: IndexKey,
    /// SQL type of the indexed values: `vector(n)`, `halfvec(n)` or `bit(n)`.
    pub key_type: SqlType,
    /// Dimensions (bits for `bit(n)`).
    pub dim: usize,
    pub metric: Metric,
    pub params: BuildParams,
    /// A partial index's `WHERE` clause (SQL text over the table's columns): only rows where it
    /// holds are in the index, and only queries whose filter implies it use the index.
    pub predicate: Option<String>,
}

impl VectorIndexSpec {
    pub fn kind(&self) -> IndexKind {
        self.params.kind()
    }

    /// The indexed column, for a plain column index.
    pub fn column(&self) -> Option<usize> {
        match self.key {
            IndexKey::Column(c) => Some(c),
            IndexKey::Expr(_) => None,
        }
    }

    /// Whether the index holds bit vectors (Hamming / Jaccard).
    pub fn is_bits(&self) -> bool {
        matches!(self.key_type, SqlType::Bit(_))
    }
}

/// The metric an operator class orders by.
pub fn opclass_metric(opclass: &str) -> Option<Metric> {
    let metric = match opclass.rsplit_once('_').map(|(head, _)| head)? {
        "vector_l2" | "halfvec_l2" | "sparsevec_l2" => Metric::L2,
        "vector_ip" | "halfvec_ip" | "sparsevec_ip" => Metric::InnerProduct,
        "vector_cosine" | "halfvec_cosine" | "sparsevec_cosine" => Metric::Cosine,
        "vector_l1" | "halfvec_l1" | "sparsevec_l1" => Metric::L1,
        "bit_hamming" => Metric::Hamming,
        "bit_jaccard" => Metric::Jaccard,
        _ => return None,
    };
    Some(metric)
}

/// The ANN structure behind an index definition, when there is one: an hnsw or ivfflat index on
/// one `vector(n)` or `halfvec(n)` value (a column or an expression such as
/// `subvector(embedding, 1, 3)::vector(3)`) with an l2/ip/cosine/l1 operator class, or an hnsw
/// index on one `bit(n)` value (`binary_quantize(embedding)::bit(n)`) with a Hamming or Jaccard
/// operator class; partial or not.
///
/// Everything else (sparsevec values, ivfflat over bits, multicolumn indexes) is recorded and
/// shown in the catalog, and queries over it are answered by exact search.
pub fn vector_spec(idx: &IndexDef, table: &TableDef) -> Option<VectorIndexSpec> {
    let kind = IndexKind::from_method(&idx.method)?;
    if idx.columns.len() != 1 || idx.id == 0 {
        return None;
    }
    let (key, key_type) = match table.column_index(&idx.columns[0]) {
        Some(c) => (IndexKey::Column(c), table.columns[c].ty.clone()),
        None => (
            IndexKey::Expr(idx.columns[0].clone()),
            idx.key_types.first().cloned().flatten()?,
        ),
    };
    let metric = opclass_metric(idx.opclasses.first()?.as_deref()?)?;
    let binary = matches!(metric, Metric::Hamming | Metric::Jaccard);
    let dim = match &key_type {
        SqlType::Vector(Some(d)) | SqlType::Halfvec(Some(d)) if !binary => *d as usize,
        SqlType::Bit(Some(d)) if binary && kind == IndexKind::Hnsw => *d as usize,
        _ => return None,
    };
    let opt = |name: &str, default: usize| {
        idx.options
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, v)| v.parse::<usize>().ok())
            .unwrap_or(default)
    };
    let params = match kind {
        IndexKind::Hnsw => BuildParams::Hnsw {
            m: opt("m", 16),
            ef_construction: opt("ef_construction", 64),
        },
        IndexKind::IvfFlat => BuildParams::IvfFlat {
            lists: opt("lists", 100),
        },
    };
    Some(VectorIndexSpec {
        index_id: idx.id,
        name: idx.name.clone(),
        key,
        key_type,
        dim,
        metric,
        params,
        predicate: idx.predicate.clone(),
    })
}

/// Compiles SQL expression text over a table's columns into an executable expression: index
/// keys and partial-index predicates, evaluated by background builds that have no session. The
/// engine installs the SQL planner's implementation (see `planner::index_expr`).
pub trait ExprCompiler: Send + Sync {
    fn compile(&self, sql: &str, schema: &SchemaRef) -> Result<Arc<dyn PhysicalExpr>>;
}

/// Evaluates `expr` over each batch.
pub fn evaluate_each(
    expr: &Arc<dyn PhysicalExpr>,
    batches: &[RecordBatch],
) -> Result<Vec<ArrayRef>> {
    batches
        .iter()
        .map(|b| Ok(expr.evaluate(b)?.into_array(b.num_rows())?))
        .collect()
}

/// The vectors of one column of a segment's batches, as f32 rows (halfvec widened).
pub fn column_vectors(batches: &[ArrayRef], dim: usize) -> Result<VectorSet> {
    let rows: usize = batches.iter().map(|a| a.len()).sum();
    let mut data = Vec::with_capacity(rows * dim);
    let mut present = Vec::with_capacity(rows);
    for array in batches {
        for i in 0..array.len() {
            if array.is_null(i) {
                data.extend(std::iter::repeat_n(0.0, dim));
                present.push(false);
                continue;
            }
            let before = data.len();
            push_row(array, i, &mut data)?;
            if data.len() - before != dim {
                return Err(QuiverError::DataException(format!(
                    "expected {dim} dimensions, not {}",
                    data.len() - before
                )));
            }
            present.push(true);
        }
    }
    Ok(VectorSet { dim, data, present })
}

/// The `bit(dim)` values of a segment's batches (text of `0`s and `1`s), packed.
pub fn bit_vectors(batches: &[ArrayRef], dim: usize) -> Result<BitSet> {
    let rows: usize = batches.iter().map(|a| a.len()).sum();
    let bytes = dim.div_ceil(8);
    let mut data = vec![0u8; rows * bytes];
    let mut present = Vec::with_capacity(rows);
    let mut row = 0usize;
    for array in batches {
        let text = arrow::compute::cast(array, &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        for i in 0..text.len() {
            if text.is_null(i) {
                present.push(false);
            } else {
                let out = &mut data[row * bytes..(row + 1) * bytes];
                if pack_bits(text.value(i), out) != Some(dim) {
                    return Err(QuiverError::DataException(format!(
                        "expected {dim} bits, not {}",
                        text.value(i).len()
                    )));
                }
                present.push(true);
            }
            row += 1;
        }
    }
    Ok(BitSet { dim, data, present })
}

/// Packs a bit string (`'0'`/`'1'` characters) into `out`, most significant bit first: the number
/// of bits, or `None` if the text is not a bit string or does not fit.
pub fn pack_bits(text: &str, out: &mut [u8]) -> Option<usize> {
    if text.len() > out.len() * 8 {
        return None;
    }
    for (j, c) in text.bytes().enumerate() {
        match c {
            b'1' => out[j / 8] |= 0x80 >> (j % 8),
            b'0' => {}
            _ => return None,
        }
    }
    Some(text.len())
}

fn push_row(array: &ArrayRef, i: usize, out: &mut Vec<f32>) -> Result<()> {
    let values = match array.data_type() {
        DataType::FixedSizeList(..) => array
            .as_any()
            .downcast_ref::<FixedSizeListArray>()
            .map(|a| a.value(i)),
        DataType::List(_) => array
            .as_any()
            .downcast_ref::<ListArray>()
            .map(|a| a.value(i)),
        _ => None,
    }
    .ok_or_else(|| QuiverError::Internal(format!("not a vector column: {}", array.data_type())))?;
    if let Some(f) = values.as_any().downcast_ref::<Float32Array>() {
        out.extend_from_slice(f.values());
    } else if let Some(h) = values.as_any().downcast_ref::<Float16Array>() {
        out.extend(h.values().iter().map(|v| v.to_f32()));
    } else {
        return Err(QuiverError::Internal(format!(
            "not a vector column: {}",
            array.data_type()
        )));
    }
    Ok(())
}

/// A running index build, for `pg_stat_progress_create_index`.
#[derive(Debug)]
pub struct BuildProgress {
    pub pid: i32,
    pub table_id: u64,
    pub index_id: u64,
    pub command: &'static str,
    pub phase: Mutex<&'static str>,
    pub tuples_total: AtomicU64,
    pub tuples_done: AtomicU64,
    pub segments_total: AtomicU64,
    pub segments_done: AtomicU64,
}

/// (table id, segment id, index id).
type Key = (u64, u64, u64);

type Job = Box<dyn FnOnce() + Send>;

/// Per-segment vector indexes: the loaded ones, the background builder, running builds.
#[derive(Default)]
pub struct IndexStore {
    loaded: Mutex<HashMap<Key, Arc<dyn VectorIndex>>>,
    /// Keys queued or being built, so that one segment's index is built once.
    pending: Mutex<HashSet<Key>>,
    /// Indexes dropped since startup: a queued build of one of them is skipped.
    dropped: Mutex<HashSet<u64>>,
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    progress: Mutex<Vec<Arc<BuildProgress>>>,
    compiler: OnceLock<Arc<dyn ExprCompiler>>,
    /// Compiled index keys and predicates by (index id, SQL text, schema width): a table's
    /// columns only ever get appended, so an expression compiled once stays valid.
    compiled: Mutex<HashMap<(u64, String, usize), Arc<dyn PhysicalExpr>>>,
}

impl std::fmt::Debug for IndexStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IndexStore({} loaded)", self.loaded.lock().len())
    }
}

/// Worker threads for one build: all cores.
pub fn build_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

pub fn index_path(seg: &SegmentRef, spec: &VectorIndexSpec) -> PathBuf {
    seg.path.with_file_name(format!(
        "s{}.x{}.{}",
        seg.meta.id,
        spec.index_id,
        spec.kind().name()
    ))
}

impl IndexStore {
    /// The index of `seg` for `spec` if it is built: from memory, else from its file. A missing
    /// or damaged file schedules a background build and returns `None` (search that segment
    /// exactly meanwhile).
    pub fn get(
        self: &Arc<Self>,
        table_id: u64,
        seg: &SegmentRef,
        spec: &VectorIndexSpec,
        schema: &SchemaRef,
    ) -> Option<Arc<dyn VectorIndex>> {
        let key = (table_id, seg.meta.id, spec.index_id);
        if let Some(ix) = self.loaded.lock().get(&key) {
            return Some(ix.clone());
        }
        if self.pending.lock().contains(&key) {
            return None;
        }
        let path = index_path(seg, spec);
        match std::fs::read(&path) {
            Ok(bytes) => match load_checked(&bytes, seg, spec) {
                Ok(ix) => {
                    let ix: Arc<dyn VectorIndex> = Arc::from(ix);
                    self.loaded.lock().entry(key).or_insert_with(|| ix.clone());
                    return Some(ix);
                }
                Err(e) => {
                    tracing::warn!(index = %spec.name, file = %path.display(), error = %e,
                        "index file unusable; rebuilding it in the background");
                    let _ = std::fs::remove_file(&path);
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(index = %spec.name, file = %path.display(), error = %e,
                    "cannot read index file");
                return None;
            }
        }
        self.schedule(table_id, seg.clone(), spec.clone(), schema.clone());
        None
    }

    /// Queues a background build of `seg`'s index unless one is queued or running.
    pub fn schedule(
        self: &Arc<Self>,
        table_id: u64,
        seg: SegmentRef,
        spec: VectorIndexSpec,
        schema: SchemaRef,
    ) {
        let key = (table_id, seg.meta.id, spec.index_id);
        if self.loaded.lock().contains_key(&key) || !self.pending.lock().insert(key) {
            return;
        }
        let store = self.clone();
        let job: Job = Box::new(move || {
            if !store.dropped.lock().contains(&spec.index_id) {
                let started = Instant::now();
                match store.build_segment(table_id, &seg, &spec, &schema, &|_| true) {
                    Ok(_) => tracing::info!(index = %spec.name, segment = seg.meta.id,
                        rows = seg.meta.rows, secs = started.elapsed().as_secs_f64(),
                        "built segment index in the background"),
                    Err(e) => tracing::warn!(index = %spec.name, segment = seg.meta.id,
                        error = %e, "background index build failed"),
                }
            }
            store.pending.lock().remove(&key);
        });
        let mut jobs = self.jobs.lock();
        if jobs.is_none() {
            let (tx, rx) = mpsc::channel::<Job>();
            let spawned = std::thread::Builder::new()
                .name("quiver-index-build".into())
                .spawn(move || {
                    for job in rx {
                        job();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "cannot start the index build thread");
                self.pending.lock().remove(&key);
                return;
            }
            *jobs = Some(tx);
        }
        if let Some(tx) = jobs.as_ref() {
            if tx.send(job).is_err() {
                self.pending.lock().remove(&key);
            }
        }
    }

    /// Builds, persists and caches `seg`'s index now (CREATE INDEX, REINDEX, background jobs).
    pub fn build_segment(
        &self,
        table_id: u64,
        seg: &SegmentRef,
        spec: &VectorIndexSpec,
        schema: &SchemaRef,
        progress: index::Progress<'_>,
    ) -> Result<Arc<dyn VectorIndex>> {
        let batches = seg.batches(schema)?;
        let keys = evaluate_each(&self.key_expr(spec, schema)?, &batches)?;
        let mut vectors: Vectors = if spec.is_bits() {
            bit_vectors(&keys, spec.dim)?.into()
        } else {
            column_vectors(&keys, spec.dim)?.into()
        };
        drop(keys);
        // A partial index holds the rows its predicate accepts.
        if let Some(pred) = self.predicate_expr(spec, schema)? {
            let present = match &mut vectors {
                Vectors::Float(v) => &mut v.present,
                Vectors::Bits(v) => &mut v.present,
            };
            let mut row = 0usize;
            for value in evaluate_each(&pred, &batches)? {
                let accepted = value
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| {
                        QuiverError::Internal("index predicate is not boolean".into())
                    })?;
                for i in 0..accepted.len() {
                    if !(accepted.is_valid(i) && accepted.value(i)) {
                        present[row] = false;
                    }
                    row += 1;
                }
            }
        }
        drop(batches);
        let ix = index::build(spec.params, spec.metric, vectors, build_threads(), progress)
            .map_err(index_error)?;
        let path = index_path(seg, spec);
        // A DROP INDEX during the build: leave no file behind.
        if self.dropped.lock().contains(&spec.index_id) {
            return Err(QuiverError::QueryCanceled);
        }
        write_index_file(&path, ix.as_ref())?;
        if self.dropped.lock().contains(&spec.index_id) {
            let _ = std::fs::remove_file(&path);
            return Err(QuiverError::QueryCanceled);
        }
        let ix: Arc<dyn VectorIndex> = Arc::from(ix);
        self.loaded
            .lock()
            .insert((table_id, seg.meta.id, spec.index_id), ix.clone());
        Ok(ix)
    }

    /// Installs the expression compiler (once, at engine start).
    pub fn set_compiler(&self, compiler: Arc<dyn ExprCompiler>) {
        let _ = self.compiler.set(compiler);
    }

    /// `sql` compiled over `schema`.
    pub fn compile(&self, sql: &str, schema: &SchemaRef) -> Result<Arc<dyn PhysicalExpr>> {
        let compiler = self.compiler.get().ok_or_else(|| {
            QuiverError::Internal("no expression compiler for index expressions".into())
        })?;
        compiler.compile(sql, schema)
    }

    /// `sql`, an expression of index `index_id`, compiled over `schema` (cached: planning and
    /// every segment build ask again).
    fn compile_for(
        &self,
        index_id: u64,
        sql: &str,
        schema: &SchemaRef,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        let key = (index_id, sql.to_string(), schema.fields().len());
        if let Some(e) = self.compiled.lock().get(&key) {
            return Ok(e.clone());
        }
        let e = self.compile(sql, schema)?;
        self.compiled.lock().insert(key, e.clone());
        Ok(e)
    }

    /// The expression computing an index's key from a row of `schema` (the table's columns
    /// first, as in every batch a scan or segment yields).
    pub fn key_expr(
        &self,
        spec: &VectorIndexSpec,
        schema: &SchemaRef,
    ) -> Result<Arc<dyn PhysicalExpr>> {
        match &spec.key {
            IndexKey::Column(c) => Ok(Arc::new(Column::new(schema.field(*c).name(), *c))),
            IndexKey::Expr(sql) => self.compile_for(spec.index_id, sql, schema),
        }
    }

    /// A partial index's predicate over `schema`.
    pub fn predicate_expr(
        &self,
        spec: &VectorIndexSpec,
        schema: &SchemaRef,
    ) -> Result<Option<Arc<dyn PhysicalExpr>>> {
        spec.predicate
            .as_deref()
            .map(|p| self.compile_for(spec.index_id, p, schema))
            .transpose()
    }

    /// Marks keys as being built by a foreground command so that queries do not queue them.
    pub fn claim(&self, keys: &[(u64, u64, u64)]) {
        self.pending.lock().extend(keys.iter().copied());
    }

    pub fn release(&self, keys: &[(u64, u64, u64)]) {
        let mut p = self.pending.lock();
        for k in keys {
            p.remove(k);
        }
    }

    /// Forgets an index (DROP INDEX, DROP TABLE, REINDEX): evicts it and stops queued builds.
    pub fn forget(&self, index_id: u64) {
        self.loaded.lock().retain(|k, _| k.2 != index_id);
        self.compiled.lock().retain(|k, _| k.0 != index_id);
        self.dropped.lock().insert(index_id);
    }

    /// Evicts a table's indexes (TRUNCATE, DROP TABLE).
    pub fn forget_table(&self, table_id: u64) {
        self.loaded.lock().retain(|k, _| k.0 != table_id);
    }

    /// Un-drops an id (REINDEX reuses it).
    pub fn revive(&self, index_id: u64) {
        self.dropped.lock().remove(&index_id);
    }

    pub fn start_progress(&self, p: BuildProgress) -> Arc<BuildProgress> {
        let p = Arc::new(p);
        self.progress.lock().push(p.clone());
        p
    }

    pub fn end_progress(&self, p: &Arc<BuildProgress>) {
        self.progress.lock().retain(|q| !Arc::ptr_eq(q, p));
    }

    pub fn progress(&self) -> Vec<Arc<BuildProgress>> {
        self.progress.lock().clone()
    }
}

fn load_checked(
    bytes: &[u8],
    seg: &SegmentRef,
    spec: &VectorIndexSpec,
) -> std::result::Result<Box<dyn VectorIndex>, IndexError> {
    let ix = index::load(bytes)?;
    if ix.kind() != spec.kind() || ix.metric() != spec.metric || ix.dim() != spec.dim {
        return Err(IndexError::Corrupt(format!(
            "built as {} {:?} over {} dimensions, defined as {} {:?} over {}",
            ix.kind().name(),
            ix.metric(),
            ix.dim(),
            spec.kind().name(),
            spec.metric,
            spec.dim
        )));
    }
    if ix.len() as u64 > seg.meta.rows {
        return Err(IndexError::Corrupt(format!(
            "{} vectors for a segment of {} rows",
            ix.len(),
            seg.meta.rows
        )));
    }
    Ok(ix)
}

/// Writes an index file whole or not at all: a temporary file, fsync, rename, fsync the directory.
fn write_index_file(path: &std::path::Path, ix: &dyn VectorIndex) -> Result<()> {
    write_file_atomically(path, |w| ix.write_to(w))
}

/// Writes a file through `write` whole or not at all (temporary file, fsync, rename, fsync the
/// directory), so that a file that exists is complete.
pub fn write_file_atomically(
    path: &std::path::Path,
    write: impl FnOnce(&mut dyn Write) -> std::result::Result<(), IndexError>,
) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let file = std::fs::File::create(&tmp)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    write(&mut w).map_err(index_error)?;
    w.flush()?;
    let file = w
        .into_inner()
        .map_err(|e| QuiverError::Io(e.into_error().to_string()))?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

pub fn index_error(e: IndexError) -> QuiverError {
    match e {
        IndexError::Corrupt(m) => QuiverError::DataCorrupted(m),
        IndexError::Io(e) => QuiverError::from(e),
        IndexError::Invalid(m) => QuiverError::DataException(m),
        IndexError::Canceled => QuiverError::QueryCanceled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opclass_metrics() {
        assert_eq!(opclass_metric("vector_l2_ops"), Some(Metric::L2));
        assert_eq!(opclass_metric("halfvec_cosine_ops"), Some(Metric::Cosine));
        assert_eq!(opclass_metric("vector_ip_ops"), Some(Metric::InnerProduct));
        assert_eq!(opclass_metric("bit_jaccard_ops"), Some(Metric::Jaccard));
        assert_eq!(opclass_metric("int4_ops"), None);
    }
}
