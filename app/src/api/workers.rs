use leptos::prelude::*;

use crate::error::AppError;
use crate::model::WorkerSummary;

#[server(prefix = "/api/fn", endpoint = "list_workers")]
pub async fn list_workers() -> Result<Vec<WorkerSummary>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.list_workers().await
}

#[server(prefix = "/api/fn", endpoint = "get_fleet_history")]
pub async fn get_fleet_history() -> Result<Vec<nsm_core::service::DayCell>, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_fleet_history().await
}

#[server(prefix = "/api/fn", endpoint = "get_control_plane_status")]
pub async fn get_control_plane_status() -> Result<crate::model::ControlPlaneStatus, AppError> {
    crate::backend::current_user()?;
    crate::backend::control_plane()?.get_control_plane_status().await
}

#[server(prefix = "/api/fn", endpoint = "add_worker")]
pub async fn add_worker(id: String, name: String) -> Result<crate::model::IssuedToken, AppError> {
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(id.trim()).map_err(|e| {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("id", e);
        AppError::from(errors)
    })?;
    crate::backend::control_plane()?.add_worker(&user, id, &name).await
}

#[server(prefix = "/api/fn", endpoint = "rotate_worker_token")]
pub async fn rotate_worker_token(id: String) -> Result<crate::model::IssuedToken, AppError> {
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    crate::backend::control_plane()?.rotate_worker_token(&user, &id).await
}

#[server(prefix = "/api/fn", endpoint = "set_worker_address")]
pub async fn set_worker_address(id: String, address: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    let address = nsm_core::worker::parse_public_address(&address).map_err(|e| {
        let mut errors = nsm_core::FieldErrors::new();
        errors.add("address", e);
        AppError::from(errors)
    })?;
    crate::backend::control_plane()?.set_worker_address(&user, &id, address).await
}

/// `front` empty: the worker is public.
#[server(prefix = "/api/fn", endpoint = "set_worker_front")]
pub async fn set_worker_front(id: String, front: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    let front = match front.trim() {
        "" => None,
        text => Some(nsm_core::WorkerId::parse(text).map_err(|_| AppError::NotFound(format!("Worker {text:?}")))?),
    };
    crate::backend::control_plane()?.set_worker_front(&user, &id, front).await
}

#[server(prefix = "/api/fn", endpoint = "remove_worker")]
pub async fn remove_worker(id: String) -> Result<(), AppError> {
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    crate::backend::control_plane()?.remove_worker(&user, &id).await
}

#[server(prefix = "/api/fn", endpoint = "get_worker_policy")]
pub async fn get_worker_policy(id: String) -> Result<nsm_core::worker_policy::WorkerPolicy, AppError> {
    crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    crate::backend::control_plane()?.get_worker_policy(&id).await
}

/// One checkbox per allowance, named as the allowance (present means allowed); admins
/// only.
#[server(prefix = "/api/fn", endpoint = "set_worker_policy")]
pub async fn set_worker_policy(
    id: String,
    privileged: Option<String>,
    host_paths: Option<String>,
    docker_socket: Option<String>,
    host_network: Option<String>,
    host_pid: Option<String>,
    capabilities: Option<String>,
) -> Result<(), AppError> {
    use nsm_core::worker_policy::{Allowance, WorkerPolicy};
    let user = crate::backend::current_user()?;
    let id = nsm_core::WorkerId::parse(&id).map_err(|_| AppError::NotFound(format!("Worker {id:?}")))?;
    let mut policy = WorkerPolicy::default();
    for (allowance, checked) in [
        (Allowance::Privileged, privileged),
        (Allowance::HostPaths, host_paths),
        (Allowance::DockerSocket, docker_socket),
        (Allowance::HostNetwork, host_network),
        (Allowance::HostPid, host_pid),
        (Allowance::Capabilities, capabilities),
    ] {
        policy.set(allowance, checked.is_some());
    }
    crate::backend::control_plane()?.set_worker_policy(&user, &id, policy).await
}
