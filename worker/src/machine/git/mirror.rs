//! A project's bare mirror on the worker: each deployment fetches its branch into it
//! (shallow: the tip only, and only the objects the mirror lacks), then checks the
//! fetched commit's tree out into a fresh directory. Nothing is cloned twice.
//!
//! The branch is fetched with a forced refspec into `refs/remotes/origin/<branch>`, so a
//! force-pushed branch deploys its new tip; the commit deployed is the one the remote
//! advertised in this fetch, never a tracking ref left from an earlier one. A mirror
//! that cannot be opened or fetched into is deleted and made afresh once.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gix::remote::fetch::{Shallow, Status, Tags};
use gix::remote::Direction;
use nsm_core::protocol::RepoSource;

use super::source::{answer_credentials, Checked, Failures};
use super::GitError;

/// What [`fetch_checkout`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The commit checked out (hex).
    pub commit: String,
    /// The mirror was there already (from an earlier deployment) and was fetched into.
    pub reused: bool,
    /// Objects received in this fetch (0: the mirror had the commit already).
    pub objects_received: u64,
}

/// Fetches `source.branch` into the bare mirror at `mirror` (created when missing) and
/// checks its tip out into `dest` (which must not exist or be empty): the files only,
/// no `.git`. Setting `interrupt` stops at the next opportunity.
pub async fn fetch_checkout(
    source: &RepoSource,
    mirror: &Path,
    dest: &Path,
    interrupt: Arc<AtomicBool>,
) -> Result<Fetched, GitError> {
    let source = Checked::source(source)?;
    let (mirror, dest) = (mirror.to_owned(), dest.to_owned());
    tokio::task::spawn_blocking(move || run(&source, &mirror, &dest, &interrupt))
        .await
        .map_err(|e| GitError::Task(e.to_string()))?
}

fn run(source: &Checked, mirror: &Path, dest: &Path, interrupt: &AtomicBool) -> Result<Fetched, GitError> {
    crate::machine::tls::install_default_provider();
    let asked = Arc::new(AtomicBool::new(false));
    let failures = source.failures(interrupt, &asked);
    let existed = mirror.join("HEAD").is_file();
    let first = attempt(source, mirror, dest, interrupt, &asked, &failures, existed);
    match first {
        // A mirror that is damaged (or left locked by a killed process) must not stop
        // deployments: start it again, once. Other failures are the remote's answer.
        Err(GitError::Clone { .. }) if existed && !interrupt.load(Ordering::Relaxed) => {
            tracing::warn!(mirror = %mirror.display(), "fetching into the mirror failed; making it afresh");
            remove_dir(mirror)?;
            remove_dir(dest)?;
            attempt(source, mirror, dest, interrupt, &asked, &failures, false)
        }
        other => other,
    }
}

fn attempt(
    source: &Checked,
    mirror: &Path,
    dest: &Path,
    interrupt: &AtomicBool,
    asked: &Arc<AtomicBool>,
    failures: &Failures<'_>,
    existed: bool,
) -> Result<Fetched, GitError> {
    let fail = |error: &(dyn std::error::Error + 'static)| failures.of(error);
    let repo = open_or_init(mirror).map_err(|e| fail(&*e))?;
    let tracking = format!("refs/remotes/origin/{}", source.branch);
    let wanted = format!("refs/heads/{}", source.branch);
    let refspec = format!("+{wanted}:{tracking}");
    let remote = repo
        .remote_at(source.url.url.clone())
        .map_err(|e| fail(&e))?
        .with_refspecs(Some(refspec.as_str()), Direction::Fetch)
        .map_err(|e| fail(&e))?
        .with_fetch_tags(Tags::None);
    let mut connection = remote.connect(Direction::Fetch).map_err(|e| fail(&e))?;
    connection.set_credentials(answer_credentials(source.credentials.clone(), asked.clone()));
    let outcome = connection
        .prepare_fetch(gix::progress::Discard, Default::default())
        .map_err(|e| fail(&e))?
        .with_shallow(Shallow::DepthAtRemote(NonZeroU32::MIN))
        .receive(gix::progress::Discard, interrupt)
        .map_err(|e| fail(&e))?;
    // The tip as the remote advertised it now: a branch deleted there is not deployed
    // from a tracking ref an earlier fetch left.
    let tip = outcome
        .ref_map
        .mappings
        .iter()
        .find(|m| m.remote.as_name().is_some_and(|name| name == wanted.as_str()))
        .and_then(|m| m.remote.as_id())
        .map(ToOwned::to_owned)
        .ok_or_else(|| failures.message(&format!("the remote has no branch `{}`", source.branch)))?;
    let objects_received = match &outcome.status {
        Status::Change { write_pack_bundle, .. } => u64::from(write_pack_bundle.index.num_objects),
        Status::NoPackReceived { .. } => 0,
    };
    checkout(&repo, tip, dest, interrupt, failures)?;
    Ok(Fetched { commit: tip.to_string(), reused: existed, objects_received })
}

fn open_or_init(mirror: &Path) -> Result<gix::Repository, Box<dyn std::error::Error + Send + Sync + 'static>> {
    // No system, global or user configuration, no environment: the host's git set-up
    // (credential helpers, URL rewrites, proxies) must not apply.
    if mirror.join("HEAD").is_file() {
        return Ok(gix::open_opts(mirror, gix::open::Options::isolated())?);
    }
    std::fs::create_dir_all(mirror)?;
    let repo = gix::ThreadSafeRepository::init_opts(
        mirror,
        gix::create::Kind::Bare,
        gix::create::Options::default(),
        gix::open::Options::isolated(),
    )?;
    Ok(repo.to_thread_local())
}

/// Writes the commit's tree into `dest`, as a fresh checkout would (attributes and
/// filters of the repository itself; none of the host's).
fn checkout(
    repo: &gix::Repository,
    commit: gix::ObjectId,
    dest: &Path,
    interrupt: &AtomicBool,
    failures: &Failures<'_>,
) -> Result<(), GitError> {
    let fail = |error: &(dyn std::error::Error + 'static)| failures.of(error);
    let tree = repo.find_object(commit).map_err(|e| fail(&e))?.peel_to_tree().map_err(|e| fail(&e))?.id;
    let mut index = repo.index_from_tree(&tree).map_err(|e| fail(&e))?;
    let mut options =
        repo.checkout_options(gix::worktree::stack::state::attributes::Source::IdMapping).map_err(|e| fail(&e))?;
    options.destination_is_initially_empty = true;
    std::fs::create_dir_all(dest).map_err(|e| fail(&e))?;
    let objects = repo.objects.clone().into_arc().map_err(|e| fail(&e))?;
    let outcome = gix::worktree::state::checkout(
        &mut index,
        dest,
        objects,
        &gix::progress::Discard,
        &gix::progress::Discard,
        interrupt,
        options,
    )
    .map_err(|e| fail(&e))?;
    if interrupt.load(Ordering::Relaxed) {
        return Err(GitError::Interrupted);
    }
    if let Some(error) = outcome.errors.first() {
        return Err(failures.message(&format!("checking out {}: {}", error.path, error.error)));
    }
    Ok(())
}

fn remove_dir(path: &Path) -> Result<(), GitError> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(GitError::Task(format!("removing {}: {error}", PathBuf::from(path).display()))),
    }
}
