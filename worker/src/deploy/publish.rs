//! The last stage (design §4.6): install the project's nginx file on this node's edge
//! and ask the edge for every resource; the deployment succeeds only when it is
//! served.

use nsm_core::protocol::{DeploySpec, EdgePlan};

use super::error::DeployError;
use super::guard::Guard;
use super::narrator::Narrator;
use super::prepare::names;
use super::Draft;
use crate::edge::Edge;

#[tracing::instrument(name = "publish", skip_all)]
pub(crate) async fn publish(
    edge: &Edge,
    spec: &DeploySpec,
    plan: &EdgePlan,
    guard: &Guard,
    narr: &Narrator<'_>,
    draft: &mut Draft,
) -> Result<(), DeployError> {
    let site = match plan {
        EdgePlan::Off => return Ok(()),
        EdgePlan::Unpublish => {
            let was = edge.is_published(&spec.project);
            draft.edge = Some(guard.step("unpublishing", edge.apply_plan(&spec.project, plan)).await??);
            narr.system(if was {
                "edge: the project has no domains any more; it is no longer served"
            } else {
                "edge: the project has no domains; nothing to publish"
            });
            return Ok(());
        }
        EdgePlan::Publish(site) => site,
    };
    narr.system(format!("edge: installing the nginx configuration for {}", names(&site.hostnames)));
    let report = guard.step("publishing", edge.apply_plan(&spec.project, plan)).await?;
    let report = match report {
        Ok(report) => report,
        Err(error) => {
            narr.system(format!("edge: {error}"));
            return Err(error.into());
        }
    };
    draft.edge = Some(report);
    let listen = edge.listen();
    narr.system(format!(
        "edge: nginx -t passed, nginx reloaded; serving on ports {} (HTTP) and {} (HTTPS)",
        listen.http, listen.https
    ));
    match guard.step("verifying what the edge serves", edge.verify_site(site, guard.deadline)).await? {
        Ok(lines) => {
            for line in lines {
                narr.system(format!("edge: {line}"));
            }
            Ok(())
        }
        Err(error) => {
            narr.system(format!("edge: {error}"));
            Err(error.into())
        }
    }
}
