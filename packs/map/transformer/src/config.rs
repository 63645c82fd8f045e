//! The rule configuration and its compilation into a [`Plan`]: every key
//! checked, every JSONPath parsed once, conflicts between keys refused.

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use serde::Deserialize;
use serde_json::{Map, Value};
use weir_sdk::TransformError;

/// A rule may map at most this many keys (mapping and constants together).
pub const MAX_KEYS: usize = 256;
/// An output key may be at most this long, in bytes.
pub const MAX_KEY_LEN: usize = 256;
/// An output key may nest at most this deep (`a.b.c` is 3).
pub const MAX_KEY_DEPTH: usize = 16;
/// A JSONPath may be at most this long, in bytes.
pub const MAX_PATH_LEN: usize = 1024;

/// Rule configuration, as written by the operator.
///
/// ```json
/// {"mapping": {"commit_sha": "$.head_commit.id", "author.name": "$.head_commit.author.name"},
///  "constants": {"source": "github"}, "missing": "omit", "arrays": "auto"}
/// ```
///
/// Types are checked while deserializing (errors name the field, e.g.
/// `mapping.sha`); [`MapConfig::compile`] checks keys and paths.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapConfig {
    /// Output key (dotted for nesting) → RFC 9535 JSONPath into the event data.
    #[serde(default)]
    pub mapping: Option<Map<String, Value>>,
    /// Output key (dotted for nesting) → fixed JSON value.
    #[serde(default)]
    pub constants: Option<Map<String, Value>>,
    /// What a path that selects nothing produces (`null` means the default).
    #[serde(default)]
    pub missing: Option<Missing>,
    /// How the nodes a path selects become a value (`null` means the default).
    #[serde(default)]
    pub arrays: Option<Arrays>,
}

/// What a path that selects no node produces: `"null"`, `"omit"` (default)
/// or `"error"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Missing {
    /// The key is set to `null`.
    Null,
    /// The key is left out (and so are parents left empty).
    #[default]
    Omit,
    /// The delivery fails with `unsupported-event` naming the key.
    Error,
}

/// How the nodes a path selects become a value: `"auto"` (default) or
/// `"always"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Arrays {
    /// One node → that value; several → an array of them.
    #[default]
    Auto,
    /// Always an array of the selected nodes.
    Always,
}

/// One mapped key, ready to evaluate.
#[derive(Debug)]
pub struct Entry {
    /// The key as configured, e.g. `author.name`.
    pub key: String,
    /// The key split at dots, e.g. `["author", "name"]`.
    pub segments: Vec<String>,
    /// The JSONPath as configured, for messages.
    pub path: String,
    /// The parsed JSONPath.
    pub query: JpQuery,
}

/// A checked configuration.
#[derive(Debug)]
pub struct Plan {
    /// Mapped keys, in key order.
    pub entries: Vec<Entry>,
    /// Constant keys (split at dots) and their values.
    pub constants: Vec<(Vec<String>, Value)>,
    /// What an empty selection produces.
    pub missing: Missing,
    /// How selections become values.
    pub arrays: Arrays,
}

fn invalid(message: String) -> TransformError {
    TransformError::InvalidConfig(message)
}

impl MapConfig {
    /// Checks the configuration and parses every path.
    pub fn compile(self) -> Result<Plan, TransformError> {
        let mapping = self.mapping.unwrap_or_default();
        let constants = self.constants.unwrap_or_default();
        if mapping.is_empty() && constants.is_empty() {
            return Err(invalid(
                "`mapping` is empty: give at least one `\"output.key\": \"$.json.path\"` entry".to_owned(),
            ));
        }
        if mapping.len() + constants.len() > MAX_KEYS {
            return Err(invalid(format!(
                "`mapping` and `constants` hold {} keys; at most {MAX_KEYS} are allowed",
                mapping.len() + constants.len()
            )));
        }
        let mut entries = Vec::with_capacity(mapping.len());
        for (key, path) in mapping {
            let segments = split_key("mapping", &key)?;
            let path = path.as_str().map(str::to_owned).ok_or_else(|| {
                invalid(format!(
                    "`mapping.{key}` must be a JSONPath string such as \"$.id\", not {path}"
                ))
            })?;
            let query = parse_path(&key, &path)?;
            entries.push(Entry {
                key,
                segments,
                path,
                query,
            });
        }
        let constants = constants
            .into_iter()
            .map(|(key, value)| Ok((split_key("constants", &key)?, value)))
            .collect::<Result<Vec<_>, TransformError>>()?;
        check_conflicts(&entries, &constants)?;
        Ok(Plan {
            entries,
            constants,
            missing: self.missing.unwrap_or_default(),
            arrays: self.arrays.unwrap_or_default(),
        })
    }
}

