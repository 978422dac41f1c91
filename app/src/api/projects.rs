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

/// Whether the project has a repository access token; the token itself is never sent.
#[server(prefix = "/api/fn", endpoint = "get_repo_token_status")]
pub async fn get_repo_token_status(id: String) -> Result<nsm_core::project::RepoTokenStatus, AppError> {
    crate::backend::current_user()?;
    let id = parse_id(&id)?;
    crate::backend::control_plane()?.get_repo_token_status(&id).await
}

/// Sets or replaces the token a worker clones a private repository with over HTTPS.
#[server(prefix = "/api/fn", endpoint = "set_repo_token")]
pub async fn set_repo_token(id: String, token: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = parse_id(&id)?;
    let token = nsm_core::project::RepoToken::parse(&token).map_err(|e| {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("token", e);
        AppError::from(errors)
    })?;
    crate::backend::control_plane()?.set_repo_token(&user, &id, token).await
}

#[server(prefix = "/api/fn", endpoint = "clear_repo_token")]
pub async fn clear_repo_token(id: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = parse_id(&id)?;
    crate::backend::control_plane()?.clear_repo_token(&user, &id).await
}

#[cfg(feature = "ssr")]
use super::project_id as parse_id;
