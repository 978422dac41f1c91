//! The audit log, for administrators: read through a filter, newest first.

use async_trait::async_trait;
use nsm_core::audit::{AuditFilter, AuditPage};

use crate::error::AppResult;

#[async_trait]
pub trait Audit: Send + Sync {
    async fn list_audit(&self, filter: &AuditFilter) -> AppResult<AuditPage>;
}
