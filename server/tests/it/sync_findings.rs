//! What the project status says still needs the user after a sync: the last sync's
//! findings against the configuration now, so a resolved item is gone on the next read.

use serde_json::{json, Value};

use crate::common::TestServer;

async fn attention(s: &TestServer, id: &str) -> Vec<Value> {
    let (status, body) = s.call_json("get_project_status", &[("id", id)]).await;
    assert!(status.is_success(), "{status} {body}");
    body["attention"].as_array().cloned().unwrap_or_else(|| panic!("no attention list: {body}"))
}

#[tokio::test]
async fn status_lists_what_the_last_sync_needs_and_forgets_what_was_resolved() {
    let Some(s) = TestServer::ready_to_deploy().await else { return };
    let repo = nsm_testkit::FixtureRepo::new().expect("repo");
    let image = nsm_testkit::BUSYBOX_IMAGE;
    let both = format!(
        "services:\n  web:\n    image: {image}\n    environment:\n      DATABASE_URL: ${{DATABASE_URL}}\n  \
         worker:\n    image: {image}\n"
    );
    repo.commit(&[("compose.yaml", both.as_str())], "web and worker").expect("commit");
    let id = s.create_project_from("it-findings", &repo.file_url()).await;
    assert!(attention(&s, &id).await.is_empty(), "never synced: nothing found yet");

    let (status, body) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(status.is_success(), "{status} {body}");
    let no_value = json!({"kind": "no_value", "name": "DATABASE_URL"});
    assert_eq!(attention(&s, &id).await, vec![no_value.clone()]);

    // A value saved: the next read no longer lists it.
    let (status, body) = s
        .call_json(
            "save_variable",
            &[
                ("id", &id),
                ("original", "DATABASE_URL"),
                ("name", "DATABASE_URL"),
                ("kind", "plain"),
                ("value", "postgres://db/shop"),
            ],
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(attention(&s, &id).await, Vec::<Value>::new());

    // The repository drops the worker and the variable: both are listed after a sync.
    let web = format!("services:\n  web:\n    image: {image}\n");
    repo.commit(&[("compose.yaml", web.as_str())], "web only").expect("commit");
    let (status, body) = s.call_json("sync_project", &[("id", &id)]).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        attention(&s, &id).await,
        vec![json!({"kind": "unused", "name": "DATABASE_URL"}), json!({"kind": "missing_service", "name": "worker"})]
    );

    // The unused variable deleted: only the service remains.
    let (status, body) = s.call_json("delete_variable", &[("id", &id), ("name", "DATABASE_URL")]).await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(attention(&s, &id).await, vec![json!({"kind": "missing_service", "name": "worker"})]);
}
