//! The first-run setup token. A server listening beyond loopback with no user yet would
//! let whoever reaches it first become its administrator; instead, setup then needs a
//! one-time token that only someone with access to the machine can read (the server's
//! log, and a file in the data directory readable by its owner only).

use std::path::{Path, PathBuf};

use subtle::ConstantTimeEq;

use super::token;

pub const FILE_NAME: &str = "setup-token";

#[derive(Debug)]
pub struct SetupToken {
    secret: String,
    path: PathBuf,
}

impl SetupToken {
    /// A new token, written to `<data_dir>/setup-token` (mode 0600, replacing one from
    /// an earlier start).
    pub async fn issue(data_dir: &Path) -> std::io::Result<Self> {
        let secret = token::generate();
        let path = data_dir.join(FILE_NAME);
        match tokio::fs::remove_file(&path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        crate::secrets::write_private(&path, format!("{secret}\n").as_bytes()).await?;
        Ok(Self { secret, path })
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn matches(&self, presented: &str) -> bool {
        bool::from(presented.trim().as_bytes().ct_eq(self.secret.as_bytes()))
    }

    /// Setup is done: the file goes (a failure is only logged, the token is void anyway).
    pub async fn retire(&self) {
        if let Err(error) = tokio::fs::remove_file(&self.path).await {
            tracing::warn!(%error, path = %self.path.display(), "could not remove the used setup token");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_token_is_written_privately_and_matches_only_itself() {
        let dir = tempfile::tempdir().expect("dir");
        let first = SetupToken::issue(dir.path()).await.expect("issue");
        let second = SetupToken::issue(dir.path()).await.expect("a later start replaces it");
        let written = std::fs::read_to_string(second.path()).expect("file");
        assert_eq!(written.trim(), second.secret());
        assert!(second.matches(&written) && !second.matches(first.secret()) && !second.matches(""));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(second.path()).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        second.retire().await;
        assert!(!second.path().exists());
    }
}
