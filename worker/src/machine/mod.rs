//! The machine a worker drives, and nothing above it: its data directory and the
//! projects' layout in it, its TCP ports, its compose CLI, its Docker Engine, git, and
//! its CA store (TLS). This is the worker's leaf layer: nothing here knows about
//! deployments, jobs or the server link.

pub mod checkout;
pub mod compose;
pub mod docker;
pub mod generated;
pub mod git;
pub mod layout;
pub mod ledger;
pub mod limits;
pub mod ports;
pub mod tls;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nsm_core::env::ComposeDialect;
use nsm_core::WorkerId;

use self::compose::ComposeCli;
use self::docker::{BollardEngine, ContainerEngine};
use self::ledger::Ledger;

/// Why something on the machine itself failed (files, ports, CA store). Git, Compose
/// and the Docker Engine have their own errors ([`git::GitError`],
/// [`compose::RunError`], [`docker::EngineError`]).
#[derive(Debug, thiserror::Error)]
pub enum MachineError {
    #[error("cannot use the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file or directory operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{0}` cannot name a resource directory (use letters, digits, `-`, `_`, `.`)")]
    ResourceName(String),
    #[error("the path {} is not valid UTF-8", .0.display())]
    NonUtf8Path(PathBuf),
    /// A blocking file task did not finish (it panicked or the runtime stopped).
    #[error("reading the checkout failed: {0}")]
    Blocking(#[source] tokio::task::JoinError),
    #[error(transparent)]
    Discovery(#[from] nsm_core::compose::DiscoveryError),
    #[error("no CA certificates found on this system (install ca-certificates)")]
    NoCaCertificates,
    #[error(transparent)]
    Tls(#[from] rustls::Error),
}

impl MachineError {
    /// An I/O failure on `path`.
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}

/// This node: its id, data directory, compose CLI (if any) and Docker Engine.
pub struct Machine {
    worker_id: WorkerId,
    data_dir: PathBuf,
    compose: Option<ComposeCli>,
    engine: Arc<dyn ContainerEngine>,
    ledger: Arc<Ledger>,
}

impl Machine {
    /// Prepares the data directory and finds the compose CLI and the Docker Engine
    /// (`DOCKER_HOST` or the default socket). A missing compose CLI or an engine that
    /// is down is not an error here: deployments report it.
    pub async fn detect(worker_id: WorkerId, data_dir: PathBuf) -> Result<Self, MachineError> {
        let data_dir = prepare_data_dir(&data_dir).await?;
        let compose = ComposeCli::detect().await;
        match &compose {
            Some(cli) => tracing::info!(version = cli.version(), "found Docker Compose"),
            None => tracing::warn!("neither `docker compose` nor `docker-compose` works: deployments will fail"),
        }
        let engine: Arc<dyn ContainerEngine> = Arc::new(BollardEngine::new());
        Ok(Self::new(worker_id, data_dir, compose, engine))
    }

    /// A machine from explicit parts. `data_dir` must be absolute and exist.
    pub fn new(
        worker_id: WorkerId,
        data_dir: PathBuf,
        compose: Option<ComposeCli>,
        engine: Arc<dyn ContainerEngine>,
    ) -> Self {
        let ledger = Arc::new(Ledger::new(&data_dir));
        Self { worker_id, data_dir, compose, engine, ledger }
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

    /// Which deployment accounts for each container of each project.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// Where the project's files live here.
    pub fn layout(&self, project: &nsm_core::ProjectId) -> layout::Layout {
        layout::Layout::new(&self.data_dir, project)
    }

    /// Scratch space for clones that do not stay (syncs).
    pub fn scratch_dir(&self) -> PathBuf {
        self.data_dir.join("tmp")
    }
}

/// Creates the data directory's layout and returns its absolute path: paths under it
/// end up in `.env` files and compose volumes, which need absolute paths.
async fn prepare_data_dir(data_dir: &Path) -> Result<PathBuf, MachineError> {
    let fail = |source| MachineError::DataDir { path: data_dir.to_owned(), source };
    for sub in ["projects", "tmp"] {
        tokio::fs::create_dir_all(data_dir.join(sub)).await.map_err(fail)?;
    }
    tokio::fs::canonicalize(data_dir).await.map_err(fail)
}
