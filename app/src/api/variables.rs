use leptos::prelude::*;
use nsm_core::variables::VariableForm;

use crate::error::AppError;
use crate::model::{ReferenceTarget, VariableView};

#[cfg(feature = "ssr")]
use super::project_id;

#[server(prefix = "/api/fn", endpoint = "list_variables")]
pub async fn list_variables(id: String) -> Result<Vec<VariableView>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_variables(&project_id(&id)?).await
}

#[server(prefix = "/api/fn", endpoint = "list_reference_targets")]
pub async fn list_reference_targets(id: String) -> Result<Vec<ReferenceTarget>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_reference_targets(&project_id(&id)?).await
}

/// Shows a plain value on demand (audited).
#[server(prefix = "/api/fn", endpoint = "reveal_variable")]
pub async fn reveal_variable(id: String, name: String) -> Result<String, AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.reveal_variable(&user, &project_id(&id)?, &name).await
}

/// Adds or edits a variable. `original` is the name before the edit ("" when adding).
#[server(prefix = "/api/fn", endpoint = "save_variable")]
pub async fn save_variable(
    id: String,
    original: String,
    #[server(flatten)] form: VariableForm,
) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let variable = form.validate()?;
    let original = Some(original.trim()).filter(|o| !o.is_empty()).map(str::to_owned);
    let save = crate::backend::VariableSave { original, variable };
    crate::backend::control_plane()?.save_variable(&user, &project_id(&id)?, save).await
}

#[server(prefix = "/api/fn", endpoint = "delete_variable")]
pub async fn delete_variable(id: String, name: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    crate::backend::control_plane()?.delete_variable(&user, &project_id(&id)?, &name).await
}
