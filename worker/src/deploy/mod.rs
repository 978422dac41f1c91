//! The deployment pipeline (design §4) as an explicit state machine:
//!
//! ```text
//! Prepare ──► Install ──► Replace ──► Settle ──► Done
//!    │           │           │          │
//!    └───────────┴───────────┴──────────┴──► Done (failed, rejected, timed out,
//!                                                   cancelled)
//! ```
//!
//! Prepare touches nothing that runs; only from Install on is production affected.
//! The previous deployment is torn down by the replacing `compose up` itself: every
//! service is recreated (the deployment label changes each time), orphans are removed,
//! and whatever else still carries the project's labels is removed right after, with
//! the images the new build replaced. That is design §4.3's teardown without a second
//! compose run, and each service is down only while its own container is swapped.
//! Replaced images are removed in the background: freeing disk is not worth a wait.
//! The deadline (the project's timeout) counts from the job's start. A job stopped by
//! it or by cancellation after Install began leaves no container of the project.

mod guard;
mod install;
mod layout;
mod narrator;
mod ports;
mod prepare;
mod resolve;
mod settle;
mod start;
mod teardown;

use std::sync::Arc;
use std::time::Duration;

use nsm_core::protocol::{DeployOutcome, DeployPhase, DeployReport, DeploySpec, LogStream, ServiceResult};
use nsm_core::ProjectId;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::guard::Guard;
use self::layout::Layout;
use self::narrator::Narrator;
use self::prepare::Prepared;
use self::teardown::{tear_down, TeardownError};
use crate::compose::Limits;
use crate::docker::{
    compose_project_name, remove_project_resources, remove_replaced_images, remove_stale_containers, ContainerEngine,
    LabelFilter, COMPOSE_PROJECT_LABEL,
};
use crate::host::{Host, Outbox};

/// How long removing a stopped job's containers may take (its deadline has passed).
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a `Teardown` request may take.
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(120);

enum Stage {
    Prepare,
    Install(Box<Prepared>),
    Replace { prepared: Box<Prepared>, current: std::path::PathBuf },
    Settle { replaced_images: Vec<String> },
    Done(DeployOutcome),
}

impl Stage {
    fn name(&self) -> &'static str {
        match self {
            Stage::Prepare => "prepare",
            Stage::Install(_) => "install",
            Stage::Replace { .. } => "replace",
            Stage::Settle { .. } => "settle",
            Stage::Done(_) => "done",
        }
    }
}

/// What the report will say, filled in as the job goes.
#[derive(Debug, Default)]
pub(crate) struct Draft {
    pub commit: Option<String>,
    pub env_masked: Option<String>,
    pub compose_override: Option<String>,
    pub ports: Vec<(String, u16)>,
    pub services: Vec<ServiceResult>,
}

impl Draft {
    fn into_report(self, outcome: DeployOutcome) -> DeployReport {
        DeployReport {
            outcome,
            commit: self.commit,
            env_masked: self.env_masked,
            compose_override: self.compose_override,
            ports: self.ports,
            services: self.services,
        }
    }
}

pub(crate) fn failed(reason: impl Into<String>) -> DeployOutcome {
    DeployOutcome::Failed { reason: reason.into() }
}

