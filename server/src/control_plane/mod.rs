//! The control plane's application services behind the UI: accounts, projects,
//! workers, deployments. The trait impl stays thin; each area has its own module.

mod ci;
mod deployments;
mod domains;
mod variables;
mod workers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::backend::ControlPlane;
use app::error::{AppError, AppResult};
use app::model::{
    ClientAddr, CurrentUser, DeploymentDetail, DeploymentSummary, IssuedToken, NewSession, ProjectDetail,
    ProjectStatus, ProjectSummary, ReferenceTarget, ServiceView, SyncView, VariableView, WorkerSummary,
};
use async_trait::async_trait;
use nsm_core::service::ServiceState;
use nsm_core::{ProjectConfig, ProjectId, WorkerId};

use crate::auth::{password, throttle::SignInThrottle, token};
use crate::db::projects::ProjectStoreError;
use crate::db::{self, Db};
use crate::deploy::Deployer;
use crate::error::{internal, ServerError};
use crate::hub::Hub;
use crate::secrets::SecretBox;
use crate::settings::Settings;

pub struct Plane {
    pub db: Db,
    pub settings: Settings,
    throttle: SignInThrottle,
    /// Once a user exists it always will (there is no way to delete the last one yet),
    /// so pages need not count users on every request.
    has_users: AtomicBool,
    pub hub: Arc<Hub>,
    pub deployer: Arc<Deployer>,
    pub secrets: Arc<SecretBox>,
    /// nginx and TLS for the projects' domains.
    pub edge: Arc<crate::edge::Edge>,
    /// Per-project limit on CI/CD API calls.
    pub ci_limiter: crate::api::rate::RateLimiter,
    /// Every CI/CD call, written off the request path.
    pub activity: crate::api::activity::ActivityLog,
}

impl Plane {
    pub fn new(db: Db, settings: Settings, secrets: SecretBox) -> Arc<Self> {
        let hub = Arc::new(Hub::new());
        let secrets = Arc::new(secrets);
        let edge = crate::edge::Edge::new(&settings, db.clone());
        let deployer = Deployer::new(db.clone(), hub.clone(), secrets.clone(), edge.clone());
        let ci_limiter = crate::api::rate::RateLimiter::per_minute(settings.ci_rate_limit);
        let activity = crate::api::activity::ActivityLog::start(db.clone());
        Arc::new(Self {
            ci_limiter,
            activity,
            db,
            settings,
            throttle: SignInThrottle::default(),
            has_users: AtomicBool::new(false),
            hub,
            deployer,
            secrets,
            edge,
        })
    }

    pub async fn session_user(&self, token: &str) -> Result<Option<CurrentUser>, ServerError> {
        Ok(db::sessions::user_for(&self.db, &token::digest(token)).await?)
    }

    pub async fn needs_setup_cached(&self) -> Result<bool, ServerError> {
        if self.has_users.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let any = db::users::count(&self.db).await? > 0;
        self.has_users.store(any, Ordering::Relaxed);
        Ok(!any)
    }

    async fn new_session(&self, user_id: i64) -> AppResult<NewSession> {
        let token = token::generate();
        let hours = self.settings.session_hours.clamp(1, 24 * 365);
        let expires = chrono::Utc::now() + chrono::Duration::hours(hours);
        db::sessions::insert(&self.db, &token::digest(&token), user_id, &db::timestamp(expires))
            .await
            .map_err(internal)?;
        Ok(NewSession { token, max_age_secs: hours * 3600 })
    }

    pub(crate) async fn audit(
        &self,
        by: &CurrentUser,
        action: &str,
        target: &str,
        detail: Option<&str>,
    ) -> AppResult<()> {
        db::audit::record(&self.db, Some(by.id), action, target, detail).await.map_err(internal)
    }

    async fn check_worker(&self, config: &ProjectConfig) -> AppResult<()> {
        if db::workers::exists(&self.db, config.worker.as_str()).await.map_err(internal)? {
            return Ok(());
        }
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("worker", nsm_core::FieldError::new(format!("Unknown worker {}", config.worker)));
        Err(errors.into())
    }
}

fn store_error(error: ProjectStoreError) -> AppError {
    match error {
        ProjectStoreError::Duplicate(id) => {
            let mut errors = nsm_core::FieldErrors::new();
            errors.add("id", nsm_core::FieldError::new(format!("A project with id {id} already exists")));
            errors.into()
        }
        other => {
            tracing::error!(error = %other, "project store");
            AppError::Internal
        }
    }
}

#[async_trait]
impl ControlPlane for Plane {
    async fn needs_setup(&self) -> AppResult<bool> {
        self.needs_setup_cached().await.map_err(internal)
    }

