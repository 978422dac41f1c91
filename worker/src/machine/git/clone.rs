//! The shallow clone itself (blocking gix, run on the blocking pool).

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gix::credentials::helper::Action;
use gix::credentials::protocol::Outcome;
use gix::remote::fetch::Shallow;
use gix::sec::identity::Account;
use nsm_core::protocol::RepoSource;

use super::url::RepoUrl;
use super::{error_chain, scrub, GitError};

/// The user name GitHub (and most hosts) accept alongside a token as password.
const TOKEN_USER: &str = "x-access-token";

/// Clones `source.branch` of `source.url` with depth 1 into `dest` (which must not
/// exist or be empty) and returns the checked-out commit id (hex).
///
/// Setting `interrupt` stops the clone at the next opportunity.
pub async fn shallow_clone(source: &RepoSource, dest: &Path, interrupt: Arc<AtomicBool>) -> Result<String, GitError> {
    let url = RepoUrl::parse(&source.url)?;
    let branch = source.branch.trim().to_owned();
    if branch.is_empty() || gix::refs::PartialName::try_from(branch.as_str()).is_err() {
        return Err(GitError::InvalidBranch(branch));
    }
    let credentials = match (&source.token, &url.embedded) {
        (Some(token), _) if !token.is_empty() => Some((TOKEN_USER.to_owned(), token.clone())),
        (_, Some(embedded)) => Some(embedded.clone()),
        _ => None,
    };
    if credentials.is_some() && url.is_plain_http_to_another_host() {
        return Err(GitError::InsecureToken(url.shown));
    }
    let dest = dest.to_owned();
    let job = CloneJob { url, branch, credentials, dest };
    tokio::task::spawn_blocking(move || job.run(&interrupt)).await.map_err(|e| GitError::Task(e.to_string()))?
}

struct CloneJob {
    url: RepoUrl,
    branch: String,
    credentials: Option<(String, String)>,
    dest: PathBuf,
}

impl CloneJob {
    fn run(self, interrupt: &AtomicBool) -> Result<String, GitError> {
        crate::machine::tls::install_default_provider();
        let secret = self.credentials.as_ref().map(|(_, password)| password.clone());
        let asked = Arc::new(AtomicBool::new(false));
        let fail = |error: &(dyn std::error::Error + 'static)| {
            if interrupt.load(Ordering::Relaxed) {
                return GitError::Interrupted;
            }
            if self.credentials.is_none() && asked.load(Ordering::Relaxed) {
                return GitError::AuthenticationRequired(self.url.shown.clone());
            }
            let secrets: Vec<&str> = secret.iter().map(String::as_str).collect();
            GitError::Clone {
                url: self.url.shown.clone(),
                branch: self.branch.clone(),
                message: scrub(&error_chain(error), &secrets),
            }
        };

        let mut prepare = gix::clone::PrepareFetch::new(
            self.url.url.clone(),
            &self.dest,
            gix::create::Kind::WithWorktree,
            gix::create::Options::default(),
            // No system, global or user configuration, no environment: the host's git
            // set-up (credential helpers, URL rewrites, proxies) must not apply.
            gix::open::Options::isolated(),
        )
        .map_err(|e| fail(&e))?
        .with_shallow(Shallow::DepthAtRemote(NonZeroU32::MIN))
        .with_ref_name(Some(self.branch.as_str()))
        .map_err(|e| fail(&e))?;

        let credentials = self.credentials.clone();
        let asked_by_remote = asked.clone();
        prepare = prepare.configure_connection(move |connection| {
            // Always answer for credentials ourselves, so gix never prompts on a terminal.
            let credentials = credentials.clone();
            let asked = asked_by_remote.clone();
            connection.set_credentials(move |action| match action {
                Action::Get(context) => {
                    asked.store(true, Ordering::Relaxed);
                    Ok(credentials.clone().map(|(username, password)| Outcome {
                        identity: Account { username, password, oauth_refresh_token: None },
                        next: context.into(),
                    }))
                }
                Action::Store(_) | Action::Erase(_) => Ok(None),
            });
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
}
