//! Accounts: first-run setup, sign-in (throttled), sign-out.

use std::sync::atomic::Ordering;

use app::backend::Accounts;
use app::error::{AppError, AppResult};
use app::model::{ClientAddr, NewSession};
use async_trait::async_trait;

use super::Plane;
use crate::auth::{password, token};
use crate::db;
use crate::error::internal;
use nsm_core::access::Role;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};

#[async_trait]
impl Accounts for Plane {
    async fn needs_setup(&self) -> AppResult<bool> {
        self.needs_setup_cached().await.map_err(internal)
    }

    fn setup_requires_token(&self) -> bool {
        self.setup_token.get().is_some()
    }

    async fn setup_admin(
        &self,
        username: &str,
        password: &str,
        setup_token: Option<&str>,
        client: ClientAddr,
    ) -> AppResult<NewSession> {
        let already = || AppError::Conflict("Setup is already complete; sign in instead".into());
        // Answered before any hashing: a finished setup is no target for burning CPU.
        if !self.needs_setup_cached().await.map_err(internal)? {
            return Err(already());
        }
        if let Some(required) = self.setup_token.get() {
            if !setup_token.is_some_and(|t| required.matches(t)) {
                tracing::warn!(client = %client.0, "first-run setup refused: missing or wrong setup token");
                let mut errors = nsm_core::FieldErrors::new();
                errors.add(
                    "setup_token",
                    nsm_core::FieldError::new(format!(
                        "Give the setup token from the server's log or from {}",
                        required.path().display()
                    )),
                );
                return Err(errors.into());
            }
        }
        let hash = self.hash_password(password).await?;
        let id = db::users::insert(&self.db, username, &hash, Role::Admin, false, true).await.map_err(internal)?;
        let Some(id) = id else {
            return Err(already());
        };
        self.has_users.store(true, Ordering::Relaxed);
        if let Some(token) = self.setup_token.get() {
            token.retire().await;
        }
        let event = AuditEvent::new(AuditKind::User, AuditAction::Created, username)
            .change(None, Some(format!("role {}", Role::Admin)))
            .detail("first-run setup");
        db::audit::record(&self.db, Some(id), &event).await.map_err(internal)?;
        tracing::info!(username, "administrator created by first-run setup");
        self.new_session(id, client).await
    }

    async fn sign_in(&self, username: &str, password: &str, client: ClientAddr) -> AppResult<NewSession> {
        if let Err(wait) = self.throttle.attempt(client.0, username) {
            return Err(AppError::Throttled(wait.as_secs().max(1)));
        }
        let user = db::users::find_by_username(&self.db, username).await.map_err(internal)?;
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        let valid = password::verify_off_thread(password, stored).await.map_err(internal)?;
        match user.filter(|_| valid) {
            Some(user) if user.disabled => {
                tracing::warn!(username = %user.username, "sign-in of a disabled user refused");
                let event = AuditEvent::new(AuditKind::SignInFailed, AuditAction::Refused, &user.username)
                    .detail(format!("account disabled, from {}", client.0));
                db::audit::record(&self.db, Some(user.id), &event).await.map_err(internal)?;
                Err(AppError::Forbidden("This account is disabled; ask an administrator".into()))
            }
            Some(user) => {
                self.throttle.succeeded(client.0, username);
                tracing::info!(username = %user.username, "signed in");
                let event = AuditEvent::new(AuditKind::SignIn, AuditAction::Succeeded, &user.username)
                    .detail(format!("from {}", client.0));
                db::audit::record(&self.db, Some(user.id), &event).await.map_err(internal)?;
                let session = self.new_session(user.id, client).await?;
                Ok(NewSession { must_change_password: user.must_change_password, ..session })
            }
            None => {
                tracing::warn!(username, client = %client.0, "failed sign-in");
                let typed: String = username.chars().take(64).collect();
                let event = AuditEvent::new(AuditKind::SignInFailed, AuditAction::Failed, typed)
                    .detail(format!("from {}", client.0));
                db::audit::record(&self.db, None, &event).await.map_err(internal)?;
                Err(AppError::BadCredentials)
            }
        }
    }

    async fn sign_out(&self, session_token: &str) -> AppResult<()> {
        db::sessions::delete(&self.db, &token::digest(session_token)).await.map_err(internal)
    }

    fn secure_cookies(&self) -> bool {
        self.settings.secure_cookies()
    }
}
