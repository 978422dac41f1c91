//! Taking down a project's running deployment, and nothing else: `compose down` for
//! its checkout, then removal of whatever still carries the project's labels.

use std::path::{Path, PathBuf};

use nsm_core::compose::{pick_compose_file, OVERRIDE_FILE_NAME};
use nsm_core::protocol::LogStream;
use nsm_core::ProjectId;

use super::guard::{run_stop, within};
use super::layout::Layout;
use crate::compose::{run_streaming, Limits};
use crate::docker::{compose_project_name, remove_project_resources, LabelFilter, COMPOSE_PROJECT_LABEL};
use crate::host::Host;

#[derive(Debug)]
pub(crate) enum TeardownError {
    /// Out of time (a teardown cannot be cancelled).
    Stopped,
    Failed(String),
}

/// Where narration goes: the deployment log, or the worker's own log.
pub(crate) type Say<'a> = &'a (dyn Fn(LogStream, String) + Sync);

/// Tears the project down (the Teardown request; deployments replace in place).
pub(crate) async fn tear_down(
    host: &Host,
    project: &ProjectId,
    layout: &Layout,
    limits: Limits<'_>,
    say: Say<'_>,
) -> Result<(), TeardownError> {
    let engine = host.engine().as_ref();
    let compose_name = compose_project_name(project);
    let fail = |e: crate::docker::EngineError| TeardownError::Failed(e.to_string());

    let running = within(limits, engine.list_containers(&LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_name)))
        .await
        .map_err(|_| TeardownError::Stopped)?
        .map_err(fail)?;

    let current = layout.current();
    match (host.compose(), compose_files(&current).await) {
        (Some(cli), Some(files)) => {
            say(LogStream::System, format!("Running `down` for the previous checkout ({} containers)", running.len()));
            let command = cli.command(&compose_name, &current, &files, &["down", "--remove-orphans"]);
            match run_streaming(command, limits, say).await {
                Ok(status) if status.success() => {}
                Ok(status) => say(
                    LogStream::System,
                    format!("`down` ended with {status}; removing the project's containers directly"),
                ),
                Err(error) => match run_stop(&error) {
                    Some(_) => return Err(TeardownError::Stopped),
                    None => say(LogStream::System, format!("`down` could not run ({error}); removing directly")),
                },
            }
        }
        _ if running.is_empty() => say(LogStream::System, "No previous deployment is running".to_owned()),
        _ => {}
    }

    let removed = within(limits, remove_project_resources(engine, project))
        .await
        .map_err(|_| TeardownError::Stopped)?
        .map_err(fail)?;
    if removed.containers + removed.networks + removed.images > 0 {
        say(
            LogStream::System,
            format!(
                "Removed what remained of the project: {} containers, {} networks, {} dangling images",
                removed.containers, removed.networks, removed.images
            ),
        );
    }
    Ok(())
}

/// The compose file and NSM's override of a checkout, if it has a compose file.
pub(crate) async fn compose_files(checkout: &Path) -> Option<Vec<PathBuf>> {
    let mut entries = tokio::fs::read_dir(checkout).await.ok()?;
    let mut names = Vec::new();
    while let Ok(Some(entry)) = entries.next_entry().await {
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    let mut files = vec![checkout.join(pick_compose_file(&names)?)];
    if names.iter().any(|n| n == OVERRIDE_FILE_NAME) {
        files.push(checkout.join(OVERRIDE_FILE_NAME));
    }
    Some(files)
}
