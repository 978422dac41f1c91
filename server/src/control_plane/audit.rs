//! Settings → Audit log and its JSON export: the entries a filter lets through.

use app::backend::Audit;
use app::error::AppResult;
use async_trait::async_trait;
use nsm_core::audit::{AuditFilter, AuditPage};

use super::Plane;
use crate::db;
use crate::error::internal;

#[async_trait]
impl Audit for Plane {
    async fn list_audit(&self, filter: &AuditFilter) -> AppResult<AuditPage> {
        // Webhook calls answered so far are in the log before it is read.
        self.activity.flush().await;
        db::audit::list(&self.db, filter).await.map_err(internal)
    }
}
