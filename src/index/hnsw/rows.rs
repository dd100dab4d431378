//! The graph's vector storage: `n` rows of `dim` floats in one buffer laid out for random access.
//!
//! Graph walks read whole vectors at random (for 384 dimensions, 1.5 KiB each), so two details of
//! the buffer pay off:
//! - rows start on a 64-byte boundary (when `dim` is a multiple of 16), so a row spans the fewest
//!   cache lines and no SIMD load straddles two;
//! - on Linux the buffer is advised to use transparent huge pages: with 4 KiB pages nearly every
//!   row read is also a TLB miss, and a page walk is expensive, doubly so under virtualisation.

/// Floats of slack so that the first row can be moved to a 64-byte boundary.
const ALIGN_SLACK: usize = 16;

pub(crate) struct Rows {
    buf: Vec<f32>,
    /// Index in `buf` of row 0.
    base: usize,
    dim: usize,
    len: usize,
}

impl Rows {
    /// Copies `data` (`dim` floats per row) into a fresh buffer.
    pub(crate) fn from_slice(data: &[f32], dim: usize) -> Rows {
        let mut r = Rows::with_len(data.len(), dim);
        r.buf.extend_from_slice(data);
        r
    }

    /// Collects `floats` (exactly `dim` per row) into a fresh buffer.
    pub(crate) fn from_iter(total: usize, dim: usize, floats: impl Iterator<Item = f32>) -> Rows {
        let mut r = Rows::with_len(total, dim);
        r.buf.extend(floats.take(total));
        r.buf.resize(r.base + total, 0.0);
        r
    }

    /// An empty buffer with room for `total` floats after the alignment padding.
    fn with_len(total: usize, dim: usize) -> Rows {
        let mut buf: Vec<f32> = Vec::with_capacity(total + ALIGN_SLACK);
        advise_huge_pages(&buf);
        // Floats to skip so that row 0 (and, for dim % 16 == 0, every row) is 64-byte aligned.
        let base = buf.as_ptr().align_offset(64).min(ALIGN_SLACK);
        buf.resize(base, 0.0);
        Rows {
            buf,
            base,
            dim,
            len: if dim == 0 { 0 } else { total / dim },
        }
    }

    pub(crate) fn dim(&self) -> usize {
        self.dim
    }

    /// All rows, contiguous.
    pub(crate) fn as_slice(&self) -> &[f32] {
        &self.buf[self.base..]
    }

    /// Row `i` (empty past the end, so that a bad id cannot panic).
    #[inline(always)]
    pub(crate) fn get(&self, i: u32) -> &[f32] {
        let s = self.base + i as usize * self.dim;
        self.buf.get(s..s + self.dim).unwrap_or(&[])
    }

    /// Hints that the first `lines` cache lines of row `i` will be read soon.
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: u32, lines: usize) {
        let s = self.base + (i as usize).wrapping_mul(self.dim);
        let bytes = (self.dim * 4).min(lines.saturating_mul(64));
        super::search::prefetch_bytes(self.buf.as_ptr().wrapping_add(s) as *const u8, bytes);
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.buf.capacity() * 4
    }
}

/// Asks the kernel to back `v`'s (not yet touched) allocation with transparent huge pages.
fn advise_huge_pages(v: &Vec<f32>) {
    #[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        const HUGE: usize = 1 << 21;
        const MADV_HUGEPAGE: i32 = 14;
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        let bytes = v.capacity() * 4;
        if bytes < 2 * HUGE {
            return;
        }
        let start = (v.as_ptr() as usize).next_multiple_of(HUGE);
        let end = (v.as_ptr() as usize + bytes) & !(HUGE - 1);
        if end > start {
            // SAFETY: the range lies inside this vector's own allocation; MADV_HUGEPAGE is only
            // advice about how to back it (contents and validity are unchanged), and failure
            // (THP disabled, old kernel) is harmless, so the result is ignored.
            unsafe {
                madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
    let _ = v;
}
