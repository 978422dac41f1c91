//! The team: users (admin), and each user's password, sessions and API tokens.

use app::backend::Team;
use app::error::{AppError, AppResult};
use app::model::CurrentUser;
use async_trait::async_trait;
use nsm_core::access::Role;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::team::{OneTimeSecret, SessionView, TokenRequest, TokenView, UserView};

use super::Plane;
use crate::auth::{password, token, tokens};
use crate::db;
use crate::db::users::UserChangeError;
use crate::error::{field, internal};

fn change_error(error: UserChangeError) -> AppError {
    match error {
        UserChangeError::NotFound => AppError::NotFound("User".into()),
        UserChangeError::LastAdmin => {
            AppError::Conflict("This is the last enabled administrator; make another user admin first".into())
        }
        UserChangeError::Db(e) => internal(e),
    }
}

fn user_event(action: AuditAction, username: &str) -> AuditEvent {
    AuditEvent::new(AuditKind::User, action, username)
}

impl Plane {
    pub(crate) async fn hash_password(&self, password: &str) -> AppResult<String> {
        password::hash_off_thread(password).await.map_err(internal)
    }

    async fn username_of(&self, user: i64) -> AppResult<String> {
        let row = db::users::get(&self.db, user).await.map_err(internal)?;
        Ok(row.ok_or_else(|| AppError::NotFound("User".into()))?.username)
    }

    /// A fresh one-time password for `user`, who must change it at next sign-in.
    async fn one_time_password(&self, user: i64, username: &str) -> AppResult<OneTimeSecret> {
        let secret = password::generate();
        let hash = self.hash_password(&secret).await?;
        db::users::set_password(&self.db, user, &hash, true).await.map_err(change_error)?;
        Ok(OneTimeSecret { label: format!("One-time password for {username}"), secret })
    }
}

