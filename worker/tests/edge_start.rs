//! Starting a node's edge with its data directory under a private (0700) parent:
//! either nginx's workers can read the certificates there and it serves TLS, or the
//! worker refuses to start its edge with one message naming the directory and what
//! to change — never an edge whose every handshake fails.

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use nsm_core::edge::EdgeMode;
use nsm_testkit::{free_port, nginx_or_skip};
use nsm_worker::{Edge, EdgeConfig};

fn config(nginx: &std::path::Path, user: Option<&str>) -> EdgeConfig {
    let mut config = EdgeConfig::off();
    config.mode = EdgeMode::Managed;
    config.nginx_bin = nginx.to_path_buf();
    config.http_port = Some(free_port());
    config.https_port = Some(free_port());
    config.nginx_user = user.map(str::to_owned);
    config
}

#[tokio::test]
async fn a_private_data_directory_is_refused_or_served() {
    let Some(nginx) = nginx_or_skip() else { return };
    let parent = tempfile::tempdir().expect("temp");
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let data_dir = parent.path().join("worker");
    std::fs::create_dir_all(&data_dir).expect("data dir");

    let edge = Arc::new(Edge::new(&config(&nginx, None), &data_dir));
    let started = edge.start().await;
    if nix::unistd::geteuid().is_root() {
        // nginx's workers would run as `nobody`, who cannot enter the 0700 parent.
        let message = started.expect_err("refused").to_string();
        assert!(message.contains(&parent.path().display().to_string()), "names the directory: {message}");
        assert!(message.contains("--nginx-user") && message.contains("nobody"), "says what to change: {message}");
        assert!(edge.nginx_pid().await.is_none(), "no nginx was started");

        // Told to run them as a user who can enter it, the edge starts and serves TLS.
        let edge = Arc::new(Edge::new(&config(&nginx, Some("root")), &data_dir));
        edge.start().await.expect("starts");
        // A handshake loads the certificate file at handshake time, as nginx's workers.
        let served = nsm_testkit::eventually(
            std::time::Duration::from_secs(15),
            std::time::Duration::from_millis(100),
            || async { edge.served_certificate("anything.example").await.map_err(|e| e.to_string()) },
        )
        .await;
        assert!(!served.is_empty());
        edge.stop().await;
    } else {
        // nginx's workers run as this user, who owns the directory: it just works.
        started.expect("starts");
        edge.stop().await;
    }
}
