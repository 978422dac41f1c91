//! Repository files cannot hurt the node (issue 13): the worker's policy refuses what
//! hands a container the node until an admin allows it, committed links named like
//! NSM's generated files are never written through, and compose bombs are refused.
//! Real server, embedded worker, git and Docker.

use std::os::unix::fs::{symlink, MetadataExt};
use std::path::Path;
use std::time::Duration;

use nsm_testkit::deployment_log_text as log_text;
use nsm_testkit::{docker_ids, FixtureRepo, BUSYBOX_IMAGE};

use super::common::{ComposeCleanup, TestServer};

const DEPLOY: Duration = Duration::from_secs(180);

/// A repository whose one service `task` runs `true` once, with `extra` added to it.
fn task_repo(extra: &str) -> FixtureRepo {
    let repo = FixtureRepo::new().expect("repo");
    let compose = format!(
        "services:\n  task:\n    image: {BUSYBOX_IMAGE}\n    command: [\"true\"]\n    environment:\n      \
         GREETING: \"${{GREETING}}\"\n{extra}"
    );
    repo.commit(&[("compose.yaml", compose.as_str())], "task").expect("commit");
    repo
}

async fn task_project(s: &TestServer, repo: &FixtureRepo) -> String {
    let id = s.create_project_from("it-policy", &repo.file_url()).await;
    s.set_plain(&id, "GREETING", "a secret greeting").await;
    s.expect_state(&id, "task", "exited").await;
    id
}

async fn deploy_to_end(s: &TestServer, id: &str) -> serde_json::Value {
    let deployment = s.deploy(id).await;
    s.wait_end(deployment, DEPLOY).await
}

fn containers_of(id: &str) -> Vec<String> {
    docker_ids(&["ps", "-aq", "--filter", &format!("label=com.docker.compose.project=nsm-{id}")])
}

#[tokio::test]
async fn a_privileged_service_is_refused_until_an_admin_allows_it() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let repo = task_repo("    privileged: true\n");
    let id = task_project(&s, &repo).await;
    let _cleanup = ComposeCleanup(id.clone());

    // The default policy allows nothing.
    let (status, policy) = s.call_json("get_worker_policy", &[("id", "local")]).await;
    assert!(status.is_success(), "{policy}");
    assert_eq!(policy["allowed"], serde_json::json!([]), "{policy}");

    let detail = deploy_to_end(&s, &id).await;
    assert_eq!(detail["summary"]["state"], "failed", "{}", log_text(&detail));
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("service `task`") && reason.contains("`privileged`"), "{reason}");
    assert!(log_text(&detail).contains("Stopped before touching anything"), "{}", log_text(&detail));
    assert!(containers_of(&id).is_empty(), "refused in prepare: nothing was started");

    // Allowed for the worker (other allowances stay refused), it deploys privileged.
    let (status, body) = s.call_json("set_worker_policy", &[("id", "local"), ("privileged", "on")]).await;
    assert!(status.is_success(), "{status} {body}");
    let (_, policy) = s.call_json("get_worker_policy", &[("id", "local")]).await;
    assert_eq!(policy["allowed"], serde_json::json!(["privileged"]), "{policy}");
    let detail = deploy_to_end(&s, &id).await;
    let log = log_text(&detail);
    assert!(log.contains("keeps to this worker's policy (allowed: privileged containers)"), "{log}");
    let privileged: Vec<String> = containers_of(&id)
        .iter()
        .map(|c| docker_ids(&["inspect", "-f", "{{.HostConfig.Privileged}}", c]).join(""))
        .collect();
    assert_eq!(privileged, ["true"], "compose created the container privileged");
    // A Docker Engine that is itself confined (as in some CI sandboxes) cannot start a
    // privileged container: then `up` fails, after the policy let it through.
    let started = detail["summary"]["state"] == "succeeded";
    assert!(started || log.contains("Compose `up` failed"), "{log}");

    // Withdrawn again: refused again, the running deployment left as it was.
    let (status, body) = s.call_json("set_worker_policy", &[("id", "local")]).await;
    assert!(status.is_success(), "{status} {body}");
    let detail = deploy_to_end(&s, &id).await;
    assert_eq!(detail["summary"]["state"], "failed", "{}", log_text(&detail));
    assert!(detail["summary"]["reason"].as_str().is_some_and(|r| r.contains("`privileged`")), "{detail}");
    assert_eq!(containers_of(&id).len(), 1, "the earlier deployment's container is left alone");
}

