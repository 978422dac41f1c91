//! The seam between the UI and the control plane. The server crate implements
//! [`ControlPlane`] over SQLite and provides it as Leptos context; server functions
//! only validate, authorise and call it.

use std::sync::Arc;

use async_trait::async_trait;
use leptos::prelude::use_context;
use nsm_core::service::ServiceState;
use nsm_core::{ProjectConfig, ProjectId, WorkerId};

use crate::error::{AppError, AppResult};
use crate::model::{
    ClientAddr, CurrentUser, DeploymentDetail, DeploymentSummary, IssuedToken, NewSession, ProjectDetail,
    ProjectStatus, ProjectSummary, ReferenceTarget, ServiceView, SyncView, VariableView, WorkerSummary,
};

pub const SESSION_COOKIE: &str = "nsm_session";

#[async_trait]
pub trait ControlPlane: Send + Sync + 'static {
    async fn needs_setup(&self) -> AppResult<bool>;
    async fn create_first_admin(&self, username: &str, password: &str) -> AppResult<NewSession>;
    async fn sign_in(&self, username: &str, password: &str, client: ClientAddr) -> AppResult<NewSession>;
    async fn sign_out(&self, session_token: &str) -> AppResult<()>;

    async fn projects(&self) -> AppResult<Vec<ProjectSummary>>;
    async fn project(&self, id: &ProjectId) -> AppResult<ProjectDetail>;
    async fn create_project(&self, by: &CurrentUser, config: ProjectConfig) -> AppResult<()>;
    async fn update_project(&self, by: &CurrentUser, id: &ProjectId, config: ProjectConfig) -> AppResult<()>;
    async fn delete_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()>;

    async fn workers(&self) -> AppResult<Vec<WorkerSummary>>;
    async fn add_worker(&self, by: &CurrentUser, id: WorkerId, name: &str) -> AppResult<IssuedToken>;
    async fn rotate_worker_token(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<IssuedToken>;
    async fn remove_worker(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<()>;

    async fn project_status(&self, id: &ProjectId) -> AppResult<ProjectStatus>;
    async fn sync_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<SyncView>;
    async fn deploy_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<i64>;
    async fn teardown_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()>;
    async fn cancel_deployment(&self, by: &CurrentUser, deployment: i64) -> AppResult<()>;
    async fn deployments(&self, id: &ProjectId) -> AppResult<Vec<DeploymentSummary>>;
    async fn deployment(&self, deployment: i64) -> AppResult<DeploymentDetail>;

    async fn services(&self, id: &ProjectId) -> AppResult<Vec<ServiceView>>;
    async fn update_service(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        service: &str,
        expected: ServiceState,
        collect_logs: bool,
    ) -> AppResult<()>;

    async fn variables(&self, id: &ProjectId) -> AppResult<Vec<VariableView>>;
    async fn reference_targets(&self, id: &ProjectId) -> AppResult<Vec<ReferenceTarget>>;
    async fn reveal_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<String>;
    /// Saves a variable; `original` is its name before the edit, if it existed.
    async fn save_variable(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        original: Option<&str>,
        variable: nsm_core::variables::Variable,
    ) -> AppResult<()>;
    async fn delete_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<()>;

    async fn ci(&self, id: &ProjectId) -> AppResult<crate::model::CiView>;
    async fn set_ci_enabled(&self, by: &CurrentUser, id: &ProjectId, enabled: bool) -> AppResult<()>;
    /// A new deploy key (shown once); the old one stops working at once.
    async fn rotate_deploy_key(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String>;
    /// A new GitHub webhook secret (shown once).
    async fn rotate_webhook_secret(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String>;

    // The Domains tab (the edge).
    async fn domains(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<crate::model::DomainsView>;
    async fn add_domain(&self, by: &CurrentUser, id: &ProjectId, hostname: nsm_core::domain::Hostname)
        -> AppResult<()>;
    /// Removes a domain and stops serving it at once.
    async fn remove_domain(&self, by: &CurrentUser, id: &ProjectId, domain: i64) -> AppResult<()>;
    /// Adds (`resource` is `None`) or replaces a resource on one of the project's domains.
    async fn save_resource(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        domain: i64,
        resource: Option<i64>,
        config: nsm_core::domain::ResourceConfig,
    ) -> AppResult<()>;
    async fn delete_resource(&self, by: &CurrentUser, id: &ProjectId, resource: i64) -> AppResult<()>;
    /// Moves a resource one place up or down its domain's list.
    async fn move_resource(&self, by: &CurrentUser, id: &ProjectId, resource: i64, up: bool) -> AppResult<()>;
    /// Asks for a certificate now instead of waiting for the renewal task.
    async fn request_certificate(&self, by: &CurrentUser, id: &ProjectId, domain: i64) -> AppResult<String>;

    /// Whether session cookies get the `Secure` attribute (served over HTTPS).
    fn secure_cookies(&self) -> bool;
}

pub type SharedControlPlane = Arc<dyn ControlPlane>;

pub fn control_plane() -> AppResult<SharedControlPlane> {
    use_context::<SharedControlPlane>().ok_or_else(|| {
        tracing::error!("control plane missing from Leptos context");
        AppError::Internal
    })
}

fn request_parts() -> AppResult<http::request::Parts> {
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from Leptos context");
        AppError::Internal
    })
}

/// The signed-in user; the server's middleware already refused requests without one,
/// this is the second line of defence.
pub fn current_user() -> AppResult<CurrentUser> {
    request_parts()?.extensions.get::<CurrentUser>().cloned().ok_or(AppError::Unauthorized)
}

pub fn client_addr() -> AppResult<ClientAddr> {
    request_parts()?.extensions.get::<ClientAddr>().copied().ok_or_else(|| {
        tracing::error!("client address missing from request");
        AppError::Internal
    })
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> AppResult<Option<String>> {
    let parts = request_parts()?;
    Ok(parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned()))
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(session: Option<&NewSession>, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = match session {
        Some(s) => format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            s.token, s.max_age_secs
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    match http::HeaderValue::from_str(&cookie) {
        Ok(value) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.append_header(http::header::SET_COOKIE, value);
            } else {
                tracing::error!("response options missing; cannot set the session cookie");
            }
        }
        Err(error) => tracing::error!(%error, "session cookie is not a valid header value"),
    }
}
