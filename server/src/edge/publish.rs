//! From the database to a project's nginx file: its topology, the ports leased on
//! its worker, the Static Pages' directories, a certificate per hostname.
//!
//! Only the embedded worker's ports and files are on this machine. A project on a
//! remote worker is published with its Redirect Links and Custom resources; its API
//! Services and Static Pages answer 503, since this nginx can neither read that
//! machine's files nor know an address for its ports.

use nsm_core::domain::{Hostname, ResourceKind};
use nsm_core::edge::{render_nginx, CertificatePaths, NginxInput, ServerCertificates, DEFAULT_UPSTREAM_HOST};
use nsm_core::variables::resource_key;
use nsm_core::{ProjectId, WorkerId};

use super::{certs, Change, Edge};
use crate::db;
use crate::settings::EdgeMode;

/// A rendered project file, and what it publishes.
pub struct Rendered {
    pub text: String,
    pub hostnames: Vec<Hostname>,
    /// Set when the project runs on a remote worker (see the module's note).
    pub remote_worker: bool,
}

impl Edge {
    /// What the Domains tab previews: the input as a deploy would render it now,
    /// without writing anything.
    pub async fn preview_input(&self, project: &ProjectId, worker: &str) -> Result<NginxInput, String> {
        self.input(project, worker, false).await
    }

    /// The input for `project` on `worker`, placeholders written where a hostname
    /// has no certificate yet.
    pub async fn input_for(&self, project: &ProjectId, worker: &str) -> Result<NginxInput, String> {
        self.input(project, worker, true).await
    }

    async fn input(&self, project: &ProjectId, worker: &str, write: bool) -> Result<NginxInput, String> {
        let topology = db::domains::topology(&self.db, project.as_str()).await.map_err(|e| e.to_string())?;
        let local = worker == WorkerId::local().as_str();
        let mut input = NginxInput::new(project.clone(), topology, self.layout.webroot.display().to_string());
        input.listen = self.listen;
        input.upstream_host = DEFAULT_UPSTREAM_HOST.to_owned();
        if local {
            let leases = db::domains::leases_on(&self.db, worker).await.map_err(|e| e.to_string())?;
            let www = self.data_dir.join("worker").join("projects").join(project.as_str()).join("www");
            for resource in &input.topology.resources {
                match resource.config.kind {
                    ResourceKind::Api { .. } => {
                        if let Some((_, port)) = leases.iter().find(|(id, _)| *id == resource.id) {
                            input.ports.insert(resource.id, *port);
                        }
                    }
                    ResourceKind::Static { .. } => {
                        let dir = www.join(resource_key(resource.id));
                        input.directories.insert(resource.id, dir.display().to_string());
                    }
                    _ => {}
                }
            }
        }
        if write {
            for domain in &input.topology.domains {
                let written = self.ensure_placeholder(&domain.hostname).map_err(|e| e.to_string())?;
                if written || db::edge::certificate(&self.db, domain.hostname.as_str()).await.ok().flatten().is_none() {
                    self.record_file_certificate(&domain.hostname).await;
                }
            }
        }
        input.certificates = self.server_certificates(input.topology.domains.iter().map(|d| &d.hostname));
        Ok(input)
    }

    /// How the project servers get their certificates: the managed nginx's default
    /// server loads them at handshake; a host's nginx, whose default server is not
    /// ours, gets each file named in its server.
    pub fn server_certificates<'h>(&self, hostnames: impl Iterator<Item = &'h Hostname>) -> ServerCertificates {
        if self.mode == EdgeMode::Managed {
            return ServerCertificates::AtHandshake;
        }
        let files = hostnames.map(|hostname| {
            let path = self.layout.certificate(hostname).display().to_string();
            (hostname.clone(), CertificatePaths { certificate: path.clone(), key: path })
        });
        ServerCertificates::Files(files.collect())
    }

    /// Writes `hostname`'s self-signed placeholder unless it has a certificate file;
    /// `true` when it wrote one.
    pub fn ensure_placeholder(&self, hostname: &Hostname) -> Result<bool, certs::CertError> {
        certs::ensure_placeholder(&self.layout.certificate(hostname), hostname.as_str(), self.cert_reader)
    }

    /// Renders `project`'s file as it would be published now.
    pub async fn render(&self, project: &ProjectId, worker: &str) -> Result<Rendered, String> {
        let input = self.input_for(project, worker).await?;
        let text = render_nginx(&input).map_err(|e| e.to_string())?;
        let hostnames = input.topology.domains.iter().map(|d| d.hostname.clone()).collect();
        Ok(Rendered { text, hostnames, remote_worker: worker != WorkerId::local().as_str() })
    }

    /// Renders and installs `project`'s file now (what a successful deployment does,
    /// without the certificates); a project without domains is unpublished.
    pub async fn publish(&self, project: &ProjectId, worker: &str) -> Result<Vec<Hostname>, String> {
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
    pub async fn unpublish(&self, project: &ProjectId) -> Result<(), String> {
        if !self.is_published(project) {
            return Ok(());
        }
        self.install(&[(project.clone(), None)]).await?;
        tracing::info!(%project, "project no longer published");
        Ok(())
    }

    /// Re-renders a published project from what is saved now (a domain was removed).
    pub async fn refresh(&self, project: &ProjectId) -> Result<(), String> {
        if !self.is_published(project) {
            return Ok(());
        }
        let change = self.change_for(project).await?;
        self.install(&[change]).await
    }

    async fn change_for(&self, project: &ProjectId) -> Result<Change, String> {
        let row = db::projects::get(&self.db, project).await.map_err(|e| e.to_string())?;
        let Some(row) = row else {
            return Ok((project.clone(), None));
        };
        let rendered = self.render(project, row.config.worker.as_str()).await?;
        let text = (!rendered.hostnames.is_empty()).then_some(rendered.text);
        Ok((project.clone(), text))
    }

    /// Re-renders every published project in one transaction (at start-up: the
    /// ports or paths may have changed since the files were written). A project
    /// that no longer renders keeps its file.
    pub async fn refresh_all(&self) -> Result<(), String> {
        let installed = self.layout.installed().map_err(|e| e.to_string())?;
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
        self.install(&changes).await
    }

    /// Forgets a hostname's certificate (its domain was removed).
    pub async fn forget(&self, hostname: &Hostname) {
        let _ = tokio::fs::remove_file(self.layout.certificate(hostname)).await;
        if let Err(error) = db::edge::forget_certificate(&self.db, hostname.as_str()).await {
            tracing::warn!(%error, %hostname, "cannot forget a certificate's status");
        }
    }
}
