//! The real `weir` binary (`CARGO_BIN_EXE_weir`) as a child process: a
//! free port for it, waiting until it is ready, SIGTERM, waiting for it to
//! exit.

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use super::eventually;

/// How long a child gets to start or to stop.
const WAIT: Duration = Duration::from_secs(60);

/// A free port on 127.0.0.1 (bound, then released for the child).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until Weir at `base` answers `/readyz`.
pub async fn wait_ready(http: &reqwest::Client, base: &str) {
    eventually("weir to answer /readyz", WAIT, || async {
        let response = http.get(format!("{base}/readyz")).send().await.ok()?;
        (response.status() == 200).then_some(())
    })
    .await;
}

/// Sends SIGTERM to `child` (the graceful stop).
pub fn terminate(child: &Child) {
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success(), "kill -TERM failed");
}

/// Waits (polling, bounded) for `child` to exit.
pub async fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "weir did not exit after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
