use leptos::prelude::*;
use nsm_core::ProjectForm;

use crate::error::AppError;
use crate::model::{ProjectDetail, ProjectSummary};

#[server(prefix = "/api/fn", endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_projects().await
}

#[server(prefix = "/api/fn", endpoint = "get_project")]
pub async fn get_project(id: String) -> Result<ProjectDetail, AppError> {
    crate::backend::current_user()?;
    let id = parse_id(&id)?;
    crate::backend::control_plane()?.get_project(&id).await
}

#[server(prefix = "/api/fn", endpoint = "create_project")]
pub async fn create_project(#[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let config = form.validate()?;
    let id = config.id.clone();
    crate::backend::control_plane()?.create_project(&user, config).await?;
    leptos_axum::redirect(&format!("/projects/{id}"));
    Ok(())
}

/// Saves the General tab. `original_id` is the id before the edit (ids can be renamed).
#[server(prefix = "/api/fn", endpoint = "update_project")]
pub async fn update_project(original_id: String, #[server(flatten)] form: ProjectForm) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let original = parse_id(&original_id)?;
    let config = form.validate()?;
    let id = config.id.clone();
    crate::backend::control_plane()?.update_project(&user, &original, config).await?;
    leptos_axum::redirect(&format!("/projects/{id}"));
    Ok(())
}

/// Deletes a project; `confirm` must repeat its id, as typed by the user.
#[server(prefix = "/api/fn", endpoint = "delete_project")]
pub async fn delete_project(id: String, confirm: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = parse_id(&id)?;
    if confirm.trim() != id.as_str() {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("confirm", nsm_core::FieldError::new(format!("Type {id} to confirm")));
        return Err(errors.into());
    }
    crate::backend::control_plane()?.delete_project(&user, &id).await?;
    leptos_axum::redirect("/projects");
    Ok(())
}

#[cfg(feature = "ssr")]
use super::project_id as parse_id;
