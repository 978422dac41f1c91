//! The edge's two steps in a deployment (design §4), narrated in its log:
//! * prepare: render the project's file with what is saved now and `nginx -t` it
//!   beside everything else, before the worker touches anything;
//! * publish, once the deployment succeeded: install the file transactionally, then
//!   obtain the certificates it still lacks.

use nsm_core::protocol::LogStream;
use nsm_core::ProjectId;

use super::{tls, Edge};
use crate::deploy::Deployer;

impl Edge {
    /// `Err` is the reason the deployment fails; production is untouched.
    pub async fn prepare_deployment(
        &self,
        deployer: &Deployer,
        id: i64,
        project: &str,
        worker: &str,
    ) -> Result<(), String> {
        if !self.is_on() {
            return Ok(());
        }
        let project = ProjectId::parse(project).map_err(|e| e.to_string())?;
        let rendered = self.render(&project, worker).await.map_err(|e| format!("nginx configuration: {e}"))?;
        if rendered.hostnames.is_empty() {
            return Ok(());
        }
        self.check_candidate(&project, &rendered.text)
            .await
            .map_err(|e| format!("the nginx configuration does not pass nginx -t: {e}"))?;
        let log = format!("edge: nginx configuration for {} checked (nginx -t)", names(&rendered.hostnames));
        deployer.log(id, LogStream::System, log).await;
        Ok(())
    }

    /// `Err` is the reason the deployment fails: the previous configuration was
    /// restored and keeps serving. Certificates that cannot be had yet are logged and
    /// retried later; they never fail a deployment.
    pub async fn publish_deployment(
        &self,
        deployer: &Deployer,
        id: i64,
        project: &str,
        worker: &str,
    ) -> Result<(), String> {
        if !self.is_on() {
            return Ok(());
        }
        let say = |text: String| deployer.log(id, LogStream::System, text);
        let project = ProjectId::parse(project).map_err(|e| e.to_string())?;
        let rendered = match self.render(&project, worker).await {
            Ok(rendered) => rendered,
            Err(e) => {
                let reason = format!("the nginx configuration cannot be rendered: {e}");
                say(format!("edge: {reason}")).await;
                return Err(reason);
            }
        };
        if rendered.hostnames.is_empty() {
            if self.is_published(&project) {
                self.unpublish(&project).await.map_err(|e| format!("cannot stop serving the removed domains: {e}"))?;
                say("edge: the project has no domains any more; it is no longer served".into()).await;
            } else {
                say("edge: the project has no domains; nothing to publish".into()).await;
            }
            return Ok(());
        }
        if rendered.remote_worker {
            say(format!(
                "edge: {worker} is a remote worker: its API Services and Static Pages are not reachable from this nginx and answer 503"
            ))
            .await;
        }
        say(format!("edge: installing the nginx configuration for {}", names(&rendered.hostnames))).await;
        if let Err(e) = self.install(&[(project.clone(), Some(rendered.text))]).await {
            let reason = format!("nginx configuration not published: {e}; the previous configuration was restored");
            say(format!("edge: {reason}")).await;
            return Err(reason);
        }
        let (http, https) = (self.listen.http, self.listen.https);
        say(format!("edge: nginx -t passed, nginx reloaded; serving on ports {http} (HTTP) and {https} (HTTPS)")).await;

        for hostname in &rendered.hostnames {
            if !self.acme_enabled() {
                continue;
            }
            if let Some(why) = tls::acme_refusal(hostname) {
                say(format!("edge: {hostname}: {why}; it keeps its self-signed certificate")).await;
                continue;
            }
            if !self.needs_certificate(hostname) {
                continue;
            }
            say(format!("edge: {hostname}: requesting a certificate over ACME HTTP-01")).await;
            match self.obtain(hostname).await {
                Ok(summary) => say(format!("edge: {hostname}: certificate {summary}")).await,
                Err(e) => {
                    say(format!("edge: {hostname}: no certificate yet ({e}); serving a self-signed one, retried later"))
                        .await
                }
            }
        }
        Ok(())
    }
}

fn names(hostnames: &[nsm_core::domain::Hostname]) -> String {
    hostnames.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
