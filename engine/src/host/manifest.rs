//! `pack.toml`: the manifest every pack carries, parsed into validated
//! types. Unknown fields are refused so a typo is an error, not a silently
//! ignored setting.
//!
//! ```toml
//! [pack]
//! name = "github"                 # lowercase letters, digits, `-`
//! version = "0.1.0"               # the pack's own version
//! description = "GitHub webhooks"
//! wit = "weir:pack@0.1.0"         # the contract its components were built against
//!
//! [[connector]]
//! name = "github"                 # referenced as `github` or `github/github`
//! component = "github.wasm"       # path relative to the pack directory
//! secrets = ["webhook-secret"]    # secrets a trigger must provide
//! event_types = ["github.*"]      # what it emits
//!
//! [[transformer]]
//! name = "slack"
//! component = "slack.wasm"
//! accepts = ["github.push"]       # event types it can shape
//! ```

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::model::component_ref_name_is_valid;

/// The WIT package version this engine implements.
pub const WIT_VERSION: &str = "0.1.0";

/// A `pack.toml` that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// Not valid TOML for the manifest schema.
    #[error("invalid pack.toml: {0}")]
    Syntax(String),
    /// A field's value is not acceptable.
    #[error("invalid pack.toml: `{field}`: {message}")]
    Field {
        /// Dotted field path, e.g. `connector[0].component`.
        field: String,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The parsed manifest.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackManifest {
    /// The `[pack]` table.
    pub pack: PackSection,
    /// `[[connector]]` entries.
    #[serde(default, rename = "connector")]
    pub connectors: Vec<ComponentSection>,
    /// `[[transformer]]` entries.
    #[serde(default, rename = "transformer")]
    pub transformers: Vec<ComponentSection>,
}

/// The `[pack]` table.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackSection {
    /// Pack name. Example: `name = "github"`.
    pub name: String,
    /// The pack's version. Example: `version = "1.2.0"`.
    pub version: String,
    /// One line for operators. Example: `description = "GitHub webhooks"`.
    #[serde(default)]
    pub description: Option<String>,
    /// The WIT package the components target. Example: `wit = "weir:pack@0.1.0"`.
    pub wit: String,
    /// Resources the pack asks for; the operator's `[packs]` settings cap
    /// them. Example: `limits = { memory_bytes = 16777216, call_timeout = "200ms" }`.
    #[serde(default)]
    pub limits: LimitsRequest,
}

/// Resources a pack asks for per call. Each is capped by the operator.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsRequest {
    /// Linear memory per call, in bytes. Example: `memory_bytes = 16777216`.
    #[serde(default)]
    pub memory_bytes: Option<usize>,
    /// Wall-clock budget per call. Example: `call_timeout = "200ms"`.
    #[serde(default, with = "optional_duration")]
    pub call_timeout: Option<std::time::Duration>,
}

/// Serde for an optional `"200ms"`-style duration.
mod optional_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| {
                humantime::parse_duration(&text).map_err(|error| {
                    serde::de::Error::custom(format!("`{text}` is not a duration like `200ms`: {error}"))
                })
            })
            .transpose()
    }

    pub fn serialize<S: Serializer>(value: &Option<Duration>, serializer: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(duration) => serializer.serialize_str(&humantime::format_duration(*duration).to_string()),
            None => serializer.serialize_none(),
        }
    }
}

/// A `[[connector]]` or `[[transformer]]` entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSection {
    /// Component name within the pack. Example: `name = "github"`.
    pub name: String,
    /// The `.wasm` file, relative to the pack. Example: `component = "github.wasm"`.
    pub component: PathBuf,
    /// One line for operators.
    #[serde(default)]
    pub description: Option<String>,
    /// Connectors: secrets a trigger must provide. Example: `secrets = ["webhook-secret"]`.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Connectors: secrets a trigger may provide to turn on a check (e.g. a
    /// shared token). Example: `optional_secrets = ["channel-token"]`.
    #[serde(default)]
    pub optional_secrets: Vec<String>,
    /// Connectors: event types emitted. Example: `event_types = ["github.*"]`.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Transformers: event types handled. Example: `accepts = ["github.push"]`.
    #[serde(default)]
    pub accepts: Vec<String>,
    /// JSON Schema of the component's configuration (the trigger's connector
    /// settings, or a rule's transformer settings), relative to the pack.
    /// Example: `config_schema = "schemas/config.json"`.
    #[serde(default)]
    pub config_schema: Option<PathBuf>,
    /// Connectors: a JSON Schema per emitted event type, relative to the
    /// pack. Example: `event_schemas = { "stripe.invoice.paid" = "schemas/invoice.json" }`.
    #[serde(default)]
    pub event_schemas: std::collections::BTreeMap<String, PathBuf>,
}

