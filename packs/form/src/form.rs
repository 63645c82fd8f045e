//! `application/x-www-form-urlencoded` bodies to JSON objects.

use serde_json::{Map, Value};
use weir_sdk::Rejection;

/// Most fields accepted in one submission.
pub const MAX_FIELDS: usize = 1000;

/// Decodes a form body into a JSON object: each name maps to its value as a
/// string, or to an array of strings when the name is repeated (in order).
/// `+` is a space, `%XX` a byte (invalid escapes are kept literally), and
/// the decoded bytes must be UTF-8. Empty pairs are skipped. This is the
/// WHATWG URL Standard's `application/x-www-form-urlencoded` parser, except
/// that bytes which are not UTF-8 are refused rather than replaced with
/// U+FFFD, so that a form posted in another charset is not silently garbled.
pub fn parse_form(body: &str) -> Result<Map<String, Value>, Rejection> {
    let mut fields = Map::new();
    let mut count = 0;
    for pair in body.split('&').filter(|pair| !pair.is_empty()) {
        let (raw_name, raw_value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = decode(raw_name)?;
        count += 1;
        if count > MAX_FIELDS {
            return Err(Rejection::Malformed(format!(
                "form has more than {MAX_FIELDS} fields"
            )));
        }
        insert(&mut fields, name, Value::String(decode(raw_value)?));
    }
    Ok(fields)
}

/// Adds `value` under `name`, turning a repeated name into an array.
fn insert(fields: &mut Map<String, Value>, name: String, value: Value) {
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, value);
        }
        Some(Value::Array(values)) => values.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Percent-decodes one name or value of a form, refusing one that is not
/// UTF-8 once decoded.
pub fn decode(text: &str) -> Result<String, Rejection> {
    String::from_utf8(weir_sdk::percent_decode_bytes(text))
        .map_err(|_| Rejection::Malformed("a form field is not UTF-8 once percent-decoded".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_plus_and_percent_escapes() {
        assert_eq!(decode("Jane+Doe").ok().as_deref(), Some("Jane Doe"));
        assert_eq!(decode("a%2Bb%3Dc%26d").ok().as_deref(), Some("a+b=c&d"));
        assert_eq!(decode("Z%C3%BCrich").ok().as_deref(), Some("Zürich"));
        assert_eq!(decode("100%").ok().as_deref(), Some("100%"));
        assert_eq!(decode("%zz%4").ok().as_deref(), Some("%zz%4"));
        assert!(matches!(decode("%FF"), Err(Rejection::Malformed(_))));
    }

    #[test]
    fn repeated_names_become_arrays() {
        let fields = parse_form("topic=rust&topic=wasm&name=Ada&topic=weir&&flag").expect("parses");
        assert_eq!(
            Value::Object(fields),
            json!({"topic": ["rust", "wasm", "weir"], "name": "Ada", "flag": ""})
        );
    }

    /// web-platform-tests url/resources/urlencoded-parser-data.json: the
    /// cases whose bytes are UTF-8 parse to the same pairs; the others
    /// (which browsers decode to U+FFFD) are refused.
    #[test]
    fn agrees_with_the_web_platform_tests() {
        let cases: [(&str, &[(&str, &str)]); 28] = [
            ("test", &[("test", "")]),
            ("\u{FEFF}test=\u{FEFF}", &[("\u{FEFF}test", "\u{FEFF}")]),
            ("%EF%BB%BFtest=%EF%BB%BF", &[("\u{FEFF}test", "\u{FEFF}")]),
            ("%EF%BF%BF=%EF%BF%BF", &[("\u{FFFF}", "\u{FFFF}")]),
            ("†&†=x", &[("†", ""), ("†", "x")]),
            ("", &[]),
            ("a", &[("a", "")]),
            ("a=b", &[("a", "b")]),
            ("a=", &[("a", "")]),
            ("=b", &[("", "b")]),
            ("&", &[]),
            ("&a", &[("a", "")]),
            ("a&", &[("a", "")]),
            ("a&a", &[("a", ""), ("a", "")]),
            ("a&b&c", &[("a", ""), ("b", ""), ("c", "")]),
            ("a=b&c=d", &[("a", "b"), ("c", "d")]),
            ("&&&a=b&&&&c=d&", &[("a", "b"), ("c", "d")]),
            ("a=a&a=b&a=c", &[("a", "a"), ("a", "b"), ("a", "c")]),
            ("a==a", &[("a", "=a")]),
            ("a=a+b+c+d", &[("a", "a b c d")]),
            ("%=a", &[("%", "a")]),
            ("%a=a", &[("%a", "a")]),
            ("%a_=a", &[("%a_", "a")]),
            ("%61=a", &[("a", "a")]),
            ("%61+%4d%4D=", &[("a MM", "")]),
            ("id=0&value=%", &[("id", "0"), ("value", "%")]),
            ("b=%2sf%2a", &[("b", "%2sf*")]),
            ("b=%%2a", &[("b", "%*")]),
        ];
        for (input, pairs) in cases {
            let mut expected = Map::new();
            for (name, value) in pairs {
                insert(&mut expected, (*name).to_owned(), json!(value));
            }
            assert_eq!(parse_form(input).ok(), Some(expected), "{input}");
        }
        assert_eq!(
            parse_form("b=%2%2af%2a").ok().map(Value::Object),
            Some(json!({"b": "%2*f*"}))
        );
        for input in [
            "%FE%FF",
            "%FF%FE",
            "%C2",
            "%C2x",
            "_charset_=windows-1252&test=%C2x",
        ] {
            assert!(
                matches!(parse_form(input), Err(Rejection::Malformed(_))),
                "{input}"
            );
        }
    }

    #[test]
    fn too_many_fields_are_refused() {
        let body = vec!["a=1"; MAX_FIELDS + 1].join("&");
        assert!(matches!(parse_form(&body), Err(Rejection::Malformed(_))));
        assert!(parse_form(&vec!["a=1"; MAX_FIELDS].join("&")).is_ok());
    }
}
