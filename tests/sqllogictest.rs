//! Runs every `tests/sqllogictest/**/*.slt` file against one quiver server over the wire.
//!
//! Statements go through the simple query protocol, so result values are the server's own text
//! output (NULL is written `NULL`, the empty string `(empty)`). Errors read `<SQLSTATE>: <message>`,
//! so a file can expect `statement error (42P01)` or a regex such as `statement error 22000: expected 3
//! dimensions, not 4`. Each file runs on a fresh connection (plus any `connection` records it opens);
//! all files share one server and database, so files drop what they create.
//!
//! Usage: `cargo test --test sqllogictest [-- FILTER...]`, where a file runs when its path relative to
//! tests/sqllogictest/ contains any FILTER. Ends with `N passed, M failed` and exits 1 on failures.

#[path = "common/mod.rs"]
mod common;

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use sqllogictest::{AsyncDB, DBOutput, DefaultColumnType, Runner};
use tokio_postgres::{Client, SimpleQueryMessage};

use common::TestServer;

/// Per-file limit, so a hung statement fails the file instead of the CI job.
const FILE_TIMEOUT: Duration = Duration::from_secs(600);

struct Quiver {
    client: Client,
}

/// A statement error as the .slt files see it: `<SQLSTATE>: <message>`.
#[derive(Debug)]
struct SltError {
    sqlstate: Option<String>,
    message: String,
}

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.sqlstate {
            Some(code) => write!(f, "{code}: {}", self.message),
            None => write!(f, "XX000: {}", self.message),
        }
    }
}

impl std::error::Error for SltError {}

impl From<tokio_postgres::Error> for SltError {
    fn from(e: tokio_postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) => SltError {
                sqlstate: Some(db.code().code().to_string()),
                message: db.message().to_string(),
            },
            None => SltError {
                sqlstate: None,
                message: e.to_string(),
            },
        }
    }
}

impl Quiver {
    async fn connect(port: u16) -> Result<Quiver, SltError> {
        Ok(Quiver {
            client: common::connect_port(port).await?,
        })
    }
}

#[async_trait::async_trait]
impl AsyncDB for Quiver {
    type Error = SltError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let messages = self.client.simple_query(sql).await?;
        // A query string may hold several statements; the record's result is the last one's.
        let mut output = DBOutput::StatementComplete(0);
        let mut columns: Option<usize> = None;
        let mut rows: Vec<Vec<String>> = Vec::new();
        for message in messages {
            match message {
                SimpleQueryMessage::RowDescription(cols) => {
                    columns = Some(cols.len());
                    rows.clear();
                }
                SimpleQueryMessage::Row(row) => {
                    columns.get_or_insert(row.len());
                    rows.push(
                        (0..row.len())
                            .map(|i| match row.get(i) {
                                None => "NULL".to_string(),
                                Some("") => "(empty)".to_string(),
                                Some(text) => text.to_string(),
                            })
                            .collect(),
                    );
                }
                SimpleQueryMessage::CommandComplete(count) => {
                    output = match columns.take() {
                        Some(n) => DBOutput::Rows {
                            types: vec![DefaultColumnType::Any; n],
                            rows: std::mem::take(&mut rows),
                        },
                        None => DBOutput::StatementComplete(count),
                    };
                }
                _ => {}
            }
        }
        Ok(output)
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "quiver"
    }

    async fn sleep(dur: Duration) {
        tokio::time::sleep(dur).await
    }

    fn error_sql_state(err: &Self::Error) -> Option<String> {
        err.sqlstate.clone()
    }
}

fn collect_slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_slt_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "slt") {
            out.push(path);
        }
    }
}

#[tokio::main]
async fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("sqllogictest");
    // Arguments starting with '-' are libtest flags cargo may pass through (--nocapture, ...).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();

    let mut files = Vec::new();
    collect_slt_files(&root, &mut files);
    let mut files: Vec<(String, PathBuf)> = files
        .into_iter()
        .map(|p| {
            let name = p
                .strip_prefix(&root)
                .unwrap_or(&p)
                .to_string_lossy()
                .into_owned();
            (name, p)
        })
        .filter(|(name, _)| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str())))
        .collect();
    files.sort();

    if files.is_empty() {
        println!(
            "note: no .slt files under {} match {filters:?}",
            root.display()
        );
    }
    let mut server = TestServer::start();
    let mut passed = 0usize;
    let mut failed = 0usize;
    for (name, path) in &files {
        let port = server.port;
        let mut runner = Runner::new(move || async move { Quiver::connect(port).await });
        // QUIVER_SLT_ALL=1 reports every failing record of a file instead of stopping at the first.
        if std::env::var_os("QUIVER_SLT_ALL").is_some() {
            let records = sqllogictest::parse_file::<DefaultColumnType>(path).expect("parse .slt");
            let mut errors = 0;
            for r in records {
                if let Err(e) = runner.run_async(r).await {
                    errors += 1;
                    println!("FAILED {name}\n{}", e.display(false));
                }
            }
            runner.shutdown_async().await;
            if errors == 0 {
                passed += 1;
                println!("ok {name}");
            } else {
                failed += 1;
            }
            continue;
        }
        let result = tokio::time::timeout(FILE_TIMEOUT, runner.run_file_async(path)).await;
        runner.shutdown_async().await;
        match result {
            Ok(Ok(())) => {
                passed += 1;
                println!("ok {name}");
            }
            Ok(Err(e)) => {
                failed += 1;
                println!("FAILED {name}\n{}", e.display(false));
            }
            Err(_) => {
                failed += 1;
                println!("FAILED {name}\ntimed out after {FILE_TIMEOUT:?}");
            }
        }
        if !server.is_running() {
            println!("quiver exited while running {name}; restarting it for the remaining files");
            server.dump_log();
            server.restart();
        }
    }

    if failed > 0 {
        server.dump_log();
    }
    drop(server);
    println!("{passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
