//! What the UI asks of the control plane, one small trait per area. Each method has
//! the name of the server function that calls it (and of the store function behind it
//! where there is one), so an operation is found by one word from the browser to the
//! database. The server implements each trait in that area's own module.

use async_trait::async_trait;
use nsm_core::domain::{Hostname, ResourceConfig};
use nsm_core::logs::LogCap;
use nsm_core::service::ServiceState;
use nsm_core::variables::Variable;
use nsm_core::{DeploymentId, DomainId, ProjectConfig, ProjectId, ResourceId, WorkerId};

use crate::error::AppResult;
use crate::model::{
    CiView, ClientAddr, ControlPlaneStatus, CurrentUser, DeploymentDetail, DeploymentSummary, DomainsView,
    ExpiringCertificate, IssuedToken, NewSession, ProjectDetail, ProjectStatus, ProjectSummary, ReferenceTarget,
    ServiceView, SyncView, VariableView, WorkerSummary,
};

#[async_trait]
pub trait Accounts: Send + Sync {
    async fn needs_setup(&self) -> AppResult<bool>;
    /// Whether first-run setup asks for the setup token (a server others can reach).
    fn setup_requires_token(&self) -> bool;
    /// Creates the first administrator; refused once any user exists, and without the
    /// setup token when one is required.
    async fn setup_admin(
        &self,
        username: &str,
        password: &str,
        setup_token: Option<&str>,
        client: ClientAddr,
    ) -> AppResult<NewSession>;
    async fn sign_in(&self, username: &str, password: &str, client: ClientAddr) -> AppResult<NewSession>;
    async fn sign_out(&self, session_token: &str) -> AppResult<()>;
    /// Whether session cookies get the `Secure` attribute (served over HTTPS).
    fn secure_cookies(&self) -> bool;
}

