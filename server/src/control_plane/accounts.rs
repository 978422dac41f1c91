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

#[async_trait]
impl Accounts for Plane {
    async fn needs_setup(&self) -> AppResult<bool> {
        self.needs_setup_cached().await.map_err(internal)
    }

    async fn setup_admin(&self, username: &str, password: &str) -> AppResult<NewSession> {
        let hash = password::hash(password)?;
        let id = db::users::insert_admin(&self.db, username, &hash, true).await.map_err(internal)?;
        let Some(id) = id else {
            return Err(AppError::Conflict("Setup is already complete; sign in instead".into()));
        };
        self.has_users.store(true, Ordering::Relaxed);
        db::audit::record(&self.db, Some(id), "user.setup", username, None).await.map_err(internal)?;
        tracing::info!(username, "administrator created by first-run setup");
        self.new_session(id).await
    }

    async fn sign_in(&self, username: &str, password: &str, client: ClientAddr) -> AppResult<NewSession> {
        if let Some(wait) = self.throttle.wait_for(client.0) {
            return Err(AppError::Throttled(wait.as_secs().max(1)));
        }
        let user = db::users::find_by_username(&self.db, username).await.map_err(internal)?;
        let password = password.to_owned();
        let stored = user.as_ref().map(|u| u.password_hash.clone());
        // argon2 is deliberately slow: keep it off the async workers.
        let valid = tokio::task::spawn_blocking(move || password::verify(&password, stored.as_deref()))
            .await
            .map_err(internal)?;
        match user.filter(|_| valid) {
            Some(user) => {
                self.throttle.succeeded(client.0);
                tracing::info!(username = %user.username, "signed in");
                self.new_session(user.id).await
            }
            None => {
                self.throttle.failed(client.0);
                tracing::warn!(username, client = %client.0, "failed sign-in");
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
