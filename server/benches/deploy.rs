//! Deploy overhead: NSM redeploying the fixture app (clone, discovery, `.env`, replacing
//! the running deployment, settle) against the bare floor done by hand in the same run
//! (`git clone --depth 1` + `docker-compose up -d --build`), several rounds each, every
//! round on a fresh commit so both rebuild the same layers. Both replace a running
//! deployment of the same app: the floor's `up` recreates its previous round's
//! containers, as a person redeploying by hand would.
//!
//!     cargo bench -p nsm-server --bench deploy            # 5 rounds
//!     NSM_BENCH_ROUNDS=9 cargo bench -p nsm-server --bench deploy
//!
//! Needs a Docker daemon (`bash scripts/services.sh`). Prints medians and their ratio.

// A benchmark's report is its output.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nsm_testkit::{docker_available, ensure_busybox_image, fixture_app_files, free_port, FixtureApp, FixtureRepo};
use reqwest::Client;
use serde_json::Value;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn commit(repo: &FixtureRepo, round: usize) {
    let files = fixture_app_files(&FixtureApp { page: format!("round {round}"), ..FixtureApp::default() });
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    repo.commit(&refs, &format!("round {round}")).unwrap();
}

fn compose_cli() -> Vec<&'static str> {
    let v2 = Command::new("docker").args(["compose", "version"]).output().map(|o| o.status.success()).unwrap_or(false);
    if v2 {
        vec!["docker", "compose"]
    } else {
        vec!["docker-compose"]
    }
}

/// The floor: what a person would type to redeploy, with the same `.env` values.
fn floor_round(repo: &FixtureRepo, work: &Path, round: usize, env: &str) -> Duration {
    let dir = work.join(format!("floor-{round}"));
    let started = Instant::now();
    let status =
        Command::new("git").args(["clone", "--quiet", "--depth", "1", &repo.file_url()]).arg(&dir).status().unwrap();
    assert!(status.success());
    std::fs::write(dir.join(".env"), env).unwrap();
    let cli = compose_cli();
    let status = Command::new(cli[0])
        .args(&cli[1..])
        .args(["-p", "nsmbench-floor", "up", "-d", "--build", "--quiet-pull"])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "floor compose up failed");
    started.elapsed()
}

fn floor_down(work: &Path, round: usize) {
    let cli = compose_cli();
    let _ = Command::new(cli[0])
        .args(&cli[1..])
        .args(["-p", "nsmbench-floor", "down", "--remove-orphans"])
        .current_dir(work.join(format!("floor-{round}")))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status();
}

async fn call(client: &Client, base: &str, endpoint: &str, form: &[(&str, &str)]) -> Value {
    let response = client.post(format!("{base}/api/fn/{endpoint}")).form(form).send().await.unwrap();
    assert!(response.status().is_success(), "{endpoint}: {}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

/// One NSM deployment, timed from the request to the recorded end; also returns the
/// worker's own timing line from the log.
async fn nsm_round(client: &Client, base: &str, project: &str) -> (Duration, String) {
    let started = Instant::now();
    let id = call(client, base, "deploy_project", &[("id", project)]).await.as_i64().unwrap();
    loop {
        let detail = call(client, base, "get_deployment", &[("deployment", &id.to_string())]).await;
        match detail["summary"]["state"].as_str().unwrap_or_default() {
            "succeeded" => {
                let took = started.elapsed();
                let lines = detail["log"].as_array().cloned().unwrap_or_default();
                let timing = lines.iter().filter_map(|l| l["text"].as_str()).find(|t| t.starts_with("Took "));
                return (took, timing.unwrap_or_default().to_owned());
            }
            "failed" | "timed_out" | "cancelled" => panic!("deployment failed: {detail}"),
            _ => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::main]
async fn main() {
    if !docker_available() {
        println!("deploy bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    ensure_busybox_image().unwrap();
    let rounds: usize = std::env::var("NSM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    let data = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let server = nsm_server::start(nsm_server::Settings::for_data_dir(data.path().to_path_buf())).await.unwrap();
    let base = format!("http://{}", server.addr);
    let client = Client::builder().cookie_store(true).build().unwrap();
    let password = "bench password 123";
    call(&client, &base, "setup_admin", &[("username", "bench"), ("password", password), ("confirm", password)]).await;

    let repo = FixtureRepo::new().unwrap();
    commit(&repo, 0);
    let project = "nsmbench-app";
    call(&client, &base, "create_project", &[("id", project), ("repo_url", &repo.file_url())]).await;
    let (web, api) = (free_port().to_string(), free_port().to_string());
    for (name, value) in [("WEB_PORT", web.as_str()), ("API_PORT", api.as_str()), ("GREETING", "hello")] {
        call(
            &client,
            &base,
            "save_variable",
            &[("id", project), ("original", ""), ("name", name), ("kind", "plain"), ("value", value)],
        )
        .await;
    }
    // Wait for the embedded worker, then warm both paths (image cache, first sync).
    for _ in 0..100 {
        let workers = call(&client, &base, "list_workers", &[]).await;
        if workers.to_string().contains("\"online\":true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let floor_env = format!("WEB_PORT={}\nAPI_PORT={}\nGREETING=hello\n", free_port(), free_port());
    nsm_round(&client, &base, project).await;
    floor_round(&repo, work.path(), 0, &floor_env);

    let (mut nsm, mut floor) = (Vec::new(), Vec::new());
    for round in 1..=rounds {
        commit(&repo, round);
        let (took, timing) = nsm_round(&client, &base, project).await;
        nsm.push(took);
        floor.push(floor_round(&repo, work.path(), round, &floor_env));
        println!(
            "round {round}: nsm {:>6.0} ms, floor {:>6.0} ms  (worker: {timing})",
            nsm[round - 1].as_secs_f64() * 1e3,
            floor[round - 1].as_secs_f64() * 1e3
        );
    }
    floor_down(work.path(), rounds);
    call(&client, &base, "teardown_project", &[("id", project)]).await;
    server.shutdown().await.unwrap();
    let (n, f) = (median(nsm), median(floor));
    println!(
        "deploy bench ({rounds} rounds): median nsm {:.0} ms, median floor {:.0} ms, ratio {:.3}",
        n.as_secs_f64() * 1e3,
        f.as_secs_f64() * 1e3,
        n.as_secs_f64() / f.as_secs_f64()
    );
}
