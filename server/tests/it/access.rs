//! Who may call what: every server function and every `/api/v1` route × every kind of
//! caller. The expectations are written out here, independently of the server's
//! tables, and the lists must match what the server registers, so a new endpoint
//! without an entry fails this test.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::callers::{Caller, Team};
use super::common::{error_kind, TestServer};

/// The least a caller needs for each server function.
const SERVER_FUNCTIONS: &[(&str, &str)] = &[
    ("needs_setup", "public"),
    ("setup_requires_token", "public"),
    ("setup_admin", "public"),
    ("sign_in", "public"),
    ("github_sign_in_enabled", "public"),
    ("whoami", "session"),
    ("change_password", "session"),
    ("list_sessions", "session"),
    ("sign_out_session", "session"),
    ("list_api_tokens", "session"),
    ("create_api_token", "session"),
    ("revoke_api_token", "session"),
    ("list_projects", "read"),
    ("get_project", "read"),
    ("get_project_status", "read"),
    ("list_deployments", "read"),
    ("get_deployment", "read"),
    ("list_services", "read"),
    ("get_service_timelines", "read"),
    ("list_variables", "read"),
    ("list_reference_targets", "read"),
    ("get_environment", "read"),
    ("export_dotenv", "read"),
    ("export_config", "read"),
    ("get_ci", "read"),
    ("list_domains", "read"),
    ("list_expiring_certificates", "read"),
    ("list_workers", "read"),
    ("get_fleet_history", "read"),
    ("get_control_plane_status", "read"),
    ("get_log_cap", "read"),
    ("get_project_defaults", "read"),
    ("get_worker_policy", "read"),
    ("get_plan", "read"),
    ("get_redeploy_plan", "read"),
    ("get_repo_token_status", "read"),
    ("deploy_project", "deploy"),
    ("cancel_deployment", "deploy"),
    ("teardown_project", "deploy"),
    ("sync_project", "deploy"),
    ("request_certificate", "deploy"),
    ("redeploy_deployment", "deploy"),
    ("create_project", "edit"),
    ("update_project", "edit"),
    ("set_repo_token", "edit"),
    ("clear_repo_token", "edit"),
    ("delete_project", "edit"),
    ("update_service", "edit"),
    ("save_variable", "edit"),
    ("delete_variable", "edit"),
    ("set_ci_enabled", "edit"),
    ("rotate_deploy_key", "edit"),
    ("rotate_webhook_secret", "edit"),
    ("add_domain", "edit"),
    ("remove_domain", "edit"),
    ("set_domain_hsts", "edit"),
    ("save_resource", "edit"),
    ("delete_resource", "edit"),
    ("move_resource", "edit"),
    ("save_environment", "edit"),
    ("plan_dotenv_import", "edit"),
    ("apply_dotenv_import", "edit"),
    ("plan_config_import", "edit"),
    ("apply_config_import", "edit"),
    ("reveal_variable", "admin"),
    ("reveal_environment", "admin"),
    ("add_worker", "admin"),
    ("rotate_worker_token", "admin"),
    ("remove_worker", "admin"),
    ("set_worker_address", "admin"),
    ("set_worker_front", "admin"),
    ("set_worker_policy", "admin"),
    ("set_log_cap", "admin"),
    ("get_github_settings", "admin"),
    ("save_github_settings", "admin"),
    ("get_server_settings", "admin"),
    ("set_server_settings", "admin"),
    ("list_users", "admin"),
    ("create_user", "admin"),
    ("set_user_role", "admin"),
    ("set_user_disabled", "admin"),
    ("reset_user_password", "admin"),
    ("sign_out_user", "admin"),
    ("list_audit", "admin"),
    // These end the caller's own session(s): called last, below.
    ("sign_out", "session"),
    ("sign_out_everywhere", "session"),
];

