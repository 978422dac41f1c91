//! Preparing a deployment without touching the running one: fetch into the project's
//! mirror and check out, discover, stop on
//! major changes, resolve variables, write `.env` and the compose override into the
//! staged checkout (fresh files, never through a committed link), and check what
//! Compose resolves from them against the worker's policy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nsm_core::changes::major_changes;
use nsm_core::compose::{render_override, ServiceName, OVERRIDE_FILE_NAME};
use nsm_core::env::render_dotenv;
use nsm_core::protocol::{DeploySpec, EdgePlan};

use super::account::{project_containers, Before};
use super::error::DeployError;
use super::guard::Guard;
use super::narrator::Narrator;
use super::policy;
use super::resolve::resolve;
use super::{Draft, EdgePlans};
use crate::edge::Edge;
use crate::machine::checkout::discover_checkout;
use crate::machine::compose::ComposeCli;
use crate::machine::generated::write_generated;
use crate::machine::git::{checkout_pinned, display_url, fetch_checkout};
use crate::machine::layout::{remove_quietly, Layout};
use crate::machine::Machine;

/// A checkout ready to replace the running deployment.
pub(crate) struct Prepared {
    /// The compose CLI the deployment runs.
    pub cli: ComposeCli,
    /// The staging checkout, with NSM's `.env` and compose override written in it.
    pub checkout: PathBuf,
    pub compose_file: String,
    /// The compose file's services.
    pub services: Vec<ServiceName>,
    /// The project's containers before this deployment touched anything.
    pub before: Before,
    /// The static resources' directories install recreates.
    pub fresh: Vec<PathBuf>,
    /// Images the running deployment's containers run: removed once the new build has
    /// replaced them (and nothing else uses them).
    pub previous_images: Vec<String>,
    /// What the node's edge does once the services are up (already `nginx -t`-checked).
    pub edge_plan: EdgePlan,
}

