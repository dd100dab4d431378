//! BM25: an inverted index over the analyzed text of one sealed segment, addressed by row position
//! like the vector indexes, and the BM25 scoring that growing (unindexed) rows share with it.
//!
//! Scoring is Lucene's BM25 (`BM25Similarity` without its length quantisation): for each query term
//! `weight · idf · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))` with
//! `idf = ln(1 + (N − df + 0.5)/(df + 0.5))`. `N`, `df` and `avgdl` are *table-wide*: a segment
//! only reports its share ([`Bm25Index::corpus_stats`], [`stats_of`] for unindexed rows), the caller
//! sums the shares ([`CorpusStats::add`]) and searches every segment with the same idf and avgdl, so
//! a row scores the same wherever it lives. Every path — [`Bm25Index::search`],
//! [`Bm25Index::score`] and [`score_doc`] — adds the per-term contributions in query order with the
//! same float operations, so scores are bit-identical across them and top-k results can be merged
//! and re-checked exactly.
//!
//! Layout (also the file layout): the sorted term dictionary (term bytes and their end offsets;
//! looked up by binary search), one posting stream per term, and the document length of every
//! position (`u32::MAX` for NULL text, which is not indexed). A posting stream is
//! `df, max tf, min dl` (LEB128), then for lists longer than one block a skip table with one
//! 16-byte entry per block (`last position, byte length, max tf, min dl`), then the blocks: up to
//! [`BLOCK`] postings, a byte with the bit width of the position gaps and one with that of `tf − 1`,
//! then both arrays bit-packed (the frame-of-reference packing of Lucene's and PISA's block codecs,
//! without their SIMD layouts): 100k Wikipedia passages take about 2 bytes per posting, 6 MB in all.
//!
//! Search is MaxScore (Turtle & Flood, 1995) with block-max bounds (Ding & Suel, 2011), organised
//! in windows of positions as in Lucene's `MaxScoreBulkScorer`: query terms are ordered by their
//! score upper bound, and the longest prefix whose bounds sum to no more than the current k-th
//! best score is "non-essential" — a document matching only those terms cannot enter the top k.
//! Per window every list's bound tightens to the largest bound of its blocks there, the lists are
//! re-partitioned (a window where all of them together cannot beat the k-th score is skipped
//! without decoding), the essential lists are accumulated term-at-a-time, and each document they
//! reached probes the non-essential lists, highest bound first, only while its partial score plus
//! the remaining bounds can still beat the k-th score. Bounds come from each list's (and block's)
//! largest tf and shortest document, since a contribution grows with tf and falls with dl (for
//! `k1 ≥ 0` and `0 ≤ b ≤ 1`; other parameters disable pruning). Pruning compares float sums taken
//! in another order than the exact scores, so every bound carries a slack of a few ulps per term:
//! no document is skipped because of rounding.
//! Under a filter that allows fewer rows than the query's lists hold, the allowed rows drive the
//! search instead, each probing every list through the skip tables.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Write;

use super::hnsw::codec;
use super::scored::{neighbors, TopK};
use super::{IndexError, Neighbor, RowMask, SearchStats};

/// File magic of a serialised BM25 index.
pub const MAGIC: &[u8] = b"QVBM2501";
const VERSION: u32 = 1;
/// Postings per block (and per skip-table entry).
pub const BLOCK: usize = 128;
/// `doc_lens` value of a NULL row.
const NULL_LEN: u32 = u32::MAX;
/// Zero bytes kept after the postings so that a block decoder may always read 8 bytes at once.
const PAD: usize = 8;
/// Bytes of one skip-table entry.
const SKIP_ENTRY: usize = 16;
/// A cursor past its last posting.
const END: u32 = u32::MAX;

/// BM25's free parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation (0: none, 1: full).
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params { k1: 1.2, b: 0.75 }
    }
}

impl Bm25Params {
    /// Whether a term's contribution grows with tf and falls with dl, which the pruning bounds
    /// rely on.
    fn monotone(&self) -> bool {
        self.k1 >= 0.0 && self.k1.is_finite() && (0.0..=1.0).contains(&self.b)
    }
}

/// Statistics of the live documents of one segment (or of unindexed rows), summed by the caller.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CorpusStats {
    /// Documents (non-NULL rows).
    pub docs: u64,
    /// Their total length in terms.
    pub total_len: u64,
    /// Documents containing each requested term, in request order.
    pub df: Vec<u64>,
}

impl CorpusStats {
    pub fn add(&mut self, o: &CorpusStats) {
        self.docs += o.docs;
        self.total_len += o.total_len;
        if self.df.len() < o.df.len() {
            self.df.resize(o.df.len(), 0);
        }
        for (a, b) in self.df.iter_mut().zip(&o.df) {
            *a += b;
        }
    }

    /// Mean document length; 0 for an empty corpus (which [`term_score`] treats as "no length
    /// normalisation").
    pub fn avgdl(&self) -> f32 {
        if self.docs == 0 {
            0.0
        } else {
            (self.total_len as f64 / self.docs as f64) as f32
        }
    }
}

/// Lucene's BM25 idf: `ln(1 + (N − df + 0.5) / (df + 0.5))`, positive whenever `df ≤ N`.
pub fn idf(docs: u64, df: u64) -> f32 {
    let (n, df) = (docs as f64, df as f64);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln() as f32
}

/// One term's BM25 contribution: `idf · tf·(k1+1) / (tf + k1·(1 − b + b·dl/avgdl))`. A non-positive
/// `avgdl` (empty corpus) disables length normalisation rather than dividing by zero.
#[inline]
pub fn term_score(tf: f32, dl: f32, avgdl: f32, idf: f32, p: &Bm25Params) -> f32 {
    saturate(tf, len_norm(dl, avgdl, p), idf, p)
}

/// `k1·(1 − b + b·dl/avgdl)`, the length part of [`term_score`] (searches tabulate it by `dl`).
#[inline]
fn len_norm(dl: f32, avgdl: f32, p: &Bm25Params) -> f32 {
    let norm = if avgdl > 0.0 { dl / avgdl } else { 1.0 };
    p.k1 * (1.0 - p.b + p.b * norm)
}

/// [`term_score`] given its length part.
#[inline]
fn saturate(tf: f32, len_norm: f32, idf: f32, p: &Bm25Params) -> f32 {
    idf * (tf * (p.k1 + 1.0)) / (tf + len_norm)
}

/// A query term with its table-wide idf.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTerm {
    pub term: String,
    pub idf: f32,
    /// Query-term frequency: the contribution is multiplied by it.
    pub weight: f32,
}

impl QueryTerm {
    /// The distinct terms of an analyzed query in first-occurrence order, weighted by their count;
    /// idf 0 until [`set_idf`].
    pub fn from_analyzed(terms: &[String]) -> Vec<QueryTerm> {
        let mut out: Vec<QueryTerm> = Vec::new();
        for t in terms {
            match out.iter_mut().find(|q| &q.term == t) {
                Some(q) => q.weight += 1.0,
                None => out.push(QueryTerm {
                    term: t.clone(),
                    idf: 0.0,
                    weight: 1.0,
                }),
            }
        }
        out
    }

    /// The terms of `query`, to gather their statistics with.
    pub fn terms(query: &[QueryTerm]) -> Vec<String> {
        query.iter().map(|q| q.term.clone()).collect()
    }
}

/// Sets each term's idf from table-wide statistics gathered for `QueryTerm::terms(query)`.
pub fn set_idf(query: &mut [QueryTerm], stats: &CorpusStats) {
    for (i, q) in query.iter_mut().enumerate() {
        q.idf = idf(stats.docs, stats.df.get(i).copied().unwrap_or(0));
    }
}

/// Statistics of analyzed documents that have no index yet (`None`: NULL text).
pub fn stats_of(docs: &[Option<Vec<String>>], terms: &[String]) -> CorpusStats {
    stats_of_iter(docs.iter().map(Option::as_ref), terms)
}

/// [`stats_of`] over any sequence of analyzed documents (`None`: NULL text).
pub fn stats_of_iter<I, D>(docs: I, terms: &[String]) -> CorpusStats
where
    I: IntoIterator<Item = Option<D>>,
    D: AsRef<[String]>,
{
    let mut s = CorpusStats {
        df: vec![0; terms.len()],
        ..Default::default()
    };
    for d in docs.into_iter().flatten() {
        let d = d.as_ref();
        s.docs += 1;
        s.total_len += d.len() as u64;
        for (df, t) in s.df.iter_mut().zip(terms) {
            if d.contains(t) {
                *df += 1;
            }
        }
    }
    s
}

/// The contribution of a query term to a document.
#[inline]
fn contribution(q: &QueryTerm, tf: u32, dl: u32, avgdl: f32, p: &Bm25Params) -> f32 {
    q.weight * term_score(tf as f32, dl as f32, avgdl, q.idf, p)
}

