//! IVFFlat: an inverted file of uncompressed vectors (pgvector's `ivfflat` access method).
//!
//! Build: k-means over a seeded sample of at most `max(50 * lists, 10,000)` rows (k-means++
//! seeding, then up to [`ITERATIONS`] Lloyd rounds), then every indexed row goes to the list of its
//! nearest centroid. Assignment uses the index's own distance (see [`crate::index::hnsw::space`]):
//! squared L2, `-a·b` for inner product, `1 - a·b` over unit vectors for cosine (spherical k-means:
//! centroids are renormalised after each update), L1 for L1. Centroids are plain means. The
//! assignments are computed in parallel, the centroid sums sequentially in sample order, so the
//! result does not depend on the thread count.
//!
//! Search: the distances to every centroid, then the `probes` nearest lists are scanned. When
//! fewer than `k` allowed rows were found (a selective filter), further lists are scanned in order
//! of centroid distance, up to `max(probes, max_probes)` lists in all — pgvector's iterative scan.
//!
//! Layout (also the file layout): centroids, list offsets into `ids`, and per list its row
//! positions and their vectors stored contiguously, so a list scan reads memory sequentially.

use std::collections::BinaryHeap;
use std::io::Write;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use super::hnsw::codec;
use super::hnsw::space::{normalize, Space};
use super::metric;
use super::{
    IndexError, IndexKind, Metric, Neighbor, Progress, RowMask, SearchParams, SearchStats,
    VectorIndex, VectorSet,
};

/// File magic of a serialised IVFFlat index.
pub const MAGIC: &[u8] = b"QVIVFF01";
const VERSION: u32 = 1;
/// Lloyd rounds at most (pgvector uses 10 too).
const ITERATIONS: usize = 10;
/// Rows per unit of parallel work (and per progress report) when assigning.
const CHUNK: usize = 1024;
/// Seed of the sampling and seeding RNG (fixed: builds are reproducible).
const SEED: u64 = 0x5156_4956_4646_0001;

/// An inverted-file index over one segment's vectors.
pub struct IvfFlatIndex {
    space: Space,
    dim: usize,
    /// Rows in the segment (positions are below this).
    rows: usize,
    /// `lists * dim`.
    centroids: Vec<f32>,
    /// `lists + 1` offsets into `ids`: list `l` is `ids[offsets[l]..offsets[l + 1]]`.
    offsets: Vec<usize>,
    ids: Vec<u32>,
    /// `ids.len() * dim`, in list order.
    vectors: Vec<f32>,
}

impl std::fmt::Debug for IvfFlatIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IvfFlatIndex")
            .field("metric", &self.space.metric())
            .field("dim", &self.dim)
            .field("rows", &self.rows)
            .field("len", &self.ids.len())
            .field("lists", &self.lists())
            .finish_non_exhaustive()
    }
}

/// splitmix64: small, seedable, good enough for sampling.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform below `n` (> 0); the modulo bias is irrelevant at these sizes.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Runs `f` over `0..len` in chunks of `chunk` on `threads` workers (chunks handed out in order
/// from a shared counter); stops early when `f` returns false.
fn par_chunks(threads: usize, len: usize, chunk: usize, f: impl Fn(Range<usize>) -> bool + Sync) {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let work = || loop {
        if stop.load(Relaxed) {
            return;
        }
        let start = next.fetch_add(chunk, Relaxed);
        if start >= len {
            return;
        }
        if !f(start..(start + chunk).min(len)) {
            stop.store(true, Relaxed);
        }
    };
    let threads = threads.clamp(1, len.div_ceil(chunk.max(1)).max(1));
    if threads == 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }
}

/// Index and distance of the centroid nearest to `v`.
#[inline]
fn nearest(space: Space, centroids: &[f32], dim: usize, v: &[f32]) -> (u32, f32) {
    let mut best = (0u32, f32::INFINITY);
    for (i, c) in centroids.chunks_exact(dim).enumerate() {
        let d = space.dist(v, c);
        // `<` keeps the lowest index on ties; a NaN never wins (but the first list is a default).
        if d < best.1 {
            best = (i as u32, d);
        }
    }
    best
}

