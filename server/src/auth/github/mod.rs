//! Optional sign-in with GitHub (an OAuth app): the authorization-code flow with
//! `state` and PKCE (S256). Users and organisations allowed by the rules sign in with
//! the role their rules give ([`rules`]); the first sign-in creates a local user
//! linked to the GitHub account's id, later ones find it by that id and bring its role
//! in line with the rules. Such a user has no password. The routes are in
//! `http::github`; this module holds no HTTP types.

pub mod client;
pub mod config;
mod pending;
pub mod rules;
mod service;
mod settings;

use app::model::{ClientAddr, NewSession};
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};

pub use client::{GithubClient, GithubError, GithubUser};
pub use config::{GithubConfig, GithubFlags, CALLBACK_PATH};
pub use pending::{challenge, PendingSignIns, Started};

use crate::control_plane::Plane;
use crate::db;

/// The OAuth scope asked for: organisation memberships, private ones included.
pub const SCOPE: &str = "read:org";

/// Why a GitHub sign-in did not start a session: each is shown to the user as a page
/// and written to the audit log.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("GitHub sign-in is not configured on this server")]
    NotConfigured,
    #[error("This sign-in is not valid any more (it was used already, it expired, or it was started in another browser). Start again from the sign-in page.")]
    UnknownState,
    #[error("GitHub did not sign you in: {0}")]
    Cancelled(String),
    #[error("{0}")]
    Github(#[from] GithubError),
    #[error("The GitHub account @{login} is not allowed to sign in to this NSM. An administrator can allow it (user:{login}=ROLE) or one of its organisations (org:NAME=ROLE) under Settings → GitHub sign-in.")]
    NotAllowed { login: String },
    #[error("The NSM account {username} of GitHub user @{login} is disabled; ask an administrator.")]
    Disabled { login: String, username: String },
    #[error("An NSM account named {login} exists already and is not linked to this GitHub account; NSM does not take it over. Ask an administrator.")]
    NameTaken { login: String },
    #[error("The GitHub login @{login} cannot be an NSM username.")]
    BadName { login: String },
    #[error("Something went wrong on the server; try again.")]
    Internal,
}

impl Refusal {
    /// The HTTP status the refusal page answers with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotConfigured => 404,
            Refusal::UnknownState | Refusal::Cancelled(_) => 400,
            Refusal::Github(_) => 502,
            Refusal::NotAllowed { .. }
            | Refusal::Disabled { .. }
            | Refusal::NameTaken { .. }
            | Refusal::BadName { .. } => 403,
            Refusal::Internal => 500,
        }
    }

    /// The target of its audit entry: the GitHub login when known.
    fn target(&self) -> String {
        match self {
            Refusal::NotAllowed { login }
            | Refusal::Disabled { login, .. }
            | Refusal::NameTaken { login }
            | Refusal::BadName { login } => format!("github:{login}"),
            _ => "github".into(),
        }
    }
}

/// A sign-in accepted: the session to set, and who it is for.
#[derive(Debug)]
pub struct SignedIn {
    pub session: NewSession,
    pub username: String,
}

/// What the callback brought back.
#[derive(Debug, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    /// GitHub's `error` (the user said no, the app is suspended, …).
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// The GitHub sign-in service: sign-ins in flight, and the client that asks GitHub.
#[derive(Default)]
pub struct GithubSignIn {
    pending: PendingSignIns,
    client: GithubClient,
}

/// Where the browser is sent to authorize, and the cookie binding it to its state.
#[derive(Debug)]
pub struct Authorize {
    pub url: String,
    pub binding: String,
}

impl GithubSignIn {
    /// Starts a sign-in: `None` while GitHub sign-in is not configured.
    pub async fn start(&self, plane: &Plane, redirect_uri: &str) -> Result<Option<Authorize>, Refusal> {
        let Some(config) = plane.github_config().await.map_err(internal)? else {
            return Ok(None);
        };
        let started = self.pending.start(redirect_uri);
        let url = reqwest::Url::parse_with_params(
            &format!("{}/login/oauth/authorize", config.web_url),
            [
                ("client_id", config.client_id.as_str()),
                ("redirect_uri", redirect_uri),
                ("scope", SCOPE),
                ("state", started.state.as_str()),
                ("code_challenge", started.challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("allow_signup", "false"),
            ],
        )
        .map_err(|error| {
            tracing::error!(%error, "GitHub authorize URL");
            Refusal::Internal
        })?;
        Ok(Some(Authorize { url: url.into(), binding: started.binding }))
    }

    /// Finishes a sign-in from GitHub's callback; every refusal is audited.
    pub async fn finish(
        &self,
        plane: &Plane,
        callback: Callback,
        binding: Option<&str>,
        client: ClientAddr,
    ) -> Result<SignedIn, Refusal> {
        let outcome = self.try_finish(plane, callback, binding, client).await;
        if let Err(refusal) = &outcome {
            tracing::warn!(client = %client.0, %refusal, "GitHub sign-in refused");
            let event = AuditEvent::new(AuditKind::SignInFailed, AuditAction::Refused, refusal.target())
                .detail(format!("GitHub sign-in from {}: {refusal}", client.0));
            if let Err(error) = db::audit::record(&plane.db, None, &event).await {
                tracing::error!(%error, "audit of a refused GitHub sign-in");
            }
        }
        outcome
    }

    async fn try_finish(
        &self,
        plane: &Plane,
        callback: Callback,
        binding: Option<&str>,
        client: ClientAddr,
    ) -> Result<SignedIn, Refusal> {
        // The state first, whatever else came back: it is spent by this one try.
        let resumed = callback.state.as_deref().and_then(|s| self.pending.resume(s, binding));
        let Some(resumed) = resumed else {
            return Err(Refusal::UnknownState);
        };
        if let Some(error) = callback.error {
            return Err(Refusal::Cancelled(callback.error_description.unwrap_or(error)));
        }
        let code = callback.code.filter(|c| !c.is_empty()).ok_or(Refusal::Cancelled("no code came back".into()))?;
        let config = plane.github_config().await.map_err(internal)?.ok_or(Refusal::NotConfigured)?;
        let token = self.client.exchange(&config, &code, &resumed.verifier, &resumed.redirect_uri).await?;
        let user = self.client.user(&config, &token).await?;
        let orgs = self.client.orgs(&config, &token).await?;
        let Some(role) = rules::role_for(&config.allow, &user.login, &orgs) else {
            return Err(Refusal::NotAllowed { login: user.login });
        };
        plane.github_user_signs_in(&user, role, &orgs, client).await
    }
}

fn internal(error: impl std::fmt::Display) -> Refusal {
    tracing::error!(%error, "GitHub sign-in");
    Refusal::Internal
}

/// How long a started sign-in may take, in seconds (the state cookie's lifetime).
pub fn pending_lifetime_secs() -> u64 {
    pending::LIFETIME.as_secs()
}