/// Exact BM25 score of one analyzed document without an index (growing rows); bit-identical to
/// what [`Bm25Index::score`] gives the same document.
pub fn score_doc(doc: &[String], query: &[QueryTerm], avgdl: f32, p: &Bm25Params) -> f32 {
    let dl = u32::try_from(doc.len()).unwrap_or(NULL_LEN - 1);
    let mut s = 0.0f32;
    for q in query {
        let tf = doc.iter().filter(|t| **t == q.term).count() as u32;
        s += if tf > 0 {
            contribution(q, tf, dl, avgdl, p)
        } else {
            0.0
        };
    }
    s
}

/// A 64-bit string hash: FxHash's word-at-a-time mixing (rustc's hasher) and murmur3's
/// finaliser, so that the high bits the hash table probes with are well mixed. Collisions are
/// handled exactly (see `Interner`), so quality only matters for speed.
fn hash64(b: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = b.len() as u64;
    let (words, tail) = b.as_chunks::<8>();
    for w in words {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(*w)).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    last[..tail.len()].copy_from_slice(tail);
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Hashes a `u64` key that already is a hash.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash64(bytes);
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Term ids for the build. Terms are copied into one arena as they are first seen, and looked
/// up by their 64-bit hash; a hit is confirmed against the arena (cache-resident, unlike the
/// first occurrence's own `String`, which is why this beats a `HashMap<&str, _>` several times
/// over), and the rare term whose hash collides with another's goes to an exact map.
#[derive(Default)]
struct Interner<'a> {
    by_hash: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    collided: HashMap<&'a str, u32>,
    arena: Vec<u8>,
    ends: Vec<usize>,
}

impl<'a> Interner<'a> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    #[inline]
    fn name(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let a = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[a..self.ends[i]]
    }

    /// The first 8 bytes of a term, big-endian (zero-padded): ordered like the terms.
    fn prefix(&self, id: u32) -> u64 {
        let mut p = [0u8; 8];
        let n = self.name(id);
        let k = n.len().min(8);
        p[..k].copy_from_slice(&n[..k]);
        u64::from_be_bytes(p)
    }

    fn push(&mut self, t: &str) -> u32 {
        self.arena.extend_from_slice(t.as_bytes());
        self.ends.push(self.arena.len());
        (self.ends.len() - 1) as u32
    }

    #[inline]
    fn id(&mut self, t: &'a str) -> u32 {
        let h = hash64(t.as_bytes());
        let next = self.ends.len() as u32;
        let id = *self.by_hash.entry(h).or_insert(next);
        if id == next {
            return self.push(t);
        }
        if self.name(id) == t.as_bytes() {
            return id;
        }
        let id = *self.collided.entry(t).or_insert(next);
        if id == next {
            self.push(t);
        }
        id
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(d: &[u8], off: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *d.get(*off)?;
        *off += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[inline]
fn rd32(d: &[u8], off: usize) -> u32 {
    d.get(off..off + 4)
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Bits needed for `v`.
fn width(v: u32) -> u32 {
    32 - v.leading_zeros()
}

/// Bit-packs `vals` at `w` bits each, little-endian.
fn pack(out: &mut Vec<u8>, vals: impl Iterator<Item = u32>, w: u32) {
    if w == 0 {
        return;
    }
    let mut acc = 0u64;
    let mut bits = 0u32;
    for v in vals {
        acc |= u64::from(v) << bits;
        bits += w;
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
    if bits > 0 {
        out.push(acc as u8);
    }
}

/// Bytes of `n` values packed at `w` bits.
fn packed_len(n: usize, w: u32) -> usize {
    (n * w as usize).div_ceil(8)
}

/// Unpacks `out.len()` values of `w` bits from `d[off..]`. Reads 8 bytes at a time (the postings
/// buffer is padded for it); never panics, reading zeros past the end.
#[inline]
fn unpack(d: &[u8], off: usize, w: u32, out: &mut [u32]) {
    if w == 0 {
        out.fill(0);
        return;
    }
    let mask = if w == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << w) - 1
    };
    let end = off + packed_len(out.len(), w) + 8;
    if let Some(src) = d.get(off..end) {
        // Every 8-byte read below lies inside `src`.
        for (j, o) in out.iter_mut().enumerate() {
            let bit = j * w as usize;
            let at = bit / 8;
            let word: [u8; 8] = src[at..at + 8].try_into().unwrap_or_default();
            *o = ((u64::from_le_bytes(word) >> (bit % 8)) & mask) as u32;
        }
        return;
    }
    for (j, o) in out.iter_mut().enumerate() {
        let bit = j * w as usize;
        let at = off + bit / 8;
        let word = match d.get(at..at + 8) {
            Some(b) => u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => {
                let mut b = [0u8; 8];
                if let Some(s) = d.get(at..) {
                    let n = s.len().min(8);
                    b[..n].copy_from_slice(&s[..n]);
                }
                u64::from_le_bytes(b)
            }
        };
        *o = ((word >> (bit % 8)) & mask) as u32;
    }
}

/// Appends one block of (position, tf) postings: gap and `tf − 1` widths, then both arrays
/// packed. `prev` is the position before the block (`None` for the first), gaps are
/// `pos − prev − 1`.
fn encode_block(out: &mut Vec<u8>, block: &[(u32, u32)], prev: Option<u32>) {
    let gaps = block.iter().scan(prev, |p, &(x, _)| {
        let g = match *p {
            Some(q) => x - q - 1,
            None => x,
        };
        *p = Some(x);
        Some(g)
    });
    let tfs = block.iter().map(|&(_, t)| t - 1);
    let wg = width(gaps.clone().max().unwrap_or(0));
    let wt = width(tfs.clone().max().unwrap_or(0));
    out.push(wg as u8);
    out.push(wt as u8);
    pack(out, gaps, wg);
    pack(out, tfs, wt);
}

/// Header of a posting stream.
#[derive(Debug, Clone, Copy)]
struct ListHead {
    df: u32,
    max_tf: u32,
    min_dl: u32,
    /// Offset of the skip table (multi-block lists) or the block (single-block lists).
    body: usize,
}

fn read_head(d: &[u8]) -> Option<ListHead> {
    let mut off = 0;
    let df = u32::try_from(get_varint(d, &mut off)?).ok()?;
    let max_tf = u32::try_from(get_varint(d, &mut off)?).ok()?;
    let min_dl = u32::try_from(get_varint(d, &mut off)?).ok()?;
    Some(ListHead {
        df,
        max_tf,
        min_dl,
        body: off,
    })
}

/// A BM25 inverted index over one segment's documents.
pub struct Bm25Index {
    /// `doc_lens[pos]`: terms in the document at `pos`, `NULL_LEN` for NULL text.
    doc_lens: Vec<u32>,
    /// Non-NULL documents and their total length.
    docs: u64,
    total_len: u64,
    /// The longest document.
    max_dl: u32,
    /// The terms, sorted, concatenated; term `t` ends at `term_ends[t]`.
    term_bytes: Vec<u8>,
    term_ends: Ends,
    /// Term `t`'s posting stream ends at `post_ends[t]` in `postings` (followed by `PAD` zeros).
    post_ends: Ends,
    postings: Vec<u8>,
}

impl std::fmt::Debug for Bm25Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bm25Index")
            .field("rows", &self.doc_lens.len())
            .field("docs", &self.docs)
            .field("terms", &self.term_ends.len())
            .field("postings_bytes", &(self.postings.len() - PAD))
            .finish_non_exhaustive()
    }
}

