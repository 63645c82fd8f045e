//! `weir listen`: a local receiver for people testing their rules. Prints
//! every request (method, path, the Standard Webhooks headers, the body
//! pretty-printed) and, given the destination's `whsec_…` secret, whether
//! its `webhook-signature` verifies (any of the space-separated `v1,`
//! signatures, timestamp within five minutes). Signatures are computed with
//! the engine's own signer and compared in constant time.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use subtle::ConstantTimeEq as _;
use weir::delivery::signature::sign;
use weir::model::SigningSecret;

use crate::cli::failure::Failure;

/// How far `webhook-timestamp` may be from now, either way.
const TOLERANCE_SECS: u64 = 5 * 60;

/// Options of `weir listen`.
#[derive(Debug, clap::Args)]
pub struct ListenArgs {
    /// Port on 127.0.0.1 (0 picks a free one; the first line printed says
    /// which).
    #[arg(long, default_value_t = 9000)]
    port: u16,
    /// The destination's signing secret, `whsec_…`: verify signatures.
    #[arg(long, env = "WEIR_LISTEN_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Only requests under this path are received (others get 404).
    #[arg(long, default_value = "/")]
    path: String,
    /// Status code to answer with.
    #[arg(long, default_value_t = 200)]
    status: u16,
}

struct Listener {
    secret: Option<SigningSecret>,
    path: String,
    status: StatusCode,
}

/// Runs the receiver until interrupted.
pub fn run(args: &ListenArgs) -> Result<(), Failure> {
    let secret = args
        .secret
        .clone()
        .map(SigningSecret::try_from)
        .transpose()
        .map_err(|error| Failure::Usage(format!("`--secret`: {error}")))?;
    let status = StatusCode::from_u16(args.status)
        .ok()
        .filter(|status| !status.is_informational())
        .ok_or_else(|| Failure::Usage(format!("`--status {}` is not a final HTTP status", args.status)))?;
    if !args.path.starts_with('/') {
        return Err(Failure::Usage(format!(
            "`--path {}` must start with `/`",
            args.path
        )));
    }
    let listener = Arc::new(Listener {
        secret,
        path: args.path.clone(),
        status,
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Local(format!("cannot start the runtime: {error}")))?;
    runtime.block_on(async {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
        let socket = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|error| Failure::Local(format!("cannot listen on `{address}`: {error}")))?;
        let bound = socket
            .local_addr()
            .map_err(|error| Failure::Local(format!("cannot listen on `{address}`: {error}")))?;
        let verifying = if listener.secret.is_some() {
            "verifying signatures"
        } else {
            "not verifying signatures (no --secret)"
        };
        println!("listening on http://{bound}{}  ({verifying})", listener.path);
        let app = Router::new().fallback(receive).with_state(listener);
        axum::serve(socket, app)
            .await
            .map_err(|error| Failure::Local(format!("serving: {error}")))
    })
}

async fn receive(
    State(listener): State<Arc<Listener>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let path = uri.path();
    let prefix = listener.path.trim_end_matches('/');
    if !(path == listener.path || path == prefix || path.starts_with(&format!("{prefix}/"))) {
        println!("{method} {uri} -> 404 (not under {})", listener.path);
        return StatusCode::NOT_FOUND;
    }
    let mut text = format!("--- {method} {uri}\n");
    for name in [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "content-type",
        "user-agent",
    ] {
        if let Some(value) = headers.get(name) {
            let _ = writeln!(text, "{name}: {}", String::from_utf8_lossy(value.as_bytes()));
        }
    }
    match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(json) => {
            let _ = writeln!(
                text,
                "{}",
                serde_json::to_string_pretty(&json).unwrap_or_default()
            );
        }
        Err(_) if body.is_empty() => text.push_str("(empty body)\n"),
        Err(_) => {
            let _ = writeln!(text, "{}", String::from_utf8_lossy(&body));
        }
    }
    match &listener.secret {
        None => text.push_str("signature: not checked (no --secret)\n"),
        Some(secret) => match verify(secret, &headers, &body, weir::time::now_ms() / 1000) {
            Ok(()) => text.push_str("signature: VERIFIED\n"),
            Err(reason) => {
                let _ = writeln!(text, "signature: FAILED ({reason})");
            }
        },
    }
    let _ = writeln!(text, "answered {}", listener.status.as_u16());
    print!("{text}");
    listener.status
}

/// Checks a Standard Webhooks request at `now_secs`; the reason it fails.
fn verify(secret: &SigningSecret, headers: &HeaderMap, body: &[u8], now_secs: u64) -> Result<(), String> {
    let header = |name: &str| -> Result<&str, String> {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| format!("no `{name}` header"))
    };
    let id = header("webhook-id")?;
    let timestamp_text = header("webhook-timestamp")?;
    let signatures = header("webhook-signature")?;
    let timestamp: u64 = timestamp_text
        .parse()
        .map_err(|_| format!("`webhook-timestamp` `{timestamp_text}` is not a number of seconds"))?;
    if timestamp.abs_diff(now_secs) > TOLERANCE_SECS {
        return Err(format!(
            "`webhook-timestamp` is {}s {}, more than the {TOLERANCE_SECS}s tolerance",
            timestamp.abs_diff(now_secs),
            if timestamp < now_secs {
                "old"
            } else {
                "in the future"
            }
        ));
    }
    let expected = sign(std::slice::from_ref(secret), id, timestamp, body);
    let candidates: Vec<&str> = signatures
        .split(' ')
        .filter(|part| part.starts_with("v1,"))
        .collect();
    if candidates.is_empty() {
        return Err("no `v1,` signature in `webhook-signature`".to_owned());
    }
    if candidates
        .iter()
        .any(|candidate| bool::from(candidate.as_bytes().ct_eq(expected.as_bytes())))
    {
        Ok(())
    } else {
        Err(format!(
            "none of the {} signature(s) matches the secret",
            candidates.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SigningSecret {
        SigningSecret::try_from(text.to_owned()).expect("secret")
    }

    fn headers(id: &str, timestamp: u64, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("webhook-id", id.parse().expect("value"));
        headers.insert("webhook-timestamp", timestamp.to_string().parse().expect("value"));
        headers.insert("webhook-signature", signature.parse().expect("value"));
        headers
    }

    /// The Standard Webhooks specification's example.
    #[test]
    fn verifies_the_specification_example_among_several_signatures() {
        let key = secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        let now = 1_614_265_330;
        let both = format!("v1,bm90IGl0 {good}");
        assert_eq!(
            verify(
                &key,
                &headers("msg_p5jXN8AQM9LWM0D4loKWxJek", now, &both),
                body,
                now
            ),
            Ok(())
        );
        let wrong = secret("whsec_dGhpcyBpcyBub3QgdGhlIHJpZ2h0IGtleSBhdCBhbGw=");
        let failed = verify(
            &wrong,
            &headers("msg_p5jXN8AQM9LWM0D4loKWxJek", now, good),
            body,
            now,
        );
        assert!(failed.is_err_and(|reason| reason.contains("matches")));
        let late = verify(
            &key,
            &headers("msg_p5jXN8AQM9LWM0D4loKWxJek", now, good),
            body,
            now + 301,
        );
        assert!(late.is_err_and(|reason| reason.contains("tolerance")));
    }
}