#[async_trait]
pub trait Projects: Send + Sync {
    async fn list_projects(&self) -> AppResult<Vec<ProjectSummary>>;
    async fn get_project(&self, id: &ProjectId) -> AppResult<ProjectDetail>;
    async fn create_project(&self, by: &CurrentUser, config: ProjectConfig) -> AppResult<()>;
    /// `id` is the project's id before the edit (ids can be renamed).
    async fn update_project(&self, by: &CurrentUser, id: &ProjectId, config: ProjectConfig) -> AppResult<()>;
    async fn delete_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()>;
    /// Whether the project has a repository access token (never the token itself).
    async fn get_repo_token_status(&self, id: &ProjectId) -> AppResult<nsm_core::project::RepoTokenStatus>;
    /// Sets or replaces the repository access token (sealed; audited masked).
    async fn set_repo_token(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        token: nsm_core::project::RepoToken,
    ) -> AppResult<()>;
    /// Removes the repository access token; without one, does nothing.
    async fn clear_repo_token(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()>;
    /// The project's whole configuration as a TOML file; secrets only `with_secrets`
    /// (admins; audited).
    async fn export_config(&self, by: &CurrentUser, id: &ProjectId, with_secrets: bool) -> AppResult<String>;
    /// What importing a configuration file would do: into `into` (an existing project),
    /// or as a new project. Nothing is written.
    async fn plan_config_import(
        &self,
        by: &CurrentUser,
        into: Option<&ProjectId>,
        text: &str,
    ) -> AppResult<nsm_core::config_file::ConfigPlan>;
    /// Applies a configuration file after its plan was shown: refused when the project
    /// changed since (`base` is the plan's). Answers the project's id.
    async fn apply_config_import(
        &self,
        by: &CurrentUser,
        into: Option<&ProjectId>,
        text: &str,
        base: &str,
    ) -> AppResult<ProjectId>;
}

#[async_trait]
pub trait Workers: Send + Sync {
    async fn list_workers(&self) -> AppResult<Vec<WorkerSummary>>;
    async fn add_worker(&self, by: &CurrentUser, id: WorkerId, name: &str) -> AppResult<IssuedToken>;
    async fn rotate_worker_token(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<IssuedToken>;
    async fn remove_worker(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<()>;
    /// `None` clears it.
    async fn set_worker_address(&self, by: &CurrentUser, id: &WorkerId, address: Option<String>) -> AppResult<()>;
    /// This server: version and uptime.
    async fn get_control_plane_status(&self) -> AppResult<ControlPlaneStatus>;
    /// The last 90 days, a cell a day: uptime, mismatching services, offline workers.
    async fn get_fleet_history(&self) -> AppResult<Vec<nsm_core::service::DayCell>>;
    /// The node whose edge fronts `id`; `None`: `id` is public.
    async fn set_worker_front(&self, by: &CurrentUser, id: &WorkerId, front: Option<WorkerId>) -> AppResult<()>;
    /// What the worker lets its projects' compose files do to the node (by default,
    /// none of the allowances).
    async fn get_worker_policy(&self, id: &WorkerId) -> AppResult<nsm_core::worker_policy::WorkerPolicy>;
    /// Admins only; enforced from the worker's next deployment on.
    async fn set_worker_policy(
        &self,
        by: &CurrentUser,
        id: &WorkerId,
        policy: nsm_core::worker_policy::WorkerPolicy,
    ) -> AppResult<()>;
}

/// A service's settings as the Services tab saves them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceUpdate {
    pub service: String,
    pub expected: ServiceState,
    pub collect_logs: bool,
}

#[async_trait]
pub trait Deployments: Send + Sync {
    async fn get_project_status(&self, id: &ProjectId) -> AppResult<ProjectStatus>;
    async fn sync_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<SyncView>;
    /// Queues a deployment; answers its id (an already queued one when requests coalesce).
    async fn deploy_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<DeploymentId>;
    /// Stops and removes the project's containers and stops serving it.
    async fn teardown_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()>;
    async fn cancel_deployment(&self, by: &CurrentUser, deployment: DeploymentId) -> AppResult<()>;
    async fn list_deployments(&self, id: &ProjectId) -> AppResult<Vec<DeploymentSummary>>;
    async fn get_deployment(&self, deployment: DeploymentId) -> AppResult<DeploymentDetail>;
    async fn list_services(&self, id: &ProjectId) -> AppResult<Vec<ServiceView>>;
    /// Each service's verdict over the last 24 hours.
    async fn get_service_timelines(&self, id: &ProjectId) -> AppResult<nsm_core::view::ServiceTimelines>;
    async fn update_service(&self, by: &CurrentUser, id: &ProjectId, update: ServiceUpdate) -> AppResult<()>;
    /// What deploying the project now would change against its last successful deployment.
    async fn get_plan(&self, id: &ProjectId) -> AppResult<nsm_core::plan::Plan>;
    /// What redeploying `deployment` (its commit and configuration) would change.
    async fn get_redeploy_plan(&self, deployment: DeploymentId) -> AppResult<nsm_core::plan::Plan>;
    /// Queues a redeploy of a succeeded deployment (a rollback); answers the new id.
    async fn redeploy_deployment(&self, by: &CurrentUser, deployment: DeploymentId) -> AppResult<DeploymentId>;
}

/// A variable as the Environment tab saves it.
#[derive(Debug, Clone, PartialEq)]
pub struct VariableSave {
    /// Its name before the edit, if it existed.
    pub original: Option<String>,
    pub variable: Variable,
}

#[async_trait]
pub trait Variables: Send + Sync {
    async fn list_variables(&self, id: &ProjectId) -> AppResult<Vec<VariableView>>;
    async fn list_reference_targets(&self, id: &ProjectId) -> AppResult<Vec<ReferenceTarget>>;
    async fn reveal_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<String>;
    async fn save_variable(&self, by: &CurrentUser, id: &ProjectId, save: VariableSave) -> AppResult<()>;
    async fn delete_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<()>;
    /// The Environment tab's editor and preview: saved rows (no plain values), the
    /// project's domains, resources, port leases and worker.
    async fn get_environment(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
    ) -> AppResult<nsm_core::variables::EnvironmentView>;
    /// Every plain value, name → value (admins; audited as a reveal).
    async fn reveal_environment(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<Vec<(String, String)>>;
    /// Applies a batch of edits, checked together first.
    async fn save_environment(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        changes: nsm_core::variables::EnvironmentChanges,
    ) -> AppResult<()>;
    /// The variables as a `.env` file; plain values only `with_secrets` (admins; audited).
    async fn export_dotenv(&self, by: &CurrentUser, id: &ProjectId, with_secrets: bool) -> AppResult<String>;
    /// What importing a `.env` file would change (nothing is written).
    async fn plan_dotenv_import(&self, id: &ProjectId, text: &str) -> AppResult<nsm_core::variables::ImportPlan>;
    /// Imports a `.env` file: adds and replaces the file's variables.
    async fn apply_dotenv_import(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        text: &str,
    ) -> AppResult<nsm_core::variables::ImportPlan>;
}

#[async_trait]
pub trait Ci: Send + Sync {
    async fn get_ci(&self, id: &ProjectId) -> AppResult<CiView>;
    async fn set_ci_enabled(&self, by: &CurrentUser, id: &ProjectId, enabled: bool) -> AppResult<()>;
    /// A new deploy key (shown once); the old one stops working at once.
    async fn rotate_deploy_key(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String>;
    /// A new GitHub webhook secret (shown once).
    async fn rotate_webhook_secret(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String>;
}

/// A resource as the Domains tab saves it: added to `domain`, or replacing `resource`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceSave {
    pub domain: DomainId,
    pub resource: Option<ResourceId>,
    pub config: ResourceConfig,
}

/// Which way a resource moves in its domain's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveDirection {
    Up,
    Down,
}

#[async_trait]
pub trait Domains: Send + Sync {
    async fn list_domains(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<DomainsView>;
    /// Real certificates of every project that end within `days`.
    async fn list_expiring_certificates(&self, days: u32) -> AppResult<Vec<ExpiringCertificate>>;
    async fn add_domain(&self, by: &CurrentUser, id: &ProjectId, hostname: Hostname) -> AppResult<()>;
    /// Removes a domain and stops serving it at once.
    async fn remove_domain(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId) -> AppResult<()>;
    /// Turns HSTS on or off for a domain (it applies at the next deployment).
    async fn set_domain_hsts(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId, on: bool) -> AppResult<()>;
    async fn save_resource(&self, by: &CurrentUser, id: &ProjectId, save: ResourceSave) -> AppResult<()>;
    async fn delete_resource(&self, by: &CurrentUser, id: &ProjectId, resource: ResourceId) -> AppResult<()>;
    async fn move_resource(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        resource: ResourceId,
        direction: MoveDirection,
    ) -> AppResult<()>;
    /// Asks for a certificate now instead of waiting for the renewal task.
    async fn request_certificate(&self, by: &CurrentUser, id: &ProjectId, domain: DomainId) -> AppResult<String>;
}

/// The control plane's own settings that an admin edits on the Settings page.
#[async_trait]
pub trait Settings: Send + Sync {
    /// The per-service cap on stored container log bytes in force (the default when unset).
    async fn get_log_cap(&self) -> AppResult<LogCap>;
    /// Takes effect with the next batch of lines each service sends.
    async fn set_log_cap(&self, by: &CurrentUser, cap: LogCap) -> AppResult<()>;
    /// The Server section's settings in force, each with where it comes from.
    async fn get_server_settings(&self) -> AppResult<nsm_core::settings::ServerSettings>;
    /// Stores and applies what a flag does not give (the ACME client at once, the
    /// audit retention with the next hourly purge, defaults for the next new project).
    async fn set_server_settings(
        &self,
        by: &CurrentUser,
        form: nsm_core::settings::ServerSettingsForm,
    ) -> AppResult<()>;
    /// What a new project's form starts with.
    async fn get_project_defaults(&self) -> AppResult<nsm_core::settings::ProjectDefaults>;
}

/// Everything the UI needs, as one object in the Leptos context.
pub trait ControlPlane:
    Accounts
    + Projects
    + Workers
    + Deployments
    + Variables
    + Ci
    + Domains
    + Settings
    + super::Team
    + super::Audit
    + super::Github
    + 'static
{
}

impl<T> ControlPlane for T where
    T: Accounts
        + Projects
        + Workers
        + Deployments
        + Variables
        + Ci
        + Domains
        + Settings
        + super::Team
        + super::Audit
        + super::Github
        + 'static
{
}
