//! `weir pack new`: a pack crate that builds and passes its own fixtures
//! out of the box.

use std::path::{Path, PathBuf};

use super::{PackKitError, io};
use crate::host::manifest::WIT_VERSION;
use crate::host::{HashAlgorithm, compute_hmac};
use crate::model::component_ref_name_is_valid;

/// Which world the new pack's component implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackKind {
    /// Receives webhooks.
    Connector,
    /// Shapes outgoing bodies.
    Transformer,
}

/// Where the new crate gets `weir-sdk` from.
#[derive(Debug, Clone)]
pub enum SdkSource {
    /// A local checkout's `sdk/` directory.
    Path(PathBuf),
    /// A git repository holding the SDK.
    Git(String),
}

/// What to create.
#[derive(Debug, Clone)]
pub struct ScaffoldOptions {
    /// Pack (and component) name.
    pub name: String,
    /// Connector or transformer.
    pub kind: PackKind,
    /// Directory the pack directory is created in.
    pub parent: PathBuf,
    /// Where `weir-sdk` comes from.
    pub sdk: SdkSource,
}

/// The secret and body of the connector's example fixture.
const EXAMPLE_SECRET: &str = "example-secret";
const EXAMPLE_BODY: &str = "{\"order\":{\"id\":\"ord_1001\",\"total\":42.5}}";

/// Creates `<parent>/<name>/` with `Cargo.toml`, `pack.toml`, `src/lib.rs`,
/// fixtures and a `.gitignore`. Returns the new directory.
pub fn scaffold_pack(options: &ScaffoldOptions) -> Result<PathBuf, PackKitError> {
    let name = options.name.as_str();
    if !component_ref_name_is_valid(name) {
        return Err(PackKitError::InvalidName(name.to_owned()));
    }
    let dir = options.parent.join(name);
    if dir.exists() {
        return Err(PackKitError::Exists(dir));
    }
    let kind_word = match options.kind {
        PackKind::Connector => "connector",
        PackKind::Transformer => "transformer",
    };
    let sdk_dependency = match &options.sdk {
        SdkSource::Path(path) => format!("{{ path = {:?} }}", path.display().to_string()),
        SdkSource::Git(url) => format!("{{ git = {url:?} }}"),
    };
    let fill = |template: &str| {
        template
            .replace("{{name}}", name)
            .replace("{{crate}}", &format!("{name}-pack"))
            .replace("{{description}}", &format!("The {name} {kind_word}"))
            .replace("{{wit_version}}", WIT_VERSION)
            .replace("{{sdk_dependency}}", &sdk_dependency)
    };
    let (manifest, source, fixtures) = match options.kind {
        PackKind::Connector => (
            include_str!("templates/pack-connector.toml.tmpl"),
            include_str!("templates/connector.rs.tmpl"),
            connector_fixtures(name),
        ),
        PackKind::Transformer => (
            include_str!("templates/pack-transformer.toml.tmpl"),
            include_str!("templates/transformer.rs.tmpl"),
            transformer_fixtures(name),
        ),
    };
    write(
        &dir.join("Cargo.toml"),
        &fill(include_str!("templates/Cargo.toml.tmpl")),
    )?;
    write(&dir.join("pack.toml"), &fill(manifest))?;
    write(&dir.join("src/lib.rs"), &fill(source))?;
    write(&dir.join(".gitignore"), "/target\n*.wasm\n")?;
    write(
        &dir.join(".cargo/config.toml"),
        include_str!("templates/cargo-config.toml.tmpl"),
    )?;
    for (file, text) in fixtures {
        write(&dir.join("fixtures").join(file), &text)?;
    }
    Ok(dir)
}

fn write(path: &Path, text: &str) -> Result<(), PackKitError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io("cannot create", parent))?;
    }
    std::fs::write(path, text).map_err(io("cannot write", path))
}

fn connector_fixtures(name: &str) -> Vec<(&'static str, String)> {
    let mac = compute_hmac(
        HashAlgorithm::Sha256,
        EXAMPLE_SECRET.as_bytes(),
        EXAMPLE_BODY.as_bytes(),
    );
    let signature = format!("sha256={}", hex::encode(mac));
    let signed = serde_json::json!({
        "description": "A correctly signed request becomes one event keyed by X-Request-Id",
        "request": {
            "method": "POST",
            "headers": {"content-type": "application/json", "x-request-id": "req-1", "x-signature": signature},
            "body": EXAMPLE_BODY,
        },
        "secrets": {"webhook-secret": EXAMPLE_SECRET},
        "expect": {"events": [{
            "event_type": format!("{name}.received"),
            "idempotency_key": "req-1",
            "data_json": serde_json::from_str::<serde_json::Value>(EXAMPLE_BODY).unwrap_or_default(),
        }]},
    });
    let tampered = serde_json::json!({
        "description": "A body that does not match its signature is refused",
        "request": {
            "method": "POST",
            "headers": {"x-request-id": "req-2", "x-signature": signature},
            "body": EXAMPLE_BODY.replace("42.5", "4250"),
        },
        "secrets": {"webhook-secret": EXAMPLE_SECRET},
        "expect": {"rejection": {"kind": "unauthorized"}},
    });
    vec![
        ("signed.fixture.json", pretty(&signed)),
        ("tampered.fixture.json", pretty(&tampered)),
    ]
}

fn transformer_fixtures(name: &str) -> Vec<(&'static str, String)> {
    let event = serde_json::json!({
        "event_type": format!("{name}.created"),
        "subject": "thing-1",
        "data": {"n": 1},
    });
    let wrapped = serde_json::json!({
        "description": "An event is wrapped with a summary line",
        "event": event,
        "config": {"prefix": "[demo] "},
        "expect": {"outgoing": {
            "content_type": "application/json",
            "body_json": {
                "summary": format!("[demo] {name}.created thing-1"),
                "id": "evt_01JD8X3M6Q2W7Z5R4T9B0C1V2N",
                "type": format!("{name}.created"),
                "data": {"n": 1},
            },
        }},
    });
    let bad_config = serde_json::json!({
        "description": "An unknown configuration field is refused by name",
        "event": event,
        "config": {"prefx": "typo"},
        "expect": {"error": {"kind": "invalid-config", "contains": "prefx"}},
    });
    vec![
        ("wrapped.fixture.json", pretty(&wrapped)),
        ("bad-config.fixture.json", pretty(&bad_config)),
    ]
}

fn pretty(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
