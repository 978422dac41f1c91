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
#[error("service `{service}`: `{key}` {what} (an admin can allow {} on this worker)", allowance.label())]
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
    #[error("this worker's policy refuses the compose file: {}", joined(.0))]
    Refused(Vec<Violation>),
}

fn joined(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Every violation of `policy` in `config`, the YAML `compose config` prints for the
/// project (files merged, variables interpolated, relative paths made absolute).
pub fn check_compose_config(config: &str, policy: &WorkerPolicy, host: &HostPaths<'_>) -> Result<(), PolicyError> {
    let docs = load_bounded(config)?;
    let Some(Yaml::Hash(root)) = docs.into_iter().next() else { return Err(ComposeError::NotAMapping.into()) };
    let mut found = Vec::new();
    if let Some(services) = field(&root, "services").and_then(Yaml::as_hash) {
        for (name, service) in services {
            let (Some(name), Some(service)) = (name.as_str(), service.as_hash()) else { continue };
            check_service(name, service, &root, host, &mut found);
        }
    }
    found.retain(|v| !policy.allows(v.allowance));
    if found.is_empty() {
        Ok(())
    } else {
        Err(PolicyError::Refused(found))
    }
}

fn check_service(service: &str, config: &Hash, top: &Hash, host: &HostPaths<'_>, found: &mut Vec<Violation>) {
    let mut refuse = |allowance: Allowance, key: &'static str, what: String| {
        found.push(Violation { service: service.to_owned(), key, what, allowance })
    };
    if field(config, "privileged").is_some_and(is_true) {
        refuse(Allowance::Privileged, "privileged", "is true".to_owned());
    }
    if field(config, "network_mode").and_then(scalar).is_some_and(|mode| mode == "host") {
        refuse(Allowance::HostNetwork, "network_mode", "is host".to_owned());
    }
    if field(config, "pid").and_then(scalar).is_some_and(|pid| pid == "host") {
        refuse(Allowance::HostPid, "pid", "is host".to_owned());
    }
    match field(config, "cap_add") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Array(caps)) if caps.is_empty() => {}
        Some(Yaml::Array(caps)) => {
            let names: Vec<String> = caps.iter().map(|c| scalar(c).unwrap_or_else(|| "?".to_owned())).collect();
            refuse(Allowance::Capabilities, "cap_add", format!("adds {}", names.join(", ")));
        }
        Some(other) => {
            refuse(Allowance::Capabilities, "cap_add", format!("adds {}", scalar(other).unwrap_or_default()))
        }
    }
    let mut sources: Vec<(&'static str, String)> = Vec::new();
    for volume in list(field(config, "volumes")) {
        sources.extend(volume_source(volume, field(top, "volumes").and_then(Yaml::as_hash)).map(|s| ("volumes", s)));
    }
    // File-based secrets and configs are bind mounts of the named file.
    for key in ["secrets", "configs"] {
        let defined = field(top, key).and_then(Yaml::as_hash);
        for used in list(field(config, key)) {
            let name = match used {
                Yaml::Hash(long) => field(long, "source").and_then(scalar),
                short => scalar(short),
            };
            let file = name.and_then(|name| field(defined?, &name)?.as_hash().and_then(|d| field(d, "file")?.as_str()));
            sources.extend(file.map(|file| (key, file.to_owned())));
        }
    }
    // Compose reads these on the host: a build context is sent to the daemon whole.
    let context = match field(config, "build") {
        Some(Yaml::Hash(build)) => field(build, "context").and_then(scalar),
        Some(other) => scalar(other),
        None => None,
    };
    sources.extend(context.filter(|c| !is_remote_context(c)).map(|c| ("build", c)));
    for env_file in list(field(config, "env_file")) {
        let path = match env_file {
            Yaml::Hash(long) => field(long, "path").and_then(scalar),
            short => scalar(short),
        };
        sources.extend(path.map(|p| ("env_file", p)));
    }
    for (key, source) in sources {
        let verb = match key {
            "build" => "sends",
            "env_file" => "reads",
            _ => "mounts",
        };
        for (allowance, what) in check_host_path(verb, &source, host) {
            refuse(allowance, key, what);
        }
    }
}

/// A sequence's items, or a lone value as one item.
fn list(value: Option<&Yaml>) -> Vec<&Yaml> {
    match value {
        None | Some(Yaml::Null) => Vec::new(),
        Some(Yaml::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    }
}

/// A build context Docker fetches itself (a git or HTTP URL) reads nothing of the host.
fn is_remote_context(context: &str) -> bool {
    context.contains("://") || context.starts_with("git@") || context.starts_with("github.com/")
}

/// The host path a service's volume entry mounts: a bind's source, or the device of a
/// named volume the local driver binds; `None` for anything else.
fn volume_source(volume: &Yaml, named_volumes: Option<&Hash>) -> Option<String> {
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
fn check_host_path(verb: &str, source: &str, host: &HostPaths<'_>) -> Vec<(Allowance, String)> {
    if source.starts_with('~') {
        // A home directory is never the project's.
        return vec![(Allowance::HostPaths, format!("{verb} {source}, outside the project's directories"))];
    }
    let absolute = normalize(&host.project_dir.join(source));
    let reached = (host.resolve)(&absolute);
    let shown = if reached == absolute {
        absolute.display().to_string()
    } else {
        format!("{} (which leads to {})", absolute.display(), reached.display())
    };
    let mut broken = Vec::new();
    let is_socket = host.docker_sockets.contains(&reached);
    if host.docker_sockets.iter().any(|socket| socket.starts_with(&reached)) {
        broken.push((Allowance::DockerSocket, format!("{verb} {shown}, the Docker socket")));
    }
    let inside = host.allowed.iter().any(|dir| reached.starts_with(dir));
    if !inside && !is_socket {
        broken.push((Allowance::HostPaths, format!("{verb} {shown}, outside the project's directories")));
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
