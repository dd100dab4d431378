//! The graph walks shared by construction and queries: greedy descent through the upper layers
//! (Malkov & Yashunin alg. 2 with `ef = 1`) and the best-first layer search (alg. 2), over any
//! [`Graph`] — the lock-free build-time graph of atomics or the frozen read-only one.
//!
//! Hot-path choices, all measured on 384-d vectors where a distance is a 1.5 KiB random read:
//! - a neighbour list is expanded in two passes: first mark the unvisited neighbours and prefetch
//!   their vectors, then compute the distances, so that the memory reads overlap;
//! - the visited set is a bitmap reused across searches (n / 8 bytes, so it stays cached), cleared
//!   by the list of what was marked;
//! - heaps order by [`f32::total_cmp`] then position, a total order even if a NaN slipped in.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::space::{Elem, Space};
use crate::index::{RowMask, SearchStats};

/// Cache lines prefetched of every unvisited neighbour's vector before any distance is computed.
/// Whole vectors are prefetched only [`PREFETCH_AHEAD`] ahead of the one being compared:
/// prefetching every line of every neighbour at once overflows the CPU's miss buffers and stalls
/// (measured on 384-d f32 vectors, 24 lines each: this is ~10-15% faster than either extreme).
const PREFETCH_HEAD: usize = 4;
const PREFETCH_AHEAD: usize = 1;

/// A node and its distance to the query.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    pub dist: f32,
    pub id: u32,
}

impl Ord for Cand {
    #[inline]
    fn cmp(&self, o: &Self) -> Ordering {
        self.dist.total_cmp(&o.dist).then(self.id.cmp(&o.id))
    }
}
impl PartialOrd for Cand {
    #[inline]
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl PartialEq for Cand {
    #[inline]
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Cand {}

/// What a walk needs of a graph.
pub(crate) trait Graph {
    /// How vector components are stored.
    type Elem: Elem;
    fn space(&self) -> Space;
    /// The stored (prepared) vector of a node.
    fn vector(&self, id: u32) -> &[Self::Elem];
    /// Calls `f` with each neighbour of `id` at `level`.
    fn for_each_link(&self, id: u32, level: usize, f: impl FnMut(u32));
    /// Hints that the first `lines` cache lines of `vector(id)` will be read soon.
    fn prefetch(&self, id: u32, lines: usize);
    /// Hints that the neighbour list of `id` at `level` will be read soon.
    fn prefetch_links(&self, id: u32, level: usize);
}

/// Visited set: a bitmap (n / 8 bytes, so it stays in L1/L2 while vectors stream through the
/// caches) plus the list of marked ids, so that emptying it costs what the search touched rather
/// than n.
#[derive(Default)]
pub(crate) struct Visited {
    bits: Vec<u64>,
    marked: Vec<u32>,
}

impl Visited {
    /// Empties the set, sized for positions below `n`.
    pub(crate) fn reset(&mut self, n: usize) {
        let words = n.div_ceil(64);
        if self.marked.len() > self.bits.len() / 8 {
            self.bits.fill(0);
        } else {
            for &id in &self.marked {
                if let Some(w) = self.bits.get_mut(id as usize / 64) {
                    *w = 0;
                }
            }
        }
        self.marked.clear();
        self.marked.shrink_to(KEEP);
        if self.bits.len() < words {
            self.bits.resize(words, 0);
        }
    }

    /// Marks `id`; whether it was unmarked. Positions outside the set count as visited, so a bad
    /// id is skipped rather than followed.
    #[inline(always)]
    pub(crate) fn insert(&mut self, id: u32) -> bool {
        let bit = 1u64 << (id % 64);
        match self.bits.get_mut(id as usize / 64) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                self.marked.push(id);
                true
            }
            _ => false,
        }
    }
}

/// Entries a scratch buffer keeps between searches: one search that had to visit a huge part of a
/// big graph (a very selective filter) should not pin its buffers in every thread for good.
const KEEP: usize = 1 << 16;

/// Per-thread buffers of a walk, reused so that a query allocates nothing in steady state.
#[derive(Default)]
pub(crate) struct Scratch {
    pub visited: Visited,
    /// Candidates to expand, nearest first.
    cand: BinaryHeap<Reverse<Cand>>,
    /// The dynamic result list `W`, farthest on top.
    pub w: BinaryHeap<Cand>,
    /// Unvisited neighbours of the node being expanded.
    fresh: Vec<u32>,
}

