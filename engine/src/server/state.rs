//! [`AppState`]: what every handler can reach.

use std::ops::Deref;
use std::sync::Arc;

use crate::api::Caller;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::delivery::ssrf::AddressPolicy;
use crate::error::ApiError;
use crate::host::PluginHost;
use crate::ids::TenantId;
use crate::ingest::Gateway;
use crate::store::{Committer, Store};

/// Shared state of the HTTP application; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<AppInner>);

/// The contents of [`AppState`].
pub struct AppInner {
    /// The configuration Weir started with.
    pub config: Config,
    /// The store.
    pub store: Store,
    /// Trigger and rule snapshots.
    pub catalog: Arc<Catalog>,
    /// Loaded packs.
    pub host: Arc<PluginHost>,
    /// The ingest group committer.
    pub committer: Committer,
    /// Ingest's rate limiters, quota reservations and request log queue.
    pub gateway: Arc<Gateway>,
    /// Base of printed webhook URLs, e.g. `https://hooks.example.com`.
    pub public_base_url: String,
    /// SHA-256 of the admin token.
    pub admin_token_hash: [u8; 32],
    /// Which addresses deliveries may reach.
    pub address_policy: Arc<AddressPolicy>,
    /// Where an instance administrator's new resources go by default.
    pub default_tenant: TenantId,
    /// Wakes the delivery dispatcher (new or requeued deliveries).
    pub scheduled: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Wraps `inner`.
    pub fn new(inner: AppInner) -> Self {
        Self(Arc::new(inner))
    }

    /// Tells the dispatcher there is new work (after a replay).
    pub fn wake_dispatcher(&self) {
        self.scheduled.notify_one();
    }

    /// The tenant a new resource of `caller` belongs to (see
    /// [`Caller::tenant_for_new`]); an unknown tenant is a 404.
    pub fn tenant_for_new(&self, caller: &Caller, requested: Option<TenantId>) -> Result<TenantId, ApiError> {
        let tenant = caller.tenant_for_new(requested, self.default_tenant)?;
        if self.store.tenant(tenant)?.is_none() {
            return Err(ApiError::not_found("not_found", format!("no tenant `{tenant}`")));
        }
        Ok(tenant)
    }
}

impl Deref for AppState {
    type Target = AppInner;

    fn deref(&self) -> &AppInner {
        &self.0
    }
}
