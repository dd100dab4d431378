//! Vector indexes and the distance kernels they (and the SQL distance functions) share.
//!
//! An index is a pure data structure over the vectors of one sealed segment, addressed by row
//! *position* in that segment (0..n). It knows nothing of SQL, DataFusion or storage: the storage
//! layer hands it a [`VectorSet`], persists what [`VectorIndex::write_to`] writes next to the
//! segment file, and the ANN operator calls [`VectorIndex::search`] with a [`RowMask`] of the
//! positions a query may return (live rows that pass its `WHERE` clause).
//!
//! Adding an index kind: a module, one [`IndexKind`] variant, one arm in [`build`] and [`load`].

pub mod bm25;
pub mod flat;
pub mod hnsw;
pub mod ivfflat;
pub mod metric;
mod scored;
pub mod sparse_inverted;

use std::io::Write;

pub use metric::Metric;

/// The access methods with a vector index structure behind them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexKind {
    Hnsw,
    IvfFlat,
}

impl IndexKind {
    pub fn name(&self) -> &'static str {
        match self {
            IndexKind::Hnsw => "hnsw",
            IndexKind::IvfFlat => "ivfflat",
        }
    }

    pub fn from_method(method: &str) -> Option<IndexKind> {
        match method {
            "hnsw" => Some(IndexKind::Hnsw),
            "ivfflat" => Some(IndexKind::IvfFlat),
            _ => None,
        }
    }
}

/// Build parameters, validated by DDL before they get here.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BuildParams {
    Hnsw { m: usize, ef_construction: usize },
    IvfFlat { lists: usize },
}

impl BuildParams {
    pub fn kind(&self) -> IndexKind {
        match self {
            BuildParams::Hnsw { .. } => IndexKind::Hnsw,
            BuildParams::IvfFlat { .. } => IndexKind::IvfFlat,
        }
    }
}

/// Per-query knobs (pgvector's settings).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchParams {
    /// Neighbours wanted.
    pub k: usize,
    /// `hnsw.ef_search`: size of the dynamic candidate list (the search uses `max(ef_search, k)`).
    pub ef_search: usize,
    /// `ivfflat.probes`: lists scanned.
    pub probes: usize,
    /// `ivfflat.max_probes` when iterative scans are on: lists scanned at most while fewer than `k`
    /// allowed rows were found.
    pub max_probes: usize,
}

impl Default for SearchParams {
    fn default() -> Self {
        SearchParams {
            k: 10,
            ef_search: 40,
            probes: 1,
            max_probes: usize::MAX,
        }
    }
}

/// Work done by searches, reported by `EXPLAIN ANALYZE`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SearchStats {
    /// Graph nodes (HNSW) or list entries (IVFFlat) looked at.
    pub visited: u64,
    pub distance_computations: u64,
}

impl SearchStats {
    pub fn add(&mut self, o: &SearchStats) {
        self.visited += o.visited;
        self.distance_computations += o.distance_computations;
    }
}

/// A neighbour: row position in the segment and its distance in the index's internal measure
/// (monotone in the SQL distance; callers re-rank with the SQL function).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Neighbor {
    pub pos: u32,
    pub dist: f32,
}

/// Which positions of a segment a query may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowMask {
    words: Vec<u64>,
    len: usize,
    count: usize,
}

impl RowMask {
    /// All `len` positions allowed.
    pub fn all(len: usize) -> RowMask {
        let mut words = vec![u64::MAX; len.div_ceil(64)];
        if len % 64 != 0 {
            if let Some(last) = words.last_mut() {
                *last = (1u64 << (len % 64)) - 1;
            }
        }
        RowMask {
            words,
            len,
            count: len,
        }
    }

    /// No position allowed.
    pub fn none(len: usize) -> RowMask {
        RowMask {
            words: vec![0; len.div_ceil(64)],
            len,
            count: 0,
        }
    }

