//! One error shape everywhere: bad query strings, bad path parameters,
//! bad JSON, oversized bodies, unsupported methods and unknown routes all
//! answer `{"error": {"code", "message"}}` with a stable code.

use serde_json::json;

use crate::support::TestServer;
use crate::support::server::{ADMIN_TOKEN, TestDirs, json_body, test_config};

/// Method, path, header, token, expected status and code.
type ErrorCase<'a> = (
    &'a str,
    &'a str,
    Option<(&'a str, String)>,
    Option<&'a str>,
    u16,
    &'a str,
);

#[tokio::test]
async fn every_api_error_has_the_error_shape_and_a_stable_code() {
    let dirs = TestDirs::new(&[]);
    let server = TestServer::start(test_config(&dirs)).await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let cases: Vec<ErrorCase> = vec![
        (
            "GET",
            "/api/v1/events?limit=abc",
            None,
            Some(ADMIN_TOKEN),
            400,
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/events?colour=blue",
            None,
            Some(ADMIN_TOKEN),
            400,
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/deliveries?status=weird",
            None,
            Some(ADMIN_TOKEN),
            400,
            "invalid_query",
        ),
        (
            "GET",
            "/api/v1/triggers/%FF%FE",
            None,
            Some(ADMIN_TOKEN),
            400,
            "invalid_path",
        ),
        (
            "GET",
            "/api/v1/events/evt_nope",
            None,
            Some(ADMIN_TOKEN),
            404,
            "not_found",
        ),
        (
            "PUT",
            "/api/v1/triggers",
            None,
            Some(ADMIN_TOKEN),
            405,
            "method_not_allowed",
        ),
        (
            "DELETE",
            "/api/v1/events",
            None,
            Some(ADMIN_TOKEN),
            405,
            "method_not_allowed",
        ),
        ("POST", "/healthz", None, None, 405, "method_not_allowed"),
        (
            "POST",
            "/api/v1/triggers",
            None,
            Some(ADMIN_TOKEN),
            415,
            "invalid_json",
        ),
        (
            "POST",
            "/api/v1/triggers",
            Some(("application/json", "{".to_owned())),
            Some(ADMIN_TOKEN),
            400,
            "invalid_json",
        ),
        (
            "POST",
            "/api/v1/triggers",
            Some(("application/json", json!({"name": 1}).to_string())),
            Some(ADMIN_TOKEN),
            422,
            "invalid_json",
        ),
        (
            "POST",
            "/api/v1/triggers",
            Some(("application/json", big)),
            Some(ADMIN_TOKEN),
            413,
            "body_too_large",
        ),
        (
            "GET",
            "/api/v1/nothing-here",
            None,
            Some(ADMIN_TOKEN),
            404,
            "no_route",
        ),
        ("GET", "/api/v1/triggers", None, None, 401, "missing_token"),
        (
            "GET",
            "/api/v1/triggers",
            None,
            Some("wrong"),
            401,
            "invalid_token",
        ),
    ];
    for (method, path, body, token, status, code) in cases {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = server
            .http
            .request(method.clone(), format!("{}{path}", server.url));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some((content_type, body)) = body {
            request = request.header("content-type", content_type).body(body);
        }
        let response = request.send().await.expect("request");
        let got = response.status().as_u16();
        let allow = response
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let answer = json_body(response).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert_eq!(answer["error"]["code"], code, "{method} {path}: {answer}");
        assert!(
            answer["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{method} {path}: {answer}"
        );
        assert_eq!(
            content_type.as_deref(),
            Some("application/json"),
            "{method} {path}"
        );
        if status == 405 {
            assert!(
                allow.is_some_and(|a| !a.is_empty()),
                "{method} {path} lists what it allows"
            );
        }
    }
    server.stop().await;
}
