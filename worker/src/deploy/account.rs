//! Accounting for every container of the project once the replacing `compose up` has
//! run: which it started, which it kept (their image and configuration did not change,
//! so Compose left them running), and which no longer belong (removed). The containers
//! kept and started are recorded in the node's ledger as this deployment's, so what the
//! worker reports of the project stays exact.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use nsm_core::compose::{ServiceName, LABEL_DEPLOYMENT, LABEL_PROJECT};
use nsm_core::protocol::{ContainerAccount, ContainerAction, WorkerMessage};
use nsm_core::service::ServiceState;
use nsm_core::{DeploymentId, ProjectId};

use super::error::DeployError;
use super::narrator::Narrator;
use crate::machine::docker::{
    compose_project_name, ContainerEngine, ContainerInfo, EngineError, LabelFilter, COMPOSE_PROJECT_LABEL,
    COMPOSE_SERVICE_LABEL,
};
use crate::machine::ledger::Ledger;

/// Compose's label marking containers of `compose run`.
const COMPOSE_ONEOFF_LABEL: &str = "com.docker.compose.oneoff";

/// Every container carrying the project's compose or NSM label, once each.
pub(crate) async fn project_containers(
    engine: &dyn ContainerEngine,
    project: &ProjectId,
) -> Result<Vec<ContainerInfo>, EngineError> {
    let compose = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(project));
    let nsm = LabelFilter::is(LABEL_PROJECT, project.as_str());
    let mut containers = engine.list_containers(&compose).await?;
    for extra in engine.list_containers(&nsm).await? {
        if !containers.iter().any(|c| c.id == extra.id) {
            containers.push(extra);
        }
    }
    Ok(containers)
}

/// Whether a container is one of the deployment's services as Compose runs them: both
/// the project's labels, a service of the compose file, not a one-off.
fn is_current(container: &ContainerInfo, project: &ProjectId, services: &BTreeSet<&str>) -> bool {
    let compose = compose_project_name(project);
    container.labels.get(COMPOSE_PROJECT_LABEL) == Some(&compose)
        && container.labels.get(LABEL_PROJECT).map(String::as_str) == Some(project.as_str())
        && container.labels.get(COMPOSE_ONEOFF_LABEL).map(String::as_str) != Some("True")
        && container.service().is_some_and(|s| services.contains(s))
}

/// What `up` left, sorted into started, kept and to be removed (by the ids that ran
/// before it).
pub(crate) fn classify(
    containers: &[ContainerInfo],
    before: &BTreeSet<String>,
    project: &ProjectId,
    services: &[ServiceName],
) -> Vec<(ContainerAction, ContainerInfo)> {
    let services: BTreeSet<&str> = services.iter().map(ServiceName::as_str).collect();
    containers
        .iter()
        .map(|c| {
            let action = match (is_current(c, project, &services), before.contains(&c.id)) {
                (true, true) => ContainerAction::Kept,
                (true, false) => ContainerAction::Started,
                (false, _) => ContainerAction::Removed,
            };
            (action, c.clone())
        })
        .collect()
}

/// What [`settle_accounts`] did.
pub(crate) struct Accounted {
    pub accounts: Vec<ContainerAccount>,
    /// Images the removed containers ran (to prune once nothing uses them).
    pub removed_images: Vec<String>,
}

/// The project's containers before the deployment touched anything.
#[derive(Debug, Default)]
pub(crate) struct Before {
    pub ids: BTreeSet<String>,
    /// Those of them running: a kept one keeps running through `up`.
    pub running: BTreeSet<String>,
    /// Each one's compose service.
    pub services: BTreeMap<String, Option<String>>,
}

impl Before {
    pub fn of(containers: &[ContainerInfo]) -> Self {
        Self {
            ids: containers.iter().map(|c| c.id.clone()).collect(),
            running: containers.iter().filter(|c| c.state == ServiceState::Running).map(|c| c.id.clone()).collect(),
            services: containers.iter().map(|c| (c.id.clone(), c.service().map(str::to_owned))).collect(),
        }
    }
}

/// After a successful `up`: removes what no longer belongs, restarts kept containers
/// that mount a directory this deployment recreated (`fresh`: they would go on seeing
/// the deleted one), records the rest as this deployment's, tells the server that the
/// kept containers are now accounted for by it, and narrates all of it.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn settle_accounts(
    engine: &dyn ContainerEngine,
    ledger: &Ledger,
    project: &ProjectId,
    deployment: DeploymentId,
    before: &Before,
    services: &[ServiceName],
    fresh: &[PathBuf],
    narr: &Narrator<'_>,
) -> Result<Accounted, DeployError> {
    let containers = project_containers(engine, project).await.map_err(DeployError::Sweep)?;
    let mut accounts = Vec::new();
    let mut removed_images = Vec::new();
    let mut current = Vec::new();
    for (action, container) in classify(&containers, &before.ids, project, services) {
        let previous = match action {
            ContainerAction::Started => None,
            ContainerAction::Kept | ContainerAction::Removed => {
                let labelled = container.labels.get(LABEL_DEPLOYMENT).and_then(|d| d.parse().ok()).map(DeploymentId);
                ledger.recorded(project, &container.id).await.or(labelled)
            }
        };
        if action == ContainerAction::Removed {
            engine.remove_container(&container.id).await.map_err(DeployError::Sweep)?;
            if let Some(image) = &container.image_id {
                if !removed_images.contains(image) {
                    removed_images.push(image.clone());
                }
            }
        } else {
            current.push(container.id.clone());
        }
        if action == ContainerAction::Kept && before.running.contains(&container.id) {
            if let Some(dir) = fresh.iter().find(|dir| container.mounts.iter().any(|m| Path::new(m).starts_with(dir))) {
                narr.system(format!(
                    "Restarting `{}`: it mounts {}, which this deployment recreated",
                    container.service().unwrap_or("a container"),
                    dir.display()
                ));
                engine.restart_container(&container.id).await.map_err(DeployError::Sweep)?;
            }
        }
        let service = container.labels.get(COMPOSE_SERVICE_LABEL).cloned();
        accounts.push(ContainerAccount { service, container: container.id.clone(), action, previous });
    }
    // Those `up` replaced (recreated, or orphans it removed) are gone already.
    for (id, service) in &before.services {
        if !containers.iter().any(|c| &c.id == id) {
            let previous = ledger.recorded(project, id).await;
            let (service, container) = (service.clone(), id.clone());
            accounts.push(ContainerAccount { service, container, action: ContainerAction::Removed, previous });
        }
    }
    if let Err(error) = ledger.record(project, deployment, &current, true).await {
        // The containers run; only what they are reported as may be off until the next one.
        tracing::warn!(%error, "cannot write the project's container record");
        narr.system(format!("Could not record the project's containers: {error}"));
    }
    for account in accounts.iter().filter(|a| a.action == ContainerAction::Kept) {
        resend(engine, project, deployment, account, narr).await;
    }
    narrate(&accounts, narr);
    Ok(Accounted { accounts, removed_images })
}

