//! HNSW: a hierarchical navigable small-world graph (Malkov & Yashunin, 2016/2018), pgvector's
//! `hnsw` access method.
//!
//! - [`build`]: parallel construction (alg. 1 insert, alg. 2 layer search, alg. 4 neighbour
//!   heuristic) into atomics with per-node locks, then frozen into flat read-only arrays;
//! - [`search`]: the shared walks (greedy upper-layer descent, best-first layer search with
//!   in-graph filtering, prefetching);
//! - [`space`]: the metric → internal-distance mapping (also used by IVFFlat);
//! - [`codec`]: the checksummed little-endian file format helpers (also used by IVFFlat).
//!
//! Frozen layout (also the file layout), for `n` rows of which `len()` are indexed:
//! - `levels[n]`: each row's top layer, [`build::ABSENT`] for rows without a vector;
//! - `layer0[n * (2m + 1)]`: per row `[count, neighbour; 2m]`;
//! - `upper[..]`: per row with level `L > 0`, `L` blocks `[count, neighbour; m]` (layers 1..=L),
//!   rows in position order (offsets are recomputed from `levels` at load);
//! - `vectors[n * dim]`: the rows as compared (unit length for cosine; zeros for absent rows).
//!
//! Searching takes no locks: a query's scratch (visited set, heaps) lives in a thread-local and is
//! reused, so a steady-state query allocates only its result.

pub(crate) mod codec;
pub(crate) mod space;

pub mod build;
mod rows;
mod search;

use std::cell::RefCell;
use std::io::Write;

use self::build::{draw_level, upper_offsets, Builder, ABSENT, MAX_LEVEL};
use self::rows::Rows;
use self::search::{greedy, search_layer, Cand, Graph, Scratch};
use self::space::Space;
use super::{
    IndexError, IndexKind, Metric, Neighbor, Progress, RowMask, SearchParams, SearchStats,
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
    vectors: Rows,
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

impl Graph for HnswIndex {
    #[inline(always)]
    fn space(&self) -> Space {
        self.space
    }

    #[inline(always)]
    fn vector(&self, id: u32) -> &[f32] {
        self.vectors.get(id)
    }

    #[inline(always)]
    fn for_each_link(&self, id: u32, level: usize, mut f: impl FnMut(u32)) {
        let list = self.list(id, level);
        if let Some((&count, rest)) = list.split_first() {
            let n = (count as usize).min(rest.len());
            for &nb in &rest[..n] {
                f(nb);
            }
        }
    }

    #[inline(always)]
    fn prefetch(&self, id: u32, lines: usize) {
        self.vectors.prefetch(id, lines);
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
        let space = Space::new(metric)?;
        if cfg.m < 2 || cfg.m > MAX_M {
            return Err(IndexError::Invalid(format!(
                "hnsw m must be between 2 and {MAX_M}, not {}",
                cfg.m
            )));
        }
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
        if n >= NO_ENTRY as usize {
            return Err(IndexError::Invalid(format!(
                "too many rows for one index ({n})"
            )));
        }
        space.prepare_rows(&mut data, dim);
        // Into the index's own random-access layout (the caller's buffer is freed right away).
        let vectors = Rows::from_slice(&data, dim);
        drop(data);
        let ml = 1.0 / (cfg.m as f64).ln();
        let levels: Vec<u8> = present
            .iter()
            .enumerate()
            .map(|(i, &p)| if p { draw_level(i, ml) } else { ABSENT })
            .collect();
        let order: Vec<u32> = (0..n as u32).filter(|&i| present[i as usize]).collect();
        let (upper_off, upper_len) = upper_offsets(&levels, cfg.m)
            .ok_or_else(|| IndexError::Invalid("index too large".into()))?;
        // The search list must be able to hold the m neighbours it selects from.
        let ef_construction = cfg.ef_construction.max(cfg.m);
        let b = Builder::new(
            space,
            cfg.m,
            ef_construction,
            &vectors,
            &levels,
            &upper_off,
            upper_len,
        );
        b.run(&order, threads, progress)?;
        let entry = b.entry_point();
        // Atomics and plain integers share a layout: these collects run in place.
        let layer0: Vec<u32> = b.layer0.into_iter().map(|a| a.into_inner()).collect();
        let upper: Vec<u32> = b.upper.into_iter().map(|a| a.into_inner()).collect();
        Ok(HnswIndex {
            space,
            dim,
            m: cfg.m,
            ef_construction,
            count: order.len(),
            entry,
            levels,
            upper_off,
            layer0,
            upper,
            vectors,
        })
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

    /// Reads an index written by [`VectorIndex::write_to`], validating every field and link.
    pub fn load(bytes: &[u8]) -> Result<HnswIndex, IndexError> {
        let mut r = codec::Reader::open(bytes, MAGIC, VERSION, "hnsw")?;
        let code = r.u32()?;
        let space = Space::from_code(code).ok_or_else(|| r.error(format!("unknown metric {code}")))?;
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
        let want = n
            .checked_mul(2 * m + 1)
            .and_then(|l0| l0.checked_add(upper_len))
            .and_then(|w| w.checked_add(n.checked_mul(dim)?))
            .and_then(|w| w.checked_mul(4))
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
        let vectors = Rows::from_iter(n * dim, dim, r.f32s_iter(n * dim, "vectors")?);
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
                return Err(r.error(format!("bad neighbour count {c} of node {id} at layer {level}")));
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

    /// Alg. 5: greedy descent to layer 1, then a layer-0 search with `ef = max(ef_search, k)`.
    fn search(
        &self,
        query: &[f32],
        params: &SearchParams,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Result<Vec<Neighbor>, IndexError> {
        if query.len() != self.dim {
            return Err(IndexError::Invalid(format!(
                "expected {} dimensions, not {}",
                self.dim,
                query.len()
            )));
        }
        let Some((ep, top)) = self.entry else {
            return Ok(Vec::new());
        };
        if params.k == 0 || filter.is_some_and(|f| f.count() == 0) {
            return Ok(Vec::new());
        }
        let q = self.space.prepare_query(query);
        let q = &*q;
        let ef = params.ef_search.max(params.k);
        let mut cur = Cand {
            dist: self.space.dist(q, self.vector(ep)),
            id: ep,
        };
        stats.visited += 1;
        stats.distance_computations += 1;
        for l in (1..=top).rev() {
            cur = greedy(self, q, cur, l, stats);
        }
        let run = |s: &mut Scratch, stats: &mut SearchStats| {
            s.visited.reset(self.levels.len());
            s.visited.insert(cur.id);
            search_layer(self, q, &[cur], ef, 0, filter, s, stats);
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
        Ok(SCRATCH.with(|cell| match cell.try_borrow_mut() {
            Ok(mut s) => run(&mut s, stats),
            Err(_) => run(&mut Scratch::default(), stats),
        }))
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
        w.f32s(self.vectors.as_slice())?;
        w.finish()
    }
}
