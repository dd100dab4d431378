//! The benchmark's data: TEXMEX `.fvecs` / `.ivecs` files and the per-document filter columns.
//!
//! A data set folder (see `../shared/datasets/README.md`) holds `base.fvecs` (documents),
//! `query.fvecs`, `gt.ivecs` (exact top-k of the whole base, best first) and optionally
//! `docs.jsonl.gz` with a `category` per document. The tool loads the first `rows` documents and
//! the first `queries` queries; the shipped ground truth is used only when all documents are loaded.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// Row-major f32 vectors of one dimension.
#[derive(Debug, Clone)]
pub struct Vectors {
    pub dim: usize,
    pub data: Vec<f32>,
}

impl Vectors {
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn row(&self, i: usize) -> &[f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }
}

/// Reads up to `limit` rows of a `.fvecs` file (per row: little-endian i32 dimension, then that
/// many f32).
pub fn read_fvecs(path: &Path, limit: Option<usize>) -> Result<Vectors> {
    let raw = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let rows = read_rows(&raw, path, limit)?;
    let dim = rows.0;
    let mut data = Vec::with_capacity(rows.1.len() * dim);
    for row in rows.1 {
        data.extend(
            row.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }
    Ok(Vectors { dim, data })
}

/// Reads up to `limit` rows of an `.ivecs` file (same layout with i32 values).
pub fn read_ivecs(path: &Path, limit: Option<usize>) -> Result<Vec<Vec<i32>>> {
    let raw = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let (_, rows) = read_rows(&raw, path, limit)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            row.chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        })
        .collect())
}

/// Splits a TEXMEX file into its rows' payloads; returns (dimension, rows).
fn read_rows<'a>(
    raw: &'a [u8],
    path: &Path,
    limit: Option<usize>,
) -> Result<(usize, Vec<&'a [u8]>)> {
    if raw.len() < 4 {
        bail!("{}: too short for a TEXMEX vector file", path.display());
    }
    let dim = i32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]]);
    if dim <= 0 || dim > 1 << 20 {
        bail!("{}: bad dimension {dim} in the first row", path.display());
    }
    let dim = dim as usize;
    let stride = 4 * (dim + 1);
    if raw.len() % stride != 0 {
        bail!(
            "{}: size {} is not a multiple of the row size {stride}",
            path.display(),
            raw.len()
        );
    }
    let n = (raw.len() / stride).min(limit.unwrap_or(usize::MAX));
    let mut rows = Vec::with_capacity(n);
    for i in 0..n {
        let row = &raw[i * stride..(i + 1) * stride];
        let d = i32::from_le_bytes([row[0], row[1], row[2], row[3]]);
        if d as usize != dim {
            bail!(
                "{}: row {i} has dimension {d}, expected {dim}",
                path.display()
            );
        }
        rows.push(&row[4..]);
    }
    Ok((dim, rows))
}

/// A loaded data set slice.
pub struct Dataset {
    pub name: String,
    pub dir: PathBuf,
    pub base: Vectors,
    pub queries: Vectors,
    /// Whether `base` is the whole of `base.fvecs` (the shipped ground truth then applies).
    pub whole: bool,
    /// Shipped exact top-k per query for the whole base, if present and applicable.
    pub shipped_truth: Option<Vec<Vec<i32>>>,
    /// `category` of each document (from `docs.jsonl.gz`), or a hash bucket 0..9 when absent.
    pub category: Vec<i32>,
    /// Whether `category` came from the data set (`true`) or was generated (`false`).
    pub category_from_data: bool,
}

impl Dataset {
    /// Loads the first `rows` documents (all when `None`) and the first `queries` queries.
    pub fn load(dir: &Path, rows: Option<usize>, queries: usize) -> Result<Dataset> {
        let base = read_fvecs(&dir.join("base.fvecs"), rows)?;
        let total = fs::metadata(dir.join("base.fvecs"))
            .context("reading base.fvecs")?
            .len() as usize
            / (4 * (base.dim + 1));
        let queries = read_fvecs(&dir.join("query.fvecs"), Some(queries))?;
        if queries.dim != base.dim {
            bail!(
                "query.fvecs has dimension {} but base.fvecs {}",
                queries.dim,
                base.dim
            );
        }
        let whole = base.len() == total;
        let gt = dir.join("gt.ivecs");
        let shipped_truth = if whole && gt.exists() {
            let t = read_ivecs(&gt, Some(queries.len()))?;
            (t.len() == queries.len()).then_some(t)
        } else {
            None
        };
        let (category, category_from_data) = match read_categories(dir, base.len())? {
            Some(c) => (c, true),
            None => (
                (0..base.len())
                    .map(|i| (mix(i as u64) % 10) as i32)
                    .collect(),
                false,
            ),
        };
        Ok(Dataset {
            name: dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| dir.display().to_string()),
            dir: dir.to_path_buf(),
            base,
            queries,
            whole,
            shipped_truth,
            category,
            category_from_data,
        })
    }

    /// The uniform filter column: a fixed pseudo-random bucket 0..999 per document, so that
    /// `bucket < s * 1000` selects a fraction `s` of the rows independently of their content.
    pub fn bucket(&self, id: usize) -> i32 {
        (mix(id as u64 ^ 0x5bd1_e995) % 1000) as i32
    }
}

/// SplitMix64's finaliser: a fixed, well-spread hash of a row number.
pub fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `category` field of the first `n` lines of `docs.jsonl.gz`, if the file exists.
fn read_categories(dir: &Path, n: usize) -> Result<Option<Vec<i32>>> {
    let path = dir.join("docs.jsonl.gz");
    if !path.exists() {
        return Ok(None);
    }
    let file = fs::File::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(file));
    let mut out = Vec::with_capacity(n);
    for line in reader.lines().take(n) {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        let doc: serde_json::Value =
            serde_json::from_str(&line).with_context(|| format!("parsing {}", path.display()))?;
        let Some(c) = doc.get("category").and_then(|c| c.as_i64()) else {
            return Ok(None);
        };
        out.push(c as i32);
    }
    Ok((out.len() == n).then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_fvecs(path: &Path, rows: &[Vec<f32>]) {
        let mut raw = Vec::new();
        for r in rows {
            raw.extend((r.len() as i32).to_le_bytes());
            for v in r {
                raw.extend(v.to_le_bytes());
            }
        }
        fs::write(path, raw).unwrap();
    }

    #[test]
    fn fvecs_round_trip_and_limits() {
        let dir = std::env::temp_dir().join(format!("quiver-bench-ds-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.fvecs");
        write_fvecs(&p, &[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]);
        let v = read_fvecs(&p, None).unwrap();
        assert_eq!((v.dim, v.len()), (2, 3));
        assert_eq!(v.row(2), &[5.0, 6.0]);
        assert_eq!(read_fvecs(&p, Some(2)).unwrap().len(), 2);
        // A truncated file is an error, not a panic.
        let raw = fs::read(&p).unwrap();
        fs::write(&p, &raw[..raw.len() - 3]).unwrap();
        assert!(read_fvecs(&p, None).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
