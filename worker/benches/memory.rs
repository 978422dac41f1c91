//! The worker's resident memory: idle, then following 100 containers of managed
//! projects (their state from Docker's events, one snapshot per connect).
//!
//!     cargo bench -p nsm-worker --bench memory
//!     NSM_BENCH_CONTAINERS=200 NSM_BENCH_ROUNDS=5 cargo bench -p nsm-worker --bench memory
//!
//! The release `nsm-worker` binary runs as its own process (edge off: the node's nginx
//! is a process of its own), connected over a real WebSocket to a control-plane
//! stand-in in the bench that speaks the worker protocol: it welcomes the worker,
//! answers heartbeats and counts what the worker reports. The containers are busybox
//! ones labelled as NSM's deployments label them, 10 projects × 10 services; the 10
//! services of the first project print a line every 100 ms and, while following, the
//! stand-in asks the worker to collect their logs (`FollowLogs`).
//!
//! `VmRSS` of the worker process is read from `/proc` every 250 ms for 10 s after a 5 s
//! settle. Each round starts a fresh worker process, so rounds are independent; the
//! idle baseline is taken in the same run, before any container exists. Needs Docker.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nsm_core::compose::{LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::{ServerMessage, WorkerMessage, PROTOCOL_VERSION};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

const BENCH_LABEL: &str = "dev.nsm.bench=memory";

/// What the stand-in has received from the worker, over all connections.
#[derive(Default)]
struct Received {
    hellos: AtomicUsize,
    /// Containers in the latest snapshot.
    snapshot: AtomicUsize,
    changes: AtomicUsize,
    log_lines: AtomicUsize,
    /// Whether a welcomed worker is told to follow the first project's logs.
    follow_logs: std::sync::atomic::AtomicBool,
}

const LOGGED_PROJECT: &str = "nsmbench-mem-0";

/// The services of the first project (every tenth container), whose logs are followed.
fn logged_services(count: usize) -> Vec<String> {
    (0..count).step_by(10).map(|i| format!("service-{i}")).collect()
}

/// Accepts the worker's connections for the rest of the run.
async fn control_plane(listener: TcpListener, received: Arc<Received>, count: usize) {
    loop {
        let Ok((stream, _)) = listener.accept().await else { return };
        let received = received.clone();
        tokio::spawn(async move {
            let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else { return };
            while let Some(Ok(frame)) = socket.next().await {
                let Message::Text(text) = frame else { continue };
                let Ok(message) = serde_json::from_str::<WorkerMessage>(&text) else { continue };
                let answers = match message {
                    WorkerMessage::Hello { .. } => {
                        received.hellos.fetch_add(1, Ordering::SeqCst);
                        let mut answers = vec![ServerMessage::Welcome { protocol: PROTOCOL_VERSION }];
                        if received.follow_logs.load(Ordering::SeqCst) {
                            answers.push(ServerMessage::FollowLogs {
                                project: nsm_core::ProjectId::parse(LOGGED_PROJECT).unwrap(),
                                services: logged_services(count),
                            });
                        }
                        answers
                    }
                    WorkerMessage::Heartbeat => vec![ServerMessage::Heartbeat],
                    WorkerMessage::ContainersSnapshot { containers } => {
                        received.snapshot.store(containers.len(), Ordering::SeqCst);
                        vec![]
                    }
                    WorkerMessage::ContainerChanged { .. } => {
                        received.changes.fetch_add(1, Ordering::SeqCst);
                        vec![]
                    }
                    WorkerMessage::ContainerLogs { lines, .. } => {
                        received.log_lines.fetch_add(lines.len(), Ordering::SeqCst);
                        vec![]
                    }
                    _ => vec![],
                };
                for answer in answers {
                    let text = serde_json::to_string(&answer).unwrap();
                    if socket.send(Message::text(text)).await.is_err() {
                        return;
                    }
                }
            }
        });
    }
}

struct WorkerProcess {
    child: Child,
    _data: tempfile::TempDir,
}

impl WorkerProcess {
    fn start(server: &str) -> Self {
        let data = tempfile::tempdir().unwrap();
        let token = data.path().join("token");
        std::fs::write(&token, "bench-token").unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_nsm-worker"))
            .args(["--server", server, "--id", "bench-memory", "--edge", "off"])
            .arg("--token-file")
            .arg(&token)
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self { child, _data: data }
    }

    /// A `/proc/<pid>/status` field, in KiB.
    fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let line = status.lines().find(|l| l.starts_with(field)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    }

    fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS:")
    }

    /// Median and maximum RSS (KiB) over 10 s, after 5 s to settle.
    async fn measure(&self) -> (u64, u64) {
        tokio::time::sleep(Duration::from_secs(5)).await;
        let mut samples = Vec::new();
        for _ in 0..40 {
            samples.push(self.rss_kib());
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        samples.sort_unstable();
        // What the resident set is made of, at the end of the window.
        let (anon, file) = (self.status_kib("RssAnon:"), self.status_kib("RssFile:"));
        println!(
            "    round: VmRSS median {:.1} MiB = heap and stacks {:.1} MiB + mapped binary {:.1} MiB",
            mib(samples[samples.len() / 2]),
            mib(anon),
            mib(file)
        );
        (samples[samples.len() / 2], samples[samples.len() - 1])
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn remove_containers() {
    let ids = nsm_testkit::docker_ids(&["ps", "-aq", "--filter", &format!("label={BENCH_LABEL}")]);
    if !ids.is_empty() {
        let status = Command::new("docker").args(["rm", "-f"]).args(&ids).stdout(Stdio::null()).status().unwrap();
        assert!(status.success());
    }
}

/// `count` running containers in 10 projects, created 8 at a time.
fn create_containers(count: usize) {
    let next = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let next = next.clone();
            std::thread::spawn(move || loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= count {
                    return;
                }
                let command: &[&str] = if i.is_multiple_of(10) {
                    &["sh", "-c", "while :; do echo tick; sleep 0.1; done"]
                } else {
                    &["sleep", "86400"]
                };
                let out = Command::new("docker")
                    .args(["run", "-d", "--init", "--label", BENCH_LABEL])
                    .args(["--label", &format!("{LABEL_PROJECT}=nsmbench-mem-{}", i % 10)])
                    .args(["--label", &format!("{LABEL_SERVICE}=service-{i}")])
                    // The worker finds a service's container by Compose's own label, as
                    // every container Compose starts carries it.
                    .args(["--label", &format!("com.docker.compose.service=service-{i}")])
                    .arg(nsm_testkit::BUSYBOX_IMAGE)
                    .args(command)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[tokio::main]
async fn main() {
    let count: usize = std::env::var("NSM_BENCH_CONTAINERS").ok().and_then(|r| r.parse().ok()).unwrap_or(100);
    let rounds: usize = std::env::var("NSM_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    if !nsm_testkit::docker_available() {
        println!("worker memory bench: SKIPPED (no Docker daemon; run `bash scripts/services.sh`)");
        return;
    }
    nsm_testkit::ensure_busybox_image().unwrap();
    remove_containers();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = format!("ws://{}", listener.local_addr().unwrap());
    let received = Arc::new(Received::default());
    tokio::spawn(control_plane(listener, received.clone(), count));

    let mut idle = Vec::new();
    for _ in 0..rounds {
        let worker = WorkerProcess::start(&server);
        idle.push(worker.measure().await);
    }
    assert!(received.hellos.load(Ordering::SeqCst) >= rounds, "the worker never connected");

    create_containers(count);
    received.follow_logs.store(true, Ordering::SeqCst);
    let mut following = Vec::new();
    for _ in 0..rounds {
        received.snapshot.store(0, Ordering::SeqCst);
        received.log_lines.store(0, Ordering::SeqCst);
        let worker = WorkerProcess::start(&server);
        following.push(worker.measure().await);
        let seen = received.snapshot.load(Ordering::SeqCst);
        assert!(seen >= count, "the worker's snapshot held {seen} containers, not {count}");
        // Each followed service prints 10 lines/s: ~150 over the 15 s if followed.
        let lines = received.log_lines.load(Ordering::SeqCst);
        let expected = logged_services(count).len() * 50;
        assert!(lines > expected, "only {lines} log lines were shipped (expected over {expected})");
    }
    remove_containers();

    let report = |name: &str, rounds: &[(u64, u64)]| {
        let mut medians: Vec<u64> = rounds.iter().map(|r| r.0).collect();
        medians.sort_unstable();
        let max = rounds.iter().map(|r| r.1).max().unwrap_or(0);
        println!(
            "  {name}: median {:.1} MiB (round medians {:.1}–{:.1} MiB), max sample {:.1} MiB",
            mib(medians[medians.len() / 2]),
            mib(medians[0]),
            mib(medians[medians.len() - 1]),
            mib(max)
        );
    };
    println!("worker memory bench: VmRSS of nsm-worker, {rounds} rounds of 10 s each");
    report("idle (connected, no container)", &idle);
    report(
        &format!("following {count} containers, collecting the logs of {}", logged_services(count).len()),
        &following,
    );
}
