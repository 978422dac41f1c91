//! The CI/CD API: `POST /api/v1/projects/{id}/deploy` (bearer deploy key) and
//! `POST /api/v1/projects/{id}/hooks/github` (signed push events).

use std::sync::Arc;
use std::time::Duration;

use app::model::CurrentUser;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use nsm_core::activity::{ActivityOutcome, ActivitySource};
use nsm_core::{DeploymentId, ProjectId, Trigger};
use serde::Deserialize;
use serde_json::{json, Value};

use super::keys;
use super::status::{app_error, deployment_json, internal_error, not_found, status_code_for, unauthorized};
use crate::activity::Activity;
use crate::control_plane::Plane;
use crate::db::{self, projects::ProjectRow};

/// Beyond the project's timeout, how long `?wait=true` holds on.
const WAIT_MARGIN: Duration = Duration::from_secs(60);

#[derive(Debug, Default, Deserialize)]
pub struct DeployQuery {
    #[serde(default)]
    wait: bool,
}

fn answer(status: StatusCode, body: Value) -> Response {
    (status, Json(body)).into_response()
}

fn activity(
    plane: &Plane,
    project: &str,
    source: ActivitySource,
    outcome: ActivityOutcome,
    detail: impl Into<String>,
    deployment: Option<DeploymentId>,
) {
    plane.activity.record(Activity { project: project.to_owned(), source, outcome, detail: detail.into(), deployment });
}

/// The project a CI call names. One that cannot exist is refused like a wrong key
/// (401, so ids cannot be probed); a store failure is a 500.
async fn load(plane: &Plane, id: &str) -> Result<ProjectRow, Response> {
    let Ok(id) = ProjectId::parse(id) else {
        return Err(unauthorized());
    };
    db::projects::get_project(&plane.db, &id).await.map_err(internal_error)?.ok_or_else(unauthorized)
}

/// Checks the project's switch and rate limit, then queues (or joins) a deployment.
async fn admit(
    plane: &Arc<Plane>,
    project: &ProjectRow,
    source: ActivitySource,
    who: &str,
) -> Result<DeploymentId, Response> {
    let id = project.config.id.as_str();
    if !project.config.allow_ci_cd {
        activity(plane, id, source, ActivityOutcome::Refused, "CI/CD is disabled for this project", None);
        return Err(answer(StatusCode::FORBIDDEN, json!({ "error": "ci_cd_disabled" })));
    }
    if let Err(wait) = plane.ci_limiter.check(id) {
        activity(plane, id, source, ActivityOutcome::Refused, "rate limited", None);
        let secs = wait.as_secs().max(1);
        let mut response =
            answer(StatusCode::TOO_MANY_REQUESTS, json!({ "error": "rate_limited", "retry_after": secs }));
        if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, value);
        }
        return Err(response);
    }
    match plane.deployer.request(&project.config.id, Trigger::Webhook, Some(who)).await {
        Ok(requested) => {
            let detail = if requested.coalesced {
                format!("joined queued deployment #{}", requested.deployment)
            } else {
                format!("queued deployment #{}", requested.deployment)
            };
            activity(plane, id, source, ActivityOutcome::Accepted, &detail, Some(requested.deployment));
            Ok(requested.deployment)
        }
        Err(error) => {
            tracing::error!(%error, project = id, "webhook deployment request failed");
            activity(plane, id, source, ActivityOutcome::Refused, "server error", None);
            Err(answer(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "internal" })))
        }
    }
}

fn accepted(deployment: DeploymentId) -> Value {
    json!({ "deployment_id": deployment.to_string(), "status_url": format!("/api/v1/deployments/{deployment}") })
}

/// With `?wait=true`, holds until the deployment ends: `200` when it succeeded, the
/// same JSON with a non-2xx status otherwise, so `curl --fail` fails the CI job.
async fn settle(plane: &Arc<Plane>, project: &ProjectRow, deployment: DeploymentId, wait: bool) -> Response {
    if !wait {
        return answer(StatusCode::ACCEPTED, accepted(deployment));
    }
    let bound = Duration::from_secs(u64::from(project.config.timeout.secs())) + WAIT_MARGIN;
    match plane.deployer.wait_for_end(deployment, bound).await {
        Ok(Some(row)) => {
            let status = status_code_for(row.state);
            answer(status, deployment_json(&row))
        }
        Ok(None) => answer(
            StatusCode::GATEWAY_TIMEOUT,
            json!({ "error": "still_running", "deployment_id": deployment.to_string() }),
        ),
        Err(error) => {
            tracing::error!(%error, %deployment, "waiting for a deployment failed");
            answer(StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": "internal" }))
        }
    }
}

/// Queues a deployment (or joins the one queued): for CI with the project's deploy key
/// (when CI/CD is on), or for a caller allowed to deploy. With `wait=true`, answers
/// once it ended: 200 succeeded, 409 failed or cancelled, 504 timed out.
#[utoipa::path(post, path = "/api/v1/projects/{id}/deploy", tag = "deployments", operation_id = "deploy_project",
    params(
        ("id" = String, Path, description = "The project's id"),
        ("wait" = Option<bool>, Query, description = "Hold on until the deployment ends"),
    ),
    responses(
        (status = 202, description = "Queued: `deployment_id` and `status_url`", body = Object),
        (status = 200, description = "With `wait=true`: it succeeded", body = super::status::DeploymentStatus),
        (status = 409, description = "With `wait=true`: it failed or was cancelled", body = super::status::DeploymentStatus),
        (status = 429, description = "Over the project's CI rate limit (`Retry-After`)", body = Object),
    ))]
