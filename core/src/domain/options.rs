//! The validated options of each resource type.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Hostname;
use crate::nginx_lexer::check_block_body;
use crate::validation::{is_control, FieldError};

/// An origin allowed to read a Static Page cross-origin: `*` (any origin) or
/// `http(s)://host[:port]`, lowercase, without a path (a trailing `/` is dropped, as
/// browsers never send one). Hosts are hostnames (no wildcard), IPv4 addresses or
/// `localhost`, which covers development origins such as `http://127.0.0.1:5173`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CorsOrigin(String);

impl CorsOrigin {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        if value == "*" {
            return Ok(Self(value.to_owned()));
        }
        let lower = value.to_ascii_lowercase();
        let lower = lower.strip_suffix('/').unwrap_or(&lower);
        let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://")).ok_or_else(|| {
            FieldError::new(format!(
                "\"{value}\" is not an origin: write it as https://host or https://host:port, or *"
            ))
        })?;
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        };
        let host_ok = is_ipv4(host) || Hostname::parse(host).is_ok_and(|h| !h.is_wildcard() && h.as_str() == host);
        if !host_ok {
            return Err(FieldError::new(format!(
                "\"{value}\" is not an origin: write it as https://host or https://host:port (no path), or *"
            )));
        }
        if let Some(port) = port {
            parse_port(port).ok_or_else(|| FieldError::new(format!("\"{value}\" has an invalid port")))?;
        }
        Ok(Self(lower.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for `*`.
    pub fn is_any(&self) -> bool {
        self.0 == "*"
    }
}

/// Parses a CORS list as typed in the form: origins separated by spaces, commas or
/// line breaks. `*` must stand alone, since it already allows every origin.
pub fn parse_cors_origins(text: &str) -> Result<Vec<CorsOrigin>, FieldError> {
    let mut origins: Vec<CorsOrigin> = Vec::new();
    for item in text.split(|c: char| c == ',' || c.is_whitespace()).filter(|s| !s.is_empty()) {
        let origin = CorsOrigin::parse(item)?;
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    if origins.len() > 1 && origins.iter().any(CorsOrigin::is_any) {
        return Err(FieldError::new("\"*\" already allows every origin: list no other origin with it"));
    }
    Ok(origins)
}

fn is_ipv4(host: &str) -> bool {
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

fn parse_port(text: &str) -> Option<u16> {
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u16>().ok().filter(|p| *p != 0)
}

impl TryFrom<String> for CorsOrigin {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CorsOrigin> for String {
    fn from(value: CorsOrigin) -> Self {
        value.0
    }
}

impl fmt::Display for CorsOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub const DEFAULT_API_TIMEOUT_SECS: u32 = 60;
pub const MAX_API_TIMEOUT_SECS: u32 = 3600;

/// Seconds nginx waits on an API Service between two reads or writes
/// (`proxy_read_timeout` / `proxy_send_timeout`): 1–3600, default 60.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct ApiTimeout(u32);

impl ApiTimeout {
    pub fn new(secs: u32) -> Result<Self, FieldError> {
        if (1..=MAX_API_TIMEOUT_SECS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(FieldError::new(format!("Timeout must be between 1 and {MAX_API_TIMEOUT_SECS} seconds")))
        }
    }

    /// Parses the form's text; empty means the default.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match value.trim() {
            "" => Ok(Self::default()),
            text => text
                .parse::<u32>()
                .map_err(|_| FieldError::new("Timeout must be a whole number of seconds"))
                .and_then(Self::new),
        }
    }

    pub fn secs(self) -> u32 {
        self.0
    }
}

impl Default for ApiTimeout {
    fn default() -> Self {
        Self(DEFAULT_API_TIMEOUT_SECS)
    }
}

impl TryFrom<u32> for ApiTimeout {
    type Error = FieldError;
    fn try_from(secs: u32) -> Result<Self, Self::Error> {
        Self::new(secs)
    }
}

impl From<ApiTimeout> for u32 {
    fn from(value: ApiTimeout) -> Self {
        value.0
    }
}

/// Largest request body an API Service may accept: 10 GiB.
pub const MAX_BODY_BYTES: u64 = 10 << 30;

/// A request body limit in nginx's size syntax: digits and an optional unit `k`, `m`
/// or `g` (powers of 1024; upper case accepted), from 1 byte to `10g`; default `10m`.
/// `0` (nginx's "unlimited") is refused: the cap is the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BodySize {
    amount: u64,
    unit: Option<char>,
}

impl BodySize {
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let text = value.trim();
        if text.is_empty() {
            return Ok(Self::default());
        }
        let invalid = || FieldError::new("Max body size must be a number with an optional unit k, m or g (like 10m)");
        let (digits, unit) = match text.char_indices().last() {
            Some((i, c)) if c.is_ascii_alphabetic() => (&text[..i], Some(c.to_ascii_lowercase())),
            _ => (text, None),
        };
        let shift = match unit {
            None => 0,
            Some('k') => 10,
            Some('m') => 20,
            Some('g') => 30,
            Some(_) => return Err(invalid()),
        };
        if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let amount: u64 = digits.parse().map_err(|_| invalid())?;
        if amount == 0 {
            return Err(FieldError::new("Max body size must be at least 1 byte"));
        }
        if amount > (MAX_BODY_BYTES >> shift) {
            return Err(FieldError::new("Max body size must be at most 10g"));
        }
        Ok(Self { amount, unit })
    }

    pub fn bytes(self) -> u64 {
        let shift = match self.unit {
            Some('k') => 10,
            Some('m') => 20,
            Some('g') => 30,
            _ => 0,
        };
        self.amount << shift
    }
}

