//! From the database to a project's nginx file for its node: its topology, the ports
//! leased on that node, and what the node said of its edge (ports, paths, how it
//! loads certificates). The shared crate renders ([`nsm_core::edge::site_file`]).

use std::collections::BTreeMap;

use nsm_core::edge::{node_input, site_file, EdgeMode, NginxInput};
use nsm_core::protocol::{EdgeFacts, EdgePlan};
use nsm_core::{ProjectId, WorkerId};

use super::{Edge, EdgeError};
use crate::db;

impl Edge {
    /// What `worker` said of its edge in its last hello.
    pub async fn facts_of(&self, worker: &WorkerId) -> Result<EdgeFacts, EdgeError> {
        db::sites::edge_facts(&self.db, worker).await?.ok_or_else(|| EdgeError::UnknownNode(worker.clone()))
    }

    /// The renderer's input for `project` on `worker`, as a deploy would render it now
    /// (the Domains tab previews it).
    pub async fn input(&self, project: &ProjectId, worker: &WorkerId) -> Result<NginxInput, EdgeError> {
        let facts = self.facts_of(worker).await?;
        self.input_with(project, worker, &facts).await
    }

    async fn input_with(
        &self,
        project: &ProjectId,
        worker: &WorkerId,
        facts: &EdgeFacts,
    ) -> Result<NginxInput, EdgeError> {
        let topology = db::domains::topology(&self.db, project.as_str()).await?;
        let leases: BTreeMap<i64, u16> = db::domains::leases_on(&self.db, worker.as_str()).await?.into_iter().collect();
        let mut input = node_input(project, topology, facts, &leases);
        input.issued = self.issued(project).await?;
        Ok(input)
    }

    /// What `worker`'s edge does with `project` now.
    pub async fn plan(&self, project: &ProjectId, worker: &WorkerId) -> Result<EdgePlan, EdgeError> {
        let facts = self.facts_of(worker).await?;
        if facts.mode == EdgeMode::Off {
            return Ok(EdgePlan::Off);
        }
        let input = self.input_with(project, worker, &facts).await?;
        if input.topology.domains.is_empty() {
            return Ok(EdgePlan::Unpublish);
        }
        Ok(EdgePlan::Publish(site_file(&input)?))
    }
}