impl Bm25Index {
    /// Indexes `docs[i]`, the analyzed terms of row `i` (`None`: NULL text, not indexed).
    /// Positions are `u32`, as in every index: rows past `u32::MAX - 1` are not indexed.
    pub fn build(docs: &[Option<Vec<String>>]) -> Bm25Index {
        let docs = &docs[..docs.len().min(END as usize - 1)];
        let mut terms = Interner::default();
        // (term id, position, tf), in position order; per-term counts.
        let mut entries: Vec<(u32, u32, u32)> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        let mut doc_lens = vec![NULL_LEN; docs.len()];
        let (mut ndocs, mut total_len) = (0u64, 0u64);
        let mut scratch: Vec<u32> = Vec::new();
        for (pos, d) in docs.iter().enumerate() {
            let Some(d) = d else { continue };
            let dl = u32::try_from(d.len())
                .unwrap_or(NULL_LEN - 1)
                .min(NULL_LEN - 1);
            doc_lens[pos] = dl;
            ndocs += 1;
            total_len += u64::from(dl);
            scratch.clear();
            scratch.extend(d.iter().map(|t| terms.id(t)));
            counts.resize(terms.len(), 0);
            scratch.sort_unstable();
            for run in scratch.chunk_by(|a, b| a == b) {
                let id = run[0];
                counts[id as usize] += 1;
                entries.push((id, pos as u32, run.len() as u32));
            }
        }
        let n = terms.len();
        // Terms in byte order (the first 8 bytes, big-endian, decide most comparisons without
        // reading the arena); `rank[id]` is a term's place in it.
        let mut order: Vec<(u64, u32)> = (0..n as u32).map(|id| (terms.prefix(id), id)).collect();
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| terms.name(a.1).cmp(terms.name(b.1)))
        });
        let mut rank = vec![0u32; n];
        for (r, &(_, id)) in order.iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        // Counting sort by rank; stable, so positions ascend within a term.
        let mut start = vec![0usize; n + 1];
        for (r, &(_, id)) in order.iter().enumerate() {
            start[r + 1] = start[r] + counts[id as usize] as usize;
        }
        let mut fill = start.clone();
        let mut post = vec![(0u32, 0u32); entries.len()];
        for &(id, p, tf) in &entries {
            let r = rank[id as usize] as usize;
            post[fill[r]] = (p, tf);
            fill[r] += 1;
        }
        drop(entries);

        let mut term_bytes = Vec::with_capacity(terms.arena.len());
        let mut term_ends = Vec::with_capacity(n);
        let mut postings = Vec::new();
        let mut post_ends = Vec::with_capacity(n);
        for (r, &(_, id)) in order.iter().enumerate() {
            term_bytes.extend_from_slice(terms.name(id));
            term_ends.push(term_bytes.len() as u64);
            encode_list(&mut postings, &post[start[r]..start[r + 1]], &doc_lens);
            post_ends.push(postings.len() as u64);
        }
        postings.extend_from_slice(&[0; PAD]);
        postings.shrink_to_fit();
        let max_dl = max_len(&doc_lens);
        Bm25Index {
            doc_lens,
            docs: ndocs,
            total_len,
            max_dl,
            term_bytes,
            term_ends: Ends::new(term_ends),
            post_ends: Ends::new(post_ends),
            postings,
        }
    }

    /// Rows (positions) covered, NULL ones included.
    pub fn len(&self) -> usize {
        self.doc_lens.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_lens.is_empty()
    }

    /// Distinct terms.
    pub fn terms(&self) -> usize {
        self.term_ends.len()
    }

    /// Terms in the document at `pos` (0 for NULL text or a position out of range).
    pub fn doc_len(&self, pos: u32) -> u32 {
        match self.doc_lens.get(pos as usize) {
            Some(&l) if l != NULL_LEN => l,
            _ => 0,
        }
    }

    fn term(&self, t: usize) -> &[u8] {
        let a = if t == 0 { 0 } else { self.term_ends.get(t - 1) };
        &self.term_bytes[a..self.term_ends.get(t)]
    }

    fn find(&self, term: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.term_ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.term(mid).cmp(term.as_bytes()) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The positions of the documents holding `term` (with `prefix`: any term starting with it),
    /// ascending. This is the lookup a GIN index on a tsvector makes.
    pub fn docs_with(&self, term: &str, prefix: bool) -> Vec<u32> {
        let collect = |t: usize, out: &mut Vec<u32>| {
            let mut c = Cursor::open(self.stream(t));
            let mut d = c.advance(0);
            while d != END {
                out.push(d);
                d = c.next();
            }
        };
        let mut out = Vec::new();
        if !prefix {
            if let Some(t) = self.find(term) {
                collect(t, &mut out);
            }
            return out;
        }
        // Terms are sorted bytewise: those with the prefix are one run from its lower bound.
        let (mut lo, mut hi) = (0, self.term_ends.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.term(mid) < term.as_bytes() {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        let mut runs = 0;
        let mut t = lo;
        while t < self.term_ends.len() && self.term(t).starts_with(term.as_bytes()) {
            collect(t, &mut out);
            runs += 1;
            t += 1;
        }
        if runs > 1 {
            out.sort_unstable();
            out.dedup();
        }
        out
    }

    /// Term `t`'s stream, running on to the end of the padded buffer (block reads may overrun it).
    fn stream(&self, t: usize) -> &[u8] {
        let a = if t == 0 { 0 } else { self.post_ends.get(t - 1) };
        self.postings.get(a..).unwrap_or(&[])
    }

    fn head(&self, t: usize) -> Option<ListHead> {
        read_head(self.stream(t))
    }

    /// Live documents among `live` (`None`: all), their total length, and the document frequency
    /// of each of `terms` among them.
    pub fn corpus_stats(&self, terms: &[String], live: Option<&RowMask>) -> CorpusStats {
        let mut s = CorpusStats {
            df: vec![0; terms.len()],
            ..Default::default()
        };
        s.docs = self.docs;
        s.total_len = self.total_len;
        // Rows `live` leaves out (deleted rows: usually few), found a mask word at a time.
        let mut dead: Vec<u32> = Vec::new();
        if let Some(m) = live {
            let n = self.doc_lens.len();
            for w in 0..n.div_ceil(64) {
                let valid = if (w + 1) * 64 <= n {
                    u64::MAX
                } else {
                    (1u64 << (n % 64)) - 1
                };
                let mut bits = valid & !mask_word(m, w);
                while bits != 0 {
                    let p = (w * 64) as u32 + bits.trailing_zeros();
                    bits &= bits - 1;
                    let l = self.doc_lens[p as usize];
                    if l != NULL_LEN {
                        s.docs -= 1;
                        s.total_len -= u64::from(l);
                        dead.push(p);
                    }
                }
            }
        }
        for (df, t) in s.df.iter_mut().zip(terms) {
            let Some(ti) = self.find(t) else { continue };
            let all = self.head(ti).map_or(0, |h| h.df);
            *df = u64::from(all);
            let Some(m) = live.filter(|_| !dead.is_empty()) else {
                continue;
            };
            // Subtract the dead rows that hold the term: probing the list for each dead row when
            // they are few, else one pass over the list.
            let mut c = Cursor::open(self.stream(ti));
            if dead.len() < all as usize / 8 {
                for &p in &dead {
                    if c.advance(p) == p {
                        *df -= 1;
                    }
                }
            } else {
                let mut n = 0;
                let mut d = c.advance(0);
                while d != END {
                    n += u64::from(m.contains(d));
                    d = c.next();
                }
                *df = n;
            }
        }
        s
    }

    /// The score of `pos` for `query` (0 for NULL text); bit-identical to [`score_doc`] over the
    /// same terms and to the scores [`Bm25Index::search`] ranks by.
    pub fn score(&self, pos: u32, query: &[QueryTerm], avgdl: f32, p: &Bm25Params) -> f32 {
        let dl = self.doc_len(pos);
        let mut s = 0.0f32;
        for q in query {
            let tf = match self.find(&q.term) {
                Some(t) => {
                    let mut c = Cursor::open(self.stream(t));
                    if c.advance(pos) == pos {
                        c.tf()
                    } else {
                        0
                    }
                }
                None => 0,
            };
            s += if tf > 0 {
                contribution(q, tf, dl, avgdl, p)
            } else {
                0.0
            };
        }
        s
    }

    /// Exact top `k` documents by BM25 score (ties: lower position first) among the positions
    /// `filter` allows, best first, as `Neighbor { pos, dist: -score }`. Only documents containing
    /// at least one query term are returned: when fewer than `k` come back, every other allowed
    /// row scores 0 (no term matched).
    pub fn search(
        &self,
        query: &[QueryTerm],
        avgdl: f32,
        p: &Bm25Params,
        k: usize,
        filter: Option<&RowMask>,
        stats: &mut SearchStats,
    ) -> Vec<Neighbor> {
        if k == 0 || filter.is_some_and(|f| f.count() == 0) {
            return Vec::new();
        }
        let monotone = p.monotone();
        let mut lists: Vec<List<'_>> = Vec::new();
        // Largest magnitude a score's terms can add up to, for the rounding slack.
        let mut mag = 0.0f32;
        for (qi, q) in query.iter().enumerate() {
            let Some(t) = self.find(&q.term) else {
                continue;
            };
            let Some(h) = self.head(t) else { continue };
            let top = q.weight * term_score(h.max_tf as f32, h.min_dl as f32, avgdl, q.idf, p);
            mag += if monotone { top.abs() } else { f32::INFINITY };
            lists.push(List {
                qi,
                q,
                df: h.df,
                ub: bound(top, q.weight * q.idf, monotone),
                cur: Cursor::open(self.stream(t)),
                block_ub: None,
            });
        }
        if lists.is_empty() {
            return Vec::new();
        }
        // Slack for rounding: scores and bounds are sums of at most `m` terms each within a few
        // ulps of the exact value (see the module docs).
        let slack_per = 4.0 * (lists.len() + 2) as f32 * f32::EPSILON;
        let mut top = TopK::new(k, query.len());
        let ctx = Ctx::new(&self.doc_lens, self.max_dl, avgdl, p);
        let total_df: u64 = lists.iter().map(|l| u64::from(l.df)).sum();
        match filter {
            Some(f) if (f.count() as u64).saturating_mul(lists.len() as u64) < total_df => {
                by_filter(&ctx, &mut lists, f, &mut top, stats)
            }
            _ => maxscore(&ctx, &mut lists, filter, &mut top, stats, mag, slack_per),
        }
        neighbors(top.into_sorted())
    }

    /// Heap memory held.
    pub fn memory_bytes(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.doc_lens.capacity() * 4
            + self.term_bytes.capacity()
            + self.term_ends.memory_bytes()
            + self.post_ends.memory_bytes()
            + self.postings.capacity()
    }

    /// Serialises the index (self-describing, checksummed) for [`Bm25Index::load`].
    pub fn write_to(&self, out: &mut dyn Write) -> Result<(), IndexError> {
        let postings = &self.postings[..self.postings.len() - PAD];
        let mut w = codec::Writer::new(out, MAGIC, VERSION);
        w.u64(self.doc_lens.len() as u64);
        w.u64(self.term_ends.len() as u64);
        w.u64(self.term_bytes.len() as u64);
        w.u64(postings.len() as u64);
        w.u32s(&self.doc_lens)?;
        w.u8s(&self.term_bytes)?;
        write_u64s(&mut w, &self.term_ends.to_u64s())?;
        write_u64s(&mut w, &self.post_ends.to_u64s())?;
        w.u8s(postings)?;
        w.finish()
    }

    /// Reads an index written by [`Bm25Index::write_to`], verifying the checksum and the
    /// structure (every posting list is decoded once), so that a damaged file is an error here and
    /// never a panic or a wrong answer later.
    pub fn load(bytes: &[u8]) -> Result<Bm25Index, IndexError> {
        let mut r = codec::Reader::open(bytes, MAGIC, VERSION, "bm25")?;
        let rows = r.u64()?;
        let nterms = r.u64()?;
        let tb = r.u64()?;
        let pb = r.u64()?;
        // Checked before allocating anything.
        let want = rows
            .checked_mul(4)
            .and_then(|w| w.checked_add(tb))
            .and_then(|w| w.checked_add(nterms.checked_mul(16)?))
            .and_then(|w| w.checked_add(pb));
        if rows >= u64::from(END) || want != Some(r.remaining() as u64) {
            return Err(r.error(format!(
                "{} bytes of arrays do not match the header ({rows} rows, {nterms} terms)",
                r.remaining()
            )));
        }
        let (rows, nterms) = (rows as usize, nterms as usize);
        let doc_lens = r.u32s(rows, "document lengths")?;
        let term_bytes = r.u8s(tb as usize, "terms")?;
        let term_ends = read_u64s(&mut r, nterms, "term offsets")?;
        let post_ends = read_u64s(&mut r, nterms, "posting offsets")?;
        let mut postings = r.u8s(pb as usize, "postings")?;
        r.end()?;
        postings.extend_from_slice(&[0; PAD]);
        let (mut docs, mut total_len) = (0u64, 0u64);
        for &l in &doc_lens {
            if l != NULL_LEN {
                docs += 1;
                total_len += u64::from(l);
            }
        }
        if !ascending_to(&term_ends, tb) || !ascending_to(&post_ends, pb) {
            return Err(r.error("term or posting offsets are not ascending to the array ends"));
        }
        let idx = Bm25Index {
            max_dl: max_len(&doc_lens),
            doc_lens,
            docs,
            total_len,
            term_bytes,
            term_ends: Ends::new(term_ends),
            post_ends: Ends::new(post_ends),
            postings,
        };
        idx.validate().map_err(|e| r.error(e))?;
        Ok(idx)
    }

    /// Checks the dictionary order and every posting list against the document lengths.
    fn validate(&self) -> Result<(), String> {
        for t in 0..self.term_ends.len() {
            if std::str::from_utf8(self.term(t)).is_err() {
                return Err(format!("term {t} is not UTF-8"));
            }
            if t > 0 && self.term(t - 1) >= self.term(t) {
                return Err(format!("terms {} and {t} are out of order", t - 1));
            }
        }
        // Each document's term frequencies must add up to its length.
        let mut sum = vec![0u64; self.doc_lens.len()];
        let mut pos = [0u32; BLOCK];
        let mut tf = [0u32; BLOCK];
        for t in 0..self.post_ends.len() {
            let a = if t == 0 { 0 } else { self.post_ends.get(t - 1) };
            let d = &self.postings[a..self.post_ends.get(t)];
            let err = |m: &str| format!("posting list of term {t}: {m}");
            let h = read_head(d).ok_or_else(|| err("bad header"))?;
            let df = h.df as usize;
            if df == 0 || df > self.doc_lens.len() {
                return Err(err("bad document frequency"));
            }
            let nb = df.div_ceil(BLOCK);
            let mut off = h.body + if nb > 1 { nb * SKIP_ENTRY } else { 0 };
            let (mut max_tf, mut min_dl, mut prev) = (0u32, NULL_LEN, None::<u32>);
            for b in 0..nb {
                let n = if b + 1 < nb {
                    BLOCK
                } else {
                    df - BLOCK * (nb - 1)
                };
                let start = off;
                if !decode_block(d, &mut off, prev, &mut pos[..n], &mut tf[..n]) {
                    return Err(err("bad block"));
                }
                if off > d.len() {
                    return Err(err("block runs past the list"));
                }
                let (mut bmax, mut bmin) = (0u32, NULL_LEN);
                for j in 0..n {
                    let (p, f) = (pos[j], tf[j]);
                    if prev.is_some_and(|q| p <= q) {
                        return Err(err("positions not ascending"));
                    }
                    let dl = match self.doc_lens.get(p as usize) {
                        Some(&l) if l != NULL_LEN => l,
                        _ => return Err(err("posting of a NULL or missing row")),
                    };
                    if f == 0 || f > dl {
                        return Err(err("tf out of range"));
                    }
                    sum[p as usize] += u64::from(f);
                    bmax = bmax.max(f);
                    bmin = bmin.min(dl);
                    prev = Some(p);
                }
                if nb > 1 {
                    let e = h.body + b * SKIP_ENTRY;
                    if rd32(d, e) != pos[n - 1]
                        || rd32(d, e + 4) as usize != off - start
                        || rd32(d, e + 8) != bmax
                        || rd32(d, e + 12) != bmin
                    {
                        return Err(err("skip entry does not match its block"));
                    }
                }
                max_tf = max_tf.max(bmax);
                min_dl = min_dl.min(bmin);
            }
            if off != d.len() {
                return Err(err("trailing bytes"));
            }
            if max_tf != h.max_tf || min_dl != h.min_dl {
                return Err(err("list bounds do not match the postings"));
            }
        }
        for (p, (&s, &l)) in sum.iter().zip(&self.doc_lens).enumerate() {
            if l != NULL_LEN && s != u64::from(l) {
                return Err(format!(
                    "row {p}: term frequencies add up to {s}, length is {l}"
                ));
            }
        }
        Ok(())
    }
}

/// Ascending end offsets, stored in 32 bits when the last one fits (it always does in practice;
/// the 64-bit form keeps huge segments correct).
enum Ends {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Ends {
    fn new(v: Vec<u64>) -> Ends {
        if v.last().is_none_or(|&e| e <= u64::from(u32::MAX)) {
            Ends::Narrow(v.into_iter().map(|e| e as u32).collect())
        } else {
            Ends::Wide(v)
        }
    }

    fn len(&self) -> usize {
        match self {
            Ends::Narrow(v) => v.len(),
            Ends::Wide(v) => v.len(),
        }
    }

    #[inline]
    fn get(&self, i: usize) -> usize {
        match self {
            Ends::Narrow(v) => v[i] as usize,
            Ends::Wide(v) => v[i] as usize,
        }
    }

    fn to_u64s(&self) -> Vec<u64> {
        match self {
            Ends::Narrow(v) => v.iter().map(|&e| u64::from(e)).collect(),
            Ends::Wide(v) => v.clone(),
        }
    }

    fn memory_bytes(&self) -> usize {
        match self {
            Ends::Narrow(v) => v.capacity() * 4,
            Ends::Wide(v) => v.capacity() * 8,
        }
    }
}

fn max_len(doc_lens: &[u32]) -> u32 {
    doc_lens
        .iter()
        .filter(|&&l| l != NULL_LEN)
        .max()
        .copied()
        .unwrap_or(0)
}

/// Word `w` of a row mask (0 past its end). `RowMask` keeps its words private to `index`, which
/// this module belongs to: counting deleted rows a word at a time beats testing every position.
fn mask_word(m: &RowMask, w: usize) -> u64 {
    m.words.get(w).copied().unwrap_or(0)
}

fn ascending_to(ends: &[u64], total: u64) -> bool {
    ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().map_or(total == 0, |&e| e == total)
}

fn write_u64s(w: &mut codec::Writer<'_>, v: &[u64]) -> Result<(), IndexError> {
    let mut buf = Vec::with_capacity(8 * 4096);
    for c in v.chunks(4096) {
        buf.clear();
        for x in c {
            buf.extend_from_slice(&x.to_le_bytes());
        }
        w.u8s(&buf)?;
    }
    Ok(())
}

fn read_u64s(r: &mut codec::Reader<'_>, n: usize, field: &str) -> Result<Vec<u64>, IndexError> {
    let len = n
        .checked_mul(8)
        .ok_or_else(|| r.error(format!("{field} length {n} overflows")))?;
    let b = r.u8s(len, field)?;
    Ok(b.chunks_exact(8)
        .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
        .collect())
}

/// Appends the posting stream of one term ((position, tf), positions ascending, tf ≥ 1).
fn encode_list(out: &mut Vec<u8>, list: &[(u32, u32)], doc_lens: &[u32]) {
    let dl = |p: u32| doc_lens[p as usize];
    let max_tf = |b: &[(u32, u32)]| b.iter().map(|x| x.1).max().unwrap_or(0);
    let min_dl = |b: &[(u32, u32)]| b.iter().map(|x| dl(x.0)).min().unwrap_or(0);
    put_varint(out, list.len() as u64);
    put_varint(out, u64::from(max_tf(list)));
    put_varint(out, u64::from(min_dl(list)));
    if list.len() <= BLOCK {
        encode_block(out, list, None);
        return;
    }
    let skip = out.len();
    let nb = list.len().div_ceil(BLOCK);
    out.resize(skip + nb * SKIP_ENTRY, 0);
    let mut prev = None;
    for (b, block) in list.chunks(BLOCK).enumerate() {
        let start = out.len();
        encode_block(out, block, prev);
        let len = (out.len() - start) as u32;
        let last = block[block.len() - 1].0;
        let e = skip + b * SKIP_ENTRY;
        for (i, v) in [last, len, max_tf(block), min_dl(block)]
            .into_iter()
            .enumerate()
        {
            out[e + 4 * i..e + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        prev = Some(last);
    }
}

/// Decodes the block at `d[*off..]` (positions after `prev`) into `pos`/`tf` (their length is the
/// block's count) and advances `off`; false for an impossible bit width. Gaps accumulate with
/// wrapping arithmetic: a damaged block yields positions out of order or out of range, which
/// `validate` rejects, so a loaded index never hands such a block to a cursor.
fn decode_block(
    d: &[u8],
    off: &mut usize,
    prev: Option<u32>,
    pos: &mut [u32],
    tf: &mut [u32],
) -> bool {
    let n = pos.len();
    let (Some(&wg), Some(&wt)) = (d.get(*off), d.get(*off + 1)) else {
        return false;
    };
    let (wg, wt) = (u32::from(wg), u32::from(wt));
    if wg > 32 || wt > 32 {
        return false;
    }
    *off += 2;
    unpack(d, *off, wg, pos);
    *off += packed_len(n, wg);
    unpack(d, *off, wt, tf);
    *off += packed_len(n, wt);
    // `u32::MAX + 1` wraps to 0: the first block's first gap is its position.
    let mut p = prev.unwrap_or(u32::MAX);
    for x in pos.iter_mut() {
        p = p.wrapping_add(1).wrapping_add(*x);
        *x = p;
    }
    for t in tf.iter_mut() {
        *t = t.wrapping_add(1);
    }
    true
}

/// A forward cursor over one posting stream. It trusts the stream (validated at load or written
/// by `build`) but never indexes out of bounds: a damaged stream yields garbage, not a panic.
struct Cursor<'a> {
    d: &'a [u8],
    df: u32,
    nblocks: usize,
    skip: usize,
    /// The block the cursor is on (moved by `shallow` without decoding).
    block: usize,
    block_off: usize,
    /// Last position of the previous block (`None` for the first).
    block_prev: Option<u32>,
    block_last: u32,
    block_max_tf: u32,
    block_min_dl: u32,
    /// Whether `pos`/`tf` hold `block`.
    decoded: bool,
    n: usize,
    i: usize,
    doc: u32,
    pos: [u32; BLOCK],
    tf: [u32; BLOCK],
}

impl<'a> Cursor<'a> {
    fn open(d: &'a [u8]) -> Cursor<'a> {
        let h = read_head(d).unwrap_or(ListHead {
            df: 0,
            max_tf: 0,
            min_dl: 0,
            body: 0,
        });
        let nblocks = (h.df as usize).div_ceil(BLOCK);
        let mut c = Cursor {
            d,
            df: h.df,
            nblocks,
            skip: h.body,
            block: 0,
            block_off: h.body + if nblocks > 1 { nblocks * SKIP_ENTRY } else { 0 },
            block_prev: None,
            block_last: END,
            block_max_tf: h.max_tf,
            block_min_dl: h.min_dl,
            decoded: false,
            n: 0,
            i: 0,
            doc: 0,
            pos: [0; BLOCK],
            tf: [0; BLOCK],
        };
        if nblocks == 0 {
            c.doc = END;
        } else if nblocks == 1 {
            // No skip entry: the block's last position is only known decoded.
            c.decode();
            (c.doc, c.block_last) = if c.n > 0 {
                (c.pos[0], c.pos[c.n - 1])
            } else {
                (END, END)
            };
        } else {
            c.read_entry();
        }
        c
    }

    fn read_entry(&mut self) {
        let e = self.skip + self.block * SKIP_ENTRY;
        self.block_last = rd32(self.d, e);
        self.block_max_tf = rd32(self.d, e + 8);
        self.block_min_dl = rd32(self.d, e + 12);
    }

    fn block_len(&self) -> usize {
        if self.block + 1 < self.nblocks {
            BLOCK
        } else {
            (self.df as usize).saturating_sub(BLOCK * (self.nblocks.saturating_sub(1)))
        }
    }

    fn decode(&mut self) {
        let n = self.block_len().min(BLOCK);
        let mut off = self.block_off;
        if !decode_block(
            self.d,
            &mut off,
            self.block_prev,
            &mut self.pos[..n],
            &mut self.tf[..n],
        ) {
            self.pos[..n].fill(END);
        }
        self.n = n;
        self.i = 0;
        self.decoded = true;
    }

    /// Moves to the next block; false at the end.
    fn step(&mut self) -> bool {
        if self.block + 1 >= self.nblocks {
            return false;
        }
        let len = rd32(self.d, self.skip + self.block * SKIP_ENTRY + 4) as usize;
        self.block_off += len;
        self.block_prev = Some(self.block_last);
        self.block += 1;
        self.read_entry();
        self.decoded = false;
        true
    }

    /// Moves to the block that may hold `target` without decoding it; false (and the cursor ends)
    /// when no posting is at or after `target`.
    fn shallow(&mut self, target: u32) -> bool {
        while self.block_last < target {
            if !self.step() {
                self.doc = END;
                self.block_last = END;
                self.nblocks = self.block + 1;
                self.decoded = true;
                self.n = 0;
                return false;
            }
        }
        self.doc != END
    }

    /// The first posting at or after `target` (`END` if none).
    fn advance(&mut self, target: u32) -> u32 {
        if self.decoded && self.doc >= target {
            return self.doc;
        }
        loop {
            if !self.shallow(target) {
                return END;
            }
            if !self.decoded {
                self.decode();
            }
            let i = self.i + self.pos[self.i..self.n].partition_point(|&p| p < target);
            if i < self.n {
                self.i = i;
                self.doc = self.pos[i];
                return self.doc;
            }
            // Only a damaged block (last position below its skip entry's) gets here.
            if !self.step() {
                self.doc = END;
                return END;
            }
        }
    }

    fn next(&mut self) -> u32 {
        if self.doc == END {
            return END;
        }
        self.i += 1;
        if self.i < self.n {
            self.doc = self.pos[self.i];
        } else if self.step() {
            self.decode();
            self.doc = self.pos[0];
        } else {
            self.doc = END;
        }
        self.doc
    }

    /// Calls `f(position, tf)` for each posting from the current one through `hi`, and stops on
    /// the first one after it. The cursor must be positioned (by `advance`).
    #[inline]
    fn drain_until(&mut self, hi: u32, mut f: impl FnMut(u32, u32)) {
        while self.doc <= hi && self.doc != END {
            let mut i = self.i;
            while i < self.n {
                let p = self.pos[i];
                if p > hi {
                    self.i = i;
                    self.doc = p;
                    return;
                }
                f(p, self.tf[i]);
                i += 1;
            }
            self.i = self.n;
            if self.step() {
                self.decode();
                self.doc = self.pos[0];
            } else {
                self.doc = END;
            }
        }
    }

    fn tf(&self) -> u32 {
        self.tf[self.i.min(BLOCK - 1)]
    }
}

/// Upper bound of a term's contribution from its largest one `top` (the value at the list's
/// largest tf and shortest document): a document without the term gets 0 from it, a negative
/// contribution bounds at 0, and non-monotone parameters (or NaN) allow no pruning.
fn bound(top: f32, sign: f32, monotone: bool) -> f32 {
    if !monotone || top.is_nan() || sign.is_nan() {
        f32::INFINITY
    } else if sign >= 0.0 {
        top.max(0.0)
    } else {
        0.0
    }
}

/// A query term's list during a search.
struct List<'a> {
    qi: usize,
    q: &'a QueryTerm,
    df: u32,
    ub: f32,
    cur: Cursor<'a>,
    /// Bound of the cursor's current block, computed on demand.
    block_ub: Option<(usize, f32)>,
}

struct Ctx<'a> {
    doc_lens: &'a [u32],
    avgdl: f32,
    p: &'a Bm25Params,
    monotone: bool,
    /// `len_norm` of each document length up to the longest (at most `NORM_TABLE`): the same
    /// value the formula computes, one division saved per posting.
    norms: Vec<f32>,
}

/// Entries of the length-norm table at most.
const NORM_TABLE: u32 = 1024;

impl<'a> Ctx<'a> {
    fn new(doc_lens: &'a [u32], max_dl: u32, avgdl: f32, p: &'a Bm25Params) -> Ctx<'a> {
        Ctx {
            doc_lens,
            avgdl,
            p,
            monotone: p.monotone(),
            norms: (0..=max_dl.min(NORM_TABLE))
                .map(|dl| len_norm(dl as f32, avgdl, p))
                .collect(),
        }
    }

    fn dl(&self, pos: u32) -> u32 {
        self.doc_lens.get(pos as usize).copied().unwrap_or(0)
    }

    #[inline]
    fn norm(&self, dl: u32) -> f32 {
        match self.norms.get(dl as usize) {
            Some(&n) => n,
            None => self.norm_slow(dl),
        }
    }

    /// Documents longer than the table (kept out of line so the table lookup stays a load).
    #[cold]
    #[inline(never)]
    fn norm_slow(&self, dl: u32) -> f32 {
        len_norm(dl as f32, self.avgdl, self.p)
    }
}

impl List<'_> {
    /// Bound over the positions `lo..=hi`: the largest bound of the blocks overlapping them
    /// (moves the cursor's block to the one holding `lo`, without decoding).
    fn window_bound(&mut self, ctx: &Ctx<'_>, lo: u32, hi: u32) -> f32 {
        if !self.cur.shallow(lo) {
            return 0.0;
        }
        let mut b = self.block_bound(ctx);
        let c = &self.cur;
        let (mut blk, mut last) = (c.block, c.block_last);
        while last < hi && blk + 1 < c.nblocks {
            blk += 1;
            let e = c.skip + blk * SKIP_ENTRY;
            last = rd32(c.d, e);
            let top = self.q.weight
                * term_score(
                    rd32(c.d, e + 8) as f32,
                    rd32(c.d, e + 12) as f32,
                    ctx.avgdl,
                    self.q.idf,
                    ctx.p,
                );
            b = b.max(bound(top, self.q.weight * self.q.idf, ctx.monotone));
        }
        b
    }

    fn contrib(&self, ctx: &Ctx<'_>, dl: u32) -> f32 {
        // = contribution(self.q, tf, dl, ctx.avgdl, ctx.p), bit for bit.
        self.q.weight * saturate(self.cur.tf() as f32, ctx.norm(dl), self.q.idf, ctx.p)
    }

    /// Bound of the block the cursor is on.
    fn block_bound(&mut self, ctx: &Ctx<'_>) -> f32 {
        if let Some((b, ub)) = self.block_ub {
            if b == self.cur.block {
                return ub;
            }
        }
        let c = &self.cur;
        let top = self.q.weight
            * term_score(
                c.block_max_tf as f32,
                c.block_min_dl as f32,
                ctx.avgdl,
                self.q.idf,
                ctx.p,
            );
        let ub = bound(top, self.q.weight * self.q.idf, ctx.monotone);
        self.block_ub = Some((c.block, ub));
        ub
    }
}

/// Positions per window at most (the size of the accumulator).
const WINDOW: usize = 4096;
/// Positions per window at least, per essential list: a window ends at the first block end among
/// the essential lists, which with many lists can come every few positions; windows that small
/// would spend more time on their bounds than on their postings (Lucene's rule, with its 32).
const MIN_WINDOW_PER_LIST: u32 = 32;

/// MaxScore over windows with block-max bounds (Lucene's `MaxScoreBulkScorer`); see the module
/// docs. Per window: every list's bound is the largest bound of its blocks overlapping the window;
/// the lists are re-partitioned by those bounds; a window in which they all sum to no more than
/// the threshold is skipped whole; otherwise the essential lists are accumulated
/// term-at-a-time into a window-sized buffer, and each position they reached probes the
/// non-essential lists (highest bound first) while it can still beat the threshold.
fn maxscore(
    ctx: &Ctx<'_>,
    lists: &mut [List<'_>],
    filter: Option<&RowMask>,
    top: &mut TopK,
    stats: &mut SearchStats,
    mag: f32,
    slack_per: f32,
) {
    let m = lists.len();
    let rows = ctx.doc_lens.len() as u32;
    if rows == 0 {
        return;
    }
    lists.sort_by(|a, b| a.ub.total_cmp(&b.ub).then(b.df.cmp(&a.df)));
    let mut gprefix = Vec::with_capacity(m);
    let mut acc = 0.0f32;
    for l in lists.iter() {
        acc += l.ub;
        gprefix.push(acc);
    }
    // `cannot(bound, thr)`: a document whose score is at most `bound` cannot beat `thr`.
    let cannot = |bound: f32, thr: f32| bound + slack_per * (mag + thr.abs()) <= thr;
    let mut thr = f32::NEG_INFINITY;
    // lists[..gfirst] are non-essential by their global bounds: a document matching none of the
    // others cannot enter the top k.
    let mut gfirst = 0;
    let mut partial = vec![0.0f32; WINDOW];
    let mut seen = vec![0u64; WINDOW / 64];
    let mut recs: Vec<Vec<(u32, f32)>> = (0..m).map(|_| Vec::new()).collect();
    // Read cursors into `recs` (candidates come in position order).
    let mut rp = vec![0usize; m];
    let mut order: Vec<usize> = (0..m).collect();
    let mut wub = vec![0.0f32; m];
    let mut wprefix = vec![0.0f32; m];
    let mut win_min = 0u32;
    while win_min < rows && gfirst < m {
        // Positions before the next posting of an essential list cannot enter.
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
                win_max = win_max.min(l.cur.block_last);
            }
        }
        let min_len = MIN_WINDOW_PER_LIST * (m - gfirst) as u32;
        win_max = win_max
            .max(win_min.saturating_add(min_len - 1))
            .min(win_min.saturating_add(WINDOW as u32 - 1))
            .min(rows - 1);
        for (b, l) in wub.iter_mut().zip(lists.iter_mut()) {
            *b = l.window_bound(ctx, win_min, win_max);
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
            // Essential lists, term at a time (the sums here only prune; exact scores are summed
            // in query order below).
            for &i in &order[ess..] {
                let l = &mut lists[i];
                let rec = &mut recs[i];
                rec.clear();
                rp[i] = 0;
                if l.cur.advance(win_min) > win_max {
                    continue;
                }
                let q = l.q;
                l.cur.drain_until(win_max, |d, tf| {
                    stats.visited += 1;
                    if filter.is_none_or(|f| f.contains(d)) {
                        let c = q.weight * saturate(tf as f32, ctx.norm(ctx.dl(d)), q.idf, ctx.p);
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
                            let c = l.contrib(ctx, ctx.dl(d));
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

/// Allowed rows drive the search (a filter allowing fewer rows than the lists hold): each probes
/// every list through its skip table.
fn by_filter(
    ctx: &Ctx<'_>,
    lists: &mut [List<'_>],
    filter: &RowMask,
    top: &mut TopK,
    stats: &mut SearchStats,
) {
    for d in filter.iter() {
        if d as usize >= ctx.doc_lens.len() {
            break;
        }
        let dl = ctx.dl(d);
        let mut hit = false;
        let mut live = false;
        for l in lists.iter_mut() {
            let c = l.cur.advance(d);
            live |= c != END;
            if c == d {
                stats.visited += 1;
                top.contrib[l.qi] = l.contrib(ctx, dl);
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
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A term drawn from a Zipf-like distribution over `vocab` terms (rank ∝ 1/r).
    #[test]
    fn docs_with_terms_and_prefixes() {
        let docs: Vec<Option<Vec<String>>> = (0..600)
            .map(|i| {
                if i % 7 == 0 {
                    return None;
                }
                let mut d = vec![format!("t{}", i % 13), "all".to_string()];
                if i % 2 == 0 {
                    d.push("even".into());
                }
                Some(d)
            })
            .collect();
        let ix = Bm25Index::build(&docs);
        let brute = |f: &dyn Fn(&str) -> bool| -> Vec<u32> {
            (0..docs.len() as u32)
                .filter(|&i| {
                    docs[i as usize]
                        .as_ref()
                        .is_some_and(|d| d.iter().any(|t| f(t)))
                })
                .collect()
        };
        assert_eq!(ix.docs_with("even", false), brute(&|t| t == "even"));
        assert_eq!(ix.docs_with("all", false).len(), 600 - 86);
        assert_eq!(ix.docs_with("t1", false), brute(&|t| t == "t1"));
        // t1, t10, t11, t12: a union over several lists, ascending and without duplicates.
        assert_eq!(ix.docs_with("t1", true), brute(&|t| t.starts_with("t1")));
        assert_eq!(ix.docs_with("", true), brute(&|_| true));
        assert!(ix.docs_with("zz", true).is_empty());
        assert!(ix.docs_with("t", false).is_empty());
    }

    fn zipf(rng: &mut Rng, vocab: u64) -> String {
        // Inverse CDF of the continuous 1/x density on [1, vocab + 1).
        let r = ((vocab as f64 + 1.0).ln() * rng.unit()).exp() as u64;
        format!("t{}", r.clamp(1, vocab))
    }

    fn corpus(
        rng: &mut Rng,
        n: usize,
        vocab: u64,
        len: u64,
        nulls: bool,
    ) -> Vec<Option<Vec<String>>> {
        (0..n)
            .map(|_| {
                if nulls && rng.below(20) == 0 {
                    return None;
                }
                let l = rng.below(len * 2) as usize;
                Some((0..l).map(|_| zipf(rng, vocab)).collect())
            })
            .collect()
    }

    fn query_of(
        idx: &Bm25Index,
        terms: &[String],
        live: Option<&RowMask>,
    ) -> (Vec<QueryTerm>, f32) {
        let mut q = QueryTerm::from_analyzed(terms);
        let st = idx.corpus_stats(&QueryTerm::terms(&q), live);
        set_idf(&mut q, &st);
        (q, st.avgdl())
    }

    /// Brute force: every allowed document with a matching term, scored by `score`.
    fn brute(
        idx: &Bm25Index,
        docs: &[Option<Vec<String>>],
        q: &[QueryTerm],
        avgdl: f32,
        p: &Bm25Params,
        k: usize,
        filter: Option<&RowMask>,
    ) -> Vec<Neighbor> {
        let mut all: Vec<(f32, u32)> = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            let Some(d) = d else { continue };
            let pos = i as u32;
            if filter.is_some_and(|f| !f.contains(pos)) || !q.iter().any(|t| d.contains(&t.term)) {
                continue;
            }
            let s = idx.score(pos, q, avgdl, p);
            assert_eq!(
                s.to_bits(),
                score_doc(d, q, avgdl, p).to_bits(),
                "score vs score_doc at {pos}"
            );
            all.push((s, pos));
        }
        all.sort_by(|a, b| key(b.0).total_cmp(&key(a.0)).then(a.1.cmp(&b.1)));
        all.into_iter()
            .take(k)
            .map(|(s, pos)| Neighbor {
                pos,
                dist: if s == 0.0 { 0.0 } else { -s },
            })
            .collect()
    }

    fn random_query(rng: &mut Rng, vocab: u64) -> Vec<String> {
        let n = 1 + rng.below(7);
        let mut t: Vec<String> = (0..n).map(|_| zipf(rng, vocab)).collect();
        if rng.below(4) == 0 {
            t.push("absent-term".into());
        }
        if rng.below(4) == 0 {
            let d = t[0].clone();
            t.push(d); // a repeated query term: weight 2
        }
        t
    }

    #[test]
    fn formulas() {
        assert!((idf(10, 1) - (1.0f64 + 9.5 / 1.5).ln() as f32).abs() < 1e-6);
        assert!(idf(10, 10) > 0.0);
        let p = Bm25Params::default();
        // tf = 1 at average length: idf · 2.2 / 2.2.
        assert!((term_score(1.0, 10.0, 10.0, 2.0, &p) - 2.0).abs() < 1e-6);
        assert!(term_score(3.0, 10.0, 10.0, 2.0, &p) > term_score(2.0, 10.0, 10.0, 2.0, &p));
        assert!(term_score(2.0, 5.0, 10.0, 2.0, &p) > term_score(2.0, 20.0, 10.0, 2.0, &p));
        assert!(term_score(1.0, 0.0, 0.0, 2.0, &p).is_finite());
        let mut a = CorpusStats {
            docs: 2,
            total_len: 10,
            df: vec![1, 2],
        };
        a.add(&CorpusStats {
            docs: 3,
            total_len: 5,
            df: vec![1, 0, 4],
        });
        assert_eq!(
            a,
            CorpusStats {
                docs: 5,
                total_len: 15,
                df: vec![2, 2, 4]
            }
        );
        assert_eq!(a.avgdl(), 3.0);
        assert_eq!(CorpusStats::default().avgdl(), 0.0);
        let q = QueryTerm::from_analyzed(&["a".into(), "b".into(), "a".into()]);
        assert_eq!(q.len(), 2);
        assert_eq!((q[0].weight, q[1].weight), (2.0, 1.0));
    }

    #[test]
    fn interner_handles_collisions() {
        let mut i = Interner::default();
        let x = i.id("x");
        assert_eq!(i.id("x"), x);
        // Pretend "y" hashes like "x": it must still get its own id, and keep it.
        i.by_hash.insert(hash64(b"y"), x);
        let y = i.id("y");
        assert_ne!(y, x);
        assert_eq!(i.id("y"), y);
        assert_eq!((i.name(x), i.name(y)), (&b"x"[..], &b"y"[..]));
        assert_eq!(i.len(), 2);
    }

    #[test]
    fn small_index() {
        let d = |s: &str| Some(s.split(' ').map(String::from).collect::<Vec<_>>());
        let docs = vec![d("a b c"), None, d("b b d"), Some(vec![]), d("c")];
        let idx = Bm25Index::build(&docs);
        assert_eq!(idx.len(), 5);
        assert_eq!(
            (
                idx.doc_len(0),
                idx.doc_len(1),
                idx.doc_len(2),
                idx.doc_len(3)
            ),
            (3, 0, 3, 0)
        );
        assert_eq!(idx.doc_len(99), 0);
        let terms: Vec<String> = ["b", "c", "zz"].map(String::from).to_vec();
        let st = idx.corpus_stats(&terms, None);
        assert_eq!(
            st,
            CorpusStats {
                docs: 4,
                total_len: 7,
                df: vec![2, 2, 0]
            }
        );
        assert_eq!(st, stats_of(&docs, &terms));
        let mut live = RowMask::all(5);
        live.remove(2);
        let st = idx.corpus_stats(&terms, Some(&live));
        assert_eq!(
            st,
            CorpusStats {
                docs: 3,
                total_len: 4,
                df: vec![1, 2, 0]
            }
        );
        let (q, avgdl) = query_of(&idx, &["b".into()], None);
        let p = Bm25Params::default();
        let mut stats = SearchStats::default();
        let r = idx.search(&q, avgdl, &p, 10, None, &mut stats);
        assert_eq!(r.iter().map(|n| n.pos).collect::<Vec<_>>(), vec![2, 0]);
        assert!(r[0].dist < r[1].dist && r[1].dist < 0.0);
        assert_eq!(r[0].dist, -idx.score(2, &q, avgdl, &p));
        assert_eq!(idx.score(1, &q, avgdl, &p), 0.0);
        assert!(idx.search(&q, avgdl, &p, 0, None, &mut stats).is_empty());
        // The same term twice (as separate query terms) counts twice; unknown terms add nothing.
        let mut q2 = q.clone();
        q2.push(q[0].clone());
        q2.push(QueryTerm {
            term: "zz".into(),
            idf: 3.0,
            weight: 1.0,
        });
        let r2 = idx.search(&q2, avgdl, &p, 10, None, &mut stats);
        assert_eq!(r2.iter().map(|n| n.pos).collect::<Vec<_>>(), vec![2, 0]);
        assert_eq!(r2[0].dist, -idx.score(2, &q2, avgdl, &p));
        assert_eq!(
            idx.score(2, &q2, avgdl, &p),
            score_doc(docs[2].as_ref().unwrap(), &q2, avgdl, &p)
        );
        assert!((r2[0].dist - 2.0 * r[0].dist).abs() < 1e-5);
        assert!(idx
            .search(&q, avgdl, &p, 5, Some(&RowMask::none(5)), &mut stats)
            .is_empty());
        // The empty index.
        let e = Bm25Index::build(&[]);
        assert!(e.search(&q, avgdl, &p, 5, None, &mut stats).is_empty());
        assert_eq!(e.corpus_stats(&terms, None).docs, 0);
        let mut buf = Vec::new();
        e.write_to(&mut buf).unwrap();
        assert_eq!(Bm25Index::load(&buf).unwrap().len(), 0);
    }

    #[test]
    fn topk_matches_brute_force() {
        let mut rng = Rng(7);
        let p = Bm25Params::default();
        for (n, vocab, len) in [(300, 50, 6), (3000, 2000, 20), (6000, 500, 4)] {
            let docs = corpus(&mut rng, n, vocab, len, true);
            let idx = Bm25Index::build(&docs);
            for trial in 0..40 {
                let terms = random_query(&mut rng, vocab);
                // Deleted rows (`live`) feed both the statistics and the filter; some trials add
                // a WHERE-like filter on top.
                let live = (trial % 3 != 0)
                    .then(|| RowMask::from_bools((0..n).map(|_| rng.below(10) != 0)));
                let filter = match trial % 4 {
                    0 => live.clone(),
                    1 => live.as_ref().map(|l| {
                        RowMask::from_bools(
                            (0..n as u32).map(|i| l.contains(i) && rng.below(50) == 0),
                        )
                    }),
                    2 => Some(RowMask::from_bools((0..n).map(|_| rng.below(2) == 0))),
                    _ => None,
                };
                let (q, avgdl) = query_of(&idx, &terms, live.as_ref());
                let all = brute(&idx, &docs, &q, avgdl, &p, usize::MAX, filter.as_ref());
                for k in [1, 3, 10, 50, 1000] {
                    let mut stats = SearchStats::default();
                    let got = idx.search(&q, avgdl, &p, k, filter.as_ref(), &mut stats);
                    let want = &all[..k.min(all.len())];
                    assert_eq!(got, want, "n {n} trial {trial} k {k} query {terms:?}");
                }
            }
            // Other parameters, including ones that disable pruning.
            let terms = random_query(&mut rng, vocab);
            let (q, avgdl) = query_of(&idx, &terms, None);
            for p in [
                Bm25Params { k1: 0.0, b: 0.0 },
                Bm25Params { k1: 2.0, b: 1.0 },
                Bm25Params { k1: 1.2, b: 1.5 },
                Bm25Params { k1: -0.5, b: 0.5 },
            ] {
                let mut stats = SearchStats::default();
                let got = idx.search(&q, avgdl, &p, 10, None, &mut stats);
                assert_eq!(got, brute(&idx, &docs, &q, avgdl, &p, 10, None), "{p:?}");
            }
        }
    }

    #[test]
    fn corpus_stats_match_stats_of() {
        let mut rng = Rng(13);
        let n = 3000;
        let docs = corpus(&mut rng, n, 400, 10, true);
        let idx = Bm25Index::build(&docs);
        let terms: Vec<String> = (1..60)
            .map(|i| format!("t{i}"))
            .chain(["nope".to_string()])
            .collect();
        // Few deletions (probing), many (scanning), none, all, and a mask shorter than the segment.
        for (dead_one_in, len) in [(1000, n), (3, n), (u64::MAX, n), (1, n), (5, n - 100)] {
            let live = RowMask::from_bools((0..len).map(|_| rng.below(dead_one_in) != 0));
            let want = stats_of_iter(
                docs.iter()
                    .enumerate()
                    .map(|(i, d)| d.as_ref().filter(|_| live.contains(i as u32))),
                &terms,
            );
            assert_eq!(
                idx.corpus_stats(&terms, Some(&live)),
                want,
                "1/{dead_one_in} dead"
            );
        }
        assert_eq!(idx.corpus_stats(&terms, None), stats_of(&docs, &terms));
    }

    #[test]
    fn negative_weights_and_ties() {
        // Identical documents tie: lower positions first.
        let docs: Vec<Option<Vec<String>>> = (0..500)
            .map(|i| Some(vec!["x".to_string(), format!("y{}", i % 3)]))
            .collect();
        let idx = Bm25Index::build(&docs);
        let (mut q, avgdl) = query_of(&idx, &["x".into(), "y1".into()], None);
        let p = Bm25Params::default();
        let mut stats = SearchStats::default();
        let got = idx.search(&q, avgdl, &p, 7, None, &mut stats);
        assert_eq!(
            got.iter().map(|n| n.pos).collect::<Vec<_>>(),
            vec![1, 4, 7, 10, 13, 16, 19]
        );
        assert_eq!(got, brute(&idx, &docs, &q, avgdl, &p, 7, None));
        // A negative weight (not produced by from_analyzed, but the bounds must hold).
        q[1].weight = -1.0;
        for k in [1, 10, 400] {
            let got = idx.search(&q, avgdl, &p, k, None, &mut stats);
            assert_eq!(got, brute(&idx, &docs, &q, avgdl, &p, k, None), "k {k}");
        }
    }

    #[test]
    fn pruning_skips_work() {
        let mut rng = Rng(11);
        let n = 10_000;
        let docs = corpus(&mut rng, n, 5000, 20, false);
        let idx = Bm25Index::build(&docs);
        let p = Bm25Params::default();
        let (mut visited, mut scored, mut total) = (0u64, 0u64, 0u64);
        for i in 0..20 {
            let terms: Vec<String> = (0..5).map(|_| zipf(&mut rng, 300)).collect();
            let (q, avgdl) = query_of(&idx, &terms, None);
            let mut stats = SearchStats::default();
            let got = idx.search(&q, avgdl, &p, 10, None, &mut stats);
            if i < 4 {
                assert_eq!(got, brute(&idx, &docs, &q, avgdl, &p, 10, None));
            }
            visited += stats.visited;
            scored += stats.distance_computations;
            total += idx
                .corpus_stats(&QueryTerm::terms(&q), None)
                .df
                .iter()
                .sum::<u64>();
        }
        eprintln!("pruning: visited {visited}, scored {scored} of {total} postings");
        assert!(visited * 2 < total, "visited {visited} of {total}");
        assert!(scored * 4 < total, "scored {scored} of {total}");
    }

    #[test]
    fn round_trip_and_corruption() {
        let mut rng = Rng(5);
        let docs = corpus(&mut rng, 2000, 300, 15, true);
        let idx = Bm25Index::build(&docs);
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        let back = Bm25Index::load(&buf).unwrap();
        let mut buf2 = Vec::new();
        back.write_to(&mut buf2).unwrap();
        assert_eq!(buf, buf2);
        let (q, avgdl) = query_of(&idx, &["t1".into(), "t7".into(), "t40".into()], None);
        let p = Bm25Params::default();
        let mut s = SearchStats::default();
        assert_eq!(
            idx.search(&q, avgdl, &p, 20, None, &mut s),
            back.search(&q, avgdl, &p, 20, None, &mut s)
        );
        assert_eq!(
            idx.corpus_stats(&QueryTerm::terms(&q), None),
            back.corpus_stats(&QueryTerm::terms(&q), None)
        );
        // Truncations and bit flips are errors, never panics.
        for cut in [0, 4, 8, 12, 20, buf.len() / 2, buf.len() - 9, buf.len() - 1] {
            assert!(
                matches!(Bm25Index::load(&buf[..cut]), Err(IndexError::Corrupt(_))),
                "cut {cut}"
            );
        }
        for i in (0..buf.len()).step_by(buf.len() / 100 + 1) {
            let mut b = buf.clone();
            b[i] ^= 0x10;
            assert!(
                matches!(Bm25Index::load(&b), Err(IndexError::Corrupt(_))),
                "flip {i}"
            );
        }
    }

    /// Re-checksums a body so that structural validation, not the checksum, must catch damage.
    fn resum(body: &[u8]) -> Vec<u8> {
        let mut out = body.to_vec();
        out.extend_from_slice(&codec::checksum(body).to_le_bytes());
        out
    }

    #[test]
    fn structural_damage_with_valid_checksum() {
        let mut rng = Rng(9);
        let docs = corpus(&mut rng, 1500, 200, 12, true);
        let idx = Bm25Index::build(&docs);
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        let body = &buf[..buf.len() - 8];
        assert!(Bm25Index::load(&resum(body)).is_ok());
        let mut errors = 0;
        for i in (12..body.len()).step_by(body.len() / 150 + 1) {
            for flip in [0x01u8, 0x80] {
                let mut b = body.to_vec();
                b[i] ^= flip;
                // Must not panic; most flips are detected (some only change a gap's spare bits).
                if let Ok(ix) = Bm25Index::load(&resum(&b)) {
                    let (q, avgdl) = query_of(&idx, &["t1".into(), "t3".into()], None);
                    let mut s = SearchStats::default();
                    ix.search(&q, avgdl, &Bm25Params::default(), 10, None, &mut s);
                } else {
                    errors += 1;
                }
            }
        }
        assert!(errors > 0);
    }

    #[test]
    fn memory_is_compact() {
        let mut rng = Rng(3);
        let docs = corpus(&mut rng, 20_000, 20_000, 35, false);
        let idx = Bm25Index::build(&docs);
        let postings: u64 = docs
            .iter()
            .flatten()
            .map(|d| {
                let mut u: Vec<&String> = d.iter().collect();
                u.sort();
                u.dedup();
                u.len() as u64
            })
            .sum();
        let bytes = idx.postings.len() as f64 / postings as f64;
        eprintln!(
            "{postings} postings, {bytes:.2} bytes each, {} bytes in all",
            idx.memory_bytes()
        );
        assert!(bytes < 3.0);
    }

    #[test]
    #[ignore]
    fn timing_100k() {
        let mut rng = Rng(1);
        let docs = corpus(&mut rng, 100_000, 100_000, 35, false);
        let t = std::time::Instant::now();
        let idx = Bm25Index::build(&docs);
        let build = t.elapsed();
        let mut buf = Vec::new();
        idx.write_to(&mut buf).unwrap();
        let t = std::time::Instant::now();
        let back = Bm25Index::load(&buf).unwrap();
        let load = t.elapsed();
        let p = Bm25Params::default();
        let queries: Vec<(Vec<QueryTerm>, f32)> = (0..200)
            .map(|_| {
                let terms: Vec<String> = (0..6).map(|_| zipf(&mut rng, 100_000)).collect();
                let mut q = QueryTerm::from_analyzed(&terms);
                let st = back.corpus_stats(&QueryTerm::terms(&q), None);
                set_idf(&mut q, &st);
                (q, st.avgdl())
            })
            .collect();
        let mut stats = SearchStats::default();
        let t = std::time::Instant::now();
        for (q, avgdl) in &queries {
            back.search(q, *avgdl, &p, 10, None, &mut stats);
        }
        let per = t.elapsed() / queries.len() as u32;
        eprintln!(
            "100k docs: build {build:?}, load {load:?}, {} bytes in memory, {} on disk; \
             query (6 terms, k=10) {per:?}; visited {} scored {} per query",
            back.memory_bytes(),
            buf.len(),
            stats.visited / queries.len() as u64,
            stats.distance_computations / queries.len() as u64
        );
    }
}
