//! Transactional installs: a bad Custom block is refused (before a deployment, and
//! at install time) and rolled back while another project keeps serving, also
//! across an nginx crash and a server restart; removing a domain or deleting a
//! project stops serving it.

use std::time::Duration;

use nsm_core::{ProjectId, WorkerId};
use nsm_testkit::{fixture_app_files, nginx_or_skip, FixtureApp, FixtureRepo};

use super::super::common::TestServer;
use super::support::{browser, edge_settings, start_with_edge};
use super::{add_resource, domain_id, resource_id};

async fn custom_site(s: &TestServer, project: &str, hostname: &str, body: &str) {
    let (status, reply) = s.call_json("add_domain", &[("id", project), ("hostname", hostname)]).await;
    assert!(status.is_success(), "{reply}");
    add_resource(s, project, hostname, "/", &[("kind", "custom"), ("body", body)]).await;
}

async fn set_custom(s: &TestServer, project: &str, hostname: &str, body: &str) {
    let domain = domain_id(s, project, hostname).await.to_string();
    let resource = resource_id(s, project, hostname, "/").await.to_string();
    let form = [
        ("id", project),
        ("domain", domain.as_str()),
        ("resource", resource.as_str()),
        ("path", "/"),
        ("kind", "custom"),
        ("body", body),
    ];
    let (status, reply) = s.call_json("save_resource", &form).await;
    assert!(status.is_success(), "{reply}");
}

/// What `hostname` answers at `/` through nginx: "<status> <body>".
async fn answer(https: u16, hostname: &str) -> String {
    match browser(&[hostname], https).get(format!("https://{hostname}:{https}/")).send().await {
        Ok(r) => format!("{} {}", r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => format!("error: {e}"),
    }
}

async fn eventually(https: u16, hostname: &str, expected: &str) {
    nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(200), || async move {
        let got = answer(https, hostname).await;
        if got.starts_with(expected) {
            return Ok(());
        }
        Err(format!("{hostname}: expected {expected:?}, got {got:?}"))
    })
    .await
}

fn plane(s: &TestServer) -> &nsm_server::control_plane::Plane {
    &s.server.as_ref().expect("running").plane
}

/// The embedded worker's edge: the nginx of this machine.
fn node_edge(s: &TestServer) -> std::sync::Arc<nsm_worker::Edge> {
    s.server.as_ref().expect("running").local_edge().expect("an embedded worker").clone()
}

