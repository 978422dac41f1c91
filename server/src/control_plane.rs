//! The control plane's application services behind the UI: accounts, projects, workers.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use app::backend::ControlPlane;
use app::error::{AppError, AppResult};
use app::model::{ClientAddr, CurrentUser, NewSession, ProjectDetail, ProjectSummary, WorkerSummary};
use async_trait::async_trait;
use nsm_core::{ProjectConfig, ProjectId};

use crate::auth::{password, throttle::SignInThrottle, token};
use crate::db::projects::ProjectStoreError;
use crate::db::{self, Db};
use crate::error::{internal, ServerError};
use crate::settings::Settings;

pub struct Plane {
    pub db: Db,
    pub settings: Settings,
    throttle: SignInThrottle,
    /// Once a user exists it always will (there is no way to delete the last one yet),
    /// so pages need not count users on every request.
    has_users: AtomicBool,
    /// Workers connected right now.
    online: RwLock<HashSet<String>>,
}

impl Plane {
    pub fn new(db: Db, settings: Settings) -> Arc<Self> {
        Arc::new(Self {
            db,
            settings,
            throttle: SignInThrottle::default(),
            has_users: AtomicBool::new(false),
            online: RwLock::new(HashSet::new()),
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

    pub fn set_online(&self, worker: &str, online: bool) {
        let mut set = self.online.write().unwrap_or_else(|p| p.into_inner());
        if online {
            set.insert(worker.to_owned());
        } else {
            set.remove(worker);
        }
    }

    fn is_online(&self, worker: &str) -> bool {
        self.online.read().unwrap_or_else(|p| p.into_inner()).contains(worker)
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

    async fn audit(&self, by: &CurrentUser, action: &str, target: &str, detail: Option<&str>) -> AppResult<()> {
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
        let detail = (id != &config.id).then(|| format!("renamed to {}", config.id));
        self.audit(by, "project.update", id.as_str(), detail.as_deref()).await
    }

    async fn delete_project(&self, by: &CurrentUser, id: &ProjectId) -> AppResult<()> {
        if !db::projects::delete(&self.db, id).await.map_err(store_error)? {
            return Err(AppError::NotFound(format!("Project {id}")));
        }
        self.audit(by, "project.delete", id.as_str(), None).await
    }

    async fn workers(&self) -> AppResult<Vec<WorkerSummary>> {
        let rows = db::workers::list(&self.db).await.map_err(internal)?;
        Ok(rows
            .into_iter()
            .map(|w| WorkerSummary {
                online: self.is_online(&w.id),
                id: w.id,
                name: w.name,
                version: w.version,
                last_seen: w.last_seen,
            })
            .collect())
    }

    fn secure_cookies(&self) -> bool {
        self.settings.secure_cookies()
    }
}
