//! JSONPath field-mapping transformer.
//!
//! Builds a new JSON document from the event data, key by key:
//!
//! ```json
//! {"mapping": {"commit_sha": "$.head_commit.id", "branch": "$.ref",
//!              "author.name": "$.head_commit.author.name",
//!              "files": "$.commits[*].modified[*]"},
//!  "constants": {"source": "github"}, "missing": "omit", "arrays": "auto"}
//! ```
//!
//! - Paths are RFC 9535 JSONPath, evaluated against the event's data with
//!   `jsonpath-rust` (the version the engine uses for rule conditions), each
//!   parsed once per call.
//! - Dotted output keys nest: `author.name` writes `{"author": {"name": …}}`.
//!   Keys that collide (`author` and `author.name`, or one key in both
//!   `mapping` and `constants`) are refused.
//! - `arrays`: `"auto"` (default) — one selected node gives that value,
//!   several give an array; `"always"` — always an array.
//! - `missing` — what a path that selects no node gives: `"omit"` (default,
//!   leave the key out), `"null"`, or `"error"` (`unsupported-event` naming
//!   the key). A selected JSON `null` is a value, not missing.
//! - `constants` are copied as given.
//!
//! Bad configuration is `invalid-config` naming the key and the path.

pub mod config;

use serde_json::{Map, Value};
use weir_sdk::{Event, Outgoing, TransformError, Transformer};

pub use config::{Arrays, MapConfig, Missing, Plan};

/// The map transformer.
pub struct MapTransformer;

impl Transformer for MapTransformer {
    type Config = MapConfig;

    fn transform(event: &Event, config: MapConfig) -> Result<Outgoing, TransformError> {
        let plan = config.compile()?;
        let data: Value = event.data_as()?;
        Ok(Outgoing::json(&Value::Object(apply(&plan, &data)?)))
    }
}

weir_sdk::export_transformer!(MapTransformer);

/// Evaluates every mapped path against `data` and adds the constants.
pub fn apply(plan: &Plan, data: &Value) -> Result<Map<String, Value>, TransformError> {
    let mut output = Map::new();
    for entry in &plan.entries {
        let nodes: Vec<&Value> = jsonpath_rust::query::js_path_process(&entry.query, data)
            .map_err(|error| {
                TransformError::Failed(format!(
                    "`mapping.{}`: `{}` did not select nodes: {error}",
                    entry.key, entry.path
                ))
            })?
            .into_iter()
            .map(|node| node.val)
            .collect();
        let value = match (nodes.as_slice(), plan.arrays) {
            ([], _) => match plan.missing {
                Missing::Omit => continue,
                Missing::Null => Value::Null,
                Missing::Error => {
                    return Err(TransformError::UnsupportedEvent(format!(
                        "`mapping.{}`: `{}` selects nothing in this `{}` event (and `missing` is \"error\")",
                        entry.key,
                        entry.path,
                        event_kind(data)
                    )));
                }
            },
            ([one], Arrays::Auto) => (*one).clone(),
            (many, _) => Value::Array(many.iter().map(|node| (*node).clone()).collect()),
        };
        config::insert(&mut output, &entry.segments, value);
    }
    for (segments, value) in &plan.constants {
        config::insert(&mut output, segments, value.clone());
    }
    Ok(output)
}

/// A word for the data's JSON type, for messages.
fn event_kind(data: &Value) -> &'static str {
    match data {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        _ => "scalar",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(data: Value) -> Event {
        weir_sdk::testing::event("github.push", data.to_string())
    }

    fn push() -> Value {
        json!({
            "ref": "refs/heads/main",
            "head_commit": {"id": "1e5f6a7", "author": {"name": "Mona", "email": null}},
            "commits": [
                {"id": "7638417", "modified": ["README.md", "src/lib.rs"]},
                {"id": "1e5f6a7", "modified": ["docs/intro.md"]}
            ]
        })
    }

    fn run(config: Value, data: Value) -> Result<Value, TransformError> {
        let config: MapConfig = serde_json::from_value(config).expect("config shape");
        let out = MapTransformer::transform(&event(data), config)?;
        assert_eq!(out.content_type, "application/json");
        Ok(serde_json::from_slice(&out.body).expect("json"))
    }

    #[test]
    fn the_documented_example_maps_a_push() {
        let body = run(
            json!({
                "mapping": {
                    "commit_sha": "$.head_commit.id",
                    "branch": "$.ref",
                    "author.name": "$.head_commit.author.name",
                    "files": "$.commits[*].modified[*]"
                },
                "constants": {"source": "github"}
            }),
            push(),
        )
        .expect("mapped");
        assert_eq!(
            body,
            json!({
                "commit_sha": "1e5f6a7",
                "branch": "refs/heads/main",
                "author": {"name": "Mona"},
                "files": ["README.md", "src/lib.rs", "docs/intro.md"],
                "source": "github"
            })
        );
    }

    #[test]
    fn arrays_always_wraps_single_nodes() {
        let config = json!({"mapping": {"sha": "$.head_commit.id", "files": "$.commits[1].modified[*]"}});
        assert_eq!(
            run(config.clone(), push()).expect("ok"),
            json!({"sha": "1e5f6a7", "files": "docs/intro.md"})
        );
        let mut always = config;
        always["arrays"] = json!("always");
        assert_eq!(
            run(always, push()).expect("ok"),
            json!({"sha": ["1e5f6a7"], "files": ["docs/intro.md"]})
        );
    }

    #[test]
    fn missing_paths_follow_the_policy() {
        let mapping = json!({"sha": "$.head_commit.id", "tag": "$.release.tag_name", "deep.x": "$.nope"});
        let omit = run(json!({"mapping": mapping}), push()).expect("omit");
        assert_eq!(omit, json!({"sha": "1e5f6a7"}));
        let null = run(json!({"mapping": mapping, "missing": "null"}), push()).expect("null");
        assert_eq!(null, json!({"sha": "1e5f6a7", "tag": null, "deep": {"x": null}}));
        match run(json!({"mapping": mapping, "missing": "error"}), push()) {
            Err(TransformError::UnsupportedEvent(text)) => {
                assert!(
                    text.contains("mapping.deep.x") && text.contains("$.nope"),
                    "{text}"
                );
            }
            other => panic!("expected unsupported-event, got {other:?}"),
        }
    }

    #[test]
    fn a_selected_null_is_a_value() {
        let body = run(
            json!({"mapping": {"email": "$.head_commit.author.email"}}),
            push(),
        )
        .expect("ok");
        assert_eq!(body, json!({"email": null}));
    }

    #[test]
    fn filters_and_descendants_work() {
        let body = run(
            json!({"mapping": {
                "readme": "$.commits[?@.modified[0] == 'README.md'].id",
                "ids": "$..id"
            }}),
            push(),
        )
        .expect("ok");
        assert_eq!(body["readme"], json!("7638417"));
        assert_eq!(body["ids"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn non_json_data_is_unsupported() {
        let mut bad = event(json!({}));
        bad.data = "not json".into();
        let config: MapConfig = serde_json::from_value(json!({"mapping": {"a": "$.a"}})).expect("config");
        assert!(matches!(
            MapTransformer::transform(&bad, config),
            Err(TransformError::UnsupportedEvent(_))
        ));
    }
}
