//! HNSW: a hierarchical navigable small-world graph (Malkov & Yashunin, 2016/2018), pgvector's
//! `hnsw` access method.
//!
//! - `build`: parallel construction (alg. 1 insert, alg. 2 layer search, alg. 4 neighbour
//!   heuristic) into atomics with per-node locks, then frozen into flat read-only arrays. Large
//!   builds walk a half-precision copy of the vectors when the data allows it (see
//!   `half_scale`): construction is memory-bound and this halves the bytes read per distance;
//!   searches always compare the f32 vectors;
//! - `search`: the shared walks (greedy upper-layer descent, best-first layer search with
//!   in-graph filtering, prefetching);
//! - `space`: the metric → internal-distance mapping (also used by IVFFlat);
//! - `codec`: the checksummed little-endian file format helpers (also used by IVFFlat);
//! - `rows`: aligned, huge-page-backed vector storage (also used by IVFFlat).
//!
//! Frozen layout (also the file layout), for `n` rows of which `len()` are indexed:
//! - `levels[n]`: each row's top layer, 255 for rows without a vector (NULL);
//! - `layer0[n * (2m + 1)]`: per row `[count, neighbour; 2m]`;
//! - `upper[..]`: per row with level `L > 0`, `L` blocks `[count, neighbour; m]` (layers 1..=L),
//!   rows in position order (offsets are recomputed from `levels` at load);
//! - `vectors[n * dim]`: the rows as compared (unit length for cosine; zeros for absent rows).
//!
//! Searching takes no locks: a query's scratch (visited set, heaps) lives in a thread-local and is
//! reused, so a steady-state query allocates only its result (and, for cosine, the normalised
//! query).
//!
//! File: magic `QVHNSW01`, format version, metric code, dim, rows, indexed rows, m,
//! ef_construction, entry point, top level, upper-layer length, then the arrays above, all
//! little-endian, and a 64-bit checksum of everything before it (see `codec`). [`HnswIndex::load`]
//! checks the checksum, every length against the header and every link (an indexed node that has
//! the layer), so a damaged file is an error, never a panic or an out-of-bounds walk.

pub(crate) mod codec;
pub(crate) mod space;

mod build;
pub(crate) mod rows;
mod search;

use std::cell::RefCell;
use std::io::Write;

use half::slice::HalfFloatSliceExt;

use self::build::{draw_level, upper_offsets, Builder, ABSENT, MAX_LEVEL};
use self::rows::Rows;
use self::search::{greedy, search_layer, Cand, Graph, Scratch};
use self::space::{Elem, Space};
use super::{
    BitSet, IndexError, IndexKind, Metric, Neighbor, Progress, RowMask, SearchParams, SearchStats,
    VectorIndex, VectorSet,
};

/// File magic of a serialised HNSW index.
pub const MAGIC: &[u8] = b"QVHNSW01";
/// Version of the layout after the magic.
const VERSION: u32 = 1;
/// No entry point (an index without vectors).
const NO_ENTRY: u32 = u32::MAX;
/// Largest `m` accepted (pgvector allows 2..=100); bounds list sizes read from files.
const MAX_M: usize = 1000;

/// Build parameters (pgvector's `WITH (m = .., ef_construction = ..)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HnswConfig {
    /// Neighbours per node on the upper layers; layer 0 keeps up to `2 * m`.
    pub m: usize,
    /// Size of the candidate list while inserting.
    pub ef_construction: usize,
}

impl Default for HnswConfig {
    fn default() -> Self {
        // pgvector's defaults.
        HnswConfig {
            m: 16,
            ef_construction: 64,
        }
    }
}

/// A frozen HNSW graph over one segment's vectors.
pub struct HnswIndex {
    space: Space,
    dim: usize,
    m: usize,
    ef_construction: usize,
    /// Indexed rows (those with a vector).
    count: usize,
    /// Entry point and its level (the graph's top layer); `None` when empty.
    entry: Option<(u32, usize)>,
    levels: Vec<u8>,
    /// Start of each row's blocks in `upper`.
    upper_off: Vec<usize>,
    layer0: Vec<u32>,
    upper: Vec<u32>,
    vectors: Stored,
}

/// The vectors a graph compares: floats, or packed bits for the binary spaces (`dim` bits in
/// `dim.div_ceil(8)` bytes per row).
enum Stored {
    F32(Rows<f32>),
    Bits(Rows<u8>),
}

impl Stored {
    fn memory_bytes(&self) -> usize {
        match self {
            Stored::F32(r) => r.memory_bytes(),
            Stored::Bits(r) => r.memory_bytes(),
        }
    }
}

impl std::fmt::Debug for HnswIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HnswIndex")
            .field("metric", &self.space.metric())
            .field("dim", &self.dim)
            .field("rows", &self.levels.len())
            .field("len", &self.count)
            .field("m", &self.m)
            .field("ef_construction", &self.ef_construction)
            .field("entry", &self.entry)
            .finish_non_exhaustive()
    }
}

thread_local! {
    /// Query scratch of this thread, shared by every index it searches (sized to the largest).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The frozen graph with its vectors of one element type, as the walks see it.
struct Frozen<'a, E> {
    ix: &'a HnswIndex,
    rows: &'a Rows<E>,
}

