//! Per-segment inverted indexes over text (BM25) and sparse vectors, for the retrieval legs of
//! `hybrid_search`, and the lexeme postings of GIN indexes on tsvectors, which narrow `@@` scans.
//!
//! A sealed segment never changes, so its postings are built once (on first use, or eagerly by
//! `CREATE INDEX ... USING bm25 / sparse_inverted`) and cached. When the column has such an index
//! defined, the postings are also persisted next to the segment (`s<segment>.x<index id>.bm25` /
//! `.spix`, written whole or not at all, checksummed) and read back after a restart instead of
//! being rebuilt. Columns without an index get in-memory postings only. Rows of the growing segment
//! are analysed per query (see `planner::hybrid`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::DataType;
use parking_lot::Mutex;

use crate::error::Result;
use crate::index::bm25::Bm25Index;
use crate::index::sparse_inverted::SparseInvertedIndex;
use crate::index::IndexError;
use crate::sql::vector_array::sparse_of;
use crate::storage::segment::SegmentRef;
use crate::storage::vindex::write_file_atomically;
use crate::text::analyzer::Analyzer;
use crate::text::tsearch::{self, TsConfig, TsVector};

/// (table id, segment id, column, analyzer — `None` for sparse vectors).
type Key = (u64, u64, usize, Option<Analyzer>);

/// Where a GIN index on a tsvector gets each row's lexemes: `to_tsvector(config, column)` over a
/// text column, or a column that holds tsvectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GinSource {
    ToTsvector(TsConfig),
    Tsvector,
}

impl GinSource {
    /// The distinct lexemes of each text (`None`: NULL, indexed as no lexemes).
    fn lexemes(self, texts: &[Option<String>]) -> Result<Vec<Option<Vec<String>>>> {
        par_map(texts, |t| {
            let v = match self {
                GinSource::ToTsvector(cfg) => tsearch::to_tsvector(cfg, t),
                GinSource::Tsvector => t.parse::<TsVector>()?,
            };
            Ok(v.entries().iter().map(|e| e.lexeme.clone()).collect())
        })
    }
}

#[derive(Default)]
pub struct TextIndexStore {
    bm25: Mutex<HashMap<Key, Arc<Bm25Index>>>,
    sparse: Mutex<HashMap<Key, Arc<SparseInvertedIndex>>>,
    /// (table, column, analyzer) → the postings of the unsealed rows last searched, with a hash
    /// of their row ids (row ids are never reused, so equal hashes mean the same rows).
    unsealed: Mutex<HashMap<(u64, usize, Analyzer), (u64, Arc<Bm25Index>)>>,
    /// GIN lexeme postings per (table, segment, column, source) — kept in a [`Bm25Index`], whose
    /// sorted dictionary and block postings serve term and prefix lookups.
    gin: Mutex<HashMap<(u64, u64, usize, GinSource), Arc<Bm25Index>>>,
    /// As `unsealed`, for GIN postings.
    gin_unsealed: Mutex<HashMap<(u64, usize, GinSource), (u64, Arc<Bm25Index>)>>,
}

impl std::fmt::Debug for TextIndexStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TextIndexStore({} bm25, {} sparse)",
            self.bm25.lock().len(),
            self.sparse.lock().len()
        )
    }
}

fn file_path(seg: &SegmentRef, index_id: u64, ext: &str) -> PathBuf {
    seg.path
        .with_file_name(format!("s{}.x{}.{ext}", seg.meta.id, index_id))
}

/// The text values of one column over a part's batches (NULL → `None`).
pub fn column_texts(batches: &[RecordBatch], column: usize) -> Result<Vec<Option<String>>> {
    let mut out = Vec::new();
    for b in batches {
        let col: &ArrayRef = b.column(column);
        let col = if col.data_type() == &DataType::Utf8 {
            col.clone()
        } else {
            arrow::compute::cast(col, &DataType::Utf8)?
        };
        let s = col.as_string::<i32>();
        out.extend((0..s.len()).map(|i| (!s.is_null(i)).then(|| s.value(i).to_string())));
    }
    Ok(out)
}

