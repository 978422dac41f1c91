//! Container state change → browser event latency: how long after Docker changes a
//! container's state the signed-in browser's `GET /api/v1/events` stream carries the
//! `service` event that says so.
//!
//!     cargo bench -p nsm-server --bench live_latency           # 100 changes
//!     NSM_BENCH_CHANGES=200 cargo bench -p nsm-server --bench live_latency
//!
//! One deployed project with one long-running service, on the embedded worker. The
//! bench alternates `docker kill` and `docker start` of its container; each is one
//! change. Two clocks per change:
//! - from Docker's own event time (`docker events`' `timeNano`, the moment the daemon
//!   says the state changed) to the SSE frame's arrival: the path NSM owns (the
//!   worker's event stream, inspect, the report, the verdict, the browser stream);
//! - from the moment the bench issues the command, which adds the Docker CLI and the
//!   daemon's own work (a `start` sets up the container's network), for scale.
//!
//! The stream is read by an HTTP client in the bench process standing in for the
//! browser's EventSource (same request, same session cookie). Needs a Docker daemon.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::Client;
use serde_json::Value;
use tokio::sync::mpsc;

mod common;

use common::{docker, percentile, BenchServer};

const PROJECT: &str = "nsmbench-live";

fn now_nanos() -> u128 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos()
}

/// Service events of the stream: (arrival in ns since the epoch, the event).
async fn subscribe(client: &Client, url: String) -> mpsc::UnboundedReceiver<(u128, Value)> {
    let mut response = client.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let arrived = now_nanos();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let field = |name: &str| frame.lines().find_map(|l| l.strip_prefix(name)).map(str::trim_start);
                if field("event:") != Some("service") {
                    continue;
                }
                let Some(data) = field("data:").and_then(|d| serde_json::from_str(d).ok()) else { continue };
                if tx.send((arrived, data)).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

/// Docker's own time of each `die` and `start` of the container, in order.
fn docker_events(container: &str) -> mpsc::UnboundedReceiver<(u128, String)> {
    let mut child = Command::new("docker")
        .args(["events", "--filter", &format!("container={container}"), "--filter", "event=die"])
        .args(["--filter", "event=start", "--format", "{{.TimeNano}} {{.Action}}"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let Some((nanos, action)) = line.split_once(' ') else { continue };
            if tx.send((nanos.parse().unwrap(), action.to_owned())).is_err() {
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
    });
    rx
}

#[tokio::main]
async fn main() {
    let changes: usize = std::env::var("NSM_BENCH_CHANGES").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    if !nsm_testkit::docker_available() {
        println!("live latency bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    nsm_testkit::ensure_busybox_image().unwrap();
    let compose = format!(
        "services:\n  api:\n    image: {}\n    init: true\n    command: [\"sleep\", \"86400\"]\n",
        nsm_testkit::BUSYBOX_IMAGE
    );
    let mut bench = BenchServer::start().await;
    let container = bench.deploy_one(PROJECT, "api", &compose).await;
    let (base, browser) = (bench.base.clone(), bench.browser.clone());

    let mut stream = subscribe(&browser, format!("{base}/api/v1/events?project={PROJECT}")).await;
    let mut daemon = docker_events(&container);
    tokio::time::sleep(Duration::from_millis(500)).await; // both streams are open
    let (mut from_daemon, mut from_command) = (Vec::with_capacity(changes), Vec::with_capacity(changes));
    for change in 0..changes {
        let (command, action, state) =
            if change % 2 == 0 { ("kill", "die", "exited") } else { ("start", "start", "running") };
        // Whatever came before this change (the deployment's own events) is not its.
        while stream.try_recv().is_ok() {}
        let issued = Instant::now();
        docker(&[command, &container]);
        let (changed_at, seen) = tokio::time::timeout(Duration::from_secs(30), daemon.recv())
            .await
            .expect("Docker reported no event")
            .unwrap();
        assert_eq!(seen, action);
        let arrived = loop {
            let (arrived, event) =
                tokio::time::timeout(Duration::from_secs(30), stream.recv()).await.expect("no service event").unwrap();
            if event["service"] == "api" && event["actual"] == state {
                break arrived;
            }
        };
        let command_ms = issued.elapsed().as_secs_f64() * 1e3 - (now_nanos().saturating_sub(arrived) as f64 / 1e6);
        from_daemon.push(arrived.saturating_sub(changed_at) as f64 / 1e6);
        from_command.push(command_ms);
    }
    for series in [&mut from_daemon, &mut from_command] {
        series.sort_by(f64::total_cmp);
    }
    let line = |name: &str, s: &[f64]| {
        format!(
            "{name}: p50 {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms",
            percentile(s, 0.5),
            percentile(s, 0.95),
            s[0],
            s[s.len() - 1]
        )
    };
    println!("live latency bench: {changes} changes (kill/start alternating)");
    println!("  {}", line("Docker's event time → SSE frame", &from_daemon));
    println!("  {}", line("command issued → SSE frame", &from_command));
    bench.finish(PROJECT).await;
}
