//! GitHub sign-in's settings (the flow itself is the server's `/auth/github/*`).

use async_trait::async_trait;

use crate::api::github::{GithubSave, GithubSettingsView};
use crate::error::AppResult;
use crate::model::CurrentUser;

#[async_trait]
pub trait Github: Send + Sync {
    async fn github_sign_in_enabled(&self) -> AppResult<bool>;
    /// `origin` is where this request reached the server (`http://host:port`), for the
    /// callback URL when no public URL is set.
    async fn get_github_settings(&self, origin: &str) -> AppResult<GithubSettingsView>;
    /// Field errors for a bad URL or rule; settings given by flags are left as they are.
    async fn save_github_settings(&self, by: &CurrentUser, save: GithubSave) -> AppResult<()>;
}
