//! Shared by the worker's integration tests: a host on a temporary data directory,
//! deploy specs for the testkit's fixture app, and clean-up of every Docker object a
//! test's project created.
// Helpers panic on a broken fixture, like the tests that call them.
#![allow(dead_code, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use nsm_core::changes::SavedShape;
use nsm_core::compose::{ServiceName, LABEL_PROJECT};
use nsm_core::env::EnvName;
use nsm_core::protocol::{
    DeployReport, DeploySpec, JobValue, JobVariable, LogStream, RepoSource, ServiceExpectation, WorkerMessage,
};
use nsm_core::service::ServiceState;
use nsm_core::{DeploymentId, ProjectId, WorkerId};
use nsm_testkit::{docker_ids, FIXTURE_SERVICES, FIXTURE_VARIABLES};
use nsm_worker::docker::{ContainerInfo, LabelFilter};
use nsm_worker::{CancellationToken, Host};
use tempfile::TempDir;

pub type TestResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

/// A worker host for one test project, cleaned up on drop.
pub struct Deployer {
    pub host: Host,
    pub project: ProjectId,
    _cleanup: Cleanup,
    _data: TempDir,
}

impl Deployer {
    pub async fn new(name: &str) -> TestResult<Self> {
        nsm_testkit::ensure_busybox_image()?;
        let project = ProjectId::parse(&format!("wt-{name}-{}", std::process::id()))?;
        let cleanup = Cleanup::project(&project);
        let data = tempfile::tempdir()?;
        let host =
            Host::detect(WorkerId::parse("test-node")?, data.path().to_owned(), &nsm_worker::EdgeConfig::off()).await?;
        Ok(Self { host, project, _cleanup: cleanup, _data: data })
    }

    pub fn compose_project(&self) -> String {
        format!("nsm-{}", self.project)
    }

    /// A spec deploying the fixture app: ports for `web` and `api`, a greeting, both
    /// services expected running.
    pub fn spec(&self, deployment: i64, url: &str, greeting: &str) -> DeploySpec {
        let var = |name: &str, value| JobVariable { name: EnvName::parse(name).expect("valid name"), value };
        DeploySpec {
            deployment: DeploymentId(deployment),
            project: self.project.clone(),
            source: RepoSource { url: url.to_owned(), branch: "main".to_owned(), token: None },
            commit: None,
            saved: fixture_shape(),
            variables: vec![
                var("WEB_PORT", JobValue::Port { resource: "web".to_owned(), preferred: None }),
                var("API_PORT", JobValue::Port { resource: "api".to_owned(), preferred: None }),
                var("GREETING", JobValue::Text { text: greeting.to_owned(), secret: true }),
            ],
            reserved_ports: Vec::new(),
            directories: Vec::new(),
            services: FIXTURE_SERVICES
                .iter()
                .map(|s| ServiceExpectation { service: (*s).to_owned(), expected: ServiceState::Running })
                .collect(),
            timeout_secs: 120,
            settle_secs: 20,
            policy: Default::default(),
            force_recreate: false,
        }
    }

    pub async fn deploy(&self, spec: DeploySpec) -> (DeployReport, Vec<WorkerMessage>) {
        self.deploy_with(spec, CancellationToken::new()).await
    }

