//! `/api/v1/projects`: list, get, create, update (the General tab's operations).

use std::sync::Arc;

use app::backend::Projects;
use app::model::{ProjectDetail, ProjectSummary};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use nsm_core::ProjectForm;
use serde::Deserialize;
use utoipa::ToSchema;

use super::{project_id, ApiResult, Caller, ErrorBody, JsonBody};
use crate::control_plane::Plane;

/// A project's General settings as a script sends them. Creating needs `id` and a
/// repository; updating changes only the fields sent (a new `id` renames the project).
#[derive(Debug, Default, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectFields {
    /// `[a-z0-9][a-z0-9-]{0,39}`; also names the compose project.
    pub id: Option<String>,
    /// With `repo_name`: a repository on the configured git host.
    pub repo_owner: Option<String>,
    pub repo_name: Option<String>,
    /// Any git URL or absolute path, instead of `repo_owner` and `repo_name`.
    pub repo_url: Option<String>,
    /// Default `main`.
    pub branch: Option<String>,
    /// The worker that runs it; default `local`.
    pub worker: Option<String>,
    /// 10 to 3600; default 300.
    pub timeout_secs: Option<u32>,
    /// Whether the deploy key and the GitHub webhook may deploy it.
    pub allow_ci_cd: Option<bool>,
}

impl ProjectFields {
    /// `form` with the fields sent replacing its own: the form the UI would submit.
    pub fn apply(self, mut form: ProjectForm) -> ProjectForm {
        // A repository is either hosted (owner and name) or a URL: sending one kind
        // replaces the other.
        if self.repo_url.is_some() {
            form.repo_owner.clear();
            form.repo_name.clear();
        }
        if self.repo_owner.is_some() || self.repo_name.is_some() {
            form.repo_url.clear();
        }
        let set = |field: &mut String, value: Option<String>| {
            if let Some(value) = value {
                *field = value;
            }
        };
        set(&mut form.id, self.id);
        set(&mut form.repo_owner, self.repo_owner);
        set(&mut form.repo_name, self.repo_name);
        set(&mut form.repo_url, self.repo_url);
        set(&mut form.branch, self.branch);
        set(&mut form.worker, self.worker);
        set(&mut form.timeout_secs, self.timeout_secs.map(|s| s.to_string()));
        if let Some(on) = self.allow_ci_cd {
            form.allow_ci_cd = on.then(|| "on".to_owned());
        }
        form
    }
}

/// Every project, with its services' health and its latest deployment's state.
#[utoipa::path(get, path = "/api/v1/projects", tag = "projects",
    responses((status = 200, description = "The projects", body = [ProjectSummary])))]
pub async fn list_projects(State(plane): State<Arc<Plane>>, _caller: Caller) -> ApiResult<Json<Vec<ProjectSummary>>> {
    Ok(Json(plane.list_projects().await?))
}

#[utoipa::path(get, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The project's General settings", body = ProjectDetail),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn get_project(
    State(plane): State<Arc<Plane>>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<ProjectDetail>> {
    Ok(Json(plane.get_project(&project_id(&id)?).await?))
}

/// Creates a project (as the New project form does); answers it, with its URL in
/// `Location`.
#[utoipa::path(post, path = "/api/v1/projects", tag = "projects",
    request_body = ProjectFields,
    responses(
        (status = 201, description = "Created", body = ProjectDetail),
        (status = 400, description = "A field was refused (see `fields`), e.g. an id already taken", body = ErrorBody),
    ))]
pub async fn create_project(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    JsonBody(fields): JsonBody<ProjectFields>,
) -> ApiResult<Response> {
    let config = fields.apply(ProjectForm::default()).validate()?;
    let id = config.id.clone();
    plane.create_project(&user, config).await?;
    let detail = plane.get_project(&id).await?;
    let location = [(header::LOCATION, format!("/api/v1/projects/{id}"))];
    Ok((StatusCode::CREATED, location, Json(detail)).into_response())
}

