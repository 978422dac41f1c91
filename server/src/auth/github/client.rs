//! What NSM asks GitHub (or GitHub Enterprise): the code exchanged for a token at
//! `{web}/login/oauth/access_token` (with the PKCE verifier), then `{api}/user` and
//! `{api}/user/orgs` with that token. The token is used for these two reads only and
//! never stored.

use std::time::Duration;

use serde::Deserialize;

use super::config::GithubConfig;

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    #[error("GitHub could not be reached: {0}")]
    Unreachable(#[from] reqwest::Error),
    /// GitHub's own word for it (`bad_verification_code`, `incorrect_client_credentials`,
    /// `redirect_uri_mismatch`, …).
    #[error("GitHub refused the sign-in: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused { error: String, description: Option<String> },
    #[error("GitHub answered {status} to {what}")]
    Status { what: &'static str, status: reqwest::StatusCode },
}

/// The GitHub account that signed in.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GithubUser {
    pub id: i64,
    pub login: String,
}

#[derive(Debug, Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Org {
    login: String,
}

pub struct GithubClient {
    http: reqwest::Client,
}

impl Default for GithubClient {
    fn default() -> Self {
        Self::new()
    }
}

impl GithubClient {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .user_agent(concat!("nsm/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|error| {
                tracing::error!(%error, "GitHub client with timeouts unavailable; using the default client");
                reqwest::Client::new()
            });
        Self { http }
    }

    /// Exchanges the callback's `code`; answers the access token.
    pub async fn exchange(
        &self,
        config: &GithubConfig,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, GithubError> {
        let response = self
            .http
            .post(format!("{}/login/oauth/access_token", config.web_url))
            .header(reqwest::header::ACCEPT, "application/json")
            .form(&[
                ("client_id", config.client_id.as_str()),
                ("client_secret", config.client_secret.as_str()),
                ("code", code),
                ("redirect_uri", redirect_uri),
                ("code_verifier", verifier),
            ])
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(GithubError::Status { what: "the code exchange", status });
        }
        // GitHub answers a refused exchange with 200 and an `error`.
        let answer: TokenAnswer = response.json().await?;
        match (answer.access_token, answer.error) {
            (Some(token), None) if !token.is_empty() => Ok(token),
            (_, error) => Err(GithubError::Refused {
                error: error.unwrap_or_else(|| "no access token".into()),
                description: answer.error_description,
            }),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        config: &GithubConfig,
        path: &str,
        token: &str,
        what: &'static str,
    ) -> Result<T, GithubError> {
        let response = self
            .http
            .get(format!("{}{path}", config.api_url))
            .bearer_auth(token)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            return Err(GithubError::Status { what, status });
        }
        Ok(response.json().await?)
    }

    pub async fn user(&self, config: &GithubConfig, token: &str) -> Result<GithubUser, GithubError> {
        self.get(config, "/user", token, "the user").await
    }

    /// The organisations the user belongs to (the token's `read:org` scope lets
    /// private memberships count too); the first 100.
    pub async fn orgs(&self, config: &GithubConfig, token: &str) -> Result<Vec<String>, GithubError> {
        let orgs: Vec<Org> = self.get(config, "/user/orgs?per_page=100", token, "the user's organisations").await?;
        Ok(orgs.into_iter().map(|o| o.login).collect())
    }
}
