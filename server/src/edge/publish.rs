//! What the nodes serve, outside deployments: re-publishing a project whose domains
//! changed, unpublishing one, forgetting a removed hostname's certificate.

use nsm_core::domain::Hostname;
use nsm_core::protocol::{EdgeAnswer, EdgeCommand, EdgePlan};
use nsm_core::{ProjectId, WorkerId};

use super::{Edge, EdgeError};
use crate::db;

impl Edge {
    /// The node serving `project`, if one does (a store failure is logged: none).
    pub async fn published_on(&self, project: &ProjectId) -> Option<WorkerId> {
        match db::sites::published_on(&self.db, project).await {
            Ok(worker) => worker,
            Err(error) => {
                tracing::error!(%error, %project, "cannot read where a project is published");
                None
            }
        }
    }

    /// Renders `project`'s file for `worker` and has the node install it now (what a
    /// deployment's publish does, without probes or certificates); a project without
    /// domains is unpublished. Returns the hostnames served.
    #[tracing::instrument(skip_all, fields(project = %project, worker = %worker))]
    pub async fn publish(&self, project: &ProjectId, worker: &WorkerId) -> Result<Vec<Hostname>, EdgeError> {
        let served = self.publish_on(project, worker).await;
        self.refresh_fronts().await;
        served
    }

    /// [`Edge::publish`] without telling the fronting nodes (the caller does, once).
    async fn publish_on(&self, project: &ProjectId, worker: &WorkerId) -> Result<Vec<Hostname>, EdgeError> {
        let plan = self.plan(project, worker).await?;
        let answer = self.command(worker, EdgeCommand::Apply { project: project.clone(), plan: plan.clone() }).await?;
        self.record_applied(&answer).await;
        match plan {
            EdgePlan::Publish(site) => {
                db::sites::set_published(&self.db, project, worker).await?;
                Ok(site.hostnames)
            }
            EdgePlan::Unpublish | EdgePlan::Off => {
                db::sites::set_unpublished(&self.db, project).await?;
                Ok(Vec::new())
            }
        }
    }

    /// A node (re)connected: re-render what it serves from what is saved now (its
    /// ports or paths may have changed while it was away) and have it install what
    /// differs. A project that does not render or install keeps its file, and says why
    /// in the log.
    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn republish(&self, worker: &WorkerId) {
        let published = match db::sites::published(&self.db).await {
            Ok(published) => published,
            Err(error) => {
                tracing::error!(%error, "cannot list the published projects");
                return;
            }
        };
        for (project, _) in published.into_iter().filter(|(_, on)| on == worker) {
            if let Err(error) = self.publish_on(&project, worker).await {
                tracing::warn!(%project, %error, "keeping the published file of a project that does not re-publish");
            }
        }
        // It may front others (or no longer: routes changed while it was away clear
        // here), or be fronted on other ports than before.
        if let Err(error) = self.refresh_front(worker).await {
            tracing::warn!(%error, "the reconnected node did not take its routes");
        }
        self.refresh_fronts().await;
    }

    /// Re-renders a published project from what is saved now (a domain was removed)
    /// and installs it on its node.
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn refresh(&self, project: &ProjectId) -> Result<(), EdgeError> {
        let Some(worker) = self.published_on(project).await else {
            return Ok(());
        };
        let plan = self.plan(project, &worker).await?;
        let answer = self.command(&worker, EdgeCommand::Apply { project: project.clone(), plan: plan.clone() }).await?;
        self.record_applied(&answer).await;
        if !matches!(plan, EdgePlan::Publish(_)) {
            db::sites::set_unpublished(&self.db, project).await?;
        }
        self.refresh_fronts().await;
        Ok(())
    }

    /// Stops serving a project (deletion, rename): its node removes the file.
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn unpublish(&self, project: &ProjectId) -> Result<(), EdgeError> {
        let Some(worker) = self.published_on(project).await else {
            return Ok(());
        };
        let command = EdgeCommand::Apply { project: project.clone(), plan: EdgePlan::Unpublish };
        self.command(&worker, command).await?;
        db::sites::set_unpublished(&self.db, project).await?;
        tracing::info!(%worker, "project no longer published");
        self.refresh_fronts().await;
        Ok(())
    }

    /// Records the certificates an `Apply` left served.
    async fn record_applied(&self, answer: &EdgeAnswer) {
        if let EdgeAnswer::Applied(report) = answer {
            self.record_facts(&report.certificates).await;
        }
    }

    /// The node unpublished the project itself (a teardown): record it.
    pub async fn unpublished(&self, project: &ProjectId) {
        if let Err(error) = db::sites::set_unpublished(&self.db, project).await {
            tracing::error!(%error, %project, "cannot record that a project is no longer published");
        }
        self.refresh_fronts().await;
    }

    /// Forgets hostnames' certificates (their domains were removed): the node removes
    /// their files in one request, the Domains tab their rows.
    #[tracing::instrument(skip_all, fields(worker = %worker))]
    pub async fn forget(&self, hostnames: &[Hostname], worker: &WorkerId) {
        let command = EdgeCommand::Forget { hostnames: hostnames.to_vec() };
        if let Err(error) = self.command(worker, command).await {
            tracing::warn!(%error, "the node could not remove certificate files");
        }
        self.forget_records(hostnames).await;
    }

    /// Forgets hostnames' certificate rows only (no node serves them).
    pub async fn forget_records(&self, hostnames: &[Hostname]) {
        for hostname in hostnames {
            if let Err(error) = db::edge::forget_certificate(&self.db, hostname).await {
                tracing::warn!(%error, %hostname, "cannot forget a certificate's status");
            }
        }
    }
}
