//! What a worker lets a project's compose file do to its node. Whoever can deploy can
//! run containers there; the policy refuses the settings that hand a container the node
//! itself (root-equivalent access), unless an admin allows them for that worker.
//!
//! Checked by the worker in prepare, on the configuration Compose itself resolves
//! (interpolation, `extends` and `include` applied), so nothing the policy refuses can
//! hide behind a variable or another file.

mod check;

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

pub use check::{check_compose_config, HostPaths, PolicyError, Violation, DEFAULT_DOCKER_SOCKETS};

crate::text_enum!(
    /// A setting the default policy refuses and an admin may allow for a worker.
    pub enum Allowance {
        /// `privileged: true`.
        Privileged = "privileged",
        /// Host paths outside the project's own directories: bind mounts, bind-backed
        /// named volumes, file secrets and configs, build contexts, `env_file`s.
        HostPaths = "host_paths",
        /// Mounting the Docker socket, or a directory holding it.
        DockerSocket = "docker_socket",
        /// `network_mode: host`.
        HostNetwork = "host_network",
        /// `pid: host`.
        HostPid = "host_pid",
        /// `cap_add` with any capability.
        Capabilities = "capabilities",
    }
);

impl Allowance {
    /// What allowing it permits, for the policy editor and refusals.
    pub fn label(self) -> &'static str {
        match self {
            Self::Privileged => "privileged containers",
            Self::HostPaths => "host paths outside the project's directories",
            Self::DockerSocket => "the Docker socket",
            Self::HostNetwork => "the host's network",
            Self::HostPid => "the host's process namespace",
            Self::Capabilities => "added Linux capabilities",
        }
    }

    /// The compose settings it covers, as a user writes them.
    pub fn settings(self) -> &'static str {
        match self {
            Self::Privileged => "privileged: true",
            Self::HostPaths => "volumes, secrets, configs, build contexts and env_file outside the project",
            Self::DockerSocket => "volumes: /var/run/docker.sock (or a directory holding it)",
            Self::HostNetwork => "network_mode: host",
            Self::HostPid => "pid: host",
            Self::Capabilities => "cap_add",
        }
    }
}

/// A worker's policy: the allowances an admin granted; none by default, so every
/// setting above is refused until allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkerPolicy {
    pub allowed: BTreeSet<Allowance>,
}

impl WorkerPolicy {
    pub fn allows(&self, allowance: Allowance) -> bool {
        self.allowed.contains(&allowance)
    }

    /// Grants or withdraws one allowance.
    pub fn set(&mut self, allowance: Allowance, allowed: bool) {
        if allowed {
            self.allowed.insert(allowance);
        } else {
            self.allowed.remove(&allowance);
        }
    }

    /// Every allowance granted: the node trusts its projects fully.
    pub fn permissive() -> Self {
        Self { allowed: Allowance::ALL.iter().copied().collect() }
    }
}

#[cfg(test)]
mod tests;
