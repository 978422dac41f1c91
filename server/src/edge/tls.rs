//! Certificates over time: which hostnames need one, obtaining it, installing it,
//! and the background task that renews them 30 days before they expire.

use std::time::Duration;

use nsm_core::domain::Hostname;
use tokio::sync::watch;

use super::{certs, probe, Edge};
use crate::db;
use crate::settings::EdgeMode;

/// Renew when a certificate has less than this left (Let's Encrypt's advice).
pub const RENEW_BEFORE: chrono::Duration = chrono::Duration::days(30);
/// After a failed attempt, wait this long before the renewal task tries again (a
/// deploy always tries at once).
const RETRY_AFTER: chrono::Duration = chrono::Duration::hours(1);
/// The first check after start-up waits a little, so start-up stays quick.
const FIRST_CHECK: Duration = Duration::from_secs(60);

/// Why a hostname gets no ACME certificate, if it cannot have one.
pub fn acme_refusal(hostname: &Hostname) -> Option<&'static str> {
    if hostname.is_wildcard() {
        Some("wildcard names cannot be validated over HTTP-01")
    } else if !hostname.as_str().contains('.') {
        Some("no public CA issues certificates for single-label names")
    } else {
        None
    }
}

impl Edge {
    pub fn acme_enabled(&self) -> bool {
        self.is_on() && self.acme.is_some()
    }

    /// Whether `hostname` should get a (new) certificate now: it has only the
    /// placeholder, or less than 30 days left.
    pub fn needs_certificate(&self, hostname: &Hostname) -> bool {
        if !self.acme_enabled() || acme_refusal(hostname).is_some() {
            return false;
        }
        match certs::read_info(&self.layout.certificate(hostname)) {
            Ok(info) => info.self_signed || info.not_after - chrono::Utc::now() < RENEW_BEFORE,
            Err(_) => true,
        }
    }

    /// Records what the certificate file of `hostname` says.
    pub(super) async fn record_file_certificate(&self, hostname: &Hostname) {
        if let Ok(info) = certs::read_info(&self.layout.certificate(hostname)) {
            let not_after = db::timestamp(info.not_after);
            if let Err(error) =
                db::edge::record_certificate(&self.db, hostname.as_str(), info.self_signed, &info.issuer, &not_after)
                    .await
            {
                tracing::warn!(%error, %hostname, "cannot record a certificate");
            }
        }
    }

    /// Obtains a certificate for `hostname` and makes nginx serve it. The outcome is
    /// recorded for the Domains tab; `Ok` says who issued it and until when.
    pub async fn obtain(&self, hostname: &Hostname) -> Result<String, String> {
        let Some(acme) = &self.acme else {
            return Err("ACME is disabled (--no-acme)".into());
        };
        let _one = self.cert_lock.lock().await;
        let issued = acme.obtain(hostname).await.map_err(|e| e.to_string());
        let outcome = match issued {
            Ok(issued) => self.install_certificate(hostname, &issued.pem).await.map(|()| {
                format!("issued by {}, valid until {}", issued.info.issuer, db::timestamp(issued.info.not_after))
            }),
            Err(e) => Err(e),
        };
        if let Err(error) =
            db::edge::record_attempt(&self.db, hostname.as_str(), outcome.as_ref().err().map(String::as_str)).await
        {
            tracing::warn!(%error, %hostname, "cannot record a certificate attempt");
        }
        match &outcome {
            Ok(summary) => tracing::info!(%hostname, directory = acme.directory(), "certificate {summary}"),
            Err(error) => tracing::warn!(%hostname, %error, "no certificate"),
        }
        outcome
    }

    /// Swaps the certificate file and makes sure nginx serves it, putting the old file
    /// back otherwise. The managed nginx reads the file at the next handshake, so it
    /// needs no reload; a host's nginx loads it when reloaded.
    async fn install_certificate(&self, hostname: &Hostname, pem: &str) -> Result<(), String> {
        let leaf = certs::leaf_der(pem.as_bytes()).map_err(|e| e.to_string())?;
        let path = self.layout.certificate(hostname);
        let _config = self.config_lock.lock().await;
        let previous = tokio::fs::read(&path).await.ok();
        certs::write_certificate(&path, pem.as_bytes(), self.cert_reader).map_err(|e| e.to_string())?;
        if let Err(error) = self.serve_certificate(hostname, &leaf).await {
            if let Some(previous) = previous {
                if let Err(e) = certs::write_certificate(&path, &previous, self.cert_reader) {
                    tracing::error!(%hostname, error = %e, "cannot put the previous certificate back");
                }
            }
            if self.mode == EdgeMode::System {
                if let Err(again) = self.apply().await {
                    tracing::error!(%hostname, error = %again, "nginx did not take the previous certificate back");
                }
            }
            return Err(format!("nginx does not serve the new certificate: {error}"));
        }
        drop(_config);
        self.record_file_certificate(hostname).await;
        Ok(())
    }

    /// Reloads a host's nginx if needed, then asks for `hostname` over TLS: since the
    /// managed nginx reads certificates at handshake, `nginx -t` cannot tell whether
    /// one loads, and a handshake is what counts anyway.
    async fn serve_certificate(&self, hostname: &Hostname, leaf: &[u8]) -> Result<(), String> {
        if self.mode == EdgeMode::System {
            self.apply().await?;
        }
        let served = probe::served_leaf(self.listen.https, hostname.as_str()).await?;
        if served == leaf {
            Ok(())
        } else {
            Err("the handshake still shows another certificate".into())
        }
    }

    /// One pass of the renewal task: every published hostname that needs a
    /// certificate and has not failed within the hour gets one. Returns how many
    /// were obtained.
    pub async fn renew_due(&self) -> usize {
        let installed = self.layout.installed().unwrap_or_default();
        let mut obtained = 0;
        for (project, _) in installed {
            let hostnames = db::edge::hostnames(&self.db, project.as_str()).await.unwrap_or_default();
            for hostname in hostnames {
                if !self.needs_certificate(&hostname) || self.failed_recently(&hostname).await {
                    continue;
                }
                if self.obtain(&hostname).await.is_ok() {
                    obtained += 1;
                }
            }
        }
        obtained
    }

    async fn failed_recently(&self, hostname: &Hostname) -> bool {
        let Ok(Some(row)) = db::edge::certificate(&self.db, hostname.as_str()).await else {
            return false;
        };
        let last = row.last_attempt.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        row.last_error.is_some()
            && last.is_some_and(|t| chrono::Utc::now() - t.with_timezone(&chrono::Utc) < RETRY_AFTER)
    }

    pub(super) async fn start_renewal(self: &std::sync::Arc<Self>) {
        if !self.acme_enabled() {
            return;
        }
        let (stop, mut stopped) = watch::channel(false);
        let weak = std::sync::Arc::downgrade(self);
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn wildcards_and_single_labels_get_no_acme_certificate() {
        assert!(acme_refusal(&Hostname::parse("*.example.com").unwrap()).is_some());
        assert!(acme_refusal(&Hostname::parse("intranet").unwrap()).is_some());
        assert!(acme_refusal(&Hostname::parse("shop.example.com").unwrap()).is_none());
    }
}
