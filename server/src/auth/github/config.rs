//! GitHub sign-in's settings: each one a flag (or `NSM_GITHUB_*`) or, when no flag
//! gives it, what an admin saved on the Settings page (the client secret sealed with
//! the server's [`SecretBox`](crate::secrets::SecretBox)). A flag always wins.

use super::rules::{AllowRule, RuleError};
use crate::db::{self, Db};
use crate::secrets::{SecretBox, SecretError};

pub const DEFAULT_WEB_URL: &str = "https://github.com";
pub const DEFAULT_API_URL: &str = "https://api.github.com";

/// Where the browser comes back from GitHub.
pub const CALLBACK_PATH: &str = "/auth/github/callback";

#[derive(Debug, Clone, Default, clap::Args)]
pub struct GithubFlags {
    /// GitHub sign-in: the OAuth app's client id.
    #[arg(long = "github-client-id", env = "NSM_GITHUB_CLIENT_ID")]
    pub client_id: Option<String>,
    /// GitHub sign-in: the OAuth app's client secret.
    #[arg(long = "github-client-secret", env = "NSM_GITHUB_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// GitHub sign-in: GitHub's web address (GitHub Enterprise: https://ghe.example.com) [default: https://github.com].
    #[arg(long = "github-web-url", env = "NSM_GITHUB_WEB_URL", value_parser = base_url)]
    pub web_url: Option<String>,
    /// GitHub sign-in: GitHub's API (GitHub Enterprise: https://ghe.example.com/api/v3) [default: https://api.github.com].
    #[arg(long = "github-api-url", env = "NSM_GITHUB_API_URL", value_parser = base_url)]
    pub api_url: Option<String>,
    /// GitHub sign-in: who may sign in and as what, comma-separated (`org:acme=deployer,user:alice=admin`).
    #[arg(long = "github-allow", env = "NSM_GITHUB_ALLOW", value_delimiter = ',')]
    pub allow: Vec<AllowRule>,
}

/// The stored settings' keys (`settings` table).
pub mod keys {
    pub const CLIENT_ID: &str = "github.client_id";
    /// Hex of the sealed secret.
    pub const CLIENT_SECRET: &str = "github.client_secret";
    pub const WEB_URL: &str = "github.web_url";
    pub const API_URL: &str = "github.api_url";
    /// One rule a line.
    pub const ALLOW: &str = "github.allow";
}

/// An `http(s)://host[:port][/path]` without query or fragment, and without the
/// trailing slash.
pub fn base_url(text: &str) -> Result<String, String> {
    let text = text.trim();
    let url = reqwest::Url::parse(text).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("give an http:// or https:// address".into());
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err("give the address without credentials, query or fragment".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Everything a sign-in needs, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubConfig {
    pub client_id: String,
    pub client_secret: String,
    pub web_url: String,
    pub api_url: String,
    pub allow: Vec<AllowRule>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("the stored GitHub client secret: {0}")]
    Secret(#[from] SecretError),
    #[error("the stored GitHub client secret is not hex")]
    SecretEncoding,
    #[error("a stored GitHub setting is invalid: {0}")]
    Stored(String),
}

impl From<Vec<RuleError>> for ConfigError {
    fn from(errors: Vec<RuleError>) -> Self {
        ConfigError::Stored(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))
    }
}

/// The stored half, as saved (the secret still sealed).
#[derive(Debug, Clone, Default)]
pub struct Stored {
    pub client_id: Option<String>,
    pub sealed_secret: Option<Vec<u8>>,
    pub web_url: Option<String>,
    pub api_url: Option<String>,
    pub allow: Vec<AllowRule>,
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

pub async fn load_stored(db: &Db) -> Result<Stored, ConfigError> {
    let get = |key| db::settings::get(db, key);
    let sealed_secret = match non_empty(get(keys::CLIENT_SECRET).await?) {
        Some(hex_text) => Some(hex::decode(hex_text).map_err(|_| ConfigError::SecretEncoding)?),
        None => None,
    };
    Ok(Stored {
        client_id: non_empty(get(keys::CLIENT_ID).await?),
        sealed_secret,
        web_url: non_empty(get(keys::WEB_URL).await?),
        api_url: non_empty(get(keys::API_URL).await?),
        allow: super::rules::parse_list(&get(keys::ALLOW).await?.unwrap_or_default())?,
    })
}

impl GithubFlags {
    /// Flags over stored settings; `None` while no client id or secret is known.
    pub fn resolve(&self, stored: &Stored, secrets: &SecretBox) -> Result<Option<GithubConfig>, ConfigError> {
        let client_id = non_empty(self.client_id.clone()).or_else(|| stored.client_id.clone());
        let client_secret = match non_empty(self.client_secret.clone()) {
            Some(secret) => Some(secret),
            None => stored.sealed_secret.as_deref().map(|s| secrets.open_sealed(s)).transpose()?,
        };
        let (Some(client_id), Some(client_secret)) = (client_id, client_secret) else {
            return Ok(None);
        };
        Ok(Some(GithubConfig {
            client_id,
            client_secret,
            web_url: self.web_url.clone().or_else(|| stored.web_url.clone()).unwrap_or_else(|| DEFAULT_WEB_URL.into()),
            api_url: self.api_url.clone().or_else(|| stored.api_url.clone()).unwrap_or_else(|| DEFAULT_API_URL.into()),
            allow: if self.allow.is_empty() { stored.allow.clone() } else { self.allow.clone() },
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised_and_checked() {
        assert_eq!(base_url("https://github.com/").as_deref(), Ok("https://github.com"));
        assert_eq!(base_url(" https://ghe.example.com/api/v3/ ").as_deref(), Ok("https://ghe.example.com/api/v3"));
        assert_eq!(base_url("http://127.0.0.1:8080").as_deref(), Ok("http://127.0.0.1:8080"));
        assert!(base_url("ftp://github.com").is_err());
        assert!(base_url("github.com").is_err());
        assert!(base_url("https://u:p@github.com").is_err());
        assert!(base_url("https://github.com/?x=1").is_err());
    }

    #[tokio::test]
    async fn flags_win_over_stored_settings() {
        let dir = tempfile::tempdir().expect("dir");
        let secrets = SecretBox::open(dir.path()).await.expect("key");
        let stored = Stored {
            client_id: Some("stored-id".into()),
            sealed_secret: Some(secrets.seal("stored-secret").expect("seal")),
            web_url: Some("https://ghe.example.com".into()),
            api_url: None,
            allow: super::super::rules::parse_list("user:alice=admin").expect("rules"),
        };
        let none = GithubFlags::default();
        let config = none.resolve(&stored, &secrets).expect("resolves").expect("configured");
        assert_eq!((config.client_id.as_str(), config.client_secret.as_str()), ("stored-id", "stored-secret"));
        assert_eq!((config.web_url.as_str(), config.api_url.as_str()), ("https://ghe.example.com", DEFAULT_API_URL));
        let flags = GithubFlags {
            client_secret: Some("flag-secret".into()),
            allow: super::super::rules::parse_list("org:acme=viewer").expect("rules"),
            ..GithubFlags::default()
        };
        let config = flags.resolve(&stored, &secrets).expect("resolves").expect("configured");
        assert_eq!(config.client_secret, "flag-secret");
        assert_eq!(config.allow[0].to_string(), "org:acme=viewer");
        assert_eq!(none.resolve(&Stored::default(), &secrets).expect("resolves"), None, "nothing set: off");
    }
}
