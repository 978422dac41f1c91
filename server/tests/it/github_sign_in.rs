//! GitHub sign-in end to end, against the stand-in authorization server of the testkit
//! (GitHub is unreachable from tests): the browser's way through `/auth/github/start`,
//! the stand-in's authorize page and `/auth/github/callback`; the role each allowed
//! user or organisation maps to, then held by the server like any session's; and the
//! refusals — a stranger, a tampered or foreign `state`, a reused code, a wrong client
//! secret — each answered with a page and written to the audit log.

use reqwest::{Client, StatusCode};
use serde_json::Value;

use nsm_testkit::GithubStub;

use super::common::{self, error_kind, field_error, TestServer};

const CLIENT_ID: &str = "Iv1.nsmtest0001";
const CLIENT_SECRET: &str = "stand-in-client-secret-0123456789";

async fn stub(s: &TestServer) -> GithubStub {
    let stub = GithubStub::start(CLIENT_ID, CLIENT_SECRET).await.expect("stand-in starts");
    stub.register_callback(&s.url("/auth/github/callback"));
    stub.add_account(101, "alice", &[]);
    stub.add_account(102, "bob", &["acme", "other"]);
    stub.add_account(103, "mallory", &["evil"]);
    stub
}

/// Saves the settings as the admin (`s.client`).
async fn configure(s: &TestServer, stub: &GithubStub, secret: &str, allow: &str) {
    let (status, body) = s
        .call_json(
            "save_github_settings",
            &[
                ("client_id", CLIENT_ID),
                ("client_secret", secret),
                ("web_url", &stub.web_url()),
                ("api_url", &stub.api_url()),
                ("allow", allow),
            ],
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
}

fn location(response: &reqwest::Response) -> String {
    response.headers().get("location").and_then(|v| v.to_str().ok()).expect("a Location").to_owned()
}

/// A fresh browser of `login` through start and the stand-in's authorize page, up to
/// (not into) the callback: the browser, and the callback URL it is sent to.
async fn to_callback(s: &TestServer, stub: &GithubStub, login: &str) -> (Client, String) {
    let browser = common::client();
    stub.sign_in_as(login);
    let start = browser.get(s.url("/auth/github/start")).send().await.expect("start");
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let authorize = location(&start);
    assert!(authorize.starts_with(&format!("{}/login/oauth/authorize?", stub.web_url())), "{authorize}");
    for part in ["client_id=Iv1.nsmtest0001", "code_challenge_method=S256", "scope=read%3Aorg", "state="] {
        assert!(authorize.contains(part), "{part} in {authorize}");
    }
    let back = browser.get(&authorize).send().await.expect("authorize");
    assert!(back.status().is_redirection(), "the stand-in authorizes: {}", back.status());
    let callback = location(&back);
    assert!(callback.starts_with(&s.url("/auth/github/callback?code=")), "{callback}");
    (browser, callback)
}

/// The whole way: answers the browser, now signed in.
async fn sign_in(s: &TestServer, stub: &GithubStub, login: &str) -> Client {
    let (browser, callback) = to_callback(s, stub, login).await;
    let done = browser.get(&callback).send().await.expect("callback");
    let cookies: Vec<String> =
        done.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(done.status(), StatusCode::OK, "{login} signs in: {}", done.text().await.unwrap_or_default());
    let session = cookies.iter().find(|c| c.starts_with("nsm_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Strict"), "{session}");
    browser
}

async fn call(s: &TestServer, browser: &Client, endpoint: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = browser
        .post(s.url(&format!("/api/fn/{endpoint}")))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .expect("call");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn audit(s: &TestServer, kind: &str) -> Vec<Value> {
    let (status, body) = s.call_json("list_audit", &[("kind", kind)]).await;
    assert!(status.is_success(), "{status} {body}");
    body["entries"].as_array().expect("entries").clone()
}

#[tokio::test]
async fn allowed_users_and_organisation_members_sign_in_with_their_role() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let stub = stub(&s).await;

    // Not configured: nothing offered, the start page says so.
    let (_, enabled) = call(&s, &common::client(), "github_sign_in_enabled", &[]).await;
    assert_eq!(enabled, Value::Bool(false));
    let off = common::client().get(s.url("/auth/github/start")).send().await.expect("start");
    assert_eq!(off.status(), StatusCode::NOT_FOUND);
    let login_page = common::client().get(s.url("/login")).send().await.expect("login").text().await.expect("html");
    assert!(!login_page.contains("Sign in with GitHub"));

    // Bad settings are refused field by field.
    let (status, body) = s
        .call_json(
            "save_github_settings",
            &[("client_id", CLIENT_ID), ("web_url", "ftp://x"), ("allow", "user:alice=root")],
        )
        .await;
    assert!(!status.is_success() && error_kind(&body) == "invalid", "{status} {body}");
    assert!(field_error(&body, "web_url").is_some() && field_error(&body, "allow").is_some(), "{body}");

    configure(&s, &stub, CLIENT_SECRET, "user:alice=admin\norg:acme=deployer").await;
    let (_, view) = s.call_json("get_github_settings", &[]).await;
    assert_eq!(view["enabled"], true, "{view}");
    assert_eq!(view["secret_set"], true);
    assert!(!view.to_string().contains(CLIENT_SECRET), "the secret never leaves the server: {view}");
    assert_eq!(view["callback_url"], s.url("/auth/github/callback"));
    assert_eq!(view["allow"], "user:alice=admin\norg:acme=deployer");
    let stored = nsm_server::db::open(&s.data_dir.join("nsm.sqlite")).await.expect("db");
    let sealed = nsm_server::db::settings::get(&stored, "github.client_secret").await.expect("read").expect("stored");
    assert!(!sealed.contains(CLIENT_SECRET) && !sealed.contains(&hex::encode(CLIENT_SECRET)), "sealed at rest");
    let (_, enabled) = call(&s, &common::client(), "github_sign_in_enabled", &[]).await;
    assert_eq!(enabled, Value::Bool(true));
    let login_page = common::client().get(s.url("/login")).send().await.expect("login").text().await.expect("html");
    assert!(login_page.contains("Sign in with GitHub") && login_page.contains("/auth/github/start"));

    // alice, allowed by name: an admin.
    let alice = sign_in(&s, &stub, "alice").await;
    let (_, me) = call(&s, &alice, "whoami", &[]).await;
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("alice"), Some("admin")), "{me}");
    let (status, users) = call(&s, &alice, "list_users", &[]).await;
    assert!(status.is_success(), "an admin lists users: {users}");

    // bob, by his organisation: a deployer, held to it.
    let bob = sign_in(&s, &stub, "bob").await;
    let (_, me) = call(&s, &bob, "whoami", &[]).await;
    assert_eq!(me["role"], "deployer", "{me}");
    let (status, body) =
        call(&s, &bob, "create_project", &[("id", "gh-shop"), ("repo_owner", "acme"), ("repo_name", "shop")]).await;
    assert!(status.is_success(), "a deployer creates a project: {status} {body}");
    let (status, body) = call(&s, &bob, "list_users", &[]).await;
    assert_eq!((status, error_kind(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");

    // The Settings page renders GitHub's settings for admins only, also while the
    // server renders it (server functions called then do not pass the guard).
    let settings_url = s.url("/settings");
    let page = |browser: &Client| browser.get(&settings_url).send();
    let html = page(&alice).await.expect("page").text().await.expect("html");
    assert!(html.contains(CLIENT_ID), "an admin sees the client id");
    let html = page(&bob).await.expect("page").text().await.expect("html");
    assert!(html.contains("users-section") || html.contains("Settings"), "{html}");
    assert!(!html.contains(CLIENT_ID), "a deployer's page holds no GitHub settings");

    // GitHub-backed users have no password to sign in with.
    let (_, body) = s.call_json("sign_in", &[("username", "alice"), ("password", "!github")]).await;
    assert_eq!(error_kind(&body), "bad_credentials", "{body}");

    // A later sign-in finds the same user and brings the role in line with the rules.
    configure(&s, &stub, "", "user:alice=viewer\norg:acme=deployer").await;
    let alice = sign_in(&s, &stub, "alice").await;
    let (_, me) = call(&s, &alice, "whoami", &[]).await;
    assert_eq!(me["role"], "viewer", "{me}");
    let (status, _) = call(&s, &alice, "list_users", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, users) = s.call_json("list_users", &[]).await;
    let names: Vec<&str> = users.as_array().expect("users").iter().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, ["admin", "alice", "bob"], "{users}");

    // The audit log has it all.
    let sign_ins = audit(&s, "sign_in").await;
    let by_github = sign_ins.iter().filter(|e| e["detail"].as_str().is_some_and(|d| d.contains("with GitHub"))).count();
    assert_eq!(by_github, 3, "{sign_ins:?}");
    assert!(sign_ins.iter().any(|e| e["detail"].as_str().is_some_and(|d| d.contains("member of acme"))));
    let created = audit(&s, "user").await;
    assert!(created.iter().any(|e| e["target"] == "bob" && e["after"] == "role deployer"), "{created:?}");
    let roles = audit(&s, "role").await;
    assert!(
        roles.iter().any(|e| e["target"] == "alice" && e["before"] == "admin" && e["after"] == "viewer"),
        "{roles:?}"
    );
    let settings = audit(&s, "settings").await;
    let github = settings.iter().find(|e| e["target"] == "GitHub sign-in").expect("settings audited");
    assert!(!github.to_string().contains(CLIENT_SECRET), "masked: {github}");
}

#[tokio::test]
async fn strangers_tampered_states_and_reused_codes_are_refused() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let stub = stub(&s).await;
    configure(&s, &stub, CLIENT_SECRET, "user:alice=admin\norg:acme=deployer").await;

    // A stranger: GitHub signs mallory in, NSM does not.
    let (mallory, callback) = to_callback(&s, &stub, "mallory").await;
    let refused = mallory.get(&callback).send().await.expect("callback");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused
        .headers()
        .get_all("set-cookie")
        .iter()
        .all(|c| !c.to_str().unwrap_or("").starts_with("nsm_session=")));
    let page = refused.text().await.expect("page");
    assert!(page.contains("@mallory is not allowed"), "{page}");
    let (status, _) = call(&s, &mallory, "whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A tampered state, and the right state from another browser: both refused.
    let (alice, callback) = to_callback(&s, &stub, "alice").await;
    let tampered = callback.replace("state=", "state=0");
    let response = alice.get(&tampered).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.text().await.expect("page").contains("not valid any more"));
    let elsewhere = common::client().get(&callback).send().await.expect("callback");
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST, "the state is bound to the browser that started");
    // That try spent the state: even its own browser cannot use it now.
    assert_eq!(alice.get(&callback).send().await.expect("callback").status(), StatusCode::BAD_REQUEST);

    // A code is good once: replayed as it came, or under a fresh state.
    let (alice, callback) = to_callback(&s, &stub, "alice").await;
    assert_eq!(alice.get(&callback).send().await.expect("callback").status(), StatusCode::OK);
    assert_eq!(alice.get(&callback).send().await.expect("replay").status(), StatusCode::BAD_REQUEST);
    let code = callback.split("code=").nth(1).and_then(|rest| rest.split('&').next()).expect("code").to_owned();
    let (other, fresh) = to_callback(&s, &stub, "alice").await;
    let state = fresh.split("state=").nth(1).expect("state").to_owned();
    let reused =
        other.get(s.url(&format!("/auth/github/callback?code={code}&state={state}"))).send().await.expect("callback");
    assert_eq!(reused.status(), StatusCode::BAD_GATEWAY);
    assert!(reused.text().await.expect("page").contains("bad_verification_code"));
    assert!(stub.refusals().iter().any(|r| r.contains("used already")), "{:?}", stub.refusals());

    // The user said no at GitHub.
    let (browser, callback) = to_callback(&s, &stub, "alice").await;
    let state = callback.split("state=").nth(1).expect("state").to_owned();
    let denied = browser
        .get(s.url(&format!(
            "/auth/github/callback?error=access_denied&error_description=The+user+has+denied&state={state}"
        )))
        .send()
        .await
        .expect("callback");
    assert_eq!(denied.status(), StatusCode::BAD_REQUEST);

    // A wrong client secret: GitHub refuses the exchange.
    configure(&s, &stub, "not-the-secret", "user:alice=admin").await;
    let (alice, callback) = to_callback(&s, &stub, "alice").await;
    let response = alice.get(&callback).send().await.expect("callback");
    assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
    assert!(response.text().await.expect("page").contains("incorrect_client_credentials"));

    // Each refusal is in the audit log, the stranger by name.
    let failed = audit(&s, "sign_in_failed").await;
    assert!(failed.iter().any(|e| e["target"] == "github:mallory" && e["action"] == "refused"), "{failed:?}");
    let github =
        failed.iter().filter(|e| e["detail"].as_str().is_some_and(|d| d.starts_with("GitHub sign-in"))).count();
    assert_eq!(github, 8, "mallory, tampered, elsewhere, spent, replay, reused, denied, secret: {failed:?}");
    let (_, users) = s.call_json("list_users", &[]).await;
    assert!(!users.to_string().contains("mallory"), "no account for a stranger");
}