/// `f` over the non-NULL texts on all cores, in order (analysis is the cost of an index build).
fn par_map<T: Send>(
    texts: &[Option<String>],
    f: impl Fn(&str) -> Result<T> + Sync,
) -> Result<Vec<Option<T>>> {
    let threads = crate::storage::vindex::build_threads().max(1);
    let chunk = texts.len().div_ceil(threads).max(1);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|t| t.as_deref().map(f).transpose())
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(texts.len());
        for h in handles {
            // A panic in an analyzer is a bug; re-raise it rather than lose rows (which would
            // shift every later position).
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?);
        }
        Ok(out)
    })
}

/// Analyses documents on all cores.
pub fn analyze_all(analyzer: Analyzer, texts: &[Option<String>]) -> Vec<Option<Vec<String>>> {
    par_map(texts, |t| Ok(analyzer.analyze(t))).expect("analysis does not fail")
}

/// A sealed segment's index: from the cache, else read back from `path`, else built by `build`
/// (and written to `path` when there is one).
fn per_segment<K: Eq + std::hash::Hash, T>(
    cache: &Mutex<HashMap<K, Arc<T>>>,
    key: K,
    path: Option<PathBuf>,
    load: impl Fn(&[u8]) -> std::result::Result<T, IndexError>,
    write: impl Fn(&T, &mut dyn std::io::Write) -> std::result::Result<(), IndexError>,
    build: impl FnOnce() -> Result<T>,
) -> Result<Arc<T>> {
    if let Some(ix) = cache.lock().get(&key) {
        return Ok(ix.clone());
    }
    let ix = match path.as_ref().and_then(|p| read_back(p, &load)) {
        Some(ix) => ix,
        None => {
            let ix = build()?;
            if let Some(p) = &path {
                write_file_atomically(p, |w| write(&ix, w))?;
            }
            ix
        }
    };
    let ix = Arc::new(ix);
    cache.lock().insert(key, ix.clone());
    Ok(ix)
}

/// Postings of unsealed rows (`batches`): the cached ones while those rows are the same (row ids
/// are never reused, so an equal hash of them means the same rows), else rebuilt.
fn unsealed<K: Eq + std::hash::Hash>(
    cache: &Mutex<HashMap<K, (u64, Arc<Bm25Index>)>>,
    key: K,
    batches: &[RecordBatch],
    row_id_column: usize,
    build: impl FnOnce() -> Result<Bm25Index>,
) -> Result<Arc<Bm25Index>> {
    let hash = row_id_hash(batches, row_id_column)?;
    if let Some((seen, ix)) = cache.lock().get(&key) {
        if *seen == hash {
            return Ok(ix.clone());
        }
    }
    let ix = Arc::new(build()?);
    cache.lock().insert(key, (hash, ix.clone()));
    Ok(ix)
}

impl TextIndexStore {
    /// The BM25 postings of `column` in `seg` (whose rows are `batches`), persisted under
    /// `index_id` when the column has a bm25 index.
    pub fn bm25(
        &self,
        table_id: u64,
        seg: &SegmentRef,
        column: usize,
        analyzer: Analyzer,
        index_id: Option<u64>,
        batches: &[RecordBatch],
    ) -> Result<Arc<Bm25Index>> {
        per_segment(
            &self.bm25,
            (table_id, seg.meta.id, column, Some(analyzer)),
            index_id.map(|id| file_path(seg, id, "bm25")),
            Bm25Index::load,
            Bm25Index::write_to,
            || {
                let docs = analyze_all(analyzer, &column_texts(batches, column)?);
                Ok(Bm25Index::build(&docs))
            },
        )
    }

    /// The inverted index of sparse vector `column` in `seg`, persisted under `index_id` when the
    /// column has a sparse_inverted index.
    pub fn sparse(
        &self,
        table_id: u64,
        seg: &SegmentRef,
        column: usize,
        index_id: Option<u64>,
        batches: &[RecordBatch],
    ) -> Result<Arc<SparseInvertedIndex>> {
        per_segment(
            &self.sparse,
            (table_id, seg.meta.id, column, None),
            index_id.map(|id| file_path(seg, id, "spix")),
            SparseInvertedIndex::load,
            SparseInvertedIndex::write_to,
            || {
                let mut rows = Vec::new();
                let mut dim = 0u32;
                for b in batches {
                    for s in sparse_of(b.column(column).as_ref())? {
                        rows.push(s.map(|s| {
                            dim = dim.max(s.dim as u32);
                            (
                                s.indices.iter().map(|&i| i as u32).collect::<Vec<u32>>(),
                                s.values.clone(),
                            )
                        }));
                    }
                }
                Ok(SparseInvertedIndex::build(&rows, dim))
            },
        )
    }

