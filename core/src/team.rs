//! A team's read models and forms: users, their sessions and their API tokens, as
//! Settings → Users and the Account page show and edit them.

use serde::{Deserialize, Serialize};

use crate::access::{Role, TokenScope};
use crate::{FieldError, FieldErrors};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    /// Live sessions.
    pub sessions: i64,
    pub last_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    /// The address it signed in from.
    pub client: Option<String>,
    /// The session this page was loaded with.
    pub current: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// A credential shown exactly once: a new user's one-time password, a reset one, or
/// a new API token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneTimeSecret {
    pub label: String,
    pub secret: String,
}

/// The longest a token may live; "never" is allowed too, but a year is the most a
/// number of days can say.
pub const MAX_TOKEN_DAYS: u32 = 3650;

/// A new API token as the Account page submits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub name: String,
    pub scope: TokenScope,
    /// `None`: never expires.
    pub expires_in_days: Option<u32>,
}

impl TokenRequest {
    /// `expires_in_days` empty or `0` means never.
    pub fn parse(name: &str, scope: &str, expires_in_days: &str) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            errors.add("name", FieldError::new("Name the token in 1 to 64 characters"));
        } else if name.chars().any(char::is_control) {
            errors.add("name", FieldError::new("The name may not contain control characters"));
        }
        let scope = TokenScope::parse(scope);
        if scope.is_none() {
            errors.add("scope", FieldError::new("Choose read, deploy or write"));
        }
        let days = match expires_in_days.trim() {
            "" | "0" => Ok(None),
            days => match days.parse::<u32>() {
                Ok(d) if d <= MAX_TOKEN_DAYS => Ok(Some(d)),
                _ => Err(()),
            },
        };
        if days.is_err() {
            errors.add(
                "expires_in_days",
                FieldError::new(format!("Days from 1 to {MAX_TOKEN_DAYS}, or empty for never")),
            );
        }
        match (scope, days) {
            (Some(scope), Ok(expires_in_days)) if errors.is_empty() => {
                Ok(Self { name: name.to_owned(), scope, expires_in_days })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_requests() {
        let ok = TokenRequest::parse(" ci ", "deploy", "30").expect("valid");
        assert_eq!(ok, TokenRequest { name: "ci".into(), scope: TokenScope::Deploy, expires_in_days: Some(30) });
        assert_eq!(TokenRequest::parse("ci", "read", "").expect("valid").expires_in_days, None);
        for (name, scope, days, field) in [
            ("", "read", "", "name"),
            ("a\nb", "read", "", "name"),
            ("ci", "admin", "", "scope"),
            ("ci", "read", "-1", "expires_in_days"),
            ("ci", "read", "99999", "expires_in_days"),
            ("ci", "read", "ten", "expires_in_days"),
        ] {
            let errors = TokenRequest::parse(name, scope, days).expect_err("refused");
            assert!(errors.get(field).is_some(), "{name:?} {scope:?} {days:?}: {errors:?}");
        }
    }
}
