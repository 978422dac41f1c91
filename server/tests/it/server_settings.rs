//! Settings → Server: stored settings apply at once, a flag wins and locks its field,
//! bad values are refused field by field and nothing is stored.

use nsm_core::settings::{AcmeDirectory, RetentionDays};
use nsm_server::settings::Settings;
use serde_json::Value;

use super::common::{error_kind, field_error, TestServer};

fn form<'a>(
    directory: &'a str,
    email: &'a str,
    days: &'a str,
    timeout: &'a str,
    worker: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("acme_directory", directory),
        ("acme_email", email),
        ("audit_retention_days", days),
        ("default_timeout_secs", timeout),
        ("default_worker", worker),
    ]
}

fn source<'a>(settings: &'a Value, name: &str) -> &'a str {
    settings[name]["source"].as_str().unwrap_or_default()
}

fn plane(s: &TestServer) -> &nsm_server::control_plane::Plane {
    &s.server.as_ref().expect("running").plane
}

#[tokio::test]
async fn saved_settings_apply_at_once_and_new_projects_start_with_the_defaults() {
    let s = TestServer::start().await;
    s.setup_admin().await;

    let (status, before) = s.call_json("get_server_settings", &[]).await;
    assert!(status.is_success(), "{status} {before}");
    assert_eq!(before["acme_directory"]["value"], "https://acme-v02.api.letsencrypt.org/directory");
    for name in ["acme_directory", "acme_email", "audit_retention", "default_timeout", "default_worker"] {
        assert_eq!(source(&before, name), "default", "{name}: {before}");
    }

    let directory = "https://acme-staging-v02.api.letsencrypt.org/directory";
    let (status, body) =
        s.call_json("set_server_settings", &form(directory, "ops@example.com", "30", "240", "local")).await;
    assert!(status.is_success(), "{status} {body}");

    let (_, after) = s.call_json("get_server_settings", &[]).await;
    assert_eq!(after["acme_directory"]["value"], directory);
    assert_eq!(after["acme_email"]["value"], "ops@example.com");
    assert_eq!(after["audit_retention"]["value"], 30);
    for name in ["acme_directory", "acme_email", "audit_retention", "default_timeout", "default_worker"] {
        assert_eq!(source(&after, name), "stored", "{name}: {after}");
    }
    // The ACME client in use changed, not only the row.
    assert_eq!(plane(&s).edge.acme_directory().await.as_deref(), Some(directory));
    let retention = nsm_server::runtime_settings::audit_retention(&plane(&s).db, None).await.unwrap();
    assert_eq!(retention, RetentionDays::new(30).unwrap(), "the hourly purge reads the saved retention");

    let (_, defaults) = s.call_json("get_project_defaults", &[]).await;
    assert_eq!(defaults["timeout"], 240);
    assert_eq!(defaults["worker"], "local");

    // The change is in the audit log, before → after.
    let (_, audit) = s.call_json("list_audit", &[("kind", "settings")]).await;
    let text = audit.to_string();
    assert!(text.contains("ACME directory") && text.contains(directory), "{audit}");

    // An empty address clears it; it stays cleared after a restart.
    let (status, _) = s.call_json("set_server_settings", &form(directory, "", "30", "240", "local")).await;
    assert!(status.is_success());
    let s = s.restart().await;
    s.sign_in().await;
    let (_, after) = s.call_json("get_server_settings", &[]).await;
    assert_eq!(after["acme_email"]["value"], Value::Null, "{after}");
    assert_eq!(plane(&s).edge.acme_directory().await.as_deref(), Some(directory), "applied at start");
}

#[tokio::test]
async fn bad_values_are_refused_by_field_and_nothing_is_stored() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let bad = form("http://acme.example.com/dir\nx", "ops@", "-3", "0", "nowhere");
    let (_, body) = s.call_json("set_server_settings", &bad).await;
    assert_eq!(error_kind(&body), "invalid", "{body}");
    for field in ["acme_directory", "acme_email", "audit_retention_days", "default_timeout_secs"] {
        assert!(field_error(&body, field).is_some(), "{field}: {body}");
    }
    // A well-formed worker id that names no worker.
    let (_, body) = s.call_json("set_server_settings", &form("https://a.example/dir", "", "1", "60", "nowhere")).await;
    assert_eq!(error_kind(&body), "invalid", "{body}");
    assert!(field_error(&body, "default_worker").is_some_and(|m| m.contains("nowhere")), "{body}");

    let (_, after) = s.call_json("get_server_settings", &[]).await;
    for name in ["acme_directory", "acme_email", "audit_retention", "default_timeout", "default_worker"] {
        assert_eq!(source(&after, name), "default", "{name} was stored: {after}");
    }
}

#[tokio::test]
async fn a_flag_wins_over_the_page_and_is_not_overwritten() {
    let temp = tempfile::tempdir().unwrap();
    let mut settings = Settings::for_data_dir(temp.path().to_path_buf());
    let flagged = "https://acme.flag.example/directory";
    settings.edge.acme_directory = Some(AcmeDirectory::parse(flagged).unwrap());
    settings.audit_retention_days = Some(RetentionDays::new(7).unwrap());
    let s = TestServer::start_with(settings).await;
    s.setup_admin().await;

    let (_, current) = s.call_json("get_server_settings", &[]).await;
    assert_eq!(source(&current, "acme_directory"), "flag");
    assert!(current["acme_directory"]["flag"].as_str().unwrap().contains("NSM_ACME_DIRECTORY"), "{current}");
    assert_eq!(source(&current, "audit_retention"), "flag");

    let (status, body) =
        s.call_json("set_server_settings", &form("https://other.example/dir", "", "99", "120", "local")).await;
    assert!(status.is_success(), "{status} {body}");
    let (_, after) = s.call_json("get_server_settings", &[]).await;
    assert_eq!(after["acme_directory"]["value"], flagged, "the flag still wins: {after}");
    assert_eq!(after["audit_retention"]["value"], 7);
    assert_eq!(source(&after, "default_timeout"), "stored", "the rest is saved");
    assert_eq!(plane(&s).edge.acme_directory().await.as_deref(), Some(flagged));
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = 'acme_directory'")
        .fetch_optional(&plane(&s).db)
        .await
        .unwrap();
    assert_eq!(stored, None, "a locked setting is not written");
}
