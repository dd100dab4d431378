//! The byte format shared by the index files (HNSW and IVFFlat): little-endian fields behind an
//! 8-byte magic and a format version, and a trailing 64-bit checksum over everything before it.
//!
//! Writing streams through a small buffer (an index can be hundreds of MB; it is never copied
//! whole), hashing as it goes. Reading is a bounds-checked cursor over the loaded bytes: every
//! length is checked against what is left before anything is allocated, so a damaged header cannot
//! ask for a huge allocation, and no read can run past the end.
//!
//! The checksum is an FNV-1a-style hash over 8-byte little-endian words in four interleaved lanes
//! (so it runs at several bytes per cycle rather than FNV's one multiply per byte — files are
//! checked at every load). Each lane step `h = rotl((h ^ w) * P, 31)` is a bijection of both `h` and
//! `w`, so any change confined to one word always changes the result; the lanes, the byte length
//! and the ragged tail are folded together at the end.

use std::io::Write;

use crate::index::IndexError;

const PRIME: u64 = 0x0000_0100_0000_01b3; // the 64-bit FNV prime
const BASIS: u64 = 0xcbf2_9ce4_8422_2325; // the 64-bit FNV offset basis
/// Bytes hashed per round (four lanes of one word).
const BLOCK: usize = 32;

/// Streaming checksum; see the module docs.
#[derive(Clone)]
pub(crate) struct Checksum {
    lanes: [u64; 4],
    pending: [u8; BLOCK],
    pending_len: usize,
    total: u64,
}

impl Default for Checksum {
    fn default() -> Self {
        Checksum {
            lanes: [
                BASIS,
                BASIS ^ 0x9e37_79b9_7f4a_7c15,
                BASIS ^ 0xbf58_476d_1ce4_e5b9,
                BASIS ^ 0x94d0_49bb_1331_11eb,
            ],
            pending: [0; BLOCK],
            pending_len: 0,
            total: 0,
        }
    }
}

#[inline(always)]
fn mix(h: u64, w: u64) -> u64 {
    ((h ^ w).wrapping_mul(PRIME)).rotate_left(31)
}

impl Checksum {
    #[inline]
    fn blocks(&mut self, blocks: &[[u8; BLOCK]]) {
        let mut l = self.lanes;
        for b in blocks {
            let (words, _) = b.as_chunks::<8>();
            for (h, w) in l.iter_mut().zip(words) {
                *h = mix(*h, u64::from_le_bytes(*w));
            }
        }
        self.lanes = l;
    }

    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(data.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&data[..take]);
            self.pending_len += take;
            data = &data[take..];
            if self.pending_len < BLOCK {
                return;
            }
            let block = self.pending;
            self.blocks(&[block]);
            self.pending_len = 0;
        }
        let (blocks, tail) = data.as_chunks::<BLOCK>();
        self.blocks(blocks);
        self.pending[..tail.len()].copy_from_slice(tail);
        self.pending_len = tail.len();
    }

    pub(crate) fn finish(&self) -> u64 {
        let mut h = BASIS;
        for &l in &self.lanes {
            h = mix(h, l);
        }
        // The tail, byte by byte (plain FNV-1a), then the length so that trailing zero bytes count.
        for &b in &self.pending[..self.pending_len] {
            h = (h ^ u64::from(b)).wrapping_mul(PRIME);
        }
        h = mix(h, self.total);
        // A final avalanche so that the stored value depends on every bit of every lane.
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

pub(crate) fn checksum(data: &[u8]) -> u64 {
    let mut c = Checksum::default();
    c.update(data);
    c.finish()
}

/// Writes little-endian fields through a buffer, hashing everything written.
pub(crate) struct Writer<'a> {
    out: &'a mut dyn Write,
    buf: Vec<u8>,
    sum: Checksum,
}

const FLUSH_AT: usize = 1 << 16;

