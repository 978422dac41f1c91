//! What clones and fetches share: a checked source (URL, branch, credentials), the
//! credentials callback that answers gix instead of a prompt or a helper, and how a
//! gix error becomes a [`GitError`] with every secret scrubbed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use gix::credentials::helper::Action;
use gix::credentials::protocol::Outcome;
use gix::sec::identity::Account;
use nsm_core::protocol::RepoSource;

use super::url::RepoUrl;
use super::{error_chain, scrub, GitError};

/// The user name GitHub (and most hosts) accept alongside a token as password.
const TOKEN_USER: &str = "x-access-token";

/// A source ready for gix: the URL without credentials, a valid branch name, and the
/// credentials to answer with (the project's token, else a user and password that
/// were embedded in the URL).
pub(crate) struct Checked {
    pub url: RepoUrl,
    pub branch: String,
    pub credentials: Option<(String, String)>,
}

impl Checked {
    pub fn source(source: &RepoSource) -> Result<Self, GitError> {
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
        Ok(Self { url, branch, credentials })
    }

    /// Turns gix's errors into [`GitError`]s for this source: interrupted, asked for
    /// credentials it was not given, or the chain of messages with secrets scrubbed.
    pub fn failures<'a>(&'a self, interrupt: &'a AtomicBool, asked: &'a AtomicBool) -> Failures<'a> {
        Failures { source: self, interrupt, asked }
    }
}

pub(crate) struct Failures<'a> {
    source: &'a Checked,
    interrupt: &'a AtomicBool,
    asked: &'a AtomicBool,
}

impl Failures<'_> {
    pub fn of(&self, error: &(dyn std::error::Error + 'static)) -> GitError {
        self.message(&error_chain(error))
    }

    pub fn message(&self, message: &str) -> GitError {
        if self.interrupt.load(Ordering::Relaxed) {
            return GitError::Interrupted;
        }
        if self.source.credentials.is_none() && self.asked.load(Ordering::Relaxed) {
            return GitError::AuthenticationRequired(self.source.url.shown.clone());
        }
        let secrets: Vec<&str> = self.source.credentials.iter().map(|(_, password)| password.as_str()).collect();
        GitError::Clone {
            url: self.source.url.shown.clone(),
            branch: self.source.branch.clone(),
            message: scrub(message, &secrets),
        }
    }
}

/// The credentials callback for a connection: always answers itself (so gix never
/// prompts on a terminal or asks a helper), and notes in `asked` that the remote asked.
pub(crate) fn answer_credentials(
    credentials: Option<(String, String)>,
    asked: Arc<AtomicBool>,
) -> impl FnMut(Action) -> gix::Result<Option<Outcome>> + Send + Sync + 'static {
    move |action| match action {
        Action::Get(context) => {
            asked.store(true, Ordering::Relaxed);
            Ok(credentials.clone().map(|(username, password)| Outcome {
                identity: Account { username, password, oauth_refresh_token: None },
                next: context.into(),
            }))
        }
        Action::Store(_) | Action::Erase(_) => Ok(None),
    }
}
