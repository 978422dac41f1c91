//! argon2id password hashes (PHC strings).

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::ServerError;

pub fn hash(password: &str) -> Result<String, ServerError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ServerError::PasswordHash)
}

/// Constant-time verification. `None` as the hash still spends the same work, so the
/// answer's timing does not reveal whether the user exists.
pub fn verify(password: &str, stored: Option<&str>) -> bool {
    let parsed = stored.and_then(|s| PasswordHash::new(s).ok());
    match parsed {
        Some(hash) => Argon2::default().verify_password(password.as_bytes(), &hash).is_ok(),
        None => {
            // Burn a comparable amount of time against a throwaway hash.
            let _ = hash(password);
            false
        }
    }
}

/// A readable random password for `admin create`.
pub fn generate() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    (0..20).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
}

/// At most this many argon2 computations at once: each takes ~19 MiB and tens of
/// milliseconds of a core, so a burst of sign-ins queues instead of exhausting memory.
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

#[derive(Debug, thiserror::Error)]
pub enum OffloadError {
    #[error("password hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("password hashing is shut down")]
    Closed(#[from] tokio::sync::AcquireError),
    #[error(transparent)]
    Hash(#[from] ServerError),
}

/// [`hash`] on the blocking pool, behind the semaphore.
pub async fn hash_off_thread(password: &str) -> Result<String, OffloadError> {
    let _permit = HASHING.acquire().await?;
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || hash(&password)).await??)
}

/// [`verify`] on the blocking pool, behind the semaphore.
pub async fn verify_off_thread(password: &str, stored: Option<String>) -> Result<bool, OffloadError> {
    let _permit = HASHING.acquire().await?;
    let password = password.to_owned();
    Ok(tokio::task::spawn_blocking(move || verify(&password, stored.as_deref())).await?)
}
