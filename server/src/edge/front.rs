//! Fronting (design §6): a node without a public address is reached through another
//! node's edge, which passes its TLS through by SNI and forwards its ACME HTTP-01
//! requests. Here the control plane tells each fronting node which names to route
//! where — every name the nodes it fronts serve now — whenever that may have changed:
//! a publish or unpublish anywhere, a node reconnecting, a worker's setting.

use nsm_core::edge::{EdgeMode, FrontRoute};
use nsm_core::protocol::EdgeCommand;
use nsm_core::WorkerId;

use super::{Edge, EdgeError};
use crate::db;

impl Edge {
    /// The routes `front` must carry: each node it fronts, at its address and edge
    /// ports, with the names it serves. A node without an address or an edge is left
    /// out (nothing could reach it).
    pub async fn front_routes(&self, front: &WorkerId) -> Result<Vec<FrontRoute>, EdgeError> {
        let mut routes = Vec::new();
        for (worker, address, facts) in db::sites::fronted(&self.db, front).await? {
            let (Some(address), Some(facts)) = (address, facts) else { continue };
            if facts.mode == EdgeMode::Off {
                continue;
            }
            let hostnames = db::sites::served_hostnames(&self.db, &worker).await?;
            routes.push(FrontRoute { worker, address, listen: facts.listen, hostnames });
        }
        Ok(routes)
    }

    /// Sends `front` its routes now; an offline node gets them when it reconnects.
    #[tracing::instrument(skip_all, fields(front = %front))]
    pub async fn refresh_front(&self, front: &WorkerId) -> Result<(), EdgeError> {
        if !self.nodes.is_online(front.as_str()) {
            tracing::debug!("the fronting node is offline: it gets its routes when it reconnects");
            return Ok(());
        }
        let routes = self.front_routes(front).await?;
        // A node that fronts nobody and cannot front needs no (empty) routes.
        if routes.is_empty() && !self.facts_of(front).await.is_ok_and(|f| f.can_front()) {
            return Ok(());
        }
        self.command(front, EdgeCommand::Front { routes }).await?;
        Ok(())
    }

    /// What a fronting node serves may have changed: tell every one. Failures are
    /// logged (what is served stays as it was).
    pub async fn refresh_fronts(&self) {
        let fronts = match db::sites::fronts(&self.db).await {
            Ok(fronts) => fronts,
            Err(error) => {
                tracing::error!(%error, "cannot list the fronting nodes");
                return;
            }
        };
        for front in fronts {
            if let Err(error) = self.refresh_front(&front).await {
                tracing::warn!(%front, %error, "the fronting node did not take its routes");
            }
        }
    }
}
