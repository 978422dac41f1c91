//! The real `nsm-server` binary: `admin create`, serving, graceful shutdown on SIGTERM.

use super::common;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test]
async fn admin_create_then_serve_then_stop_on_sigterm() {
    let data = tempfile::tempdir().expect("temp dir");
    let binary = env!("CARGO_BIN_EXE_nsm-server");

    // A generated password is printed on stdout.
    let output = Command::new(binary)
        .args(["--data-dir"])
        .arg(data.path())
        .args(["admin", "create", "--username", "ops"])
        .output()
        .expect("admin create runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let generated = String::from_utf8(output.stdout).expect("utf-8").trim().to_owned();
    assert!(generated.len() >= 16, "printed password: {generated:?}");

    // --password-stdin takes the operator's password instead.
    let mut child = Command::new(binary)
        .arg("--data-dir")
        .arg(data.path())
        .args(["admin", "create", "--username", "second", "--password-stdin"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().expect("stdin").write_all(b"my chosen password\n").expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success());
    assert!(output.stdout.is_empty(), "nothing printed when the password was given");

    // A duplicate username is refused.
    let status = Command::new(binary)
        .arg("--data-dir")
        .arg(data.path())
        .args(["admin", "create", "--username", "ops"])
        .output()
        .expect("runs");
    assert!(!status.status.success());

    let port = nsm_testkit::free_port();
    let mut server = Command::new(binary)
        .arg("--data-dir")
        .arg(data.path())
        .args(["--listen", &format!("127.0.0.1:{port}"), "--no-local-worker"])
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let client = common::client();
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            assert!(r.status().is_success());
            break;
        }
        assert!(Instant::now() < deadline, "server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Both accounts can sign in.
    for (user, password) in [("ops", generated.as_str()), ("second", "my chosen password")] {
        let r = client
            .post(format!("{base}/api/fn/sign_in"))
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .expect("request");
        assert!(r.status().is_success(), "{user}: {}", r.status());
    }

    let status = Command::new("kill").args(["-TERM", &server.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let exit = loop {
        if let Some(exit) = server.try_wait().expect("wait") {
            break exit;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

/// A server killed mid-deploy (no chance to clean up) marks what was running as
/// interrupted when it starts again: no deployment stays in progress forever.
#[tokio::test]
async fn deployments_running_when_the_server_died_end_interrupted() {
    if !nsm_testkit::docker_or_skip() {
        return;
    }
    let data = tempfile::tempdir().expect("temp dir");
    let binary = env!("CARGO_BIN_EXE_nsm-server");
    let port = nsm_testkit::free_port();
    let spawn = || {
        Command::new(binary)
            .arg("--data-dir")
            .arg(data.path())
            .args(["--listen", &format!("127.0.0.1:{port}")])
            // Killed with -9, the server cannot stop its nginx: none is started, or it
            // would be left holding the edge's default ports.
            .args(["--edge", "off"])
            .stderr(Stdio::null())
            .spawn()
            .expect("server starts")
    };
    let s = common::TestServer {
        server: None,
        base: format!("http://127.0.0.1:{port}"),
        client: common::client(),
        data_dir: data.path().to_path_buf(),
        _temp: None,
    };
    let wait_up = || async {
        let deadline = Instant::now() + Duration::from_secs(30);
        while s.client.get(s.url("/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "server did not come up");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let mut server = spawn();
    wait_up().await;
    s.setup_admin().await;
    s.worker_online("local", Duration::from_secs(20)).await;

    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let compose = format!(
        "services:\n  slow:\n    image: {}\n    init: true\n    command: [\"sleep\", \"60\"]\n",
        nsm_testkit::BUSYBOX_IMAGE
    );
    repo.commit(&[("compose.yaml", compose.as_str())], "slow").expect("commit");
    let id = s.create_project_from("it-crash", &repo.file_url()).await;
    let _cleanup = common::ComposeCleanup(id.clone());
    let (status, _) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(status.is_success());
    s.call_json("update_service", &[("id", &id), ("service", "slow"), ("expected", "exited")]).await;
    let deployment = s.deploy(&id).await;
    s.wait_state(deployment, &["settling"], Duration::from_secs(120)).await;

    server.kill().expect("kill -9");
    server.wait().expect("reaped");
    let mut server = spawn();
    wait_up().await;
    s.sign_in().await;
    let detail = s.deployment(deployment).await;
    assert_eq!(detail["summary"]["state"], "failed");
    assert!(detail["summary"]["reason"].as_str().is_some_and(|r| r.contains("interrupted")), "{detail}");
    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();
}
