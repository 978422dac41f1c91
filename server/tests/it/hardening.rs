//! First run and sign-in against hostile callers, the data directory's modes, the
//! headers every answer carries, the public URL's origin, credentials in git URLs.

use std::net::IpAddr;

use reqwest::StatusCode;

use super::common::{client, error_kind, field_error, TestServer, ADMIN, PASSWORD};

async fn sign_in_as(s: &TestServer, username: &str, forwarded_for: Option<&str>) -> String {
    let mut request = client()
        .post(s.url("/api/fn/sign_in"))
        .header("accept", "application/json")
        .form(&[("username", username), ("password", "wrong wrong wrong")]);
    if let Some(addr) = forwarded_for {
        request = request.header("x-forwarded-for", addr);
    }
    let body: serde_json::Value = request.send().await.expect("request").json().await.expect("json");
    error_kind(&body).to_owned()
}

#[tokio::test]
async fn a_parallel_burst_of_guesses_gets_no_further_than_five() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let guesses = (0..20).map(|_| sign_in_as(&s, ADMIN, None));
    let kinds = futures::future::join_all(guesses).await;
    let checked = kinds.iter().filter(|k| *k == "bad_credentials").count();
    assert_eq!(checked, 5, "{kinds:?}");
    assert!(kinds.iter().all(|k| k == "bad_credentials" || k == "throttled"), "{kinds:?}");
}

#[tokio::test]
async fn one_username_is_throttled_from_any_address_and_only_a_trusted_proxy_names_it() {
    let temp = tempfile::tempdir().expect("dir");
    let mut settings = nsm_server::Settings::for_data_dir(temp.path().to_path_buf());
    settings.trusted_proxies = vec![IpAddr::from([127, 0, 0, 1])];
    let s = TestServer::start_with(settings).await;
    s.setup_admin().await;
    for n in 1..=5 {
        assert_eq!(sign_in_as(&s, ADMIN, Some(&format!("198.51.100.{n}"))).await, "bad_credentials");
    }
    // A sixth address guessing the same account waits; another account from it does not.
    assert_eq!(sign_in_as(&s, "Admin", Some("198.51.100.6")).await, "throttled");
    assert_eq!(sign_in_as(&s, "somebody", Some("198.51.100.6")).await, "bad_credentials");

    // Without a trusted proxy the header names nothing: every guess is the peer's.
    let plain = TestServer::start().await;
    plain.setup_admin().await;
    for n in 1..=5 {
        assert_eq!(sign_in_as(&plain, &format!("user{n}"), Some(&format!("198.51.100.{n}"))).await, "bad_credentials");
    }
    assert_eq!(sign_in_as(&plain, "user6", Some("198.51.100.6")).await, "throttled");
}

#[tokio::test]
async fn a_reachable_server_asks_first_run_setup_for_the_logged_token() {
    let temp = tempfile::tempdir().expect("dir");
    let mut settings = nsm_server::Settings::for_data_dir(temp.path().to_path_buf());
    settings.listen = "0.0.0.0:0".parse().expect("addr");
    let s = TestServer::start_with(settings).await;
    let (_, required) = s.call_json("setup_requires_token", &[]).await;
    assert_eq!(required, serde_json::json!(true));
    let token_file = temp.path().join("setup-token");
    let token = std::fs::read_to_string(&token_file).expect("the token file").trim().to_owned();

    let form = |token: Option<&'static str>| {
        let mut form = vec![("username", ADMIN), ("password", PASSWORD), ("confirm", PASSWORD)];
        form.extend(token.map(|t| ("setup_token", t)));
        form
    };
    for attempt in [None, Some("0000")] {
        let (status, body) = s.call_json("setup_admin", &form(attempt)).await;
        assert!(!status.is_success(), "{body}");
        assert!(field_error(&body, "setup_token").is_some_and(|m| m.contains("setup-token")), "{body}");
    }
    let (_, needs) = s.call_json("needs_setup", &[]).await;
    assert_eq!(needs, serde_json::json!(true), "nothing was created");

    let (status, body) = s
        .call_json(
            "setup_admin",
            &[("username", ADMIN), ("password", PASSWORD), ("confirm", PASSWORD), ("setup_token", &token)],
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert!(!token_file.exists(), "a used token is removed");

    // On loopback (the default) no token is asked for.
    let local = TestServer::start().await;
    let (_, required) = local.call_json("setup_requires_token", &[]).await;
    assert_eq!(required, serde_json::json!(false));
    local.setup_admin().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_database_and_key_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    let temp = tempfile::tempdir().expect("dir");
    let data = temp.path().join("data");
    std::fs::create_dir(&data).expect("mkdir");
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let s = TestServer::start_in(data.clone()).await;
    s.setup_admin().await;
    let mode = |name: &str| std::fs::metadata(data.join(name)).expect(name).permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700);
    for file in ["nsm.sqlite", "nsm.sqlite-wal", "secret.key"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }

    // A key others can read stops the next start with what to do.
    let s = {
        let mut s = s;
        s.server.take().expect("running").shutdown().await.expect("shutdown");
        s
    };
    drop(s);
    std::fs::set_permissions(data.join("secret.key"), std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let refused = nsm_server::start(nsm_server::Settings::for_data_dir(data.clone())).await.err().expect("refused");
    assert!(refused.to_string().contains("chmod 600"), "{refused}");
}

