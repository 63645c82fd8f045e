//! Wiring: opens the store, loads packs, starts the committer, router and
//! delivery dispatcher, serves HTTP, and shuts it all down in order.
//!
//! `main` is a thin shell over [`Server::start`]; tests call it too, on
//! `127.0.0.1:0` with a temporary data directory.

mod health;
mod http;
pub mod observe;
pub mod pack_watcher;
mod runtime;
mod stall;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode};
use axum::middleware;
use axum::routing::any;
use tokio::net::TcpListener;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use observe::RequestId;
pub use runtime::runtime;
pub use state::{AppInner, AppState};

use crate::api::{self, AdminToken, ensure_admin_token};
use crate::catalog::Catalog;
use crate::config::{Config, ConfigError};
use crate::crypto::{SealError, SecretBox};
use crate::delivery::Dispatcher;
use crate::delivery::attempt::{Deliverer, DelivererParts};
use crate::delivery::client::{self, ClientError};
use crate::delivery::health::DestinationHealth;
use crate::delivery::recorder::AttemptRecorder;
use crate::delivery::ssrf::AddressPolicy;
use crate::error::ApiError;
use crate::host::{PluginHost, RuntimeError};
use crate::ingest::maintenance::Maintenance;
use crate::ingest::{self, Gateway, RequestLog};
use crate::metrics::Metrics;
use crate::router::Router as EventRouter;
use crate::store::{Committer, Store, StoreError};
use stall::StallWatchdog;

/// Largest admin API request body.
const ADMIN_BODY_LIMIT: usize = 1024 * 1024;

/// Weir could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The WebAssembly runtime could not be created.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
    /// The HTTP client could not be created.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The key sealing secrets at rest is unusable.
    #[error(transparent)]
    Secrets(#[from] SealError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// A background task could not start.
    #[error("cannot start a background task: {0}")]
    Task(String),
}

/// Starts Weir.
pub struct Server;

impl Server {
    /// Binds `config.listen` and starts.
    pub async fn start(config: Config) -> Result<ServerHandle, StartError> {
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.listen,
                source,
            })?;
        Self::start_on(config, listener).await
    }

    /// Starts on an already bound `listener`.
    pub async fn start_on(config: Config, listener: TcpListener) -> Result<ServerHandle, StartError> {
        config.validate()?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let store = Store::open(&config.data_dir, config.ingest.durability)?;
        let admin_token = ensure_admin_token(&store, config.bootstrap_admin_token.as_deref())?;
        let admin_token_hash = store
            .admin_token_hash()?
            .ok_or_else(|| StartError::Task("admin token hash missing after creation".into()))?;
        let default_tenant = ensure_default_tenant(&store)?;

        let cache_dir = config
            .packs
            .compile_cache
            .then(|| config.data_dir.join("cache/components"));
        let host = Arc::new(PluginHost::new(config.packs.clone(), cache_dir)?);
        let plugins_dir = config.plugins_dir.clone();
        let loader = Arc::clone(&host);
        tokio::task::spawn_blocking(move || loader.load_dir(&plugins_dir))
            .await
            .map_err(|e| StartError::Task(e.to_string()))?;

        let recovered = store.recover_inflight()?;
        if recovered > 0 {
            tracing::info!(
                recovered,
                "deliveries interrupted by the last stop are queued again"
            );
        }
        let key_file = config
            .encryption_key_file
            .clone()
            .unwrap_or_else(|| config.data_dir.join("encryption.key"));
        let secrets = Arc::new(SecretBox::load(config.encryption_key.as_deref(), &key_file)?);
        let catalog = Arc::new(Catalog::load(store.clone(), secrets)?);
        let appended = Arc::new(Notify::new());
        let scheduled = Arc::new(Notify::new());
        let (committer, committer_thread) = Committer::start(
            store.clone(),
            config.ingest.max_commit_batch,
            config.ingest.dedupe_retention,
            Arc::clone(&appended),
        )?;
        let stall_watchdog = if config.ingest.commit_stall_limit.is_zero() {
            None
        } else {
            Some(
                StallWatchdog::start(
                    committer.progress(),
                    config.ingest.commit_stall_limit,
                    stall::exit_on_stall,
                )
                .map_err(|e| StartError::Task(e.to_string()))?,
            )
        };
        let (request_log, request_log_thread) =
            RequestLog::start(store.clone(), config.ingest.request_log_queue)
                .map_err(|e| StartError::Task(e.to_string()))?;
        let gateway = Arc::new(Gateway::new(request_log));
        let address_policy = Arc::new(AddressPolicy::new(config.delivery.allow_private_networks.clone()));
        let http = client::build(Arc::clone(&address_policy), config.delivery.proxy_url().as_ref())?;

        let metrics = Arc::new(Metrics::new().map_err(|e| StartError::Task(e.to_string()))?);
        let shutdown = CancellationToken::new();
        let router = EventRouter::new(
            store.clone(),
            Arc::clone(&catalog),
            appended,
            Arc::clone(&scheduled),
        );
        let router_task = tokio::spawn(router.run(shutdown.child_token()));
        let (recorder, recorder_thread) =
            AttemptRecorder::start(store.clone()).map_err(|e| StartError::Task(e.to_string()))?;
        let deliverer = Deliverer::new(DelivererParts {
            store: store.clone(),
            host: Arc::clone(&host),
            catalog: Arc::clone(&catalog),
            client: http,
            policy: Arc::clone(&address_policy),
            config: config.delivery.clone(),
            health: DestinationHealth::new(
                store.clone(),
                Arc::clone(&catalog),
                committer.clone(),
                config.delivery.disable_after,
            ),
            metrics: Arc::clone(&metrics),
            recorder,
        });
        let dispatcher = Dispatcher::new(
            store.clone(),
            deliverer,
            Arc::clone(&scheduled),
            config.delivery.concurrency,
        );
        let dispatcher_task = tokio::spawn(dispatcher.run(shutdown.child_token()));
        let maintenance_task = tokio::spawn(
            Maintenance {
                store: store.clone(),
                gateway: Arc::clone(&gateway),
                prune_interval: config.ingest.prune_interval,
                request_log_retention: config.ingest.request_log_retention,
                event_retention: config.ingest.event_retention,
            }
            .run(shutdown.child_token()),
        );
        let watcher_task = tokio::spawn(pack_watcher::watch(
            Arc::clone(&host),
            config.plugins_dir.clone(),
            shutdown.child_token(),
        ));

        let state = AppState::new(AppInner {
            public_base_url: config.public_base_url(addr),
            config,
            store: store.clone(),
            catalog,
            host,
            committer,
            gateway,
            admin_token_hash,
            address_policy,
            default_tenant,
            scheduled,
            metrics,
        });
        let http_limits = state.config.http.clone();
        let connections_open = state.metrics.connections_open();
        let app = app(state);
        let stop = shutdown.clone();
        let handle_store = store.clone();
        let task = tokio::spawn(async move {
            http::serve(listener, app, &http_limits, connections_open, stop.clone()).await;
            // HTTP has drained (or its drain time is up); stop the
            // background work, then let the committer finish its queue and
            // flush.
            stop.cancel();
            let _ = router_task.await;
            let _ = dispatcher_task.await;
            let _ = watcher_task.await;
            let _ = maintenance_task.await;
            let _ = tokio::task::spawn_blocking(move || {
                // The final flush may take its time; it is not a stall.
                if let Some(watchdog) = stall_watchdog {
                    watchdog.stop();
                }
                // The dispatcher (and with it the recorder's last sender)
                // is gone: the recorder has written everything.
                let _ = recorder_thread.join();
                let _ = committer_thread.join();
                request_log_thread.stop();
            })
            .await;
            // The last checkpoint flushes everything and records that it
            // is on disk (see `store::checkpoint`).
            if let Err(error) = store.checkpoint() {
                tracing::error!(%error, "final checkpoint failed");
                if let Err(error) = store.flush_all() {
                    tracing::error!(%error, "final flush failed");
                }
            }
            Ok(())
        });
        tracing::info!(%addr, "weir is listening");
        Ok(ServerHandle {
            addr,
            store: handle_store,
            admin_token,
            shutdown,
            task,
        })
    }
}

