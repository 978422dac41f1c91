//! The control plane's part of the edge (design §6). Every node runs and publishes
//! its own projects (the worker's `edge` module: nginx, `nginx -t`, install, verify,
//! keys); here the control plane
//!
//! * renders each project's file for its node with the shared crate ([`render`]),
//!   from the domains, resources and leases it stores and what the node said of its
//!   edge in its hello, and hands it over in the deployment ([`publisher`]);
//! * asks nodes to unpublish, re-publish or forget ([`publish`], through [`node`]),
//!   and tells the nodes that front others which names to pass through ([`front`]);
//! * runs the ACME orders with its account ([`acme`]), finalized with the CSR of the
//!   node that holds the key ([`tls`]), and renews 30 days before expiry
//!   ([`renewal`]); [`status`] says where a hostname's certificate stands; a name's
//!   first CA-issued certificate re-publishes its project with HSTS ([`hsts`]).
//!
//! The edge is a service: it uses the shared crate, storage (`crate::db`), the
//! settings and the role traits (`crate::roles`), never the deployer, the hub or HTTP.

mod acme;
mod error;
mod front;
mod hsts;
mod node;
mod publish;
mod publisher;
mod render;
mod renewal;
mod status;
pub mod tls;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nsm_core::settings::{AcmeDirectory, ContactEmail};
use tokio::sync::{watch, Mutex, RwLock};
use tokio::task::JoinHandle;

pub use acme::AcmeError;
pub use error::EdgeError;
pub use node::NodeError;
pub use status::certificate_status;
pub use tls::{acme_refusal, CertificateError, IssuedCertificate, RENEW_BEFORE};

use crate::db::Db;
use crate::events::Events;
use crate::roles::WorkerLinks;
use crate::settings::Settings;

pub struct Edge {
    db: Db,
    /// Certificate changes, for the browsers.
    events: Arc<Events>,
    nodes: Arc<dyn WorkerLinks>,
    /// One ACME order at a time, so a deploy and the renewal task never race.
    cert_lock: Mutex<()>,
    /// `None` with `--no-acme`; replaced when the Settings page changes the directory
    /// or the contact address ([`Edge::configure_acme`]).
    acme: Option<RwLock<Arc<acme::AcmeClient>>>,
    acme_root_ca: Option<PathBuf>,
    data_dir: PathBuf,
    acme_check: Duration,
    renewal: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl Edge {
    /// The edge as configured; the renewal task starts with [`Edge::start`]. Until
    /// [`Edge::configure_acme`] says otherwise, orders go to the flag's directory (or
    /// Let's Encrypt's).
    pub fn new(settings: &Settings, db: Db, nodes: Arc<dyn WorkerLinks>, events: Arc<Events>) -> Arc<Self> {
        let edge = &settings.edge;
        let directory = edge.acme_directory.clone().unwrap_or_else(AcmeDirectory::lets_encrypt);
        let acme = (!edge.no_acme).then(|| {
            RwLock::new(Arc::new(acme::AcmeClient::new(
                directory.to_string(),
                edge.acme_email.as_ref().map(ToString::to_string),
                edge.acme_root_ca.clone(),
                account_file(&settings.data_dir, directory.as_str()),
                false,
            )))
        });
        Arc::new(Self {
            db,
            events,
            nodes,
            cert_lock: Mutex::new(()),
            acme,
            acme_root_ca: edge.acme_root_ca.clone(),
            data_dir: settings.data_dir.clone(),
            acme_check: Duration::from_secs(edge.acme_check_secs.max(1)),
            renewal: Mutex::new(None),
        })
    }

    /// Orders from now on go to `directory` with `email` as the account's contact. The
    /// account is per directory (kept in a file); a new address for the same directory
    /// is sent to the ACME server with the next order.
    pub async fn configure_acme(&self, directory: &AcmeDirectory, email: Option<&ContactEmail>) {
        let Some(acme) = &self.acme else { return };
        let mut current = acme.write().await;
        let email = email.map(ToString::to_string);
        if current.directory() == directory.as_str() && current.email() == email.as_deref() {
            return;
        }
        let same_directory = current.directory() == directory.as_str();
        tracing::info!(%directory, "ACME directory in force");
        *current = Arc::new(acme::AcmeClient::new(
            directory.to_string(),
            email,
            self.acme_root_ca.clone(),
            account_file(&self.data_dir, directory.as_str()),
            same_directory,
        ));
    }

    /// The ACME directory orders go to (`None` with `--no-acme`).
    pub async fn acme_directory(&self) -> Option<String> {
        Some(self.acme.as_ref()?.read().await.directory().to_owned())
    }

    /// Starts the renewal task.
    pub async fn start(self: &Arc<Self>) {
        self.start_renewal().await;
    }

    /// Stops the renewal task.
    pub async fn stop(&self) {
        if let Some((stop, task)) = self.renewal.lock().await.take() {
            // The task may have ended already (its edge is gone): nothing to tell it.
            if stop.send(true).is_err() {
                tracing::debug!("the renewal task had already ended");
            }
            if let Err(error) = task.await {
                tracing::error!(%error, "the renewal task failed");
            }
        }
    }
}

/// The ACME account's credentials, one file per directory URL, under
/// `<data dir>/edge/acme-accounts/` (where they always were).
fn account_file(data_dir: &std::path::Path, directory_url: &str) -> PathBuf {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(directory_url.as_bytes());
    let data_dir = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    data_dir.join("edge").join("acme-accounts").join(format!("{}.json", &hex::encode(digest)[..16]))
}
