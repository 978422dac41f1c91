//! The data directory holds the database, the secrets key and every credential's
//! digest: only the server's own user may list or read it. When the embedded worker
//! runs an edge, nginx's unprivileged workers must still *traverse* it to reach the
//! certificates and static pages below, so it is then 0711: nothing in it can be
//! listed, and the files that matter keep their own 0600.

use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// 0700.
    Private,
    /// 0711: others may pass through to paths they know, never list.
    Traversable,
}

impl Access {
    fn mode(self) -> u32 {
        match self {
            Access::Private => 0o700,
            Access::Traversable => 0o711,
        }
    }
}

/// Creates the directory with `access`, or narrows an existing one that allows more,
/// saying so.
pub async fn prepare(dir: &Path, access: Access) -> std::io::Result<()> {
    tokio::fs::create_dir_all(dir).await?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = tokio::fs::metadata(dir).await?.permissions().mode() & 0o777;
        let wanted = access.mode();
        if mode != wanted {
            tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(wanted)).await?;
            if mode & !wanted != 0 {
                tracing::warn!(path = %dir.display(), was = format!("{mode:o}"), now = format!("{wanted:o}"), "the data directory was open to other users; narrowed");
            }
        }
    }
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::Access;

    #[tokio::test]
    async fn the_directory_is_private_new_or_old() {
        let mode = |path: &std::path::Path| std::fs::metadata(path).expect("meta").permissions().mode() & 0o777;
        let temp = tempfile::tempdir().expect("dir");
        let fresh = temp.path().join("new/data");
        super::prepare(&fresh, Access::Private).await.expect("created");
        assert_eq!(mode(&fresh), 0o700);
        let old = temp.path().join("old");
        std::fs::create_dir(&old).expect("mkdir");
        std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        super::prepare(&old, Access::Traversable).await.expect("narrowed");
        assert_eq!(mode(&old), 0o711);
        super::prepare(&old, Access::Private).await.expect("narrowed");
        assert_eq!(mode(&old), 0o700);
    }
}
