//! Checking a resolved compose configuration (what `compose config` prints) against a
//! worker's policy.

use std::path::{Component, Path, PathBuf};

use yaml_rust2::yaml::Hash;
use yaml_rust2::Yaml;

use super::{Allowance, WorkerPolicy};
use crate::compose::{load_bounded, ComposeError};

/// Where Docker's socket usually is; the worker adds the one `DOCKER_HOST` names.
pub const DEFAULT_DOCKER_SOCKETS: [&str; 2] = ["/var/run/docker.sock", "/run/docker.sock"];

/// What the check needs to know of the node's file system.
pub struct HostPaths<'a> {
    /// Relative sources are relative to it (Compose's project directory).
    pub project_dir: &'a Path,
    /// The project's own directories: mounting anything under them is always allowed.
    pub allowed: &'a [PathBuf],
    /// The Docker sockets, as `resolve` gives them.
    pub docker_sockets: &'a [PathBuf],
    /// The path a mount really reaches (links followed), from an absolute one without
    /// `.` or `..`: the worker's file system answers, the check stays pure.
    pub resolve: &'a dyn Fn(&Path) -> PathBuf,
}

/// One setting the policy refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service `{service}`: `{key}` {what} (allow {} for this worker to permit it)", allowance.label())]
pub struct Violation {
    pub service: String,
    /// The compose key holding it.
    pub key: &'static str,
    /// The offending value, said plainly.
    pub what: String,
    pub allowance: Allowance,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The resolved configuration could not be read.
    #[error("the resolved compose configuration cannot be read: {0}")]
    Unreadable(#[from] ComposeError),
    #[error("this worker's policy refuses the compose file: {}", list(.0))]
    Refused(Vec<Violation>),
}

fn list(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Every violation of `policy` in `config`, the YAML `compose config` prints for the
/// project (files merged, variables interpolated, relative paths made absolute).
pub fn check_compose_config(config: &str, policy: &WorkerPolicy, host: &HostPaths<'_>) -> Result<(), PolicyError> {
    let docs = load_bounded(config)?;
    let Some(Yaml::Hash(root)) = docs.into_iter().next() else { return Err(ComposeError::NotAMapping.into()) };
    let named_volumes = field(&root, "volumes").and_then(Yaml::as_hash);
    let mut found = Vec::new();
    if let Some(services) = field(&root, "services").and_then(Yaml::as_hash) {
        for (name, service) in services {
            let (Some(name), Some(service)) = (name.as_str(), service.as_hash()) else { continue };
            check_service(name, service, named_volumes, host, &mut found);
        }
    }
    found.retain(|v| !policy.allows(v.allowance));
    if found.is_empty() {
        Ok(())
    } else {
        Err(PolicyError::Refused(found))
    }
}

fn check_service(
    service: &str,
    config: &Hash,
    named_volumes: Option<&Hash>,
    host: &HostPaths<'_>,
    found: &mut Vec<Violation>,
) {
    let mut refuse = |allowance: Allowance, what: String| {
        found.push(Violation { service: service.to_owned(), key: allowance.key(), what, allowance })
    };
    if field(config, "privileged").is_some_and(is_true) {
        refuse(Allowance::Privileged, "is true".to_owned());
    }
    if field(config, "network_mode").and_then(scalar).is_some_and(|mode| mode == "host") {
        refuse(Allowance::HostNetwork, "is host".to_owned());
    }
    if field(config, "pid").and_then(scalar).is_some_and(|pid| pid == "host") {
        refuse(Allowance::HostPid, "is host".to_owned());
    }
    match field(config, "cap_add") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Array(caps)) if caps.is_empty() => {}
        Some(Yaml::Array(caps)) => {
            let names: Vec<String> = caps.iter().map(|c| scalar(c).unwrap_or_else(|| "?".to_owned())).collect();
            refuse(Allowance::Capabilities, format!("adds {}", names.join(", ")));
        }
        Some(other) => refuse(Allowance::Capabilities, format!("adds {}", scalar(other).unwrap_or_default())),
    }
    let Some(Yaml::Array(volumes)) = field(config, "volumes") else { return };
    for volume in volumes {
        let Some(source) = host_source(volume, named_volumes) else { continue };
        for (allowance, what) in check_host_path(&source, host) {
            refuse(allowance, what);
        }
    }
}

/// The host path a service's volume entry mounts: a bind's source, or the device of a
/// named volume the local driver binds; `None` for anything else.
fn host_source(volume: &Yaml, named_volumes: Option<&Hash>) -> Option<String> {
    let (kind, source) = match volume {
        // Short syntax: `SOURCE:TARGET[:MODE]`; a lone target is an anonymous volume.
        Yaml::String(text) => {
            let (source, _) = text.split_once(':')?;
            let is_path = source.starts_with(['/', '.', '~']);
            (if is_path { "bind" } else { "volume" }, source.to_owned())
        }
        Yaml::Hash(long) => {
            let kind = field(long, "type").and_then(scalar).unwrap_or_else(|| "volume".to_owned());
            (if kind == "bind" { "bind" } else { "volume" }, field(long, "source").and_then(scalar)?)
        }
        _ => return None,
    };
    if kind == "bind" {
        return Some(source);
    }
    let options = field(named_volumes?, &source)?.as_hash().and_then(|v| field(v, "driver_opts"))?.as_hash()?;
    let binds = field(options, "o")
        .and_then(scalar)
        .is_some_and(|o| o.split(',').any(|option| matches!(option.trim(), "bind" | "rbind")));
    if binds {
        field(options, "device").and_then(scalar)
    } else {
        None
    }
}

/// What mounting `source` would break: a path outside the project's directories, and
/// the Docker socket (or a directory holding it).
fn check_host_path(source: &str, host: &HostPaths<'_>) -> Vec<(Allowance, String)> {
    if source.starts_with('~') {
        // A home directory is never the project's.
        return vec![(Allowance::HostPaths, format!("mounts {source}, outside the project's directories"))];
    }
    let absolute = normalize(&host.project_dir.join(source));
    let reached = (host.resolve)(&absolute);
    let shown = if reached == absolute {
        absolute.display().to_string()
    } else {
        format!("{} (which leads to {})", absolute.display(), reached.display())
    };
    let mut broken = Vec::new();
    let is_socket = host.docker_sockets.iter().any(|socket| *socket == reached);
    if host.docker_sockets.iter().any(|socket| socket.starts_with(&reached)) {
        broken.push((Allowance::DockerSocket, format!("mounts {shown}, the Docker socket")));
    }
    let inside = host.allowed.iter().any(|dir| reached.starts_with(dir));
    if !inside && !is_socket {
        broken.push((Allowance::HostPaths, format!("mounts {shown}, outside the project's directories")));
    }
    broken
}

/// `path` without `.` and `..` (a `..` at the root stays at the root, as the kernel does).
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    out
}

fn field<'a>(map: &'a Hash, key: &str) -> Option<&'a Yaml> {
    map.get(&Yaml::String(key.to_owned()))
}

/// A scalar as text, whatever YAML typed it as.
fn scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn is_true(value: &Yaml) -> bool {
    match value {
        Yaml::Boolean(b) => *b,
        Yaml::String(s) => matches!(s.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"),
        Yaml::Integer(i) => *i != 0,
        _ => false,
    }
}