/// Changes the fields sent, keeping the others; answers the project as saved.
#[utoipa::path(patch, path = "/api/v1/projects/{id}", tag = "projects",
    params(("id" = String, Path, description = "The project's id before the change")),
    request_body = ProjectFields,
    responses(
        (status = 200, description = "Saved", body = ProjectDetail),
        (status = 400, description = "A field was refused (see `fields`)", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn update_project(
    State(plane): State<Arc<Plane>>,
    Caller(user): Caller,
    Path(id): Path<String>,
    JsonBody(fields): JsonBody<ProjectFields>,
) -> ApiResult<Json<ProjectDetail>> {
    let original = project_id(&id)?;
    let saved = plane.get_project(&original).await?;
    let config = fields.apply(ProjectForm::from_config(&saved.config)).validate()?;
    let id = config.id.clone();
    plane.update_project(&user, &original, config).await?;
    Ok(Json(plane.get_project(&id).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sending_one_kind_of_repository_replaces_the_other() {
        let hosted = ProjectFields {
            id: Some("shop".into()),
            repo_owner: Some("acme".into()),
            repo_name: Some("shop".into()),
            timeout_secs: Some(120),
            allow_ci_cd: Some(true),
            ..ProjectFields::default()
        };
        let config = hosted.apply(ProjectForm::default()).validate().expect("valid");
        assert_eq!(config.repository.label(), "acme/shop");
        assert_eq!(config.timeout.secs(), 120);
        assert!(config.allow_ci_cd);

        let moved = ProjectFields { repo_url: Some("https://git.example/shop.git".into()), ..Default::default() };
        let config = moved.apply(ProjectForm::from_config(&config)).validate().expect("valid");
        assert_eq!(config.repository.label(), "https://git.example/shop.git");
        assert_eq!(config.timeout.secs(), 120, "fields not sent are kept");
        assert!(config.allow_ci_cd);

        let off = ProjectFields { allow_ci_cd: Some(false), ..Default::default() };
        assert!(!off.apply(ProjectForm::from_config(&config)).validate().expect("valid").allow_ci_cd);
    }

    #[test]
    fn creating_without_an_id_names_the_field() {
        let errors = ProjectFields::default().apply(ProjectForm::default()).validate().expect_err("invalid");
        assert!(errors.get("id").is_some(), "{errors}");
    }
}

/// What deploying the project now would change against its last successful deployment:
/// the commit range, variables added, changed or removed (secret values masked),
/// domains, resources and services changed, the nginx file's line diff, and what
/// blocks the deployment (`problems`). For a signed-in caller or a token that may
/// read, or with the project's deploy key.
#[utoipa::path(get, path = "/api/v1/projects/{id}/plan", tag = "deployments", operation_id = "get_plan",
    params(("id" = String, Path, description = "The project's id")),
    responses(
        (status = 200, description = "The plan; `is_empty` in the UI's words: nothing changed", body = nsm_core::plan::Plan),
        (status = 404, description = "No such project (401 for a deploy key)", body = ErrorBody),
    ))]
pub async fn get_plan(
    State(plane): State<Arc<Plane>>,
    user: Option<axum::Extension<app::model::CurrentUser>>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    use app::backend::Deployments;
    let refused = || super::super::status::unauthorized();
    let project = match project_id(&id) {
        Ok(project) => project,
        Err(error) if user.is_some() => return error.into_response(),
        Err(_) => return refused(),
    };
    if user.is_none() {
        match super::deployments::presents_deploy_key(&plane, project.as_str(), &headers).await {
            Ok(true) => {}
            Ok(false) => return refused(),
            Err(response) => return response,
        }
    }
    match plane.get_plan(&project).await {
        Ok(plan) => Json(plan).into_response(),
        Err(app::error::AppError::NotFound(_)) if user.is_none() => refused(),
        Err(error) => super::ApiError::App(error).into_response(),
    }
}
