//! Loading a pack directory: manifest, components compiled and checked
//! against their world, `InstancePre`s ready for calls.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use wasmtime::component::Component;

use super::bindings::{connector, transformer};
use super::cache::ComponentCache;
use super::manifest::{ComponentSection, ManifestError, PackManifest, WIT_VERSION, wit_compatible};
use super::runtime::Runtime;
use super::state::CallState;
use crate::config::PackLimits;

/// Why a pack could not be loaded. The engine keeps running; the pack is
/// reported as failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PackError {
    /// The directory has no `pack.toml`.
    #[error("no pack.toml in `{0}`")]
    MissingManifest(PathBuf),
    /// A file could not be read.
    #[error("cannot read `{path}`: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The manifest is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// A component file is not a valid component.
    #[error("component `{component}` does not compile: {message}")]
    Compile {
        /// Component name.
        component: String,
        /// The compiler's complaint.
        message: String,
    },
    /// A component does not export the interface its section requires.
    #[error(
        "component `{component}` is declared as a {expected} but does not export `weir:pack/{interface}` ({found})"
    )]
    WrongWorld {
        /// Component name.
        component: String,
        /// `connector` or `transformer`.
        expected: &'static str,
        /// The interface it must export.
        interface: &'static str,
        /// What it exports instead.
        found: String,
    },
    /// A component was built for an incompatible `weir:pack` version.
    #[error(
        "component `{component}` was built for weir:pack@{found} but this engine implements weir:pack@{WIT_VERSION}; rebuild it against {WIT_VERSION}"
    )]
    IncompatibleWit {
        /// Component name.
        component: String,
        /// The version it targets.
        found: String,
    },
    /// A component imports a capability packs may not have (files,
    /// sockets, outgoing HTTP).
    #[error("component `{component}` imports what packs may not use: {refused}")]
    ForbiddenImport {
        /// Component name.
        component: String,
        /// Each refused import with the reason, e.g. ``wasi:sockets/tcp@0.2.6` (packs have no network access)`.
        refused: String,
    },
    /// A declared JSON Schema file is missing or not JSON.
    #[error("schema `{path}` of component `{component}` is unusable: {message}")]
    Schema {
        /// Component name.
        component: String,
        /// The schema file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A component imports something Weir does not provide.
    #[error("component `{component}` cannot be linked: {message}")]
    Link {
        /// Component name.
        component: String,
        /// Which import is missing.
        message: String,
    },
}

/// A loaded connector, ready to instantiate per call.
pub struct LoadedConnector {
    /// `pack/component`, for logs and errors.
    pub label: Arc<str>,
    /// Its manifest section.
    pub section: ComponentSection,
    /// The interfaces the component imports, e.g. `wasi:cli/stdout@0.2.6`.
    pub imports: Vec<String>,
    /// Limits applied to each call.
    pub limits: CallLimits,
    /// The JSON Schema of its configuration, if declared.
    pub config_schema: Option<serde_json::Value>,
    /// Pre-linked instance factory.
    pub pre: connector::ConnectorPre<CallState>,
}

/// A loaded transformer, ready to instantiate per call.
pub struct LoadedTransformer {
    /// `pack/component`, for logs and errors.
    pub label: Arc<str>,
    /// Its manifest section.
    pub section: ComponentSection,
    /// The interfaces the component imports.
    pub imports: Vec<String>,
    /// Limits applied to each call.
    pub limits: CallLimits,
    /// The JSON Schema of its configuration, if declared.
    pub config_schema: Option<serde_json::Value>,
    /// Pre-linked instance factory.
    pub pre: transformer::TransformerPre<CallState>,
}

/// The limits one call runs under: what the pack asked for, capped by the
/// operator's `[packs]` settings (which are also the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CallLimits {
    /// Linear memory, in bytes.
    pub memory_bytes: usize,
    /// Wall-clock budget, in milliseconds.
    pub call_timeout_ms: u64,
}

