//! Shallow clones (syncs) and fetches into a project's bare mirror (deployments)
//! with gix, isolated from the host's git configuration and credential
//! helpers. Supported sources: `https://`, `http://`, `file://` and absolute local paths
//! (local clones spawn git's own `git-upload-pack`, so they need git installed).
//!
//! A repository token is given to gix as credentials (basic auth, user
//! `x-access-token`), never put into a URL, and scrubbed from every error message.

mod clone;
mod mirror;
mod pinned;
mod source;
mod url;

pub use clone::shallow_clone;
pub use mirror::{fetch_checkout, Fetched};
pub use pinned::checkout_pinned;

/// Why a clone failed. Messages never contain a token or a URL's password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitError {
    #[error("unsupported repository URL `{0}`: use https://, http://, file:// or an absolute path")]
    UnsupportedUrl(String),
    #[error("invalid repository URL: {0}")]
    InvalidUrl(String),
    #[error("invalid branch name `{0}`")]
    InvalidBranch(String),
    #[error("refusing to send the repository token to {0} over unencrypted http; use https")]
    InsecureToken(String),
    #[error("cloning branch `{branch}` of {url} failed: {message}")]
    Clone { url: String, branch: String, message: String },
    #[error("{0} requires authentication: give the project an access token")]
    AuthenticationRequired(String),
    #[error("cloning was interrupted")]
    Interrupted,
    #[error("the clone task failed: {0}")]
    Task(String),
    #[error("commit {0} is not in this node's copy of the repository (only a commit this node deployed can be redeployed, and its copy was made afresh since)")]
    NotInMirror(String),
    #[error("checking out commit {commit} failed: {message}")]
    Pinned { commit: String, message: String },
}

/// A repository URL as it may be shown: without user or password; unparsable URLs
/// are not shown at all (they could hold anything).
pub fn display_url(raw: &str) -> String {
    url::RepoUrl::parse(raw).map_or_else(|_| "(an invalid repository URL)".to_owned(), |url| url.shown)
}

/// The messages of `error` and its sources, joined, skipping repeats.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// `text` with every secret replaced by `********`.
pub(crate) fn scrub(text: &str, secrets: &[&str]) -> String {
    let mut text = text.to_owned();
    for secret in secrets {
        // Very short "secrets" would mangle ordinary words and protect nothing.
        if secret.len() >= 4 {
            text = text.replace(secret, "********");
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_scrubbed() {
        assert_eq!(scrub("token ghp_abcdef failed", &["ghp_abcdef"]), "token ******** failed");
        assert_eq!(scrub("a b", &["a"]), "a b");
    }

    #[test]
    fn chains_join_sources() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] std::io::Error);
        let error = Outer(std::io::Error::other("inner"));
        assert_eq!(error_chain(&error), "outer: inner");
    }
}
