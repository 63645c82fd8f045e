//! The real `weir` binary (`CARGO_BIN_EXE_weir`) as a child process: a
//! free port for it, waiting until it is ready, SIGTERM, waiting for it to
//! exit.

use std::process::{Child, Command, ExitStatus};
use std::time::Duration;

use super::eventually;
use super::server::{ADMIN_TOKEN, TestDirs};

/// How long a child gets to start or to stop.
const WAIT: Duration = Duration::from_secs(60);

/// `weir serve` on 127.0.0.1:`port` over `dirs`, with the suite's admin
/// token and a 2 s pack call timeout, ignoring any `WEIR_CONFIG` of the
/// caller; add arguments, environment and output, then spawn.
pub fn serve_command(dirs: &TestDirs, port: u16) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_weir"));
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(&dirs.data)
        .arg("--plugins-dir")
        .arg(&dirs.plugins)
        .env("WEIR_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("WEIR_PACKS_CALL_TIMEOUT", "2s")
        .env_remove("WEIR_CONFIG");
    command
}

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