impl<'a> Writer<'a> {
    /// Starts a file: the magic and the format version.
    pub(crate) fn new(out: &'a mut dyn Write, magic: &[u8], version: u32) -> Self {
        let mut w = Writer {
            out,
            buf: Vec::with_capacity(FLUSH_AT + 64),
            sum: Checksum::default(),
        };
        w.bytes(magic);
        w.u32(version);
        w
    }

    fn maybe_flush(&mut self) -> Result<(), IndexError> {
        if self.buf.len() >= FLUSH_AT {
            self.sum.update(&self.buf);
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }

    /// Fixed-size fields go to the buffer only; the bulk writers flush.
    pub(crate) fn bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    /// A `usize` that the format stores as u32 (checked by the caller's invariants; saturates).
    pub(crate) fn len32(&mut self, v: usize) {
        self.u32(u32::try_from(v).unwrap_or(u32::MAX));
    }

    pub(crate) fn u8s(&mut self, v: &[u8]) -> Result<(), IndexError> {
        for c in v.chunks(FLUSH_AT) {
            self.bytes(c);
            self.maybe_flush()?;
        }
        Ok(())
    }

    pub(crate) fn u32s(&mut self, v: &[u32]) -> Result<(), IndexError> {
        for c in v.chunks(FLUSH_AT / 4) {
            for x in c {
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
            self.maybe_flush()?;
        }
        Ok(())
    }

    pub(crate) fn f32s(&mut self, v: &[f32]) -> Result<(), IndexError> {
        for c in v.chunks(FLUSH_AT / 4) {
            for x in c {
                self.buf.extend_from_slice(&x.to_le_bytes());
            }
            self.maybe_flush()?;
        }
        Ok(())
    }

    /// Writes what is buffered and the checksum.
    pub(crate) fn finish(mut self) -> Result<(), IndexError> {
        self.sum.update(&self.buf);
        let sum = self.sum.finish();
        self.buf.extend_from_slice(&sum.to_le_bytes());
        self.out.write_all(&self.buf)?;
        self.out.flush()?;
        Ok(())
    }
}

fn corrupt(msg: impl Into<String>) -> IndexError {
    IndexError::Corrupt(msg.into())
}

fn f32s_le(b: &[u8]) -> impl Iterator<Item = f32> + '_ {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
}

/// A bounds-checked cursor over a file's bytes (between the header and the checksum).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// Checks the magic, the checksum and the version; the cursor starts after the version.
    pub(crate) fn open(
        bytes: &'a [u8],
        magic: &[u8],
        version: u32,
        what: &'static str,
    ) -> Result<Reader<'a>, IndexError> {
        if !bytes.starts_with(magic) {
            return Err(corrupt(format!("not an {what} index file (bad magic)")));
        }
        let min = magic.len() + 4 + 8;
        if bytes.len() < min {
            return Err(corrupt(format!(
                "{what} index file truncated ({} bytes)",
                bytes.len()
            )));
        }
        let (body, sum) = bytes.split_at(bytes.len() - 8);
        let mut stored = [0u8; 8];
        stored.copy_from_slice(sum);
        if checksum(body) != u64::from_le_bytes(stored) {
            return Err(corrupt(format!(
                "{what} index checksum mismatch (file damaged or truncated)"
            )));
        }
        let mut r = Reader {
            bytes: body,
            pos: magic.len(),
            what,
        };
        let v = r.u32()?;
        if v != version {
            return Err(corrupt(format!(
                "unsupported {what} index format version {v} (expected {version})"
            )));
        }
        Ok(r)
    }

    fn take(&mut self, n: usize, field: &str) -> Result<&'a [u8], IndexError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| {
                corrupt(format!(
                    "{} index truncated: {field} needs {n} bytes at offset {}, {} left",
                    self.what,
                    self.pos,
                    self.bytes.len() - self.pos
                ))
            })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4, "a header field")?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, IndexError> {
        let b = self.take(8, "a header field")?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    /// A u32 header field as a `usize` no larger than `max`.
    pub(crate) fn len32(&mut self, field: &str, max: usize) -> Result<usize, IndexError> {
        let v = self.u32()? as usize;
        if v > max {
            return Err(corrupt(format!(
                "{} index: {field} = {v} is out of range (at most {max})",
                self.what
            )));
        }
        Ok(v)
    }

    fn array_bytes(&mut self, n: usize, width: usize, field: &str) -> Result<&'a [u8], IndexError> {
        let len = n
            .checked_mul(width)
            .ok_or_else(|| corrupt(format!("{} index: {field} length {n} overflows", self.what)))?;
        self.take(len, field)
    }

    pub(crate) fn u8s(&mut self, n: usize, field: &str) -> Result<Vec<u8>, IndexError> {
        Ok(self.array_bytes(n, 1, field)?.to_vec())
    }

    pub(crate) fn u32s(&mut self, n: usize, field: &str) -> Result<Vec<u32>, IndexError> {
        let b = self.array_bytes(n, 4, field)?;
        Ok(b.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    pub(crate) fn f32s(&mut self, n: usize, field: &str) -> Result<Vec<f32>, IndexError> {
        Ok(f32s_le(self.array_bytes(n, 4, field)?).collect())
    }

    /// `n` little-endian f32s, as a lazy iterator (to collect into a special buffer).
    pub(crate) fn f32s_iter(
        &mut self,
        n: usize,
        field: &str,
    ) -> Result<impl Iterator<Item = f32> + 'a, IndexError> {
        Ok(f32s_le(self.array_bytes(n, 4, field)?))
    }

    /// Bytes left before the checksum.
    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    /// Fails unless every byte was consumed (a longer file than its header says is damaged too).
    pub(crate) fn end(&self) -> Result<(), IndexError> {
        if self.remaining() != 0 {
            return Err(corrupt(format!(
                "{} index has {} unexpected trailing bytes",
                self.what,
                self.remaining()
            )));
        }
        Ok(())
    }

    /// A corruption error naming this file kind.
    pub(crate) fn error(&self, msg: impl std::fmt::Display) -> IndexError {
        corrupt(format!("{} index: {msg}", self.what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streaming_matches_one_shot() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 3) as u8).collect();
        for split in [0, 1, 5, 31, 32, 33, 100, 999, 1000] {
            let mut c = Checksum::default();
            c.update(&data[..split]);
            c.update(&data[split..]);
            assert_eq!(c.finish(), checksum(&data), "split {split}");
        }
        // Every single-bit flip and every truncation changes the sum.
        let base = checksum(&data[..200]);
        for i in 0..200 {
            for bit in 0..8 {
                let mut d = data[..200].to_vec();
                d[i] ^= 1 << bit;
                assert_ne!(checksum(&d), base);
            }
            assert_ne!(checksum(&data[..i]), base);
        }
        let mut zeros = vec![0u8; 64];
        let z = checksum(&zeros);
        zeros.push(0);
        assert_ne!(checksum(&zeros), z);
    }

    #[test]
    fn reader_bounds() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out, b"TESTMAG1", 3);
        w.u32(7);
        w.u32s(&[1, 2, 3]).unwrap();
        w.finish().unwrap();
        let mut r = Reader::open(&out, b"TESTMAG1", 3, "test").unwrap();
        assert_eq!(r.u32().unwrap(), 7);
        assert!(r.u32s(4, "x").is_err());
        assert!(r.u32s(usize::MAX, "x").is_err());
        assert_eq!(r.u32s(3, "x").unwrap(), vec![1, 2, 3]);
        r.end().unwrap();
        assert!(Reader::open(&out, b"TESTMAG1", 4, "test").is_err());
        assert!(Reader::open(&out[..out.len() - 1], b"TESTMAG1", 3, "test").is_err());
        assert!(Reader::open(&out[..5], b"TESTMAG1", 3, "test").is_err());
    }
}
