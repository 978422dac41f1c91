//! Deploy overhead: NSM redeploying an app (fetch into the project's mirror, discovery,
//! `.env`, replacing the running deployment, settle) against the floor done by hand in
//! the same run (`git clone --depth 1` + `docker-compose up -d --build`). Both sides
//! replace a running deployment of the same app, on the same commit, one new commit per
//! round; rounds interleave NSM and the floor, alternating which goes first, so load
//! that comes and goes on the machine hits both alike. Cases:
//!
//! - `fixture`: the testkit's two-service app; every round changes the page both
//!   services build from, so both sides rebuild and recreate both;
//! - `one-of-three`: `db` (an image), `web` and `api` (built from their directories);
//!   each round changes `api` only. NSM recreates `api` alone (asserted: `db` and `web`
//!   keep their containers); the floor, cloned into a new directory, rebuilds and
//!   recreates what Compose sees as changed;
//! - `history`: a one-service app in a repository with 1,000 commits and ~50 MB of
//!   history (5 MB at the tip), made in the bench's temporary directory: NSM fetches
//!   the new commit into its mirror, the floor clones the tip again.
//!
//! ```text
//! cargo bench -p nsm-server --bench deploy                  # 11 rounds per case
//! NSM_BENCH_ROUNDS=21 NSM_BENCH_CASES=one-of-three cargo bench -p nsm-server --bench deploy
//! ```
//!
//! Needs a Docker daemon (`bash scripts/services.sh`). Prints every round, then per case
//! the median ratio NSM / floor with its IQR and min–max, and NSM's stages.

// A benchmark's report is its output.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "deploy/apps.rs"]
mod apps;
#[path = "deploy/stats.rs"]
mod stats;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nsm_testkit::{docker_available, docker_ids, ensure_busybox_image, free_port, FixtureRepo};
use reqwest::Client;
use serde_json::Value;
use stats::{ms, parse_took, report, Round};

fn compose_cli() -> Vec<&'static str> {
    let v2 = Command::new("docker").args(["compose", "version"]).output().map(|o| o.status.success()).unwrap_or(false);
    if v2 {
        vec!["docker", "compose"]
    } else {
        vec!["docker-compose"]
    }
}

