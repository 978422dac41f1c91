//! The seam between the UI and the control plane. The server crate implements the
//! area traits of [`areas`] over SQLite and provides them, combined as
//! [`ControlPlane`], in the Leptos context; server functions only validate, authorise
//! and call them.

mod areas;
mod audit;
mod github;
mod team;

use std::sync::Arc;

pub use areas::{
    Accounts, Ci, ControlPlane, Deployments, Domains, MoveDirection, Projects, ResourceSave, ServiceUpdate, Settings,
    VariableSave, Variables, Workers,
};
pub use audit::Audit;
pub use github::Github;
use leptos::prelude::use_context;
pub use team::Team;

use crate::error::{AppError, AppResult};
use crate::model::{ClientAddr, CurrentUser, NewSession};

pub const SESSION_COOKIE: &str = "nsm_session";

pub type SharedControlPlane = Arc<dyn ControlPlane>;

pub fn control_plane() -> AppResult<SharedControlPlane> {
    use_context::<SharedControlPlane>().ok_or_else(|| {
        tracing::error!("control plane missing from Leptos context");
        AppError::Internal
    })
}

fn request_parts() -> AppResult<http::request::Parts> {
    use_context::<http::request::Parts>().ok_or_else(|| {
        tracing::error!("request parts missing from Leptos context");
        AppError::Internal
    })
}

/// The signed-in user; the server's middleware already refused requests without one,
/// this is the second line of defence.
pub fn current_user() -> AppResult<CurrentUser> {
    request_parts()?.extensions.get::<CurrentUser>().cloned().ok_or(AppError::Unauthorized)
}

/// The signed-in user, held to the access rule of server function `F`
/// ([`crate::api::access::decide`], the same decision the server's guard makes). The
/// guard enforces it for every call over HTTP; calls made while the server renders a
/// page do not pass the guard, so a server function a page renders whose rule is more
/// than `Read` (every signed-in user reads) gets its user here, not from
/// [`current_user`].
pub fn authorized<F: leptos::server_fn::ServerFn>() -> AppResult<CurrentUser> {
    let user = current_user().ok();
    let endpoint = F::PATH.rsplit('/').next().unwrap_or_default();
    crate::api::access::decide(endpoint, user.as_ref())?;
    user.ok_or(AppError::Unauthorized)
}

pub fn client_addr() -> AppResult<ClientAddr> {
    request_parts()?.extensions.get::<ClientAddr>().copied().ok_or_else(|| {
        tracing::error!("client address missing from request");
        AppError::Internal
    })
}

/// The session token from the request's cookie, if any.
pub fn session_token() -> AppResult<Option<String>> {
    let parts = request_parts()?;
    Ok(parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned()))
}

/// The `Set-Cookie` value of a session (or, with `None`, of its removal): password and
/// GitHub sign-in alike.
pub fn session_cookie(session: Option<&NewSession>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    match session {
        Some(s) => format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            s.token, s.max_age_secs
        ),
        None => format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Where this request reached the server, `http://host[:port]` (its `Host` header).
pub fn request_origin() -> AppResult<String> {
    let parts = request_parts()?;
    let host = parts.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    Ok(format!("http://{host}"))
}

/// Sets (or, with `None`, clears) the session cookie on the response.
pub fn set_session_cookie(session: Option<&NewSession>, secure: bool) {
    let cookie = session_cookie(session, secure);
    match http::HeaderValue::from_str(&cookie) {
        Ok(value) => {
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.append_header(http::header::SET_COOKIE, value);
            } else {
                tracing::error!("response options missing; cannot set the session cookie");
            }
        }
        Err(error) => tracing::error!(%error, "session cookie is not a valid header value"),
    }
}
