//! [`PackRegistry`]: the packs found in the plugins directory — loaded ones
//! by name, failed ones with their reason — and how a rescan turns one
//! registry into the next.
//!
//! A registry is immutable; reloading builds a new one and the host swaps
//! it in atomically, so calls in flight finish on the version they
//! started with. A rescan recompiles only packs whose files changed (a
//! cheap stat-based stamp); when a new version fails to load, the old one
//! keeps serving and the failure is reported beside it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use serde::Serialize;

use super::loader::{CallLimits, LoadContext, LoadedConnector, LoadedPack, LoadedTransformer, load_pack};
use crate::model::ComponentRef;
use crate::time::{UnixMillis, now_ms};

/// Every pack directory and what became of it.
#[derive(Default)]
pub struct PackRegistry {
    entries: Vec<PackEntry>,
    by_name: BTreeMap<String, Arc<LoadedPack>>,
}

/// One pack directory.
#[derive(Clone)]
struct PackEntry {
    dir: PathBuf,
    stamp: DirStamp,
    state: EntryState,
}

#[derive(Clone)]
enum EntryState {
    Loaded {
        pack: Arc<LoadedPack>,
        loaded_at_ms: UnixMillis,
        /// A newer version in the directory failed to load; the loaded one
        /// keeps serving.
        last_error: Option<String>,
    },
    Failed {
        name: String,
        error: String,
    },
}

/// Sizes and modification times of a pack directory's files: changes when
/// anything in it is replaced, without reading the files.
#[derive(Clone, PartialEq, Eq, Default)]
struct DirStamp(Vec<(PathBuf, u64, Option<SystemTime>)>);

impl DirStamp {
    fn of(dir: &Path) -> Self {
        let mut files = Vec::new();
        collect_stamps(dir, &mut files, 0);
        files.sort();
        Self(files)
    }
}

fn collect_stamps(dir: &Path, into: &mut Vec<(PathBuf, u64, Option<SystemTime>)>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(metadata) = entry.metadata() else { continue };
        if metadata.is_dir() {
            // Schemas live one level down; fixtures and build output do not matter.
            if depth == 0 && path.file_name().is_some_and(|n| n != "fixtures" && n != "target") {
                collect_stamps(&path, into, depth + 1);
            }
        } else {
            into.push((path, metadata.len(), metadata.modified().ok()));
        }
    }
}

/// What a reload changed, for the log.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ReloadReport {
    /// Packs loaded for the first time.
    pub added: Vec<String>,
    /// Packs whose new version replaced the old.
    pub updated: Vec<String>,
    /// Packs whose directory disappeared.
    pub removed: Vec<String>,
    /// Pack directories that failed to load (new ones, or new versions of
    /// loaded ones, which keep serving).
    pub failed: Vec<String>,
}

impl ReloadReport {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty() && self.failed.is_empty()
    }
}

