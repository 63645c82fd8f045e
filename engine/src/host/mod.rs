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
mod call;
mod imports;
mod loader;
pub mod manifest;
mod registry;
mod runtime;
mod state;

use std::path::Path;
use std::sync::{Arc, RwLock};

pub use bindings::{
    Event, HashAlgorithm, Header, NewEvent, Outgoing, Receipt, Rejection, Reply, Secret, TransformError,
    WebhookRequest,
};
pub use call::CallError;
pub use imports::compute_hmac;
pub use loader::PackError;
pub use registry::{ComponentStatus, PackRegistry, PackState, PackStatus};
pub use runtime::RuntimeError;

use crate::config::PackLimits;
use runtime::Runtime;

/// Loads packs and runs their components.
pub struct PluginHost {
    runtime: Runtime,
    registry: RwLock<Arc<PackRegistry>>,
    limits: PackLimits,
}

impl PluginHost {
    /// A host with no packs loaded yet.
    pub fn new(limits: PackLimits) -> Result<Self, RuntimeError> {
        Ok(Self {
            runtime: Runtime::new(&limits)?,
            registry: RwLock::new(Arc::new(PackRegistry::default())),
            limits,
        })
    }

    /// Loads every pack in `dir`, replacing what was loaded. Broken packs
    /// are recorded and skipped. Compiling is CPU-heavy: call this off the
    /// async runtime's worker threads.
    pub fn load_dir(&self, dir: &Path) -> Arc<PackRegistry> {
        let registry = Arc::new(PackRegistry::load_dir(&self.runtime, dir));
        match self.registry.write() {
            Ok(mut current) => *current = Arc::clone(&registry),
            Err(poisoned) => *poisoned.into_inner() = Arc::clone(&registry),
        }
        registry
    }

    /// Loads only the pack in `dir` (for fixtures and checks), replacing
    /// what was loaded; returns the pack's name.
    pub fn load_single_pack(&self, dir: &Path) -> Result<String, PackError> {
        let registry = Arc::new(PackRegistry::single(&self.runtime, dir)?);
        let name = registry.pack_names().into_iter().next().unwrap_or_default();
        match self.registry.write() {
            Ok(mut current) => *current = registry,
            Err(poisoned) => *poisoned.into_inner() = registry,
        }
        Ok(name)
    }

    /// The packs currently loaded (a snapshot; calls in flight keep theirs).
    pub fn registry(&self) -> Arc<PackRegistry> {
        match self.registry.read() {
            Ok(registry) => Arc::clone(&registry),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The limits applied to every call.
    pub fn limits(&self) -> &PackLimits {
        &self.limits
    }
}
