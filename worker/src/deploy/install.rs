//! Putting the prepared checkout (its `.env` and compose override written in prepare)
//! in place of the previous one, and the project's directories.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use nsm_core::protocol::{DeploySpec, JobValue};

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