    /// The first `len` bits of a little-endian bitmap (bit `i` is bit `i % 8` of byte `i / 8`,
    /// Arrow's layout): a word at a time, not a bit at a time.
    pub fn from_le_bitmap(bytes: &[u8], len: usize) -> RowMask {
        let mut words: Vec<u64> = bytes
            .chunks(8)
            .take(len.div_ceil(64))
            .map(|c| {
                let mut w = [0u8; 8];
                w[..c.len()].copy_from_slice(c);
                u64::from_le_bytes(w)
            })
            .collect();
        words.resize(len.div_ceil(64), 0);
        if len % 64 != 0 {
            if let Some(last) = words.last_mut() {
                *last &= (1u64 << (len % 64)) - 1;
            }
        }
        let count = words.iter().map(|w| w.count_ones() as usize).sum();
        RowMask { words, len, count }
    }

    pub fn from_bools(bits: impl IntoIterator<Item = bool>) -> RowMask {
        let mut m = RowMask::none(0);
        for (i, b) in bits.into_iter().enumerate() {
            if i / 64 == m.words.len() {
                m.words.push(0);
            }
            if b {
                m.words[i / 64] |= 1 << (i % 64);
                m.count += 1;
            }
            m.len = i + 1;
        }
        m
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Allowed positions.
    pub fn count(&self) -> usize {
        self.count
    }

    #[inline]
    pub fn contains(&self, pos: u32) -> bool {
        let p = pos as usize;
        p < self.len && self.words[p / 64] & (1 << (p % 64)) != 0
    }

    pub fn remove(&mut self, pos: u32) {
        let p = pos as usize;
        if p < self.len && self.words[p / 64] & (1 << (p % 64)) != 0 {
            self.words[p / 64] &= !(1 << (p % 64));
            self.count -= 1;
        }
    }

    /// Allowed positions in ascending order.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut bits = word;
            std::iter::from_fn(move || {
                if bits == 0 {
                    return None;
                }
                let t = bits.trailing_zeros();
                bits &= bits - 1;
                Some((w * 64) as u32 + t)
            })
        })
    }
}

/// The vectors of one segment, contiguous (`dim` floats per row, row `i` at `i * dim`). Rows whose
/// vector is NULL are absent from an index; `present` says which rows have one.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorSet {
    pub dim: usize,
    pub data: Vec<f32>,
    /// Per row: whether it has a vector (NULL rows hold zeros in `data`).
    pub present: Vec<bool>,
}

