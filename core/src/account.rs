//! Accounts: who is signed in.

pub const MIN_PASSWORD_LEN: usize = 10;

pub use crate::access::{CurrentUser, Role};

/// Usernames: 1–64 letters, digits, `.`, `_`, `-`, `@`.
pub fn check_username(username: &str) -> Result<(), crate::FieldError> {
    let u = username.trim();
    if u.is_empty() || u.len() > 64 {
        return Err(crate::FieldError::new("Username must be 1 to 64 characters"));
    }
    if !u.chars().all(|c| c.is_ascii_alphanumeric() || ".-_@".contains(c)) {
        return Err(crate::FieldError::new("Username may contain only letters, digits, '.', '-', '_' and '@'"));
    }
    Ok(())
}

pub fn check_password(password: &str) -> Result<(), crate::FieldError> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(crate::FieldError::new(format!("Password must be at least {MIN_PASSWORD_LEN} characters")));
    }
    if password.len() > 1024 {
        return Err(crate::FieldError::new("Password must be at most 1024 bytes"));
    }
    Ok(())
}
