//! Configuration as code: a project's whole configuration as one TOML file — General
//! settings, domains with their resources, variables with their references, services'
//! expected states — for export, review and import.
//!
//! The file never holds ids: a reference names its domain by hostname and its resource
//! by hostname and path, so a file applies to any server. Secrets are included only when
//! asked for; a secret without `value` means "not exported": an import into an existing
//! project keeps the stored value, a new project gets an empty one.
//!
//! [`ConfigFile::to_toml`] is deterministic (the order of the project's domains,
//! resources and variables; services by name), and [`ConfigFile::from_toml`] reads back
//! exactly what it wrote.
//!
//! ```toml
//! format = 1
//!
//! [project]
//! id = "hello"
//! branch = "main"
//! worker = "local"
//! timeout_secs = 300
//! allow_ci_cd = false
//!
//! [project.repository]
//! kind = "url"
//! url = "/srv/nsm-hello"
//!
//! [[domains]]
//! hostname = "hello.localhost"
//! hsts = true
//!
//! [[domains.resources]]
//! path = "/api"
//!
//! [domains.resources.kind]
//! type = "api"
//! websocket = false
//! timeout_secs = 60
//! max_body = "1m"
//!
//! [[variables]]
//! name = "API_PORT"
//! type = "port"
//! domain = "hello.localhost"
//! path = "/api"
//!
//! [[services]]
//! name = "api"
//! expected = "running"
//! collect_logs = false
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::{DomainEntry, Hostname, ResourceConfig, ResourceEntry, ResourcePath, ResourceType, Topology};
use crate::env::EnvName;
use crate::project::{Branch, DeployTimeout, ProjectConfig, ProjectId, Repository};
use crate::service::ServiceState;
use crate::variables::{check_reference, Reference, Variable, VariableValue, SECRET_MASK};
use crate::worker::WorkerId;

/// The version of the file format this code writes and reads.
pub const CONFIG_FORMAT: u32 = 1;

const HEADER: &str = "# NSM project configuration. Import it on a project's General tab.\n";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub format: u32,
    pub project: ProjectSection,
    #[serde(default)]
    pub domains: Vec<DomainSection>,
    #[serde(default)]
    pub variables: Vec<VariableSection>,
    #[serde(default)]
    pub services: Vec<ServiceSection>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSection {
    pub id: ProjectId,
    pub branch: Branch,
    pub worker: WorkerId,
    pub timeout_secs: DeployTimeout,
    pub allow_ci_cd: bool,
    pub repository: Repository,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainSection {
    pub hostname: Hostname,
    pub hsts: bool,
    #[serde(default)]
    pub resources: Vec<ResourceConfig>,
}

/// What a variable is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VariableKind {
    Secret,
    WorkerNodeId,
    Volume,
    Domain,
    Url,
    Path,
    Directory,
    Port,
    Target,
}

/// A variable: a secret (`value` when exported) or a reference (`domain`, and `path`
/// for a resource).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableSection {
    pub name: EnvName,
    #[serde(rename = "type")]
    pub kind: VariableKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<Hostname>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<ResourcePath>,
}

impl std::fmt::Debug for VariableSection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VariableSection")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("value", &self.value.as_ref().map(|_| SECRET_MASK))
            .field("domain", &self.domain)
            .field("path", &self.path)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    pub name: String,
    pub expected: ServiceState,
    pub collect_logs: bool,
}

/// Why a file cannot be read or applied; each names what it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("not a valid configuration file: {0}")]
    Syntax(String),
    #[error("format {0} is not supported (this NSM reads format {CONFIG_FORMAT})")]
    Format(u32),
    #[error("domain {0} is listed twice")]
    DuplicateDomain(Hostname),
    #[error("{hostname}{path} is listed twice")]
    DuplicatePath { hostname: Hostname, path: ResourcePath },
    #[error("variable {0} is listed twice")]
    DuplicateVariable(EnvName),
    #[error("service {0} is listed twice")]
    DuplicateService(String),
    #[error("variable {name}: {message}")]
    Variable { name: EnvName, message: String },
    #[error("variable {0} refers to a domain or resource that no longer exists, so it cannot be exported")]
    Dangling(EnvName),
}

/// A service as the project holds it, for [`ConfigFile::export`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceSetting {
    pub name: String,
    pub expected: ServiceState,
    pub collect_logs: bool,
}