/// The floor: what a person would type to redeploy, with the same `.env` values.
/// Returns the whole time and the clone's part of it.
fn floor_round(url: &str, dir: &Path, compose_project: &str, env: Option<&str>) -> (Duration, Duration) {
    let started = Instant::now();
    let status = Command::new("git").args(["clone", "--quiet", "--depth", "1", url]).arg(dir).status().unwrap();
    assert!(status.success());
    let cloned = started.elapsed();
    if let Some(env) = env {
        std::fs::write(dir.join(".env"), env).unwrap();
    }
    let cli = compose_cli();
    let status = Command::new(cli[0])
        .args(&cli[1..])
        .args(["-p", compose_project, "up", "-d", "--build", "--quiet-pull"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "floor compose up failed");
    (started.elapsed(), cloned)
}

fn floor_down(dir: &Path, compose_project: &str) {
    let cli = compose_cli();
    let _ = Command::new(cli[0])
        .args(&cli[1..])
        .args(["-p", compose_project, "down", "--remove-orphans", "--rmi", "local"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

struct Nsm {
    client: Client,
    base: String,
}

impl Nsm {
    async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let response = self.client.post(format!("{}/api/fn/{endpoint}", self.base)).form(form).send().await.unwrap();
        assert!(response.status().is_success(), "{endpoint}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    /// One deployment, timed from the request to the recorded end; also returns the
    /// worker's stages from the log's `Took …` line.
    async fn round(&self, project: &str) -> (Duration, Vec<(String, f64)>) {
        let started = Instant::now();
        let id = self.call("deploy_project", &[("id", project)]).await.as_i64().unwrap();
        loop {
            let detail = self.call("get_deployment", &[("deployment", &id.to_string())]).await;
            match detail["summary"]["state"].as_str().unwrap_or_default() {
                "succeeded" => {
                    let took = started.elapsed();
                    let lines = detail["log"].as_array().cloned().unwrap_or_default();
                    let timing = lines.iter().filter_map(|l| l["text"].as_str()).find(|t| t.starts_with("Took "));
                    return (took, parse_took(timing.unwrap_or_default()));
                }
                "failed" | "timed_out" | "cancelled" => panic!("deployment failed: {detail}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }
}

/// Commits round `n`'s change into the case's repository.
type NextCommit = Box<dyn Fn(&FixtureRepo, usize)>;

/// One case: a project on NSM and its floor twin, fed the same commits.
struct Case {
    name: &'static str,
    project: String,
    floor_project: String,
    repo: FixtureRepo,
    /// The floor's `.env` (NSM gets the same variables with their own values).
    floor_env: Option<String>,
    /// Commits round `n`'s change.
    next: NextCommit,
    /// Services whose containers must survive every round on NSM.
    kept: &'static [&'static str],
    /// A service NSM must recreate every round.
    recreated: Option<&'static str>,
}

fn service_container(project: &str, service: &str) -> String {
    let ids = docker_ids(&[
        "ps",
        "-q",
        "--no-trunc",
        "--filter",
        &format!("label=dev.nsm.project={project}"),
        "--filter",
        &format!("label=dev.nsm.service={service}"),
    ]);
    assert_eq!(ids.len(), 1, "{project}/{service}: {ids:?}");
    ids[0].clone()
}

async fn run_case(nsm: &Nsm, case: &Case, work: &Path, rounds: usize) -> Vec<Round> {
    nsm.call("create_project", &[("id", &case.project), ("repo_url", &case.repo.file_url())]).await;
    if case.floor_env.is_some() {
        let (web, api) = (free_port().to_string(), free_port().to_string());
        for (name, value) in [("WEB_PORT", web.as_str()), ("API_PORT", api.as_str()), ("GREETING", "hello")] {
            let form =
                [("id", case.project.as_str()), ("original", ""), ("name", name), ("kind", "plain"), ("value", value)];
            nsm.call("save_variable", &form).await;
        }
    }
    let floor_dir = |round: usize| -> PathBuf { work.join(format!("{}-floor-{round}", case.name)) };
    // Warm both paths (image cache, the first sync, the mirror).
    (case.next)(&case.repo, 0);
    nsm.round(&case.project).await;
    floor_round(&case.repo.file_url(), &floor_dir(0), &case.floor_project, case.floor_env.as_deref());
    let kept: Vec<(&str, String)> = case.kept.iter().map(|s| (*s, service_container(&case.project, s))).collect();

    let mut results = Vec::new();
    for round in 1..=rounds {
        (case.next)(&case.repo, round);
        let recreated_before = case.recreated.map(|s| service_container(&case.project, s));
        let floor_side =
            || floor_round(&case.repo.file_url(), &floor_dir(round), &case.floor_project, case.floor_env.as_deref());
        let ((nsm_took, stages), (floor_took, cloned)) = if round % 2 == 1 {
            let n = nsm.round(&case.project).await;
            (n, floor_side())
        } else {
            let f = floor_side();
            (nsm.round(&case.project).await, f)
        };
        for (service, id) in &kept {
            assert_eq!(&service_container(&case.project, service), id, "{}: NSM kept `{service}`", case.name);
        }
        if let (Some(service), Some(before)) = (case.recreated, recreated_before) {
            assert_ne!(service_container(&case.project, service), before, "{}: NSM recreated `{service}`", case.name);
        }
        let shown: Vec<String> = stages.iter().map(|(n, s)| format!("{n} {:.0}", s * 1e3)).collect();
        println!(
            "{} round {round:>2} ({} first): nsm {:>6.0} ms, floor {:>6.0} ms (clone {:>4.0} ms), ratio {:.3}  [nsm ms: {}]",
            case.name,
            if round % 2 == 1 { "nsm" } else { "floor" },
            ms(nsm_took),
            ms(floor_took),
            ms(cloned),
            nsm_took.as_secs_f64() / floor_took.as_secs_f64(),
            shown.join(", ")
        );
        results.push(Round { nsm: nsm_took, floor: floor_took, stages });
    }
    floor_down(&floor_dir(rounds), &case.floor_project);
    nsm.call("teardown_project", &[("id", &case.project)]).await;
    results
}

#[tokio::main]
async fn main() {
    if !docker_available() {
        println!("deploy bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    ensure_busybox_image().unwrap();
    let rounds: usize = std::env::var("NSM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(11);
    let wanted = std::env::var("NSM_BENCH_CASES").unwrap_or_else(|_| "fixture,one-of-three,history".to_owned());
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = nsm_server::start(nsm_server::Settings::for_data_dir(data.path().to_path_buf())).await.unwrap();
    let nsm =
        Nsm { client: Client::builder().cookie_store(true).build().unwrap(), base: format!("http://{}", server.addr) };
    let password = "bench password 123";
    nsm.call("setup_admin", &[("username", "bench"), ("password", password), ("confirm", password)]).await;
    for _ in 0..100 {
        if nsm.call("list_workers", &[]).await.to_string().contains("\"online\":true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Image content no earlier run built, so the first round builds for real.
    let tag = format!("{}-{}", std::process::id(), Instant::now().elapsed().as_nanos());
    let tag = format!("{tag}-{:?}", std::time::SystemTime::now());

    let mut cases: Vec<Case> = Vec::new();
    for name in wanted.split(',').map(str::trim) {
        let tag = tag.clone();
        let case = match name {
            "fixture" => Case {
                name: "fixture",
                project: "nsmbench-app".to_owned(),
                floor_project: "nsmbench-floor".to_owned(),
                repo: FixtureRepo::new().unwrap(),
                floor_env: Some(format!("WEB_PORT={}\nAPI_PORT={}\nGREETING=hello\n", free_port(), free_port())),
                next: Box::new(apps::fixture_round),
                kept: &[],
                recreated: None,
            },
            "one-of-three" => Case {
                name: "one-of-three",
                project: "nsmbench-three".to_owned(),
                floor_project: "nsmbench-floor3".to_owned(),
                repo: FixtureRepo::new().unwrap(),
                floor_env: None,
                next: Box::new(move |repo, round| {
                    apps::commit_files(repo, &apps::three_services(&tag, round), &format!("api round {round}"))
                }),
                kept: &["db", "web"],
                recreated: Some("api"),
            },
            "history" => {
                let started = Instant::now();
                let repo = apps::heavy_history(work.path(), "history", 1_000, 100, 50 * 1024);
                println!(
                    "history: made 1,000 commits, {:.1} MB of objects, in {:.1} s",
                    apps::history_bytes(repo.path()) as f64 / 1e6,
                    started.elapsed().as_secs_f64()
                );
                Case {
                    name: "history",
                    project: "nsmbench-history".to_owned(),
                    floor_project: "nsmbench-floorh".to_owned(),
                    repo,
                    floor_env: None,
                    next: Box::new(move |repo, round| {
                        apps::commit_files(repo, &apps::one_service(&tag, round), &format!("round {round}"))
                    }),
                    kept: &[],
                    recreated: Some("web"),
                }
            }
            other => panic!("unknown case `{other}` (fixture, one-of-three, history)"),
        };
        cases.push(case);
    }

    let mut summaries = Vec::new();
    for case in &cases {
        let results = run_case(&nsm, case, work.path(), rounds).await;
        summaries.push((case.name, results));
    }
    server.shutdown().await.unwrap();
    println!();
    for (name, results) in &summaries {
        report(name, results);
    }
}
