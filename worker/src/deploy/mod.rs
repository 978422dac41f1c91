//! The deployment pipeline (design §4) as an explicit state machine:
//!
//! ```text
//! Prepare ──► Install ──► Replace ──► Settle ──► Publish ──► Done
//!    │           │           │          │           │
//!    └───────────┴───────────┴──────────┴───────────┴──► Done (failed, rejected,
//!                                                           timed out, cancelled)
//! ```
//!
//! Prepare touches nothing that runs; only from Install on is production affected.
//! Prepare also gets the project's nginx file from the control plane (rendered for the
//! ports just leased, [`EdgePlans`]) and checks it; Publish installs it on this node's
//! edge and probes every resource through it: a deployment that is not served fails.
//! The previous deployment is replaced by the new `compose up` itself: a service whose
//! image and configuration did not change keeps its container, running untouched (the
//! deployment's id is no label, so Compose sees nothing new); changed ones are
//! recreated, every one when the spec says `force_recreate`; orphans are removed, and
//! whatever else still carries the project's labels is removed right after, with the
//! images the new build replaced. That is design §4.3's teardown without a second
//! compose run, and each service is down only while its own container is swapped. The
//! node's ledger records which containers each deployment started or kept.
//! Replaced images are removed in the background: freeing disk is not worth a wait.
//! The deadline (the project's timeout) counts from the job's start. A job stopped by
//! it or by cancellation after Install began leaves no container of the project.
//!
//! One file per stage (`prepare`, `install`, `replace`, `settle`); stages return
//! [`error::DeployError`], which becomes the report's outcome once, at the end of
//! [`run`]. Everything runs in a `deployment` span carrying the deployment id and
//! the project, with one child span per stage.

mod account;
mod error;
mod guard;
mod install;
mod narrator;
mod policy;
mod prepare;
mod publish;
mod replace;
mod resolve;
mod settle;

use std::path::PathBuf;
use std::time::Duration;

use nsm_core::protocol::{
    ContainerAccount, DeployOutcome, DeployPhase, DeployReport, DeploySpec, EdgePlan, EdgeReport, JobFailure,
    ServiceResult,
};
use nsm_core::DeploymentId;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use self::error::DeployError;
use self::guard::Guard;
use self::narrator::Narrator;
use self::prepare::Prepared;
use crate::edge::Edge;
use crate::machine::docker::remove_project_resources;
use crate::machine::layout::remove_quietly;
use crate::machine::Machine;
use crate::outbox::Outbox;

/// How long removing a stopped job's containers may take (its deadline has passed).
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(60);

enum Stage {
    Prepare,
    Install(Box<Prepared>),
    Replace { prepared: Box<Prepared>, current: PathBuf },
    Settle { replaced_images: Vec<String>, edge_plan: EdgePlan },
    Publish(EdgePlan),
    Done(Result<(), DeployError>),
}

/// Where a deployment gets its nginx file: the control plane renders it for the
/// ports the deployment leased (the link asks it; tests without a server use
/// [`NoEdgePlans`]).
#[async_trait::async_trait]
pub trait EdgePlans: Send + Sync {
    async fn edge_plan(&self, deployment: DeploymentId, ports: &[(String, u16)]) -> Result<EdgePlan, JobFailure>;
}

/// No control plane: nothing is published.
pub struct NoEdgePlans;

#[async_trait::async_trait]
impl EdgePlans for NoEdgePlans {
    async fn edge_plan(&self, _: DeploymentId, _: &[(String, u16)]) -> Result<EdgePlan, JobFailure> {
        Ok(EdgePlan::Off)
    }
}

impl Stage {
    fn name(&self) -> &'static str {
        match self {
            Stage::Prepare => "prepare",
            Stage::Install(_) => "install",
            Stage::Replace { .. } => "replace",
            Stage::Settle { .. } => "settle",
            Stage::Publish(_) => "publish",
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
    pub edge: Option<EdgeReport>,
    pub containers: Vec<ContainerAccount>,
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
            edge: self.edge,
            containers: self.containers,
        }
    }
}

