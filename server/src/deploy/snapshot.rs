//! What a deployment runs with, recorded when it is dispatched (a redeploy: copied from
//! the deployment it redeploys when it is queued), and read back for plans and
//! redeploys. Variables stay sealed as `project_variables` seals them; the rest is one
//! JSON record ([`Recorded`]) with no secret in it.

use nsm_core::changes::SavedShape;
use nsm_core::domain::Topology;
use nsm_core::env::EnvName;
use nsm_core::plan::PlanInput;
use nsm_core::protocol::ServiceExpectation;
use nsm_core::variables::{Reference, Variable, VariableValue};
use nsm_core::DeploymentId;
use serde::{Deserialize, Serialize};

use crate::db::deployment_config::{self as store, ConfigRow, RecordedVariable};
use crate::db::{self, Db};
use crate::secrets::SecretBox;

/// The JSON record of a deployment's configuration besides its variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Domains and resources at dispatch (None: a redeploy not dispatched yet).
    #[serde(default)]
    pub topology: Option<Topology>,
    /// Services' expected states.
    pub services: Vec<ServiceExpectation>,
    /// The saved shape the checkout is compared with (major changes).
    pub shape: SavedShape,
}

/// Why a recorded configuration cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("deployment #{deployment}: the recorded configuration is unreadable: {reason}")]
    Unreadable { deployment: DeploymentId, reason: String },
    #[error("{whose}: variable {name}: {reason}")]
    Variable { whose: String, name: String, reason: String },
}

impl Recorded {
    pub fn parse(deployment: DeploymentId, json: &str) -> Result<Self, SnapshotError> {
        serde_json::from_str(json).map_err(|e| SnapshotError::Unreadable { deployment, reason: e.to_string() })
    }

    pub fn to_json(&self) -> String {
        // Plain data (ids, names, enums): serializing it cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The recorded variables of `deployment`, plain values opened.
pub async fn variables(db: &Db, secrets: &SecretBox, deployment: DeploymentId) -> Result<Vec<Variable>, SnapshotError> {
    let whose = format!("deployment #{deployment}");
    store::variables(db, deployment).await?.into_iter().map(|row| open(secrets, &whose, row)).collect()
}

/// The project's variables as saved now, plain values opened.
pub async fn project_variables(db: &Db, secrets: &SecretBox, project: &str) -> Result<Vec<Variable>, SnapshotError> {
    db::variables::list_variables(db, project)
        .await?
        .into_iter()
        .map(|row| {
            let row =
                RecordedVariable { name: row.name, kind: row.kind, value_enc: row.value_enc, reference: row.reference };
            open(secrets, &format!("project {project}"), row)
        })
        .collect()
}

fn open(secrets: &SecretBox, whose: &str, row: RecordedVariable) -> Result<Variable, SnapshotError> {
    let broken = |reason: String| SnapshotError::Variable { whose: whose.to_owned(), name: row.name.clone(), reason };
    let name = EnvName::parse(&row.name).map_err(|e| broken(e.to_string()))?;
    let value = match (row.kind.as_str(), &row.value_enc, &row.reference) {
        ("plain", Some(sealed), _) => {
            VariableValue::Plain(secrets.open_sealed(sealed).map_err(|e| broken(e.to_string()))?)
        }
        ("reference", _, Some(json)) => {
            VariableValue::Reference(serde_json::from_str::<Reference>(json).map_err(|e| broken(e.to_string()))?)
        }
        _ => return Err(broken("incomplete".to_owned())),
    };
    Ok(Variable { name, value })
}

/// A recorded deployment: its row in `deployment_configs` and the JSON record.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub row: ConfigRow,
    pub recorded: Recorded,
}

pub async fn get(db: &Db, deployment: DeploymentId) -> Result<Option<Snapshot>, SnapshotError> {
    let Some(row) = store::get(db, deployment).await? else { return Ok(None) };
    let Some(json) = row.config.as_deref() else { return Ok(None) };
    let recorded = Recorded::parse(deployment, json)?;
    Ok(Some(Snapshot { row, recorded }))
}

/// What `deployment` ran with, as one side of a plan (its commit from its row).
pub async fn plan_input(
    db: &Db,
    secrets: &SecretBox,
    deployment: DeploymentId,
) -> Result<Option<PlanInput>, SnapshotError> {
    let Some(snapshot) = get(db, deployment).await? else { return Ok(None) };
    let commit = db::deployments::get(db, deployment).await?.and_then(|row| row.commit_sha);
    Ok(Some(PlanInput {
        commit,
        variables: variables(db, secrets, deployment).await?,
        topology: snapshot.recorded.topology.unwrap_or_default(),
        services: snapshot.recorded.services,
        nginx: snapshot.row.nginx,
    }))
}
