//! Secrets at rest (variable values, repository tokens): ChaCha20-Poly1305 with a key
//! kept in its own file beside, not inside, the database. Back the key up with the
//! database; without it the secrets cannot be read.

use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use rand::RngCore;

const KEY_FILE: &str = "secret.key";
const NONCE_LEN: usize = 12;

pub struct SecretBox {
    cipher: ChaCha20Poly1305,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("a stored secret is corrupt or was encrypted with another key")]
    Undecryptable,
    #[error("encryption failed")]
    Encrypt,
    #[error("the key file {0} must hold exactly 32 bytes")]
    KeyLength(String),
    #[error("the key file: {0}")]
    KeyFile(#[from] std::io::Error),
    #[error("the key file {path} can be read or written by other users (mode {mode:o}): run `chmod 600 {path}` and check who has read it")]
    KeyExposed { path: String, mode: u32 },
}

impl SecretBox {
    /// Loads the key from the data directory, creating it (mode 0600) on first start.
    pub async fn open(data_dir: &Path) -> Result<Self, SecretError> {
        let path = data_dir.join(KEY_FILE);
        let key = match tokio::fs::read(&path).await {
            Ok(bytes) if bytes.len() == 32 => {
                refuse_exposed(&path).await?;
                bytes
            }
            Ok(_) => return Err(SecretError::KeyLength(path.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = vec![0u8; 32];
                rand::rngs::OsRng.fill_bytes(&mut key);
                write_private(&path, &key).await?;
                tracing::info!(path = %path.display(), "created the secrets key; back it up with the database");
                key
            }
            Err(e) => return Err(e.into()),
        };
        Ok(Self { cipher: ChaCha20Poly1305::new(Key::from_slice(&key)) })
    }

    /// nonce ‖ ciphertext
    pub fn seal(&self, plaintext: &str) -> Result<Vec<u8>, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed =
            self.cipher.encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes()).map_err(|_| SecretError::Encrypt)?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(out)
    }

    pub fn open_sealed(&self, sealed: &[u8]) -> Result<String, SecretError> {
        if sealed.len() < NONCE_LEN {
            return Err(SecretError::Undecryptable);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), body).map_err(|_| SecretError::Undecryptable)?;
        String::from_utf8(plain).map_err(|_| SecretError::Undecryptable)
    }
}

/// Any access for other users (world bits) stops the start: every secret would be as
/// readable as the key. Group access is only warned about (a backup group may need it).
async fn refuse_exposed(path: &Path) -> Result<(), SecretError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = tokio::fs::metadata(path).await?.permissions().mode() & 0o777;
        if mode & 0o007 != 0 {
            return Err(SecretError::KeyExposed { path: path.display().to_string(), mode });
        }
        if mode & 0o070 != 0 {
            tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "the secrets key is readable by its group");
        }
    }
    Ok(())
}

pub(crate) async fn write_private(path: &Path, bytes: &[u8]) -> Result<(), std::io::Error> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    use tokio::io::AsyncWriteExt;
    let mut file = options.open(path).await?;
    file.write_all(bytes).await?;
    file.sync_all().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn seals_and_opens_and_keeps_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretBox::open(dir.path()).await.unwrap();
        let sealed = secrets.seal("p@ss \"word\"\n$HOME").unwrap();
        assert!(!String::from_utf8_lossy(&sealed).contains("p@ss"));
        let again = SecretBox::open(dir.path()).await.unwrap();
        assert_eq!(again.open_sealed(&sealed).unwrap(), "p@ss \"word\"\n$HOME");
        let mut tampered = sealed.clone();
        if let Some(b) = tampered.last_mut() {
            *b ^= 1;
        }
        assert!(again.open_sealed(&tampered).is_err());
        let other = tempfile::tempdir().unwrap();
        assert!(SecretBox::open(other.path()).await.unwrap().open_sealed(&sealed).is_err());
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_world_readable_key_stops_the_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        SecretBox::open(dir.path()).await.unwrap();
        let key = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = SecretBox::open(dir.path()).await.err().expect("refused");
        assert!(error.to_string().contains("chmod 600"), "{error}");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o640)).unwrap();
        assert!(SecretBox::open(dir.path()).await.is_ok(), "group access is only warned about");
    }
}