/// Nearest-centroid labels of `rows` (positions into `data`), in parallel; `report` is called
/// after each chunk with the rows labelled so far and cancels when it returns false.
fn assign(
    space: Space,
    data: &[f32],
    dim: usize,
    rows: &[u32],
    centroids: &[f32],
    threads: usize,
    report: &(dyn Fn(usize) -> bool + Sync),
) -> Result<Vec<(u32, f32)>, IndexError> {
    let mut labels = vec![(0u32, 0f32); rows.len()];
    // Workers take output chunks in order; each chunk's slice is theirs alone.
    let slots = Mutex::new(labels.chunks_mut(CHUNK).zip(rows.chunks(CHUNK)));
    let done = AtomicUsize::new(0);
    let canceled = AtomicBool::new(false);
    par_chunks(threads, rows.len(), CHUNK, |_| {
        let next = slots.lock().unwrap_or_else(|e| e.into_inner()).next();
        let Some((out, rows)) = next else { return true };
        for (o, &r) in out.iter_mut().zip(rows) {
            let s = r as usize * dim;
            *o = nearest(space, centroids, dim, &data[s..s + dim]);
        }
        let d = done.fetch_add(rows.len(), Relaxed) + rows.len();
        if report(d) {
            true
        } else {
            canceled.store(true, Relaxed);
            false
        }
    });
    drop(slots);
    if canceled.load(Relaxed) {
        return Err(IndexError::Canceled);
    }
    Ok(labels)
}

/// k-means over the rows `sample` of `data` into `k` centroids.
fn kmeans(
    space: Space,
    data: &[f32],
    dim: usize,
    sample: &[u32],
    k: usize,
    threads: usize,
    progress: Progress<'_>,
) -> Result<Vec<f32>, IndexError> {
    let row = |r: u32| {
        let s = r as usize * dim;
        &data[s..s + dim]
    };
    let mut rng = Rng(SEED ^ sample.len() as u64);
    // k-means++ seeding: each next centroid drawn with probability proportional to its squared
    // Euclidean distance from the nearest one chosen so far (for unit vectors that is
    // proportional to the cosine distance, so it suits every metric well enough).
    let mut centroids = Vec::with_capacity(k * dim);
    centroids.extend_from_slice(row(sample[rng.below(sample.len())]));
    let mut mind = vec![f32::INFINITY; sample.len()];
    while centroids.len() < k * dim {
        let last = &centroids[centroids.len() - dim..];
        {
            let slots = Mutex::new(mind.chunks_mut(CHUNK).zip(sample.chunks(CHUNK)));
            par_chunks(threads, sample.len(), CHUNK, |_| {
                let next = slots.lock().unwrap_or_else(|e| e.into_inner()).next();
                if let Some((md, rows)) = next {
                    for (m, &r) in md.iter_mut().zip(rows) {
                        let d = metric::l2_squared(row(r), last);
                        if d < *m {
                            *m = d;
                        }
                    }
                }
                true
            });
        }
        let total: f64 = mind.iter().map(|&d| f64::from(d.max(0.0))).sum();
        let pick = if total > 0.0 && total.is_finite() {
            let mut target = rng.unit() * total;
            let mut pick = sample.len() - 1;
            for (i, &d) in mind.iter().enumerate() {
                target -= f64::from(d.max(0.0));
                if target < 0.0 {
                    pick = i;
                    break;
                }
            }
            pick
        } else {
            // All remaining points coincide with a centroid: any will do.
            rng.below(sample.len())
        };
        centroids.extend_from_slice(row(sample[pick]));
        if !progress(0) {
            return Err(IndexError::Canceled);
        }
    }
    if space == Space::Cosine {
        for c in centroids.chunks_exact_mut(dim) {
            normalize(c);
        }
    }

    // Lloyd rounds.
    let mut prev: Vec<u32> = Vec::new();
    let mut sums = vec![0f64; k * dim];
    let mut counts = vec![0usize; k];
    for _ in 0..ITERATIONS {
        let labels = assign(space, data, dim, sample, &centroids, threads, &|_| true)?;
        if !progress(0) {
            return Err(IndexError::Canceled);
        }
        let ids: Vec<u32> = labels.iter().map(|l| l.0).collect();
        if ids == prev {
            break;
        }
        sums.fill(0.0);
        counts.fill(0);
        for (&r, &l) in sample.iter().zip(&ids) {
            let l = l as usize;
            counts[l] += 1;
            for (s, &x) in sums[l * dim..(l + 1) * dim].iter_mut().zip(row(r)) {
                *s += f64::from(x);
            }
        }
        // Empty lists take the sample points farthest from their centroids.
        let mut far: Vec<usize> = Vec::new();
        if counts.contains(&0) {
            far = (0..sample.len()).collect();
            far.sort_unstable_by(|&a, &b| labels[b].1.total_cmp(&labels[a].1).then(a.cmp(&b)));
        }
        let mut far = far.into_iter();
        for (l, c) in centroids.chunks_exact_mut(dim).enumerate() {
            if counts[l] > 0 {
                let inv = 1.0 / counts[l] as f64;
                for (x, &s) in c.iter_mut().zip(&sums[l * dim..(l + 1) * dim]) {
                    *x = (s * inv) as f32;
                }
            } else if let Some(p) = far.next() {
                c.copy_from_slice(row(sample[p]));
            }
            if space == Space::Cosine {
                normalize(c);
            }
        }
        prev = ids;
    }
    Ok(centroids)
}