/// Parses one JSONPath; errors name the key and the path.
fn parse_path(key: &str, path: &str) -> Result<JpQuery, TransformError> {
    if path.len() > MAX_PATH_LEN {
        return Err(invalid(format!(
            "`mapping.{key}`: the JSONPath is {} bytes long; at most {MAX_PATH_LEN} are allowed",
            path.len()
        )));
    }
    parse_json_path(path).map_err(|error| {
        // Parser errors span several lines (with a caret); keep one line.
        let detail = error.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
        invalid(format!(
            "`mapping.{key}`: `{path}` is not a valid JSONPath (RFC 9535): {detail}"
        ))
    })
}

/// Splits a dotted output key into its segments, refusing empty ones.
pub fn split_key(section: &str, key: &str) -> Result<Vec<String>, TransformError> {
    if key.len() > MAX_KEY_LEN {
        return Err(invalid(format!(
            "`{section}`: key `{}…` is longer than {MAX_KEY_LEN} bytes",
            key.chars().take(32).collect::<String>()
        )));
    }
    let segments: Vec<String> = key.split('.').map(str::to_owned).collect();
    if segments.iter().any(String::is_empty) {
        return Err(invalid(format!(
            "`{section}`: key `{key}` has an empty part; use names separated by single dots, e.g. `author.name`"
        )));
    }
    if segments.len() > MAX_KEY_DEPTH {
        return Err(invalid(format!(
            "`{section}`: key `{key}` nests {} levels deep; at most {MAX_KEY_DEPTH} are allowed",
            segments.len()
        )));
    }
    Ok(segments)
}

/// Refuses keys that would write to the same place, e.g. `author` and
/// `author.name`, or the same key in `mapping` and `constants`.
fn check_conflicts(entries: &[Entry], constants: &[(Vec<String>, Value)]) -> Result<(), TransformError> {
    let mut keys: Vec<&[String]> = entries.iter().map(|e| e.segments.as_slice()).collect();
    keys.extend(constants.iter().map(|(segments, _)| segments.as_slice()));
    keys.sort();
    for pair in keys.windows(2) {
        if let [a, b] = pair
            && b.starts_with(a)
        {
            let (a, b) = (a.join("."), b.join("."));
            let why = if a == b {
                format!("key `{a}` is set in both `mapping` and `constants`")
            } else {
                format!("keys `{a}` and `{b}` conflict: `{a}` cannot be both a value and an object")
            };
            return Err(invalid(why));
        }
    }
    Ok(())
}

