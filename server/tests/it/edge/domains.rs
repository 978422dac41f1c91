//! The Domains tab's server functions with the edge off: validation at the boundary,
//! one project per hostname, ordering, admin-only Custom resources.

use super::super::common::{error_kind, field_error, TestServer};
use super::{add_resource, domain_id, domains_view, resource_id, try_add_resource};

async fn signed_in_with(projects: &[&str]) -> TestServer {
    let s = TestServer::start().await;
    s.setup_admin().await;
    for project in projects {
        let (status, body) = s.create_project(project).await;
        assert!(status.is_success(), "{body}");
    }
    s
}

#[tokio::test]
async fn a_hostname_belongs_to_one_project() {
    let s = signed_in_with(&["alpha", "beta"]).await;
    let (status, body) = s.call_json("add_domain", &[("id", "alpha"), ("hostname", "Shop.Example.COM.")]).await;
    assert!(status.is_success(), "{body}");
    // Stored normalised: lower case, no trailing dot.
    assert_eq!(domains_view(&s, "alpha").await["domains"][0]["hostname"], "shop.example.com");

    let (_, body) = s.call_json("add_domain", &[("id", "beta"), ("hostname", "shop.example.com")]).await;
    assert_eq!(field_error(&body, "hostname"), Some("This hostname already belongs to project alpha"), "{body}");
    let (_, body) = s.call_json("add_domain", &[("id", "alpha"), ("hostname", "shop.example.com")]).await;
    assert_eq!(field_error(&body, "hostname"), Some("This project already has this hostname"), "{body}");

    // Removing frees the name for another project.
    let domain = domain_id(&s, "alpha", "shop.example.com").await.to_string();
    let (status, body) = s.call_json("remove_domain", &[("id", "alpha"), ("domain", &domain)]).await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("add_domain", &[("id", "beta"), ("hostname", "shop.example.com")]).await;
    assert!(status.is_success(), "{body}");
    // Another project's domain cannot be removed through this one.
    let domain = domain_id(&s, "beta", "shop.example.com").await.to_string();
    let (status, body) = s.call_json("remove_domain", &[("id", "alpha"), ("domain", &domain)]).await;
    assert_eq!((status.is_success(), error_kind(&body)), (false, "not_found"), "{body}");
}

#[tokio::test]
async fn hostile_values_are_refused_before_rendering() {
    let s = signed_in_with(&["gamma"]).await;
    for hostname in [
        "a;b.example",
        "a{b}.example",
        "\"quoted\".example",
        "new\nline.example",
        "$host.example",
        "with space.example",
        "bücher.example",
        "https://shop.example",
        "shop.example:8443",
        "shop.example/path",
        "",
        "*.com",
        "a.*.example",
        "10.0.0.1",
    ] {
        let (status, body) = s.call_json("add_domain", &[("id", "gamma"), ("hostname", hostname)]).await;
        assert!(!status.is_success(), "{hostname:?} was accepted: {body}");
        assert!(field_error(&body, "hostname").is_some(), "{hostname:?}: {body}");
    }
    let (status, body) = s.call_json("add_domain", &[("id", "gamma"), ("hostname", "app.example.org")]).await;
    assert!(status.is_success(), "{body}");

    // (path, form fields, the field that must carry the error)
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
    let bad: Vec<Case> = vec![
        ("/a;b", vec![("kind", "static")], "path"),
        ("/a{b}", vec![("kind", "static")], "path"),
        ("/a\"b", vec![("kind", "static")], "path"),
        ("/a\nb", vec![("kind", "static")], "path"),
        ("/$uri", vec![("kind", "static")], "path"),
        ("/a b", vec![("kind", "static")], "path"),
        ("/ünï", vec![("kind", "static")], "path"),
        ("/../etc", vec![("kind", "static")], "path"),
        ("relative", vec![("kind", "static")], "path"),
        ("/cors", vec![("kind", "static"), ("cors_origins", "https://a.example; add_header X 1")], "cors_origins"),
        ("/cors", vec![("kind", "static"), ("cors_origins", "https://a.example/\"")], "cors_origins"),
        ("/api", vec![("kind", "api"), ("timeout_secs", "60;")], "timeout_secs"),
        ("/api", vec![("kind", "api"), ("timeout_secs", "0")], "timeout_secs"),
        ("/api", vec![("kind", "api"), ("max_body", "10m; return 200")], "max_body"),
        ("/api", vec![("kind", "api"), ("max_body", "0")], "max_body"),
        ("/go", vec![("kind", "redirect"), ("target", "https://x.example/\"; return 200 \"")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "https://x.example/$host")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "https://x.example/a b")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "https://x.example/{a}")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "https://exämple.com/")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "javascript:alert(1)")], "target"),
        ("/go", vec![("kind", "redirect"), ("target", "https://x.example/\nreturn")], "target"),
        ("/raw", vec![("kind", "custom"), ("body", "return 200; }\nserver { listen 1; }")], "body"),
        ("/raw", vec![("kind", "custom"), ("body", "return 200 \"unclosed;")], "body"),
        ("/raw", vec![("kind", "custom"), ("body", "if ($x) { return 200;")], "body"),
        ("/raw", vec![("kind", "custom"), ("body", "   ")], "body"),
        ("/raw", vec![("kind", "nope")], "kind"),
    ];
    for (path, fields, field) in bad {
        let (status, body) = try_add_resource(&s, "gamma", "app.example.org", path, &fields).await;
        assert!(!status.is_success(), "{path:?} {fields:?} was accepted: {body}");
        assert!(field_error(&body, field).is_some(), "{path:?} {fields:?}: expected an error on {field}: {body}");
    }
    assert!(domains_view(&s, "gamma").await["domains"][0]["resources"].as_array().is_some_and(Vec::is_empty));
}

