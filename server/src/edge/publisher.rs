//! The edge's two steps in a deployment (design §4), narrated in its log:
//! * prepare: render the project's file with what is saved now and `nginx -t` it
//!   beside everything else, before the worker touches anything;
//! * publish, once the deployment succeeded: install the file transactionally, then
//!   obtain the certificates it still lacks.

use async_trait::async_trait;
use nsm_core::domain::Hostname;
use nsm_core::protocol::LogStream;
use nsm_core::{DeploymentId, ProjectId, WorkerId};

use super::{tls, Edge};
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

    /// Says why the deployment fails, and fails it with that reason.
    async fn fail(&self, reason: String) -> PublishFailure {
        self.say(reason.clone()).await;
        PublishFailure::new(reason)
    }
}

#[async_trait]
impl Publisher for Edge {
    /// `Err` is the reason the deployment fails; production is untouched.
    #[tracing::instrument(skip_all, fields(deployment = %deployment, project = %project, worker = %worker))]
    async fn prepare_deployment(
        &self,
        log: &dyn DeploymentLog,
        deployment: DeploymentId,
        project: &ProjectId,
        worker: &WorkerId,
    ) -> Result<(), PublishFailure> {
        if !self.is_on() {
            return Ok(());
        }
        let narrator = Narrator { log, deployment };
        let rendered =
            self.render(project, worker).await.map_err(|e| PublishFailure::new(format!("nginx configuration: {e}")))?;
        if rendered.hostnames.is_empty() {
            return Ok(());
        }
        self.check_candidate(project, &rendered.text)
            .await
            .map_err(|e| PublishFailure::new(format!("the nginx configuration does not pass nginx -t: {e}")))?;
        narrator.say(format!("nginx configuration for {} checked (nginx -t)", names(&rendered.hostnames))).await;
        Ok(())
    }

    /// `Err` is the reason the deployment fails: the previous configuration was
    /// restored and keeps serving. Certificates that cannot be had yet are logged and
    /// retried later; they never fail a deployment.
    #[tracing::instrument(skip_all, fields(deployment = %deployment, project = %project, worker = %worker))]
    async fn publish_deployment(
        &self,
        log: &dyn DeploymentLog,
        deployment: DeploymentId,
        project: &ProjectId,
        worker: &WorkerId,
    ) -> Result<(), PublishFailure> {
        if !self.is_on() {
            return Ok(());
        }
        let narrator = Narrator { log, deployment };
        let rendered = match self.render(project, worker).await {
            Ok(rendered) => rendered,
            Err(e) => return Err(narrator.fail(format!("the nginx configuration cannot be rendered: {e}")).await),
        };
        if rendered.hostnames.is_empty() {
            if self.is_published(project) {
                self.unpublish(project)
                    .await
                    .map_err(|e| PublishFailure::new(format!("cannot stop serving the removed domains: {e}")))?;
                narrator.say("the project has no domains any more; it is no longer served".into()).await;
            } else {
                narrator.say("the project has no domains; nothing to publish".into()).await;
            }
            return Ok(());
        }
        if rendered.remote_worker {
            narrator
                .say(format!(
                    "{worker} is a remote worker: its API Services and Static Pages are not reachable from this nginx and answer 503"
                ))
                .await;
        }
        narrator.say(format!("installing the nginx configuration for {}", names(&rendered.hostnames))).await;
        if let Err(e) = self.install(&[(project.clone(), Some(rendered.text))]).await {
            let reason = format!("nginx configuration not published: {e}; the previous configuration was restored");
            return Err(narrator.fail(reason).await);
        }
        let (http, https) = (self.listen.http, self.listen.https);
        narrator
            .say(format!("nginx -t passed, nginx reloaded; serving on ports {http} (HTTP) and {https} (HTTPS)"))
            .await;
        for hostname in &rendered.hostnames {
            self.certify(&narrator, hostname).await;
        }
        Ok(())
    }
}

impl Edge {
    /// Obtains `hostname`'s certificate if it needs one, saying how it went.
    async fn certify(&self, narrator: &Narrator<'_>, hostname: &Hostname) {
        if !self.acme_enabled() {
            return;
        }
        if let Some(why) = tls::acme_refusal(hostname) {
            narrator.say(format!("{hostname}: {why}; it keeps its self-signed certificate")).await;
            return;
        }
        if !self.needs_certificate(hostname) {
            return;
        }
        narrator.say(format!("{hostname}: requesting a certificate over ACME HTTP-01")).await;
        match self.obtain(hostname).await {
            Ok(issued) => narrator.say(format!("{hostname}: certificate {issued}")).await,
            Err(e) => {
                narrator
                    .say(format!("{hostname}: no certificate yet ({e}); serving a self-signed one, retried later"))
                    .await
            }
        }
    }
}

fn names(hostnames: &[Hostname]) -> String {
    hostnames.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
