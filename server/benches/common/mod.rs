//! What the server benches share: a real control plane on a temporary data directory
//! with its embedded worker, a signed-in HTTP client standing in for the browser, and
//! a one-service project deployed on it.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use reqwest::{Client, Response};
use serde_json::Value;

pub struct BenchServer {
    pub server: nsm_server::RunningServer,
    pub base: String,
    pub browser: Client,
    _data: tempfile::TempDir,
    _repo: Option<nsm_testkit::FixtureRepo>,
}

impl BenchServer {
    pub async fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        let settings = nsm_server::Settings::for_data_dir(data.path().to_path_buf());
        let server = nsm_server::start(settings).await.unwrap();
        let base = format!("http://{}", server.addr);
        let browser = Client::builder().cookie_store(true).build().unwrap();
        let bench = Self { server, base, browser, _data: data, _repo: None };
        let password = "bench password 123";
        bench.call("setup_admin", &[("username", "bench"), ("password", password), ("confirm", password)]).await;
        bench
    }

    /// Calls a server function as the browser does; panics unless it succeeds.
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Response {
        let response = self
            .browser
            .post(format!("{}/api/fn/{endpoint}", self.base))
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{endpoint}: {}", response.status());
        response
    }

    /// Deploys `project` from a repository holding `compose` (one service,
    /// `service`, expected running) and returns the service's container id.
    pub async fn deploy_one(&mut self, project: &str, service: &str, compose: &str) -> String {
        let repo = nsm_testkit::FixtureRepo::new().unwrap();
        repo.commit(&[("compose.yaml", compose)], "bench app").unwrap();
        self.call("create_project", &[("id", project), ("repo_url", &repo.file_url())]).await;
        self._repo = Some(repo);
        tokio::time::sleep(Duration::from_secs(2)).await; // the embedded worker connects
        self.call("sync_project", &[("id", project)]).await;
        self.call("update_service", &[("id", project), ("service", service), ("expected", "running")]).await;
        let deployment: i64 = self.call("deploy_project", &[("id", project)]).await.json().await.unwrap();
        loop {
            let detail: Value =
                self.call("get_deployment", &[("deployment", &deployment.to_string())]).await.json().await.unwrap();
            match detail["summary"]["state"].as_str().unwrap_or_default() {
                "succeeded" => break,
                "failed" | "timed_out" | "cancelled" => panic!("the deployment did not succeed: {detail}"),
                _ => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
        let label = format!("label=com.docker.compose.project=nsm-{project}");
        let ids = nsm_testkit::docker_ids(&["ps", "-aq", "--filter", &label]);
        assert_eq!(ids.len(), 1, "{ids:?}");
        ids[0].clone()
    }

    pub async fn finish(self, project: &str) {
        self.call("teardown_project", &[("id", project)]).await;
        self.server.shutdown().await.unwrap();
    }
}

/// The value at fraction `p` of sorted samples (nearest rank).
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn docker(args: &[&str]) {
    let out = std::process::Command::new("docker").args(args).output().unwrap();
    assert!(out.status.success(), "docker {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}