pub async fn deploy(
    State(plane): State<Arc<Plane>>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<String>,
    Query(query): Query<DeployQuery>,
    headers: HeaderMap,
) -> Response {
    // A session or API token the guard found allowed to deploy: as the Deploy button.
    if let Some(Extension(user)) = user {
        return deploy_as(&plane, &user, &id, query.wait).await;
    }
    let project = match load(&plane, &id).await {
        Ok(project) => project,
        Err(refusal) => return refusal,
    };
    let stored = match db::ci::deploy_key_hash(&plane.db, &id).await {
        Ok(stored) => stored,
        Err(error) => return internal_error(error),
    };
    let valid = match (keys::bearer(&headers), stored.as_deref()) {
        (Some(presented), Some(stored)) => keys::key_matches(presented, stored),
        _ => false,
    };
    if !valid {
        activity(&plane, &id, ActivitySource::DeployKey, ActivityOutcome::Refused, "missing or wrong deploy key", None);
        return unauthorized();
    }
    match admit(&plane, &project, ActivitySource::DeployKey, "deploy key").await {
        Ok(deployment) => settle(&plane, &project, deployment, query.wait).await,
        Err(response) => response,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// GitHub's push webhook, signed with the project's webhook secret
/// (`X-Hub-Signature-256`); a push to the project's branch queues a deployment.
#[utoipa::path(post, path = "/api/v1/projects/{id}/hooks/github", tag = "deployments", operation_id = "github_push",
    params(("id" = String, Path, description = "The project's id")),
    request_body(content = Object, description = "GitHub's event payload"),
    responses(
        (status = 202, description = "A deployment was queued", body = Object),
        (status = 200, description = "Ping, another branch, or another event: nothing to do", body = Object),
        (status = 401, description = "Missing or bad signature", body = Object),
    ))]
pub async fn github(
    State(plane): State<Arc<Plane>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let project = match load(&plane, &id).await {
        Ok(project) => project,
        Err(refusal) => return refusal,
    };
    let secret = match db::ci::webhook_secret(&plane.db, &id).await {
        Ok(Some(sealed)) => match plane.secrets.open_sealed(&sealed) {
            Ok(secret) => Some(secret),
            Err(error) => return internal_error(error),
        },
        Ok(None) => None,
        Err(error) => return internal_error(error),
    };
    let signed = secret
        .as_deref()
        .is_some_and(|s| keys::github_signature_valid(s.as_bytes(), &body, header(&headers, "x-hub-signature-256")));
    if !signed {
        activity(&plane, &id, ActivitySource::Github, ActivityOutcome::Refused, "missing or bad signature", None);
        return unauthorized();
    }
    let delivery = header(&headers, "x-github-delivery").map(str::to_owned);
    if let Some(delivery) = &delivery {
        match db::ci::delivery(&plane.db, &id, delivery).await {
            // A redelivery gets the answer the first delivery got (stored by us, so valid).
            Ok(Some((status, body))) => {
                let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                return answer(status, body);
            }
            Ok(None) => {}
            Err(error) => return internal_error(error),
        }
    }
    let (status, body) = match header(&headers, "x-github-event") {
        Some("ping") => (StatusCode::OK, json!({ "ok": true })),
        Some("push") => match push_branch(&body) {
            Some(branch) if branch == project.config.branch.as_str() => {
                match admit(&plane, &project, ActivitySource::Github, "github push").await {
                    Ok(deployment) => (StatusCode::ACCEPTED, accepted(deployment)),
                    Err(response) => return response,
                }
            }
            Some(branch) => {
                activity(
                    &plane,
                    &id,
                    ActivitySource::Github,
                    ActivityOutcome::Skipped,
                    format!("push to {branch}, not {}", project.config.branch),
                    None,
                );
                (StatusCode::OK, json!({ "skipped": "branch" }))
            }
            None => (StatusCode::BAD_REQUEST, json!({ "error": "not_a_branch_push" })),
        },
        other => (StatusCode::OK, json!({ "skipped": "event", "event": other.unwrap_or_default() })),
    };
    if let Some(delivery) = &delivery {
        if let Err(error) =
            db::ci::remember_delivery(&plane.db, &id, delivery, status.as_u16(), &body.to_string()).await
        {
            tracing::error!(%error, "cannot remember a webhook delivery");
        }
    }
    answer(status, body)
}

/// The branch a push event is for (`refs/heads/<branch>`); tags and others are None.
fn push_branch(body: &[u8]) -> Option<String> {
    let event: Value = serde_json::from_slice(body).ok()?;
    event.get("ref")?.as_str()?.strip_prefix("refs/heads/").map(str::to_owned)
}

async fn deploy_as(plane: &Arc<Plane>, user: &CurrentUser, id: &str, wait: bool) -> Response {
    use app::backend::Deployments;
    let Ok(project_id) = ProjectId::parse(id) else {
        return not_found();
    };
    let project = match db::projects::get_project(&plane.db, &project_id).await {
        Ok(Some(project)) => project,
        Ok(None) => return not_found(),
        Err(error) => return internal_error(error),
    };
    match plane.deploy_project(user, &project_id).await {
        Ok(deployment) => settle(plane, &project, deployment, wait).await,
        Err(error) => app_error(error),
    }
}
