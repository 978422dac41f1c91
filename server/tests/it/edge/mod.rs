//! The edge: the Domains tab's server functions, nginx serving deployed projects,
//! transactional installs and their rollback, ACME against pebble, the benchmark's
//! code path. nginx and pebble come from Debian; tests skip (with a note) only when
//! a binary is missing.

mod acme;
mod domains;
mod fronting;
mod lint;
mod nodes;
mod rollback;
mod serving;
mod support;
mod system;

use serde_json::Value;

use super::common::TestServer;

/// The Domains tab as the browser gets it.
pub async fn domains_view(s: &TestServer, project: &str) -> Value {
    let (status, body) = s.call_json("list_domains", &[("id", project)]).await;
    assert!(status.is_success(), "{status} {body}");
    body
}

pub async fn domain_id(s: &TestServer, project: &str, hostname: &str) -> i64 {
    let view = domains_view(s, project).await;
    let domain = view["domains"].as_array().and_then(|d| d.iter().find(|d| d["hostname"] == hostname));
    domain.and_then(|d| d["id"].as_i64()).unwrap_or_else(|| panic!("no domain {hostname}: {view}"))
}

pub async fn resource_id(s: &TestServer, project: &str, hostname: &str, path: &str) -> i64 {
    let view = domains_view(s, project).await;
    let found = view["domains"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["hostname"] == hostname))
        .and_then(|d| d["resources"].as_array())
        .and_then(|r| r.iter().find(|r| r["path"] == path))
        .and_then(|r| r["id"].as_i64());
    found.unwrap_or_else(|| panic!("no resource {hostname}{path}: {view}"))
}

/// Adds a resource through the server function; `fields` are the form's.
pub async fn add_resource(s: &TestServer, project: &str, hostname: &str, path: &str, fields: &[(&str, &str)]) {
    let (status, body) = try_add_resource(s, project, hostname, path, fields).await;
    assert!(status.is_success(), "{path}: {status} {body}");
}

pub async fn try_add_resource(
    s: &TestServer,
    project: &str,
    hostname: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (reqwest::StatusCode, Value) {
    let domain = domain_id(s, project, hostname).await.to_string();
    let mut form = vec![("id", project), ("domain", domain.as_str()), ("resource", ""), ("path", path)];
    form.extend_from_slice(fields);
    s.call_json("save_resource", &form).await
}

/// Saves a reference variable `name` of `kind` pointing at resource `target`.
pub async fn reference(s: &TestServer, project: &str, name: &str, kind: &str, target: i64) {
    let target = target.to_string();
    let form = [("id", project), ("original", ""), ("name", name), ("kind", kind), ("target_id", target.as_str())];
    let (status, body) = s.call_json("save_variable", &form).await;
    assert!(status.is_success(), "{name}: {status} {body}");
}