impl Default for BodySize {
    fn default() -> Self {
        Self { amount: 10, unit: Some('m') }
    }
}

impl fmt::Display for BodySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.amount)?;
        match self.unit {
            Some(unit) => write!(f, "{unit}"),
            None => Ok(()),
        }
    }
}

impl TryFrom<String> for BodySize {
    type Error = FieldError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<BodySize> for String {
    fn from(value: BodySize) -> Self {
        value.to_string()
    }
}

/// Longest redirect target accepted.
pub const MAX_TARGET_LEN: usize = 2048;

crate::validated_string!(
    /// Where a Redirect Link sends visitors: an absolute `http://` or `https://` URL with
    /// a host (no user-info), at most 2048 characters of printable ASCII (percent-encode
    /// anything else), none of `" ' \ $ ; { }`, spaces or control characters.
    RedirectTarget,
    check_target
);

fn check_target(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Target URL is required"));
    }
    if value.len() > MAX_TARGET_LEN {
        return Err(FieldError::new(format!("Target URL must be at most {MAX_TARGET_LEN} characters")));
    }
    if !value.is_ascii() {
        return Err(FieldError::new("Target URL must be ASCII: percent-encode other characters"));
    }
    if value.chars().any(|c| is_control(c) || c.is_whitespace()) {
        return Err(FieldError::new("Target URL cannot contain spaces or control characters"));
    }
    if let Some(c) = value.chars().find(|c| matches!(c, '"' | '\'' | '\\' | '$' | ';' | '{' | '}')) {
        return Err(FieldError::new(format!("Target URL cannot contain \"{c}\": percent-encode it")));
    }
    let lower = value.to_ascii_lowercase();
    let scheme_len = if lower.starts_with("https://") {
        8
    } else if lower.starts_with("http://") {
        7
    } else {
        return Err(FieldError::new("Target URL must start with http:// or https://"));
    };
    let rest = &value[scheme_len..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(FieldError::new("Target URL cannot contain a user name or password"));
    }
    if !is_authority(authority) {
        return Err(FieldError::new("Target URL must name a host, as in https://example.com/page"));
    }
    Ok(())
}

/// `host[:port]` with a DNS-style or IPv4 host, or `[ipv6][:port]`.
fn is_authority(authority: &str) -> bool {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((ip, after)) = bracketed.split_once(']') else {
            return false;
        };
        let ip_ok = !ip.is_empty() && ip.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
        let port_ok = after.is_empty() || after.strip_prefix(':').and_then(parse_port).is_some();
        return ip_ok && port_ok;
    }
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host_ok = !host.is_empty()
        && !host.starts_with(['-', '.'])
        && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    host_ok && port.is_none_or(|p| parse_port(p).is_some())
}

/// Largest Custom body accepted.
pub const MAX_CUSTOM_BODY_LEN: usize = 16 * 1024;

crate::validated_string!(
    /// The body of a Custom resource's `location` block, written by an admin and placed
    /// verbatim. Checked here only so that it cannot leave its block: read with nginx's
    /// own tokenizer rules (quotes, escapes, `#` comments, `${var}`), every `{` it opens
    /// it closes, no `}` closes the location, and it ends after a complete directive.
    /// Non-empty, at most 16 KiB, no control characters but tabs and line breaks.
    /// Only directives that act within the location (see `custom.rs`), upstreams
    /// written out as network addresses. The rest is for `nginx -t` to judge.
    CustomBody,
    check_custom_body
);

fn check_custom_body(value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new("Write the body of the location block"));
    }
    if value.len() > MAX_CUSTOM_BODY_LEN {
        return Err(FieldError::new("The location body must be at most 16 KiB"));
    }
    if value.chars().any(|c| is_control(c) && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(FieldError::new(
            "The location body cannot contain control characters other than tabs and line breaks",
        ));
    }
    check_block_body(value).map_err(|e| FieldError::new(format!("Invalid location body: {e}")))?;
    super::custom::check_directives(value).map_err(|e| FieldError::new(e.to_string()))
}
