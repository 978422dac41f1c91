//! Resource sampling against a real Docker: a busy container of a watched project is
//! sampled with CPU and memory in use; emptying the watched set stops sampling.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use nsm_core::compose::{LABEL_PROJECT, LABEL_SERVICE};
use nsm_core::protocol::WorkerMessage;
use nsm_core::ProjectId;
use nsm_testkit::{docker_ids, docker_or_skip, BUSYBOX_IMAGE};
use nsm_worker::docker::BollardEngine;
use nsm_worker::Watched;
use tokio::sync::mpsc;

/// Removes the test's containers, however the test ends.
struct Containers(String);

impl Drop for Containers {
    fn drop(&mut self) {
        let ids = docker_ids(&["ps", "-aq", "--filter", &format!("label={LABEL_PROJECT}={}", self.0)]);
        if !ids.is_empty() {
            let _ = Command::new("docker").args(["rm", "-f"]).args(&ids).output();
        }
    }
}

fn run_busy(project: &ProjectId) -> String {
    let out = Command::new("docker")
        .args(["run", "-d", "--label", &format!("{LABEL_PROJECT}={project}")])
        .args(["--label", &format!("{LABEL_SERVICE}=busy"), "--memory", "64m", BUSYBOX_IMAGE])
        .args(["sh", "-c", "while :; do :; done"])
        .output()
        .expect("docker run");
    assert!(out.status.success(), "docker run failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn a_watched_busy_container_is_sampled_until_the_set_empties() {
    if !docker_or_skip() {
        return;
    }
    let project = ProjectId::parse(&format!("ws-stats-{}", std::process::id())).unwrap();
    let _cleanup = Containers(project.to_string());
    let container = run_busy(&project);
    let (out, mut samples) = mpsc::unbounded_channel();
    let (watched, task) = Watched::start(Arc::new(BollardEngine::new()), out);

    // Not watched: nothing is sampled.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(samples.try_recv().is_err(), "sampled while no one watched");

    watched.set([project.clone()]);
    let sample = loop {
        let message = tokio::time::timeout(Duration::from_secs(30), samples.recv())
            .await
            .expect("a batch within 30 s")
            .expect("the sampler runs");
        let WorkerMessage::ContainerStats { samples } = message else { panic!("not a stats batch: {message:?}") };
        assert!(samples.iter().all(|s| s.project == project), "only the watched project is sampled");
        if let Some(sample) =
            samples.into_iter().find(|s| container.starts_with(&s.container) || s.container == container)
        {
            if sample.cpu_percent > 0.0 {
                break sample;
            }
        }
    };
    assert_eq!(sample.service, "busy");
    assert!(sample.cpu_percent > 5.0, "a busy loop uses CPU: {sample:?}");
    assert!(sample.memory_bytes > 0, "{sample:?}");
    assert_eq!(sample.memory_limit, 64 * 1024 * 1024);

    watched.set([]);
    tokio::time::sleep(Duration::from_millis(500)).await;
    while samples.try_recv().is_ok() {}
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(samples.try_recv().is_err(), "sampling went on after the set emptied");
    task.abort();
}
