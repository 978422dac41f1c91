//! The managed edge's whole configuration, as the node writes it (main file, control
//! server, stream front, every project file), read by a security linter: gixy
//! (PyPI `gixy-ng`, installed by `scripts/setup.sh`). Two projects publish every
//! resource type on names with CA-issued certificates, so the TLS settings and HSTS
//! are in play; gixy must report nothing but the one finding explained at
//! [`STREAM_FRONT`]. HSTS is then served, and turning it off takes it away.

use std::path::Path;
use std::time::Duration;

use nsm_core::domain::Hostname;
use nsm_core::{ProjectId, WorkerId};
use nsm_testkit::{gixy_or_skip, nginx_or_skip};

use super::super::common::TestServer;
use super::support::{browser, edge_settings, start_with_edge};
use super::{add_resource, domain_id, resource_id};

const SHOP: &str = "shop.nsm.test";
const HSTS: &str = "max-age=31536000";

/// gixy's `missing_resolver` reads any `proxy_pass $variable` without a `resolver`
/// as a DNS name resolved once. The stream front's two (`$nsm_front`, `$nsm_relay`)
/// only ever hold a local socket or the name of an `upstream` block, which nginx
/// looks up among its upstreams, never in DNS; a resolver there would never be asked.
const STREAM_FRONT: [&str; 2] = ["proxy_pass $nsm_front;", "proxy_pass $nsm_relay;"];

/// Not a finding: the stream front's variable upstreams ([`STREAM_FRONT`]).
fn explained(finding: &serde_json::Value) -> bool {
    let config = finding["config"].as_str().unwrap_or_default();
    finding["plugin"] == "missing_resolver"
        && config.trim_start().starts_with("stream")
        && config.lines().filter(|l| l.contains("proxy_pass")).all(|l| STREAM_FRONT.contains(&l.trim()))
}
const DOCS: &str = "docs.nsm.test";

