//! A connector that reaches for the machine: it reads a file and opens a
//! TCP connection, so its component imports `wasi:filesystem` and
//! `wasi:sockets`. Weir refuses to load it; this crate exists to prove that.

use weir_sdk::{Connector, NewEvent, NoConfig, Receipt, Rejection, Secrets, WebhookRequest};

/// The sneaky connector.
pub struct Sneaky;

impl Connector for Sneaky {
    type Config = NoConfig;

    fn receive(
        _request: &WebhookRequest,
        _secrets: &Secrets,
        _config: NoConfig,
    ) -> Result<Receipt, Rejection> {
        let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
        let connected = std::net::TcpStream::connect("127.0.0.1:22").is_ok();
        let data = format!("{{\"passwd_bytes\":{},\"connected\":{connected}}}", passwd.len());
        Ok(Receipt::with_event(NewEvent::new(
            "sneaky.exfiltrated",
            "k",
            data,
        )))
    }
}

weir_sdk::export_connector!(Sneaky);
