//! Vector storage of the indexes: `n` rows of `dim` values (f32, or f16 for HNSW's construction
//! copy) in one buffer laid out for fast reads.
//!
//! Graph walks read whole vectors at random (for 384 f32 dimensions, 1.5 KiB each), so two details
//! of the buffer pay off:
//! - rows start on a 64-byte boundary (when a row is a multiple of 64 bytes, e.g. 16 f32s), so a
//!   row spans the fewest cache lines and no SIMD load straddles two;
//! - on Linux the buffer is advised to use transparent huge pages: with 4 KiB pages nearly every
//!   row read is also a TLB miss, and a page walk is expensive, doubly so under virtualisation.

/// Bytes of slack so that the first row can be moved to a 64-byte boundary.
const ALIGN_SLACK: usize = 64;

pub(crate) struct Rows<T> {
    buf: Vec<T>,
    /// Index in `buf` of row 0.
    base: usize,
    dim: usize,
}

impl<T: Copy + Default> Rows<T> {
    /// Copies `data` (`dim` values per row) into a fresh buffer.
    pub(crate) fn from_slice(data: &[T], dim: usize) -> Rows<T> {
        Rows::fill(data.len(), dim, |buf| buf.extend_from_slice(data))
    }

    /// Collects `values` (exactly `dim` per row) into a fresh buffer.
    pub(crate) fn from_iter(total: usize, dim: usize, values: impl Iterator<Item = T>) -> Rows<T> {
        Rows::fill(total, dim, |buf| buf.extend(values.take(total)))
    }

    /// A fresh buffer of `total` values that `fill` appends (padded or cut to exactly `total`).
    pub(crate) fn fill(total: usize, dim: usize, fill: impl FnOnce(&mut Vec<T>)) -> Rows<T> {
        let mut r = Rows::with_len(total, dim);
        fill(&mut r.buf);
        r.buf.resize(r.base + total, T::default());
        r
    }

    /// An empty buffer with room for `total` values after the alignment padding.
    fn with_len(total: usize, dim: usize) -> Rows<T> {
        let slack = ALIGN_SLACK / std::mem::size_of::<T>().max(1);
        let mut buf: Vec<T> = Vec::with_capacity(total + slack);
        advise_huge_pages(
            buf.as_ptr() as usize,
            buf.capacity() * std::mem::size_of::<T>(),
        );
        // Values to skip so that row 0 (and, when a row is a multiple of 64 bytes, every row)
        // is 64-byte aligned.
        let base = buf.as_ptr().align_offset(64).min(slack);
        buf.resize(base, T::default());
        Rows { buf, base, dim }
    }

    /// All rows, contiguous.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.buf[self.base..]
    }

    /// Row `i` (empty past the end, so that a bad id cannot panic).
    #[inline(always)]
    pub(crate) fn get(&self, i: u32) -> &[T] {
        let s = self.base + i as usize * self.dim;
        self.buf.get(s..s + self.dim).unwrap_or(&[])
    }

    /// Hints that the first `lines` cache lines of row `i` will be read soon.
    #[inline(always)]
    pub(crate) fn prefetch(&self, i: u32, lines: usize) {
        let s = self.base + (i as usize).wrapping_mul(self.dim);
        let bytes = (self.dim * std::mem::size_of::<T>()).min(lines.saturating_mul(64));
        super::search::prefetch_bytes(self.buf.as_ptr().wrapping_add(s) as *const u8, bytes);
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.buf.capacity() * std::mem::size_of::<T>()
    }
}

/// Asks the kernel to back the (not yet touched) allocation at `addr` with transparent huge pages.
fn advise_huge_pages(addr: usize, bytes: usize) {
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        const HUGE: usize = 1 << 21;
        const MADV_HUGEPAGE: i32 = 14;
        extern "C" {
            fn madvise(addr: *mut std::ffi::c_void, len: usize, advice: i32) -> i32;
        }
        if bytes < 2 * HUGE {
            return;
        }
        let start = addr.next_multiple_of(HUGE);
        let end = (addr + bytes) & !(HUGE - 1);
        if end > start {
            // SAFETY: the range lies inside this vector's own allocation; MADV_HUGEPAGE is only
            // advice about how to back it (contents and validity are unchanged), and failure
            // (THP disabled, old kernel) is harmless, so the result is ignored.
            unsafe {
                madvise(start as *mut std::ffi::c_void, end - start, MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    let _ = (addr, bytes);
}