/// `/api/v1` routes ({id} filled with an id that does not exist) and what they need:
/// "worker" (a worker token), "webhook" (a GitHub signature), "key-or-…" (a deploy key,
/// or a caller allowed …), or a permission.
const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/api/v1/workers/connect", "worker"),
    ("GET", "/api/v1/events", "read"),
    ("GET", "/api/v1/audit", "admin"),
    ("GET", "/api/v1/deployments/{id}/events", "read"),
    ("GET", "/api/v1/deployments/{id}", "key-or-read"),
    ("GET", "/api/v1/deployments/{id}/log", "key-or-read"),
    ("POST", "/api/v1/projects/{id}/deploy", "key-or-deploy"),
    ("POST", "/api/v1/projects/{id}/hooks/github", "webhook"),
    ("GET", "/api/v1/projects/{id}/stats", "read"),
    ("GET", "/api/v1/projects/{id}/logs", "read"),
    ("GET", "/api/v1/projects/{id}/logs/follow", "read"),
    ("GET", "/api/v1/projects/{id}/logs/download", "read"),
    ("GET", "/api/v1/openapi.json", "public"),
    ("GET", "/api/v1/projects", "read"),
    ("POST", "/api/v1/projects", "edit"),
    ("GET", "/api/v1/projects/{id}", "read"),
    ("PATCH", "/api/v1/projects/{id}", "edit"),
    ("GET", "/api/v1/projects/{id}/domains", "read"),
    ("POST", "/api/v1/projects/{id}/domains", "edit"),
    ("DELETE", "/api/v1/projects/{id}/domains/{domain}", "edit"),
    ("POST", "/api/v1/projects/{id}/domains/{domain}/resources", "edit"),
    ("PUT", "/api/v1/projects/{id}/domains/{domain}/resources/{resource}", "edit"),
    ("DELETE", "/api/v1/projects/{id}/domains/{domain}/resources/{resource}", "edit"),
    ("GET", "/api/v1/projects/{id}/variables", "read"),
    ("PUT", "/api/v1/projects/{id}/variables/{name}", "edit"),
    ("DELETE", "/api/v1/projects/{id}/variables/{name}", "edit"),
    ("GET", "/api/v1/projects/{id}/variables/{name}/value", "admin"),
    ("GET", "/api/v1/projects/{id}/services", "read"),
    ("GET", "/api/v1/projects/{id}/deployments", "read"),
    ("POST", "/api/v1/deployments/{id}/cancel", "deploy"),
    ("POST", "/api/v1/deployments/{id}/redeploy", "key-or-deploy"),
    ("GET", "/api/v1/projects/{id}/plan", "key-or-read"),
    ("GET", "/api/v1/workers", "read"),
];

/// A route whose operation is a server function's needs what that function needs.
const SAME_AS_SERVER_FUNCTION: &[(&str, &str)] = &[("/api/v1/projects/{id}/variables/{name}/value", "reveal_variable")];

/// `path` with every `{placeholder}` naming nothing.
fn nothing_at(path: &str) -> String {
    let mut filled = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map_or(rest.len(), |e| start + e + 1);
        filled.push_str(&rest[..start]);
        filled.push_str("999999");
        rest = &rest[end..];
    }
    filled + rest
}

/// Whether `caller` holds `need` ("read" … "admin").
fn holds(caller: Caller, need: &str) -> bool {
    let rank = |need: &str| ["read", "deploy", "edit", "admin"].iter().position(|n| *n == need).expect("known need");
    let most = match caller {
        Caller::Nobody => return false,
        Caller::Viewer | Caller::ReadToken => 0,
        Caller::DeployToken => 1,
        Caller::Deployer => 2,
        // The tokens are the admin's: `write` reaches as far as the admin.
        Caller::Admin | Caller::WriteToken => 3,
    };
    rank(need) <= most
}

fn is_token(caller: Caller) -> bool {
    matches!(caller, Caller::ReadToken | Caller::DeployToken | Caller::WriteToken)
}

/// The guard's refusal: a 401 or 403 saying so.
fn refused(status: StatusCode, body: &Value) -> bool {
    match status {
        StatusCode::UNAUTHORIZED => true,
        StatusCode::FORBIDDEN => {
            matches!(error_kind(body), "forbidden") || body.get("error").and_then(Value::as_str) == Some("forbidden")
        }
        _ => false,
    }
}

