//! Unit tests of `condition`: parsing, compiling and evaluating conditions.

use super::*;

fn compiled(condition: Value) -> CompiledCondition {
    Condition::from_json(&condition, "condition")
        .and_then(|c| c.compile())
        .expect("valid condition")
}

fn compile_error(condition: Value) -> ConditionError {
    Condition::from_json(&condition, "condition")
        .and_then(|c| c.compile())
        .expect_err("invalid condition")
}

fn push() -> Value {
    json!({
        "ref": "refs/heads/main",
        "size": 3,
        "pusher": {"name": "alice"},
        "labels": ["bug", "urgent"],
        "commits": [{"message": "fix: crash"}, {"message": "release 1.2"}],
    })
}

#[test]
fn every_operator_behaves_as_documented() {
    let data = push();
    let cases = [
        (
            json!({"path": "$.ref", "op": "eq", "value": "refs/heads/main"}),
            true,
        ),
        (
            json!({"path": "$.ref", "op": "eq", "value": "refs/heads/dev"}),
            false,
        ),
        (json!({"path": "$.size", "op": "eq", "value": 3.0}), true),
        (
            json!({"path": "$.ref", "op": "ne", "value": "refs/heads/dev"}),
            true,
        ),
        (json!({"path": "$.missing", "op": "ne", "value": 1}), true),
        (
            json!({"path": "$.pusher.name", "op": "in", "value": ["alice", "bob"]}),
            true,
        ),
        (
            json!({"path": "$.pusher.name", "op": "in", "value": ["carol"]}),
            false,
        ),
        (json!({"path": "$.pusher", "op": "exists"}), true),
        (json!({"path": "$.nope", "op": "exists"}), false),
        (json!({"path": "$.ref", "op": "contains", "value": "heads"}), true),
        (
            json!({"path": "$.labels", "op": "contains", "value": "urgent"}),
            true,
        ),
        (
            json!({"path": "$.labels", "op": "contains", "value": "wontfix"}),
            false,
        ),
        (
            json!({"path": "$.commits[*].message", "op": "regex", "value": "^release"}),
            true,
        ),
        (
            json!({"path": "$.commits[*].message", "op": "regex", "value": "^revert"}),
            false,
        ),
        (json!({"path": "$.size", "op": "gt", "value": 2}), true),
        (json!({"path": "$.size", "op": "gte", "value": 3}), true),
        (json!({"path": "$.size", "op": "lt", "value": 3}), false),
        (json!({"path": "$.size", "op": "lte", "value": 3}), true),
        (json!({"path": "$.ref", "op": "gt", "value": 5}), false),
    ];
    for (condition, expected) in cases {
        assert_eq!(
            compiled(condition.clone()).evaluate(&data),
            expected,
            "{condition}"
        );
    }
}

#[test]
fn groups_combine_and_round_trip() {
    let condition = json!({"all": [
        {"path": "$.ref", "op": "eq", "value": "refs/heads/main"},
        {"any": [
            {"path": "$.pusher.name", "op": "eq", "value": "bob"},
            {"not": {"path": "$.size", "op": "gt", "value": 10}}
        ]}
    ]});
    assert!(compiled(condition.clone()).evaluate(&push()));
    let parsed = Condition::from_json(&condition, "condition").expect("valid");
    assert_eq!(parsed.to_json(), condition);
}

#[test]
fn errors_name_the_location() {
    let error = compile_error(json!({"all": [
        {"path": "$.ref", "op": "eq", "value": 1},
        {"path": "$.ref", "op": "equals", "value": 1}
    ]}));
    assert_eq!(error.location, "condition.all[1].op");
    assert!(error.message.contains("equals"));
    assert_eq!(
        compile_error(json!({"path": "$[", "op": "exists"})).location,
        "condition.path"
    );
    assert_eq!(
        compile_error(json!({"path": "$.a", "op": "regex", "value": "("})).location,
        "condition.value"
    );
    assert_eq!(
        compile_error(json!({"path": "$.a", "op": "in", "value": 1})).location,
        "condition.value"
    );
    assert_eq!(compile_error(json!({"any": []})).location, "condition.any");
    assert!(
        compile_error(json!({"path": "$.a", "op": "eq"}))
            .message
            .contains("needs a value")
    );
    assert!(
        compile_error(json!({"path": "$.a", "op": "eq", "value": 1, "extra": 2}))
            .message
            .contains("extra")
    );
}

#[test]
fn traces_show_what_each_predicate_saw() {
    let condition = compiled(json!({"any": [
        {"path": "$.pusher.name", "op": "eq", "value": "bob"},
        {"path": "$.size", "op": "gt", "value": 1}
    ]}));
    let mut trace = Vec::new();
    assert!(condition.evaluate_traced(&push(), &mut trace));
    assert_eq!(trace.len(), 2);
    assert_eq!(trace[0].seen, vec![json!("alice")]);
    assert!(!trace[0].matched);
    assert!(trace[1].matched);
}
