//! The bounded top-k heap shared by the inverted indexes (BM25 and sparse inner product): exact
//! scores summed in query order from per-term contributions, ties broken by position.

use std::collections::BinaryHeap;

use super::Neighbor;

/// Ranking key: NaN ranks last, and -0 equals 0.
pub(crate) fn key(s: f32) -> f32 {
    if s.is_nan() {
        f32::NEG_INFINITY
    } else if s == 0.0 {
        0.0
    } else {
        s
    }
}

/// A scored row; the greatest is the worst (lowest key, then highest position).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Hit {
    pub(crate) key: f32,
    pub(crate) score: f32,
    pub(crate) pos: u32,
}
impl Ord for Hit {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        o.key.total_cmp(&self.key).then(self.pos.cmp(&o.pos))
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

/// Hits as neighbours: the distance is the negated score (`<#>` is the negative inner product).
pub(crate) fn neighbors(hits: Vec<Hit>) -> Vec<Neighbor> {
    hits.into_iter()
        .map(|h| Neighbor {
            pos: h.pos,
            dist: if h.score == 0.0 { 0.0 } else { -h.score },
        })
        .collect()
}

/// The top-k heap and the per-query-term contributions of the row being scored.
pub(crate) struct TopK {
    pub(crate) k: usize,
    pub(crate) heap: BinaryHeap<Hit>,
    pub(crate) contrib: Vec<f32>,
}

impl TopK {
    pub(crate) fn new(k: usize, terms: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
            contrib: vec![0.0; terms],
        }
    }

    /// Score a row must beat to enter (-inf while the heap is not full).
    pub(crate) fn threshold(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::NEG_INFINITY
        } else {
            self.heap.peek().map_or(f32::NEG_INFINITY, |h| h.key)
        }
    }

    /// Sums the contributions in query order (the exact score), offers the row and clears the
    /// contributions; true when the threshold may have changed.
    pub(crate) fn offer(&mut self, pos: u32) -> bool {
        let mut s = 0.0f32;
        for c in &mut self.contrib {
            s += *c;
            *c = 0.0;
        }
        let h = Hit {
            key: key(s),
            score: s,
            pos,
        };
        if self.heap.len() < self.k {
            self.heap.push(h);
            self.heap.len() == self.k
        } else if self.heap.peek().is_some_and(|w| h < *w) {
            self.heap.pop();
            self.heap.push(h);
            true
        } else {
            false
        }
    }

    /// Best first.
    pub(crate) fn into_sorted(self) -> Vec<Hit> {
        self.heap.into_sorted_vec()
    }
}
