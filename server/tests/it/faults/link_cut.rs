//! The link to a remote worker cut by a proxy the test owns: while idle the worker
//! shows offline and comes back; mid-deploy the deployment ends failed with a reason
//! at once (never left in progress), a late result from the worker does not change
//! it, and the next deployment succeeds.

use std::time::{Duration, Instant};

use super::{add_worker, app_files, commit, create_on, ending, fresh, DEPLOY};
use crate::common::{unique_id, ComposeCleanup, TestServer};

/// Online again within: the cut's length plus the worker's longest backoff (30 s).
const BACK: Duration = Duration::from_secs(75);

#[tokio::test]
async fn a_cut_link_fails_the_running_deployment_with_a_reason_and_the_worker_comes_back() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let server_addr = s.server.as_ref().expect("running").addr;
    let proxy = nsm_testkit::CutProxy::start(server_addr).await.expect("proxy");
    let worker = unique_id("cut-node");
    let token = add_worker(&s, &worker).await;
    let dir = tempfile::tempdir().expect("dir");
    let config = nsm_worker::WorkerConfig {
        server_url: format!("ws://{}", proxy.addr()),
        worker_id: nsm_core::WorkerId::parse(&worker).expect("id"),
        token,
        data_dir: dir.path().to_path_buf(),
        edge: nsm_worker::EdgeConfig::off(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn(nsm_worker::run(config, async {
        let _ = stopped.await;
    }));
    s.worker_online(&worker, Duration::from_secs(30)).await;

    // Idle: offline while cut, online once restored.
    proxy.cut();
    s.worker_offline(&worker, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(10)).await;
    proxy.restore();
    s.worker_online(&worker, BACK).await;

    // Mid-deploy: the build takes 20 s; the link is cut while it runs.
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let step = format!("echo {} && sleep 20", fresh("cut"));
    commit(&repo, &app_files(Some(&step)), "slow build");
    let id = unique_id("it-fault-cut");
    let _cleanup = ComposeCleanup(id.clone());
    create_on(&s, &id, &repo.file_url(), &worker, 300).await;
    s.expect_state(&id, "app", "running").await;
    let deployment = s.deploy(&id).await;
    s.wait_state(deployment, &["starting"], DEPLOY).await;
    let cut_at = Instant::now();
    proxy.cut();
    s.worker_offline(&worker, Duration::from_secs(10)).await;
    let detail = s.wait_end(deployment, Duration::from_secs(20)).await;
    let (state, reason, log) = ending(&detail);
    assert_eq!(state, "failed", "{reason}\n{log}");
    assert!(reason.contains(&worker) && reason.contains("disconnected"), "{reason}");
    eprintln!("link cut: {reason}");

    tokio::time::sleep(Duration::from_secs(30).saturating_sub(cut_at.elapsed())).await;
    proxy.restore();
    s.worker_online(&worker, BACK).await;
    // The worker's own result (it went on building meanwhile) arrives after the
    // reconnect and is refused: the ending stands.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (state_after, reason_after, _) = ending(&s.deployment(deployment).await);
    assert_eq!((state_after.as_str(), reason_after.as_str()), ("failed", reason.as_str()));

    // The worker takes the next deployment and it succeeds.
    commit(&repo, &app_files(Some("true")), "fast");
    let next = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(next, DEPLOY).await);
    assert_eq!(state, "succeeded", "{reason}\n{log}");

    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(30), node).await;
}
