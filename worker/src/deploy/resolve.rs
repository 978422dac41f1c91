//! Turning the job's variables into `.env` values: the worker-local references
//! (volume and directory paths, ports, the worker id) are resolved here.

use std::collections::BTreeMap;

use nsm_core::env::EnvName;
use nsm_core::protocol::{DeploySpec, JobValue};

use super::error::DeployError;
use crate::machine::layout::{path_text, Layout};
use crate::machine::ports::{Choice, PortPicker};

/// Shown instead of a secret value.
pub(crate) const MASK: &str = "********";

#[derive(Debug, Default)]
pub(crate) struct Resolved {
    pub values: Vec<(EnvName, String)>,
    /// The same variables with secret values masked, for the report.
    pub masked: Vec<(EnvName, String)>,
    /// (resource, port), once per resource, in first-use order.
    pub ports: Vec<(String, u16)>,
    /// Narration: how each port was chosen.
    pub notes: Vec<String>,
}

/// Resolves every variable of `spec`. `held_ports` are the host ports the project's
/// running containers publish.
pub(crate) fn resolve(
    spec: &DeploySpec,
    layout: &Layout,
    worker_id: &str,
    held_ports: &[u16],
) -> Result<Resolved, DeployError> {
    let mut picker = PortPicker::new(spec.reserved_ports.iter().copied(), held_ports.iter().copied());
    let mut ports_by_resource: BTreeMap<&str, u16> = BTreeMap::new();
    let mut resolved = Resolved::default();
    for variable in &spec.variables {
        let (value, secret) = match &variable.value {
            JobValue::Text { text, secret } => (text.clone(), *secret),
            JobValue::Volume => (path_text(&layout.volume())?, false),
            JobValue::Directory { resource } => (path_text(&layout.directory(resource)?)?, false),
            JobValue::WorkerNodeId => (worker_id.to_owned(), false),
            JobValue::Port { resource, preferred } => {
                let port = match ports_by_resource.get(resource.as_str()) {
                    Some(port) => *port,
                    None => {
                        let (port, choice) = picker
                            .pick(*preferred)
                            .map_err(|source| DeployError::NoFreePort { resource: resource.clone(), source })?;
                        resolved.notes.push(port_note(resource, port, *preferred, choice));
                        ports_by_resource.insert(resource, port);
                        resolved.ports.push((resource.clone(), port));
                        port
                    }
                };
                (port.to_string(), false)
            }
        };
        let masked = if secret { MASK.to_owned() } else { value.clone() };
        resolved.masked.push((variable.name.clone(), masked));
        resolved.values.push((variable.name.clone(), value));
    }
    Ok(resolved)
}

fn port_note(resource: &str, port: u16, preferred: Option<u16>, choice: Choice) -> String {
    match (choice, preferred) {
        (Choice::Kept, _) => format!("Port {port} for resource `{resource}`: kept (free)"),
        (Choice::KeptFromRunning, _) => {
            format!("Port {port} for resource `{resource}`: kept (held by the running deployment)")
        }
        (Choice::New, Some(old)) if old != 0 => {
            format!("Port {port} for resource `{resource}`: new ({old} is taken or reserved)")
        }
        (Choice::New, _) => format!("Port {port} for resource `{resource}`: new"),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use nsm_core::changes::SavedShape;
    use nsm_core::protocol::{JobVariable, RepoSource};
    use nsm_core::{DeploymentId, ProjectId};

    use super::*;

    fn spec(variables: Vec<(&str, JobValue)>) -> DeploySpec {
        DeploySpec {
            deployment: DeploymentId(1),
            project: ProjectId::parse("shop").unwrap(),
            source: RepoSource { url: "/r".to_owned(), branch: "main".to_owned(), token: None },
            commit: None,
            saved: SavedShape::default(),
            variables: variables
                .into_iter()
                .map(|(name, value)| JobVariable { name: EnvName::parse(name).unwrap(), value })
                .collect(),
            reserved_ports: vec![],
            directories: vec![],
            services: vec![],
            timeout_secs: 60,
            settle_secs: 10,
            policy: Default::default(),
            force_recreate: false,
        }
    }

    #[test]
    fn worker_local_references_resolve_to_paths_and_ids() {
        let spec = spec(vec![
            ("SECRET", JobValue::Text { text: "s3".to_owned(), secret: true }),
            ("PLAIN", JobValue::Text { text: "p".to_owned(), secret: false }),
            ("DATA", JobValue::Volume),
            ("DOCS", JobValue::Directory { resource: "docs".to_owned() }),
            ("NODE", JobValue::WorkerNodeId),
        ]);
        let layout = Layout::new(Path::new("/d"), &spec.project);
        let resolved = resolve(&spec, &layout, "node-1", &[]).unwrap();
        let values: Vec<_> = resolved.values.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        assert_eq!(
            values,
            [
                ("SECRET", "s3"),
                ("PLAIN", "p"),
                ("DATA", "/d/projects/shop/volume"),
                ("DOCS", "/d/projects/shop/www/docs"),
                ("NODE", "node-1")
            ]
        );
        assert_eq!(resolved.masked[0].1, MASK);
        assert_eq!(resolved.masked[1].1, "p");
    }

    #[test]
    fn one_resource_gets_one_port_however_often_it_is_used() {
        let port = |preferred| JobValue::Port { resource: "api".to_owned(), preferred };
        let spec = spec(vec![("A", port(None)), ("B", port(None))]);
        let layout = Layout::new(Path::new("/d"), &spec.project);
        let resolved = resolve(&spec, &layout, "n", &[]).unwrap();
        assert_eq!(resolved.values[0].1, resolved.values[1].1);
        assert_eq!(resolved.ports.len(), 1);
    }

    #[test]
    fn bad_directory_names_fail() {
        let spec = spec(vec![("D", JobValue::Directory { resource: "../etc".to_owned() })]);
        let layout = Layout::new(Path::new("/d"), &spec.project);
        assert!(resolve(&spec, &layout, "n", &[]).is_err());
    }
}
