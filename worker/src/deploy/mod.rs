//! The deployment pipeline (design §4) as an explicit state machine:
//!
//! ```text
//! Prepare ──► TearDown ──► Install ──► Start ──► Settle ──► Done
//!    │            │           │          │          │
//!    └────────────┴───────────┴──────────┴──────────┴──► Done (failed, rejected,
//!                                                        timed out, cancelled)
//! ```
//!
//! Prepare touches nothing that runs; only from TearDown on is production affected.
//! The deadline (the project's timeout) counts from the job's start. A job stopped by
//! it or by cancellation after TearDown began leaves no container of the project.

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
use crate::docker::{remove_project_resources, remove_replaced_images};
use crate::host::{Host, Outbox};

/// How long removing a stopped job's containers may take (its deadline has passed).
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a `Teardown` request may take.
const TEARDOWN_TIMEOUT: Duration = Duration::from_secs(120);

enum Stage {
    Prepare,
    TearDown(Box<Prepared>),
    Install { prepared: Box<Prepared>, old_images: Vec<String> },
    Start { prepared: Box<Prepared>, current: std::path::PathBuf, old_images: Vec<String> },
    Settle,
    Done(DeployOutcome),
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
    let outcome = loop {
        stage = match stage {
            Stage::Prepare => {
                narr.phase(DeployPhase::Preparing);
                match prepare::prepare(host, &spec, &layout, &guard, &narr, &mut draft).await {
                    Ok(prepared) => Stage::TearDown(Box::new(prepared)),
                    Err(outcome) => Stage::Done(outcome),
                }
            }
            Stage::TearDown(prepared) => match guard.check() {
                Err(stop) => Stage::Done(guard.outcome(stop, "preparing")),
                Ok(()) => {
                    production_touched = true;
                    narr.system("Tearing down the previous deployment of this project");
                    let say = |stream: LogStream, line: String| narr.line(stream, line);
                    match tear_down(host, &spec.project, &layout, guard.limits(), &say).await {
                        Ok(old_images) => Stage::Install { prepared, old_images },
                        Err(TeardownError::Stopped(stop)) => {
                            Stage::Done(guard.outcome(stop, "tearing down the previous deployment"))
                        }
                        Err(TeardownError::Failed(error)) => {
                            Stage::Done(failed(format!("tearing down the previous deployment failed: {error}")))
                        }
                    }
                }
            },
            Stage::Install { prepared, old_images } => {
                match guard.run(install::install(&layout, &spec, &prepared)).await {
                    Ok(Ok(current)) => {
                        narr.system(format!("Installed the checkout with its .env in {}", current.display()));
                        Stage::Start { prepared, current, old_images }
                    }
                    Ok(Err(error)) => Stage::Done(failed(format!("installing the checkout failed: {error}"))),
                    Err(stop) => Stage::Done(guard.outcome(stop, "installing the checkout")),
                }
            }
            Stage::Start { prepared, current, old_images } => {
                narr.phase(DeployPhase::Starting);
                match start::start(host, &spec, &current, &prepared, &guard, &narr).await {
                    Ok(()) => {
                        let pruned = remove_replaced_images(host.engine().as_ref(), &old_images).await;
                        if pruned > 0 {
                            narr.system(format!("Removed {pruned} image(s) the new build replaced"));
                        }
                        Stage::Settle
                    }
                    Err(outcome) => Stage::Done(outcome),
                }
            }
            Stage::Settle => {
                narr.phase(DeployPhase::Settling);
                let (services, outcome) = settle::settle(host.engine().as_ref(), &spec, &guard, &narr).await;
                draft.services = services;
                Stage::Done(outcome)
            }
            Stage::Done(outcome) => break outcome,
        };
    };

    let stopped = matches!(outcome, DeployOutcome::TimedOut { .. } | DeployOutcome::Cancelled { .. });
    if production_touched && stopped {
        narr.system("Removing the project's containers: a stopped deployment leaves nothing half-started");
        remove_all(host, &spec.project, &narr).await;
    }
    for leftover in layout.leftovers().await {
        let _ = tokio::fs::remove_dir_all(&leftover).await;
    }
    narr.system(conclusion(&outcome));
    let report = draft.into_report(outcome);
    narr.finish(&report);
    report
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
        Ok(_) => Ok(()),
        Err(TeardownError::Failed(error)) => Err(error),
        Err(TeardownError::Stopped(_)) => {
            Err(format!("tearing down took longer than {} s", TEARDOWN_TIMEOUT.as_secs()))
        }
    }
}
