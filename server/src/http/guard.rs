//! The one gate every request passes: cross-site writes are refused, the client's
//! address and the caller (session cookie or API token) are attached, and every server
//! function and `/api/v1` route is held to its entry in the access tables
//! ([`app::api::access`], [`super::api::rules`]): none → 401, not allowed → 403, no
//! entry → 404. Pages redirect to sign-in instead.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

use app::api::access::{self, Refusal};
use app::api::PREFIX;
use app::backend::SESSION_COOKIE;
use app::error::AppError;
use app::model::{ClientAddr, CurrentUser};

use super::api::{RouteAccess, RouteRule};
use super::client;
use crate::auth::tokens;
use crate::control_plane::Plane;

/// The page where a user with a one-time password chooses their own.
pub const ACCOUNT_PAGE: &str = "/account";

#[derive(Clone)]
pub struct Gate {
    pub plane: Arc<Plane>,
    routes: Arc<Vec<RouteRule>>,
    /// The public URL's origin, when one is set: the only origin allowed to post.
    public_origin: Option<Arc<str>>,
}

impl Gate {
    pub fn new(plane: Arc<Plane>, rules: Vec<RouteRule>) -> Self {
        let public_origin = plane.settings.public_url.as_deref().and_then(client::origin_of).map(Arc::from);
        Self { plane, routes: Arc::new(rules), public_origin }
    }
}

fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value)
}

/// What a refused request is told; server functions get an [`AppError`] their client
/// decodes, the v1 API a small JSON object.
fn refuse(server_fn: bool, refusal: Refusal) -> Response {
    let (status, error, message) = match refusal {
        Refusal::Unauthenticated => (StatusCode::UNAUTHORIZED, AppError::Unauthorized, "unauthorized"),
        Refusal::Forbidden(why) => (StatusCode::FORBIDDEN, AppError::Forbidden(why.to_owned()), why),
        Refusal::Unknown => (StatusCode::NOT_FOUND, AppError::NotFound("This endpoint".into()), "not found"),
    };
    if server_fn {
        (status, Json(error)).into_response()
    } else {
        let code = match status {
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            _ => "not_found",
        };
        (status, Json(serde_json::json!({ "error": code, "message": message }))).into_response()
    }
}

/// The caller: an API token (`Authorization: Bearer nsm_…`) or a session cookie.
/// `Err` for a token that is malformed, unknown, expired or revoked.
async fn caller(plane: &Plane, headers: &HeaderMap) -> Result<Option<CurrentUser>, Response> {
    let failed = |error: crate::error::ServerError| {
        tracing::error!(%error, "caller lookup failed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    // A bearer that is not shaped like an API token may be a project's deploy key
    // (`nsm_<hex>`), which the webhook routes check themselves.
    if let Some(presented) = super::api::bearer(headers).and_then(tokens::parse) {
        return match plane.token_user(&presented).await.map_err(failed)? {
            Some(user) => {
                plane.note_token_use(presented.id).await;
                Ok(Some(user))
            }
            None => {
                tracing::warn!(token = presented.id, "refused an unknown, expired or revoked API token");
                Err(refuse(false, Refusal::Unauthenticated))
            }
        };
    }
    match session_token(headers) {
        Some(token) => plane.session_user(token).await.map_err(failed),
        None => Ok(None),
    }
}

/// The access rule of an `/api/…` request; `Err` answers it.
// The error is the response itself, built once per refusal: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn check_api(gate: &Gate, request: &Request, user: Option<&CurrentUser>) -> Result<(), Response> {
    let path = request.uri().path();
    if let Some(endpoint) = path.strip_prefix(PREFIX).and_then(|p| p.strip_prefix('/')) {
        return access::decide(endpoint, user).map_err(|r| refuse(true, r));
    }
    let matched = request.extensions().get::<MatchedPath>().map(MatchedPath::as_str);
    let rule = matched
        .and_then(|m| gate.routes.iter().find(|r| r.method == request.method() && r.path == m).map(|r| r.access));
    match rule {
        None => Err(refuse(false, Refusal::Unknown)),
        Some(RouteAccess::Public | RouteAccess::Worker | RouteAccess::Webhook) => Ok(()),
        Some(RouteAccess::KeyOr(_)) if user.is_none() => Ok(()),
        Some(RouteAccess::KeyOr(permission) | RouteAccess::Needs(permission)) => {
            access::allows(user, permission).map_err(|r| refuse(false, r))
        }
    }
}

pub async fn guard(
    State(gate): State<Gate>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    let settings = &gate.plane.settings;
    if client::is_cross_site(request.method(), request.headers(), gate.public_origin.as_deref()) {
        tracing::warn!(path = %request.uri().path(), %peer, "refused a cross-site request");
        return (StatusCode::FORBIDDEN, Json(serde_json::json!({ "error": "cross_site_request" }))).into_response();
    }
    let client = client::client_addr(peer.ip(), request.headers(), &settings.trusted_proxies);
    request.extensions_mut().insert(ClientAddr(client));
    let path = request.uri().path().to_owned();
    let user = match caller(&gate.plane, request.headers()).await {
        Ok(user) => user,
        Err(response) => return response,
    };

    if path.starts_with("/api/") {
        if let Err(response) = check_api(&gate, &request, user.as_ref()) {
            return response;
        }
        if let Some(user) = user {
            request.extensions_mut().insert(user);
        }
        return next.run(request).await;
    }
    if matches!(path.as_str(), "/healthz" | "/favicon.ico") || path.starts_with("/pkg/") {
        return next.run(request).await;
    }

    // Pages: steer to setup while no user exists, to sign-in without a session, and
    // to the Account page while a one-time password must still be replaced.
    let needs_setup = match gate.plane.needs_setup_cached().await {
        Ok(needs) => needs,
        Err(error) => {
            tracing::error!(%error, "user count failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    match (needs_setup, user, path.as_str()) {
        (true, _, "/setup") => next.run(request).await,
        (true, _, _) => Redirect::to("/setup").into_response(),
        (false, _, "/setup") => Redirect::to("/login").into_response(),
        (false, _, p) if super::github::is_github_path(p) => next.run(request).await,
        (false, Some(_), "/login") => Redirect::to("/").into_response(),
        (false, None, "/login") => next.run(request).await,
        (false, Some(user), p) if user.must_change_password && p != ACCOUNT_PAGE => {
            Redirect::to(ACCOUNT_PAGE).into_response()
        }
        (false, Some(user), _) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        (false, None, _) => Redirect::to("/login").into_response(),
    }
}
