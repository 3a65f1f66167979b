//! Password hashing with argon2id, off the async runtime (each hash takes
//! tens of milliseconds of CPU on purpose).

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng},
};
use std::sync::OnceLock;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("A password needs at least {min} characters.")]
    TooShort { min: usize },
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("the hashing task failed: {0}")]
    Task(String),
}

pub const MIN_LEN: usize = crate::domain::account::MIN_PASSWORD_LEN;

/// Hashes `password` (PHC string with argon2id and a random salt).
pub async fn hash(password: String) -> Result<String, PasswordError> {
    if password.chars().count() < MIN_LEN {
        return Err(PasswordError::TooShort { min: MIN_LEN });
    }
    hash_secret(password).await
}

/// A new registration PIN of `length` digits from the operating system's
/// CSPRNG, with its hash (the only form in which it is stored).
pub async fn new_pin(
    length: crate::domain::registration::PinLength,
) -> Result<(String, String), PasswordError> {
    use argon2::password_hash::rand_core::RngCore;
    let pin = crate::domain::registration::generate_pin(length, || {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        byte[0]
    });
    let hash = hash_secret(pin.clone()).await?;
    Ok((pin, hash))
}

async fn hash_secret(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| PasswordError::Task(e.to_string()))?
}

/// Checks `password` against `stored`. With no stored hash (unknown user)
/// it checks against a dummy hash, so that both cases take the same time.
pub async fn verify(password: String, stored: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let (hash, real) = match stored {
            Some(hash) => (hash, true),
            None => (dummy_hash().to_owned(), false),
        };
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && real
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(b"no user has this password", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// A random secret of 32 bytes, URL-safe base64 (sessions, CSRF tokens).
pub fn random_token() -> String {
    use argon2::password_hash::rand_core::RngCore;
    use base64::Engine;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A readable random password for generated accounts (demo, CLI).
pub fn generate_password() -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let first = hash("correct horse battery".to_owned()).await.unwrap();
        let second = hash("correct horse battery".to_owned()).await.unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "salted");
        assert!(verify("correct horse battery".to_owned(), Some(first.clone())).await);
        assert!(!verify("wrong horse battery".to_owned(), Some(first)).await);
        assert!(!verify("correct horse battery".to_owned(), None).await);
        assert!(!verify("x".to_owned(), Some("not a hash".to_owned())).await);
    }

    #[tokio::test]
    async fn short_passwords_are_refused() {
        assert!(matches!(
            hash("short".to_owned()).await,
            Err(PasswordError::TooShort { min: 10 })
        ));
    }

    #[test]
    fn tokens_and_passwords_are_random() {
        assert_eq!(random_token().len(), 43);
        assert_ne!(random_token(), random_token());
        assert_eq!(generate_password().len(), 16);
        assert_ne!(generate_password(), generate_password());
    }
}