    /// BM25 postings over rows not in a sealed segment yet (the growing segment and a transaction's
    /// own rows, live ones only, as `batches`): built when those rows change, reused otherwise, so
    /// that a query does not analyse them again.
    pub fn bm25_unsealed(
        &self,
        table_id: u64,
        column: usize,
        analyzer: Analyzer,
        batches: &[RecordBatch],
        row_id_column: usize,
    ) -> Result<Arc<Bm25Index>> {
        unsealed(
            &self.unsealed,
            (table_id, column, analyzer),
            batches,
            row_id_column,
            || {
                let docs = analyze_all(analyzer, &column_texts(batches, column)?);
                Ok(Bm25Index::build(&docs))
            },
        )
    }

    /// The GIN postings (lexeme → row positions) of `column` in `seg`, persisted under
    /// `index_id` (`s<segment>.x<index>.gin`).
    pub fn gin(
        &self,
        table_id: u64,
        seg: &SegmentRef,
        column: usize,
        source: GinSource,
        index_id: u64,
        batches: &[RecordBatch],
    ) -> Result<Arc<Bm25Index>> {
        per_segment(
            &self.gin,
            (table_id, seg.meta.id, column, source),
            Some(file_path(seg, index_id, "gin")),
            Bm25Index::load,
            Bm25Index::write_to,
            || {
                Ok(Bm25Index::build(
                    &source.lexemes(&column_texts(batches, column)?)?,
                ))
            },
        )
    }

    /// GIN postings over the unsealed rows `batches`, rebuilt only when those rows change (see
    /// [`TextIndexStore::bm25_unsealed`]).
    pub fn gin_unsealed(
        &self,
        table_id: u64,
        column: usize,
        source: GinSource,
        batches: &[RecordBatch],
        row_id_column: usize,
    ) -> Result<Arc<Bm25Index>> {
        unsealed(
            &self.gin_unsealed,
            (table_id, column, source),
            batches,
            row_id_column,
            || {
                Ok(Bm25Index::build(
                    &source.lexemes(&column_texts(batches, column)?)?,
                ))
            },
        )
    }

    /// Evicts a table's postings (TRUNCATE, DROP TABLE, DROP INDEX).
    pub fn forget_table(&self, table_id: u64) {
        self.bm25.lock().retain(|k, _| k.0 != table_id);
        self.sparse.lock().retain(|k, _| k.0 != table_id);
        self.unsealed.lock().retain(|k, _| k.0 != table_id);
        self.gin.lock().retain(|k, _| k.0 != table_id);
        self.gin_unsealed.lock().retain(|k, _| k.0 != table_id);
    }
}

/// A hash of the row ids of `batches` (row ids are never reused, so equal hashes mean the same
/// rows).
fn row_id_hash(batches: &[RecordBatch], row_id_column: usize) -> Result<u64> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for b in batches {
        let ids = b
            .column(row_id_column)
            .as_primitive_opt::<arrow::datatypes::UInt64Type>()
            .ok_or_else(|| crate::error::QuiverError::Internal("row ids are not u64".into()))?;
        ids.values().hash(&mut h);
    }
    Ok(h.finish())
}

/// Loads a persisted file; a damaged one is removed (and rebuilt by the caller).
fn read_back<T>(
    path: &std::path::Path,
    load: impl Fn(&[u8]) -> std::result::Result<T, IndexError>,
) -> Option<T> {
    let bytes = std::fs::read(path).ok()?;
    match load(&bytes) {
        Ok(ix) => Some(ix),
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "index file unusable; rebuilding it");
            let _ = std::fs::remove_file(path);
            None
        }
    }
}
