//! A project's repository access token: what a worker sends (HTTP basic auth, user
//! `x-access-token`) to clone a private repository over HTTPS. Stored sealed, never
//! shown again: the type cannot be printed, serialized or compared in clear.

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// The longest token accepted, in bytes (GitHub's are 40 to 255).
pub const MAX_REPO_TOKEN_LEN: usize = 512;

/// A validated repository access token: 1 to [`MAX_REPO_TOKEN_LEN`] bytes of printable
/// ASCII without whitespace, so it can never break the header or URL it travels in.
/// Its `Debug` masks it; it has no `Display` and no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct RepoToken(String);

impl RepoToken {
    /// Surrounding whitespace (a pasted line's newline) is dropped first.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(FieldError::new("Access token is required (use Clear to remove the saved one)"));
        }
        if value.len() > MAX_REPO_TOKEN_LEN {
            return Err(FieldError::new(format!("Access token must be at most {MAX_REPO_TOKEN_LEN} characters")));
        }
        if value.chars().any(char::is_whitespace) {
            return Err(FieldError::new("Access token cannot contain spaces or line breaks"));
        }
        if !value.chars().all(|c| c.is_ascii_graphic()) {
            return Err(FieldError::new(
                "Access token may contain only printable ASCII characters (no control characters or accents)",
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// The token in clear, to seal it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RepoToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RepoToken({})", crate::words::MASK)
    }
}

/// Whether a project has a repository access token: all anyone (admins included) is
/// ever told about it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepoTokenStatus {
    pub repo_token_set: bool,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn tokens_of_every_host_are_accepted() {
        for ok in [
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "github_pat_11ABCDEFG0_abcdefghijklmnopqrstuvwxyz",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
            "a",
            "!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
            &"x".repeat(MAX_REPO_TOKEN_LEN),
        ] {
            assert_eq!(RepoToken::parse(ok).unwrap().expose(), ok);
        }
    }

    #[test]
    fn a_pasted_newline_is_dropped() {
        assert_eq!(RepoToken::parse("  ghp_abc\n").unwrap().expose(), "ghp_abc");
    }

    #[test]
    fn anything_that_could_break_a_header_is_refused() {
        let cases: [(&str, &str); 8] = [
            ("", "required"),
            ("   ", "required"),
            ("ghp abc", "spaces"),
            ("ghp\tabc", "spaces"),
            ("ghp\r\nX-Injected: 1", "spaces"),
            ("ghp\u{0}abc", "printable ASCII"),
            ("ghp\u{7f}abc", "printable ASCII"),
            ("tökén", "printable ASCII"),
        ];
        for (bad, why) in cases {
            let error = RepoToken::parse(bad).unwrap_err();
            assert!(error.0.contains(why), "{bad:?}: {}", error.0);
        }
        let long = "x".repeat(MAX_REPO_TOKEN_LEN + 1);
        assert!(RepoToken::parse(&long).unwrap_err().0.contains("at most 512"));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let token = RepoToken::parse("ghp_s3cret").unwrap();
        let shown = format!("{token:?} {:?}", Some(&token));
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains(crate::words::MASK));
    }

    #[test]
    fn the_status_carries_only_a_flag() {
        let json = serde_json::to_string(&RepoTokenStatus { repo_token_set: true }).unwrap();
        assert_eq!(json, r#"{"repo_token_set":true}"#);
    }
}
