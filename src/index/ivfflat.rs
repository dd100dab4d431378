//! IVFFlat: an inverted file of uncompressed vectors (pgvector's `ivfflat` access method).
//!
//! Build: k-means over a seeded sample of at most `max(50 * lists, 10,000)` rows (k-means++
//! seeding, then up to `ITERATIONS` Lloyd rounds), then every indexed row goes to the list of its
//! nearest centroid. Assignment uses the index's own distance (see `crate::index::hnsw::space`):
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
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

use super::hnsw::codec;
use super::hnsw::rows::Rows;
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
    /// `ids.len() * dim`, in list order (64-byte aligned rows, huge pages where available).
    vectors: Rows<f32>,
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

/// Runs `f` on every item of `items` with `threads` workers, which take the items in order;
/// stops early once `f` returns false.
fn par_each<I>(threads: usize, items: I, f: impl Fn(I::Item) -> bool + Sync)
where
    I: Iterator + Send,
{
    let threads = threads.clamp(1, items.size_hint().0.max(1));
    let items = Mutex::new(items);
    let stop = AtomicBool::new(false);
    let work = || {
        while !stop.load(Relaxed) {
            let next = items.lock().unwrap_or_else(|e| e.into_inner()).next();
            let Some(item) = next else { return };
            if !f(item) {
                stop.store(true, Relaxed);
            }
        }
    };
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
    let done = AtomicUsize::new(0);
    let canceled = AtomicBool::new(false);
    // Each worker writes the output chunk it took, and only that one.
    let chunks = labels.chunks_mut(CHUNK).zip(rows.chunks(CHUNK));
    par_each(threads, chunks, |(out, rows)| {
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
        let chunks = mind.chunks_mut(CHUNK).zip(sample.chunks(CHUNK));
        par_each(threads, chunks, |(md, rows)| {
            for (m, &r) in md.iter_mut().zip(rows) {
                let d = metric::l2_squared(row(r), last);
                if d < *m {
                    *m = d;
                }
            }
            true
        });
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
                vectors: Rows::from_slice(&[], dim),
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
        let vectors = Rows::fill(ids.len() * dim, dim, |buf| {
            for &r in &ids {
                let s = r as usize * dim;
                buf.extend_from_slice(&data[s..s + dim]);
            }
        });
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
        if dim == 0 && lists > 0 {
            return Err(r.error("lists over zero-dimensional vectors"));
        }
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
        let vectors = Rows::from_iter(count * dim, dim, r.f32s_iter(count * dim, "vectors")?);
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
        if k == 0
            || self.ids.is_empty()
            || lists == 0
            || self.dim == 0
            || filter.is_some_and(|f| f.count() == 0)
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
        let mut heap: BinaryHeap<Hit> = BinaryHeap::with_capacity(k.min(self.ids.len()) + 1);
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
            let vecs = self.vectors.as_slice().get(a * dim..b * dim).unwrap_or(&[]);
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
            + self.vectors.memory_bytes()
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
        w.f32s(self.vectors.as_slice())?;
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::hnsw::tests::{data, near_queries, queries, recall, Rng};
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn build(m: Metric, vs: &VectorSet, lists: usize, threads: usize) -> IvfFlatIndex {
        IvfFlatIndex::build(m, vs.clone(), lists, threads, &|_| true).unwrap()
    }

    fn params(k: usize, probes: usize) -> SearchParams {
        SearchParams {
            k,
            probes,
            ..Default::default()
        }
    }

    fn bytes(idx: &dyn VectorIndex) -> Vec<u8> {
        let mut out = Vec::new();
        idx.write_to(&mut out).unwrap();
        out
    }

    #[test]
    fn recall_per_metric() {
        for metric in [Metric::L2, Metric::Cosine, Metric::InnerProduct, Metric::L1] {
            let uniform = data(5000, 16, 0, 7);
            let clustered = data(5000, 24, 100, 8);
            // Uniform data has no cluster structure for the lists to follow (the hard case): it
            // takes half of the lists; clustered data a quarter.
            for (name, vs, qs, probes) in [
                ("uniform", &uniform, queries(16, 100, 99), 20),
                (
                    "clustered",
                    &clustered,
                    near_queries(&clustered, 100, 98),
                    10,
                ),
            ] {
                let idx = build(metric, vs, 40, 2);
                assert_eq!(idx.len(), 5000);
                assert_eq!(idx.lists(), 40);
                let r = recall(&idx, vs, &qs, &params(10, probes), None);
                assert!(
                    r >= 0.95,
                    "{metric:?} {name}: recall {r} at {probes} probes"
                );
                // All lists: exact.
                let r = recall(&idx, vs, &qs, &params(10, 40), None);
                assert!(r >= 0.999, "{metric:?} {name}: exhaustive recall {r}");
            }
        }
    }

    #[test]
    fn filtered_search_probes_on() {
        let vs = data(5000, 16, 10, 3);
        let idx = build(Metric::L2, &vs, 50, 2);
        let qs = queries(16, 30, 5);
        for keep_one_in in [2u64, 10, 100] {
            let mut rng = Rng(keep_one_in);
            let mask =
                RowMask::from_bools((0..5000).map(|_| rng.next().is_multiple_of(keep_one_in)));
            for q in &qs {
                let mut st = SearchStats::default();
                let got = idx.search(q, &params(10, 1), Some(&mask), &mut st).unwrap();
                assert_eq!(got.len(), 10.min(mask.count()), "1/{keep_one_in}");
                assert!(got.iter().all(|n| mask.contains(n.pos)));
                assert!(st.visited > 0);
            }
        }
        // max_probes bounds the iterative scan.
        let mask = RowMask::from_bools((0..5000).map(|i| i % 1000 == 3));
        let p = SearchParams {
            k: 10,
            probes: 1,
            max_probes: 1,
            ef_search: 40,
        };
        let got = idx
            .search(&qs[0], &p, Some(&mask), &mut SearchStats::default())
            .unwrap();
        assert!(got.len() <= 5);
        let p = SearchParams {
            max_probes: 50,
            ..p
        };
        let got = idx
            .search(&qs[0], &p, Some(&mask), &mut SearchStats::default())
            .unwrap();
        assert_eq!(got.len(), 5);
    }

    #[test]
    fn nulls_round_trip_and_corruption() {
        let mut vs = data(3000, 12, 5, 11);
        for i in (0..3000).step_by(3) {
            vs.present[i] = false;
            vs.data[i * 12..(i + 1) * 12].fill(0.0);
        }
        for metric in [Metric::L2, Metric::InnerProduct, Metric::Cosine, Metric::L1] {
            let idx = build(metric, &vs, 30, 2);
            assert_eq!(idx.len(), 2000);
            let b = bytes(&idx);
            // Deterministic whatever the thread count.
            assert_eq!(b, bytes(&build(metric, &vs, 30, 1)));
            let loaded = crate::index::load(&b).unwrap();
            assert_eq!(loaded.kind(), IndexKind::IvfFlat);
            assert_eq!(loaded.metric(), metric);
            assert_eq!(bytes(loaded.as_ref()), b);
            assert!(loaded.memory_bytes() >= 2000 * 12 * 4);
            for q in queries(12, 10, 4) {
                let p = params(50, 5);
                let a = idx
                    .search(&q, &p, None, &mut SearchStats::default())
                    .unwrap();
                assert_eq!(a.len(), 50);
                assert!(a.iter().all(|n| n.pos % 3 != 0 && n.dist.is_finite()));
                assert_eq!(
                    a,
                    loaded
                        .search(&q, &p, None, &mut SearchStats::default())
                        .unwrap()
                );
            }
        }
        let b = bytes(&build(Metric::L2, &data(300, 8, 0, 5), 10, 1));
        for len in (0..b.len()).step_by(7).chain([b.len() - 1]) {
            assert!(matches!(
                IvfFlatIndex::load(&b[..len]),
                Err(IndexError::Corrupt(_))
            ));
        }
        for pos in (0..b.len()).step_by(11) {
            let mut c = b.clone();
            c[pos] ^= 0x10;
            assert!(IvfFlatIndex::load(&c).is_err(), "flipped byte {pos}");
        }
        // Checksummed but inconsistent: a duplicated row id.
        let mut idx = IvfFlatIndex::load(&b).unwrap();
        idx.ids[1] = idx.ids[0];
        assert!(IvfFlatIndex::load(&bytes(&idx)).is_err());
    }

    #[test]
    fn errors_cancel_and_empty() {
        let vs = data(3000, 8, 0, 2);
        let idx = build(Metric::L2, &vs, 10, 1);
        let e = idx
            .search(&[0.0; 3], &params(5, 1), None, &mut SearchStats::default())
            .unwrap_err();
        assert_eq!(e.to_string(), "expected 8 dimensions, not 3");
        assert!(matches!(
            IvfFlatIndex::build(Metric::Hamming, vs.clone(), 10, 1, &|_| true),
            Err(IndexError::Invalid(_))
        ));
        let calls = AtomicUsize::new(0);
        let last = AtomicUsize::new(0);
        build_with(&vs, &|n| {
            calls.fetch_add(1, Ordering::Relaxed);
            last.fetch_max(n, Ordering::Relaxed);
            true
        })
        .unwrap();
        assert!(calls.load(Ordering::Relaxed) > 0);
        assert_eq!(last.load(Ordering::Relaxed), 3000);
        assert!(matches!(
            build_with(&vs, &|_| false),
            Err(IndexError::Canceled)
        ));
        assert!(matches!(
            build_with(&vs, &|n| n < 1000),
            Err(IndexError::Canceled)
        ));
        // Empty, all-NULL and fewer rows than lists.
        for (n, present) in [(0usize, true), (4, false), (3, true)] {
            let vs = VectorSet {
                dim: 2,
                data: (0..n * 2).map(|i| i as f32).collect(),
                present: vec![present; n],
            };
            let idx = build(Metric::Cosine, &vs, 100, 2);
            let want = if present { n } else { 0 };
            assert_eq!(idx.len(), want);
            assert_eq!(idx.lists(), want.min(100));
            let got = idx
                .search(
                    &[1.0, 0.0],
                    &params(10, 1),
                    None,
                    &mut SearchStats::default(),
                )
                .unwrap();
            assert_eq!(got.len(), want);
            assert_eq!(IvfFlatIndex::load(&bytes(&idx)).unwrap().len(), want);
        }
    }

    fn build_with(vs: &VectorSet, p: Progress<'_>) -> Result<IvfFlatIndex, IndexError> {
        IvfFlatIndex::build(Metric::L2, vs.clone(), 10, 2, p)
    }
}
