//! [`Condition`]: JSONPath predicates over an event's data, combined with
//! `all` / `any` / `not`, and their compiled, I/O-free evaluation.
//!
//! The JSON shape (`$` is the event's `data`):
//!
//! ```json
//! {"all": [
//!   {"path": "$.ref", "op": "eq", "value": "refs/heads/main"},
//!   {"any": [
//!     {"path": "$.pusher.name", "op": "in", "value": ["alice", "bob"]},
//!     {"path": "$.head_commit.message", "op": "regex", "value": "^release"}
//!   ]}
//! ]}
//! ```
//!
//! A predicate holds when **any** node its path selects satisfies the
//! operator, except `ne`, which holds when **no** node equals the value (so
//! a missing field is `ne` anything). `exists` holds when the path selects
//! at least one node.

use std::fmt;

use jsonpath_rust::parser::model::JpQuery;
use jsonpath_rust::parser::parse_json_path;
use jsonpath_rust::query::js_path_process;
use regex::Regex;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

/// Groups may nest this deep; deeper is refused as unreadable.
const MAX_DEPTH: usize = 8;
/// A condition may hold this many predicates in all.
const MAX_PREDICATES: usize = 64;
/// Compiled regexes may take this much memory; bigger ones are refused.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// Equal to `value` (numbers compare by value: `1 == 1.0`).
    Eq,
    /// Not equal to `value`; true when the path selects nothing.
    Ne,
    /// One of the values in the `value` array.
    In,
    /// The path selects at least one node; takes no `value`.
    Exists,
    /// A string containing the `value` string, or an array containing `value`.
    Contains,
    /// A string matching the `value` regular expression.
    Regex,
    /// Greater than `value` (numbers, or strings compared lexically).
    Gt,
    /// Greater than or equal to `value`.
    Gte,
    /// Less than `value`.
    Lt,
    /// Less than or equal to `value`.
    Lte,
}

impl Operator {
    const ALL: [(&'static str, Self); 10] = [
        ("eq", Self::Eq),
        ("ne", Self::Ne),
        ("in", Self::In),
        ("exists", Self::Exists),
        ("contains", Self::Contains),
        ("regex", Self::Regex),
        ("gt", Self::Gt),
        ("gte", Self::Gte),
        ("lt", Self::Lt),
        ("lte", Self::Lte),
    ];

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, op)| *op)
    }

    fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("?", |(n, _)| n)
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One JSONPath predicate.
#[derive(Debug, Clone, PartialEq)]
pub struct Predicate {
    /// RFC 9535 JSONPath over the event data, e.g. `$.ref`.
    pub path: String,
    /// The comparison.
    pub op: Operator,
    /// The operand; absent only for `exists`.
    pub value: Option<Value>,
}

/// A condition as written by the operator and stored with the rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Every member holds.
    All(Vec<Condition>),
    /// At least one member holds.
    Any(Vec<Condition>),
    /// The member does not hold.
    Not(Box<Condition>),
    /// A single predicate.
    Test(Predicate),
}

/// A condition that cannot be compiled; `location` names the offending
/// part, e.g. `condition.all[1].op`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {message}")]
pub struct ConditionError {
    /// Where in the condition the problem is.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

fn error(location: &str, message: impl Into<String>) -> ConditionError {
    ConditionError {
        location: location.to_owned(),
        message: message.into(),
    }
}

impl Condition {
    /// Reads a condition from its JSON form, naming the location of any
    /// problem relative to `location` (e.g. `condition`).
    pub fn from_json(value: &Value, location: &str) -> Result<Self, ConditionError> {
        let object = value.as_object().ok_or_else(|| {
            error(
                location,
                "must be an object with `path`/`op`, `all`, `any` or `not`",
            )
        })?;
        let group = |key: &str| -> Result<Option<Vec<Condition>>, ConditionError> {
            let Some(members) = object.get(key) else {
                return Ok(None);
            };
            let here = format!("{location}.{key}");
            if object.len() != 1 {
                return Err(error(
                    &here,
                    format!("`{key}` must be the only key of its object"),
                ));
            }
            let members = members
                .as_array()
                .filter(|members| !members.is_empty())
                .ok_or_else(|| error(&here, "must be a non-empty array of conditions"))?;
            members
                .iter()
                .enumerate()
                .map(|(i, member)| Self::from_json(member, &format!("{here}[{i}]")))
                .collect::<Result<Vec<_>, _>>()
                .map(Some)
        };
        if let Some(members) = group("all")? {
            return Ok(Self::All(members));
        }
        if let Some(members) = group("any")? {
            return Ok(Self::Any(members));
        }
        if let Some(member) = object.get("not") {
            if object.len() != 1 {
                return Err(error(
                    &format!("{location}.not"),
                    "`not` must be the only key of its object",
                ));
            }
            return Ok(Self::Not(Box::new(Self::from_json(
                member,
                &format!("{location}.not"),
            )?)));
        }
        if let Some(unknown) = object
            .keys()
            .find(|k| !matches!(k.as_str(), "path" | "op" | "value"))
        {
            return Err(error(
                location,
                format!("unknown key `{unknown}`; expected `path`, `op`, `value`, `all`, `any` or `not`"),
            ));
        }
        let path = object.get("path").and_then(Value::as_str).ok_or_else(|| {
            error(
                &format!("{location}.path"),
                "a JSONPath string such as `$.ref` is required",
            )
        })?;
        let op_name = object
            .get("op")
            .and_then(Value::as_str)
            .ok_or_else(|| error(&format!("{location}.op"), "an operator is required"))?;
        let op = Operator::parse(op_name).ok_or_else(|| {
            error(
                &format!("{location}.op"),
                format!(
                    "unknown operator `{op_name}`; use one of eq, ne, in, exists, contains, regex, gt, gte, lt, lte"
                ),
            )
        })?;
        Ok(Self::Test(Predicate {
            path: path.to_owned(),
            op,
            value: object.get("value").cloned(),
        }))
    }

