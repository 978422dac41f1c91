//! A redeploy's commit: checked out from the project's mirror instead of the branch's
//! tip. The mirror keeps every commit it ever fetched, so a commit this node deployed
//! before is there (unless the mirror was made afresh since: then it says so).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{error_chain, GitError};

/// Replaces `dest` with the tree of `commit` (hex) from the bare mirror at `mirror`.
pub async fn checkout_pinned(
    mirror: &Path,
    commit: &str,
    dest: &Path,
    interrupt: Arc<AtomicBool>,
) -> Result<(), GitError> {
    let (mirror, dest, commit) = (mirror.to_owned(), dest.to_owned(), commit.to_owned());
    tokio::task::spawn_blocking(move || run(&mirror, &commit, &dest, &interrupt))
        .await
        .map_err(|e| GitError::Task(e.to_string()))?
}

fn run(mirror: &Path, commit: &str, dest: &Path, interrupt: &AtomicBool) -> Result<(), GitError> {
    let fail = |error: &(dyn std::error::Error + 'static)| GitError::Pinned {
        commit: commit.to_owned(),
        message: error_chain(error),
    };
    let id = gix::ObjectId::from_hex(commit.as_bytes()).map_err(|e| fail(&e))?;
    let repo = gix::open_opts(mirror, gix::open::Options::isolated()).map_err(|e| fail(&e))?;
    let Ok(object) = repo.find_object(id) else {
        return Err(GitError::NotInMirror(commit.to_owned()));
    };
    let tree = object.peel_to_tree().map_err(|e| fail(&e))?.id;
    let mut index = repo.index_from_tree(&tree).map_err(|e| fail(&e))?;
    let mut options =
        repo.checkout_options(gix::worktree::stack::state::attributes::Source::IdMapping).map_err(|e| fail(&e))?;
    options.destination_is_initially_empty = true;
    match std::fs::remove_dir_all(dest) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(fail(&error)),
    }
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
        return Err(GitError::Pinned {
            commit: commit.to_owned(),
            message: format!("checking out {}: {}", error.path, error.error),
        });
    }
    Ok(())
}
