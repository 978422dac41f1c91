//! Configuration as code and `.env` import through the server functions: a project
//! exported as TOML, imported as a new project and exported again is the same file;
//! an import into an existing project changes nothing until it is confirmed.

use reqwest::StatusCode;
use serde_json::{json, Value};

use super::common::{error_kind, TestServer};

const FILE: &str = r#"format = 1

[project]
id = "cfg-a"
branch = "main"
worker = "local"
timeout_secs = 120
allow_ci_cd = true

[project.repository]
kind = "hosted"
owner = "acme"
name = "shop"

[[domains]]
hostname = "cfg.test"
hsts = false

[[domains.resources]]
path = "/"

[domains.resources.kind]
type = "static"
spa = true

[[domains.resources]]
path = "/api"

[domains.resources.kind]
type = "api"
websocket = true
timeout_secs = 30

[[domains.resources]]
path = "/old"

[domains.resources.kind]
type = "redirect"
target = "https://example.com/new"

[[domains]]
hostname = "other.cfg.test"
hsts = true

[[variables]]
name = "GREETING"
type = "secret"
value = "hello \"world\"\n$HOME # not a comment"

[[variables]]
name = "API_PORT"
type = "port"
domain = "cfg.test"
path = "/api"

[[variables]]
name = "SITE_DIR"
type = "directory"
domain = "cfg.test"
path = "/"

[[variables]]
name = "HOST"
type = "domain"
domain = "other.cfg.test"

[[variables]]
name = "WORKER"
type = "worker_node_id"

[[services]]
name = "api"
expected = "running"
collect_logs = true

[[services]]
name = "site"
expected = "exited"
collect_logs = false
"#;

async fn post(s: &TestServer, endpoint: &str, body: Value) -> (StatusCode, Value) {
    let response = s
        .client
        .post(s.url(&format!("/api/fn/{endpoint}")))
        .header("accept", "application/json")
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = response.status();
    let text = response.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn export(s: &TestServer, id: &str, secrets: bool) -> String {
    let secrets = secrets.to_string();
    let (status, body) = s.call_json("export_config", &[("id", id), ("secrets", &secrets)]).await;
    assert!(status.is_success(), "{status} {body}");
    body.as_str().expect("a TOML text").to_owned()
}

async fn plan(s: &TestServer, into: Option<&str>, text: &str) -> Value {
    let (status, body) = post(s, "plan_config_import", json!({ "into": into, "text": text })).await;
    assert!(status.is_success(), "{status} {body}");
    body
}

async fn apply(s: &TestServer, into: Option<&str>, text: &str, base: &str) -> (StatusCode, Value) {
    post(s, "apply_config_import", json!({ "into": into, "text": text, "base": base })).await
}

async fn import_new(s: &TestServer, text: &str) -> String {
    let planned = plan(s, None, text).await;
    assert_eq!(planned["new_project"], true, "{planned}");
    let (status, body) = apply(s, None, text, planned["base"].as_str().unwrap()).await;
    assert!(status.is_success(), "{status} {body}");
    body.as_str().unwrap().to_owned()
}

#[tokio::test]
async fn export_import_as_a_new_project_and_export_again_is_byte_identical() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    assert_eq!(import_new(&s, FILE).await, "cfg-a");

    let first = export(&s, "cfg-a", true).await;
    let without = export(&s, "cfg-a", false).await;
    assert!(first.contains("value = \"\"\"\nhello \"world\"\n$HOME # not a comment\"\"\""), "{first}");
    assert!(!without.contains("hello"), "no secret unless asked:\n{without}");
    for line in [
        "hsts = false",
        "name = \"site\"\nexpected = \"exited\"",
        "type = \"port\"\ndomain = \"cfg.test\"\npath = \"/api\"",
    ] {
        assert!(first.contains(line), "{line:?} in\n{first}");
    }
    // The editor sees what the file says.
    let (status, env) = s.call_json("get_environment", &[("id", "cfg-a")]).await;
    assert!(status.is_success(), "{env}");
    let names: Vec<&str> = env["rows"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["GREETING", "API_PORT", "SITE_DIR", "HOST", "WORKER"]);

    // The hostnames belong to cfg-a: a copy needs them free.
    let (status, body) = post(
        &s,
        "plan_config_import",
        json!({ "into": null, "text": first.replace("id = \"cfg-a\"", "id = \"cfg-b\"") }),
    )
    .await;
    assert!(!status.is_success(), "{body}");
    assert_eq!(error_kind(&body), "invalid");
    assert!(body.to_string().contains("belongs to project cfg-a"), "{body}");

    let (status, body) = s.call_json("delete_project", &[("id", "cfg-a"), ("confirm", "cfg-a")]).await;
    assert!(status.is_success() || status.is_redirection(), "{status} {body}");
    let copy = first.replace("id = \"cfg-a\"", "id = \"cfg-b\"");
    assert_eq!(import_new(&s, &copy).await, "cfg-b");
    assert_eq!(export(&s, "cfg-b", true).await, copy, "export → import → export is the same file");
}

