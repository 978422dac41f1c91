//! What runs on the nodes: the containers workers report, the verdict on every
//! service (kept current and pushed to browsers), and the history the Dashboard and
//! the Services tab draw.

mod heartbeat;
mod history;

use std::sync::Arc;

use nsm_core::events::LiveEvent;
use nsm_core::protocol::{DeployReport, ServiceContainer};
use nsm_core::service::{assess, ContainerObservation, Deployed};
use nsm_core::{DeploymentId, ProjectId};

pub use heartbeat::start_heartbeat;
pub use history::HISTORY_DAYS;

use crate::db::{self, Db};
use crate::events::Events;

pub struct Fleet {
    db: Db,
    events: Arc<Events>,
}

/// Unix milliseconds now: history keeps changes a moment apart apart.
pub(crate) fn unix_now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Fleet {
    pub fn new(db: Db, events: Arc<Events>) -> Arc<Self> {
        Arc::new(Self { db, events })
    }

    pub async fn container_changed(&self, project: &ProjectId, service: &str, observation: &ContainerObservation) {
        if let Err(error) = db::containers::store(&self.db, project.as_str(), service, observation).await {
            tracing::warn!(%error, %project, service, "cannot record a container's state");
        }
        self.reassess(project, service).await;
    }

    pub async fn container_removed(&self, project: &ProjectId, service: &str, container: &str) {
        if let Err(error) = db::containers::remove(&self.db, project.as_str(), service, container).await {
            tracing::warn!(%error, %project, service, "cannot record a container's removal");
        }
        self.reassess(project, service).await;
    }

    /// A worker's snapshot after (re)connecting: it replaces what was known of its
    /// projects, so a change made while the link was down shows at once.
    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn snapshot(&self, worker: &str, containers: &[ServiceContainer]) {
        match db::containers::replace_on_worker(&self.db, worker, containers).await {
            Ok(stored) if stored < containers.len() => {
                tracing::warn!(stored, sent = containers.len(), "a snapshot listed containers of other nodes' projects")
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot record a worker's snapshot"),
        }
        self.reassess_worker(worker).await;
    }

    /// A worker's link came up.
    pub async fn worker_online(&self, worker: &str) {
        if let Err(error) = db::history::record_worker(&self.db, worker, unix_now(), true).await {
            tracing::warn!(%error, worker, "cannot record a worker coming online");
        }
    }

    /// A worker's link dropped: what its services do is unknown until it is back.
    pub async fn worker_lost(&self, worker: &str) {
        if let Err(error) = db::history::record_worker(&self.db, worker, unix_now(), false).await {
            tracing::warn!(%error, worker, "cannot record a worker going offline");
        }
        if let Err(error) = db::containers::forget_on_worker(&self.db, worker).await {
            tracing::error!(%error, worker, "cannot mark a lost worker's services unknown");
        }
        self.reassess_worker(worker).await;
    }

    /// A deployment ran: what it left is the baseline drift is measured against.
    pub async fn deployed(&self, project: &ProjectId, deployment: DeploymentId, report: &DeployReport) {
        for result in report.services.iter().filter(|s| s.container.is_some()) {
            let left = Deployed { deployment, container: result.container.clone(), image: result.image.clone() };
            if let Err(error) = db::services::set_deployed(&self.db, project.as_str(), &result.service, &left).await {
                tracing::warn!(%error, %project, service = result.service, "cannot record what a deployment left");
            }
            self.reassess(project, &result.service).await;
        }
    }

    /// Judges a service again from what is recorded; stores the verdict, notes a change
    /// in its history, and tells the browsers.
    pub async fn reassess(&self, project: &ProjectId, service: &str) {
        if let Err(error) = self.try_reassess(project, service).await {
            tracing::warn!(%error, %project, service, "cannot assess a service");
        }
    }

    async fn try_reassess(&self, project: &ProjectId, service: &str) -> sqlx::Result<()> {
        let Some((expected, reported, deployed)) =
            db::services::judgement_inputs(&self.db, project.as_str(), service).await?
        else {
            // A container of a service the project no longer lists: nothing shows it.
            return Ok(());
        };
        let observed = db::containers::observed(&self.db, project.as_str(), service, reported).await?;
        let assessment = assess(expected, &observed, deployed.as_ref());
        if db::services::set_assessment(&self.db, project.as_str(), service, &assessment).await? {
            let (verdict, actual) = (assessment.verdict, assessment.actual);
            db::history::record_service(&self.db, project.as_str(), service, unix_now(), verdict, actual).await?;
        }
        self.events.publish(LiveEvent::Service {
            project: project.clone(),
            service: service.to_owned(),
            expected,
            assessment,
        });
        Ok(())
    }

    async fn reassess_worker(&self, worker: &str) {
        match db::services::on_worker(&self.db, worker).await {
            Ok(services) => self.reassess_each(services).await,
            Err(error) => tracing::error!(%error, worker, "cannot list a worker's services"),
        }
    }

    async fn reassess_each(&self, services: Vec<(String, String)>) {
        for (project, service) in services {
            match ProjectId::parse(&project) {
                Ok(project) => self.reassess(&project, &service).await,
                Err(error) => tracing::error!(%error, project, "a stored project id does not parse"),
            }
        }
    }

    /// At start-up no worker is connected: every service is unknown until its worker
    /// reports, and a worker the previous run saw online went offline when it stopped.
    pub async fn start(&self) {
        if let Err(error) = db::containers::forget_all(&self.db).await {
            tracing::error!(%error, "cannot reset the recorded container states");
        }
        match (db::history::workers_left_online(&self.db).await, db::history::last_heartbeat(&self.db).await) {
            (Ok(workers), Ok(last)) => {
                let at = last.unwrap_or_else(unix_now);
                for worker in workers {
                    if let Err(error) = db::history::record_worker(&self.db, &worker, at, false).await {
                        tracing::warn!(%error, worker, "cannot close a worker's link in the history");
                    }
                }
            }
            (Err(error), _) | (_, Err(error)) => tracing::warn!(%error, "cannot read the history at start-up"),
        }
        match db::services::all(&self.db).await {
            Ok(services) => self.reassess_each(services).await,
            Err(error) => tracing::error!(%error, "cannot list the services at start-up"),
        }
    }
}
