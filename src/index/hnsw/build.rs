//! Parallel HNSW construction (Malkov & Yashunin alg. 1, 3 and 4, in the manner of hnswlib).
//!
//! The graph is laid out flat from the start — the node levels are drawn up front, so every list
//! has a fixed slot: layer 0 one `[count, neighbours; 2m]` block per node, the upper layers
//! `[count, neighbours; m]` blocks per (node, level) — as `AtomicU32`s, which is exactly the frozen
//! layout once converted to `u32` (an in-place `collect`).
//!
//! Concurrency: walks read lists without locks (relaxed atomic loads, plain `mov`s on x86); a list
//! may be read while another thread rewrites it, which yields a slightly stale or mixed list — but
//! every value ever stored is a valid node id and the count is clamped, so it only costs a little
//! search quality, never memory safety. Writers take the node's own mutex and never hold two, so
//! there is no lock order to get wrong. One global mutex guards the entry point; an insert whose
//! level exceeds the current maximum holds it throughout, so the top of the graph grows one node
//! at a time (hnswlib's pattern).
//!
//! Reproducibility: levels come from a hash of the position, and one thread inserts in position
//! order, so a one-thread build is deterministic.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::*};
use std::sync::Mutex;

use super::rows::Rows;
use super::search::{greedy, search_layer, Cand, Graph, Scratch};
use super::space::{Elem, Space};
use crate::index::{IndexError, Progress, SearchStats};

/// Levels above this are not drawn (unreachable in practice: it takes a probability of
/// `m^-MAX_LEVEL`); keeps a node's upper-layer storage bounded.
pub(super) const MAX_LEVEL: u8 = 32;
/// `levels[i]` of a row that is not in the graph (NULL vector).
pub(super) const ABSENT: u8 = u8::MAX;
/// How often (in inserted vectors) the progress callback is called.
const PROGRESS_EVERY: usize = 1000;

/// The level of the node at `pos`: `floor(-ln(U) * mL)`, `U` uniform in (0, 1] from a
/// splitmix64 hash of the position.
pub(super) fn draw_level(pos: usize, ml: f64) -> u8 {
    let mut z = (pos as u64)
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let l = (-u.ln() * ml).floor();
    if l >= f64::from(MAX_LEVEL) {
        MAX_LEVEL
    } else {
        l as u8
    }
}

/// Start of each node's upper-layer blocks in the flat upper array (`(m + 1)` words per level
/// above 0), and the array's total length.
pub(super) fn upper_offsets(levels: &[u8], m: usize) -> Option<(Vec<usize>, usize)> {
    let mut offs = Vec::with_capacity(levels.len());
    let mut total = 0usize;
    for &l in levels {
        offs.push(total);
        if l != ABSENT {
            total = total.checked_add(usize::from(l).checked_mul(m + 1)?)?;
        }
    }
    Some((offs, total))
}

/// The graph under construction.
pub(super) struct Builder<'a, T> {
    pub space: Space,
    pub m: usize,
    pub ef_construction: usize,
    pub vectors: &'a Rows<T>,
    pub levels: &'a [u8],
    pub upper_off: &'a [usize],
    pub layer0: Vec<AtomicU32>,
    pub upper: Vec<AtomicU32>,
    locks: Vec<Mutex<()>>,
    /// (entry point, its level); `None` until the first insert.
    entry: Mutex<Option<(u32, usize)>>,
}

impl<T: Elem> Graph for Builder<'_, T> {
    type Elem = T;

    #[inline(always)]
    fn space(&self) -> Space {
        self.space
    }

    #[inline(always)]
    fn vector(&self, id: u32) -> &[T] {
        self.vectors.get(id)
    }

    #[inline(always)]
    fn for_each_link(&self, id: u32, level: usize, mut f: impl FnMut(u32)) {
        let list = self.list(id, level);
        if let Some((count, rest)) = list.split_first() {
            let n = (count.load(Acquire) as usize).min(rest.len());
            for a in &rest[..n] {
                f(a.load(Relaxed));
            }
        }
    }

    #[inline(always)]
    fn prefetch(&self, id: u32, lines: usize) {
        self.vectors.prefetch(id, lines);
    }

    #[inline(always)]
    fn prefetch_links(&self, id: u32, level: usize) {
        let list = self.list(id, level);
        super::search::prefetch_bytes(list.as_ptr() as *const u8, std::mem::size_of_val(list));
    }
}

