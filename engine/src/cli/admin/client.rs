//! The one request helper every admin command goes through: bearer token,
//! JSON in and out, Weir's `{"error": {"code", "message"}}` turned into a
//! [`Failure`], on a small current-thread runtime.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;
use weir::error::error_chain;

use crate::cli::failure::Failure;

/// Where the API is and who is calling.
#[derive(Debug, Clone, clap::Args)]
pub struct ApiArgs {
    /// Base URL of the Weir server (admin commands).
    #[arg(
        long,
        global = true,
        env = "WEIR_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
    /// Bearer token for the admin API (admin commands); default
    /// `WEIR_TOKEN`, else `WEIR_ADMIN_TOKEN`.
    #[arg(long, global = true, env = "WEIR_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

/// One API call.
#[derive(Debug, Clone)]
pub struct Call {
    /// HTTP method.
    pub method: Method,
    /// Path under the base URL, e.g. `/api/v1/triggers/trg_…`.
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<Value>,
    /// Extra request headers.
    pub headers: Vec<(&'static str, String)>,
}

impl Call {
    /// A call without query, body or headers.
    pub fn new(method: Method, path: String) -> Self {
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            headers: Vec::new(),
        }
    }

    /// The same call with a JSON body.
    pub fn with_body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }
}

/// A connected client.
pub struct Client {
    base: url::Url,
    token: Option<String>,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// A client for `args`.
    pub fn new(args: &ApiArgs) -> Result<Self, Failure> {
        let base = url::Url::parse(&args.url)
            .map_err(|error| Failure::Usage(format!("`--url` `{}` is not a URL: {error}", args.url)))?;
        let token = args
            .token
            .clone()
            .or_else(|| std::env::var("WEIR_ADMIN_TOKEN").ok())
            .filter(|token| !token.is_empty());
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|error| Failure::Local(format!("cannot build the HTTP client: {error}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| Failure::Local(format!("cannot start the runtime: {error}")))?;
        Ok(Self {
            base,
            token,
            http,
            runtime,
        })
    }

    /// Sends `call`; the answer's JSON (`Value::Null` for an empty body).
    pub fn send(&self, call: &Call) -> Result<Value, Failure> {
        let mut url = self.base.clone();
        let base_path = url.path().trim_end_matches('/').to_owned();
        url.set_path(&format!("{base_path}{}", call.path));
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        let mut request = self.http.request(call.method.clone(), url.clone());
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        for (name, value) in &call.headers {
            request = request.header(*name, value);
        }
        if let Some(body) = &call.body {
            let bytes = serde_json::to_vec(body).map_err(|error| Failure::Usage(format!("body: {error}")))?;
            request = request.header("content-type", "application/json").body(bytes);
        }
        self.runtime.block_on(async {
            let response = request.send().await.map_err(|error| {
                Failure::Connect(format!(
                    "cannot reach weir at `{}`: {}",
                    self.base,
                    error_chain(&error)
                ))
            })?;
            let status = response.status();
            let bytes = response.bytes().await.map_err(|error| {
                Failure::Connect(format!(
                    "reading the answer from `{url}`: {}",
                    error_chain(&error)
                ))
            })?;
            let json = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
            };
            if status.is_success() {
                Ok(json)
            } else {
                Err(api_failure(status, &json))
            }
        })
    }
}

/// Weir's error JSON as a [`Failure::Api`]; anything else as `http_<status>`.
fn api_failure(status: reqwest::StatusCode, body: &Value) -> Failure {
    let error = &body["error"];
    match (error["code"].as_str(), error["message"].as_str()) {
        (Some(code), Some(message)) => Failure::Api {
            code: code.to_owned(),
            message: message.to_owned(),
        },
        _ => Failure::Api {
            code: format!("http_{}", status.as_u16()),
            message: match body {
                Value::String(text) if !text.trim().is_empty() => text.trim().to_owned(),
                Value::Null => status.canonical_reason().unwrap_or("no body").to_owned(),
                other => other.to_string(),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weir_errors_keep_their_code_and_others_get_the_status() {
        let weir = api_failure(
            reqwest::StatusCode::NOT_FOUND,
            &serde_json::json!({"error": {"code": "not_found", "message": "no trigger `x`"}}),
        );
        assert!(
            matches!(weir, Failure::Api { ref code, .. } if code == "not_found"),
            "{weir:?}"
        );
        let plain = api_failure(reqwest::StatusCode::METHOD_NOT_ALLOWED, &Value::Null);
        assert!(
            matches!(plain, Failure::Api { ref code, ref message } if code == "http_405" && message == "Method Not Allowed"),
            "{plain:?}"
        );
        assert_eq!(plain.exit_code(), 1);
    }
}
