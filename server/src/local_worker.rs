//! The embedded worker `local`: the real worker, run in-process, dialling this
//! server over loopback with a token minted at each start. One protocol, one path.

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
        let config = nsm_worker::WorkerConfig {
            server_url: format!("ws://{}", SocketAddr::new(host, listen.port())),
            worker_id: id,
            token: secret,
            data_dir: plane.settings.data_dir.join("worker"),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            if let Err(error) = nsm_worker::run(config, shutdown).await {
                tracing::error!(%error, "the embedded worker stopped");
            }
        });
        Ok(Self { stop, task })
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            tracing::error!(%error, "the embedded worker task failed");
        }
    }
}
