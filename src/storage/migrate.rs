//! On-disk format versioning. Every data directory carries a format version in RocksDB; the
//! migrations in `migrations/` (append-only, numbered) describe each version. Opening a directory
//! written by a newer format is refused instead of being misread.

use crate::error::{QuiverError, Result};
use crate::storage::kv::Kv;

/// The migrations this binary knows, in order; the format version is their count.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../../migrations/0001_initial.md"),
    ),
    (
        "0002_generated_columns",
        include_str!("../../migrations/0002_generated_columns.md"),
    ),
];

pub const FORMAT_VERSION: u64 = MIGRATIONS.len() as u64;

pub fn check_and_stamp(kv: &Kv) -> Result<()> {
    match kv.get_meta("version")? {
        None => {
            let mut b = kv.batch();
            b.put_meta("version", FORMAT_VERSION.to_string().as_bytes())?;
            b.commit()
        }
        Some(v) => {
            let found: u64 = std::str::from_utf8(&v)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| QuiverError::DataCorrupted("unreadable format version".into()))?;
            if found > FORMAT_VERSION {
                return Err(QuiverError::FeatureNotSupported(format!(
                    "the data directory has on-disk format version {found}, but this quiver \
                     supports versions up to {FORMAT_VERSION}; upgrade quiver to open it"
                )));
            }
            // 1 → 2 changes no stored data (see migrations/0002): stamp the new version.
            if found < FORMAT_VERSION {
                let mut b = kv.batch();
                b.put_meta("version", FORMAT_VERSION.to_string().as_bytes())?;
                b.commit()?;
            }
            Ok(())
        }
    }
}
