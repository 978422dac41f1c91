//! Teams: users and roles, sessions, API tokens, and what a viewer never receives.

use reqwest::StatusCode;

use super::callers::{create_token, create_user, first_sign_in, Caller, Team};
use super::common::{error_kind, TestServer};

const SECRET: &str = "s3cr3t-VALUE-never-for-viewers";

fn plane(s: &TestServer) -> &nsm_server::control_plane::Plane {
    &s.server.as_ref().expect("running").plane
}

#[tokio::test]
async fn a_viewer_never_receives_a_secret_value_and_a_deployer_writes_no_custom_block() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s.create_project("shop").await;
    assert!(status.is_success(), "{body}");
    s.set_plain("shop", "API_KEY", SECRET).await;
    let (status, body) = s.call_json("add_domain", &[("id", "shop"), ("hostname", "shop.example")]).await;
    assert!(status.is_success(), "{body}");
    let team = Team::join(&s).await;

    // Everything a viewer can read about the project, on the wire.
    for endpoint in [
        "get_project",
        "list_variables",
        "list_reference_targets",
        "list_domains",
        "get_ci",
        "list_services",
        "list_deployments",
        "get_project_status",
    ] {
        let (status, body) = team.call(&s, Caller::Viewer, endpoint, &[("id", "shop")]).await;
        assert!(status.is_success(), "{endpoint}: {status} {body}");
        assert!(!body.to_string().contains(SECRET), "{endpoint} sent the secret to a viewer");
    }
    let (_, variables) = team.call(&s, Caller::Viewer, "list_variables", &[("id", "shop")]).await;
    assert_eq!(variables[0]["name"], "API_KEY", "names and kinds are shown: {variables}");
    let (status, body) = team.call(&s, Caller::Viewer, "reveal_variable", &[("id", "shop"), ("name", "API_KEY")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(!body.to_string().contains(SECRET));
    // A deployer writes variables but does not reveal them.
    let (status, _) = team.call(&s, Caller::Deployer, "reveal_variable", &[("id", "shop"), ("name", "API_KEY")]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, revealed) = s.call_json("reveal_variable", &[("id", "shop"), ("name", "API_KEY")]).await;
    assert_eq!(revealed, SECRET, "the admin can");

    let domain = s.call_json("list_domains", &[("id", "shop")]).await.1["domains"][0]["id"].to_string();
    let custom = [
        ("id", "shop"),
        ("domain", domain.as_str()),
        ("resource", ""),
        ("path", "/raw"),
        ("kind", "custom"),
        ("body", "return 204;"),
    ];
    let (status, body) = team.call(&s, Caller::Deployer, "save_resource", &custom).await;
    // Refused by the domains service, past the guard (server functions answer its errors as 500).
    assert_eq!((status.is_success(), error_kind(&body)), (false, "forbidden"), "{body}");
    let (_, view) = team.call(&s, Caller::Deployer, "list_domains", &[("id", "shop")]).await;
    assert_eq!((view["can_custom"].as_bool(), view["can_edit"].as_bool()), (Some(false), Some(true)));
    let (_, view) = team.call(&s, Caller::Viewer, "list_domains", &[("id", "shop")]).await;
    assert_eq!(view["can_edit"].as_bool(), Some(false));
    let static_site =
        [("id", "shop"), ("domain", domain.as_str()), ("resource", ""), ("path", "/"), ("kind", "static")];
    let (status, body) = team.call(&s, Caller::Deployer, "save_resource", &static_site).await;
    assert!(status.is_success(), "other resource types are a deployer's: {body}");
}

#[tokio::test]
async fn the_last_admin_stays_and_roles_change_what_a_user_may_do() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (_, users) = s.call_json("list_users", &[]).await;
    let admin_id = users[0]["id"].to_string();
    for (endpoint, form) in [
        ("set_user_role", vec![("user", admin_id.as_str()), ("role", "viewer")]),
        ("set_user_disabled", vec![("user", admin_id.as_str()), ("disabled", "true")]),
    ] {
        let (status, body) = s.call_json(endpoint, &form).await;
        assert_eq!((status.is_success(), error_kind(&body)), (false, "conflict"), "{endpoint}: {body}");
    }

    let one_time = create_user(&s, "dana", "viewer").await;
    let dana = first_sign_in(&s, "dana", &one_time).await;
    let call = |endpoint: &'static str| {
        dana.post(s.url(&format!("/api/fn/{endpoint}"))).header("accept", "application/json").form(&[("id", "x1")])
    };
    assert_eq!(call("create_project").send().await.expect("call").status(), StatusCode::FORBIDDEN);
    let (_, users) = s.call_json("list_users", &[]).await;
    let dana_id =
        users.as_array().expect("users").iter().find(|u| u["username"] == "dana").expect("dana")["id"].to_string();
    let (status, body) = s.call_json("set_user_role", &[("user", &dana_id), ("role", "admin")]).await;
    assert!(status.is_success(), "{body}");
    // Now the admin can step down: another admin exists.
    let (status, body) = s.call_json("set_user_role", &[("user", &admin_id), ("role", "deployer")]).await;
    assert!(status.is_success(), "{body}");
    let (status, _) = s.call_json("list_users", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the old admin's session carries the new role at once");

    // Disabling ends every session and refuses the next sign-in.
    let dana_set = |endpoint: &'static str, form: Vec<(&'static str, String)>| {
        dana.post(s.url(&format!("/api/fn/{endpoint}"))).header("accept", "application/json").form(&form)
    };
    let (_, users) = s.call_json("list_projects", &[]).await;
    assert!(users.is_array());
    let response = dana_set("set_user_disabled", vec![("user", admin_id.clone()), ("disabled", "true".into())])
        .send()
        .await
        .expect("disable");
    assert!(response.status().is_success());
    let (status, _) = s.call_json("list_projects", &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out");
    let (status, body) = s.call_json("sign_in", &[("username", "admin"), ("password", super::common::PASSWORD)]).await;
    assert_eq!((status.is_success(), error_kind(&body)), (false, "forbidden"), "{body}");
}

