//! The `Teardown` job: taking down a project's running deployment, and nothing else:
//! `compose down` for its checkout, then removal of whatever still carries the
//! project's labels. Its files (volume included) stay.

use std::path::{Path, PathBuf};
use std::time::Duration;

use nsm_core::compose::{pick_compose_file, OVERRIDE_FILE_NAME};
use nsm_core::protocol::LogStream;
use nsm_core::ProjectId;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::machine::compose::{run_streaming, Limits};
use crate::machine::docker::{
    compose_project_name, remove_project_resources, EngineError, LabelFilter, COMPOSE_PROJECT_LABEL,
};
use crate::machine::Machine;

/// How long a `Teardown` request may take.
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(120);

/// Why a teardown failed; the link sends its text as the `TornDown` error.
#[derive(Debug, thiserror::Error)]
pub enum TeardownError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("tearing down took longer than {} s", .0.as_secs())]
    TimedOut(Duration),
    #[error("cannot stop serving the project: {0}")]
    Unpublish(#[from] crate::edge::InstallError),
}

/// Stops and removes a project's containers and networks (the `Teardown` request;
/// deployments replace in place).
#[tracing::instrument(name = "teardown", skip_all, fields(project = %project))]
pub(crate) async fn teardown(machine: &Machine, project: &ProjectId) -> Result<(), TeardownError> {
    let cancel = CancellationToken::new();
    let limits = Limits { deadline: Instant::now() + TEARDOWN_TIMEOUT, cancel: &cancel };
    tracing::info!("tearing down");
    let result = tear_down(machine, project, limits).await;
    match &result {
        Ok(()) => tracing::info!("torn down"),
        Err(error) => tracing::warn!(%error, "teardown failed"),
    }
    result
}

async fn tear_down(machine: &Machine, project: &ProjectId, limits: Limits<'_>) -> Result<(), TeardownError> {
    let out_of_time = |_| TeardownError::TimedOut(TEARDOWN_TIMEOUT);
    let say = |stream: LogStream, line: String| tracing::info!(?stream, "{line}");
    let engine = machine.engine().as_ref();
    let compose_name = compose_project_name(project);

    let running = limits
        .within(engine.list_containers(&LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_name)))
        .await
        .map_err(out_of_time)??;

    let current = machine.layout(project).current();
    match (machine.compose(), compose_files(&current).await) {
        (Some(cli), Some(files)) => {
            tracing::info!("Running `down` for the previous checkout ({} containers)", running.len());
            let command = cli.command(&compose_name, &current, &files, &["down", "--remove-orphans"]);
            match run_streaming(command, limits, say).await {
                Ok(status) if status.success() => {}
                Ok(status) => {
                    tracing::info!("`down` ended with {status}; removing the project's containers directly")
                }
                Err(error) => match error.stop() {
                    Some(_) => return Err(TeardownError::TimedOut(TEARDOWN_TIMEOUT)),
                    None => tracing::info!("`down` could not run ({error}); removing directly"),
                },
            }
        }
        _ if running.is_empty() => tracing::info!("No previous deployment is running"),
        _ => {}
    }

    let removed = limits.within(remove_project_resources(engine, project)).await.map_err(out_of_time)??;
    if let Err(error) = machine.ledger().forget(project).await {
        tracing::warn!(%error, "cannot clear the project's container record");
    }
    if removed.containers + removed.networks + removed.images > 0 {
        tracing::info!(
            "Removed what remained of the project: {} containers, {} networks, {} dangling images",
            removed.containers,
            removed.networks,
            removed.images
        );
    }
    Ok(())
}

/// The compose file and NSM's override of a checkout, if it has a compose file.
async fn compose_files(checkout: &Path) -> Option<Vec<PathBuf>> {
    let mut entries = match tokio::fs::read_dir(checkout).await {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => {
            tracing::warn!(%error, path = %checkout.display(), "cannot list the deployed checkout");
            return None;
        }
    };
    let mut names = Vec::new();
    loop {
        match entries.next_entry().await {
            Ok(Some(entry)) => {
                if let Ok(name) = entry.file_name().into_string() {
                    names.push(name);
                }
            }
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(%error, path = %checkout.display(), "cannot list the deployed checkout");
                break;
            }
        }
    }
    let mut files = vec![checkout.join(pick_compose_file(&names)?)];
    if names.iter().any(|n| n == OVERRIDE_FILE_NAME) {
        files.push(checkout.join(OVERRIDE_FILE_NAME));
    }
    Some(files)
}
