//! Turning the saved variables into the job's variables (design §3).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{PortLeases, Reference, Variable, VariableValue};
use crate::domain::{parse_resource_key, resource_key};
use crate::domain::{ResourceEntry, ResourceKind, ResourceType, Topology};
use crate::env::EnvName;
use crate::protocol::{JobValue, JobVariable};

/// What a deploy needs from the variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// Every variable, in the saved order.
    pub variables: Vec<JobVariable>,
    /// Keys of the Static Pages referenced by `Directory`, once each, in first-use order.
    pub directories: Vec<String>,
    /// API Services referenced by `Port`, once each, in first-use order.
    pub ports: Vec<PortRequest>,
}

/// A port the worker must provide for a resource, keeping `preferred` if it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortRequest {
    pub resource: i64,
    /// The resource's current lease.
    pub preferred: Option<u16>,
}

/// Why a variable cannot be resolved. Each names its variable: the editor shows it on
/// that row, and a deploy stops before touching anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("{name} is defined more than once")]
    DuplicateName { name: EnvName },
    #[error("{name} refers to a domain that no longer exists")]
    MissingDomain { name: EnvName },
    #[error("{name} refers to a resource that no longer exists")]
    MissingResource { name: EnvName },
    #[error("{name} must refer to a resource of type {expected}, but {resource} is of type {actual}")]
    WrongType { name: EnvName, resource: String, expected: ResourceType, actual: ResourceType },
    #[error("{name} refers to {resource}, whose wildcard domain has no single URL")]
    WildcardUrl { name: EnvName, resource: String },
    #[error("the value of {name} contains a NUL character")]
    NulInValue { name: EnvName },
}

impl ResolveError {
    /// The variable the error is about.
    pub fn variable(&self) -> &EnvName {
        match self {
            Self::DuplicateName { name }
            | Self::MissingDomain { name }
            | Self::MissingResource { name }
            | Self::WrongType { name, .. }
            | Self::WildcardUrl { name, .. }
            | Self::NulInValue { name } => name,
        }
    }
}

/// Resolves every variable: server-side values now, worker-side ones as requests.
/// A reference to a deleted target or to a resource of the wrong type is an error,
/// never a value; all errors are returned together.
pub fn resolve(
    variables: &[Variable],
    topology: &Topology,
    leases: &PortLeases,
) -> Result<Resolution, Vec<ResolveError>> {
    let mut resolution = Resolution::default();
    let mut errors = Vec::new();
    let mut seen = BTreeSet::new();
    for variable in variables {
        if !seen.insert(&variable.name) {
            errors.push(ResolveError::DuplicateName { name: variable.name.clone() });
            continue;
        }
        match resolve_value(&variable.name, &variable.value, topology, leases) {
            Ok(value) => {
                resolution.record(&value);
                resolution.variables.push(JobVariable { name: variable.name.clone(), value });
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(resolution)
    } else {
        Err(errors)
    }
}

impl Resolution {
    fn record(&mut self, value: &JobValue) {
        match value {
            JobValue::Directory { resource } if !self.directories.contains(resource) => {
                self.directories.push(resource.clone());
            }
            JobValue::Port { resource, preferred } => {
                if let Some(id) = parse_resource_key(resource) {
                    if !self.ports.iter().any(|p| p.resource == id) {
                        self.ports.push(PortRequest { resource: id, preferred: *preferred });
                    }
                }
            }
            _ => {}
        }
    }
}

/// Checks one reference against the topology, as the editor does for a single row.
pub fn check_reference(name: &EnvName, reference: &Reference, topology: &Topology) -> Result<(), ResolveError> {
    resolve_value(name, &VariableValue::Reference(*reference), topology, &PortLeases::default()).map(|_| ())
}

fn resolve_value(
    name: &EnvName,
    value: &VariableValue,
    topology: &Topology,
    leases: &PortLeases,
) -> Result<JobValue, ResolveError> {
    let text = |text: String| JobValue::Text { text, secret: false };
    let reference = match value {
        VariableValue::Plain(plain) if plain.contains('\0') => {
            return Err(ResolveError::NulInValue { name: name.clone() })
        }
        VariableValue::Plain(plain) => return Ok(JobValue::Text { text: plain.clone(), secret: true }),
        VariableValue::Reference(reference) => *reference,
    };
    let resource = |id: i64, expected: Option<ResourceType>| find_resource(name, topology, id, expected);
    Ok(match reference {
        Reference::WorkerNodeId => JobValue::WorkerNodeId,
        Reference::Volume => JobValue::Volume,
        Reference::Domain { domain } => match topology.domain(domain) {
            Some(domain) => text(domain.hostname.to_string()),
            None => return Err(ResolveError::MissingDomain { name: name.clone() }),
        },
        Reference::Url { resource: id } => {
            resource(id, None)?;
            match topology.url(id) {
                Some(url) => text(url),
                None => return Err(ResolveError::WildcardUrl { name: name.clone(), resource: topology.label(id) }),
            }
        }
        Reference::Path { resource: id } => text(resource(id, None)?.path().to_string()),
        Reference::Directory { resource: id } => {
            resource(id, Some(ResourceType::Static))?;
            JobValue::Directory { resource: resource_key(id) }
        }
        Reference::Port { resource: id } => {
            resource(id, Some(ResourceType::Api))?;
            JobValue::Port { resource: resource_key(id), preferred: leases.get(id) }
        }
        Reference::Target { resource: id } => match &resource(id, Some(ResourceType::Redirect))?.config.kind {
            ResourceKind::Redirect { target } => text(target.to_string()),
            _ => return Err(ResolveError::MissingResource { name: name.clone() }),
        },
    })
}

/// The resource `id`, on an existing domain, of the `expected` type if one is given.
fn find_resource<'t>(
    name: &EnvName,
    topology: &'t Topology,
    id: i64,
    expected: Option<ResourceType>,
) -> Result<&'t ResourceEntry, ResolveError> {
    let resource = topology
        .resource(id)
        .filter(|r| topology.domain(r.domain_id).is_some())
        .ok_or_else(|| ResolveError::MissingResource { name: name.clone() })?;
    let actual = resource.config.kind.resource_type();
    match expected {
        Some(expected) if expected != actual => {
            Err(ResolveError::WrongType { name: name.clone(), resource: topology.label(id), expected, actual })
        }
        _ => Ok(resource),
    }
}
