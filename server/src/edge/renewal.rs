//! The background task that renews certificates 30 days before they expire, and
//! obtains the first real one for hostnames that still have their placeholder, each
//! through the node that serves it (while it is online).

use std::sync::Arc;
use std::time::Duration;

use nsm_core::domain::Hostname;
use tokio::sync::watch;

use super::Edge;
use crate::db;

/// After a failed attempt, wait this long before the renewal task tries again (a
/// deploy always tries at once).
const RETRY_AFTER: chrono::Duration = chrono::Duration::hours(1);
/// The first check after start-up waits a little, so start-up stays quick.
const FIRST_CHECK: Duration = Duration::from_secs(60);

impl Edge {
    /// One pass of the renewal task: every published hostname that needs a
    /// certificate and has not failed within the hour gets one. Returns how many
    /// were obtained.
    #[tracing::instrument(skip_all)]
    pub async fn renew_due(&self) -> usize {
        let published = match db::sites::published(&self.db).await {
            Ok(published) => published,
            Err(error) => {
                tracing::error!(%error, "cannot list the published projects");
                return 0;
            }
        };
        let mut obtained = 0;
        for (project, worker) in published {
            if !self.nodes.is_online(worker.as_str()) {
                continue;
            }
            let hostnames = match db::edge::hostnames(&self.db, &project).await {
                Ok(hostnames) => hostnames,
                Err(error) => {
                    tracing::error!(%error, %project, "cannot read a project's hostnames");
                    continue;
                }
            };
            for hostname in hostnames {
                if !self.needs_certificate(&hostname).await || self.failed_recently(&hostname).await {
                    continue;
                }
                if self.obtain(&hostname, &worker).await.is_ok() {
                    obtained += 1;
                }
            }
        }
        obtained
    }

    async fn failed_recently(&self, hostname: &Hostname) -> bool {
        let row = match db::edge::certificate(&self.db, hostname).await {
            Ok(Some(row)) => row,
            Ok(None) => return false,
            Err(error) => {
                tracing::warn!(%error, %hostname, "cannot read a certificate's last attempt");
                return false;
            }
        };
        let last = row.last_attempt.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        row.last_error.is_some()
            && last.is_some_and(|t| chrono::Utc::now() - t.with_timezone(&chrono::Utc) < RETRY_AFTER)
    }

    pub(super) async fn start_renewal(self: &Arc<Self>) {
        if !self.acme_enabled() {
            return;
        }
        let (stop, mut stopped) = watch::channel(false);
        let weak = Arc::downgrade(self);
        let every = self.acme_check;
        let task = tokio::spawn(async move {
            let mut wait = FIRST_CHECK.min(every);
            loop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    _ = stopped.changed() => return,
                }
                let Some(edge) = weak.upgrade() else { return };
                tokio::select! {
                    obtained = edge.renew_due() => {
                        if obtained > 0 {
                            tracing::info!(obtained, "certificates obtained or renewed");
                        }
                    }
                    // An order in flight is abandoned; the next start tries again.
                    _ = stopped.changed() => return,
                }
                wait = every;
            }
        });
        *self.renewal.lock().await = Some((stop, task));
    }
}
