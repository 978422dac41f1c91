//! Preparing a deployment without touching the running one: clone, discover, stop on
//! major changes, resolve variables, render `.env` and the compose override.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use nsm_core::changes::major_changes;
use nsm_core::compose::render_override;
use nsm_core::env::render_dotenv;
use nsm_core::protocol::{DeployOutcome, DeploySpec};

use super::guard::Guard;
use super::layout::Layout;
use super::narrator::Narrator;
use super::resolve::resolve;
use super::{failed, Draft};
use crate::docker::{compose_project_name, LabelFilter, COMPOSE_PROJECT_LABEL};
use crate::git::{display_url, shallow_clone};
use crate::host::Host;
use crate::sync::discover_checkout;

/// A checkout ready to replace the running deployment.
pub(crate) struct Prepared {
    /// The staging checkout.
    pub checkout: PathBuf,
    pub compose_file: String,
    pub dotenv: String,
    pub override_yaml: String,
    /// Images the running deployment's containers run: removed once the new build has
    /// replaced them (and nothing else uses them).
    pub previous_images: Vec<String>,
}

pub(crate) async fn prepare(
    host: &Host,
    spec: &DeploySpec,
    layout: &Layout,
    guard: &Guard,
    narr: &Narrator<'_>,
    draft: &mut Draft,
) -> Result<Prepared, DeployOutcome> {
    let Some(compose) = host.compose() else {
        return Err(failed(
            "Docker Compose is not installed on this worker (neither `docker compose` nor `docker-compose` answers)",
        ));
    };
    tokio::fs::create_dir_all(layout.root())
        .await
        .map_err(|e| failed(format!("cannot create {}: {e}", layout.root().display())))?;
    for leftover in layout.leftovers().await {
        super::layout::remove_quietly(&leftover).await;
    }

    let checkout = layout.staging(spec.deployment);
    narr.system(format!("Cloning branch `{}` of {} (shallow)", spec.source.branch, display_url(&spec.source.url)));
    let interrupt = Arc::new(AtomicBool::new(false));
    let commit = match guard.run(shallow_clone(&spec.source, &checkout, interrupt.clone())).await {
        Err(stop) => {
            interrupt.store(true, Ordering::Relaxed);
            return Err(guard.outcome(stop, "cloning the repository"));
        }
        Ok(Err(error)) => return Err(failed(error.to_string())),
        Ok(Ok(commit)) => commit,
    };
    narr.system(format!("Checked out commit {commit}"));
    draft.commit = Some(commit);

    let discovery = discover_checkout(&checkout).await.map_err(failed)?;
    let changes = major_changes(&spec.saved, &discovery);
    if !changes.is_empty() {
        narr.system("Stopped before touching anything: the repository changed in ways that need a review of the project's configuration:");
        for change in &changes {
            narr.system(format!("  - {change}"));
        }
        narr.system(
            "Review the project's services and variables, then deploy again. The running deployment was not touched.",
        );
        return Err(DeployOutcome::Rejected { changes });
    }
    let Some(compose_file) = discovery.compose_file.clone() else {
        return Err(failed("the repository has no compose file at its root"));
    };
    let services: Vec<&str> = discovery.services.iter().map(|s| s.as_str()).collect();
    narr.system(format!("Compose file `{compose_file}`; services: {}", services.join(", ")));

    let project_filter = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(&spec.project));
    let running = match guard.run(host.engine().list_containers(&project_filter)).await {
        Err(stop) => return Err(guard.outcome(stop, "inspecting the running deployment")),
        Ok(result) => result.map_err(|e| failed(e.to_string()))?,
    };
    let held_ports: Vec<u16> = running.iter().flat_map(|c| c.public_ports.iter().copied()).collect();
    let mut previous_images: Vec<String> = Vec::new();
    for image in running.iter().filter_map(|c| c.image_id.clone()) {
        if !previous_images.contains(&image) {
            previous_images.push(image);
        }
    }
    let resolved = resolve(spec, layout, host.worker_id().as_str(), &held_ports).map_err(failed)?;
    for note in &resolved.notes {
        narr.system(note.clone());
    }
    draft.ports = resolved.ports.clone();

    let dialect = compose.dialect();
    let dotenv = render_dotenv(&resolved.values, dialect).map_err(|e| failed(format!("cannot write .env: {e}")))?;
    let masked = render_dotenv(&resolved.masked, dialect).map_err(|e| failed(format!("cannot write .env: {e}")))?;
    narr.system(format!("Rendered .env ({} variables) for {dialect}", resolved.values.len()));
    draft.env_masked = Some(masked);
    let override_yaml = render_override(&spec.project, spec.deployment, &discovery.services);
    draft.compose_override = Some(override_yaml.clone());
    Ok(Prepared { checkout, compose_file, dotenv, override_yaml, previous_images })
}
