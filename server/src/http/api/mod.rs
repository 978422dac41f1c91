//! `/api/v1`: the worker link, live events, resource use, container logs, and the
//! CI/CD API. Each route is declared once with the access it needs; the guard
//! enforces that table (and the access test walks it).

mod ci;
mod events;
mod keys;
mod live;
mod logs;
mod stats;
mod status;

use std::sync::Arc;

use axum::handler::Handler;
use axum::http::Method;
use axum::routing::{on, MethodFilter};
use axum::Router;
use nsm_core::access::Permission;

pub use keys::bearer;

use super::worker_link as ws;
use crate::control_plane::Plane;

/// What a `/api/v1` route requires before its handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteAccess {
    /// A worker's own token, checked by the link's handshake.
    Worker,
    /// A GitHub signature over the body, checked by the handler.
    Webhook,
    /// The project's deploy key (checked by the handler), or a session or API token
    /// allowed `Permission` (checked by the guard).
    KeyOr(Permission),
    /// A session or API token allowed `Permission`.
    Needs(Permission),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRule {
    pub method: Method,
    pub path: &'static str,
    pub access: RouteAccess,
}

struct Routes {
    router: Router<Arc<Plane>>,
    rules: Vec<RouteRule>,
}

impl Routes {
    fn add<H, T>(mut self, method: Method, path: &'static str, access: RouteAccess, handler: H) -> Self
    where
        H: Handler<T, Arc<Plane>>,
        T: 'static,
    {
        let filter = if method == Method::POST { MethodFilter::POST } else { MethodFilter::GET };
        self.router = self.router.route(path, on(filter, handler));
        self.rules.push(RouteRule { method, path, access });
        self
    }
}

fn routes() -> Routes {
    use Permission::*;
    use RouteAccess::*;
    let get = Method::GET;
    let post = Method::POST;
    Routes { router: Router::new(), rules: Vec::new() }
        .add(get.clone(), nsm_core::protocol::CONNECT_PATH, Worker, ws::connect)
        .add(get.clone(), "/api/v1/events", Needs(Read), live::events)
        .add(get.clone(), "/api/v1/deployments/{id}/events", Needs(Read), events::deployment_events)
        .add(get.clone(), "/api/v1/deployments/{id}", KeyOr(Read), status::deployment)
        .add(get.clone(), "/api/v1/deployments/{id}/log", KeyOr(Read), status::log)
        .add(post.clone(), "/api/v1/projects/{id}/deploy", KeyOr(Deploy), ci::deploy)
        .add(post, "/api/v1/projects/{id}/hooks/github", Webhook, ci::github)
        .add(get.clone(), "/api/v1/projects/{id}/stats", Needs(Read), stats::stats)
        .add(get.clone(), "/api/v1/projects/{id}/logs", Needs(Read), logs::search)
        .add(get.clone(), "/api/v1/projects/{id}/logs/follow", Needs(Read), logs::follow)
        .add(get, "/api/v1/projects/{id}/logs/download", Needs(Read), logs::download)
}

/// Every `/api/v1` route and what it requires.
pub fn rules() -> Vec<RouteRule> {
    routes().rules
}

pub fn router(plane: Arc<Plane>) -> Router {
    routes().router.with_state(plane)
}