impl<E: Elem> Graph for Frozen<'_, E> {
    type Elem = E;

    #[inline(always)]
    fn space(&self) -> Space {
        self.ix.space
    }

    #[inline(always)]
    fn vector(&self, id: u32) -> &[E] {
        self.rows.get(id)
    }

    #[inline(always)]
    fn for_each_link(&self, id: u32, level: usize, mut f: impl FnMut(u32)) {
        let list = self.ix.list(id, level);
        if let Some((&count, rest)) = list.split_first() {
            let n = (count as usize).min(rest.len());
            for &nb in &rest[..n] {
                f(nb);
            }
        }
    }

    #[inline(always)]
    fn prefetch(&self, id: u32, lines: usize) {
        self.rows.prefetch(id, lines);
    }

    #[inline(always)]
    fn prefetch_links(&self, id: u32, level: usize) {
        let list = self.ix.list(id, level);
        search::prefetch_bytes(list.as_ptr() as *const u8, std::mem::size_of_val(list));
    }
}

/// Whether a build may walk a half-precision copy of the vectors (see [`half_scale`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HalfBuild {
    /// When the data suits it and the build is large enough to be memory-bound.
    Auto,
    /// Whenever the data suits it (tests).
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
}

/// Builds with fewer indexed rows than this walk the f32 vectors: their working set mostly fits
/// in the caches, so halving it buys little.
const HALF_MIN_ROWS: usize = 20_000;
/// Largest ratio of the data's second moment to its variance (summed over dimensions) for which
/// the f16 rounding error (about `|x| * 2^-11` per component) stays below ~1% of the spread of the
/// data, i.e. well below neighbour distances: `0.01^2 * 2^22 ≈ 419`. Data dominated by a common
/// offset (say all components 1000 ± 0.1) fails and is built in f32.
const HALF_MAX_MOMENT_RATIO: f64 = 400.0;
/// Rows sampled (evenly) to estimate the moments.
const HALF_SAMPLE: usize = 20_000;

/// The factor (a power of two, so that scaling is exact and preserves every distance order) by
/// which rows are multiplied before conversion to f16, or `None` if f16 would lose too much:
/// non-finite values, or a spread too small against the magnitudes (see
/// [`HALF_MAX_MOMENT_RATIO`]). Scaling puts the largest magnitude in [256, 512): far from f16's
/// overflow (65504) and with components down to ~1e-7 of it still normal numbers.
fn half_scale(space: Space, rows: &Rows<f32>, order: &[u32], dim: usize) -> Option<f32> {
    if dim == 0 || order.is_empty() {
        return None;
    }
    let mut max_abs = 0f32;
    for &i in order {
        for &x in rows.get(i) {
            if !x.is_finite() {
                return None;
            }
            max_abs = max_abs.max(x.abs());
        }
    }
    let step = order.len().div_ceil(HALF_SAMPLE).max(1);
    let mut sum = vec![0f64; dim];
    let mut sq = vec![0f64; dim];
    let mut k = 0usize;
    for &i in order.iter().step_by(step) {
        for ((s, q), &x) in sum.iter_mut().zip(sq.iter_mut()).zip(rows.get(i)) {
            let x = f64::from(x);
            *s += x;
            *q += x * x;
        }
        k += 1;
    }
    let k = k as f64;
    let moment: f64 = sq.iter().sum::<f64>() / k;
    let var: f64 = sum
        .iter()
        .zip(&sq)
        .map(|(s, q)| (q / k - (s / k) * (s / k)).max(0.0))
        .sum();
    if moment > HALF_MAX_MOMENT_RATIO * var {
        return None;
    }
    if space == Space::Cosine || max_abs == 0.0 {
        // Unit (or zero) vectors: already well scaled, and `1 - a·b` keeps its meaning.
        return Some(1.0);
    }
    Some((2f32).powi(8 - max_abs.log2().floor() as i32))
}

/// The layout of a graph before its links: each row's level (drawn up front), the rows to insert
/// and where each row's upper-layer blocks start.
struct Shape {
    m: usize,
    ef_construction: usize,
    levels: Vec<u8>,
    order: Vec<u32>,
    upper_off: Vec<usize>,
    upper_len: usize,
}

/// (entry point, layer 0, upper layers) of a linked graph.
type Links = (Option<(u32, usize)>, Vec<u32>, Vec<u32>);

impl Shape {
    fn new(present: &[bool], cfg: HnswConfig) -> Result<Shape, IndexError> {
        if cfg.m < 2 || cfg.m > MAX_M {
            return Err(IndexError::Invalid(format!(
                "hnsw m must be between 2 and {MAX_M}, not {}",
                cfg.m
            )));
        }
        if present.len() >= NO_ENTRY as usize {
            return Err(IndexError::Invalid(format!(
                "too many rows for one index ({})",
                present.len()
            )));
        }
        let ml = 1.0 / (cfg.m as f64).ln();
        let levels: Vec<u8> = present
            .iter()
            .enumerate()
            .map(|(i, &p)| if p { draw_level(i, ml) } else { ABSENT })
            .collect();
        let order: Vec<u32> = (0..present.len() as u32)
            .filter(|&i| present[i as usize])
            .collect();
        let (upper_off, upper_len) = upper_offsets(&levels, cfg.m)
            .ok_or_else(|| IndexError::Invalid("index too large".into()))?;
        Ok(Shape {
            m: cfg.m,
            // The search list must be able to hold the m neighbours it selects from.
            ef_construction: cfg.ef_construction.max(cfg.m),
            levels,
            order,
            upper_off,
            upper_len,
        })
    }

    /// Inserts every row into the graph, walking `rows`.
    fn link<E: Elem>(
        &self,
        space: Space,
        rows: &Rows<E>,
        threads: usize,
        progress: Progress<'_>,
    ) -> Result<Links, IndexError> {
        let b = Builder::new(
            space,
            self.m,
            self.ef_construction,
            rows,
            &self.levels,
            &self.upper_off,
            self.upper_len,
        );
        b.run(&self.order, threads, progress)?;
        Ok(b.finish())
    }

