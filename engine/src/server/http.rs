//! The HTTP server loop: accepts connections and serves each with hyper's
//! HTTP/1 under the `[http]` limits, then drains them at shutdown.
//!
//! `axum::serve` sets no timer, so hyper's header read timeout never
//! fires there: a client that sends half a request line keeps its
//! connection (and a task) forever, and a graceful stop waits for it
//! forever. Here every connection has a header read timeout, at most
//! `max_connections` are open at once, and a stop asks each connection to
//! finish its request, then closes whatever is still open after
//! `shutdown_drain`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use prometheus::IntGauge;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower_service::Service as _;

use crate::config::HttpConfig;

/// How long to wait before accepting again after `accept` failed (out of
/// file descriptors, for one), so the loop does not spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// Serves `router` on `listener` until `shutdown`, then drains; closes
/// the connections still open after `limits.shutdown_drain`. `open`
/// follows the number of open connections.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpConfig,
    open: IntGauge,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    loop {
        while connections.try_join_next().is_some() {}
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = Arc::clone(&slots).acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting a connection failed; retrying shortly");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        // Webhook answers are small; do not hold them back for Nagle.
        let _ = stream.set_nodelay(true);
        // Each request carries the peer's address, what
        // `ConnectInfo<SocketAddr>` extracts.
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().call(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        let counted = Counted::new(&open);
        connections.spawn(async move {
            // Both are released when the connection ends or, after the
            // drain, is closed (its task dropped).
            let _held = (slot, counted);
            // A client that goes away or times out is not an error of ours.
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_drain, graceful.shutdown())
        .await
        .is_ok()
    {
        return;
    }
    tracing::warn!(
        open = open.get(),
        drain_s = limits.shutdown_drain.as_secs(),
        "connections still open after the shutdown drain; closing them"
    );
    connections.shutdown().await;
}

/// One open connection in the `open` gauge, for as long as it lives.
struct Counted(IntGauge);

impl Counted {
    fn new(open: &IntGauge) -> Self {
        open.inc();
        Self(open.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.dec();
    }
}
