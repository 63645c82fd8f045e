//! A connector that misbehaves as its trigger configuration says, so the
//! engine's sandbox can be tested against a real component:
//!
//! - `loop`: spins forever (stopped by the deadline),
//! - `alloc`: allocates without bound (stopped by the memory limit),
//! - `trap`: panics,
//! - `recurse`: recurses without bound on the wasm stack (stopped by the
//!   engine's stack limit),
//! - `recurse-shadow`: recurses with large frames, overflowing the Rust
//!   shadow stack in linear memory (an out-of-bounds trap),
//! - `huge-output`: returns an event far larger than the output cap,
//! - `print`: writes a lot to stdout, then behaves,
//! - anything else: behaves, emitting `hostile.ok` keyed by the body's hash.

use serde::Deserialize;
use weir_sdk::host::{self, HashAlgorithm};
use weir_sdk::{Connector, NewEvent, Receipt, Rejection, Secrets, WebhookRequest};

/// The hostile connector.
pub struct Hostile;

/// Which misbehaviour to show.
#[derive(Debug, Default, Deserialize)]
pub struct HostileConfig {
    /// `loop`, `alloc`, `trap`, `recurse`, `huge-output`, `print`, or none.
    #[serde(default)]
    pub mode: String,
}

impl Connector for Hostile {
    type Config = HostileConfig;

    fn receive(
        request: &WebhookRequest,
        _secrets: &Secrets,
        config: HostileConfig,
    ) -> Result<Receipt, Rejection> {
        match config.mode.as_str() {
            "loop" => spin(),
            "alloc" => hoard(),
            "trap" => panic!("hostile pack panicked on purpose"),
            "recurse" => {
                let depth = recurse(std::hint::black_box(u64::MAX));
                Err(Rejection::Malformed(format!("recursion ended at {depth}")))
            }
            "recurse-shadow" => {
                let depth = recurse_with_frames(std::hint::black_box(1));
                Err(Rejection::Malformed(format!("recursion ended at {depth}")))
            }
            "huge-output" => Ok(Receipt::with_event(NewEvent::new(
                "hostile.huge",
                "huge",
                format!("\"{}\"", "x".repeat(8 * 1024 * 1024)),
            ))),
            mode => {
                if mode == "print" {
                    for line in 0..5_000 {
                        println!("hostile line {line}");
                    }
                }
                let key = host::digest_hex(HashAlgorithm::Sha256, &request.body);
                Ok(Receipt::with_event(NewEvent::new("hostile.ok", key, "{}")))
            }
        }
    }
}

weir_sdk::export_connector!(Hostile);

fn spin() -> ! {
    let mut counter = 0u64;
    loop {
        counter = std::hint::black_box(counter.wrapping_add(1));
    }
}

fn hoard() -> Result<Receipt, Rejection> {
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut chunk = vec![0u8; 1024 * 1024];
        chunk[0] = 1;
        chunks.push(std::hint::black_box(chunk));
    }
}

/// Recursion whose frames live on the wasm stack only (no address-taken
/// locals); the rotation keeps LLVM from turning it into a loop.
#[inline(never)]
fn recurse(depth: u64) -> u64 {
    if depth == 0 {
        return 1;
    }
    recurse(depth - 1).rotate_left(7) ^ depth
}

/// Recursion with big address-taken frames, on the shadow stack.
#[allow(unconditional_recursion)]
fn recurse_with_frames(depth: u64) -> u64 {
    let padding = std::hint::black_box([depth; 64]);
    recurse_with_frames(padding[0] + 1) + padding[63]
}