    fn into_index(self, space: Space, dim: usize, links: Links, vectors: Stored) -> HnswIndex {
        let (entry, layer0, upper) = links;
        HnswIndex {
            space,
            dim,
            m: self.m,
            ef_construction: self.ef_construction,
            count: self.order.len(),
            entry,
            levels: self.levels,
            upper_off: self.upper_off,
            layer0,
            upper,
            vectors,
        }
    }
}

impl HnswIndex {
    /// Builds the graph over the rows of `vectors` that have one, with `threads` workers.
    pub fn build(
        metric: Metric,
        vectors: VectorSet,
        cfg: HnswConfig,
        threads: usize,
        progress: Progress<'_>,
    ) -> Result<HnswIndex, IndexError> {
        Self::build_with(metric, vectors, cfg, threads, progress, HalfBuild::Auto)
    }

    fn build_with(
        metric: Metric,
        vectors: VectorSet,
        cfg: HnswConfig,
        threads: usize,
        progress: Progress<'_>,
        half: HalfBuild,
    ) -> Result<HnswIndex, IndexError> {
        let space = Space::new(metric)?;
        let VectorSet {
            dim,
            mut data,
            present,
        } = vectors;
        let n = present.len();
        if dim.checked_mul(n) != Some(data.len()) {
            return Err(IndexError::Invalid(format!(
                "vector set holds {} floats, expected {n} rows of {dim}",
                data.len()
            )));
        }
        let shape = Shape::new(&present, cfg)?;
        space.prepare_rows(&mut data, dim);
        // Into the index's own random-access layout (the caller's buffer is freed right away).
        let vectors = Rows::from_slice(&data, dim);
        drop(data);
        // Construction is bound by memory bandwidth (every distance is a random read of a whole
        // vector), so large builds walk a half-precision copy: half the bytes per distance, for
        // distances within ~1e-4 relative of the f32 ones — the graph comes out as good (same
        // recall), ~25% faster. Searches always use the f32 vectors.
        let scale = match half {
            HalfBuild::Auto if shape.order.len() < HALF_MIN_ROWS => None,
            _ => half_scale(space, &vectors, &shape.order, dim),
        };
        let links = if let Some(scale) = scale {
            let f32s = vectors.as_slice();
            let halves = Rows::fill(f32s.len(), dim, |buf| {
                // Chunked so that the slice conversion (F16C where available) does the work.
                let mut tmp = [0f32; 1024];
                let mut out = [half::f16::ZERO; 1024];
                for c in f32s.chunks(1024) {
                    for (t, &x) in tmp.iter_mut().zip(c) {
                        *t = x * scale;
                    }
                    out[..c.len()].convert_from_f32_slice(&tmp[..c.len()]);
                    buf.extend_from_slice(&out[..c.len()]);
                }
            });
            shape.link(space, &halves, threads, progress)?
        } else {
            shape.link(space, &vectors, threads, progress)?
        };
        Ok(shape.into_index(space, dim, links, Stored::F32(vectors)))
    }

    /// Builds the graph over the bit vectors of `vectors` (Hamming or Jaccard).
    pub fn build_bits(
        metric: Metric,
        vectors: BitSet,
        cfg: HnswConfig,
        threads: usize,
        progress: Progress<'_>,
    ) -> Result<HnswIndex, IndexError> {
        let space = Space::new_binary(metric)?;
        let BitSet { dim, data, present } = vectors;
        let shape = Shape::new(&present, cfg)?;
        let bytes = dim.div_ceil(8);
        if bytes.checked_mul(present.len()) != Some(data.len()) {
            return Err(IndexError::Invalid(format!(
                "bit vector set holds {} bytes, expected {} rows of {dim} bits",
                data.len(),
                present.len()
            )));
        }
        let rows = Rows::from_slice(&data, bytes);
        drop(data);
        let links = shape.link(space, &rows, threads, progress)?;
        Ok(shape.into_index(space, dim, links, Stored::Bits(rows)))
    }

    /// The `[count, neighbours...]` block of `id` at `level` (empty if it has none).
    #[inline(always)]
    fn list(&self, id: u32, level: usize) -> &[u32] {
        let id = id as usize;
        if level == 0 {
            let w = 2 * self.m + 1;
            self.layer0.get(id * w..id * w + w).unwrap_or(&[])
        } else {
            let w = self.m + 1;
            match (self.upper_off.get(id), self.levels.get(id)) {
                (Some(&off), Some(&l)) if l != ABSENT && level <= usize::from(l) => {
                    let s = off + (level - 1) * w;
                    self.upper.get(s..s + w).unwrap_or(&[])
                }
                _ => &[],
            }
        }
    }

