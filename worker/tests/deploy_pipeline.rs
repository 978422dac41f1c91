//! The deployment pipeline against the real Docker Engine, Compose and git: the
//! fixture app from `nsm-testkit`, cloned over file:// and smart HTTP, and
//! `examples/hello`.
// Helpers panic on a broken fixture, like the tests that call them.
#![allow(clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{fixture_shape, http_get, log_text, port_of, Deployer, TestResult, Unmanaged};
use nsm_core::changes::MajorChange;
use nsm_core::compose::{ServiceName, LABEL_DEPLOYMENT, LABEL_PROJECT};
use nsm_core::protocol::{DeployOutcome, DeployPhase, JobValue, JobVariable, ServiceExpectation, WorkerMessage};
use nsm_core::service::ServiceState;
use nsm_testkit::{docker_or_skip, fixture_app_files, FixtureApp, FixtureRepo, GitHttpServer};
use nsm_worker::CancellationToken;

fn commit_app(repo: &FixtureRepo, app: &FixtureApp, message: &str) -> TestResult<String> {
    let files = fixture_app_files(app);
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    Ok(repo.commit(&borrowed, message)?)
}

/// Adds a volume and a static resource's directory to the fixture's variables.
fn with_directories(spec: &mut nsm_core::protocol::DeploySpec) {
    let name = |n: &str| nsm_core::env::EnvName::parse(n).expect("valid name");
    spec.variables.push(JobVariable { name: name("DATA_DIR"), value: JobValue::Volume });
    spec.variables
        .push(JobVariable { name: name("DOCS_DIR"), value: JobValue::Directory { resource: "docs".to_owned() } });
    spec.directories = vec!["docs".to_owned()];
}

fn free_port() -> TestResult<u16> {
    Ok(std::net::TcpListener::bind("0.0.0.0:0")?.local_addr()?.port())
}

