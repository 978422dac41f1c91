//! A stand-in for GitHub's OAuth app endpoints, for tests of GitHub sign-in (GitHub
//! itself is unreachable from tests). Serves, on 127.0.0.1, the web side at `/` and the
//! API under `/api/v3` (as GitHub Enterprise does):
//!
//! - `GET /login/oauth/authorize`: checks the client id, the registered callback URL
//!   and the PKCE challenge (S256 required), then — as the account the test "signed in"
//!   with [`GithubStub::sign_in_as`] — redirects to the callback with a code and the
//!   state it was given;
//! - `POST /login/oauth/access_token`: checks the client id and secret, that the code
//!   exists and is used once, the redirect URI and the PKCE verifier, and answers
//!   (status 200 either way, like GitHub) a token or an `error`;
//! - `GET /api/v3/user` and `/api/v3/user/orgs` with that token.
//!
//! Every refusal is remembered ([`GithubStub::refusals`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{io_error, Result};

#[derive(Debug, Clone)]
struct Account {
    id: i64,
    login: String,
    orgs: Vec<String>,
}

#[derive(Debug)]
struct Code {
    login: String,
    challenge: String,
    redirect_uri: String,
    used: bool,
}

#[derive(Debug, Default)]
struct Stub {
    client_id: String,
    client_secret: String,
    callback: Option<String>,
    accounts: Vec<Account>,
    signed_in: Option<String>,
    codes: HashMap<String, Code>,
    /// Access token → login.
    tokens: HashMap<String, String>,
    issued: u64,
    refusals: Vec<String>,
}

type Shared = Arc<Mutex<Stub>>;

fn lock(stub: &Shared) -> std::sync::MutexGuard<'_, Stub> {
    stub.lock().unwrap_or_else(|p| p.into_inner())
}

/// The stand-in, serving until dropped.
pub struct GithubStub {
    addr: SocketAddr,
    stub: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for GithubStub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl GithubStub {
    /// An OAuth app with this client id and secret (on the caller's tokio runtime).
    pub async fn start(client_id: &str, client_secret: &str) -> Result<Self> {
        let stub: Shared = Arc::new(Mutex::new(Stub {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            ..Stub::default()
        }));
        let router = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/api/v3/user", get(user))
            .route("/api/v3/user/orgs", get(orgs))
            .with_state(stub.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(io_error("binding 127.0.0.1:0"))?;
        let addr = listener.local_addr().map_err(io_error("reading the listener's address"))?;
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "the GitHub stand-in stopped");
            }
        });
        Ok(Self { addr, stub, task })
    }

    /// Where browsers go (`--github-web-url`).
    pub fn web_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where the API is (`--github-api-url`).
    pub fn api_url(&self) -> String {
        format!("http://{}/api/v3", self.addr)
    }

    /// The OAuth app's registered callback URL.
    pub fn register_callback(&self, url: &str) {
        lock(&self.stub).callback = Some(url.to_owned());
    }

    pub fn add_account(&self, id: i64, login: &str, orgs: &[&str]) {
        let orgs = orgs.iter().map(|o| (*o).to_owned()).collect();
        lock(&self.stub).accounts.push(Account { id, login: login.to_owned(), orgs });
    }

    /// The account the next authorizations are given by (the person at the browser).
    pub fn sign_in_as(&self, login: &str) {
        lock(&self.stub).signed_in = Some(login.to_owned());
    }

    /// What was refused so far, as GitHub's error words with a reason.
    pub fn refusals(&self) -> Vec<String> {
        lock(&self.stub).refusals.clone()
    }
}

fn refuse(stub: &mut Stub, status: StatusCode, why: String) -> Response {
    stub.refusals.push(why.clone());
    (status, why).into_response()
}

