//! [`ResourcePath`]: where on a domain a resource lives.

use crate::validation::{is_control, FieldError};

/// Longest path accepted.
pub const MAX_PATH_LEN: usize = 200;

crate::validated_string!(
    /// A resource's path: `/`, or `/` followed by segments of `[A-Za-z0-9._~-]`
    /// separated by single `/`, with an optional trailing `/`; no `.` or `..` segment;
    /// at most 200 characters. Case-sensitive, as nginx matches it.
    ///
    /// The strict character set (no percent-escapes, no query) keeps the value safe
    /// verbatim in an nginx `location`, an `alias` fallback and a URL. `/api` and
    /// `/api/` are the same place (see [`ResourcePath::location_key`]); the form typed is
    /// kept because it is what `Path` and `Url` variables give the application.
    ResourcePath,
    check_path
);

impl ResourcePath {
    /// The root path `/`.
    pub fn root() -> Self {
        Self("/".to_owned())
    }

    pub fn is_root(&self) -> bool {
        self.0 == "/"
    }

    /// The path without its trailing slash; empty for `/`.
    pub fn base(&self) -> &str {
        self.0.strip_suffix('/').unwrap_or(&self.0)
    }

    /// The prefix the resource owns, always ending in `/` (`/api/`, or `/`): two
    /// resources on one domain may not share it.
    pub fn location_key(&self) -> String {
        format!("{}/", self.base())
    }
}

fn check_path(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Path is required"));
    }
    if !value.starts_with('/') {
        return Err(FieldError::new("Path must start with /"));
    }
    if value.len() > MAX_PATH_LEN {
        return Err(FieldError::new(format!("Path must be at most {MAX_PATH_LEN} characters")));
    }
    if let Some(c) = value.chars().find(|c| !is_path_char(*c)) {
        return Err(FieldError::new(match c {
            '?' | '#' => "Path cannot contain a query or a fragment (? or #)".to_owned(),
            c if is_control(c) || c.is_whitespace() => "Path cannot contain spaces or control characters".to_owned(),
            c => format!("Path cannot contain \"{c}\": use only letters, digits, '-', '.', '_', '~' and '/'"),
        }));
    }
    if value.contains("//") {
        return Err(FieldError::new("Path cannot contain empty segments (//)"));
    }
    if value.split('/').any(|segment| segment == "." || segment == "..") {
        return Err(FieldError::new("Path cannot contain . or .. segments"));
    }
    Ok(())
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~' | '/')
}
