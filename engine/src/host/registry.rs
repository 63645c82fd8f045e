//! [`PackRegistry`]: the packs found in the plugins directory — loaded ones
//! by name, failed ones with their reason — and the status the API shows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::loader::{LoadedConnector, LoadedPack, LoadedTransformer, PackError, load_pack};
use super::runtime::Runtime;
use crate::model::ComponentRef;

/// Every pack directory and what became of it.
#[derive(Default)]
pub struct PackRegistry {
    loaded: BTreeMap<String, Arc<LoadedPack>>,
    failed: Vec<FailedPack>,
}

/// A pack directory that could not be loaded.
#[derive(Debug, Clone)]
pub struct FailedPack {
    /// The directory.
    pub dir: PathBuf,
    /// The pack's name when the manifest could be read, else the directory's.
    pub name: String,
    /// Why it failed.
    pub error: String,
}

impl PackRegistry {
    /// Loads every sub-directory of `dir` (hidden ones skipped). A pack that
    /// fails is logged and recorded; the others load regardless.
    pub fn load_dir(runtime: &Runtime, dir: &Path) -> Self {
        let mut registry = Self::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(dir = %dir.display(), %error, "cannot read the plugins directory; no packs loaded");
                return registry;
            }
        };
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.is_dir())
            .filter(|path| {
                !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        dirs.sort();
        for pack_dir in dirs {
            registry.add(runtime, &pack_dir);
        }
        registry
    }

    /// A registry holding only the pack in `dir`, or why it cannot load.
    pub fn single(runtime: &Runtime, dir: &Path) -> Result<Self, PackError> {
        let pack = load_pack(runtime, dir)?;
        let mut registry = Self::default();
        registry
            .loaded
            .insert(pack.manifest.pack.name.clone(), Arc::new(pack));
        Ok(registry)
    }

    /// Names of pack `pack`'s connectors.
    pub fn connector_names(&self, pack: &str) -> Vec<String> {
        self.loaded
            .get(pack)
            .map(|p| p.connectors.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Names of pack `pack`'s transformers.
    pub fn transformer_names(&self, pack: &str) -> Vec<String> {
        self.loaded
            .get(pack)
            .map(|p| p.transformers.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Names of the loaded packs.
    pub fn pack_names(&self) -> Vec<String> {
        self.loaded.keys().cloned().collect()
    }

    fn add(&mut self, runtime: &Runtime, dir: &Path) {
        let dir_name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match load_pack(runtime, dir) {
            Ok(pack) => {
                let name = pack.manifest.pack.name.clone();
                if let Some(existing) = self.loaded.get(&name) {
                    let error = format!(
                        "a pack named `{name}` is already loaded from `{}`",
                        existing.dir.display()
                    );
                    tracing::error!(dir = %dir.display(), %error, "pack skipped");
                    self.failed.push(FailedPack {
                        dir: dir.to_owned(),
                        name,
                        error,
                    });
                    return;
                }
                tracing::info!(
                    pack = %name,
                    version = %pack.manifest.pack.version,
                    connectors = pack.connectors.len(),
                    transformers = pack.transformers.len(),
                    "pack loaded"
                );
                self.loaded.insert(name, Arc::new(pack));
            }
            Err(error) => {
                tracing::error!(dir = %dir.display(), %error, "pack failed to load; skipped");
                let name = match &error {
                    PackError::MissingManifest(_) | PackError::Read { .. } | PackError::Manifest(_) => {
                        dir_name
                    }
                    _ => std::fs::read_to_string(dir.join("pack.toml"))
                        .ok()
                        .and_then(|text| super::manifest::PackManifest::parse(&text).ok())
                        .map_or(dir_name, |m| m.pack.name),
                };
                self.failed.push(FailedPack {
                    dir: dir.to_owned(),
                    name,
                    error: error.to_string(),
                });
            }
        }
    }

    /// The connector `reference`, if loaded.
    pub fn connector(&self, reference: &ComponentRef) -> Option<Arc<LoadedConnector>> {
        self.loaded
            .get(&reference.pack)?
            .connectors
            .get(&reference.component)
            .cloned()
    }

    /// The transformer `reference`, if loaded.
    pub fn transformer(&self, reference: &ComponentRef) -> Option<Arc<LoadedTransformer>> {
        self.loaded
            .get(&reference.pack)?
            .transformers
            .get(&reference.component)
            .cloned()
    }

    /// Status of every pack, loaded ones first, for the API.
    pub fn statuses(&self) -> Vec<PackStatus> {
        let loaded = self.loaded.values().map(|pack| PackStatus {
            name: pack.manifest.pack.name.clone(),
            state: PackState::Loaded,
            version: Some(pack.manifest.pack.version.clone()),
            description: pack.manifest.pack.description.clone(),
            dir: pack.dir.display().to_string(),
            error: None,
            connectors: pack
                .connectors
                .values()
                .map(|c| ComponentStatus::of(&pack.manifest.pack.name, &c.section, &c.imports))
                .collect(),
            transformers: pack
                .transformers
                .values()
                .map(|t| ComponentStatus::of(&pack.manifest.pack.name, &t.section, &t.imports))
                .collect(),
        });
        let failed = self.failed.iter().map(|failed| PackStatus {
            name: failed.name.clone(),
            state: PackState::Failed,
            version: None,
            description: None,
            dir: failed.dir.display().to_string(),
            error: Some(failed.error.clone()),
            connectors: Vec::new(),
            transformers: Vec::new(),
        });
        loaded.chain(failed).collect()
    }
}

/// Whether a pack is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PackState {
    /// Every component compiled and linked.
    Loaded,
    /// The pack was skipped; `error` says why.
    Failed,
}

/// A pack as `GET /api/v1/packs` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PackStatus {
    /// Pack name.
    pub name: String,
    /// Loaded or failed.
    pub state: PackState,
    /// The pack's version, when loaded.
    pub version: Option<String>,
    /// One line for operators.
    pub description: Option<String>,
    /// Where it was found.
    pub dir: String,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Its connectors.
    pub connectors: Vec<ComponentStatus>,
    /// Its transformers.
    pub transformers: Vec<ComponentStatus>,
}

/// A component as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ComponentStatus {
    /// Component name.
    pub name: String,
    /// How triggers and rules refer to it, e.g. `github`.
    pub reference: String,
    /// One line for operators.
    pub description: Option<String>,
    /// Connectors: the secrets a trigger must provide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<String>,
    /// Connectors: event types emitted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Transformers: event types handled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepts: Vec<String>,
    /// The interfaces the component imports.
    pub imports: Vec<String>,
}

impl ComponentStatus {
    fn of(pack: &str, section: &super::manifest::ComponentSection, imports: &[String]) -> Self {
        Self {
            name: section.name.clone(),
            reference: ComponentRef::new(pack, section.name.clone()).to_string(),
            description: section.description.clone(),
            secrets: section.secrets.clone(),
            event_types: section.event_types.clone(),
            accepts: section.accepts.clone(),
            imports: imports.to_vec(),
        }
    }
}
