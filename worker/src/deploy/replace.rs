//! Replacing the previous deployment: the new checkout comes up with Docker Compose
//! over the running one (a service whose image and configuration did not change keeps
//! its container; `force_recreate` recreates them all), then every container of the
//! project is accounted for ([`super::account`]): what no longer belongs is removed,
//! and the images the new build replaced are pruned in the background.

use std::path::Path;
use std::sync::Arc;

use nsm_core::compose::OVERRIDE_FILE_NAME;
use nsm_core::protocol::{ContainerAccount, DeploySpec, LogStream};
use nsm_core::ProjectId;
use tracing::Instrument;

use super::account::{record_partial, settle_accounts};
use super::error::DeployError;
use super::guard::Guard;
use super::narrator::Narrator;
use super::prepare::Prepared;
use crate::machine::compose::run_streaming;
use crate::machine::docker::{
    compose_project_name, remove_replaced_images, ContainerEngine, LabelFilter, COMPOSE_PROJECT_LABEL,
};
use crate::machine::ledger::Ledger;

const UP_ARGS: [&str; 4] = ["up", "-d", "--build", "--remove-orphans"];
const FORCE_RECREATE: &str = "--force-recreate";

/// What replacing left.
pub(crate) struct Replaced {
    /// Images earlier deployments ran: pruned once nothing uses them.
    pub images: Vec<String>,
    pub accounts: Vec<ContainerAccount>,
}

/// Brings the installed checkout up and accounts for every container of the project.
#[tracing::instrument(name = "replace", skip_all)]
pub(crate) async fn replace(
    engine: &dyn ContainerEngine,
    ledger: &Ledger,
    spec: &DeploySpec,
    current: &Path,
    prepared: Prepared,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<Replaced, DeployError> {
    ledger.begin(&spec.project, spec.deployment).await;
    if let Err(error) = start(engine, spec, current, &prepared, guard, narr).await {
        if !matches!(error, DeployError::Stopped { .. }) {
            record_partial(engine, ledger, &spec.project, spec.deployment, &prepared.before).await;
        }
        ledger.end(&spec.project, spec.deployment).await;
        return Err(error);
    }
    let (before, services, fresh) = (&prepared.before, &prepared.services, &prepared.fresh);
    let accounting = settle_accounts(engine, ledger, &spec.project, spec.deployment, before, services, fresh, narr);
    let accounted = match guard.step("accounting for the project's containers", accounting).await {
        Ok(Ok(accounted)) => accounted,
        Ok(Err(error)) | Err(error) => {
            ledger.end(&spec.project, spec.deployment).await;
            return Err(error);
        }
    };
    let mut images = prepared.previous_images;
    for image in accounted.removed_images {
        if !images.contains(&image) {
            images.push(image);
        }
    }
    Ok(Replaced { images, accounts: accounted.accounts })
}

async fn start(
    engine: &dyn ContainerEngine,
    spec: &DeploySpec,
    current: &Path,
    prepared: &Prepared,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<(), DeployError> {
    let files = [current.join(&prepared.compose_file), current.join(OVERRIDE_FILE_NAME)];
    let mut args: Vec<&str> = UP_ARGS.to_vec();
    if spec.force_recreate {
        args.push(FORCE_RECREATE);
    }
    let command = prepared.cli.command(&compose_project_name(&spec.project), current, &files, &args);
    // Over the running deployment: Compose recreates the services whose image or
    // configuration changed (all of them when forced) and removes orphans.
    let what = if spec.force_recreate { "recreating every service" } else { "recreating what changed" };
    narr.system(format!("Replacing the previous deployment, {what}: compose {}", args.join(" ")));
    let daemon = DaemonWatch::start(engine, &spec.project);
    match run_streaming(command, guard.limits(), |stream, line| narr.line(stream, line)).await {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            narr.line(LogStream::System, format!("Compose `up` failed: {status}"));
            if daemon.went_away().await {
                return Err(DeployError::DockerWentAway(status));
            }
            Err(DeployError::ComposeUp(status))
        }
        Err(error) => Err(DeployError::compose_run("starting the services", error)),
    }
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

/// Whether the Docker daemon went away (stopped or restarted) while compose ran: its
/// event stream, held open over the run, ends or fails. Compose alone only says it
/// failed, and a build the daemon killed on its way down reads like the build's fault.
struct DaemonWatch {
    lost: Arc<std::sync::atomic::AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl DaemonWatch {
    fn start(engine: &dyn ContainerEngine, project: &ProjectId) -> Self {
        use futures_util::StreamExt;
        let mut events =
            engine.container_events(&LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(project)));
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = lost.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if event.is_err() {
                    break;
                }
            }
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        Self { lost, task }
    }

    /// Asked once compose failed. A daemon told to stop first stops its containers
    /// (up to their 10 s grace), failing compose, and closes its API about a second
    /// later: it gets 3 s to show.
    async fn went_away(&self) -> bool {
        for _ in 0..30 {
            if self.lost.load(std::sync::atomic::Ordering::SeqCst) {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        false
    }
}

impl Drop for DaemonWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}