    /// The JSON form of this condition.
    pub fn to_json(&self) -> Value {
        match self {
            Self::All(members) => json!({"all": members.iter().map(Self::to_json).collect::<Vec<_>>()}),
            Self::Any(members) => json!({"any": members.iter().map(Self::to_json).collect::<Vec<_>>()}),
            Self::Not(member) => json!({"not": member.to_json()}),
            Self::Test(predicate) => {
                let mut object = Map::new();
                object.insert("path".into(), json!(predicate.path));
                object.insert("op".into(), json!(predicate.op.name()));
                if let Some(value) = &predicate.value {
                    object.insert("value".into(), value.clone());
                }
                Value::Object(object)
            }
        }
    }

    /// Checks every path, operator and operand and prepares the condition
    /// for evaluation.
    pub fn compile(&self) -> Result<CompiledCondition, ConditionError> {
        let mut count = 0;
        compile(self, "condition", 0, &mut count)
    }
}

impl Serialize for Condition {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json(&value, "condition").map_err(serde::de::Error::custom)
    }
}

/// A condition ready to evaluate: paths parsed, regexes compiled.
#[derive(Debug, Clone)]
pub enum CompiledCondition {
    /// Every member holds.
    All(Vec<CompiledCondition>),
    /// At least one member holds.
    Any(Vec<CompiledCondition>),
    /// The member does not hold.
    Not(Box<CompiledCondition>),
    /// A single predicate.
    Test(Box<CompiledPredicate>),
}

/// A predicate ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledPredicate {
    location: String,
    source: Predicate,
    query: JpQuery,
    regex: Option<Regex>,
}

/// What one predicate saw during a traced evaluation (rule dry runs).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TraceEntry {
    /// Where the predicate sits, e.g. `condition.all[0]`.
    pub location: String,
    /// Its JSONPath.
    pub path: String,
    /// Its operator.
    pub op: Operator,
    /// Its operand.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    /// The nodes the path selected.
    pub seen: Vec<Value>,
    /// Whether the predicate held.
    pub matched: bool,
}

fn compile(
    condition: &Condition,
    location: &str,
    depth: usize,
    count: &mut usize,
) -> Result<CompiledCondition, ConditionError> {
    if depth > MAX_DEPTH {
        return Err(error(
            location,
            format!("groups nest deeper than {MAX_DEPTH} levels"),
        ));
    }
    let members = |members: &[Condition], key: &str, count: &mut usize| {
        members
            .iter()
            .enumerate()
            .map(|(i, member)| compile(member, &format!("{location}.{key}[{i}]"), depth + 1, count))
            .collect::<Result<Vec<_>, _>>()
    };
    Ok(match condition {
        Condition::All(list) => CompiledCondition::All(members(list, "all", count)?),
        Condition::Any(list) => CompiledCondition::Any(members(list, "any", count)?),
        Condition::Not(member) => CompiledCondition::Not(Box::new(compile(
            member,
            &format!("{location}.not"),
            depth + 1,
            count,
        )?)),
        Condition::Test(predicate) => {
            *count += 1;
            if *count > MAX_PREDICATES {
                return Err(error(location, format!("more than {MAX_PREDICATES} predicates")));
            }
            CompiledCondition::Test(Box::new(compile_predicate(predicate, location)?))
        }
    })
}

