//! An inverted index over the sparse vectors (`sparsevec`) of one sealed segment, for exact top-k
//! by inner product (pgvector's `<#>`, the negative inner product), addressed by row position like
//! the other indexes.
//!
//! Layout (the file stores the first five; the rest is derived at load): the non-NULL rows as a
//! bitmap; the dimensions that occur, ascending, with the end of each one's posting list; the
//! postings — row positions ascending and their values, as two parallel arrays, uncompressed (the
//! values must stay exact, and positions are read at random by the skips) — and per block of
//! [`BLOCK`] postings its last position and its largest and smallest value.
//!
//! Search is the windowed MaxScore of [`super::bm25`] (Turtle & Flood's MaxScore with block-max
//! bounds, organised as in Lucene's `MaxScoreBulkScorer`) with bounds that survive negative
//! numbers: a query weight `q` times a value in `[min, max]` is at most `q·max` for `q > 0` and
//! `q·min` for `q < 0`, and a row without the dimension gets 0 from it, so a list's bound is
//! `max(0, that)`. Scores are summed in query order, as the exact scan does, so results and
//! distances are bit-identical to a brute-force scan; bounds carry a slack of a few ulps per term
//! against rounding.
//!
//! Rows that share no non-zero dimension with the query score 0. The exact answer ranks them like
//! any other row (above every negative score, ties by position), so when fewer than `k` rows score
//! above 0 the lowest-positioned such rows fill the result, as a sequential scan would.

use std::io::Write;

use super::hnsw::codec;
use super::scored::{neighbors, Hit, TopK};
use super::{IndexError, Neighbor, RowMask, SearchStats};

/// File magic of a serialised sparse inverted index.
pub const MAGIC: &[u8] = b"QVSPIX01";
const VERSION: u32 = 1;
/// Postings per block (one skip entry and one pair of value bounds each).
pub const BLOCK: usize = 128;
/// A cursor past its last posting.
const END: u32 = u32::MAX;
/// Positions per window at most (the size of the accumulator).
const WINDOW: usize = 4096;
/// Positions per window at least, per essential list (see `bm25`).
const MIN_WINDOW_PER_LIST: u32 = 32;

/// An inverted index over one segment's sparse vectors.
pub struct SparseInvertedIndex {
    rows: usize,
    dim: u32,
    /// Bit `i`: row `i` has a vector (is not NULL).
    present: Vec<u64>,
    /// Dimensions with at least one non-zero value, ascending; list `l` is
    /// `pos/vals[ends[l - 1]..ends[l]]`.
    dims: Vec<u32>,
    ends: Vec<u64>,
    pos: Vec<u32>,
    vals: Vec<f32>,
    /// List `l`'s blocks are `blk_*[blk_start[l]..blk_start[l + 1]]`.
    blk_start: Vec<u64>,
    blk_last: Vec<u32>,
    blk_max: Vec<f32>,
    blk_min: Vec<f32>,
}

impl std::fmt::Debug for SparseInvertedIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SparseInvertedIndex")
            .field("rows", &self.rows)
            .field("dim", &self.dim)
            .field("dims_used", &self.dims.len())
            .field("postings", &self.pos.len())
            .finish_non_exhaustive()
    }
}

/// Dimensions up to which the build counts postings in a dense array (4 bytes each); sparser
/// spaces sort their dimensions instead.
const DENSE_DIMS: u32 = 1 << 22;

impl SparseInvertedIndex {
    /// Indexes `rows[i]`, row `i`'s sparse vector as (0-based indices, strictly increasing;
    /// values), `None` for NULL. Zero values are not stored; entries at or above `dim`, or not
    /// above the previous index, are ignored (the caller validates vectors before they get here).
    /// Positions are `u32`, as in every index: rows past `u32::MAX - 1` are not indexed.
    pub fn build(rows: &[Option<(Vec<u32>, Vec<f32>)>], dim: u32) -> SparseInvertedIndex {
        let rows = &rows[..rows.len().min(END as usize - 1)];
        let n = rows.len();
        let mut present = vec![0u64; n.div_ceil(64)];
        for (p, r) in rows.iter().enumerate() {
            if r.is_some() {
                present[p / 64] |= 1 << (p % 64);
            }
        }
        // The dimensions that occur, and postings per dimension.
        let all = || rows.iter().flatten().flat_map(|r| entries(r, dim));
        let (dims, ids) = if dim <= DENSE_DIMS {
            let mut id = vec![u32::MAX; dim as usize];
            for (i, _) in all() {
                id[i as usize] = 0;
            }
            let mut dims = Vec::new();
            for (d, x) in id.iter_mut().enumerate() {
                if *x == 0 {
                    *x = dims.len() as u32;
                    dims.push(d as u32);
                }
            }
            (dims, DimIds::Dense(id))
        } else {
            let mut dims: Vec<u32> = all().map(|(i, _)| i).collect();
            dims.sort_unstable();
            dims.dedup();
            (dims.clone(), DimIds::Sorted(dims))
        };
        let mut counts = vec![0u64; dims.len()];
        for (i, _) in all() {
            counts[ids.id(i)] += 1;
        }
        let mut ends = Vec::with_capacity(dims.len());
        let mut acc = 0u64;
        for c in &mut counts {
            let start = acc;
            acc += *c;
            ends.push(acc);
            *c = start; // now the fill cursor
        }
        let nnz = acc as usize;
        let mut pos = vec![0u32; nnz];
        let mut vals = vec![0f32; nnz];
        for (p, r) in rows.iter().enumerate() {
            let Some(r) = r else { continue };
            for (i, v) in entries(r, dim) {
                let at = &mut counts[ids.id(i)];
                pos[*at as usize] = p as u32;
                vals[*at as usize] = v;
                *at += 1;
            }
        }
        drop(ids);
        let mut idx = SparseInvertedIndex {
            rows: n,
            dim,
            present,
            dims,
            ends,
            pos,
            vals,
            blk_start: Vec::new(),
            blk_last: Vec::new(),
            blk_max: Vec::new(),
            blk_min: Vec::new(),
        };
        idx.derive_blocks();
        idx
    }

