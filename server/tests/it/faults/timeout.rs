//! A deployment outliving its project's timeout ends `timed_out`, saying so, and
//! leaves no container half-started; the next deployment succeeds.

use std::time::{Duration, Instant};

use super::{app_files, commit, create_on, ending, fresh, project_containers, DEPLOY};
use crate::common::{unique_id, ComposeCleanup, TestServer};

#[tokio::test]
async fn a_build_outliving_the_timeout_ends_timed_out_with_its_containers_removed() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    commit(&repo, &app_files(None), "v1");
    let id = unique_id("it-fault-timeout");
    let _cleanup = ComposeCleanup(id.clone());
    create_on(&s, &id, &repo.file_url(), "local", 20).await;
    s.expect_state(&id, "app", "running").await;
    let first = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(first, DEPLOY).await);
    assert_eq!(state, "succeeded", "{reason}\n{log}");

    // The next build sleeps far past the 20 s timeout.
    let step = format!("echo {} && sleep 300", fresh("slow"));
    commit(&repo, &app_files(Some(&step)), "slow build");
    let started = Instant::now();
    let slow = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(slow, DEPLOY).await);
    assert_eq!(state, "timed_out", "{reason}\n{log}");
    assert!(reason.contains("20 s"), "the reason names the timeout: {reason}");
    eprintln!("timed out: {reason}");
    assert!(started.elapsed() < Duration::from_secs(90), "stopped promptly: {:?}", started.elapsed());
    // Accounted for: nothing of the project is left half-started, the build too.
    assert!(project_containers(&id, None).is_empty(), "containers left: {:?}\n{log}", project_containers(&id, None));
    assert!(log.contains("Removed"), "the log says what was removed:\n{log}");
    let builds = std::process::Command::new("docker")
        .args(["ps", "--no-trunc", "--format", "{{.Command}}"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    assert!(!builds.contains(&step), "the build's container was stopped: {builds}");
    // Nobody claims the service still runs.
    let service = nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(250), || async {
        let (_, list) = s.call_json("list_services", &[("id", &id)]).await;
        let app = list.as_array().and_then(|l| l.iter().find(|x| x["name"] == "app")).cloned().unwrap_or_default();
        if app["actual"] == "running" {
            Err(format!("still said to run: {app}"))
        } else {
            Ok(app)
        }
    })
    .await;
    assert_ne!(service["actual"], "running", "{service}");

    // Fixed, it deploys again.
    commit(&repo, &app_files(Some("true")), "fast again");
    let again = s.deploy(&id).await;
    let (state, reason, log) = ending(&s.wait_end(again, DEPLOY).await);
    assert_eq!(state, "succeeded", "{reason}\n{log}");
    assert_eq!(project_containers(&id, None).len(), 1);
}
