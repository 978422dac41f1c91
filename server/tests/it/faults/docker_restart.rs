//! The Docker daemon restarted mid-deploy. The daemon is one of the test's own
//! (`PrivateDockerd`), restarted with the same command line, so the host's daemon and
//! every other test's containers are left alone; the worker runs in a process of its
//! own (this test binary again, running `worker_process`) with `DOCKER_HOST` pointing
//! at it. The deployment ends failed with a reason naming Docker; a later one succeeds.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{add_worker, app_files, commit, create_on, ending, fresh, project_containers, DEPLOY};
use crate::common::{unique_id, TestServer};

const CHILD_ENV: &str = "NSM_FAULT_WORKER";

/// The worker of [`the_docker_daemon_restarted_mid_deploy_fails_it_with_a_reason`],
/// started by it in a process of its own (`DOCKER_HOST` is the process's).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "the fault suite's worker process: started by the Docker restart test"]
async fn worker_process() {
    let Ok(spec) = std::env::var(CHILD_ENV) else { return };
    let mut parts = spec.splitn(4, '\n');
    let (Some(url), Some(id), Some(token), Some(dir)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        panic!("{CHILD_ENV} is url, id, token and data dir, a line each");
    };
    let config = nsm_worker::WorkerConfig {
        server_url: url.to_owned(),
        worker_id: nsm_core::WorkerId::parse(id).expect("id"),
        token: token.to_owned(),
        data_dir: dir.into(),
        edge: nsm_worker::EdgeConfig::off(),
    };
    let _ = tracing_subscriber::fmt().with_max_level(tracing::Level::INFO).with_writer(std::io::stderr).try_init();
    // Runs until the test kills the process.
    nsm_worker::run(config, std::future::pending()).await.expect("the worker runs");
}

/// Kills the worker process when the test ends, however it ends.
struct WorkerProcess(Child);

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_docker_daemon_restarted_mid_deploy_fails_it_with_a_reason() {
    if !nsm_testkit::docker_or_skip() {
        return;
    }
    let mut dockerd = tokio::task::spawn_blocking(|| nsm_testkit::PrivateDockerd::start("10.231.0.0/16"))
        .await
        .expect("join")
        .expect("a Docker daemon of the test's own starts");
    let host = dockerd.host();
    let s = TestServer::start().await;
    s.setup_admin().await;
    let worker = unique_id("docker-node");
    let token = add_worker(&s, &worker).await;
    let data = tempfile::tempdir().expect("dir");
    let worker_log = data.path().join("worker.log");
    let log_file = std::fs::File::create(&worker_log).expect("log");
    let spec =
        format!("{}\n{worker}\n{token}\n{}", s.base.replace("http://", "ws://"), data.path().join("w").display());
    let child = Command::new(std::env::current_exe().expect("this test binary"))
        .args(["faults::docker_restart::worker_process", "--exact", "--ignored", "--nocapture"])
        .env(CHILD_ENV, spec)
        .env("DOCKER_HOST", &host)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().expect("log"))
        .stderr(log_file)
        .spawn()
        .expect("the worker process starts");
    let _child = WorkerProcess(child);
    s.worker_online(&worker, Duration::from_secs(60)).await;

    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let step = format!("echo {} && sleep 60", fresh("restart"));
    commit(&repo, &app_files(Some(&step)), "slow build");
    let id = unique_id("it-fault-docker");
    create_on(&s, &id, &repo.file_url(), &worker, 300).await;
    s.expect_state(&id, "app", "running").await;
    let deployment = s.deploy(&id).await;
    s.wait_state(deployment, &["starting"], DEPLOY).await;
    // Let the build get going, then restart the daemon under it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let restarted = tokio::task::spawn_blocking(move || {
        let result = dockerd.restart();
        (dockerd, result)
    });
    let (dockerd, result) = restarted.await.expect("join");
    result.expect("the daemon starts again");

    let detail = s.wait_end(deployment, DEPLOY).await;
    let (state, reason, log) = ending(&detail);
    let worker_said = std::fs::read_to_string(&worker_log).unwrap_or_default();
    assert_eq!(state, "failed", "{reason}\n{log}\nworker:\n{worker_said}");
    assert!(reason.to_lowercase().contains("docker"), "the reason names Docker: {reason}\n{log}");
    eprintln!("docker restarted: {reason}");

    // The daemon is back: the next deployment succeeds on it.
    commit(&repo, &app_files(Some("true")), "fast");
    let next = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(next, DEPLOY).await);
    let worker_said = std::fs::read_to_string(&worker_log).unwrap_or_default();
    assert_eq!(state, "succeeded", "{reason}\n{log}\nworker:\n{worker_said}\ndockerd:\n{}", dockerd.log());
    assert_eq!(project_containers(&id, Some(&host)).len(), 1, "running on the test's daemon");
    drop(dockerd);
}