#[tracing::instrument(name = "prepare", skip_all)]
#[allow(clippy::too_many_arguments)]
pub(crate) async fn prepare(
    machine: &Machine,
    edge: &Edge,
    plans: &dyn EdgePlans,
    spec: &DeploySpec,
    layout: &Layout,
    guard: &Guard,
    narr: &Narrator<'_>,
    draft: &mut Draft,
) -> Result<Prepared, DeployError> {
    let cli = machine.compose().ok_or(DeployError::NoComposeCli)?.clone();
    tokio::fs::create_dir_all(layout.root())
        .await
        .map_err(|source| DeployError::ProjectDir { path: layout.root().to_owned(), source })?;
    for leftover in layout.leftovers().await {
        remove_quietly(&leftover).await;
    }

    let checkout = layout.staging(spec.deployment);
    narr.system(format!(
        "Fetching branch `{}` of {} into the project's mirror (shallow)",
        spec.source.branch,
        display_url(&spec.source.url)
    ));
    let interrupt = Arc::new(AtomicBool::new(false));
    let mirror = layout.mirror();
    let fetch = fetch_checkout(&spec.source, &mirror, &checkout, interrupt.clone());
    let fetched = guard.step("fetching the repository", fetch).await;
    if fetched.is_err() {
        // Stopped: the fetch runs on the blocking pool until it sees this.
        interrupt.store(true, Ordering::Relaxed);
    }
    let fetched = fetched??;
    let how = match (fetched.reused, fetched.objects_received) {
        (false, n) => format!("a new mirror, {n} objects"),
        (true, 0) => "the mirror had it".to_owned(),
        (true, n) => format!("{n} new objects"),
    };
    let mut commit = fetched.commit;
    if let Some(pin) = spec.commit.as_deref().filter(|pin| *pin != commit) {
        // A redeploy runs its commit again, not the branch's tip.
        narr.system(format!("Redeploying commit {pin} (the branch's tip is {commit})"));
        let pinned = checkout_pinned(&mirror, pin, &checkout, interrupt.clone());
        guard.step("checking out the redeployed commit", pinned).await??;
        commit = pin.to_owned();
    }
    narr.system(format!("Checked out commit {commit} ({how})"));
    draft.commit = Some(commit);

    let discovery = discover_checkout(&checkout).await?;
    let changes = major_changes(&spec.saved, &discovery);
    if !changes.is_empty() {
        narr.system("Stopped before touching anything: the repository changed in ways that need a review of the project's configuration:");
        for change in &changes {
            narr.system(format!("  - {change}"));
        }
        narr.system(
            "Review the project's services and variables, then deploy again. The running deployment was not touched.",
        );
        return Err(DeployError::Rejected(changes));
    }
    let compose_file = discovery.compose_file.clone().ok_or(DeployError::NoComposeFile)?;
    let services: Vec<&str> = discovery.services.iter().map(|s| s.as_str()).collect();
    narr.system(format!("Compose file `{compose_file}`; services: {}", services.join(", ")));

    let running = guard
        .step("inspecting the running deployment", project_containers(machine.engine().as_ref(), &spec.project))
        .await??;
    let before = Before::of(&running);
    let held_ports: Vec<u16> = running.iter().flat_map(|c| c.public_ports.iter().copied()).collect();
    let mut previous_images: Vec<String> = Vec::new();
    for image in running.iter().filter_map(|c| c.image_id.clone()) {
        if !previous_images.contains(&image) {
            previous_images.push(image);
        }
    }
    let resolved = resolve(spec, layout, machine.worker_id().as_str(), &held_ports)?;
    for note in &resolved.notes {
        narr.system(note.clone());
    }
    draft.ports = resolved.ports.clone();

    let dialect = cli.dialect();
    let dotenv = render_dotenv(&resolved.values, dialect).map_err(DeployError::Dotenv)?;
    let masked = render_dotenv(&resolved.masked, dialect).map_err(DeployError::Dotenv)?;
    narr.system(format!("Rendered .env ({} variables) for {dialect}", resolved.values.len()));
    draft.env_masked = Some(masked);
    let override_yaml = render_override(&spec.project, &discovery.services);
    draft.compose_override = Some(override_yaml.clone());
    // `.env` holds secrets: readable by the worker's user only.
    for (name, content) in [(".env", &dotenv), (OVERRIDE_FILE_NAME, &override_yaml)] {
        write_generated(&checkout, name, content).await.map_err(DeployError::Generated)?;
    }
    policy::enforce(&cli, spec, layout, &checkout, &compose_file, guard, narr).await?;

    let edge_plan = plan_edge(edge, plans, spec, &resolved.ports, guard, narr).await?;
    let services = discovery.services.clone();
    let fresh = spec.directories.iter().map(|d| layout.directory(d)).collect::<Result<Vec<_>, _>>()?;
    Ok(Prepared { cli, checkout, compose_file, services, before, fresh, previous_images, edge_plan })
}

/// Asks the control plane for the project's nginx file, rendered for the ports just
/// leased, and checks it with `nginx -t` beside everything this node serves.
async fn plan_edge(
    edge: &Edge,
    plans: &dyn EdgePlans,
    spec: &DeploySpec,
    ports: &[(String, u16)],
    guard: &Guard,
    narr: &Narrator<'_>,
) -> Result<EdgePlan, DeployError> {
    if !edge.is_on() {
        return Ok(EdgePlan::Off);
    }
    let plan = guard.step("waiting for the nginx configuration", plans.edge_plan(spec.deployment, ports)).await?;
    let plan = plan.map_err(DeployError::EdgePlan)?;
    if let EdgePlan::Publish(site) = &plan {
        guard.step("checking the nginx configuration", edge.check_plan(&spec.project, &plan)).await??;
        narr.system(format!("edge: nginx configuration for {} checked (nginx -t)", names(&site.hostnames)));
    }
    Ok(plan)
}

pub(super) fn names(hostnames: &[nsm_core::domain::Hostname]) -> String {
    hostnames.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}
