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

/// What the control plane knows of a node proposed to front another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontCandidate {
    pub id: WorkerId,
    /// Its edge said it can pass TLS through (managed, with nginx's stream module).
    pub can_front: bool,
    /// It is itself fronted by another node.
    pub is_fronted: bool,
}

/// Whether `worker` may be fronted by `front`: a public node that can pass TLS
/// through, reaching `worker` at its address (`None`: not set); a node that fronts
/// others stays public (no chains).
pub fn check_front(
    worker: &WorkerId,
    address: Option<&str>,
    fronts_others: bool,
    front: &FrontCandidate,
) -> Result<(), crate::FieldError> {
    let refuse = |text: String| Err(crate::FieldError::new(text));
    if &front.id == worker {
        return refuse(format!("Worker {worker} cannot front itself"));
    }
    if fronts_others {
        return refuse(format!("Worker {worker} fronts other nodes, so it must stay public"));
    }
    if front.is_fronted {
        return refuse(format!("Worker {} is itself fronted: choose a node with a public address", front.id));
    }
    if !front.can_front {
        return refuse(format!(
            "Worker {}'s edge cannot front other nodes: it needs the managed edge with nginx's stream \
             module (Debian: libnginx-mod-stream); restart that worker once it is installed",
            front.id
        ));
    }
    if address.is_none() {
        return refuse(format!("First set the address {} reaches worker {worker} at (its private address)", front.id));
    }
    Ok(())
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

    #[test]
    fn a_node_is_fronted_only_by_a_public_node_that_can_pass_tls_through() {
        let node = WorkerId::parse("node-2").unwrap();
        let local = FrontCandidate { id: WorkerId::local(), can_front: true, is_fronted: false };
        assert!(check_front(&node, Some("10.0.0.2"), false, &local).is_ok());
        let refused = |address, fronts_others, front: &FrontCandidate| {
            check_front(&node, address, fronts_others, front).unwrap_err().0
        };
        assert!(
            refused(Some("10.0.0.2"), false, &FrontCandidate { id: node.clone(), ..local.clone() }).contains("itself")
        );
        assert!(refused(Some("10.0.0.2"), true, &local).contains("must stay public"));
        assert!(refused(Some("10.0.0.2"), false, &FrontCandidate { is_fronted: true, ..local.clone() })
            .contains("is itself fronted"));
        assert!(refused(Some("10.0.0.2"), false, &FrontCandidate { can_front: false, ..local.clone() })
            .contains("libnginx-mod-stream"));
        assert!(refused(None, false, &local).contains("private address"));
    }
}
