use super::common;

use super::common::{error_kind, TestServer, ADMIN, PASSWORD};
use reqwest::StatusCode;

#[tokio::test]
async fn healthz_reports_status_and_version() {
    let s = TestServer::start().await;
    let response = s.client.get(s.url("/healthz")).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body, serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }));
}

#[tokio::test]
async fn first_run_steers_to_setup_which_works_once() {
    let s = TestServer::start().await;
    for path in ["/", "/projects", "/login"] {
        let response = s.client.get(s.url(path)).send().await.expect("request");
        assert!(response.status().is_redirection(), "{path}: {}", response.status());
        assert_eq!(response.headers()["location"], "/setup", "{path}");
    }
    let page = s.client.get(s.url("/setup")).send().await.expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.expect("body").contains("Create administrator"));

    let (status, body) =
        s.call_json("setup_admin", &[("username", ADMIN), ("password", "short"), ("confirm", "short")]).await;
    assert!(!status.is_success());
    assert_eq!(error_kind(&body), "invalid");
    assert!(common::field_error(&body, "password").is_some_and(|m| m.contains("at least 10")));

    s.setup_admin().await;
    let (status, body) = s.call_json("whoami", &[]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["username"], ADMIN);

    // A second setup is refused, even from a fresh client.
    let other = TestServer {
        client: common::client(),
        server: None,
        base: s.base.clone(),
        data_dir: s.data_dir.clone(),
        _temp: None,
    };
    let (status, body) =
        other.call_json("setup_admin", &[("username", "mallory"), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
    assert!(!status.is_success());
    assert_eq!(error_kind(&body), "conflict", "{body}");
    let response = other.client.get(other.url("/setup")).send().await.expect("request");
    assert_eq!(response.headers()["location"], "/login");
}

#[tokio::test]
async fn session_cookie_is_http_only_and_strict() {
    let s = TestServer::start().await;
    let response = s.call("setup_admin", &[("username", ADMIN), ("password", PASSWORD), ("confirm", PASSWORD)]).await;
    let cookie = response.headers()["set-cookie"].to_str().expect("ascii").to_owned();
    assert!(cookie.starts_with("nsm_session="), "{cookie}");
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age="] {
        assert!(cookie.contains(attribute), "{attribute} missing from {cookie}");
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let fresh = common::client();
    let anonymous =
        TestServer { client: fresh, server: None, base: s.base.clone(), data_dir: s.data_dir.clone(), _temp: None };
    let (status_wrong, wrong) =
        anonymous.call_json("sign_in", &[("username", ADMIN), ("password", "not the password")]).await;
    let (status_unknown, unknown) =
        anonymous.call_json("sign_in", &[("username", "nobody"), ("password", "not the password")]).await;
    assert!(!status_wrong.is_success());
    assert_eq!((status_wrong, &wrong), (status_unknown, &unknown));
    assert_eq!(error_kind(&wrong), "bad_credentials");
    let (status, _) = anonymous.call_json("whoami", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    anonymous.sign_in().await;
    let (status, _) = anonymous.call_json("whoami", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_slowed_down() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    for _ in 0..5 {
        let (_, body) = s.call_json("sign_in", &[("username", ADMIN), ("password", "guess guess")]).await;
        assert_eq!(error_kind(&body), "bad_credentials");
    }
    // Now even the right password must wait.
    let (status, body) = s.call_json("sign_in", &[("username", ADMIN), ("password", PASSWORD)]).await;
    assert!(!status.is_success());
    assert_eq!(error_kind(&body), "throttled", "{body}");
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_session() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    for (header, value) in [("origin", "http://evil.example"), ("sec-fetch-site", "cross-site")] {
        let response = s
            .client
            .post(s.url("/api/fn/create_project"))
            .header(header, value)
            .form(&[("id", "csrf"), ("repo_owner", "a"), ("repo_name", "b")])
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    let (_, list) = s.call_json("list_projects", &[]).await;
    assert_eq!(list, serde_json::json!([]), "nothing was created");
    // The same request from the same origin goes through.
    let response = s
        .client
        .post(s.url("/api/fn/create_project"))
        .header("origin", s.base.clone())
        .form(&[("id", "same-origin"), ("repo_owner", "a"), ("repo_name", "b")])
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success(), "{}", response.status());
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, _) = s.call_json("sign_out", &[]).await;
    assert!(status.is_success());
    let (status, _) = s.call_json("list_projects", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
