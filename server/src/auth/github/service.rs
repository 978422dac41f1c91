//! The control plane's side of a GitHub sign-in: its settings, and the local user a
//! GitHub account signs in as (created at its first sign-in, its role kept in line
//! with the rules).

use std::sync::atomic::Ordering;

use app::model::ClientAddr;
use nsm_core::access::Role;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};

use super::config::{self, ConfigError, GithubConfig};
use super::{internal, GithubUser, Refusal, SignedIn};
use crate::control_plane::Plane;
use crate::db;
use crate::db::users::UserChangeError;

impl Plane {
    /// GitHub sign-in's settings in force (flags over stored ones); `None`: off.
    pub async fn github_config(&self) -> Result<Option<GithubConfig>, ConfigError> {
        let stored = config::load_stored(&self.db).await?;
        self.settings.github.resolve(&stored, &self.secrets)
    }

    /// `user`, allowed as `role`, signs in: found by GitHub id or created, then given
    /// a session like a password sign-in.
    pub(super) async fn github_user_signs_in(
        &self,
        user: &GithubUser,
        role: Role,
        orgs: &[String],
        client: ClientAddr,
    ) -> Result<SignedIn, Refusal> {
        let record = |user_id: i64, event: AuditEvent| async move {
            db::audit::record(&self.db, Some(user_id), &event).await.map_err(internal)
        };
        let (id, username) = match db::github::linked_user(&self.db, user.id).await.map_err(internal)? {
            Some(local) if local.disabled => {
                return Err(Refusal::Disabled { login: user.login.clone(), username: local.username })
            }
            Some(local) => {
                if local.role != role {
                    let event = AuditEvent::new(AuditKind::Role, AuditAction::Changed, &local.username)
                        .change(Some(local.role.to_string()), Some(role.to_string()));
                    match db::users::set_role(&self.db, local.id, role).await {
                        Ok(()) => record(local.id, event.detail("by the GitHub sign-in rules")).await?,
                        Err(UserChangeError::LastAdmin) => {
                            tracing::warn!(username = %local.username, %role, "the GitHub rules would demote the last admin; kept admin");
                        }
                        Err(error) => return Err(internal(error)),
                    }
                }
                (local.id, local.username)
            }
            None => {
                if nsm_core::account::check_username(&user.login).is_err() {
                    return Err(Refusal::BadName { login: user.login.clone() });
                }
                let created = db::github::create_user(&self.db, &user.login, role, user.id, &user.login)
                    .await
                    .map_err(internal)?;
                let Some(id) = created else {
                    return Err(Refusal::NameTaken { login: user.login.clone() });
                };
                self.has_users.store(true, Ordering::Relaxed);
                let event = AuditEvent::new(AuditKind::User, AuditAction::Created, &user.login)
                    .change(None, Some(format!("role {role}")))
                    .detail(format!("first GitHub sign-in of @{} (id {})", user.login, user.id));
                record(id, event).await?;
                tracing::info!(username = %user.login, %role, "user created by GitHub sign-in");
                (id, user.login.clone())
            }
        };
        db::github::signed_in(&self.db, user.id, &user.login).await.map_err(internal)?;
        let via = if orgs.is_empty() { String::new() } else { format!(", member of {}", orgs.join(", ")) };
        let event = AuditEvent::new(AuditKind::SignIn, AuditAction::Succeeded, &username)
            .detail(format!("with GitHub as @{}{via}, from {}", user.login, client.0));
        record(id, event).await?;
        tracing::info!(%username, github = %user.login, "signed in with GitHub");
        let session = self.new_session(id, client).await.map_err(internal)?;
        Ok(SignedIn { session, username })
    }
}
