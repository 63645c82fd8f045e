//! The functions Weir provides to packs, as plain Rust.
//!
//! Inside a component these call the engine's `weir:pack/host` imports (the
//! engine does the cryptography, in constant time where it matters). In a
//! native build — a pack's unit tests — they run the same RustCrypto code
//! locally, so a pack's logic can be tested without the engine.

pub use crate::bindings::connector::weir::pack::host::{HashAlgorithm, LogLevel};

/// Writes a line to Weir's log, tagged with the calling pack.
pub fn log(level: LogLevel, message: &str) {
    imp::log(level, message);
}

/// Computes `HMAC(algorithm, key, message)`.
pub fn hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    imp::hmac(algorithm, key, message)
}

/// True when `expected` is the HMAC of `message` under `key`; constant time.
pub fn verify_hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8], expected: &[u8]) -> bool {
    imp::verify_hmac(algorithm, key, message, expected)
}

/// Computes a plain digest of `data`.
pub fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    imp::digest(algorithm, data)
}

/// Lowercase hex of [`digest`], handy for idempotency keys derived from a body.
pub fn digest_hex(algorithm: HashAlgorithm, data: &[u8]) -> String {
    hex::encode(digest(algorithm, data))
}

/// Compares two byte strings in constant time.
pub fn constant_time_equals(a: &[u8], b: &[u8]) -> bool {
    imp::constant_time_equals(a, b)
}

/// The current wall-clock time in milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    imp::now_ms()
}

/// Inside a component: forward to the engine.
#[cfg(target_arch = "wasm32")]
mod imp {
    use super::{HashAlgorithm, LogLevel};
    use crate::bindings::connector::weir::pack::host as wit;

    pub fn log(level: LogLevel, message: &str) {
        wit::log(level, message);
    }
    pub fn hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
        wit::hmac(algorithm, key, message)
    }
    pub fn verify_hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8], expected: &[u8]) -> bool {
        wit::verify_hmac(algorithm, key, message, expected)
    }
    pub fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        wit::digest(algorithm, data)
    }
    pub fn constant_time_equals(a: &[u8], b: &[u8]) -> bool {
        wit::constant_time_equals(a, b)
    }
    pub fn now_ms() -> u64 {
        wit::now_ms()
    }
}

/// Natively (pack unit tests): the same primitives, computed in process.
#[cfg(not(target_arch = "wasm32"))]
mod imp {
    use super::{HashAlgorithm, LogLevel};
    use hmac::{Hmac, Mac};
    use sha2::Digest;

    pub fn log(level: LogLevel, message: &str) {
        eprintln!("[pack {level:?}] {message}");
    }

    /// HMAC over one RustCrypto hash; HMAC takes keys of any length, so the
    /// key-length error cannot happen and maps to an empty (never matching) MAC.
    macro_rules! mac {
        ($hash:ty, $key:expr, $message:expr) => {
            <Hmac<$hash> as Mac>::new_from_slice($key).map_or_else(
                |_| Vec::new(),
                |mut mac| {
                    mac.update($message);
                    mac.finalize().into_bytes().to_vec()
                },
            )
        };
    }

    pub fn hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
        match algorithm {
            HashAlgorithm::Sha1 => mac!(sha1::Sha1, key, message),
            HashAlgorithm::Sha256 => mac!(sha2::Sha256, key, message),
            HashAlgorithm::Sha512 => mac!(sha2::Sha512, key, message),
        }
    }

    pub fn verify_hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8], expected: &[u8]) -> bool {
        constant_time_equals(&hmac(algorithm, key, message), expected)
    }

    pub fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        match algorithm {
            HashAlgorithm::Sha1 => sha1::Sha1::digest(data).to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    pub fn constant_time_equals(a: &[u8], b: &[u8]) -> bool {
        if a.len() != b.len() {
            return false;
        }
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    pub fn now_ms() -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}
