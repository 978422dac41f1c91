//! The embedded worker `local`: the real worker, run in-process, dialling this
//! server over loopback with a token minted at each start. One protocol, one path.
//! The server's `--edge*` flags configure its edge, with the files where they have
//! always been (`<data dir>/edge`): the single-machine set-up is unchanged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use nsm_core::WorkerId;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::token;
use crate::control_plane::Plane;
use crate::db;
use crate::error::ServerError;

pub struct LocalWorker {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
    host: Arc<nsm_worker::Host>,
}

impl LocalWorker {
    pub async fn start(plane: &Arc<Plane>, listen: SocketAddr) -> Result<Self, ServerError> {
        let id = WorkerId::local();
        db::workers::ensure(&plane.db, id.as_str(), "Local").await?;
        // A fresh secret each start: the old one dies with the old process.
        let secret = token::generate();
        db::workers::set_token_hash(&plane.db, id.as_str(), &token::digest(&secret)).await?;

        let host = match listen.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let settings = &plane.settings;
        let data_dir = std::path::absolute(&settings.data_dir).unwrap_or_else(|_| settings.data_dir.clone());
        let edge = nsm_worker::EdgeConfig {
            mode: settings.edge.mode,
            nginx_bin: settings.edge.nginx_bin.clone(),
            nginx_conf_dir: settings.edge.nginx_conf_dir.clone(),
            nginx_main_conf: settings.edge.nginx_main_conf.clone(),
            nginx_user: settings.edge.nginx_user.clone(),
            http_port: settings.edge.http_port,
            https_port: settings.edge.https_port,
            dir: Some(data_dir.join("edge")),
            stop_on_exit: settings.edge.stop_on_exit,
        };
        let config = nsm_worker::WorkerConfig {
            server_url: format!("ws://{}", SocketAddr::new(host, listen.port())),
            worker_id: id.clone(),
            token: secret,
            data_dir: data_dir.join("worker"),
            edge,
        };
        let worker = Arc::new(nsm_worker::Host::detect(id, config.data_dir.clone(), &config.edge).await?);
        worker.edge().start().await.map_err(nsm_worker::WorkerError::from)?;
        let (stop, stopped) = oneshot::channel::<()>();
        let serving = worker.clone();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = nsm_worker::serve(serving, config, shutdown).await {
                tracing::error!(%error, "the embedded worker stopped");
            }
        });
        Ok(Self { stop, task, host: worker })
    }

    pub fn edge(&self) -> &Arc<nsm_worker::Edge> {
        self.host.edge()
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the embedded worker task failed");
        }
        self.host.edge().shutdown().await;
    }
}