    /// Alg. 5: greedy descent to layer 1, then a layer-0 search with `ef = max(ef_search, k)`,
    /// over `rows` (the index's vectors) with a prepared query.
    fn walk<E: Elem>(
        &self,
        rows: &Rows<E>,
        q: &[E],
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Vec<Neighbor> {
        let Some((ep, top)) = self.entry else {
            return Vec::new();
        };
        if params.k == 0 || filter.is_some_and(|f| f.count() == 0) {
            return Vec::new();
        }
        let g = Frozen { ix: self, rows };
        let ef = params.ef_search.max(params.k);
        let mut cur = Cand {
            dist: E::dist(self.space, q, g.vector(ep)),
            id: ep,
        };
        stats.visited += 1;
        stats.distance_computations += 1;
        for l in (1..=top).rev() {
            cur = greedy(&g, q, cur, l, stats);
        }
        let run = |s: &mut Scratch, stats: &mut SearchStats| {
            s.visited.reset(self.levels.len());
            s.visited.insert(cur.id);
            search_layer(&g, q, &[cur], ef, 0, filter, s, stats);
            let mut out: Vec<Cand> = s.w.drain().collect();
            out.sort_unstable();
            out.truncate(params.k);
            out.into_iter()
                .map(|c| Neighbor {
                    pos: c.id,
                    dist: c.dist,
                })
                .collect::<Vec<_>>()
        };
        // Reentrancy cannot happen (the walk calls no user code), but fall back to fresh scratch
        // rather than panic if it ever did.
        SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => run(&mut s, stats),
            Err(_) => run(&mut Scratch::default(), stats),
        })
    }

    /// Reads an index written by [`VectorIndex::write_to`], validating every field and link.
    pub fn load(bytes: &[u8]) -> Result<HnswIndex, IndexError> {
        let mut r = codec::Reader::open(bytes, MAGIC, VERSION, "hnsw")?;
        let code = r.u32()?;
        let space =
            Space::from_code(code).ok_or_else(|| r.error(format!("unknown metric {code}")))?;
        let dim = r.len32("dim", u32::MAX as usize)?;
        let n = r.len32("rows", NO_ENTRY as usize - 1)?;
        let count = r.len32("indexed rows", n)?;
        let m = r.len32("m", MAX_M)?;
        if m < 2 {
            return Err(r.error(format!("m = {m} is out of range")));
        }
        let ef_construction = r.len32("ef_construction", u32::MAX as usize)?;
        let entry = r.u32()?;
        let top = r.len32("max level", usize::from(MAX_LEVEL))?;
        let upper_len = usize::try_from(r.u64()?).map_err(|_| r.error("upper layer too long"))?;
        // Everything left must be exactly the arrays the header describes (checked before any
        // allocation so that a bad header cannot ask for a huge one).
        // Float vectors are 4 bytes a component; bit vectors are packed, whole bytes per row.
        let vector_bytes = if space.is_binary() {
            n.checked_mul(dim.div_ceil(8))
        } else {
            n.checked_mul(dim).and_then(|v| v.checked_mul(4))
        };
        let want = n
            .checked_mul(2 * m + 1)
            .and_then(|l0| l0.checked_add(upper_len))
            .and_then(|w| w.checked_mul(4))
            .and_then(|w| w.checked_add(vector_bytes?))
            .and_then(|w| w.checked_add(n));
        if want != Some(r.remaining()) {
            return Err(r.error(format!(
                "{} bytes of arrays do not match the header ({n} rows, dim {dim}, m {m})",
                r.remaining()
            )));
        }
        let levels = r.u8s(n, "levels")?;
        let layer0 = r.u32s(n * (2 * m + 1), "layer 0")?;
        let upper = r.u32s(upper_len, "upper layers")?;
        let vectors = if space.is_binary() {
            let bytes = dim.div_ceil(8);
            Stored::Bits(Rows::from_slice(&r.u8s(n * bytes, "vectors")?, bytes))
        } else {
            Stored::F32(Rows::from_iter(
                n * dim,
                dim,
                r.f32s_iter(n * dim, "vectors")?,
            ))
        };
        r.end()?;

        // Structure: levels, entry point, offsets.
        let mut present = 0usize;
        for &l in &levels {
            if l != ABSENT {
                if l > MAX_LEVEL {
                    return Err(r.error(format!("node level {l} out of range")));
                }
                present += 1;
            }
        }
        if present != count {
            return Err(r.error(format!("{present} nodes present, header says {count}")));
        }
        let (upper_off, total) =
            upper_offsets(&levels, m).ok_or_else(|| r.error("upper layer too long"))?;
        if total != upper_len {
            return Err(r.error(format!(
                "upper layers hold {upper_len} words, levels need {total}"
            )));
        }
        let entry = if count == 0 {
            if entry != NO_ENTRY {
                return Err(r.error("entry point in an empty graph"));
            }
            None
        } else {
            match levels.get(entry as usize) {
                Some(&l) if l != ABSENT && usize::from(l) == top => Some((entry, top)),
                _ => return Err(r.error(format!("bad entry point {entry} (top level {top})"))),
            }
        };
        // Every list: count within capacity, every neighbour an indexed node that has the layer.
        let check = |id: usize, level: usize, block: &[u32]| -> Result<(), IndexError> {
            let Some((&c, nbs)) = block.split_first() else {
                return Err(r.error(format!("missing list of node {id} at layer {level}")));
            };
            if c as usize > nbs.len() || (c > 0 && levels[id] == ABSENT) {
                return Err(r.error(format!(
                    "bad neighbour count {c} of node {id} at layer {level}"
                )));
            }
            for &nb in &nbs[..c as usize] {
                match levels.get(nb as usize) {
                    Some(&l) if l != ABSENT && usize::from(l) >= level => {}
                    _ => {
                        return Err(r.error(format!(
                            "node {id} links to invalid node {nb} at layer {level}"
                        )))
                    }
                }
            }
            Ok(())
        };
        for (id, block) in layer0.chunks_exact(2 * m + 1).enumerate() {
            check(id, 0, block)?;
        }
        for (id, &l) in levels.iter().enumerate() {
            if l == ABSENT {
                continue;
            }
            for level in 1..=usize::from(l) {
                let s = upper_off[id] + (level - 1) * (m + 1);
                let block = upper.get(s..s + m + 1).unwrap_or(&[]);
                check(id, level, block)?;
            }
        }
        Ok(HnswIndex {
            space,
            dim,
            m,
            ef_construction,
            count,
            entry,
            levels,
            upper_off,
            layer0,
            upper,
            vectors,
        })
    }
}

