//! What nginx serves, project by project: publishing a project's file now,
//! unpublishing it, re-rendering published ones from what is saved, forgetting a
//! removed hostname's certificate. Every change goes through [`Edge::install`].

use nsm_core::domain::Hostname;
use nsm_core::{ProjectId, WorkerId};

use super::{Change, Edge, EdgeError};
use crate::db;

impl Edge {
    /// Renders and installs `project`'s file now (what a successful deployment does,
    /// without the certificates); a project without domains is unpublished.
    #[tracing::instrument(skip_all, fields(project = %project, worker = %worker))]
    pub async fn publish(&self, project: &ProjectId, worker: &WorkerId) -> Result<Vec<Hostname>, EdgeError> {
        let rendered = self.render(project, worker).await?;
        if rendered.hostnames.is_empty() {
            self.unpublish(project).await?;
        } else {
            self.install(&[(project.clone(), Some(rendered.text))]).await?;
        }
        Ok(rendered.hostnames)
    }

    pub fn is_published(&self, project: &ProjectId) -> bool {
        self.is_on() && self.layout.site_file(project).exists()
    }

    /// Stops serving a project (teardown, deletion, rename).
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn unpublish(&self, project: &ProjectId) -> Result<(), EdgeError> {
        if !self.is_published(project) {
            return Ok(());
        }
        self.install(&[(project.clone(), None)]).await?;
        tracing::info!("project no longer published");
        Ok(())
    }

    /// Re-renders a published project from what is saved now (a domain was removed).
    #[tracing::instrument(skip_all, fields(project = %project))]
    pub async fn refresh(&self, project: &ProjectId) -> Result<(), EdgeError> {
        if !self.is_published(project) {
            return Ok(());
        }
        let change = self.change_for(project).await?;
        Ok(self.install(&[change]).await?)
    }

    async fn change_for(&self, project: &ProjectId) -> Result<Change, EdgeError> {
        let Some(row) = db::projects::get_project(&self.db, project).await? else {
            return Ok((project.clone(), None));
        };
        let rendered = self.render(project, &row.config.worker).await?;
        let text = (!rendered.hostnames.is_empty()).then_some(rendered.text);
        Ok((project.clone(), text))
    }

    /// Re-renders every published project in one transaction (at start-up: the
    /// ports or paths may have changed since the files were written). A project
    /// that no longer renders keeps its file.
    pub async fn refresh_all(&self) -> Result<(), EdgeError> {
        let installed = self.layout.installed()?;
        let mut changes = Vec::with_capacity(installed.len());
        for (project, path) in installed {
            match self.change_for(&project).await {
                Ok(change) => {
                    let current = tokio::fs::read_to_string(&path).await.ok();
                    if current != change.1 {
                        changes.push(change);
                    }
                }
                Err(error) => {
                    tracing::warn!(%project, %error, "keeping the published file of a project that does not render")
                }
            }
        }
        if changes.is_empty() {
            return Ok(());
        }
        tracing::info!(count = changes.len(), "re-rendering published projects");
        Ok(self.install(&changes).await?)
    }

    /// Forgets a hostname's certificate (its domain was removed).
    #[tracing::instrument(skip_all, fields(hostname = %hostname))]
    pub async fn forget(&self, hostname: &Hostname) {
        if let Err(error) = super::files::remove_file(&self.layout.certificate(hostname)).await {
            tracing::warn!(%error, "cannot remove a certificate file");
        }
        if let Err(error) = db::edge::forget_certificate(&self.db, hostname).await {
            tracing::warn!(%error, "cannot forget a certificate's status");
        }
    }
}
