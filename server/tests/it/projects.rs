use super::common::{error_kind, field_error, TestServer};
use reqwest::StatusCode;

#[tokio::test]
async fn project_crud() {
    let s = TestServer::start().await;
    s.setup_admin().await;

    let (status, body) = s.create_project("shop").await;
    assert!(status.is_success(), "{status} {body}");
    let (_, list) = s.call_json("list_projects", &[]).await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert_eq!(list[0]["id"], "shop");
    assert_eq!(list[0]["repository"], "acme/shop");
    assert_eq!(list[0]["worker"], "local");

    let (status, project) = s.call_json("get_project", &[("id", "shop")]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(project["config"]["branch"], "main");
    assert_eq!(project["config"]["timeout"], 300);
    assert_eq!(project["config"]["allow_ci_cd"], false);

    // Edit everything, including a rename.
    let (status, body) = s
        .call_json(
            "update_project",
            &[
                ("original_id", "shop"),
                ("id", "shop-2"),
                ("repo_url", "file:///srv/git/shop"),
                ("branch", "release/1.0"),
                ("worker", "local"),
                ("timeout_secs", "60"),
                ("allow_ci_cd", "on"),
            ],
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (_, project) = s.call_json("get_project", &[("id", "shop-2")]).await;
    assert_eq!(project["config"]["repository"], serde_json::json!({ "kind": "url", "url": "file:///srv/git/shop" }));
    assert_eq!(project["config"]["branch"], "release/1.0");
    assert_eq!(project["config"]["timeout"], 60);
    assert_eq!(project["config"]["allow_ci_cd"], true);
    let (_, old) = s.call_json("get_project", &[("id", "shop")]).await;
    assert_eq!(error_kind(&old), "not_found");

    // Delete needs the id typed again.
    let (status, body) = s.call_json("delete_project", &[("id", "shop-2"), ("confirm", "shop")]).await;
    assert!(!status.is_success());
    assert!(field_error(&body, "confirm").is_some(), "{body}");
    let (status, body) = s.call_json("delete_project", &[("id", "shop-2"), ("confirm", "shop-2")]).await;
    assert!(status.is_success(), "{body}");
    let (_, list) = s.call_json("list_projects", &[]).await;
    assert_eq!(list, serde_json::json!([]));
}

#[tokio::test]
async fn the_server_validates_authoritatively() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s
        .call_json(
            "create_project",
            &[
                ("id", "Bad Id"),
                ("repo_owner", "-x"),
                ("repo_name", "a b"),
                ("branch", "a..b"),
                ("timeout_secs", "3601"),
            ],
        )
        .await;
    assert!(!status.is_success());
    assert_eq!(error_kind(&body), "invalid");
    for field in ["id", "repo_owner", "repo_name", "branch", "timeout_secs"] {
        assert!(field_error(&body, field).is_some(), "no error for {field}: {body}");
    }
    let (_, body) = s
        .call_json("create_project", &[("id", "x"), ("repo_owner", "a"), ("repo_name", "b"), ("worker", "nowhere")])
        .await;
    assert!(field_error(&body, "worker").is_some_and(|m| m.contains("Unknown worker")), "{body}");
    let (_, list) = s.call_json("list_projects", &[]).await;
    assert_eq!(list, serde_json::json!([]), "nothing invalid was stored");
}

#[tokio::test]
async fn a_duplicate_id_is_a_field_error() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    assert!(s.create_project("shop").await.0.is_success());
    let (status, body) = s.create_project("shop").await;
    assert!(!status.is_success());
    assert!(field_error(&body, "id").is_some_and(|m| m.contains("already exists")), "{body}");
    // Renaming onto an existing id too.
    assert!(s.create_project("blog").await.0.is_success());
    let (_, body) = s
        .call_json(
            "update_project",
            &[("original_id", "blog"), ("id", "shop"), ("repo_owner", "a"), ("repo_name", "b")],
        )
        .await;
    assert!(field_error(&body, "id").is_some_and(|m| m.contains("already exists")), "{body}");
}

#[tokio::test]
async fn data_survives_a_restart() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    assert!(s.create_project("persistent").await.0.is_success());
    let s = s.restart().await;
    // The session is server-side, in SQLite: the same cookie still works.
    let (status, list) = s.call_json("list_projects", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list[0]["id"], "persistent");
    assert!(s.data_dir.join("nsm.sqlite").exists());
}

#[tokio::test]
async fn pages_render_for_a_signed_in_user() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    assert!(s.create_project("rendered").await.0.is_success());
    for (path, needle) in
        [("/", "Dashboard"), ("/projects", "rendered"), ("/projects/rendered", "Save changes"), ("/workers", "local")]
    {
        let response = s.client.get(s.url(path)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.expect("body");
        assert!(html.contains(needle), "{path} lacks {needle}");
    }
    let response = s.client.get(s.url("/no/such/page")).send().await.expect("request");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
