//! HSTS in the files the control plane renders (`nsm_core::edge::policy` says what is
//! sent): which hostnames have a CA-issued certificate, and re-publishing a project
//! when one of its names gets its first, so HSTS starts then rather than at the next
//! deployment.

use std::collections::BTreeSet;

use nsm_core::domain::Hostname;
use nsm_core::ProjectId;

use super::{Edge, EdgeError};
use crate::db;

impl Edge {
    /// `project`'s hostnames whose certificate a CA issued.
    pub(super) async fn issued(&self, project: &ProjectId) -> Result<BTreeSet<Hostname>, EdgeError> {
        Ok(db::edge::issued_hostnames(&self.db, project).await?.into_iter().collect())
    }

    /// Whether `hostname` already has a CA-issued certificate on record.
    pub(super) async fn has_issued(&self, hostname: &Hostname) -> bool {
        match db::edge::certificate(&self.db, hostname).await {
            Ok(row) => row.is_some_and(|r| !r.self_signed && r.not_after.is_some()),
            Err(error) => {
                tracing::warn!(%error, %hostname, "cannot read a certificate's status");
                false
            }
        }
    }

    /// `hostname` just got its first CA-issued certificate: if its domain has HSTS on,
    /// its project's published file is rendered again with it.
    pub(super) async fn first_issued(&self, hostname: &Hostname) {
        let project = match db::edge::project_of(&self.db, hostname).await {
            Ok(Some(project)) => project,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, %hostname, "cannot find the project of a certified hostname");
                return;
            }
        };
        let wants = match db::domains::topology(&self.db, project.as_str()).await {
            Ok(topology) => topology.domains.iter().any(|d| &d.hostname == hostname && d.hsts),
            Err(error) => {
                tracing::warn!(%error, %project, "cannot read a project's domains");
                return;
            }
        };
        if !wants {
            return;
        }
        match self.refresh(&project).await {
            Ok(()) => tracing::info!(%project, %hostname, "re-published with HSTS"),
            Err(error) => tracing::warn!(%error, %project, "cannot re-publish with HSTS; the next deployment will"),
        }
    }
}
