//! GitHub sign-in: whether the sign-in page offers it (anyone), and its settings
//! (admin). The sign-in itself runs through `/auth/github/start` and
//! `/auth/github/callback` on the server, not through server functions.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Where GitHub sends the browser back (register it as the OAuth app's callback URL).
pub const CALLBACK_PATH: &str = "/auth/github/callback";
/// Where the sign-in page's button leads.
pub const START_PATH: &str = "/auth/github/start";

/// GitHub sign-in's settings as Settings shows them (the secret never leaves the server).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubSettingsView {
    /// A client id and a secret are known: the sign-in page offers GitHub.
    pub enabled: bool,
    pub client_id: String,
    pub secret_set: bool,
    pub web_url: String,
    pub api_url: String,
    /// The rules, one a line (`org:acme=deployer`).
    pub allow: String,
    /// The callback URL to register with the OAuth app.
    pub callback_url: String,
    /// The settings given by a flag or `NSM_GITHUB_*` (the page cannot change them):
    /// `client_id`, `client_secret`, `web_url`, `api_url`, `allow`.
    pub from_flags: Vec<String>,
}

/// What an admin saves; an empty `client_secret` keeps the stored one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GithubSave {
    pub client_id: String,
    pub client_secret: String,
    pub web_url: String,
    pub api_url: String,
    pub allow: String,
}

#[server(prefix = "/api/fn", endpoint = "github_sign_in_enabled")]
pub async fn github_sign_in_enabled() -> Result<bool, AppError> {
    crate::backend::control_plane()?.github_sign_in_enabled().await
}

#[server(prefix = "/api/fn", endpoint = "get_github_settings")]
pub async fn get_github_settings() -> Result<GithubSettingsView, AppError> {
    crate::backend::authorized::<GetGithubSettings>()?;
    let origin = crate::backend::request_origin()?;
    crate::backend::control_plane()?.get_github_settings(&origin).await
}

#[server(prefix = "/api/fn", endpoint = "save_github_settings")]
pub async fn save_github_settings(
    #[server(default)] client_id: String,
    #[server(default)] client_secret: String,
    #[server(default)] web_url: String,
    #[server(default)] api_url: String,
    #[server(default)] allow: String,
) -> Result<(), AppError> {
    let by = crate::backend::authorized::<SaveGithubSettings>()?;
    let save = GithubSave { client_id, client_secret, web_url, api_url, allow };
    crate::backend::control_plane()?.save_github_settings(&by, save).await
}
