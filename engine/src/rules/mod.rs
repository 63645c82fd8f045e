//! Rule matching: event type globs and JSONPath conditions, compiled once
//! when rules change and evaluated without I/O for every event.

mod condition;
mod glob;
mod set;

pub use condition::{CompiledCondition, Condition, ConditionError, Operator, Predicate, TraceEntry};
pub use glob::{EventTypePattern, InvalidPattern};
pub use set::{EventData, RuleSet, parse as parse_data};
