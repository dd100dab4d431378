//! Distance kernels: pgvector's distance functions over `vector` (f32), `halfvec` (f16),
//! `sparsevec` (sorted index/value pairs) and `bit` (packed bytes), used by the SQL distance
//! functions and operators and by the ANN indexes.
//!
//! Semantics follow pgvector 0.8: sums are accumulated in `f32` (the SQL layer widens the result to
//! `float8`, as pgvector's `(double)` cast does), cosine divides in `f64`, the vector norm sums in
//! `f64`. pgvector itself is compiled with `-fassociative-math` and vectorised, so its summation
//! order is unspecified too. Ours: portable kernels with several independent lanes, which LLVM
//! turns into SIMD code, and on x86_64 CPUs with AVX2 + FMA + F16C + POPCNT (checked once per call,
//! a cached flag) hand-written AVX2 / F16C kernels or AVX2 builds of the portable ones.
//!
//! Kernels take slices of equal length (the callers check dimensions first); given unequal
//! lengths they use the common prefix rather than panic.

use half::f16;

/// A distance function, as chosen by an operator (`<->`, `<#>`, `<=>`, `<+>`, `<~>`, `<%>`) or an
/// index operator class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Metric {
    L2,
    InnerProduct,
    Cosine,
    L1,
    Hamming,
    Jaccard,
}

/// Independent f32 accumulators per loop (four AVX2 registers, eight SSE registers).
const LANES: usize = 32;
/// Lanes for the halfvec kernels, whose widening needs several registers per lane group.
const F16_LANES: usize = 8;

// ============================================================================================
// Run-time dispatch
// ============================================================================================

/// Whether this CPU has everything the x86_64 fast paths are compiled for (any x86 CPU since
/// 2013 / 2015: Haswell, Excavator).
#[cfg(target_arch = "x86_64")]
#[inline]
fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("popcnt")
        && std::arch::is_x86_feature_detected!("f16c")
}

