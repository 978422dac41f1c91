//! Certificates for published hostnames: which ones need one, obtaining it over
//! ACME, and installing it so nginx serves it. The background renewal is
//! [`super::renewal`]; where a hostname stands, [`super::status`].

use nsm_core::domain::Hostname;

use super::acme::AcmeError;
use super::certs::{self, CertError};
use super::install::InstallError;
use super::probe::{self, ProbeError};
use super::Edge;
use crate::db;
use crate::settings::EdgeMode;

/// Renew when a certificate has less than this left (Let's Encrypt's advice).
pub const RENEW_BEFORE: chrono::Duration = chrono::Duration::days(30);

/// Why a hostname has no (new) certificate. Recorded for the Domains tab as said.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("ACME is disabled (--no-acme)")]
    AcmeDisabled,
    #[error(transparent)]
    Acme(#[from] AcmeError),
    #[error(transparent)]
    File(#[from] CertError),
    #[error("nginx does not serve the new certificate: {0}")]
    NotServed(#[source] ServeError),
}

/// Why nginx does not serve a certificate just written.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Reload(#[from] InstallError),
    #[error(transparent)]
    Probe(#[from] ProbeError),
    #[error("the handshake still shows another certificate")]
    Other,
}

/// A certificate obtained and served; says who issued it and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    pub issuer: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

impl std::fmt::Display for IssuedCertificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "issued by {}, valid until {}", self.issuer, db::timestamp(self.not_after))
    }
}

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
        let info = match certs::read_info(&self.layout.certificate(hostname)) {
            Ok(info) => info,
            Err(error) => {
                tracing::debug!(%error, %hostname, "no certificate file to record");
                return;
            }
        };
        let installed = db::edge::InstalledCertificate {
            self_signed: info.self_signed,
            issuer: &info.issuer,
            not_after: info.not_after,
        };
        if let Err(error) = db::edge::record_certificate(&self.db, hostname, &installed).await {
            tracing::warn!(%error, %hostname, "cannot record a certificate");
        }
    }

    /// Obtains a certificate for `hostname` and makes nginx serve it. The outcome is
    /// recorded for the Domains tab.
    #[tracing::instrument(skip_all, fields(hostname = %hostname))]
    pub async fn obtain(&self, hostname: &Hostname) -> Result<IssuedCertificate, CertificateError> {
        let Some(acme) = &self.acme else {
            return Err(CertificateError::AcmeDisabled);
        };
        let _one = self.cert_lock.lock().await;
        let outcome = match acme.obtain(hostname).await {
            Ok(issued) => self
                .install_certificate(hostname, &issued.pem)
                .await
                .map(|()| IssuedCertificate { issuer: issued.info.issuer, not_after: issued.info.not_after }),
            Err(e) => Err(e.into()),
        };
        let failure = outcome.as_ref().err().map(ToString::to_string);
        if let Err(error) = db::edge::record_attempt(&self.db, hostname, failure.as_deref()).await {
            tracing::warn!(%error, "cannot record a certificate attempt");
        }
        match &outcome {
            Ok(issued) => tracing::info!(directory = acme.directory(), "certificate {issued}"),
            Err(error) => tracing::warn!(%error, "no certificate"),
        }
        outcome
    }

    /// Swaps the certificate file and makes sure nginx serves it, putting the old file
    /// back otherwise. The managed nginx reads the file at the next handshake, so it
    /// needs no reload; a host's nginx loads it when reloaded.
    async fn install_certificate(&self, hostname: &Hostname, pem: &str) -> Result<(), CertificateError> {
        let leaf = certs::leaf_der(pem.as_bytes())?;
        let path = self.layout.certificate(hostname);
        let config = self.config_lock.lock().await;
        let previous = match tokio::fs::read(&path).await {
            Ok(previous) => Some(previous),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(error) => {
                tracing::warn!(%error, "cannot keep the previous certificate to put back");
                None
            }
        };
        certs::write_certificate(&path, pem.as_bytes(), self.cert_reader)?;
        if let Err(error) = self.serve_certificate(hostname, &leaf).await {
            if let Some(previous) = previous {
                if let Err(e) = certs::write_certificate(&path, &previous, self.cert_reader) {
                    tracing::error!(error = %e, "cannot put the previous certificate back");
                }
            }
            if self.mode == EdgeMode::System {
                if let Err(again) = self.apply().await {
                    tracing::error!(error = %again, "nginx did not take the previous certificate back");
                }
            }
            return Err(CertificateError::NotServed(error));
        }
        drop(config);
        self.record_file_certificate(hostname).await;
        Ok(())
    }

    /// Reloads a host's nginx if needed, then asks for `hostname` over TLS: since the
    /// managed nginx reads certificates at handshake, `nginx -t` cannot tell whether
    /// one loads, and a handshake is what counts anyway.
    async fn serve_certificate(&self, hostname: &Hostname, leaf: &[u8]) -> Result<(), ServeError> {
        if self.mode == EdgeMode::System {
            self.apply().await?;
        }
        let served = probe::served_leaf(self.listen.https, hostname.as_str()).await?;
        if served == leaf {
            Ok(())
        } else {
            Err(ServeError::Other)
        }
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

    #[test]
    fn an_issued_certificate_says_who_and_until_when() {
        let not_after = chrono::DateTime::parse_from_rfc3339("2027-03-01T12:00:00Z").unwrap().to_utc();
        let issued = IssuedCertificate { issuer: "Pebble Intermediate CA".into(), not_after };
        assert_eq!(issued.to_string(), "issued by Pebble Intermediate CA, valid until 2027-03-01T12:00:00Z");
    }
}
