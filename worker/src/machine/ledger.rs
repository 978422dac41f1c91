//! Which deployment accounts for each container of a project on this node.
//!
//! A deployment's id is not a container label (Compose hashes labels into a service's
//! configuration, so a label that changes every deployment recreates every service).
//! It is kept here instead: each deployment records the containers it started or kept
//! (`<project dir>/containers.json`, written atomically), and what the worker reports of
//! a container names the deployment found here. While a deployment runs, containers
//! not yet recorded are its own (it is starting them). A container carrying the
//! project's labels that no deployment recorded was started by someone else: it is
//! reported with no deployment, as drift. Containers an older NSM labelled with
//! `dev.nsm.deployment` keep that label's value until a deployment records them.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use nsm_core::compose::LABEL_DEPLOYMENT;
use nsm_core::{DeploymentId, ProjectId};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::MachineError;

/// The record file's content.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Record {
    /// Container id → the deployment that last started or kept it.
    containers: BTreeMap<String, DeploymentId>,
}

#[derive(Debug, Default)]
struct Project {
    record: Record,
    /// The deployment running now, if any.
    deploying: Option<DeploymentId>,
}

/// Every project's record, read from its file on first use.
pub struct Ledger {
    data_dir: PathBuf,
    projects: Mutex<HashMap<ProjectId, Project>>,
}

impl Ledger {
    pub fn new(data_dir: &Path) -> Self {
        Self { data_dir: data_dir.to_owned(), projects: Mutex::new(HashMap::new()) }
    }

    fn file(&self, project: &ProjectId) -> PathBuf {
        super::layout::Layout::new(&self.data_dir, project).ledger()
    }

    /// The deployment that accounts for container `id` of `project` (`labels`: the
    /// container's, for what an older NSM labelled).
    pub async fn deployment_of(
        &self,
        project: &ProjectId,
        id: &str,
        labels: &HashMap<String, String>,
    ) -> Option<DeploymentId> {
        let mut projects = self.projects.lock().await;
        let entry = self.entry(&mut projects, project).await;
        entry
            .record
            .containers
            .get(id)
            .copied()
            .or(entry.deploying)
            .or_else(|| labels.get(LABEL_DEPLOYMENT).and_then(|d| d.parse().ok()).map(DeploymentId))
    }

    /// The deployment that recorded container `id` (an older NSM's label aside).
    pub async fn recorded(&self, project: &ProjectId, id: &str) -> Option<DeploymentId> {
        let mut projects = self.projects.lock().await;
        self.entry(&mut projects, project).await.record.containers.get(id).copied()
    }

    /// `deployment` starts replacing the project's containers: those it creates are its.
    pub async fn begin(&self, project: &ProjectId, deployment: DeploymentId) {
        let mut projects = self.projects.lock().await;
        self.entry(&mut projects, project).await.deploying = Some(deployment);
    }

    /// Records what `deployment` left: `containers` (ids) are its; with `exact`, they are
    /// all the project has (everything else was removed), otherwise the others keep
    /// what they had. Ends the deployment's claim on new containers.
    pub async fn record(
        &self,
        project: &ProjectId,
        deployment: DeploymentId,
        containers: &[String],
        exact: bool,
    ) -> Result<(), MachineError> {
        let mut projects = self.projects.lock().await;
        let entry = self.entry(&mut projects, project).await;
        let mut record = if exact { Record::default() } else { entry.record.clone() };
        for id in containers {
            record.containers.insert(id.clone(), deployment);
        }
        let written = write(&self.file(project), &record).await;
        entry.record = record;
        if entry.deploying == Some(deployment) {
            entry.deploying = None;
        }
        written
    }

    /// The deployment ended without recording (nothing of it runs, or it never started).
    pub async fn end(&self, project: &ProjectId, deployment: DeploymentId) {
        let mut projects = self.projects.lock().await;
        if let Some(entry) = projects.get_mut(project) {
            if entry.deploying == Some(deployment) {
                entry.deploying = None;
            }
        }
    }

