//! The plan before a deploy and redeploying an earlier deployment (a rollback), end to
//! end: the real server, the embedded worker, real git and Docker.

use std::time::Duration;

use nsm_testkit::deployment_log_text as log_text;
use nsm_testkit::{fixture_app_files, FixtureApp, FixtureRepo};
use reqwest::StatusCode;
use serde_json::Value;

use super::common::{error_kind, ComposeCleanup, TestServer};

const DEPLOY: Duration = Duration::from_secs(180);

fn commit_app(repo: &FixtureRepo, app: &FixtureApp, message: &str) -> String {
    let files = fixture_app_files(app);
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit(&refs, message).expect("commit")
}

async fn greeting(api: u16) -> Option<String> {
    let response = reqwest::get(format!("http://127.0.0.1:{api}/cgi-bin/hello")).await.ok()?;
    response.status().is_success().then_some(())?;
    response.text().await.ok()
}

async fn page(web: u16) -> Option<String> {
    let response = reqwest::get(format!("http://127.0.0.1:{web}/")).await.ok()?;
    response.status().is_success().then_some(())?;
    response.text().await.ok()
}

async fn plan(s: &TestServer, project: &str) -> Value {
    let response = s.client.get(s.url(&format!("/api/v1/projects/{project}/plan"))).send().await.expect("plan");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("plan JSON")
}

