//! The engine: storage plus what every session shares (configuration, built-in functions).
//! Sessions (`planner::session`) are created per connection from it.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use datafusion::logical_expr::ScalarUDF;

use crate::config::Config;
use crate::error::Result;
use crate::sql::functions;
use crate::storage::{Storage, StorageOptions};

pub struct Engine {
    pub storage: Arc<Storage>,
    pub config: Config,
    /// Session-independent scalar functions, built once.
    pub udfs: Vec<Arc<ScalarUDF>>,
    next_pid: AtomicI32,
}

impl Engine {
    pub fn open(config: Config) -> Result<Arc<Engine>> {
        let storage = Storage::open(
            &config.data_dir,
            StorageOptions {
                segment_max_rows: config.segment_max_rows,
                sync_commit: config.sync_commit,
            },
        )?;
        let mut udfs: Vec<Arc<ScalarUDF>> = functions::builtin_udfs()
            .into_iter()
            .map(Arc::new)
            .collect();
        udfs.extend(functions::catalog::udfs().into_iter().map(Arc::new));
        storage.indexes.set_compiler(Arc::new(
            crate::planner::index_expr::IndexExprCompiler::new(&udfs)?,
        ));
        Ok(Arc::new(Engine {
            storage: Arc::new(storage),
            config,
            udfs,
            next_pid: AtomicI32::new(1000),
        }))
    }

    pub fn next_pid(&self) -> i32 {
        self.next_pid.fetch_add(1, Ordering::Relaxed)
    }

    /// Seals growing segments so that a restart replays nothing (clean shutdown).
    pub fn shutdown(&self) -> Result<()> {
        self.storage.checkpoint()
    }
}
