//! The CI/CD API over real HTTP: deploy keys, status codes and their order, rate
//! limits, coalescing, GitHub signatures and deliveries, `?wait=true`, log follow.

use std::time::Duration;

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use super::common::{ComposeCleanup, TestServer};

async fn enable_ci(s: &TestServer, project: &str) -> String {
    let (status, _) = s.call_json("set_ci_enabled", &[("id", project), ("enabled", "on")]).await;
    assert!(status.is_success());
    let (status, key) = s.call_json("rotate_deploy_key", &[("id", project)]).await;
    assert!(status.is_success(), "{key}");
    key.as_str().expect("key shown once").to_owned()
}

async fn post_deploy(s: &TestServer, project: &str, key: Option<&str>, query: &str) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new().post(s.url(&format!("/api/v1/projects/{project}/deploy{query}")));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, body)
}

#[tokio::test]
async fn deploy_key_answers_in_the_documented_order() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let repo = super::common::slow_repo(1);
    let id = s.create_project_from("it-ci", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    let unauthorized = json!({ "error": "unauthorized" });

    assert_eq!(
        post_deploy(&s, "no-such-project", Some("x"), "").await,
        (StatusCode::UNAUTHORIZED, unauthorized.clone())
    );
    assert_eq!(post_deploy(&s, &id, None, "").await, (StatusCode::UNAUTHORIZED, unauthorized.clone()));
    // Before any key exists, nothing matches.
    assert_eq!(post_deploy(&s, &id, Some(""), "").await.0, StatusCode::UNAUTHORIZED);

    let (_, key) = s.call_json("rotate_deploy_key", &[("id", &id)]).await;
    let key = key.as_str().expect("key").to_owned();
    // A wrong key is 401 even while CI/CD is off: no hint that the project exists.
    assert_eq!(post_deploy(&s, &id, Some("nsm_wrong"), "").await, (StatusCode::UNAUTHORIZED, unauthorized.clone()));
    assert_eq!(
        post_deploy(&s, &id, Some(&key), "").await,
        (StatusCode::FORBIDDEN, json!({ "error": "ci_cd_disabled" }))
    );

    let (status, _) = s.call_json("set_ci_enabled", &[("id", &id), ("enabled", "on")]).await;
    assert!(status.is_success());
    let (status, body) = post_deploy(&s, &id, Some(&key), "").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let deployment = body["deployment_id"].as_str().expect("id").to_owned();
    assert_eq!(body["status_url"], format!("/api/v1/deployments/{deployment}"));

    // The status URL answers the same key (and nothing without it).
    let status_url = s.url(body["status_url"].as_str().expect("url"));
    let anonymous = reqwest::Client::new().get(&status_url).send().await.expect("request");
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let state: Value = reqwest::Client::new()
        .get(&status_url)
        .bearer_auth(&key)
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(state["deployment_id"], deployment.as_str());
    assert_eq!(state["trigger"], "webhook");

    // Rotation invalidates the old key at once.
    let (_, new_key) = s.call_json("rotate_deploy_key", &[("id", &id)]).await;
    assert_eq!(post_deploy(&s, &id, Some(&key), "").await.0, StatusCode::UNAUTHORIZED);
    assert_ne!(post_deploy(&s, &id, new_key.as_str(), "").await.0, StatusCode::UNAUTHORIZED);

    // Every call is in the activity, refused ones with their reason.
    let (_, ci) = s.call_json("get_ci", &[("id", &id)]).await;
    let activity = ci["activity"].to_string();
    for expected in ["missing or wrong deploy key", "CI/CD is disabled", "queued deployment"] {
        assert!(activity.contains(expected), "{expected} not in {activity}");
    }
}

#[tokio::test]
async fn a_flood_gets_429_with_retry_after() {
    let temp = tempfile::tempdir().expect("dir");
    let mut settings = nsm_server::Settings::for_data_dir(temp.path().to_path_buf());
    settings.ci_rate_limit = 3;
    let s = TestServer::start_with(settings).await;
    s.setup_admin().await;
    let repo = super::common::slow_repo(1);
    let id = s.create_project_from("it-rate", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    let key = enable_ci(&s, &id).await;
    for _ in 0..3 {
        assert_eq!(post_deploy(&s, &id, Some(&key), "").await.0, StatusCode::ACCEPTED);
    }
    let response = reqwest::Client::new()
        .post(s.url(&format!("/api/v1/projects/{id}/deploy")))
        .bearer_auth(&key)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=20).contains(&retry), "{retry}");
}

