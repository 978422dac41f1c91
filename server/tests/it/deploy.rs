//! Deployments end to end: the real server, the embedded worker, real git and a real
//! Docker Engine with compose; the fixture app's image builds locally.

use std::time::Duration;

use nsm_testkit::deployment_log_text as log_text;
use nsm_testkit::{docker_or_skip, fixture_app_files, free_port, FixtureApp, FixtureRepo};

use super::common::{ComposeCleanup, TestServer};

const DEPLOY: Duration = Duration::from_secs(180);

fn commit_app(repo: &FixtureRepo, app: &FixtureApp, message: &str) -> String {
    let files = fixture_app_files(app);
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit(&refs, message).expect("commit")
}

async fn get_text(url: &str) -> Option<String> {
    let response = reqwest::get(url).await.ok()?;
    response.status().is_success().then_some(())?;
    response.text().await.ok()
}

/// A project for the fixture app with its variables set; returns (id, web port, api port).
async fn fixture_project(s: &TestServer, repo: &FixtureRepo, greeting: &str) -> (String, u16, u16) {
    let id = s.create_project_from("it-app", &repo.file_url()).await;
    let (web, api) = (free_port(), free_port());
    s.set_plain(&id, "WEB_PORT", &web.to_string()).await;
    s.set_plain(&id, "API_PORT", &api.to_string()).await;
    s.set_plain(&id, "GREETING", greeting).await;
    (id, web, api)
}

#[tokio::test]
async fn deploy_redeploy_and_teardown_the_fixture_app() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = FixtureRepo::new().expect("repo");
    let first = commit_app(&repo, &FixtureApp { page: "first page".into(), ..FixtureApp::default() }, "first");
    // Quotes, $, #, spaces and a newline must reach the container exactly.
    let greeting = "it's \"quoted\" $HOME ${X} #not-a-comment  two  spaces\nsecond line";
    let (id, web, api) = fixture_project(&s, &repo, greeting).await;
    let _cleanup = ComposeCleanup(id.clone());

    let deployment = s.deploy(&id).await;
    let detail = s.wait_end(deployment, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    assert_eq!(detail["summary"]["commit"], first.as_str());
    assert!(get_text(&format!("http://127.0.0.1:{web}/")).await.is_some_and(|p| p.contains("first page")));
    let echoed = get_text(&format!("http://127.0.0.1:{api}/cgi-bin/hello")).await.expect("api answers");
    assert_eq!(echoed, greeting, "the value read back from inside the container");
    // The snapshot masks secrets, and the override labels every service.
    let env = detail["env_masked"].as_str().expect(".env snapshot");
    assert!(env.contains("GREETING=") && !env.contains("quoted"), "{env}");
    // The override is the same every deployment (no deployment label: Compose would
    // recreate every service for it).
    let labels = detail["compose_override"].as_str().unwrap_or_default();
    assert!(labels.contains("dev.nsm.project") && !labels.contains("dev.nsm.deployment"), "{labels}");
    let services: Vec<&str> =
        detail["services"].as_array().expect("services").iter().filter_map(|s| s["service"].as_str()).collect();
    assert!(services.contains(&"web") && services.contains(&"api"), "{services:?}");

    // The log is kept and can be replayed as events.
    let events = s
        .client
        .get(s.url(&format!("/api/v1/deployments/{deployment}/events")))
        .send()
        .await
        .expect("events")
        .text()
        .await
        .expect("body");
    assert!(events.contains("event: line") && events.contains("event: end"), "{events}");

    // A second deploy replaces the first.
    let second = commit_app(&repo, &FixtureApp { page: "second page".into(), ..FixtureApp::default() }, "second");
    let deployment2 = s.deploy(&id).await;
    let detail = s.wait_end(deployment2, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    assert_eq!(detail["summary"]["commit"], second.as_str());
    assert!(get_text(&format!("http://127.0.0.1:{web}/")).await.is_some_and(|p| p.contains("second page")));
    let running: std::collections::BTreeSet<String> =
        nsm_testkit::docker_ids(&["ps", "-q", "--no-trunc", "--filter", &format!("label=dev.nsm.project={id}")])
            .into_iter()
            .collect();
    let deployed: std::collections::BTreeSet<String> = detail["services"]
        .as_array()
        .expect("services")
        .iter()
        .filter_map(|s| s["container"].as_str().map(str::to_owned))
        .collect();
    assert!(!running.is_empty() && running == deployed, "only the new deployment runs: {running:?} vs {deployed:?}");

    // Teardown stops serving.
    let (status, body) = s.call_json("teardown_project", &[("id", &id)]).await;
    assert!(status.is_success(), "{body}");
    assert!(get_text(&format!("http://127.0.0.1:{web}/")).await.is_none());
}

#[tokio::test]
async fn a_failing_service_fails_the_deployment_with_its_exit_code() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = FixtureRepo::new().expect("repo");
    commit_app(&repo, &FixtureApp { api_exit_code: Some(3), ..FixtureApp::default() }, "failing api");
    let (id, _, _) = fixture_project(&s, &repo, "hi").await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_state(&id, "api", "running").await;
    let detail = s.wait_end(s.deploy(&id).await, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "failed", "{}", log_text(&detail));
    let log = log_text(&detail);
    assert!(log.contains("exit code 3") || log.contains("exited with 3") || log.contains("(3)"), "{log}");
    assert!(detail["summary"]["reason"].as_str().is_some_and(|r| r.contains("api")), "{detail}");
}

