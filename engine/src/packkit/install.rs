//! `weir pack install`: copy a checked pack into a plugins directory so that
//! a running engine picks it up. The copy is staged beside the target and
//! moved into place, so the engine never sees a half-copied pack.

use std::path::{Path, PathBuf};

use super::{PackKitError, io};
use crate::host::manifest::PackManifest;

/// Installs the pack in `pack_dir` (already checked) into `plugins_dir`
/// as `plugins_dir/<name>`, replacing an older version. Returns the
/// installed directory.
pub fn install_pack(
    pack_dir: &Path,
    manifest: &PackManifest,
    plugins_dir: &Path,
) -> Result<PathBuf, PackKitError> {
    std::fs::create_dir_all(plugins_dir).map_err(io("cannot create", plugins_dir))?;
    let name = &manifest.pack.name;
    let target = plugins_dir.join(name);
    // Hidden names: the engine ignores directories starting with `.`.
    let staging = plugins_dir.join(format!(".staging-{name}-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(io("cannot clear", &staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io("cannot create", &staging))?;
    let mut files = vec![PathBuf::from("pack.toml")];
    for section in manifest.connectors.iter().chain(&manifest.transformers) {
        files.push(section.component.clone());
        files.extend(section.config_schema.iter().cloned());
        files.extend(section.event_schemas.values().cloned());
    }
    for file in &files {
        let from = pack_dir.join(file);
        let to = staging.join(file);
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
        }
        std::fs::copy(&from, &to).map_err(io("cannot copy", &from))?;
    }
    if target.exists() {
        let retired = plugins_dir.join(format!(".retired-{name}-{}", std::process::id()));
        if retired.exists() {
            std::fs::remove_dir_all(&retired).map_err(io("cannot clear", &retired))?;
        }
        std::fs::rename(&target, &retired).map_err(io("cannot move aside", &target))?;
        std::fs::rename(&staging, &target).map_err(io("cannot move into place", &target))?;
        std::fs::remove_dir_all(&retired).map_err(io("cannot remove", &retired))?;
    } else {
        std::fs::rename(&staging, &target).map_err(io("cannot move into place", &target))?;
    }
    Ok(target)
}
