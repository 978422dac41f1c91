//! The HTTP surface: UI (SSR + server functions), static assets, health, and the
//! `/api/v1` routes, all behind the session/CSRF guard.

use std::sync::Arc;

use app::backend::SharedControlPlane;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::services::ServeDir;

use crate::auth::guard::guard;
use crate::control_plane::Plane;

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
        .nest_service("/pkg", ServeDir::new(pkg_dir))
        .fallback(leptos_axum::file_and_error_handler_with_context(context, app::shell))
        .with_state(leptos_options)
        .merge(crate::api::router(plane.clone()))
        // Outermost: every route, UI and API alike, passes the guard.
        .layer(axum::middleware::from_fn_with_state(plane, guard))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }))
}
