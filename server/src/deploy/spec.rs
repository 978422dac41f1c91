//! Builds the job a worker runs from what the server knows: the saved shape, the
//! resolved variables, reserved ports, expected service states.

use std::sync::Arc;

use nsm_core::env::EnvName;
use nsm_core::protocol::{DeploySpec, ServiceExpectation};
use nsm_core::variables::{parse_resource_key, resolve, PortLeases, Reference, Variable, VariableValue};
use nsm_core::ProjectId;

use super::{sync, Deployer};
use crate::db::{self, Db};

/// Longest settle window; shorter when the project's timeout is shorter.
const SETTLE_SECS: u32 = 60;

/// Reads the project's variables, decrypting plain values.
pub async fn variables(deployer: &Deployer, project: &str) -> Result<Vec<Variable>, String> {
    let rows = db::variables::list(deployer.db(), project).await.map_err(|e| e.to_string())?;
    rows.into_iter()
        .map(|row| {
            let name = EnvName::parse(&row.name).map_err(|e| format!("stored variable {}: {e}", row.name))?;
            let value = match (row.kind.as_str(), row.value_enc, row.reference) {
                ("plain", Some(sealed), _) => VariableValue::Plain(
                    deployer.secrets().open_sealed(&sealed).map_err(|e| format!("variable {name}: {e}"))?,
                ),
                ("reference", _, Some(json)) => VariableValue::Reference(
                    serde_json::from_str::<Reference>(&json).map_err(|e| format!("variable {name}: {e}"))?,
                ),
                _ => return Err(format!("stored variable {name} is incomplete")),
            };
            Ok(Variable { name, value })
        })
        .collect()
}

pub(super) async fn build(
    deployer: &Arc<Deployer>,
    id: i64,
    project: &str,
    worker: &str,
) -> Result<DeploySpec, String> {
    let db = deployer.db();
    let project_id = ProjectId::parse(project).map_err(|e| e.to_string())?;
    let row = db::projects::get(db, &project_id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("project {project} no longer exists"))?;
    let state = db::projects::sync_state(db, project).await.map_err(|e| e.to_string())?;
    if state.synced_commit.is_none() {
        // A first deploy adopts the repository's shape instead of rejecting it all.
        deployer
            .log(id, nsm_core::protocol::LogStream::System, "first deployment: syncing with the repository".into())
            .await;
        let found = sync::sync(deployer, &project_id).await.map_err(|e| e.to_string())?;
        deployer
            .log(id, nsm_core::protocol::LogStream::System, format!("found services: {}", found.services.join(", ")))
            .await;
    }
    let saved = sync::saved_shape(db, project).await.map_err(|e| e.to_string())?;
    let (_, source) = sync::repo_source(deployer, &project_id).await.map_err(|e| e.to_string())?;

    let variables = variables(deployer, project).await?;
    let topology = db::domains::topology(db, project).await.map_err(|e| e.to_string())?;
    let leases = PortLeases::from_pairs(db::domains::leases_on(db, worker).await.map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let own: Vec<i64> = topology.resources.iter().map(|r| r.id).collect();
    let resolution = resolve(&variables, &topology, &leases).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("variables cannot be resolved: {}", list.join("; "))
    })?;

    let services = db::services::list(db, project)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|s| !s.missing)
        .map(|s| ServiceExpectation { service: s.name, expected: s.expected })
        .collect();
    let timeout_secs = row.config.timeout.secs();
    Ok(DeploySpec {
        deployment: id,
        project: project_id,
        source,
        saved,
        variables: resolution.variables,
        reserved_ports: leases.reserved_for_others(&own),
        directories: resolution.directories,
        services,
        timeout_secs,
        settle_secs: SETTLE_SECS.min(timeout_secs),
    })
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
