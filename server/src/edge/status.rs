//! Where a hostname's certificate stands, as the Domains tab shows it: computed from
//! its stored row and the renewal window, never stored itself.

use chrono::{DateTime, Utc};
use nsm_core::certificate::CertificateStatus;
use nsm_core::domain::Hostname;
use nsm_core::events::LiveEvent;

use super::tls::RENEW_BEFORE;
use crate::db::edge::CertificateRow;

/// The status of a hostname whose stored certificate is `row` (`None`: nothing is
/// recorded, it was never published), at `now`. A placeholder is `SelfSigned`
/// whatever its expiry; a real one is `Expiring` within [`RENEW_BEFORE`] of its end.
pub fn certificate_status(row: Option<&CertificateRow>, now: DateTime<Utc>) -> CertificateStatus {
    let Some(row) = row else {
        return CertificateStatus::None;
    };
    let expiry = row.not_after.as_deref().and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| t.to_utc());
    match expiry {
        _ if row.self_signed => CertificateStatus::SelfSigned,
        Some(at) if at < now => CertificateStatus::Expired,
        Some(at) if at - now < RENEW_BEFORE => CertificateStatus::Expiring,
        Some(_) => CertificateStatus::Valid,
        None => CertificateStatus::None,
    }
}

impl super::Edge {
    /// Tells the browsers where `hostname`'s certificate stands now.
    pub(super) async fn announce_certificate(&self, hostname: &Hostname) {
        let (row, project) = match (
            crate::db::edge::certificate(&self.db, hostname).await,
            crate::db::edge::project_of(&self.db, hostname).await,
        ) {
            (Ok(row), Ok(project)) => (row, project),
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, %hostname, "cannot read a certificate to announce it");
                return;
            }
        };
        self.events.publish(LiveEvent::Certificate {
            project,
            hostname: hostname.to_string(),
            status: certificate_status(row.as_ref(), Utc::now()),
            not_after: row.as_ref().and_then(|r| r.not_after.clone()),
            last_error: row.and_then(|r| r.last_error),
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use chrono::Duration;
    use nsm_core::domain::Hostname;

    use super::*;

    fn row(self_signed: bool, not_after: Option<DateTime<Utc>>) -> CertificateRow {
        CertificateRow {
            hostname: Hostname::parse("shop.example.com").unwrap(),
            self_signed,
            issuer: Some("Pebble".into()),
            not_after: not_after.map(crate::db::timestamp),
            last_error: None,
            last_attempt: None,
        }
    }

    #[test]
    fn status_follows_the_row_and_the_renewal_window() {
        let now = Utc::now();
        assert_eq!(certificate_status(None, now), CertificateStatus::None);
        let cases = [
            (row(true, Some(now - Duration::days(1))), CertificateStatus::SelfSigned),
            (row(true, None), CertificateStatus::SelfSigned),
            (row(false, Some(now - Duration::hours(1))), CertificateStatus::Expired),
            (row(false, Some(now + Duration::days(10))), CertificateStatus::Expiring),
            (row(false, Some(now + Duration::days(60))), CertificateStatus::Valid),
            (row(false, None), CertificateStatus::None),
        ];
        for (row, expected) in cases {
            assert_eq!(certificate_status(Some(&row), now), expected, "{row:?}");
        }
    }
}