#[tokio::test]
async fn the_docker_socket_host_paths_and_compose_bombs_are_refused_with_their_reason() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let socket =
        task_repo("    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n      - /etc:/host-etc:ro\n");
    let id = task_project(&s, &socket).await;
    let _cleanup = ComposeCleanup(id.clone());
    let detail = deploy_to_end(&s, &id).await;
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains("the Docker socket") && reason.contains("/etc, outside the project's directories"),
        "{reason}"
    );
    assert!(reason.contains("service `task`: `volumes`"), "{reason}");

    // Ten levels of ten aliases: refused on reading, in no time.
    let mut laughs = String::from("x-0: &l0 \"lol\"\n");
    for level in 1..=10 {
        laughs.push_str(&format!("x-{level}: &l{level} [{}]\n", vec![format!("*l{}", level - 1); 10].join(", ")));
    }
    laughs.push_str(&format!("services:\n  task:\n    image: {BUSYBOX_IMAGE}\n    command: *l10\n"));
    let bomb = FixtureRepo::new().expect("repo");
    bomb.commit(&[("compose.yaml", laughs.as_str())], "laughs").expect("commit");
    let bomb_id = s.create_project_from("it-bomb", &bomb.file_url()).await;
    let detail = deploy_to_end(&s, &bomb_id).await;
    assert_eq!(detail["summary"]["state"], "failed", "{}", log_text(&detail));
    let reason = detail["summary"]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("compose.yaml") && reason.contains("aliases expand to more than"), "{reason}");
}

#[tokio::test]
async fn committed_links_named_like_generated_files_are_replaced_not_followed() {
    let Some(s) = TestServer::ready_to_deploy().await else {
        return;
    };
    let outside = tempfile::tempdir().expect("outside");
    let repo = task_repo("");
    let mut victims = Vec::new();
    for name in [".env", nsm_core::compose::OVERRIDE_FILE_NAME] {
        let victim = outside.path().join(format!("victim{name}"));
        std::fs::write(&victim, "untouched\n").expect("victim");
        symlink(&victim, repo.path().join(name)).expect("link");
        victims.push(victim);
    }
    repo.commit(&[], "links to outside the checkout").expect("commit");
    let id = task_project(&s, &repo).await;
    let _cleanup = ComposeCleanup(id.clone());
    let modes: Vec<u32> = victims.iter().map(|v| std::fs::metadata(v).expect("victim").mode()).collect();

    let detail = deploy_to_end(&s, &id).await;
    assert_eq!(detail["summary"]["state"], "succeeded", "{}", log_text(&detail));

    for (victim, mode) in victims.iter().zip(modes) {
        assert_eq!(std::fs::read_to_string(victim).expect("victim"), "untouched\n", "{}", victim.display());
        assert_eq!(std::fs::metadata(victim).expect("victim").mode(), mode);
    }
    let current = s.data_dir.join("worker/projects").join(&id).join("current");
    for (name, holds) in [(".env", "GREETING="), (nsm_core::compose::OVERRIDE_FILE_NAME, "dev.nsm.project")] {
        assert_generated(&current.join(name), holds);
    }
}

fn assert_generated(path: &Path, holds: &str) {
    let meta = std::fs::symlink_metadata(path).expect("generated file");
    assert!(meta.file_type().is_file(), "{} is a regular file, not a link", path.display());
    assert_eq!(meta.mode() & 0o777, 0o600, "{}", path.display());
    let content = std::fs::read_to_string(path).expect("generated file");
    assert!(content.contains(holds), "{}: {content}", path.display());
}
