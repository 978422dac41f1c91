//! The control plane's application services behind the UI: one module per area
//! (accounts, projects, workers, deployments, variables, CI, domains, settings, team), each
//! implementing that area's trait of `app::backend` for [`Plane`].

mod accounts;
mod audit;
mod ci;
mod config_import;
mod deployments;
mod domains;
mod environment;
mod projects;
mod repo_token;
mod settings;
mod team;
mod variables;
mod workers;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::error::{AppError, AppResult};
use app::model::{ClientAddr, CurrentUser, NewSession};
use nsm_core::audit::AuditEvent;
use nsm_core::ProjectConfig;

use crate::auth::{throttle::SignInThrottle, token};
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
    pub(crate) throttle: SignInThrottle,
    /// Once a user exists it always will (there is no way to delete the last one yet),
    /// so pages need not count users on every request.
    pub(crate) has_users: AtomicBool,
    /// Required by first-run setup when the server listens beyond loopback.
    pub(crate) setup_token: std::sync::OnceLock<crate::auth::setup_token::SetupToken>,
    pub hub: Arc<Hub>,
    /// What browsers follow live (`/api/v1/events`).
    pub events: Arc<crate::events::Events>,
    pub deployer: Arc<Deployer>,
    /// What runs on the nodes, judged against what is expected.
    pub fleet: Arc<crate::fleet::Fleet>,
    /// Resource use of the watched projects (in memory, the last hour).
    pub stats: Arc<crate::stats::Stats>,
    /// Container logs: which services nodes follow, and what they printed.
    pub logs: Arc<crate::logs::ContainerLogs>,
    pub secrets: Arc<SecretBox>,
    /// nginx and TLS for the projects' domains.
    pub edge: Arc<crate::edge::Edge>,
    /// Per-project limit on CI/CD API calls.
    pub ci_limiter: crate::auth::rate::RateLimiter,
    /// Every CI/CD call, written off the request path.
    pub activity: crate::activity::ActivityLog,
    /// API tokens whose use this hour the audit log has.
    pub(crate) token_use: crate::audit::TokenUse,
    /// When this server process started (the dashboard's uptime).
    pub started_at: chrono::DateTime<chrono::Utc>,
}

impl Plane {
    pub fn new(db: Db, settings: Settings, secrets: SecretBox) -> Arc<Self> {
        let events = crate::events::Events::new();
        let hub = Arc::new(Hub::new(events.clone()));
        let secrets = Arc::new(secrets);
        let edge = crate::edge::Edge::new(&settings, db.clone(), hub.clone(), events.clone());
        let fleet = crate::fleet::Fleet::new(db.clone(), events.clone());
        let stats = crate::stats::Stats::new(db.clone(), hub.clone());
        let logs = crate::logs::ContainerLogs::new(db.clone(), hub.clone());
        let deployer = Deployer::new(
            db.clone(),
            hub.clone(),
            secrets.clone(),
            edge.clone(),
            events.clone(),
            crate::deploy::Observers { fleet: fleet.clone(), stats: stats.clone(), logs: logs.clone() },
        );
        let ci_limiter = crate::auth::rate::RateLimiter::per_minute(settings.ci_rate_limit);
        let activity = crate::activity::ActivityLog::start(db.clone(), settings.activity_retention_days);
        Arc::new(Self {
            ci_limiter,
            activity,
            token_use: crate::audit::TokenUse::default(),
            db,
            settings,
            throttle: SignInThrottle::default(),
            has_users: AtomicBool::new(false),
            setup_token: std::sync::OnceLock::new(),
            started_at: chrono::Utc::now(),
            hub,
            events,
            deployer,
            fleet,
            secrets,
            edge,
            stats,
            logs,
        })
    }

    pub async fn session_user(&self, token: &str) -> Result<Option<CurrentUser>, ServerError> {
        Ok(db::sessions::user_for(&self.db, &token::digest(token), self.settings.session_idle_secs()).await?)
    }

    /// The user an API token acts for, if it is live and its secret matches.
    pub async fn token_user(
        &self,
        presented: &crate::auth::tokens::Presented<'_>,
    ) -> Result<Option<CurrentUser>, ServerError> {
        let Some((digest, user)) = db::api_tokens::find_live(&self.db, presented.id).await? else {
            return Ok(None);
        };
        if !crate::auth::tokens::matches(presented, &digest) {
            return Ok(None);
        }
        db::api_tokens::touch(&self.db, presented.id).await?;
        Ok(Some(user))
    }

    /// Before the first user exists on a server others can reach: issues the setup
    /// token and says where it is.
    pub async fn guard_first_run(&self) -> Result<(), ServerError> {
        if self.settings.listen.ip().is_loopback() || !self.needs_setup_cached().await? {
            return Ok(());
        }
        let token = crate::auth::setup_token::SetupToken::issue(&self.settings.data_dir).await?;
        tracing::warn!(
            setup_token = token.secret(),
            file = %token.path().display(),
            "no user exists yet and NSM listens beyond loopback: first-run setup asks for this setup token"
        );
        let _ = self.setup_token.set(token);
        Ok(())
    }

    pub async fn needs_setup_cached(&self) -> Result<bool, ServerError> {
        if self.has_users.load(Ordering::Relaxed) {
            return Ok(false);
        }
        let any = db::users::count(&self.db).await? > 0;
        self.has_users.store(any, Ordering::Relaxed);
        Ok(!any)
    }

    pub(crate) async fn new_session(&self, user_id: i64, client: ClientAddr) -> AppResult<NewSession> {
        let token = token::generate();
        let hours = self.settings.session_hours.clamp(1, 24 * 365);
        let expires = chrono::Utc::now() + chrono::Duration::hours(hours);
        let client = client.0.to_string();
        db::sessions::insert(&self.db, &token::digest(&token), user_id, &db::timestamp(expires), Some(&client))
            .await
            .map_err(internal)?;
        Ok(NewSession { token, max_age_secs: hours * 3600, must_change_password: false })
    }

    pub(crate) async fn audit(&self, by: &CurrentUser, event: AuditEvent) -> AppResult<()> {
        db::audit::record(&self.db, Some(by.id), &event).await.map_err(internal)
    }

    /// An API token was accepted: the audit log hears of it once an hour per token.
    pub async fn note_token_use(&self, token: i64) {
        self.token_use.note(&self.db, token).await;
    }

    pub(crate) async fn check_worker(&self, config: &ProjectConfig) -> AppResult<()> {
        if db::workers::exists(&self.db, config.worker.as_str()).await.map_err(internal)? {
            return Ok(());
        }
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("worker", nsm_core::FieldError::new(format!("Unknown worker {}", config.worker)));
        Err(errors.into())
    }
}

pub(crate) fn store_error(error: ProjectStoreError) -> AppError {
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
