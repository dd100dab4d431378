//! The PostgreSQL wire protocol front end: accept loop, connection limit, graceful shutdown, and
//! the per-connection handlers (`handler`), result encoding (`encode`) and error mapping
//! (`errors`, the one place where errors become ErrorResponses).

pub mod batched;
pub mod encode;
pub mod errors;
pub mod handler;

use std::sync::Arc;

use pgwire::api::cancel::DefaultCancelHandler;
use pgwire::api::{ConnectionManager, PgWireServerHandlers};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::engine::Engine;
use crate::error::{QuiverError, Result};
use handler::Handler;

struct Handlers {
    handler: Arc<Handler>,
    cancel: Arc<DefaultCancelHandler>,
}

impl PgWireServerHandlers for Handlers {
    fn simple_query_handler(&self) -> Arc<impl pgwire::api::query::SimpleQueryHandler> {
        self.handler.clone()
    }
    fn extended_query_handler(&self) -> Arc<impl pgwire::api::query::ExtendedQueryHandler> {
        self.handler.clone()
    }
    fn startup_handler(&self) -> Arc<impl pgwire::api::auth::StartupHandler> {
        self.handler.clone()
    }
    fn copy_handler(&self) -> Arc<impl pgwire::api::copy::CopyHandler> {
        self.handler.clone()
    }
    fn cancel_handler(&self) -> Arc<impl pgwire::api::cancel::CancelHandler> {
        self.cancel.clone()
    }
}

/// Serves clients until `shutdown` resolves, then stops accepting, lets in-flight connections
/// finish their current message for a grace period, and seals growing segments.
pub async fn serve(
    engine: Arc<Engine>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<()> {
    let manager = Arc::new(ConnectionManager::new());
    let cancel = Arc::new(DefaultCancelHandler::new(manager.clone()));
    let slots = Arc::new(Semaphore::new(engine.config.max_connections));
    let mut tasks = tokio::task::JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let (socket, peer) = match accepted {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let Ok(permit) = slots.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, "too many connections; refusing");
                    drop(socket);
                    continue;
                };
                let _ = socket.set_nodelay(true);
                let handlers = Handlers {
                    handler: Arc::new(Handler::new(engine.clone(), manager.clone())),
                    cancel: cancel.clone(),
                };
                tasks.spawn(async move {
                    tracing::debug!(%peer, "connection opened");
                    if let Err(e) = pgwire::tokio::process_socket(socket, None, handlers).await {
                        tracing::debug!(%peer, error = %e, "connection closed with error");
                    }
                    drop(permit);
                });
            }
            Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
        }
    }
    tracing::info!(
        connections = tasks.len(),
        "shutting down: no longer accepting connections"
    );
    let grace = tokio::time::sleep(std::time::Duration::from_secs(5));
    tokio::pin!(grace);
    loop {
        tokio::select! {
            _ = &mut grace => {
                tasks.abort_all();
                break;
            }
            next = tasks.join_next() => if next.is_none() { break },
        }
    }
    let e = engine.clone();
    tokio::task::spawn_blocking(move || e.shutdown())
        .await
        .map_err(|e| QuiverError::Internal(e.to_string()))??;
    tracing::info!("shutdown complete");
    Ok(())
}
