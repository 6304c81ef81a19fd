//! Password rules and hashing (Argon2id, the platform's parameters), off the
//! async workers.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;

use crate::platform::oauth::clients::{check_dummy_secret, hash_secret};
use crate::platform::Fault;

/// Shortest password accepted, in characters.
pub const MIN_CHARS: usize = 8;
/// Longest password accepted, in characters.
pub const MAX_CHARS: usize = 128;

/// How a password breaks the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleBroken {
    /// Fewer than [`MIN_CHARS`] characters.
    TooShort,
    /// More than [`MAX_CHARS`] characters.
    TooLong,
}

/// Checks the rules every new password follows (registration, reset, change).
pub fn check_rules(password: &str) -> Result<(), RuleBroken> {
    let length = password.chars().count();
    if length < MIN_CHARS {
        Err(RuleBroken::TooShort)
    } else if length > MAX_CHARS {
        Err(RuleBroken::TooLong)
    } else {
        Ok(())
    }
}

/// An Argon2id hash of `password`.
pub async fn hash(password: String) -> Result<String, Fault> {
    Ok(tokio::task::spawn_blocking(move || hash_secret(&password)).await?)
}

/// Whether `password` matches `stored`; with no stored hash it spends the same
/// time and answers no, so unknown emails cannot be told from wrong passwords.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, Fault> {
    Ok(tokio::task::spawn_blocking(move || match stored {
        Some(h) => PasswordHash::new(&h).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        }),
        None => {
            check_dummy_secret(&password);
            false
        }
    })
    .await?)
}