    /// Computes the block tables from the postings.
    fn derive_blocks(&mut self) {
        let nb: usize = (0..self.dims.len())
            .map(|l| self.list_range(l).len().div_ceil(BLOCK))
            .sum();
        self.blk_start = Vec::with_capacity(self.dims.len() + 1);
        self.blk_last = Vec::with_capacity(nb);
        self.blk_max = Vec::with_capacity(nb);
        self.blk_min = Vec::with_capacity(nb);
        self.blk_start.push(0);
        for l in 0..self.dims.len() {
            let r = self.list_range(l);
            for (p, v) in self.pos[r.clone()]
                .chunks(BLOCK)
                .zip(self.vals[r].chunks(BLOCK))
            {
                self.blk_last.push(p[p.len() - 1]);
                // `max`/`min` skip NaN; a NaN value makes the bound NaN, which disables pruning.
                let nan = v.iter().any(|x| x.is_nan());
                let (mx, mn) = v
                    .iter()
                    .fold((f32::NEG_INFINITY, f32::INFINITY), |(a, b), &x| {
                        (a.max(x), b.min(x))
                    });
                self.blk_max.push(if nan { f32::NAN } else { mx });
                self.blk_min.push(if nan { f32::NAN } else { mn });
            }
            self.blk_start.push(self.blk_last.len() as u64);
        }
    }

    fn list_range(&self, l: usize) -> std::ops::Range<usize> {
        let a = if l == 0 { 0 } else { self.ends[l - 1] as usize };
        a..self.ends[l] as usize
    }

    /// Rows (positions) covered, NULL ones included.
    pub fn len(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    pub fn dim(&self) -> u32 {
        self.dim
    }

    fn is_present(&self, p: u32) -> bool {
        self.present
            .get(p as usize / 64)
            .is_some_and(|w| w & (1 << (p % 64)) != 0)
    }

    fn cursor(&self, l: usize) -> Cursor<'_> {
        let r = self.list_range(l);
        let (a, b) = (self.blk_start[l] as usize, self.blk_start[l + 1] as usize);
        let doc = if r.is_empty() { END } else { self.pos[r.start] };
        Cursor {
            pos: &self.pos[r.clone()],
            vals: &self.vals[r],
            last: &self.blk_last[a..b],
            max: &self.blk_max[a..b],
            min: &self.blk_min[a..b],
            i: 0,
            b: 0,
            doc,
        }
    }

