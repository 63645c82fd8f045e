//! The outbound HTTP client: pooled HTTP/1.1 and HTTP/2 over rustls, DNS
//! through the SSRF guard, no redirects, no proxies from the environment.

use std::sync::Arc;
use std::time::Duration;

use super::ssrf::{AddressPolicy, GuardedResolver};

/// Time allowed to establish a connection (within the attempt's timeout).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle pooled connections are closed after this long.
const POOL_IDLE: Duration = Duration::from_secs(60);

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// Builds the delivery client enforcing `policy`, sending through `proxy`
/// when the operator configured one (`delivery.proxy`; the environment's
/// proxy variables are never read).
pub fn build(policy: Arc<AddressPolicy>, proxy: Option<&url::Url>) -> Result<reqwest::Client, ClientError> {
    // reqwest is built without a default TLS provider; ring is the one we
    // link. Installing twice (several servers in one process) is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let proxy_host = proxy.and_then(|url| url.host_str()).map(str::to_owned);
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("Weir/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(GuardedResolver::new(policy, proxy_host)))
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(POOL_IDLE)
        .tcp_nodelay(true);
    if let Some(proxy) = proxy {
        builder = builder.proxy(reqwest::Proxy::all(proxy.as_str())?);
    }
    Ok(builder.build()?)
}
