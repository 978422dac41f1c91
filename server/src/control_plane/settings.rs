//! The Settings page: the control plane's run-time settings (stored in `settings`).

use app::error::AppResult;
use app::model::CurrentUser;
use async_trait::async_trait;
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
        db::settings::set(&self.db, LogCap::SETTING, &cap.bytes().to_string()).await.map_err(internal)?;
        self.audit(by, "setting.update", LogCap::SETTING, Some(&format!("{} MB", cap.megabytes()))).await
    }
}
