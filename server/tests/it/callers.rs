//! A team on a test server: an admin, a deployer and a viewer signed in from their own
//! browsers, and the admin's API tokens of each scope.

use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::Value;

use super::common::{self, TestServer};

pub const TEAM_PASSWORD: &str = "a password of my own";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Nobody,
    Viewer,
    Deployer,
    Admin,
    ReadToken,
    DeployToken,
    WriteToken,
}

impl Caller {
    pub const ALL: [Caller; 7] = [
        Caller::Nobody,
        Caller::Viewer,
        Caller::Deployer,
        Caller::Admin,
        Caller::ReadToken,
        Caller::DeployToken,
        Caller::WriteToken,
    ];
}

pub struct Team {
    pub viewer: Client,
    pub deployer: Client,
    pub tokens: [String; 3],
    pub anonymous: Client,
}

/// Signs `username` in on a fresh client with the one-time password and replaces it.
pub async fn first_sign_in(s: &TestServer, username: &str, one_time: &str) -> Client {
    let client = common::client();
    let call = |endpoint: &str, form: &[(&str, &str)]| {
        client.post(s.url(&format!("/api/fn/{endpoint}"))).header("accept", "application/json").form(form)
    };
    let response = call("sign_in", &[("username", username), ("password", one_time)]).send().await.expect("sign in");
    assert!(response.status().is_success(), "{username} signs in: {}", response.status());
    // Until the password is replaced, only the account's own endpoints answer.
    let refused = call("list_projects", &[]).send().await.expect("call");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let changed =
        call("change_password", &[("current", one_time), ("password", TEAM_PASSWORD), ("confirm", TEAM_PASSWORD)])
            .send()
            .await
            .expect("change password");
    assert!(
        changed.status().is_success(),
        "{username} changes the password: {}",
        changed.text().await.unwrap_or_default()
    );
    client
}

/// Creates a user through the admin's session; answers the one-time password.
pub async fn create_user(s: &TestServer, username: &str, role: &str) -> String {
    let (status, body) = s.call_json("create_user", &[("username", username), ("role", role)]).await;
    assert!(status.is_success(), "create {username}: {status} {body}");
    body["secret"].as_str().expect("one-time password").to_owned()
}

pub async fn create_token(s: &TestServer, scope: &str) -> String {
    let (status, body) =
        s.call_json("create_api_token", &[("name", scope), ("scope", scope), ("expires_in_days", "")]).await;
    assert!(status.is_success(), "token {scope}: {status} {body}");
    body["secret"].as_str().expect("token").to_owned()
}

impl Team {
    /// `s` must have its admin set up and signed in.
    pub async fn join(s: &TestServer) -> Self {
        let one_time = create_user(s, "dee", "deployer").await;
        let deployer = first_sign_in(s, "dee", &one_time).await;
        let one_time = create_user(s, "vic", "viewer").await;
        let viewer = first_sign_in(s, "vic", &one_time).await;
        let tokens = [create_token(s, "read").await, create_token(s, "deploy").await, create_token(s, "write").await];
        Self { viewer, deployer, tokens, anonymous: common::client() }
    }

    /// A request as `caller` (the admin is the test server's own client).
    pub fn request(&self, s: &TestServer, caller: Caller, method: reqwest::Method, path: &str) -> RequestBuilder {
        let url = s.url(path);
        let (client, token) = match caller {
            Caller::Nobody => (&self.anonymous, None),
            Caller::Viewer => (&self.viewer, None),
            Caller::Deployer => (&self.deployer, None),
            Caller::Admin => (&s.client, None),
            Caller::ReadToken => (&self.anonymous, Some(&self.tokens[0])),
            Caller::DeployToken => (&self.anonymous, Some(&self.tokens[1])),
            Caller::WriteToken => (&self.anonymous, Some(&self.tokens[2])),
        };
        let request = client.request(method, url).header("accept", "application/json");
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// Calls a server function as `caller`.
    pub async fn call(
        &self,
        s: &TestServer,
        caller: Caller,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let response = self
            .request(s, caller, reqwest::Method::POST, &format!("/api/fn/{endpoint}"))
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}
