//! The shallow clone itself (blocking gix, run on the blocking pool): what a sync
//! reads. Deployments fetch into the project's mirror instead ([`super::mirror`]).

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gix::remote::fetch::Shallow;
use nsm_core::protocol::RepoSource;

use super::source::{answer_credentials, Checked};
use super::GitError;

/// Clones `source.branch` of `source.url` with depth 1 into `dest` (which must not
/// exist or be empty) and returns the checked-out commit id (hex).
///
/// Setting `interrupt` stops the clone at the next opportunity.
pub async fn shallow_clone(source: &RepoSource, dest: &Path, interrupt: Arc<AtomicBool>) -> Result<String, GitError> {
    let source = Checked::source(source)?;
    let dest = dest.to_owned();
    tokio::task::spawn_blocking(move || run(&source, dest, &interrupt))
        .await
        .map_err(|e| GitError::Task(e.to_string()))?
}

fn run(source: &Checked, dest: PathBuf, interrupt: &AtomicBool) -> Result<String, GitError> {
    crate::machine::tls::install_default_provider();
    let asked = Arc::new(AtomicBool::new(false));
    let failures = source.failures(interrupt, &asked);
    let fail = |error: &(dyn std::error::Error + 'static)| failures.of(error);

    let mut prepare = gix::clone::PrepareFetch::new(
        source.url.url.clone(),
        &dest,
        gix::create::Kind::WithWorktree,
        gix::create::Options::default(),
        // No system, global or user configuration, no environment: the host's git
        // set-up (credential helpers, URL rewrites, proxies) must not apply.
        gix::open::Options::isolated(),
    )
    .map_err(|e| fail(&e))?
    .with_shallow(Shallow::DepthAtRemote(NonZeroU32::MIN))
    .with_ref_name(Some(source.branch.as_str()))
    .map_err(|e| fail(&e))?;

    let credentials = source.credentials.clone();
    let asked_by_remote = asked.clone();
    prepare = prepare.configure_connection(move |connection| {
        connection.set_credentials(answer_credentials(credentials.clone(), asked_by_remote.clone()));
        Ok(())
    });

    let (mut checkout, _) = prepare.fetch_then_checkout(gix::progress::Discard, interrupt).map_err(|e| fail(&e))?;
    let (repo, _) = checkout.main_worktree(gix::progress::Discard, interrupt).map_err(|e| fail(&e))?;
    if interrupt.load(Ordering::Relaxed) {
        return Err(GitError::Interrupted);
    }
    let commit = repo.head_id().map_err(|e| fail(&e))?;
    Ok(commit.to_string())
}
