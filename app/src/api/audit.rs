//! Settings → Audit log (admin): the entries a filter lets through, newest first. The
//! JSON export (`GET /api/v1/audit`) takes the same filters as query parameters.

use leptos::prelude::*;
use nsm_core::audit::AuditPage;

use crate::error::AppError;

/// Each filter as typed (see [`nsm_core::audit::AuditFilterForm`]); empty or absent means any.
#[server(prefix = "/api/fn", endpoint = "list_audit")]
pub async fn list_audit(
    user: Option<String>,
    project: Option<String>,
    kind: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
    limit: Option<String>,
) -> Result<AuditPage, AppError> {
    crate::backend::authorized::<ListAudit>()?;
    let form = nsm_core::audit::AuditFilterForm {
        user: user.unwrap_or_default(),
        project: project.unwrap_or_default(),
        kind: kind.unwrap_or_default(),
        from: from.unwrap_or_default(),
        to: to.unwrap_or_default(),
        before: before.unwrap_or_default(),
        limit: limit.unwrap_or_default(),
    };
    let filter = form.parse()?;
    crate::backend::control_plane()?.list_audit(&filter).await
}
