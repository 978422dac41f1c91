//! A project's plan on this node: checked in prepare, installed once the containers
//! are up, removed when the project goes. Every change goes through
//! [`Edge::install`].

use nsm_core::domain::Hostname;
use nsm_core::protocol::{CertificateFact, EdgePlan, EdgeReport, SiteFile};
use nsm_core::ProjectId;

use super::certs::{self, CertError};
use super::check::CheckError;
use super::install::InstallError;
use super::Edge;

/// Why a plan could not be checked or installed (the previous file keeps serving).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("cannot write a placeholder certificate: {0}")]
    Placeholder(#[source] CertError),
    #[error("the nginx configuration does not pass nginx -t: {0}")]
    Check(#[source] CheckError),
    #[error("nginx configuration not published: {0}; the previous configuration was restored")]
    Install(#[source] InstallError),
}

impl Edge {
    /// Prepare: placeholders for new hostnames (nginx must always load), then the
    /// project's file checked beside everything installed, nothing live touched.
    pub async fn check_plan(&self, project: &ProjectId, plan: &EdgePlan) -> Result<(), PublishError> {
        let EdgePlan::Publish(site) = plan else {
            return Ok(());
        };
        for hostname in &site.hostnames {
            self.ensure_placeholder(hostname).map_err(PublishError::Placeholder)?;
        }
        self.check_candidate(project, &site.text).await.map_err(PublishError::Check)
    }

    /// Installs (or removes) the project's file; the probes are the caller's.
    pub async fn apply_plan(&self, project: &ProjectId, plan: &EdgePlan) -> Result<EdgeReport, PublishError> {
        match plan {
            EdgePlan::Off => Ok(EdgeReport { published: false, certificates: Vec::new() }),
            EdgePlan::Unpublish => {
                self.unpublish(project).await.map_err(PublishError::Install)?;
                Ok(EdgeReport { published: false, certificates: Vec::new() })
            }
            EdgePlan::Publish(site) => self.publish(project, site).await,
        }
    }

    async fn publish(&self, project: &ProjectId, site: &SiteFile) -> Result<EdgeReport, PublishError> {
        for hostname in &site.hostnames {
            self.ensure_placeholder(hostname).map_err(PublishError::Placeholder)?;
        }
        self.install(&[(project.clone(), Some(site.text.clone()))]).await.map_err(PublishError::Install)?;
        Ok(EdgeReport { published: true, certificates: self.certificates(&site.hostnames) })
    }

    pub fn is_published(&self, project: &ProjectId) -> bool {
        self.is_on() && self.layout.site_file(project).exists()
    }

    /// Stops serving a project (no domains any more, teardown, deletion, rename).
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn unpublish(&self, project: &ProjectId) -> Result<(), InstallError> {
        if !self.is_published(project) {
            return Ok(());
        }
        self.install(&[(project.clone(), None)]).await?;
        tracing::info!("project no longer published");
        Ok(())
    }

    /// What each hostname's certificate file says (a hostname whose file cannot be
    /// read is left out, and logged).
    pub fn certificates(&self, hostnames: &[Hostname]) -> Vec<CertificateFact> {
        let mut facts = Vec::with_capacity(hostnames.len());
        for hostname in hostnames {
            match certs::read_info(&self.layout.certificate(hostname)) {
                Ok(info) => facts.push(info.fact(hostname)),
                Err(error) => tracing::warn!(%error, %hostname, "cannot read a certificate file"),
            }
        }
        facts
    }

    /// Writes `hostname`'s self-signed placeholder unless it has a certificate file;
    /// `true` when it wrote one.
    pub fn ensure_placeholder(&self, hostname: &Hostname) -> Result<bool, CertError> {
        certs::ensure_placeholder(&self.layout.certificate(hostname), hostname.as_str(), self.cert_reader)
    }
}
