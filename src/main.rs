//! The `quiver` binary: parses the command line and configuration, opens the engine and serves.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use quiver::config::Config;
use quiver::engine::Engine;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "quiver",
    version,
    about = "A vector database that speaks PostgreSQL and pgvector"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve {
        /// Address to listen on [default: 127.0.0.1:5433].
        #[arg(long, env = "QUIVER_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        /// Data directory [default: ./quiver-data].
        #[arg(long, env = "QUIVER_DATA_DIR")]
        data_dir: Option<PathBuf>,
        /// TOML configuration file (keys: listen, data_dir, segment_max_rows, sync_commit,
        /// max_connections); flags and environment variables override it.
        #[arg(long, env = "QUIVER_CONFIG")]
        config: Option<PathBuf>,
    },
    /// Benchmark a server speaking PostgreSQL with pgvector's SQL (quiver or PostgreSQL +
    /// pgvector): load, index build, recall / QPS / latency sweep, filtered and exact search.
    Bench(Box<quiver::bench::BenchArgs>),
    /// Retrieval quality (recall@10, nDCG@10 of the gold passage) and latency of BM25, dense and
    /// hybrid search on a data set with text and relevance labels.
    BenchHybrid(Box<quiver::bench::hybrid::HybridBenchArgs>),
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown signal received");
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_target(false)
        .init();
    let cli = Cli::parse();
    let (listen, data_dir, config) = match cli.command {
        Command::Serve {
            listen,
            data_dir,
            config,
        } => (listen, data_dir, config),
        Command::BenchHybrid(args) => {
            return match quiver::bench::hybrid::run(*args) {
                Ok(_) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("quiver bench-hybrid: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
        Command::Bench(args) => {
            return match quiver::bench::run(*args) {
                Ok(_) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("quiver bench: {e:#}");
                    std::process::ExitCode::FAILURE
                }
            };
        }
    };
    let mut cfg = match config {
        Some(path) => match Config::from_file(&path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("quiver: {e}");
                return std::process::ExitCode::FAILURE;
            }
        },
        None => Config::default(),
    };
    if let Some(l) = listen {
        cfg.listen = l;
    }
    if let Some(d) = data_dir {
        cfg.data_dir = d;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("quiver: could not start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        let engine = Engine::open(cfg.clone())?;
        let listener = tokio::net::TcpListener::bind(cfg.listen).await.map_err(|e| {
            quiver::error::QuiverError::Io(format!("could not listen on {}: {e}", cfg.listen))
        })?;
        tracing::info!(listen = %cfg.listen, data_dir = %cfg.data_dir.display(), "quiver is ready to accept connections");
        quiver::server::serve(engine, listener, shutdown_signal()).await
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("quiver: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