impl<'a, T: Elem> Builder<'a, T> {
    pub(super) fn new(
        space: Space,
        m: usize,
        ef_construction: usize,
        vectors: &'a Rows<T>,
        levels: &'a [u8],
        upper_off: &'a [usize],
        upper_len: usize,
    ) -> Self {
        let n = levels.len();
        Builder {
            space,
            m,
            ef_construction,
            vectors,
            levels,
            upper_off,
            layer0: (0..n * (2 * m + 1)).map(|_| AtomicU32::new(0)).collect(),
            upper: (0..upper_len).map(|_| AtomicU32::new(0)).collect(),
            locks: (0..n).map(|_| Mutex::new(())).collect(),
            entry: Mutex::new(None),
        }
    }

    /// The finished graph: entry point and level, layer 0, upper layers.
    pub(super) fn finish(self) -> (Option<(u32, usize)>, Vec<u32>, Vec<u32>) {
        let entry = self.entry.into_inner().unwrap_or_else(|e| e.into_inner());
        // Atomics and plain integers share a layout: these collects run in place.
        let layer0 = self.layer0.into_iter().map(AtomicU32::into_inner).collect();
        let upper = self.upper.into_iter().map(AtomicU32::into_inner).collect();
        (entry, layer0, upper)
    }

    /// Maximum neighbours at `level`.
    #[inline(always)]
    fn cap(&self, level: usize) -> usize {
        if level == 0 {
            2 * self.m
        } else {
            self.m
        }
    }