impl IvfFlatIndex {
    /// Builds `lists` lists (clamped to 1..=indexed rows) over the rows of `vectors` that have one.
    pub fn build(
        metric: Metric,
        vectors: VectorSet,
        lists: usize,
        threads: usize,
        progress: Progress<'_>,
    ) -> Result<IvfFlatIndex, IndexError> {
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
        if n > u32::MAX as usize {
            return Err(IndexError::Invalid(format!(
                "too many rows for one index ({n})"
            )));
        }
        space.prepare_rows(&mut data, dim);
        let rows: Vec<u32> = (0..n as u32).filter(|&i| present[i as usize]).collect();
        if rows.is_empty() || dim == 0 {
            return Ok(IvfFlatIndex {
                space,
                dim,
                rows: n,
                centroids: Vec::new(),
                offsets: vec![0],
                ids: Vec::new(),
                vectors: Vec::new(),
            });
        }
        let k = lists.clamp(1, rows.len());
        let cap = (50 * k).max(10_000);
        let sample: Vec<u32> = if rows.len() <= cap {
            rows.clone()
        } else {
            // A partial Fisher-Yates shuffle, then position order for friendlier memory access.
            let mut pool = rows.clone();
            let mut rng = Rng(SEED);
            for i in 0..cap {
                let j = i + rng.below(pool.len() - i);
                pool.swap(i, j);
            }
            pool.truncate(cap);
            pool.sort_unstable();
            pool
        };
        let centroids = kmeans(space, &data, dim, &sample, k, threads, progress)?;
        drop(sample);
        let labels = assign(space, &data, dim, &rows, &centroids, threads, progress)?;
        if !progress(rows.len()) {
            return Err(IndexError::Canceled);
        }
        // Counting sort into lists (stable: positions ascend within a list).
        let mut offsets = vec![0usize; k + 1];
        for &(l, _) in &labels {
            offsets[l as usize + 1] += 1;
        }
        for i in 0..k {
            offsets[i + 1] += offsets[i];
        }
        let mut fill = offsets.clone();
        let mut ids = vec![0u32; rows.len()];
        for (&r, &(l, _)) in rows.iter().zip(&labels) {
            ids[fill[l as usize]] = r;
            fill[l as usize] += 1;
        }
        let mut vectors = Vec::with_capacity(ids.len() * dim);
        for &r in &ids {
            let s = r as usize * dim;
            vectors.extend_from_slice(&data[s..s + dim]);
        }
        Ok(IvfFlatIndex {
            space,
            dim,
            rows: n,
            centroids,
            offsets,
            ids,
            vectors,
        })
    }

    /// Number of lists.
    pub fn lists(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Reads an index written by [`VectorIndex::write_to`], validating every field.
    pub fn load(bytes: &[u8]) -> Result<IvfFlatIndex, IndexError> {
        let mut r = codec::Reader::open(bytes, MAGIC, VERSION, "ivfflat")?;
        let code = r.u32()?;
        let space =
            Space::from_code(code).ok_or_else(|| r.error(format!("unknown metric {code}")))?;
        let dim = r.len32("dim", u32::MAX as usize)?;
        let rows = r.len32("rows", u32::MAX as usize)?;
        let count = r.len32("indexed rows", rows)?;
        let lists = r.len32("lists", count)?;
        // Checked before allocating anything.
        let want = lists
            .checked_mul(dim)
            .and_then(|c| c.checked_add(lists + 1))
            .and_then(|w| w.checked_add(count))
            .and_then(|w| w.checked_add(count.checked_mul(dim)?))
            .and_then(|w| w.checked_mul(4));
        if want != Some(r.remaining()) {
            return Err(r.error(format!(
                "{} bytes of arrays do not match the header ({lists} lists, {count} rows, dim {dim})",
                r.remaining()
            )));
        }
        let centroids = r.f32s(lists * dim, "centroids")?;
        let offsets: Vec<usize> = r
            .u32s(lists + 1, "list offsets")?
            .into_iter()
            .map(|o| o as usize)
            .collect();
        let ids = r.u32s(count, "row ids")?;
        let vectors = r.f32s(count * dim, "vectors")?;
        r.end()?;
        if offsets.first() != Some(&0)
            || offsets.last() != Some(&count)
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(r.error("list offsets are not ascending from 0 to the row count"));
        }
        let mut seen = vec![false; rows];
        for &id in &ids {
            match seen.get_mut(id as usize) {
                Some(s) if !*s => *s = true,
                Some(_) => return Err(r.error(format!("row {id} is listed twice"))),
                None => return Err(r.error(format!("row {id} out of range ({rows} rows)"))),
            }
        }
        Ok(IvfFlatIndex {
            space,
            dim,
            rows,
            centroids,
            offsets,
            ids,
            vectors,
        })
    }
}

