//! Starts the real control plane on port 0 with a temporary data directory, and talks
//! to it over HTTP like a browser would (cookies included).

#![allow(dead_code)]

use std::path::PathBuf;

use nsm_server::{RunningServer, Settings};
use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::Value;

pub const ADMIN: &str = "admin";
pub const PASSWORD: &str = "correct horse battery";

pub struct TestServer {
    pub server: Option<RunningServer>,
    pub base: String,
    pub client: Client,
    pub data_dir: PathBuf,
    pub _temp: Option<tempfile::TempDir>,
}

pub fn client() -> Client {
    Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().expect("http client")
}

impl TestServer {
    pub async fn start() -> Self {
        let temp = tempfile::tempdir().expect("temp dir");
        let data_dir = temp.path().to_path_buf();
        let mut server = Self::start_in(data_dir).await;
        server._temp = Some(temp);
        server
    }

    pub async fn start_in(data_dir: PathBuf) -> Self {
        let server = nsm_server::start(Settings::for_data_dir(data_dir.clone())).await.expect("server starts");
        let base = format!("http://{}", server.addr);
        Self { server: Some(server), base, client: client(), data_dir, _temp: None }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> Self {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
        let temp = self._temp.take();
        let client = self.client.clone();
        let mut next = Self::start_in(self.data_dir.clone()).await;
        next._temp = temp;
        next.client = client;
        next
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Calls a server function the way the hydrated app does.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(&format!("/api/fn/{endpoint}")))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function and returns its status and JSON body.
    pub async fn call_json(&self, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let response = self.call(endpoint, form).await;
        let status = response.status();
        let text = response.text().await.expect("body");
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn setup_admin(&self) {
        let (status, body) =
            self.call_json("setup_admin", &[("username", ADMIN), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
        assert!(status.is_success(), "setup failed: {status} {body}");
    }

    pub async fn sign_in(&self) {
        let (status, body) = self.call_json("sign_in", &[("username", ADMIN), ("password", PASSWORD)]).await;
        assert!(status.is_success(), "sign-in failed: {status} {body}");
    }

    pub async fn create_project(&self, id: &str) -> (StatusCode, Value) {
        self.call_json("create_project", &[("id", id), ("repo_owner", "acme"), ("repo_name", "shop")]).await
    }
}

/// The `kind` of an AppError body, e.g. "invalid" or "not_found".
pub fn error_kind(body: &Value) -> &str {
    body.get("kind").and_then(Value::as_str).unwrap_or("<no kind>")
}

/// A field's message inside an `invalid` AppError body.
pub fn field_error<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get("detail").and_then(|d| d.get(field)).and_then(Value::as_str)
}
