//! Encoding of keys and records: JSON values, big-endian composite keys.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::StoreError;

/// Encodes a record as JSON.
pub(super) fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(value).map_err(StoreError::Encode)
}

/// Decodes a record from `tree`.
pub(super) fn decode<T: DeserializeOwned>(tree: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Decode { tree, source })
}

/// `due` key: due time then delivery id, so a range scan yields what is due.
pub(super) fn due_key(due_at_ms: u64, delivery: [u8; 16]) -> [u8; 24] {
    let mut key = [0u8; 24];
    key[..8].copy_from_slice(&due_at_ms.to_be_bytes());
    key[8..].copy_from_slice(&delivery);
    key
}

/// Splits a `due` key into due time and delivery id bytes.
pub(super) fn split_due_key(key: &[u8]) -> Option<(u64, &[u8])> {
    if key.len() != 24 {
        return None;
    }
    let (time, id) = key.split_at(8);
    Some((u64::from_be_bytes(time.try_into().ok()?), id))
}

/// `attempts` key: delivery id then attempt number.
pub(super) fn attempt_key(delivery: [u8; 16], number: u32) -> [u8; 20] {
    let mut key = [0u8; 20];
    key[..16].copy_from_slice(&delivery);
    key[16..].copy_from_slice(&number.to_be_bytes());
    key
}

/// `dedup` key: trigger id then the idempotency key's bytes.
pub(super) fn dedup_key(trigger: [u8; 16], idempotency_key: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(16 + idempotency_key.len());
    key.extend_from_slice(&trigger);
    key.extend_from_slice(idempotency_key.as_bytes());
    key
}

/// `dedup` value: the event id and when the marker expires.
pub(super) fn dedup_value(event: [u8; 16], expires_at_ms: u64) -> [u8; 24] {
    let mut value = [0u8; 24];
    value[..16].copy_from_slice(&event);
    value[16..].copy_from_slice(&expires_at_ms.to_be_bytes());
    value
}

/// Splits a `dedup` value.
pub(super) fn split_dedup_value(value: &[u8]) -> Option<([u8; 16], u64)> {
    if value.len() != 24 {
        return None;
    }
    let event: [u8; 16] = value[..16].try_into().ok()?;
    let expires = u64::from_be_bytes(value[16..].try_into().ok()?);
    Some((event, expires))
}

/// `dedup_expiry` key: expiry time then the `dedup` key, so a range scan
/// up to now yields exactly the expired markers.
pub(super) fn expiry_key(expires_at_ms: u64, dedup_key: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(8 + dedup_key.len());
    key.extend_from_slice(&expires_at_ms.to_be_bytes());
    key.extend_from_slice(dedup_key);
    key
}

/// Splits a `dedup_expiry` key into expiry time and `dedup` key.
pub(super) fn split_expiry_key(key: &[u8]) -> Option<(u64, &[u8])> {
    if key.len() < 8 {
        return None;
    }
    let (time, dedup) = key.split_at(8);
    Some((u64::from_be_bytes(time.try_into().ok()?), dedup))
}

/// A big-endian `u64` from the first 8 bytes at `at`.
pub(super) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_keys_sort_by_time_and_split_back() {
        let early = due_key(5, [9; 16]);
        let late = due_key(6, [0; 16]);
        assert!(early < late);
        assert_eq!(split_due_key(&early), Some((5, &[9u8; 16][..])));
        assert_eq!(split_due_key(&[1, 2]), None);
    }

    #[test]
    fn dedup_values_round_trip() {
        let value = dedup_value([7; 16], 42);
        assert_eq!(split_dedup_value(&value), Some(([7; 16], 42)));
    }

    #[test]
    fn expiry_keys_sort_by_time_and_split_back() {
        let early = expiry_key(5, b"zzz");
        let late = expiry_key(6, b"aaa");
        assert!(early < late);
        assert_eq!(split_expiry_key(&early), Some((5, &b"zzz"[..])));
        assert!(expiry_key(5, b"zzz") < 6u64.to_be_bytes().to_vec());
    }
}
