//! Removing what belongs to one project, and only that: every listing is filtered by
//! the project's labels, so other compose projects on the host are never touched.

use nsm_core::compose::LABEL_PROJECT;
use nsm_core::ProjectId;

use super::{ContainerEngine, EngineError, LabelFilter, COMPOSE_PROJECT_LABEL};

/// The compose project name NSM uses for a project.
pub(crate) fn compose_project_name(project: &ProjectId) -> String {
    format!("nsm-{project}")
}

/// What [`remove_project_resources`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Removed {
    pub containers: usize,
    pub networks: usize,
    pub images: usize,
    /// Images the removed containers ran: candidates for clean-up once a new build
    /// has replaced them (see [`remove_replaced_images`]).
    pub image_ids: Vec<String>,
}

/// Removes the project's remaining containers (by compose project and by NSM label),
/// its networks, and its dangling images that Compose labelled with the project.
pub(crate) async fn remove_project_resources(
    engine: &dyn ContainerEngine,
    project: &ProjectId,
) -> Result<Removed, EngineError> {
    let compose = LabelFilter::is(COMPOSE_PROJECT_LABEL, &compose_project_name(project));
    let nsm = LabelFilter::is(LABEL_PROJECT, project.as_str());
    let mut removed = Removed::default();

    let mut containers = engine.list_containers(&compose).await?;
    for extra in engine.list_containers(&nsm).await? {
        if !containers.iter().any(|c| c.id == extra.id) {
            containers.push(extra);
        }
    }
    for container in &containers {
        engine.remove_container(&container.id).await?;
        removed.containers += 1;
        if let Some(image) = &container.image_id {
            if !removed.image_ids.contains(image) {
                removed.image_ids.push(image.clone());
            }
        }
    }
    for network in engine.list_networks(&compose).await? {
        engine.remove_network(&network.id).await?;
        removed.networks += 1;
    }
    // Compose v2 labels the images it builds with the project; v1 does not, which is
    // what `remove_replaced_images` is for.
    removed.images = engine.prune_dangling_images(&compose).await?;
    Ok(removed)
}

/// Removes those of `image_ids` that are now dangling (their tags moved to a new build)
/// and unused. Tagged or in-use images stay. Returns how many went.
pub(crate) async fn remove_replaced_images(engine: &dyn ContainerEngine, image_ids: &[String]) -> usize {
    let mut count = 0;
    for id in image_ids {
        match engine.image_tags(id).await {
            Ok(Some(tags)) if tags.is_empty() => match engine.remove_image(id).await {
                Ok(()) => count += 1,
                Err(error) if error.is_conflict() => {}
                Err(error) => tracing::warn!(%error, image = %id, "could not remove a replaced image"),
            },
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, image = %id, "could not inspect a replaced image"),
        }
    }
    count
}
