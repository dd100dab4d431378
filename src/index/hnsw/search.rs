//! The graph walks shared by construction and queries: greedy descent through the upper layers
//! (Malkov & Yashunin alg. 2 with `ef = 1`) and the best-first layer search (alg. 2), over any
//! [`Graph`] — the lock-free build-time graph of atomics or the frozen read-only one.
//!
//! Hot-path choices, all measured on 384-d vectors where a distance is a 1.5 KiB random read:
//! - a neighbour list is expanded in two passes: first mark the unvisited neighbours and prefetch
//!   their vectors, then compute the distances, so that the memory reads overlap;
//! - the visited set is a generation-stamped `u16` array reused across searches (one store per
//!   mark, a bulk clear only every 65,535 searches, 2 bytes a node so it stays in L2);
//! - heaps order by [`f32::total_cmp`] then position, a total order even if a NaN slipped in.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use super::space::Space;
use crate::index::{RowMask, SearchStats};

/// Cache lines prefetched of every unvisited neighbour's vector before any distance is computed;
/// the whole of the next vector is prefetched while the current one is compared. (Prefetching
/// every line of every neighbour at once overflows the CPU's miss buffers and stalls.)
const PREFETCH_HEAD: usize = 2;

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
    fn space(&self) -> Space;
    /// The stored (prepared) vector of a node.
    fn vector(&self, id: u32) -> &[f32];
    /// Calls `f` with each neighbour of `id` at `level`.
    fn for_each_link(&self, id: u32, level: usize, f: impl FnMut(u32));
    /// Hints that the first `lines` cache lines of `vector(id)` will be read soon.
    fn prefetch(&self, id: u32, lines: usize);
}

/// Generation-stamped visited set.
#[derive(Default)]
pub(crate) struct Visited {
    marks: Vec<u16>,
    epoch: u16,
}

impl Visited {
    /// Empties the set, sized for positions below `n`.
    pub(crate) fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            self.marks.fill(0);
            self.epoch = 1;
        }
    }

    /// Marks `id`; whether it was unmarked. Positions outside the set count as visited, so a bad
    /// id is skipped rather than followed.
    #[inline(always)]
    pub(crate) fn insert(&mut self, id: u32) -> bool {
        match self.marks.get_mut(id as usize) {
            Some(m) if *m != self.epoch => {
                *m = self.epoch;
                true
            }
            _ => false,
        }
    }
}

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
    q: &[f32],
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
            let d = space.dist(q, g.vector(nb));
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
pub(crate) fn search_layer<G: Graph>(
    g: &G,
    q: &[f32],
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
    s.w.clear();
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
        fresh.clear();
        g.for_each_link(c.id, level, |nb| {
            if visited.insert(nb) {
                fresh.push(nb);
                g.prefetch(nb, knob(0, 2));
            }
        });
        stats.visited += fresh.len() as u64;
        stats.distance_computations += fresh.len() as u64;
        for (i, &nb) in fresh.iter().enumerate() {
            let ahead = knob(1, 1);
            if let Some(&next) = fresh.get(i + ahead) {
                g.prefetch(next, knob(2, 100));
            }
            let d = space.dist(q, g.vector(nb));
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

pub(crate) fn knob(i: usize, def: usize) -> usize {
    static K: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
    let k = K.get_or_init(|| {
        std::env::var("KNOBS").ok().map(|s| s.split(',').map(|x| x.parse().unwrap()).collect()).unwrap_or_default()
    });
    k.get(i).copied().unwrap_or(def)
}