#[tokio::test]
async fn tokens_are_scoped_expire_and_can_be_revoked() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let token = create_token(&s, "read").await;
    assert!(token.starts_with("nsm_"), "{token}");
    let anonymous = super::common::client();
    let get = |token: &str| anonymous.get(s.url("/api/v1/events")).bearer_auth(token.to_owned()).send();
    assert_eq!(get(&token).await.expect("events").status(), StatusCode::OK);
    let (_, tokens) = s.call_json("list_api_tokens", &[]).await;
    assert!(tokens[0]["last_used_at"].is_string(), "use is recorded: {tokens}");
    assert!(!tokens.to_string().contains(&token[token.len() - 20..]), "the secret is never listed again");

    // Wrong secret, expired, revoked: refused alike.
    let forged = format!("{}{}", &token[..token.len() - 1], if token.ends_with('0') { '1' } else { '0' });
    assert_eq!(get(&forged).await.expect("call").status(), StatusCode::UNAUTHORIZED);
    let id = tokens[0]["id"].as_i64().expect("id");
    sqlx::query("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE id = ?")
        .bind(id)
        .execute(&plane(&s).db)
        .await
        .expect("expire");
    assert_eq!(get(&token).await.expect("call").status(), StatusCode::UNAUTHORIZED, "expired");
    let fresh = create_token(&s, "read").await;
    let (_, tokens) = s.call_json("list_api_tokens", &[]).await;
    let (status, _) = s.call_json("revoke_api_token", &[("token", &tokens[0]["id"].to_string())]).await;
    assert!(status.is_success());
    assert_eq!(get(&fresh).await.expect("call").status(), StatusCode::UNAUTHORIZED, "revoked");

    // A token cannot manage accounts, and a read token cannot deploy.
    let write = create_token(&s, "write").await;
    let response = anonymous
        .post(s.url("/api/fn/create_api_token"))
        .bearer_auth(&write)
        .form(&[("name", "more"), ("scope", "write"), ("expires_in_days", "")])
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let read = create_token(&s, "read").await;
    let response = anonymous.post(s.url("/api/v1/projects/none/deploy")).bearer_auth(&read).send().await.expect("call");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn idle_sessions_end_and_sign_out_everywhere_ends_them_all() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let second = super::common::client();
    let response = second
        .post(s.url("/api/fn/sign_in"))
        .form(&[("username", "admin"), ("password", super::common::PASSWORD)])
        .send()
        .await
        .expect("sign in");
    assert!(response.status().is_success() || response.status().is_redirection());
    let (_, sessions) = s.call_json("list_sessions", &[]).await;
    assert_eq!(sessions.as_array().map(Vec::len), Some(2), "{sessions}");
    assert_eq!(sessions.as_array().expect("list").iter().filter(|s| s["current"] == true).count(), 1);

    // Idle past the timeout (a day by default): over.
    sqlx::query("UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00Z' WHERE rowid = ?")
        .bind(sessions.as_array().expect("list").iter().find(|s| s["current"] == false).expect("other")["id"].as_i64())
        .execute(&plane(&s).db)
        .await
        .expect("age");
    let status = second.post(s.url("/api/fn/list_projects")).send().await.expect("call").status();
    assert_eq!(status, StatusCode::UNAUTHORIZED, "idle session ended");

    let response = second
        .post(s.url("/api/fn/sign_in"))
        .form(&[("username", "admin"), ("password", super::common::PASSWORD)])
        .send()
        .await
        .expect("sign in");
    assert!(response.status().is_success() || response.status().is_redirection());
    s.call("sign_out_everywhere", &[]).await;
    for client in [&s.client, &second] {
        let status = client.post(s.url("/api/fn/list_projects")).send().await.expect("call").status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn user_commands_create_list_and_change_roles() {
    let data = tempfile::tempdir().expect("temp dir");
    let binary = env!("CARGO_BIN_EXE_nsm-server");
    let run = |args: &[&str]| {
        std::process::Command::new(binary).arg("--data-dir").arg(data.path()).args(args).output().expect("runs")
    };
    let created = run(&["user", "create", "--username", "ci-bot", "--role", "deployer"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).trim().len() >= 16, "a password is printed");
    assert!(run(&["admin", "create", "--username", "root"]).status.success(), "the old spelling still works");
    assert!(!run(&["user", "create", "--username", "x", "--role", "owner"]).status.success(), "unknown role");
    let listed = String::from_utf8(run(&["user", "list"]).stdout).expect("utf-8");
    assert!(listed.contains("ci-bot\tdeployer\tenabled") && listed.contains("root\tadmin\tenabled"), "{listed}");
    assert!(run(&["user", "set-role", "--username", "ci-bot", "--role", "viewer"]).status.success());
    let refused = run(&["user", "set-role", "--username", "root", "--role", "viewer"]);
    assert!(!refused.status.success(), "the last admin stays");
    let listed = String::from_utf8(run(&["user", "list"]).stdout).expect("utf-8");
    assert!(listed.contains("ci-bot\tviewer") && listed.contains("root\tadmin"), "{listed}");
}
