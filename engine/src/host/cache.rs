//! [`ComponentCache`]: compiled components kept on disk by content hash, so
//! a restart with many packs deserializes them (fractions of a
//! millisecond each) instead of compiling them again (tens to hundreds of
//! milliseconds each).
//!
//! The key is the SHA-256 of the component bytes plus the engine's
//! compatibility hash (wasmtime version and every setting that affects
//! generated code), so a cache written by another build or configuration
//! is never used; unreadable or stale entries are recompiled and
//! overwritten. The directory must be as protected as the `weir` binary
//! itself: its files are loaded as native code.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept; `None` disables caching.
pub struct ComponentCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

/// How a component was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled (and stored when caching is on).
    Compiled,
}

impl ComponentCache {
    /// A cache in `dir` (created on first write) for `engine`.
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        Self {
            dir,
            engine_key: format!("{:016x}", hasher.finish()),
        }
    }

    /// The component for `bytes`: from the cache when present and valid,
    /// otherwise compiled and cached.
    pub fn load_or_compile(
        &self,
        engine: &Engine,
        bytes: &[u8],
    ) -> wasmtime::Result<(Component, CacheOutcome)> {
        let Some(path) = self.path_for(bytes) else {
            return Ok((Component::new(engine, bytes)?, CacheOutcome::Compiled));
        };
        if path.is_file() {
            match deserialize(engine, &path) {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "unusable cache entry; recompiling");
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        let component = Component::new(engine, bytes)?;
        if let Err(error) = store(&path, &component) {
            tracing::warn!(path = %path.display(), %error, "cannot write the compiled-component cache");
        }
        Ok((component, CacheOutcome::Compiled))
    }

    fn path_for(&self, bytes: &[u8]) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        let digest = hex::encode(Sha256::digest(bytes));
        Some(dir.join(format!("{digest}-{}.cwasm", self.engine_key)))
    }
}

/// Loads a precompiled component written by [`store`].
#[allow(unsafe_code)]
fn deserialize(engine: &Engine, path: &Path) -> wasmtime::Result<Component> {
    // SAFETY: `Component::deserialize_file` trusts its input to be a
    // component serialized by a compatible engine. Cache files are written
    // only by `store` below, under a name that embeds the engine's
    // compatibility hash, in a directory as protected as the binary (see
    // the module documentation); wasmtime also checks the version and
    // settings recorded in the file and errors on a mismatch.
    unsafe { Component::deserialize_file(engine, path) }
}

/// Writes `component` to `path` atomically (temporary file, then rename),
/// so a crash never leaves a truncated entry under the final name.
fn store(path: &Path, component: &Component) -> std::io::Result<()> {
    let bytes = component.serialize().map_err(std::io::Error::other)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)
}
