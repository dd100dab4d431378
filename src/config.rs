//! Server configuration: defaults, an optional TOML file, environment variables and flags
//! (later sources win).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{QuiverError, Result};

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Data directory (RocksDB catalog, segments).
    pub data_dir: PathBuf,
    /// Seal a table's growing segment into Parquet once it holds this many rows.
    pub segment_max_rows: usize,
    /// Sync the write-ahead log at every commit (durable acknowledged writes).
    pub sync_commit: bool,
    /// Upper bound on concurrent client connections.
    pub max_connections: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:5433".parse().expect("valid default address"),
            data_dir: PathBuf::from("./quiver-data"),
            segment_max_rows: 100_000,
            sync_commit: true,
            max_connections: 512,
        }
    }
}

impl Config {
    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            QuiverError::Io(format!(
                "could not read config file \"{}\": {e}",
                path.display()
            ))
        })?;
        toml::from_str(&text).map_err(|e| {
            QuiverError::InvalidParameterValue(format!(
                "invalid config file \"{}\": {e}",
                path.display()
            ))
        })
    }
}
