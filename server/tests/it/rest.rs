//! The REST API as a script uses it: API tokens of each scope create and change a
//! project, its domains, resources and variables, list services, deployments and
//! workers, deploy, follow and cancel; values only ever reach an admin's `write` token
//! (or session); the OpenAPI document describes exactly the routes that are served.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::callers::{create_token, Caller, Team};
use super::common::{unique_id, ComposeCleanup, TestServer};

const SECRET: &str = "s3cr3t-REST-value-for-admins-only";

/// Calls `path` as `caller` with an optional JSON body; the status and the body (JSON,
/// or the text as a string).
async fn api(
    team: &Team,
    s: &TestServer,
    caller: Caller,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = team.request(s, caller, method, path);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn refused(body: &Value, word: &str) -> bool {
    body["error"] == word && body["message"].as_str().is_some_and(|m| !m.is_empty())
}

#[tokio::test]
async fn a_script_with_tokens_manages_a_project_and_values_reach_only_admins() {
    use Caller::*;
    let s = TestServer::start().await;
    s.setup_admin().await;
    let team = Team::join(&s).await;
    let get = || Method::GET;

    // Creating needs `write`; the read and deploy tokens are refused by the guard.
    let shop = json!({ "id": "shop", "repo_owner": "acme", "repo_name": "shop" });
    for caller in [ReadToken, DeployToken, Viewer] {
        let (status, body) = api(&team, &s, caller, Method::POST, "/api/v1/projects", Some(shop.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller:?}: {body}");
        assert!(refused(&body, "forbidden"), "{body}");
    }
    let response =
        team.request(&s, WriteToken, Method::POST, "/api/v1/projects").json(&shop).send().await.expect("post");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["location"], "/api/v1/projects/shop");
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["config"]["id"], "shop");
    assert_eq!(created["config"]["repository"], json!({ "kind": "hosted", "owner": "acme", "name": "shop" }));
    assert_eq!(created["config"]["branch"], "main", "defaults as in the form");

    // Validation answers 400 with the fields; a taken id, an unknown field, no JSON.
    let (status, body) =
        api(&team, &s, WriteToken, Method::POST, "/api/v1/projects", Some(json!({ "id": "Not An Id" }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(refused(&body, "invalid"), "{body}");
    assert!(body["fields"]["id"].is_string() && body["fields"]["repo_owner"].is_string(), "{body}");
    let (status, body) = api(&team, &s, WriteToken, Method::POST, "/api/v1/projects", Some(shop.clone())).await;
    assert_eq!(
        (status, body["fields"]["id"].as_str().is_some_and(|m| m.contains("already exists"))),
        (StatusCode::BAD_REQUEST, true),
        "{body}"
    );
    let (status, body) =
        api(&team, &s, WriteToken, Method::POST, "/api/v1/projects", Some(json!({ "id": "x", "brnach": "main" })))
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(refused(&body, "invalid") && body["message"].as_str().unwrap_or_default().contains("brnach"), "{body}");
    let response = team
        .request(&s, WriteToken, Method::POST, "/api/v1/projects")
        .body(shop.to_string())
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Reading with a read token.
    let (status, list) = api(&team, &s, ReadToken, get(), "/api/v1/projects", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], "shop", "{list}");
    let (status, body) = api(&team, &s, ReadToken, get(), "/api/v1/projects/shop", None).await;
    assert_eq!((status, &body["config"]["id"]), (StatusCode::OK, &json!("shop")));
    let (status, body) = api(&team, &s, ReadToken, get(), "/api/v1/projects/nothing-here", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(refused(&body, "not_found"), "{body}");

    // PATCH changes what is sent and keeps the rest.
    let patch = json!({ "branch": "release", "timeout_secs": 120, "allow_ci_cd": true });
    let (status, body) = api(&team, &s, DeployToken, Method::PATCH, "/api/v1/projects/shop", Some(patch.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = api(&team, &s, WriteToken, Method::PATCH, "/api/v1/projects/shop", Some(patch)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((&body["config"]["branch"], &body["config"]["timeout"]), (&json!("release"), &json!(120)));
    assert_eq!(body["config"]["allow_ci_cd"], true);
    assert_eq!(body["config"]["repository"]["owner"], "acme", "kept");
    let (status, body) =
        api(&team, &s, Deployer, Method::PATCH, "/api/v1/projects/shop", Some(json!({ "timeout_secs": 5 }))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["fields"]["timeout_secs"].is_string(), "{body}");

    // A domain and a resource on it.
    let (status, domain) = api(
        &team,
        &s,
        WriteToken,
        Method::POST,
        "/api/v1/projects/shop/domains",
        Some(json!({ "hostname": "shop.example.com" })),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{domain}");
    assert_eq!((&domain["hostname"], &domain["resources"]), (&json!("shop.example.com"), &json!([])));
    let domain_id = domain["id"].as_i64().expect("domain id");
    let (status, body) = api(
        &team,
        &s,
        WriteToken,
        Method::POST,
        "/api/v1/projects/shop/domains",
        Some(json!({ "hostname": "not a host" })),
    )
    .await;
    assert_eq!((status, body["fields"]["hostname"].is_string()), (StatusCode::BAD_REQUEST, true), "{body}");
    let resources = format!("/api/v1/projects/shop/domains/{domain_id}/resources");
    let api_resource = json!({ "path": "/api", "kind": "api", "timeout_secs": 90 });
    let (status, resource) = api(&team, &s, WriteToken, Method::POST, &resources, Some(api_resource)).await;
    assert_eq!(status, StatusCode::CREATED, "{resource}");
    assert_eq!(
        (&resource["kind"], &resource["timeout_secs"], &resource["websocket"]),
        (&json!("api"), &json!(90), &json!(false))
    );
    let resource_id = resource["id"].as_i64().expect("resource id");
    let (status, body) = api(
        &team,
        &s,
        Deployer,
        Method::PUT,
        &format!("{resources}/{resource_id}"),
        Some(json!({ "path": "/api", "kind": "api", "websocket": true })),
    )
    .await;
    assert_eq!(
        (status, &body["websocket"], &body["timeout_secs"]),
        (StatusCode::OK, &json!(true), &json!(60)),
        "{body}"
    );
    // A deployer writes no Custom block: refused by the domains service, 403.
    let custom = json!({ "path": "/raw", "kind": "custom", "body": "return 204;" });
    let (status, body) = api(&team, &s, Deployer, Method::POST, &resources, Some(custom.clone())).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = api(&team, &s, WriteToken, Method::POST, &resources, Some(custom)).await;
    assert_eq!((status, &body["body"]), (StatusCode::CREATED, &json!("return 204;")), "the admin's write token may");
    let (status, listed) = api(&team, &s, ReadToken, get(), "/api/v1/projects/shop/domains", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(listed["domains"][0]["resources"].as_array().map(Vec::len), Some(2), "{listed}");
    assert_eq!(listed["domains"][0]["certificate"]["status"], "none", "{listed}");
    assert_eq!(listed["domains"][0]["hsts"], true, "HSTS is on by default: {listed}");

    // Variables: saved with write, listed by name and kind to every reader.
    let variables = "/api/v1/projects/shop/variables";
    let (status, body) = api(
        &team,
        &s,
        WriteToken,
        Method::PUT,
        &format!("{variables}/API_KEY"),
        Some(json!({ "kind": "plain", "value": SECRET })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "name": "API_KEY", "kind": "plain", "target": null, "target_id": null, "error": null, "unused": false })
    );
    let port = json!({ "kind": "port", "target_id": resource_id });
    let (status, body) = api(&team, &s, Deployer, Method::PUT, &format!("{variables}/PORT"), Some(port)).await;
    assert_eq!(
        (status, &body["kind"], &body["target_id"]),
        (StatusCode::OK, &json!("port"), &json!(resource_id)),
        "{body}"
    );
    let (status, body) =
        api(&team, &s, WriteToken, Method::PUT, &format!("{variables}/bad name"), Some(json!({ "kind": "plain" })))
            .await;
    assert_eq!((status, body["fields"]["name"].is_string()), (StatusCode::BAD_REQUEST, true), "{body}");
    let (status, body) =
        api(&team, &s, DeployToken, Method::PUT, &format!("{variables}/X"), Some(json!({ "kind": "plain" }))).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // The value: only an admin with a session or a `write` token. Nobody else gets it,
    // nor anything of it, anywhere on the wire.
    let deployers_write = {
        let (status, body) = team
            .call(
                &s,
                Deployer,
                "create_api_token",
                &[("name", "dee-write"), ("scope", "write"), ("expires_in_days", "")],
            )
            .await;
        assert!(status.is_success(), "{body}");
        body["secret"].as_str().expect("token").to_owned()
    };
    let value_path = format!("{variables}/API_KEY/value");
    for caller in [ReadToken, DeployToken, Viewer, Deployer] {
        let (status, body) = api(&team, &s, caller, get(), &value_path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{caller:?}: {body}");
        assert!(!body.to_string().contains(SECRET));
    }
    let response = team.anonymous.get(s.url(&value_path)).bearer_auth(&deployers_write).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "a deployer's write token is still a deployer's");
    assert!(!response.text().await.expect("body").contains(SECRET));
    for caller in [WriteToken, Admin] {
        let (status, body) = api(&team, &s, caller, get(), &value_path, None).await;
        assert_eq!((status, body), (StatusCode::OK, json!({ "name": "API_KEY", "value": SECRET })), "{caller:?}");
    }
    let (status, body) = api(&team, &s, WriteToken, get(), &format!("{variables}/PORT/value"), None).await;
    assert_eq!((status, refused(&body, "conflict")), (StatusCode::CONFLICT, true), "a reference has no value: {body}");
    let project_reads = ["", "/domains", "/variables", "/services", "/deployments"];
    for caller in Caller::ALL.into_iter().filter(|c| *c != Nobody) {
        for read in project_reads {
            let (status, body) = api(&team, &s, caller, get(), &format!("/api/v1/projects/shop{read}"), None).await;
            assert_eq!(status, StatusCode::OK, "{caller:?} {read}: {body}");
            let text = body.to_string();
            assert!(!text.contains(SECRET), "{caller:?} {read} sent the value");
            if read == "/variables" {
                assert!(
                    body.as_array()
                        .is_some_and(|l| l.iter().all(|v| v.get("value").is_none() && v.get("empty").is_none())),
                    "{body}"
                );
            }
        }
    }

    // Services, deployments and workers.
    let (status, body) = api(&team, &s, ReadToken, get(), "/api/v1/projects/shop/services", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])), "never synced: no services yet");
    let (status, body) = api(&team, &s, ReadToken, get(), "/api/v1/projects/shop/deployments", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));
    let (status, workers) = api(&team, &s, ReadToken, get(), "/api/v1/workers", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(workers.as_array().is_some_and(|w| w.iter().any(|w| w["id"] == "local")), "{workers}");
    let (status, body) = api(&team, &s, DeployToken, Method::POST, "/api/v1/deployments/999999/cancel", None).await;
    assert_eq!((status, refused(&body, "not_found")), (StatusCode::NOT_FOUND, true), "{body}");
    let (status, _) = api(&team, &s, ReadToken, Method::POST, "/api/v1/deployments/999999/cancel", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Removing: a resource only through its own domain, then the domain, a variable.
    let (status, _) = api(&team, &s, WriteToken, Method::DELETE, &format!("{resources}/{resource_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api(&team, &s, WriteToken, Method::DELETE, &format!("{resources}/{resource_id}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) =
        api(&team, &s, WriteToken, Method::DELETE, &format!("/api/v1/projects/shop/domains/{domain_id}"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api(&team, &s, Deployer, Method::DELETE, &format!("{variables}/API_KEY"), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = api(&team, &s, Deployer, Method::DELETE, &format!("{variables}/API_KEY"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A token of the deployer acting for the deployer: a rename through PATCH.
    let renamed = json!({ "id": "shop-two" });
    let response = team
        .anonymous
        .patch(s.url("/api/v1/projects/shop"))
        .bearer_auth(&deployers_write)
        .json(&renamed)
        .send()
        .await
        .expect("patch");
    assert_eq!(response.status(), StatusCode::OK);
    let (status, _) = api(&team, &s, ReadToken, get(), "/api/v1/projects/shop-two", None).await;
    assert_eq!(status, StatusCode::OK, "renamed");
}

#[tokio::test]
async fn a_script_deploys_follows_and_cancels() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let team = Team::join(&s).await;
    let repo = super::common::slow_repo(1);
    let id = unique_id("it-rest");
    let _cleanup = ComposeCleanup(id.clone());
    let body = json!({ "id": id, "repo_url": repo.file_url(), "timeout_secs": 120 });
    let (status, created) = api(&team, &s, Caller::WriteToken, Method::POST, "/api/v1/projects", Some(body)).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    s.expect_slow_exited(&id).await;

    // Trigger with the deploy token and wait for the end: 200 once it succeeded.
    let (status, done) =
        api(&team, &s, Caller::DeployToken, Method::POST, &format!("/api/v1/projects/{id}/deploy?wait=true"), None)
            .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "succeeded");
    let deployment = done["deployment_id"].as_str().expect("id").to_owned();
    let (status, services) =
        api(&team, &s, Caller::ReadToken, Method::GET, &format!("/api/v1/projects/{id}/services"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((&services[0]["name"], &services[0]["expected"]), (&json!("slow"), &json!("exited")), "{services}");
    assert!(services[0]["assessment"]["verdict"].is_string(), "{services}");
    let (_, history) =
        api(&team, &s, Caller::ReadToken, Method::GET, &format!("/api/v1/projects/{id}/deployments"), None).await;
    assert_eq!(history[0]["id"].to_string(), deployment, "{history}");
    let (status, log) =
        api(&team, &s, Caller::ReadToken, Method::GET, &format!("/api/v1/deployments/{deployment}/log"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(log.as_str().is_some_and(|l| l.contains("succeeded")), "{log}");

    // A long one: queued, followed, then cancelled.
    let (status, body) =
        api(&team, &s, Caller::WriteToken, Method::PATCH, &format!("/api/v1/projects/{id}"), Some(json!({}))).await;
    assert_eq!(status, StatusCode::OK, "an empty patch changes nothing: {body}");
    let slow = super::common::slow_repo(60);
    let (status, body) = api(
        &team,
        &s,
        Caller::WriteToken,
        Method::PATCH,
        &format!("/api/v1/projects/{id}"),
        Some(json!({ "repo_url": slow.file_url() })),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    s.expect_slow_exited(&id).await;
    let (status, queued) =
        api(&team, &s, Caller::DeployToken, Method::POST, &format!("/api/v1/projects/{id}/deploy"), None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{queued}");
    let running = queued["deployment_id"].as_str().expect("id").to_owned();
    s.wait_state(running.parse().expect("number"), &["starting", "settling"], Duration::from_secs(60)).await;
    let (status, body) =
        api(&team, &s, Caller::ReadToken, Method::POST, &format!("/api/v1/deployments/{running}/cancel"), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) =
        api(&team, &s, Caller::DeployToken, Method::POST, &format!("/api/v1/deployments/{running}/cancel"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["deployment_id"], running.as_str());
    let ended = s.wait_end(running.parse().expect("number"), Duration::from_secs(60)).await;
    assert_eq!(ended["summary"]["state"], "cancelled", "{ended}");
    let (_, status_body) =
        api(&team, &s, Caller::ReadToken, Method::GET, &format!("/api/v1/deployments/{running}"), None).await;
    assert_eq!(status_body["state"], "cancelled");
}

/// Every `$ref` in `value`.
fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found.push(target);
            }
            map.values().for_each(|v| refs(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_describes_exactly_the_routes_served() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let token = create_token(&s, "read").await;
    let response = s.client.get(s.url("/api/v1/openapi.json")).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    let anonymous = super::common::client().get(s.url("/api/v1/openapi.json")).send().await.expect("get");
    assert_eq!(anonymous.status(), StatusCode::OK, "the description is open to anyone");
    let doc: Value = super::common::client()
        .get(s.url("/api/v1/openapi.json"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.1.0");
    let domain = &doc["components"]["schemas"]["DomainEntry"];
    assert_eq!(domain["properties"]["hsts"]["type"], "boolean", "{domain}");

    // Exactly the served routes (but the worker link, a WebSocket for workers), each
    // with the access it is declared with.
    let rules = nsm_server::http::api::rules();
    let served: BTreeSet<(String, String, String)> = nsm_server::http::api::openapi::documented(&rules)
        .map(|r| {
            (r.method.as_str().to_lowercase(), r.path.to_owned(), nsm_server::http::api::openapi::access_word(r.access))
        })
        .collect();
    let mut described = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("path item") {
            let access = operation["x-nsm-access"].as_str().unwrap_or("<none>").to_owned();
            described.insert((method.clone(), path.clone(), access));
        }
    }
    let undocumented: Vec<_> = served.difference(&described).collect();
    assert!(undocumented.is_empty(), "served but not described (give the handler #[utoipa::path] and list it in openapi::ApiDoc), or described with another access: {undocumented:?}");
    let unserved: Vec<_> = described.difference(&served).collect();
    assert!(unserved.is_empty(), "described but not served as such: {unserved:?}");
    assert_eq!(rules.len(), served.len() + 1, "only the worker link is left out");

    // Credentials: API tokens everywhere; the deploy key where CI reads and deploys.
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["api_token"]["bearerFormat"], "nsm_<id>_<secret>");
    assert_eq!(schemes["deploy_key"]["scheme"], "bearer");
    let deploy = &doc["paths"]["/api/v1/projects/{id}/deploy"]["post"];
    assert!(deploy["security"].to_string().contains("deploy_key"), "{deploy}");
    let list = &doc["paths"]["/api/v1/projects"]["get"];
    assert!(list["security"].to_string().contains("api_token") && !list["security"].to_string().contains("deploy_key"));
    assert_eq!(list["operationId"], "list_projects", "named as the server function");
    assert!(list["responses"]["403"].is_object());

    // Every schema referred to is in the document.
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 20, "{} refs", found.len());
    for target in found {
        let name = target.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{target}"));
        assert!(doc["components"]["schemas"][name].is_object(), "{target} is not in the document");
    }
    for schema in [
        "ProjectSummary",
        "ProjectDetail",
        "ServiceView",
        "DeploymentSummary",
        "WorkerSummary",
        "ErrorBody",
        "VariableEntry",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
