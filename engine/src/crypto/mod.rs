//! Cryptography Weir applies to data, as opposed to signatures: secrets
//! sealed at rest ([`SecretBox`]) and payloads encrypted to a receiver's
//! public key ([`envelope`]).

pub mod envelope;
mod sealing;

pub use sealing::{SealError, SecretBox};
