//! A project's repository access token: sealed with the variables' [`SecretBox`] and
//! stored beside the project; the worker receives it (opened) with each sync and
//! deployment. Nobody is ever shown it again, only whether one is set; the audit log
//! records that it was set, replaced or cleared, masked.
//!
//! [`SecretBox`]: crate::secrets::SecretBox

use app::error::AppResult;
use app::model::CurrentUser;
use nsm_core::audit::{changed_fields, AuditAction, AuditEvent, AuditKind, MASK};
use nsm_core::project::{RepoToken, RepoTokenStatus};
use nsm_core::ProjectId;

use super::Plane;
use crate::db;
use crate::error::internal;

/// The field the audit log shows for the token, never its value.
const FIELD: &str = "repository token";

fn shown(set: bool, replaced: bool) -> Vec<(&'static str, String)> {
    let value = match (set, replaced) {
        (false, _) => "not set".to_owned(),
        (true, false) => format!("set {MASK}"),
        (true, true) => format!("set {MASK} (new value)"),
    };
    vec![(FIELD, value)]
}

impl Plane {
    /// The sealed token stored for `id` (the project must exist).
    async fn sealed_repo_token(&self, id: &ProjectId) -> AppResult<Option<Vec<u8>>> {
        self.require_project(id).await?;
        Ok(db::projects::sync_state(&self.db, id.as_str()).await.map_err(internal)?.repo_token_enc)
    }

    pub(super) async fn repo_token_status(&self, id: &ProjectId) -> AppResult<RepoTokenStatus> {
        Ok(RepoTokenStatus { repo_token_set: self.sealed_repo_token(id).await?.is_some() })
    }

    /// Sets (`Some`) or clears (`None`) the token; clearing none is a no-op.
    pub(super) async fn store_repo_token(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        token: Option<&RepoToken>,
    ) -> AppResult<()> {
        let before = self.sealed_repo_token(id).await?;
        // Saving the same token again is recorded as such; a stored token that no
        // longer opens (a changed key) counts as replaced.
        let same = match (&before, token) {
            (Some(sealed), Some(token)) => {
                self.secrets.open_sealed(sealed).is_ok_and(|stored| stored == token.expose())
            }
            _ => false,
        };
        if before.is_none() && token.is_none() {
            return Ok(());
        }
        let sealed = token.map(|t| self.secrets.seal(t.expose())).transpose().map_err(internal)?;
        db::projects::set_repo_token(&self.db, id.as_str(), sealed.as_deref()).await.map_err(internal)?;
        let (old, new) =
            changed_fields(&shown(before.is_some(), false), &shown(token.is_some(), before.is_some() && !same));
        let mut event =
            AuditEvent::new(AuditKind::Project, AuditAction::Changed, id.as_str()).project(id).change(old, new);
        if same {
            event = event.detail("repository token saved unchanged");
        }
        self.audit(by, event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_shows_states_never_values() {
        assert_eq!(
            changed_fields(&shown(false, false), &shown(true, false)),
            (Some("repository token: not set".into()), Some(format!("repository token: set {MASK}")))
        );
        assert_eq!(
            changed_fields(&shown(true, false), &shown(true, true)),
            (Some(format!("repository token: set {MASK}")), Some(format!("repository token: set {MASK} (new value)")))
        );
        assert_eq!(
            changed_fields(&shown(true, false), &shown(false, false)),
            (Some(format!("repository token: set {MASK}")), Some("repository token: not set".into()))
        );
    }
}