/// After a failed `up`: what it created is this deployment's; the rest keeps its record.
pub(crate) async fn record_partial(
    engine: &dyn ContainerEngine,
    ledger: &Ledger,
    project: &ProjectId,
    deployment: DeploymentId,
    before: &Before,
) {
    let created: Vec<String> = match project_containers(engine, project).await {
        Ok(containers) => containers.into_iter().map(|c| c.id).filter(|id| !before.ids.contains(id)).collect(),
        Err(error) => {
            tracing::warn!(%error, "cannot list the project's containers after a failed start");
            Vec::new()
        }
    };
    if let Err(error) = ledger.record(project, deployment, &created, false).await {
        tracing::warn!(%error, "cannot write the project's container record");
    }
}

/// A kept container now belongs to this deployment: say so to the server at once (it
/// judges drift by the deployment a container is accounted for by).
async fn resend(
    engine: &dyn ContainerEngine,
    project: &ProjectId,
    deployment: DeploymentId,
    account: &ContainerAccount,
    narr: &Narrator<'_>,
) {
    let Some(service) = account.service.clone() else { return };
    match engine.container_status(&account.container).await {
        Ok(Some(status)) => {
            let observation = status.observation(&account.container, Some(deployment));
            narr.send(WorkerMessage::ContainerChanged { project: project.clone(), service, observation });
        }
        Ok(None) => {}
        Err(error) => tracing::debug!(%error, container = %account.container, "cannot inspect a kept container"),
    }
}

fn narrate(accounts: &[ContainerAccount], narr: &Narrator<'_>) {
    let list = |action: ContainerAction| -> Vec<String> {
        accounts
            .iter()
            .filter(|a| a.action == action)
            .map(|a| {
                let short = a.container.get(..12).unwrap_or(&a.container);
                format!("{} ({short})", a.service.as_deref().unwrap_or("no service"))
            })
            .collect()
    };
    let (kept, started, removed) =
        (list(ContainerAction::Kept), list(ContainerAction::Started), list(ContainerAction::Removed));
    if !kept.is_empty() {
        narr.system(format!("Kept running, unchanged: {}", kept.join(", ")));
    }
    if !started.is_empty() {
        narr.system(format!("Started: {}", started.join(", ")));
    }
    if !removed.is_empty() {
        narr.system(format!("Removed, no longer part of the project: {}", removed.join(", ")));
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn container(id: &str, labels: &[(&str, &str)]) -> ContainerInfo {
        ContainerInfo {
            id: id.to_owned(),
            name: id.to_owned(),
            labels: labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<HashMap<_, _>>(),
            state: ServiceState::Running,
            image_id: None,
            public_ports: vec![],
            mounts: vec![],
        }
    }

    #[test]
    fn containers_are_kept_started_or_removed() {
        let project = ProjectId::parse("shop").unwrap();
        let ours = |service: &'static str| {
            vec![
                (COMPOSE_PROJECT_LABEL, "nsm-shop"),
                (LABEL_PROJECT, "shop"),
                (COMPOSE_SERVICE_LABEL, service),
                (COMPOSE_ONEOFF_LABEL, "False"),
            ]
        };
        let mut oneoff = ours("web");
        oneoff[3] = (COMPOSE_ONEOFF_LABEL, "True");
        let containers = vec![
            container("kept", &ours("db")),
            container("new", &ours("web")),
            container("gone-service", &ours("old")),
            container("oneoff", &oneoff),
            container("by-hand", &[(LABEL_PROJECT, "shop"), (COMPOSE_SERVICE_LABEL, "web")]),
        ];
        let before: BTreeSet<String> = ["kept", "gone-service", "oneoff"].iter().map(|s| (*s).to_owned()).collect();
        let services = [ServiceName::parse("db").unwrap(), ServiceName::parse("web").unwrap()];
        let sorted: Vec<(ContainerAction, String)> =
            classify(&containers, &before, &project, &services).into_iter().map(|(a, c)| (a, c.id)).collect();
        use ContainerAction::{Kept, Removed, Started};
        assert_eq!(
            sorted,
            [
                (Kept, "kept".to_owned()),
                (Started, "new".to_owned()),
                (Removed, "gone-service".to_owned()),
                (Removed, "oneoff".to_owned()),
                (Removed, "by-hand".to_owned()),
            ]
        );
    }
}