/// A candidate in the bounded top-k heap (farthest on top; total order).
#[derive(Clone, Copy)]
struct Hit {
    dist: f32,
    pos: u32,
}
impl Ord for Hit {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.dist.total_cmp(&o.dist).then(self.pos.cmp(&o.pos))
    }
}
impl PartialOrd for Hit {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Hit {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o).is_eq()
    }
}
impl Eq for Hit {}

impl VectorIndex for IvfFlatIndex {
    fn kind(&self) -> IndexKind {
        IndexKind::IvfFlat
    }

    fn metric(&self) -> Metric {
        self.space.metric()
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

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
        let k = params.k;
        let lists = self.lists();
        if k == 0 || self.ids.is_empty() || lists == 0 || filter.is_some_and(|f| f.count() == 0)
        {
            return Ok(Vec::new());
        }
        let q = self.space.prepare_query(query);
        let q = &*q;
        let dim = self.dim;
        let mut order: Vec<Hit> = self
            .centroids
            .chunks_exact(dim)
            .enumerate()
            .map(|(l, c)| Hit {
                dist: self.space.dist(q, c),
                pos: l as u32,
            })
            .collect();
        stats.distance_computations += order.len() as u64;
        order.sort_unstable();
        let probes = params.probes.clamp(1, lists);
        let limit = params.max_probes.max(probes).min(lists);
        let mut heap: BinaryHeap<Hit> = BinaryHeap::with_capacity(k + 1);
        let mut found = 0usize;
        for (i, list) in order.iter().enumerate() {
            if i >= limit || (i >= probes && found >= k) {
                break;
            }
            let l = list.pos as usize;
            let (Some(&a), Some(&b)) = (self.offsets.get(l), self.offsets.get(l + 1)) else {
                continue;
            };
            let ids = self.ids.get(a..b).unwrap_or(&[]);
            let vecs = self.vectors.get(a * dim..b * dim).unwrap_or(&[]);
            stats.visited += ids.len() as u64;
            for (&pos, v) in ids.iter().zip(vecs.chunks_exact(dim)) {
                if filter.is_some_and(|f| !f.contains(pos)) {
                    continue;
                }
                found += 1;
                stats.distance_computations += 1;
                let d = self.space.dist(q, v);
                if heap.len() < k {
                    heap.push(Hit { dist: d, pos });
                } else if heap.peek().is_some_and(|w| d < w.dist) {
                    heap.pop();
                    heap.push(Hit { dist: d, pos });
                }
            }
        }
        Ok(heap
            .into_sorted_vec()
            .into_iter()
            .map(|h| Neighbor {
                pos: h.pos,
                dist: h.dist,
            })
            .collect())
    }

    fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.centroids.capacity() * 4
            + self.offsets.capacity() * std::mem::size_of::<usize>()
            + self.ids.capacity() * 4
            + self.vectors.capacity() * 4
    }

    fn write_to(&self, out: &mut dyn Write) -> Result<(), IndexError> {
        let mut w = codec::Writer::new(out, MAGIC, VERSION);
        w.u32(self.space.code());
        w.len32(self.dim);
        w.len32(self.rows);
        w.len32(self.ids.len());
        w.len32(self.lists());
        w.f32s(&self.centroids)?;
        let offs: Vec<u32> = self.offsets.iter().map(|&o| o as u32).collect();
        w.u32s(&offs)?;
        w.u32s(&self.ids)?;
        w.f32s(&self.vectors)?;
        w.finish()
    }
}