/// Writes `value` at `segments` inside `object`, creating parent objects.
/// [`check_conflicts`] guarantees no parent is already a non-object.
pub fn insert(object: &mut Map<String, Value>, segments: &[String], value: Value) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = object;
    for segment in parents {
        let child = current
            .entry(segment.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if !child.is_object() {
            *child = Value::Object(Map::new());
        }
        let Value::Object(next) = child else {
            return;
        };
        current = next;
    }
    current.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Deserializes (as the export macro does) and compiles.
    fn compile(config: Value) -> Result<Plan, TransformError> {
        weir_sdk::config::from_value::<MapConfig>(config)
            .map_err(TransformError::InvalidConfig)?
            .compile()
    }

    fn message(result: Result<Plan, TransformError>) -> String {
        match result {
            Err(TransformError::InvalidConfig(message)) => message,
            other => panic!("expected invalid-config, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_omit_and_auto() {
        let plan = compile(json!({"mapping": {"a": "$.a"}})).expect("valid");
        assert_eq!((plan.missing, plan.arrays), (Missing::Omit, Arrays::Auto));
        assert_eq!(plan.entries[0].segments, ["a"]);
    }

    #[test]
    fn bad_paths_name_the_key_and_the_path() {
        let text = message(compile(
            json!({"mapping": {"sha": "$.head_commit[", "ok": "$.ok"}}),
        ));
        assert!(
            text.contains("mapping.sha") && text.contains("$.head_commit["),
            "{text}"
        );
        assert!(!text.contains('\n'));
        let text = message(compile(json!({"mapping": {"sha": "head_commit.id"}})));
        assert!(text.contains("head_commit.id"), "{text}");
        let text = message(compile(json!({"mapping": {"n": 5}})));
        assert!(text.contains("mapping.n") && text.contains("string"), "{text}");
    }

    #[test]
    fn bad_keys_and_conflicts_are_refused() {
        assert!(message(compile(json!({"mapping": {"a..b": "$.a"}}))).contains("a..b"));
        assert!(message(compile(json!({"mapping": {".a": "$.a"}}))).contains("empty part"));
        let text = message(compile(
            json!({"mapping": {"author": "$.a", "author.name": "$.b"}}),
        ));
        assert!(text.contains("`author` and `author.name`"), "{text}");
        let text = message(compile(
            json!({"mapping": {"source": "$.a"}, "constants": {"source": "x"}}),
        ));
        assert!(text.contains("both `mapping` and `constants`"), "{text}");
        // `ab` is not a prefix of `a.b` segment-wise.
        assert!(compile(json!({"mapping": {"ab": "$.a", "a.b": "$.b"}})).is_ok());
    }

    #[test]
    fn options_are_checked_by_name() {
        assert!(message(compile(json!({"mapping": {"a": "$.a"}, "missing": "skip"}))).contains("`missing`"));
        assert!(message(compile(json!({"mapping": {"a": "$.a"}, "arrays": true}))).contains("`arrays`"));
        assert!(message(compile(json!({}))).contains("`mapping` is empty"));
        assert!(message(compile(json!({"mapping": ["$.a"]}))).contains("`mapping`"));
        let plan = compile(json!({"mapping": {"a": "$.a"}, "missing": null, "arrays": null})).expect("ok");
        assert_eq!((plan.missing, plan.arrays), (Missing::Omit, Arrays::Auto));
        let plan =
            compile(json!({"constants": {"a": 1}, "missing": "error", "arrays": "always"})).expect("ok");
        assert_eq!((plan.missing, plan.arrays), (Missing::Error, Arrays::Always));
    }

    #[test]
    fn limits_are_enforced() {
        let many: Map<String, Value> = (0..=MAX_KEYS).map(|i| (format!("k{i}"), json!("$.a"))).collect();
        assert!(message(compile(json!({"mapping": many}))).contains("at most"));
        let deep = vec!["a"; MAX_KEY_DEPTH + 1].join(".");
        assert!(message(compile(json!({"mapping": {deep: "$.a"}}))).contains("levels deep"));
        let long = format!("$.{}", "a".repeat(MAX_PATH_LEN));
        assert!(message(compile(json!({"mapping": {"a": long}}))).contains("bytes long"));
    }

    #[test]
    fn insert_nests_dotted_keys() {
        let mut object = Map::new();
        insert(&mut object, &["a".into(), "b".into()], json!(1));
        insert(&mut object, &["a".into(), "c".into()], json!(2));
        insert(&mut object, &["d".into()], json!(3));
        assert_eq!(Value::Object(object), json!({"a": {"b": 1, "c": 2}, "d": 3}));
    }
}
