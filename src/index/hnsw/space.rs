//! The distance an index works in (shared by HNSW and IVFFlat): each supported [`Metric`] mapped
//! to an internal `f32` measure that is monotone in pgvector's SQL distance, so the nearest rows by
//! one are the nearest by the other and callers can re-rank with the SQL function.
//!
//! | metric | internal distance |
//! |---|---|
//! | L2 (`<->`) | squared L2 (no square root on the hot path) |
//! | InnerProduct (`<#>`, itself `-a·b`) | `-a·b` |
//! | Cosine (`<=>`) | `1 - a·b` over vectors normalised at build time and a query normalised per search |
//! | L1 (`<+>`) | L1 |
//! | Hamming (`<~>`, bit vectors) | differing bits |
//! | Jaccard (`<%>`, bit vectors) | `1 - |a∧b| / |a∨b|` (1 when both are all zeros) |
//!
//! Bit vectors are stored packed, eight components per byte, most significant bit first (the
//! layout of PostgreSQL's `bit` type), as the [`Elem`] `u8`; the float spaces never meet them.
//!
//! Cosine distance of a zero vector is undefined in SQL (NaN); here a zero vector stays zero after
//! "normalisation", so its distance to anything is exactly 1 — never NaN, so it cannot upset the
//! ordering of a heap or a sort.

use std::borrow::Cow;

use half::f16;

use crate::index::metric::{self, Metric};
use crate::index::IndexError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Space {
    L2,
    InnerProduct,
    Cosine,
    L1,
    Hamming,
    Jaccard,
}

impl Space {
    /// The space of a metric the float indexes support.
    pub(crate) fn new(metric: Metric) -> Result<Space, IndexError> {
        match Space::any(metric) {
            s if s.is_binary() => Err(IndexError::Invalid(format!(
                "{metric:?} distance is not supported by float vector indexes"
            ))),
            s => Ok(s),
        }
    }

    /// The space of a metric the bit vector indexes support.
    pub(crate) fn new_binary(metric: Metric) -> Result<Space, IndexError> {
        match Space::any(metric) {
            s if s.is_binary() => Ok(s),
            _ => Err(IndexError::Invalid(format!(
                "{metric:?} distance is not supported by bit vector indexes"
            ))),
        }
    }

    fn any(metric: Metric) -> Space {
        match metric {
            Metric::L2 => Space::L2,
            Metric::InnerProduct => Space::InnerProduct,
            Metric::Cosine => Space::Cosine,
            Metric::L1 => Space::L1,
            Metric::Hamming => Space::Hamming,
            Metric::Jaccard => Space::Jaccard,
        }
    }

    /// Whether vectors of this space are bit vectors.
    pub(crate) fn is_binary(self) -> bool {
        matches!(self, Space::Hamming | Space::Jaccard)
    }

    pub(crate) fn metric(self) -> Metric {
        match self {
            Space::L2 => Metric::L2,
            Space::InnerProduct => Metric::InnerProduct,
            Space::Cosine => Metric::Cosine,
            Space::L1 => Metric::L1,
            Space::Hamming => Metric::Hamming,
            Space::Jaccard => Metric::Jaccard,
        }
    }

    /// The metric's code in index files.
    pub(crate) fn code(self) -> u32 {
        match self {
            Space::L2 => 0,
            Space::InnerProduct => 1,
            Space::Cosine => 2,
            Space::L1 => 3,
            Space::Hamming => 4,
            Space::Jaccard => 5,
        }
    }

    pub(crate) fn from_code(code: u32) -> Option<Space> {
        match code {
            0 => Some(Space::L2),
            1 => Some(Space::InnerProduct),
            2 => Some(Space::Cosine),
            3 => Some(Space::L1),
            4 => Some(Space::Hamming),
            5 => Some(Space::Jaccard),
            _ => None,
        }
    }

    /// The internal distance between two prepared float vectors (see the module docs). The bit
    /// spaces never hold float vectors (builds refuse the combination); they would rank last.
    #[inline(always)]
    pub(crate) fn dist(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Space::L2 => metric::l2_squared(a, b),
            Space::InnerProduct => -metric::dot(a, b),
            Space::Cosine => 1.0 - metric::dot(a, b),
            Space::L1 => metric::l1(a, b),
            Space::Hamming | Space::Jaccard => f32::INFINITY,
        }
    }

    /// Prepares stored rows (`dim` floats each) in place: unit length for cosine.
    pub(crate) fn prepare_rows(self, data: &mut [f32], dim: usize) {
        if self == Space::Cosine && dim > 0 {
            for row in data.chunks_exact_mut(dim) {
                normalize(row);
            }
        }
    }

    /// A query as the index compares it: a normalised copy for cosine, else as is.
    pub(crate) fn prepare_query<'q>(self, q: &'q [f32]) -> Cow<'q, [f32]> {
        if self == Space::Cosine {
            let mut v = q.to_vec();
            normalize(&mut v);
            Cow::Owned(v)
        } else {
            Cow::Borrowed(q)
        }
    }
}

/// Scales `v` to unit length; a zero (or non-finite-norm) vector is left as it is.
pub(crate) fn normalize(v: &mut [f32]) {
    let n = metric::norm(v);
    if n > 0.0 && n.is_finite() {
        let inv = 1.0 / n;
        for x in v {
            *x = (f64::from(*x) * inv) as f32;
        }
    }
}

/// A stored vector component type: `f32`, or `f16` for the half-size copy some builds walk.
pub(crate) trait Elem: Copy + Default + Send + Sync + 'static {
    /// The internal distance of `space` between two prepared vectors.
    fn dist(space: Space, a: &[Self], b: &[Self]) -> f32;
}

impl Elem for f32 {
    #[inline(always)]
    fn dist(space: Space, a: &[f32], b: &[f32]) -> f32 {
        space.dist(a, b)
    }
}

impl Elem for f16 {
    #[inline(always)]
    fn dist(space: Space, a: &[f16], b: &[f16]) -> f32 {
        match space {
            Space::L2 => metric::l2_squared_f16(a, b),
            Space::InnerProduct => -metric::dot_f16(a, b),
            Space::Cosine => 1.0 - metric::dot_f16(a, b),
            Space::L1 => metric::l1_f16(a, b),
            Space::Hamming | Space::Jaccard => f32::INFINITY,
        }
    }
}

/// Packed bit vectors (see the module docs); the float spaces rank them last.
impl Elem for u8 {
    #[inline(always)]
    fn dist(space: Space, a: &[u8], b: &[u8]) -> f32 {
        match space {
            Space::Hamming => metric::hamming(a, b) as f32,
            Space::Jaccard => metric::jaccard(a, b) as f32,
            _ => f32::INFINITY,
        }
    }
}