    /// Exact top `k` rows by inner product with the query (`q_idx` ascending as in a sparse
    /// vector, `q_val` its values), largest first, ties by lower position, among the non-NULL rows
    /// `filter` allows; `Neighbor::dist` is the negative inner product. Rows sharing no non-zero
    /// dimension with the query score 0 and are returned when fewer than `k` rows score higher.
    pub fn search(
        &self,
        q_idx: &[u32],
        q_val: &[f32],
        k: usize,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Vec<Neighbor> {
        if k == 0 || self.rows == 0 || filter.is_some_and(|f| f.count() == 0) {
            return Vec::new();
        }
        let m = q_idx.len().min(q_val.len());
        let mut lists: Vec<List<'_>> = Vec::new();
        let mut mag = 0.0f32;
        for (qi, (&d, &q)) in q_idx.iter().zip(q_val).enumerate() {
            // A zero weight adds 0 to every row: such a dimension makes no row a match.
            if q == 0.0 {
                continue;
            }
            let Ok(l) = self.dims.binary_search(&d) else {
                continue;
            };
            let cur = self.cursor(l);
            let (mx, mn) = (max_of(cur.max), min_of(cur.min));
            mag += (q * mx).abs().max((q * mn).abs());
            lists.push(List {
                qi,
                q,
                df: cur.pos.len(),
                ub: bound(q, mx, mn),
                cur,
            });
        }
        let slack_per = 4.0 * (lists.len() + 2) as f32 * f32::EPSILON;
        let mut top = TopK::new(k, m);
        let total: u64 = lists.iter().map(|l| l.df as u64).sum();
        if !lists.is_empty() {
            match filter {
                Some(f) if (f.count() as u64).saturating_mul(lists.len() as u64) < total => {
                    by_filter(&mut lists, self.rows, f, &mut top, stats)
                }
                _ => maxscore(
                    &mut lists, self.rows, filter, &mut top, stats, mag, slack_per,
                ),
            }
        }
        let hits = top.into_sorted();
        if hits.len() == k && hits[k - 1].key > 0.0 {
            return neighbors(hits);
        }
        self.fill_zeros(hits, q_idx, q_val, k, filter)
    }

    /// Merges the scored rows with the first rows (by position) that share no query dimension
    /// (score 0), the exact order of a scan.
    fn fill_zeros(
        &self,
        hits: Vec<Hit>,
        q_idx: &[u32],
        q_val: &[f32],
        k: usize,
        filter: Option<&RowMask>,
    ) -> Vec<Neighbor> {
        let mut overlap = vec![0u64; self.rows.div_ceil(64)];
        for (&d, &q) in q_idx.iter().zip(q_val) {
            if q == 0.0 {
                continue;
            }
            if let Ok(l) = self.dims.binary_search(&d) {
                for &p in &self.pos[self.list_range(l)] {
                    overlap[p as usize / 64] |= 1 << (p % 64);
                }
            }
        }
        let mut zeros = Vec::new();
        for (w, (&pres, &ov)) in self.present.iter().zip(&overlap).enumerate() {
            let mut bits = pres & !ov;
            while bits != 0 && zeros.len() < k {
                let p = (w * 64) as u32 + bits.trailing_zeros();
                bits &= bits - 1;
                if filter.is_none_or(|f| f.contains(p)) {
                    zeros.push(Hit {
                        key: 0.0,
                        score: 0.0,
                        pos: p,
                    });
                }
            }
            if zeros.len() >= k {
                break;
            }
        }
        let mut all = hits;
        all.extend(zeros);
        // `Hit`'s order puts the best first.
        all.sort_unstable();
        all.truncate(k);
        neighbors(all)
    }

    /// Heap memory held.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.present.capacity() * 8
            + self.dims.capacity() * 4
            + self.ends.capacity() * 8
            + self.pos.capacity() * 4
            + self.vals.capacity() * 4
            + self.blk_start.capacity() * 8
            + self.blk_last.capacity() * 4
            + self.blk_max.capacity() * 4
            + self.blk_min.capacity() * 4
    }

