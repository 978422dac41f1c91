//! A node without a public address, fronted by the control plane's `local` node: its
//! project is reached through local's ports — TLS passed through by SNI to the
//! fronted node, which holds the key; pebble's HTTP-01 request for it reaches local's
//! HTTP port and is forwarded by Host. Made public again, local stops routing it.

use std::time::Duration;

use nsm_testkit::{docker_or_skip, nginx_or_skip, pebble_or_skip};

use super::super::common::ComposeCleanup;
use super::nodes::{answers, second_node, site_project, write_page, SERVE_API};
use super::support::{browser, edge_settings, served_leaf, start_with_edge, Pebble};

const HOST: &str = "f.fronted.test";

#[tokio::test]
async fn a_fronted_node_is_reached_through_its_front_and_keeps_its_key() {
    let Some(nginx) = nginx_or_skip() else { return };
    let Some(bins) = pebble_or_skip() else { return };
    if !docker_or_skip() {
        return;
    }
    let temp = tempfile::tempdir().expect("temp");
    let mut edge = edge_settings(&nginx);
    let (local_http, local_https) = (edge.http_port.unwrap_or_default(), edge.https_port.unwrap_or_default());
    // pebble validates HTTP-01 on the front's port, as the Internet would.
    let pebble = Pebble::start(&bins, local_http, 90 * 24 * 3600);
    edge.no_acme = false;
    edge.acme_directory = Some(nsm_core::settings::AcmeDirectory::parse(&pebble.directory).unwrap());
    edge.acme_root_ca = Some(pebble.listener_ca.clone());
    edge.acme_email = Some(nsm_core::settings::ContactEmail::parse("ops@nsm.test").unwrap());
    let s = start_with_edge(temp.path().join("control"), edge).await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;
    let (node, _, node_dir, node_ports) = second_node(&s, temp.path(), &nginx, true).await;

    // Fronting needs the address the front reaches the node at.
    let (status, body) = s.call_json("set_worker_front", &[("id", "node-2"), ("front", "local")]).await;
    assert!(!status.is_success(), "{body}");
    assert!(body.to_string().contains("private address"), "{body}");
    let (status, body) = s.call_json("set_worker_address", &[("id", "node-2"), ("address", "127.0.0.1")]).await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("set_worker_front", &[("id", "node-2"), ("front", "local")]).await;
    assert!(status.is_success(), "local fronts node-2: {body}");
    // No chains: a node that fronts others stays public.
    let (status, body) = s.call_json("set_worker_front", &[("id", "local"), ("front", "node-2")]).await;
    assert!(!status.is_success() && body.to_string().contains("must stay public"), "{body}");
    let (_, workers) = s.call_json("list_workers", &[]).await;
    let row = |id: &str| workers.as_array().and_then(|w| w.iter().find(|w| w["id"] == id).cloned()).expect("row");
    assert_eq!(row("node-2")["fronted_by"], "local", "{workers}");
    assert_eq!(row("local")["can_front"], true, "{workers}");

    let (project, _repo) = site_project(&s, "node-2", HOST, &write_page("node-2"), SERVE_API).await;
    let _cleanup = ComposeCleanup(project.clone());
    let deployment = s.deploy(&project).await;
    let detail = s.wait_end(deployment, Duration::from_secs(180)).await;
    let log = nsm_testkit::deployment_log_text(&detail);
    assert_eq!(detail["summary"]["state"], "succeeded", "{log}");
    assert!(log.contains(&format!("{HOST}: certificate issued by")), "issued through the front: {log}");

    // Through local's ports: the page and the API of node-2, with node-2's pebble
    // certificate (the same leaf node-2 serves on its own port).
    answers(local_https, HOST, "/", "200 page of node-2").await;
    answers(local_https, HOST, "/api/hello.txt", "200 api of node-2").await;
    let root = pebble.issuing_root().await;
    let through_front = served_leaf(HOST, local_https, Some(&root)).await.expect("verifies against pebble");
    let direct = served_leaf(HOST, node_ports.1, Some(&root)).await.expect("verifies against pebble");
    assert_eq!(through_front, direct);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(HOST, std::net::SocketAddr::from(([127, 0, 0, 1], local_http)))
        .build()
        .expect("client");
    let redirect = plain.get(format!("http://{HOST}:{local_http}/x")).send().await.expect("http");
    assert_eq!(redirect.status().as_u16(), 301);
    assert_eq!(redirect.headers()["location"], format!("https://{HOST}:{local_https}/x"));

    // The key was generated on node-2 and never left it.
    let node_file = std::fs::read_to_string(node_dir.join("edge").join("certs").join(format!("{HOST}.pem")));
    assert!(node_file.expect("node-2's certificate file").contains("PRIVATE KEY"));
    let control = temp.path().join("control");
    let stray = walk(&control).into_iter().filter(|p| p.to_string_lossy().contains(HOST)).collect::<Vec<_>>();
    assert!(stray.is_empty(), "nothing of {HOST} under the control plane's data: {stray:?}");

    // The Domains tab points DNS at the front.
    let view = super::domains_view(&s, &project).await;
    assert_eq!(view["node"], "node-2");
    assert_eq!(view["fronted_by"], "local");
    assert_eq!(view["https_port"], local_https);

    // Public again: local no longer routes the name; node-2 still serves it itself.
    let (status, body) = s.call_json("set_worker_front", &[("id", "node-2"), ("front", "")]).await;
    assert!(status.is_success(), "{body}");
    answers(local_https, HOST, "/", "404").await;
    answers(node_ports.1, HOST, "/", "200 page of node-2").await;
    assert!(browser(&[HOST], node_ports.1).get(format!("https://{HOST}:{}/", node_ports.1)).send().await.is_ok());

    node.stop().await;
    s.server.expect("running").shutdown().await.expect("clean shutdown");
}

/// Every path under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}
