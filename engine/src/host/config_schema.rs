//! Component configuration checked against the JSON Schema its pack
//! declares (`config_schema` in `pack.toml`): the schema is compiled when
//! the pack loads (a broken schema fails the pack) and a trigger's or
//! rule's configuration is checked when it is saved, so a typo is a 422
//! naming the field instead of a failing delivery days later.

use serde_json::Value;

/// Where schemas are registered with the compiler; never fetched.
const SCHEMA_URL: &str = "urn:weir:config-schema";

/// Compiles `schema`, returning the compiler's message when it is not a
/// usable JSON Schema.
pub fn check_schema(schema: &Value) -> Result<(), String> {
    compile(schema).map(drop)
}

/// Checks `config` against `schema`. The error lists every violation as
/// `at <JSON pointer>: <what is wrong>`, one per line (at most 20).
pub fn check_config(schema: &Value, config: &Value) -> Result<(), String> {
    let (schemas, index) = compile(schema)?;
    let Err(error) = schemas.validate(config, index) else {
        return Ok(());
    };
    let mut leaves = Vec::new();
    collect_leaves(&error, &mut leaves);
    if leaves.is_empty() {
        leaves.push(error.to_string());
    }
    leaves.truncate(20);
    Err(leaves.join("\n"))
}

fn compile(schema: &Value) -> Result<(boon::Schemas, boon::SchemaIndex), String> {
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(SCHEMA_URL, schema.clone())
        .map_err(|error| error.to_string())?;
    let index = compiler
        .compile(SCHEMA_URL, &mut schemas)
        .map_err(|error| error.to_string())?;
    Ok((schemas, index))
}

/// The innermost errors: the ones that say what is actually wrong.
fn collect_leaves(error: &boon::ValidationError<'_, '_>, into: &mut Vec<String>) {
    if error.causes.is_empty() {
        let location = error.instance_location.to_string();
        let location = if location.is_empty() {
            "/".to_owned()
        } else {
            location
        };
        into.push(format!("at `{location}`: {}", error.kind));
    }
    for cause in &error.causes {
        collect_leaves(cause, into);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "channel": {"type": "string"},
                "mention": {"type": "boolean"}
            },
            "required": ["channel"],
            "additionalProperties": false
        })
    }

    #[test]
    fn a_matching_config_passes() {
        assert_eq!(check_config(&schema(), &json!({"channel": "#ops"})), Ok(()));
    }

    #[test]
    fn every_violation_is_named_by_its_location() {
        let error = check_config(&schema(), &json!({"mention": "yes", "colour": 1})).expect_err("invalid");
        assert!(error.contains("/mention"), "{error}");
        assert!(error.contains("channel"), "missing required is named: {error}");
        assert!(error.contains("colour"), "unknown property is named: {error}");
    }

    #[test]
    fn a_broken_schema_is_reported() {
        assert!(check_schema(&json!({"type": "no-such-type"})).is_err());
        assert!(check_schema(&schema()).is_ok());
    }
}