    /// Serialises the index (self-describing, checksummed) for [`SparseInvertedIndex::load`].
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), IndexError> {
        let mut w = codec::Writer::new(out, MAGIC, VERSION);
        w.u64(self.rows as u64);
        w.u32(self.dim);
        w.u64(self.dims.len() as u64);
        w.u64(self.pos.len() as u64);
        let mut bitmap = Vec::with_capacity(self.present.len() * 8);
        for word in &self.present {
            bitmap.extend_from_slice(&word.to_le_bytes());
        }
        bitmap.truncate(self.rows.div_ceil(8));
        w.u8s(&bitmap)?;
        w.u32s(&self.dims)?;
        let mut buf = Vec::with_capacity(8 * 4096);
        for c in self.ends.chunks(4096) {
            buf.clear();
            for x in c {
                buf.extend_from_slice(&x.to_le_bytes());
            }
            w.u8s(&buf)?;
        }
        w.u32s(&self.pos)?;
        w.f32s(&self.vals)?;
        w.finish()
    }

    /// Reads an index written by [`SparseInvertedIndex::write_to`], verifying the checksum and
    /// the structure, so that a damaged file is an error here and never a panic later.
    pub fn load(bytes: &[u8]) -> Result<SparseInvertedIndex, IndexError> {
        let mut r = codec::Reader::open(bytes, MAGIC, VERSION, "sparse inverted")?;
        let rows = r.u64()?;
        let dim = r.u32()?;
        let ndims = r.u64()?;
        let nnz = r.u64()?;
        // Checked before allocating anything.
        let want = ndims
            .checked_mul(12)
            .and_then(|w| w.checked_add(rows.div_ceil(8)))
            .and_then(|w| w.checked_add(nnz.checked_mul(8)?));
        if rows >= u64::from(END) || ndims > u64::from(dim) || want != Some(r.remaining() as u64) {
            return Err(r.error(format!(
                "{} bytes of arrays do not match the header ({rows} rows, {ndims} dimensions, \
                 {nnz} values)",
                r.remaining()
            )));
        }
        let (rows, ndims, nnz) = (rows as usize, ndims as usize, nnz as usize);
        let bitmap = r.u8s(rows.div_ceil(8), "row bitmap")?;
        let dims = r.u32s(ndims, "dimensions")?;
        let ends: Vec<u64> = r
            .u8s(ndims * 8, "list ends")?
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        let pos = r.u32s(nnz, "positions")?;
        let vals = r.f32s(nnz, "values")?;
        r.end()?;
        let mut present = vec![0u64; rows.div_ceil(64)];
        for (i, c) in bitmap.chunks(8).enumerate() {
            let mut w = [0u8; 8];
            w[..c.len()].copy_from_slice(c);
            present[i] = u64::from_le_bytes(w);
        }
        if rows % 64 != 0 {
            if let Some(last) = present.last_mut() {
                if *last >> (rows % 64) != 0 {
                    return Err(r.error("row bitmap has bits past the last row"));
                }
            }
        }
        if dims.windows(2).any(|w| w[0] >= w[1]) || dims.last().is_some_and(|&d| d >= dim) {
            return Err(r.error("dimensions are not ascending below the dimension count"));
        }
        if ends.windows(2).any(|w| w[0] >= w[1])
            || ends.first().is_some_and(|&e| e == 0)
            || ends.last().copied().unwrap_or(0) != nnz as u64
        {
            return Err(r.error("posting lists are empty or their ends do not ascend to the end"));
        }
        let mut idx = SparseInvertedIndex {
            rows,
            dim,
            present,
            dims,
            ends,
            pos,
            vals,
            blk_start: Vec::new(),
            blk_last: Vec::new(),
            blk_max: Vec::new(),
            blk_min: Vec::new(),
        };
        for l in 0..idx.dims.len() {
            let r2 = idx.list_range(l);
            let list = &idx.pos[r2.clone()];
            if list.windows(2).any(|w| w[0] >= w[1]) {
                return Err(r.error(format!(
                    "dimension {}: positions not ascending",
                    idx.dims[l]
                )));
            }
            if list.iter().any(|&p| !idx.is_present(p)) {
                return Err(r.error(format!(
                    "dimension {}: posting of a NULL or missing row",
                    idx.dims[l]
                )));
            }
            if idx.vals[r2].contains(&0.0) {
                return Err(r.error(format!("dimension {}: a zero value", idx.dims[l])));
            }
        }
        idx.derive_blocks();
        Ok(idx)
    }
}

/// Dimension → list number during a build: a table over all dimensions (`Dense`), or a search
/// of the sorted dimensions that occur (`Sorted`, for huge sparse spaces).
enum DimIds {
    Dense(Vec<u32>),
    Sorted(Vec<u32>),
}

impl DimIds {
    /// The list of a dimension that occurs.
    fn id(&self, d: u32) -> usize {
        match self {
            DimIds::Dense(t) => t[d as usize] as usize,
            DimIds::Sorted(v) => v.binary_search(&d).unwrap_or(0),
        }
    }
}

/// The entries of a row that the index stores: in range, each above the previous, non-zero.
fn entries(r: &(Vec<u32>, Vec<f32>), dim: u32) -> impl Iterator<Item = (u32, f32)> + '_ {
    let mut prev: Option<u32> = None;
    r.0.iter()
        .zip(&r.1)
        .filter(move |&(&i, &v)| {
            let ok = i < dim && prev.is_none_or(|p| i > p);
            if ok {
                prev = Some(i);
            }
            ok && v != 0.0
        })
        .map(|(&i, &v)| (i, v))
}

fn max_of(v: &[f32]) -> f32 {
    if v.iter().any(|x| x.is_nan()) {
        return f32::NAN;
    }
    v.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

fn min_of(v: &[f32]) -> f32 {
    if v.iter().any(|x| x.is_nan()) {
        return f32::NAN;
    }
    v.iter().copied().fold(f32::INFINITY, f32::min)
}

/// Bound of `q · v` over `v ∈ [mn, mx]` and over rows without the dimension (0). NaN anywhere
/// allows no pruning.
fn bound(q: f32, mx: f32, mn: f32) -> f32 {
    let b = if q > 0.0 { q * mx } else { q * mn };
    if b.is_nan() {
        f32::INFINITY
    } else {
        b.max(0.0)
    }
}

/// A forward cursor over one dimension's postings.
struct Cursor<'a> {
    pos: &'a [u32],
    vals: &'a [f32],
    /// Per block: last position, largest and smallest value.
    last: &'a [u32],
    max: &'a [f32],
    min: &'a [f32],
    /// Current posting.
    i: usize,
    /// Current block (moved ahead by `shallow`).
    b: usize,
    doc: u32,
}