impl VectorIndex for HnswIndex {
    fn kind(&self) -> IndexKind {
        IndexKind::Hnsw
    }

    fn metric(&self) -> Metric {
        self.space.metric()
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.count
    }

    fn search(
        &self,
        query: &[f32],
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Result<Vec<Neighbor>, IndexError> {
        let Stored::F32(rows) = &self.vectors else {
            return Err(IndexError::Invalid(
                "a bit vector index is searched with a bit vector".into(),
            ));
        };
        if query.len() != self.dim {
            return Err(IndexError::Invalid(format!(
                "expected {} dimensions, not {}",
                self.dim,
                query.len()
            )));
        }
        let q = self.space.prepare_query(query);
        Ok(self.walk(rows, &q, params, filter, stats))
    }

    fn search_bits(
        &self,
        query: &[u8],
        bits: usize,
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Result<Vec<Neighbor>, IndexError> {
        let Stored::Bits(rows) = &self.vectors else {
            return Err(IndexError::Invalid(
                "a float vector index is searched with a float vector".into(),
            ));
        };
        if bits != self.dim || query.len() != bits.div_ceil(8) {
            return Err(IndexError::Invalid(format!(
                "expected {} bits, not {bits}",
                self.dim
            )));
        }
        Ok(self.walk(rows, query, params, filter, stats))
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.levels.capacity()
            + self.upper_off.capacity() * std::mem::size_of::<usize>()
            + self.layer0.capacity() * 4
            + self.upper.capacity() * 4
            + self.vectors.memory_bytes()
    }

    fn write_to(&self, out: &mut dyn Write) -> Result<(), IndexError> {
        let mut w = codec::Writer::new(out, MAGIC, VERSION);
        w.u32(self.space.code());
        w.len32(self.dim);
        w.len32(self.levels.len());
        w.len32(self.count);
        w.len32(self.m);
        w.len32(self.ef_construction);
        let (ep, top) = self.entry.unwrap_or((NO_ENTRY, 0));
        w.u32(ep);
        w.len32(top);
        w.u64(self.upper.len() as u64);
        w.u8s(&self.levels)?;
        w.u32s(&self.layer0)?;
        w.u32s(&self.upper)?;
        match &self.vectors {
            Stored::F32(rows) => w.f32s(rows.as_slice())?,
            Stored::Bits(rows) => w.u8s(rows.as_slice())?,
        }
        w.finish()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::index::metric;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// xorshift64: deterministic test data.
    pub(crate) struct Rng(pub u64);
    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        /// Uniform in [-1, 1).
        pub(crate) fn unit(&mut self) -> f32 {
            ((self.next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
    }

    /// `n` vectors around `clusters` random centres (clusters = 0: uniform).
    pub(crate) fn data(n: usize, dim: usize, clusters: usize, seed: u64) -> VectorSet {
        let mut rng = Rng(seed | 1);
        let centres: Vec<f32> = (0..clusters * dim).map(|_| rng.unit()).collect();
        let mut data = Vec::with_capacity(n * dim);
        for _ in 0..n {
            if clusters == 0 {
                data.extend((0..dim).map(|_| rng.unit()));
            } else {
                let c = (rng.next() % clusters as u64) as usize;
                for j in 0..dim {
                    data.push(centres[c * dim + j] + 0.3 * rng.unit());
                }
            }
        }
        VectorSet {
            dim,
            data,
            present: vec![true; n],
        }
    }

    /// The SQL distance (what callers re-rank with), in f64.
    pub(crate) fn sql_distance(m: Metric, a: &[f32], b: &[f32]) -> f64 {
        match m {
            Metric::L2 => metric::l2(a, b),
            Metric::InnerProduct => -f64::from(metric::dot(a, b)),
            Metric::Cosine => {
                let d = metric::cosine_distance(a, b);
                if d.is_nan() {
                    1.0
                } else {
                    d
                }
            }
            Metric::L1 => f64::from(metric::l1(a, b)),
            _ => unreachable!(),
        }
    }

    /// Exact top-k among present (and allowed) rows.
    pub(crate) fn brute(
        m: Metric,
        vs: &VectorSet,
        q: &[f32],
        k: usize,
        filter: Option<&RowMask>,
    ) -> Vec<u32> {
        let mut all: Vec<(f64, u32)> = (0..vs.len())
            .filter(|&i| vs.present[i] && filter.is_none_or(|f| f.contains(i as u32)))
            .map(|i| (sql_distance(m, q, vs.row(i)), i as u32))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all.into_iter().map(|x| x.1).collect()
    }

    pub(crate) fn queries(dim: usize, n: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Rng(seed | 1);
        (0..n)
            .map(|_| (0..dim).map(|_| rng.unit()).collect())
            .collect()
    }

    /// Mean recall@k of `idx` against brute force.
    pub(crate) fn recall(
        idx: &dyn VectorIndex,
        vs: &VectorSet,
        qs: &[Vec<f32>],
        p: &SearchParams,
        filter: Option<&RowMask>,
    ) -> f64 {
        let mut hit = 0usize;
        let mut total = 0usize;
        for q in qs {
            let want = brute(idx.metric(), vs, q, p.k, filter);
            let got = idx
                .search(q, p, filter, &mut SearchStats::default())
                .unwrap();
            // Results ascend by distance and are distinct.
            assert!(got.windows(2).all(|w| w[0].dist <= w[1].dist), "{got:?}");
            let mut ids: Vec<u32> = got.iter().map(|n| n.pos).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), got.len());
            hit += got.iter().filter(|n| want.contains(&n.pos)).count();
            total += want.len();
        }
        hit as f64 / total.max(1) as f64
    }

    fn build(m: Metric, vs: &VectorSet, threads: usize) -> HnswIndex {
        HnswIndex::build(m, vs.clone(), HnswConfig::default(), threads, &|_| true).unwrap()
    }

    fn params(k: usize, ef: usize) -> SearchParams {
        SearchParams {
            k,
            ef_search: ef,
            ..Default::default()
        }
    }

    fn bytes(idx: &dyn VectorIndex) -> Vec<u8> {
        let mut out = Vec::new();
        idx.write_to(&mut out).unwrap();
        out
    }

    /// Queries near the data (in-distribution, the usual case): a data row plus a little noise.
    pub(crate) fn near_queries(vs: &VectorSet, n: usize, seed: u64) -> Vec<Vec<f32>> {
        let mut rng = Rng(seed | 1);
        (0..n)
            .map(|_| {
                let r = (rng.next() % vs.len() as u64) as usize;
                vs.row(r).iter().map(|x| x + 0.1 * rng.unit()).collect()
            })
            .collect()
    }

    #[test]
    fn recall_per_metric() {
        for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct, Metric::L1] {
            // Uniform data and queries; clustered data with in-distribution queries.
            let uniform = data(5000, 24, 0, 7);
            let clustered = data(5000, 24, 20, 8);
            for (name, vs, qs) in [
                ("uniform", &uniform, queries(24, 100, 99)),
                ("clustered", &clustered, near_queries(&clustered, 100, 98)),
            ] {
                let idx = build(metric, vs, 2);
                assert_eq!(idx.len(), 5000);
                assert_eq!(idx.metric(), metric);
                let r = recall(&idx, vs, &qs, &params(10, 64), None);
                assert!(r >= 0.95, "{metric:?} {name}: recall {r}");
            }
        }
    }

    #[test]
    fn filtered_search_returns_k_allowed() {
        let vs = data(5000, 16, 10, 3);
        let idx = build(Metric::L2, &vs, 2);
        let qs = queries(16, 30, 5);
        for keep_one_in in [2u64, 10, 100] {
            let mut rng = Rng(keep_one_in);
            let mask =
                RowMask::from_bools((0..5000).map(|_| rng.next().is_multiple_of(keep_one_in)));
            let k = 10;
            for q in &qs {
                let mut st = SearchStats::default();
                let got = idx.search(q, &params(k, 40), Some(&mask), &mut st).unwrap();
                assert_eq!(got.len(), k.min(mask.count()), "1/{keep_one_in}");
                assert!(got.iter().all(|n| mask.contains(n.pos)));
                assert!(st.visited > 0 && st.distance_computations > 0);
            }
            let r = recall(&idx, &vs, &qs, &params(k, 40), Some(&mask));
            assert!(r >= 0.9, "1/{keep_one_in}: filtered recall {r}");
        }
        // A mask allowing fewer rows than k: all of them.
        let mask = RowMask::from_bools((0..5000).map(|i| i % 1000 == 3));
        let got = idx
            .search(
                &qs[0],
                &params(10, 40),
                Some(&mask),
                &mut SearchStats::default(),
            )
            .unwrap();
        assert_eq!(got.len(), 5);
        assert!(idx
            .search(
                &qs[0],
                &params(10, 40),
                Some(&RowMask::none(5000)),
                &mut SearchStats::default()
            )
            .unwrap()
            .is_empty());
    }

    #[test]
    fn null_rows_never_returned() {
        let mut vs = data(3000, 16, 0, 11);
        for i in (0..3000).step_by(3) {
            vs.present[i] = false;
            // NULL rows hold zeros; put something near every query there to tempt the search.
            for x in &mut vs.data[i * 16..(i + 1) * 16] {
                *x = 0.0;
            }
        }
        for metric in [Metric::L2, Metric::Cosine] {
            let idx = build(metric, &vs, 2);
            assert_eq!(idx.len(), 2000);
            for q in queries(16, 20, 4) {
                let got = idx
                    .search(&q, &params(50, 64), None, &mut SearchStats::default())
                    .unwrap();
                assert_eq!(got.len(), 50);
                assert!(got.iter().all(|n| n.pos % 3 != 0));
                assert!(got.iter().all(|n| !n.dist.is_nan()));
            }
            let loaded = HnswIndex::load(&bytes(&idx)).unwrap();
            assert_eq!(loaded.len(), 2000);
        }
    }

    #[test]
    fn round_trip_and_determinism() {
        let vs = data(2000, 20, 5, 21);
        for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine, Metric::L1] {
            let idx = build(metric, &vs, 1);
            let b = bytes(&idx);
            assert!(b.starts_with(MAGIC));
            // One thread inserts in position order: the same graph every time.
            assert_eq!(b, bytes(&build(metric, &vs, 1)));
            let loaded = crate::index::load(&b).unwrap();
            assert_eq!(loaded.kind(), IndexKind::Hnsw);
            assert_eq!(loaded.metric(), metric);
            assert_eq!(loaded.dim(), 20);
            assert_eq!(loaded.len(), 2000);
            assert!(loaded.memory_bytes() >= 2000 * 20 * 4);
            assert_eq!(bytes(loaded.as_ref()), b);
            let mask = RowMask::from_bools((0..2000).map(|i| i % 7 == 0));
            for q in queries(20, 20, 8) {
                for f in [None, Some(&mask)] {
                    let p = params(10, 40);
                    let a = idx.search(&q, &p, f, &mut SearchStats::default()).unwrap();
                    let b = loaded
                        .search(&q, &p, f, &mut SearchStats::default())
                        .unwrap();
                    assert_eq!(a, b);
                }
            }
        }
    }

    #[test]
    fn corrupt_files_are_errors() {
        let vs = data(300, 8, 0, 5);
        let b = bytes(&build(Metric::L2, &vs, 1));
        assert!(HnswIndex::load(&b).is_ok());
        // Every truncation.
        for len in (0..b.len()).step_by(7).chain([b.len() - 1]) {
            assert!(
                matches!(HnswIndex::load(&b[..len]), Err(IndexError::Corrupt(_))),
                "truncated to {len}"
            );
        }
        // Flipped bytes all over the file.
        for pos in (0..b.len()).step_by(13) {
            let mut c = b.clone();
            c[pos] ^= 0x41;
            assert!(HnswIndex::load(&c).is_err(), "flipped byte {pos}");
        }
        // Trailing garbage.
        let mut c = b.clone();
        c.push(0);
        assert!(HnswIndex::load(&c).is_err());
        assert!(crate::index::load(b"QVNOPE01........").is_err());
    }

    /// Checksummed but structurally wrong files (a bug or a forged file) are rejected too.
    #[test]
    fn bad_structure_is_rejected() {
        let vs = data(300, 4, 0, 9);
        let idx = build(Metric::L2, &vs, 1);
        let w = 2 * idx.m + 1;
        let rewrite = |f: &dyn Fn(&mut HnswIndex)| {
            let mut copy = HnswIndex::load(&bytes(&idx)).unwrap();
            f(&mut copy);
            HnswIndex::load(&bytes(&copy))
        };
        assert!(rewrite(&|_| {}).is_ok());
        // A neighbour id out of range, a count above the capacity.
        assert!(rewrite(&|i| i.layer0[1] = 300).is_err());
        assert!(rewrite(&|i| i.layer0[w] = 2 * i.m as u32 + 1).is_err());
        // A link to a NULL row.
        assert!(rewrite(&|i| {
            let target = i.layer0[1] as usize;
            i.levels[target] = ABSENT;
            i.count -= 1;
        })
        .is_err());
        // An entry point that is not on the top layer.
        let (ep, top) = idx.entry.unwrap();
        let low = (0..300u32).find(|&p| usize::from(idx.levels[p as usize]) < top);
        if let Some(low) = low {
            assert!(rewrite(&|i| i.entry = Some((low, top))).is_err());
        }
        assert!(rewrite(&|i| i.entry = Some((ep, top + 1))).is_err());
        // Levels that do not match the upper-layer array.
        assert!(rewrite(&|i| {
            let p = (0..300).find(|&p| i.levels[p] == 0).unwrap();
            i.levels[p] = 1;
        })
        .is_err());
    }

    /// The half-precision construction path: same quality; refused for data f16 cannot resolve.
    #[test]
    fn half_precision_build() {
        for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct, Metric::L1] {
            let vs = data(5000, 24, 20, 8);
            let qs = near_queries(&vs, 100, 98);
            let idx = HnswIndex::build_with(
                metric,
                vs.clone(),
                HnswConfig::default(),
                2,
                &|_| true,
                HalfBuild::Always,
            )
            .unwrap();
            let r = recall(&idx, &vs, &qs, &params(10, 64), None);
            assert!(r >= 0.95, "{metric:?}: recall {r}");
        }
        let rows = |v: &[f32], dim: usize| Rows::from_slice(v, dim);
        let all: Vec<u32> = (0..1000).collect();
        let vs = data(1000, 8, 0, 4);
        // Plain data: scaled so that the largest magnitude lands in [256, 512).
        let s = half_scale(Space::L2, &rows(&vs.data, 8), &all, 8).unwrap();
        let max = vs.data.iter().fold(0f32, |m, x| m.max(x.abs())) * s;
        assert!((256.0..512.0).contains(&max), "{max}");
        assert_eq!(
            half_scale(Space::Cosine, &rows(&vs.data, 8), &all, 8),
            Some(1.0)
        );
        // A large common offset with a small spread: f16 would round the differences away.
        let offset: Vec<f32> = vs.data.iter().map(|x| 1000.0 + 0.1 * x).collect();
        assert_eq!(half_scale(Space::L2, &rows(&offset, 8), &all, 8), None);
        let mut bad = vs.data.clone();
        bad[17] = f32::INFINITY;
        assert_eq!(half_scale(Space::L2, &rows(&bad, 8), &all, 8), None);
        // An offset dataset still builds (in f32) and searches well.
        let off = VectorSet {
            dim: 8,
            data: offset,
            present: vec![true; 1000],
        };
        let idx = HnswIndex::build_with(
            Metric::L2,
            off.clone(),
            HnswConfig::default(),
            1,
            &|_| true,
            HalfBuild::Always,
        )
        .unwrap();
        let r = recall(
            &idx,
            &off,
            &near_queries(&off, 50, 3),
            &params(10, 64),
            None,
        );
        assert!(r >= 0.95, "offset data: recall {r}");
    }