/// Defines `$name` as a public kernel that, when the CPU has AVX2 (see [`has_avx2`]), runs either
/// `$imp` compiled for AVX2 or, where given, the hand-written `x86::$x86` kernel; otherwise the
/// portable build of `$imp`. `$imp` must be `#[inline(always)]` so that each build gets its own
/// copy.
macro_rules! dispatched {
    ($(#[$attr:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $imp:ident;) => {
        $(#[$attr])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                #[target_feature(enable = "avx2,fma,popcnt,f16c")]
                fn wide($($arg: $ty),*) -> $ret {
                    $imp($($arg),*)
                }
                if has_avx2() {
                    // SAFETY: `has_avx2` has checked that this CPU supports every feature `wide`
                    // was compiled for.
                    return unsafe { wide($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
    ($(#[$attr:meta])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty = $imp:ident, x86 $x86:ident;) => {
        $(#[$attr])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            {
                if has_avx2() {
                    // SAFETY: `has_avx2` has checked that this CPU supports every feature the
                    // `x86` kernels are compiled for.
                    return unsafe { x86::$x86($($arg),*) };
                }
            }
            $imp($($arg),*)
        }
    };
}

/// Hand-written AVX2 + F16C kernels: LLVM does not vectorise cosine's three accumulators well by
/// itself, halfvec widening wants one `vcvtph2ps` per 8 elements, and explicit registers give the
/// f32 sums a cheap horizontal reduction and a vectorised tail. Only value
/// intrinsics are used (loads go through `_mm*_setr_*`, which LLVM turns into plain vector loads),
/// so the code is safe inside these `#[target_feature]` functions; callers check [`has_avx2`].
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use half::f16;

    #[inline]
    #[target_feature(enable = "avx2,fma,popcnt,f16c")]
    fn load_f32(x: &[f32; 8]) -> __m256 {
        _mm256_setr_ps(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,popcnt,f16c")]
    fn load_f16(x: &[f16; 8]) -> __m256 {
        _mm256_cvtph_ps(_mm_setr_epi16(
            x[0].to_bits() as i16,
            x[1].to_bits() as i16,
            x[2].to_bits() as i16,
            x[3].to_bits() as i16,
            x[4].to_bits() as i16,
            x[5].to_bits() as i16,
            x[6].to_bits() as i16,
            x[7].to_bits() as i16,
        ))
    }

    #[inline]
    #[target_feature(enable = "avx2,fma,popcnt,f16c")]
    fn hsum(v: __m256) -> f32 {
        let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
        let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        let s = _mm_add_ss(s, _mm_movehdup_ps(s));
        _mm_cvtss_f32(s)
    }

    /// A kernel summing `$term` (of the widened 8-lane `$x`, `$y`) over both inputs, 32 elements
    /// per step in four accumulators; the tail runs as one zero-padded step (every `$term` is 0
    /// for zero inputs).
    macro_rules! sum_kernel {
        ($name:ident, $t:ty, $zero:expr, $load:ident, |$x:ident, $y:ident| $term:expr) => {
            #[target_feature(enable = "avx2,fma,popcnt,f16c")]
            pub(super) fn $name(a: &[$t], b: &[$t]) -> f32 {
                #[inline]
                #[target_feature(enable = "avx2,fma,popcnt,f16c")]
                fn step(acc: &mut [__m256; 4], xs: &[$t; 32], ys: &[$t; 32]) {
                    let (xs, _) = xs.as_chunks::<8>();
                    let (ys, _) = ys.as_chunks::<8>();
                    for k in 0..4 {
                        let $x = $load(&xs[k]);
                        let $y = $load(&ys[k]);
                        acc[k] = _mm256_add_ps(acc[k], $term);
                    }
                }
                let n = a.len().min(b.len());
                let (ac, at) = a[..n].as_chunks::<32>();
                let (bc, bt) = b[..n].as_chunks::<32>();
                let mut acc = [_mm256_setzero_ps(); 4];
                for (x, y) in ac.iter().zip(bc) {
                    step(&mut acc, x, y);
                }
                if !at.is_empty() {
                    let mut x = [$zero; 32];
                    let mut y = [$zero; 32];
                    x[..at.len()].copy_from_slice(at);
                    y[..bt.len()].copy_from_slice(bt);
                    step(&mut acc, &x, &y);
                }
                hsum(_mm256_add_ps(
                    _mm256_add_ps(acc[0], acc[1]),
                    _mm256_add_ps(acc[2], acc[3]),
                ))
            }
        };
    }

    /// `(a·b, a·a, b·b)` in one pass, 16 elements per step in two sets of three accumulators.
    macro_rules! cosine_kernel {
        ($name:ident, $t:ty, $zero:expr, $load:ident) => {
            #[target_feature(enable = "avx2,fma,popcnt,f16c")]
            pub(super) fn $name(a: &[$t], b: &[$t]) -> (f32, f32, f32) {
                #[inline]
                #[target_feature(enable = "avx2,fma,popcnt,f16c")]
                fn step(acc: &mut [__m256; 6], xs: &[$t; 16], ys: &[$t; 16]) {
                    let (xs, _) = xs.as_chunks::<8>();
                    let (ys, _) = ys.as_chunks::<8>();
                    for k in 0..2 {
                        let x = $load(&xs[k]);
                        let y = $load(&ys[k]);
                        acc[3 * k] = _mm256_add_ps(acc[3 * k], _mm256_mul_ps(x, y));
                        acc[3 * k + 1] = _mm256_add_ps(acc[3 * k + 1], _mm256_mul_ps(x, x));
                        acc[3 * k + 2] = _mm256_add_ps(acc[3 * k + 2], _mm256_mul_ps(y, y));
                    }
                }
                let n = a.len().min(b.len());
                let (ac, at) = a[..n].as_chunks::<16>();
                let (bc, bt) = b[..n].as_chunks::<16>();
                let mut acc = [_mm256_setzero_ps(); 6];
                for (x, y) in ac.iter().zip(bc) {
                    step(&mut acc, x, y);
                }
                if !at.is_empty() {
                    let mut x = [$zero; 16];
                    let mut y = [$zero; 16];
                    x[..at.len()].copy_from_slice(at);
                    y[..bt.len()].copy_from_slice(bt);
                    step(&mut acc, &x, &y);
                }
                (
                    hsum(_mm256_add_ps(acc[0], acc[3])),
                    hsum(_mm256_add_ps(acc[1], acc[4])),
                    hsum(_mm256_add_ps(acc[2], acc[5])),
                )
            }
        };
    }

    cosine_kernel!(cosine_sums_f32, f32, 0.0f32, load_f32);
    cosine_kernel!(cosine_sums_f16, f16, f16::ZERO, load_f16);

    sum_kernel!(l2_squared_f32, f32, 0.0f32, load_f32, |x, y| {
        let d = _mm256_sub_ps(x, y);
        _mm256_mul_ps(d, d)
    });
    sum_kernel!(dot_f32, f32, 0.0f32, load_f32, |x, y| _mm256_mul_ps(x, y));
    sum_kernel!(l1_f32, f32, 0.0f32, load_f32, |x, y| {
        _mm256_andnot_ps(_mm256_set1_ps(-0.0), _mm256_sub_ps(x, y))
    });

    sum_kernel!(l2_squared_f16, f16, f16::ZERO, load_f16, |x, y| {
        let d = _mm256_sub_ps(x, y);
        _mm256_mul_ps(d, d)
    });
    sum_kernel!(dot_f16, f16, f16::ZERO, load_f16, |x, y| {
        _mm256_mul_ps(x, y)
    });
    sum_kernel!(l1_f16, f16, f16::ZERO, load_f16, |x, y| {
        // |x - y|: clear the sign bit.
        _mm256_andnot_ps(_mm256_set1_ps(-0.0), _mm256_sub_ps(x, y))
    });
}

/// The portable kernels every dispatched function falls back to on CPUs without AVX2/FMA (and on
/// other architectures, where LLVM vectorises them for the baseline target): exposed for the
/// criterion benchmarks (`benches/micro.rs`), which compare them with the dispatched ones.
pub mod portable {
    use half::f16;

    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 {
        super::l2_squared_impl(a, b)
    }
    pub fn dot(a: &[f32], b: &[f32]) -> f32 {
        super::dot_impl(a, b)
    }
    pub fn l1(a: &[f32], b: &[f32]) -> f32 {
        super::l1_impl(a, b)
    }
    pub fn cosine_sums(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
        super::cosine_sums_impl(a, b)
    }
    pub fn l2_squared_f16(a: &[f16], b: &[f16]) -> f32 {
        super::l2_squared_f16_impl(a, b)
    }
    pub fn dot_f16(a: &[f16], b: &[f16]) -> f32 {
        super::dot_f16_impl(a, b)
    }
    pub fn hamming(a_bits: &[u8], b_bits: &[u8]) -> u32 {
        super::hamming_impl(a_bits, b_bits)
    }
}

// ============================================================================================
// vector (f32)
// ============================================================================================

dispatched! {
    /// Squared Euclidean distance (pgvector `vector_l2_squared_distance`, before widening).
    pub fn l2_squared(a: &[f32], b: &[f32]) -> f32 = l2_squared_impl, x86 l2_squared_f32;
}

dispatched! {
    /// Inner product (pgvector `inner_product`; `<#>` is its negation).
    pub fn dot(a: &[f32], b: &[f32]) -> f32 = dot_impl, x86 dot_f32;
}

dispatched! {
    /// Taxicab distance (pgvector `l1_distance`, before widening).
    pub fn l1(a: &[f32], b: &[f32]) -> f32 = l1_impl, x86 l1_f32;
}

dispatched! {
    /// `(a·b, a·a, b·b)` in one pass, the three f32 sums of pgvector's `VectorCosineSimilarity`.
    pub fn cosine_sums(a: &[f32], b: &[f32]) -> (f32, f32, f32) = cosine_sums_impl, x86 cosine_sums_f32;
}

dispatched! {
    /// Sum of squares accumulated in f64, as pgvector's `vector_norm`.
    pub fn norm_squared(a: &[f32]) -> f64 = norm_squared_impl;
}

/// Euclidean distance: `sqrt((double) l2_squared)`, pgvector's `l2_distance`.
pub fn l2(a: &[f32], b: &[f32]) -> f64 {
    f64::from(l2_squared(a, b)).sqrt()
}

/// Cosine distance, pgvector's `cosine_distance`: `1 - dot / sqrt(|a|² |b|²)` with the division
/// in f64 and the similarity clamped to `[-1, 1]`; NaN when either vector is zero.
pub fn cosine_distance(a: &[f32], b: &[f32]) -> f64 {
    let (ab, aa, bb) = cosine_sums(a, b);
    cosine_from_sums(f64::from(ab), aa, bb)
}

/// Euclidean norm, pgvector's `vector_norm` (`l2_norm`): f64 sum of squares.
pub fn norm(a: &[f32]) -> f64 {
    norm_squared(a).sqrt()
}

fn cosine_from_sums(ab: f64, aa: f32, bb: f32) -> f64 {
    // Use sqrt(a * b) over sqrt(a) * sqrt(b), as pgvector does.
    let similarity = ab / (f64::from(aa) * f64::from(bb)).sqrt();
    // Keep in range (NaN passes through).
    1.0 - similarity.clamp(-1.0, 1.0)
}

/// Pairwise sum of the lanes (N a power of two). Kept out of line on purpose: when LLVM's SLP
/// vectoriser sees a reduction tree after the main loop it splits the loop's accumulators into
/// 2-lane pieces, and an in-order sum instead costs N dependent additions.
#[inline(never)]
fn sum_lanes<const N: usize>(acc: &[f32; N]) -> f32 {
    let mut v = *acc;
    let mut width = N;
    while width > 1 {
        let half = width / 2;
        for i in 0..half {
            v[i] += v[i + half];
        }
        if width % 2 == 1 {
            v[0] += v[width - 1];
        }
        width = half;
    }
    v[0]
}

#[inline(always)]
fn l2_squared_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<LANES>();
    let (bc, bt) = b[..n].as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..LANES {
            let d = x[i] - y[i];
            acc[i] += d * d;
        }
    }
    let mut sum = sum_lanes(&acc);
    for (x, y) in at.iter().zip(bt) {
        let d = x - y;
        sum += d * d;
    }
    sum
}

#[inline(always)]
fn dot_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<LANES>();
    let (bc, bt) = b[..n].as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let mut sum = sum_lanes(&acc);
    for (x, y) in at.iter().zip(bt) {
        sum = x.mul_add(*y, sum);
    }
    sum
}

#[inline(always)]
fn l1_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<LANES>();
    let (bc, bt) = b[..n].as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..LANES {
            acc[i] += (x[i] - y[i]).abs();
        }
    }
    let mut sum = sum_lanes(&acc);
    for (x, y) in at.iter().zip(bt) {
        sum += (x - y).abs();
    }
    sum
}

/// Three passes rather than pgvector's one: LLVM's SLP vectoriser splits a loop carrying three
/// sets of lane accumulators into 2-lane pieces, while each single-accumulator pass runs at full
/// register width (the summation order is unspecified in pgvector too).
#[inline(always)]
fn cosine_sums_impl(a: &[f32], b: &[f32]) -> (f32, f32, f32) {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    (dot_impl(a, b), dot_impl(a, a), dot_impl(b, b))
}

#[inline(always)]
fn norm_squared_impl(a: &[f32]) -> f64 {
    const W: usize = 8;
    let (chunks, tail) = a.as_chunks::<W>();
    let mut acc = [0.0f64; W];
    for x in chunks {
        for i in 0..W {
            let v = f64::from(x[i]);
            acc[i] += v * v;
        }
    }
    let mut sum: f64 = acc.iter().sum();
    for &x in tail {
        let v = f64::from(x);
        sum += v * v;
    }
    sum
}

// ============================================================================================
// halfvec (f16)
// ============================================================================================

/// Exact f16 → f32 widening written with plain integer and float operations (no table, no
/// branches on data) so that it vectorises; agrees with `half::f16::to_f32` on every input.
#[inline(always)]
fn widen(h: f16) -> f32 {
    let h = u32::from(h.to_bits());
    let o = (h & 0x7fff) << 13; // exponent and mantissa in f32 position
    let exp = o & 0x0f80_0000;
    // Rebias the exponent by 127 - 15; Inf/NaN by as much again, to all ones. Masks, not `if`s,
    // so the whole conversion stays straight-line code.
    let inf_nan = u32::from(exp == 0x0f80_0000).wrapping_neg();
    let o = o + 0x3800_0000 + (inf_nan & 0x3800_0000);
    // Zero / subnormal: renormalise through a float subtraction.
    let denormal = (f32::from_bits(o + 0x0080_0000) - f32::from_bits(0x3880_0000)).to_bits();
    let tiny = u32::from(exp == 0).wrapping_neg();
    let o = (denormal & tiny) | (o & !tiny);
    f32::from_bits(o | ((h & 0x8000) << 16))
}

dispatched! {
    /// Squared Euclidean distance of two halfvecs, summed in f32 like pgvector.
    pub fn l2_squared_f16(a: &[f16], b: &[f16]) -> f32 = l2_squared_f16_impl, x86 l2_squared_f16;
}

dispatched! {
    /// Inner product of two halfvecs, summed in f32.
    pub fn dot_f16(a: &[f16], b: &[f16]) -> f32 = dot_f16_impl, x86 dot_f16;
}

dispatched! {
    /// Taxicab distance of two halfvecs, summed in f32.
    pub fn l1_f16(a: &[f16], b: &[f16]) -> f32 = l1_f16_impl, x86 l1_f16;
}

dispatched! {
    /// `(a·b, a·a, b·b)` of two halfvecs in f32.
    pub fn cosine_sums_f16(a: &[f16], b: &[f16]) -> (f32, f32, f32) = cosine_sums_f16_impl, x86 cosine_sums_f16;
}

dispatched! {
    /// Sum of squares of a halfvec in f64 (pgvector's halfvec `l2_norm`).
    pub fn norm_squared_f16(a: &[f16]) -> f64 = norm_squared_f16_impl;
}

/// Euclidean distance of two halfvecs: `sqrt((double) l2_squared_f16)`.
pub fn l2_f16(a: &[f16], b: &[f16]) -> f64 {
    f64::from(l2_squared_f16(a, b)).sqrt()
}

/// Cosine distance of two halfvecs, as [`cosine_distance`].
pub fn cosine_distance_f16(a: &[f16], b: &[f16]) -> f64 {
    let (ab, aa, bb) = cosine_sums_f16(a, b);
    cosine_from_sums(f64::from(ab), aa, bb)
}

/// Euclidean norm of a halfvec (f64 sum of squares).
pub fn norm_f16(a: &[f16]) -> f64 {
    norm_squared_f16(a).sqrt()
}

#[inline(always)]
fn l2_squared_f16_impl(a: &[f16], b: &[f16]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<F16_LANES>();
    let (bc, bt) = b[..n].as_chunks::<F16_LANES>();
    let mut acc = [0.0f32; F16_LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..F16_LANES {
            let d = widen(x[i]) - widen(y[i]);
            acc[i] += d * d;
        }
    }
    let mut sum = sum_lanes(&acc);
    for (&x, &y) in at.iter().zip(bt) {
        let d = widen(x) - widen(y);
        sum += d * d;
    }
    sum
}

#[inline(always)]
fn dot_f16_impl(a: &[f16], b: &[f16]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<F16_LANES>();
    let (bc, bt) = b[..n].as_chunks::<F16_LANES>();
    let mut acc = [0.0f32; F16_LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..F16_LANES {
            acc[i] += widen(x[i]) * widen(y[i]);
        }
    }
    let mut sum = sum_lanes(&acc);
    for (&x, &y) in at.iter().zip(bt) {
        sum += widen(x) * widen(y);
    }
    sum
}

#[inline(always)]
fn l1_f16_impl(a: &[f16], b: &[f16]) -> f32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<F16_LANES>();
    let (bc, bt) = b[..n].as_chunks::<F16_LANES>();
    let mut acc = [0.0f32; F16_LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..F16_LANES {
            acc[i] += (widen(x[i]) - widen(y[i])).abs();
        }
    }
    let mut sum = sum_lanes(&acc);
    for (&x, &y) in at.iter().zip(bt) {
        sum += (widen(x) - widen(y)).abs();
    }
    sum
}

#[inline(always)]
fn cosine_sums_f16_impl(a: &[f16], b: &[f16]) -> (f32, f32, f32) {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    (dot_f16_impl(a, b), dot_f16_impl(a, a), dot_f16_impl(b, b))
}

#[inline(always)]
fn norm_squared_f16_impl(a: &[f16]) -> f64 {
    const W: usize = 8;
    let (chunks, tail) = a.as_chunks::<W>();
    let mut acc = [0.0f64; W];
    for x in chunks {
        for i in 0..W {
            let v = f64::from(widen(x[i]));
            acc[i] += v * v;
        }
    }
    let mut sum: f64 = acc.iter().sum();
    for &x in tail {
        let v = f64::from(widen(x));
        sum += v * v;
    }
    sum
}

// ============================================================================================
// sparsevec: merge-join on sorted indices, sequential f32 sums in index order (as pgvector)
// ============================================================================================

/// Squared Euclidean distance of two sparse vectors (indices sorted ascending).
pub fn sparse_l2_squared(ai: &[i32], av: &[f32], bi: &[i32], bv: &[f32]) -> f32 {
    let (na, nb) = (ai.len().min(av.len()), bi.len().min(bv.len()));
    let (mut i, mut j) = (0, 0);
    let mut sum = 0.0f32;
    while i < na && j < nb {
        if ai[i] < bi[j] {
            sum += av[i] * av[i];
            i += 1;
        } else if ai[i] > bi[j] {
            sum += bv[j] * bv[j];
            j += 1;
        } else {
            let d = av[i] - bv[j];
            sum += d * d;
            i += 1;
            j += 1;
        }
    }
    for &x in &av[i..na] {
        sum += x * x;
    }
    for &y in &bv[j..nb] {
        sum += y * y;
    }
    sum
}

/// Euclidean distance of two sparse vectors: `sqrt((double) sparse_l2_squared)`.
pub fn sparse_l2(ai: &[i32], av: &[f32], bi: &[i32], bv: &[f32]) -> f64 {
    f64::from(sparse_l2_squared(ai, av, bi, bv)).sqrt()
}

/// Inner product of two sparse vectors.
pub fn sparse_dot(ai: &[i32], av: &[f32], bi: &[i32], bv: &[f32]) -> f32 {
    let (na, nb) = (ai.len().min(av.len()), bi.len().min(bv.len()));
    let (mut i, mut j) = (0, 0);
    let mut sum = 0.0f32;
    while i < na && j < nb {
        if ai[i] < bi[j] {
            i += 1;
        } else if ai[i] > bi[j] {
            j += 1;
        } else {
            sum += av[i] * bv[j];
            i += 1;
            j += 1;
        }
    }
    sum
}

/// Taxicab distance of two sparse vectors.
pub fn sparse_l1(ai: &[i32], av: &[f32], bi: &[i32], bv: &[f32]) -> f32 {
    let (na, nb) = (ai.len().min(av.len()), bi.len().min(bv.len()));
    let (mut i, mut j) = (0, 0);
    let mut sum = 0.0f32;
    while i < na && j < nb {
        if ai[i] < bi[j] {
            sum += av[i].abs();
            i += 1;
        } else if ai[i] > bi[j] {
            sum += bv[j].abs();
            j += 1;
        } else {
            sum += (av[i] - bv[j]).abs();
            i += 1;
            j += 1;
        }
    }
    for &x in &av[i..na] {
        sum += x.abs();
    }
    for &y in &bv[j..nb] {
        sum += y.abs();
    }
    sum
}

/// Cosine distance of two sparse vectors, pgvector's `sparsevec_cosine_distance`.
pub fn sparse_cosine_distance(ai: &[i32], av: &[f32], bi: &[i32], bv: &[f32]) -> f64 {
    let ab = sparse_dot(ai, av, bi, bv);
    let aa: f32 = av.iter().map(|x| x * x).sum();
    let bb: f32 = bv.iter().map(|y| y * y).sum();
    cosine_from_sums(f64::from(ab), aa, bb)
}

/// Euclidean norm of a sparse vector's values (f64 sum of squares, as pgvector).
pub fn sparse_norm(values: &[f32]) -> f64 {
    values
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt()
}

// ============================================================================================
// bit: packed bytes, MSB first (pad bits of the last byte must be zero, as PostgreSQL keeps them)
// ============================================================================================

dispatched! {
    /// Number of differing bits (pgvector `hamming_distance`).
    pub fn hamming(a_bits: &[u8], b_bits: &[u8]) -> u32 = hamming_impl;
}

dispatched! {
    /// `(|a ∧ b|, |a|, |b|)` in bits.
    pub fn bit_counts(a_bits: &[u8], b_bits: &[u8]) -> (u64, u64, u64) = bit_counts_impl;
}

/// Jaccard distance, pgvector's `jaccard_distance`: `1 - |a∧b| / (|a| + |b| - |a∧b|)`, and 1
/// when the intersection is empty (including two all-zero strings).
pub fn jaccard(a_bits: &[u8], b_bits: &[u8]) -> f64 {
    let (ab, aa, bb) = bit_counts(a_bits, b_bits);
    if ab == 0 {
        1.0
    } else {
        1.0 - (ab as f64 / (aa + bb - ab) as f64)
    }
}

#[inline(always)]
fn hamming_impl(a: &[u8], b: &[u8]) -> u32 {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<8>();
    let (bc, bt) = b[..n].as_chunks::<8>();
    let mut count = 0u64;
    for (x, y) in ac.iter().zip(bc) {
        count += u64::from((u64::from_ne_bytes(*x) ^ u64::from_ne_bytes(*y)).count_ones());
    }
    for (x, y) in at.iter().zip(bt) {
        count += u64::from((x ^ y).count_ones());
    }
    count as u32
}

#[inline(always)]
fn bit_counts_impl(a: &[u8], b: &[u8]) -> (u64, u64, u64) {
    let n = a.len().min(b.len());
    let (ac, at) = a[..n].as_chunks::<8>();
    let (bc, bt) = b[..n].as_chunks::<8>();
    let (mut ab, mut aa, mut bb) = (0u64, 0u64, 0u64);
    for (x, y) in ac.iter().zip(bc) {
        let (p, q) = (u64::from_ne_bytes(*x), u64::from_ne_bytes(*y));
        ab += u64::from((p & q).count_ones());
        aa += u64::from(p.count_ones());
        bb += u64::from(q.count_ones());
    }
    for (x, y) in at.iter().zip(bt) {
        ab += u64::from((x & y).count_ones());
        aa += u64::from(x.count_ones());
        bb += u64::from(y.count_ones());
    }
    (ab, aa, bb)
}

// ============================================================================================
// Tests
// ============================================================================================

#[cfg(test)]
mod tests {
    use super::*;

    const LENGTHS: [usize; 10] = [0, 1, 7, 8, 17, 31, 33, 100, 384, 1000];

    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }
        /// Uniform in [-1, 1).
        fn unit(&mut self) -> f32 {
            ((self.next() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
        fn vec(&mut self, n: usize) -> Vec<f32> {
            (0..n).map(|_| self.unit()).collect()
        }
    }

    fn close(got: f64, want: f64, scale: f64) -> bool {
        (got - want).abs() <= 1e-5 * scale.max(1.0)
    }

    fn ref_l2sq(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum()
    }
    fn ref_dot(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum()
    }
    fn ref_l1(a: &[f32], b: &[f32]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).abs())
            .sum()
    }
    fn ref_cos(a: &[f32], b: &[f32]) -> f64 {
        let s = ref_dot(a, b) / (ref_dot(a, a) * ref_dot(b, b)).sqrt();
        1.0 - s.clamp(-1.0, 1.0)
    }

    #[test]
    fn dense_kernels_match_reference() {
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for n in LENGTHS {
            let a = rng.vec(n);
            let b = rng.vec(n);
            let scale = n as f64;
            assert!(
                close(f64::from(l2_squared(&a, &b)), ref_l2sq(&a, &b), scale),
                "l2sq n={n}"
            );
            assert!(close(
                f64::from(l2_squared_impl(&a, &b)),
                ref_l2sq(&a, &b),
                scale
            ));
            assert!(
                close(l2(&a, &b), ref_l2sq(&a, &b).sqrt(), scale),
                "l2 n={n}"
            );
            assert!(
                close(f64::from(dot(&a, &b)), ref_dot(&a, &b), scale),
                "dot n={n}"
            );
            assert!(close(f64::from(dot_impl(&a, &b)), ref_dot(&a, &b), scale));
            assert!(
                close(f64::from(l1(&a, &b)), ref_l1(&a, &b), scale),
                "l1 n={n}"
            );
            assert!(close(f64::from(l1_impl(&a, &b)), ref_l1(&a, &b), scale));
            assert!(close(norm(&a), ref_dot(&a, &a).sqrt(), 1e-6), "norm n={n}");
            assert!(close(norm_squared_impl(&a), ref_dot(&a, &a), 1e-6));
            if n == 0 {
                assert!(cosine_distance(&a, &b).is_nan());
            } else {
                assert!(
                    close(cosine_distance(&a, &b), ref_cos(&a, &b), 1.0),
                    "cos n={n}"
                );
                let (p, q, r) = cosine_sums_impl(&a, &b);
                assert!(close(f64::from(p), ref_dot(&a, &b), scale));
                assert!(close(f64::from(q), ref_dot(&a, &a), scale));
                assert!(close(f64::from(r), ref_dot(&b, &b), scale));
            }
        }
    }

    /// The dispatched kernels (hand-written AVX2 on x86_64 machines that have it) agree with the
    /// portable builds for every tail length.
    #[test]
    fn dispatched_matches_portable() {
        let mut rng = Rng(2024);
        for n in 0..80 {
            let a = rng.vec(n);
            let b = rng.vec(n);
            let ah: Vec<f16> = a.iter().map(|&x| f16::from_f32(x)).collect();
            let bh: Vec<f16> = b.iter().map(|&x| f16::from_f32(x)).collect();
            let scale = n as f64;
            let same = |x: f32, y: f32| close(f64::from(x), f64::from(y), scale);
            assert!(same(l2_squared(&a, &b), l2_squared_impl(&a, &b)), "n={n}");
            assert!(same(dot(&a, &b), dot_impl(&a, &b)), "n={n}");
            assert!(same(l1(&a, &b), l1_impl(&a, &b)), "n={n}");
            let (p, q) = (cosine_sums(&a, &b), cosine_sums_impl(&a, &b));
            assert!(same(p.0, q.0) && same(p.1, q.1) && same(p.2, q.2), "n={n}");
            assert!(
                same(l2_squared_f16(&ah, &bh), l2_squared_f16_impl(&ah, &bh)),
                "n={n}"
            );
            assert!(same(dot_f16(&ah, &bh), dot_f16_impl(&ah, &bh)), "n={n}");
            assert!(same(l1_f16(&ah, &bh), l1_f16_impl(&ah, &bh)), "n={n}");
            let (p, q) = (cosine_sums_f16(&ah, &bh), cosine_sums_f16_impl(&ah, &bh));
            assert!(same(p.0, q.0) && same(p.1, q.1) && same(p.2, q.2), "n={n}");
            // Unequal lengths: the common prefix.
            if n > 0 {
                assert!(same(
                    l2_squared(&a, &b[..n - 1]),
                    l2_squared_impl(&a[..n - 1], &b[..n - 1])
                ));
                assert!(same(
                    dot_f16(&ah[..n - 1], &bh),
                    dot_f16_impl(&ah[..n - 1], &bh[..n - 1])
                ));
            }
        }
    }

    #[test]
    fn small_exact_values() {
        let a = [1.0f32, 2.0, 3.0];
        let b = [4.0f32, 5.0, 6.0];
        assert_eq!(l2_squared(&a, &b), 27.0);
        assert_eq!(l2(&a, &b), 27f64.sqrt());
        assert_eq!(dot(&a, &b), 32.0);
        assert_eq!(l1(&a, &b), 9.0);
        assert_eq!(norm(&[3.0, 4.0]), 5.0);
        // pgvector: '[1,2,3]' <=> '[4,5,6]' = 0.025368153802923787
        assert!((cosine_distance(&a, &b) - 0.025368153802923787).abs() < 1e-12);
        assert_eq!(cosine_distance(&a, &a), 0.0);
        assert_eq!(cosine_distance(&[1.0, 1.0], &[-1.0, -1.0]), 2.0);
        assert!(cosine_distance(&[0.0, 0.0], &[1.0, 1.0]).is_nan());
        // Unequal lengths use the common prefix rather than panic.
        assert_eq!(l2_squared(&[1.0, 2.0], &[1.0]), 0.0);
        assert_eq!(l2_squared(&[], &[]), 0.0);
        assert_eq!(norm(&[]), 0.0);
    }

    #[test]
    fn widen_matches_half_for_every_value() {
        for bits in 0..=u16::MAX {
            let h = f16::from_bits(bits);
            let (got, want) = (widen(h), h.to_f32());
            if want.is_nan() {
                assert!(got.is_nan(), "{bits:#06x}");
            } else {
                assert_eq!(got.to_bits(), want.to_bits(), "{bits:#06x}");
            }
        }
    }

    #[test]
    fn f16_kernels_match_reference() {
        let mut rng = Rng(77);
        for n in LENGTHS {
            let a: Vec<f16> = rng.vec(n).into_iter().map(f16::from_f32).collect();
            let b: Vec<f16> = rng.vec(n).into_iter().map(f16::from_f32).collect();
            let fa: Vec<f32> = a.iter().map(|x| x.to_f32()).collect();
            let fb: Vec<f32> = b.iter().map(|x| x.to_f32()).collect();
            let scale = n as f64;
            assert!(close(
                f64::from(l2_squared_f16(&a, &b)),
                ref_l2sq(&fa, &fb),
                scale
            ));
            assert!(close(
                f64::from(l2_squared_f16_impl(&a, &b)),
                ref_l2sq(&fa, &fb),
                scale
            ));
            assert!(close(l2_f16(&a, &b), ref_l2sq(&fa, &fb).sqrt(), scale));
            assert!(close(f64::from(dot_f16(&a, &b)), ref_dot(&fa, &fb), scale));
            assert!(close(
                f64::from(dot_f16_impl(&a, &b)),
                ref_dot(&fa, &fb),
                scale
            ));
            assert!(close(f64::from(l1_f16(&a, &b)), ref_l1(&fa, &fb), scale));
            assert!(close(
                f64::from(l1_f16_impl(&a, &b)),
                ref_l1(&fa, &fb),
                scale
            ));
            assert!(close(norm_f16(&a), ref_dot(&fa, &fa).sqrt(), 1e-6));
            assert!(close(norm_squared_f16_impl(&a), ref_dot(&fa, &fa), 1e-6));
            if n > 0 {
                assert!(close(cosine_distance_f16(&a, &b), ref_cos(&fa, &fb), 1.0));
                let (p, _, _) = cosine_sums_f16_impl(&a, &b);
                assert!(close(f64::from(p), ref_dot(&fa, &fb), scale));
            } else {
                assert!(cosine_distance_f16(&a, &b).is_nan());
            }
        }
    }

    fn densify(idx: &[i32], val: &[f32], dim: usize) -> Vec<f32> {
        let mut v = vec![0.0; dim];
        for (&i, &x) in idx.iter().zip(val) {
            v[i as usize] = x;
        }
        v
    }

    #[test]
    fn sparse_kernels_match_dense() {
        let mut rng = Rng(99);
        for dim in [1usize, 5, 17, 100, 1000] {
            for _ in 0..20 {
                let pick = |rng: &mut Rng| -> (Vec<i32>, Vec<f32>) {
                    let mut idx = Vec::new();
                    let mut val = Vec::new();
                    for i in 0..dim {
                        if rng.next().is_multiple_of(3) {
                            idx.push(i as i32);
                            val.push(rng.unit() + 2.0);
                        }
                    }
                    (idx, val)
                };
                let (ai, av) = pick(&mut rng);
                let (bi, bv) = pick(&mut rng);
                let (da, db) = (densify(&ai, &av, dim), densify(&bi, &bv, dim));
                let scale = dim as f64 * 9.0;
                assert!(close(
                    f64::from(sparse_l2_squared(&ai, &av, &bi, &bv)),
                    ref_l2sq(&da, &db),
                    scale
                ));
                assert!(close(
                    sparse_l2(&ai, &av, &bi, &bv),
                    ref_l2sq(&da, &db).sqrt(),
                    scale
                ));
                assert!(close(
                    f64::from(sparse_dot(&ai, &av, &bi, &bv)),
                    ref_dot(&da, &db),
                    scale
                ));
                assert!(close(
                    f64::from(sparse_l1(&ai, &av, &bi, &bv)),
                    ref_l1(&da, &db),
                    scale
                ));
                assert!(close(sparse_norm(&av), ref_dot(&da, &da).sqrt(), 1.0));
                let cos = sparse_cosine_distance(&ai, &av, &bi, &bv);
                if ai.is_empty() || bi.is_empty() {
                    assert!(cos.is_nan());
                } else {
                    assert!(close(cos, ref_cos(&da, &db), 1.0));
                }
            }
        }
        assert_eq!(sparse_dot(&[0, 2], &[1.0, 2.0], &[2, 3], &[3.0, 4.0]), 6.0);
        assert_eq!(
            sparse_l2_squared(&[0, 2], &[1.0, 2.0], &[2, 3], &[3.0, 4.0]),
            1.0 + 1.0 + 16.0
        );
        assert_eq!(
            sparse_l1(&[0, 2], &[1.0, 2.0], &[2, 3], &[3.0, 4.0]),
            1.0 + 1.0 + 4.0
        );
        assert_eq!(sparse_l2_squared(&[], &[], &[], &[]), 0.0);
    }

    #[test]
    fn bit_kernels() {
        assert_eq!(hamming(&[0b1100_0000], &[0b1010_0000]), 2);
        assert_eq!(hamming(&[], &[]), 0);
        assert_eq!(jaccard(&[0b1100_0000], &[0b1010_0000]), 1.0 - 1.0 / 3.0);
        assert_eq!(jaccard(&[0], &[0]), 1.0);
        assert_eq!(jaccard(&[], &[]), 1.0);
        assert_eq!(jaccard(&[0b1111_0000], &[0b0000_1111]), 1.0);
        assert_eq!(jaccard(&[0xff, 0x0f], &[0xff, 0x0f]), 0.0);
        let mut rng = Rng(5);
        for n in LENGTHS {
            let a: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let b: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            let want: u32 = a.iter().zip(&b).map(|(x, y)| (x ^ y).count_ones()).sum();
            assert_eq!(hamming(&a, &b), want);
            assert_eq!(hamming_impl(&a, &b), want);
            let ab: u64 = a
                .iter()
                .zip(&b)
                .map(|(x, y)| u64::from((x & y).count_ones()))
                .sum();
            let aa: u64 = a.iter().map(|x| u64::from(x.count_ones())).sum();
            let bb: u64 = b.iter().map(|x| u64::from(x.count_ones())).sum();
            assert_eq!(bit_counts(&a, &b), (ab, aa, bb));
            assert_eq!(bit_counts_impl(&a, &b), (ab, aa, bb));
        }
    }

    #[test]
    fn metric_serde_round_trip() {
        for m in [
            Metric::L2,
            Metric::InnerProduct,
            Metric::Cosine,
            Metric::L1,
            Metric::Hamming,
            Metric::Jaccard,
        ] {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<Metric>(&s).unwrap(), m);
        }
    }
}