/// Greedy walk at `level` from `cur` to a local minimum (the upper-layer descent).
#[inline]
pub(crate) fn greedy<G: Graph>(
    g: &G,
    q: &[G::Elem],
    mut cur: Cand,
    level: usize,
    stats: &mut SearchStats,
) -> Cand {
    let space = g.space();
    loop {
        let from = cur.id;
        g.for_each_link(from, level, |nb| {
            g.prefetch(nb, PREFETCH_HEAD);
        });
        g.for_each_link(from, level, |nb| {
            let d = G::Elem::dist(space, q, g.vector(nb));
            stats.distance_computations += 1;
            stats.visited += 1;
            if d < cur.dist {
                cur = Cand { dist: d, id: nb };
            }
        });
        if cur.id == from {
            return cur;
        }
    }
}

/// Best-first search of one layer from `entries` (whose distances are known and which the caller
/// has marked visited in `s.visited`), leaving the up to `ef` nearest allowed nodes in `s.w`.
///
/// With a `filter`, every reachable node can still be expanded but only allowed ones enter `W`;
/// the walk ends when the nearest unexpanded candidate is farther than the worst of a full `W`,
/// so while fewer than `ef` allowed nodes have been found it keeps going (through the whole
/// connected graph if it must) instead of returning short.
#[allow(clippy::too_many_arguments)] // the walk's inputs; bundling them buys nothing
pub(crate) fn search_layer<G: Graph>(
    g: &G,
    q: &[G::Elem],
    entries: &[Cand],
    ef: usize,
    level: usize,
    filter: Option<&RowMask>,
    s: &mut Scratch,
    stats: &mut SearchStats,
) {
    let space = g.space();
    let ef = ef.max(1);
    let allowed = |id: u32| filter.is_none_or(|f| f.contains(id));
    s.cand.clear();
    s.cand.shrink_to(KEEP);
    s.w.clear();
    s.w.shrink_to(KEEP);
    for &e in entries {
        s.cand.push(Reverse(e));
        if allowed(e.id) {
            s.w.push(e);
            if s.w.len() > ef {
                s.w.pop();
            }
        }
    }
    let Scratch {
        visited,
        cand,
        w,
        fresh,
    } = s;
    while let Some(Reverse(c)) = cand.pop() {
        // The bound: the farthest of W once W is full (nothing farther can improve it).
        if w.len() >= ef && w.peek().is_some_and(|f| c.dist > f.dist) {
            break;
        }
        // The next candidate's list is likely the next one read.
        if let Some(Reverse(n)) = cand.peek() {
            g.prefetch_links(n.id, level);
        }
        fresh.clear();
        g.for_each_link(c.id, level, |nb| {
            if visited.insert(nb) {
                let lines = if fresh.len() < PREFETCH_AHEAD {
                    usize::MAX
                } else {
                    PREFETCH_HEAD
                };
                g.prefetch(nb, lines);
                fresh.push(nb);
            }
        });
        stats.visited += fresh.len() as u64;
        stats.distance_computations += fresh.len() as u64;
        for (i, &nb) in fresh.iter().enumerate() {
            if let Some(&next) = fresh.get(i + PREFETCH_AHEAD) {
                g.prefetch(next, usize::MAX);
            }
            let d = G::Elem::dist(space, q, g.vector(nb));
            let full = w.len() >= ef;
            if !full || w.peek().is_some_and(|f| d < f.dist) {
                let e = Cand { dist: d, id: nb };
                cand.push(Reverse(e));
                if allowed(nb) {
                    w.push(e);
                    if full {
                        w.pop();
                    }
                }
            }
        }
    }
}

/// Prefetches `bytes` bytes from `ptr` into all cache levels, one hint per 64-byte line.
#[inline(always)]
pub(crate) fn prefetch_bytes(ptr: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let mut off = 0;
        while off < bytes {
            // SAFETY: a prefetch is only a hint: it never faults, whatever the address, and SSE
            // (which provides it) is part of the x86_64 baseline. `wrapping_add` keeps the pointer
            // arithmetic itself defined.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(ptr.wrapping_add(off) as *const i8) };
            off += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (ptr, bytes);
    }
}
