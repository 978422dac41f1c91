//! Container log ingestion: lines per second one worker ships and the server stores,
//! with the per-service cap enforced.
//!
//!     cargo bench -p nsm-server --bench log_ingestion            # 7 rounds of 100,000 lines
//!     NSM_BENCH_ROUNDS=11 NSM_BENCH_LINES=200000 cargo bench -p nsm-server --bench log_ingestion
//!
//! One deployed project on the embedded worker; its one service, with *Collect logs*
//! on, writes a burst of 100-byte lines to stdout whenever `/tmp/go` appears, then an
//! end marker. The cap is set to 5 MB, below one burst (10 MB), so every round trims.
//! An NSM round runs from `docker exec … touch /tmp/go` until the burst's end marker
//! arrives on the signed-in `/logs/follow` stream: the lines went through Docker's log
//! driver, the worker (bollard, batching), the WebSocket, admission, SQLite and the
//! trim. The floor, interleaved round by round, is the same burst written to
//! `/dev/null` inside the container (`docker exec`): what the writer alone costs, so
//! the ratio says how much the shipping slows the burst down end to end.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{docker, percentile, BenchServer};
use nsm_core::logs::LogCap;
use reqwest::Client;
use tokio::sync::mpsc;

const PROJECT: &str = "nsmbench-logs";
const CAP_MB: u64 = 5;
/// 100 bytes with the line number.
const PAD: usize = 88;

/// The burst as a shell loop (`$$`: Compose would interpolate `$`).
fn burst(lines: u32, to: &str) -> String {
    format!(
        "pad=$(printf '%0{PAD}d' 0); i=0; while [ $i -lt {lines} ]; do echo \"$i $pad\"; i=$((i+1)); done{to}; echo burst-end"
    )
}

/// Arrival of each `burst-end` on the follow stream.
async fn follow_ends(browser: &Client, url: String) -> mpsc::UnboundedReceiver<Instant> {
    let mut response = browser.get(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut buffer = String::new();
        while let Ok(Some(chunk)) = response.chunk().await {
            let arrived = Instant::now();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                if frame.contains("burst-end") && tx.send(arrived).is_err() {
                    return;
                }
            }
        }
    });
    rx
}

fn spread(name: &str, rates: &mut [f64]) -> String {
    rates.sort_by(f64::total_cmp);
    format!(
        "{name}: median {:.0} lines/s (min {:.0}, max {:.0})",
        percentile(rates, 0.5),
        rates[0],
        rates[rates.len() - 1]
    )
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::var("NSM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(7);
    let lines: u32 = std::env::var("NSM_BENCH_LINES").ok().and_then(|r| r.parse().ok()).unwrap_or(100_000);
    if !nsm_testkit::docker_available() {
        println!("log ingestion bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    nsm_testkit::ensure_busybox_image().unwrap();
    let script = format!("while :; do if [ -e /tmp/go ]; then rm /tmp/go; {}; fi; sleep 0.05; done", burst(lines, ""));
    let compose = format!(
        "services:\n  talk:\n    image: {}\n    init: true\n    command: [\"sh\", \"-c\", {}]\n",
        nsm_testkit::BUSYBOX_IMAGE,
        serde_json::to_string(&script.replace('$', "$$")).unwrap()
    );
    let mut bench = BenchServer::start().await;
    let cap = LogCap::parse_megabytes(&CAP_MB.to_string()).unwrap();
    let db = bench.server.plane.db.clone();
    nsm_server::db::settings::set(&db, LogCap::SETTING, &cap.bytes().to_string()).await.unwrap();
    let container = bench.deploy_one(PROJECT, "talk", &compose).await;
    let form = [("id", PROJECT), ("service", "talk"), ("expected", "running"), ("collect_logs", "on")];
    bench.call("update_service", &form).await;
    let url = format!("{}/api/v1/projects/{PROJECT}/logs/follow?q=burst-end", bench.base);
    let mut ends = follow_ends(&bench.browser, url).await;
    tokio::time::sleep(Duration::from_secs(2)).await; // the worker follows the container

    let floor_script = burst(lines, " > /dev/null");
    let (mut nsm, mut floor) = (Vec::with_capacity(rounds), Vec::with_capacity(rounds));
    // One warm-up round of each, not counted.
    for round in 0..=rounds {
        let started = Instant::now();
        docker(&["exec", &container, "touch", "/tmp/go"]);
        let arrived =
            tokio::time::timeout(Duration::from_secs(300), ends.recv()).await.expect("no end marker").unwrap();
        let nsm_rate = f64::from(lines + 1) / arrived.duration_since(started).as_secs_f64();

        let started = Instant::now();
        docker(&["exec", &container, "sh", "-c", &floor_script]);
        let floor_rate = f64::from(lines + 1) / started.elapsed().as_secs_f64();
        if round > 0 {
            nsm.push(nsm_rate);
            floor.push(floor_rate);
        }
    }
    let stored = nsm_server::db::logs::stored_bytes(&db, PROJECT, "talk").await.unwrap();
    assert!(stored <= cap.bytes(), "{stored} bytes stored over the {} byte cap", cap.bytes());
    let mut ratios: Vec<f64> = nsm.iter().zip(&floor).map(|(n, f)| n / f).collect();
    println!("log ingestion bench: {rounds} rounds of {lines} lines of 100 bytes, cap {CAP_MB} MB");
    println!("  {}", spread("NSM (written → stored, on the follow stream)", &mut nsm));
    println!("  {}", spread("floor (the same burst to /dev/null)", &mut floor));
    ratios.sort_by(f64::total_cmp);
    println!(
        "  NSM / floor: median {:.2} (min {:.2}, max {:.2}); stored at the end {:.1} MB (cap {CAP_MB} MB)",
        percentile(&ratios, 0.5),
        ratios[0],
        ratios[ratios.len() - 1],
        stored as f64 / 1e6
    );
    bench.finish(PROJECT).await;
}
