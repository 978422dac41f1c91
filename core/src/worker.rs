//! Worker node identity.

use crate::validation::check_slug;

/// The embedded worker that `nsm-server` starts in-process.
pub const LOCAL_WORKER_ID: &str = "local";

crate::validated_string!(
    /// A worker node's id: the same slug rule as a project id.
    WorkerId,
    |v| check_slug(v, "Worker id")
);

impl WorkerId {
    pub fn local() -> Self {
        Self(LOCAL_WORKER_ID.to_owned())
    }
}

/// Where users point DNS for a node's projects: a hostname or an IP address, as an
/// admin sets it on the Workers page; empty means not set.
pub fn parse_public_address(text: &str) -> Result<Option<String>, crate::FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.parse::<std::net::IpAddr>().is_ok() {
        return Ok(Some(text.to_owned()));
    }
    match crate::domain::Hostname::parse(text) {
        Ok(name) if !name.is_wildcard() => Ok(Some(name.to_string())),
        _ => Err(crate::FieldError::new(
            "A public address is a hostname (edge-1.example.com) or an IP address (203.0.113.7)",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn public_addresses_are_names_or_ips() {
        assert_eq!(parse_public_address("  ").unwrap(), None);
        assert_eq!(parse_public_address("203.0.113.7").unwrap().as_deref(), Some("203.0.113.7"));
        assert_eq!(parse_public_address("2001:db8::1").unwrap().as_deref(), Some("2001:db8::1"));
        assert_eq!(parse_public_address("Edge-1.Example.com").unwrap().as_deref(), Some("edge-1.example.com"));
        for bad in ["*.example.com", "http://x", "a b", "x;y", "1.2.3.4:80"] {
            assert!(parse_public_address(bad).is_err(), "{bad}");
        }
    }
}
