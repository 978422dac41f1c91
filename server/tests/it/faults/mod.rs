//! The fault suite (issue 13 item 7): real components broken on purpose while a
//! deployment runs. Each test shows the deployment reaching a terminal state with a
//! reason (never stuck, never `succeeded` for something not running) and the system
//! able to deploy again afterwards.
//!
//! - `timeout`: a build outliving the project's timeout;
//! - `link_cut`: the link to a remote worker cut for 30 s by a proxy, mid-deploy and idle;
//! - `docker_restart`: the Docker daemon restarted mid-deploy (a daemon of the test's
//!   own, so the host's and its containers are not touched);
//! - `disk_full`: the worker's data directory on a tiny tmpfs.
//!
//! The worker killed mid-deploy and the control plane killed with SIGKILL are in
//! `deploy.rs` and `process.rs`.

mod disk_full;
mod docker_restart;
mod link_cut;
mod timeout;

use std::time::Duration;

use serde_json::Value;

use super::common::TestServer;

/// Registers a remote worker; returns its token.
pub async fn add_worker(s: &TestServer, id: &str) -> String {
    let (status, issued) = s.call_json("add_worker", &[("id", id), ("name", id)]).await;
    assert!(status.is_success(), "{issued}");
    issued["token"].as_str().expect("token").to_owned()
}

/// Creates a project on `worker` with a timeout of `timeout_secs`.
pub async fn create_on(s: &TestServer, id: &str, url: &str, worker: &str, timeout_secs: u32) {
    let timeout = timeout_secs.to_string();
    let form = [("id", id), ("repo_url", url), ("worker", worker), ("timeout_secs", timeout.as_str())];
    let (status, body) = s.call_json("create_project", &form).await;
    assert!(status.is_success(), "{body}");
}

/// A compose app of one long-running service `app` built from the repository; the
/// build runs `build_step` (e.g. a `sleep`) when given.
pub fn app_files(build_step: Option<&str>) -> Vec<(&'static str, String)> {
    let mut dockerfile = format!("FROM {}\n", nsm_testkit::BUSYBOX_IMAGE);
    if let Some(step) = build_step {
        dockerfile.push_str(&format!("RUN {step}\n"));
    }
    let compose = "services:\n  app:\n    build: .\n    init: true\n    command: [\"sleep\", \"3600\"]\n";
    vec![("compose.yaml", compose.to_owned()), ("Dockerfile", dockerfile)]
}

pub fn commit(repo: &nsm_testkit::FixtureRepo, files: &[(&'static str, String)], message: &str) {
    let files: Vec<(&str, &str)> = files.iter().map(|(n, c)| (*n, c.as_str())).collect();
    repo.commit(&files, message).expect("commit");
}

/// State and reason of an ended deployment, with its log for messages.
pub fn ending(detail: &Value) -> (String, String, String) {
    let state = detail["summary"]["state"].as_str().unwrap_or_default().to_owned();
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default().to_owned();
    (state, reason, nsm_testkit::deployment_log_text(detail))
}

/// The ids of containers carrying a compose project's label on `docker` (the host's
/// when `host` is None).
pub fn project_containers(project: &str, host: Option<&str>) -> Vec<String> {
    let mut command = std::process::Command::new("docker");
    command.args(["ps", "-aq", "--filter", &format!("label=com.docker.compose.project=nsm-{project}")]);
    if let Some(host) = host {
        command.env("DOCKER_HOST", host);
    }
    command
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A unique word for a build step, so Docker's cache never skips it.
pub fn fresh(word: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{word}-{}-{nanos}", std::process::id())
}

/// How long a deployment may take in these tests (builds on a busy 2-core machine).
pub const DEPLOY: Duration = Duration::from_secs(180);
