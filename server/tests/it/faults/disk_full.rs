//! The worker's disk full: its data directory on a 2 MiB tmpfs, a repository larger
//! than that. The deployment fails saying the disk is full, production elsewhere is
//! untouched, and once there is room the same repository deploys.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{add_worker, app_files, create_on, ending, project_containers, DEPLOY};
use crate::common::{unique_id, ComposeCleanup, TestServer};

/// A tmpfs mounted for the test, unmounted when it ends.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tmpfs"])
            .arg(at)
            .status();
        match status {
            Ok(status) if status.success() => Some(Self(at.to_path_buf())),
            _ => None,
        }
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount").args(["-o", &format!("remount,size={size}")]).arg(&self.0).status();
        assert!(status.is_ok_and(|s| s.success()), "remounting the tmpfs");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// 4 MiB that no compression shrinks.
fn noise() -> String {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..4 * 1024 * 1024 / 16)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            format!("{state:016x}")
        })
        .collect()
}

#[tokio::test]
async fn a_full_disk_fails_the_deployment_saying_so() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let dir = tempfile::tempdir().expect("dir");
    let Some(tmpfs) = Tmpfs::mount(dir.path(), "2m") else {
        assert!(!nsm_testkit::services_required(), "cannot mount a tmpfs (root and CAP_SYS_ADMIN needed)");
        eprintln!("SKIPPED: cannot mount a tmpfs here");
        return;
    };
    let worker = unique_id("full-node");
    let token = add_worker(&s, &worker).await;
    let config = nsm_worker::WorkerConfig {
        server_url: s.base.replace("http://", "ws://"),
        worker_id: nsm_core::WorkerId::parse(&worker).expect("id"),
        token,
        data_dir: dir.path().join("worker"),
        edge: nsm_worker::EdgeConfig::off(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn(nsm_worker::run(config, async {
        let _ = stopped.await;
    }));
    s.worker_online(&worker, Duration::from_secs(30)).await;

    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let mut files = app_files(Some("true"));
    files.push(("blob.txt", noise()));
    super::commit(&repo, &files, "big");
    let id = unique_id("it-fault-full");
    let _cleanup = ComposeCleanup(id.clone());
    create_on(&s, &id, &repo.file_url(), &worker, 300).await;
    // Not synced first: syncing reads the repository on the worker, which would fail
    // the same way; the clone fails before any comparison with the saved configuration.
    let deployment = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(deployment, DEPLOY).await);
    assert_eq!(state, "failed", "{reason}\n{log}");
    let lower = reason.to_lowercase();
    assert!(
        lower.contains("no space left") || lower.contains("disk full"),
        "the reason says the disk is full: {reason}\n{log}"
    );
    assert!(project_containers(&id, None).is_empty(), "nothing started");
    eprintln!("disk full: {reason}");

    // Room again: the same repository deploys.
    tmpfs.resize("64m");
    s.expect_state(&id, "app", "running").await;
    let again = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(again, DEPLOY).await);
    assert_eq!(state, "succeeded", "{reason}\n{log}");

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), node).await;
    drop(tmpfs);
}
