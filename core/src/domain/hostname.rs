//! [`Hostname`]: the name a Domain answers to.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::validation::{is_control, FieldError};

/// Longest hostname accepted (RFC 1035, without the final dot).
pub const MAX_HOSTNAME_LEN: usize = 253;
/// Longest label (the parts between dots).
pub const MAX_LABEL_LEN: usize = 63;

/// A DNS hostname, lowercase, without a trailing dot, optionally a wildcard
/// (`*.example.com`).
///
/// Rules, chosen so the value is safe verbatim in nginx's `server_name`, in URLs and in
/// certificate requests:
/// * labels of 1–63 characters of `[a-z0-9-]`, not starting or ending with `-`; at most
///   253 characters in all. Upper case is accepted and lowered; one trailing dot (the
///   fully qualified form) is dropped.
/// * Single-label names (`localhost`, an intranet name) are accepted: they are real
///   names on a LAN, and get NSM's self-signed certificate since no public CA signs them.
/// * The last label cannot be all digits, so an IP address is never taken for a name.
/// * A wildcard is the whole first label, `*.`, over at least two labels (`*.com` is
///   refused, as CAs do). Note that HTTP-01 cannot validate wildcards.
/// * Internationalised names must be given in punycode (`xn--…`): any non-ASCII
///   character is refused with a message saying so.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Hostname(String);

impl Hostname {
    /// Validates `value`, normalising case and a trailing dot.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        check_characters(value)?;
        let lower = value.to_ascii_lowercase();
        let name = lower.strip_suffix('.').unwrap_or(&lower);
        if name.is_empty() {
            return Err(FieldError::new("Hostname is required"));
        }
        if name.len() > MAX_HOSTNAME_LEN {
            return Err(FieldError::new(format!("Hostname must be at most {MAX_HOSTNAME_LEN} characters")));
        }
        let (wildcard, rest) = match name.strip_prefix("*.") {
            Some(rest) => (true, rest),
            None => (false, name),
        };
        if rest.contains('*') {
            return Err(FieldError::new("A wildcard is allowed only as the whole first part, as in *.example.com"));
        }
        let labels: Vec<&str> = rest.split('.').collect();
        for label in &labels {
            check_label(label)?;
        }
        if wildcard && labels.len() < 2 {
            return Err(FieldError::new("A wildcard must cover at least two parts, as in *.example.com"));
        }
        if labels.last().is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit())) {
            return Err(FieldError::new(
                "The last part of a hostname cannot be all digits (an IP address is not a hostname)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `*.example.com`.
    pub fn is_wildcard(&self) -> bool {
        self.0.starts_with("*.")
    }

    /// A name safe as a file name (certificates, keys): the hostname with a leading `*`
    /// written as `_`, which no hostname contains, so distinct hostnames stay distinct.
    pub fn file_stem(&self) -> String {
        match self.0.strip_prefix('*') {
            Some(rest) => format!("_{rest}"),
            None => self.0.clone(),
        }
    }
}

/// Catches the mistakes people make (pasting a URL, a port, Unicode) with a message
/// that says what to do instead.
fn check_characters(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Hostname is required"));
    }
    if !value.is_ascii() {
        return Err(FieldError::new(
            "Hostname must be ASCII: write an internationalised name in its punycode form (xn--…)",
        ));
    }
    if value.contains("://") {
        return Err(FieldError::new("Give the hostname alone, without http:// or https://"));
    }
    if value.chars().any(|c| is_control(c) || c.is_whitespace()) {
        return Err(FieldError::new("Hostname cannot contain spaces or control characters"));
    }
    match value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '*'))) {
        None => Ok(()),
        Some('/') => Err(FieldError::new("Give the hostname alone, without a path")),
        Some(':') => Err(FieldError::new("Give the hostname alone, without a port")),
        Some(c) => {
            Err(FieldError::new(format!("Hostname cannot contain \"{c}\": use only letters, digits, hyphens and dots")))
        }
    }
}

fn check_label(label: &str) -> Result<(), FieldError> {
    if label.is_empty() {
        return Err(FieldError::new("Hostname cannot have empty parts (two dots in a row, or a leading dot)"));
    }
    if label.len() > MAX_LABEL_LEN {
        return Err(FieldError::new(format!(
            "Each part of a hostname (between dots) must be at most {MAX_LABEL_LEN} characters"
        )));
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(FieldError::new("A part of a hostname cannot start or end with a hyphen"));
    }
    Ok(())
}

impl TryFrom<String> for Hostname {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Hostname> for String {
    fn from(value: Hostname) -> Self {
        value.0
    }
}

impl fmt::Display for Hostname {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