impl ConfigFile {
    /// The project's configuration as a file. `variables` in the project's order;
    /// secrets written only `with_secrets`. A reference whose target is gone cannot be
    /// written (the file names targets, not ids): fix or delete it first.
    pub fn export(
        config: &ProjectConfig,
        topology: &Topology,
        variables: &[Variable],
        services: &[ServiceSetting],
        with_secrets: bool,
    ) -> Result<Self, ConfigError> {
        let domains = topology
            .domains
            .iter()
            .map(|d| DomainSection {
                hostname: d.hostname.clone(),
                hsts: d.hsts,
                resources: topology.resources_on(d.id).map(|r| r.config.clone()).collect(),
            })
            .collect();
        let variables =
            variables.iter().map(|v| VariableSection::export(v, topology, with_secrets)).collect::<Result<_, _>>()?;
        let mut services: Vec<ServiceSection> = services
            .iter()
            .map(|s| ServiceSection { name: s.name.clone(), expected: s.expected, collect_logs: s.collect_logs })
            .collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            format: CONFIG_FORMAT,
            project: ProjectSection {
                id: config.id.clone(),
                branch: config.branch.clone(),
                worker: config.worker.clone(),
                timeout_secs: config.timeout,
                allow_ci_cd: config.allow_ci_cd,
                repository: config.repository.clone(),
            },
            domains,
            variables,
            services,
        })
    }

    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let body = toml::to_string(self).map_err(|e| ConfigError::Syntax(e.to_string()))?;
        Ok(format!("{HEADER}{body}"))
    }

    /// Reads and checks a file ([`ConfigFile::check`]).
    pub fn from_toml(text: &str) -> Result<Self, Vec<ConfigError>> {
        let file: Self = toml::from_str(text).map_err(|e| vec![ConfigError::Syntax(e.to_string())])?;
        file.check()?;
        Ok(file)
    }

    /// The project's General settings, under `id` (the file's own id for a new project,
    /// or the project imported into).
    pub fn project_config(&self, id: ProjectId) -> ProjectConfig {
        ProjectConfig {
            id,
            repository: self.project.repository.clone(),
            branch: self.project.branch.clone(),
            worker: self.project.worker.clone(),
            timeout: self.project.timeout_secs,
            allow_ci_cd: self.project.allow_ci_cd,
        }
    }

    /// The domains and resources with ids in file order (1, 2, …): what the file's
    /// references are checked against.
    pub fn topology(&self) -> Topology {
        let mut topology = Topology::default();
        let mut next_resource = 1;
        for (i, domain) in self.domains.iter().enumerate() {
            let id = i as i64 + 1;
            topology.domains.push(DomainEntry { id, hostname: domain.hostname.clone(), hsts: domain.hsts });
            for config in &domain.resources {
                topology.resources.push(ResourceEntry { id: next_resource, domain_id: id, config: config.clone() });
                next_resource += 1;
            }
        }
        topology
    }

    /// Checks what TOML cannot: the format, names and paths listed once, every
    /// reference pointing at a domain or resource of the file, of the right type.
    pub fn check(&self) -> Result<(), Vec<ConfigError>> {
        let mut errors = Vec::new();
        if self.format != CONFIG_FORMAT {
            errors.push(ConfigError::Format(self.format));
        }
        let mut hostnames = BTreeSet::new();
        for domain in &self.domains {
            if !hostnames.insert(&domain.hostname) {
                errors.push(ConfigError::DuplicateDomain(domain.hostname.clone()));
            }
            let mut paths = BTreeSet::new();
            for resource in &domain.resources {
                if !paths.insert(resource.path.location_key()) {
                    let (hostname, path) = (domain.hostname.clone(), resource.path.clone());
                    errors.push(ConfigError::DuplicatePath { hostname, path });
                }
            }
        }
        let topology = self.topology();
        let mut names = BTreeSet::new();
        for variable in &self.variables {
            if !names.insert(&variable.name) {
                errors.push(ConfigError::DuplicateVariable(variable.name.clone()));
            }
            if let Err(message) = variable.value(&topology) {
                errors.push(ConfigError::Variable { name: variable.name.clone(), message });
            }
        }
        let mut services = BTreeSet::new();
        for service in &self.services {
            if !services.insert(&service.name) {
                errors.push(ConfigError::DuplicateService(service.name.clone()));
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl VariableSection {
    fn export(variable: &Variable, topology: &Topology, with_secrets: bool) -> Result<Self, ConfigError> {
        let mut section =
            Self { name: variable.name.clone(), kind: VariableKind::Secret, value: None, domain: None, path: None };
        let reference = match &variable.value {
            VariableValue::Plain(value) => {
                section.value = with_secrets.then(|| value.clone());
                return Ok(section);
            }
            VariableValue::Reference(reference) => *reference,
        };
        let dangling = || ConfigError::Dangling(variable.name.clone());
        section.kind = match reference {
            Reference::WorkerNodeId => VariableKind::WorkerNodeId,
            Reference::Volume => VariableKind::Volume,
            Reference::Domain { domain } => {
                section.domain = Some(topology.domain(domain).ok_or_else(dangling)?.hostname.clone());
                VariableKind::Domain
            }
            Reference::Url { resource }
            | Reference::Path { resource }
            | Reference::Directory { resource }
            | Reference::Port { resource }
            | Reference::Target { resource } => {
                let entry = topology.resource(resource).ok_or_else(dangling)?;
                let domain = topology.domain(entry.domain_id).ok_or_else(dangling)?;
                section.domain = Some(domain.hostname.clone());
                section.path = Some(entry.config.path.clone());
                match reference {
                    Reference::Url { .. } => VariableKind::Url,
                    Reference::Path { .. } => VariableKind::Path,
                    Reference::Directory { .. } => VariableKind::Directory,
                    Reference::Port { .. } => VariableKind::Port,
                    _ => VariableKind::Target,
                }
            }
        };
        Ok(section)
    }

    /// The variable's value against `topology` (the file's, or the project's after the
    /// file's domains are applied): `Ok(None)` for a secret that was not exported.
    pub fn value(&self, topology: &Topology) -> Result<Option<VariableValue>, String> {
        let needs_path = !matches!(
            self.kind,
            VariableKind::Secret | VariableKind::WorkerNodeId | VariableKind::Volume | VariableKind::Domain
        );
        let needs_domain = needs_path || self.kind == VariableKind::Domain;
        if self.kind != VariableKind::Secret && self.value.is_some() {
            return Err("only a secret has a value".to_owned());
        }
        if needs_domain != self.domain.is_some() {
            return Err(if needs_domain { "needs `domain`" } else { "takes no `domain`" }.to_owned());
        }
        if needs_path != self.path.is_some() {
            return Err(if needs_path { "needs `path`" } else { "takes no `path`" }.to_owned());
        }
        let domain = match &self.domain {
            Some(hostname) => Some(
                topology
                    .domains
                    .iter()
                    .find(|d| &d.hostname == hostname)
                    .ok_or_else(|| format!("domain {hostname} is not in the file"))?,
            ),
            None => None,
        };
        let resource = match (&self.path, domain) {
            (Some(path), Some(domain)) => Some(
                topology
                    .resources_on(domain.id)
                    .find(|r| r.config.path.location_key() == path.location_key())
                    .ok_or_else(|| format!("{}{path} is not in the file", domain.hostname))?
                    .id,
            ),
            _ => None,
        };
        let id = resource.unwrap_or_default();
        let reference = match self.kind {
            VariableKind::Secret => return Ok(self.value.clone().map(VariableValue::Plain)),
            VariableKind::WorkerNodeId => Reference::WorkerNodeId,
            VariableKind::Volume => Reference::Volume,
            VariableKind::Domain => Reference::Domain { domain: domain.map_or(0, |d| d.id) },
            VariableKind::Url => Reference::Url { resource: id },
            VariableKind::Path => Reference::Path { resource: id },
            VariableKind::Directory => Reference::Directory { resource: id },
            VariableKind::Port => Reference::Port { resource: id },
            VariableKind::Target => Reference::Target { resource: id },
        };
        check_reference(&self.name, &reference, topology).map_err(|e| e.to_string())?;
        Ok(Some(VariableValue::Reference(reference)))
    }
}

/// What importing a file would do, shown before anything is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigPlan {
    /// The project created or changed.
    pub project: ProjectId,
    pub new_project: bool,
    pub changes: Vec<ConfigChange>,
    /// A fingerprint of the project's configuration the plan was made against: applying
    /// is refused when it changed since.
    pub base: String,
}

/// What an import changes, one line per thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigChange {
    pub action: ChangeAction,
    /// `project`, `domain`, `resource`, `variable`, `service`.
    pub what: String,
    /// The hostname, `hostname/path`, name or setting concerned.
    pub subject: String,
    /// Before → after, values masked.
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeAction {
    Added,
    Changed,
    Removed,
}

/// The differences between the project's configuration now (`current`, exported with
/// its secrets) and `file`, as an import would apply them. The project's id is not
/// compared. Secrets not in the file are kept; services not in the file are left.
pub fn config_changes(current: &ConfigFile, file: &ConfigFile) -> Vec<ConfigChange> {
    let mut out = Vec::new();
    let mut push = |action, what: &str, subject: String, detail: String| {
        out.push(ConfigChange { action, what: what.to_owned(), subject, detail });
    };
    let (a, b) = (&current.project, &file.project);
    let fields = [
        ("repository", a.repository.label(), b.repository.label()),
        ("branch", a.branch.to_string(), b.branch.to_string()),
        ("worker", a.worker.to_string(), b.worker.to_string()),
        ("timeout", format!("{} s", a.timeout_secs.secs()), format!("{} s", b.timeout_secs.secs())),
        ("CI/CD", on_off(a.allow_ci_cd), on_off(b.allow_ci_cd)),
    ];
    for (field, old, new) in fields {
        if old != new {
            push(ChangeAction::Changed, "project", field.to_owned(), format!("{old} → {new}"));
        }
    }
    for domain in &file.domains {
        match current.domains.iter().find(|d| d.hostname == domain.hostname) {
            None => push(ChangeAction::Added, "domain", domain.hostname.to_string(), String::new()),
            Some(old) if old.hsts != domain.hsts => {
                let detail = format!("HSTS {} → {}", on_off(old.hsts), on_off(domain.hsts));
                push(ChangeAction::Changed, "domain", domain.hostname.to_string(), detail)
            }
            Some(_) => {}
        }
        let old_resources = current.domains.iter().find(|d| d.hostname == domain.hostname).map(|d| &d.resources);
        for resource in &domain.resources {
            let subject = format!("{}{}", domain.hostname, resource.path);
            let old =
                old_resources.and_then(|rs| rs.iter().find(|r| r.path.location_key() == resource.path.location_key()));
            match old {
                None => push(ChangeAction::Added, "resource", subject, resource_type(resource).label().to_owned()),
                Some(old) if old != resource => {
                    let detail = if old.kind.resource_type() == resource.kind.resource_type() {
                        format!("{} options", resource_type(resource).label())
                    } else {
                        format!("{} → {}", resource_type(old).label(), resource_type(resource).label())
                    };
                    push(ChangeAction::Changed, "resource", subject, detail)
                }
                Some(_) => {}
            }
        }
        for old in old_resources.into_iter().flatten() {
            if !domain.resources.iter().any(|r| r.path.location_key() == old.path.location_key()) {
                push(ChangeAction::Removed, "resource", format!("{}{}", domain.hostname, old.path), String::new());
            }
        }
    }
    for old in &current.domains {
        if !file.domains.iter().any(|d| d.hostname == old.hostname) {
            push(ChangeAction::Removed, "domain", old.hostname.to_string(), "with its resources".to_owned());
        }
    }
    for variable in &file.variables {
        let subject = variable.name.to_string();
        match current.variables.iter().find(|v| v.name == variable.name) {
            None => push(ChangeAction::Added, "variable", subject, describe(variable)),
            Some(old) if variable.kind == VariableKind::Secret && variable.value.is_none() => {
                if old.kind != VariableKind::Secret {
                    push(ChangeAction::Changed, "variable", subject, format!("{} → secret (empty)", describe(old)));
                }
            }
            Some(old) if old != variable => {
                push(ChangeAction::Changed, "variable", subject, format!("{} → {}", describe(old), describe(variable)))
            }
            Some(_) => {}
        }
    }
    for old in &current.variables {
        if !file.variables.iter().any(|v| v.name == old.name) {
            push(ChangeAction::Removed, "variable", old.name.to_string(), describe(old));
        }
    }
    for service in &file.services {
        let old = current.services.iter().find(|s| s.name == service.name);
        let (expected, logs) = old.map_or((ServiceState::Unknown, false), |s| (s.expected, s.collect_logs));
        if expected != service.expected || logs != service.collect_logs {
            let detail = format!(
                "expected {expected} → {}, logs {} → {}",
                service.expected,
                on_off(logs),
                on_off(service.collect_logs)
            );
            let action = if old.is_some() { ChangeAction::Changed } else { ChangeAction::Added };
            push(action, "service", service.name.clone(), detail);
        }
    }
    out
}

fn resource_type(config: &ResourceConfig) -> ResourceType {
    config.kind.resource_type()
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_owned()
}

/// A variable in words, its value masked.
fn describe(v: &VariableSection) -> String {
    let target = match (&v.domain, &v.path) {
        (Some(d), Some(p)) => format!(" of {d}{p}"),
        (Some(d), None) => format!(" of {d}"),
        _ => String::new(),
    };
    match v.kind {
        VariableKind::Secret => match &v.value {
            Some(value) if value.is_empty() => "secret (empty)".to_owned(),
            Some(_) => format!("secret {SECRET_MASK}"),
            None => "secret (not exported)".to_owned(),
        },
        kind => format!(
            "{}{target}",
            serde_json::to_value(kind).ok().and_then(|j| j.as_str().map(str::to_owned)).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
#[path = "config_file_tests.rs"]
mod tests;