    /// The `[count, neighbours...]` block of `id` at `level` (empty if it has none).
    #[inline(always)]
    fn list(&self, id: u32, level: usize) -> &[AtomicU32] {
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

    fn lock(&self, id: u32) -> std::sync::MutexGuard<'_, ()> {
        // A poisoned lock only means another worker panicked mid-write; the list is still a list of
        // valid ids, so carry on (the panic itself propagates out of the thread scope).
        self.locks[id as usize]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Inserts every position of `order` with `threads` workers; `Canceled` if `progress` says so.
    pub(super) fn run(
        &self,
        order: &[u32],
        threads: usize,
        progress: Progress<'_>,
    ) -> Result<(), IndexError> {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let cancel = AtomicBool::new(false);
        let work = || {
            let mut s = Scratch::default();
            let mut tmp = Vec::new();
            loop {
                if cancel.load(Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Relaxed);
                let Some(&pos) = order.get(i) else { return };
                self.insert(pos, &mut s, &mut tmp);
                let d = done.fetch_add(1, Relaxed) + 1;
                if d.is_multiple_of(PROGRESS_EVERY) && !progress(d) {
                    cancel.store(true, Relaxed);
                }
            }
        };
        let threads = threads.clamp(1, order.len().max(1));
        if threads == 1 {
            work();
        } else {
            std::thread::scope(|sc| {
                for _ in 1..threads {
                    sc.spawn(work);
                }
                work();
            });
        }
        if cancel.load(Relaxed) {
            return Err(IndexError::Canceled);
        }
        let d = done.load(Relaxed);
        if !d.is_multiple_of(PROGRESS_EVERY) && !progress(d) {
            return Err(IndexError::Canceled);
        }
        Ok(())
    }

    /// Alg. 1: inserts node `q`.
    fn insert(&self, q: u32, s: &mut Scratch, tmp: &mut Vec<Cand>) {
        let level = usize::from(self.levels[q as usize]);
        let mut global = self.entry.lock().unwrap_or_else(|e| e.into_inner());
        let Some((ep, top)) = *global else {
            // The first node: nothing to link to.
            *global = Some((q, level));
            return;
        };
        // Keep the global lock only if this node will become the new entry point.
        let global = if level > top {
            Some(global)
        } else {
            drop(global);
            None
        };
        let qv = self.vector(q);
        let mut stats = SearchStats::default();
        let mut cur = Cand {
            dist: T::dist(self.space, qv, self.vector(ep)),
            id: ep,
        };
        for l in (level + 1..=top).rev() {
            cur = greedy(self, qv, cur, l, &mut stats);
        }
        let n = self.levels.len();
        let mut entries = vec![cur];
        for l in (0..=level.min(top)).rev() {
            s.visited.reset(n);
            s.visited.insert(q);
            for e in &entries {
                s.visited.insert(e.id);
            }
            search_layer(
                self,
                qv,
                &entries,
                self.ef_construction,
                l,
                None,
                s,
                &mut stats,
            );
            tmp.clear();
            tmp.extend(s.w.drain());
            tmp.sort_unstable();
            self.connect(q, l, tmp);
            // The whole of W seeds the next layer down (alg. 1 line 13: ep <- W).
            entries.clear();
            entries.extend_from_slice(tmp);
        }
        if let Some(mut g) = global {
            *g = Some((q, level));
        }
    }

    /// Alg. 4 (hnswlib's variant, no pruned-connection backfill): from `cands` sorted nearest
    /// first, keeps a candidate only if it is closer to the base than to every one already kept,
    /// up to `m`.
    fn select(&self, cands: &[Cand], m: usize, out: &mut Vec<Cand>) {
        out.clear();
        if cands.len() <= m {
            out.extend_from_slice(cands);
            return;
        }
        for &c in cands {
            if out.len() >= m {
                break;
            }
            let cv = self.vector(c.id);
            if out
                .iter()
                .all(|r| T::dist(self.space, cv, self.vector(r.id)) >= c.dist)
            {
                out.push(c);
            }
        }
    }

    /// Links `q` at `level` to its selected neighbours from `cands` (sorted, nearest first), and
    /// them back to `q`, shrinking a full neighbour list with the heuristic.
    fn connect(&self, q: u32, level: usize, cands: &[Cand]) {
        let cap = self.cap(level);
        let mut chosen = Vec::with_capacity(self.m);
        self.select(cands, self.m, &mut chosen);
        {
            let list = self.list(q, level);
            let _g = self.lock(q);
            if let Some((count, slots)) = list.split_first() {
                // Threads that found `q` already (through an upper layer) may have linked it; keep
                // those links after ours while there is room.
                let old = (count.load(Relaxed) as usize).min(slots.len());
                let mut ids: Vec<u32> = chosen.iter().map(|c| c.id).collect();
                for a in &slots[..old] {
                    let id = a.load(Relaxed);
                    if ids.len() < cap && !ids.contains(&id) {
                        ids.push(id);
                    }
                }
                let k = ids.len().min(slots.len());
                for (a, &id) in slots.iter().zip(&ids[..k]) {
                    a.store(id, Relaxed);
                }
                count.store(k as u32, Release);
            }
        }
        let mut pool = Vec::with_capacity(cap + 1);
        let mut kept = Vec::with_capacity(cap);
        for c in &chosen {
            let e = c.id;
            let list = self.list(e, level);
            let Some((count, slots)) = list.split_first() else {
                continue;
            };
            let _g = self.lock(e);
            let len = (count.load(Relaxed) as usize).min(slots.len());
            if slots[..len].iter().any(|a| a.load(Relaxed) == q) {
                continue;
            }
            if len < cap.min(slots.len()) {
                slots[len].store(q, Relaxed);
                count.store(len as u32 + 1, Release);
                continue;
            }
            // Full: re-select among the old neighbours and q, by distance to e.
            let ev = self.vector(e);
            pool.clear();
            pool.push(Cand {
                dist: c.dist,
                id: q,
            });
            for a in &slots[..len] {
                let id = a.load(Relaxed);
                pool.push(Cand {
                    dist: T::dist(self.space, ev, self.vector(id)),
                    id,
                });
            }
            pool.sort_unstable();
            self.select(&pool, cap, &mut kept);
            for (a, k) in slots.iter().zip(&kept) {
                a.store(k.id, Relaxed);
            }
            count.store(kept.len() as u32, Release);
        }
    }
}