impl PackRegistry {
    /// Scans `dir` (one sub-directory per pack; hidden ones skipped) and
    /// builds the next registry from `previous`, reusing unchanged packs.
    pub fn rescan(context: &LoadContext<'_>, dir: &Path, previous: &Self) -> (Self, ReloadReport) {
        let mut report = ReloadReport::default();
        let dirs = match pack_dirs(dir) {
            Ok(dirs) => dirs,
            Err(error) => {
                tracing::warn!(dir = %dir.display(), %error, "cannot read the plugins directory; keeping the packs loaded");
                return (previous.clone(), report);
            }
        };
        let mut entries = Vec::with_capacity(dirs.len());
        for pack_dir in dirs {
            let stamp = DirStamp::of(&pack_dir);
            let old = previous.entries.iter().find(|e| e.dir == pack_dir);
            if let Some(old) = old.filter(|old| old.stamp == stamp) {
                entries.push(old.clone());
                continue;
            }
            let state = match load_pack(context, &pack_dir) {
                Ok(pack) => {
                    let name = pack.manifest.pack.name.clone();
                    match old.map(|o| &o.state) {
                        Some(EntryState::Loaded { .. }) => report.updated.push(name.clone()),
                        _ => report.added.push(name.clone()),
                    }
                    tracing::info!(
                        pack = %name,
                        version = %pack.manifest.pack.version,
                        connectors = pack.connectors.len(),
                        transformers = pack.transformers.len(),
                        "pack loaded"
                    );
                    EntryState::Loaded {
                        pack: Arc::new(pack),
                        loaded_at_ms: now_ms(),
                        last_error: None,
                    }
                }
                Err(error) => {
                    let error = error.to_string();
                    report.failed.push(pack_dir.display().to_string());
                    match old.map(|o| &o.state) {
                        Some(EntryState::Loaded {
                            pack, loaded_at_ms, ..
                        }) => {
                            tracing::error!(dir = %pack_dir.display(), %error, "new pack version failed to load; the loaded version keeps serving");
                            EntryState::Loaded {
                                pack: Arc::clone(pack),
                                loaded_at_ms: *loaded_at_ms,
                                last_error: Some(error),
                            }
                        }
                        _ => {
                            tracing::error!(dir = %pack_dir.display(), %error, "pack failed to load; skipped");
                            EntryState::Failed {
                                name: name_for_failed(&pack_dir),
                                error,
                            }
                        }
                    }
                }
            };
            entries.push(PackEntry {
                dir: pack_dir,
                stamp,
                state,
            });
        }
        for old in &previous.entries {
            if !entries.iter().any(|e| e.dir == old.dir)
                && let EntryState::Loaded { pack, .. } = &old.state
            {
                tracing::info!(pack = %pack.manifest.pack.name, "pack removed");
                report.removed.push(pack.manifest.pack.name.clone());
            }
        }
        (Self::index(entries), report)
    }

    /// Builds the name index; a second pack with a name already taken is
    /// marked failed.
    fn index(mut entries: Vec<PackEntry>) -> Self {
        let mut by_name: BTreeMap<String, Arc<LoadedPack>> = BTreeMap::new();
        for entry in &mut entries {
            if let EntryState::Loaded { pack, .. } = &entry.state {
                let name = pack.manifest.pack.name.clone();
                if let Some(existing) = by_name.get(&name) {
                    let error = format!(
                        "a pack named `{name}` is already loaded from `{}`",
                        existing.dir.display()
                    );
                    tracing::error!(dir = %entry.dir.display(), %error, "pack skipped");
                    entry.state = EntryState::Failed { name, error };
                } else {
                    by_name.insert(name, Arc::clone(pack));
                }
            }
        }
        Self { entries, by_name }
    }

    /// A registry holding only the pack in `dir`, or why it cannot load.
    pub fn single(context: &LoadContext<'_>, dir: &Path) -> Result<Self, super::PackError> {
        let pack = load_pack(context, dir)?;
        Ok(Self::index(vec![PackEntry {
            dir: dir.to_owned(),
            stamp: DirStamp::of(dir),
            state: EntryState::Loaded {
                pack: Arc::new(pack),
                loaded_at_ms: now_ms(),
                last_error: None,
            },
        }]))
    }

    /// The connector `reference`, if loaded.
    pub fn connector(&self, reference: &ComponentRef) -> Option<Arc<LoadedConnector>> {
        self.by_name
            .get(&reference.pack)?
            .connectors
            .get(&reference.component)
            .cloned()
    }

    /// The transformer `reference`, if loaded.
    pub fn transformer(&self, reference: &ComponentRef) -> Option<Arc<LoadedTransformer>> {
        self.by_name
            .get(&reference.pack)?
            .transformers
            .get(&reference.component)
            .cloned()
    }

