//! The plugin host: loads packs from the plugins directory and runs their
//! components in a sandbox. Only this module touches wasmtime.
//!
//! One [`wasmtime::Engine`] (pooling allocator, epoch interruption) is
//! shared; each component is compiled once into an `InstancePre`; every
//! call gets a fresh `Store` with a memory limit, a deadline, an output cap
//! and a WASI context that grants nothing (no files, sockets, environment
//! or arguments). A trap, timeout or limit hit fails only that call, with
//! a typed [`CallError`].

mod bindings;
mod cache;
mod call;
pub mod config_schema;
pub mod health;
mod imports;
mod loader;
pub mod manifest;
mod registry;
mod runtime;
mod state;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

pub use bindings::{
    Event, HashAlgorithm, Header, NewEvent, Outgoing, Receipt, Rejection, Reply, Secret, TransformError,
    WebhookRequest,
};
pub use cache::{CacheOutcome, ComponentCache};
pub use call::CallError;
pub use imports::compute_hmac;
pub use loader::{CallLimits, PackError};
pub use registry::{ComponentStatus, PackRegistry, PackState, PackStatus, ReloadReport};
pub use runtime::RuntimeError;

use crate::config::PackLimits;
use health::{Health, QuarantinePolicy};
use loader::LoadContext;
use runtime::Runtime;

/// Loads packs and runs their components.
pub struct PluginHost {
    runtime: Runtime,
    cache: ComponentCache,
    registry: RwLock<Arc<PackRegistry>>,
    /// Serialises reloads; readers never wait on it.
    reloading: Mutex<()>,
    limits: PackLimits,
    health: Health,
}

impl PluginHost {
    /// A host with no packs loaded yet. Compiled components are cached in
    /// `cache_dir` when given.
    pub fn new(limits: PackLimits, cache_dir: Option<PathBuf>) -> Result<Self, RuntimeError> {
        let runtime = Runtime::new(&limits)?;
        let cache = ComponentCache::new(cache_dir, runtime.engine());
        let health = Health::new(QuarantinePolicy {
            after_failures: limits.quarantine_after,
            duration: limits.quarantine_for,
        });
        Ok(Self {
            runtime,
            cache,
            registry: RwLock::new(Arc::new(PackRegistry::default())),
            reloading: Mutex::new(()),
            limits,
            health,
        })
    }

    /// Scans `dir` and swaps in the resulting registry: new packs load,
    /// changed ones reload (a failed new version leaves the old one
    /// serving), removed ones unload. Calls in flight finish on the
    /// version they started with. Compiling is CPU-heavy: call this off
    /// the async runtime's worker threads.
    pub fn load_dir(&self, dir: &Path) -> ReloadReport {
        let _one_at_a_time = match self.reloading.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let current = self.registry();
        let (next, report) = PackRegistry::rescan(&self.load_context(), dir, &current);
        for pack in report.updated.iter().chain(&report.added) {
            self.health.lift(pack);
        }
        self.swap(Arc::new(next));
        report
    }

    /// Loads only the pack in `dir` (for fixtures and checks), replacing
    /// what was loaded; returns the pack's name.
    pub fn load_single_pack(&self, dir: &Path) -> Result<String, PackError> {
        let registry = Arc::new(PackRegistry::single(&self.load_context(), dir)?);
        let name = registry.pack_names().into_iter().next().unwrap_or_default();
        self.swap(registry);
        Ok(name)
    }

    /// The packs currently loaded (a snapshot; calls in flight keep theirs).
    pub fn registry(&self) -> Arc<PackRegistry> {
        match self.registry.read() {
            Ok(registry) => Arc::clone(&registry),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The operator's limits.
    pub fn limits(&self) -> &PackLimits {
        &self.limits
    }

    /// Call statistics and quarantines.
    pub fn health(&self) -> &Health {
        &self.health
    }

    fn load_context(&self) -> LoadContext<'_> {
        LoadContext {
            runtime: &self.runtime,
            cache: &self.cache,
            caps: &self.limits,
        }
    }

    fn swap(&self, registry: Arc<PackRegistry>) {
        match self.registry.write() {
            Ok(mut current) => *current = registry,
            Err(poisoned) => *poisoned.into_inner() = registry,
        }
    }
}
