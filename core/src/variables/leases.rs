//! Port leases: which TCP port of a worker each API Service holds (design §3).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::parse_resource_key;

/// Resource id → leased port, for one worker. A port is leased to at most one resource
/// at a time; every method keeps that true.
///
/// JSON: an object from resource id to port, `{"7": 41234}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BTreeMap<i64, u16>", into = "BTreeMap<i64, u16>")]
pub struct PortLeases(BTreeMap<i64, u16>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LeaseError {
    #[error("port 0 cannot be leased")]
    ZeroPort,
    #[error("port {port} is already leased to resource {holder}")]
    Taken { port: u16, holder: i64 },
    #[error("\"{0}\" does not name a resource")]
    UnknownKey(String),
}

impl PortLeases {
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds leases from `(resource, port)` pairs; a later pair for the same resource
    /// replaces an earlier one.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (i64, u16)>) -> Result<Self, LeaseError> {
        let mut leases = Self::new();
        for (resource, port) in pairs {
            leases.lease(resource, port)?;
        }
        Ok(leases)
    }

    pub fn get(&self, resource: i64) -> Option<u16> {
        self.0.get(&resource).copied()
    }

    /// The resource holding `port`, if any.
    pub fn holder(&self, port: u16) -> Option<i64> {
        self.0.iter().find(|(_, p)| **p == port).map(|(r, _)| *r)
    }

    /// Leases `port` to `resource` (replacing its previous lease), unless another
    /// resource holds it.
    pub fn lease(&mut self, resource: i64, port: u16) -> Result<(), LeaseError> {
        if port == 0 {
            return Err(LeaseError::ZeroPort);
        }
        match self.holder(port) {
            Some(holder) if holder != resource => Err(LeaseError::Taken { port, holder }),
            _ => {
                self.0.insert(resource, port);
                Ok(())
            }
        }
    }

    /// Ends `resource`'s lease (the resource was deleted or is no longer an API).
    pub fn release(&mut self, resource: i64) -> Option<u16> {
        self.0.remove(&resource)
    }

    pub fn iter(&self) -> impl Iterator<Item = (i64, u16)> + '_ {
        self.0.iter().map(|(r, p)| (*r, *p))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// With `self` the leases of a whole worker: the ports a deploy of the project
    /// owning `own_resources` must not take (`DeploySpec::reserved_ports`), sorted.
    pub fn reserved_for_others(&self, own_resources: &[i64]) -> Vec<u16> {
        let own: BTreeSet<i64> = own_resources.iter().copied().collect();
        let ports: BTreeSet<u16> = self.iter().filter(|(r, _)| !own.contains(r)).map(|(_, p)| p).collect();
        ports.into_iter().collect()
    }

    /// Records the ports a deploy report says were chosen (`DeployReport::ports`, keyed
    /// by resource key). All or nothing: on error the leases are unchanged.
    pub fn record_report(&mut self, ports: &[(String, u16)]) -> Result<(), LeaseError> {
        let mut next = self.clone();
        let reported: Vec<(i64, u16)> = ports
            .iter()
            .map(|(key, port)| {
                parse_resource_key(key).map(|r| (r, *port)).ok_or_else(|| LeaseError::UnknownKey(key.clone()))
            })
            .collect::<Result<_, _>>()?;
        // Drop the reported resources' old leases first, so two of them may swap ports.
        for (resource, _) in &reported {
            next.release(*resource);
        }
        for (resource, port) in reported {
            next.lease(resource, port)?;
        }
        *self = next;
        Ok(())
    }
}

impl TryFrom<BTreeMap<i64, u16>> for PortLeases {
    type Error = LeaseError;
    fn try_from(map: BTreeMap<i64, u16>) -> Result<Self, Self::Error> {
        Self::from_pairs(map)
    }
}

impl From<PortLeases> for BTreeMap<i64, u16> {
    fn from(leases: PortLeases) -> Self {
        leases.0
    }
}