    /// Sign bits of clustered float data (binary quantization), packed MSB first.
    fn quantized(vs: &VectorSet) -> BitSet {
        let bytes = vs.dim.div_ceil(8);
        let mut data = vec![0u8; vs.len() * bytes];
        for i in 0..vs.len() {
            for (j, &x) in vs.row(i).iter().enumerate() {
                if x > 0.0 {
                    data[i * bytes + j / 8] |= 0x80 >> (j % 8);
                }
            }
        }
        BitSet {
            dim: vs.dim,
            data,
            present: vs.present.clone(),
        }
    }

    #[test]
    fn bit_vectors_hamming_and_jaccard() {
        let dim = 100; // not a multiple of 8: the last byte is partly padding
        let mut vs = data(4000, dim, 20, 11);
        vs.present[7] = false;
        let bits = quantized(&vs);
        let nb = dim.div_ceil(8);
        let queries: Vec<Vec<u8>> = (0..40)
            .map(|i| bits.data[i * 97 % 4000 * nb..][..nb].to_vec())
            .collect();
        for m in [Metric::Hamming, Metric::Jaccard] {
            let idx = HnswIndex::build_bits(m, bits.clone(), HnswConfig::default(), 2, &|_| true)
                .unwrap();
            assert_eq!(idx.len(), 3999);
            // Round trip through the file format.
            let idx = HnswIndex::load(&bytes(&idx)).unwrap();
            let dist = |a: &[u8], b: &[u8]| match m {
                Metric::Hamming => f64::from(metric::hamming(a, b)),
                _ => metric::jaccard(a, b),
            };
            let mut hit = 0;
            for q in &queries {
                let got = idx
                    .search_bits(q, dim, &params(10, 64), None, &mut SearchStats::default())
                    .unwrap();
                assert!(got.iter().all(|n| n.pos != 7));
                // Recall by distance (bit distances tie a lot): a hit is a result no farther than
                // the 10th exact distance.
                let mut all: Vec<f64> = (0..4000)
                    .filter(|&i| i != 7)
                    .map(|i| dist(q, &bits.data[i * nb..][..nb]))
                    .collect();
                all.sort_by(f64::total_cmp);
                hit += got
                    .iter()
                    .filter(|n| f64::from(n.dist) <= all[9] + 1e-6)
                    .count();
            }
            let recall = hit as f64 / (10 * queries.len()) as f64;
            assert!(recall >= 0.95, "{m:?}: recall {recall}");
            // Float queries and wrong sizes are errors, not panics.
            assert!(idx
                .search(
                    &[0.0; 100],
                    &params(10, 40),
                    None,
                    &mut SearchStats::default()
                )
                .is_err());
            assert!(idx
                .search_bits(
                    &[0; 12],
                    96,
                    &params(10, 40),
                    None,
                    &mut SearchStats::default()
                )
                .is_err());
        }
        assert!(
            HnswIndex::build_bits(Metric::L2, bits, HnswConfig::default(), 1, &|_| true).is_err()
        );
    }