    /// Names of pack `pack`'s connectors.
    pub fn connector_names(&self, pack: &str) -> Vec<String> {
        self.by_name
            .get(pack)
            .map(|p| p.connectors.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Names of pack `pack`'s transformers.
    pub fn transformer_names(&self, pack: &str) -> Vec<String> {
        self.by_name
            .get(pack)
            .map(|p| p.transformers.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Names of the loaded packs.
    pub fn pack_names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    /// Status of every pack directory, for the API.
    pub fn statuses(&self) -> Vec<PackStatus> {
        self.entries
            .iter()
            .map(|entry| match &entry.state {
                EntryState::Loaded {
                    pack,
                    loaded_at_ms,
                    last_error,
                } => {
                    let name = &pack.manifest.pack.name;
                    PackStatus {
                        name: name.clone(),
                        state: PackState::Loaded,
                        version: Some(pack.manifest.pack.version.clone()),
                        description: pack.manifest.pack.description.clone(),
                        dir: entry.dir.display().to_string(),
                        loaded_at: Some(crate::time::rfc3339(*loaded_at_ms)),
                        error: last_error.clone(),
                        connectors: pack
                            .connectors
                            .values()
                            .map(|c| ComponentStatus::of(name, &c.section, &c.imports, c.limits))
                            .collect(),
                        transformers: pack
                            .transformers
                            .values()
                            .map(|t| ComponentStatus::of(name, &t.section, &t.imports, t.limits))
                            .collect(),
                    }
                }
                EntryState::Failed { name, error } => PackStatus {
                    name: name.clone(),
                    state: PackState::Failed,
                    version: None,
                    description: None,
                    dir: entry.dir.display().to_string(),
                    loaded_at: None,
                    error: Some(error.clone()),
                    connectors: Vec::new(),
                    transformers: Vec::new(),
                },
            })
            .collect()
    }
}

impl Clone for PackRegistry {
    fn clone(&self) -> Self {
        Self {
            entries: self.entries.clone(),
            by_name: self.by_name.clone(),
        }
    }
}

/// Sub-directories of `dir`, sorted, hidden ones (staging areas) skipped.
fn pack_dirs(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)?
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
    Ok(dirs)
}

/// The pack's name from its manifest when readable, else the directory's.
fn name_for_failed(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("pack.toml"))
        .ok()
        .and_then(|text| super::manifest::PackManifest::parse(&text).ok())
        .map(|manifest| manifest.pack.name)
        .unwrap_or_else(|| {
            dir.file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        })
}

/// Whether a pack is usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackState {
    /// Every component compiled and linked.
    Loaded,
    /// The pack was skipped; `error` says why.
    Failed,
}

/// A pack as `GET /api/v1/packs` shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PackStatus {
    /// Pack name.
    pub name: String,
    /// Loaded or failed.
    pub state: PackState,
    /// The loaded version.
    pub version: Option<String>,
    /// One line for operators.
    pub description: Option<String>,
    /// Where it was found.
    pub dir: String,
    /// When the loaded version was loaded, RFC 3339.
    pub loaded_at: Option<String>,
    /// Why it failed; for a loaded pack, why its newer version did not load.
    pub error: Option<String>,
    /// Its connectors.
    pub connectors: Vec<ComponentStatus>,
    /// Its transformers.
    pub transformers: Vec<ComponentStatus>,
}

/// A component as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// Connectors: secrets a trigger may provide.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub optional_secrets: Vec<String>,
    /// Connectors: event types emitted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub event_types: Vec<String>,
    /// Transformers: event types handled.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub accepts: Vec<String>,
    /// The interfaces the component imports.
    pub imports: Vec<String>,
    /// The limits each call runs under.
    #[schema(value_type = Object)]
    pub limits: CallLimits,
}

impl ComponentStatus {
    fn of(
        pack: &str,
        section: &super::manifest::ComponentSection,
        imports: &[String],
        limits: CallLimits,
    ) -> Self {
        Self {
            name: section.name.clone(),
            reference: ComponentRef::new(pack, section.name.clone()).to_string(),
            description: section.description.clone(),
            secrets: section.secrets.clone(),
            optional_secrets: section.optional_secrets.clone(),
            event_types: section.event_types.clone(),
            accepts: section.accepts.clone(),
            imports: imports.to_vec(),
            limits,
        }
    }
}
