//! ACME HTTP-01 against pebble through our nginx: a real certificate issued, checked
//! by a TLS client against pebble's root; renewed by the background task when near
//! expiry (pebble issues for 10 days, inside the 30-day renewal window), HSTS served
//! from the first one on; a failed attempt shown with its reason.

use std::time::{Duration, Instant};

use nsm_core::{ProjectId, WorkerId};
use nsm_testkit::{nginx_or_skip, pebble_or_skip};

use super::super::common::TestServer;
use super::support::{browser, edge_settings, served_leaf, start_with_edge, Pebble};
use super::{add_resource, domain_id, domains_view};

const HOST: &str = "secure.nsm.test";

async fn certificate_of(s: &TestServer, project: &str, hostname: &str) -> serde_json::Value {
    let view = domains_view(s, project).await;
    let domain = view["domains"].as_array().and_then(|d| d.iter().find(|d| d["hostname"] == hostname).cloned());
    domain.map(|d| d["certificate"].clone()).unwrap_or_default()
}

/// Waits for the leaf served for `HOST` to verify against `root` and differ from
/// `other`; returns it.
async fn leaf_verifying(https: u16, root: &[u8], other: Option<&[u8]>, within: Duration) -> Vec<u8> {
    let deadline = Instant::now() + within;
    let mut last = String::new();
    while Instant::now() < deadline {
        match served_leaf(HOST, https, Some(root)).await {
            Ok(leaf) if Some(leaf.as_slice()) != other => return leaf,
            Ok(_) => last = "still the previous certificate".into(),
            Err(e) => last = e,
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("no pebble-issued certificate for {HOST} verified in time: {last}");
}

#[tokio::test]
async fn pebble_issues_a_certificate_over_http01_and_the_task_renews_it() {
    let Some(nginx) = nginx_or_skip() else { return };
    let Some(bins) = pebble_or_skip() else { return };
    let mut edge = edge_settings(&nginx);
    let https = edge.https_port.unwrap_or_default();
    let pebble = Pebble::start(&bins, edge.http_port.unwrap_or_default(), 10 * 24 * 3600);
    edge.no_acme = false;
    edge.acme_directory = Some(nsm_core::settings::AcmeDirectory::parse(&pebble.directory).unwrap());
    edge.acme_root_ca = Some(pebble.listener_ca.clone());
    edge.acme_email = Some(nsm_core::settings::ContactEmail::parse("ops@nsm.test").unwrap());
    edge.acme_check_secs = 1;
    let temp = tempfile::tempdir().expect("temp");
    let s = start_with_edge(temp.path().to_path_buf(), edge).await;
    s.setup_admin().await;
    let (status, body) = s.create_project("vault").await;
    assert!(status.is_success(), "{body}");
    let (status, body) = s.call_json("add_domain", &[("id", "vault"), ("hostname", HOST)]).await;
    assert!(status.is_success(), "{body}");
    add_resource(&s, "vault", HOST, "/", &[("kind", "custom"), ("body", "return 200 \"secure\";")]).await;
    let edge_now = s.server.as_ref().expect("running").plane.edge.clone();
    assert_eq!(certificate_of(&s, "vault", HOST).await["status"], "none");
    edge_now.publish(&ProjectId::parse("vault").expect("id"), &WorkerId::local()).await.expect("publishes");
    assert_eq!(certificate_of(&s, "vault", HOST).await["status"], "self_signed");

    // The renewal task finds the placeholder and obtains a real certificate: the
    // chain nginx serves verifies against pebble's root for this name.
    let root = pebble.issuing_root().await;
    let first = leaf_verifying(https, &root, None, Duration::from_secs(90)).await;
    // nginx may serve the new file a moment before its status is recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        let status = certificate_of(&s, "vault", HOST).await;
        if status["issuer"].as_str().is_some_and(|i| i.to_lowercase().contains("pebble")) {
            break status;
        }
        assert!(Instant::now() < deadline, "the issued certificate was never recorded: {status}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(status["not_after"].as_str().is_some(), "{status}");
    assert!(status["last_error"].is_null(), "{status}");
    // Its first CA-issued certificate re-published the project with HSTS (on by default).
    nsm_testkit::eventually(Duration::from_secs(30), Duration::from_millis(200), || async {
        let answer = browser(&[HOST], https).get(format!("https://{HOST}:{https}/")).send().await;
        match answer.as_ref().map(|a| a.headers().get("strict-transport-security")) {
            Ok(Some(value)) if value == "max-age=31536000" => Ok(()),
            other => Err(format!("no HSTS yet: {other:?}")),
        }
    })
    .await;
    // Ten days left is inside the 30-day window: reported as due, and renewed.
    assert_eq!(status["status"], "expiring", "{status}");
    // The dashboard lists it among the certificates ending within 14 days.
    let (code, ending) = s.call_json("list_expiring_certificates", &[("days", "14")]).await;
    assert!(code.is_success(), "{ending}");
    let listed = ending.as_array().and_then(|a| a.iter().find(|c| c["hostname"] == HOST).cloned());
    assert_eq!(listed.as_ref().map(|c| c["project"].clone()), Some("vault".into()), "{ending}");
    let (_, soon) = s.call_json("list_expiring_certificates", &[("days", "1")]).await;
    assert!(!soon.to_string().contains(HOST), "ten days left is not within one: {soon}");
    let renewed = leaf_verifying(https, &root, Some(&first), Duration::from_secs(90)).await;
    assert_ne!(first, renewed);

    // Asking from the Domains tab works too, and says who issued it.
    let domain = domain_id(&s, "vault", HOST).await.to_string();
    let (status, body) = s.call_json("request_certificate", &[("id", "vault"), ("domain", &domain)]).await;
    assert!(status.is_success(), "{body}");
    assert!(body.as_str().is_some_and(|b| b.starts_with("issued by") && b.to_lowercase().contains("pebble")), "{body}");

    // A name nginx does not serve yet cannot be validated: the reason is kept.
    let (status, body) = s.call_json("add_domain", &[("id", "vault"), ("hostname", "later.nsm.test")]).await;
    assert!(status.is_success(), "{body}");
    let later = domain_id(&s, "vault", "later.nsm.test").await.to_string();
    let (status, body) = s.call_json("request_certificate", &[("id", "vault"), ("domain", &later)]).await;
    assert!(!status.is_success(), "{body}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status = certificate_of(&s, "vault", "later.nsm.test").await;
        if status["last_error"].as_str().is_some_and(|e| !e.is_empty()) {
            break;
        }
        assert!(Instant::now() < deadline, "no error recorded: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    drop(edge_now);
    s.server.expect("running").shutdown().await.expect("clean shutdown");
}