#[tokio::test]
async fn no_page_or_answer_can_be_framed() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    for path in ["/", "/login", "/healthz", "/api/v1/events"] {
        let response = s.client.get(s.url(path)).send().await.expect("request");
        let headers = response.headers();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn with_a_public_url_only_its_exact_origin_may_post() {
    let temp = tempfile::tempdir().expect("dir");
    let mut settings = nsm_server::Settings::for_data_dir(temp.path().to_path_buf());
    settings.public_url = Some("https://nsm.example.com/".into());
    let s = TestServer::start_with(settings).await;
    s.setup_admin().await;
    let post = |origin: &'static str| {
        s.client
            .post(s.url("/api/fn/list_projects"))
            .header("accept", "application/json")
            .header("origin", origin)
            .send()
    };
    for foreign in ["http://nsm.example.com", "https://nsm.example.com:8443", "https://evil.example"] {
        assert_eq!(post(foreign).await.expect("request").status(), StatusCode::FORBIDDEN, "{foreign}");
    }
    assert_eq!(post("https://nsm.example.com").await.expect("request").status(), StatusCode::OK);
}

#[tokio::test]
async fn a_git_url_carrying_a_token_is_refused_with_where_it_belongs() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s
        .call_json(
            "create_project",
            &[("id", "leaky"), ("repo_url", "https://x-access-token:ghp_abc@github.com/acme/shop.git")],
        )
        .await;
    assert!(!status.is_success());
    assert!(field_error(&body, "repo_url").is_some_and(|m| m.contains("token field")), "{body}");
    assert!(!body.to_string().contains("ghp_abc"), "the secret is not echoed: {body}");
}

#[tokio::test]
async fn a_request_body_over_the_limit_is_refused_before_it_is_read() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let huge = "x".repeat(nsm_server::http::MAX_REQUEST_BYTES + 1);
    let response = s
        .client
        .post(s.url("/api/fn/save_variable"))
        .header("accept", "application/json")
        .form(&[("id", "p"), ("original", ""), ("name", "BIG"), ("kind", "plain"), ("value", huge.as_str())])
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_deployment_log_keeps_its_cap_and_says_where_it_stopped() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let lines = nsm_server::deploy::MAX_LOG_LINES + 5_000;
    // A line of its own per run: a cached layer would print nothing.
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let nonce = format!("{}-{nanos}", super::common::unique_id("chatty"));
    let dockerfile = format!("FROM {}\nRUN echo {nonce} && seq 1 {lines}\n", nsm_testkit::BUSYBOX_IMAGE);
    let compose = "services:\n  chatty:\n    build: .\n    init: true\n    command: [\"true\"]\n";
    repo.commit(&[("Dockerfile", dockerfile.as_str()), ("compose.yaml", compose)], "chatty build").expect("commit");
    let id = s.create_project_from("it-chatty", &repo.file_url()).await;
    let _cleanup = super::common::ComposeCleanup(id.clone());
    s.expect_state(&id, "chatty", "exited").await;
    let deployment = s.deploy(&id).await;
    let detail = s.wait_end(deployment, std::time::Duration::from_secs(300)).await;
    let log = detail["log"].as_array().expect("log lines");
    let marker = format!("a deployment keeps at most {} lines", nsm_server::deploy::MAX_LOG_LINES);
    assert!(log.iter().any(|l| l["text"].as_str().is_some_and(|t| t.contains(&marker))), "no cut marker");
    assert!(log.len() <= nsm_server::deploy::MAX_LOG_LINES as usize + 50, "{} lines kept", log.len());
    // The server's own closing lines are still there after the cut.
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", detail["summary"]);
    let last = log.last().and_then(|l| l["text"].as_str()).unwrap_or_default();
    assert!(last.contains("succeeded"), "the outcome closes the log: {last}");
}
