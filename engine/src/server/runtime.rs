//! The async runtime `weir serve` runs on, built in one place so the load
//! benchmark measures the server on exactly the same configuration.

use tokio::runtime::{Builder, Runtime};

/// Builds the multi-threaded runtime Weir serves from (one worker per
/// core).
pub fn runtime() -> std::io::Result<Runtime> {
    Builder::new_multi_thread().enable_all().build()
}
