//! A project's repository access token: set and cleared through the server functions,
//! sealed at rest, never answered to anyone (admins included), refused to viewers, and
//! sent by the worker as basic auth to clone a private repository.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use super::callers::{Caller, Team};
use super::common::{self, error_kind, field_error, ComposeCleanup, TestServer};

const TOKEN: &str = "ghp_R3poT0ken-only-the-worker-sees";

async fn token_set(s: &TestServer, id: &str) -> bool {
    let (status, body) = s.call_json("get_repo_token_status", &[("id", id)]).await;
    assert!(status.is_success(), "{status} {body}");
    assert!(!body.to_string().contains(TOKEN), "{body}");
    body["repo_token_set"].as_bool().expect("a flag")
}

/// The sealed bytes stored for `id`, read from the database file.
async fn stored(s: &TestServer, id: &str) -> Option<Vec<u8>> {
    let db = nsm_server::db::open(&s.data_dir.join("nsm.sqlite")).await.expect("db");
    nsm_server::db::projects::sync_state(&db, id).await.expect("read").repo_token_enc
}

#[tokio::test]
async fn a_repo_token_is_sealed_never_shown_and_only_editors_set_it() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let team = Team::join(&s).await;
    let id = "private-shop";
    let (status, body) = s.create_project(id).await;
    assert!(status.is_success(), "{status} {body}");
    assert!(!token_set(&s, id).await, "a new project has no token");

    // Refused before anything is stored: invalid tokens, with the field named.
    for bad in ["", "two words", "line\r\nX-Injected: 1", "tökén"] {
        let (status, body) = s.call_json("set_repo_token", &[("id", id), ("token", bad)]).await;
        assert!(!status.is_success() && error_kind(&body) == "invalid", "{bad:?}: {status} {body}");
        assert!(field_error(&body, "token").is_some(), "{bad:?}: {body}");
    }
    assert!(stored(&s, id).await.is_none());

    // Set: answered as a flag only, sealed at rest.
    let (status, body) = s.call_json("set_repo_token", &[("id", id), ("token", TOKEN)]).await;
    assert!(status.is_success(), "{status} {body}");
    assert!(!body.to_string().contains(TOKEN));
    assert!(token_set(&s, id).await);
    let sealed = stored(&s, id).await.expect("stored");
    assert!(!sealed.is_empty());
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains(TOKEN) && !text.contains("R3poT0ken"), "sealed at rest");
    assert!(!sealed.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes()), "sealed at rest");

    // Nothing anyone can read carries it: the project, the list, the configuration
    // file even with secrets, the audit log.
    for (endpoint, form) in [
        ("get_project", vec![("id", id)]),
        ("list_projects", vec![]),
        ("export_config", vec![("id", id), ("secrets", "true")]),
        ("list_audit", vec![]),
    ] {
        let (status, body) = s.call_json(endpoint, &form).await;
        assert!(status.is_success(), "{endpoint}: {status} {body}");
        assert!(!body.to_string().contains(TOKEN), "{endpoint} shows the token: {body}");
    }
    let rest = s.client.get(s.url(&format!("/api/v1/projects/{id}"))).send().await.expect("rest");
    assert!(rest.status().is_success());
    assert!(!rest.text().await.expect("body").contains(TOKEN));
    let (_, audit) = s.call_json("list_audit", &[("project", id)]).await;
    let audit = audit.to_string();
    assert!(audit.contains("repository token: not set") && audit.contains("repository token: set"), "{audit}");

    // Replacing reseals; saving the same again is recorded as unchanged.
    let (status, _) = s.call_json("set_repo_token", &[("id", id), ("token", "ghp_another-one")]).await;
    assert!(status.is_success());
    assert_ne!(stored(&s, id).await.expect("stored"), sealed, "a new value is sealed anew");
    let (status, _) = s.call_json("set_repo_token", &[("id", id), ("token", "ghp_another-one\n")]).await;
    assert!(status.is_success(), "a pasted newline is dropped");
    let (_, audit) = s.call_json("list_audit", &[("project", id)]).await;
    assert!(audit.to_string().contains("(new value)") && audit.to_string().contains("saved unchanged"), "{audit}");

    // Viewers and read tokens are refused; a deployer (who may edit) is not.
    for (caller, endpoint, form) in [
        (Caller::Viewer, "set_repo_token", vec![("id", id), ("token", "ghp_viewer")]),
        (Caller::Viewer, "clear_repo_token", vec![("id", id)]),
        (Caller::ReadToken, "set_repo_token", vec![("id", id), ("token", "ghp_viewer")]),
        (Caller::DeployToken, "clear_repo_token", vec![("id", id)]),
    ] {
        let (status, body) = team.call(&s, caller, endpoint, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint} as {caller:?}: {body}");
    }
    assert!(token_set(&s, id).await, "the refused calls changed nothing");
    let (status, body) = team.call(&s, Caller::Viewer, "get_repo_token_status", &[("id", id)]).await;
    assert_eq!((status, &body["repo_token_set"]), (StatusCode::OK, &Value::Bool(true)), "a viewer sees the flag");

    // Clear: gone from the store; clearing again does nothing.
    let (status, body) = team.call(&s, Caller::Deployer, "clear_repo_token", &[("id", id)]).await;
    assert!(status.is_success(), "{status} {body}");
    assert!(!token_set(&s, id).await);
    assert!(stored(&s, id).await.is_none());
    let (status, _) = s.call_json("clear_repo_token", &[("id", id)]).await;
    assert!(status.is_success());

    // A project that does not exist is not found, token or not.
    let (status, body) = s.call_json("set_repo_token", &[("id", "nothing-here"), ("token", TOKEN)]).await;
    assert!(!status.is_success() && error_kind(&body) == "not_found", "{status} {body}");
}

#[tokio::test]
async fn a_private_repository_syncs_and_deploys_with_its_token() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    let repo = common::slow_repo(1);
    let root = repo.path().parent().expect("parent");
    let git = nsm_testkit::GitHttpServer::start_with_basic_auth(root, "x-access-token", TOKEN).expect("git server");
    let id = s.create_project_from("it-private", &git.url(repo.name())).await;
    let _cleanup = ComposeCleanup(id.clone());

    // Without a token: the reason says what to do.
    let (status, body) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(!status.is_success(), "{body}");
    let reason = body.to_string();
    assert!(reason.contains("requires authentication") && reason.contains("access token"), "{reason}");

    // A wrong token fails without showing it.
    let wrong = "ghp_wrong-token-value";
    let (status, _) = s.call_json("set_repo_token", &[("id", &id), ("token", wrong)]).await;
    assert!(status.is_success());
    let (status, body) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(!status.is_success(), "{body}");
    assert!(!body.to_string().contains(wrong), "{body}");

    // The right one: the sync finds the compose file.
    let (status, _) = s.call_json("set_repo_token", &[("id", &id), ("token", TOKEN)]).await;
    assert!(status.is_success());
    let (status, body) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(body["services"], serde_json::json!(["slow"]), "{body}");

    // And a deployment fetches with it too (where Docker answers).
    if !nsm_testkit::docker_or_skip() {
        return;
    }
    s.expect_slow_exited(&id).await;
    let deployment = s.deploy(&id).await;
    let detail = s.wait_end(deployment, Duration::from_secs(120)).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{detail}");
    assert!(!detail.to_string().contains(TOKEN));
}