#[tokio::test]
async fn every_endpoint_answers_each_caller_as_its_role_and_scope_allow() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let team = Team::join(&s).await;

    // The lists above are complete.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.rsplit('/').next().unwrap_or_default().to_owned())
        .collect();
    let listed: BTreeSet<String> = SERVER_FUNCTIONS.iter().map(|(e, _)| (*e).to_owned()).collect();
    assert_eq!(registered, listed, "every server function needs an entry here");
    let routes: BTreeSet<(String, String)> =
        nsm_server::http::api::rules().iter().map(|r| (r.method.to_string(), r.path.to_owned())).collect();
    let listed: BTreeSet<(String, String)> =
        ROUTES.iter().map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned())).collect();
    assert_eq!(routes, listed, "every /api/v1 route needs an entry here");
    for (path, endpoint) in SAME_AS_SERVER_FUNCTION {
        let route = ROUTES.iter().find(|(_, p, _)| p == path).map(|(_, _, need)| *need);
        let function = SERVER_FUNCTIONS.iter().find(|(e, _)| e == endpoint).map(|(_, need)| *need);
        assert_eq!(route, function, "{path} needs what {endpoint} needs");
    }

    // Arguments that name nothing: an allowed call fails further in, or does nothing.
    let form = [
        ("id", "nothing-here"),
        ("original_id", "nothing-here"),
        ("deployment", "999999"),
        ("user", "999999"),
        ("session", "999999"),
        ("token", "999999"),
        ("name", "NOTHING"),
        ("megabytes", "not a number"),
        ("password", "x"),
        ("current", "x"),
        ("confirm", "y"),
    ];
    let mut checked = 0;
    for (endpoint, need) in SERVER_FUNCTIONS {
        for caller in Caller::ALL {
            // Signing out ends the session the other rows still use.
            if endpoint.starts_with("sign_out") && !matches!(caller, Caller::Nobody) && !is_token(caller) {
                continue;
            }
            let (status, body) = team.call(&s, caller, endpoint, &form).await;
            let allowed = match *need {
                "public" => true,
                "session" => !matches!(caller, Caller::Nobody) && !is_token(caller),
                permission => holds(caller, permission),
            };
            assert_eq!(!refused(status, &body), allowed, "{endpoint} as {caller:?}: {status} {body}");
            if !allowed && matches!(caller, Caller::Nobody) {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{endpoint}: no caller is asked to sign in");
            }
            checked += 1;
        }
    }
    for (method, path, need) in ROUTES {
        let path = nothing_at(path);
        for caller in Caller::ALL {
            let method = Method::from_bytes(method.as_bytes()).expect("method");
            let response = team.request(&s, caller, method, &path).send().await.expect("request");
            let status = response.status();
            // Streams are judged by their headers alone.
            let body: Value =
                if status.is_success() { Value::Null } else { response.json().await.unwrap_or(Value::Null) };
            match *need {
                "public" => assert!(status.is_success(), "{path} as {caller:?}: open to anyone ({status})"),
                "worker" | "webhook" => {
                    assert!(!status.is_success(), "{path} as {caller:?}: only its own credential opens it ({status})")
                }
                need => {
                    let permission = need.strip_prefix("key-or-").unwrap_or(need);
                    let allowed = holds(caller, permission);
                    if matches!(caller, Caller::Nobody) {
                        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
                    } else {
                        assert_eq!(!refused(status, &body), allowed, "{path} as {caller:?}: {status} {body}");
                    }
                }
            }
            checked += 1;
        }
    }
    assert!(checked > 400, "{checked} calls checked");

    // Last: the sign-outs end the caller's sessions.
    let (status, _) = team.call(&s, Caller::Viewer, "sign_out_everywhere", &[]).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");
    let (status, _) = team.call(&s, Caller::Viewer, "list_projects", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out everywhere");
}