#[tokio::test]
async fn a_new_service_stops_at_major_change_detection_and_production_keeps_running() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = FixtureRepo::new().expect("repo");
    commit_app(&repo, &FixtureApp { page: "stable".into(), ..FixtureApp::default() }, "stable");
    let (id, web, _) = fixture_project(&s, &repo, "hi").await;
    let _cleanup = ComposeCleanup(id.clone());
    let detail = s.wait_end(s.deploy(&id).await, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));

    commit_app(&repo, &FixtureApp { page: "with extra".into(), extra_service: true, ..FixtureApp::default() }, "extra");
    let detail = s.wait_end(s.deploy(&id).await, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "failed");
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("extra"), "{reason}");
    assert!(
        get_text(&format!("http://127.0.0.1:{web}/")).await.is_some_and(|p| p.contains("stable")),
        "production untouched"
    );
}

#[tokio::test]
async fn concurrent_requests_run_one_after_the_other() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = super::common::slow_repo(3);
    let id = s.create_project_from("it-queue", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_slow_exited(&id).await;

    let first = s.deploy(&id).await;
    let second = s.deploy(&id).await;
    let third = s.deploy(&id).await;
    assert_ne!(first, second, "a second request queues behind the running one");
    assert_eq!(second, third, "later requests coalesce into the queued one");
    let a = s.wait_end(first, DEPLOY).await;
    let b = s.wait_end(second, DEPLOY).await;
    assert_eq!(a["summary"]["state"], "succeeded", "{}", log_text(&a));
    assert_eq!(b["summary"]["state"], "succeeded", "{}", log_text(&b));
    let finished_a = a["summary"]["finished_at"].as_str().expect("finished");
    let started_b = b["summary"]["started_at"].as_str().expect("started");
    assert!(started_b >= finished_a, "the second started ({started_b}) after the first ended ({finished_a})");
}

#[tokio::test]
async fn a_worker_that_disconnects_mid_deploy_fails_the_deployment() {
    if !docker_or_skip() {
        return;
    }
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (_, issued) = s.call_json("add_worker", &[("id", "doomed"), ("name", "Doomed")]).await;
    let token = issued["token"].as_str().expect("token").to_owned();
    let dir = tempfile::tempdir().expect("dir");
    let config = nsm_worker::WorkerConfig {
        server_url: s.base.replace("http://", "ws://"),
        worker_id: nsm_core::WorkerId::parse("doomed").expect("id"),
        token,
        data_dir: dir.path().to_path_buf(),
        edge: nsm_worker::EdgeConfig::off(),
    };
    let worker = tokio::spawn(nsm_worker::run(config, std::future::pending()));
    s.worker_online("doomed", Duration::from_secs(20)).await;

    let repo = super::common::slow_repo(60);
    let id = super::common::unique_id("it-doomed");
    let (status, body) = s
        .call_json(
            "create_project",
            &[("id", &id), ("repo_url", &repo.file_url()), ("worker", "doomed"), ("timeout_secs", "300")],
        )
        .await;
    assert!(status.is_success(), "{body}");
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_slow_exited(&id).await;
    let deployment = s.deploy(&id).await;
    s.wait_state(deployment, &["settling"], DEPLOY).await;

    // The worker process dies: its link drops without a goodbye.
    worker.abort();
    let detail = s.wait_end(deployment, Duration::from_secs(60)).await;
    assert_eq!(detail["summary"]["state"], "failed");
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("doomed") && reason.contains("disconnected"), "{reason}");
}
