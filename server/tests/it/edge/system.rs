//! System mode: NSM writes into a host nginx's include directory and reloads it.
//! The "host" nginx here is one this test starts with its own main file, so the
//! machine's real nginx is never touched.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use nsm_core::{ProjectId, WorkerId};
use nsm_server::settings::EdgeMode;

use nsm_testkit::{free_port, nginx_or_skip};

use super::add_resource;
use super::support::{browser, edge_settings, start_with_edge};

/// A host nginx: its own main file including `conf.d/*.conf`, daemonised as a host
/// nginx would be; stopped (by its pid file) when dropped.
struct HostNginx {
    nginx: std::path::PathBuf,
    conf: std::path::PathBuf,
}

impl HostNginx {
    fn start(nginx: &Path, dir: &Path) -> Self {
        let d = dir.display();
        for sub in ["conf.d", "logs", "tmp"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dirs");
        }
        let conf = dir.join("nginx.conf");
        let user = if nix::unistd::geteuid().is_root() { "user root;\n" } else { "" };
        std::fs::write(
            &conf,
            format!(
                "{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/logs/error.log;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n    access_log off;\n    server_names_hash_bucket_size 128;\n\
                 \x20   client_body_temp_path {d}/tmp/body;\n    proxy_temp_path {d}/tmp/proxy;\n\
                 \x20   fastcgi_temp_path {d}/tmp/fastcgi;\n    uwsgi_temp_path {d}/tmp/uwsgi;\n    scgi_temp_path {d}/tmp/scgi;\n\
                 \x20   include {d}/conf.d/*.conf;\n}}\n"
            ),
        )
        .expect("host conf");
        let out = Command::new(nginx).arg("-c").arg(&conf).output().expect("host nginx");
        assert!(out.status.success(), "host nginx: {}", String::from_utf8_lossy(&out.stderr));
        Self { nginx: nginx.to_path_buf(), conf }
    }
}

impl Drop for HostNginx {
    fn drop(&mut self) {
        let _ = Command::new(&self.nginx).arg("-c").arg(&self.conf).args(["-s", "quit"]).output();
    }
}

#[tokio::test]
async fn system_mode_publishes_into_the_host_nginx() {
    let Some(nginx) = nginx_or_skip() else { return };
    let host_dir = tempfile::tempdir().expect("temp");
    let host = HostNginx::start(&nginx, host_dir.path());
    let mut edge = edge_settings(&nginx);
    edge.mode = EdgeMode::System;
    edge.nginx_conf_dir = Some(host_dir.path().join("conf.d"));
    edge.nginx_main_conf = Some(host.conf.clone());
    edge.http_port = Some(free_port());
    edge.https_port = Some(free_port());
    let https = edge.https_port.unwrap_or_default();
    let temp = tempfile::tempdir().expect("temp");
    let s = start_with_edge(temp.path().to_path_buf(), edge).await;
    s.setup_admin().await;
    let (status, body) = s.create_project("hosted").await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("add_domain", &[("id", "hosted"), ("hostname", "hosted.nsm.test")]).await;
    assert!(status.is_success(), "{body}");
    add_resource(&s, "hosted", "hosted.nsm.test", "/", &[("kind", "custom"), ("body", "return 200 \"hosted\";")]).await;
    let edge_now = s.server.as_ref().expect("running").plane.edge.clone();
    let id = ProjectId::parse("hosted").expect("id");
    edge_now.publish(&id, &WorkerId::local()).await.expect("publishes into the host nginx");
    assert!(host_dir.path().join("conf.d/nsm-hosted.conf").exists());
    assert!(host_dir.path().join("conf.d/_nsm-control.conf").exists());

    let client = browser(&["hosted.nsm.test"], https);
    let url = format!("https://hosted.nsm.test:{https}/");
    let response = client.get(&url).send().await.expect("served by the host nginx");
    assert_eq!(response.text().await.expect("body"), "hosted");

    edge_now.unpublish(&id).await.expect("unpublishes");
    assert!(!host_dir.path().join("conf.d/nsm-hosted.conf").exists());
    // Nothing listens on the port any more: the host nginx has no server there.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while client.get(&url).send().await.is_ok() {
        assert!(std::time::Instant::now() < deadline, "still served after unpublishing");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(edge_now);
    s.server.expect("running").shutdown().await.expect("clean shutdown");
}