    #[test]
    fn dimension_mismatch_and_unsupported() {
        let vs = data(100, 8, 0, 1);
        let idx = build(Metric::L2, &vs, 1);
        let e = idx
            .search(&[0.0; 7], &params(5, 10), None, &mut SearchStats::default())
            .unwrap_err();
        assert_eq!(e.to_string(), "expected 8 dimensions, not 7");
        for m in [Metric::Hamming, Metric::Jaccard] {
            assert!(matches!(
                HnswIndex::build(m, vs.clone(), HnswConfig::default(), 1, &|_| true),
                Err(IndexError::Invalid(_))
            ));
        }
        let bad = VectorSet {
            dim: 8,
            data: vec![0.0; 15],
            present: vec![true, true],
        };
        assert!(HnswIndex::build(Metric::L2, bad, HnswConfig::default(), 1, &|_| true).is_err());
        assert!(HnswIndex::build(
            Metric::L2,
            vs,
            HnswConfig {
                m: 1,
                ef_construction: 10
            },
            1,
            &|_| true
        )
        .is_err());
    }

    #[test]
    fn progress_and_cancel() {
        let vs = data(5000, 8, 0, 2);
        let calls = AtomicUsize::new(0);
        let last = AtomicUsize::new(0);
        let idx = HnswIndex::build(Metric::L2, vs.clone(), HnswConfig::default(), 2, &|n| {
            calls.fetch_add(1, Ordering::Relaxed);
            last.fetch_max(n, Ordering::Relaxed);
            true
        })
        .unwrap();
        assert_eq!(idx.len(), 5000);
        assert!(calls.load(Ordering::Relaxed) >= 5);
        assert_eq!(last.load(Ordering::Relaxed), 5000);
        for threads in [1, 2] {
            let r = HnswIndex::build(
                Metric::L2,
                vs.clone(),
                HnswConfig::default(),
                threads,
                &|n| n < 2000,
            );
            assert!(matches!(r, Err(IndexError::Canceled)));
        }
    }

