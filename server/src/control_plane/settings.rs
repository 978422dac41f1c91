//! The Settings page: the control plane's run-time settings (stored in `settings`).

use app::error::{AppError, AppResult};
use app::model::CurrentUser;
use async_trait::async_trait;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::logs::LogCap;
use nsm_core::settings::{ProjectDefaults, ServerSettings, ServerSettingsForm};
use nsm_core::{FieldError, FieldErrors};

use super::Plane;
use crate::error::internal;
use crate::{db, runtime_settings};

#[async_trait]
impl app::backend::Settings for Plane {
    async fn get_log_cap(&self) -> AppResult<LogCap> {
        // What ingest reads, so the page shows the cap actually applied.
        self.logs.cap().await.map_err(internal)
    }

    async fn set_log_cap(&self, by: &CurrentUser, cap: LogCap) -> AppResult<()> {
        let before = self.logs.cap().await.map_err(internal)?;
        db::settings::set(&self.db, LogCap::SETTING, &cap.bytes().to_string()).await.map_err(internal)?;
        let shown = |cap: LogCap| Some(format!("{} MB per service", cap.megabytes()));
        let event = AuditEvent::new(AuditKind::Settings, AuditAction::Changed, "container log cap")
            .change(shown(before), shown(cap));
        self.audit(by, event).await
    }

    async fn get_server_settings(&self) -> AppResult<ServerSettings> {
        runtime_settings::load(&self.db, &self.settings).await.map_err(internal)
    }

    async fn set_server_settings(&self, by: &CurrentUser, form: ServerSettingsForm) -> AppResult<()> {
        let update = form.validate().map_err(AppError::Invalid)?;
        if !db::workers::exists(&self.db, update.default_worker.as_str()).await.map_err(internal)? {
            let mut errors = FieldErrors::new();
            errors.add("default_worker", FieldError::new(format!("No worker is called {}", update.default_worker)));
            return Err(AppError::Invalid(errors));
        }
        let before = runtime_settings::load(&self.db, &self.settings).await.map_err(internal)?;
        runtime_settings::store(&self.db, &update, &before).await.map_err(internal)?;
        let after = runtime_settings::load(&self.db, &self.settings).await.map_err(internal)?;
        self.edge.configure_acme(&after.acme_directory.value, after.acme_email.value.as_ref()).await;
        for (what, old, new) in changes(&before, &after) {
            let event = AuditEvent::new(AuditKind::Settings, AuditAction::Changed, what).change(Some(old), Some(new));
            self.audit(by, event).await?;
        }
        Ok(())
    }

    async fn get_project_defaults(&self) -> AppResult<ProjectDefaults> {
        Ok(runtime_settings::load(&self.db, &self.settings).await.map_err(internal)?.project_defaults())
    }
}

/// What a save changed, as the audit log says it: (setting, before, after).
fn changes(before: &ServerSettings, after: &ServerSettings) -> Vec<(&'static str, String, String)> {
    let email = |s: &ServerSettings| s.acme_email.value.as_ref().map_or_else(|| "none".to_owned(), ToString::to_string);
    let rows = [
        ("ACME directory", before.acme_directory.value.to_string(), after.acme_directory.value.to_string()),
        ("ACME contact e-mail", email(before), email(after)),
        (
            "audit retention",
            format!("{} days", before.audit_retention.value.days()),
            format!("{} days", after.audit_retention.value.days()),
        ),
        (
            "default deployment timeout",
            format!("{} s", before.default_timeout.value.secs()),
            format!("{} s", after.default_timeout.value.secs()),
        ),
        ("default worker", before.default_worker.value.to_string(), after.default_worker.value.to_string()),
    ];
    rows.into_iter().filter(|(_, old, new)| old != new).collect()
}
