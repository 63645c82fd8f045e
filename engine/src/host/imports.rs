//! The host functions packs import (`weir:pack/host`): logging, HMAC and
//! digests in constant time, and the clock.

use hmac::{Hmac, Mac};
use sha2::Digest;
use subtle::ConstantTimeEq;

use super::bindings::connector::weir::pack::{host, types};
use super::bindings::{HashAlgorithm, LogLevel};
use super::state::CallState;

/// Longest log line kept from a guest; longer ones are truncated.
const MAX_LOG_LINE: usize = 2048;
/// Most log lines one call may write; the rest are counted and dropped.
const MAX_LOG_LINES: u32 = 64;

impl types::Host for CallState {}

impl host::Host for CallState {
    fn log(&mut self, level: LogLevel, message: String) {
        self.log_lines += 1;
        if self.log_lines > MAX_LOG_LINES {
            return;
        }
        let message = truncate(&message, MAX_LOG_LINE);
        let component = &*self.component;
        match level {
            LogLevel::Trace => tracing::trace!(target: "weir::pack", component, "{message}"),
            LogLevel::Debug => tracing::debug!(target: "weir::pack", component, "{message}"),
            LogLevel::Info => tracing::info!(target: "weir::pack", component, "{message}"),
            LogLevel::Warn => tracing::warn!(target: "weir::pack", component, "{message}"),
            LogLevel::Error => tracing::error!(target: "weir::pack", component, "{message}"),
        }
    }

    fn hmac(&mut self, algorithm: HashAlgorithm, key: Vec<u8>, message: Vec<u8>) -> Vec<u8> {
        compute_hmac(algorithm, &key, &message)
    }

    fn verify_hmac(
        &mut self,
        algorithm: HashAlgorithm,
        key: Vec<u8>,
        message: Vec<u8>,
        expected: Vec<u8>,
    ) -> bool {
        compute_hmac(algorithm, &key, &message).ct_eq(&expected).into()
    }

    fn digest(&mut self, algorithm: HashAlgorithm, data: Vec<u8>) -> Vec<u8> {
        match algorithm {
            HashAlgorithm::Sha1 => sha1::Sha1::digest(&data).to_vec(),
            HashAlgorithm::Sha256 => sha2::Sha256::digest(&data).to_vec(),
            HashAlgorithm::Sha512 => sha2::Sha512::digest(&data).to_vec(),
        }
    }

    fn constant_time_equals(&mut self, a: Vec<u8>, b: Vec<u8>) -> bool {
        a.ct_eq(&b).into()
    }

    fn now_ms(&mut self) -> u64 {
        crate::time::now_ms()
    }
}

/// HMAC over one of the supported hashes. HMAC accepts keys of any length,
/// so the key-length error cannot occur; it maps to an empty MAC that never
/// verifies.
pub fn compute_hmac(algorithm: HashAlgorithm, key: &[u8], message: &[u8]) -> Vec<u8> {
    fn mac<M: Mac + hmac::digest::KeyInit>(key: &[u8], message: &[u8]) -> Vec<u8> {
        match <M as hmac::digest::KeyInit>::new_from_slice(key) {
            Ok(mut mac) => {
                mac.update(message);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }
    match algorithm {
        HashAlgorithm::Sha1 => mac::<Hmac<sha1::Sha1>>(key, message),
        HashAlgorithm::Sha256 => mac::<Hmac<sha2::Sha256>>(key, message),
        HashAlgorithm::Sha512 => mac::<Hmac<sha2::Sha512>>(key, message),
    }
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_githubs_documented_vector() {
        let mac = compute_hmac(
            HashAlgorithm::Sha256,
            b"It's a Secret to Everybody",
            b"Hello, World!",
        );
        assert_eq!(
            hex::encode(mac),
            "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(truncate("héllo", 2), "h");
        assert_eq!(truncate("abc", 10), "abc");
    }
}
