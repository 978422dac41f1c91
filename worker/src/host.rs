//! [`Host`]: the jobs a worker runs on its machine (deploy, sync, teardown), without
//! a server. The link runs them for the server; tests and tools call them directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nsm_core::env::ComposeDialect;
use nsm_core::protocol::{DeployReport, DeploySpec, RepoSource, SyncReport};
use nsm_core::{ProjectId, WorkerId};
use tokio_util::sync::CancellationToken;

use crate::deploy::EdgePlans;
use crate::edge::{Edge, EdgeConfig};
use crate::error::WorkerError;
use crate::machine::compose::ComposeCli;
use crate::machine::docker::ContainerEngine;
use crate::machine::ledger::Ledger;
use crate::machine::Machine;
use crate::outbox::Outbox;
use crate::sync::SyncError;
use crate::teardown::TeardownError;

/// This worker's machine and its edge, and the jobs run on them.
pub struct Host {
    machine: Machine,
    edge: Arc<Edge>,
}

impl Host {
    /// Prepares the data directory and finds the compose CLI and the Docker Engine
    /// (`DOCKER_HOST` or the default socket). A missing compose CLI or an engine that
    /// is down is not an error here: deployments report it.
    /// The edge is configured, not started ([`Edge::start`]).
    pub async fn detect(worker_id: WorkerId, data_dir: PathBuf, edge: &EdgeConfig) -> Result<Self, WorkerError> {
        let machine = Machine::detect(worker_id, data_dir).await?;
        let edge = Arc::new(Edge::new(edge, machine.data_dir()));
        Ok(Self { machine, edge })
    }

    /// A host from explicit parts. `data_dir` must be absolute and exist.
    pub fn new(
        worker_id: WorkerId,
        data_dir: PathBuf,
        compose: Option<ComposeCli>,
        engine: Arc<dyn ContainerEngine>,
    ) -> Self {
        let edge = Arc::new(Edge::off(&data_dir));
        Self { machine: Machine::new(worker_id, data_dir, compose, engine), edge }
    }

    /// This node's nginx.
    pub fn edge(&self) -> &Arc<Edge> {
        &self.edge
    }

    pub fn worker_id(&self) -> &WorkerId {
        self.machine.worker_id()
    }

    pub fn data_dir(&self) -> &Path {
        self.machine.data_dir()
    }

    pub fn compose(&self) -> Option<&ComposeCli> {
        self.machine.compose()
    }

    pub fn compose_dialect(&self) -> Option<ComposeDialect> {
        self.machine.compose_dialect()
    }

    pub fn engine(&self) -> &Arc<dyn ContainerEngine> {
        self.machine.engine()
    }

    /// Which deployment accounts for each container of each project on this node.
    pub fn ledger(&self) -> &Arc<Ledger> {
        self.machine.ledger()
    }

    /// Runs one deployment to its end. Sends `DeployPhase`, `DeployLog` and exactly one
    /// `DeployFinished` to `out`, and returns the same report. `plans` renders the
    /// project's nginx file for the ports the deployment leases.
    pub async fn deploy(
        &self,
        spec: DeploySpec,
        cancel: CancellationToken,
        out: &Outbox,
        plans: &dyn EdgePlans,
    ) -> DeployReport {
        crate::deploy::run(&self.machine, &self.edge, plans, spec, cancel, out).await
    }

    /// Clones the branch into a temporary directory and reports what it holds.
    pub async fn sync(&self, source: &RepoSource) -> Result<SyncReport, SyncError> {
        crate::sync::sync(&self.machine, source).await
    }

    /// Stops serving the project, then stops and removes its containers and networks
    /// (its files, volume included, stay).
    pub async fn teardown(&self, project: &ProjectId) -> Result<(), TeardownError> {
        self.edge.unpublish(project).await?;
        crate::teardown::teardown(&self.machine, project).await
    }
}
