//! Limits on what CI/CD callers can make the server keep (issue 13 item 4): refused
//! calls are counted per project and minute instead of listed, and the activity is
//! purged after its retention.

use reqwest::StatusCode;
use serde_json::Value;

use super::common::{TestServer, ADMIN, PASSWORD};

async fn activity(s: &TestServer, project: &str) -> Vec<Value> {
    let (status, ci) = s.call_json("get_ci", &[("id", project)]).await;
    assert!(status.is_success(), "{ci}");
    ci["activity"].as_array().cloned().unwrap_or_default()
}

/// How many calls a row stands for ("N refused calls: …" or one).
fn calls(row: &Value) -> u64 {
    let detail = row["detail"].as_str().unwrap_or_default();
    match detail.split_once(" refused calls: ") {
        Some((n, _)) => n.parse().unwrap_or(0),
        None => 1,
    }
}

#[tokio::test]
async fn a_flood_of_refused_calls_is_one_counted_row_per_minute() {
    let s = TestServer::start().await;
    s.setup_admin().await;
    let (status, body) = s.create_project("it-flood").await;
    assert!(status.is_success(), "{body}");
    let (status, _) = s.call_json("rotate_deploy_key", &[("id", "it-flood")]).await;
    assert!(status.is_success());

    let client = reqwest::Client::new();
    let url = s.url("/api/v1/projects/it-flood/deploy");
    let calls_made = (0..200).map(|n| {
        let request = client.post(&url).bearer_auth(format!("nsm_wrong{n}"));
        async move { request.send().await.expect("request").status() }
    });
    let statuses = futures::future::join_all(calls_made).await;
    assert!(statuses.iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{statuses:?}");
    // Signed GitHub calls are another source: counted on their own row.
    for _ in 0..3 {
        let status = client
            .post(s.url("/api/v1/projects/it-flood/hooks/github"))
            .header("x-github-event", "push")
            .send()
            .await
            .expect("request")
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    let rows = activity(&s, "it-flood").await;
    let keys: Vec<_> = rows.iter().filter(|r| r["source"] == "deploy key").collect();
    let github: Vec<_> = rows.iter().filter(|r| r["source"] == "github").collect();
    // Two rows at most when the calls straddle a minute.
    assert!(!keys.is_empty() && keys.len() <= 2, "{rows:?}");
    assert_eq!(keys.iter().map(|r| calls(r)).sum::<u64>(), 200, "{rows:?}");
    assert!(keys.iter().all(|r| r["outcome"] == "refused"));
    assert!(
        keys.iter()
            .any(|r| r["detail"].as_str().is_some_and(|d| d.ends_with("refused calls: missing or wrong deploy key"))),
        "{rows:?}"
    );
    assert!(!github.is_empty() && github.len() <= 2, "{rows:?}");
    assert_eq!(github.iter().map(|r| calls(r)).sum::<u64>(), 3, "{rows:?}");

    // The audit log counts them the same way.
    let (_, audit) = s.call_json("list_audit", &[("kind", "webhook_refused")]).await;
    let counted: i64 = audit["entries"].as_array().expect("entries").iter().filter_map(|e| e["count"].as_i64()).sum();
    assert_eq!(counted, 203, "{audit}");
}

#[tokio::test]
async fn activity_older_than_its_retention_is_purged() {
    let temp = tempfile::tempdir().expect("temp dir");
    let s = TestServer::start_in(temp.path().to_path_buf()).await;
    s.setup_admin().await;
    let (status, body) = s.create_project("it-old").await;
    assert!(status.is_success(), "{body}");
    let db = s.server.as_ref().expect("running").plane.db.clone();
    let days_ago = |days: i64| nsm_server::db::timestamp(chrono::Utc::now() - chrono::Duration::days(days));
    let entry = |detail: &str| nsm_server::activity::Activity {
        project: "it-old".to_owned(),
        source: nsm_core::activity::ActivitySource::DeployKey,
        outcome: nsm_core::activity::ActivityOutcome::Accepted,
        detail: detail.to_owned(),
        deployment: None,
    };
    let rows = [(days_ago(120), entry("four months ago")), (days_ago(20), entry("twenty days ago"))];
    nsm_server::db::ci::record_activities(&db, &rows).await.expect("record");
    let details = |rows: Vec<Value>| -> Vec<String> {
        rows.iter().map(|r| r["detail"].as_str().unwrap_or_default().to_owned()).collect()
    };

    // The default, 90 days: the purge runs at start-up and keeps the recent one.
    let s = s.restart().await;
    s.sign_in().await;
    let kept =
        nsm_testkit::eventually(std::time::Duration::from_secs(10), std::time::Duration::from_millis(100), || {
            let s = &s;
            async move {
                let kept = details(activity(s, "it-old").await);
                if kept.len() == 1 {
                    Ok(kept)
                } else {
                    Err(format!("still {kept:?}"))
                }
            }
        })
        .await;
    assert_eq!(kept, ["twenty days ago"]);

    // `--activity-retention-days 10`: that one goes too.
    if let Some(server) = s.server {
        server.shutdown().await.expect("shutdown");
    }
    let settings = nsm_server::Settings {
        activity_retention_days: 10,
        ..nsm_server::Settings::for_data_dir(temp.path().to_path_buf())
    };
    let s = TestServer::start_with(settings).await;
    let (status, body) = s.call_json("sign_in", &[("username", ADMIN), ("password", PASSWORD)]).await;
    assert!(status.is_success(), "{body}");
    nsm_testkit::eventually(std::time::Duration::from_secs(10), std::time::Duration::from_millis(100), || {
        let s = &s;
        async move {
            let kept = details(activity(s, "it-old").await);
            if kept.is_empty() {
                Ok(())
            } else {
                Err(format!("still {kept:?}"))
            }
        }
    })
    .await;
}

#[test]
fn the_activity_retention_is_a_flag_and_a_variable() {
    use clap::Parser;
    let cli = nsm_server::settings::Cli::try_parse_from(["nsm-server", "--activity-retention-days", "7"]).expect("cli");
    assert_eq!(cli.settings.activity_retention_days, 7);
    let cli = nsm_server::settings::Cli::try_parse_from(["nsm-server"]).expect("cli");
    assert_eq!(cli.settings.activity_retention_days, 90);
}
