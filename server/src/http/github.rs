//! `GET /auth/github/start` and `GET /auth/github/callback`: GitHub sign-in's two
//! browser stops (the flow is `auth::github`). Both are open to anyone, like the
//! sign-in page; what they answer is a redirect, or a small page saying why not.

use std::sync::Arc;

use app::api::github::{CALLBACK_PATH, START_PATH};
use app::model::ClientAddr;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde::Deserialize;

use crate::auth::github::{Callback, GithubSignIn, Refusal};
use crate::control_plane::Plane;

/// Binds a started sign-in to the browser that started it. `SameSite=Lax`: it must
/// come back with GitHub's (cross-site, top-level) redirect to the callback.
const STATE_COOKIE: &str = "nsm_github_state";

#[derive(Clone)]
struct GithubRoutes {
    plane: Arc<Plane>,
    github: Arc<GithubSignIn>,
}

pub fn router(plane: Arc<Plane>) -> Router {
    let state = GithubRoutes { plane, github: Arc::new(GithubSignIn::default()) };
    Router::new().route(START_PATH, get(start)).route(CALLBACK_PATH, get(callback)).with_state(state)
}

/// The paths the guard lets anyone reach.
pub fn is_github_path(path: &str) -> bool {
    path == START_PATH || path == CALLBACK_PATH
}

fn state_cookie(value: Option<&str>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = crate::auth::github::pending_lifetime_secs();
    match value {
        Some(v) => format!("{STATE_COOKIE}={v}; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"),
        None => format!("{STATE_COOKIE}=; Path=/auth/github; HttpOnly; SameSite=Lax; Max-Age=0{secure}"),
    }
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A page of its own (the app is not involved): a title, a message, a way on.
fn page(status: StatusCode, title: &str, message: &str, link: (&str, &str), refresh: bool) -> Response {
    let refresh =
        if refresh { format!(r#"<meta http-equiv="refresh" content="0;url={}">"#, link.0) } else { String::new() };
    let body = format!(
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">{refresh}<title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem; color: #1e293b">
<h1 style="font-size: 1.25rem">{title}</h1><p data-testid="github-message">{message}</p><p><a href="{href}">{label}</a></p></body></html>"#,
        title = escape(title),
        message = escape(message),
        href = link.0,
        label = escape(link.1),
    );
    let mut response = (status, Html(body)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn refused(refusal: &Refusal) -> Response {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::FORBIDDEN);
    page(status, "GitHub sign-in refused", &refusal.to_string(), ("/login", "Back to sign-in"), false)
}

/// `http://host[:port]` of the request, for the callback URL when no public URL is set.
fn origin(headers: &HeaderMap) -> String {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

async fn start(State(routes): State<GithubRoutes>, headers: HeaderMap) -> Response {
    let redirect_uri = routes.plane.github_callback_url(&origin(&headers));
    let authorize = match routes.github.start(&routes.plane, &redirect_uri).await {
        Ok(Some(authorize)) => authorize,
        Ok(None) => return refused(&Refusal::NotConfigured),
        Err(refusal) => return refused(&refusal),
    };
    let secure = routes.plane.settings.secure_cookies();
    let (Ok(location), Ok(cookie)) =
        (HeaderValue::from_str(&authorize.url), HeaderValue::from_str(&state_cookie(Some(&authorize.binding), secure)))
    else {
        tracing::error!("GitHub authorize URL or state cookie is not a header value");
        return refused(&Refusal::Internal);
    };
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Debug, Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn callback(
    State(routes): State<GithubRoutes>,
    Extension(client): Extension<ClientAddr>,
    Query(query): Query<CallbackQuery>,
    headers: HeaderMap,
) -> Response {
    let callback = Callback {
        code: query.code,
        state: query.state,
        error: query.error,
        error_description: query.error_description,
    };
    let binding = cookie(&headers, STATE_COOKIE);
    let outcome = routes.github.finish(&routes.plane, callback, binding, client).await;
    let secure = routes.plane.settings.secure_cookies();
    let mut response = match &outcome {
        // A page that moves on by itself rather than a redirect: the session cookie is
        // SameSite=Strict, and a browser does not send it along a redirect chain that
        // began on GitHub; a navigation this page starts is same-site.
        Ok(signed_in) => page(
            StatusCode::OK,
            "Signed in",
            &format!("Signed in with GitHub as {}.", signed_in.username),
            ("/", "Continue"),
            true,
        ),
        Err(refusal) => refused(refusal),
    };
    let mut cookies = vec![state_cookie(None, secure)];
    if let Ok(signed_in) = &outcome {
        cookies.push(app::backend::session_cookie(Some(&signed_in.session), secure));
    }
    for cookie in cookies {
        match HeaderValue::from_str(&cookie) {
            Ok(value) => {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
            Err(error) => tracing::error!(%error, "a cookie is not a header value"),
        }
    }
    response
}
