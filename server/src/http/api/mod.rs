//! `/api/v1`: the worker link, live events, resource use, container logs, the CI/CD
//! API and the REST API for scripts (described by `/api/v1/openapi.json`). Each route
//! is declared once with the access it needs; the guard enforces that table (and the
//! access test walks it).

mod audit;
mod ci;
mod events;
mod keys;
mod live;
mod logs;
pub mod openapi;
mod rest;
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
    /// Anyone (the API's own description).
    Public,
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
        let filter = match method {
            Method::GET => MethodFilter::GET,
            Method::POST => MethodFilter::POST,
            Method::PUT => MethodFilter::PUT,
            Method::PATCH => MethodFilter::PATCH,
            Method::DELETE => MethodFilter::DELETE,
            // The table below is fixed at compile time; the access test builds it.
            other => panic!("no /api/v1 route is served for {other}"),
        };
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
    let (put, patch, delete) = (Method::PUT, Method::PATCH, Method::DELETE);
    Routes { router: Router::new(), rules: Vec::new() }
        .add(get.clone(), nsm_core::protocol::CONNECT_PATH, Worker, ws::connect)
        .add(get.clone(), "/api/v1/events", Needs(Read), live::events)
        .add(get.clone(), "/api/v1/audit", Needs(Admin), audit::export)
        .add(get.clone(), "/api/v1/deployments/{id}/events", Needs(Read), events::deployment_events)
        .add(get.clone(), "/api/v1/deployments/{id}", KeyOr(Read), status::deployment)
        .add(get.clone(), "/api/v1/deployments/{id}/log", KeyOr(Read), status::log)
        .add(post.clone(), "/api/v1/projects/{id}/deploy", KeyOr(Deploy), ci::deploy)
        .add(post.clone(), "/api/v1/projects/{id}/hooks/github", Webhook, ci::github)
        .add(get.clone(), "/api/v1/projects/{id}/stats", Needs(Read), stats::stats)
        .add(get.clone(), "/api/v1/projects/{id}/logs", Needs(Read), logs::search)
        .add(get.clone(), "/api/v1/projects/{id}/logs/follow", Needs(Read), logs::follow)
        .add(get.clone(), "/api/v1/projects/{id}/logs/download", Needs(Read), logs::download)
        // The REST API (rest/): each handler calls the control-plane operation of its name.
        .add(get.clone(), "/api/v1/openapi.json", Public, openapi::openapi)
        .add(get.clone(), "/api/v1/projects", Needs(Read), rest::projects::list_projects)
        .add(post.clone(), "/api/v1/projects", Needs(Edit), rest::projects::create_project)
        .add(get.clone(), "/api/v1/projects/{id}", Needs(Read), rest::projects::get_project)
        .add(patch, "/api/v1/projects/{id}", Needs(Edit), rest::projects::update_project)
        .add(get.clone(), "/api/v1/projects/{id}/domains", Needs(Read), rest::domains::list_domains)
        .add(post.clone(), "/api/v1/projects/{id}/domains", Needs(Edit), rest::domains::add_domain)
        .add(delete.clone(), "/api/v1/projects/{id}/domains/{domain}", Needs(Edit), rest::domains::remove_domain)
        .add(
            post.clone(),
            "/api/v1/projects/{id}/domains/{domain}/resources",
            Needs(Edit),
            rest::resources::add_resource,
        )
        .add(put.clone(), RESOURCE, Needs(Edit), rest::resources::save_resource)
        .add(delete.clone(), RESOURCE, Needs(Edit), rest::resources::delete_resource)
        .add(get.clone(), "/api/v1/projects/{id}/variables", Needs(Read), rest::variables::list_variables)
        .add(put, "/api/v1/projects/{id}/variables/{name}", Needs(Edit), rest::variables::save_variable)
        .add(delete, "/api/v1/projects/{id}/variables/{name}", Needs(Edit), rest::variables::delete_variable)
        // The permission `reveal_variable` needs (app::api::access; the access test checks they agree).
        .add(
            get.clone(),
            "/api/v1/projects/{id}/variables/{name}/value",
            Needs(Admin),
            rest::variables::reveal_variable,
        )
        .add(get.clone(), "/api/v1/projects/{id}/services", Needs(Read), rest::deployments::list_services)
        .add(get.clone(), "/api/v1/projects/{id}/deployments", Needs(Read), rest::deployments::list_deployments)
        .add(post.clone(), "/api/v1/deployments/{id}/cancel", Needs(Deploy), rest::deployments::cancel_deployment)
        .add(post, "/api/v1/deployments/{id}/redeploy", KeyOr(Deploy), rest::deployments::redeploy_deployment)
        .add(get.clone(), "/api/v1/projects/{id}/plan", KeyOr(Read), rest::projects::get_plan)
        .add(get, "/api/v1/workers", Needs(Read), rest::workers::list_workers)
}

const RESOURCE: &str = "/api/v1/projects/{id}/domains/{domain}/resources/{resource}";

/// Every `/api/v1` route and what it requires.
pub fn rules() -> Vec<RouteRule> {
    routes().rules
}

pub fn router(plane: Arc<Plane>) -> Router {
    routes().router.with_state(plane)
}