pub(crate) async fn run(host: &Host, spec: DeploySpec, cancel: CancellationToken, out: &Outbox) -> DeployReport {
    let narr = Narrator::new(spec.deployment, out);
    let guard = Guard::new(spec.timeout_secs, cancel);
    let layout = Layout::new(host.data_dir(), &spec.project);
    let mut draft = Draft::default();
    let mut production_touched = false;
    narr.system(format!(
        "Deployment {} of `{}` on worker `{}` (timeout {} s)",
        spec.deployment,
        spec.project,
        host.worker_id(),
        spec.timeout_secs
    ));

    let mut stage = Stage::Prepare;
    let mut timings: Vec<(&'static str, Duration)> = Vec::new();
    let outcome = loop {
        let (name, began) = (stage.name(), Instant::now());
        stage = match stage {
            Stage::Prepare => {
                narr.phase(DeployPhase::Preparing);
                match prepare::prepare(host, &spec, &layout, &guard, &narr, &mut draft).await {
                    Ok(prepared) => Stage::Install(Box::new(prepared)),
                    Err(outcome) => Stage::Done(outcome),
                }
            }
            Stage::Install(prepared) => match guard.check() {
                Err(stop) => Stage::Done(guard.outcome(stop, "preparing")),
                Ok(()) => {
                    production_touched = true;
                    match guard.run(install::install(&layout, &spec, &prepared)).await {
                        Ok(Ok(current)) => {
                            narr.system(format!("Installed the checkout with its .env in {}", current.display()));
                            Stage::Replace { prepared, current }
                        }
                        Ok(Err(error)) => Stage::Done(failed(format!("installing the checkout failed: {error}"))),
                        Err(stop) => Stage::Done(guard.outcome(stop, "installing the checkout")),
                    }
                }
            },
            Stage::Replace { prepared, current } => {
                narr.phase(DeployPhase::Starting);
                match start::start(host, &spec, &current, &prepared, &guard, &narr).await {
                    Ok(()) => match sweep(host, &spec, &guard, &narr).await {
                        Ok(mut stale_images) => {
                            let mut images = prepared.previous_images;
                            images.append(&mut stale_images);
                            Stage::Settle { replaced_images: images }
                        }
                        Err(outcome) => Stage::Done(outcome),
                    },
                    Err(outcome) => Stage::Done(outcome),
                }
            }
            Stage::Settle { replaced_images } => {
                // Image clean-up only frees disk: nothing waits for it.
                tokio::spawn(prune_images(host.engine().clone(), spec.project.clone(), replaced_images));
                narr.phase(DeployPhase::Settling);
                let (services, outcome) = settle::settle(host.engine().as_ref(), &spec, &guard, &narr).await;
                draft.services = services;
                Stage::Done(outcome)
            }
            Stage::Done(outcome) => break outcome,
        };
        timings.push((name, began.elapsed()));
    };

    let stopped = matches!(outcome, DeployOutcome::TimedOut { .. } | DeployOutcome::Cancelled { .. });
    if production_touched && stopped {
        narr.system("Removing the project's containers: a stopped deployment leaves nothing half-started");
        remove_all(host, &spec.project, &narr).await;
    }
    let timings: Vec<String> =
        timings.iter().map(|(name, took)| format!("{name} {:.2} s", took.as_secs_f64())).collect();
    narr.system(format!("Took {}", timings.join(", ")));
    narr.system(conclusion(&outcome));
    let report = draft.into_report(outcome);
    narr.finish(&report);
    // Deleting checkouts is not the deployment's business: it happens after the report.
    // The next job may have begun, so only this job's own directories go.
    for own in [layout.retired(spec.deployment), layout.staging(spec.deployment)] {
        layout::remove_quietly(&own).await;
    }
    report
}

/// Removes what remains of earlier deployments after the replacing `up`; returns the
/// images those containers ran.
async fn sweep(
    host: &Host,
    spec: &DeploySpec,
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<Vec<String>, DeployOutcome> {
    let engine = host.engine().as_ref();
    match guard.run(remove_stale_containers(engine, &spec.project, spec.deployment)).await {
        Err(stop) => Err(guard.outcome(stop, "removing the previous deployment's containers")),
        Ok(Err(error)) => Err(failed(format!("removing the previous deployment's containers failed: {error}"))),
        Ok(Ok(removed)) => {
            if removed.containers > 0 {
                narr.system(format!("Removed {} container(s) left by earlier deployments", removed.containers));
            }
            Ok(removed.image_ids)
        }
    }
}

/// Removes the images the new build left dangling: those the previous containers ran,
/// and (Compose v2 labels its builds) the project's dangling ones. Tagged or in-use
/// images stay.
async fn prune_images(engine: Arc<dyn ContainerEngine>, project: ProjectId, replaced: Vec<String>) {
    let mut pruned = remove_replaced_images(engine.as_ref(), &replaced).await;
    let compose = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(&project));
    match engine.prune_dangling_images(&compose).await {
        Ok(count) => pruned += count,
        Err(error) => tracing::warn!(%error, project = %project, "could not prune the project's dangling images"),
    }
    if pruned > 0 {
        tracing::info!(project = %project, pruned, "removed images a new build replaced");
    }
}

async fn remove_all(host: &Host, project: &ProjectId, narr: &Narrator<'_>) {
    match tokio::time::timeout(CLEANUP_TIMEOUT, remove_project_resources(host.engine().as_ref(), project)).await {
        Ok(Ok(removed)) => {
            narr.system(format!("Removed {} container(s) and {} network(s)", removed.containers, removed.networks))
        }
        Ok(Err(error)) => narr.system(format!("Could not remove the project's containers: {error}")),
        Err(_) => narr.system("Removing the project's containers took too long"),
    }
}

fn conclusion(outcome: &DeployOutcome) -> String {
    match outcome {
        DeployOutcome::Succeeded => "Deployment succeeded".to_owned(),
        DeployOutcome::Failed { reason } => format!("Deployment failed: {reason}"),
        DeployOutcome::TimedOut { reason } => format!("Deployment timed out: {reason}"),
        DeployOutcome::Cancelled { reason } => format!("Deployment cancelled: {reason}"),
        DeployOutcome::Rejected { changes } => {
            format!("Deployment stopped: {} change(s) need a review of the configuration", changes.len())
        }
    }
}

/// Stops and removes a project's containers and networks (the `Teardown` request).
pub(crate) async fn teardown_project(host: &Host, project: &ProjectId) -> Result<(), String> {
    let layout = Layout::new(host.data_dir(), project);
    let cancel = CancellationToken::new();
    let limits = Limits { deadline: Instant::now() + TEARDOWN_TIMEOUT, cancel: &cancel };
    let say = |stream: LogStream, line: String| tracing::info!(project = %project, ?stream, "{line}");
    match tear_down(host, project, &layout, limits, &say).await {
        Ok(()) => Ok(()),
        Err(TeardownError::Failed(error)) => Err(error),
        Err(TeardownError::Stopped) => Err(format!("tearing down took longer than {} s", TEARDOWN_TIMEOUT.as_secs())),
    }
}
