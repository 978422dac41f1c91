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

use super::{certs, Edge, EdgeError};
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
    pub async fn preview_input(&self, project: &ProjectId, worker: &WorkerId) -> Result<NginxInput, EdgeError> {
        self.input(project, worker, false).await
    }

    /// The input for `project` on `worker`, placeholders written where a hostname
    /// has no certificate yet.
    pub async fn input_for(&self, project: &ProjectId, worker: &WorkerId) -> Result<NginxInput, EdgeError> {
        self.input(project, worker, true).await
    }

    async fn input(&self, project: &ProjectId, worker: &WorkerId, write: bool) -> Result<NginxInput, EdgeError> {
        let topology = db::domains::topology(&self.db, project.as_str()).await?;
        let mut input = NginxInput::new(project.clone(), topology, self.layout.webroot.display().to_string());
        input.listen = self.listen;
        input.upstream_host = DEFAULT_UPSTREAM_HOST.to_owned();
        if *worker == WorkerId::local() {
            let leases = db::domains::leases_on(&self.db, worker.as_str()).await?;
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
                let written = self.ensure_placeholder(&domain.hostname)?;
                if written || !self.has_certificate_record(&domain.hostname).await {
                    self.record_file_certificate(&domain.hostname).await;
                }
            }
        }
        input.certificates = self.server_certificates(input.topology.domains.iter().map(|d| &d.hostname));
        Ok(input)
    }

    /// Whether the Domains tab has a certificate row for `hostname` (a store failure
    /// is logged and counts as none: the row is written again).
    async fn has_certificate_record(&self, hostname: &Hostname) -> bool {
        match db::edge::certificate(&self.db, hostname).await {
            Ok(row) => row.is_some(),
            Err(error) => {
                tracing::warn!(%error, %hostname, "cannot read a certificate's status");
                false
            }
        }
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
    pub async fn render(&self, project: &ProjectId, worker: &WorkerId) -> Result<Rendered, EdgeError> {
        let input = self.input_for(project, worker).await?;
        let text = render_nginx(&input)?;
        let hostnames = input.topology.domains.iter().map(|d| d.hostname.clone()).collect();
        Ok(Rendered { text, hostnames, remote_worker: *worker != WorkerId::local() })
    }
}
