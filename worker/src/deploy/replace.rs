//! Replacing the previous deployment: the new checkout comes up with Docker Compose
//! over the running one, then whatever earlier deployments left is removed, and the
//! images the new build replaced are pruned in the background.

use std::path::Path;
use std::sync::Arc;

use nsm_core::compose::OVERRIDE_FILE_NAME;
use nsm_core::protocol::{DeploySpec, LogStream};
use nsm_core::ProjectId;
use tracing::Instrument;

use super::error::DeployError;
use super::guard::Guard;
use super::narrator::Narrator;
use super::prepare::Prepared;
use crate::machine::compose::run_streaming;
use crate::machine::docker::{
    compose_project_name, remove_replaced_images, remove_stale_containers, ContainerEngine, LabelFilter,
    COMPOSE_PROJECT_LABEL,
};

const UP_ARGS: [&str; 4] = ["up", "-d", "--build", "--remove-orphans"];

/// Brings the installed checkout up and removes what earlier deployments left; returns
/// the images those deployments ran (to prune once nothing uses them).
#[tracing::instrument(name = "replace", skip_all)]
pub(crate) async fn replace(
    engine: &dyn ContainerEngine,
    spec: &DeploySpec,
    current: &Path,
    prepared: Prepared,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<Vec<String>, DeployError> {
    start(spec, current, &prepared, guard, narr).await?;
    let mut images = prepared.previous_images;
    images.append(&mut sweep(engine, spec, guard, narr).await?);
    Ok(images)
}

async fn start(
    spec: &DeploySpec,
    current: &Path,
    prepared: &Prepared,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<(), DeployError> {
    let files = [current.join(&prepared.compose_file), current.join(OVERRIDE_FILE_NAME)];
    let command = prepared.cli.command(&compose_project_name(&spec.project), current, &files, &UP_ARGS);
    // Over the running deployment: Compose recreates every service (the deployment
    // label differs) and removes orphans, which replaces the previous deployment.
    narr.system(format!("Replacing the previous deployment: compose {}", UP_ARGS.join(" ")));
    match run_streaming(command, guard.limits(), |stream, line| narr.line(stream, line)).await {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            narr.line(LogStream::System, format!("Compose `up` failed: {status}"));
            Err(DeployError::ComposeUp(status))
        }
        Err(error) => Err(DeployError::compose_run("starting the services", error)),
    }
}

/// Removes what remains of earlier deployments after the replacing `up`; returns the
/// images those containers ran.
async fn sweep(
    engine: &dyn ContainerEngine,
    spec: &DeploySpec,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<Vec<String>, DeployError> {
    let removed = guard
        .step(
            "removing the previous deployment's containers",
            remove_stale_containers(engine, &spec.project, spec.deployment),
        )
        .await?
        .map_err(DeployError::Sweep)?;
    if removed.containers > 0 {
        narr.system(format!("Removed {} container(s) left by earlier deployments", removed.containers));
    }
    Ok(removed.image_ids)
}

/// Removes, in the background and within the deployment's span, the images the new
/// build left dangling: those the previous containers ran, and (Compose v2 labels its
/// builds) the project's dangling ones. Tagged or in-use images stay. Image clean-up
/// only frees disk: nothing waits for it.
pub(crate) fn prune_images_later(engine: Arc<dyn ContainerEngine>, project: ProjectId, replaced: Vec<String>) {
    tokio::spawn(prune_images(engine, project, replaced).in_current_span());
}

async fn prune_images(engine: Arc<dyn ContainerEngine>, project: ProjectId, replaced: Vec<String>) {
    let mut pruned = remove_replaced_images(engine.as_ref(), &replaced).await;
    let compose = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(&project));
    match engine.prune_dangling_images(&compose).await {
        Ok(count) => pruned += count,
        Err(error) => tracing::warn!(%error, "could not prune the project's dangling images"),
    }
    if pruned > 0 {
        tracing::info!(pruned, "removed images a new build replaced");
    }
}