impl VectorSet {
    pub fn len(&self) -> usize {
        self.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.present.is_empty()
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// The bit vectors of one segment (`bit(dim)` values), packed: `dim.div_ceil(8)` bytes per row,
/// most significant bit first (PostgreSQL's layout). NULL rows hold zeros and are absent.
#[derive(Debug, Clone, PartialEq)]
pub struct BitSet {
    /// Bits per vector.
    pub dim: usize,
    pub data: Vec<u8>,
    pub present: Vec<bool>,
}

/// What an index is built over.
#[derive(Debug, Clone, PartialEq)]
pub enum Vectors {
    Float(VectorSet),
    Bits(BitSet),
}

impl From<VectorSet> for Vectors {
    fn from(v: VectorSet) -> Vectors {
        Vectors::Float(v)
    }
}

impl From<BitSet> for Vectors {
    fn from(v: BitSet) -> Vectors {
        Vectors::Bits(v)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("index file is corrupt: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The query or data does not fit the index (dimension mismatch, unsupported metric).
    #[error("{0}")]
    Invalid(String),
    #[error("index build canceled")]
    Canceled,
}

/// Called during builds with the number of vectors inserted so far; returns `false` to cancel.
pub type Progress<'a> = &'a (dyn Fn(usize) -> bool + Sync);

/// The read side of a built index.
pub trait VectorIndex: Send + Sync + std::fmt::Debug {
    fn kind(&self) -> IndexKind;
    fn metric(&self) -> Metric;
    fn dim(&self) -> usize;
    /// Vectors indexed.
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Up to `params.k` nearest allowed positions, nearest first. Positions outside `filter` are
    /// never returned; with a filter the search keeps going until it has `k` allowed rows or has
    /// exhausted what it can reach (in-graph filtering), so selective filters do not starve it.
    fn search(
        &self,
        query: &[f32],
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Result<Vec<Neighbor>, IndexError>;
    /// [`VectorIndex::search`] for an index over bit vectors (Hamming, Jaccard): `query` holds
    /// `bits` bits packed eight to a byte, most significant first.
    fn search_bits(
        &self,
        query: &[u8],
        bits: usize,
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Result<Vec<Neighbor>, IndexError> {
        let _ = (query, bits, params, filter, stats);
        Err(IndexError::Invalid(format!(
            "{} indexes over float vectors are not searched with bit vectors",
            self.kind().name()
        )))
    }
    /// Heap memory held.
    fn memory_bytes(&self) -> usize;
    /// Serialises the index (self-describing, checksummed) for [`load`].
    fn write_to(&self, w: &mut dyn Write) -> Result<(), IndexError>;
}

/// Builds an index over `vectors` with `threads` worker threads.
pub fn build(
    params: BuildParams,
    metric: Metric,
    vectors: impl Into<Vectors>,
    threads: usize,
    progress: Progress<'_>,
) -> Result<Box<dyn VectorIndex>, IndexError> {
    match (params, vectors.into()) {
        (BuildParams::Hnsw { m, ef_construction }, vectors) => {
            let cfg = hnsw::HnswConfig { m, ef_construction };
            Ok(Box::new(match vectors {
                Vectors::Float(v) => hnsw::HnswIndex::build(metric, v, cfg, threads, progress)?,
                Vectors::Bits(v) => hnsw::HnswIndex::build_bits(metric, v, cfg, threads, progress)?,
            }))
        }
        (BuildParams::IvfFlat { lists }, Vectors::Float(v)) => Ok(Box::new(
            ivfflat::IvfFlatIndex::build(metric, v, lists, threads, progress)?,
        )),
        (BuildParams::IvfFlat { .. }, Vectors::Bits(_)) => Err(IndexError::Invalid(
            "ivfflat indexes over bit vectors are not supported".into(),
        )),
    }
}

/// Reads an index written by [`VectorIndex::write_to`].
pub fn load(bytes: &[u8]) -> Result<Box<dyn VectorIndex>, IndexError> {
    if bytes.starts_with(hnsw::MAGIC) {
        Ok(Box::new(hnsw::HnswIndex::load(bytes)?))
    } else if bytes.starts_with(ivfflat::MAGIC) {
        Ok(Box::new(ivfflat::IvfFlatIndex::load(bytes)?))
    } else {
        Err(IndexError::Corrupt("unknown index file header".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_mask_basics() {
        let mut m = RowMask::all(130);
        assert_eq!(m.count(), 130);
        assert!(m.contains(129));
        assert!(!m.contains(130));
        m.remove(5);
        m.remove(5);
        assert_eq!(m.count(), 129);
        assert!(!m.contains(5));
        let v: Vec<u32> = RowMask::from_bools([false, true, true, false])
            .iter()
            .collect();
        assert_eq!(v, vec![1, 2]);
        assert_eq!(RowMask::none(10).iter().count(), 0);
        // From a bitmap: only the first `len` bits count, whatever follows them.
        let bools: Vec<bool> = (0..130).map(|i| i % 3 == 0 || i == 129).collect();
        let mut bytes = vec![0u8; 17];
        for (i, b) in bools.iter().enumerate() {
            bytes[i / 8] |= u8::from(*b) << (i % 8);
        }
        bytes[16] |= 0xfc; // bits 130.. set: beyond len
        let m = RowMask::from_le_bitmap(&bytes, 130);
        assert_eq!(m, RowMask::from_bools(bools));
        assert_eq!(m.count(), 44);
        assert_eq!(RowMask::from_le_bitmap(&[0xff], 3).count(), 3);
        assert_eq!(RowMask::from_le_bitmap(&[], 70), RowMask::none(70));
    }
}
