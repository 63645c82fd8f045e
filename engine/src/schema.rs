//! OpenAPI schemas for the value types that serialize as plain strings or
//! free-form JSON (ids, globs, component references, URLs, conditions), so
//! every type the API exchanges can describe itself to `/openapi.json`.

use utoipa::openapi::schema::{ObjectBuilder, Type};

/// A string schema with a description, an optional pattern and an example.
pub fn string(description: &str, pattern: Option<&str>, example: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .pattern(pattern)
        .examples([serde_json::Value::String(example.to_owned())])
}

/// A JSON object schema with a description (properties left open).
pub fn object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
}

/// Implements `utoipa::ToSchema` for a type that serializes as a string.
#[macro_export]
macro_rules! string_schema {
    ($type:ty, $description:expr, $pattern:expr, $example:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::schema::string($description, $pattern, $example).into()
            }
        }

        impl utoipa::ToSchema for $type {}
    };
}

/// Implements `utoipa::ToSchema` for a type that serializes as a JSON
/// object whose shape the description explains.
#[macro_export]
macro_rules! object_schema {
    ($type:ty, $description:expr) => {
        impl utoipa::PartialSchema for $type {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::schema::object($description).into()
            }
        }

        impl utoipa::ToSchema for $type {}
    };
}
