//! Container logs: telling each node which services to follow, storing what they
//! print under the per-service cap (the `container_log_cap_bytes` setting), and
//! telling open Logs views that a project has new lines.

use std::sync::Arc;

use nsm_core::logs::{ContainerLogLine, LogCap, LogEntry, LogQuery, MAX_LINE_BYTES};
use nsm_core::protocol::ServerMessage;
use nsm_core::ProjectId;
use tokio::sync::broadcast;

use crate::db::{self, Db};
use crate::roles::WorkerLinks;

/// Notices a slow follower may fall behind by; it reads the store again after a
/// skip, so a lag loses nothing.
const APPENDED_CAPACITY: usize = 256;

pub struct ContainerLogs {
    db: Db,
    workers: Arc<dyn WorkerLinks>,
    /// The project whose lines were just stored (followers read them from the store).
    appended: broadcast::Sender<ProjectId>,
}

impl ContainerLogs {
    pub fn new(db: Db, workers: Arc<dyn WorkerLinks>) -> Arc<Self> {
        let (appended, _) = broadcast::channel(APPENDED_CAPACITY);
        Arc::new(Self { db, workers, appended })
    }

    /// The cap in force (the setting, or the default).
    pub async fn cap(&self) -> sqlx::Result<LogCap> {
        Ok(LogCap::from_setting(db::settings::get(&self.db, LogCap::SETTING).await?.as_deref()))
    }

    /// Stores one admitted batch (one transaction), keeping the service under the cap.
    pub async fn ingest(&self, project: &ProjectId, service: &str, container: &str, lines: &[ContainerLogLine]) {
        // The worker cuts long lines; a worker that does not is cut here, so no line
        // outweighs the cap's arithmetic.
        let cut: Vec<ContainerLogLine>;
        let lines = if lines.iter().any(|line| line.text.len() > MAX_LINE_BYTES) {
            cut = lines.iter().map(|line| ContainerLogLine::new(line.at_ms, line.stream, &line.text)).collect();
            &cut
        } else {
            lines
        };
        let result = async {
            let cap = self.cap().await?;
            db::logs::append(&self.db, project.as_str(), service, container, lines, cap.bytes()).await
        }
        .await;
        match result {
            // No follower open is not an error.
            Ok(()) => drop(self.appended.send(project.clone())),
            Err(error) => tracing::error!(%error, %project, service, "cannot store container log lines"),
        }
    }

    /// Told of every project whose lines were stored from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ProjectId> {
        self.appended.subscribe()
    }

    pub async fn search(&self, project: &ProjectId, query: &LogQuery) -> sqlx::Result<Vec<LogEntry>> {
        db::logs::search(&self.db, project.as_str(), query).await
    }

    pub async fn newest_id(&self, project: &ProjectId) -> sqlx::Result<i64> {
        db::logs::newest_id(&self.db, project.as_str()).await
    }

    /// Sends the project's node the set of services to follow (sent whole: the node
    /// stops following the others at once). Quiet when the node is offline: it gets
    /// the set when it connects.
    pub async fn push_project(&self, project: &str) {
        let Ok(id) = ProjectId::parse(project) else { return };
        let (worker, services) =
            match (db::projects::worker_of(&self.db, project).await, db::logs::followed(&self.db, project).await) {
                (Ok(Some(worker)), Ok(services)) => (worker, services),
                (Ok(None), _) => return,
                (Err(error), _) | (_, Err(error)) => {
                    tracing::error!(%error, project, "cannot read which services to follow");
                    return;
                }
            };
        self.send(&worker, id, services);
    }

    /// Tells `worker` to follow none of the project's services (the project moved
    /// away from it, or is gone).
    pub fn stop_on(&self, worker: &str, project: &ProjectId) {
        self.send(worker, project.clone(), Vec::new());
    }

    fn send(&self, worker: &str, project: ProjectId, services: Vec<String>) {
        if !self.workers.is_online(worker) {
            return;
        }
        if let Err(error) = self.workers.send(worker, ServerMessage::FollowLogs { project, services }) {
            tracing::debug!(%error, worker, "cannot send the services to follow");
        }
    }

    /// Sends a node that just connected the followed set of each of its projects.
    pub async fn push_node(&self, worker: &str) {
        match db::logs::projects_on(&self.db, worker).await {
            Ok(projects) => {
                for project in projects {
                    self.push_project(&project).await;
                }
            }
            Err(error) => tracing::error!(%error, worker, "cannot list the node's projects"),
        }
    }
}
