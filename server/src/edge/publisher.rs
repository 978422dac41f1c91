//! The edge's part in a deployment (design §4), narrated in its log:
//! * prepare: the node has leased its ports; render the project's file for that
//!   node ([`Publisher::plan_deployment`]); the node checks it with `nginx -t`;
//! * once the node installed and verified it: record what it serves, then obtain the
//!   certificates it still lacks through it.

use async_trait::async_trait;
use nsm_core::domain::Hostname;
use nsm_core::protocol::{EdgePlan, EdgeReport, LogStream};
use nsm_core::{DeploymentId, ProjectId, WorkerId};

use super::{tls, Edge};
use crate::db;
use crate::roles::{DeploymentLog, PublishFailure, Publisher};

/// A deployment's log, as the edge writes to it.
struct Narrator<'a> {
    log: &'a dyn DeploymentLog,
    deployment: DeploymentId,
}

impl Narrator<'_> {
    async fn say(&self, text: String) {
        self.log.log(self.deployment, LogStream::System, format!("edge: {text}")).await;
    }
}

#[async_trait]
impl Publisher for Edge {
    #[tracing::instrument(skip_all, fields(project = %project, worker = %worker))]
    async fn plan_deployment(&self, project: &ProjectId, worker: &WorkerId) -> Result<EdgePlan, PublishFailure> {
        self.plan(project, worker).await.map_err(|e| PublishFailure::new(e.to_string()))
    }

    #[tracing::instrument(skip_all, fields(deployment = %deployment, project = %project, worker = %worker))]
    async fn deployment_published(
        &self,
        log: &dyn DeploymentLog,
        deployment: DeploymentId,
        project: &ProjectId,
        worker: &WorkerId,
        report: &EdgeReport,
    ) {
        let recorded = if report.published {
            db::sites::set_published(&self.db, project, worker).await
        } else {
            db::sites::set_unpublished(&self.db, project).await
        };
        if let Err(error) = recorded {
            tracing::error!(%error, "cannot record where the project is published");
        }
        // Before certificates: a fronted node's HTTP-01 answers come through its front.
        self.refresh_fronts().await;
        self.record_facts(&report.certificates).await;
        let narrator = Narrator { log, deployment };
        for fact in &report.certificates {
            self.certify(&narrator, &fact.hostname, worker).await;
        }
    }
}

impl Edge {
    /// Obtains `hostname`'s certificate through `worker` if it needs one, saying how
    /// it went.
    async fn certify(&self, narrator: &Narrator<'_>, hostname: &Hostname, worker: &WorkerId) {
        if !self.acme_enabled() {
            return;
        }
        if let Some(why) = tls::acme_refusal(hostname) {
            narrator.say(format!("{hostname}: {why}; it keeps its self-signed certificate")).await;
            return;
        }
        if !self.needs_certificate(hostname).await {
            return;
        }
        narrator
            .say(format!("{hostname}: requesting a certificate over ACME HTTP-01 (the key stays on {worker})"))
            .await;
        match self.obtain(hostname, worker).await {
            Ok(issued) => narrator.say(format!("{hostname}: certificate {issued}")).await,
            Err(e) => {
                narrator
                    .say(format!("{hostname}: no certificate yet ({e}); serving a self-signed one, retried later"))
                    .await
            }
        }
    }
}