impl CallLimits {
    /// The effective limits for `manifest` under the operator's `caps`.
    pub fn effective(manifest: &PackManifest, caps: &PackLimits) -> Self {
        let asked = &manifest.pack.limits;
        let cap_ms = u64::try_from(caps.call_timeout.as_millis()).unwrap_or(u64::MAX);
        Self {
            memory_bytes: asked
                .memory_bytes
                .map_or(caps.memory_bytes, |m| m.min(caps.memory_bytes)),
            call_timeout_ms: asked.call_timeout.map_or(cap_ms, |t| {
                u64::try_from(t.as_millis()).unwrap_or(u64::MAX).min(cap_ms)
            }),
        }
    }
}

/// What loading needs: the engine, the compiled-component cache and the
/// operator's caps.
pub struct LoadContext<'a> {
    /// Engine and linkers.
    pub runtime: &'a Runtime,
    /// Compiled components on disk.
    pub cache: &'a ComponentCache,
    /// The operator's limits.
    pub caps: &'a PackLimits,
}

/// A pack whose every component compiled and linked.
pub struct LoadedPack {
    /// Its manifest.
    pub manifest: PackManifest,
    /// Where it was loaded from.
    pub dir: PathBuf,
    /// Connectors by name.
    pub connectors: BTreeMap<String, Arc<LoadedConnector>>,
    /// Transformers by name.
    pub transformers: BTreeMap<String, Arc<LoadedTransformer>>,
}

/// Loads the pack in `dir`; all or nothing.
pub fn load_pack(context: &LoadContext<'_>, dir: &Path) -> Result<LoadedPack, PackError> {
    let runtime = context.runtime;
    let manifest_path = dir.join("pack.toml");
    if !manifest_path.is_file() {
        return Err(PackError::MissingManifest(dir.to_owned()));
    }
    let text = read_to_string(&manifest_path)?;
    let manifest = PackManifest::parse(&text)?;
    let pack = manifest.pack.name.clone();
    let limits = CallLimits::effective(&manifest, context.caps);
    let mut connectors = BTreeMap::new();
    for section in &manifest.connectors {
        let component = compile(context, dir, section, Kind::Connector)?;
        let config_schema = read_schema(dir, section)?;
        let imports = checked_imports(runtime, section, &component)?;
        let pre = runtime
            .connector_linker()
            .instantiate_pre(&component)
            .and_then(connector::ConnectorPre::new)
            .map_err(|e| link_error(section, &e))?;
        connectors.insert(
            section.name.clone(),
            Arc::new(LoadedConnector {
                label: format!("{pack}/{}", section.name).into(),
                section: section.clone(),
                imports,
                limits,
                config_schema,
                pre,
            }),
        );
    }
    let mut transformers = BTreeMap::new();
    for section in &manifest.transformers {
        let component = compile(context, dir, section, Kind::Transformer)?;
        let config_schema = read_schema(dir, section)?;
        let imports = checked_imports(runtime, section, &component)?;
        let pre = runtime
            .transformer_linker()
            .instantiate_pre(&component)
            .and_then(transformer::TransformerPre::new)
            .map_err(|e| link_error(section, &e))?;
        transformers.insert(
            section.name.clone(),
            Arc::new(LoadedTransformer {
                label: format!("{pack}/{}", section.name).into(),
                section: section.clone(),
                imports,
                limits,
                config_schema,
                pre,
            }),
        );
    }
    Ok(LoadedPack {
        manifest,
        dir: dir.to_owned(),
        connectors,
        transformers,
    })
}

#[derive(Clone, Copy)]
enum Kind {
    Connector,
    Transformer,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Connector => "connector",
            Self::Transformer => "transformer",
        }
    }

    fn interface(self) -> &'static str {
        match self {
            Self::Connector => "inbound",
            Self::Transformer => "outbound",
        }
    }
}

