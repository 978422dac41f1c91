//! The machine the worker drives: its data directory, its compose CLI and its Docker
//! Engine, and the jobs run on them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nsm_core::env::ComposeDialect;
use nsm_core::protocol::{DeployReport, DeploySpec, RepoSource, SyncReport, WorkerMessage};
use nsm_core::{ProjectId, WorkerId};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::compose::ComposeCli;
use crate::docker::{BollardEngine, ContainerEngine};
use crate::error::WorkerError;

/// Where jobs send their messages for the server, in order.
pub type Outbox = mpsc::UnboundedSender<WorkerMessage>;

pub struct Host {
    worker_id: WorkerId,
    data_dir: PathBuf,
    compose: Option<ComposeCli>,
    engine: Arc<dyn ContainerEngine>,
}

impl Host {
    /// Prepares the data directory and finds the compose CLI and the Docker Engine
    /// (`DOCKER_HOST` or the default socket). A missing compose CLI or an engine that
    /// is down is not an error here: deployments report it.
    pub async fn detect(worker_id: WorkerId, data_dir: PathBuf) -> Result<Self, WorkerError> {
        let data_dir = prepare_data_dir(&data_dir).await?;
        let compose = ComposeCli::detect().await;
        match &compose {
            Some(cli) => tracing::info!(version = cli.version(), "found Docker Compose"),
            None => tracing::warn!("neither `docker compose` nor `docker-compose` works: deployments will fail"),
        }
        let engine: Arc<dyn ContainerEngine> = Arc::new(BollardEngine::new());
        Ok(Self::new(worker_id, data_dir, compose, engine))
    }

    /// A host from explicit parts. `data_dir` must be absolute and exist.
    pub fn new(
        worker_id: WorkerId,
        data_dir: PathBuf,
        compose: Option<ComposeCli>,
        engine: Arc<dyn ContainerEngine>,
    ) -> Self {
        Self { worker_id, data_dir, compose, engine }
    }

    pub fn worker_id(&self) -> &WorkerId {
        &self.worker_id
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn compose(&self) -> Option<&ComposeCli> {
        self.compose.as_ref()
    }

    pub fn compose_dialect(&self) -> Option<ComposeDialect> {
        self.compose.as_ref().map(ComposeCli::dialect)
    }

    pub fn engine(&self) -> &Arc<dyn ContainerEngine> {
        &self.engine
    }

    /// Runs one deployment to its end. Sends `DeployPhase`, `DeployLog` and exactly one
    /// `DeployFinished` to `out`, and returns the same report.
    pub async fn deploy(&self, spec: DeploySpec, cancel: CancellationToken, out: &Outbox) -> DeployReport {
        crate::deploy::run(self, spec, cancel, out).await
    }

    /// Clones the branch into a temporary directory and reports what it holds.
    pub async fn sync(&self, source: &RepoSource) -> Result<SyncReport, String> {
        crate::sync::sync(self, source).await
    }

    /// Stops and removes the project's containers and networks (its files, volume
    /// included, stay).
    pub async fn teardown(&self, project: &ProjectId) -> Result<(), String> {
        crate::deploy::teardown_project(self, project).await
    }
}

/// Creates the data directory's layout and returns its absolute path: paths under it
/// end up in `.env` files and compose volumes, which need absolute paths.
async fn prepare_data_dir(data_dir: &Path) -> Result<PathBuf, WorkerError> {
    let fail = |source| WorkerError::DataDir { path: data_dir.to_owned(), source };
    for sub in ["projects", "tmp"] {
        tokio::fs::create_dir_all(data_dir.join(sub)).await.map_err(fail)?;
    }
    tokio::fs::canonicalize(data_dir).await.map_err(fail)
}
