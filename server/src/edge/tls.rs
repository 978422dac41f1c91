//! Certificates for published hostnames: which ones need one, and obtaining one with
//! the serving node — it makes the key and answers the challenge, the control plane
//! orders with its account and hands the chain back. The background renewal is
//! [`super::renewal`]; where a hostname stands, [`super::status`].

use async_trait::async_trait;
use nsm_core::domain::Hostname;
use nsm_core::protocol::{CertificateFact, EdgeAnswer, EdgeCommand};
use nsm_core::WorkerId;

use super::acme::{AcmeError, Challenges};
use super::node::NodeError;
use super::Edge;
use crate::db;

/// Renew when a certificate has less than this left (Let's Encrypt's advice).
pub const RENEW_BEFORE: chrono::Duration = chrono::Duration::days(30);

/// Why a hostname has no (new) certificate. Recorded for the Domains tab as said.
#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("ACME is disabled (--no-acme)")]
    AcmeDisabled,
    #[error(transparent)]
    Acme(#[from] AcmeError),
    #[error("the serving node: {0}")]
    Node(#[from] NodeError),
    #[error("the issued certificate's expiry cannot be read: {0}")]
    Expiry(String),
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

/// The HTTP-01 answers, served by one node's edge.
struct NodeChallenges<'a> {
    edge: &'a Edge,
    worker: &'a WorkerId,
}

#[async_trait]
impl Challenges for NodeChallenges<'_> {
    async fn serve(&self, token: &str, key_authorization: &str) -> Result<(), AcmeError> {
        let command =
            EdgeCommand::ServeChallenge { token: token.to_owned(), key_authorization: key_authorization.to_owned() };
        self.edge.command(self.worker, command).await.map(|_| ()).map_err(|e| AcmeError::Node(e.to_string()))
    }

    async fn drop_answer(&self, token: &str) {
        if let Err(error) = self.edge.command(self.worker, EdgeCommand::DropChallenge { token: token.to_owned() }).await
        {
            tracing::warn!(%error, token, "the node cannot remove a challenge answer");
        }
    }
}

impl Edge {
    pub fn acme_enabled(&self) -> bool {
        self.acme.is_some()
    }

    /// Whether `hostname` should get a (new) certificate now: it has only the
    /// placeholder (or nothing recorded), or less than 30 days left.
    pub async fn needs_certificate(&self, hostname: &Hostname) -> bool {
        if !self.acme_enabled() || acme_refusal(hostname).is_some() {
            return false;
        }
        let row = match db::edge::certificate(&self.db, hostname).await {
            Ok(row) => row,
            Err(error) => {
                tracing::warn!(%error, %hostname, "cannot read a certificate's status");
                return false;
            }
        };
        let Some(row) = row else { return true };
        let expiry = row.not_after.as_deref().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
        row.self_signed || expiry.is_none_or(|at| at.to_utc() - chrono::Utc::now() < RENEW_BEFORE)
    }

    /// Records what a node said of its certificates (one that cannot be is logged).
    pub(super) async fn record_facts(&self, facts: &[CertificateFact]) {
        for fact in facts {
            if let Err(error) = self.record_fact(fact).await {
                tracing::warn!(%error, hostname = %fact.hostname, "cannot record a certificate");
            }
        }
    }

    /// Records what a node's certificate file for a hostname says.
    pub(super) async fn record_fact(&self, fact: &CertificateFact) -> Result<IssuedCertificate, CertificateError> {
        let not_after = chrono::DateTime::parse_from_rfc3339(&fact.not_after)
            .map_err(|e| CertificateError::Expiry(e.to_string()))?
            .to_utc();
        let installed =
            db::edge::InstalledCertificate { self_signed: fact.self_signed, issuer: &fact.issuer, not_after };
        if let Err(error) = db::edge::record_certificate(&self.db, &fact.hostname, &installed).await {
            tracing::warn!(%error, hostname = %fact.hostname, "cannot record a certificate");
        }
        self.announce_certificate(&fact.hostname).await;
        Ok(IssuedCertificate { issuer: fact.issuer.clone(), not_after })
    }

    /// Obtains a certificate for `hostname`, served by `worker`, and has the node serve
    /// it. The outcome is recorded for the Domains tab. The name's first CA-issued
    /// certificate re-publishes its project, with HSTS if its domain has it on.
    #[tracing::instrument(skip_all, fields(hostname = %hostname, worker = %worker))]
    pub async fn obtain(&self, hostname: &Hostname, worker: &WorkerId) -> Result<IssuedCertificate, CertificateError> {
        let Some(acme) = &self.acme else {
            return Err(CertificateError::AcmeDisabled);
        };
        let acme = acme.read().await.clone();
        let one = self.cert_lock.lock().await;
        let first = !self.has_issued(hostname).await;
        let outcome = self.order(&acme, hostname, worker).await;
        let failure = outcome.as_ref().err().map(ToString::to_string);
        if let Err(error) = db::edge::record_attempt(&self.db, hostname, failure.as_deref()).await {
            tracing::warn!(%error, "cannot record a certificate attempt");
        }
        self.announce_certificate(hostname).await;
        match &outcome {
            Ok(issued) => tracing::info!(directory = acme.directory(), "certificate {issued}"),
            Err(error) => tracing::warn!(%error, "no certificate"),
        }
        drop(one);
        if first && outcome.is_ok() {
            self.first_issued(hostname).await;
        }
        outcome
    }

    async fn order(
        &self,
        acme: &super::acme::AcmeClient,
        hostname: &Hostname,
        worker: &WorkerId,
    ) -> Result<IssuedCertificate, CertificateError> {
        let csr = match self.command(worker, EdgeCommand::NewKey { hostname: hostname.clone() }).await? {
            EdgeAnswer::Csr { der } => der,
            _ => return Err(NodeError::Unexpected(worker.clone()).into()),
        };
        let chain = acme.obtain(hostname, &csr, &NodeChallenges { edge: self, worker }).await?;
        let install = EdgeCommand::InstallCertificate { hostname: hostname.clone(), chain };
        match self.command(worker, install).await? {
            EdgeAnswer::Installed(fact) => self.record_fact(&fact).await,
            _ => Err(NodeError::Unexpected(worker.clone()).into()),
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
