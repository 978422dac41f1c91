//! The audit log over real HTTP: an entry for each kind of event, made by really doing
//! it through the server (sign-ins, a variable change whose secret stays masked, the
//! triggers of deployments, token use once an hour, webhook refusals counted per
//! minute, a role change), the filters, the JSON export and the retention purge.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;

use super::callers;
use super::common::{error_kind, ComposeCleanup, TestServer, ADMIN, PASSWORD};

const SECRET: &str = "hunter2-the-first";
const NEW_SECRET: &str = "hunter2-the-second";

/// The entries `list_audit` answers for these filters, newest first.
async fn entries(s: &TestServer, filters: &[(&str, &str)]) -> Vec<Value> {
    let (status, body) = s.call_json("list_audit", filters).await;
    assert!(status.is_success(), "list_audit {filters:?}: {status} {body}");
    body["entries"].as_array().expect("entries").clone()
}

fn of_kind<'a>(list: &'a [Value], kind: &str) -> Vec<&'a Value> {
    list.iter().filter(|e| e["kind"] == kind).collect()
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn sign_ins_and_failures_are_recorded() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    for (username, password) in [(ADMIN, "not the password"), ("mallory", "guessing away")] {
        let (_, body) = s.call_json("sign_in", &[("username", username), ("password", password)]).await;
        assert_eq!(error_kind(&body), "bad_credentials", "{body}");
    }
    s.sign_in().await;

    let list = entries(&s, &[]).await;
    let signed_in = of_kind(&list, "sign_in");
    assert_eq!(signed_in.len(), 1, "{list:?}");
    assert_eq!(signed_in[0]["user"], ADMIN);
    assert_eq!(signed_in[0]["action"], "succeeded");
    assert!(signed_in[0]["detail"].as_str().unwrap_or_default().starts_with("from 127.0.0.1"));
    let failed = of_kind(&list, "sign_in_failed");
    let tried: Vec<&str> = failed.iter().map(|e| e["target"].as_str().unwrap_or_default()).collect();
    assert_eq!(tried, ["mallory", ADMIN], "newest first");
    assert!(failed.iter().all(|e| e["user"].is_null() && e["action"] == "failed"));
    let setup = of_kind(&list, "user");
    assert_eq!(setup.len(), 1);
    assert_eq!(setup[0]["detail"], "first-run setup");

    // The user filter finds a name's failed attempts too.
    let mallory = entries(&s, &[("user", "mallory")]).await;
    assert_eq!(mallory.len(), 1);
    assert_eq!(mallory[0]["kind"], "sign_in_failed");
    let admin = entries(&s, &[("user", ADMIN)]).await;
    let kinds: Vec<&str> = admin.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["sign_in", "sign_in_failed", "user"]);
}

