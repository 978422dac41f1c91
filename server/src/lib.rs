#![recursion_limit = "256"]
//! NSM's control plane as a library, so tests can start the real server on port 0.

pub mod activity;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod control_plane;
pub mod data_dir;
pub mod db;
pub mod deploy;
pub mod edge;
pub mod error;
pub mod events;
pub mod fleet;
pub mod http;
pub mod hub;
mod local_worker;
pub mod logs;
mod periodic;
pub mod roles;
pub mod runtime_settings;
pub mod secrets;
pub mod settings;
pub mod stats;

use std::net::SocketAddr;
use std::sync::Arc;

use leptos::prelude::LeptosOptions;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use control_plane::Plane;
use error::ServerError;
pub use settings::Settings;

/// A started control plane.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub plane: Arc<Plane>,
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
    local_worker: Option<local_worker::LocalWorker>,
    heartbeat: JoinHandle<()>,
    session_purge: JoinHandle<()>,
    audit_purge: JoinHandle<()>,
}

impl RunningServer {
    /// The embedded worker's edge: the nginx of this machine (tests look inside).
    pub fn local_edge(&self) -> Option<&Arc<nsm_worker::Edge>> {
        self.local_worker.as_ref().map(local_worker::LocalWorker::edge)
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the end.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        if let Some(worker) = self.local_worker {
            worker.stop().await;
        }
        self.heartbeat.abort();
        self.session_purge.abort();
        self.audit_purge.abort();
        let _ = self.shutdown.send(());
        let served = self.task.await;
        self.plane.activity.flush().await;
        self.plane.edge.stop().await;
        match served {
            Ok(result) => Ok(result?),
            Err(join) => Err(join.into()),
        }
    }

    /// Runs until the process is asked to stop (SIGINT or SIGTERM).
    pub async fn run_until_signal(self) -> Result<(), ServerError> {
        shutdown_signal().await;
        tracing::info!("shutting down");
        self.shutdown().await
    }
}

/// Opens the data directory and database, registers the embedded worker, binds the
/// listener and serves in the background.
pub async fn start(settings: Settings) -> Result<RunningServer, ServerError> {
    // Before anything is touched: a malformed Leptos.toml stops the start.
    let site = settings.site()?;
    // The embedded worker's edge serves files from below the data directory.
    let access = if settings.edge.mode != nsm_core::edge::EdgeMode::Off && !settings.no_local_worker {
        data_dir::Access::Traversable
    } else {
        data_dir::Access::Private
    };
    data_dir::prepare(&settings.data_dir, access).await?;
    let db = db::open(&settings.database_path()).await?;
    let removed = db::sessions::delete_expired(&db, settings.session_idle_secs()).await?;
    tracing::debug!(removed, "expired sessions removed");

    let listener = TcpListener::bind(settings.listen).await?;
    let addr = listener.local_addr()?;
    let leptos_options = LeptosOptions::builder()
        .output_name(site.output_name)
        .site_root(site.site_root.to_string_lossy().into_owned())
        .site_pkg_dir(site.site_pkg_dir)
        .site_addr(addr)
        .build();

    let secrets = secrets::SecretBox::open(&settings.data_dir).await?;
    let plane = Plane::new(db, settings, secrets);
    plane.guard_first_run().await?;
    plane.deployer.recover().await?;
    plane.fleet.start().await;
    let heartbeat = fleet::start_heartbeat(plane.db.clone());
    let session_purge = auth::start_session_purge(plane.db.clone(), plane.settings.session_idle_secs());
    let audit_purge = audit::start_purge(plane.db.clone(), plane.settings.audit_retention_days);
    let in_force = runtime_settings::load(&plane.db, &plane.settings).await?;
    plane.edge.configure_acme(&in_force.acme_directory.value, in_force.acme_email.value.as_ref()).await;
    plane.edge.start().await;

    let app = http::router(plane.clone(), leptos_options);
    let (shutdown, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(%addr, "NSM listening");
    let local_worker =
        if plane.settings.no_local_worker { None } else { Some(local_worker::LocalWorker::start(&plane, addr).await?) };
    Ok(RunningServer { addr, plane, shutdown, task, local_worker, heartbeat, session_purge, audit_purge })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