#[tokio::test]
async fn a_bad_custom_block_is_rolled_back_while_another_project_keeps_serving() {
    let Some(nginx) = nginx_or_skip() else { return };
    let temp = tempfile::tempdir().expect("temp");
    let edge = edge_settings(&nginx);
    let https = edge.https_port.unwrap_or_default();
    let s = start_with_edge(temp.path().to_path_buf(), edge.clone()).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    let repo = FixtureRepo::new().expect("repo");
    let files = fixture_app_files(&FixtureApp::default());
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit(&refs, "app").expect("commit");
    let good = s.create_project_from("it-good", &repo.file_url()).await;
    let bad = s.create_project_from("it-bad", &repo.file_url()).await;
    let (good_id, bad_id) = (ProjectId::parse(&good).expect("id"), ProjectId::parse(&bad).expect("id"));
    custom_site(&s, &good, "good.nsm.test", "default_type text/plain;\nreturn 200 \"good\";").await;
    custom_site(&s, &bad, "bad.nsm.test", "default_type text/plain;\nreturn 200 \"bad v1\";").await;
    let edge_now = plane(&s).edge.clone();
    edge_now.publish(&good_id, &WorkerId::local()).await.expect("good publishes");
    edge_now.publish(&bad_id, &WorkerId::local()).await.expect("bad publishes");
    eventually(https, "good.nsm.test", "200 good").await;
    eventually(https, "bad.nsm.test", "200 bad v1").await;
    let node = node_edge(&s);
    let site = node.layout().site_file(&bad_id);
    let published = std::fs::read_to_string(&site).expect("bad's file");

    // A compose file Compose accepts (prepare resolves it against the worker's policy
    // before the edge is checked), then a block that passes NSM's own checks but not nginx's.
    for name in ["WEB_PORT", "API_PORT"] {
        s.set_plain(&bad, name, &nsm_testkit::free_port().to_string()).await;
    }
    s.set_plain(&bad, "GREETING", "hello").await;
    set_custom(&s, &bad, "bad.nsm.test", "add_header X-Only-A-Name;\nreturn 200 \"bad v2\";").await;
    // A deployment stops in prepare, on the node, before anything that runs is touched.
    let deployment = s.deploy(&bad).await;
    let detail = s.wait_end(deployment, Duration::from_secs(120)).await;
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default().to_owned();
    assert_eq!(detail["summary"]["state"], "failed", "{detail}");
    assert!(reason.contains("nginx -t") && reason.contains("add_header"), "{reason}");
    let log = detail["log"].to_string();
    assert!(!log.contains("Installed the checkout"), "production was not touched: {log}");
    // Installing it anyway is refused with nginx's reason, and the previous file is back.
    let refused = edge_now.publish(&bad_id, &WorkerId::local()).await.expect_err("nginx refuses").to_string();
    assert!(refused.contains("invalid number of arguments") && refused.contains("add_header"), "{refused}");
    assert_eq!(std::fs::read_to_string(&site).expect("bad's file"), published, "the previous file was restored");
    eventually(https, "good.nsm.test", "200 good").await;
    eventually(https, "bad.nsm.test", "200 bad v1").await;

    // nginx dies: the supervisor brings it back with the same, good configuration.
    let pid = node.nginx_pid().await.expect("nginx runs");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL).expect("kill nginx");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while node.nginx_pid().await.is_none_or(|p| p == pid) {
        assert!(std::time::Instant::now() < deadline, "nginx was not restarted");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eventually(https, "good.nsm.test", "200 good").await;
    eventually(https, "bad.nsm.test", "200 bad v1").await;

    // A file that stopped loading while NSM was down (say, after an nginx upgrade) is
    // set aside at the next start; the others are served.
    drop(edge_now);
    let layout = node.layout().clone();
    drop(node);
    let data_dir = s.data_dir.clone();
    s.server.expect("running").shutdown().await.expect("clean shutdown");
    let stale = ProjectId::parse("it-stale").expect("id");
    std::fs::write(layout.site_file(&stale), "server { listen 1; broken_directive; }\n").expect("write");
    let s = start_with_edge(data_dir, edge).await;
    eventually(https, "good.nsm.test", "200 good").await;
    eventually(https, "bad.nsm.test", "200 bad v1").await;
    assert!(!layout.site_file(&stale).exists());
    assert!(layout.site_file(&stale).with_extension("conf.disabled").exists());
    s.server.expect("running").shutdown().await.expect("clean shutdown");
}

#[tokio::test]
async fn removing_a_domain_or_deleting_the_project_stops_serving_it() {
    let Some(nginx) = nginx_or_skip() else { return };
    let temp = tempfile::tempdir().expect("temp");
    let edge = edge_settings(&nginx);
    let https = edge.https_port.unwrap_or_default();
    let s = start_with_edge(temp.path().to_path_buf(), edge).await;
    s.setup_admin().await;
    let (status, body) = s.create_project("twins").await;
    assert!(status.is_success(), "{body}");
    custom_site(&s, "twins", "one.nsm.test", "default_type text/plain;\nreturn 200 \"one\";").await;
    custom_site(&s, "twins", "two.nsm.test", "default_type text/plain;\nreturn 200 \"two\";").await;
    let id = ProjectId::parse("twins").expect("id");
    let edge_now = plane(&s).edge.clone();
    edge_now.publish(&id, &WorkerId::local()).await.expect("publishes");
    eventually(https, "one.nsm.test", "200 one").await;
    eventually(https, "two.nsm.test", "200 two").await;
    let node = node_edge(&s);
    let certificate = node.layout().certificate(&nsm_core::domain::Hostname::parse("one.nsm.test").expect("name"));
    assert!(certificate.exists(), "a placeholder certificate is written on publishing");

    let one = domain_id(&s, "twins", "one.nsm.test").await.to_string();
    let (status, body) = s.call_json("remove_domain", &[("id", "twins"), ("domain", &one)]).await;
    assert!(status.is_success(), "{body}");
    // A reload is graceful: an old nginx worker may still answer a moment longer.
    eventually(https, "one.nsm.test", "404").await;
    assert!(!certificate.exists(), "its certificate is forgotten");
    eventually(https, "two.nsm.test", "200 two").await;

    let (status, body) = s.call_json("delete_project", &[("id", "twins"), ("confirm", "twins")]).await;
    assert!(status.is_success(), "{body}");
    eventually(https, "two.nsm.test", "404").await;
    assert!(!node.layout().site_file(&id).exists());
}