fn compile_predicate(predicate: &Predicate, location: &str) -> Result<CompiledPredicate, ConditionError> {
    let query = parse_json_path(&predicate.path).map_err(|e| {
        error(
            &format!("{location}.path"),
            format!("`{}` is not a valid JSONPath (RFC 9535): {e}", predicate.path),
        )
    })?;
    let value_location = format!("{location}.value");
    let op = predicate.op;
    let mut regex = None;
    match (op, &predicate.value) {
        (Operator::Exists, None) => {}
        (Operator::Exists, Some(_)) => {
            return Err(error(
                &value_location,
                "`exists` takes no value; wrap it in `not` for absence",
            ));
        }
        (_, None) => return Err(error(&value_location, format!("`{op}` needs a value"))),
        (Operator::In, Some(value)) if !value.is_array() => {
            return Err(error(&value_location, "`in` needs an array of values"));
        }
        (Operator::Regex, Some(value)) => {
            let pattern = value
                .as_str()
                .ok_or_else(|| error(&value_location, "`regex` needs a string pattern"))?;
            let compiled = regex::RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| error(&value_location, format!("invalid regular expression: {e}")))?;
            regex = Some(compiled);
        }
        (Operator::Gt | Operator::Gte | Operator::Lt | Operator::Lte, Some(value))
            if !(value.is_number() || value.is_string()) =>
        {
            return Err(error(
                &value_location,
                format!("`{op}` needs a number or a string"),
            ));
        }
        _ => {}
    }
    Ok(CompiledPredicate {
        location: location.to_owned(),
        source: predicate.clone(),
        query,
        regex,
    })
}

impl CompiledCondition {
    /// True when the condition holds for `data`.
    pub fn evaluate(&self, data: &Value) -> bool {
        self.eval(data, &mut None)
    }

    /// Like [`Self::evaluate`], recording what every predicate saw (all
    /// members are evaluated, without short-circuit).
    pub fn evaluate_traced(&self, data: &Value, trace: &mut Vec<TraceEntry>) -> bool {
        self.eval(data, &mut Some(trace))
    }

    fn eval(&self, data: &Value, trace: &mut Option<&mut Vec<TraceEntry>>) -> bool {
        match self {
            // Traced: evaluate every member so the trace shows them all.
            Self::All(members) if trace.is_some() => {
                let mut all = true;
                for member in members {
                    all &= member.eval(data, trace);
                }
                all
            }
            Self::Any(members) if trace.is_some() => {
                let mut any = false;
                for member in members {
                    any |= member.eval(data, trace);
                }
                any
            }
            Self::All(members) => members.iter().all(|m| m.eval(data, trace)),
            Self::Any(members) => members.iter().any(|m| m.eval(data, trace)),
            Self::Not(member) => !member.eval(data, trace),
            Self::Test(predicate) => predicate.eval(data, trace),
        }
    }
}

impl CompiledPredicate {
    fn eval(&self, data: &Value, trace: &mut Option<&mut Vec<TraceEntry>>) -> bool {
        // A query that yields a computed value instead of nodes selects nothing.
        let nodes: Vec<&Value> = js_path_process(&self.query, data)
            .map(|refs| refs.into_iter().map(|r| r.val).collect())
            .unwrap_or_default();
        let matched = self.test(&nodes);
        if let Some(trace) = trace {
            trace.push(TraceEntry {
                location: self.location.clone(),
                path: self.source.path.clone(),
                op: self.source.op,
                value: self.source.value.clone(),
                seen: nodes.into_iter().cloned().collect(),
                matched,
            });
        }
        matched
    }

    fn test(&self, nodes: &[&Value]) -> bool {
        let Some(operand) = &self.source.value else {
            return !nodes.is_empty();
        };
        let any = |check: &dyn Fn(&Value) -> bool| nodes.iter().any(|node| check(node));
        match self.source.op {
            Operator::Exists => !nodes.is_empty(),
            Operator::Eq => any(&|node| json_eq(node, operand)),
            Operator::Ne => !any(&|node| json_eq(node, operand)),
            Operator::In => any(&|node| {
                operand
                    .as_array()
                    .is_some_and(|candidates| candidates.iter().any(|c| json_eq(node, c)))
            }),
            Operator::Contains => any(&|node| match (node, operand) {
                (Value::String(text), Value::String(needle)) => text.contains(needle.as_str()),
                (Value::Array(items), needle) => items.iter().any(|item| json_eq(item, needle)),
                _ => false,
            }),
            Operator::Regex => any(&|node| {
                node.as_str()
                    .zip(self.regex.as_ref())
                    .is_some_and(|(text, regex)| regex.is_match(text))
            }),
            Operator::Gt => any(&|node| compare(node, operand).is_some_and(|o| o.is_gt())),
            Operator::Gte => any(&|node| compare(node, operand).is_some_and(|o| o.is_ge())),
            Operator::Lt => any(&|node| compare(node, operand).is_some_and(|o| o.is_lt())),
            Operator::Lte => any(&|node| compare(node, operand).is_some_and(|o| o.is_le())),
        }
    }
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
        },
        _ => a == b,
    }
}

/// Orders two numbers or two strings; anything else is incomparable.
fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
#[path = "condition_tests.rs"]
mod tests;

crate::object_schema!(
    Condition,
    "A condition on the event data: a predicate `{\"path\": \"$.ref\", \"op\": \"eq\", \"value\": \"refs/heads/main\"}` \
     (operators eq, ne, in, exists, contains, regex, gt, gte, lt, lte) or a group `{\"all\": [...]}`, \
     `{\"any\": [...]}`, `{\"not\": {...}}`."
);