#[tokio::test]
async fn fifty_concurrent_calls_coalesce() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = super::common::slow_repo(4);
    let id = s.create_project_from("it-flood", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_slow_exited(&id).await;
    let key = enable_ci(&s, &id).await;
    // Something runs already, so every call below queues or joins the queue.
    let running = s.deploy(&id).await;
    s.wait_state(running, &["preparing", "starting", "settling"], Duration::from_secs(60)).await;

    let calls = (0..50).map(|_| {
        let (url, key) = (s.url(&format!("/api/v1/projects/{id}/deploy")), key.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new().post(url).bearer_auth(key).send().await.expect("request");
            (response.status(), response.json::<Value>().await.expect("json"))
        })
    });
    let mut ids = std::collections::BTreeSet::new();
    for call in calls {
        let (status, body) = call.await.expect("task");
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        ids.insert(body["deployment_id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 1, "all 50 joined one queued deployment: {ids:?}");
    let queued: i64 = ids.iter().next().and_then(|i| i.parse().ok()).expect("id");
    assert_ne!(queued, running);
    let (_, history) = s.call_json("list_deployments", &[("id", &id)]).await;
    assert_eq!(history.as_array().map(Vec::len), Some(2), "exactly one runs and one queues: {history}");
    s.wait_end(running, Duration::from_secs(120)).await;
    let last = s.wait_end(queued, Duration::from_secs(120)).await;
    assert_eq!(last["summary"]["state"], "succeeded");
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A push event shaped like GitHub's (trimmed to what matters and some of the rest).
fn push_payload(branch: &str) -> Vec<u8> {
    json!({
        "ref": format!("refs/heads/{branch}"),
        "before": "0000000000000000000000000000000000000000",
        "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "created": false,
        "deleted": false,
        "forced": false,
        "repository": { "id": 1296269, "name": "shop", "full_name": "acme/shop", "default_branch": "main" },
        "pusher": { "name": "octocat", "email": "octocat@github.com" },
        "head_commit": { "id": "6113728f27ae82c7b1a177c8d03f9e96e0adf246", "message": "Update README.md" },
        "commits": []
    })
    .to_string()
    .into_bytes()
}

#[tokio::test]
async fn github_push_hooks() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let repo = super::common::slow_repo(1);
    let id = s.create_project_from("it-gh", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.call_json("set_ci_enabled", &[("id", &id), ("enabled", "on")]).await;
    let (_, secret) = s.call_json("rotate_webhook_secret", &[("id", &id)]).await;
    let secret = secret.as_str().expect("secret").to_owned();
    let url = s.url(&format!("/api/v1/projects/{id}/hooks/github"));
    let hook = |event: &'static str, delivery: &str, body: Vec<u8>, signature: Option<String>| {
        let mut request = reqwest::Client::new()
            .post(&url)
            .header("x-github-event", event)
            .header("x-github-delivery", delivery)
            .header("content-type", "application/json")
            .body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        async move {
            let response = request.send().await.expect("request");
            (response.status(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    let ping = br#"{"zen":"Keep it logically awesome.","hook_id":1}"#.to_vec();
    assert_eq!(hook("ping", "d-0", ping.clone(), None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(hook("ping", "d-1", ping.clone(), Some(sign("wrong", &ping))).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(hook("ping", "d-2", ping.clone(), Some(sign(&secret, &ping))).await.0, StatusCode::OK);

    let other = push_payload("feature/x");
    let (status, body) = hook("push", "d-3", other.clone(), Some(sign(&secret, &other))).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "skipped": "branch" })));

    let push = push_payload("main");
    // The signature covers the raw body: one changed byte and it is refused.
    let mut tampered = push.clone();
    tampered.push(b' ');
    assert_eq!(hook("push", "d-4", tampered, Some(sign(&secret, &push))).await.0, StatusCode::UNAUTHORIZED);
    let (status, first) = hook("push", "d-5", push.clone(), Some(sign(&secret, &push))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, again) = hook("push", "d-5", push.clone(), Some(sign(&secret, &push))).await;
    assert_eq!((status, &again), (StatusCode::ACCEPTED, &first), "a repeated delivery gets the first answer");
    let (_, history) = s.call_json("list_deployments", &[("id", &id)]).await;
    assert_eq!(history.as_array().map(Vec::len), Some(1), "no second deployment: {history}");
}

#[tokio::test]
async fn wait_true_reports_success_and_failure_and_the_log_follows_to_the_end() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };

    let good = super::common::slow_repo(2);
    let id = s.create_project_from("it-wait", &good.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    s.expect_slow_exited(&id).await;
    let key = enable_ci(&s, &id).await;
    let (status, body) = post_deploy(&s, &id, Some(&key), "?wait=true").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "succeeded");

    // Follow a running deployment's log: the body ends when the deployment does.
    let (_, queued) = post_deploy(&s, &id, Some(&key), "").await;
    let deployment = queued["deployment_id"].as_str().expect("id").to_owned();
    let log = tokio::time::timeout(
        Duration::from_secs(120),
        reqwest::Client::new()
            .get(s.url(&format!("/api/v1/deployments/{deployment}/log?follow=true")))
            .bearer_auth(&key)
            .send(),
    )
    .await
    .expect("log answers")
    .expect("request")
    .text();
    let log = tokio::time::timeout(Duration::from_secs(120), log).await.expect("log stream ends").expect("body");
    assert!(log.contains(&format!("deployment #{deployment} succeeded")), "{log}");

    // A failing deployment: same JSON, non-2xx, so `curl --fail` fails.
    let bad = super::common::slow_repo(2);
    let failing = s.create_project_from("it-wait-bad", &bad.file_url()).await;
    let _cleanup2 = ComposeCleanup(failing.clone());
    // Expected to keep running, it exits after 2 s: settling fails.
    s.expect_state(&failing, "slow", "running").await;
    let key = enable_ci(&s, &failing).await;
    let (status, body) = post_deploy(&s, &failing, Some(&key), "?wait=true").await;
    assert!(!status.is_success(), "{status} {body}");
    assert_eq!(body["state"], "failed", "{body}");
}