#[tokio::test]
async fn flags_configure_it_and_win_over_the_page() {
    let temp = tempfile::tempdir().expect("dir");
    let stub = GithubStub::start(CLIENT_ID, CLIENT_SECRET).await.expect("stand-in");
    stub.add_account(102, "bob", &["acme"]);
    let mut settings = nsm_server::Settings::for_data_dir(temp.path().to_path_buf());
    settings.github = nsm_server::auth::github::GithubFlags {
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        web_url: Some(stub.web_url()),
        api_url: Some(stub.api_url()),
        allow: vec!["org:ACME=viewer".parse().expect("rule")],
    };
    let s = TestServer::start_with(settings).await;
    s.setup_admin().await;
    stub.register_callback(&s.url("/auth/github/callback"));

    let (_, view) = s.call_json("get_github_settings", &[]).await;
    assert_eq!(view["from_flags"].as_array().map(Vec::len), Some(5), "{view}");
    // The page cannot change what a flag gives.
    configure(&s, &stub, "other", "org:acme=admin").await;
    let (_, view) = s.call_json("get_github_settings", &[]).await;
    assert_eq!(view["allow"], "org:ACME=viewer", "{view}");

    let bob = sign_in(&s, &stub, "bob").await;
    let (_, me) = call(&s, &bob, "whoami", &[]).await;
    assert_eq!(me["role"], "viewer", "{me}");
    let (status, _) = call(&s, &bob, "list_projects", &[]).await;
    assert!(status.is_success(), "a viewer reads");
    let (status, body) =
        call(&s, &bob, "create_project", &[("id", "gh-view"), ("repo_owner", "acme"), ("repo_name", "shop")]).await;
    assert_eq!((status, error_kind(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
}
