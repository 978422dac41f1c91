//! A project's domains and resources together, with the checks that span them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Hostname, ResourceConfig, ResourcePath};
use crate::validation::FieldError;

/// A saved domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainEntry {
    pub id: i64,
    pub hostname: Hostname,
    /// Send HSTS once the hostname has a CA-issued certificate
    /// ([`crate::edge::policy`]); on unless the Domains tab turned it off.
    #[serde(default = "hsts_default")]
    pub hsts: bool,
}

impl DomainEntry {
    /// A domain with the defaults (HSTS on).
    pub fn new(id: i64, hostname: Hostname) -> Self {
        Self { id, hostname, hsts: true }
    }
}

fn hsts_default() -> bool {
    true
}

/// A saved resource on one of the project's domains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceEntry {
    pub id: i64,
    pub domain_id: i64,
    pub config: ResourceConfig,
}

impl ResourceEntry {
    pub fn path(&self) -> &ResourcePath {
        &self.config.path
    }
}

/// Everything one project publishes: what the nginx renderer and variable resolution
/// read. Ids are the database's (positive).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topology {
    pub domains: Vec<DomainEntry>,
    pub resources: Vec<ResourceEntry>,
}

/// Resources of one domain sharing a path (`/api` and `/api/` count as one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicatePath {
    pub domain_id: i64,
    /// As the first resource spells it.
    pub path: ResourcePath,
    /// In topology order.
    pub resources: Vec<i64>,
}

/// An inconsistency no saved project should have; the server's constraints prevent
/// them, and the renderer refuses to work from one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    #[error("id {0} is not positive")]
    InvalidId(i64),
    #[error("domain id {0} is used twice")]
    DuplicateDomainId(i64),
    #[error("resource id {0} is used twice")]
    DuplicateResourceId(i64),
    #[error("{0} is listed twice")]
    DuplicateHostname(Hostname),
    #[error("resource {resource} is on domain {domain}, which does not exist")]
    UnknownDomain { resource: i64, domain: i64 },
    #[error("more than one resource uses {hostname}{path}")]
    DuplicatePath { hostname: String, path: ResourcePath },
}

impl Topology {
    pub fn domain(&self, id: i64) -> Option<&DomainEntry> {
        self.domains.iter().find(|d| d.id == id)
    }

    pub fn resource(&self, id: i64) -> Option<&ResourceEntry> {
        self.resources.iter().find(|r| r.id == id)
    }

    /// The resources on `domain_id`, in topology order.
    pub fn resources_on(&self, domain_id: i64) -> impl Iterator<Item = &ResourceEntry> {
        self.resources.iter().filter(move |r| r.domain_id == domain_id)
    }

    /// `https://<hostname><path>`; `None` when the resource or its domain is missing,
    /// or the domain is a wildcard (which has no single URL).
    pub fn url(&self, resource_id: i64) -> Option<String> {
        let resource = self.resource(resource_id)?;
        let domain = self.domain(resource.domain_id)?;
        (!domain.hostname.is_wildcard()).then(|| format!("https://{}{}", domain.hostname, resource.path()))
    }

    /// `example.com/api`: how messages and previews name a resource.
    pub fn label(&self, resource_id: i64) -> String {
        match self.resource(resource_id) {
            Some(resource) => match self.domain(resource.domain_id) {
                Some(domain) => format!("{}{}", domain.hostname, resource.path()),
                None => resource.path().to_string(),
            },
            None => format!("resource {resource_id}"),
        }
    }

    /// Paths used by more than one resource of the same domain.
    pub fn duplicate_paths(&self) -> Vec<DuplicatePath> {
        let mut groups: BTreeMap<(i64, String), Vec<&ResourceEntry>> = BTreeMap::new();
        for resource in &self.resources {
            groups.entry((resource.domain_id, resource.path().location_key())).or_default().push(resource);
        }
        let mut duplicates: Vec<DuplicatePath> = groups
            .into_values()
            .filter(|group| group.len() > 1)
            .map(|group| DuplicatePath {
                domain_id: group[0].domain_id,
                path: group[0].path().clone(),
                resources: group.iter().map(|r| r.id).collect(),
            })
            .collect();
        // Topology order, so the first duplicate shown is the first one listed.
        duplicates.sort_by_key(|d| self.resources.iter().position(|r| Some(&r.id) == d.resources.first()));
        duplicates
    }

    /// For the Resource form: refuses `path` when another resource of `domain_id`
    /// (other than `except`, the one being edited) already uses it.
    pub fn check_path_free(&self, domain_id: i64, path: &ResourcePath, except: Option<i64>) -> Result<(), FieldError> {
        let key = path.location_key();
        let taken = self.resources_on(domain_id).any(|r| Some(r.id) != except && r.path().location_key() == key);
        if taken {
            return Err(FieldError::new("Another resource of this domain already uses this path"));
        }
        Ok(())
    }

    /// Every inconsistency, in a stable order.
    pub fn check(&self) -> Result<(), Vec<TopologyError>> {
        let mut errors = Vec::new();
        let mut domain_ids = BTreeSet::new();
        let mut hostnames = BTreeSet::new();
        for domain in &self.domains {
            if domain.id <= 0 {
                errors.push(TopologyError::InvalidId(domain.id));
            }
            if !domain_ids.insert(domain.id) {
                errors.push(TopologyError::DuplicateDomainId(domain.id));
            }
            if !hostnames.insert(&domain.hostname) {
                errors.push(TopologyError::DuplicateHostname(domain.hostname.clone()));
            }
        }
        let mut resource_ids = BTreeSet::new();
        for resource in &self.resources {
            if resource.id <= 0 {
                errors.push(TopologyError::InvalidId(resource.id));
            }
            if !resource_ids.insert(resource.id) {
                errors.push(TopologyError::DuplicateResourceId(resource.id));
            }
            if !domain_ids.contains(&resource.domain_id) {
                errors.push(TopologyError::UnknownDomain { resource: resource.id, domain: resource.domain_id });
            }
        }
        for duplicate in self.duplicate_paths() {
            let hostname = self.domain(duplicate.domain_id).map(|d| d.hostname.to_string()).unwrap_or_default();
            errors.push(TopologyError::DuplicatePath { hostname, path: duplicate.path });
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}