fn changed_variables(plan: &Value) -> Vec<(String, String)> {
    plan["variables"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| {
            (v["name"].as_str().unwrap_or_default().to_owned(), v["change"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// Nothing but variables differs.
fn only_variables(plan: &Value) {
    for part in ["domains", "resources", "services", "nginx", "problems"] {
        assert_eq!(plan[part], serde_json::json!([]), "{part}: {plan}");
    }
    assert_eq!(plan["commit"]["from"], plan["commit"]["to"], "same commit: {plan}");
}

async fn redeploy(s: &TestServer, deployment: i64, key: &str) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(s.url(&format!("/api/v1/deployments/{deployment}/redeploy")))
        .bearer_auth(key)
        .send()
        .await
        .expect("redeploy");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_redeploy_runs_the_old_values_again_and_the_plan_lists_exactly_what_changed() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = FixtureRepo::new().expect("repo");
    let commit = commit_app(&repo, &FixtureApp { page: "the page".into(), ..FixtureApp::default() }, "first");
    let id = s.create_project_from("it-redeploy", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());
    let (web, api) = (nsm_testkit::free_port(), nsm_testkit::free_port());
    s.set_plain(&id, "WEB_PORT", &web.to_string()).await;
    s.set_plain(&id, "API_PORT", &api.to_string()).await;
    s.set_plain(&id, "GREETING", "value A").await;

    // Before anything succeeded, everything is new.
    let first_plan = plan(&s, &id).await;
    assert_eq!(first_plan["against"], Value::Null, "{first_plan}");

    let first = s.deploy(&id).await;
    let detail = s.wait_end(first, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    assert_eq!(greeting(api).await.as_deref(), Some("value A"));
    let unchanged = plan(&s, &id).await;
    assert_eq!(unchanged["against"], first, "{unchanged}");
    assert_eq!(changed_variables(&unchanged), vec![], "nothing changed: {unchanged}");
    only_variables(&unchanged);

    // One value changed: the plan says exactly that, with the value masked.
    s.set_plain(&id, "GREETING", "value B").await;
    let planned = plan(&s, &id).await;
    assert_eq!(changed_variables(&planned), vec![("GREETING".to_owned(), "changed".to_owned())], "{planned}");
    assert_eq!(planned["variables"][0]["after"], "plain ••••");
    assert!(!planned.to_string().contains("value B"), "no secret in the plan: {planned}");
    only_variables(&planned);

    // A new commit too: the second deployment runs it with B.
    let newer = commit_app(&repo, &FixtureApp { page: "the newer page".into(), ..FixtureApp::default() }, "second");
    let second = s.deploy(&id).await;
    let detail = s.wait_end(second, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    assert_eq!(detail["summary"]["commit"], newer.as_str());
    assert_eq!(greeting(api).await.as_deref(), Some("value B"));
    assert!(page(web).await.is_some_and(|p| p.contains("the newer page")));

    // The redeploy's plan: back to the first deployment's commit and value.
    let (status, back) = s.call_json("get_redeploy_plan", &[("deployment", &first.to_string())]).await;
    assert!(status.is_success(), "{status} {back}");
    assert_eq!(back["redeploy_of"], first);
    assert_eq!(back["against"], second);
    assert_eq!(changed_variables(&back), vec![("GREETING".to_owned(), "changed".to_owned())], "{back}");
    assert_eq!(
        (&back["commit"]["from"], &back["commit"]["to"]),
        (&Value::from(newer.as_str()), &Value::from(commit.as_str()))
    );
    assert_eq!(back["commit"]["branch"], Value::Null, "a redeploy's commit is exact");
    for part in ["domains", "resources", "services", "nginx", "problems"] {
        assert_eq!(back[part], serde_json::json!([]), "{part}: {back}");
    }

    // The deploy key redeploys the first deployment: 202 with the new id.
    let (status, _) = s.call_json("set_ci_enabled", &[("id", &id), ("enabled", "on")]).await;
    assert!(status.is_success());
    let (status, key) = s.call_json("rotate_deploy_key", &[("id", &id)]).await;
    assert!(status.is_success(), "{key}");
    let key = key.as_str().expect("key").to_owned();
    let (status, body) = redeploy(&s, first, &key).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let rollback: i64 = body["deployment_id"].as_str().and_then(|d| d.parse().ok()).expect("deployment id");
    assert_eq!(body["status_url"], format!("/api/v1/deployments/{rollback}"));
    let detail = s.wait_end(rollback, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    assert_eq!(detail["summary"]["trigger"], "rollback");
    assert_eq!(detail["summary"]["redeploy_of"], first);
    assert_eq!(detail["summary"]["commit"], commit.as_str());
    assert!(log_text(&detail).contains(&format!("redeploy of #{first}")), "{}", log_text(&detail));
    assert!(log_text(&detail).contains(&format!("Redeploying commit {commit}")), "{}", log_text(&detail));
    assert_eq!(greeting(api).await.as_deref(), Some("value A"), "the old value is back in the container");
    assert!(page(web).await.is_some_and(|p| p.contains("the page") && !p.contains("newer")), "the old commit runs");
    // The configuration saved is untouched: the next deploy's plan brings B back.
    let forward = plan(&s, &id).await;
    assert_eq!(forward["against"], rollback);
    assert_eq!(forward["commit"]["from"], commit.as_str());
    assert_eq!(forward["commit"]["to"], newer.as_str(), "the branch's head as last seen: {forward}");
    assert_eq!(changed_variables(&forward), vec![("GREETING".to_owned(), "changed".to_owned())], "{forward}");

    // A deploy asked for while a redeploy waits supersedes it: joining it would run the
    // old commit instead of the branch's.
    let running = s.deploy(&id).await;
    let (status, queued) = s.call_json("redeploy_deployment", &[("deployment", &first.to_string())]).await;
    assert!(status.is_success(), "{queued}");
    let queued = queued.as_i64().expect("the redeploy's id");
    let newest = s.deploy(&id).await;
    assert_ne!(newest, queued, "the deploy did not join the redeploy");
    let detail = s.wait_end(queued, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "cancelled", "{}", log_text(&detail));
    assert!(detail["summary"]["reason"].as_str().is_some_and(|r| r.contains("superseded")), "{detail}");
    for deployment in [running, newest] {
        let detail = s.wait_end(deployment, DEPLOY).await;
        assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));
    }
    assert!(page(web).await.is_some_and(|p| p.contains("the newer page")), "the branch's head runs");

    // Only a succeeded deployment can be redeployed.
    commit_app(&repo, &FixtureApp { page: "extra".into(), extra_service: true, ..FixtureApp::default() }, "extra");
    let failed = s.deploy(&id).await;
    let detail = s.wait_end(failed, DEPLOY).await;
    assert_eq!(detail["summary"]["state"], "failed", "{}", log_text(&detail));
    let (status, body) = redeploy(&s, failed, &key).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("only a succeeded deployment")), "{body}");
    let (_, body) = s.call_json("redeploy_deployment", &[("deployment", &failed.to_string())]).await;
    assert_eq!(error_kind(&body), "conflict", "{body}");
    // A wrong key is refused like an unknown deployment.
    let (status, _) = redeploy(&s, first, "nsm_wrong").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = redeploy(&s, 999_999, &key).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