#[tokio::test]
async fn resources_are_saved_edited_ordered_and_removed() {
    let s = signed_in_with(&["delta"]).await;
    let (status, body) = s.call_json("add_domain", &[("id", "delta"), ("hostname", "delta.example")]).await;
    assert!(status.is_success(), "{body}");
    let host = "delta.example";
    // A CORS list with * and another origin is refused; alone, each is fine.
    let cors = [("kind", "static"), ("spa", "on"), ("cors_origins", "https://a.example\n*")];
    let (_, body) = try_add_resource(&s, "delta", host, "/", &cors).await;
    assert!(field_error(&body, "cors_origins").is_some(), "{body}");
    add_resource(&s, "delta", host, "/", &[("kind", "static"), ("spa", "on"), ("cors_origins", "https://a.example")])
        .await;
    add_resource(&s, "delta", host, "/api", &[("kind", "api"), ("websocket", "on"), ("timeout_secs", "90")]).await;
    add_resource(&s, "delta", host, "/old", &[("kind", "redirect"), ("target", "https://new.example/")]).await;
    add_resource(&s, "delta", host, "/raw", &[("kind", "custom"), ("body", "return 204;")]).await;
    // /api/ is the same place as /api.
    let (_, body) = try_add_resource(&s, "delta", host, "/api/", &[("kind", "static")]).await;
    assert!(field_error(&body, "path").is_some_and(|m| m.contains("already uses")), "{body}");

    let view = domains_view(&s, "delta").await;
    let paths: Vec<&str> =
        view["domains"][0]["resources"].as_array().expect("list").iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(paths, ["/", "/api", "/old", "/raw"]);
    assert_eq!(view["domains"][0]["resources"][1]["form"]["timeout_secs"], "90");
    assert_eq!(view["domains"][0]["resources"][1]["form"]["websocket"], "on");
    assert_eq!(view["can_custom"], true);
    assert_eq!(view["edge"], "off");
    // The preview input renders in the browser with the shared crate.
    assert!(view["preview"]["topology"]["resources"].as_array().is_some_and(|r| r.len() == 4), "{view}");

    // Reorder: /raw up one place.
    let raw = resource_id(&s, "delta", host, "/raw").await.to_string();
    let (status, body) =
        s.call_json("move_resource", &[("id", "delta"), ("resource", &raw), ("direction", "up")]).await;
    assert!(status.is_success(), "{body}");
    let view = domains_view(&s, "delta").await;
    let paths: Vec<&str> =
        view["domains"][0]["resources"].as_array().expect("list").iter().filter_map(|r| r["path"].as_str()).collect();
    assert_eq!(paths, ["/", "/api", "/raw", "/old"]);

    // Edit: the redirect becomes a static page at a new path.
    let old = resource_id(&s, "delta", host, "/old").await.to_string();
    let domain = domain_id(&s, "delta", host).await.to_string();
    let form = [
        ("id", "delta"),
        ("domain", domain.as_str()),
        ("resource", old.as_str()),
        ("path", "/files"),
        ("kind", "static"),
    ];
    let (status, body) = s.call_json("save_resource", &form).await;
    assert!(status.is_success(), "{body}");
    let view = domains_view(&s, "delta").await;
    assert_eq!(view["domains"][0]["resources"][3]["path"], "/files");
    assert_eq!(view["domains"][0]["resources"][3]["kind"], "static");

    // Remove.
    let (status, body) = s.call_json("delete_resource", &[("id", "delta"), ("resource", &old)]).await;
    assert!(status.is_success(), "{body}");
    assert_eq!(domains_view(&s, "delta").await["domains"][0]["resources"].as_array().map(Vec::len), Some(3));
}

#[tokio::test]
async fn custom_resources_are_for_admins_only() {
    let s = signed_in_with(&["omega"]).await;
    let (status, body) = s.call_json("add_domain", &[("id", "omega"), ("hostname", "omega.example")]).await;
    assert!(status.is_success(), "{body}");
    add_resource(&s, "omega", "omega.example", "/raw", &[("kind", "custom"), ("body", "return 204;")]).await;
    let plane = &s.server.as_ref().expect("running").plane;
    sqlx::query("UPDATE users SET role = 'deployer'").execute(&plane.db).await.expect("demote");

    assert_eq!(domains_view(&s, "omega").await["can_custom"], false);
    let (status, body) =
        try_add_resource(&s, "omega", "omega.example", "/raw2", &[("kind", "custom"), ("body", "return 204;")]).await;
    assert_eq!((status.is_success(), error_kind(&body)), (false, "forbidden"), "{body}");
    let raw = resource_id(&s, "omega", "omega.example", "/raw").await.to_string();
    let (status, body) = s.call_json("delete_resource", &[("id", "omega"), ("resource", &raw)]).await;
    assert_eq!((status.is_success(), error_kind(&body)), (false, "forbidden"), "{body}");
    // Other types stay open to everyone.
    add_resource(&s, "omega", "omega.example", "/", &[("kind", "static")]).await;
}
