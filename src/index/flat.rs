//! Exact (flat) search: the internal distance measures every index kind agrees on, and a bounded
//! top-k collector. Used for rows no ANN index covers (the growing segment, segments whose index
//! is still being built) and for filters selective enough that scanning the matching rows beats
//! walking a graph.

use std::collections::BinaryHeap;

use half::f16;

use crate::index::metric::{self, Metric};
use crate::index::Neighbor;

/// The internal distance between two f32 vectors: monotone in pgvector's SQL distance for the same
/// metric (squared L2, negative inner product, cosine distance, L1), never NaN.
#[inline]
pub fn distance(m: Metric, a: &[f32], b: &[f32]) -> f32 {
    let d = match m {
        Metric::L2 => metric::l2_squared(a, b),
        Metric::InnerProduct => -metric::dot(a, b),
        Metric::Cosine => metric::cosine_distance(a, b) as f32,
        Metric::L1 => metric::l1(a, b),
        // Bit metrics have their own kernels over packed bytes; f32 rows never use them.
        Metric::Hamming | Metric::Jaccard => f32::INFINITY,
    };
    if d.is_nan() {
        f32::INFINITY
    } else {
        d
    }
}

/// [`distance`] over halfvec rows.
#[inline]
pub fn distance_f16(m: Metric, a: &[f16], b: &[f16]) -> f32 {
    let d = match m {
        Metric::L2 => metric::l2_squared_f16(a, b),
        Metric::InnerProduct => -metric::dot_f16(a, b),
        Metric::Cosine => metric::cosine_distance_f16(a, b) as f32,
        Metric::L1 => metric::l1_f16(a, b),
        Metric::Hamming | Metric::Jaccard => f32::INFINITY,
    };
    if d.is_nan() {
        f32::INFINITY
    } else {
        d
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Entry(f32, u32);

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// Keeps the `k` nearest of the positions pushed into it.
#[derive(Debug)]
pub struct TopK {
    k: usize,
    /// Max-heap: the worst kept entry on top.
    heap: BinaryHeap<Entry>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK {
            k,
            heap: BinaryHeap::with_capacity(k.min(1 << 16) + 1),
        }
    }

    /// The distance a new entry must beat once `k` are kept.
    #[inline]
    pub fn bound(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::INFINITY
        } else {
            self.heap.peek().map_or(f32::INFINITY, |e| e.0)
        }
    }

    #[inline]
    pub fn push(&mut self, pos: u32, dist: f32) {
        if self.k == 0 {
            return;
        }
        if self.heap.len() < self.k {
            self.heap.push(Entry(dist, pos));
        } else if dist < self.bound() {
            self.heap.pop();
            self.heap.push(Entry(dist, pos));
        }
    }

    /// Nearest first.
    pub fn into_sorted(self) -> Vec<Neighbor> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|Entry(dist, pos)| Neighbor { pos, dist })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_k_keeps_nearest() {
        let mut t = TopK::new(3);
        for (i, d) in [5.0, 1.0, 4.0, 0.5, 3.0, 9.0].iter().enumerate() {
            t.push(i as u32, *d);
        }
        let v: Vec<u32> = t.into_sorted().iter().map(|n| n.pos).collect();
        assert_eq!(v, vec![3, 1, 4]);
        let mut z = TopK::new(0);
        z.push(1, 1.0);
        assert!(z.into_sorted().is_empty());
    }

    #[test]
    fn distances_are_monotone_and_finite() {
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 1.0];
        assert_eq!(distance(Metric::L2, &a, &b), 2.0);
        assert_eq!(distance(Metric::InnerProduct, &a, &a), -1.0);
        assert!(!distance(Metric::Cosine, &a, &[0.0, 0.0]).is_nan());
        assert_eq!(distance(Metric::L1, &a, &b), 2.0);
    }
}