#[tokio::test]
async fn configuration_changes_show_before_and_after_with_secrets_masked() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s.create_project("shop").await;
    assert!(status.is_success(), "{body}");
    s.set_plain("shop", "API_KEY", SECRET).await;
    s.set_plain("shop", "API_KEY", NEW_SECRET).await;
    let (status, body) = s
        .call_json(
            "save_variable",
            &[("id", "shop"), ("original", "API_KEY"), ("name", "DATA_DIR"), ("kind", "volume"), ("value", "")],
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s
        .call_json(
            "update_project",
            &[
                ("original_id", "shop"),
                ("id", "shop"),
                ("repo_owner", "acme"),
                ("repo_name", "shop"),
                ("branch", "dev"),
            ],
        )
        .await;
    assert!(status.is_success(), "{body}");

    let variables = entries(&s, &[("kind", "variable")]).await;
    let shown: Vec<(&str, &str, &str, &str)> = variables
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"].as_str().unwrap(),
                e["before"].as_str().unwrap_or("-"),
                e["after"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    assert_eq!(
        shown,
        [
            ("changed", "shop/DATA_DIR", "name: API_KEY\nvalue: plain ••••", "name: DATA_DIR\nvalue: volume"),
            ("changed", "shop/API_KEY", "value: plain ••••", "value: plain •••• (new value)"),
            ("created", "shop/API_KEY", "-", "name: API_KEY\nvalue: plain ••••"),
        ]
    );
    assert!(variables.iter().all(|e| e["user"] == ADMIN && e["project"] == "shop"));

    let projects = entries(&s, &[("kind", "project"), ("project", "shop")]).await;
    assert_eq!(projects.len(), 2, "{projects:?}");
    assert_eq!(projects[0]["action"], "changed");
    assert_eq!(
        (projects[0]["before"].as_str(), projects[0]["after"].as_str()),
        (Some("branch: main"), Some("branch: dev"))
    );
    assert_eq!(projects[1]["action"], "created");

    // Any configuration change: both kinds; the export says the same and no secret.
    assert_eq!(entries(&s, &[("kind", "configuration")]).await.len(), 5);
    let response = s.client.get(s.url("/api/v1/audit")).send().await.expect("export");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    let text = response.text().await.expect("body");
    assert!(!text.contains("hunter2"), "no secret value in the export: {text}");
    let export: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(export["entries"].as_array().map(Vec::len), Some(entries(&s, &[]).await.len()));
    assert_eq!(export["next_before"], Value::Null);
}

#[tokio::test]
async fn deployments_say_what_triggered_them() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let repo = super::common::slow_repo(1);
    let id = s.create_project_from("it-audit", &repo.file_url()).await;
    let _cleanup = ComposeCleanup(id.clone());

    // The Deploy button (a session), then a script's API token.
    let first = s.deploy(&id).await;
    let token = callers::create_token(&s, "deploy").await;
    let url = s.url(&format!("/api/v1/projects/{id}/deploy"));
    let response = reqwest::Client::new().post(&url).bearer_auth(&token).send().await.expect("deploy");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    // The deploy key, then a signed GitHub push.
    let (status, _) = s.call_json("set_ci_enabled", &[("id", &id), ("enabled", "on")]).await;
    assert!(status.is_success());
    let (_, key) = s.call_json("rotate_deploy_key", &[("id", &id)]).await;
    let response =
        reqwest::Client::new().post(&url).bearer_auth(key.as_str().expect("key")).send().await.expect("deploy");
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let (_, secret) = s.call_json("rotate_webhook_secret", &[("id", &id)]).await;
    let body = serde_json::to_vec(&json!({ "ref": "refs/heads/main", "after": "0".repeat(40) })).expect("json");
    let response = reqwest::Client::new()
        .post(s.url(&format!("/api/v1/projects/{id}/hooks/github")))
        .header("x-github-event", "push")
        .header("x-github-delivery", "delivery-1")
        .header("x-hub-signature-256", sign(secret.as_str().expect("secret"), &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("push");
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    let list = entries(&s, &[("kind", "deployment"), ("project", &id)]).await;
    let triggers: Vec<(&str, &str)> =
        list.iter().map(|e| (e["trigger"].as_str().unwrap_or("-"), e["user"].as_str().unwrap_or("-"))).collect();
    assert_eq!(triggers, [("github", "-"), ("webhook", "-"), ("api", ADMIN), ("ui", ADMIN)]);
    assert_eq!(list[3]["target"], format!("{id} #{first}"));
    assert!(list.iter().all(|e| e["action"] == "requested"));
}

#[tokio::test]
async fn a_token_is_recorded_once_an_hour_however_often_it_is_used() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let token = callers::create_token(&s, "read").await;
    let other = callers::create_token(&s, "deploy").await;
    for _ in 0..5 {
        let response = reqwest::Client::new()
            .post(s.url("/api/fn/list_projects"))
            .header("accept", "application/json")
            .bearer_auth(&token)
            .send()
            .await
            .expect("call");
        assert!(response.status().is_success());
    }
    let response = reqwest::Client::new().get(s.url("/api/v1/events")).bearer_auth(&other).send().await.expect("call");
    drop(response);

    let uses = entries(&s, &[("kind", "token_use")]).await;
    let targets: Vec<&str> = uses.iter().map(|e| e["target"].as_str().unwrap_or_default()).collect();
    assert_eq!(uses.len(), 2, "one entry per token, not per call: {uses:?}");
    assert!(targets[0].starts_with("token deploy (#") && targets[1].starts_with("token read (#"), "{targets:?}");
    assert!(uses.iter().all(|e| e["user"] == ADMIN && e["count"] == 1));
    let created = entries(&s, &[("kind", "token")]).await;
    assert_eq!(created.len(), 2);
    assert_eq!(created[1]["after"], "scope read, expires never");
}

#[tokio::test]
async fn webhook_refusals_are_counted_per_project_and_minute() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s.create_project("shop").await;
    assert!(status.is_success(), "{body}");
    let client = reqwest::Client::new();
    for _ in 0..4 {
        let response =
            client.post(s.url("/api/v1/projects/shop/deploy")).bearer_auth("nsm_wrong").send().await.expect("call");
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = client
        .post(s.url("/api/v1/projects/shop/hooks/github"))
        .header("x-github-event", "push")
        .header("x-hub-signature-256", "sha256=00")
        .body("{}")
        .send()
        .await
        .expect("call");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let refused = entries(&s, &[("kind", "webhook_refused"), ("project", "shop")]).await;
    // Five calls, one entry (two if the calls straddled a minute).
    assert!(!refused.is_empty() && refused.len() <= 2, "{refused:?}");
    let total: i64 = refused.iter().map(|e| e["count"].as_i64().unwrap_or_default()).sum();
    assert_eq!(total, 5);
    let reasons: String =
        refused.iter().map(|e| e["detail"].as_str().unwrap_or_default()).collect::<Vec<_>>().join("; ");
    assert!(
        reasons.contains("missing or wrong deploy key") && reasons.contains("missing or bad signature"),
        "{reasons}"
    );
}

#[tokio::test]
async fn role_changes_filters_and_the_export_for_admins_only() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let one_time = callers::create_user(&s, "dee", "deployer").await;
    let (_, users) = s.call_json("list_users", &[]).await;
    let dee = users.as_array().and_then(|l| l.iter().find(|u| u["username"] == "dee")).expect("dee")["id"].to_string();
    let (status, body) = s.call_json("set_user_role", &[("user", &dee), ("role", "viewer")]).await;
    assert!(status.is_success(), "{body}");

    let roles = entries(&s, &[("kind", "role")]).await;
    assert_eq!(roles.len(), 1);
    assert_eq!((roles[0]["target"].as_str(), roles[0]["user"].as_str()), (Some("dee"), Some(ADMIN)));
    assert_eq!((roles[0]["before"].as_str(), roles[0]["after"].as_str()), (Some("deployer"), Some("viewer")));

    // Time: nothing in the future, everything since yesterday.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    let yesterday = (chrono::Utc::now() - chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
    assert!(entries(&s, &[("from", &tomorrow)]).await.is_empty());
    assert_eq!(entries(&s, &[("from", &yesterday), ("to", &tomorrow)]).await.len(), entries(&s, &[]).await.len());
    // Paging: newest first, `next_before` goes on.
    let (_, first) = s.call_json("list_audit", &[("limit", "1")]).await;
    let before = first["next_before"].as_i64().expect("more").to_string();
    let (_, second) = s.call_json("list_audit", &[("limit", "1"), ("before", &before)]).await;
    assert!(second["entries"][0]["id"].as_i64() < first["entries"][0]["id"].as_i64());
    // A filter that does not parse is refused by field.
    let (_, body) = s.call_json("list_audit", &[("kind", "user.role"), ("from", "soon")]).await;
    assert_eq!(error_kind(&body), "invalid", "{body}");
    assert!(super::common::field_error(&body, "kind").is_some() && super::common::field_error(&body, "from").is_some());

    let export: Value = s
        .client
        .get(s.url("/api/v1/audit?kind=role&user=admin"))
        .send()
        .await
        .expect("export")
        .json()
        .await
        .expect("json");
    assert_eq!(export["entries"].as_array().map(Vec::len), Some(1));
    let response = s.client.get(s.url("/api/v1/audit?kind=nothing")).send().await.expect("export");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);

    // The page renders the filtered table, and its export link carries the filters.
    let html = s.client.get(s.url("/settings/audit?kind=role")).send().await.expect("page").text().await.expect("html");
    assert!(html.contains("audit-table") && html.contains("deployer"), "{html}");
    assert!(html.contains("/api/v1/audit?kind=role"), "the export link keeps the filter");

    // Neither the page's function nor the export answers anyone but an admin.
    let (status, _) = s.call_json("set_user_role", &[("user", &dee), ("role", "deployer")]).await;
    assert!(status.is_success());
    let deployer = callers::first_sign_in(&s, "dee", &one_time).await;
    let refused = deployer.get(s.url("/api/v1/audit")).send().await.expect("export");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let refused =
        deployer.post(s.url("/api/fn/list_audit")).header("accept", "application/json").send().await.expect("call");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn entries_older_than_the_retention_are_purged() {
    let temp = tempfile::tempdir().expect("temp dir");
    let s = TestServer::start_in(temp.path().to_path_buf()).await;
    s.setup_admin().await;
    let db = s.server.as_ref().expect("running").plane.db.clone();
    let days_ago = |days: i64| nsm_server::db::timestamp(chrono::Utc::now() - chrono::Duration::days(days));
    let event = |target: &str| {
        nsm_core::audit::AuditEvent::new(
            nsm_core::audit::AuditKind::Settings,
            nsm_core::audit::AuditAction::Changed,
            target,
        )
    };
    nsm_server::db::audit::record_at(&db, &days_ago(120), None, &event("four months ago")).await.expect("record");
    nsm_server::db::audit::record_at(&db, &days_ago(20), None, &event("twenty days ago")).await.expect("record");
    // Started with the default (90 days): the purge runs at once and keeps the recent one.
    let s = s.restart().await;
    s.sign_in().await;
    let targets = |list: Vec<Value>| -> Vec<String> {
        list.iter()
            .filter(|e| e["kind"] == "settings")
            .map(|e| e["target"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let kept =
        nsm_testkit::eventually(std::time::Duration::from_secs(10), std::time::Duration::from_millis(100), || async {
            let kept = targets(entries(&s, &[]).await);
            if kept.len() == 1 {
                Ok(kept)
            } else {
                Err(format!("still {kept:?}"))
            }
        })
        .await;
    assert_eq!(kept, ["twenty days ago"]);

    // Ten days of retention: that one goes too.
    if let Some(server) = s.server {
        server.shutdown().await.expect("shutdown");
    }
    let settings = nsm_server::Settings {
        audit_retention_days: Some(nsm_core::settings::RetentionDays::new(10).unwrap()),
        ..nsm_server::Settings::for_data_dir(temp.path().to_path_buf())
    };
    let s = TestServer::start_with(settings).await;
    let (status, body) = s.call_json("sign_in", &[("username", ADMIN), ("password", PASSWORD)]).await;
    assert!(status.is_success(), "{body}");
    nsm_testkit::eventually(std::time::Duration::from_secs(10), std::time::Duration::from_millis(100), || async {
        let kept = targets(entries(&s, &[]).await);
        if kept.is_empty() {
            Ok(())
        } else {
            Err(format!("still {kept:?}"))
        }
    })
    .await;
    assert!(!entries(&s, &[("kind", "sign_in")]).await.is_empty(), "recent entries stay");
}

#[tokio::test]
async fn the_export_is_described_in_the_openapi_document() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let doc: Value = s.client.get(s.url("/api/v1/openapi.json")).send().await.expect("get").json().await.expect("json");
    let operation = &doc["paths"]["/api/v1/audit"]["get"];
    assert_eq!(operation["x-nsm-access"], "admin", "{operation}");
    let params: Vec<(&str, bool)> = operation["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| (p["name"].as_str().unwrap_or_default(), p["required"].as_bool().unwrap_or(false)))
        .collect();
    for name in ["user", "project", "kind", "from", "to", "before", "limit"] {
        assert!(params.contains(&(name, false)), "{name} is an optional query parameter: {params:?}");
    }
}
