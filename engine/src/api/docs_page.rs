//! The `/docs` page: the OpenAPI document rendered as one self-contained
//! HTML page (no scripts, fonts or styles from the internet), so the
//! reference works on an air-gapped host.

use std::fmt::Write as _;

use serde_json::Value;
use utoipa::openapi::OpenApi;

/// Renders `spec` as HTML.
pub fn render(spec: &OpenApi) -> String {
    let doc = serde_json::to_value(spec).unwrap_or(Value::Null);
    let mut html = String::from(HEAD);
    let title = text(&doc["info"]["title"]);
    let _ = write!(
        html,
        "<h1>{}</h1><p>{}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI {}).</p>",
        escape(&title),
        escape(&text(&doc["info"]["description"])),
        escape(&text(&doc["openapi"]))
    );
    html.push_str("<h2>Operations</h2>");
    if let Some(paths) = doc["paths"].as_object() {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, operation) in item {
                render_operation(&mut html, method, path, operation);
            }
        }
    }
    html.push_str("<h2>Schemas</h2>");
    if let Some(schemas) = doc["components"]["schemas"].as_object() {
        for (name, schema) in schemas {
            render_schema(&mut html, name, schema);
        }
    }
    html.push_str("</body></html>");
    html
}

fn render_operation(html: &mut String, method: &str, path: &str, operation: &Value) {
    let _ = write!(
        html,
        "<section id=\"{id}\"><h3><span class=\"m {method}\">{upper}</span> <code>{path}</code></h3>",
        id = escape(&format!("{method}{path}")),
        upper = method.to_uppercase(),
        path = escape(path),
    );
    for key in ["summary", "description"] {
        let value = text(&operation[key]);
        if !value.is_empty() && (key == "summary" || value != text(&operation["summary"])) {
            let _ = write!(html, "<p>{}</p>", escape(&value));
        }
    }
    if let Some(parameters) = operation["parameters"].as_array().filter(|p| !p.is_empty()) {
        html.push_str("<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>");
        for parameter in parameters {
            let _ = write!(
                html,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&text(&parameter["name"])),
                if parameter["required"] == true { " *" } else { "" },
                escape(&text(&parameter["in"])),
                escape(&type_of(&parameter["schema"])),
                escape(&text(&parameter["description"]))
            );
        }
        html.push_str("</table>");
    }
    if let Some(body) = operation["requestBody"]["content"]["application/json"]["schema"].as_object() {
        let _ = write!(
            html,
            "<p>Body: {}</p>",
            link(&type_of(&Value::Object(body.clone())))
        );
    }
    if let Some(responses) = operation["responses"].as_object() {
        html.push_str("<ul>");
        for (status, response) in responses {
            let schema = &response["content"]["application/json"]["schema"];
            let body = if schema.is_null() {
                String::new()
            } else {
                format!(" → {}", link(&type_of(schema)))
            };
            let _ = write!(
                html,
                "<li><b>{}</b> {}{}</li>",
                escape(status),
                escape(&text(&response["description"])),
                body
            );
        }
        html.push_str("</ul>");
    }
    html.push_str("</section>");
}

fn render_schema(html: &mut String, name: &str, schema: &Value) {
    let _ = write!(
        html,
        "<section id=\"schema-{id}\"><h3><code>{id}</code></h3>",
        id = escape(name)
    );
    let description = text(&schema["description"]);
    if !description.is_empty() {
        let _ = write!(html, "<p>{}</p>", escape(&description));
    }
    if let Some(properties) = schema["properties"].as_object() {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        html.push_str("<table><tr><th>field</th><th>type</th><th>description</th></tr>");
        for (field, property) in properties {
            let _ = write!(
                html,
                "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td></tr>",
                escape(field),
                if required.contains(&field.as_str()) {
                    " *"
                } else {
                    ""
                },
                link(&type_of(property)),
                escape(&text(&property["description"]))
            );
        }
        html.push_str("</table>");
    } else {
        let _ = write!(html, "<p>Type: {}</p>", link(&type_of(schema)));
    }
    html.push_str("</section>");
}

/// A short type description: `string`, `array of Rule`, `Rule | null`…
fn type_of(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(members) = schema[key].as_array() {
            return members.iter().map(type_of).collect::<Vec<_>>().join(" | ");
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().map(text).collect::<Vec<_>>().join(" | "),
        other => text(other),
    };
    if kind.starts_with("array") {
        return format!("array of {}", type_of(&schema["items"]));
    }
    if let Some(values) = schema["enum"].as_array() {
        return values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    if kind.is_empty() { "any".to_owned() } else { kind }
}

/// Links schema names in a type description to their section.
fn link(description: &str) -> String {
    description
        .split(' ')
        .map(|word| {
            if word.chars().next().is_some_and(char::is_uppercase) {
                format!("<a href=\"#schema-{0}\">{0}</a>", escape(word))
            } else {
                escape(word)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const HEAD: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Weir admin API</title><style>\
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}\
code{font:13px ui-monospace,monospace}section{border-top:1px solid #ddd;padding:.5rem 0}\
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left;vertical-align:top}\
.m{display:inline-block;min-width:4rem;font:bold 12px monospace;padding:.1rem .4rem;border-radius:3px;color:#fff;background:#555}\
.get{background:#2a7}.post{background:#27a}.patch{background:#a72}.delete{background:#a33}\
</style></head><body>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_and_links() {
        assert_eq!(escape("<a href=\"x\">&"), "&lt;a href=&quot;x&quot;&gt;&amp;");
        assert_eq!(
            type_of(&serde_json::json!({"type": "array", "items": {"$ref": "#/components/schemas/Rule"}})),
            "array of Rule"
        );
        assert!(link("array of Rule").contains("href=\"#schema-Rule\""));
    }
}