/// A certificate for `hostnames` issued by a throwaway CA (not self-signed, as a
/// public CA's would be), chain then key, as the edge keeps it.
fn issued_pem(hostnames: &[&str]) -> String {
    let ca_key = rcgen::KeyPair::generate().expect("key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(rcgen::DnType::CommonName, "NSM lint test CA");
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let key = rcgen::KeyPair::generate().expect("key");
    let names: Vec<String> = hostnames.iter().map(|h| (*h).to_owned()).collect();
    let leaf = rcgen::CertificateParams::new(names).expect("params").signed_by(&key, &*ca).expect("leaf");
    format!("{}{}{}", leaf.pem(), ca.pem(), key.serialize_pem())
}

/// gixy's findings over `conf` (JSON), with its readable report for the failure message.
fn gixy(bin: &Path, conf: &Path) -> (Vec<serde_json::Value>, String) {
    let json = std::process::Command::new(bin).args(["-f", "json"]).arg(conf).output().expect("gixy runs");
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap_or_else(|e| {
        panic!(
            "gixy's JSON does not parse ({e}): {}\n{}",
            String::from_utf8_lossy(&json.stdout),
            String::from_utf8_lossy(&json.stderr)
        )
    });
    let text = std::process::Command::new(bin).arg(conf).output().expect("gixy runs");
    (findings, String::from_utf8_lossy(&text.stdout).into_owned())
}

async fn add_domain(s: &TestServer, project: &str, hostname: &str) {
    let (status, body) = s.call_json("add_domain", &[("id", project), ("hostname", hostname)]).await;
    assert!(status.is_success(), "{hostname}: {status} {body}");
}

#[tokio::test]
async fn gixy_finds_nothing_in_the_managed_edge_configuration() {
    let Some(nginx) = nginx_or_skip() else { return };
    let Some(gixy_bin) = gixy_or_skip() else { return };
    let temp = tempfile::tempdir().expect("temp");
    let edge = edge_settings(&nginx);
    let https = edge.https_port.unwrap_or_default();
    let s = start_with_edge(temp.path().to_path_buf(), edge).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    let running = s.server.as_ref().expect("running");
    let node = running.local_edge().expect("an embedded worker").clone();
    let plane = running.plane.clone();

    // Every resource type, CORS both ways, SPA, WebSocket, Custom with its own headers.
    for project in ["lint-shop", "lint-docs"] {
        let (status, body) = s.create_project(project).await;
        assert!(status.is_success(), "{body}");
    }
    add_domain(&s, "lint-shop", SHOP).await;
    add_domain(&s, "lint-docs", DOCS).await;
    for (path, fields) in [
        ("/", vec![("kind", "static"), ("cors_origins", "https://a.example.com https://b.example.com")]),
        ("/app/", vec![("kind", "static"), ("spa", "on"), ("cors_origins", "*")]),
        ("/api", vec![("kind", "api"), ("timeout_secs", "30"), ("max_body", "1m")]),
        ("/ws", vec![("kind", "api"), ("websocket", "on")]),
        ("/old", vec![("kind", "redirect"), ("target", "https://example.com/new-place?x=1")]),
        ("/custom", vec![("kind", "custom"), ("body", "add_header X-Custom yes;\nreturn 200 \"custom ok\";")]),
    ] {
        add_resource(&s, "lint-shop", SHOP, path, &fields).await;
    }
    add_resource(&s, "lint-docs", DOCS, "/", &[("kind", "static")]).await;
    add_resource(&s, "lint-docs", DOCS, "/guide", &[("kind", "static"), ("spa", "on")]).await;
    add_resource(&s, "lint-docs", DOCS, "/search", &[("kind", "api")]).await;
    for (i, path) in ["/api", "/ws"].into_iter().enumerate() {
        let id = resource_id(&s, "lint-shop", SHOP, path).await;
        nsm_server::db::domains::lease(&plane.db, "local", id, 20100 + u16::try_from(i).expect("small"))
            .await
            .expect("lease");
    }
    let search = resource_id(&s, "lint-docs", DOCS, "/search").await;
    nsm_server::db::domains::lease(&plane.db, "local", search, 20110).await.expect("lease");

    // Certificates a CA issued, where the edge keeps them.
    for hostname in [SHOP, DOCS] {
        let path = node.layout().certificate(&Hostname::parse(hostname).expect("hostname"));
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("certs dir");
        std::fs::write(&path, issued_pem(&[hostname])).expect("certificate");
    }
    // The first publish records what the node serves; the second renders from it.
    for _ in 0..2 {
        for project in ["lint-shop", "lint-docs"] {
            let id = ProjectId::parse(project).expect("id");
            plane.edge.publish(&id, &WorkerId::local()).await.expect("publishes");
        }
    }
    let view = super::domains_view(&s, "lint-shop").await;
    assert_eq!(view["domains"][0]["certificate"]["status"], "valid", "{view}");
    assert_eq!(view["domains"][0]["hsts"], true, "on by default: {view}");

    // What gixy reads is what nginx serves.
    let main = node.layout().main_conf();
    let site = std::fs::read_to_string(node.layout().site_file(&ProjectId::parse("lint-shop").expect("id")))
        .expect("the shop's file");
    assert_eq!(fresh(SHOP, https, "/old").await.status().as_u16(), 302, "{site}");

    let (findings, report) = gixy(&gixy_bin, &main);
    let conf = std::fs::read_to_string(&main).expect("nginx.conf");
    let unexplained: Vec<String> = findings
        .iter()
        .filter(|f| !explained(f))
        .map(|f| format!("[{}] {}: {} ({}:{})", f["plugin"], f["summary"], f["reason"], f["file"], f["line"]))
        .collect();
    assert!(
        unexplained.is_empty(),
        "gixy reports {} finding(s) in the managed edge's configuration:\n{}\n\n{report}\n--- {} ---\n{conf}\n--- lint-shop ---\n{site}",
        unexplained.len(),
        unexplained.join("\n"),
        main.display()
    );

    // Served: HSTS on every answer of a name with a CA's certificate, CORS locations
    // and Custom headers included; on its 404s too.
    for path in ["/old", "/custom", "/", "/nowhere"] {
        let answer = fresh(SHOP, https, path).await;
        assert_eq!(
            answer.headers().get("strict-transport-security").map(|v| v.to_str().unwrap()),
            Some(HSTS),
            "{path}"
        );
    }
    // The switch: off, and the next publish (a deployment's) serves no HSTS.
    let domain = domain_id(&s, "lint-docs", DOCS).await.to_string();
    let (status, body) =
        s.call_json("set_domain_hsts", &[("id", "lint-docs"), ("domain", &domain), ("hsts", "off")]).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(super::domains_view(&s, "lint-docs").await["domains"][0]["hsts"], false);
    assert!(fresh(DOCS, https, "/search").await.headers().contains_key("strict-transport-security"));
    plane.edge.publish(&ProjectId::parse("lint-docs").expect("id"), &WorkerId::local()).await.expect("publishes");
    nsm_testkit::eventually(Duration::from_secs(10), Duration::from_millis(200), || async {
        match fresh(DOCS, https, "/search").await.headers().get("strict-transport-security") {
            None => Ok(()),
            Some(v) => Err(format!("HSTS still sent: {v:?}")),
        }
    })
    .await;
    let (status, body) =
        s.call_json("set_domain_hsts", &[("id", "lint-docs"), ("domain", &domain), ("hsts", "maybe")]).await;
    assert!(!status.is_success(), "{body}");
}

/// A GET on a new connection (a reload's old workers may hold kept-alive ones).
async fn fresh(hostname: &str, https: u16, path: &str) -> reqwest::Response {
    let client = browser(&[hostname], https);
    client.get(format!("https://{hostname}:{https}{path}")).send().await.expect("request")
}
