//! The plan before a deployment: what it will change against the last successful one
//! (or, for a redeploy, what the redeployed configuration changes against it).
//!
//! Pure: the server hands in both configurations — plain values decrypted, so that a
//! change can be told — and gets back a [`Plan`] that holds no secret value at all (a
//! plain value is always the mask). One module per part: [`variables`], [`topology`],
//! [`services`], [`lines`] (the nginx file's line diff), [`problems`] (what blocks).

mod lines;
mod problems;
mod services;
mod topology;
mod variables;

use serde::{Deserialize, Serialize};

pub use lines::{line_diff, DiffLine, DiffOp};
pub use problems::blocking_problems;

use crate::domain::Topology;
use crate::protocol::ServiceExpectation;
use crate::service::ServiceState;
use crate::variables::Variable;
use crate::DeploymentId;

/// One side of a plan: the configuration a deployment ran with, or the one the next
/// deployment will run with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    /// The commit deployed (before), or the one that will be (after; for a deploy of
    /// the branch head, its last synced commit).
    pub commit: Option<String>,
    /// Plain values decrypted: compared here, never copied into the plan.
    pub variables: Vec<Variable>,
    pub topology: Topology,
    /// Services' expected states.
    pub services: Vec<ServiceExpectation>,
    /// The project's rendered nginx file (None: nothing published).
    pub nginx: Option<String>,
}

/// Added, changed or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Change {
    Added,
    Changed,
    Removed,
}

impl Change {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Changed => "changed",
            Self::Removed => "removed",
        }
    }
}

/// A commit's id and the first line of its message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitSubject {
    pub sha: String,
    pub subject: String,
}

/// The commit range: old → new.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitChange {
    /// Deployed by the last successful deployment.
    pub from: Option<String>,
    /// What will be deployed: exact for a redeploy; for a deploy, the branch's head as
    /// last synced (`branch` is then set: the deployment clones the head it finds).
    pub to: Option<String>,
    /// Set when the deployment takes this branch's head at the time it runs.
    pub branch: Option<String>,
    /// The commits from → to, newest first, when known (empty otherwise).
    pub subjects: Vec<CommitSubject>,
}

impl CommitChange {
    pub fn changed(&self) -> bool {
        self.from != self.to
    }
}

/// A variable added, changed or removed. Plain values show as the mask only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VariableChange {
    pub name: String,
    pub change: Change,
    /// What it was (`••••` for a plain value; a reference's kind → target).
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A domain added, removed or changed (its HSTS switch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DomainChange {
    pub hostname: String,
    pub change: Change,
    pub detail: Option<String>,
}

/// A resource (`hostname` + `path`) added, removed or reconfigured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceChange {
    pub hostname: String,
    pub path: String,
    pub change: Change,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A service added, removed, or expected in another state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceChange {
    pub service: String,
    pub change: Change,
    pub before: Option<ServiceState>,
    pub after: Option<ServiceState>,
}

/// What stops the deployment from being started, in words naming what to fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// The variable it concerns, if one.
    pub variable: Option<String>,
    pub message: String,
}

/// What a deployment will change. `is_empty`: "Nothing changed".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Plan {
    /// The deployment compared with (the last successful one); None: there is none.
    pub against: Option<DeploymentId>,
    /// For a redeploy: the deployment whose configuration is deployed again.
    pub redeploy_of: Option<DeploymentId>,
    pub commit: CommitChange,
    pub variables: Vec<VariableChange>,
    pub domains: Vec<DomainChange>,
    pub resources: Vec<ResourceChange>,
    pub services: Vec<ServiceChange>,
    /// The nginx file's line diff with a little context; empty: unchanged.
    pub nginx: Vec<DiffLine>,
    /// Non-empty: the deployment cannot start (Deploy is disabled, saying why).
    pub problems: Vec<Problem>,
    /// Remarks that do not block (what a redeploy keeps as it is now, …).
    pub notes: Vec<String>,
}

impl Plan {
    /// Nothing would change: same commit, same configuration, same nginx file.
    pub fn is_empty(&self) -> bool {
        !self.commit.changed()
            && self.variables.is_empty()
            && self.domains.is_empty()
            && self.resources.is_empty()
            && self.services.is_empty()
            && self.nginx.is_empty()
    }

    pub fn is_blocked(&self) -> bool {
        !self.problems.is_empty()
    }
}

/// Lines of unchanged context kept around each change of the nginx file.
pub const NGINX_CONTEXT: usize = 3;

/// The plan of deploying `after` where `before` runs (None: nothing succeeded yet).
pub fn plan(before: Option<&PlanInput>, after: &PlanInput) -> Plan {
    let empty = PlanInput::default();
    let before = before.unwrap_or(&empty);
    let nginx = match (&before.nginx, &after.nginx) {
        (a, b) if a == b => Vec::new(),
        (a, b) => line_diff(a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""), NGINX_CONTEXT),
    };
    Plan {
        against: None,
        redeploy_of: None,
        commit: CommitChange { from: before.commit.clone(), to: after.commit.clone(), branch: None, subjects: vec![] },
        variables: variables::diff(&before.variables, &before.topology, &after.variables, &after.topology),
        domains: topology::domains(&before.topology, &after.topology),
        resources: topology::resources(&before.topology, &after.topology),
        services: services::diff(&before.services, &after.services),
        nginx,
        problems: blocking_problems(&after.variables, &after.topology),
        notes: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