#[derive(Debug, Deserialize)]
struct AuthorizeQuery {
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

async fn authorize(State(stub): State<Shared>, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut stub = lock(&stub);
    if q.client_id.as_deref() != Some(stub.client_id.as_str()) {
        return refuse(&mut stub, StatusCode::NOT_FOUND, "authorize: unknown client_id".into());
    }
    let Some(callback) = stub.callback.clone() else {
        return refuse(&mut stub, StatusCode::BAD_REQUEST, "authorize: no callback URL registered".into());
    };
    let redirect_uri = q.redirect_uri.unwrap_or_else(|| callback.clone());
    if redirect_uri != callback {
        return refuse(&mut stub, StatusCode::BAD_REQUEST, format!("authorize: redirect_uri_mismatch {redirect_uri}"));
    }
    let (Some(challenge), Some("S256")) = (q.code_challenge, q.code_challenge_method.as_deref()) else {
        return refuse(&mut stub, StatusCode::BAD_REQUEST, "authorize: PKCE S256 challenge missing".into());
    };
    if !q.scope.unwrap_or_default().split([' ', ',']).any(|s| s == "read:org") {
        return refuse(&mut stub, StatusCode::BAD_REQUEST, "authorize: read:org scope not asked for".into());
    }
    let Some(login) = stub.signed_in.clone() else {
        return refuse(&mut stub, StatusCode::UNAUTHORIZED, "authorize: nobody signed in to the stand-in".into());
    };
    stub.issued += 1;
    let code = format!("code{}x{}", stub.issued, std::process::id());
    stub.codes.insert(code.clone(), Code { login, challenge, redirect_uri: redirect_uri.clone(), used: false });
    let mut location = format!("{redirect_uri}?code={code}");
    if let Some(state) = q.state {
        location.push_str(&format!("&state={state}"));
    }
    Redirect::to(&location).into_response()
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    client_id: Option<String>,
    client_secret: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

fn oauth_error(stub: &mut Stub, error: &str, description: &str) -> Response {
    stub.refusals.push(format!("access_token: {error}: {description}"));
    // GitHub answers a refused exchange with 200.
    Json(json!({ "error": error, "error_description": description })).into_response()
}

async fn access_token(State(stub): State<Shared>, headers: HeaderMap, Form(form): Form<TokenForm>) -> Response {
    let mut stub = lock(&stub);
    let wants_json = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("json"));
    if !wants_json {
        return oauth_error(&mut stub, "unsupported_accept", "the stand-in answers JSON only");
    }
    if form.client_id.as_deref() != Some(stub.client_id.as_str())
        || form.client_secret.as_deref() != Some(stub.client_secret.as_str())
    {
        return oauth_error(
            &mut stub,
            "incorrect_client_credentials",
            "The client_id and/or client_secret passed are incorrect.",
        );
    }
    let code = form.code.unwrap_or_default();
    let Some(issued) = stub.codes.get_mut(&code) else {
        return oauth_error(&mut stub, "bad_verification_code", "The code passed is incorrect or expired.");
    };
    if issued.used {
        return oauth_error(&mut stub, "bad_verification_code", "The code passed was used already.");
    }
    // A code is spent by its first exchange, whatever follows.
    issued.used = true;
    let (login, challenge, redirect_uri) =
        (issued.login.clone(), issued.challenge.clone(), issued.redirect_uri.clone());
    if form.redirect_uri.as_deref().is_some_and(|r| r != redirect_uri) {
        return oauth_error(
            &mut stub,
            "redirect_uri_mismatch",
            "The redirect_uri MUST match the registered callback URL.",
        );
    }
    let verified = form
        .code_verifier
        .as_deref()
        .is_some_and(|v| URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())) == challenge);
    if !verified {
        return oauth_error(&mut stub, "bad_verification_code", "The code_verifier does not match the code_challenge.");
    }
    stub.issued += 1;
    let token = format!("gho_stand_in_{}", stub.issued);
    stub.tokens.insert(token.clone(), login);
    Json(json!({ "access_token": token, "token_type": "bearer", "scope": "read:org" })).into_response()
}

/// The account a request's token stands for; `None` is remembered as a refusal.
fn account(stub: &mut Stub, headers: &HeaderMap) -> Option<Account> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("token ")))
        .map(str::to_owned);
    let login = presented.and_then(|t| stub.tokens.get(&t).cloned());
    let account = login.and_then(|l| stub.accounts.iter().find(|a| a.login == l).cloned());
    if account.is_none() {
        stub.refusals.push("api: bad credentials".into());
    }
    account
}

fn bad_credentials() -> Response {
    (StatusCode::UNAUTHORIZED, Json(json!({ "message": "Bad credentials" }))).into_response()
}

async fn user(State(stub): State<Shared>, headers: HeaderMap) -> Response {
    match account(&mut lock(&stub), &headers) {
        Some(a) => Json(json!({ "login": a.login, "id": a.id, "type": "User" })).into_response(),
        None => bad_credentials(),
    }
}

async fn orgs(State(stub): State<Shared>, headers: HeaderMap) -> Response {
    match account(&mut lock(&stub), &headers) {
        Some(a) => {
            let orgs: Vec<_> =
                a.orgs.iter().enumerate().map(|(n, o)| json!({ "login": o, "id": 1000 + n as i64 })).collect();
            Json(orgs).into_response()
        }
        None => bad_credentials(),
    }
}