    #[test]
    fn empty_and_tiny() {
        for (n, present) in [(0usize, false), (5, false), (1, true), (3, true)] {
            let vs = VectorSet {
                dim: 4,
                data: (0..n * 4).map(|i| i as f32).collect(),
                present: vec![present; n],
            };
            let idx = build(Metric::Cosine, &vs, 2);
            let want = if present { n } else { 0 };
            assert_eq!(idx.len(), want);
            let got = idx
                .search(
                    &[1.0, 0.0, 0.0, 0.0],
                    &params(10, 40),
                    None,
                    &mut SearchStats::default(),
                )
                .unwrap();
            assert_eq!(got.len(), want);
            let loaded = HnswIndex::load(&bytes(&idx)).unwrap();
            assert_eq!(loaded.len(), want);
        }
    }

    #[test]
    fn zero_vectors_under_cosine() {
        let mut vs = data(500, 8, 0, 3);
        for i in 0..20 {
            vs.data[i * 8..(i + 1) * 8].fill(0.0);
        }
        let idx = build(Metric::Cosine, &vs, 1);
        for q in [vec![0.0; 8], vec![1.0; 8]] {
            let got = idx
                .search(&q, &params(500, 500), None, &mut SearchStats::default())
                .unwrap();
            assert_eq!(got.len(), 500);
            assert!(got.iter().all(|n| n.dist.is_finite()));
        }
    }
}
