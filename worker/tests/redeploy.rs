//! Redeploys restart only what changed: a three-service app (an image-only `db` and two
//! services built from the repository) against the real Docker Engine and Compose.
// Helpers panic on a broken fixture, like the tests that call them.
#![allow(clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::{log_text, Deployer, TestResult};
use nsm_core::changes::SavedShape;
use nsm_core::compose::{ServiceName, LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::{ContainerAction, DeployOutcome, DeployReport, DeploySpec, ServiceExpectation};
use nsm_core::service::ServiceState;
use nsm_core::DeploymentId;
use nsm_testkit::{docker_or_skip, FixtureRepo, BUSYBOX_IMAGE};

const SERVICES: [&str; 3] = ["db", "web", "api"];

/// The app's files; `web` and `api` each build from their own directory and serve a
/// page naming `version`s of their own.
fn app_files(web: &str, api: &str) -> Vec<(String, String)> {
    let compose = format!(
        r#"services:
  db:
    image: {BUSYBOX_IMAGE}
    init: true
    command: ["sleep", "3600"]
  web:
    build: ./web
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv"]
  api:
    build: ./api
    init: true
    command: ["httpd", "-f", "-p", "8081", "-h", "/srv"]
"#
    );
    let dockerfile = format!("FROM {BUSYBOX_IMAGE}\nCOPY index.html /srv/index.html\n");
    vec![
        ("compose.yaml".to_owned(), compose),
        ("web/Dockerfile".to_owned(), dockerfile.clone()),
        ("web/index.html".to_owned(), format!("web {web}\n")),
        ("api/Dockerfile".to_owned(), dockerfile),
        ("api/index.html".to_owned(), format!("api {api}\n")),
    ]
}

fn commit(repo: &FixtureRepo, web: &str, api: &str, message: &str) -> TestResult<String> {
    let files = app_files(web, api);
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    Ok(repo.commit(&borrowed, message)?)
}

fn spec(deployer: &Deployer, deployment: i64, url: &str) -> DeploySpec {
    let mut spec = deployer.spec(deployment, url, "unused");
    spec.saved = SavedShape {
        compose_file: true,
        services: SERVICES.iter().map(|s| ServiceName::parse(s).expect("valid service")).collect(),
        variables: Default::default(),
    };
    spec.variables = Vec::new();
    spec.services = SERVICES
        .iter()
        .map(|s| ServiceExpectation { service: (*s).to_owned(), expected: ServiceState::Running })
        .collect();
    spec
}

/// Each service's container id and Docker's `StartedAt`.
async fn started(deployer: &Deployer) -> TestResult<BTreeMap<String, (String, String)>> {
    let mut found = BTreeMap::new();
    for container in deployer.containers().await {
        let service = container.labels.get(LABEL_SERVICE).cloned().ok_or("a container without its service label")?;
        let output =
            Command::new("docker").args(["inspect", "--format", "{{.State.StartedAt}}", &container.id]).output()?;
        let at = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        assert!(found.insert(service, (container.id, at)).is_none(), "one container per service");
    }
    Ok(found)
}

fn actions(report: &DeployReport) -> BTreeMap<(String, ContainerAction), usize> {
    let mut counted = BTreeMap::new();
    for account in &report.containers {
        *counted.entry((account.service.clone().unwrap_or_default(), account.action)).or_default() += 1;
    }
    counted
}

async fn deploy_ok(deployer: &Deployer, spec: DeploySpec) -> DeployReport {
    let (report, messages) = deployer.deploy(spec).await;
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{}", log_text(&messages));
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redeploy_recreates_only_the_changed_service_unless_forced() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("onechanged").await?;
    let repo = FixtureRepo::new()?;
    let tag = format!("{}-{}", std::process::id(), unique());
    commit(&repo, &format!("1 {tag}"), &format!("1 {tag}"), "v1")?;
    let first = deploy_ok(&deployer, spec(&deployer, 1001, &repo.file_url())).await;
    assert!(first.containers.iter().all(|a| a.action == ContainerAction::Started), "{:?}", first.containers);
    let before = started(&deployer).await?;
    assert_eq!(before.len(), 3);

    // Only `api` changes: `db` (same image) and `web` (the same build, rebuilt from a
    // fresh checkout to the same image id) keep running, same container, not restarted.
    commit(&repo, &format!("1 {tag}"), &format!("2 {tag}"), "api only")?;
    let (second, messages) = deployer.deploy(spec(&deployer, 1002, &repo.file_url())).await;
    let log = log_text(&messages);
    assert_eq!(second.outcome, DeployOutcome::Succeeded, "{log}");
    assert!(log.contains("new objects)"), "the second deployment fetched into the mirror:\n{log}");
    let after = started(&deployer).await?;
    for unchanged in ["db", "web"] {
        assert_eq!(after[unchanged], before[unchanged], "{unchanged} kept its container and start time\n{log}");
    }
    assert_ne!(after["api"].0, before["api"].0, "api was recreated\n{log}");
    let counted = actions(&second);
    assert_eq!(counted.get(&("db".to_owned(), ContainerAction::Kept)), Some(&1), "{:?}", second.containers);
    assert_eq!(counted.get(&("web".to_owned(), ContainerAction::Kept)), Some(&1), "{:?}", second.containers);
    assert_eq!(counted.get(&("api".to_owned(), ContainerAction::Started)), Some(&1), "{:?}", second.containers);
    let replaced = second.containers.iter().find(|a| a.action == ContainerAction::Removed).ok_or("no removal")?;
    assert_eq!((replaced.container.as_str(), replaced.previous), (before["api"].0.as_str(), Some(DeploymentId(1001))));
    assert!(log.contains("Kept running, unchanged: db") || log.contains("Kept running, unchanged: web"), "{log}");
    // Every container now speaks for the new deployment, kept ones included.
    for container in deployer.containers().await {
        let accounted = deployer.host.ledger().deployment_of(&deployer.project, &container.id, &container.labels).await;
        assert_eq!(accounted, Some(DeploymentId(1002)), "{}", container.id);
    }

    // Restart everything: every service gets a new container.
    let mut forced = spec(&deployer, 1003, &repo.file_url());
    forced.force_recreate = true;
    let (third, messages) = deployer.deploy(forced).await;
    let log = log_text(&messages);
    assert_eq!(third.outcome, DeployOutcome::Succeeded, "{log}");
    assert!(log.contains("--force-recreate"), "{log}");
    let recreated = started(&deployer).await?;
    for service in SERVICES {
        assert_ne!(recreated[service].0, after[service].0, "{service} was recreated\n{log}");
    }
    let counted = actions(&third);
    for service in SERVICES {
        assert_eq!(counted.get(&(service.to_owned(), ContainerAction::Started)), Some(&1), "{:?}", third.containers);
        assert_eq!(counted.get(&(service.to_owned(), ContainerAction::Removed)), Some(&1), "{:?}", third.containers);
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_project_set_stays_exact_when_a_service_goes_and_strangers_appear() -> TestResult {
    if !docker_or_skip() {
        return Ok(());
    }
    let deployer = Deployer::new("exact").await?;
    let repo = FixtureRepo::new()?;
    let tag = format!("{}-{}", std::process::id(), unique());
    commit(&repo, &tag, &tag, "v1")?;
    deploy_ok(&deployer, spec(&deployer, 2001, &repo.file_url())).await;
    let before = started(&deployer).await?;

    // A container someone started by hand with the project's labels, and the compose
    // file without `api` (the saved configuration already reviewed).
    let stranger = format!("{}-by-hand", deployer.project);
    let project_label = format!("{LABEL_PROJECT}={}", deployer.project);
    let service_label = format!("{LABEL_SERVICE}=web");
    let run = Command::new("docker")
        .args(["run", "-d", "--name", &stranger, "--label", &project_label, "--label", &service_label])
        .args([BUSYBOX_IMAGE, "sleep", "300"])
        .output()?;
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let stranger_id = String::from_utf8_lossy(&run.stdout).trim().to_owned();
    let by_hand = deployer.host.ledger().deployment_of(&deployer.project, &stranger_id, &Default::default()).await;
    assert_eq!(by_hand, None, "a container no deployment started is reported as nobody's");

    let mut files = app_files(&tag, &tag);
    files[0].1 = files[0].1.replace(&files[0].1[files[0].1.find("  api:").ok_or("no api")?..], "");
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, c)| (n.as_str(), c.as_str())).collect();
    repo.commit(&borrowed, "api removed")?;
    let mut next = spec(&deployer, 2002, &repo.file_url());
    next.saved.services.remove(&ServiceName::parse("api")?);
    next.services.retain(|s| s.service != "api");
    let (report, messages) = deployer.deploy(next).await;
    let log = log_text(&messages);
    assert_eq!(report.outcome, DeployOutcome::Succeeded, "{log}");

    let after = started(&deployer).await?;
    assert_eq!(after.keys().map(String::as_str).collect::<Vec<_>>(), ["db", "web"], "{log}");
    assert_eq!((&after["db"], &after["web"]), (&before["db"], &before["web"]), "{log}");
    let removed: BTreeMap<&str, Option<DeploymentId>> = report
        .containers
        .iter()
        .filter(|a| a.action == ContainerAction::Removed)
        .map(|a| (a.container.as_str(), a.previous))
        .collect();
    assert_eq!(removed.get(before["api"].0.as_str()), Some(&Some(DeploymentId(2001))), "{:?}", report.containers);
    assert_eq!(removed.get(stranger_id.as_str()), Some(&None), "{:?}", report.containers);
    assert_eq!(removed.len(), 2, "{:?}", report.containers);
    let kept = report.containers.iter().filter(|a| a.action == ContainerAction::Kept).count();
    assert_eq!(kept, 2, "{:?}", report.containers);
    Ok(())
}

fn unique() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default()
}
