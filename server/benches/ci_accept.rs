//! Accept latency of the CI/CD `202` path: `POST /api/v1/projects/{id}/deploy` with a
//! valid deploy key, at a fixed request rate on loopback, measured per request by an
//! open-loop generator (requests are sent on schedule, not after the previous answer).
//!
//!     cargo bench -p nsm-server --bench ci_accept                  # 1000 req/s for 5 s
//!     NSM_BENCH_RATE=2000 NSM_BENCH_SECS=10 cargo bench -p nsm-server --bench ci_accept
//!
//! The project's first deployment is started before the clock and keeps running (a
//! service that sleeps, settled to `exited`); the load begins once it is settling, so
//! requests queue or coalesce, as in CI, and compose is not competing for the CPU: this
//! measures NSM's accept path (key check, rate limit, queue, activity record), not
//! Docker. Needs a Docker daemon (`bash scripts/services.sh`).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::Client;
use tokio::sync::Mutex;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let rate: u64 = std::env::var("NSM_BENCH_RATE").ok().and_then(|r| r.parse().ok()).unwrap_or(1000);
    let secs: u64 = std::env::var("NSM_BENCH_SECS").ok().and_then(|r| r.parse().ok()).unwrap_or(5);
    if !nsm_testkit::docker_available() {
        println!("ci accept bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    nsm_testkit::ensure_busybox_image().unwrap();
    let repo = nsm_testkit::FixtureRepo::new().unwrap();
    let compose = format!(
        "services:\n  slow:\n    image: {}\n    init: true\n    command: [\"sleep\", \"120\"]\n",
        nsm_testkit::BUSYBOX_IMAGE
    );
    repo.commit(&[("compose.yaml", compose.as_str())], "slow").unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut settings = nsm_server::Settings::for_data_dir(data.path().to_path_buf());
    // Measure acceptance, not the limiter's 429s.
    settings.ci_rate_limit = u32::MAX;
    let server = nsm_server::start(settings).await.unwrap();
    let base = format!("http://{}", server.addr);
    let admin = Client::builder().cookie_store(true).build().unwrap();
    let call =
        |endpoint: &str, form: Vec<(&str, &str)>| admin.post(format!("{base}/api/fn/{endpoint}")).form(&form).send();
    let password = "bench password 123";
    call("setup_admin", vec![("username", "bench"), ("password", password), ("confirm", password)]).await.unwrap();
    let repo_url = repo.file_url();
    call("create_project", vec![("id", "nsmbench-ci"), ("repo_url", &repo_url)]).await.unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await; // the embedded worker connects
    call("sync_project", vec![("id", "nsmbench-ci")]).await.unwrap();
    call("update_service", vec![("id", "nsmbench-ci"), ("service", "slow"), ("expected", "exited")]).await.unwrap();
    call("set_ci_enabled", vec![("id", "nsmbench-ci"), ("enabled", "on")]).await.unwrap();
    let key: String = call("rotate_deploy_key", vec![("id", "nsmbench-ci")]).await.unwrap().json().await.unwrap();

    let client = Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let url = format!("{base}/api/v1/projects/nsmbench-ci/deploy");
    let first: serde_json::Value = client.post(&url).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
    let status_url = format!("{base}{}", first["status_url"].as_str().unwrap());
    loop {
        let status: serde_json::Value =
            client.get(&status_url).bearer_auth(&key).send().await.unwrap().json().await.unwrap();
        match status["state"].as_str().unwrap_or_default() {
            "settling" => break,
            "queued" | "preparing" | "starting" => tokio::time::sleep(Duration::from_millis(100)).await,
            other => panic!("the first deployment ended early: {other} {status}"),
        }
    }
    let latencies = Arc::new(Mutex::new(Vec::with_capacity((rate * secs) as usize)));
    let statuses = Arc::new(Mutex::new(std::collections::BTreeMap::<u16, u64>::new()));
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..rate * secs {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        let (latencies, statuses) = (latencies.clone(), statuses.clone());
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let response = client.post(url).bearer_auth(key).send().await;
            let elapsed = sent.elapsed();
            let status = response.map(|r| r.status().as_u16()).unwrap_or(0);
            latencies.lock().await.push(elapsed);
            *statuses.lock().await.entry(status).or_default() += 1;
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let mut sorted = latencies.lock().await.clone();
    sorted.sort();
    println!(
        "ci accept bench: {} requests at {rate}/s over {secs} s; statuses {:?}; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        sorted.len(),
        statuses.lock().await,
        percentile(&sorted, 0.50).as_secs_f64() * 1e3,
        percentile(&sorted, 0.90).as_secs_f64() * 1e3,
        percentile(&sorted, 0.99).as_secs_f64() * 1e3,
        sorted.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
    );
    call("teardown_project", vec![("id", "nsmbench-ci")]).await.unwrap();
    server.shutdown().await.unwrap();
}
