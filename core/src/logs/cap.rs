//! The per-service cap on stored log bytes: a setting an admin edits, validated here so
//! the Settings page and the server agree.

use serde::{Deserialize, Serialize};

const MB: u64 = 1024 * 1024;

/// How many bytes of log text the server keeps per service; the oldest lines go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LogCap(u64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    #[error("give the cap in MB, a whole number")]
    NotANumber,
    #[error("the cap must be at least {} MB", LogCap::MIN.0 / MB)]
    TooSmall,
    #[error("the cap must be at most {} MB", LogCap::MAX.0 / MB)]
    TooLarge,
}

impl LogCap {
    pub const MIN: Self = Self(MB);
    pub const MAX: Self = Self(10 * 1024 * MB);
    pub const DEFAULT: Self = Self(50 * MB);
    /// The `settings` key the server keeps it under (in bytes).
    pub const SETTING: &'static str = "container_log_cap_bytes";

    pub fn bytes(self) -> u64 {
        self.0
    }

    pub fn megabytes(self) -> u64 {
        self.0 / MB
    }

    /// A cap in bytes, checked against the bounds.
    pub fn from_bytes(bytes: u64) -> Result<Self, CapError> {
        if bytes < Self::MIN.0 {
            Err(CapError::TooSmall)
        } else if bytes > Self::MAX.0 {
            Err(CapError::TooLarge)
        } else {
            Ok(Self(bytes))
        }
    }

    /// What an admin types: whole megabytes (`50`, `50 MB`).
    pub fn parse_megabytes(text: &str) -> Result<Self, CapError> {
        let text = text.trim();
        let number = text.strip_suffix("MB").or_else(|| text.strip_suffix("mb")).unwrap_or(text).trim();
        let megabytes: u64 = number.parse().map_err(|_| CapError::NotANumber)?;
        Self::from_bytes(megabytes.checked_mul(MB).ok_or(CapError::TooLarge)?)
    }

    /// The stored setting; anything unreadable or out of bounds is the default.
    pub fn from_setting(value: Option<&str>) -> Self {
        value.and_then(|v| v.trim().parse().ok()).and_then(|b| Self::from_bytes(b).ok()).unwrap_or(Self::DEFAULT)
    }
}

impl Default for LogCap {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn megabytes_are_parsed_within_bounds() {
        assert_eq!(LogCap::parse_megabytes("50"), Ok(LogCap::DEFAULT));
        assert_eq!(LogCap::parse_megabytes(" 5 MB ").map(LogCap::bytes), Ok(5 * MB));
        assert_eq!(LogCap::parse_megabytes("0"), Err(CapError::TooSmall));
        assert_eq!(LogCap::parse_megabytes("10241"), Err(CapError::TooLarge));
        assert_eq!(LogCap::parse_megabytes("lots"), Err(CapError::NotANumber));
        assert_eq!(LogCap::parse_megabytes("99999999999999999"), Err(CapError::TooLarge));
    }

    #[test]
    fn the_stored_setting_falls_back_to_the_default() {
        assert_eq!(LogCap::from_setting(None), LogCap::DEFAULT);
        assert_eq!(LogCap::from_setting(Some("12")), LogCap::DEFAULT);
        assert_eq!(LogCap::from_setting(Some("5242880")).megabytes(), 5);
    }
}