    /// Runs the pipeline and checks the message contract: exactly one
    /// `DeployFinished`, last, carrying the returned report.
    pub async fn deploy_with(&self, spec: DeploySpec, cancel: CancellationToken) -> (DeployReport, Vec<WorkerMessage>) {
        let deployment = spec.deployment;
        let (out, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let report = self.host.deploy(spec, cancel, &out, &nsm_worker::NoEdgePlans).await;
        drop(out);
        let mut messages = Vec::new();
        while let Some(message) = rx.recv().await {
            messages.push(message);
        }
        let finished: Vec<&WorkerMessage> =
            messages.iter().filter(|m| matches!(m, WorkerMessage::DeployFinished { .. })).collect();
        assert_eq!(finished.len(), 1, "exactly one DeployFinished");
        assert_eq!(
            messages.last(),
            Some(&WorkerMessage::DeployFinished { deployment, report: Box::new(report.clone()) }),
            "DeployFinished comes last and carries the report"
        );
        (report, messages)
    }

    /// The project's containers (by NSM's label).
    pub async fn containers(&self) -> Vec<ContainerInfo> {
        self.host
            .engine()
            .list_containers(&LabelFilter::is(LABEL_PROJECT, self.project.as_str()))
            .await
            .unwrap_or_default()
    }

    /// Every container of the compose project, labelled by NSM or not.
    pub fn compose_containers(&self) -> Vec<String> {
        docker_ids(&["ps", "-aq", "--filter", &format!("label=com.docker.compose.project={}", self.compose_project())])
    }
}

/// The saved configuration matching the fixture app.
pub fn fixture_shape() -> SavedShape {
    SavedShape {
        compose_file: true,
        services: FIXTURE_SERVICES.iter().map(|s| ServiceName::parse(s).expect("valid service")).collect(),
        variables: FIXTURE_VARIABLES.iter().map(|v| EnvName::parse(v).expect("valid name")).collect(),
    }
}

/// Every log line's text, one per line, prefixed by its stream.
pub fn log_text(messages: &[WorkerMessage]) -> String {
    let mut text = String::new();
    for message in messages {
        if let WorkerMessage::DeployLog { line, .. } = message {
            let stream = match line.stream {
                LogStream::System => "system",
                LogStream::Stdout => "stdout",
                LogStream::Stderr => "stderr",
            };
            text.push_str(&format!("[{stream}] {}\n", line.text));
        }
    }
    text
}

pub fn port_of(report: &DeployReport, resource: &str) -> u16 {
    report.ports.iter().find(|(r, _)| r == resource).map(|(_, p)| *p).expect("a port for the resource")
}

/// GETs `path` from 127.0.0.1:`port` (HTTP/1.0), retrying while the server starts.
/// Returns the body.
pub fn http_get(port: u16, path: &str) -> TestResult<String> {
    let started = Instant::now();
    loop {
        match try_get(port, path) {
            Ok(body) => return Ok(body),
            Err(error) if started.elapsed() > Duration::from_secs(15) => {
                return Err(format!("GET :{port}{path}: {error}").into())
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

fn try_get(port: u16, path: &str) -> TestResult<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8(response)?;
    let (head, body) = response.split_once("\r\n\r\n").ok_or("no HTTP header in the answer")?;
    if !head.starts_with("HTTP/1.0 200") && !head.starts_with("HTTP/1.1 200") {
        return Err(format!("status: {}", head.lines().next().unwrap_or_default()).into());
    }
    Ok(body.to_owned())
}

/// Starts a compose project NSM does not manage (`nsmtest-unmanaged-…`), removed on drop.
pub struct Unmanaged {
    pub name: String,
    dir: TempDir,
}

impl Unmanaged {
    pub fn start(tag: &str) -> TestResult<Self> {
        let name = format!("nsmtest-unmanaged-{tag}-{}", std::process::id());
        let dir = tempfile::tempdir()?;
        std::fs::write(
            dir.path().join("docker-compose.yml"),
            format!(
                "services:\n  idle:\n    image: {}\n    init: true\n    command: [\"sleep\", \"3600\"]\n",
                nsm_testkit::BUSYBOX_IMAGE
            ),
        )?;
        let unmanaged = Self { name, dir };
        let output = unmanaged.compose(&["up", "-d"]).output()?;
        if !output.status.success() {
            return Err("starting the unmanaged project failed".into());
        }
        Ok(unmanaged)
    }

    pub fn running(&self) -> usize {
        docker_ids(&[
            "ps",
            "-q",
            "--filter",
            &format!("label=com.docker.compose.project={}", self.name),
            "--filter",
            "status=running",
        ])
        .len()
    }

    fn compose(&self, args: &[&str]) -> Command {
        let mut command = Command::new("docker-compose");
        command.args(["-p", &self.name]).args(args).current_dir(self.dir.path());
        command
    }
}

impl Drop for Unmanaged {
    fn drop(&mut self) {
        let _ = self.compose(&["down", "--remove-orphans", "--timeout", "1"]).output();
    }
}

/// Removes a test project's containers, networks and built images on drop, passing or failing.
struct Cleanup {
    compose_project: String,
    project: String,
}

impl Cleanup {
    fn project(project: &ProjectId) -> Self {
        Self { compose_project: format!("nsm-{project}"), project: project.to_string() }
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        for label in [
            format!("label=com.docker.compose.project={}", self.compose_project),
            format!("label={LABEL_PROJECT}={}", self.project),
        ] {
            let ids = docker_ids(&["ps", "-aq", "--filter", &label]);
            if !ids.is_empty() {
                let _ = Command::new("docker").args(["rm", "-f"]).args(&ids).output();
            }
            let networks = docker_ids(&["network", "ls", "-q", "--filter", &label]);
            if !networks.is_empty() {
                let _ = Command::new("docker").args(["network", "rm"]).args(&networks).output();
            }
        }
        // Compose v1 names built images `<project>_<service>`, v2 `<project>-<service>`.
        let images = Command::new("docker")
            .args(["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let ours: Vec<&str> = images
            .lines()
            .filter(|image| {
                image.starts_with(&format!("{}_", self.compose_project))
                    || image.starts_with(&format!("{}-", self.compose_project))
            })
            .collect();
        if !ours.is_empty() {
            let _ = Command::new("docker").args(["rmi", "-f"]).args(&ours).output();
        }
    }
}