impl Cursor<'_> {
    /// Moves to the block that may hold `target` (without touching the postings); false when
    /// no posting is at or after it.
    fn shallow(&mut self, target: u32) -> bool {
        if self.doc == END {
            return false;
        }
        while self.b < self.last.len() && self.last[self.b] < target {
            self.b += 1;
        }
        if self.b == self.last.len() {
            self.doc = END;
            self.i = self.pos.len();
            return false;
        }
        true
    }

    /// The first posting at or after `target` (`END` if none).
    fn advance(&mut self, target: u32) -> u32 {
        if self.doc >= target {
            return self.doc;
        }
        if !self.shallow(target) {
            return END;
        }
        let lo = self.i.max(self.b * BLOCK);
        let hi = ((self.b + 1) * BLOCK).min(self.pos.len()).max(lo);
        self.i = lo + self.pos[lo..hi].partition_point(|&p| p < target);
        self.doc = self.pos.get(self.i).copied().unwrap_or(END);
        self.doc
    }

    /// The value at the current posting.
    fn val(&self) -> f32 {
        self.vals.get(self.i).copied().unwrap_or(0.0)
    }

    /// Calls `f(position, value)` for each posting from the current one through `hi`, and stops
    /// on the first one after it.
    fn drain_until(&mut self, hi: u32, mut f: impl FnMut(u32, f32)) {
        let mut i = self.i;
        while i < self.pos.len() && self.pos[i] <= hi {
            f(self.pos[i], self.vals[i]);
            i += 1;
        }
        self.i = i;
        self.doc = self.pos.get(i).copied().unwrap_or(END);
        self.b = self.b.max(i / BLOCK);
    }

    /// Bound of `q · value` over the blocks overlapping `lo..=hi`.
    fn window_bound(&mut self, q: f32, lo: u32, hi: u32) -> f32 {
        if !self.shallow(lo) {
            return 0.0;
        }
        let mut b = self.b;
        let mut ub = bound(q, self.max[b], self.min[b]);
        while self.last[b] < hi && b + 1 < self.last.len() {
            b += 1;
            ub = ub.max(bound(q, self.max[b], self.min[b]));
        }
        ub
    }
}

/// A query dimension's list during a search.
struct List<'a> {
    qi: usize,
    q: f32,
    df: usize,
    ub: f32,
    cur: Cursor<'a>,
}