impl PackManifest {
    /// Parses and validates manifest text.
    pub fn parse(text: &str) -> Result<Self, ManifestError> {
        let manifest: Self =
            toml::from_str(text).map_err(|error| ManifestError::Syntax(error.to_string()))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<(), ManifestError> {
        let field = |field: String, message: &str| ManifestError::Field {
            field,
            message: message.to_owned(),
        };
        if !component_ref_name_is_valid(&self.pack.name) {
            return Err(field(
                "pack.name".into(),
                "use 1-64 lowercase letters, digits and `-`, starting with a letter",
            ));
        }
        if self.pack.version.trim().is_empty() {
            return Err(field("pack.version".into(), "must not be empty, e.g. \"0.1.0\""));
        }
        check_wit(&self.pack.wit)?;
        if self.connectors.is_empty() && self.transformers.is_empty() {
            return Err(field(
                "pack".into(),
                "declares no components; add a [[connector]] or [[transformer]]",
            ));
        }
        let mut names = std::collections::BTreeSet::new();
        let sections = self
            .connectors
            .iter()
            .map(|s| ("connector", s))
            .chain(self.transformers.iter().map(|s| ("transformer", s)));
        let mut index = std::collections::HashMap::new();
        for (kind, section) in sections {
            let i = index.entry(kind).or_insert(0usize);
            let at = format!("{kind}[{i}]");
            *i += 1;
            if !component_ref_name_is_valid(&section.name) {
                return Err(field(
                    format!("{at}.name"),
                    "use 1-64 lowercase letters, digits and `-`, starting with a letter",
                ));
            }
            // A connector and a transformer may share a name (`slack` can be
            // both): triggers only name connectors and rules only transformers.
            if !names.insert((kind, section.name.clone())) {
                return Err(field(
                    format!("{at}.name"),
                    &format!("another {kind} of this pack has this name"),
                ));
            }
            for schema in section.config_schema.iter().chain(section.event_schemas.values()) {
                if !is_plain_relative(schema) {
                    return Err(field(
                        format!("{at}.config_schema"),
                        "schema paths must be relative paths inside the pack, without `..`",
                    ));
                }
            }
            if !is_plain_relative(&section.component) {
                return Err(field(
                    format!("{at}.component"),
                    "must be a relative path inside the pack, without `..`",
                ));
            }
        }
        Ok(())
    }
}

/// Checks `weir:pack@<version>` against the version this engine implements:
/// `0.x` versions are compatible within the same minor version.
pub fn check_wit(wit: &str) -> Result<(), ManifestError> {
    let version = wit
        .strip_prefix("weir:pack@")
        .ok_or_else(|| ManifestError::Field {
            field: "pack.wit".into(),
            message: format!("`{wit}` is not `weir:pack@<version>`, e.g. \"weir:pack@{WIT_VERSION}\""),
        })?;
    if wit_compatible(version) {
        Ok(())
    } else {
        Err(ManifestError::Field {
            field: "pack.wit".into(),
            message: format!(
                "the pack targets weir:pack@{version} but this engine implements weir:pack@{WIT_VERSION}; rebuild the pack against {WIT_VERSION}"
            ),
        })
    }
}

/// True when components built for WIT `version` run on this engine.
pub fn wit_compatible(version: &str) -> bool {
    let parse = |v: &str| -> Option<(u64, u64)> {
        let mut parts = v.split('.');
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    };
    match (parse(version), parse(WIT_VERSION)) {
        (Some((0, theirs)), Some((0, ours))) => theirs == ours,
        (Some((theirs, _)), Some((ours, _))) => theirs == ours,
        _ => false,
    }
}

fn is_plain_relative(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[pack]
name = "github"
version = "0.1.0"
wit = "weir:pack@0.1.0"

[[connector]]
name = "github"
component = "github.wasm"
secrets = ["webhook-secret"]
"#;

    #[test]
    fn a_good_manifest_parses() {
        let manifest = PackManifest::parse(GOOD).expect("valid");
        assert_eq!(manifest.pack.name, "github");
        assert_eq!(manifest.connectors[0].secrets, vec!["webhook-secret"]);
    }

    #[test]
    fn bad_manifests_name_the_field() {
        let cases = [
            (
                GOOD.replace("name = \"github\"\nversion", "name = \"Git Hub\"\nversion"),
                "pack.name",
            ),
            (
                GOOD.replace("github.wasm", "../escape.wasm"),
                "connector[0].component",
            ),
            (
                GOOD.replace("weir:pack@0.1.0", "weir:pack@0.2.0"),
                "weir:pack@0.1.0",
            ),
            (GOOD.replace("secrets", "secret"), "unknown field `secret`"),
            (
                GOOD.split("[[connector]]").next().unwrap_or_default().to_owned(),
                "declares no components",
            ),
        ];
        for (text, expected) in cases {
            let error = PackManifest::parse(&text).expect_err("invalid").to_string();
            assert!(error.contains(expected), "{error} should mention {expected}");
        }
    }

    /// Every `testdata/manifests/*.toml` is invalid and its `.err` holds the
    /// exact message. Set `WEIR_BLESS=1` to (re)write the `.err` files,
    /// then review them.
    #[test]
    fn invalid_manifests_fail_with_the_golden_message() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/host/testdata/manifests");
        let bless = std::env::var_os("WEIR_BLESS").is_some();
        let mut cases: Vec<_> = std::fs::read_dir(&dir)
            .expect("testdata")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect();
        cases.sort();
        assert!(cases.len() >= 10, "golden cases missing in {}", dir.display());
        let mut mismatches = Vec::new();
        for case in cases {
            let text = std::fs::read_to_string(&case).expect("case");
            let actual = match PackManifest::parse(&text) {
                Ok(_) => "(parsed without error)".to_owned(),
                Err(error) => error.to_string(),
            };
            let golden = case.with_extension("err");
            if bless {
                std::fs::write(&golden, format!("{actual}\n")).expect("write golden");
                continue;
            }
            let expected = std::fs::read_to_string(&golden).unwrap_or_default();
            if expected.trim_end() != actual.trim_end() {
                mismatches.push(format!(
                    "{}:\n  expected: {}\n  actual:   {actual}",
                    case.display(),
                    expected.trim_end()
                ));
            }
        }
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    #[test]
    fn wit_versions_are_compatible_within_a_minor_for_zero_versions() {
        assert!(wit_compatible("0.1.0"));
        assert!(wit_compatible("0.1.7"));
        assert!(!wit_compatible("0.2.0"));
        assert!(!wit_compatible("1.0.0"));
        assert!(!wit_compatible("x"));
    }
}