    /// The project has no container any more (torn down, or a stopped deployment).
    pub async fn forget(&self, project: &ProjectId) -> Result<(), MachineError> {
        let mut projects = self.projects.lock().await;
        let deploying = projects.get(project).and_then(|p| p.deploying);
        projects.insert(project.clone(), Project { record: Record::default(), deploying });
        let file = self.file(project);
        match tokio::fs::remove_file(&file).await {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(MachineError::Io { path: file, source: error }),
        }
    }

    async fn entry<'a>(&self, projects: &'a mut HashMap<ProjectId, Project>, project: &ProjectId) -> &'a mut Project {
        if !projects.contains_key(project) {
            let record = read(&self.file(project)).await;
            projects.insert(project.clone(), Project { record, deploying: None });
        }
        projects.entry(project.clone()).or_default()
    }
}

async fn read(file: &Path) -> Record {
    match tokio::fs::read(file).await {
        Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|error| {
            tracing::warn!(%error, file = %file.display(), "the container record does not parse; starting empty");
            Record::default()
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Record::default(),
        Err(error) => {
            tracing::warn!(%error, file = %file.display(), "cannot read the container record; starting empty");
            Record::default()
        }
    }
}

/// Written aside and renamed over, so a crash leaves the old record or the new one.
async fn write(file: &Path, record: &Record) -> Result<(), MachineError> {
    let Some(dir) = file.parent() else { return Ok(()) };
    tokio::fs::create_dir_all(dir).await.map_err(MachineError::io(dir))?;
    let json = serde_json::to_vec_pretty(record).map_err(|e| MachineError::io(file)(std::io::Error::other(e)))?;
    let aside = file.with_extension("json.new");
    tokio::fs::write(&aside, json).await.map_err(MachineError::io(&aside))?;
    tokio::fs::rename(&aside, file).await.map_err(MachineError::io(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project() -> ProjectId {
        ProjectId::parse("shop").unwrap()
    }

    #[tokio::test]
    async fn containers_are_accounted_for_by_the_deployment_that_recorded_them() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path());
        let none = HashMap::new();
        assert_eq!(ledger.deployment_of(&project(), "a", &none).await, None, "by hand");
        ledger.begin(&project(), DeploymentId(7)).await;
        assert_eq!(ledger.deployment_of(&project(), "new", &none).await, Some(DeploymentId(7)), "being started");
        ledger.record(&project(), DeploymentId(7), &["a".to_owned(), "b".to_owned()], true).await.unwrap();
        assert_eq!(ledger.deployment_of(&project(), "new", &none).await, None, "the deployment is over");
        ledger.record(&project(), DeploymentId(8), &["c".to_owned()], false).await.unwrap();

        // Read back from the file by a fresh ledger (a restarted worker).
        let again = Ledger::new(dir.path());
        assert_eq!(again.deployment_of(&project(), "a", &none).await, Some(DeploymentId(7)));
        assert_eq!(again.deployment_of(&project(), "c", &none).await, Some(DeploymentId(8)));
        again.record(&project(), DeploymentId(9), &["c".to_owned()], true).await.unwrap();
        assert_eq!(again.deployment_of(&project(), "a", &none).await, None, "an exact record drops the rest");
        again.forget(&project()).await.unwrap();
        assert_eq!(again.deployment_of(&project(), "c", &none).await, None);
    }

    #[tokio::test]
    async fn an_older_label_speaks_until_a_deployment_records_the_container() {
        let dir = tempfile::tempdir().unwrap();
        let ledger = Ledger::new(dir.path());
        let labels = HashMap::from([(LABEL_DEPLOYMENT.to_owned(), "3".to_owned())]);
        assert_eq!(ledger.deployment_of(&project(), "old", &labels).await, Some(DeploymentId(3)));
        ledger.record(&project(), DeploymentId(4), &["old".to_owned()], true).await.unwrap();
        assert_eq!(ledger.deployment_of(&project(), "old", &labels).await, Some(DeploymentId(4)));
    }
}