/// Whether no container runs `command` (a build step's), waiting a little: Docker
/// removes a build's container shortly after its client went away.
fn build_gone(command: &str) -> bool {
    for _ in 0..20 {
        let output = std::process::Command::new("docker")
            .args(["ps", "--no-trunc", "--format", "{{.Command}}"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        if !output.contains(command) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    false
}

/// A value `.env` must carry through unchanged: quotes, `$`, `#`, spaces, newlines.
const HOSTILE_GREETING: &str = "  it's \"quoted\" $HOME ${X:-y} $$ # not a comment\nsecond line\\ ";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploys_then_redeploys_over_http_keeping_ports() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let unmanaged = Unmanaged::start("redeploy")?;
    let deployer = Deployer::new("redeploy").await?;
    let repo = FixtureRepo::new()?;
    let first_commit =
        commit_app(&repo, &FixtureApp { page: format!("first page {}", unique()), ..Default::default() }, "v1")?;

    // Deploy 1 over file://: a free preferred port is kept, a reserved one never used.
    let web_preferred = free_port()?;
    let reserved = free_port()?;
    let mut spec = deployer.spec(101, &repo.file_url(), HOSTILE_GREETING);
    spec.reserved_ports = vec![reserved];
    spec.variables[0].value = JobValue::Port { resource: "web".to_owned(), preferred: Some(web_preferred) };
    spec.variables[1].value = JobValue::Port { resource: "api".to_owned(), preferred: Some(reserved) };
    with_directories(&mut spec);
    let (report, messages) = deployer.deploy(spec).await;
    let log = log_text(&messages);
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{log}");
    assert_eq!(report.commit.as_deref(), Some(first_commit.as_str()));
    let phases: Vec<DeployPhase> = messages
        .iter()
        .filter_map(|m| match m {
            WorkerMessage::DeployPhase { phase, .. } => Some(*phase),
            _ => None,
        })
        .collect();
    assert_eq!(phases, [DeployPhase::Preparing, DeployPhase::Starting, DeployPhase::Settling]);
    let web_port = port_of(&report, "web");
    let api_port = port_of(&report, "api");
    assert_eq!(web_port, web_preferred, "a free preferred port is kept");
    assert_ne!(api_port, reserved, "a reserved port is never handed out");
    assert!(report.services.iter().all(|s| s.ok && s.actual == ServiceState::Running), "{:?}", report.services);
    let masked = report.env_masked.clone().unwrap_or_default();
    assert!(masked.contains("GREETING=\"********\""), "{masked}");
    assert!(!masked.contains("quoted"), "secret values are masked: {masked}");
    let labels = report.compose_override.clone().unwrap_or_default();
    assert!(labels.contains(LABEL_PROJECT) && !labels.contains(LABEL_DEPLOYMENT), "{labels}");

    assert!(http_get(web_port, "/")?.contains("first page"));
    assert_eq!(http_get(api_port, "/cgi-bin/hello")?, HOSTILE_GREETING, ".env values reach the container unchanged");
    let first = deployer.containers().await;
    let first_ids: BTreeSet<String> = first.iter().map(|c| c.id.clone()).collect();
    let first_images: BTreeSet<String> = first.iter().filter_map(|c| c.image_id.clone()).collect();
    assert_eq!(first_ids.len(), 2);

    // The volume persists across deployments; a static resource's directory does not.
    let project_dir = deployer.host.data_dir().join("projects").join(deployer.project.as_str());
    std::fs::write(project_dir.join("volume/kept.txt"), "data")?;
    std::fs::write(project_dir.join("www/docs/stale.html"), "old")?;
    let env = std::fs::read_to_string(project_dir.join("current/.env"))?;
    assert!(env.contains(&format!("DATA_DIR=\"{}\"", project_dir.join("volume").display())), "{env}");

    // Deploy 2 over smart HTTP, preferring the ports the running deployment holds.
    let server = GitHttpServer::start(repo.path().parent().ok_or("no parent")?)?;
    let second_commit =
        commit_app(&repo, &FixtureApp { page: format!("second page {}", unique()), ..Default::default() }, "v2")?;
    let mut spec = deployer.spec(102, &server.url(repo.name()), "plain");
    spec.variables[0].value = JobValue::Port { resource: "web".to_owned(), preferred: Some(web_port) };
    spec.variables[1].value = JobValue::Port { resource: "api".to_owned(), preferred: Some(api_port) };
    with_directories(&mut spec);
    spec.reserved_ports = vec![reserved];
    let (report, messages) = deployer.deploy(spec).await;
    let log = log_text(&messages);
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{log}");
    assert_eq!(report.commit.as_deref(), Some(second_commit.as_str()));
    assert_eq!(
        (port_of(&report, "web"), port_of(&report, "api")),
        (web_port, api_port),
        "ports held by the project are kept"
    );
    assert!(log.contains("held by the running deployment"), "{log}");
    // Replaced images are removed in the background, after the report.
    for image in &first_images {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let inspect = std::process::Command::new("docker").args(["image", "inspect", image]).output()?;
            if !inspect.status.success() {
                break;
            }
            assert!(Instant::now() < deadline, "the replaced image {image} was not removed");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    let containers = deployer.containers().await;
    assert_eq!(containers.len(), 2);
    for container in &containers {
        assert!(!first_ids.contains(&container.id), "the first deployment's containers are gone");
        let accounted = deployer.host.ledger().deployment_of(&deployer.project, &container.id, &container.labels).await;
        assert_eq!(accounted, Some(nsm_core::DeploymentId(102)));
    }
    assert!(http_get(web_port, "/")?.contains("second page"));
    assert_eq!(http_get(api_port, "/cgi-bin/hello")?, "plain");

    assert!(project_dir.join("volume/kept.txt").exists(), "the volume is kept");
    assert!(project_dir.join("www/docs").is_dir() && !project_dir.join("www/docs/stale.html").exists());

    // Teardown removes the project and nothing else.
    deployer.host.teardown(&deployer.project).await?;
    assert!(deployer.compose_containers().is_empty(), "teardown leaves no container");
    assert_eq!(unmanaged.running(), 1, "a compose project NSM does not manage survives");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_fails_the_deployment_with_its_exit_code() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("failing").await?;
    let repo = FixtureRepo::new()?;
    commit_app(&repo, &FixtureApp { api_exit_code: Some(3), ..Default::default() }, "broken api")?;
    let (report, messages) = deployer.deploy(deployer.spec(201, &repo.file_url(), "x")).await;
    let log = log_text(&messages);
    let DeployOutcome::Failed { reason } = &report.outcome else {
        panic!("expected Failed: {:?}\n{log}", report.outcome)
    };
    assert!(reason.contains("`api`") && reason.contains("exit code 3"), "{reason}");
    let api = report.services.iter().find(|s| s.service == "api").ok_or("no api result")?;
    assert_eq!((api.actual, api.exit_code, api.ok), (ServiceState::Exited, Some(3), false));
    assert!(report.services.iter().any(|s| s.service == "web" && s.ok));
    assert!(log.contains("exit code 3"), "{log}");
    assert!(log.contains("api | api: failing on purpose"), "the service's last log lines are shown:\n{log}");
    assert!(log.contains("api | api: bye"), "{log}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_build_outliving_the_timeout_is_killed_and_leaves_nothing() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let unmanaged = Unmanaged::start("timeout")?;
    let deployer = Deployer::new("timeout").await?;
    let repo = FixtureRepo::new()?;
    commit_app(&repo, &FixtureApp { build_sleep_secs: Some(121), ..Default::default() }, "slow build")?;
    let mut spec = deployer.spec(301, &repo.file_url(), "x");
    spec.timeout_secs = 8;
    let started = Instant::now();
    let (report, messages) = deployer.deploy(spec).await;
    let log = log_text(&messages);
    let DeployOutcome::TimedOut { reason } = &report.outcome else {
        panic!("expected TimedOut: {:?}\n{log}", report.outcome)
    };
    assert!(reason.contains("8 s") && reason.contains("starting"), "{reason}");
    assert!(started.elapsed() < Duration::from_secs(40), "the job stopped promptly: {:?}", started.elapsed());
    assert!(deployer.compose_containers().is_empty(), "no container is left behind");
    assert!(build_gone("sleep 121"), "the build's container was stopped");
    assert_eq!(unmanaged.running(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn major_changes_and_early_cancels_leave_production_running() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("reject").await?;
    let repo = FixtureRepo::new()?;
    commit_app(&repo, &FixtureApp::default(), "v1")?;
    let (report, messages) = deployer.deploy(deployer.spec(401, &repo.file_url(), "x")).await;
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{}", log_text(&messages));
    let web_port = port_of(&report, "web");
    let running: BTreeSet<String> = deployer.containers().await.into_iter().map(|c| c.id).collect();

    // A new service in the repository: rejected before anything is touched.
    commit_app(&repo, &FixtureApp { extra_service: true, ..Default::default() }, "add a service")?;
    let (report, messages) = deployer.deploy(deployer.spec(402, &repo.file_url(), "x")).await;
    let log = log_text(&messages);
    assert_eq!(
        report.outcome,
        DeployOutcome::Rejected { changes: vec![MajorChange::ServiceAdded(ServiceName::parse("extra")?)] },
        "{log}"
    );
    assert!(log.contains("service `extra` was added"), "{log}");
    assert!(!messages.iter().any(|m| matches!(m, WorkerMessage::DeployPhase { phase: DeployPhase::Starting, .. })));

    // Saved configuration updated, but the job is cancelled before it starts.
    let mut spec = deployer.spec(403, &repo.file_url(), "x");
    spec.saved.services.insert(ServiceName::parse("extra")?);
    let cancel = CancellationToken::new();
    cancel.cancel();
    let (report, messages) = deployer.deploy_with(spec, cancel).await;
    assert!(matches!(report.outcome, DeployOutcome::Cancelled { .. }), "{:?}\n{}", report.outcome, log_text(&messages));

    let still: BTreeSet<String> = deployer.containers().await.into_iter().map(|c| c.id).collect();
    assert_eq!(still, running, "the running deployment was not touched");
    assert!(http_get(web_port, "/")?.contains("hello from nsm"));
    assert_eq!(fixture_shape().services.len(), 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_during_the_build_removes_the_project() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("cancel").await?;
    let repo = FixtureRepo::new()?;
    commit_app(&repo, &FixtureApp::default(), "v1")?;
    let (report, _) = deployer.deploy(deployer.spec(501, &repo.file_url(), "x")).await;
    assert_eq!(report.outcome, DeployOutcome::Succeeded);

    commit_app(&repo, &FixtureApp { build_sleep_secs: Some(122), ..Default::default() }, "slow")?;
    let cancel = CancellationToken::new();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(6)).await;
        trigger.cancel();
    });
    let started = Instant::now();
    let (report, messages) = deployer.deploy_with(deployer.spec(502, &repo.file_url(), "x"), cancel).await;
    let log = log_text(&messages);
    let DeployOutcome::Cancelled { reason } = &report.outcome else {
        panic!("expected Cancelled: {:?}\n{log}", report.outcome)
    };
    assert!(reason.contains("starting"), "{reason}\n{log}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(deployer.compose_containers().is_empty(), "a cancelled start leaves no container");
    assert!(build_gone("sleep 122"), "the build's container was stopped");
    Ok(())
}

/// The files of `examples/hello`, as committed to a repository.
fn example_files() -> TestResult<Vec<(String, String)>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hello");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let name = path.strip_prefix(&root)?.to_string_lossy().into_owned();
            if name == ".env" || name == "out" {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else {
                files.push((name, std::fs::read_to_string(&path)?));
            }
        }
    }
    Ok(files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hello_example_deploys() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("hello").await?;
    let repo = FixtureRepo::new()?;
    let files = example_files()?;
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    repo.commit(&borrowed, "the hello example")?;

    let name = |n: &str| nsm_core::env::EnvName::parse(n).expect("valid name");
    let mut spec = deployer.spec(701, &repo.file_url(), "Hello from the test");
    spec.saved = nsm_core::changes::SavedShape {
        compose_file: true,
        services: ["site", "api"].iter().map(|s| ServiceName::parse(s).expect("valid service")).collect(),
        variables: ["SITE_DIR", "API_PORT", "GREETING"].iter().map(|v| name(v)).collect(),
    };
    spec.variables = vec![
        JobVariable { name: name("SITE_DIR"), value: JobValue::Directory { resource: "site".to_owned() } },
        JobVariable { name: name("API_PORT"), value: JobValue::Port { resource: "api".to_owned(), preferred: None } },
        JobVariable {
            name: name("GREETING"),
            value: JobValue::Text { text: "Hello from the test".to_owned(), secret: false },
        },
    ];
    spec.directories = vec!["site".to_owned()];
    spec.services = vec![
        ServiceExpectation { service: "site".to_owned(), expected: ServiceState::Exited },
        ServiceExpectation { service: "api".to_owned(), expected: ServiceState::Running },
    ];
    let (report, messages) = deployer.deploy(spec).await;
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{}", log_text(&messages));
    let page = deployer.host.data_dir().join(format!("projects/{}/www/site/index.html", deployer.project));
    assert!(std::fs::read_to_string(page)?.contains("Hello from NSM"));
    assert_eq!(http_get(port_of(&report, "api"), "/api/greeting.txt")?, "Hello from the test\n");
    Ok(())
}

/// Page text no other test (or earlier run) built: the image cache is shared by every
/// test on the machine, and a cached build would replace no image.
fn unique() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}