fn read_to_string(path: &Path) -> Result<String, PackError> {
    std::fs::read_to_string(path).map_err(|e| PackError::Read {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Compiles a component and checks that it exports its world's interface
/// at a compatible version.
fn compile(
    context: &LoadContext<'_>,
    dir: &Path,
    section: &ComponentSection,
    kind: Kind,
) -> Result<Component, PackError> {
    let runtime = context.runtime;
    let path = dir.join(&section.component);
    let bytes = std::fs::read(&path).map_err(|e| PackError::Read {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let (component, _) = context
        .cache
        .load_or_compile(runtime.engine(), &bytes)
        .map_err(|e| PackError::Compile {
            component: section.name.clone(),
            message: format!("{e:#}"),
        })?;
    let exports: Vec<String> = component
        .component_type()
        .exports(runtime.engine())
        .map(|(name, _)| name.to_owned())
        .collect();
    let wanted = format!("weir:pack/{}", kind.interface());
    let Some(export) = exports
        .iter()
        .find(|name| name.split('@').next() == Some(wanted.as_str()))
    else {
        return Err(PackError::WrongWorld {
            component: section.name.clone(),
            expected: kind.name(),
            interface: kind.interface(),
            found: if exports.is_empty() {
                "it exports nothing".to_owned()
            } else {
                format!("it exports {}", exports.join(", "))
            },
        });
    };
    let version = export.split_once('@').map_or("(unversioned)", |(_, v)| v);
    if !wit_compatible(version) {
        return Err(PackError::IncompatibleWit {
            component: section.name.clone(),
            found: version.to_owned(),
        });
    }
    Ok(component)
}

/// Reads and parses the component's declared configuration schema.
fn read_schema(dir: &Path, section: &ComponentSection) -> Result<Option<serde_json::Value>, PackError> {
    let Some(relative) = &section.config_schema else {
        return Ok(None);
    };
    let path = dir.join(relative);
    let schema_error = |message: String| PackError::Schema {
        component: section.name.clone(),
        path: relative.clone(),
        message,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| schema_error(e.to_string()))?;
    let schema: serde_json::Value = serde_json::from_str(&text).map_err(|e| schema_error(e.to_string()))?;
    if !schema.is_object() && !schema.is_boolean() {
        return Err(schema_error("a JSON Schema is an object or a boolean".into()));
    }
    super::config_schema::check_schema(&schema).map_err(schema_error)?;
    Ok(Some(schema))
}

/// Interface prefixes packs may import: the contract itself, and the WASI
/// interfaces language runtimes import for stdio, clocks and randomness
/// (all granted nothing beyond captured output; see `state.rs`).
const ALLOWED_IMPORTS: [&str; 5] = [
    "weir:pack/",
    "wasi:io/",
    "wasi:cli/",
    "wasi:clocks/",
    "wasi:random/",
];

/// Imports refused with a reason, for a clear message.
const FORBIDDEN_IMPORTS: [(&str, &str); 3] = [
    ("wasi:filesystem/", "packs have no filesystem"),
    ("wasi:sockets/", "packs have no network access"),
    ("wasi:http/", "packs cannot make HTTP requests; Weir delivers"),
];

/// The component's imports, refusing any outside [`ALLOWED_IMPORTS`].
fn checked_imports(
    runtime: &Runtime,
    section: &ComponentSection,
    component: &Component,
) -> Result<Vec<String>, PackError> {
    let imports: Vec<String> = component
        .component_type()
        .imports(runtime.engine())
        .map(|(name, _)| name.to_owned())
        .collect();
    let refused: Vec<String> = imports
        .iter()
        .filter(|import| !ALLOWED_IMPORTS.iter().any(|prefix| import.starts_with(prefix)))
        .map(|import| {
            let reason = FORBIDDEN_IMPORTS
                .iter()
                .find(|(prefix, _)| import.starts_with(prefix))
                .map_or("Weir does not provide it", |(_, reason)| reason);
            format!("`{import}` ({reason})")
        })
        .collect();
    if refused.is_empty() {
        Ok(imports)
    } else {
        Err(PackError::ForbiddenImport {
            component: section.name.clone(),
            refused: refused.join(", "),
        })
    }
}

fn link_error(section: &ComponentSection, error: &wasmtime::Error) -> PackError {
    PackError::Link {
        component: section.name.clone(),
        message: format!("{error:#}"),
    }
}
