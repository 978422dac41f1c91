//! The one gate every request passes: cross-site writes are refused, the client's
//! address and session user are attached, and anything but the sign-in/setup surface
//! requires a session (server functions answer 401, pages redirect).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

use app::api::{auth::PUBLIC_ENDPOINTS, PREFIX};
use app::backend::SESSION_COOKIE;
use app::model::{ClientAddr, CurrentUser};

use crate::control_plane::Plane;

/// Paths served to anyone: health, static assets, and the sign-in/setup pages.
fn is_public(path: &str) -> bool {
    matches!(path, "/healthz" | "/favicon.ico" | "/login" | "/setup")
        || path.starts_with("/pkg/")
        // The v1 API authenticates each route itself (worker token, bearer key, session).
        || path.starts_with("/api/v1/")
        || path
            .strip_prefix(PREFIX)
            .and_then(|p| p.strip_prefix('/'))
            .is_some_and(|endpoint| PUBLIC_ENDPOINTS.contains(&endpoint))
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// A state-changing request that a browser marks as coming from another site.
pub fn is_cross_site(method: &Method, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        // Non-browser clients (curl, CI) send no Origin and carry no ambient cookies.
        None => false,
        Some(Ok(origin)) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            origin_host.is_none() || origin_host != host
        }
        Some(Err(_)) => true,
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

fn unauthorized() -> Response {
    (StatusCode::UNAUTHORIZED, Json(serde_json::json!({ "error": "unauthorized" }))).into_response()
}

pub async fn guard(
    State(plane): State<Arc<Plane>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_cross_site(request.method(), request.headers()) {
        tracing::warn!(path = %request.uri().path(), %peer, "refused a cross-site request");
        return (StatusCode::FORBIDDEN, Json(serde_json::json!({ "error": "cross_site_request" }))).into_response();
    }
    request.extensions_mut().insert(ClientAddr(peer.ip()));
    let path = request.uri().path().to_owned();

    let user: Option<CurrentUser> = match session_token(request.headers()) {
        Some(token) => match plane.session_user(token).await {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "session lookup failed");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        },
        None => None,
    };

    if is_api(&path) || path == "/healthz" || path.starts_with("/pkg/") {
        return match (user, is_public(&path)) {
            (Some(user), _) => {
                request.extensions_mut().insert(user);
                next.run(request).await
            }
            (None, true) => next.run(request).await,
            (None, false) => unauthorized(),
        };
    }

    // Pages: steer to setup while no user exists, to sign-in without a session.
    let needs_setup = match plane.needs_setup_cached().await {
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
        (false, Some(_), "/login") => Redirect::to("/").into_response(),
        (false, None, "/login") => next.run(request).await,
        (false, Some(user), _) => {
            request.extensions_mut().insert(user);
            next.run(request).await
        }
        (false, None, _) if is_public(&path) => next.run(request).await,
        (false, None, _) => Redirect::to("/login").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_detection() {
        let same = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(!is_cross_site(&Method::POST, &same));
        let other = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_cross_site(&Method::POST, &other));
        assert!(!is_cross_site(&Method::GET, &other), "reads are not refused");
        assert!(is_cross_site(&Method::POST, &headers(&[("host", "a"), ("origin", "null")])));
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&Method::POST, &headers(&[("host", "a")])), "no Origin: not a browser");
    }

    #[test]
    fn public_surface_is_exactly_sign_in_and_setup() {
        assert!(is_public("/api/fn/sign_in"));
        assert!(is_public("/api/fn/setup_admin"));
        assert!(!is_public("/api/fn/list_projects"));
        assert!(!is_public("/api/fn/sign_in/extra"));
        assert!(!is_public("/projects"));
    }
}
