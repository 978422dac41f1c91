//! Builds the job a worker runs from what the server knows: the saved shape, the
//! resolved variables, reserved ports, expected service states, the worker's policy.

use std::sync::Arc;

use nsm_core::env::EnvName;
use nsm_core::protocol::{DeploySpec, LogStream, ServiceExpectation};
use nsm_core::variables::{parse_resource_key, resolve, LeaseError, PortLeases, Reference, Variable, VariableValue};
use nsm_core::{DeploymentId, ProjectId, WorkerId};

use super::snapshot::{self, Recorded, SnapshotError};
use super::{sync, DeployError, Deployer};
use crate::db::deployment_config;
use crate::db::domains::TopologyReadError;
use crate::db::projects::ProjectStoreError;
use crate::db::{self, Db};

/// Longest settle window; shorter when the project's timeout is shorter.
const SETTLE_SECS: u32 = 60;

/// Why a deployment's job cannot be built; said to the user as the deployment's reason.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Project(#[from] ProjectStoreError),
    #[error("project {0} no longer exists")]
    NoProject(ProjectId),
    #[error("{0}")]
    Sync(#[from] DeployError),
    #[error("stored variable {name}: {reason}")]
    StoredName { name: String, reason: String },
    #[error("variable {name}: {reason}")]
    Variable { name: EnvName, reason: String },
    #[error("stored variable {0} is incomplete")]
    Incomplete(EnvName),
    #[error("{0}")]
    Leases(#[from] LeaseError),
    #[error("{0}")]
    Topology(#[from] TopologyReadError),
    #[error("a stored id is invalid: {0}")]
    StoredId(nsm_core::FieldError),
    #[error("variables cannot be resolved: {0}")]
    Unresolved(String),
    #[error("{0}")]
    Policy(#[from] crate::db::workers::PolicyStoreError),
    #[error("{0}")]
    Snapshot(#[from] SnapshotError),
}

/// Reads the project's variables, decrypting plain values.
pub async fn variables(deployer: &Deployer, project: &str) -> Result<Vec<Variable>, SpecError> {
    let rows = db::variables::list_variables(deployer.db(), project).await?;
    rows.into_iter()
        .map(|row| {
            let name = EnvName::parse(&row.name)
                .map_err(|e| SpecError::StoredName { name: row.name.clone(), reason: e.to_string() })?;
            let broken = |reason: String| SpecError::Variable { name: name.clone(), reason };
            let value = match (row.kind.as_str(), row.value_enc, row.reference) {
                ("plain", Some(sealed), _) => {
                    VariableValue::Plain(deployer.secrets().open_sealed(&sealed).map_err(|e| broken(e.to_string()))?)
                }
                ("reference", _, Some(json)) => VariableValue::Reference(
                    serde_json::from_str::<Reference>(&json).map_err(|e| broken(e.to_string()))?,
                ),
                _ => return Err(SpecError::Incomplete(name)),
            };
            Ok(Variable { name, value })
        })
        .collect()
}

pub(super) async fn build(
    deployer: &Arc<Deployer>,
    id: DeploymentId,
    project_id: &ProjectId,
    worker: &WorkerId,
) -> Result<DeploySpec, SpecError> {
    let db = deployer.db();
    let project = project_id.as_str();
    let row =
        db::projects::get_project(db, project_id).await?.ok_or_else(|| SpecError::NoProject(project_id.clone()))?;
    let state = db::projects::sync_state(db, project).await?;
    if state.synced_commit.is_none() {
        // A first deploy adopts the repository's shape instead of rejecting it all.
        deployer.log(id, LogStream::System, "first deployment: syncing with the repository".into()).await;
        let found = sync::sync(deployer, project_id).await?;
        deployer.log(id, LogStream::System, format!("found services: {}", found.services.join(", "))).await;
    }
    // A redeploy runs with what it copied from the deployment it redeploys; any other
    // deployment records the project's configuration as it is now, and runs with that.
    let recorded = deployment_config::get(db, id).await?;
    let redeploy = match &recorded {
        Some(row) if row.redeploy_of.is_some() => Some(Recorded::parse(id, row.config.as_deref().unwrap_or("{}"))?),
        _ => None,
    };
    let pinned = recorded.and_then(|row| row.pinned_commit);
    let (saved, services) = match redeploy {
        Some(Recorded { shape, services, .. }) => (shape, services),
        None => (sync::saved_shape(db, project).await?, expected_states(db, project).await?),
    };
    let (_, source) = sync::repo_source(deployer, project_id).await?;

    deployment_config::record_project_variables(db, id, project).await?;
    let variables = snapshot::variables(db, deployer.secrets(), id).await?;
    let topology = db::domains::topology(db, project).await?;
    let leases = PortLeases::from_pairs(db::domains::leases_on(db, worker.as_str()).await?)?;
    let own: Vec<i64> = topology.resources.iter().map(|r| r.id).collect();
    let resolution = resolve(&variables, &topology, &leases).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        SpecError::Unresolved(list.join("; "))
    })?;
    let record = Recorded { topology: Some(topology), services: services.clone(), shape: saved.clone() };
    deployment_config::record_config(db, id, &record.to_json()).await?;

    // Read now: a policy changed while a deployment waited applies to it.
    let policy = db::workers::policy(db, worker.as_str()).await?.unwrap_or_default();
    let timeout_secs = row.config.timeout.secs();
    Ok(DeploySpec {
        deployment: id,
        project: project_id.clone(),
        source,
        commit: pinned,
        saved,
        variables: resolution.variables,
        reserved_ports: leases.reserved_for_others(&own),
        directories: resolution.directories,
        services,
        timeout_secs,
        settle_secs: SETTLE_SECS.min(timeout_secs),
        policy,
        // TODO(lead): set from the deploy request's "restart everything" option.
        force_recreate: false,
    })
}

/// Every present service's expected state, as saved now.
pub(super) async fn expected_states(db: &Db, project: &str) -> sqlx::Result<Vec<ServiceExpectation>> {
    Ok(db::services::list_services(db, project)
        .await?
        .into_iter()
        .filter(|s| !s.missing)
        .map(|s| ServiceExpectation { service: s.name, expected: s.expected })
        .collect())
}

/// Keeps the ports a worker chose as the resources' leases.
pub async fn record_ports(db: &Db, worker: &str, ports: &[(String, u16)]) -> sqlx::Result<()> {
    for (key, port) in ports {
        match parse_resource_key(key) {
            Some(resource) => db::domains::lease(db, worker, resource, *port).await?,
            None => tracing::warn!(key, "worker reported a port for an unknown resource key"),
        }
    }
    Ok(())
}
