//! Which repository URLs the worker accepts, and how they appear in messages.

use gix::url::Scheme;

use super::GitError;

/// A repository location ready for gix: credentials taken out of the URL.
#[derive(Debug, Clone)]
pub(crate) struct RepoUrl {
    pub url: gix::Url,
    /// For messages: no user info at all.
    pub shown: String,
    /// A user and password that were embedded in the URL.
    pub embedded: Option<(String, String)>,
}

impl RepoUrl {
    pub fn parse(raw: &str) -> Result<Self, GitError> {
        let mut url = gix::url::parse(gix::bstr::BStr::new(raw.trim()))
            .map_err(|e| GitError::InvalidUrl(super::scrub(&e.to_string(), &[raw])))?;
        match url.scheme {
            Scheme::Http | Scheme::Https => {}
            Scheme::File if std::path::Path::new(&url.path.to_string()).is_absolute() => {}
            _ => return Err(GitError::UnsupportedUrl(shown(&url))),
        }
        let embedded = match (url.user().map(str::to_owned), url.password().map(str::to_owned)) {
            (Some(user), Some(password)) => Some((user, password)),
            _ => None,
        };
        url.set_password(None);
        if embedded.is_some() {
            url.set_user(None);
        }
        Ok(Self { shown: shown(&url), url, embedded })
    }

    pub fn is_plain_http_to_another_host(&self) -> bool {
        self.url.scheme == Scheme::Http && !matches!(self.url.host(), Some("localhost" | "127.0.0.1" | "::1" | "[::1]"))
    }
}

/// The URL without user or password.
fn shown(url: &gix::Url) -> String {
    let mut url = url.clone();
    url.set_user(None);
    url.set_password(None);
    url.to_bstring().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_http_file_and_absolute_paths() {
        for ok in ["https://github.com/o/r.git", "http://127.0.0.1:8080/r", "file:///srv/git/r", "/srv/git/r"] {
            assert!(RepoUrl::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_other_transports_and_relative_paths() {
        for bad in ["ssh://git@github.com/o/r", "git@github.com:o/r.git", "git://h/r", "relative/repo"] {
            assert!(matches!(RepoUrl::parse(bad), Err(GitError::UnsupportedUrl(_))), "{bad}");
        }
    }

    #[test]
    fn embedded_credentials_leave_the_url() {
        let url = RepoUrl::parse("https://me:s3cret-token@example.com/o/r.git").unwrap();
        assert_eq!(url.embedded, Some(("me".to_owned(), "s3cret-token".to_owned())));
        assert!(!url.shown.contains("s3cret"), "{}", url.shown);
        assert!(!url.url.to_bstring().to_string().contains("s3cret"));
    }

    #[test]
    fn plain_http_is_only_for_loopback_tokens() {
        assert!(!RepoUrl::parse("http://127.0.0.1:1/r").unwrap().is_plain_http_to_another_host());
        assert!(RepoUrl::parse("http://example.com/r").unwrap().is_plain_http_to_another_host());
        assert!(!RepoUrl::parse("https://example.com/r").unwrap().is_plain_http_to_another_host());
    }
}