/// The tenant an instance administrator's resources go to by default,
/// created (named `default`) on first start.
fn ensure_default_tenant(store: &Store) -> Result<crate::ids::TenantId, StoreError> {
    if let Some(id) = store.default_tenant()? {
        return Ok(id);
    }
    let tenant = crate::model::Tenant {
        id: crate::ids::TenantId::generate(),
        name: "default".to_owned(),
        limits: crate::model::TenantLimits::default(),
        created_at_ms: crate::time::now_ms(),
    };
    store.put_tenant(&tenant)?;
    store.set_default_tenant(tenant.id)?;
    Ok(tenant.id)
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    Router::new()
        // A wildcard, so that every request under the prefix reaches ingest
        // and is recorded in the request log (a key with `/` is unknown).
        .route(
            "/api/v1/webhooks/{*webhook_key}",
            any(ingest::receive_webhook).layer(DefaultBodyLimit::disable()),
        )
        .merge(api::router(state.clone()).layer(DefaultBodyLimit::max(ADMIN_BODY_LIMIT)))
        .merge(health::router(&state.config))
        .fallback(|| async { ApiError::not_found("no_route", "no such endpoint") })
        // Last, so it covers every route above.
        .method_not_allowed_fallback(|method: Method| async move {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!("this endpoint does not accept {method}; the `Allow` header lists what it does"),
            )
        })
        // Outermost: request id, span and metrics for everything above.
        .layer(middleware::from_fn_with_state(state.clone(), observe::observe))
        .with_state(state)
}

/// A running Weir.
pub struct ServerHandle {
    addr: SocketAddr,
    #[cfg_attr(not(feature = "fault-injection"), allow(dead_code))]
    store: Store,
    admin_token: Option<AdminToken>,
    shutdown: CancellationToken,
    task: JoinHandle<std::io::Result<()>>,
}

impl ServerHandle {
    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The admin token created at this start, if one was (first start
    /// without `WEIR_ADMIN_TOKEN`). Returned once.
    pub fn take_admin_token(&mut self) -> Option<AdminToken> {
        self.admin_token.take()
    }

    /// Makes every store write fail (or work again): for tests proving
    /// that ingest answers 503, never 2xx, when the disk refuses writes.
    #[cfg(feature = "fault-injection")]
    pub fn fail_store_writes_for_tests(&self, fail: bool) {
        self.store.fail_writes_for_tests(fail);
    }

    /// A token whose cancellation starts a graceful shutdown.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Stops gracefully: stop accepting, finish requests and attempts in
    /// flight, flush, return.
    pub async fn shutdown(self) -> std::io::Result<()> {
        self.shutdown.cancel();
        self.wait().await
    }

    /// Waits until the server has stopped.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}