/// Windowed MaxScore with block-max bounds (the same algorithm as `bm25::maxscore`).
fn maxscore(
    lists: &mut [List<'_>],
    rows: usize,
    filter: Option<&RowMask>,
    top: &mut TopK,
    stats: &mut SearchStats,
    mag: f32,
    slack_per: f32,
) {
    let m = lists.len();
    let rows = rows as u32;
    lists.sort_by(|a, b| a.ub.total_cmp(&b.ub).then(b.df.cmp(&a.df)));
    let mut gprefix = Vec::with_capacity(m);
    let mut acc = 0.0f32;
    for l in lists.iter() {
        acc += l.ub;
        gprefix.push(acc);
    }
    let cannot = |bound: f32, thr: f32| bound + slack_per * (mag + thr.abs()) <= thr;
    let mut thr = f32::NEG_INFINITY;
    let mut gfirst = 0;
    let mut partial = vec![0.0f32; WINDOW];
    let mut seen = vec![0u64; WINDOW / 64];
    let mut recs: Vec<Vec<(u32, f32)>> = (0..m).map(|_| Vec::new()).collect();
    let mut rp = vec![0usize; m];
    let mut order: Vec<usize> = (0..m).collect();
    let mut wub = vec![0.0f32; m];
    let mut wprefix = vec![0.0f32; m];
    let mut win_min = 0u32;
    while win_min < rows && gfirst < m {
        let mut start = END;
        for l in &mut lists[gfirst..] {
            start = start.min(l.cur.advance(win_min));
        }
        if start >= rows {
            break;
        }
        win_min = start;
        let mut win_max = END;
        for l in &lists[gfirst..] {
            if l.cur.doc != END {
                win_max = win_max.min(l.cur.last[l.cur.b]);
            }
        }
        let min_len = MIN_WINDOW_PER_LIST * (m - gfirst) as u32;
        win_max = win_max
            .max(win_min.saturating_add(min_len - 1))
            .min(win_min.saturating_add(WINDOW as u32 - 1))
            .min(rows - 1);
        for (b, l) in wub.iter_mut().zip(lists.iter_mut()) {
            *b = l.cur.window_bound(l.q, win_min, win_max);
        }
        order.sort_by(|&a, &b| wub[a].total_cmp(&wub[b]));
        let mut acc = 0.0f32;
        for (p, &i) in wprefix.iter_mut().zip(&order) {
            acc += wub[i];
            *p = acc;
        }
        let mut ess = 0;
        while ess < m && cannot(wprefix[ess], thr) {
            ess += 1;
        }
        if ess < m {
            for &i in &order[ess..] {
                let l = &mut lists[i];
                let rec = &mut recs[i];
                rec.clear();
                rp[i] = 0;
                if l.cur.advance(win_min) > win_max {
                    continue;
                }
                let q = l.q;
                l.cur.drain_until(win_max, |d, v| {
                    stats.visited += 1;
                    if filter.is_none_or(|f| f.contains(d)) {
                        let c = q * v;
                        let o = (d - win_min) as usize;
                        partial[o] += c;
                        seen[o / 64] |= 1 << (o % 64);
                        rec.push((d, c));
                    }
                });
            }
            for (w, word) in seen.iter_mut().enumerate() {
                let mut bits = std::mem::take(word);
                while bits != 0 {
                    let o = w * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    let d = win_min + o as u32;
                    let mut part = std::mem::take(&mut partial[o]);
                    let mut pruned = false;
                    for j in (0..ess).rev() {
                        if cannot(part + wprefix[j], thr) {
                            pruned = true;
                            break;
                        }
                        let l = &mut lists[order[j]];
                        if l.cur.advance(d) == d {
                            stats.visited += 1;
                            let c = l.q * l.cur.val();
                            top.contrib[l.qi] = c;
                            part += c;
                        }
                    }
                    if pruned {
                        top.contrib.fill(0.0);
                        continue;
                    }
                    for &i in &order[ess..] {
                        let rec = &recs[i];
                        let mut x = rp[i];
                        while x < rec.len() && rec[x].0 < d {
                            x += 1;
                        }
                        rp[i] = x;
                        if let Some(&(rd, c)) = rec.get(x) {
                            if rd == d {
                                top.contrib[lists[i].qi] = c;
                            }
                        }
                    }
                    stats.distance_computations += 1;
                    if top.offer(d) {
                        thr = top.threshold();
                        while gfirst < m && cannot(gprefix[gfirst], thr) {
                            gfirst += 1;
                        }
                    }
                }
            }
        }
        win_min = win_max.saturating_add(1);
    }
}

/// Allowed rows drive the search (a filter allowing fewer rows than the lists hold).
fn by_filter(
    lists: &mut [List<'_>],
    rows: usize,
    filter: &RowMask,
    top: &mut TopK,
    stats: &mut SearchStats,
) {
    for d in filter.iter() {
        if d as usize >= rows {
            break;
        }
        let mut hit = false;
        let mut live = false;
        for l in lists.iter_mut() {
            let c = l.cur.advance(d);
            live |= c != END;
            if c == d {
                stats.visited += 1;
                top.contrib[l.qi] = l.q * l.cur.val();
                hit = true;
            }
        }
        if hit {
            stats.distance_computations += 1;
            top.offer(d);
        }
        if !live {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::scored::key;

    /// splitmix64.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
        fn unit(&mut self) -> f32 {
            (self.next() >> 40) as f32 / (1u64 << 24) as f32
        }
        /// Heavy-tailed positive weights (exponential), like learned sparse encoders produce.
        fn weight(&mut self) -> f32 {
            -(1.0 - self.unit()).ln() * 0.5 + 0.01
        }
    }

    type Row = Option<(Vec<u32>, Vec<f32>)>;

    /// Rows of `nnz` non-zeros on average over `dim` dimensions, skewed towards low dimensions;
    /// `neg`: a share of negative values.
    fn rows(rng: &mut Rng, n: usize, dim: u32, nnz: u64, neg: bool) -> Vec<Row> {
        (0..n)
            .map(|_| {
                if rng.below(25) == 0 {
                    return None;
                }
                let c = rng.below(2 * nnz + 1);
                let mut idx: Vec<u32> = (0..c)
                    .map(|_| {
                        let u = rng.unit();
                        ((u * u * dim as f32) as u32).min(dim - 1)
                    })
                    .collect();
                idx.sort_unstable();
                idx.dedup();
                let vals = idx
                    .iter()
                    .map(|_| {
                        let v = rng.weight();
                        if neg && rng.below(3) == 0 {
                            -v
                        } else {
                            v
                        }
                    })
                    .collect();
                Some((idx, vals))
            })
            .collect()
    }

    /// The exact scan: every allowed non-NULL row, its inner product summed in query order.
    fn brute(
        rows: &[Row],
        qi: &[u32],
        qv: &[f32],
        k: usize,
        filter: Option<&RowMask>,
    ) -> Vec<Neighbor> {
        let mut all: Vec<Hit> = Vec::new();
        for (p, r) in rows.iter().enumerate() {
            let Some((idx, vals)) = r else { continue };
            if filter.is_some_and(|f| !f.contains(p as u32)) {
                continue;
            }
            let mut s = 0.0f32;
            for (&d, &q) in qi.iter().zip(qv) {
                s += match idx.binary_search(&d) {
                    Ok(j) => q * vals[j],
                    Err(_) => 0.0,
                };
            }
            all.push(Hit {
                key: key(s),
                score: s,
                pos: p as u32,
            });
        }
        all.sort();
        all.truncate(k);
        neighbors(all)
    }

    fn query(rng: &mut Rng, dim: u32, terms: u64, neg: bool) -> (Vec<u32>, Vec<f32>) {
        let mut idx: Vec<u32> = (0..1 + rng.below(terms))
            .map(|_| {
                let u = rng.unit();
                ((u * u * dim as f32) as u32).min(dim - 1)
            })
            .collect();
        idx.sort_unstable();
        idx.dedup();
        let vals = idx
            .iter()
            .map(|_| {
                let v = rng.weight();
                if neg && rng.below(3) == 0 {
                    -v
                } else {
                    v
                }
            })
            .collect();
        (idx, vals)
    }

    #[test]
    fn topk_matches_brute_force() {
        let mut rng = Rng(17);
        for (n, dim, nnz, neg) in [
            (400, 50, 5, false),
            (3000, 1000, 20, false),
            (3000, 300, 10, true),
            (5000, 30_000, 30, true),
            (2000, 100_000_000, 8, true), // sparse dimension space: the sorting build
        ] {
            let data = rows(&mut rng, n, dim, nnz, neg);
            let idx = SparseInvertedIndex::build(&data, dim);
            assert_eq!((idx.len(), idx.dim()), (n, dim));
            for trial in 0..40 {
                let (qi, qv) = query(&mut rng, dim, 12, neg || trial % 5 == 0);
                let filter = match trial % 4 {
                    0 => None,
                    1 => Some(RowMask::from_bools((0..n).map(|_| rng.below(10) != 0))),
                    2 => Some(RowMask::from_bools((0..n).map(|_| rng.below(100) == 0))),
                    _ => Some(RowMask::from_bools((0..n).map(|_| rng.below(2) == 0))),
                };
                for k in [1, 5, 10, 100, n + 10] {
                    let mut stats = SearchStats::default();
                    let got = idx.search(&qi, &qv, k, filter.as_ref(), &mut stats);
                    let want = brute(&data, &qi, &qv, k, filter.as_ref());
                    assert_eq!(got, want, "n {n} dim {dim} trial {trial} k {k}");
                }
            }
        }
    }

    #[test]
    fn zero_rows_fill_the_result() {
        let data: Vec<Row> = vec![
            Some((vec![0, 2], vec![1.0, 1.0])),
            Some((vec![1], vec![5.0])),
            None,
            Some((vec![], vec![])),
            Some((vec![2], vec![-3.0])),
            Some((vec![0], vec![2.0])),
        ];
        let idx = SparseInvertedIndex::build(&data, 3);
        let mut s = SearchStats::default();
        // Query dimension 2 only: rows 0 (+1), 4 (−3); rows 1, 3, 5 score 0; row 2 is NULL.
        let got = idx.search(&[2], &[1.0], 10, None, &mut s);
        let order: Vec<(u32, f32)> = got.iter().map(|n| (n.pos, n.dist)).collect();
        assert_eq!(
            order,
            vec![(0, -1.0), (1, 0.0), (3, 0.0), (5, 0.0), (4, 3.0)]
        );
        assert_eq!(idx.search(&[2], &[1.0], 2, None, &mut s).len(), 2);
        assert_eq!(idx.search(&[2], &[1.0], 2, None, &mut s)[1].pos, 1);
        // A filter allowing only the NULL row and the negative one.
        let f = RowMask::from_bools([false, false, true, false, true, false]);
        let got = idx.search(&[2], &[1.0], 3, Some(&f), &mut s);
        assert_eq!(got.iter().map(|n| n.pos).collect::<Vec<_>>(), vec![4]);
        // Dimensions the index has never seen, a zero weight, an empty query.
        assert_eq!(idx.search(&[1000], &[1.0], 2, None, &mut s).len(), 2);
        assert_eq!(idx.search(&[1], &[0.0], 10, None, &mut s).len(), 5);
        assert_eq!(
            idx.search(&[], &[], 3, None, &mut s)
                .iter()
                .map(|n| n.pos)
                .collect::<Vec<_>>(),
            vec![0, 1, 3]
        );
        assert!(idx.search(&[1], &[1.0], 0, None, &mut s).is_empty());
    }

    #[test]
    fn pruning_skips_work() {
        let mut rng = Rng(23);
        let n = 20_000;
        let data = rows(&mut rng, n, 5000, 40, false);
        let idx = SparseInvertedIndex::build(&data, 5000);
        let (mut visited, mut scored, mut total) = (0u64, 0u64, 0u64);
        for _ in 0..20 {
            // Learned sparse encoders weight rare dimensions up, as idf does: frequent (low)
            // dimensions get small weights here.
            let (qi, mut qv) = query(&mut rng, 5000, 20, false);
            for (v, &d) in qv.iter_mut().zip(&qi) {
                *v *= 0.1 + 2.0 * (d as f32 / 5000.0).sqrt();
            }
            let mut stats = SearchStats::default();
            let got = idx.search(&qi, &qv, 10, None, &mut stats);
            assert_eq!(got, brute(&data, &qi, &qv, 10, None));
            visited += stats.visited;
            scored += stats.distance_computations;
            total += qi
                .iter()
                .filter_map(|d| idx.dims.binary_search(d).ok())
                .map(|l| idx.list_range(l).len() as u64)
                .sum::<u64>();
        }
        eprintln!("sparse pruning: visited {visited}, scored {scored} of {total} postings");
        assert!(visited * 2 < total, "visited {visited} of {total}");
        assert!(scored * 4 < total, "scored {scored} of {total}");
    }

    #[test]
    fn round_trip_and_corruption() {
        let mut rng = Rng(29);
        let data = rows(&mut rng, 1500, 400, 12, true);
        let idx = SparseInvertedIndex::build(&data, 400);
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        let back = SparseInvertedIndex::load(&buf).unwrap();
        let mut buf2 = Vec::new();
        back.write_to(&mut buf2).unwrap();
        assert_eq!(buf, buf2);
        assert_eq!((back.len(), back.dim()), (1500, 400));
        let mut s = SearchStats::default();
        for _ in 0..10 {
            let (qi, qv) = query(&mut rng, 400, 10, true);
            assert_eq!(
                idx.search(&qi, &qv, 15, None, &mut s),
                back.search(&qi, &qv, 15, None, &mut s)
            );
        }
        for cut in [0, 4, 8, 12, 20, buf.len() / 2, buf.len() - 9, buf.len() - 1] {
            assert!(
                matches!(
                    SparseInvertedIndex::load(&buf[..cut]),
                    Err(IndexError::Corrupt(_))
                ),
                "cut {cut}"
            );
        }
        for i in (0..buf.len()).step_by(buf.len() / 100 + 1) {
            let mut b = buf.clone();
            b[i] ^= 0x04;
            assert!(
                matches!(SparseInvertedIndex::load(&b), Err(IndexError::Corrupt(_))),
                "flip {i}"
            );
        }
        // Structural damage under a valid checksum: an error or a usable index, never a panic.
        let body = &buf[..buf.len() - 8];
        let mut errors = 0;
        for i in (12..body.len()).step_by(body.len() / 150 + 1) {
            let mut b = body.to_vec();
            b[i] ^= 0x81;
            b.extend_from_slice(&codec::checksum(&b).to_le_bytes());
            match SparseInvertedIndex::load(&b) {
                Ok(ix) => {
                    let (qi, qv) = query(&mut rng, 400, 10, true);
                    ix.search(&qi, &qv, 10, None, &mut s);
                }
                Err(_) => errors += 1,
            }
        }
        assert!(errors > 0);
        // The empty index.
        let e = SparseInvertedIndex::build(&[], 10);
        let mut b = Vec::new();
        e.write_to(&mut b).unwrap();
        let e = SparseInvertedIndex::load(&b).unwrap();
        assert!(e.search(&[1], &[1.0], 5, None, &mut s).is_empty());
    }

    #[test]
    fn ignores_invalid_entries() {
        // Out-of-range, unsorted and duplicate indices are dropped, zero values not stored.
        let data: Vec<Row> = vec![
            Some((vec![5, 1, 1, 2, 9], vec![1.0, 2.0, 3.0, 4.0, 5.0])),
            Some((vec![0, 3], vec![0.0, 1.0])),
        ];
        let idx = SparseInvertedIndex::build(&data, 6);
        let mut s = SearchStats::default();
        let got = idx.search(
            &[0, 1, 2, 3, 5],
            &[1.0, 1.0, 1.0, 1.0, 1.0],
            2,
            None,
            &mut s,
        );
        assert_eq!(
            got,
            vec![
                Neighbor { pos: 0, dist: -1.0 },
                Neighbor { pos: 1, dist: -1.0 }
            ]
        );
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        assert!(SparseInvertedIndex::load(&buf).is_ok());
    }

    #[test]
    #[ignore]
    fn timing_100k() {
        let mut rng = Rng(31);
        let dim = 30_522;
        let data = rows(&mut rng, 100_000, dim, 60, false);
        let t = std::time::Instant::now();
        let idx = SparseInvertedIndex::build(&data, dim);
        let build = t.elapsed();
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        let t = std::time::Instant::now();
        let idx = SparseInvertedIndex::load(&buf).unwrap();
        let load = t.elapsed();
        let queries: Vec<_> = (0..100)
            .map(|_| {
                let (qi, mut qv) = query(&mut rng, dim, 30, false);
                for (v, &d) in qv.iter_mut().zip(&qi) {
                    *v *= 0.1 + 2.0 * (d as f32 / dim as f32).sqrt();
                }
                (qi, qv)
            })
            .collect();
        let mut stats = SearchStats::default();
        let t = std::time::Instant::now();
        for (qi, qv) in &queries {
            idx.search(qi, qv, 10, None, &mut stats);
        }
        let per = t.elapsed() / queries.len() as u32;
        eprintln!(
            "sparse 100k rows: build {build:?}, load {load:?}, {} bytes; query k=10 {per:?}, \
             visited {} scored {} per query",
            idx.memory_bytes(),
            stats.visited / 100,
            stats.distance_computations / 100
        );
    }
}
