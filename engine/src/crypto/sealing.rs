//! [`SecretBox`]: AES-256-GCM sealing of values stored at rest (destination
//! auth and custom headers), so a copy of the data directory alone does not
//! reveal them.
//!
//! The key comes from `WEIR_ENCRYPTION_KEY` (base64 of 32 bytes) or from a
//! key file (`encryption_key_file`, default `<data_dir>/encryption.key`,
//! created with mode 0600 on first start). Keep the file outside the data
//! directory's backups, or provide the key from the environment, for the
//! protection to mean something. Sealed values are `v1:` + base64 of a
//! random 96-bit nonce followed by the ciphertext and tag.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::TryRngCore;

/// The key could not be loaded, or a value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The key in the environment or file is not 32 bytes of base64.
    #[error("the encryption key from {source_name} is not base64 of 32 bytes")]
    BadKey {
        /// `WEIR_ENCRYPTION_KEY` or the file path.
        source_name: String,
    },
    /// The key file could not be read or created.
    #[error("cannot use the encryption key file `{path}`: {source}")]
    KeyFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A sealed value is damaged or was sealed with another key.
    #[error("a sealed value cannot be opened (damaged, or sealed with another key)")]
    Open,
}

/// Seals and opens values with one AES-256-GCM key.
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

impl SecretBox {
    /// A box with `key`.
    pub fn new(key: [u8; 32]) -> Self {
        Self {
            cipher: Aes256Gcm::new(&key.into()),
        }
    }

    /// Loads the key from `WEIR_ENCRYPTION_KEY` when `env_key` is given,
    /// else from `file`, creating the file (mode 0600) with a random key
    /// when it does not exist.
    pub fn load(env_key: Option<&str>, file: &Path) -> Result<Self, SealError> {
        if let Some(text) = env_key {
            return decode_key(text, "WEIR_ENCRYPTION_KEY").map(Self::new);
        }
        let name = file.display().to_string();
        match std::fs::read_to_string(file) {
            Ok(text) => decode_key(&text, &name).map(Self::new),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rngs::OsRng
                    .try_fill_bytes(&mut key)
                    .map_err(|e| SealError::KeyFile {
                        path: name.clone(),
                        source: std::io::Error::other(e.to_string()),
                    })?;
                write_private(file, &BASE64.encode(key))
                    .map_err(|source| SealError::KeyFile { path: name, source })?;
                tracing::warn!(file = %file.display(), "created a new encryption key for secrets at rest; back it up apart from the data");
                Ok(Self::new(key))
            }
            Err(source) => Err(SealError::KeyFile { path: name, source }),
        }
    }

    /// Seals `plaintext`.
    pub fn seal(&self, plaintext: &str) -> String {
        let mut nonce = [0u8; 12];
        // The OS RNG failing is not recoverable in any useful way; a zero
        // nonce would be unsafe, so fall back to a time-derived one only if
        // it does (never observed on Linux).
        if rand::rngs::OsRng.try_fill_bytes(&mut nonce).is_err() {
            let now = crate::time::now_ms().to_be_bytes();
            nonce[..8].copy_from_slice(&now);
        }
        let ciphertext = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        format!("v1:{}", BASE64.encode(out))
    }

    /// Opens a value made by [`Self::seal`].
    pub fn open(&self, sealed: &str) -> Result<String, SealError> {
        let bytes = sealed
            .strip_prefix("v1:")
            .and_then(|b64| BASE64.decode(b64).ok())
            .filter(|bytes| bytes.len() > 12)
            .ok_or(SealError::Open)?;
        let (nonce, ciphertext) = bytes.split_at(12);
        let plaintext = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), ciphertext)
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plaintext).map_err(|_| SealError::Open)
    }
}

fn decode_key(text: &str, source_name: &str) -> Result<[u8; 32], SealError> {
    BASE64
        .decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or_else(|| SealError::BadKey {
            source_name: source_name.to_owned(),
        })
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_with_the_same_key_only() {
        let one = SecretBox::new([7; 32]);
        let sealed = one.seal("Bearer hunter2");
        assert!(sealed.starts_with("v1:") && !sealed.contains("hunter2"));
        assert_eq!(one.open(&sealed).expect("opens"), "Bearer hunter2");
        assert_ne!(one.seal("Bearer hunter2"), sealed, "a fresh nonce every time");
        assert!(SecretBox::new([8; 32]).open(&sealed).is_err());
        assert!(one.open("v1:AAAA").is_err());
    }

    #[test]
    fn the_key_file_is_created_private_and_reused() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("temp");
        let file = dir.path().join("k/encryption.key");
        let sealed = SecretBox::load(None, &file).expect("created").seal("x");
        let mode = std::fs::metadata(&file).expect("file").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            SecretBox::load(None, &file)
                .expect("reused")
                .open(&sealed)
                .expect("opens"),
            "x"
        );
        assert!(SecretBox::load(Some("short"), &file).is_err());
    }
}
