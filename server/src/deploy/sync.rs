//! "Sync with repository": the worker clones the branch and reports what it holds;
//! the saved configuration is updated to match (nothing is deleted).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use nsm_core::changes::{major_changes, unused_variables, SavedShape};
use nsm_core::compose::{Discovery, ServiceName};
use nsm_core::env::EnvName;
use nsm_core::protocol::{RepoSource, ServerMessage, WorkerMessage};
use nsm_core::ProjectId;

use super::{DeployError, Deployer};
use crate::db;

const SYNC_TIMEOUT: Duration = Duration::from_secs(300);

/// What a sync found and what changed: the UI's view of it.
pub use nsm_core::view::SyncView as SyncSummary;

/// The saved configuration deployments are compared with.
pub async fn saved_shape(db: &db::Db, project: &str) -> Result<SavedShape, DeployError> {
    let state = db::projects::sync_state(db, project).await?;
    let services = db::services::list_services(db, project)
        .await?
        .into_iter()
        .filter(|s| !s.missing)
        .filter_map(|s| ServiceName::parse(&s.name).ok())
        .collect();
    let variables = db::variables::names(db, project).await?.iter().filter_map(|n| EnvName::parse(n).ok()).collect();
    Ok(SavedShape { compose_file: state.compose_file.is_some(), services, variables })
}

/// Where the worker clones from: the project's URL, or owner/name on the git base URL.
pub async fn repo_source(deployer: &Deployer, project: &ProjectId) -> Result<(String, RepoSource), DeployError> {
    let db = deployer.db();
    let row =
        db::projects::get_project(db, project).await?.ok_or_else(|| DeployError::NoProject(project.to_string()))?;
    let base = db::settings::git_base_url(db).await?;
    let state = db::projects::sync_state(db, project.as_str()).await?;
    let token = match state.repo_token_enc {
        Some(sealed) => Some(deployer.secrets().open_sealed(&sealed)?),
        None => None,
    };
    let source =
        RepoSource { url: row.config.repository.clone_url(&base), branch: row.config.branch.to_string(), token };
    Ok((row.config.worker.to_string(), source))
}

pub async fn sync(deployer: &Arc<Deployer>, project: &ProjectId) -> Result<SyncSummary, DeployError> {
    let (worker, source) = repo_source(deployer, project).await?;
    let answer = deployer
        .workers()
        .request(&worker, SYNC_TIMEOUT, Box::new(|request| ServerMessage::Sync { request, source }))
        .await?;
    let report = match answer {
        WorkerMessage::Synced { result: Ok(report), .. } => report,
        WorkerMessage::Synced { result: Err(failure), .. } => return Err(DeployError::Sync(failure.0)),
        other => return Err(DeployError::Sync(format!("unexpected answer from the worker: {other:?}"))),
    };
    apply(deployer.db(), project.as_str(), &report.commit, &report.discovery, deployer).await
}

/// Saves a discovery as the project's configuration and reports the differences.
pub async fn apply(
    db: &db::Db,
    project: &str,
    commit: &str,
    discovery: &Discovery,
    deployer: &Deployer,
) -> Result<SyncSummary, DeployError> {
    let saved = saved_shape(db, project).await?;
    let changes: Vec<String> = major_changes(&saved, discovery).iter().map(ToString::to_string).collect();
    let unused: Vec<String> = unused_variables(&saved, discovery).iter().map(ToString::to_string).collect();

    db::projects::record_sync(db, project, discovery.compose_file.as_deref(), commit).await?;
    let services: Vec<String> = discovery.services.iter().map(ToString::to_string).collect();
    db::services::reconcile(db, project, &services).await?;
    let known: BTreeSet<String> = db::variables::names(db, project).await?.into_iter().collect();
    let empty = deployer.secrets().seal("").map_err(|e| DeployError::Sync(e.to_string()))?;
    let variables: Vec<String> = discovery.variables.iter().map(ToString::to_string).collect();
    for name in variables.iter().filter(|n| !known.contains(*n)) {
        // New names start as empty plain values for the user to fill in.
        db::variables::save_variable(db, project, name, "plain", Some(&empty), None).await?;
    }
    db::variables::mark_usage(db, project, &variables).await?;
    Ok(SyncSummary {
        commit: commit.to_owned(),
        compose_file: discovery.compose_file.clone(),
        services,
        variables,
        changes,
        unused,
    })
}

pub async fn teardown(deployer: &Arc<Deployer>, project: &ProjectId) -> Result<(), DeployError> {
    let (worker, _) = repo_source(deployer, project).await?;
    let project = project.clone();
    let teardown = Box::new(|request| ServerMessage::Teardown { request, project });
    match deployer.workers().request(&worker, SYNC_TIMEOUT, teardown).await? {
        WorkerMessage::TornDown { result: Ok(()), .. } => Ok(()),
        WorkerMessage::TornDown { result: Err(failure), .. } => Err(DeployError::Sync(failure.0)),
        other => Err(DeployError::Sync(format!("unexpected answer from the worker: {other:?}"))),
    }
}