/// Runs one deployment to its end. Sends `DeployPhase`, `DeployLog` and exactly one
/// `DeployFinished` to `out`, and returns the same report.
#[tracing::instrument(name = "deployment", skip_all, fields(deployment = %spec.deployment, project = %spec.project))]
pub(crate) async fn run(
    machine: &Machine,
    edge: &Edge,
    plans: &dyn EdgePlans,
    spec: DeploySpec,
    cancel: CancellationToken,
    out: &Outbox,
) -> DeployReport {
    let narr = Narrator::new(spec.deployment, out);
    let guard = Guard::new(spec.timeout_secs, cancel);
    let layout = machine.layout(&spec.project);
    let engine = machine.engine();
    let mut draft = Draft::default();
    let mut production_touched = false;
    narr.system(format!(
        "Deployment {} of `{}` on worker `{}` (timeout {} s)",
        spec.deployment,
        spec.project,
        machine.worker_id(),
        spec.timeout_secs
    ));

    let mut stage = Stage::Prepare;
    let mut timings: Vec<(&'static str, Duration)> = Vec::new();
    let result = loop {
        let (name, began) = (stage.name(), Instant::now());
        stage = match stage {
            Stage::Prepare => {
                narr.phase(DeployPhase::Preparing);
                match prepare::prepare(machine, edge, plans, &spec, &layout, &guard, &narr, &mut draft).await {
                    Ok(prepared) => Stage::Install(Box::new(prepared)),
                    Err(error) => Stage::Done(Err(error)),
                }
            }
            Stage::Install(prepared) => match guard.check("preparing") {
                Err(stopped) => Stage::Done(Err(stopped)),
                Ok(()) => {
                    production_touched = true;
                    match guard.step("installing the checkout", install::install(&layout, &spec, &prepared)).await {
                        Ok(Ok(current)) => {
                            narr.system(format!("Installed the checkout with its .env in {}", current.display()));
                            Stage::Replace { prepared, current }
                        }
                        Ok(Err(error)) => Stage::Done(Err(DeployError::Install(error))),
                        Err(stopped) => Stage::Done(Err(stopped)),
                    }
                }
            },
            Stage::Replace { prepared, current } => {
                narr.phase(DeployPhase::Starting);
                let edge_plan = prepared.edge_plan.clone();
                let ledger = machine.ledger().as_ref();
                match replace::replace(engine.as_ref(), ledger, &spec, &current, *prepared, &guard, &narr).await {
                    Ok(replaced) => {
                        draft.containers = replaced.accounts;
                        Stage::Settle { replaced_images: replaced.images, edge_plan }
                    }
                    Err(error) => Stage::Done(Err(error)),
                }
            }
            Stage::Settle { replaced_images, edge_plan } => {
                replace::prune_images_later(engine.clone(), spec.project.clone(), replaced_images);
                narr.phase(DeployPhase::Settling);
                let (services, settled) = settle::settle(engine.as_ref(), &spec, &guard, &narr).await;
                draft.services = services;
                match settled {
                    Ok(()) => Stage::Publish(edge_plan),
                    Err(error) => Stage::Done(Err(error)),
                }
            }
            Stage::Publish(plan) => Stage::Done(publish::publish(edge, &spec, &plan, &guard, &narr, &mut draft).await),
            Stage::Done(result) => break result,
        };
        timings.push((name, began.elapsed()));
    };

    let outcome = match result {
        Ok(()) => DeployOutcome::Succeeded,
        Err(error) => {
            let stopped = matches!(error, DeployError::Stopped { .. });
            if production_touched && stopped {
                narr.system("Removing the project's containers: a stopped deployment leaves nothing half-started");
                remove_all(machine, &spec, &narr).await;
            }
            error.into_outcome(spec.timeout_secs)
        }
    };
    let timings: Vec<String> =
        timings.iter().map(|(name, took)| format!("{name} {:.2} s", took.as_secs_f64())).collect();
    narr.system(format!("Took {}", timings.join(", ")));
    narr.system(conclusion(&outcome));
    tracing::info!(outcome = ?outcome, "deployment finished");
    let report = draft.into_report(outcome);
    narr.finish(&report);
    // Deleting checkouts is not the deployment's business: it happens after the report.
    // The next job may have begun, so only this job's own directories go.
    for own in [layout.retired(spec.deployment), layout.staging(spec.deployment)] {
        remove_quietly(&own).await;
    }
    report
}

async fn remove_all(machine: &Machine, spec: &DeploySpec, narr: &Narrator<'_>) {
    match tokio::time::timeout(CLEANUP_TIMEOUT, remove_project_resources(machine.engine().as_ref(), &spec.project))
        .await
    {
        Ok(Ok(removed)) => {
            if let Err(error) = machine.ledger().forget(&spec.project).await {
                tracing::warn!(%error, "cannot clear the project's container record");
            }
            narr.system(format!("Removed {} container(s) and {} network(s)", removed.containers, removed.networks))
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "could not remove a stopped deployment's containers");
            narr.system(format!("Could not remove the project's containers: {error}"));
        }
        Err(_) => {
            tracing::warn!("removing a stopped deployment's containers took too long");
            narr.system("Removing the project's containers took too long");
        }
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
