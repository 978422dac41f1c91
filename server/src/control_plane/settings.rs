//! The Settings page: the control plane's run-time settings (stored in `settings`).

use app::error::AppResult;
use app::model::CurrentUser;
use async_trait::async_trait;
use nsm_core::audit::{AuditAction, AuditEvent, AuditKind};
use nsm_core::logs::LogCap;

use super::Plane;
use crate::db;
use crate::error::internal;

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
}