    async fn create_first_admin(&self, username: &str, password: &str) -> AppResult<NewSession> {
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
            .map_err(|e| internal(ServerError::Config(e.to_string())))?;
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

    async fn projects(&self) -> AppResult<Vec<ProjectSummary>> {
        let rows = db::projects::list(&self.db).await.map_err(store_error)?;
        Ok(rows
            .into_iter()
            .map(|r| ProjectSummary {
                id: r.config.id.to_string(),
                repository: r.config.repository.label(),
                branch: r.config.branch.to_string(),
                worker: r.config.worker.to_string(),
                allow_ci_cd: r.config.allow_ci_cd,
                updated_at: r.updated_at,
            })
            .collect())
    }

    async fn project(&self, id: &ProjectId) -> AppResult<ProjectDetail> {
        match db::projects::get(&self.db, id).await.map_err(store_error)? {
            Some(r) => Ok(ProjectDetail { config: r.config, created_at: r.created_at, updated_at: r.updated_at }),
            None => Err(AppError::NotFound(format!("Project {id}"))),
        }
    }

    async fn create_project(&self, by: &CurrentUser, config: ProjectConfig) -> AppResult<()> {
        self.check_worker(&config).await?;
        db::projects::insert(&self.db, &config).await.map_err(store_error)?;
        self.audit(by, "project.create", config.id.as_str(), None).await
    }

    async fn update_project(&self, by: &CurrentUser, id: &ProjectId, config: ProjectConfig) -> AppResult<()> {
        self.check_worker(&config).await?;
        if !db::projects::update(&self.db, id, &config).await.map_err(store_error)? {
            return Err(AppError::NotFound(format!("Project {id}")));
        }
        self.rename_edge(id, &config.id).await;
        let detail = (id != &config.id).then(|| format!("renamed to {}", config.id));
        self.audit(by, "project.update", id.as_str(), detail.as_deref()).await
    }

    async fn delete_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        self.forget_edge(id).await?;
        if !db::projects::delete(&self.db, id).await.map_err(store_error)? {
            return Err(AppError::NotFound(format!("Project {id}")));
        }
        self.audit(by, "project.delete", id.as_str(), None).await
    }

    async fn workers(&self) -> AppResult<Vec<WorkerSummary>> {
        self.list_workers().await
    }

    async fn add_worker(&self, by: &CurrentUser, id: WorkerId, name: &str) -> AppResult<IssuedToken> {
        self.create_worker(by, id, name).await
    }

    async fn rotate_worker_token(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<IssuedToken> {
        self.rotate_token(by, id).await
    }

    async fn remove_worker(&self, by: &CurrentUser, id: &WorkerId) -> AppResult<()> {
        self.delete_worker(by, id).await
    }

    async fn project_status(&self, id: &ProjectId) -> AppResult<ProjectStatus> {
        self.status_of(id).await
    }

    async fn sync_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<SyncView> {
        self.sync(by, id).await
    }

    async fn deploy_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<i64> {
        self.deploy(by, id).await
    }

    async fn teardown_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        self.teardown(by, id).await?;
        self.unpublish_edge(id).await
    }

    async fn cancel_deployment(&self, by: &CurrentUser, deployment: i64) -> AppResult<()> {
        self.cancel(by, deployment).await
    }

    async fn deployments(&self, id: &ProjectId) -> AppResult<Vec<DeploymentSummary>> {
        self.history(id).await
    }

    async fn deployment(&self, deployment: i64) -> AppResult<DeploymentDetail> {
        self.deployment_detail(deployment).await
    }

    async fn services(&self, id: &ProjectId) -> AppResult<Vec<ServiceView>> {
        self.list_services(id).await
    }

    async fn update_service(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        service: &str,
        expected: ServiceState,
        collect_logs: bool,
    ) -> AppResult<()> {
        self.save_service(by, id, service, expected, collect_logs).await
    }

    async fn variables(&self, id: &ProjectId) -> AppResult<Vec<VariableView>> {
        self.list_variables(id).await
    }

    async fn reference_targets(&self, id: &ProjectId) -> AppResult<Vec<ReferenceTarget>> {
        self.list_reference_targets(id).await
    }

    async fn reveal_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<String> {
        self.reveal(by, id, name).await
    }

    async fn save_variable(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        original: Option<&str>,
        variable: nsm_core::variables::Variable,
    ) -> AppResult<()> {
        self.store_variable(by, id, original, variable).await
    }

    async fn delete_variable(&self, by: &CurrentUser, id: &ProjectId, name: &str) -> AppResult<()> {
        self.remove_variable(by, id, name).await
    }

    async fn ci(&self, id: &ProjectId) -> AppResult<app::model::CiView> {
        self.ci_view(id).await
    }

    async fn set_ci_enabled(&self, by: &CurrentUser, id: &ProjectId, enabled: bool) -> AppResult<()> {
        self.switch_ci(by, id, enabled).await
    }

    async fn rotate_deploy_key(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String> {
        self.new_deploy_key(by, id).await
    }

    async fn rotate_webhook_secret(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<String> {
        self.new_webhook_secret(by, id).await
    }

    async fn domains(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<app::model::DomainsView> {
        self.list_domains(by, id).await
    }

    async fn add_domain(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        hostname: nsm_core::domain::Hostname,
    ) -> AppResult<()> {
        self.create_domain(by, id, hostname).await
    }

    async fn remove_domain(&self, by: &CurrentUser, id: &ProjectId, domain: i64) -> AppResult<()> {
        self.drop_domain(by, id, domain).await
    }

    async fn save_resource(
        &self,
        by: &CurrentUser,
        id: &ProjectId,
        domain: i64,
        resource: Option<i64>,
        config: nsm_core::domain::ResourceConfig,
    ) -> AppResult<()> {
        self.store_resource(by, id, domain, resource, config).await
    }

    async fn delete_resource(&self, by: &CurrentUser, id: &ProjectId, resource: i64) -> AppResult<()> {
        self.drop_resource(by, id, resource).await
    }

    async fn move_resource(&self, by: &CurrentUser, id: &ProjectId, resource: i64, up: bool) -> AppResult<()> {
        self.shift_resource(by, id, resource, up).await
    }

    async fn request_certificate(&self, by: &CurrentUser, id: &ProjectId, domain: i64) -> AppResult<String> {
        self.certificate_now(by, id, domain).await
    }

    fn secure_cookies(&self) -> bool {
        self.settings.secure_cookies()
    }
}
