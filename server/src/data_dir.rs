//! The data directory holds the database, the secrets key and every credential's
//! digest: only the server's own user may enter it.

use std::path::Path;

/// Creates the directory (mode 0700), or narrows an existing one that others could
/// enter, saying so.
pub async fn prepare(dir: &Path) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = tokio::fs::metadata(dir).await?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).await?;
            tracing::warn!(path = %dir.display(), was = format!("{mode:o}"), "the data directory was open to other users; it is now 0700");
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    #[tokio::test]
    async fn the_directory_is_private_new_or_old() {
        let temp = tempfile::tempdir().expect("dir");
        let fresh = temp.path().join("new/data");
        super::prepare(&fresh).await.expect("created");
        assert_eq!(std::fs::metadata(&fresh).expect("meta").permissions().mode() & 0o777, 0o700);
        let old = temp.path().join("old");
        std::fs::create_dir(&old).expect("mkdir");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        super::prepare(&old).await.expect("narrowed");
        assert_eq!(std::fs::metadata(&old).expect("meta").permissions().mode() & 0o777, 0o700);
    }
}
