//! The HTTP surface, the top layer: UI (SSR + server functions), static assets,
//! health, the `/api/v1` routes (REST, CI/CD, live events) and the worker link, all
//! behind the session/CSRF guard and a request tracing layer.

pub mod api;
mod assets;
mod client;
mod github;
mod guard;
pub mod worker_link;

use std::sync::Arc;

use app::backend::SharedControlPlane;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use crate::control_plane::Plane;
use guard::guard;

/// The largest request body accepted, on every route.
pub const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

pub fn router(plane: Arc<Plane>, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(app::App);
    let shared: SharedControlPlane = plane.clone();
    let context = move || provide_context(shared.clone());
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref()).join(leptos_options.site_pkg_dir.as_ref());

    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .nest_service("/pkg", assets::pkg(pkg_dir))
        .fallback(leptos_axum::file_and_error_handler_with_context(context, app::shell))
        .with_state(leptos_options)
        .merge(api::router(plane.clone()))
        .merge(github::router(plane.clone()))
        // Every route, UI and API alike, passes the guard…
        .layer(axum::middleware::from_fn_with_state(guard::Gate::new(plane, api::rules()), guard))
        .layer(axum::middleware::map_response(client::security_headers))
        // No request needs more (the largest are Custom blocks and variable values);
        // larger ones are refused with 413 before anything reads them whole.
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_REQUEST_BYTES))
        // …inside one span per request, so every line logged for it carries its method
        // and path (and the guard's refusals are traced too).
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                })
                // Server functions answer a refused form with status 500 too; the real
                // failures are logged once where they happen (`error::internal`).
                .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG)),
        )
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
