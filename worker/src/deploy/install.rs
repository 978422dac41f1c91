//! Putting the prepared checkout in place of the previous one, with its `.env`, the
//! compose override and the project's directories.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nsm_core::compose::OVERRIDE_FILE_NAME;
use nsm_core::protocol::{DeploySpec, JobValue};
use tokio::io::AsyncWriteExt;

use super::prepare::Prepared;
use crate::machine::layout::Layout;
use crate::machine::MachineError;

/// Installs the checkout as `current` and returns its path.
#[tracing::instrument(name = "install", skip_all)]
pub(crate) async fn install(layout: &Layout, spec: &DeploySpec, prepared: &Prepared) -> Result<PathBuf, MachineError> {
    let current = layout.current();
    if exists(&current).await? {
        // Deleted after the job reports (see `run`): only the swap waits here.
        let retired = layout.retired(spec.deployment);
        tokio::fs::rename(&current, &retired).await.map_err(MachineError::io(&current))?;
    }
    tokio::fs::rename(&prepared.checkout, &current).await.map_err(MachineError::io(&current))?;
    // `.env` holds secrets: readable by the worker's user only.
    write_private(&current.join(".env"), &prepared.dotenv).await?;
    write_private(&current.join(OVERRIDE_FILE_NAME), &prepared.override_yaml).await?;

    let volume = layout.volume();
    tokio::fs::create_dir_all(&volume).await.map_err(MachineError::io(&volume))?;
    let fresh: BTreeSet<&str> = spec.directories.iter().map(String::as_str).collect();
    for resource in &fresh {
        let dir = layout.directory(resource)?;
        if exists(&dir).await? {
            tokio::fs::remove_dir_all(&dir).await.map_err(MachineError::io(&dir))?;
        }
        tokio::fs::create_dir_all(&dir).await.map_err(MachineError::io(&dir))?;
    }
    // Directories only referenced by variables must exist too, but are not emptied.
    for variable in &spec.variables {
        if let JobValue::Directory { resource } = &variable.value {
            if !fresh.contains(resource.as_str()) {
                let dir = layout.directory(resource)?;
                tokio::fs::create_dir_all(&dir).await.map_err(MachineError::io(&dir))?;
            }
        }
    }
    Ok(current)
}

async fn exists(path: &Path) -> Result<bool, MachineError> {
    tokio::fs::try_exists(path).await.map_err(MachineError::io(path))
}

async fn write_private(path: &Path, content: &str) -> Result<(), MachineError> {
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .await
        .map_err(MachineError::io(path))?;
    file.write_all(content.as_bytes()).await.map_err(MachineError::io(path))?;
    file.flush().await.map_err(MachineError::io(path))
}