#[async_trait]
impl Team for Plane {
    async fn list_users(&self) -> AppResult<Vec<UserView>> {
        let rows = db::users::list(&self.db).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|u| UserView {
                id: u.id,
                username: u.username,
                role: u.role,
                disabled: u.disabled,
                created_at: u.created_at,
                sessions: u.sessions,
                last_seen: u.last_seen,
            })
            .collect())
    }

    async fn create_user(&self, by: &CurrentUser, username: &str, role: Role) -> AppResult<OneTimeSecret> {
        let secret = password::generate();
        let hash = self.hash_password(&secret).await?;
        match db::users::insert(&self.db, username, &hash, role, true, false).await {
            Ok(Some(_)) => {}
            Ok(None) => return Err(internal("inserting a user changed no row")),
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(field("username", format!("A user named {username} already exists")));
            }
            Err(e) => return Err(internal(e)),
        }
        self.audit(by, user_event(AuditAction::Created, username).change(None, Some(format!("role {role}")))).await?;
        Ok(OneTimeSecret { label: format!("One-time password for {username}"), secret })
    }

    async fn set_user_role(&self, by: &CurrentUser, user: i64, role: Role) -> AppResult<()> {
        let username = self.username_of(user).await?;
        let before = db::users::get(&self.db, user).await.map_err(internal)?.map(|u| u.role);
        db::users::set_role(&self.db, user, role).await.map_err(change_error)?;
        let event = AuditEvent::new(AuditKind::Role, AuditAction::Changed, username)
            .change(before.map(|r| r.to_string()), Some(role.to_string()));
        self.audit(by, event).await
    }

    async fn set_user_disabled(&self, by: &CurrentUser, user: i64, disabled: bool) -> AppResult<()> {
        let username = self.username_of(user).await?;
        db::users::set_disabled(&self.db, user, disabled).await.map_err(change_error)?;
        if disabled {
            db::sessions::delete_for_user(&self.db, user).await.map_err(internal)?;
        }
        let action = if disabled { AuditAction::Disabled } else { AuditAction::Enabled };
        self.audit(by, user_event(action, &username)).await
    }

    async fn reset_user_password(&self, by: &CurrentUser, user: i64) -> AppResult<OneTimeSecret> {
        let username = self.username_of(user).await?;
        let secret = self.one_time_password(user, &username).await?;
        db::sessions::delete_for_user(&self.db, user).await.map_err(internal)?;
        self.audit(by, user_event(AuditAction::PasswordReset, &username)).await?;
        Ok(secret)
    }

    async fn sign_out_user(&self, by: &CurrentUser, user: i64) -> AppResult<u64> {
        let username = self.username_of(user).await?;
        let ended = db::sessions::delete_for_user(&self.db, user).await.map_err(internal)?;
        self.audit(by, user_event(AuditAction::SignedOut, &username).detail(format!("{ended} sessions"))).await?;
        Ok(ended)
    }

    async fn change_password(
        &self,
        by: &CurrentUser,
        current: &str,
        new: &str,
        current_session: Option<&str>,
    ) -> AppResult<()> {
        let row = db::users::get(&self.db, by.id).await.map_err(internal)?.ok_or(AppError::Unauthorized)?;
        if !password::verify_off_thread(current, Some(row.password_hash)).await.map_err(internal)? {
            return Err(field("current", "The current password is wrong"));
        }
        if current == new {
            return Err(field("password", "Choose a password other than the current one"));
        }
        let hash = self.hash_password(new).await?;
        db::users::set_password(&self.db, by.id, &hash, false).await.map_err(change_error)?;
        // Other browsers signed in with the old password are signed out; this one stays.
        let keep = current_session.map(token::digest);
        db::sessions::delete_others(&self.db, by.id, keep.as_deref()).await.map_err(internal)?;
        self.audit(by, user_event(AuditAction::PasswordChanged, &by.username)).await
    }

    async fn list_sessions(&self, by: &CurrentUser, current_session: Option<&str>) -> AppResult<Vec<SessionView>> {
        let current = current_session.map(token::digest);
        let rows = db::sessions::list_for_user(&self.db, by.id, current.as_deref(), self.settings.session_idle_secs())
            .await
            .map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                client: s.client,
                current: s.current,
            })
            .collect())
    }

    async fn sign_out_session(&self, by: &CurrentUser, session: i64) -> AppResult<()> {
        if !db::sessions::delete_one(&self.db, by.id, session).await.map_err(internal)? {
            return Err(AppError::NotFound("Session".into()));
        }
        Ok(())
    }

    async fn sign_out_everywhere(&self, by: &CurrentUser) -> AppResult<u64> {
        let ended = db::sessions::delete_for_user(&self.db, by.id).await.map_err(internal)?;
        self.audit(by, user_event(AuditAction::SignedOut, &by.username).detail(format!("{ended} sessions"))).await?;
        Ok(ended)
    }

    async fn list_api_tokens(&self, by: &CurrentUser) -> AppResult<Vec<TokenView>> {
        let rows = db::api_tokens::list_for_user(&self.db, by.id).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                scope: t.scope,
                created_at: t.created_at,
                expires_at: t.expires_at,
                last_used_at: t.last_used_at,
                revoked: t.revoked,
            })
            .collect())
    }

    async fn create_api_token(&self, by: &CurrentUser, request: TokenRequest) -> AppResult<OneTimeSecret> {
        let expires = request
            .expires_in_days
            .map(|days| db::timestamp(chrono::Utc::now() + chrono::Duration::days(i64::from(days))));
        let id = db::api_tokens::insert(
            &self.db,
            by.id,
            &request.name,
            request.scope,
            expires.as_deref(),
            &tokens::placeholder(),
        )
        .await
        .map_err(internal)?;
        let (secret, digest) = tokens::issue(id);
        db::api_tokens::set_digest(&self.db, id, &digest).await.map_err(internal)?;
        let after = format!("scope {}, expires {}", request.scope, expires.as_deref().unwrap_or("never"));
        let event = AuditEvent::new(AuditKind::Token, AuditAction::Created, format!("token {} (#{id})", request.name))
            .change(None, Some(after));
        self.audit(by, event).await?;
        Ok(OneTimeSecret { label: format!("API token {}", request.name), secret })
    }

    async fn revoke_api_token(&self, by: &CurrentUser, token: i64) -> AppResult<()> {
        if !db::api_tokens::revoke(&self.db, by.id, token).await.map_err(internal)? {
            return Err(AppError::NotFound("Token".into()));
        }
        self.audit(by, AuditEvent::new(AuditKind::Token, AuditAction::Revoked, format!("token #{token}"))).await
    }
}
