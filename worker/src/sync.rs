//! The `Sync` job: what a branch's checkout declares (compose file, services, variable
//! names), from a clone into scratch space that is deleted afterwards.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nsm_core::protocol::{RepoSource, SyncReport};

use crate::machine::checkout::discover_checkout;
use crate::machine::git::{display_url, shallow_clone, GitError};
use crate::machine::{Machine, MachineError};

/// How long a sync's clone may take.
const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// Why a sync failed; the link sends its text as the `Synced` error.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot create a temporary directory: {0}")]
    Scratch(#[source] std::io::Error),
    #[error(transparent)]
    Clone(#[from] GitError),
    #[error("cloning took longer than {} s", .0.as_secs())]
    TimedOut(Duration),
    #[error(transparent)]
    Checkout(#[from] MachineError),
}

/// Clones the branch into a temporary directory and reports what it holds.
#[tracing::instrument(name = "sync", skip_all, fields(repository = %display_url(&source.url), branch = %source.branch))]
pub(crate) async fn sync(machine: &Machine, source: &RepoSource) -> Result<SyncReport, SyncError> {
    let scratch =
        tempfile::Builder::new().prefix("sync-").tempdir_in(machine.scratch_dir()).map_err(SyncError::Scratch)?;
    let checkout = scratch.path().join("checkout");
    let interrupt = Arc::new(AtomicBool::new(false));
    let commit = match tokio::time::timeout(SYNC_TIMEOUT, shallow_clone(source, &checkout, interrupt.clone())).await {
        Ok(result) => result?,
        Err(_) => {
            interrupt.store(true, Ordering::Relaxed);
            return Err(SyncError::TimedOut(SYNC_TIMEOUT));
        }
    };
    let discovery = discover_checkout(&checkout).await?;
    tracing::debug!(%commit, services = discovery.services.len(), "synced");
    Ok(SyncReport { commit, discovery })
}