#[tokio::test]
async fn an_import_into_a_project_applies_only_after_confirmation() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    import_new(&s, FILE).await;
    let before = export(&s, "cfg-a", true).await;

    // Another branch, /old gone, GREETING changed, HOST removed, api's logs off.
    let edited = before
        .replace("branch = \"main\"", "branch = \"dev\"")
        .replace("[[domains.resources]]\npath = \"/old\"\n\n[domains.resources.kind]\ntype = \"redirect\"\ntarget = \"https://example.com/new\"\n\n", "")
        .replace("hello \"world\"", "bonjour")
        .replace("[[variables]]\nname = \"HOST\"\ntype = \"domain\"\ndomain = \"other.cfg.test\"\n\n", "")
        .replace("collect_logs = true", "collect_logs = false");
    assert_ne!(edited, before);
    let planned = plan(&s, Some("cfg-a"), &edited).await;
    assert_eq!(planned["new_project"], false);
    let changes: Vec<String> = planned["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{} {} {}",
                c["action"].as_str().unwrap(),
                c["what"].as_str().unwrap(),
                c["subject"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            "changed project branch",
            "removed resource cfg.test/old",
            "changed variable GREETING",
            "removed variable HOST",
            "changed service api"
        ]
    );
    assert!(!planned.to_string().contains("bonjour"), "secret values are masked in the plan");
    assert_eq!(export(&s, "cfg-a", true).await, before, "a plan changes nothing");

    // A plan made against another state is refused.
    let (status, body) = apply(&s, Some("cfg-a"), &edited, "stale").await;
    assert!(!status.is_success(), "{body}");
    assert_eq!(error_kind(&body), "conflict");
    assert_eq!(export(&s, "cfg-a", true).await, before);

    let (status, body) = apply(&s, Some("cfg-a"), &edited, planned["base"].as_str().unwrap()).await;
    assert!(status.is_success(), "{status} {body}");
    let after = export(&s, "cfg-a", true).await;
    assert_eq!(after, edited, "the project now is the file");
    let again = plan(&s, Some("cfg-a"), &edited).await;
    assert_eq!(again["changes"], json!([]), "nothing left to change");

    // Importing a file without secrets keeps the stored ones.
    let without = export(&s, "cfg-a", false).await;
    let kept = plan(&s, Some("cfg-a"), &without).await;
    assert_eq!(kept["changes"], json!([]), "{kept}");
}

#[tokio::test]
async fn a_dotenv_import_shows_its_diff_and_applies_on_confirmation() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    import_new(&s, FILE).await;
    let text = "# from another tool\nexport GREETING='hello \"world\"\n$HOME # not a comment'\nNEW_ONE=\"a\\nb\"\nAPI_PORT=8080\n";
    let (status, planned) = post(&s, "plan_dotenv_import", json!({ "id": "cfg-a", "text": text })).await;
    assert!(status.is_success(), "{planned}");
    let got: Vec<(String, String)> = planned["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_owned(), e["change"].as_str().unwrap().to_owned()))
        .collect();
    let want = [("GREETING", "unchanged"), ("NEW_ONE", "added"), ("API_PORT", "changed")];
    assert_eq!(got, want.map(|(n, c)| (n.to_owned(), c.to_owned())));
    let (_, env) = s.call_json("get_environment", &[("id", "cfg-a")]).await;
    assert_eq!(env["rows"].as_array().unwrap().len(), 5, "a plan writes nothing");

    let (status, body) = post(&s, "plan_dotenv_import", json!({ "id": "cfg-a", "text": "A=1\nB=\"open" })).await;
    assert!(!status.is_success(), "{body}");
    assert_eq!(error_kind(&body), "invalid");
    assert!(body.to_string().contains("line 2"), "{body}");

    let (status, body) = post(&s, "apply_dotenv_import", json!({ "id": "cfg-a", "text": text })).await;
    assert!(status.is_success(), "{status} {body}");
    let (status, values) = s.call_json("reveal_environment", &[("id", "cfg-a")]).await;
    assert!(status.is_success(), "{values}");
    let values: Vec<(String, String)> = serde_json::from_value(values).unwrap();
    assert!(values.contains(&("NEW_ONE".to_owned(), "a\nb".to_owned())), "{values:?}");
    assert!(values.contains(&("API_PORT".to_owned(), "8080".to_owned())), "{values:?}");

    // The export with secrets reads back as the same values.
    let (status, exported) = s.call_json("export_dotenv", &[("id", "cfg-a"), ("secrets", "true")]).await;
    assert!(status.is_success(), "{exported}");
    let parsed = nsm_core::env::parse_dotenv(exported.as_str().unwrap()).unwrap();
    for (name, value) in &values {
        assert!(parsed.iter().any(|p| p.name.as_str() == name && &p.value == value), "{name} in {exported}");
    }
}
